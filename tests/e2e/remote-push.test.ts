/**
 * A remote collector feeding Fleetlens started as `npm start` starts it: the real collect CLI
 * (`collect demo … --push`) pushes over HTTP to the real server, the in-process worker ingests the
 * snapshot, the poll URL says so, and an engineer sees the push run and how to set up a remote site
 * on the Sources page in Chromium (light and dark). Through the real HTTP server, a body declared
 * over FLEETLENS_MAX_SNAPSHOT_MB is refused before it is read.
 */
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "../../server/auth/tokens";
import { createUser } from "../../server/auth/users";
import { connect } from "../../server/db/client";
import { launchBrowser, signIn, startApp, type RunningApp, watchedPage } from "./harness";

const ENGINEER = { email: "rhea@example.com", password: "engineer-password-1" };
const screenshots = path.join(process.cwd(), "test-results");
let app: RunningApp;
let browser: Browser;
let page: Page;
let sourceId: string;
let token: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  app = await startApp({ env: { FLEETLENS_MAX_SNAPSHOT_MB: "2" } });
  const [customer] = await app.query<{ id: string }>(`INSERT INTO customer (name) VALUES ('Fabrikam') RETURNING id`);
  const [source] = await app.query<{ id: string }>(
    `INSERT INTO source (customer_id, kind, name, endpoint) VALUES ($1, 'demo', 'fabrikam-site-b', 'demo:globex') RETURNING id`,
    [customer!.id],
  );
  sourceId = source!.id;
  const database = connect(app.databaseUrl, { max: 1 });
  try {
    const user = await createUser(database, {
      email: ENGINEER.email, name: "Rhea Engineer", password: ENGINEER.password,
      role: "engineer", allCustomers: false, customerIds: [customer!.id],
    });
    token = (await createApiToken(database, user.id, "site b collector")).token;
  } finally {
    await database.close();
  }
  await fs.mkdir(screenshots, { recursive: true });
  browser = await launchBrowser();
  page = await watchedPage(browser, pageErrors);
  await signIn(page, app.baseUrl, ENGINEER.email, ENGINEER.password);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  if (app) await app.stop();
});

function collect(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/collect.ts", ...args], { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("a remote collector", () => {
  it("pushes a collection the server ingests, and the engineer sees it on the Sources page", async () => {
    const pushed = await collect(
      ["demo", "demo:globex", "--vms", "30", "--push", app.baseUrl, "--source", sourceId, "--token-env", "SITE_B_TOKEN"],
      { SITE_B_TOKEN: token },
    );
    expect(pushed.code, pushed.stderr).toBe(0);
    const [, runId, pollUrl] = /^run ([0-9a-f-]{36}) queued: (\S+)$/m.exec(pushed.stdout) ?? [];
    expect(pollUrl).toBe(`${app.baseUrl}/api/sources/${sourceId}/snapshot?run=${runId}`);

    // The poll URL follows the run to its end.
    let run: { status: string; trigger: string; added: number | null; error: string | null } | undefined;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const response = await fetch(pollUrl!, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      run = (await response.json()) as typeof run;
      if (run!.status === "succeeded" || run!.status === "failed") break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect([run?.status, run?.trigger, run?.error]).toEqual(["succeeded", "push", null]);
    const [stored] = await app.query<{ n: string }>(`SELECT count(*) AS n FROM virtual_machine WHERE source_id = $1`, [sourceId]);
    expect(Number(stored!.n)).toBe(30);
    expect(run!.added).toBeGreaterThanOrEqual(30);

    await page.goto(`${app.baseUrl}/sources`);
    await page.getByRole("heading", { name: "Sources", level: 1 }).waitFor();
    const row = page.getByRole("row").filter({ hasText: "fabrikam-site-b" }).filter({ has: page.getByRole("button", { name: "Runs" }) });
    await row.getByRole("button", { name: "Runs" }).click();
    const history = page.locator(`#runs-${sourceId}`);
    await history.getByRole("cell", { name: /^Push\b/ }).waitFor();
    await expect.poll(() => history.textContent()).toMatch(/snapshot collected \d{4}-\d\d-\d\dT/);
    // How to set up another site: a disclosure, opened by keyboard, naming this source and this server.
    const summary = history.getByText("Push from a remote site", { exact: true });
    await summary.focus();
    await page.keyboard.press("Enter");
    const command = history.locator("pre");
    await command.waitFor();
    const text = (await command.textContent()) ?? "";
    expect(text).toContain(`--push ${app.baseUrl} --source ${sourceId} --token-env FLEETLENS_TOKEN --every 1h`);
    // The endpoint is shown to administrators only: an engineer fills it in.
    expect(text).toContain("npm run --silent collect -- demo <endpoint>");
    expect(text).not.toContain(token);
    await history.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(screenshots, "remote-push.png"), fullPage: false });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: path.join(screenshots, "remote-push-dark.png"), fullPage: false });
    await page.emulateMedia({ colorScheme: "light" });
    expect(pageErrors).toEqual([]);
  }, 300_000);

  it("is refused at the server's door when declared over FLEETLENS_MAX_SNAPSHOT_MB, before the body is read", async () => {
    const runsBefore = await app.query<{ n: string }>(`SELECT count(*) AS n FROM collection_run WHERE source_id = $1`, [sourceId]);
    const body = Buffer.alloc(3 * 1024 * 1024, 0x20);
    const response = await fetch(`${app.baseUrl}/api/sources/${sourceId}/snapshot`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body,
    });
    expect(response.status).toBe(413);
    expect(await response.text()).toMatch(/limit here is 2097152/);
    const runsAfter = await app.query<{ n: string }>(`SELECT count(*) AS n FROM collection_run WHERE source_id = $1`, [sourceId]);
    expect(runsAfter).toEqual(runsBefore);
  });
});

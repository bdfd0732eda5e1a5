/**
 * Cancelling a collection from the Sources page, in Chromium against Fleetlens started as `npm
 * start` starts it (its in-process pg-boss worker): a libvirt source whose endpoint is a TCP server
 * this test runs, which accepts connections and never answers, hangs (libvirt's call limit set
 * past the test; a Docker client gives up on a silent engine by itself after ~5 s); the administrator cancels
 * it (keyboard, confirm dialog), the run ends failed "cancelled by" them, its collection process
 * is gone (pgrep, and the held connection closes), it is not retried, and the next "Collect now"
 * collects: the same server then passes connections through to the real libvirtd peer.
 * A viewer sees the running run but no Cancel.
 */
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../../server/auth/users";
import { connect } from "../../server/db/client";
import { ADMIN, launchBrowser, signIn, startApp, type RunningApp } from "./harness";

const run = promisify(execFile);
const ROOT = path.join(import.meta.dirname, "..", "..");
const VIEWER = { email: "vera@example.com", password: "viewer-password-1" };
const SOURCE = "hung-engine";
const screenshots = path.join(process.cwd(), "test-results");

let app: RunningApp;
let browser: Browser;
let page: Page;
let viewerContext: BrowserContext;
let sourceId: string;
let libvirtDir: string;
let endpoint: Awaited<ReturnType<typeof passThrough>>;
const pageErrors: string[] = [];

/**
 * A TCP server on 127.0.0.1: while holding, it accepts connections and never answers (a hung
 * endpoint); while forwarding, it pipes them to `target` (the libvirtd peer's TCP port).
 */
async function passThrough(target: { host: string; port: number }) {
  let forwarding = false;
  const held = new Set<net.Socket>();
  const all = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    all.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => {
      all.delete(socket);
      held.delete(socket);
    });
    if (!forwarding) {
      held.add(socket);
      // Read and drop what arrives, so that the peer's close is seen (an unread socket never ends).
      socket.resume();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    upstream.on("error", () => socket.destroy());
    socket.on("close", () => upstream.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    held,
    forward(on: boolean) {
      forwarding = on;
    },
    close() {
      for (const socket of all) socket.destroy();
      server.close();
    },
  };
}

/** The pid of the collection process of a run (its command line names the run). */
function collectionPid(runId: string): number | null {
  try {
    return Number(execFileSync("pgrep", ["-f", `server/jobs/child.ts ${runId}`], { encoding: "utf8" }).trim().split("\n")[0]) || null;
  } catch {
    return null;
  }
}

async function runsOfSource() {
  return app.query<{ id: string; status: string; error: string | null; trigger: string }>(
    `SELECT id, status, error, trigger FROM collection_run WHERE source_id = $1 ORDER BY started_at`,
    [sourceId],
  );
}

async function newRunning(known: number): Promise<string> {
  let id: string | undefined;
  await expect
    .poll(async () => {
      const runs = await runsOfSource();
      id = runs.length > known && runs.at(-1)!.status === "running" ? runs.at(-1)!.id : undefined;
      return id !== undefined && collectionPid(id) !== null;
    }, { timeout: 60_000 })
    .toBe(true);
  return id!;
}

const sourceRow = (p: Page) =>
  p.getByRole("row").filter({ hasText: SOURCE }).filter({ has: p.getByRole("button", { name: /^(Runs|Hide runs)$/ }) });

async function openRuns(p: Page) {
  await p.goto(`${app.baseUrl}/sources`);
  await p.getByRole("heading", { name: "Sources", level: 1 }).waitFor();
  await sourceRow(p).getByRole("button", { name: "Runs" }).click();
  return p.locator(`#runs-${sourceId}`);
}

beforeAll(async () => {
  const started = await run("bash", [path.join(ROOT, "tests/peers/libvirtd.sh"), "start"], { cwd: ROOT });
  libvirtDir = started.stdout.trim().split("\n").at(-1)!;
  const tcpUri = (await fs.readFile(path.join(libvirtDir, "tcp-uri"), "utf8")).trim();
  const tcp = new URL(tcpUri.replace(/^[a-z+]+:/, "http:"));
  endpoint = await passThrough({ host: tcp.hostname, port: Number(tcp.port) });
  const sourceEndpoint = tcpUri.replace(`${tcp.hostname}:${tcp.port}`, `127.0.0.1:${endpoint.port}`);

  app = await startApp({ env: { FLEETLENS_DEMO: "off" } });
  const [customer] = await app.query<{ id: string }>(`INSERT INTO customer (name) VALUES ('Contoso') RETURNING id`);
  const [source] = await app.query<{ id: string }>(
    `INSERT INTO source (customer_id, kind, name, endpoint, options) VALUES ($1, 'libvirt', $2, $3, '{"timeoutSeconds": 3600}') RETURNING id`,
    [customer!.id, SOURCE, sourceEndpoint],
  );
  sourceId = source!.id;
  const database = connect(app.databaseUrl, { max: 1 });
  try {
    await createUser(database, {
      email: VIEWER.email, name: "Vera Viewer", password: VIEWER.password,
      role: "viewer", allCustomers: false, customerIds: [customer!.id],
    });
  } finally {
    await database.close();
  }
  await fs.mkdir(screenshots, { recursive: true });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await signIn(page, app.baseUrl, ADMIN.email, ADMIN.password);
  viewerContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  if (app) await app.stop();
  endpoint?.close();
  if (libvirtDir) await run("bash", [path.join(ROOT, "tests/peers/libvirtd.sh"), "stop", libvirtDir], { cwd: ROOT }).catch(() => undefined);
});

describe("cancelling a collection on the Sources page", () => {
  it("cancels a hung collection: the run says who, its process is gone, and the next Collect now collects", async () => {
    const history = await openRuns(page);
    await history.getByText("No collections yet").waitFor();
    await sourceRow(page).getByRole("button", { name: "Collect now" }).click();
    const runId = await newRunning(0);
    // The collection process reached the endpoint, which holds its connection unanswered.
    await expect.poll(() => endpoint.held.size, { timeout: 60_000 }).toBeGreaterThan(0);
    const pid = collectionPid(runId)!;

    // The run shows running, with a Cancel reached by keyboard, and a confirmation first.
    const cancel = history.getByRole("button", { name: "Cancel the running run" });
    await cancel.waitFor();
    await cancel.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: `Cancel the collection of ${SOURCE}?` });
    await dialog.waitFor();
    await expect.poll(() => dialog.textContent()).toMatch(/collection process is stopped.*not retried/);
    await page.screenshot({ path: path.join(screenshots, "sources-cancel.png") });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: path.join(screenshots, "sources-cancel-dark.png") });
    await page.emulateMedia({ colorScheme: "light" });
    // "Keep it" closes the dialog and leaves the run alone.
    await dialog.getByRole("button", { name: "Keep it" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect((await runsOfSource())[0]!.status).toBe("running");
    await cancel.click();
    await dialog.getByRole("button", { name: "Cancel collection" }).click();
    await dialog.waitFor({ state: "hidden" });

    await history.getByText(`cancelled by ${ADMIN.email}`, { exact: true }).waitFor();
    await expect.poll(() => history.getByRole("button", { name: /^Cancel the/ }).count()).toBe(0);
    const [cancelled] = await runsOfSource();
    expect(cancelled).toMatchObject({ id: runId, status: "failed", error: `cancelled by ${ADMIN.email}` });
    // Its process is gone, and with it the connection it held.
    await expect.poll(() => collectionPid(runId)).toBeNull();
    expect(() => process.kill(pid, 0)).toThrow();
    await expect.poll(() => endpoint.held.size).toBe(0);
    const audit = await app.query<{ actor_email: string }>(
      `SELECT actor_email FROM audit_event WHERE action = 'collection-cancelled' AND detail->>'runId' = $1`,
      [runId],
    );
    expect(audit.map((a) => a.actor_email)).toEqual([ADMIN.email]);

    // The endpoint answers now (through to libvirtd): the next Collect now runs and collects.
    endpoint.forward(true);
    const collect = sourceRow(page).getByRole("button", { name: "Collect now" });
    await expect.poll(() => collect.isEnabled()).toBe(true);
    await collect.click();
    await expect
      .poll(async () => (await runsOfSource()).map((r) => r.status), { timeout: 120_000 })
      .toEqual(["failed", "succeeded"]);
    await history.getByText("Succeeded", { exact: true }).waitFor();
    const [hosts] = await app.query<{ n: string }>(`SELECT count(*) AS n FROM host WHERE source_id = $1`, [sourceId]);
    expect(Number(hosts!.n)).toBe(1);
    // The cancelled run was not retried.
    expect((await runsOfSource()).map((r) => r.trigger)).toEqual(["manual", "manual"]);
    expect(pageErrors).toEqual([]);
  }, 300_000);

  it("shows a viewer the running run without a Cancel", async () => {
    endpoint.forward(false);
    await sourceRow(page).getByRole("button", { name: "Collect now" }).click();
    const runId = await newRunning(2);

    const viewer = await viewerContext.newPage();
    await signIn(viewer, app.baseUrl, VIEWER.email, VIEWER.password);
    const history = await openRuns(viewer);
    await history.getByText("Running", { exact: true }).waitFor();
    expect(await history.getByRole("button", { name: /^Cancel/ }).count()).toBe(0);
    expect(await sourceRow(viewer).getByRole("button", { name: "Collect now" }).count()).toBe(0);

    // The administrator still can (and the hung run does not outlive the test).
    const adminHistory = page.locator(`#runs-${sourceId}`);
    await adminHistory.getByRole("button", { name: "Cancel the running run" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Cancel collection" }).click();
    await expect.poll(async () => (await runsOfSource()).find((r) => r.id === runId)?.status).toBe("failed");
    await expect.poll(() => collectionPid(runId)).toBeNull();
    // The viewer's page follows: the run ended, still no Cancel.
    await history.getByText(`cancelled by ${ADMIN.email}`, { exact: true }).waitFor({ timeout: 30_000 });
    expect(await history.getByRole("button", { name: /^Cancel/ }).count()).toBe(0);
  }, 300_000);
});

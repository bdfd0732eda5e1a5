/**
 * What a person sees: Fleetlens started as `npm start` starts it (fresh data dir, embedded
 * PostgreSQL, demo fleet, production build), opened in Chromium. Figures on the pages are compared
 * with the database the app itself wrote.
 */
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_CUSTOMERS } from "../../server/collectors/demo/fleet";
import { formatCount, formatMiB } from "../../components/format";
import { ADMIN, launchBrowser, signIn, startApp, type RunningApp, watchedPage } from "./harness";

const screenshots = path.join(process.cwd(), "test-results");
let app: RunningApp;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  app = await startApp();
  browser = await launchBrowser();
  page = await watchedPage(browser, pageErrors);
  await fs.mkdir(screenshots, { recursive: true });
  await signIn(page, app.baseUrl, ADMIN.email, ADMIN.password);
});

afterAll(async () => {
  await browser?.close();
  if (app) await app.stop();
});

interface CustomerCounts {
  id: string;
  name: string;
  vms: number;
  containers: number;
  hosts: number;
}

const customerCounts = () =>
  app.query<CustomerCounts>(
    `SELECT c.id, c.name,
            (SELECT count(*) FROM virtual_machine v JOIN source s ON s.id = v.source_id WHERE s.customer_id = c.id)::int AS vms,
            (SELECT count(*) FROM container x JOIN source s ON s.id = x.source_id WHERE s.customer_id = c.id)::int AS containers,
            (SELECT count(*) FROM host h JOIN source s ON s.id = h.source_id WHERE s.customer_id = c.id)::int AS hosts
       FROM customer c ORDER BY c.name`,
  );

describe("Fleetlens in a browser", () => {
  it("shows the fleet overview: every demo customer with its counts and collection status", async () => {
    await page.goto(`${app.baseUrl}/`);
    await page.getByRole("heading", { name: "Fleet", exact: true, level: 1 }).waitFor();
    const customers = await customerCounts();
    expect(customers.map((c) => c.name).sort()).toEqual(DEMO_CUSTOMERS.map((c) => c.name).sort());
    for (const customer of customers) {
      const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: customer.name }) });
      await row.waitFor();
      const text = await row.innerText();
      expect(text, customer.name).toContain(formatCount(customer.vms));
      expect(text, customer.name).toContain(formatCount(customer.containers));
      expect(text, customer.name).toContain("Collected");
      expect(text, customer.name).toContain("Demo");
    }
    const totalVms = customers.reduce((sum, c) => sum + c.vms, 0);
    await expect(page.getByText(formatCount(totalVms), { exact: true }).first().isVisible()).resolves.toBe(true);
    await expect(page.getByText("This is demo data").isVisible()).resolves.toBe(true);
    await page.screenshot({ path: path.join(screenshots, "overview.png"), fullPage: true });
  });

  it("opens a customer and pages and sorts its virtual machines on the server", async () => {
    const biggest = (await customerCounts()).sort((a, b) => b.vms - a.vms)[0]!;
    await page.getByRole("link", { name: biggest.name }).click();
    await page.waitForURL(`**/customers/${biggest.id}**`);
    await page.getByRole("heading", { name: biggest.name, level: 1 }).waitFor();

    await page.getByRole("tab", { name: /Virtual machines/ }).click();
    await page.getByText(`Rows 1–25 of ${formatCount(biggest.vms)}`).waitFor();
    await page.getByRole("button", { name: /Next/ }).click();
    await page.getByText(`Rows 26–50 of ${formatCount(biggest.vms)}`).waitFor();

    // Sorting by memory, largest first, puts the customer's largest VM on top.
    const [largest] = await app.query<{ memory_mib: number }>(
      `SELECT max(v.memory_mib) AS memory_mib FROM virtual_machine v JOIN source s ON s.id = v.source_id WHERE s.customer_id = $1`,
      [biggest.id],
    );
    const memoryHeader = page.getByRole("columnheader", { name: /Memory/ }).first();
    await memoryHeader.getByRole("button").click();
    if ((await memoryHeader.getAttribute("aria-sort")) !== "descending") await memoryHeader.getByRole("button").click();
    await expect.poll(() => memoryHeader.getAttribute("aria-sort")).toBe("descending");
    await page.getByText(`Rows 1–25 of ${formatCount(biggest.vms)}`).waitFor();
    const firstRow = page.getByRole("row").nth(1);
    await expect.poll(() => firstRow.innerText()).toContain(formatMiB(largest!.memory_mib));

    // Searching narrows on the server.
    const [one] = await app.query<{ name: string }>(
      `SELECT v.name FROM virtual_machine v JOIN source s ON s.id = v.source_id WHERE s.customer_id = $1 ORDER BY v.name LIMIT 1`,
      [biggest.id],
    );
    await page.getByRole("searchbox").first().fill(one!.name);
    await page.getByText(/Rows 1–\d+ of \d+/).filter({ hasNotText: formatCount(biggest.vms) }).waitFor();
    await expect(page.getByRole("cell", { name: one!.name, exact: true }).first().isVisible()).resolves.toBe(true);
    await page.getByRole("searchbox").first().fill("");

    await page.getByRole("tab", { name: /Containers/ }).click();
    await page.getByText(`of ${formatCount(biggest.containers)}`).first().waitFor();
    await page.getByRole("tab", { name: /Virtual machines/ }).click();
    await page.screenshot({ path: path.join(screenshots, "customer.png"), fullPage: false });
  });

  it("lists the demo sources with their last collection", async () => {
    await page.goto(`${app.baseUrl}/sources`);
    await page.getByRole("heading", { name: "Sources", level: 1 }).waitFor();
    const rows = page.getByRole("row").filter({ hasText: "demo:" });
    await expect.poll(() => rows.count()).toBe(DEMO_CUSTOMERS.length);
    for (const text of await rows.allInnerTexts()) expect(text).toContain("Collected");
    await page.screenshot({ path: path.join(screenshots, "sources.png"), fullPage: true });
  });

  it("removes the demo data when asked, and shows how to start", async () => {
    await page.goto(`${app.baseUrl}/`);
    await page.getByRole("button", { name: "Remove demo data" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Remove demo data" }).click();
    await page.getByText("No customers yet").waitFor();
    expect((await customerCounts()).length).toBe(0);
    await expect(page.getByRole("link", { name: /Add your first source/ }).isVisible()).resolves.toBe(true);
  });

  it("adds a first source, collects it, and shows why the collection failed", async () => {
    await page.getByRole("link", { name: /Add your first source/ }).click();
    await page.waitForURL("**/sources**");
    const form = page.locator("form");
    await form.getByLabel("Customer", { exact: true }).selectOption({ label: "New customer…" });
    await form.getByLabel("New customer name").fill("Contoso Ltd");
    await form.getByLabel("Kind").selectOption("docker");
    await form.getByLabel("Source name").fill("docker01");
    // Nothing listens on this port: the collection must fail and say why.
    await form.getByLabel("Endpoint").fill("tcp://127.0.0.1:9");
    await form.getByLabel("Password or token").fill("s3cret-token");
    await form.getByLabel("Tenant label").fill("customer");
    await form.getByRole("button", { name: "Add source" }).click();

    const row = page
      .getByRole("row")
      .filter({ hasText: "tcp://127.0.0.1:9" })
      .filter({ has: page.getByRole("button", { name: "Collect now" }) });
    await row.waitFor();
    expect(await row.innerText()).toContain("Never collected");
    await row.getByRole("button", { name: "Collect now" }).click();
    // The engine cannot be reached: the error is shown in full, in words.
    await page.getByText(/connection refused/).first().waitFor();
    await expect.poll(() => row.innerText()).toContain("Failed");

    // The secret is write-only: the edit form says one is stored, and the page never holds it.
    await row.getByRole("button", { name: "Edit" }).click();
    await page.locator("form").getByText("Secret stored").waitFor();
    expect(await page.content()).not.toContain("s3cret-token");
    const [stored] = await app.query<{ secret: Buffer; options: Record<string, unknown> }>(`SELECT secret, options FROM source WHERE name = 'docker01'`);
    expect(stored!.secret.toString("latin1")).not.toContain("s3cret-token");
    // The collector's settings are saved as the source's options, and shown again for editing.
    expect(stored!.options).toEqual({ tenantLabel: "customer" });
    expect(await page.locator("form").getByLabel("Tenant label").inputValue()).toBe("customer");
  });

  it("showed no errors in the browser", () => {
    expect(pageErrors).toEqual([]);
  });

  it("stops cleanly on SIGTERM, PostgreSQL included", async () => {
    const code = await app.stop();
    expect(code, app.output()).toBe(0);
    expect(existsSync(path.join(app.dataDir, "postgres", "postmaster.pid"))).toBe(false);
    app = undefined as unknown as RunningApp;
  });
});

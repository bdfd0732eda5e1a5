/**
 * A customer whose lists are longer than a page, in Chromium: the Isolation tab's hosts posture and
 * the Density tab's hosts (chart and table) show the first SUMMARY_PAGE rows that came with the
 * summary, say which rows of how many, and page through the rest (analysis.list) in the list's own
 * order; the answer the page reads first stays small.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatCount } from "../../components/format";
import { analyseCustomer, customerAnalysis } from "../../server/analysis/stored";
import { listPage, SUMMARY_PAGE } from "../../server/analysis/views";
import { generateFleetSnapshot } from "../../server/collectors/demo/fleet";
import { connect } from "../../server/db/client";
import { applySnapshot } from "../../server/inventory/ingest";
import { ADMIN, launchBrowser, signIn, startApp, type RunningApp, watchedPage } from "./harness";

const screenshots = path.join(process.cwd(), "test-results");
let app: RunningApp;
let browser: Browser;
let page: Page;
let customerId: string;
let isolationHosts: string[];
let densityHosts: string[];
const pageErrors: string[] = [];

beforeAll(async () => {
  app = await startApp();
  const [customer] = await app.query<{ id: string }>(`INSERT INTO customer (name) VALUES ('Contoso Hosting') RETURNING id`);
  const [source] = await app.query<{ id: string }>(
    `INSERT INTO source (customer_id, kind, name, endpoint, enabled) VALUES ($1, 'demo', 'generated', 'demo:generated', false) RETURNING id`,
    [customer!.id],
  );
  customerId = customer!.id;
  // What a collection and its analysis job leave behind, for a fleet of a few hundred hosts.
  const database = connect(app.databaseUrl, { max: 2 });
  try {
    await applySnapshot(source!.id, generateFleetSnapshot({ seed: 11, vms: 4000, containers: 12_000 }), { database });
    await analyseCustomer(database, customerId);
    const { analysis } = await customerAnalysis(database, customerId);
    isolationHosts = listPage(analysis, "isolationHosts", 0, Number.MAX_SAFE_INTEGER).rows.map((h) => h.hostName);
    densityHosts = listPage(analysis, "densityHosts", 0, Number.MAX_SAFE_INTEGER).rows.map((h) => h.hostName);
  } finally {
    await database.close();
  }
  await fs.mkdir(screenshots, { recursive: true });
  browser = await launchBrowser();
  page = await watchedPage(browser, pageErrors);
  await signIn(page, app.baseUrl, ADMIN.email, ADMIN.password);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  if (app) await app.stop();
});

async function openTab(tab: string) {
  await page.goto(`${app.baseUrl}/customers/${customerId}?tab=${tab.toLowerCase()}`);
  await page.getByRole("heading", { name: "Contoso Hosting", exact: true, level: 1 }).waitFor();
}

const rowHeaders = (table: RegExp) => page.getByRole("table", { name: table }).locator("tbody tr th");

describe("lists longer than a page", () => {
  it("Isolation: hosts posture pages through every host, weakest first", async () => {
    expect(isolationHosts.length).toBeGreaterThan(2 * SUMMARY_PAGE);
    await openTab("Isolation");
    const names = rowHeaders(/^Posture of each container host$/);
    await expect.poll(() => names.count()).toBe(SUMMARY_PAGE);
    expect(await names.allInnerTexts()).toEqual(isolationHosts.slice(0, SUMMARY_PAGE));
    const status = page.getByText(`Hosts 1–${SUMMARY_PAGE} of ${formatCount(isolationHosts.length)}`, { exact: true });
    await status.waitFor();

    const section = page.locator("section", { has: page.getByRole("heading", { name: "Hosts posture" }) });
    await section.getByRole("button", { name: /Next/ }).click();
    await page.getByText(`Hosts ${SUMMARY_PAGE + 1}–${2 * SUMMARY_PAGE} of ${formatCount(isolationHosts.length)}`, { exact: true }).waitFor();
    await expect.poll(() => names.allInnerTexts()).toEqual(isolationHosts.slice(SUMMARY_PAGE, 2 * SUMMARY_PAGE));
    await section.getByRole("button", { name: /Previous/ }).click();
    await status.waitFor();
    await expect.poll(() => names.first().innerText()).toBe(isolationHosts[0]);
    await section.evaluate((el) => el.scrollIntoView({ block: "end" }));
    await page.screenshot({ path: path.join(screenshots, "analysis-isolation-hosts-paged.png"), fullPage: false });
  });

  it("Density: the chart and the table show the same page of hosts", async () => {
    expect(densityHosts.length).toBeGreaterThan(SUMMARY_PAGE);
    await openTab("Density");
    const chart = page.getByRole("figure", { name: /vCPU:pCore and vRAM:pRAM per physical host/ });
    await chart.locator("svg.recharts-surface").first().waitFor();
    const names = rowHeaders(/Density per physical host/);
    await expect.poll(() => names.count()).toBe(SUMMARY_PAGE);
    expect(await names.allInnerTexts()).toEqual(densityHosts.slice(0, SUMMARY_PAGE));
    const section = page.locator("section", { has: page.getByRole("heading", { name: "Density per physical host" }) });
    await section.getByRole("button", { name: /Next/ }).click();
    const last = Math.min(densityHosts.length, 2 * SUMMARY_PAGE);
    await page.getByText(`Hosts ${SUMMARY_PAGE + 1}–${last} of ${formatCount(densityHosts.length)}`, { exact: true }).waitFor();
    await expect.poll(() => names.allInnerTexts()).toEqual(densityHosts.slice(SUMMARY_PAGE, last));
  });

  it("reads a small summary first and logs no errors", async () => {
    const input = encodeURIComponent(JSON.stringify({ json: { customerId } }));
    const response = await page.request.get(`${app.baseUrl}/api/trpc/analysis.customer?input=${input}`);
    expect(response.status()).toBe(200);
    expect((await response.body()).byteLength).toBeLessThan(200_000);
    expect(pageErrors).toEqual([]);
  });
});

/**
 * The Dependencies tab as a person sees it: Fleetlens started as `npm start` starts it, a shop's
 * VMs and its guests' connections ingested through applySnapshot into the app's own database
 * (tests/fixtures/dependencies.ts), the customer page opened in Chromium. The table lists who talks
 * to whom, the graph draws every workload and outside endpoint, a node reached with Tab says its
 * links, the group filter and the search narrow the table, its columns sort, the CSV carries the same rows, and a
 * customer without guest discovery is told how to get it.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type Database } from "../../server/db/client";
import { applySnapshot } from "../../server/inventory/ingest";
import { dependencyGuestSnapshot, dependencyVmSnapshot, DEPENDENCY_ROWS } from "../fixtures/dependencies";
import { ADMIN, launchBrowser, signIn, startApp, type RunningApp, watchedPage } from "./harness";

const screenshots = path.join(process.cwd(), "test-results");
let app: RunningApp;
let database: Database;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const ids: { shop?: string; bare?: string } = {};

beforeAll(async () => {
  app = await startApp();
  database = connect(app.databaseUrl, { max: 2 });
  const shop = await database.prisma.customer.create({ data: { name: "Dependency Shop" } });
  const bare = await database.prisma.customer.create({ data: { name: "No Guests Ltd" } });
  ids.shop = shop.id;
  ids.bare = bare.id;
  // Disabled: the worker never tries to collect them; their inventory is what the test ingests.
  const vc = await database.prisma.source.create({
    data: { customerId: shop.id, kind: "vsphere", name: "vc", endpoint: "https://vc.shop.example/sdk", enabled: false },
  });
  const guests = await database.prisma.source.create({
    data: { customerId: shop.id, kind: "guest", name: "guests", endpoint: "inventory", username: "root", enabled: false },
  });
  const bareVc = await database.prisma.source.create({
    data: { customerId: bare.id, kind: "vsphere", name: "vc", endpoint: "https://vc.bare.example/sdk", enabled: false },
  });
  await applySnapshot(vc.id, dependencyVmSnapshot(), { database });
  await applySnapshot(guests.id, dependencyGuestSnapshot(), { database });
  await applySnapshot(bareVc.id, dependencyVmSnapshot(), { database });

  browser = await launchBrowser();
  page = await watchedPage(browser, pageErrors);
  await fs.mkdir(screenshots, { recursive: true });
  await signIn(page, app.baseUrl, ADMIN.email, ADMIN.password);
});

afterAll(async () => {
  await browser?.close();
  await database?.close();
  if (app) await app.stop();
});

async function openDependencies(customerId: string, name: string) {
  await page.goto(`${app.baseUrl}/customers/${customerId}`);
  await page.getByRole("heading", { name, exact: true, level: 1 }).waitFor();
  await page.getByRole("tab", { name: "Dependencies", exact: true }).click();
  await page.waitForURL(`**/customers/${customerId}?tab=dependencies`);
}

const table = () => page.getByRole("table", { name: "Dependencies of Dependency Shop" });
const rows = () => table().locator("tbody tr");

describe("Dependencies tab in a browser", () => {
  it("lists who talks to whom: from, to, port, processes, connections", async () => {
    await openDependencies(ids.shop!, "Dependency Shop");
    await expect.poll(() => rows().count()).toBe(DEPENDENCY_ROWS.length);
    const texts = await rows().allInnerTexts();
    for (const row of DEPENDENCY_ROWS) {
      const line = texts.find((t) => t.startsWith(row.from) && t.includes(row.to) && t.includes(`\t${row.port}\t`));
      expect(line, `${row.from} → ${row.to}:${row.port} in ${JSON.stringify(texts)}`).toBeDefined();
      expect(line!.split("\t").map((c) => c.trim())).toContain(String(row.connections));
    }
    const db = texts.find((t) => t.includes("\t5432\t"))!;
    expect(db).toContain("java → postgres");
    // Outside endpoints carry their scope: one public API, one private FTP server.
    expect(texts.find((t) => t.includes("93.184.216.34"))).toContain("public");
    expect(texts.find((t) => t.includes("10.99.0.5"))).toContain("private");
    // The loopback connection is said to be left out, not drawn.
    await expect(page.getByText("1 loopback connection(s) left out (a guest talking to itself)").isVisible()).resolves.toBe(true);
  });

  it("draws every workload and outside endpoint, links labelled with ports", async () => {
    const graph = page.locator("svg[data-dependency-graph]");
    await graph.waitFor();
    const names = await graph.locator("[data-node]").evaluateAll((els) => els.map((e) => e.getAttribute("data-node-name")).sort());
    expect(names).toEqual(["10.99.0.5", "93.184.216.34", "app01", "batch01", "db01", "web01"]);
    expect(await graph.locator('[data-node="outside"]').count()).toBe(2);
    expect(await graph.locator("[data-link]").count()).toBe(DEPENDENCY_ROWS.length);
    expect(await graph.locator('[data-link="app01 db01"] text').textContent()).toBe("5432");
    expect(await graph.locator('[data-link="web01 app01"] text').textContent()).toBe("8080");
    // Every node and link drawn inside the picture (the layout converged, no NaN).
    const box = await graph.locator('[data-node-name="db01"]').boundingBox();
    expect(box && Number.isFinite(box.x) && box.width > 0).toBe(true);
  });

  it("reaches the nodes with Tab, and a focused node says its links", async () => {
    await page.getByLabel("Group", { exact: true }).focus();
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => document.activeElement?.getAttribute("data-node-name") ?? null);
    expect(focused).not.toBeNull();
    // Tab on until db01: its description names app01 as its client on 5432.
    for (let i = 0; i < 6 && (await page.evaluate(() => document.activeElement?.getAttribute("data-node-name"))) !== "db01"; i++) {
      await page.keyboard.press("Tab");
    }
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-node-name"))).toBe("db01");
    const label = await page.evaluate(() => document.activeElement?.getAttribute("aria-label"));
    expect(label).toBe("db01 (group 1): is used by app01 on 5432");
    await expect(page.locator("figcaption", { hasText: "db01 (group 1): is used by app01 on 5432" }).isVisible()).resolves.toBe(true);
    await page.screenshot({ path: path.join(screenshots, "dependencies.png"), fullPage: true });
  });

  it("narrows the table and the graph to a group, and searches", async () => {
    await page.getByLabel("Group", { exact: true }).selectOption({ label: "Group 2 (1 workload)" });
    await expect.poll(() => rows().count()).toBe(1);
    expect(await rows().first().innerText()).toContain("batch01");
    const graph = page.locator("svg[data-dependency-graph]");
    await expect.poll(() => graph.locator("[data-node]").count()).toBe(2);
    await page.getByLabel("Group", { exact: true }).selectOption({ label: "All groups" });
    await page.getByLabel("Search dependencies").fill("postgres");
    await expect.poll(() => rows().count()).toBe(1);
    expect(await rows().first().innerText()).toContain("db01");
  });

  it("sorts by a column, and the header says so", async () => {
    await page.getByLabel("Search dependencies").fill("");
    await expect.poll(() => rows().count()).toBe(DEPENDENCY_ROWS.length);
    const port = table().getByRole("columnheader", { name: "Port" });
    await port.getByRole("button").click();
    expect(await port.getAttribute("aria-sort")).toBe("ascending");
    const ports = async () => (await rows().allInnerTexts()).map((t) => Number(t.split("\t")[2]));
    await expect.poll(ports).toEqual([21, 443, 5432, 8080]);
    await port.getByRole("button").press("Enter");
    expect(await port.getAttribute("aria-sort")).toBe("descending");
    await expect.poll(ports).toEqual([8080, 5432, 443, 21]);
    expect(await table().getByRole("columnheader", { name: "Connections" }).getAttribute("aria-sort")).toBe("none");
  });

  it("exports the same rows as CSV", async () => {
    const href = await page.getByRole("link", { name: "Export CSV" }).getAttribute("href");
    expect(href).toBe(`/api/export/${ids.shop}/dependencies`);
    const response = await page.request.get(`${app.baseUrl}${href}`);
    expect(response.status()).toBe(200);
    const lines = (await response.text()).replace(/^\uFEFF/, "").trim().split(/\r?\n/);
    expect(lines[0]).toBe("From,From kind,To,To kind,Port,Protocol,Client processes,Server processes,Connections,Group");
    expect(lines).toHaveLength(DEPENDENCY_ROWS.length + 1);
    expect(lines).toContain("app01,virtual machine,db01,virtual machine,5432,tcp,java,postgres,2,1");
  });

  it("tells a customer without guest discovery how to get it", async () => {
    await openDependencies(ids.bare!, "No Guests Ltd");
    await page.getByText("No guest discovery yet: add a Linux guests (ssh) source to see who talks to whom.").waitFor();
    expect(await page.locator("svg[data-dependency-graph]").count()).toBe(0);
  });

  it("raised no error in the page", () => {
    expect(pageErrors).toEqual([]);
  });
});

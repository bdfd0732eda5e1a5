/**
 * The customer page's tables in a browser: a person hides a column (with the keyboard), the choice
 * survives a reload, the Export menu's CSV and Excel links carry the filter, sort and shown columns,
 * and the workbook downloaded through the signed-in session holds exactly the rows on screen without
 * the hidden column. A viewer chooses columns too but is offered no export.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../../server/auth/users";
import { readXlsx } from "../../server/collectors/rvtools/xlsx";
import { ZIP_LIMITS } from "../../server/collectors/rvtools/zip";
import { connect, type Database } from "../../server/db/client";
import { applySnapshot } from "../../server/inventory/ingest";
import { smallSnapshot } from "../fixtures/snapshots";
import { ADMIN, launchBrowser, signIn, startApp, type RunningApp } from "./harness";

const screenshots = path.join(process.cwd(), "test-results");
let app: RunningApp;
let database: Database;
let browser: Browser;
let page: Page;
let customerId: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  app = await startApp();
  database = connect(app.databaseUrl, { max: 2 });
  const customer = await database.prisma.customer.create({ data: { name: "Export Co" } });
  customerId = customer.id;
  const source = await database.prisma.source.create({ data: { customerId, kind: "vsphere", name: "vc", endpoint: "https://vc.export.example/sdk", enabled: false } });
  const snapshot = smallSnapshot({ vms: 12, containers: 3 });
  snapshot.virtualMachines = (snapshot.virtualMachines ?? []).map((vm, i) => ({
    ...vm,
    powerState: i % 3 === 0 ? ("poweredOff" as const) : ("poweredOn" as const),
    cluster: `cluster-${i % 2}`,
    name: i === 3 ? "=cmd|' /C calc'!A0" : vm.name,
  }));
  await applySnapshot(source.id, snapshot, { database });
  await createUser(database, { email: "vera@example.com", name: "Vera Viewer", password: "viewer-password-1", role: "viewer", allCustomers: false, customerIds: [customerId] });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await fs.mkdir(screenshots, { recursive: true });
  await signIn(page, app.baseUrl, ADMIN.email, ADMIN.password);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await database?.close();
  if (app) await app.stop();
});

const vmTable = (p: Page = page) => p.getByRole("table", { name: "Virtual machines of Export Co" });
const headers = (p: Page = page) => vmTable(p).locator("thead th").allInnerTexts();

async function openVms(p: Page = page) {
  await p.goto(`${app.baseUrl}/customers/${customerId}?tab=vms`);
  await p.getByRole("heading", { name: "Export Co", exact: true, level: 1 }).waitFor();
  await expect.poll(() => vmTable(p).locator("tbody tr").count()).toBe(12);
}

describe("column chooser and export menu", () => {
  it("hides a column with the keyboard, and keeps it hidden after a reload", async () => {
    await openVms();
    expect((await headers()).map((h) => h.trim())).toContain("Cluster");
    const summary = page.locator("[data-column-chooser] summary");
    await summary.focus();
    await page.keyboard.press("Enter");
    const cluster = page.getByRole("checkbox", { name: "Cluster", exact: true });
    await cluster.focus();
    await page.keyboard.press("Space");
    await expect.poll(async () => (await headers()).map((h) => h.trim())).not.toContain("Cluster");
    expect(await summary.innerText()).toMatch(/Columns\s*\(1 hidden\)/);
    await page.keyboard.press("Escape");
    expect(await page.locator("[data-column-chooser]").getAttribute("open")).toBeNull();
    await openVms();
    expect((await headers()).map((h) => h.trim())).not.toContain("Cluster");
  });

  it("offers CSV and Excel with the filter, sort and shown columns, and the workbook holds the rows on screen", async () => {
    await page.getByRole("combobox", { name: "Power" }).selectOption({ label: "Powered off" });
    await expect.poll(() => vmTable().locator("tbody tr").count()).toBe(4);
    await vmTable().getByRole("button", { name: "vCPUs" }).click();
    await page.locator("[data-export-menu] summary").click();
    const xlsx = page.getByRole("link", { name: /Excel \(\.xlsx\)/ });
    const csv = page.getByRole("link", { name: /^CSV/ });
    const href = (await xlsx.getAttribute("href"))!;
    const query = new URL(href, app.baseUrl).searchParams;
    expect(new URL(href, app.baseUrl).pathname).toBe(`/api/export/${customerId}/vms`);
    expect(Object.fromEntries(query)).toMatchObject({ format: "xlsx", powerState: "poweredOff", sort: "vcpus", columns: "name,powerState,vcpus,memoryMiB,provisionedMiB,guestOsConfigured,host,snapshotCount" });
    expect(new URL((await csv.getAttribute("href"))!, app.baseUrl).searchParams.get("format")).toBe("csv");
    await page.screenshot({ path: path.join(screenshots, "table-export.png"), fullPage: false });
    // A click outside closes the menu.
    await page.getByRole("heading", { name: "Export Co", exact: true, level: 1 }).click();
    await expect.poll(() => page.locator("[data-export-menu]").getAttribute("open")).toBeNull();

    const response = await page.request.get(`${app.baseUrl}${href}`);
    expect(response.status()).toBe(200);
    const file = path.join(screenshots, "export-e2e.xlsx");
    await fs.writeFile(file, await response.body());
    const book = await readXlsx(file, ZIP_LIMITS);
    try {
      const tab = book.tabs[0]!;
      expect(tab.header).not.toContain("Cluster");
      expect(tab.header.slice(0, 2)).toEqual(["Virtual machine", "Template"]);
      const names: string[] = [];
      for await (const row of tab.rows) names.push(String(row.cells[0]));
      const onScreen = await vmTable().locator("tbody tr td:first-child").allInnerTexts();
      expect(names).toEqual(onScreen.map((text) => text.split("\n")[0]!.trim()));
      expect(names).toContain("=cmd|' /C calc'!A0");
    } finally {
      await book.close();
      await fs.rm(file, { force: true });
    }
    expect(pageErrors).toEqual([]);
  });

  it("offers a viewer the column chooser but no export", async () => {
    const viewer = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    try {
      await signIn(viewer, app.baseUrl, "vera@example.com", "viewer-password-1");
      await openVms(viewer);
      expect(await viewer.locator("[data-column-chooser]").count()).toBe(1);
      expect(await viewer.locator("[data-export-menu]").count()).toBe(0);
      const direct = await viewer.request.get(`${app.baseUrl}/api/export/${customerId}/vms?format=xlsx`);
      expect(direct.status()).toBe(403);
    } finally {
      await viewer.close();
    }
  });
});

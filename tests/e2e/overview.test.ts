/**
 * The fleet overview for managers in a browser, on the demo fleet (Fleetlens started as `npm start`
 * starts it): the KPI tiles show the server's figures (fleet.kpis, read over HTTP with the page's
 * session, and the inventory counted here in SQL); each customer row has its sparklines and its
 * sources' collection health; Tab reaches the tiles' links and one leads to the analysis per
 * customer; dark mode renders dark (prefers-color-scheme emulated); a viewer with no customer meets
 * the first-run message.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatGiB, formatRatio } from "../../components/analysis/format";
import { formatCount } from "../../components/format";
import { customerHref } from "../../components/links";
import { isMove, type VerdictValue } from "../../server/analysis/labels";

import { createUser } from "../../server/auth/users";
import { connect, type Database } from "../../server/db/client";
import { ADMIN, launchBrowser, signIn, startApp, type RunningApp } from "./harness";

const screenshots = path.join(process.cwd(), "test-results");
let app: RunningApp;
let database: Database;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  app = await startApp();
  database = connect(app.databaseUrl, { max: 2 });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await fs.mkdir(screenshots, { recursive: true });
  await signIn(page, app.baseUrl, ADMIN.email, ADMIN.password);
});

afterAll(async () => {
  await browser?.close();
  await database?.close();
  if (app) await app.stop();
});

/** A procedure's answer as the page's session gets it. */
async function procedure<T>(name: string): Promise<T> {
  const body = await page.evaluate(async (url) => (await fetch(url)).json(), `${app.baseUrl}/api/trpc/${name}`);
  return superjson.deserialize((body as { result: { data: Parameters<typeof superjson.deserialize>[0] } }).result.data) as T;
}

interface Kpis {
  customers: number;
  hosts: number;
  virtualMachines: number;
  containers: number;
  vcpuPerCore: number | null;
  reclaimMemoryMiB: number;
  vmsMeasured: number;
  critical: number;
  verdicts: Record<string, number>;
  plansInProgress: number;
  byCustomer: { customerId: string; name: string; reclaimMemoryMiB: number }[];
}

const tileValue = (id: string) => page.locator(`[data-kpi="${id}"] [data-kpi-value]`);

/** The demo fleet counted here, not by the app. */
async function counted() {
  const [row] = await app.query<{ customers: number; hosts: number; vms: number; containers: number; vcpus: number; cores: number }>(
    `SELECT (SELECT count(*) FROM customer)::int AS customers,
            (SELECT count(*) FROM host)::int AS hosts,
            (SELECT count(*) FROM virtual_machine)::int AS vms,
            (SELECT count(*) FROM container)::int AS containers,
            (SELECT coalesce(sum(vcpus), 0) FROM virtual_machine WHERE power_state = 'poweredOn' AND NOT template)::int AS vcpus,
            (SELECT coalesce(sum(cpu_cores), 0) FROM host WHERE role = 'hypervisor' OR vm_id IS NULL)::int AS cores`,
  );
  return row!;
}

describe("the fleet overview in a browser", () => {
  it("tiles show the server's figures, each with what it counts", async () => {
    await page.goto(`${app.baseUrl}/`);
    await expect.poll(() => tileValue("criticalFindings").innerText(), { timeout: 60_000 }).toMatch(/^\d[\d,]*$/);
    const kpis = await procedure<Kpis>("fleet.kpis");
    const sql = await counted();
    expect(kpis.virtualMachines).toBe(sql.vms);
    expect(kpis.hosts).toBe(sql.hosts);
    expect(await tileValue("customers").innerText()).toBe(formatCount(sql.customers));
    expect(await tileValue("hosts").innerText()).toBe(formatCount(sql.hosts));
    expect(await tileValue("virtualMachines").innerText()).toBe(formatCount(sql.vms));
    expect(await tileValue("containers").innerText()).toBe(formatCount(sql.containers));
    expect(await tileValue("vcpuPerCore").innerText()).toBe(formatRatio(Math.round((sql.vcpus / sql.cores) * 100) / 100));
    expect(await tileValue("ramReclaimable").innerText()).toBe(kpis.vmsMeasured > 0 ? formatGiB(kpis.reclaimMemoryMiB) : "Not measured");
    expect(await tileValue("criticalFindings").innerText()).toBe(formatCount(kpis.critical));
    // Every verdict that moves a workload: to a container, a system container or Kata.
    const moving = Object.entries(kpis.verdicts).filter(([v]) => isMove(v as VerdictValue)).reduce((n, [, count]) => n + count, 0);
    expect(Object.keys(kpis.verdicts).filter((v) => isMove(v as VerdictValue)).sort()).toEqual(["to-container", "to-kata", "to-system-container"]);
    expect(await tileValue("candidates").innerText()).toBe(formatCount(moving));
    for (const [verdict, n] of Object.entries(kpis.verdicts)) {
      expect(await page.locator(`[data-kpi="candidates"] [data-verdict="${verdict}"]`).innerText()).toBe(formatCount(n));
    }
    expect(await tileValue("plansInProgress").innerText()).toBe(formatCount(kpis.plansInProgress));
    // The tile names the customer with the most reclaimable RAM and links to its Utilisation tab.
    const top = [...kpis.byCustomer].sort((x, y) => y.reclaimMemoryMiB - x.reclaimMemoryMiB)[0]!;
    const ram = page.locator('[data-kpi="ramReclaimable"]');
    expect(await ram.innerText()).toContain(`Most: ${top.name}`);
    expect(await ram.getByRole("link", { name: "Utilisation tab" }).getAttribute("href")).toBe(customerHref(top.customerId, "utilisation"));
    // Each tile says what it counts.
    expect(await page.locator('[data-kpi="vcpuPerCore"]').innerText()).toContain("Powered-on VMs' vCPUs over the physical hosts' cores");
    // The demo sources were collected at start: all ok.
    const [sources] = await app.query<{ n: number }>(`SELECT count(*)::int AS n FROM source WHERE enabled`);
    await expect.poll(() => tileValue("collectionHealth").innerText()).toBe(`${formatCount(sources!.n)} of ${formatCount(sources!.n)} ok`);
  });

  it("each customer row has its trend sparklines and its sources' collection health", async () => {
    const [customer] = await app.query<{ id: string; name: string; source: string }>(
      `SELECT c.id, c.name, s.name AS source FROM customer c JOIN source s ON s.customer_id = c.id ORDER BY c.name LIMIT 1`,
    );
    const row = page.locator(`tr[data-customer-row="${customer!.id}"]`);
    await expect.poll(() => row.locator("[data-sparkline]").count(), { timeout: 30_000 }).toBe(3);
    for (const figure of ["Virtual machines", "vCPU:pCore", "Critical findings"]) {
      expect(await row.locator(`[data-sparkline="${figure} of ${customer!.name}, per day"]`).count()).toBe(1);
    }
    const health = row.locator("[data-customer-health]");
    expect(await health.getAttribute("data-customer-health")).toBe("ok");
    const text = await health.innerText();
    expect(text).toContain("Collected");
    expect(text).toContain(customer!.source);
    expect(text).toMatch(/last .*ago|last just now/);
  });

  it("a failed collection shows on the customer's row and in the health tile", async () => {
    const [source] = await app.query<{ id: string; customer_id: string }>(
      `SELECT s.id, s.customer_id FROM source s JOIN customer c ON c.id = s.customer_id ORDER BY c.name DESC LIMIT 1`,
    );
    await app.query(
      `INSERT INTO collection_run (source_id, status, started_at, finished_at, error) VALUES ($1, 'failed', now(), now(), 'connection refused')`,
      [source!.id],
    );
    await page.reload();
    const health = page.locator(`tr[data-customer-row="${source!.customer_id}"] [data-customer-health]`);
    await expect.poll(() => health.getAttribute("data-customer-health"), { timeout: 30_000 }).toBe("failed");
    expect(await health.innerText()).toContain("Failed");
    await expect.poll(() => page.locator('[data-kpi="collectionHealth"] [data-health="failed"]').innerText()).toBe("1 failing");
  });

  it("Tab reaches the tiles' links, and one opens the analysis per customer", async () => {
    await page.getByRole("heading", { name: "Fleet", exact: true, level: 1 }).click();
    const reached: string[] = [];
    for (let i = 0; i < 40 && !reached.includes("Density per customer"); i++) {
      await page.keyboard.press("Tab");
      const link = await page.evaluate(() => {
        const el = document.activeElement;
        return el?.closest("[data-kpi]") && el.tagName === "A" ? (el.textContent ?? "") : null;
      });
      if (link) reached.push(link);
    }
    expect(reached.slice(0, 2)).toEqual(["Customer list", "Per customer"]);
    expect(reached).toContain("Density per customer");
    await page.keyboard.press("Enter");
    await page.waitForURL("**/?view=analysis#customers");
    await page.getByRole("table", { name: "Analysis per customer" }).waitFor();
    expect(await page.getByRole("button", { name: "Analysis", pressed: true }).count()).toBe(1);
  });

  it("renders dark when the system asks for it", async () => {
    await page.goto(`${app.baseUrl}/`);
    await tileValue("hosts").filter({ hasText: /^\d/ }).waitFor();
    const colours = () =>
      page.evaluate(() => {
        const tile = document.querySelector('[data-kpi="hosts"]')!;
        const value = tile.querySelector("[data-kpi-value]")!;
        return [getComputedStyle(document.body).backgroundColor, getComputedStyle(tile).backgroundColor, getComputedStyle(value).color];
      });
    const light = await colours();
    // Every sparkline drawn (Recharts loads lazily) before the picture.
    await page.locator("tr[data-customer-row] [data-sparkline]").first().waitFor();
    await expect.poll(async () => (await page.locator("[data-sparkline]").count()) - (await page.locator("[data-sparkline]:has(svg path)").count())).toBe(0);
    await page.screenshot({ path: path.join(screenshots, "overview.png"), fullPage: true });
    await page.emulateMedia({ colorScheme: "dark" });
    await expect.poll(colours).not.toEqual(light);
    const dark = await colours();
    // Chromium writes the computed colour as rgb(), lab() or oklch(); each one's lightness says dark or light.
    const isDark = (colour: string) => {
      const [fn, first, percent] = /^(\w+)\(\s*([\d.]+)(%?)/.exec(colour)?.slice(1, 4) ?? [];
      const value = Number(first);
      if (fn === "oklch" || fn === "oklab") return percent ? value < 40 : value < 0.4;
      if (fn === "lab" || fn === "lch") return value < 40;
      const rgb = (/rgba?\(([^)]*)\)/.exec(colour)?.[1] ?? "").split(/[ ,/]+/).slice(0, 3).map(Number);
      return rgb.reduce((a, b) => a + b, 0) / 3 < 100;
    };
    expect(isDark(dark[0]!), dark[0]).toBe(true);
    expect(isDark(dark[1]!), dark[1]).toBe(true);
    expect(isDark(dark[2]!), dark[2]).toBe(false);
    expect(isDark(light[0]!), light[0]).toBe(false);
    // Buttons fade their colours (transition-colors): let them settle before the picture.
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(screenshots, "overview-dark.png"), fullPage: true });
    await page.emulateMedia({ colorScheme: "light" });
  });

  it("a viewer of no customer meets the first-run message linking to Sources", async () => {
    await createUser(database, { email: "nobody@example.com", name: "Nobody", password: "long-enough-password", role: "viewer", allCustomers: false, customerIds: [] });
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const other = await context.newPage();
    await signIn(other, app.baseUrl, "nobody@example.com", "long-enough-password");
    await other.getByText("No customers yet").waitFor();
    expect(await other.getByRole("link", { name: "Add your first source" }).getAttribute("href")).toBe("/sources");
    expect(await other.locator("[data-kpi]").count()).toBe(0);
    await context.close();
    expect(pageErrors).toEqual([]);
  });
});

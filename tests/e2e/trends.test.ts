/**
 * Trends in a browser: the demo seed's history drawn as sparklines on the Fleet page and in the
 * customer page's Trends section, each naming its first and last value with their dates (compared
 * with the rows the app wrote), reachable with Tab; and a customer with one collection says the
 * trend comes after the next.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatCount } from "../../components/format";
import { formatTrendDate } from "../../components/trends/TrendSparkline";
import { ADMIN, launchBrowser, signIn, startApp, type RunningApp } from "./harness";

const screenshots = path.join(process.cwd(), "test-results");
let app: RunningApp;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  app = await startApp();
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await fs.mkdir(screenshots, { recursive: true });
  await signIn(page, app.baseUrl, ADMIN.email, ADMIN.password);
});

afterAll(async () => {
  await browser?.close();
  if (app) await app.stop();
});

interface Row {
  at: Date;
  virtual_machines: number;
  physical_hosts: number;
  demo: boolean;
}

const trendRows = (customer: string) =>
  app.query<Row>(
    `SELECT t.at, t.virtual_machines, t.physical_hosts, t.demo FROM customer_trend t JOIN customer c ON c.id = t.customer_id
      WHERE c.name = $1 ORDER BY t.at`,
    [customer],
  );

describe("trends in a browser", () => {
  it("the Fleet page draws each customer's VMs per day, named by its first and last value", async () => {
    await page.goto(`${app.baseUrl}/`);
    const rows = await trendRows("Northwind Traders");
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.filter((r) => r.demo).length).toBe(rows.length - 1);
    const first = rows[0]!;
    const last = rows.at(-1)!;
    const name =
      `Virtual machines of Northwind Traders, per day: ${formatCount(first.virtual_machines)} on ${formatTrendDate(first.at)}, ` +
      `${formatCount(last.virtual_machines)} on ${formatTrendDate(last.at)} (${rows.length} points)`;
    const spark = page.getByRole("img", { name, exact: true });
    await spark.waitFor();
    await expect.poll(() => spark.locator("svg path").count()).toBeGreaterThan(0);
    // The fleet tiles too: the fleet's VMs per day end at the sum of every customer's newest.
    const newest = await app.query<{ vms: number }>(
      `SELECT sum(virtual_machines)::int AS vms FROM (SELECT DISTINCT ON (customer_id) virtual_machines FROM customer_trend ORDER BY customer_id, at DESC) n`,
    );
    const fleetVms = page.locator('[data-sparkline="Virtual machines, fleet, per day"]');
    await expect.poll(() => fleetVms.getAttribute("aria-label")).toContain(`, ${formatCount(newest[0]!.vms)} on ${formatTrendDate(last.at)}`);
    await page.screenshot({ path: path.join(screenshots, "trends-fleet.png"), fullPage: true });
  });

  it("the customer page's Trends: six figures with their latest value and change, each sparkline reached by Tab", async () => {
    await page.getByRole("link", { name: "Northwind Traders" }).click();
    const section = page.getByRole("region", { name: "Trends" });
    await section.waitFor();
    await expect.poll(() => section.locator("[data-sparkline]").count()).toBe(6);
    expect(await section.getByText("Includes demo history").isVisible()).toBe(true);
    const rows = await trendRows("Northwind Traders");
    const last = rows.at(-1)!;
    const hosts = section.getByRole("img", { name: /^Hosts: / });
    expect(await hosts.getAttribute("aria-label")).toBe(
      `Hosts: ${formatCount(rows[0]!.physical_hosts)} on ${formatTrendDate(rows[0]!.at)}, ${formatCount(last.physical_hosts)} on ${formatTrendDate(last.at)} (${rows.length} points)`,
    );
    // Near miss: the VMs' change is last − first, signed.
    const delta = last.virtual_machines - rows[0]!.virtual_machines;
    const vmsCell = section.locator("div", { has: page.locator('[data-sparkline="Virtual machines"]') }).last();
    const text = await vmsCell.innerText();
    expect(text).toContain(formatCount(last.virtual_machines));
    expect(text).toContain(delta === 0 ? "no change" : `${delta > 0 ? "+" : "−"}${formatCount(Math.abs(delta))} since`);
    // Keyboard: Tab from the heading reaches the first sparkline, then the next.
    await section.getByRole("heading", { name: "Trends" }).click();
    const focused: string[] = [];
    for (let i = 0; i < 10 && focused.length < 2; i++) {
      await page.keyboard.press("Tab");
      const name = await page.evaluate(() => document.activeElement?.getAttribute("data-sparkline") ?? null);
      if (name) focused.push(name);
    }
    expect(focused).toEqual(["Hosts", "Virtual machines"]);
    await page.screenshot({ path: path.join(screenshots, "trends-customer.png") });
  });

  it("a customer with one collection says the trend appears after the next", async () => {
    const [customer] = await app.query<{ id: string }>(`INSERT INTO customer (name) VALUES ('One Point Ltd') RETURNING id`);
    await app.query(
      `INSERT INTO customer_trend (customer_id, hour, at, physical_hosts, virtual_machines, vms_powered_on, containers, physical_cores,
         physical_memory_mib, vcpus_powered_on, vm_memory_mib_powered_on, hosts_measured, ram_waste_mib, critical_findings,
         warning_findings, scored_containers, candidates)
       VALUES ($1, date_trunc('hour', now()), now(), 1, 2, 2, 0, 8, 65536, 4, 8192, 0, 0, 0, 0, 0, 1)`,
      [customer!.id],
    );
    await page.goto(`${app.baseUrl}/customers/${customer!.id}`);
    const section = page.getByRole("region", { name: "Trends" });
    await expect.poll(() => section.innerText()).toContain("One collection so far: trends appear after the next.");
    expect(await section.locator("[data-sparkline]").count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});

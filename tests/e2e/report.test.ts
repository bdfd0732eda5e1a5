/**
 * The manager's path to a customer report, in a browser, on the demo fleet (Fleetlens started as
 * `npm start` starts it): the fleet overview → a customer → Report → Download PDF. The PDF is made
 * by the server's Chromium and read back with poppler's pdftotext: it holds the customer's name,
 * the date it was prepared, the estate figures the server gives (report.get over HTTP with the
 * page's session, and the inventory counted here in SQL) and the model parameters. Printing hides
 * the navigation and stays dark-on-white in dark mode. The anonymised PDF holds none of the
 * customer's names or addresses.
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatCount, formatMiB, pluralize } from "../../components/format";
import type { Report } from "../../server/report/build";
import { ADMIN, launchBrowser, signIn, startApp, type RunningApp } from "./harness";

const run = promisify(execFile);
const screenshots = path.join(process.cwd(), "test-results");
const CUSTOMER = "Acme Dental Group";
let app: RunningApp;
let browser: Browser;
let page: Page;
let customerId: string;
let workDir: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  app = await startApp();
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page.on("pageerror", (error) => pageErrors.push(`${new URL(page.url()).pathname}${new URL(page.url()).search}: ${error.message}`));
  await fs.mkdir(screenshots, { recursive: true });
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), "fleetlens-report-e2e-"));
  await signIn(page, app.baseUrl, ADMIN.email, ADMIN.password);
  const [row] = await app.query<{ id: string }>("SELECT id FROM customer WHERE name = $1", [CUSTOMER]);
  customerId = row!.id;
});

afterAll(async () => {
  await browser?.close();
  if (app) await app.stop();
  if (workDir) await fs.rm(workDir, { recursive: true, force: true });
});

/** A procedure's answer as the page's session gets it. */
async function procedure<T>(name: string, input: unknown): Promise<T> {
  const url = `${app.baseUrl}/api/trpc/${name}?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`;
  const body = await page.evaluate(async (u) => (await fetch(u)).json(), url);
  return superjson.deserialize((body as { result: { data: Parameters<typeof superjson.deserialize>[0] } }).result.data) as T;
}

/** Clicks "Download PDF" and reads the file's text (pdftotext -raw: the page's order, whitespace made single spaces). */
async function downloadPdfText(file: string): Promise<{ text: string; bytes: Buffer; info: string }> {
  const [download] = await Promise.all([page.waitForEvent("download", { timeout: 120_000 }), page.getByRole("link", { name: "Download PDF" }).click()]);
  expect(download.suggestedFilename()).toMatch(/-report-\d{4}-\d{2}-\d{2}\.pdf$/);
  const target = path.join(workDir, file);
  await download.saveAs(target);
  const bytes = await fs.readFile(target);
  const { stdout } = await run("pdftotext", ["-raw", "-enc", "UTF-8", target, "-"]);
  const { stdout: info } = await run("pdfinfo", [target]);
  return { text: stdout.replace(/\s+/g, " "), bytes, info };
}

const today = () => new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).format(new Date());
const escape = (s: string) => s.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");

describe("the customer report in a browser", () => {
  it("is one click from the customer page, reached from the fleet overview", async () => {
    await page.goto(`${app.baseUrl}/`);
    await page.getByRole("heading", { name: "Fleet", exact: true, level: 1 }).waitFor();
    await page.getByRole("rowheader").getByRole("link", { name: CUSTOMER, exact: true }).click();
    await page.getByRole("heading", { name: CUSTOMER, exact: true, level: 1 }).waitFor();
    await page.getByRole("link", { name: "Report", exact: true }).click();
    await page.waitForURL(`**/customers/${customerId}/report`);
    await page.getByRole("heading", { name: `${CUSTOMER}: fleet assessment`, level: 1 }).waitFor({ timeout: 60_000 });
    expect(await page.getByText(`Prepared ${today()} · data as of`).count()).toBe(1);
    for (const section of ["Estate summary", "Density", "Waste", "Isolation", "Verdicts by role", "Migration plan", "Assumptions"]) {
      expect(await page.getByRole("heading", { name: section, exact: true, level: 2 }).count(), section).toBe(1);
    }
    await page.screenshot({ path: path.join(screenshots, "report.png"), fullPage: false });
  });

  it("prints without the navigation or the buttons, dark text on white even in dark mode", async () => {
    const nav = page.locator('nav[aria-label="Main"]');
    const colour = () => page.locator(".report-document").evaluate((el) => getComputedStyle(el).color);
    await page.emulateMedia({ media: "screen", colorScheme: "dark" });
    expect(await nav.isVisible()).toBe(true);
    // On screen, dark mode is dark (the near miss of the print check below).
    expect(await colour()).not.toBe("rgb(15, 23, 42)");
    await page.emulateMedia({ media: "print", colorScheme: "dark" });
    expect(await nav.isVisible()).toBe(false);
    expect(await page.getByRole("link", { name: "Download PDF" }).isVisible()).toBe(false);
    expect(await page.getByRole("button", { name: "Print" }).isVisible()).toBe(false);
    expect(await colour()).toBe("rgb(15, 23, 42)");
    expect(await page.locator(".report-section").nth(1).evaluate((el) => getComputedStyle(el).breakBefore)).toBe("page");
    await page.emulateMedia({ media: "screen", colorScheme: "light" });
    expect(await page.getByRole("button", { name: "Print" }).isVisible()).toBe(true);
  });

  it("downloads a PDF made by the server with the name, the date, the server's estate figures and the parameters", async () => {
    const report = await procedure<Report>("report.get", { customerId, anonymised: false });
    const [counted] = await app.query<{ vms: number; on: number; containers: number }>(
      `SELECT count(*) FILTER (WHERE v.id IS NOT NULL)::int AS vms, count(*) FILTER (WHERE v.power_state = 'poweredOn' AND NOT v.template)::int AS on,
              (SELECT count(*)::int FROM container c JOIN source s2 ON s2.id = c.source_id WHERE s2.customer_id = $1) AS containers
         FROM virtual_machine v JOIN source s ON s.id = v.source_id WHERE s.customer_id = $1`,
      [customerId],
    );
    expect(report.estate.virtualMachines).toBe(counted!.vms);
    expect(report.estate.vmsPoweredOn).toBe(counted!.on);
    expect(report.estate.containers).toBe(counted!.containers);

    const started = Date.now();
    const { text, bytes, info } = await downloadPdfText("named.pdf");
    expect(info).toMatch(new RegExp(`Title:\\s+${escape(CUSTOMER)}: fleet assessment`));
    expect(info).toMatch(/Page size:\s+594\.96 x 841\.92 pts \(A4\)/);
    await fs.writeFile(path.join(screenshots, "report.pdf"), bytes);
    console.log(`report PDF: ${bytes.length} bytes in ${Date.now() - started} ms`);
    expect(bytes.subarray(0, 5).toString()).toBe("%PDF-");
    expect(text).toContain(`${CUSTOMER}: fleet assessment`);
    expect(text).toContain(`Prepared ${today()}`);
    const { estate } = report;
    expect(text).toContain(`${formatCount(estate.vmsPoweredOn)} powered on · ${pluralize(estate.templates, "template")}`);
    expect(text).toContain(`${formatCount(estate.containersRunning)} running · ${pluralize(estate.images, "image")}`);
    expect(text).toContain(`${pluralize(estate.hypervisors, "hypervisor")} · ${pluralize(estate.engineHosts, "engine host")}`);
    expect(text).toContain(`${formatMiB(estate.vmMemoryMiBPoweredOn)} VM memory`);
    expect(text).toMatch(new RegExp(`${escape(formatMiB(report.waste.ramWasteMiB))} of RAM and ${escape(formatMiB(report.waste.diskWasteMiB))} of disk remain`));
    // The assumptions: every parameter's label and value.
    for (const p of report.parameters) expect(text, p.label).toContain(p.label);
    expect(text).toContain("Target vCPU per physical core 6");
    // The navigation and the buttons are not printed.
    expect(text).not.toContain("Download PDF");
    expect(text).not.toMatch(/Sign out/);
    // Every host name of the customer is in the named report's tables somewhere (the near miss of the anonymised check).
    expect(text).toContain(report.sources[0]!.name);
  });

  it("the anonymised PDF holds none of the customer's names or addresses", async () => {
    await page.goto(`${app.baseUrl}/customers/${customerId}`);
    await page.getByRole("link", { name: "Anonymised report", exact: true }).click();
    await page.waitForURL(`**/customers/${customerId}/report?anonymised=1`);
    await page.getByRole("heading", { name: "Customer A: fleet assessment", level: 1 }).waitFor({ timeout: 60_000 });
    const { text, info } = await downloadPdfText("anonymised.pdf");
    expect(info).toMatch(/Title:\s+Customer A: fleet assessment/);
    expect(text).toContain("Customer A: fleet assessment");
    expect(text).toContain(`Prepared ${today()}`);
    const originals = await app.query<{ v: string }>(
      `WITH s AS (SELECT id FROM source WHERE customer_id = $1)
       SELECT name AS v FROM customer WHERE id = $1
       UNION SELECT name FROM source WHERE customer_id = $1
       UNION SELECT unnest(ARRAY[name, hostname, cluster, datacenter] || ip_addresses || mac_addresses) FROM host WHERE source_id IN (SELECT id FROM s)
       UNION SELECT unnest(ARRAY[name, hostname, cluster, uuid] || ip_addresses || mac_addresses) FROM virtual_machine WHERE source_id IN (SELECT id FROM s)
       UNION SELECT name FROM container WHERE source_id IN (SELECT id FROM s)`,
      [customerId],
    );
    const names = originals.map((r) => r.v).filter((v) => v && v.length > 2);
    expect(names.length).toBeGreaterThan(10);
    // Neither in the text nor in the file's own data (title, producer, ...).
    const found = names.filter((n) => new RegExp(`(?<![A-Za-z0-9_])${escape(n)}(?![A-Za-z0-9_])`, "i").test(`${text}\n${info}`));
    expect(found).toEqual([]);
    expect(text).toMatch(/cluster-\d{2}/);
    expect(pageErrors).toEqual([]);
  });
});

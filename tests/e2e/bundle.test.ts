/**
 * The JavaScript budget: the fleet overview (/) and the customer page load at most 200 kB of
 * gzipped JavaScript first, measured from the production build the app starts with (bench/bundle.ts
 * reads the build's manifests). In Chromium, the customer page's tabs load their code when opened:
 * opening Density fetches scripts the Hosts tab did not, and the tab then works; signing out (whose
 * client now loads on the click) still ends the session. What the browser fetched is printed.
 */
import path from "node:path";
import type { Browser, Page, Response } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUDGETED_ROUTES, FIRST_LOAD_BUDGET_KB, firstLoad, kB, pageRoutes } from "../../bench/bundle";
import { ADMIN, launchBrowser, signIn, startApp, type RunningApp } from "./harness";

let app: RunningApp;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const nextDir = path.join(process.cwd(), ".next");

/** Scripts the page fetched from /_next/static, with their bytes on the wire. */
const scripts = new Map<string, Promise<number>>();
function recordScript(response: Response) {
  const url = new URL(response.url());
  if (!url.pathname.startsWith("/_next/static/") || !url.pathname.endsWith(".js")) return;
  scripts.set(
    url.pathname,
    response.request().sizes().then((sizes) => sizes.responseBodySize, () => 0),
  );
}
async function wireBytes(paths: Iterable<string>): Promise<number> {
  let sum = 0;
  for (const p of paths) sum += (await scripts.get(p)) ?? 0;
  return sum;
}

beforeAll(async () => {
  app = await startApp();
  browser = await launchBrowser();
  const signInPage = await browser.newPage();
  await signIn(signInPage, app.baseUrl, ADMIN.email, ADMIN.password);
  // A fresh context with the session's cookie and an empty cache: what a first visit fetches.
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, storageState: await signInPage.context().storageState() });
  await signInPage.context().close();
  page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(`${page.url()}: ${error.message}`));
  page.on("response", recordScript);
});

afterAll(async () => {
  await browser?.close();
  if (app) await app.stop();
});

describe("JavaScript budget", () => {
  it(`the fleet overview and the customer page load at most ${FIRST_LOAD_BUDGET_KB} kB of gzipped JavaScript first`, () => {
    const routes = pageRoutes(nextDir);
    const sizes = BUDGETED_ROUTES.map((route) => firstLoad(nextDir, route));
    // The runtime every page shares, to show the measure is not empty: the sign-in page loads it too.
    const login = firstLoad(nextDir, "/login");
    console.log(
      [...sizes, login].map((size) => `${size.route}: ${kB(size.gzipBytes)} kB gzip (${size.chunks.length} chunks)`).join("\n"),
    );
    expect(routes.has("/customers/[customerId]/vms/[id]")).toBe(true);
    for (const size of sizes) {
      expect(size.chunks.length).toBeGreaterThanOrEqual(login.chunks.length);
      expect(size.gzipBytes).toBeGreaterThan(login.gzipBytes * 0.9);
      expect(size.gzipBytes, `${size.route} loads ${kB(size.gzipBytes)} kB first`).toBeLessThanOrEqual(FIRST_LOAD_BUDGET_KB * 1000);
    }
  });

  it("the customer page's tabs load their code when opened; the Hosts tab and Density then work", async () => {
    await page.goto(app.baseUrl);
    await page.getByRole("heading", { name: "Fleet", exact: true, level: 1 }).waitFor();
    await page.waitForLoadState("networkidle");
    const overviewWire = await wireBytes(scripts.keys());

    scripts.clear();
    const [customer] = await app.query<{ id: string; name: string }>(
      `SELECT c.id, c.name FROM customer c WHERE EXISTS (SELECT 1 FROM host h JOIN source s ON s.id = h.source_id WHERE s.customer_id = c.id AND h.role = 'hypervisor') ORDER BY c.name LIMIT 1`,
    );
    expect(customer).toBeDefined();
    await page.goto(`${app.baseUrl}/customers/${customer!.id}`);
    await page.getByRole("heading", { name: customer!.name, level: 1 }).waitFor();
    const hostsPanel = page.getByRole("tabpanel", { name: /^Hosts/ });
    await expect.poll(() => hostsPanel.locator("tbody tr").count()).toBeGreaterThan(0);
    await page.waitForLoadState("networkidle");
    const firstScripts = new Set(scripts.keys());
    const customerWire = await wireBytes(firstScripts);
    console.log(
      `in Chromium, empty cache (JavaScript on the wire, all a first view fetched): overview ${kB(overviewWire)} kB, then the customer page (Hosts tab, Trends) ${kB(customerWire)} kB more`,
    );
    expect(firstScripts.size).toBeGreaterThan(0);

    await page.getByRole("tab", { name: "Density" }).click();
    const densityPanel = page.getByRole("tabpanel", { name: "Density" });
    await densityPanel.getByRole("heading", { name: "Density per physical host" }).waitFor();
    await page.waitForLoadState("networkidle");
    const opened = [...scripts.keys()].filter((p) => !firstScripts.has(p));
    console.log(`opening Density fetched ${opened.length} scripts, ${kB(await wireBytes(opened))} kB`);
    expect(opened.length).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
  });

  it("signing out still ends the session (its client loads on the click)", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login/);
    const me = await page.evaluate(async () => (await fetch("/api/trpc/account.me")).status);
    expect(me).toBe(401);
    expect(pageErrors).toEqual([]);
  });
});

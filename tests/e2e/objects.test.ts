/**
 * The object pages as a person reaches them: Fleetlens started as `npm start` starts it (fresh data
 * dir, embedded PostgreSQL, demo fleet, production build), opened in Chromium. From the Hosts table a
 * hypervisor's page lists the VMs stored on it; from there a VM's page has the breadcrumbs host → VM
 * and the verdict and reason the verdicts table's procedure gives; a container's page names its
 * engine host and image; an image's page the images sharing its layers; a bad id, an unknown id and
 * another customer's id all say "not found" with a way back.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { objectHref } from "../../components/links";
import { ADMIN, launchBrowser, signIn, startApp, type RunningApp } from "./harness";

const screenshots = path.join(process.cwd(), "test-results");
let app: RunningApp;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

/** A procedure through the app's own API, with the browser's session. */
async function call<T>(procedure: string, input: unknown): Promise<T> {
  const response = await page.request.get(`${app.baseUrl}/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`);
  expect(response.status()).toBe(200);
  return ((await response.json()) as { result: { data: { json: T } } }).result.data.json;
}

beforeAll(async () => {
  app = await startApp();
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on("pageerror", (error) => pageErrors.push(`${page.url()}: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && !/404|Failed to load resource/.test(message.text())) pageErrors.push(`${page.url()}: ${message.text()}`);
  });
  await fs.mkdir(screenshots, { recursive: true });
  await signIn(page, app.baseUrl, ADMIN.email, ADMIN.password);
});

afterAll(async () => {
  await browser?.close();
  if (app) await app.stop();
});

/** The demo hypervisor with the most VMs, its customer, and its VMs' names as stored. */
async function busiestHypervisor() {
  const [host] = await app.query<{ id: string; name: string; customer_id: string; customer: string }>(
    `SELECT h.id, h.name, s.customer_id, c.name AS customer
       FROM host h JOIN source s ON s.id = h.source_id JOIN customer c ON c.id = s.customer_id
      WHERE h.role = 'hypervisor'
      ORDER BY (SELECT count(*) FROM virtual_machine v WHERE v.host_id = h.id) DESC, h.name LIMIT 1`,
  );
  const vms = await app.query<{ id: string; name: string; template: boolean }>(
    "SELECT id, name, template FROM virtual_machine WHERE host_id = $1 ORDER BY name, id",
    [host!.id],
  );
  return { host: host!, vms };
}

describe("Object pages in a browser", () => {
  it("from the Hosts table, a host's page lists the VMs on it", async () => {
    const { host, vms } = await busiestHypervisor();
    expect(vms.length).toBeGreaterThan(0);
    await page.goto(`${app.baseUrl}/customers/${host.customer_id}`);
    await page.getByRole("heading", { name: host.customer, exact: true, level: 1 }).waitFor();
    await page.getByRole("searchbox", { name: "Search hosts" }).or(page.getByLabel("Search hosts")).first().fill(host.name);
    const link = page.getByRole("table", { name: `Hosts of ${host.customer}` }).getByRole("link", { name: host.name, exact: true });
    await link.waitFor();
    expect(await link.getAttribute("href")).toBe(objectHref(host.customer_id, "host", host.id));
    await link.click();
    await page.waitForURL(`**${objectHref(host.customer_id, "host", host.id)}`);
    await page.getByRole("heading", { name: host.name, exact: true, level: 1 }).waitFor();
    const rows = page.getByRole("table", { name: `Virtual machines on ${host.name}` }).locator("tbody tr");
    await expect.poll(() => rows.count()).toBe(vms.length);
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-vm")));
    expect(shown).toEqual(vms.map((v) => v.name));
    // Breadcrumbs: Fleet / customer / (cluster) / this host; the customer is a link back.
    const crumbs = page.getByRole("navigation", { name: "Breadcrumb" });
    expect(await crumbs.getByRole("link", { name: host.customer, exact: true }).getAttribute("href")).toBe(`/customers/${host.customer_id}`);
    expect(await crumbs.locator("[aria-current=page]").innerText()).toBe(host.name);
    await page.screenshot({ path: path.join(screenshots, "host-page.png"), fullPage: true });
  });

  it("a VM's page: breadcrumbs host → VM, and the verdict and reason the server gives", async () => {
    const { host, vms } = await busiestHypervisor();
    const vm = vms.find((v) => !v.template)!;
    const link = page.getByRole("table", { name: `Virtual machines on ${host.name}` }).getByRole("link", { name: vm.name, exact: true });
    await link.click();
    await page.waitForURL(`**${objectHref(host.customer_id, "vm", vm.id)}`);
    await page.getByRole("heading", { name: vm.name, exact: true, level: 1 }).waitFor();
    const crumbs = page.getByRole("navigation", { name: "Breadcrumb" });
    const hostCrumb = crumbs.getByRole("link", { name: host.name, exact: true });
    expect(await hostCrumb.getAttribute("href")).toBe(objectHref(host.customer_id, "host", host.id));
    expect(await crumbs.locator("[aria-current=page]").innerText()).toBe(vm.name);
    const trail = await crumbs.locator("li").allInnerTexts();
    expect(trail.findIndex((t) => t.includes(host.name))).toBeLessThan(trail.findIndex((t) => t.includes(vm.name)));

    // The verdicts table's own row for this VM (the server's verdict, not the page's).
    const verdicts = await call<{ rows: { key: string; verdict: string; verdictLabel: string; reason: string; roleLabel: string | null }[] }>(
      "analysis.verdicts",
      { customerId: host.customer_id, kind: "vm", search: vm.name, pageSize: 200 },
    );
    const row = verdicts.rows.find((r) => r.key === vm.id)!;
    expect(row).toBeDefined();
    const section = page.getByRole("region", { name: "Role, verdict and evidence" });
    await expect.poll(() => section.locator("[data-verdict]").getAttribute("data-verdict")).toBe(row.verdict);
    expect((await section.locator("[data-verdict]").innerText()).trim()).toBe(row.verdictLabel);
    expect((await section.locator("[data-reason]").innerText()).trim()).toBe(row.reason);
    if (row.roleLabel) expect((await section.locator("[data-role]").innerText()).trim()).toBe(row.roleLabel);
    // Guest discovery: either its facts, or the product's words for what is missing.
    const guest = page.getByRole("region", { name: "Guest discovery" });
    const state = await guest.locator("[data-guest]").getAttribute("data-guest");
    if (state === "missing") expect(await guest.innerText()).toMatch(/Insufficient data: run guest discovery/);
    else if (state === "not-read") expect(await guest.innerText()).toMatch(/Guest discovery reads powered-on Linux guests/);
    else expect(await guest.innerText()).toMatch(/Reached as/);
    await page.screenshot({ path: path.join(screenshots, "vm-page.png"), fullPage: false });
    // Dark: the system's preference turns the page and its sections dark, the heading light.
    const colours = () =>
      page.evaluate(() => ({
        heading: getComputedStyle(document.querySelector("h1")!).color,
        section: getComputedStyle(document.querySelector("section[aria-labelledby=verdict-heading]")!).backgroundColor,
      }));
    const light = await colours();
    await page.emulateMedia({ colorScheme: "dark" });
    await expect.poll(async () => (await colours()).section).not.toBe(light.section);
    const dark = await colours();
    expect(dark.heading).not.toBe(light.heading);
    await page.screenshot({ path: path.join(screenshots, "vm-page-dark.png"), fullPage: false });
    await page.emulateMedia({ colorScheme: "light" });
    // Keyboard: Tab from the top of the page reaches the host's crumb, and Enter follows it later.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press("Tab");
      reached = await page.evaluate((name) => document.activeElement?.closest("nav[aria-label=Breadcrumb]") !== null && document.activeElement?.textContent === name, host.name);
    }
    expect(reached).toBe(true);
  });

  it("a container's page names its engine host and its image, and links to both", async () => {
    const [c] = await app.query<{ id: string; name: string; customer_id: string; host_id: string; host: string; image_id: string; tags: string[] }>(
      `SELECT ct.id, ct.name, s.customer_id, h.id AS host_id, h.name AS host, i.id AS image_id, i.repo_tags AS tags
         FROM container ct JOIN source s ON s.id = ct.source_id JOIN host h ON h.id = ct.host_id JOIN image i ON i.id = ct.image_id
        WHERE h.vm_id IS NOT NULL AND cardinality(i.repo_tags) > 0
        ORDER BY ct.name, ct.id LIMIT 1`,
    );
    expect(c).toBeDefined();
    await page.goto(`${app.baseUrl}${objectHref(c!.customer_id, "container", c!.id)}`);
    await page.getByRole("heading", { name: c!.name, exact: true, level: 1 }).waitFor();
    const topology = page.getByRole("region", { name: "Topology" });
    const engine = topology.locator("[data-topology=engine]").getByRole("link", { name: c!.host, exact: true });
    expect(await engine.getAttribute("href")).toBe(objectHref(c!.customer_id, "host", c!.host_id));
    const image = topology.locator("[data-topology=image]").getByRole("link", { name: c!.tags[0], exact: true });
    expect(await image.getAttribute("href")).toBe(objectHref(c!.customer_id, "image", c!.image_id));
    // The engine host runs in a VM: the breadcrumbs go through it.
    expect(await page.getByRole("navigation", { name: "Breadcrumb" }).locator("[data-crumb=vm]").count()).toBe(1);
    await page.screenshot({ path: path.join(screenshots, "container-page.png"), fullPage: true });
  });

  it("an image's page shows the images that share its layers", async () => {
    const [pair] = await app.query<{ id: string; customer_id: string; name: string }>(
      `SELECT i.id, s.customer_id, i.repo_tags[1] AS name
         FROM image i JOIN source s ON s.id = i.source_id JOIN image_layer il ON il.image_id = i.id JOIN layer l ON l.id = il.layer_id
        WHERE cardinality(i.repo_tags) > 0
          AND EXISTS (SELECT 1 FROM layer l2 JOIN source s2 ON s2.id = l2.source_id AND s2.customer_id = s.customer_id
                        JOIN image_layer il2 ON il2.layer_id = l2.id
                       WHERE l2.digest = l.digest AND il2.image_id <> i.id)
        ORDER BY i.repo_tags[1], i.id LIMIT 1`,
    );
    expect(pair).toBeDefined();
    const expected = await app.query<{ id: string }>(
      `SELECT DISTINCT i2.id
         FROM image_layer il JOIN layer l ON l.id = il.layer_id
         JOIN layer l2 ON l2.digest = l.digest JOIN source s2 ON s2.id = l2.source_id AND s2.customer_id = $2
         JOIN image_layer il2 ON il2.layer_id = l2.id JOIN image i2 ON i2.id = il2.image_id
        WHERE il.image_id = $1 AND i2.id <> $1`,
      [pair!.id, pair!.customer_id],
    );
    await page.goto(`${app.baseUrl}${objectHref(pair!.customer_id, "image", pair!.id)}`);
    await page.getByRole("heading", { name: pair!.name, exact: true, level: 1 }).waitFor();
    const shared = page.getByRole("table", { name: `Images sharing layers with ${pair!.name}` });
    await expect.poll(() => shared.locator("tbody tr").count()).toBe(expected.length);
    const hrefs = await shared.getByRole("link").evaluateAll((links) => links.map((a) => a.getAttribute("href")));
    expect(hrefs.sort()).toEqual(expected.map((e) => objectHref(pair!.customer_id, "image", e.id)).sort());
    // A shared layer names the other image in the layers table too.
    expect(await page.getByRole("table", { name: `Layers of ${pair!.name}` }).getByRole("link").count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(screenshots, "image-page.png"), fullPage: true });
  });

  it("a bad id, an unknown id and another customer's object say not found, with a way back", async () => {
    const customers = await app.query<{ id: string }>("SELECT id FROM customer ORDER BY name");
    const [vm] = await app.query<{ id: string; customer_id: string }>(
      "SELECT v.id, s.customer_id FROM virtual_machine v JOIN source s ON s.id = v.source_id ORDER BY v.name LIMIT 1",
    );
    const other = customers.find((c) => c.id !== vm!.customer_id)!;
    for (const address of [
      `/customers/${vm!.customer_id}/vms/not-a-uuid`,
      `/customers/${vm!.customer_id}/vms/00000000-0000-4000-8000-000000000000`,
      objectHref(other.id, "vm", vm!.id),
    ]) {
      await page.goto(`${app.baseUrl}${address}`);
      await page.getByRole("heading", { name: "Virtual machine not found", level: 1 }).waitFor();
      const back = page.getByRole("link", { name: "Back to the customer" });
      expect(await back.getAttribute("href")).toBe(`/customers/${address.split("/")[2]}`);
    }
    // The near miss: the same VM under its own customer is found.
    await page.goto(`${app.baseUrl}${objectHref(vm!.customer_id, "vm", vm!.id)}`);
    await page.getByRole("region", { name: "Properties" }).waitFor();
    // No error on any object page (the customer page's own errors are its tests' to catch).
    expect(pageErrors.filter((e) => /\/customers\/[^/]+\/(hosts|vms|containers|images)\//.test(e))).toEqual([]);
  });
});

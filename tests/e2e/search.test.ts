/**
 * Search across the fleet as a person uses it, keyboard only: Fleetlens started as `npm start`
 * starts it with the demo fleet, Chromium signed in. "/" focuses the header's search box; a VM's
 * name shows it under Virtual machines; arrows and Enter open its page; a MAC in another spelling
 * finds its VM; Escape closes the popup; nothing found says so; Enter with nothing chosen opens the
 * results page with its counts per kind.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { objectHref } from "../../components/links";
import { ADMIN, launchBrowser, signIn, startApp, type RunningApp, watchedPage } from "./harness";

const screenshots = path.join(process.cwd(), "test-results");
let app: RunningApp;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

interface DemoVm {
  id: string;
  name: string;
  mac: string;
  customer_id: string;
  customer_name: string;
}
let vm: DemoVm;

beforeAll(async () => {
  app = await startApp();
  // A demo VM whose name no other object in the fleet has, with a MAC no other VM has.
  for (let i = 0; i < 120 && (await app.query<{ n: string }>("SELECT count(*) AS n FROM virtual_machine"))[0]!.n === "0"; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const found = await app.query<DemoVm>(
    `SELECT v.id, v.name, v.mac_addresses[1] AS mac, s.customer_id, c.name AS customer_name
       FROM virtual_machine v JOIN source s ON s.id = v.source_id JOIN customer c ON c.id = s.customer_id
      WHERE NOT v.template AND cardinality(v.mac_addresses) = 1 AND v.mac_addresses[1] ~ '^([0-9a-f]{2}:){5}[0-9a-f]{2}$'
        AND (SELECT count(*) FROM virtual_machine o WHERE o.mac_addresses && v.mac_addresses) = 1
        AND (SELECT count(*) FROM virtual_machine o WHERE o.name ILIKE '%' || v.name || '%') = 1
        AND NOT EXISTS (SELECT 1 FROM host h WHERE h.name ILIKE '%' || v.name || '%')
      ORDER BY v.name LIMIT 1`,
  );
  expect(found.length, "a demo VM with a unique name and MAC").toBe(1);
  vm = found[0]!;
  browser = await launchBrowser();
  page = await watchedPage(browser, pageErrors);
  await fs.mkdir(screenshots, { recursive: true });
  await signIn(page, app.baseUrl, ADMIN.email, ADMIN.password);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  if (app) await app.stop();
});

const box = () => page.getByRole("combobox", { name: "Search the fleet" });
const group = (label: string) => page.getByRole("group", { name: new RegExp(`^${label}`) });
const activeOptionText = () => page.locator('[role="option"][aria-selected="true"]').innerText();

/** "/" from the page (nothing focused), then types like a person. */
async function searchFor(text: string) {
  await page.locator("body").click({ position: { x: 5, y: 300 } });
  await page.keyboard.press("/");
  await expect.poll(() => box().evaluate((el) => el === document.activeElement)).toBe(true);
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Backspace");
  await page.keyboard.type(text, { delay: 20 });
}

describe("search from the header, keyboard only", () => {
  it("finds a VM by name under Virtual machines, and Enter opens its page", async () => {
    await searchFor(vm.name);
    const option = group("Virtual machines").getByRole("option").filter({ hasText: vm.name });
    await option.waitFor();
    expect(await option.innerText()).toContain(vm.customer_name);
    expect(await box().getAttribute("aria-expanded")).toBe("true");
    // Arrow down to the VM (groups before it, if any, come first).
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press("ArrowDown");
      if ((await activeOptionText()).includes(vm.name)) break;
    }
    expect(await activeOptionText()).toContain(vm.name);
    expect(await box().getAttribute("aria-activedescendant")).toBe(await option.getAttribute("id"));
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.baseUrl}${objectHref(vm.customer_id, "vm", vm.id)}`);
  });

  it("finds a VM by its MAC written with dashes in upper case", async () => {
    const dashed = vm.mac.replace(/:/g, "-").toUpperCase();
    await searchFor(dashed);
    // The popup keeps the previous answer until this one comes: wait for the MAC's.
    const option = group("Virtual machines").getByRole("option").filter({ hasText: `MAC ${vm.mac}` });
    await option.waitFor();
    expect(await option.innerText()).toContain(vm.name);
    expect(await group("Virtual machines").getByRole("option").count()).toBe(1);
    // Cisco's spelling finds it too.
    const hex = vm.mac.replace(/:/g, "");
    const cisco = `${hex.slice(0, 4)}.${hex.slice(4, 8)}.${hex.slice(8)}`;
    await searchFor(cisco);
    await page.getByRole("listbox", { name: `Results for ${cisco}` }).waitFor();
    await group("Virtual machines").getByRole("option").filter({ hasText: `MAC ${vm.mac}` }).waitFor();
  });

  it("closes with Escape, and says when nothing matches", async () => {
    expect(await box().getAttribute("aria-expanded")).toBe("true");
    await page.keyboard.press("Escape");
    expect(await box().getAttribute("aria-expanded")).toBe("false");
    await expect.poll(() => page.getByRole("listbox").isVisible()).toBe(false);
    await searchFor("zz-no-such-thing-zz");
    await page.getByText("No results for “zz-no-such-thing-zz”").waitFor();
    expect(await page.getByRole("option").filter({ hasText: "All results" }).count()).toBe(1);
  });

  it("opens the results page with counts per kind when Enter is pressed with nothing chosen", async () => {
    await searchFor(vm.name);
    await group("Virtual machines").getByRole("option").filter({ hasText: vm.name }).waitFor();
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.baseUrl}/search?q=${encodeURIComponent(vm.name)}`);
    await page.getByRole("heading", { name: "Search", level: 1 }).waitFor();
    const section = page.getByRole("table", { name: /Virtual machines/ });
    await section.waitFor();
    expect(await page.getByRole("heading", { name: /^Virtual machines/, level: 2 }).innerText()).toMatch(/^Virtual machines\s*1$/);
    expect(await section.getByRole("link", { name: vm.name, exact: true }).getAttribute("href")).toBe(objectHref(vm.customer_id, "vm", vm.id));
    expect(await page.getByRole("status").first().innerText()).toMatch(/results? for/);
    // Tab from the page's own box, past its button, reaches the first result: the VM.
    await page.getByRole("searchbox").focus();
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("href"))).toBe(objectHref(vm.customer_id, "vm", vm.id));
    expect(pageErrors).toEqual([]);
  });

  it("groups a broader search by kind, with counts (the README's screenshot)", async () => {
    await page.goto(app.baseUrl);
    await page.getByRole("link", { name: vm.customer_name, exact: true }).first().waitFor();
    // The customer's domain (its hosts' hostnames): hosts and VMs (guest hostnames) both match.
    const [domain] = await app.query<{ label: string }>(
      `SELECT split_part(h.hostname, '.', 2) AS label FROM host h JOIN source s ON s.id = h.source_id
        WHERE s.customer_id = $1 AND h.hostname LIKE '%.%.%' ORDER BY h.hostname LIMIT 1`,
      [vm.customer_id],
    );
    const stem = domain?.label ?? vm.name.replace(/-?\d+$/, "");
    await searchFor(stem);
    await page.getByRole("listbox", { name: `Results for ${stem}` }).waitFor();
    await group("Virtual machines").getByRole("option").first().waitFor();
    await group("Hosts").getByRole("option").first().waitFor();
    expect(await page.getByRole("listbox").getByRole("group").count()).toBeGreaterThanOrEqual(2);
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await page.screenshot({ path: path.join(screenshots, "search.png"), fullPage: false });
    expect(pageErrors).toEqual([]);
  });
});

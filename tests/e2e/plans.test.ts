/**
 * The engineer's path through migration plans (issue 18), in Chromium against `npm start`: a
 * vCenter's VMs and guest discovery's connections ingested into the app's database; in the
 * Migration tab the engineer filters the candidates, selects rows and adds them to a new plan's
 * first wave, adds another VM to a second wave with an overriding target and its reason; the plan
 * page shows the totals the server computes and the dependency the waves split; the waves export as
 * xlsx and reads back with the RVTools reader, one row per workload. A viewer reads the plan and
 * gets no editing controls.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../../server/api/root";
import type { Viewer } from "../../server/api/trpc";
import { createUser } from "../../server/auth/users";
import { readXlsx } from "../../server/collectors/rvtools/xlsx";
import { ZIP_LIMITS } from "../../server/collectors/rvtools/zip";
import { connect, type Database } from "../../server/db/client";
import { applySnapshot } from "../../server/inventory/ingest";
import { VERDICT_LABEL, type VerdictValue } from "../../server/analysis/labels";
import { dependencyGuestSnapshot, dependencyVmSnapshot } from "../fixtures/dependencies";
import { ADMIN, launchBrowser, signIn, startApp, type RunningApp, watchedPage } from "./harness";

const screenshots = path.join(process.cwd(), "test-results");
let app: RunningApp;
let database: Database;
let browser: Browser;
let page: Page;
let customerId: string;
const pageErrors: string[] = [];
const admin: Viewer = { id: "admin", role: "admin", scope: { kind: "all" } };
const VIEWER = { email: "viewer@example.com", password: "long-enough-password" };

beforeAll(async () => {
  app = await startApp();
  database = connect(app.databaseUrl, { max: 2 });
  const customer = await database.prisma.customer.create({ data: { name: "Plan Shop" } });
  customerId = customer.id;
  const snapshot = dependencyVmSnapshot();
  snapshot.hosts = [1, 2, 3, 4].map((i) => ({ externalId: `esx-${i}`, name: `esx0${i}.shop`, role: "hypervisor", platform: "esxi", cpuCores: 2, memoryMiB: 6144, cluster: "shop" }));
  snapshot.virtualMachines = snapshot.virtualMachines!.map((v, i) => ({ ...v, hostExternalId: `esx-${i + 1}`, usedMiB: 20480 }));
  const vc = await database.prisma.source.create({ data: { customerId, kind: "vsphere", name: "vc", endpoint: "https://vc.shop.example/sdk", enabled: false } });
  await applySnapshot(vc.id, snapshot, { database });
  const guests = await database.prisma.source.create({ data: { customerId, kind: "guest", name: "guests", endpoint: "inventory", username: "root", enabled: false } });
  await applySnapshot(guests.id, dependencyGuestSnapshot(), { database });
  await createUser(database, { email: VIEWER.email, name: "Viewer", password: VIEWER.password, role: "viewer", allCustomers: true, customerIds: [] });
  browser = await launchBrowser();
  page = await watchedPage(browser, pageErrors, { viewport: { width: 1440, height: 1000 } });
  await fs.mkdir(screenshots, { recursive: true });
  await signIn(page, app.baseUrl, ADMIN.email, ADMIN.password);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await database?.close();
  if (app) await app.stop();
});

const server = () => createCaller({ database, viewer: admin });
let planId: string;
let firstWave: string[] = [];
let secondVm = "";

describe("an engineer builds a migration plan", () => {
  it("filters the candidates in the Migration tab, selects rows and adds them to a new plan's first wave", async () => {
    // The verdict most of the VMs share: the candidates to filter on.
    const { rows } = await server().analysis.verdicts({ customerId, kind: "vm", pageSize: 100 });
    const byVerdict = new Map<VerdictValue, string[]>();
    for (const r of rows) byVerdict.set(r.verdict, [...(byVerdict.get(r.verdict) ?? []), r.name]);
    const [verdict, names] = [...byVerdict].sort((a, b) => b[1].length - a[1].length)[0]!;
    expect(names.length).toBeGreaterThanOrEqual(2);

    await page.goto(`${app.baseUrl}/customers/${customerId}?tab=migration`);
    await page.getByRole("heading", { name: "Plan Shop", exact: true, level: 1 }).waitFor();
    const table = page.getByRole("table", { name: "Migration verdicts of Plan Shop" });
    await page.getByRole("combobox", { name: "Verdict", exact: true }).selectOption({ label: VERDICT_LABEL[verdict] });
    await expect.poll(() => table.locator("tbody tr").count()).toBe(names.length);

    // Select every row on the page, then leave the last one out for the second wave.
    await page.getByLabel("Select every row on this page").check();
    secondVm = [...names].sort().at(-1)!;
    await page.getByLabel(`Select ${secondVm}`, { exact: true }).uncheck();
    firstWave = names.filter((n) => n !== secondVm).sort();
    await page.getByRole("button", { name: `Add to plan… (${firstWave.length})` }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("New plan's name").fill("Q1 moves");
    await dialog.getByLabel("New wave's name").fill("Pilot");
    await dialog.getByRole("button", { name: "Add to plan" }).click();
    await page.getByText(`Added ${firstWave.length} workload${firstWave.length === 1 ? "" : "s"} to Q1 moves, wave Pilot.`).waitFor();

    const [plan] = await server().plans.list({ customerId });
    planId = plan!.id;
    const stored = await server().plans.get({ customerId, planId });
    expect(stored.waves.map((w) => [w.name, w.workloads.map((x) => x.name).sort()])).toEqual([["Pilot", firstWave]]);
    // Each took its verdict's target: no reason, no override.
    expect(stored.waves[0]!.workloads.every((x) => x.target === x.verdictTarget && x.reason === null)).toBe(true);
  });

  it("adds another VM to a second wave, overriding its target only with a reason", async () => {
    await page.getByLabel(`Select ${secondVm}`, { exact: true }).check();
    await page.getByRole("button", { name: "Add to plan… (1)" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Plan", { exact: true }).selectOption({ label: "Q1 moves" });
    await dialog.getByLabel("Wave", { exact: true }).selectOption({ label: "New wave…" });
    await dialog.getByLabel("New wave's name").fill("Decommission");
    await dialog.getByLabel("Target", { exact: true }).selectOption({ label: "Retire" });
    const add = dialog.getByRole("button", { name: "Add to plan" });
    // No reason yet: the button waits for one.
    expect(await add.isDisabled()).toBe(true);
    await dialog.getByLabel("Reason for overriding the verdict").fill("replaced by the SaaS offering");
    await add.click();
    await page.getByText("Added 1 workload to Q1 moves, wave Decommission.").waitFor();
    const stored = await server().plans.get({ customerId, planId });
    expect(stored.waves.map((w) => w.name)).toEqual(["Pilot", "Decommission"]);
    expect(stored.waves[1]!.workloads.map((x) => [x.name, x.target, x.reason])).toEqual([[secondVm, "retire", "replaced by the SaaS offering"]]);
  });

  it("shows the plan's totals as the server computes them, per wave too, and the dependency the waves split", async () => {
    await page.getByRole("link", { name: "Open the plan" }).click();
    await page.waitForURL(`**/customers/${customerId}/plans/${planId}`);
    await page.getByRole("heading", { name: "Q1 moves", level: 1 }).waitFor();
    const plan = await server().plans.get({ customerId, planId });
    const totals = page.getByLabel("Plan totals");
    for (const key of ["vcpus", "ramMiB", "diskMiB", "hostsFreed", "kataOverheadMiB"] as const) {
      await expect.poll(() => totals.locator(`[data-total='${key}']`).getAttribute("data-value")).toBe(String(plan.totals[key]));
    }
    // The retired VM frees what it holds: the plan frees something.
    expect(plan.totals.ramMiB).toBeGreaterThan(0);
    for (const wave of plan.waves) {
      const shown = await page.locator(`[data-wave='${wave.name}'] [data-wave-totals]`).getAttribute("data-wave-totals");
      expect(JSON.parse(shown!)).toEqual(wave.totals);
      for (const w of wave.workloads) {
        const row = page.locator(`[data-wave='${wave.name}'] tr[data-workload='${w.name}']`);
        expect(await row.innerText()).toContain(w.figures.basis);
      }
    }
    const flags = page.getByRole("list", { name: "Split dependencies" }).locator("li");
    expect(await flags.count()).toBe(plan.dependencies.length);
    expect(plan.dependencies.length).toBeGreaterThan(0);
    expect(await flags.first().innerText()).toContain(plan.dependencies[0]!.evidence);
    await page.screenshot({ path: path.join(screenshots, "plan.png"), fullPage: true });
  });

  it("exports the waves as xlsx: one row per workload, as on the page", async () => {
    const href = await page.getByRole("link", { name: "Waves xlsx" }).getAttribute("href");
    const response = await page.context().request.get(new URL(href!, app.baseUrl).toString());
    expect(response.status()).toBe(200);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "plans-e2e-"));
    const file = path.join(dir, "waves.xlsx");
    await fs.writeFile(file, await response.body());
    const book = await readXlsx(file, ZIP_LIMITS);
    const tab = book.tabs[0]!;
    const rows: unknown[][] = [];
    for await (const row of tab.rows) rows.push(row.cells);
    await book.close();
    const col = (h: string) => tab.header.indexOf(h);
    const plan = await server().plans.get({ customerId, planId });
    expect(rows.map((r) => [r[col("Wave")], r[col("Workload")], r[col("Target")], r[col("Reason")] ?? null, r[col("RAM freed (MiB)")]])).toEqual(
      plan.waves.flatMap((w) => w.workloads.map((x) => [w.name, x.name, x.targetLabel, x.reason, x.figures.ramMiB])),
    );
    expect(rows).toHaveLength(firstWave.length + 1);
  });

  it("a viewer reads the plan without editing controls", async () => {
    const viewerPage = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await signIn(viewerPage, app.baseUrl, VIEWER.email, VIEWER.password);
      // The Plans tab lists the plan with its waves; no form to create one.
      await viewerPage.goto(`${app.baseUrl}/customers/${customerId}?tab=plans`);
      const plans = viewerPage.getByRole("list", { name: "Plans" });
      await plans.getByRole("link", { name: "Q1 moves" }).waitFor();
      expect(await viewerPage.getByRole("list", { name: "Waves of Q1 moves" }).locator("li").allInnerTexts()).toEqual([
        expect.stringMatching(/^1\. Pilot · Planned/),
        expect.stringMatching(/^2\. Decommission · Planned/),
      ]);
      expect(await viewerPage.getByRole("button", { name: "Create plan" }).count()).toBe(0);
      await plans.getByRole("link", { name: "Q1 moves" }).click();
      await viewerPage.waitForURL(`**/customers/${customerId}/plans/${planId}`);
      await viewerPage.getByRole("heading", { name: "Q1 moves", level: 1 }).waitFor();
      await viewerPage.getByRole("heading", { name: /Wave 1: Pilot/ }).waitFor();
      expect(await viewerPage.getByRole("button", { name: "Add wave" }).count()).toBe(0);
      expect(await viewerPage.getByRole("button", { name: "Delete plan" }).count()).toBe(0);
      expect(await viewerPage.getByRole("link", { name: "Waves xlsx" }).count()).toBe(0);
    } finally {
      await viewerPage.close();
    }
    expect(pageErrors).toEqual([]);
  });
});

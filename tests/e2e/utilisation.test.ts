/**
 * The Utilisation tab as a person sees it: Fleetlens started as `npm start` starts it, a vCenter's
 * snapshot with a week of measured use ingested into the app's own database, the customer page
 * opened in Chromium. The tiles count idle, oversized and undersized VMs; the status filter narrows
 * the VM table; an oversized VM shows the size it asks for; a VM's history is drawn; the cluster's
 * N+1 is said; a customer without measured use is told how to get it.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type Database } from "../../server/db/client";
import { applySnapshot } from "../../server/inventory/ingest";
import type { SnapshotInput } from "../../server/inventory/snapshot";
import type { UtilisationSeriesInput } from "../../server/utilisation/series";
import { ADMIN, launchBrowser, signIn, startApp, type RunningApp, watchedPage } from "./harness";

const screenshots = path.join(process.cwd(), "test-results");
let app: RunningApp;
let database: Database;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const ids: { measured?: string; bare?: string } = {};

/** A week of 30-minute values ending at the last half hour, with a daily cycle around `level`. */
function week(object: UtilisationSeriesInput["object"], externalId: string, metric: UtilisationSeriesInput["metric"], level: number, swing = 0): UtilisationSeriesInput {
  const end = Math.floor(Date.now() / 1_800_000) * 1_800_000;
  const count = 336;
  return {
    object,
    externalId,
    metric,
    intervalSeconds: 1800,
    start: new Date(end - (count - 1) * 1_800_000).toISOString(),
    values: Array.from({ length: count }, (_, i) => Math.max(0, level + swing * Math.sin((i / 48) * 2 * Math.PI))),
  };
}

function estate(measured: boolean): SnapshotInput {
  const vm = (externalId: string, name: string, vcpus: number, memoryMiB: number) => ({
    externalId, name, hostExternalId: externalId.startsWith("vm-b") ? "host-2" : "host-1", powerState: "poweredOn" as const, vcpus, memoryMiB, guestOsFamily: "linux" as const,
  });
  return {
    collectedAt: new Date().toISOString(),
    hosts: ["host-1", "host-2"].map((id, i) => ({
      externalId: id, name: `esx0${i + 1}.measured.example`, role: "hypervisor" as const, platform: "esxi" as const, cpuCores: 16, cpuMhz: 2500, memoryMiB: 262_144, cluster: "prod",
    })),
    virtualMachines: [vm("vm-a1", "quiet01", 2, 4096), vm("vm-a2", "big01", 8, 32_768), vm("vm-b1", "busy01", 2, 8192), vm("vm-b2", "steady01", 4, 16_384), vm("vm-b3", "unmeasured01", 2, 4096)],
    utilisation: measured
      ? [
          week("virtualMachine", "vm-a1", "cpu.usage.mhz", 30, 10),
          week("virtualMachine", "vm-a2", "cpu.usage.pct", 10, 3),
          week("virtualMachine", "vm-a2", "mem.active.mib", 4000, 500),
          week("virtualMachine", "vm-b1", "cpu.usage.pct", 92, 4),
          week("virtualMachine", "vm-b2", "cpu.usage.pct", 70, 2),
          week("virtualMachine", "vm-b2", "mem.active.mib", 12_000, 300),
          week("host", "host-1", "cpu.usage.mhz", 9000, 2000),
          week("host", "host-1", "mem.consumed.mib", 100_000, 5000),
          week("host", "host-2", "cpu.usage.mhz", 12_000, 2000),
          week("host", "host-2", "mem.consumed.mib", 120_000, 5000),
        ]
      : [],
  };
}

beforeAll(async () => {
  app = await startApp();
  database = connect(app.databaseUrl, { max: 2 });
  for (const [key, name, measured] of [["measured", "Measured Co", true], ["bare", "Unmeasured Ltd", false]] as const) {
    const customer = await database.prisma.customer.create({ data: { name } });
    ids[key] = customer.id;
    // Disabled: the worker never tries to collect it; its inventory is what the test ingests.
    const source = await database.prisma.source.create({ data: { customerId: customer.id, kind: "vsphere", name: "vc", endpoint: `https://vc.${key}.example/sdk`, enabled: false } });
    await applySnapshot(source.id, estate(measured), { database });
  }
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

async function openUtilisation(customerId: string, name: string) {
  await page.goto(`${app.baseUrl}/customers/${customerId}`);
  await page.getByRole("heading", { name, exact: true, level: 1 }).waitFor();
  await page.getByRole("tab", { name: "Utilisation", exact: true }).click();
  await page.waitForURL(`**/customers/${customerId}?tab=utilisation`);
}

const tile = (label: string) => page.locator("dl > div, dl > *").filter({ has: page.locator("dt", { hasText: new RegExp(`^${label}$`) }) }).locator("dd").first();
const vmTable = () => page.getByRole("table", { name: "Measured use of the VMs of Measured Co" });
const vmRows = () => vmTable().locator("tbody tr");

describe("Utilisation tab in a browser", () => {
  it("counts what was measured and what it asks for", async () => {
    await openUtilisation(ids.measured!, "Measured Co");
    await expect.poll(() => tile("VMs measured").innerText()).toBe("4 of 5");
    expect(await tile("Idle VMs").innerText()).toBe("1");
    expect(await tile("Oversized VMs").innerText()).toBe("1");
    expect(await tile("Undersized VMs").innerText()).toBe("1");
    // quiet01 whole (2 vCPUs) and big01's 8 → 2 (6): 8 vCPUs.
    expect(await tile("vCPUs reclaimable").innerText()).toBe("8");
  });

  it("says each VM's status with its figures, and narrows to a status", async () => {
    await expect.poll(() => vmRows().count()).toBe(5);
    const big = vmRows().filter({ hasText: "big01" });
    await expect.poll(() => big.innerText()).toMatch(/Oversized/);
    expect(await big.innerText()).toMatch(/8 → 2/);
    expect(await big.innerText()).toMatch(/→ 2 vCPUs, 6\.0 GiB \(× 1\.3\)/);
    expect(await vmRows().filter({ hasText: "unmeasured01" }).innerText()).toMatch(/insufficient data: no measured use/);
    await page.getByLabel("Status").selectOption({ label: "Idle" });
    await expect.poll(() => vmRows().count()).toBe(1);
    expect(await vmRows().first().innerText()).toMatch(/quiet01[\s\S]*Idle[\s\S]*CPU ≤ 100 MHz for 90 % of 7\.0 days/);
    await page.getByLabel("Status").selectOption({ label: "All statuses" });
    await expect.poll(() => vmRows().count()).toBe(5);
  });

  it("says the cluster's N+1 and the hosts packing would free", async () => {
    const cluster = page.locator("tr[data-cluster='prod']");
    // Two hosts of 40 GHz and 256 GiB; p95 use ~25 GHz and ~225 GiB: it survives losing one (40 GHz, 256 GiB
    // left), but at 80 % memory one host holds 204.8 GiB: both are needed, the spare is within them, none freed.
    await expect.poll(() => cluster.innerText()).toMatch(/^prod\t2\t25\.0 GHz of 80\.0 GHz\t224\.5 GiB of 512\.0 GiB\tSurvives\t2\t0\tmeasured use fits in 2 of 2 hosts/);
  });

  it("draws a VM's history", async () => {
    await vmRows().filter({ hasText: "steady01" }).getByRole("button", { name: "History of steady01" }).click();
    await page.getByRole("heading", { name: "History of steady01" }).waitFor();
    const figure = page.locator("figure[data-history='cpu.usage.pct']");
    await expect.poll(() => figure.getAttribute("aria-label")).toMatch(/^CPU \(%\): 336 values from .* lowest 68\.0, highest 72\.0$/);
    await expect.poll(() => figure.locator("svg path.recharts-curve").count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(screenshots, "utilisation.png"), fullPage: true });
    await page.getByRole("button", { name: "Close the history of steady01" }).click();
    await expect.poll(() => page.getByRole("heading", { name: "History of steady01" }).count()).toBe(0);
  });

  it("tells a customer without measured use how to get it", async () => {
    await openUtilisation(ids.bare!, "Unmeasured Ltd");
    await page.getByText("No measured use yet").waitFor();
    expect(await page.getByText(/Insufficient data for 5 powered-on VMs/).count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });
});

/**
 * Stored analyses (server/analysis/stored.ts) on a real Postgres: a collection leaves its customer's
 * analysis stored, equal to a fresh computation; readers (in this process, through a new pool, and in
 * a second Node process) take it without computing; a new collection or a parameter change makes them
 * compute again rather than serve the outdated one; a corrupt row is recomputed, never an error.
 * And the page status of a source (sources page, customers list, fleet health) says stale only past
 * twice the interval.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyse } from "../../server/analysis";
import { loadInventory, PARAMETERS_SETTING } from "../../server/analysis/load";
import { resolveParameters } from "../../server/analysis/parameters";
import {
  analyseCustomer,
  analysesComputed,
  analysesDecoded,
  analysisVersion,
  customerAnalysis,
  decodeAnalysis,
  forgetCachedAnalyses,
  keepAnalysesFresh,
  stopRefreshing,
} from "../../server/analysis/stored";
import { DEMO_CUSTOMERS } from "../../server/collectors/demo/fleet";
import { connect } from "../../server/db/client";
import { collectionHealth } from "../../server/inventory/health";
import { listCustomers, listSources } from "../../server/inventory/overview";
import { collectSource } from "../../server/jobs/collect";
import { createTestDatabase, type TestDatabase } from "./db";

let t: TestDatabase;
let customerId: string;
let sourceId: string;

beforeAll(async () => {
  t = await createTestDatabase();
  const customer = await t.prisma.customer.create({ data: { name: "Stored analysis" } });
  const source = await t.prisma.source.create({
    data: { customerId: customer.id, kind: "demo", name: "demo", endpoint: `demo:${DEMO_CUSTOMERS[0]!.key}` },
  });
  customerId = customer.id;
  sourceId = source.id;
}, 60_000);
afterAll(async () => {
  await t.drop();
});

const storedRow = async () =>
  (
    await t.pool.query<{ inventory_version: string; parameters_hash: string; format: string; result: Buffer; bytes: number; compute_ms: number }>(
      `SELECT inventory_version, parameters_hash, format, result, bytes, compute_ms FROM customer_analysis WHERE customer_id = $1`,
      [customerId],
    )
  ).rows[0];

/** The analysis computed now from the stored inventory, at the same moment the stored one was (its asOf). */
async function fresh(asOf: string | null) {
  const { rows } = await t.pool.query<{ value: unknown }>(`SELECT value FROM app_setting WHERE key = $1`, [PARAMETERS_SETTING]);
  const parameters = resolveParameters(rows[0]?.value ?? null);
  const inventory = await loadInventory(t, [customerId], { asOf: asOf ? new Date(asOf) : undefined, periodDays: parameters.utilisationPeriodDays });
  return analyse(inventory, parameters);
}

describe("stored analyses", () => {
  it("are stored by a collection and equal a fresh computation; a reader then computes nothing", async () => {
    expect(await storedRow()).toBeUndefined();
    await collectSource(sourceId, { database: t });
    const row = await storedRow();
    expect(row).toBeDefined();
    expect(row!.inventory_version).toContain(sourceId);
    expect(row!.bytes).toBe(row!.result.length);
    expect(row!.compute_ms).toBeGreaterThan(0);
    // The trend point is recorded by the same job.
    expect(await t.prisma.customerTrend.count({ where: { customerId } })).toBe(1);

    const stored = await decodeAnalysis(row!.format, row!.result);
    expect(stored.migration.verdicts.length).toBeGreaterThan(50);
    expect(stored).toEqual(await fresh(stored.utilisation.asOf));

    forgetCachedAnalyses(); // as a process that has not read it yet
    const before = analysesComputed();
    const read = await customerAnalysis(t, customerId);
    expect(analysesComputed()).toBe(before);
    expect(read.analysis).toEqual(stored);
  }, 120_000);

  it("are read by another pool and by a second Node process without computing", async () => {
    forgetCachedAnalyses();
    const other = connect(t.url, { max: 2 });
    try {
      const before = analysesComputed();
      const { analysis } = await customerAnalysis(other, customerId);
      expect(analysesComputed()).toBe(before);
      expect(analysis.migration.verdicts.length).toBe((await customerAnalysis(t, customerId)).analysis.migration.verdicts.length);
    } finally {
      await other.close();
    }
    // A real second process: its own memory, its own pool; it reports what it computed.
    const root = path.resolve(import.meta.dirname, "../..");
    const script = `
      import { connect } from "./server/db/client";
      import { analysesComputed, customerAnalysis } from "./server/analysis/stored";
      const database = connect(process.env.TEST_URL, { max: 2 });
      const { analysis } = await customerAnalysis(database, process.env.TEST_CUSTOMER);
      console.log(JSON.stringify({ computed: analysesComputed(), verdicts: analysis.migration.verdicts.length, findings: analysis.findings.length }));
      await database.close();`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: root,
      env: { ...process.env, TEST_URL: t.url, TEST_CUSTOMER: customerId },
    });
    const child = JSON.parse(stdout.trim().split("\n").at(-1)!) as { computed: number; verdicts: number; findings: number };
    const mine = (await customerAnalysis(t, customerId)).analysis;
    expect(child).toEqual({ computed: 0, verdicts: mine.migration.verdicts.length, findings: mine.findings.length });
  }, 120_000);

  it("are computed again after a parameter change, not served from the outdated row, and again when it is undone", async () => {
    const before = await storedRow();
    const computed = analysesComputed();
    const overrides = { scoreDeduction: { critical: 60, warning: 30, info: 5 }, targetVcpuPerCore: 1 };
    await t.prisma.appSetting.create({ data: { key: PARAMETERS_SETTING, value: overrides } });
    const changed = await customerAnalysis(t, customerId);
    expect(analysesComputed()).toBe(computed + 1);
    expect(changed.parameters.scoreDeduction).toEqual(overrides.scoreDeduction);
    expect(changed.analysis).toEqual(await fresh(changed.analysis.utilisation.asOf));
    const after = await storedRow();
    expect(after!.parameters_hash).not.toBe(before!.parameters_hash);
    expect(after!.inventory_version).toBe(before!.inventory_version);
    // Another process reads the new one.
    forgetCachedAnalyses();
    await customerAnalysis(t, customerId);
    expect(analysesComputed()).toBe(computed + 1);

    await t.prisma.appSetting.delete({ where: { key: PARAMETERS_SETTING } });
    const undone = await customerAnalysis(t, customerId);
    expect(analysesComputed()).toBe(computed + 2);
    expect((await storedRow())!.parameters_hash).toBe(before!.parameters_hash);
    expect(undone.analysis).toEqual(await fresh(undone.analysis.utilisation.asOf));
  }, 120_000);

  it("are computed again after a new collection (the job), and the job then leaves readers nothing to do", async () => {
    const version = await analysisVersion(t, customerId);
    await collectSource(sourceId, { database: t });
    const next = await analysisVersion(t, customerId);
    expect(next.inventory).not.toBe(version.inventory);
    expect((await storedRow())!.inventory_version).toBe(next.inventory);
    forgetCachedAnalyses();
    const computed = analysesComputed();
    await customerAnalysis(t, customerId);
    expect(analysesComputed()).toBe(computed);
    // The job again: nothing to compute unless forced; each run records the trend.
    expect((await analyseCustomer(t, customerId)).computed).toBe(false);
    const forced = await analyseCustomer(t, customerId, { force: true });
    expect(forced.computed).toBe(true);
    expect(forced.figures.virtualMachines).toBeGreaterThan(50);
  }, 120_000);

  it("recompute a corrupt or foreign-format row instead of failing, and store a good one", async () => {
    for (const damage of [
      `UPDATE customer_analysis SET result = '\\x1f8b0800deadbeef'::bytea WHERE customer_id = $1`,
      `UPDATE customer_analysis SET result = substring(result from 1 for 100) WHERE customer_id = $1`,
      `UPDATE customer_analysis SET format = 'json' WHERE customer_id = $1`,
    ]) {
      await t.pool.query(damage, [customerId]);
      forgetCachedAnalyses();
      const computed = analysesComputed();
      const { analysis } = await customerAnalysis(t, customerId);
      expect(analysesComputed(), damage).toBe(computed + 1);
      expect(analysis.migration.verdicts.length).toBeGreaterThan(50);
      const row = await storedRow();
      expect(await decodeAnalysis(row!.format, row!.result)).toEqual(analysis);
    }
  }, 120_000);

  it("of a customer without sources is empty, and deleted with the customer", async () => {
    const empty = await t.prisma.customer.create({ data: { name: "Nothing yet" } });
    const { analysis } = await customerAnalysis(t, empty.id);
    expect(analysis.migration.verdicts).toEqual([]);
    expect(await t.prisma.customerAnalysis.count({ where: { customerId: empty.id } })).toBe(1);
    await t.prisma.customer.delete({ where: { id: empty.id } });
    expect(await t.prisma.customerAnalysis.count({ where: { customerId: empty.id } })).toBe(0);
  });
});

describe("a web process after a collection elsewhere", () => {
  it("reads the new stored analysis of a customer it holds in memory before the next page view asks", async () => {
    keepAnalysesFresh(); // as the web server (server/http/serve.ts) does: it listens for stored analyses
    const web = connect(t.url, { max: 2 });
    try {
      forgetCachedAnalyses();
      await customerAnalysis(web, customerId); // the page view that puts the customer in memory
      const deadline = Date.now() + 30_000;
      const listening = async () =>
        (await t.pool.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN customer_analysis'`)).rowCount;
      while (!(await listening())) {
        if (Date.now() > deadline) throw new Error("the web process never listened");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const decoded = analysesDecoded();
      await collectSource(sourceId, { database: t }); // the worker (its own pool and memory): ingest, then the stored analysis
      const stored = Date.now() + 60_000;
      while (analysesDecoded() === decoded) {
        if (Date.now() > stored) throw new Error("the new analysis was never read");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // The next page view: nothing to read or compute, and it is the new inventory's.
      const [computed, read] = [analysesComputed(), analysesDecoded()];
      const { analysis } = await customerAnalysis(web, customerId);
      expect([analysesComputed(), analysesDecoded()]).toEqual([computed, read]);
      expect(read).toBe(decoded + 1);
      const row = await storedRow();
      expect(row!.inventory_version).toBe((await analysisVersion(t, customerId)).inventory);
      expect(analysis).toEqual(await decodeAnalysis(row!.format, row!.result));

      // Near miss: a new inventory whose stored row was made under other parameters (another release
      // rolling out): the notified web process leaves it alone, computing nothing, so two processes
      // never make each other recompute in turn; its next page view computes for its own version.
      await t.prisma.collectionRun.create({ data: { sourceId, status: "succeeded", finishedAt: new Date() } });
      await t.pool.query(`UPDATE customer_analysis SET parameters_hash = 'another release', inventory_version = $2 WHERE customer_id = $1`, [
        customerId,
        (await analysisVersion(t, customerId)).inventory,
      ]);
      const [computedBefore, readBefore] = [analysesComputed(), analysesDecoded()];
      await t.pool.query(`SELECT pg_notify('customer_analysis', $1)`, [customerId]);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect([analysesComputed(), analysesDecoded()]).toEqual([computedBefore, readBefore]);
      await customerAnalysis(web, customerId);
      expect(analysesComputed()).toBe(computedBefore + 1);
    } finally {
      await stopRefreshing(web);
      await web.close();
      keepAnalysesFresh(false);
    }
  }, 120_000);
});

describe("stale on every page: one rule, twice the interval", () => {
  it("says ok at 1.9 intervals and stale at 2.1 on the sources page, the customers list and the fleet health", async () => {
    const customer = await t.prisma.customer.create({ data: { name: "Stale check" } });
    const source = await t.prisma.source.create({
      data: { customerId: customer.id, kind: "docker", name: "engine", endpoint: "unix:///x", intervalSeconds: 3600 },
    });
    const run = await t.prisma.collectionRun.create({ data: { sourceId: source.id, status: "succeeded" } });
    const states = async () => {
      const [sources, customers, health] = await Promise.all([
        listSources(t, { customerIds: [customer.id] }),
        listCustomers(t, { customerIds: [customer.id] }),
        collectionHealth(t, { customerIds: [customer.id] }),
      ]);
      return [sources[0]!.status, customers[0]!.status, health.customers[0]!.sources[0]!.state, health.customers[0]!.state];
    };
    const finishedAgo = async (seconds: number) => {
      const at = new Date(Date.now() - seconds * 1000);
      await t.prisma.collectionRun.update({ where: { id: run.id }, data: { startedAt: at, finishedAt: at } });
    };
    await finishedAgo(1.5 * 3600); // past the interval once: a missed cycle, not stale
    expect(await states()).toEqual(["ok", "ok", "ok", "ok"]);
    await finishedAgo(1.9 * 3600);
    expect(await states()).toEqual(["ok", "ok", "ok", "ok"]);
    await finishedAgo(2.1 * 3600);
    expect(await states()).toEqual(["stale", "stale", "stale", "stale"]);
  });
});

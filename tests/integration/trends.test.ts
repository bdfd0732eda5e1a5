/**
 * Trends across collections (server/analysis/trends.ts): each successful collection of a source
 * records its customer's analysis totals; they are read back per customer (in scope only) and as
 * the fleet's figures per day. The collections are real runs of the demo source kind (its `vms`
 * option changes the fleet between them), on real Postgres.
 */
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../../server/api/root";
import type { Viewer } from "../../server/api/trpc";
import { demoEndpoint } from "../../server/collectors/demo/collector";
import { DEMO_CUSTOMERS } from "../../server/collectors/demo/fleet";
import { collectSource } from "../../server/jobs/collect";
import { checkedFigures, fleetTrends, TREND_HOURLY_DAYS, TREND_KEEP_DAYS, writeTrend, type TrendFigures } from "../../server/analysis/trends";
import { DEMO_HISTORY_WEEKS, demoDrift, seedDemoFleet } from "../../server/demo/seed";
import { createTestDatabase, type TestDatabase } from "./db";

let t: TestDatabase;
const admin: Viewer = { id: "admin", role: "admin", scope: { kind: "all" } };
const as = (viewer: Viewer) => createCaller({ database: t, viewer });
const HOUR = 3_600_000;
/** A ratio as the density analysis rounds it (two decimals). */
const ratio2 = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const DAY = 24 * HOUR;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

async function demoCustomer(name: string, vms: number) {
  const customer = await t.prisma.customer.create({ data: { name } });
  const source = await t.prisma.source.create({
    data: { customerId: customer.id, kind: "demo", name: "demo", endpoint: demoEndpoint(DEMO_CUSTOMERS[0]!.key), options: { vms, seed: 7 } },
  });
  return { customerId: customer.id, sourceId: source.id };
}

/** What ingest's own metrics history says of a run (counted from the snapshot, not by the analyses). */
async function metricsOf(runId: string) {
  const { rows } = await t.pool.query<{ vms_powered_on: number; vcpus_powered_on: number; vm_memory_mib_powered_on: number; containers: number }>(
    `SELECT vms_powered_on, vcpus_powered_on, vm_memory_mib_powered_on, containers FROM metrics_sample WHERE run_id = $1`,
    [runId],
  );
  return rows[0]!;
}

async function trendRows(customerId: string) {
  return t.prisma.customerTrend.findMany({ where: { customerId }, orderBy: { at: "asc" } });
}

const figures = (over: Partial<TrendFigures> = {}): TrendFigures => ({
  physicalHosts: 2,
  virtualMachines: 10,
  vmsPoweredOn: 8,
  containers: 4,
  physicalCores: 32,
  physicalMemoryMiB: 262_144,
  vcpusPoweredOn: 64,
  vmMemoryMiBPoweredOn: 131_072,
  vcpuPerCore: 2,
  vramPerPram: 0.5,
  ramUsedMiB: 100_000,
  hostsMeasured: 2,
  ramWasteMiB: 4096,
  criticalFindings: 1,
  warningFindings: 3,
  postureScore: 80,
  scoredContainers: 4,
  candidates: 5,
  reclaimMemoryMiB: 8192,
  ...over,
});

describe("a collection records its customer's trend", () => {
  let customerId: string;
  let sourceId: string;

  it("two collections of a source with different fleets give two rows with each one's figures", async () => {
    ({ customerId, sourceId } = await demoCustomer("Trend A", 12));
    const first = await collectSource(sourceId, { database: t });
    expect((await t.prisma.collectionRun.findUniqueOrThrow({ where: { id: first.runId } })).warnings.filter((w) => w.startsWith("trend"))).toEqual([]);
    let rows = await trendRows(customerId);
    expect(rows).toHaveLength(1);
    // The first collection was two hours ago (its row moves back; the slot follows `at`).
    await t.pool.query(`UPDATE customer_trend SET at = at - interval '2 hours', hour = hour - interval '2 hours' WHERE customer_id = $1`, [customerId]);

    await t.prisma.source.update({ where: { id: sourceId }, data: { options: { vms: 30, seed: 7 } } });
    const second = await collectSource(sourceId, { database: t });
    rows = await trendRows(customerId);
    expect(rows).toHaveLength(2);

    const run2 = await t.prisma.collectionRun.findUniqueOrThrow({ where: { id: second.runId } });
    expect(rows[1]!.at.getTime()).toBe(run2.finishedAt!.getTime());
    expect(rows[1]!.hour.getTime()).toBe(Math.floor(run2.finishedAt!.getTime() / HOUR) * HOUR);

    for (const [row, run] of [[rows[0]!, first], [rows[1]!, second]] as const) {
      const m = await metricsOf(run.runId);
      // The analysis's counts agree with ingest's own count of the snapshot.
      expect(row.vmsPoweredOn).toBe(m.vms_powered_on);
      expect(row.vcpusPoweredOn).toBe(m.vcpus_powered_on);
      expect(row.vmMemoryMiBPoweredOn).toBeCloseTo(m.vm_memory_mib_powered_on, 3);
      expect(row.containers).toBe(m.containers);
      expect(row.vcpuPerCore).toBe(ratio2(row.vcpusPoweredOn, row.physicalCores));
      expect(row.vramPerPram).toBe(ratio2(row.vmMemoryMiBPoweredOn, row.physicalMemoryMiB));
      expect(row.demo).toBe(false);
      // The demo measures its hosts: RAM used is the measured hosts' sum, within their memory.
      expect(row.hostsMeasured).toBeGreaterThan(0);
      expect(row.hostsMeasured).toBeLessThanOrEqual(row.physicalHosts);
      expect(row.ramUsedMiB).toBeGreaterThan(0);
      expect(row.ramUsedMiB!).toBeLessThanOrEqual(row.physicalMemoryMiB);
    }
    // The fleet grew between the two: the second row says so, the first keeps its figures.
    expect(rows[1]!.virtualMachines).toBeGreaterThan(rows[0]!.virtualMachines);
    expect(rows[1]!.vmsPoweredOn).toBeGreaterThan(rows[0]!.vmsPoweredOn);

    // The measured RAM used is what the Utilisation analysis gives per host, summed.
    const summary = await as(admin).analysis.customer({ customerId });
    expect(rows[1]!.physicalHosts).toBe(summary.density.totals!.physicalHosts);
    expect(rows[1]!.candidates).toBe(summary.migration.totals.candidates);
    expect(rows[1]!.criticalFindings).toBe(summary.findings.bySeverity.find((s) => s.severity === "critical")!.count);
    expect(rows[1]!.warningFindings).toBe(summary.findings.bySeverity.find((s) => s.severity === "warning")!.count);
  });

  it("a third collection in the same hour replaces that hour's row (one row per hour, the newest)", async () => {
    // Not across an hour's end: close to it, wait for the next hour; the newest row starts the hour.
    const toNextHour = HOUR - (Date.now() % HOUR);
    if (toNextHour < 30_000) await new Promise((resolve) => setTimeout(resolve, toNextHour + 500));
    await t.pool.query(
      `UPDATE customer_trend SET at = date_trunc('hour', now(), 'UTC'), hour = date_trunc('hour', now(), 'UTC')
        WHERE customer_id = $1 AND hour = (SELECT max(hour) FROM customer_trend WHERE customer_id = $1)`,
      [customerId],
    );
    const before = await trendRows(customerId);
    await t.prisma.source.update({ where: { id: sourceId }, data: { options: { vms: 20, seed: 7 } } });
    await collectSource(sourceId, { database: t });
    const after = await trendRows(customerId);
    expect(after).toHaveLength(2);
    expect(after[0]).toEqual(before[0]);
    expect(after[1]!.at.getTime()).toBeGreaterThan(before[1]!.at.getTime());
    expect(after[1]!.virtualMachines).toBeLessThan(before[1]!.virtualMachines);
    expect(after[1]!.virtualMachines).toBeGreaterThan(before[0]!.virtualMachines);
  });

  it("analysis.trends gives the points oldest first; a viewer of another customer gets NOT_FOUND", async () => {
    const mine: Viewer = { id: "v1", role: "viewer", scope: { kind: "some", customerIds: [customerId] } };
    const { points } = await as(mine).analysis.trends({ customerId });
    const rows = await trendRows(customerId);
    expect(points.map((p) => p.at.getTime())).toEqual(rows.map((r) => r.at.getTime()));
    expect(points.map((p) => p.virtualMachines)).toEqual(rows.map((r) => r.virtualMachines));
    // A window of 1 day still has them (both are recent).
    expect((await as(mine).analysis.trends({ customerId, days: 1 })).points).toHaveLength(2);

    const other = await t.prisma.customer.create({ data: { name: "Trend other" } });
    const stranger: Viewer = { id: "v2", role: "viewer", scope: { kind: "some", customerIds: [other.id] } };
    const refused = await as(stranger).analysis.trends({ customerId }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TRPCError);
    expect((refused as TRPCError).code).toBe("NOT_FOUND");
    const fleet = await as(stranger).analysis.fleetTrends();
    expect(fleet.customers.map((c) => c.customerId)).toEqual([other.id]);
    expect(fleet.fleet).toEqual([]);
    expect(JSON.stringify(fleet)).not.toContain(customerId);
    // The admin sees both customers, and the fleet's points.
    const all = await as(admin).analysis.fleetTrends({ days: 30 });
    expect(all.customers.find((c) => c.customerId === customerId)!.points.length).toBeGreaterThan(0);
    expect(all.fleet.length).toBeGreaterThan(0);
  });

  it("a trend that cannot be written is a warning on the run: the collection succeeds and its inventory is stored", async () => {
    const { customerId: id, sourceId: src } = await demoCustomer("Trend broken", 8);
    await t.pool.query(`CREATE FUNCTION refuse_trend() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'trend storage refused'; END $$`);
    await t.pool.query(`CREATE TRIGGER refuse_trend BEFORE INSERT ON customer_trend FOR EACH ROW EXECUTE FUNCTION refuse_trend()`);
    try {
      const result = await collectSource(src, { database: t });
      const run = await t.prisma.collectionRun.findUniqueOrThrow({ where: { id: result.runId } });
      expect(run.status).toBe("succeeded");
      expect(run.warnings.filter((w) => w.startsWith("trend not recorded"))).toHaveLength(1);
      expect(run.warnings.find((w) => w.startsWith("trend not recorded"))).toContain("trend storage refused");
      expect(await t.prisma.virtualMachine.count({ where: { sourceId: src } })).toBe(8);
      expect(await trendRows(id)).toEqual([]);
    } finally {
      await t.pool.query(`DROP TRIGGER refuse_trend ON customer_trend; DROP FUNCTION refuse_trend()`);
    }
    // Near miss: the same source collected with the table writable records its trend, no warning.
    const again = await collectSource(src, { database: t });
    const run = await t.prisma.collectionRun.findUniqueOrThrow({ where: { id: again.runId } });
    expect(run.warnings.filter((w) => w.startsWith("trend"))).toEqual([]);
    expect(await trendRows(id)).toHaveLength(1);
  });
});

describe("writing trend rows", () => {
  it("keeps the newest row of an hour: a later time replaces it, an earlier one does not", async () => {
    const { id } = await t.prisma.customer.create({ data: { name: "Trend hours" } });
    const base = new Date("2026-11-20T10:00:00Z").getTime();
    await writeTrend(t, id, new Date(base + 10 * 60_000), figures({ virtualMachines: 10 }));
    await writeTrend(t, id, new Date(base + 40 * 60_000), figures({ virtualMachines: 11 }));
    await writeTrend(t, id, new Date(base + 20 * 60_000), figures({ virtualMachines: 12 }));
    await writeTrend(t, id, new Date(base + 61 * 60_000), figures({ virtualMachines: 13 }));
    const rows = await trendRows(id);
    expect(rows.map((r) => [r.at.toISOString(), r.virtualMachines])).toEqual([
      ["2026-11-20T10:40:00.000Z", 11],
      ["2026-11-20T11:01:00.000Z", 13],
    ]);
  });

  it(`thins rows older than ${TREND_HOURLY_DAYS} days to the newest of each day, and deletes those older than ${TREND_KEEP_DAYS}`, async () => {
    const { id } = await t.prisma.customer.create({ data: { name: "Trend retention" } });
    const now = new Date("2026-11-30T12:00:00Z").getTime();
    const oldDay = now - (TREND_HOURLY_DAYS + 5) * DAY; // 12:00 that day
    const recentDay = now - (TREND_HOURLY_DAYS - 5) * DAY;
    for (const [at, vms] of [
      [now - (TREND_KEEP_DAYS + 1) * DAY, 1],
      [now - (TREND_KEEP_DAYS - 1) * DAY, 2],
      [oldDay - 3 * HOUR, 3],
      [oldDay, 4],
      [oldDay + 3 * HOUR, 5],
      [recentDay - 3 * HOUR, 6],
      [recentDay, 7],
    ] as const) {
      await writeTrend(t, id, new Date(at), figures({ virtualMachines: vms }));
    }
    await writeTrend(t, id, new Date(now), figures({ virtualMachines: 8 }));
    const rows = await trendRows(id);
    // 1 is past the keep window; 3 and 4 lose to 5 (same old day); 6 and 7 are within the hourly window.
    expect(rows.map((r) => r.virtualMachines)).toEqual([2, 5, 6, 7, 8]);
  });

  it("rejects figures that are not counts (NaN, negative, missing) and stores nothing; saturates huge counts; null where a figure may be missing", async () => {
    const { id } = await t.prisma.customer.create({ data: { name: "Trend bad input" } });
    const at = new Date("2026-11-20T10:00:00Z");
    await expect(writeTrend(t, id, at, figures({ virtualMachines: Number.NaN }))).rejects.toThrow(/virtualMachines is NaN/);
    await expect(writeTrend(t, id, at, figures({ containers: -3 }))).rejects.toThrow(/containers is -3/);
    await expect(writeTrend(t, id, at, figures({ ramWasteMiB: null as unknown as number }))).rejects.toThrow(/ramWasteMiB is missing/);
    await expect(writeTrend(t, id, new Date(Number.NaN), figures())).rejects.toThrow(/not a valid date/);
    expect(await trendRows(id)).toEqual([]);

    expect(checkedFigures(figures({ physicalCores: 1e12 })).physicalCores).toBe(2_147_483_647);
    await writeTrend(t, id, at, figures({ physicalCores: 1e12, vcpuPerCore: Number.POSITIVE_INFINITY, postureScore: Number.NaN, ramUsedMiB: null }));
    const [row] = await trendRows(id);
    expect(row!.physicalCores).toBe(2_147_483_647);
    expect(row!.vcpuPerCore).toBeNull();
    expect(row!.postureScore).toBeNull();
    expect(row!.ramUsedMiB).toBeNull();
    expect(row!.physicalMemoryMiB).toBe(262_144);
  });
});

describe("the fleet per day", () => {
  it("sums each customer's newest point at each day's end (carried forward), recomputes ratios and weights the posture", async () => {
    const a = await t.prisma.customer.create({ data: { name: "Fleet A" } });
    const b = await t.prisma.customer.create({ data: { name: "Fleet B" } });
    const now = new Date("2026-11-30T18:00:00Z");
    const day = (n: number, hour = 9) => new Date(Date.UTC(2026, 10, 30 - n, hour));
    // Before the window: carries into it for A.
    await writeTrend(t, a.id, day(20), figures({ physicalHosts: 1, physicalCores: 10, vcpusPoweredOn: 20, postureScore: 50, scoredContainers: 1, ramUsedMiB: null }));
    await writeTrend(t, b.id, day(3), figures({ physicalHosts: 2, physicalCores: 30, vcpusPoweredOn: 30, postureScore: 90, scoredContainers: 3, ramUsedMiB: 1000 }));
    await writeTrend(t, a.id, day(1, 8), figures({ physicalHosts: 4, physicalCores: 40, vcpusPoweredOn: 40, postureScore: 70, scoredContainers: 1, ramUsedMiB: 500 }));
    // Same day, later: the day's point is the newest.
    await writeTrend(t, a.id, day(1, 15), figures({ physicalHosts: 5, physicalCores: 50, vcpusPoweredOn: 100, postureScore: 60, scoredContainers: 1, ramUsedMiB: 700 }));

    const result = await fleetTrends(t, [{ id: a.id, name: a.name }, { id: b.id, name: b.name }], 10, now);
    expect(result.customers.map((c) => [c.name, c.points.map((p) => p.physicalHosts)])).toEqual([
      ["Fleet A", [5]],
      ["Fleet B", [2]],
    ]);
    expect(result.fleet.map((p) => p.at.toISOString())).toEqual(["2026-11-27T00:00:00.000Z", "2026-11-29T00:00:00.000Z"]);
    const [d3, d1] = result.fleet;
    // Day 3: A's point from before the window (1 host) with B's (2 hosts).
    expect(d3!.customers).toBe(2);
    expect(d3!.physicalHosts).toBe(3);
    expect(d3!.vcpuPerCore).toBe(1.25); // (20 + 30) / (10 + 30)
    expect(d3!.postureScore).toBe(80); // (50 × 1 + 90 × 3) / 4
    expect(d3!.ramUsedMiB).toBe(1000); // only B is measured
    expect(d3!.customersMeasured).toBe(1);
    // Day 1: A's newest of the day (5 hosts), B carried forward.
    expect(d1!.physicalHosts).toBe(7);
    expect(d1!.vcpuPerCore).toBe(1.63); // 130 / 80
    expect(d1!.postureScore).toBe(82.5); // (60 + 270) / 4
    expect(d1!.ramUsedMiB).toBe(1700);
    expect(d1!.criticalFindings).toBe(2);
  });
});

describe("the demo seed's history", () => {
  it("gives each demo customer weekly demo-marked points before its first collection's, derived deterministically", async () => {
    const fresh = await createTestDatabase();
    try {
      expect(await seedDemoFleet(fresh)).toBe(true);
      const customers = await fresh.prisma.customer.findMany({ include: { trends: { orderBy: { at: "asc" } } } });
      expect(customers.length).toBe(DEMO_CUSTOMERS.length);
      for (const c of customers) {
        const rows = c.trends;
        expect(rows, c.name).toHaveLength(DEMO_HISTORY_WEEKS + 1);
        expect(rows.map((r) => r.demo), c.name).toEqual([...Array<boolean>(DEMO_HISTORY_WEEKS).fill(true), false]);
        const collected = rows.at(-1)!;
        const run = await fresh.prisma.collectionRun.findFirstOrThrow({ where: { source: { customerId: c.id } } });
        expect(collected.at.getTime()).toBe(run.finishedAt!.getTime());
        for (let i = 1; i < rows.length; i++) {
          expect(rows[i]!.at.getTime() - rows[i - 1]!.at.getTime(), c.name).toBe(7 * DAY);
          // A fleet that grew: never fewer VMs a week later, and the ratios follow the drifted sums.
          expect(rows[i]!.virtualMachines).toBeGreaterThanOrEqual(rows[i - 1]!.virtualMachines);
        }
        expect(rows[0]!.virtualMachines, c.name).toBeLessThan(collected.virtualMachines);
        for (const r of rows.slice(0, -1)) {
          expect(r.vcpuPerCore).toBe(ratio2(r.vcpusPoweredOn, r.physicalCores));
          expect(r.vramPerPram).toBe(ratio2(r.vmMemoryMiBPoweredOn, r.physicalMemoryMiB));
          expect(r.hostsMeasured).toBeLessThanOrEqual(r.physicalHosts);
        }
        // Deterministic: the same figures again from the collected point.
        expect(demoDrift(collected, "northwind", 3)).toEqual(demoDrift(collected, "northwind", 3));
      }
      // Real customers get none: a customer added later has only what its collections record.
      const real = await fresh.prisma.customer.create({ data: { name: "Real" } });
      expect(await fresh.prisma.customerTrend.count({ where: { customerId: real.id } })).toBe(0);
    } finally {
      await fresh.drop();
    }
  });
});

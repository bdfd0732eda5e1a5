/**
 * The two doors to measured use agree: the figures SQL computes from utilisation_sample (the
 * dashboard) equal those ./stats.ts computes from the same snapshots' series (the analyse CLI), on
 * varied data: several intervals, gaps, values read twice, values outside the period, power
 * observations across collections; and the stored figures reach the customer's analysis.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customerAnalysis, loadInventory } from "../../server/analysis/load";
import { createCaller } from "../../server/api/root";
import { applySnapshot } from "../../server/inventory/ingest";
import { parseSnapshot, type SnapshotInput } from "../../server/inventory/snapshot";
import { observedPower } from "../../server/utilisation/series";
import { statsFromSeries, objectUseKey } from "../../server/utilisation/stats";
import { smallSnapshot } from "../fixtures/snapshots";
import { createDockerSource, createTestDatabase, type TestDatabase } from "./db";

let t: TestDatabase;
let customerId: string;
let sourceId: string;
/** Recent, so that nothing is old enough to be rolled up (store.ts keeps 35 days as collected). */
const AS_OF = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 - 14 * 3_600_000);
const FIRST = new Date(AS_OF.getTime() - 7 * 86_400_000);

/** A deterministic pseudo-random walk (no Math.random: the test must be repeatable). */
function walk(count: number, seed: number, scale: number): (number | null)[] {
  let x = seed;
  return Array.from({ length: count }, (_, i) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    if (i % 17 === 5) return null;
    return Math.round(((x / 2147483648) * scale) * 1000) / 1000;
  });
}

function collection(collectedAt: string, vm2On: boolean): SnapshotInput {
  const snapshot = smallSnapshot({ vms: 3 });
  snapshot.collectedAt = collectedAt;
  snapshot.virtualMachines![2]!.powerState = vm2On ? "poweredOn" : "poweredOff";
  const end = Date.parse(collectedAt);
  const startOf = (count: number, interval: number) => new Date(end - (count - 1) * interval * 1000).toISOString();
  snapshot.utilisation = [
    { object: "virtualMachine", externalId: "vm-0", metric: "cpu.usage.pct", intervalSeconds: 1800, start: startOf(336, 1800), values: walk(336, 1, 100) },
    { object: "virtualMachine", externalId: "vm-0", metric: "cpu.usage.pct", intervalSeconds: 20, start: collectedAt, values: [42.5] },
    { object: "virtualMachine", externalId: "vm-0", metric: "mem.active.mib", intervalSeconds: 7200, start: startOf(240, 7200), values: walk(240, 2, 8192) },
    { object: "virtualMachine", externalId: "vm-1", metric: "cpu.usage.mhz", intervalSeconds: 300, start: startOf(288, 300), values: walk(288, 3, 4000) },
    { object: "host", externalId: "host-1", metric: "mem.consumed.mib", intervalSeconds: 1800, start: startOf(336, 1800), values: walk(336, 4, 200_000) },
    { object: "container", externalId: snapshot.containers![0]!.externalId, metric: "cpu.usage.pct", intervalSeconds: 2, start: collectedAt, values: [3.25] },
  ];
  return snapshot;
}

const collections = [collection(FIRST.toISOString(), true), collection(AS_OF.toISOString(), false)];

beforeAll(async () => {
  t = await createTestDatabase();
  ({ customerId, sourceId } = await createDockerSource(t, "kvm"));
  for (const snapshot of collections) await applySnapshot(sourceId, snapshot, { database: t });
});
afterAll(async () => {
  await t.drop();
});

describe("measured use, SQL and TypeScript", () => {
  it.each([30, 3])("gives the same figures over %i days", async (periodDays) => {
    const inventory = await loadInventory(t, [customerId], { asOf: AS_OF, periodDays });
    const parsed = collections.map((c) => parseSnapshot(c));
    const expected = statsFromSeries(parsed.flatMap((s) => [...s.utilisation, ...observedPower(s)]), AS_OF, periodDays);
    const objects = [
      ...inventory.hosts.map((h) => ({ key: h.key, id: objectUseKey("host", h.externalId) })),
      ...inventory.virtualMachines.map((v) => ({ key: v.key, id: objectUseKey("virtualMachine", v.externalId) })),
      ...inventory.containers.map((c) => ({ key: c.key, id: objectUseKey("container", c.externalId) })),
    ];
    let compared = 0;
    for (const { key, id } of objects) {
      const sql = inventory.use!.get(key);
      const ts = expected.get(id);
      expect(sql === undefined, id).toBe(ts === undefined);
      if (!sql || !ts) continue;
      expect(Object.keys(sql.metrics).sort(), id).toEqual(Object.keys(ts.metrics).sort());
      for (const [metric, figures] of Object.entries(ts.metrics)) {
        const got = sql.metrics[metric as keyof typeof sql.metrics]!;
        expect({ ...got, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0 }, `${id} ${metric}`).toEqual({ ...figures, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0 });
        for (const f of ["mean", "p50", "p90", "p95", "p99"] as const) expect(got[f], `${id} ${metric} ${f}`).toBeCloseTo(figures[f], 6);
        compared++;
      }
      expect(sql.power, id).toEqual(ts.power);
    }
    expect(compared).toBeGreaterThanOrEqual(periodDays === 30 ? 5 : 4);
  });

  it("keeps the 30-minute figures of vm-0 (most time covered), the quick stat as its latest value, and vm-2's power history", async () => {
    const inventory = await loadInventory(t, [customerId], { asOf: AS_OF, periodDays: 30 });
    const byName = new Map(inventory.virtualMachines.map((v) => [v.externalId, v.key]));
    const vm0 = inventory.use!.get(byName.get("vm-0")!)!;
    expect(vm0.metrics["cpu.usage.pct"]).toMatchObject({ intervalSeconds: 1800, latest: 42.5, latestAt: AS_OF.toISOString() });
    // Two weeks of 30-minute values, overlapping by one value (stored once), less the gaps.
    expect(vm0.metrics["cpu.usage.pct"]!.count).toBe(2 * 336 - 1 - 2 * 20 + 1);
    expect(inventory.use!.get(byName.get("vm-2")!)!.power).toEqual({
      firstAt: FIRST.toISOString(),
      lastAt: AS_OF.toISOString(),
      lastOnAt: FIRST.toISOString(),
      latestOn: false,
    });
  });

  it("reaches the customer's analysis", async () => {
    const { analysis } = await customerAnalysis(t, customerId);
    const vm0 = analysis.utilisation.vms.find((v) => v.name === "docker01")!;
    expect(vm0.measuredHours).toBeGreaterThan(24);
    expect(vm0.status).not.toBe("insufficient-data");
    expect(analysis.utilisation.totals.vmsMeasured).toBe(2);
  });

  it("serves a VM's history to its customer only: another customer's VM named with this customer's id is not found", async () => {
    const other = await createDockerSource(t, "other");
    await applySnapshot(other.sourceId, collections[1]!, { database: t });
    const viewer = createCaller({ database: t, viewer: { id: "v", role: "viewer", scope: { kind: "some", customerIds: [customerId] } } });
    const mine = await t.prisma.virtualMachine.findFirstOrThrow({ where: { sourceId, externalId: "vm-0" } });
    const theirs = await t.prisma.virtualMachine.findFirstOrThrow({ where: { sourceId: other.sourceId, externalId: "vm-0" } });
    const history = await viewer.analysis.utilisationHistory({ customerId, objectKind: "virtualMachine", objectKey: mine.id });
    expect(history.name).toBe("docker01");
    const cpu = history.series.find((x) => x.metric === "cpu.usage.pct")!;
    expect(cpu).toMatchObject({ unit: "%", intervalSeconds: 1800 });
    expect(cpu.points.length).toBeGreaterThan(300);
    await expect(viewer.analysis.utilisationHistory({ customerId, objectKind: "virtualMachine", objectKey: theirs.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(viewer.analysis.utilisationHistory({ customerId: other.customerId, objectKind: "virtualMachine", objectKey: theirs.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    // The same id as another kind of object is not found either.
    await expect(viewer.analysis.utilisationHistory({ customerId, objectKind: "host", objectKey: mine.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("pages, filters and sorts the VMs on the server", async () => {
    const viewer = createCaller({ database: t, viewer: { id: "v", role: "viewer", scope: { kind: "some", customerIds: [customerId] } } });
    const summary = await viewer.analysis.utilisation({ customerId });
    expect(Object.values(summary.byStatus).reduce((a, b) => a + b, 0)).toBe(3);
    expect(summary.byStatus["powered-off"]).toBe(1);
    const off = await viewer.analysis.utilisationVms({ customerId, status: "powered-off" });
    expect(off.rows.map((r) => r.name)).toEqual(["app-2"]);
    const byName = await viewer.analysis.utilisationVms({ customerId, sort: { column: "name", direction: "desc" }, pageSize: 2, page: 0 });
    expect(byName).toMatchObject({ total: 3 });
    expect(byName.rows.map((r) => r.name)).toEqual(["docker01", "app-2"]);
  });
});

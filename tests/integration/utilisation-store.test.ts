/**
 * Measured use in real Postgres: a snapshot's series are stored after its inventory (one row per
 * value, gaps left out, the same values twice stored once), every VM's power state is observed at
 * each collection, old values roll up to daily means weighted by their intervals with their peaks,
 * and measured use that cannot be stored leaves the inventory and the run's success intact.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { applySnapshot } from "../../server/inventory/ingest";
import { salvageSnapshot } from "../../server/inventory/salvage";
import { parseSnapshot, type SnapshotInput } from "../../server/inventory/snapshot";
import { SAMPLES, UTILISATION_DAILY_DAYS, UTILISATION_RAW_DAYS, writeUtilisation } from "../../server/utilisation/store";
import { smallSnapshot } from "../fixtures/snapshots";
import { createDockerSource, createTestDatabase, type TestDatabase } from "./db";

let t: TestDatabase;
let sourceId: string;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});
beforeEach(async () => {
  ({ sourceId } = await createDockerSource(t, "s"));
});

type Row = { object_kind: string; external_id: string; metric: string; interval_s: number; at: Date; value: number; peak: number | null };
const rows = async (metric?: string) =>
  (
    await t.pool.query<Row>(
      `SELECT object_kind, external_id, metric, interval_s, at, value, peak FROM ${SAMPLES}
        WHERE source_id = $1 ${metric ? "AND metric = $2" : ""} ORDER BY object_kind, external_id, metric, interval_s, at`,
      metric ? [sourceId, metric] : [sourceId],
    )
  ).rows;

/** Yesterday (UTC) at hh:mm, as ISO text: inside the raw window whatever the date the test runs on (fixed dates rolled up once they aged). */
const DAY = (() => {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 1);
})();
const at = (hhmm: string) => new Date(DAY + (Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3))) * 60_000).toISOString();

function withUse(): SnapshotInput {
  const snapshot = smallSnapshot({ vms: 3 });
  snapshot.collectedAt = at("10:00");
  snapshot.virtualMachines![2]!.powerState = "poweredOff";
  snapshot.utilisation = [
    // vSphere's 30-minute rollup: three intervals ending 09:00, 09:30, 10:00; the middle one missing.
    { object: "virtualMachine", externalId: "vm-0", metric: "cpu.usage.pct", intervalSeconds: 1800, start: at("09:00"), values: [12.5, null, 40] },
    { object: "host", externalId: "host-1", metric: "mem.consumed.mib", intervalSeconds: 20, start: at("10:00"), values: [65_536] },
  ];
  return snapshot;
}

describe("utilisation samples", () => {
  it("stores each value at the end of its interval, leaves gaps out, and observes every VM's power state", async () => {
    const result = await applySnapshot(sourceId, withUse(), { database: t });
    expect(result.samples).toBe(2 + 1 + 3);
    const cpu = await rows("cpu.usage.pct");
    expect(cpu.map((r) => [r.external_id, r.interval_s, r.at.toISOString(), r.value])).toEqual([
      ["vm-0", 1800, at("09:00"), 12.5],
      ["vm-0", 1800, at("10:00"), 40],
    ]);
    expect((await rows("mem.consumed.mib")).map((r) => [r.object_kind, r.external_id, r.value])).toEqual([["host", "host-1", 65_536]]);
    const power = await rows("power.on");
    expect(power.map((r) => [r.external_id, r.value, r.at.toISOString()])).toEqual([
      ["vm-0", 1, at("10:00")],
      ["vm-1", 1, at("10:00")],
      ["vm-2", 0, at("10:00")],
    ]);
  });

  it("stores the same values once when a collection reads an overlapping window again", async () => {
    await applySnapshot(sourceId, withUse(), { database: t });
    const again = withUse();
    again.collectedAt = at("10:30");
    again.utilisation![0]!.start = at("09:30");
    again.utilisation![0]!.values = [7, 40, 55];
    const result = await applySnapshot(sourceId, again, { database: t });
    // 09:30 is new (it was a gap), 10:00 is kept as first stored, 10:30 is new; the host's value is the same; 3 power states.
    expect(result.samples).toBe(2 + 3);
    expect((await rows("cpu.usage.pct")).map((r) => [r.at.toISOString().slice(11, 16), r.value])).toEqual([
      ["09:00", 12.5],
      ["09:30", 7],
      ["10:00", 40],
      ["10:30", 55],
    ]);
  });

  it("rolls whole days past the raw window up to daily means weighted by interval, with their peaks, and drops what is past keeping", async () => {
    await applySnapshot(sourceId, smallSnapshot(), { database: t });
    const now = new Date("2026-12-05T12:00:00Z");
    const oldDay = new Date(now.getTime() - (UTILISATION_RAW_DAYS + 2) * 86_400_000);
    const dayStart = new Date(Date.UTC(oldDay.getUTCFullYear(), oldDay.getUTCMonth(), oldDay.getUTCDate()));
    const iso = (ms: number) => new Date(dayStart.getTime() + ms).toISOString();
    const client = await t.pool.connect();
    // writeUtilisation runs inside its caller's transaction (ingest's); each write here is one.
    const write = async (snapshot: Parameters<typeof writeUtilisation>[2]) => {
      await client.query("BEGIN");
      await writeUtilisation(client, sourceId, snapshot, now);
      await client.query("COMMIT");
    };
    try {
      await write(parseSnapshot({
        collectedAt: now.toISOString(),
        utilisation: [
          // One hour at 10 % (two 30-minute values), then one 20-second reading at 100 %: the mean weighs them by time.
          { object: "virtualMachine", externalId: "vm-0", metric: "cpu.usage.pct", intervalSeconds: 1800, start: iso(3_600_000), values: [10, 10] },
          { object: "virtualMachine", externalId: "vm-0", metric: "cpu.usage.pct", intervalSeconds: 20, start: iso(7_200_000), values: [100] },
          // Kept as collected: inside the raw window.
          { object: "virtualMachine", externalId: "vm-0", metric: "cpu.usage.pct", intervalSeconds: 1800, start: new Date(now.getTime() - 86_400_000).toISOString(), values: [33] },
          // Past keeping altogether.
          { object: "virtualMachine", externalId: "vm-0", metric: "cpu.usage.pct", intervalSeconds: 86_400, start: new Date(now.getTime() - (UTILISATION_DAILY_DAYS + 3) * 86_400_000).toISOString(), values: [5] },
        ],
      }));
      const cpu = await rows("cpu.usage.pct");
      const daily = cpu.filter((r) => r.interval_s === 86_400);
      expect(daily).toHaveLength(1);
      expect(daily[0]!.at.toISOString()).toBe(new Date(dayStart.getTime() + 86_400_000).toISOString());
      expect(daily[0]!.value).toBeCloseTo((10 * 1800 * 2 + 100 * 20) / (1800 * 2 + 20), 9);
      expect(daily[0]!.peak).toBe(100);
      expect(cpu.filter((r) => r.interval_s !== 86_400).map((r) => r.value)).toEqual([33]);

      // A value of that day arriving later is not rolled in again, nor stored as collected.
      await write(parseSnapshot({
        collectedAt: now.toISOString(),
        utilisation: [{ object: "virtualMachine", externalId: "vm-0", metric: "cpu.usage.pct", intervalSeconds: 1800, start: iso(36_000_000), values: [90] }],
      }));
      const after = await rows("cpu.usage.pct");
      expect(after.filter((r) => r.interval_s === 86_400).map((r) => r.value)).toEqual([daily[0]!.value]);
      expect(after).toHaveLength(2);
    } finally {
      client.release();
    }
  });

  it("makes the run's success visible only with its samples (the stored analysis is versioned by it)", async () => {
    // Writing samples takes a while (a trigger sleeps on the first one); meanwhile another connection
    // watches the run and the samples. It must never see the run succeeded without them.
    await t.pool.query(`CREATE FUNCTION slow_samples() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.6); RETURN NEW; END $$`);
    await t.pool.query(`CREATE TRIGGER slow_samples BEFORE INSERT ON utilisation_sample FOR EACH STATEMENT EXECUTE FUNCTION slow_samples()`);
    try {
      const seen: { status: string; samples: number }[] = [];
      let done = false;
      const ingest = applySnapshot(sourceId, withUse(), { database: t }).finally(() => (done = true));
      while (!done) {
        const { rows: watched } = await t.pool.query<{ status: string; samples: number }>(
          `SELECT (SELECT status::text FROM collection_run WHERE source_id = $1 ORDER BY started_at DESC LIMIT 1) AS status,
                  (SELECT count(*)::int FROM ${SAMPLES} WHERE source_id = $1) AS samples`,
          [sourceId],
        );
        if (watched[0]!.status) seen.push(watched[0]!);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const result = await ingest;
      expect(result.samples).toBe(6);
      // It was watched while running; every look that saw it succeeded saw its samples too.
      expect(seen.some((w) => w.status === "running")).toBe(true);
      expect(seen.filter((w) => w.status === "succeeded" && w.samples === 0)).toEqual([]);
    } finally {
      await t.pool.query(`DROP TRIGGER slow_samples ON utilisation_sample; DROP FUNCTION slow_samples()`);
    }
  });

  it("keeps the inventory and the run's success when measured use cannot be stored, and says so", async () => {
    await t.pool.query(`CREATE FUNCTION refuse_samples() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$`);
    await t.pool.query(`CREATE TRIGGER refuse_samples BEFORE INSERT ON utilisation_sample FOR EACH ROW EXECUTE FUNCTION refuse_samples()`);
    try {
      const result = await applySnapshot(sourceId, withUse(), { database: t });
      expect(result.samples).toBeNull();
      const run = await t.prisma.collectionRun.findUniqueOrThrow({ where: { id: result.runId } });
      expect(run.status).toBe("succeeded");
      expect(run.warnings.join("\n")).toMatch(/measured use not stored \(the inventory is\): .*disk full/);
      expect(await t.prisma.virtualMachine.count({ where: { sourceId } })).toBe(3);
      expect(await rows()).toEqual([]);
    } finally {
      await t.pool.query(`DROP TRIGGER refuse_samples ON utilisation_sample; DROP FUNCTION refuse_samples()`);
    }
  });

  it("drops invalid series and series about objects not in the snapshot with one warning each, keeping the rest", async () => {
    const snapshot = withUse();
    snapshot.utilisation!.push(
      { object: "virtualMachine", externalId: "vm-0", metric: "cpu.usage.pct", intervalSeconds: 1800, start: "2026-11-01T09:00:00Z", values: [-5] },
      { object: "virtualMachine", externalId: "vm-0", metric: "cpu.bogus", intervalSeconds: 1800, start: "2026-11-01T09:00:00Z", values: [1] } as never,
      ...Array.from({ length: 50 }, (_, i) => ({ object: "virtualMachine" as const, externalId: `gone-${i}`, metric: "cpu.usage.pct" as const, intervalSeconds: 20, start: "2026-11-01T10:00:00Z", values: [1] })),
    );
    const salvaged = salvageSnapshot(snapshot) as SnapshotInput;
    expect(salvaged.utilisation).toHaveLength(2);
    expect(salvaged.warnings!.filter((w) => /utilisation series/.test(w))).toEqual([
      expect.stringMatching(/^dropped 2 invalid utilisation series \(first #2: .*values/),
      "dropped 50 utilisation series about objects not in the snapshot",
    ]);
    const result = await applySnapshot(sourceId, salvaged, { database: t });
    expect(result.samples).toBe(2 + 1 + 3);
  });
});

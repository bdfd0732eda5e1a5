/**
 * vSphere measured use against vcsim (tests/peers/vcsim: measured.go sets quick stats, boot times,
 * snapshot file sizes and vCenter's default statistics intervals, and writes them to the manifest):
 * quick stats as 20 s series equal to what the simulator holds; PerformanceManager history for hosts
 * and powered-on VMs compared with vcsim's own answer to a QueryPerf made here (normal format);
 * performanceDays 0, 1 and 30; a standalone ESXi without historical intervals and lacking a counter;
 * the snapshot applied to a test database.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CollectableSource } from "../../server/collectors";
import { moRefXml } from "../../server/collectors/vsphere/client";
import { collectVsphere, connectSource } from "../../server/collectors/vsphere/collector";
import { child } from "../../server/collectors/vsphere/xml";
import { applySnapshot } from "../../server/inventory/ingest";
import { loadKnowledge } from "../../server/jobs/collect";
import { parseSnapshot, type Snapshot } from "../../server/inventory/snapshot";
import type { UtilisationSeries } from "../../server/utilisation/series";
import type { Manifest } from "../fixtures/vsphere/manifest";
import { createTestDatabase, type TestDatabase } from "./db";
import { buildVcsim, startVcsim, stopVcsim, type Peer } from "./vcsim";
import { SAMPLES } from "../../server/utilisation/store";

const PASSWORD = "vcsim-Use-Pa55";

let vc: Peer;
let esx: Peer;

beforeAll(async () => {
  await buildVcsim();
  [vc, esx] = await Promise.all([
    // 1 datacenter: a cluster of 2 hosts and a standalone host, 5 VMs each: 15 VMs on 3 hosts.
    startVcsim(PASSWORD, ["-dc", "1", "-cluster", "1", "-host", "2", "-standalone-host", "1", "-vm", "5"]),
    startVcsim(PASSWORD, ["-esx", "-vm", "6", "-perf-without", "net.transmitted.average"]),
  ]);
}, 900_000);

afterAll(async () => {
  for (const peer of [vc, esx]) if (peer) await stopVcsim(peer);
});

const source = (peer: Peer, options: Record<string, unknown> = {}) =>
  ({
    kind: "vsphere",
    name: "vcsim",
    endpoint: `https://127.0.0.1:${peer.port}/sdk`,
    username: peer.manifest.username,
    secret: PASSWORD,
    options: { fingerprint: peer.manifest.fingerprint, ...options },
  }) satisfies CollectableSource;

const collect = async (peer: Peer, options?: Record<string, unknown>) =>
  parseSnapshot(await collectVsphere(source(peer, options), { signal: AbortSignal.timeout(120_000) }));

const poweredOn = (m: Manifest) => m.virtualMachines.filter((v) => v.powerState === "poweredOn" && !v.template);
const seriesOf = (s: Snapshot, externalId: string, intervalSeconds: number) =>
  new Map(s.utilisation.filter((u) => u.externalId === externalId && u.intervalSeconds === intervalSeconds).map((u) => [u.metric, u]));

/** vcsim's own answer to QueryPerf (format normal), for one entity: samples newest first and values by counter id. */
async function directQueryPerf(peer: Peer, entity: { type: string; value: string }, counters: number[], intervalId: number, startTime: string, maxSample: number) {
  const client = await connectSource(source(peer), AbortSignal.timeout(60_000));
  try {
    await client.login();
    const spec =
      `<querySpec>${moRefXml("entity", entity)}<startTime>${startTime}</startTime><maxSample>${maxSample}</maxSample>` +
      counters.map((id) => `<metricId><counterId>${id}</counterId><instance></instance></metricId>`).join("") +
      `<intervalId>${intervalId}</intervalId><format>normal</format></querySpec>`;
    const response = await client.call("QueryPerf", client.content.perfManager!, spec);
    const metric = child(response, "returnval")!;
    const samples = metric.children.filter((c) => c.name === "sampleInfo").map((s) => ({
      time: Date.parse(child(s, "timestamp")!.text),
      interval: Number(child(s, "interval")!.text),
    }));
    const values = new Map<number, number[]>();
    for (const v of metric.children.filter((c) => c.name === "value")) {
      values.set(Number(child(child(v, "id"), "counterId")!.text), v.children.filter((c) => c.name === "value").map((x) => Number(x.text)));
    }
    return { samples, values };
  } finally {
    await client.logout();
    client.close();
  }
}

describe("vSphere measured use against vcsim (vCenter)", () => {
  let snapshot: Snapshot;
  beforeAll(async () => {
    snapshot = await collect(vc);
  });

  it("collects without warnings, and the launcher varied what it measures", () => {
    expect(snapshot.warnings).toEqual([]);
    expect(new Set(poweredOn(vc.manifest).map((v) => v.overallCpuUsage)).size).toBeGreaterThan(3);
    expect(vc.manifest.perf.intervals.map((i) => [i.SamplingPeriod, i.Length])).toEqual([
      [300, 86400],
      [1800, 604800],
      [7200, 2592000],
      [86400, 31536000],
    ]);
  });

  it("gives each powered-on VM's quick stats as 20 s series at the collection, equal to what the simulator holds", () => {
    const hosts = new Map(vc.manifest.hosts.map((h) => [h.moref, h]));
    const connected = (m: { host: string }) => hosts.get(m.host)!.connectionState === "connected";
    // The launcher leaves one host not responding: its VMs' quick stats are not believed.
    expect(vc.manifest.virtualMachines.filter((m) => m.powerState === "poweredOn" && !connected(m)).length).toBeGreaterThan(0);
    for (const m of vc.manifest.virtualMachines) {
      const quick = seriesOf(snapshot, m.moref, 20);
      if (m.powerState !== "poweredOn" || !connected(m)) {
        expect(quick.size, m.name).toBe(0);
        continue;
      }
      const expected: Record<string, number> = {
        "cpu.usage.mhz": m.overallCpuUsage,
        "cpu.usage.pct": (m.overallCpuUsage / (m.cpus * hosts.get(m.host)!.cpuMhz)) * 100,
        "mem.active.mib": m.guestMemoryUsageMB,
        "mem.consumed.mib": m.hostMemoryUsageMB,
        "mem.ballooned.mib": m.balloonedMB,
        "mem.swapped.mib": m.swappedMB,
        // Set by the launcher for every powered-on VM (20 MiB and up): never 0, so always a series.
        "mem.overhead.mib": m.overheadMB!,
      };
      expect([...quick.keys()].sort(), m.name).toEqual(Object.keys(expected).sort());
      for (const [metric, value] of Object.entries(expected)) {
        const s = quick.get(metric as UtilisationSeries["metric"])!;
        expect(s.start, `${m.name} ${metric}`).toBe(snapshot.collectedAt);
        expect(s.object).toBe("virtualMachine");
        expect(s.values).toHaveLength(1);
        expect(s.values[0], `${m.name} ${metric}`).toBeCloseTo(value, 9);
      }
    }
  });

  it("gives each connected host's quick stats: MHz, % of cores × MHz, consumed memory", () => {
    for (const h of vc.manifest.hosts) {
      const quick = seriesOf(snapshot, h.moref, 20);
      if (h.connectionState !== "connected") {
        expect(quick.size, h.name).toBe(0);
        continue;
      }
      expect([...quick.keys()].sort()).toEqual(["cpu.usage.mhz", "cpu.usage.pct", "mem.consumed.mib"]);
      expect(quick.get("cpu.usage.mhz")!.values).toEqual([h.overallCpuUsage]);
      expect(quick.get("cpu.usage.pct")!.values[0]).toBeCloseTo((h.overallCpuUsage / (h.cores * h.cpuMhz)) * 100, 9);
      expect(quick.get("mem.consumed.mib")!.values).toEqual([h.overallMemoryUsage]);
      expect(quick.get("mem.consumed.mib")!.object).toBe("host");
    }
  });

  it("gives boot times and snapshot sizes", () => {
    for (const m of vc.manifest.virtualMachines) {
      const vm = snapshot.virtualMachines.find((v) => v.externalId === m.moref)!;
      expect(vm.bootedAt, m.name).toBe(m.powerState === "poweredOn" ? new Date(m.bootTime!).toISOString() : null);
      expect(vm.snapshotSizeMiB, m.name).toBe(m.snapshotCount > 0 ? Math.round((m.snapshotBytes / 2 ** 20) * 1000) / 1000 : null);
    }
    expect(snapshot.virtualMachines.filter((v) => (v.snapshotSizeMiB ?? 0) > 100).length).toBeGreaterThan(1);
    for (const h of vc.manifest.hosts) {
      expect(snapshot.hosts.find((x) => x.externalId === h.moref)!.bootedAt).toBe(new Date(h.bootTime!).toISOString());
    }
  });

  it("reads a week of 30-minute history for every host and powered-on VM, in the product's units", () => {
    const vmMetrics = ["cpu.ready.pct", "cpu.usage.mhz", "cpu.usage.pct", "disk.read.kibps", "disk.write.kibps", "mem.active.mib", "mem.ballooned.mib", "mem.consumed.mib", "net.rx.kibps", "net.tx.kibps"];
    const hostMetrics = ["cpu.usage.mhz", "cpu.usage.pct", "disk.read.kibps", "disk.write.kibps", "mem.active.mib", "mem.consumed.mib", "net.rx.kibps", "net.tx.kibps"];
    const history = snapshot.utilisation.filter((u) => u.intervalSeconds !== 20);
    expect(new Set(history.map((u) => u.intervalSeconds))).toEqual(new Set([1800]));
    expect(new Set(history.map((u) => u.externalId))).toEqual(new Set([...vc.manifest.hosts, ...poweredOn(vc.manifest)].map((o) => o.moref)));
    for (const m of poweredOn(vc.manifest)) expect([...seriesOf(snapshot, m.moref, 1800).keys()].sort(), m.name).toEqual(vmMetrics);
    for (const h of vc.manifest.hosts) expect([...seriesOf(snapshot, h.moref, 1800).keys()].sort()).toEqual(hostMetrics);
    // vcsim serves 1 + 7 days ÷ 30 min samples from the start asked for; the newest ends at the collection.
    for (const s of history) {
      expect(s.values).toHaveLength(337);
      const newest = Date.parse(s.start) + 336 * 1800_000;
      expect(Math.abs(newest - Date.parse(snapshot.collectedAt))).toBeLessThan(30_000);
      expect(s.values.every((v) => v !== null && v >= 0)).toBe(true);
    }
  });

  it("converts vcsim's values: compared with its answer to a QueryPerf made here", async () => {
    const c = vc.manifest.perf.counters;
    const startTime = new Date(Date.parse(snapshot.collectedAt) - 7 * 86_400_000).toISOString();
    const vm = poweredOn(vc.manifest).find((v) => v.cpus > 1)!;
    const direct = await directQueryPerf(vc, { type: "VirtualMachine", value: vm.moref }, Object.values(c), 1800, startTime, 337);
    expect(direct.samples).toHaveLength(337);
    expect(new Set(direct.samples.map((s) => s.interval))).toEqual(new Set([1800]));
    const history = seriesOf(snapshot, vm.moref, 1800);
    // mem.swapped.average: -1 ("no value") at every sample: no series.
    expect(direct.values.get(c["mem.swapped.average"]!)!.every((v) => v === -1)).toBe(true);
    expect(history.has("mem.swapped.mib")).toBe(false);
    // mem.vmmemctl.average: below 5, served without noise, same start → the same values (KB → MiB), newest first there.
    const ballooned = history.get("mem.ballooned.mib")!.values.toReversed();
    expect(ballooned).toEqual(direct.values.get(c["mem.vmmemctl.average"]!)!.map((kb) => kb / 1024));
    // The others carry vcsim's random noise (± 20 %): the sums agree within 10 %, in the converted unit.
    const factors: [string, string, (raw: number) => number][] = [
      ["cpu.usage.average", "cpu.usage.pct", (v) => v / 100],
      ["cpu.usagemhz.average", "cpu.usage.mhz", (v) => v],
      ["cpu.ready.summation", "cpu.ready.pct", (v) => (v / (1800 * 1000 * vm.cpus)) * 100],
      ["mem.active.average", "mem.active.mib", (v) => v / 1024],
      ["mem.consumed.average", "mem.consumed.mib", (v) => v / 1024],
      ["disk.read.average", "disk.read.kibps", (v) => v],
      ["net.transmitted.average", "net.tx.kibps", (v) => v],
    ];
    for (const [counter, metric, convert] of factors) {
      const sum = (list: (number | null)[]) => list.reduce<number>((a, v) => a + (v ?? 0), 0);
      const expected = sum(direct.values.get(c[counter]!)!.map(convert));
      const got = sum(history.get(metric as UtilisationSeries["metric"])!.values);
      expect(expected, counter).toBeGreaterThan(0);
      expect(Math.abs(got - expected) / expected, `${counter} → ${metric}`).toBeLessThan(0.1);
    }
  });

  it("reads quick stats only with performanceDays 0; the finest interval that covers 1 and 30 days", async () => {
    const none = await collect(vc, { performanceDays: 0 });
    expect(none.warnings).toEqual([]);
    expect(new Set(none.utilisation.map((u) => u.intervalSeconds))).toEqual(new Set([20]));
    expect(none.utilisation.length).toBe(snapshot.utilisation.filter((u) => u.intervalSeconds === 20).length);

    const day = await collect(vc, { performanceDays: "1" });
    const dayHistory = day.utilisation.filter((u) => u.intervalSeconds !== 20);
    expect(new Set(dayHistory.map((u) => [u.intervalSeconds, u.values.length].join("×")))).toEqual(new Set(["300×289"]));

    const month = await collect(vc, { performanceDays: 30 });
    const monthHistory = month.utilisation.filter((u) => u.intervalSeconds !== 20);
    expect(new Set(monthHistory.map((u) => [u.intervalSeconds, u.values.length].join("×")))).toEqual(new Set(["7200×361"]));
  });

  it("applies into a test database: utilisation_sample holds every value and each VM's power state", async () => {
    let t: TestDatabase | undefined;
    try {
      t = await createTestDatabase();
      const customer = await t.prisma.customer.create({ data: { name: "vSphere use" } });
      const src = await t.prisma.source.create({
        data: { customerId: customer.id, kind: "vsphere", name: "vcsim", endpoint: `https://127.0.0.1:${vc.port}/sdk` },
      });
      const result = await applySnapshot(src.id, snapshot, { database: t });
      const values = snapshot.utilisation.reduce((n, u) => n + u.values.filter((v) => v !== null).length, 0);
      expect(values).toBeGreaterThan(10_000);
      // Ingest observes the power state of every VM but templates (server/utilisation/series.ts).
      const vms = vc.manifest.virtualMachines.filter((v) => !v.template).length;
      expect(vms).toBeLessThan(vc.manifest.virtualMachines.length);
      expect(result.samples).toBe(values + vms);
      const rows = await t.pool.query<{ metric: string; interval_s: number; n: string }>(
        `SELECT metric, interval_s, count(*) AS n FROM ${SAMPLES} WHERE source_id = $1 GROUP BY metric, interval_s`,
        [src.id],
      );
      const count = (metric: string, interval: number) => Number(rows.rows.find((r) => r.metric === metric && r.interval_s === interval)?.n ?? 0);
      expect(count("cpu.usage.pct", 1800)).toBe((vc.manifest.hosts.length + poweredOn(vc.manifest).length) * 337);
      expect(count("cpu.ready.pct", 1800)).toBe(poweredOn(vc.manifest).length * 337);
      const connected = new Set(vc.manifest.hosts.filter((h) => h.connectionState === "connected").map((h) => h.moref));
      expect(count("cpu.usage.mhz", 20)).toBe(connected.size + poweredOn(vc.manifest).filter((v) => connected.has(v.host)).length);
      expect(count("power.on", 1)).toBe(vms);
      const booted = await t.pool.query<{ n: string }>(`SELECT count(*) AS n FROM virtual_machine WHERE source_id = $1 AND booted_at IS NOT NULL`, [src.id]);
      expect(Number(booted.rows[0]!.n)).toBe(poweredOn(vc.manifest).length);
    } finally {
      await t?.drop();
    }
  });

  it("reads only what is newer than what is stored: the job tells the collector each object's newest value", async () => {
    let t: TestDatabase | undefined;
    try {
      t = await createTestDatabase();
      const customer = await t.prisma.customer.create({ data: { name: "vSphere again" } });
      const src = await t.prisma.source.create({
        data: { customerId: customer.id, kind: "vsphere", name: "vcsim", endpoint: `https://127.0.0.1:${vc.port}/sdk` },
      });
      expect(await loadKnowledge(t, src.id, customer.id, ["utilisationSince"])).toEqual({ utilisationSince: {} });
      await applySnapshot(src.id, snapshot, { database: t });
      const known = await loadKnowledge(t, src.id, customer.id, ["utilisationSince"]);
      const objects = [...vc.manifest.hosts, ...poweredOn(vc.manifest)];
      expect(Object.keys(known.utilisationSince!).sort()).toEqual(
        [...vc.manifest.hosts.map((h) => `host:${h.moref}`), ...poweredOn(vc.manifest).map((v) => `virtualMachine:${v.moref}`)].sort(),
      );
      const again = parseSnapshot(await collectVsphere(source(vc), { signal: AbortSignal.timeout(120_000), known }));
      const history = again.utilisation.filter((u) => u.intervalSeconds === 1800);
      expect(new Set(history.map((u) => u.externalId))).toEqual(new Set(objects.map((o) => o.moref)));
      // The first collection read 337 values a series; this one, from one interval before the newest stored on.
      for (const u of history) expect(u.values.length, `${u.externalId} ${u.metric}`).toBeLessThanOrEqual(3);
      expect(snapshot.utilisation.filter((u) => u.intervalSeconds === 1800).every((u) => u.values.length === 337)).toBe(true);
    } finally {
      await t?.drop();
    }
  });
});

describe("vSphere measured use against vcsim (standalone ESXi without historical intervals, lacking a counter)", () => {
  it("assumes vCenter's intervals, skips the lacking counter with one warning, and still reads the rest", async () => {
    const snapshot = await collect(esx);
    expect(esx.manifest.perf.intervals).toEqual([]);
    expect(esx.manifest.perf.counters["net.transmitted.average"]).toBeUndefined();
    expect(snapshot.warnings).toEqual([
      "performance counters the server does not offer, not read: net.transmitted.average",
      "the server lists no historical statistics intervals: vCenter's defaults assumed (300 s for a day, 1800 s a week, 7200 s a month, 86400 s a year)",
    ]);
    const history = snapshot.utilisation.filter((u) => u.intervalSeconds === 1800);
    expect(history.some((u) => u.metric === "net.tx.kibps")).toBe(false);
    expect(new Set(history.map((u) => u.externalId))).toEqual(new Set([...esx.manifest.hosts, ...poweredOn(esx.manifest)].map((o) => o.moref)));
    expect(history.filter((u) => u.metric === "net.rx.kibps")).toHaveLength(esx.manifest.hosts.length + poweredOn(esx.manifest).length);
  });
});

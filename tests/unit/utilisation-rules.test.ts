/**
 * Measured use, the analyse CLI's door (snapshot series → figures → rules), table-driven: every
 * utilisation rule fires on a case and is silent on its near miss; sizes are suggested as Azure
 * Migrate sizes them (percentile × comfort factor); hosts' use, N+1 and the hosts packing frees.
 */
import { describe, expect, it } from "vitest";
import { inventoryFromSnapshots } from "@/server/analysis/inventory";
import { DEFAULT_PARAMETERS, type Parameters } from "@/server/analysis/parameters";
import { analyseUtilisation, packClusters, type HostUse } from "@/server/analysis/utilisation";
import { parseSnapshot, type SnapshotInput } from "@/server/inventory/snapshot";
import { percentileCont, statsFromSeries } from "@/server/utilisation/stats";
import type { UtilisationSeriesInput } from "@/server/utilisation/series";

const AS_OF = "2026-12-01T00:00:00.000Z";
const HALF_HOUR = 1800;
/** 7 days of 30-minute values ending at AS_OF. */
const WEEK = 336;
const start = (count: number, interval = HALF_HOUR) => new Date(Date.parse(AS_OF) - (count - 1) * interval * 1000).toISOString();

/** `low` values of a, the rest b (order does not matter to percentiles). */
const mix = (low: number, a: number, b: number, count = WEEK) => Array.from({ length: count }, (_, i) => (i < low ? a : b));

function series(metric: UtilisationSeriesInput["metric"], values: (number | null)[], externalId = "vm-1", interval = HALF_HOUR): UtilisationSeriesInput {
  return { object: "virtualMachine", externalId, metric, intervalSeconds: interval, start: start(values.length, interval), values };
}

function snapshot(vm: Record<string, unknown> = {}, use: UtilisationSeriesInput[] = []): SnapshotInput {
  return {
    collectedAt: AS_OF,
    hosts: [{ externalId: "esx-1", name: "esx01", role: "hypervisor", platform: "esxi", cpuCores: 16, cpuMhz: 2000, memoryMiB: 262_144, cluster: "prod" }],
    virtualMachines: [
      { externalId: "vm-1", name: "app01", hostExternalId: "esx-1", powerState: "poweredOn", vcpus: 4, memoryMiB: 16_384, provisionedMiB: 102_400, guestOsFamily: "linux", ...vm },
    ],
    utilisation: use,
  };
}

function analyse(input: SnapshotInput, parameters: Partial<Parameters> = {}) {
  const p = { ...DEFAULT_PARAMETERS, ...parameters };
  const inventory = inventoryFromSnapshots([{ snapshot: parseSnapshot(input), customer: "acme", prefix: "s" }], { periodDays: p.utilisationPeriodDays });
  return analyseUtilisation(inventory, p);
}
const ids = (input: SnapshotInput, parameters: Partial<Parameters> = {}) => analyse(input, parameters).findings.map((f) => f.ruleId).sort();
const vmOf = (input: SnapshotInput, parameters: Partial<Parameters> = {}) => analyse(input, parameters).vms[0]!;

/** A steady, right-sized VM: 70 % CPU of 4 vCPUs (× 1.3 → 3.64: 4), 12,600 MiB active of 16 GiB (× 1.3 → 16 GiB). */
const steady = () => [series("cpu.usage.pct", mix(0, 0, 70)), series("mem.active.mib", mix(0, 0, 12_600))];

describe("utilisation rules (fire, and the near miss)", () => {
  const cases: { rule: string; fires: boolean; input: string; run: () => string[] }[] = [
    // Idle: p90 of MHz at or under 100. 303 of 336 values at 50 MHz put p90 (rank 301.5) among them; 301 do not.
    { rule: "util-idle-vm", fires: true, input: "303 of 336 values at 50 MHz", run: () => ids(snapshot({}, [series("cpu.usage.mhz", mix(303, 50, 4000))])) },
    { rule: "util-idle-vm", fires: false, input: "301 of 336 values at 50 MHz", run: () => ids(snapshot({}, [series("cpu.usage.mhz", mix(301, 50, 4000))])) },
    { rule: "util-idle-vm", fires: false, input: "idle, but only 12 hours measured", run: () => ids(snapshot({}, [series("cpu.usage.mhz", mix(24, 50, 50, 24))])) },
    { rule: "util-idle-vm", fires: true, input: "idle from % and the host's core MHz (1 % of 4 × 2000 MHz = 80 MHz)", run: () => ids(snapshot({}, [series("cpu.usage.pct", mix(0, 0, 1))])) },
    // Oversized: p95 10 % of 4 vCPUs × 1.3 → 1 vCPU; memory 2 GiB active × 1.3 → 3 GiB.
    { rule: "util-oversized-vm", fires: true, input: "p95 10 % CPU, 2 GiB active", run: () => ids(snapshot({}, [series("cpu.usage.pct", mix(0, 0, 10)), series("mem.active.mib", mix(0, 0, 2048))])) },
    { rule: "util-oversized-vm", fires: false, input: "p95 76 % CPU (4 × 0.76 × 1.3 = 3.95 → 4), 12.5 GiB active (× 1.3 → 16 GiB)", run: () => ids(snapshot({}, [series("cpu.usage.pct", mix(0, 0, 76)), series("mem.active.mib", mix(0, 0, 12_600))])) },
    // Undersized: p95 CPU above 85 %, or ready above 5 %.
    { rule: "util-undersized-vm", fires: true, input: "p95 CPU 90 %", run: () => ids(snapshot({}, [series("cpu.usage.pct", mix(0, 0, 90)), series("mem.active.mib", mix(0, 0, 14_000))])) },
    { rule: "util-undersized-vm", fires: false, input: "p95 CPU 85 % (at the threshold)", run: () => ids(snapshot({}, [series("cpu.usage.pct", mix(0, 0, 85)), series("mem.active.mib", mix(0, 0, 14_000))])) },
    { rule: "util-undersized-vm", fires: true, input: "CPU 70 %, ready 6 %", run: () => ids(snapshot({}, [...steady(), series("cpu.ready.pct", mix(0, 0, 6))])) },
    { rule: "util-undersized-vm", fires: false, input: "CPU 70 %, ready 5 %", run: () => ids(snapshot({}, [...steady(), series("cpu.ready.pct", mix(0, 0, 5))])) },
    { rule: "util-memory-contention", fires: true, input: "ballooned 512 MiB most of the time", run: () => ids(snapshot({}, [...steady(), series("mem.ballooned.mib", mix(0, 0, 512))])) },
    { rule: "util-memory-contention", fires: false, input: "ballooned 512 MiB at 10 values only (p95 is 0)", run: () => ids(snapshot({}, [...steady(), series("mem.ballooned.mib", mix(326, 0, 512))])) },
    // Old snapshot: older than 3 days.
    { rule: "util-old-snapshot", fires: true, input: "snapshot 4 days old", run: () => ids(snapshot({ snapshotCount: 1, snapshotOldestAt: "2026-11-27T00:00:00Z", snapshotSizeMiB: 4096 }, steady())) },
    { rule: "util-old-snapshot", fires: false, input: "snapshot 2 days old", run: () => ids(snapshot({ snapshotCount: 1, snapshotOldestAt: "2026-11-29T00:00:00Z" }, steady())) },
  ];
  it.each(cases.map((c) => ({ ...c, verb: c.fires ? "fires on" : "is silent on" })))("$rule $verb $input", ({ rule, fires, run }) => {
    const found = run();
    if (fires) expect(found).toContain(rule);
    else expect(found).not.toContain(rule);
  });

  it("powered off: fires after 30 days off at every collection, not at 29, and counts from the last time it was seen on", () => {
    const off = (days: number, seenOnBefore: boolean) => {
      const observations = [...(seenOnBefore ? [1] : []), ...Array.from({ length: days + 1 }, () => 0)];
      return snapshot({ powerState: "poweredOff" }, [
        { object: "virtualMachine", externalId: "vm-1", metric: "power.on", intervalSeconds: 86_400, start: start(observations.length, 86_400), values: observations },
      ]);
    };
    expect(ids(off(30, false))).toEqual(["util-powered-off-vm"]);
    expect(ids(off(29, false))).toEqual([]);
    // Seen on 31 days ago (then off for 30 observations): 31 days since it was last seen on.
    expect(ids(off(30, true))).toEqual(["util-powered-off-vm"]);
    expect(ids(off(28, true))).toEqual([]);
    const vm = vmOf(off(40, false));
    expect(vm.status).toBe("powered-off");
    expect(vm.reason).toMatch(/^off at every collection since the first, 2026-10-22 \(40 days\), 100 GiB provisioned$/);
    expect(vm.reclaimDiskMiB).toBe(102_400);
    // A single snapshot (no history): it is off, and that is all that can be said.
    expect(vmOf(snapshot({ powerState: "poweredOff" })).reason).toMatch(/under 30 days/);
  });
});

describe("sizes and statuses", () => {
  it("suggests a size from the sizing percentile × the comfort factor, and counts what it reclaims", () => {
    const vm = vmOf(snapshot({ vcpus: 8, memoryMiB: 32_768 }, [series("cpu.usage.pct", mix(0, 0, 20)), series("mem.active.mib", mix(0, 0, 6000))]));
    // 8 × 20 % × 1.3 = 2.08 → 3 vCPUs; 6000 MiB × 1.3 = 7800 → 8 GiB.
    expect(vm).toMatchObject({ status: "oversized", suggestedVcpus: 3, suggestedMemoryMiB: 8192, reclaimVcpus: 5, reclaimMemoryMiB: 24_576 });
    expect(vm.reason).toBe("p95 CPU 20 % of 8 vCPUs, p95 active memory 5.9 GiB of 32 GiB over 7.0 days of 30-minute values (336) → 3 vCPUs, 8.0 GiB (× 1.3)");
    // The 99th percentile asks for more.
    const p99 = vmOf(snapshot({ vcpus: 8, memoryMiB: 32_768 }, [series("cpu.usage.pct", mix(330, 20, 60)), series("mem.active.mib", mix(0, 0, 6000))]), { sizingPercentile: 99 });
    expect(p99.suggestedVcpus).toBe(7);
  });

  it("keeps the memory when only CPU was measured, and says so", () => {
    const vm = vmOf(snapshot({}, [series("cpu.usage.pct", mix(0, 0, 10))]));
    expect(vm).toMatchObject({ status: "oversized", suggestedVcpus: 1, suggestedMemoryMiB: null, reclaimMemoryMiB: 0, reclaimVcpus: 3 });
    expect(vm.reason).toContain("memory not measured (kept)");
  });

  it("reads the guest's own used memory where the hypervisor has no active memory (libvirt)", () => {
    const vm = vmOf(snapshot({}, [series("cpu.usage.pct", mix(0, 0, 10)), series("mem.guest.used.mib", mix(0, 0, 3000))]));
    expect(vm).toMatchObject({ memoryMetric: "mem.guest.used.mib", suggestedMemoryMiB: 4096 });
    expect(vm.reason).toContain("guest-used memory");
  });

  it("says insufficient data without measured use, or with too little", () => {
    expect(vmOf(snapshot())).toMatchObject({ status: "insufficient-data", reason: expect.stringMatching(/^insufficient data: no measured use/) });
    expect(vmOf(snapshot({}, [series("cpu.usage.pct", mix(0, 0, 10, 40))]))).toMatchObject({ status: "insufficient-data", reason: "insufficient data: 20.0 hours measured, 24 needed" });
    // The threshold is a parameter.
    expect(vmOf(snapshot({}, [series("cpu.usage.pct", mix(0, 0, 10, 40))]), { minMeasuredHours: 12 }).status).toBe("oversized");
  });

  it("takes one interval's values: the one covering most time, not the 20-second quick stat", () => {
    const vm = vmOf(snapshot({}, [...steady(), series("cpu.usage.pct", [99], "vm-1", 20)]));
    expect(vm).toMatchObject({ status: "right-sized", intervalSeconds: 1800, cpuPercent: 70, reason: "p95 CPU 70.0 % of 4 vCPUs: the size fits" });
  });

  it("leaves values outside the period out", () => {
    const old = { ...series("cpu.usage.pct", mix(0, 0, 90)), start: "2026-10-01T00:00:00Z" };
    expect(vmOf(snapshot({}, [old, ...steady()]), { utilisationPeriodDays: 30 }).cpuPercent).toBe(70);
  });
});

describe("percentiles", () => {
  it("interpolate as PostgreSQL's percentile_cont does", () => {
    expect(percentileCont([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentileCont([10], 0.95)).toBe(10);
    expect(percentileCont([0, 100], 0.9)).toBeCloseTo(90, 10);
    expect(percentileCont([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95)).toBeCloseTo(9.55, 10);
  });
  it("count a value read twice by overlapping snapshots once", () => {
    const a = parseSnapshot({ collectedAt: AS_OF, utilisation: [series("cpu.usage.pct", [10, 20, 30])] }).utilisation;
    const b = parseSnapshot({ collectedAt: AS_OF, utilisation: [series("cpu.usage.pct", [10, 20, 30])] }).utilisation;
    const stats = statsFromSeries([...a, ...b], new Date(AS_OF), 30).get("virtualMachine:vm-1")!.metrics["cpu.usage.pct"]!;
    expect(stats).toMatchObject({ count: 3, mean: 20, p50: 20, max: 30, latest: 30, latestAt: AS_OF });
  });
});

describe("hosts and clusters", () => {
  const host = (name: string, cpuUsedMhz: number | null, memoryUsedMiB: number | null, cpuCapacityMhz = 32_000, memoryMiB = 262_144): HostUse => ({
    hostKey: name, name, customer: "acme", cluster: "prod", cpuCapacityMhz, memoryMiB, cpuUsedMhz, memoryUsedMiB,
    cpuUsedPercent: null, memoryUsedPercent: null, cpuHeadroomMhz: null, memoryHeadroomMiB: null, basis: "host", measuredHours: 168,
  });

  it("packs measured use onto the fewest hosts at the targets, keeps a spare, and checks N+1", () => {
    // 4 hosts of 32 GHz / 256 GiB; 30 GHz and 300 GiB used: 2 hosts at 70 % CPU (44.8 GHz) and 80 % memory (409.6 GiB), +1 spare.
    const [cluster] = packClusters([host("a", 10_000, 100_000), host("b", 10_000, 100_000), host("c", 10_000, 100_000), host("d", 0, 0)], DEFAULT_PARAMETERS);
    expect(cluster).toMatchObject({ hosts: 4, hostsNeeded: 3, hostsFreed: 1, survivesLargestHost: true });
    // Near miss: 3 × 110 GiB used leaves less than one host's memory spare: it cannot lose its largest host.
    const [tight] = packClusters([host("a", 10_000, 220_000), host("b", 10_000, 220_000), host("c", 10_000, 220_000)], DEFAULT_PARAMETERS);
    expect(tight).toMatchObject({ survivesLargestHost: false, hostsFreed: 0 });
  });

  it("says insufficient data when a host of the cluster was not measured", () => {
    const [cluster] = packClusters([host("a", 10_000, 100_000), host("b", null, null)], DEFAULT_PARAMETERS);
    expect(cluster).toMatchObject({ hostsNeeded: null, hostsFreed: null, survivesLargestHost: null, reason: "insufficient data: 1 of 2 hosts without measured CPU and memory (or core speed)" });
  });

  it("uses the host's own measure, else the sum of its measured VMs'", () => {
    const own = analyse(snapshot({}, [...steady(), { object: "host", externalId: "esx-1", metric: "cpu.usage.mhz", intervalSeconds: HALF_HOUR, start: start(WEEK), values: mix(0, 0, 8000) }, { object: "host", externalId: "esx-1", metric: "mem.consumed.mib", intervalSeconds: HALF_HOUR, start: start(WEEK), values: mix(0, 0, 131_072) }]));
    expect(own.hosts[0]).toMatchObject({ basis: "host", cpuUsedMhz: 8000, cpuUsedPercent: 25, memoryUsedPercent: 50, cpuHeadroomMhz: 32_000 * 0.7 - 8000 });
    const fromVms = analyse(snapshot({}, [...steady(), series("mem.consumed.mib", mix(0, 0, 12_000))]));
    // 70 % of 4 vCPUs × 2000 MHz.
    expect(fromVms.hosts[0]).toMatchObject({ basis: "vms", cpuUsedMhz: 5600, memoryUsedMiB: 12_000 });
    expect(analyse(snapshot()).hosts[0]).toMatchObject({ basis: null, cpuUsedMhz: null });
  });
});

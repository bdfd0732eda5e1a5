/**
 * libvirt's measured use: the typed-parameter and node-stats replies decoded from bytes written as
 * remote_protocol.x lays them out (with hostile lengths and unknown types), and the rate maths of
 * utilisation.ts with its near misses (restart, zero interval, missing fields, NaN, huge counts).
 */
import { describe, expect, it } from "vitest";
import { UsageError } from "../../server/cli/args";
import { libvirtCliParser } from "../../server/collectors/libvirt/cli";
import { libvirtOptions } from "../../server/collectors/libvirt/collector";
import { LibvirtProtocolError } from "../../server/collectors/libvirt/errors";
import { toSnapshot, type LibvirtInventory } from "../../server/collectors/libvirt/normalise";
import {
  decodeAllDomainStats,
  decodeNodeMemoryParameters,
  decodeNodeStats,
  DOMAIN_STATS_PARAMS_MAX,
  NODE_CPU_STATS_MAX,
  writeDomain,
  type TypedParamValue,
} from "../../server/collectors/libvirt/remote";
import {
  counter,
  cpuPercent,
  deviceRate,
  domainMetrics,
  intervalSeconds,
  ksmSharing,
  MAX_DEVICES,
  nodeCpuPercent,
  nodeMemoryUsedMiB,
  toSeries,
  type DomainRead,
} from "../../server/collectors/libvirt/utilisation";
import { XdrError, XdrWriter } from "../../server/collectors/libvirt/xdr";
import { parseSnapshot } from "../../server/inventory/snapshot";

const uuid = Buffer.from("7a2e9c415b3d4f6e8a1b2c3d4e5f6a71", "hex");

/** One stats record with the given params, each written with its virTypedParameterType. */
function statsReply(params: [string, number, (w: XdrWriter) => XdrWriter][]): Buffer {
  const w = new XdrWriter().uint(1);
  writeDomain(w, { name: "vm", uuid, id: 7 });
  w.uint(params.length);
  for (const [field, type, value] of params) value(w.string(field).int(type));
  return w.toBuffer();
}

const double = (v: number) => (w: XdrWriter) => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return w.fixedOpaque(b, 8);
};

describe("typed parameters of CONNECT_GET_ALL_DOMAIN_STATS", () => {
  it("decodes all seven types, a negative hyper and NaN as sent", () => {
    const [record] = decodeAllDomainStats(
      statsReply([
        ["state.state", 1, (w) => w.int(-1)],
        ["vcpu.current", 2, (w) => w.uint(4294967295)],
        ["x.llong", 3, (w) => w.uhyper(0xffffffffffffffffn)], // -1 as a signed hyper
        ["cpu.time", 4, (w) => w.uhyper(18446744073709551615n)],
        ["x.double", 5, double(0.25)],
        ["x.nan", 5, double(Number.NaN)],
        ["x.bool", 6, (w) => w.int(2)],
        ["block.0.name", 7, (w) => w.string("vda")],
      ]),
    );
    expect(record!.domain).toMatchObject({ name: "vm", id: 7 });
    const p = record!.params;
    expect(p.get("state.state")).toBe(-1);
    expect(p.get("vcpu.current")).toBe(4294967295);
    expect(p.get("x.llong")).toBe(-1n);
    expect(p.get("cpu.time")).toBe(18446744073709551615n);
    expect(p.get("x.double")).toBe(0.25);
    expect(p.get("x.nan")).toBeNaN();
    expect(p.get("x.bool")).toBe(true);
    expect(p.get("block.0.name")).toBe("vda");
  });

  it("refuses an unknown type (its size cannot be known), naming it", () => {
    const bytes = statsReply([["x", 8, (w) => w.int(0)]]);
    expect(() => decodeAllDomainStats(bytes)).toThrow(LibvirtProtocolError);
    expect(() => decodeAllDomainStats(bytes)).toThrow("unknown typed parameter type 8");
  });

  it("keeps the first of a field sent twice", () => {
    const [record] = decodeAllDomainStats(
      statsReply([
        ["cpu.time", 4, (w) => w.uhyper(5n)],
        ["cpu.time", 4, (w) => w.uhyper(9n)],
      ]),
    );
    expect(record!.params.get("cpu.time")).toBe(5n);
  });

  it("refuses hostile lengths before looping or allocating: a count longer than the data, over the limit, a huge field name", () => {
    const huge = new XdrWriter().uint(1);
    writeDomain(huge, { name: "vm", uuid, id: 1 });
    huge.uint(1_000_000_000); // a billion params, 8 bytes follow
    huge.uhyper(0n);
    const started = performance.now();
    expect(() => decodeAllDomainStats(huge.toBuffer())).toThrow(XdrError);
    expect(performance.now() - started).toBeLessThan(50);

    const over = new XdrWriter().uint(1);
    writeDomain(over, { name: "vm", uuid, id: 1 });
    over.uint(DOMAIN_STATS_PARAMS_MAX + 1);
    expect(() => decodeAllDomainStats(over.toBuffer())).toThrow(/exceeds its limit 262144/);

    const records = new XdrWriter().uint(70_000).toBuffer();
    expect(() => decodeAllDomainStats(records)).toThrow(/exceeds its limit/);

    const name = new XdrWriter().uint(1);
    writeDomain(name, { name: "vm", uuid, id: 1 });
    name.uint(1).uint(5000).fixedOpaque(Buffer.alloc(5000, 0x61), 5000).int(1).int(1);
    expect(() => decodeAllDomainStats(name.toBuffer())).toThrow(/5000 bytes exceeds its limit 1024/);
  });

  it("is cut short: truncated data is an error, not a partial record", () => {
    const bytes = statsReply([["cpu.time", 4, (w) => w.uhyper(5n)]]);
    expect(() => decodeAllDomainStats(bytes.subarray(0, bytes.length - 3))).toThrow(XdrError);
  });
});

describe("node stats replies", () => {
  it("decodes NODE_GET_CPU_STATS pairs and the announced count", () => {
    const w = new XdrWriter().uint(2).string("kernel").uhyper(34678723400000n).string("idle").uhyper(87264900000n).int(4);
    const { params, nparams } = decodeNodeStats(w.toBuffer(), NODE_CPU_STATS_MAX);
    expect([...params]).toEqual([
      ["kernel", 34678723400000n],
      ["idle", 87264900000n],
    ]);
    expect(nparams).toBe(4);
    // The first call (nparams 0): no pairs, only the count.
    expect(decodeNodeStats(new XdrWriter().uint(0).int(4).toBuffer(), NODE_CPU_STATS_MAX)).toEqual({ params: new Map(), nparams: 4 });
    expect(() => decodeNodeStats(new XdrWriter().uint(17).toBuffer(), NODE_CPU_STATS_MAX)).toThrow(/exceeds its limit 16/);
  });

  it("decodes NODE_GET_MEMORY_PARAMETERS' typed params (uint and ullong)", () => {
    const w = new XdrWriter().uint(3);
    w.string("shm_pages_to_scan").int(2).uint(100);
    w.string("shm_pages_shared").int(4).uhyper(1200n);
    w.string("shm_pages_sharing").int(4).uhyper(51200n);
    w.int(8);
    const { params, nparams } = decodeNodeMemoryParameters(w.toBuffer());
    expect(nparams).toBe(8);
    expect(Object.fromEntries(params)).toEqual({ shm_pages_to_scan: 100, shm_pages_shared: 1200n, shm_pages_sharing: 51200n });
    expect(() => decodeNodeMemoryParameters(new XdrWriter().uint(65).toBuffer())).toThrow(/exceeds its limit 64/);
  });
});

const params = (entries: Record<string, TypedParamValue>) => new Map(Object.entries(entries));
const dom = (id: number, entries: Record<string, TypedParamValue>): DomainRead => ({ id, params: params(entries) });

/** Two reads 2 s apart of a 2-vCPU domain with two disks and a NIC, and a balloon driver in the guest. */
const before = dom(3, {
  "cpu.time": 10_000_000_000n,
  "vcpu.current": 2,
  "balloon.current": 3145728n,
  "balloon.maximum": 4194304n,
  "balloon.rss": 2097152n,
  "balloon.available": 3000000n,
  "balloon.usable": 1000000n,
  "balloon.swap_out": 0n,
  "block.count": 2,
  "block.0.name": "vda",
  "block.0.rd.bytes": 1_000_000n,
  "block.0.wr.bytes": 0n,
  "block.1.name": "vdb",
  "block.1.rd.bytes": 0n,
  "block.1.wr.bytes": 500n,
  "net.count": 1,
  "net.0.name": "vnet0",
  "net.0.rx.bytes": 100n,
  "net.0.tx.bytes": 100n,
});
const after = dom(3, {
  ...Object.fromEntries(before.params),
  "cpu.time": 11_000_000_000n, // 1 s of CPU in 2 s on 2 vCPUs: 25 %
  "balloon.rss": 2150400n, // 2100 MiB
  "balloon.swap_out": 10240n,
  "block.0.rd.bytes": 1_000_000n + 2048n * 1024n, // +2 MiB over 2 s: 1024 KiB/s
  "block.1.wr.bytes": 500n + 1024n * 1024n, // +1 MiB: 512 KiB/s
  "net.0.rx.bytes": 100n + 20480n, // 10 KiB/s
  "net.0.tx.bytes": 100n,
});

describe("a domain's measured use between two reads", () => {
  it("computes every metric from the counters", () => {
    const { metrics, notes } = domainMetrics(before, after, 2000, 4);
    expect(notes).toEqual([]);
    expect(metrics).toEqual({
      "cpu.usage.pct": 25, // vcpu.current (2), not the configured 4
      "mem.consumed.mib": 2100,
      "mem.guest.used.mib": (3000000 - 1000000) / 1024,
      "mem.ballooned.mib": 1024,
      "mem.swapped.mib": 10,
      "disk.read.kibps": 1024,
      "disk.write.kibps": 512,
      "net.rx.kibps": 10,
      "net.tx.kibps": 0,
    });
  });

  it("uses the configured vCPUs when the stats lack vcpu.current", () => {
    const a = dom(3, { "cpu.time": 0n });
    const b = dom(3, { "cpu.time": 2_000_000_000n });
    expect(domainMetrics(a, b, 1000, 4).metrics["cpu.usage.pct"]).toBe(50);
    expect(domainMetrics(a, b, 1000, null).metrics["cpu.usage.pct"]).toBeUndefined();
  });

  it("gives no rates after a restart (another id, or cpu.time backwards), but keeps the second read's memory", () => {
    const restartedId = dom(4, Object.fromEntries(after.params));
    for (const second of [restartedId, dom(3, { ...Object.fromEntries(after.params), "cpu.time": 5n })]) {
      const { metrics, notes } = domainMetrics(before, second, 2000, 2);
      expect(notes).toEqual(["restarted between the two reads: no rates"]);
      expect(metrics["cpu.usage.pct"]).toBeUndefined();
      expect(metrics["disk.read.kibps"]).toBeUndefined();
      expect(metrics["net.rx.kibps"]).toBeUndefined();
      expect(metrics["mem.consumed.mib"]).toBe(2100);
    }
  });

  it("gives no rates for a zero or negative interval, or one read", () => {
    for (const interval of [0, -5, Number.NaN]) {
      const { metrics } = domainMetrics(before, after, interval, 2);
      expect(Object.keys(metrics).sort()).toEqual(["mem.ballooned.mib", "mem.consumed.mib", "mem.guest.used.mib", "mem.swapped.mib"]);
    }
    const one = domainMetrics(null, after, 0, 2).metrics;
    expect(one["cpu.usage.pct"]).toBeUndefined();
    expect(one["mem.consumed.mib"]).toBe(2100);
  });

  it("leaves out what is missing, never 0: no guest balloon driver, a NIC without counters (user networking), a disk without a name", () => {
    const a = dom(1, { "cpu.time": 0n, "balloon.current": 262144n, "balloon.maximum": 262144n, "net.count": 1, "block.count": 1, "block.0.rd.bytes": 0n });
    const b = dom(1, { "cpu.time": 10_000_000n, "balloon.current": 262144n, "balloon.maximum": 262144n, "net.count": 1, "block.count": 1, "block.0.rd.bytes": 9n });
    const { metrics } = domainMetrics(a, b, 1000, 1);
    expect(metrics).toEqual({ "cpu.usage.pct": 1, "mem.ballooned.mib": 0 });
  });

  it("refuses NaN, negative and string counters, with a note", () => {
    const a = dom(1, { "cpu.time": Number.NaN, "balloon.rss": -5n, "balloon.swap_out": "lots" });
    const b = dom(1, { "cpu.time": Number.NaN, "balloon.rss": -5n, "balloon.swap_out": "lots" });
    const { metrics, notes } = domainMetrics(a, b, 1000, 1);
    expect(metrics).toEqual({});
    expect(notes).toEqual(["unusable counter balloon.rss=-5", "unusable counter balloon.swap_out=lots", "unusable counter cpu.time=NaN"]);
    expect(counter(params({ x: Number.POSITIVE_INFINITY }), "x")).toBeNull();
    expect(counter(params({ x: true }), "x")).toBeNull();
  });

  it("is exact near 2^64 (deltas in bigint), and bounded against a hostile device count", () => {
    const top = 18446744073709551615n;
    expect(cpuPercent(top - 1_000_000_000n, top, 1000, 1)).toBe(100);
    const huge = dom(1, { "block.count": 1e9 });
    const started = performance.now();
    expect(deviceRate(huge, huge, "block", "rd.bytes", 1000)).toBeNull();
    expect(deviceRate(dom(1, { "block.count": MAX_DEVICES + 1 }), huge, "block", "rd.bytes", 1000)).toBeNull();
    expect(performance.now() - started).toBeLessThan(50);
  });

  it("gives no disk rate when a disk was plugged or renamed between the reads, and 0 for a domain without disks", () => {
    const one = dom(1, { "block.count": 1, "block.0.name": "vda", "block.0.rd.bytes": 0n });
    const two = dom(1, { "block.count": 2, "block.0.name": "vda", "block.0.rd.bytes": 0n, "block.1.name": "vdb", "block.1.rd.bytes": 0n });
    const renamed = dom(1, { "block.count": 1, "block.0.name": "sda", "block.0.rd.bytes": 10n });
    expect(deviceRate(one, two, "block", "rd.bytes", 1000)).toBeNull();
    expect(deviceRate(one, renamed, "block", "rd.bytes", 1000)).toBeNull();
    const none = dom(1, { "block.count": 0 });
    expect(deviceRate(none, none, "block", "rd.bytes", 1000)).toBe(0);
  });
});

describe("the node", () => {
  const cpu = (kernel: bigint, user: bigint, idle: bigint, iowait: bigint) => new Map([["kernel", kernel], ["user", user], ["idle", idle], ["iowait", iowait]]);

  it("CPU %: Δ(total − idle − iowait) ÷ Δtotal", () => {
    expect(nodeCpuPercent(cpu(100n, 100n, 100n, 100n), cpu(130n, 130n, 130n, 110n))).toBe(60);
  });

  it("no CPU % when nothing moved (the test driver's fixed figures), a counter went backwards, or idle is missing", () => {
    const fixed = cpu(34678723400000n, 9797400000n, 87264900000n, 763600000n);
    expect(nodeCpuPercent(fixed, fixed)).toBeNull();
    expect(nodeCpuPercent(cpu(100n, 100n, 100n, 100n), cpu(90n, 200n, 200n, 100n))).toBeNull();
    expect(nodeCpuPercent(new Map([["kernel", 1n]]), new Map([["kernel", 2n]]))).toBeNull();
    expect(nodeCpuPercent(null, fixed)).toBeNull();
    expect(nodeCpuPercent(cpu(1n, 1n, 1n, 1n), null)).toBeNull();
  });

  it("takes a driver's own utilization (%) when it has no time counters", () => {
    expect(nodeCpuPercent(new Map([["utilization", 40n]]), new Map([["utilization", 37n]]))).toBe(37);
    expect(nodeCpuPercent(null, new Map([["utilization", 250n]]))).toBeNull();
  });

  it("memory in use: total − free − buffers − cached (KiB → MiB); nothing when free is missing or the sum is negative", () => {
    expect(nodeMemoryUsedMiB(new Map([["total", 24683784n], ["free", 21411000n], ["buffers", 297268n], ["cached", 1756856n]]))).toBe(
      (24683784 - 21411000 - 297268 - 1756856) / 1024,
    );
    expect(nodeMemoryUsedMiB(new Map([["total", 2048n], ["free", 1024n]]))).toBe(1);
    expect(nodeMemoryUsedMiB(new Map([["total", 2048n]]))).toBeNull();
    expect(nodeMemoryUsedMiB(new Map([["total", 100n], ["free", 50n], ["cached", 60n]]))).toBeNull();
    expect(nodeMemoryUsedMiB(null)).toBeNull();
  });

  it("KSM: pages_sharing × page size saved; idle KSM is none; no parameters is unknown", () => {
    const ksm = (sharing: bigint, shared: bigint, scans: bigint) =>
      params({ shm_pages_sharing: sharing, shm_pages_shared: shared, shm_full_scans: scans, shm_pages_to_scan: 100 });
    expect(ksmSharing(ksm(51200n, 1200n, 3n), 4)).toEqual({ memorySharing: "ksm", memorySharedMiB: 200 });
    expect(ksmSharing(ksm(51200n, 1200n, 3n), 64)).toEqual({ memorySharing: "ksm", memorySharedMiB: 3200 });
    expect(ksmSharing(ksm(0n, 0n, 5n), 4)).toEqual({ memorySharing: "ksm", memorySharedMiB: 0 });
    expect(ksmSharing(ksm(0n, 0n, 0n), 4)).toEqual({ memorySharing: "none", memorySharedMiB: null });
    expect(ksmSharing(ksm(51200n, 1200n, 3n), null)).toEqual({ memorySharing: "ksm", memorySharedMiB: null });
    expect(ksmSharing(null, 4)).toEqual({ memorySharing: "unknown", memorySharedMiB: null });
    expect(ksmSharing(params({ shm_pages_sharing: Number.NaN }), 4)).toEqual({ memorySharing: "unknown", memorySharedMiB: null });
  });
});

describe("series", () => {
  it("interval: the measured time rounded, at least 1 s", () => {
    expect(intervalSeconds(2012)).toBe(2);
    expect(intervalSeconds(2600)).toBe(3);
    expect(intervalSeconds(300)).toBe(1);
    expect(intervalSeconds(0)).toBe(1);
  });

  it("drops values the contract cannot hold (NaN, negative, > 1e12)", () => {
    const at = new Date("2026-12-05T12:00:00Z");
    const series = toSeries("virtualMachine", "vm-1", { "cpu.usage.pct": Number.NaN, "mem.consumed.mib": 2e12, "net.rx.kibps": -1, "disk.read.kibps": 3 }, 2, at);
    expect(series).toEqual([
      { object: "virtualMachine", externalId: "vm-1", metric: "disk.read.kibps", intervalSeconds: 2, start: "2026-12-05T12:00:00.000Z", values: [3] },
    ]);
  });

  it("the snapshot carries the host's and each measured domain's series, accepted by the contract, and KSM on the host", () => {
    const at = new Date("2026-12-05T12:00:02Z");
    const domain = (name: string, id: string) => ({
      info: { state: 1, maxMemKiB: 4194304, memoryKiB: 4194304, vcpus: 2, cpuTimeNs: 0n },
      xml: {
        type: "kvm", name, uuid: id, title: null, description: null, vcpus: 2, vcpusCurrent: null, vcpuPlacementPinned: false,
        coresPerSocket: null, memoryMiB: 4096, currentMemoryMiB: 3072, maxMemoryMiB: null, osType: "hvm", osArch: "x86_64",
        osMachine: "pc", libosinfoId: null, metadata: {}, disks: [], nics: [], hostdevs: [], usbController: false,
        usbRedirection: false, tpm: false, tpmModel: null,
      },
      stats: null,
    });
    const measuredVm = { ...domain("web", "7a2e9c41-5b3d-4f6e-8a1b-2c3d4e5f6a71"), usage: { first: before, second: after } };
    const restarted = { ...domain("db", "7a2e9c41-5b3d-4f6e-8a1b-2c3d4e5f6a72"), usage: { first: before, second: dom(9, Object.fromEntries(after.params)) } };
    const off = domain("off", "7a2e9c41-5b3d-4f6e-8a1b-2c3d4e5f6a73");
    const inventory: LibvirtInventory = {
      uri: "qemu:///system", hostname: "kvm01", hypervisorType: "QEMU", hypervisorVersion: 7002000, libVersion: 9000000,
      node: { model: "x86_64", memoryKiB: 24683784, cpus: 8, mhz: 2600, nodes: 1, sockets: 1, cores: 8, threads: 1 },
      capabilities: { uuid: "host-uuid", arch: "x86_64", cpuModel: null, cpuVendor: null, numaCells: 1, pageKiB: 4 },
      sysinfo: null,
      domains: [measuredVm, restarted, off],
      warnings: [],
      usage: {
        intervalMs: 2012,
        at,
        nodeCpu: { first: new Map([["kernel", 0n], ["user", 0n], ["idle", 0n], ["iowait", 0n]]), second: new Map([["kernel", 1n], ["user", 1n], ["idle", 2n], ["iowait", 0n]]) },
        nodeMemory: new Map([["total", 2048n], ["free", 1024n]]),
        memoryParameters: params({ shm_pages_sharing: 2560n, shm_pages_shared: 10n, shm_full_scans: 1n }),
      },
    };
    const snapshot = parseSnapshot(toSnapshot(inventory, at));
    expect(snapshot.hosts[0]).toMatchObject({ memorySharing: "ksm", memorySharedMiB: 10 });
    const by = (id: string) => Object.fromEntries(snapshot.utilisation.filter((s) => s.externalId === id).map((s) => [s.metric, s.values[0]]));
    expect(by("host-uuid")).toEqual({ "cpu.usage.pct": 50, "mem.consumed.mib": 1 });
    expect(by("7a2e9c41-5b3d-4f6e-8a1b-2c3d4e5f6a71")["cpu.usage.pct"]).toBeCloseTo(25 * (2000 / 2012), 10);
    expect(Object.keys(by("7a2e9c41-5b3d-4f6e-8a1b-2c3d4e5f6a72")).sort()).toEqual(["mem.ballooned.mib", "mem.consumed.mib", "mem.guest.used.mib", "mem.swapped.mib"]);
    expect(by("7a2e9c41-5b3d-4f6e-8a1b-2c3d4e5f6a73")).toEqual({});
    expect(new Set(snapshot.utilisation.map((s) => `${s.intervalSeconds} ${s.start}`))).toEqual(new Set(["2 2026-12-05T12:00:02.000Z"]));
    expect(snapshot.warnings).toEqual(["domain db: measured use: restarted between the two reads: no rates"]);
  });
});

describe("the statsSampleSeconds option", () => {
  it("defaults to 2 s, takes 0 (one read) and fractions, refuses negatives and more than 300 s", () => {
    expect(libvirtOptions.parse({}).statsSampleSeconds).toBe(2);
    expect(libvirtOptions.parse({ statsSampleSeconds: 0 }).statsSampleSeconds).toBe(0);
    expect(libvirtOptions.parse({ statsSampleSeconds: 0.5 }).statsSampleSeconds).toBe(0.5);
    expect(libvirtOptions.safeParse({ statsSampleSeconds: -1 }).success).toBe(false);
    expect(libvirtOptions.safeParse({ statsSampleSeconds: 301 }).success).toBe(false);
    expect(libvirtOptions.safeParse({ statsSampleSeconds: "2" }).success).toBe(false);
  });

  it("is --sample on the command line", () => {
    expect(libvirtCliParser(["qemu:///system", "--sample", "0"], {} as NodeJS.ProcessEnv).options).toEqual({ statsSampleSeconds: 0 });
    expect(libvirtCliParser(["qemu:///system", "--sample", "5"], {} as NodeJS.ProcessEnv).options).toEqual({ statsSampleSeconds: 5 });
    for (const bad of ["-1", "", "two", "301"]) expect(() => libvirtCliParser(["qemu:///system", "--sample", bad], {} as NodeJS.ProcessEnv)).toThrow(UsageError);
  });
});

/**
 * The maths of a container's measured use from its stats (server/collectors/docker/utilisation.ts),
 * on genuine stats documents: the Docker API reference's cgroup v1 example, a Docker cgroup v2
 * answer, and two reads of Podman 4.3's compatible API taken on the test peer; with near misses
 * (no system delta, counters missing or gone backwards, the CPU limit's three forms, the page
 * cache of each cgroup version, no networks).
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { containerStatsDocument, type ContainerStatsDocument } from "../../server/collectors/docker/api";
import {
  blockIoBytes,
  cliCpuPercent,
  containerUse,
  cpuLimitCores,
  cpusetCores,
  hasPreviousSample,
  memoryConsumedBytes,
  networkBytes,
  sampleTime,
  type UseContext,
} from "../../server/collectors/docker/utilisation";
import { utilisationSeries } from "../../server/utilisation/series";

const fixture = (name: string): unknown =>
  JSON.parse(fs.readFileSync(path.join(__dirname, "../fixtures/docker", name), "utf8"));
const stats = (raw: unknown): ContainerStatsDocument => containerStatsDocument.parse(raw);

const v1 = stats(fixture("stats-docker-cgroup1-apidocs.json"));
const v2 = stats(fixture("stats-docker-cgroup2.json"));
const podmanRaw = fixture("stats-podman43-busy.json") as { first: unknown; second: unknown };
const podmanFirst = stats(podmanRaw.first);
const podmanSecond = stats(podmanRaw.second);

const MiB = 1024 * 1024;
const context = (over: Partial<UseContext> = {}): UseContext => ({
  externalId: "c1",
  hostConfig: {},
  startedAt: null,
  hostCpus: null,
  systemCpu: "host-time",
  ...over,
});
const metric = (series: { metric: string; values: (number | null)[] }[], name: string) =>
  series.find((s) => s.metric === name)?.values[0];

describe("the docker CLI's CPU %", () => {
  it("is cpu delta ÷ system delta × online CPUs × 100 (cgroup v2: online_cpus, no per-CPU list)", () => {
    const cpuDelta = 15337487000 - 15320380000;
    const systemDelta = 6984884420000000 - 6984872330000000;
    expect(cliCpuPercent(v2.precpu_stats, v2.cpu_stats)).toBeCloseTo((cpuDelta / systemDelta) * 12 * 100, 10);
    // 17.1 ms of CPU in a 1.0075 s interval (system delta ÷ 12 CPUs): 1.7 % of one CPU.
    expect(cliCpuPercent(v2.precpu_stats, v2.cpu_stats)).toBeCloseTo(1.698, 3);
  });

  it("counts the per-CPU list when online_cpus is missing (cgroup v1, older daemons)", () => {
    const withoutOnline = {
      ...v1.cpu_stats,
      online_cpus: undefined,
    };
    expect(cliCpuPercent(v1.precpu_stats, withoutOnline)).toBe(cliCpuPercent(v1.precpu_stats, v1.cpu_stats));
    expect(cliCpuPercent(v1.precpu_stats, { ...withoutOnline, cpu_usage: { ...withoutOnline.cpu_usage, percpu_usage: [1, 2] } })).toBeCloseTo(
      cliCpuPercent(v1.precpu_stats, v1.cpu_stats)! / 2,
      15,
    );
  });

  it("is unknown, not 0, when the system delta is 0, a counter is missing or went backwards, or no CPU count is given", () => {
    expect(cliCpuPercent({ ...v2.precpu_stats, system_cpu_usage: v2.cpu_stats!.system_cpu_usage }, v2.cpu_stats)).toBeNull();
    expect(cliCpuPercent({ ...v2.precpu_stats, system_cpu_usage: undefined }, v2.cpu_stats)).toBeNull();
    expect(cliCpuPercent(v2.cpu_stats, v2.precpu_stats)).toBeNull(); // both deltas negative
    expect(cliCpuPercent({ ...v2.precpu_stats, cpu_usage: { total_usage: 15337487001 } }, v2.cpu_stats)).toBeNull();
    expect(cliCpuPercent(v2.precpu_stats, { ...v2.cpu_stats, online_cpus: 0 })).toBeNull();
    expect(cliCpuPercent(null, v2.cpu_stats)).toBeNull();
    // The near miss: no CPU used at all over a real interval is a real 0.
    expect(cliCpuPercent({ ...v2.precpu_stats, cpu_usage: v2.cpu_stats!.cpu_usage }, v2.cpu_stats)).toBe(0);
  });
});

describe("a sample's previous one", () => {
  it("is there in Docker's stream=false answer, not in Podman's or the one-shot's (preread is Go's zero time)", () => {
    expect(hasPreviousSample(v2)).toBe(true);
    expect(hasPreviousSample(podmanFirst)).toBe(false);
    expect(podmanFirst.preread).toBe("0001-01-01T00:00:00Z");
    expect(podmanFirst.precpu_stats?.cpu_usage?.total_usage).toBe(0);
    expect(sampleTime("0001-01-01T00:00:00Z")).toBeNull();
    expect(sampleTime("2025-02-14T23:06:16.118896814Z")).toBe(Date.UTC(2025, 1, 14, 23, 6, 16, 118));
    expect(sampleTime("yesterday")).toBeNull();
  });
});

describe("the CPU limit", () => {
  it("is --cpus, quota ÷ period, or the cpuset's cores, the least of them", () => {
    expect(cpuLimitCores({ NanoCpus: 500_000_000 })).toBe(0.5);
    expect(cpuLimitCores({ CpuQuota: 150_000, CpuPeriod: 100_000 })).toBe(1.5);
    expect(cpuLimitCores({ CpuQuota: 50_000 })).toBe(0.5); // the kernel's default period, 100 ms
    expect(cpuLimitCores({ CpusetCpus: "0-3,8" })).toBe(5);
    expect(cpuLimitCores({ NanoCpus: 2e9, CpusetCpus: "0" })).toBe(1);
    expect(cpuLimitCores({ NanoCpus: 0, CpuQuota: -1, CpuPeriod: 100_000, CpusetCpus: "" })).toBeNull();
    expect(cpuLimitCores(null)).toBeNull();
    expect(cpusetCores("0-3,x")).toBeNull();
    expect(cpusetCores("3-1")).toBeNull();
  });
});

describe("memory consumed", () => {
  it("leaves out cgroup v1's total_inactive_file and v2's inactive_file, as the CLI does", () => {
    expect(memoryConsumedBytes(v2.memory_stats)).toBe(234590208 - 11309056);
    expect(memoryConsumedBytes(v1.memory_stats)).toBe(6537216); // total_inactive_file 0
    // v1 wins when both are there (a v1 memory.stat has both keys, total_ counting sub-cgroups).
    expect(memoryConsumedBytes({ usage: 100 * MiB, stats: { total_inactive_file: 30 * MiB, inactive_file: 10 * MiB } })).toBe(70 * MiB);
    // Not more cache than usage: the CLI keeps usage whole.
    expect(memoryConsumedBytes({ usage: 10 * MiB, stats: { inactive_file: 10 * MiB } })).toBe(10 * MiB);
    // Podman sends no memory.stat at all: usage as it is.
    expect(podmanFirst.memory_stats?.stats).toBeUndefined();
    expect(memoryConsumedBytes(podmanFirst.memory_stats)).toBe(podmanFirst.memory_stats!.usage);
  });

  it("is unknown without a usage, or with a usage of 0 (a running container holds some memory)", () => {
    expect(memoryConsumedBytes({ usage: 0, stats: { inactive_file: 2510848 } })).toBeNull();
    expect(memoryConsumedBytes({ limit: 1 })).toBeNull();
    expect(memoryConsumedBytes(null)).toBeNull();
    expect(memoryConsumedBytes({ usage: -5 })).toBeNull();
  });
});

describe("disk and network counters", () => {
  it("sum reads and writes by op, any case, over every device; networks over every interface", () => {
    expect(blockIoBytes(v2.blkio_stats)).toEqual({ read: 252493824 + 4096, write: 1417216 });
    expect(blockIoBytes({ io_service_bytes_recursive: [{ op: "Read", value: 10 }, { op: "Write", value: 5 }, { op: "Total", value: 15 }, { op: "Sync", value: 5 }] })).toEqual({
      read: 10,
      write: 5,
    });
    expect(networkBytes(v2.networks)).toEqual({ rx: 126 + 4998 + 1352, tx: 0 });
    expect(networkBytes(v1.networks)).toEqual({ rx: 5338 + 4641, tx: 648 + 690 });
  });

  it("are unknown when the engine sent none (v1's example has an empty blkio_stats; --network none omits networks) or a bad value", () => {
    expect(blockIoBytes(v1.blkio_stats)).toBeNull();
    expect(blockIoBytes({ io_service_bytes_recursive: [] })).toEqual({ read: 0, write: 0 });
    expect(blockIoBytes({ io_service_bytes_recursive: [{ op: "read", value: -1 }] })).toBeNull();
    expect(networkBytes(undefined)).toBeNull();
    expect(networkBytes({})).toBeNull();
    expect(networkBytes({ eth0: { rx_bytes: 1 } })).toBeNull();
  });
});

describe("a container's use", () => {
  const started = "2025-02-14T22:06:16.118896814Z"; // an hour before v2's read

  it("gives Docker's CPU as % of the container's limit, else of the host's CPUs, with the CLI's figure kept", () => {
    const previous = { read: v2.preread, cpu: v2.precpu_stats };
    const cli = cliCpuPercent(v2.precpu_stats, v2.cpu_stats)!;
    const unlimited = containerUse(v2, previous, context({ hostCpus: 12 }));
    expect(unlimited.cliCpuPct).toBe(cli);
    expect(unlimited.cpuPct).toBeCloseTo(cli / 12, 10);
    expect(unlimited.problem).toBeNull();
    const halfCpu = containerUse(v2, previous, context({ hostCpus: 12, hostConfig: { NanoCpus: 500_000_000 } }));
    expect(halfCpu.cpuPct).toBeCloseTo(cli / 0.5, 10);
    // A limit above the host's CPUs is the host's CPUs.
    expect(containerUse(v2, previous, context({ hostCpus: 12, hostConfig: { NanoCpus: 64e9 } })).cpuPct).toBeCloseTo(cli / 12, 10);
    // Without /info's count, the stats' online_cpus.
    expect(containerUse(v2, previous, context({ hostCpus: null })).cpuBasisCores).toBe(12);
  });

  it("makes one-value series at `read`, over the sampling interval, that the snapshot's schema accepts", () => {
    const use = containerUse(v2, { read: v2.preread, cpu: v2.precpu_stats }, context({ hostCpus: 12, startedAt: started }));
    expect(use.series.map((s) => s.metric).sort()).toEqual(
      ["cpu.usage.pct", "disk.read.kibps", "disk.write.kibps", "mem.consumed.mib", "net.rx.kibps", "net.tx.kibps"].sort(),
    );
    for (const s of use.series) {
      expect(utilisationSeries.parse(s)).toMatchObject({ object: "container", externalId: "c1", intervalSeconds: 1, start: "2025-02-14T23:06:16.118Z" });
      expect(s.values).toHaveLength(1);
    }
    expect(metric(use.series, "mem.consumed.mib")).toBeCloseTo((234590208 - 11309056) / MiB, 10);
    // Lifetime averages: totals ÷ 3600 s of uptime.
    expect(metric(use.series, "disk.read.kibps")).toBeCloseTo((252493824 + 4096) / 1024 / 3600, 6);
    expect(metric(use.series, "net.rx.kibps")).toBeCloseTo(6476 / 1024 / 3600, 9);
    expect(metric(use.series, "net.tx.kibps")).toBe(0);
  });

  it("leaves out the lifetime rates when the start time is unknown or less than a second before the read", () => {
    const previous = { read: v2.preread, cpu: v2.precpu_stats };
    for (const startedAt of [null, "0001-01-01T00:00:00Z", "2025-02-14T23:06:15.9Z", "2025-02-14T23:06:17Z"]) {
      const metrics = containerUse(v2, previous, context({ hostCpus: 12, startedAt })).series.map((s) => s.metric);
      expect(metrics.sort()).toEqual(["cpu.usage.pct", "mem.consumed.mib"]);
    }
  });

  it("takes Podman's CPU between two reads by their times, not by its system_cpu_usage (CPU used, not the host's time)", () => {
    const previous = { read: podmanFirst.read, cpu: podmanFirst.cpu_stats };
    const hc = { NanoCpus: 500_000_000, CpuQuota: 50_000, CpuPeriod: 100_000 };
    const use = containerUse(podmanSecond, previous, context({ hostCpus: 2, hostConfig: hc, systemCpu: "used-time" }));
    const intervalNs = (sampleTime(podmanSecond.read)! - sampleTime(podmanFirst.read)!) * 1e6;
    const used = podmanSecond.cpu_stats!.cpu_usage!.total_usage! - podmanFirst.cpu_stats!.cpu_usage!.total_usage!;
    expect(use.cpuPct).toBeCloseTo((used / intervalNs / 0.5) * 100, 6);
    // A busy loop held to half a CPU: near its limit.
    expect(use.cpuPct).toBeGreaterThan(60);
    // The CLI's figure on Podman's counters is kept for comparison; it is not the one used (on
    // this sample the host was saturated, so the two agree within the read times' jitter).
    const systemDelta = podmanSecond.cpu_stats!.system_cpu_usage! - podmanFirst.cpu_stats!.system_cpu_usage!;
    expect(use.cliCpuPct).toBeCloseTo((used / systemDelta) * 2 * 100, 6);
    const podmanAsDocker = containerUse(podmanSecond, previous, context({ hostCpus: 2, hostConfig: hc, systemCpu: "host-time" }));
    expect(podmanAsDocker.cpuPct).toBeCloseTo(use.cliCpuPct! / 0.5, 6);
    expect(podmanAsDocker.cpuPct).not.toBeCloseTo(use.cpuPct!, 6);
    expect(use.series.find((s) => s.metric === "cpu.usage.pct")?.intervalSeconds).toBe(1);
  });

  it("gives no CPU (and says why) without an earlier sample, with samples too close, or a counter gone backwards", () => {
    const noPrevious = containerUse(podmanFirst, null, context({ hostCpus: 2 }));
    expect(noPrevious.cpuPct).toBeNull();
    expect(noPrevious.problem).toBe("no earlier CPU sample");
    expect(noPrevious.series.map((s) => s.metric)).toEqual(["mem.consumed.mib"]);

    const close = containerUse(podmanSecond, { read: new Date(sampleTime(podmanSecond.read)! - 200).toISOString(), cpu: podmanFirst.cpu_stats }, context({ hostCpus: 2, systemCpu: "used-time" }));
    expect(close.problem).toMatch(/^CPU samples 200 ms apart/);
    expect(close.series.find((s) => s.metric === "cpu.usage.pct")).toBeUndefined();

    // A zero system delta: the CLI prints 0; the rate is taken over the read times instead.
    const flat = containerUse(v2, { read: v2.preread, cpu: { ...v2.precpu_stats, system_cpu_usage: v2.cpu_stats!.system_cpu_usage } }, context({ hostCpus: 12 }));
    expect(flat.cliCpuPct).toBeNull();
    const readNs = (sampleTime(v2.read)! - sampleTime(v2.preread)!) * 1e6;
    expect(flat.cpuPct).toBeCloseTo(((15337487000 - 15320380000) / readNs / 12) * 100, 10);
    expect(flat.problem).toBeNull();

    const backwards = containerUse(podmanFirst, { read: "2026-12-05T23:50:00Z", cpu: podmanSecond.cpu_stats }, context({ hostCpus: 2, systemCpu: "used-time" }));
    expect(backwards.cpuPct).toBeNull();
    expect(backwards.problem).toMatch(/went backwards/);
  });

  it("gives nothing for a document without a read time", () => {
    const use = containerUse({ ...v2, read: "0001-01-01T00:00:00Z" }, { read: v2.preread, cpu: v2.precpu_stats }, context({ hostCpus: 12 }));
    expect(use.series).toEqual([]);
    expect(use.problem).toMatch(/no read time/);
  });

  it("refuses malformed documents at the schema, naming the field", () => {
    const bad = containerStatsDocument.safeParse({ ...(fixture("stats-docker-cgroup2.json") as object), cpu_stats: { cpu_usage: { total_usage: "15337487000" } } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path.join(".")).toBe("cpu_stats.cpu_usage.total_usage");
    expect(containerStatsDocument.safeParse({ read: "x", memory_stats: { stats: { cache: "big" } } }).success).toBe(false);
    // Missing fields are not malformed: what is there is used.
    expect(containerStatsDocument.parse({ read: "2025-02-14T23:06:16Z" })).toEqual({ read: "2025-02-14T23:06:16Z" });
  });
});

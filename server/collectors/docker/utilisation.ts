/**
 * Measured use of a running container from its stats (GET /containers/{id}/stats?stream=false),
 * as the snapshot's `utilisation` series (server/utilisation/metrics.ts). Pure: the unit tests
 * feed it genuine Docker stats documents (cgroup v1 and v2) and Podman's.
 *
 * - cpu.usage.pct: the docker CLI's figure (calculateCPUPercentUnix in docker/cli's
 *   cli/command/container/stats_helpers.go: cpu_delta ÷ system_cpu_delta × online_cpus × 100,
 *   i.e. % of one CPU) expressed as % of the container's CPU: ÷ its CPU limit in cores
 *   (NanoCpus, CpuQuota ÷ CpuPeriod, or the cores of its cpuset, whichever is least, never more
 *   than the host's), else ÷ the host's CPUs. Docker's system_cpu_usage is the host's CPU time
 *   idle included (/proc/stat), so system_cpu_delta ÷ online_cpus is the sampling interval;
 *   Podman 4's is the CPU time the root cgroup *used* (cpuacct.usage), which is no interval at all
 *   (on a busy host its figure is too high, on an idle one absurd), so for Podman the interval
 *   is the one between the two samples' `read` times; so it is for Docker when its system
 *   counter gives no rate (a delta of 0, where the CLI prints 0).
 * - mem.consumed.mib: memory_stats.usage less the page cache the CLI leaves out
 *   (calculateMemUsageUnixNoCache: cgroup v1 total_inactive_file, v2 inactive_file).
 * - disk.read/write.kibps, net.rx/tx.kibps: the counters are totals since the container started,
 *   so the rate is an average over its life (the totals ÷ its uptime at `read`), not over the
 *   sampling interval.
 *
 * Every series carries one value, at `read` (the end of the CPU sampling interval), covering
 * that interval (at least 1 s). A figure that cannot be told is left out, never sent as 0.
 */
import type { UtilisationSeriesInput } from "../../utilisation/series";
import type { ContainerDocument, ContainerStatsDocument } from "./api";

type CpuStats = NonNullable<ContainerStatsDocument["cpu_stats"]>;
type MemoryStats = ContainerStatsDocument["memory_stats"];
type HostConfig = NonNullable<ContainerDocument["HostConfig"]>;

const MiB = 1024 * 1024;
const KiB = 1024;
/** The shortest sampling interval a CPU rate is taken from (Docker samples every second). */
export const MIN_CPU_INTERVAL_MS = 500;
/** The shortest uptime a lifetime average is taken over. */
export const MIN_UPTIME_MS = 1_000;

/** A sample's time in ms since the epoch; null for Go's zero time ("0001-01-01T00:00:00Z") or garbage. */
export function sampleTime(value: string | null | undefined): number | null {
  if (!value) return null;
  const time = Date.parse(value);
  if (Number.isNaN(time) || new Date(time).getUTCFullYear() < 1971) return null;
  return time;
}

const count = (value: number | null | undefined): number | null =>
  value === null || value === undefined || !Number.isFinite(value) || value < 0 ? null : value;

/**
 * Whether the document carries the sample before it (Docker's stream=false without one-shot):
 * a preread time and a precpu total. Docker's one-shot and Podman's compatible API send zeros.
 */
export function hasPreviousSample(doc: ContainerStatsDocument): boolean {
  return sampleTime(doc.preread) !== null && (count(doc.precpu_stats?.cpu_usage?.total_usage) ?? 0) > 0;
}

/** The CPUs the engine says the host has online (online_cpus, else the per-CPU list's length, as the CLI). */
export function onlineCpus(cpu: CpuStats | null | undefined): number | null {
  const online = count(cpu?.online_cpus);
  if (online) return online;
  const perCpu = cpu?.cpu_usage?.percpu_usage?.length ?? 0;
  return perCpu > 0 ? perCpu : null;
}

/**
 * The docker CLI's CPU % (of one CPU) between two samples; null where the CLI would print 0 for
 * want of data (no system delta, a counter missing or gone backwards, no CPU count).
 */
export function cliCpuPercent(previous: CpuStats | null | undefined, current: CpuStats | null | undefined): number | null {
  const before = count(previous?.cpu_usage?.total_usage);
  const now = count(current?.cpu_usage?.total_usage);
  const systemBefore = count(previous?.system_cpu_usage);
  const systemNow = count(current?.system_cpu_usage);
  const cpus = onlineCpus(current);
  if (before === null || now === null || systemBefore === null || systemNow === null || cpus === null) return null;
  const cpuDelta = now - before;
  const systemDelta = systemNow - systemBefore;
  if (systemDelta <= 0 || cpuDelta < 0) return null;
  return (cpuDelta / systemDelta) * cpus * 100;
}

/** Cores in a cpuset list ("0-3,8"); null when it says none or cannot be read. */
export function cpusetCores(cpuset: string | null | undefined): number | null {
  if (!cpuset || cpuset.trim() === "") return null;
  let cores = 0;
  for (const part of cpuset.split(",")) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!match) return null;
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) return null;
    cores += to - from + 1;
  }
  return cores > 0 ? cores : null;
}

/**
 * The container's CPU limit in cores: --cpus (NanoCpus ÷ 1e9), --cpu-quota ÷ --cpu-period
 * (the kernel's default period, 100 ms, when none is set) or its cpuset's cores, the least of
 * those set; null when none is.
 */
export function cpuLimitCores(hc: Pick<HostConfig, "NanoCpus" | "CpuQuota" | "CpuPeriod" | "CpusetCpus"> | null | undefined): number | null {
  const limits: number[] = [];
  if (hc?.NanoCpus && hc.NanoCpus > 0) limits.push(hc.NanoCpus / 1e9);
  if (hc?.CpuQuota && hc.CpuQuota > 0) limits.push(hc.CpuQuota / (hc.CpuPeriod && hc.CpuPeriod > 0 ? hc.CpuPeriod : 100_000));
  const cpuset = cpusetCores(hc?.CpusetCpus);
  if (cpuset !== null) limits.push(cpuset);
  return limits.length > 0 ? Math.min(...limits) : null;
}

/**
 * Memory used less the page cache, in bytes, as the docker CLI counts it; null when the engine
 * sent no usage (0 included: a running container holds some memory, so 0 means "not read").
 */
export function memoryConsumedBytes(memory: MemoryStats): number | null {
  const usage = count(memory?.usage);
  if (!usage) return null;
  const stats = memory?.stats ?? {};
  const v1 = count(stats.total_inactive_file);
  if (v1 !== null && v1 < usage) return usage - v1;
  const v2 = count(stats.inactive_file);
  if (v2 !== null && v2 < usage) return usage - v2;
  return usage;
}

/**
 * Bytes read and written since the container started (io_service_bytes_recursive, summed by op
 * as the CLI does); null when the engine sent no list or a bad value. An empty list is no I/O.
 */
export function blockIoBytes(blkio: ContainerStatsDocument["blkio_stats"]): { read: number; write: number } | null {
  const entries = blkio?.io_service_bytes_recursive;
  if (!entries) return null;
  let read = 0;
  let write = 0;
  for (const entry of entries) {
    const op = (entry.op ?? "").charAt(0).toLowerCase();
    if (op !== "r" && op !== "w") continue;
    const value = count(entry.value);
    if (value === null) return null;
    if (op === "r") read += value;
    else write += value;
  }
  return { read, write };
}

/** Bytes received and sent on all interfaces since start; null without networks (--network none on Docker). */
export function networkBytes(networks: ContainerStatsDocument["networks"]): { rx: number; tx: number } | null {
  const interfaces = Object.values(networks ?? {});
  if (interfaces.length === 0) return null;
  let rx = 0;
  let tx = 0;
  for (const i of interfaces) {
    const r = count(i.rx_bytes);
    const t = count(i.tx_bytes);
    if (r === null || t === null) return null;
    rx += r;
    tx += t;
  }
  return { rx, tx };
}

/** What a stats reading is measured against. */
export interface UseContext {
  externalId: string;
  hostConfig: ContainerDocument["HostConfig"];
  /** State.StartedAt of the inspect. */
  startedAt: string | null | undefined;
  /** The host's CPUs (/info NCPU); the stats' online_cpus when unknown. */
  hostCpus: number | null;
  /**
   * What system_cpu_usage counts: Docker's is the host's CPU time idle included (the CLI's
   * formula holds); Podman's is CPU time used, so the interval comes from the `read` times.
   */
  systemCpu: "host-time" | "used-time";
}

/** The sample before `current`: from its own precpu_stats, or an earlier read of the same container. */
export interface PreviousSample {
  read: string | null | undefined;
  cpu: CpuStats | null | undefined;
}

export interface ContainerUse {
  series: UtilisationSeriesInput[];
  /** The figures, for tests and reports: % of the container's CPU, the CLI's % of one CPU. */
  cpuPct: number | null;
  cliCpuPct: number | null;
  cpuBasisCores: number | null;
  /** Why the CPU figure (the one every running container should have) is unknown. */
  problem: string | null;
}

/** One running container's measured use from its latest stats and the sample before it. */
export function containerUse(current: ContainerStatsDocument, previous: PreviousSample | null, context: UseContext): ContainerUse {
  const readAt = sampleTime(current.read);
  const none = (problem: string): ContainerUse => ({ series: [], cpuPct: null, cliCpuPct: null, cpuBasisCores: null, problem });
  if (readAt === null) return none(`the stats carry no read time (${JSON.stringify(current.read ?? null).slice(0, 40)})`);
  const before = previous ? sampleTime(previous.read) : null;
  const intervalMs = before === null ? null : readAt - before;

  let problem: string | null = null;
  let cpuPct: number | null = null;
  let cliCpuPct: number | null = null;
  const hostCpus = context.hostCpus && context.hostCpus > 0 ? context.hostCpus : onlineCpus(current.cpu_stats);
  const limit = cpuLimitCores(context.hostConfig);
  const basis = limit !== null && hostCpus !== null ? Math.min(limit, hostCpus) : (limit ?? hostCpus);
  if (!previous || intervalMs === null) {
    problem = "no earlier CPU sample";
  } else if (intervalMs < MIN_CPU_INTERVAL_MS) {
    problem = `CPU samples ${intervalMs} ms apart (less than ${MIN_CPU_INTERVAL_MS} ms)`;
  } else {
    cliCpuPct = cliCpuPercent(previous.cpu, current.cpu_stats);
    // The container's CPU time over the samples' read times: Podman's rate, and Docker's when its
    // system counter gives none (the CLI would print 0 there).
    const usedBefore = count(previous.cpu?.cpu_usage?.total_usage);
    const usedNow = count(current.cpu_stats?.cpu_usage?.total_usage);
    const overReadTimes = usedBefore === null || usedNow === null || usedNow < usedBefore ? null : (usedNow - usedBefore) / (intervalMs * 1e6);
    const coresUsed = context.systemCpu === "host-time" && cliCpuPct !== null ? cliCpuPct / 100 : overReadTimes;
    if (coresUsed === null) problem = "the CPU counter is missing or went backwards";
    if (coresUsed !== null) {
      if (basis === null) problem = "the host's CPU count is unknown";
      else cpuPct = (coresUsed / basis) * 100;
    }
  }

  const start = new Date(readAt).toISOString();
  const intervalSeconds = Math.min(86_400, Math.max(1, Math.round((intervalMs ?? 1000) / 1000)));
  const series: UtilisationSeriesInput[] = [];
  const add = (metric: UtilisationSeriesInput["metric"], value: number | null) => {
    if (value === null || !Number.isFinite(value) || value < 0 || value > 1e12) return;
    series.push({ object: "container", externalId: context.externalId, metric, intervalSeconds, start, values: [value] });
  };
  add("cpu.usage.pct", cpuPct);
  const memory = memoryConsumedBytes(current.memory_stats);
  add("mem.consumed.mib", memory === null ? null : memory / MiB);
  // Totals since the container started ÷ its uptime: an average over its life.
  const started = sampleTime(context.startedAt);
  const uptimeMs = started === null ? null : readAt - started;
  if (uptimeMs !== null && uptimeMs >= MIN_UPTIME_MS) {
    const perSecond = (bytes: number) => bytes / KiB / (uptimeMs / 1000);
    const disk = blockIoBytes(current.blkio_stats);
    if (disk) {
      add("disk.read.kibps", perSecond(disk.read));
      add("disk.write.kibps", perSecond(disk.write));
    }
    const net = networkBytes(current.networks);
    if (net) {
      add("net.rx.kibps", perSecond(net.rx));
      add("net.tx.kibps", perSecond(net.tx));
    }
  }
  return { series, cpuPct, cliCpuPct, cpuBasisCores: basis, problem };
}

/**
 * Measured use from libvirt's counters: two reads of CONNECT_GET_ALL_DOMAIN_STATS and
 * NODE_GET_CPU_STATS some seconds apart give rates (CPU %, disk and network KiB/s); balloon,
 * RSS and node memory are absolute and taken from the second read. Pure functions, no I/O.
 *
 * A counter that went backwards (the domain restarted between the reads), a value that is not a
 * non-negative number (NaN, negative, a string where a count belongs) or a field the driver did not
 * give means no value for that metric: never 0. Units as server/utilisation/metrics.ts says.
 */
import type { UtilisationSeriesInput } from "../../utilisation/series";
import type { MetricName } from "../../utilisation/metrics";
import type { MEMORY_SHARING } from "../../inventory/snapshot";
import type { TypedParamValue } from "./remote";

/** One domain as one stats read saw it: its id (changes when it restarts) and its typed params. */
export interface DomainRead {
  id: number;
  params: Map<string, TypedParamValue>;
}

export type Metrics = Partial<Record<MetricName, number>>;

/** Devices of one kind (block.N, net.N) read per domain at most: a hostile count is not looped over. */
export const MAX_DEVICES = 4096;

/** A counter or size as an exact non-negative integer; null when absent or not a usable number. */
export function counter(params: Map<string, TypedParamValue> | null | undefined, key: string): bigint | null {
  const v = params?.get(key);
  if (typeof v === "bigint") return v >= 0n ? v : null;
  if (typeof v === "number") return Number.isFinite(v) && v >= 0 ? BigInt(Math.floor(v)) : null;
  return null;
}

/** Why a value present in the params was not used (NaN, negative, wrong type): for the warnings. */
function invalid(params: Map<string, TypedParamValue> | null | undefined, key: string): string | null {
  if (!params?.has(key)) return null;
  return counter(params, key) === null ? `${key}=${String(params.get(key))}` : null;
}

/** A KiB figure in MiB. */
const mib = (v: bigint | null) => (v === null ? null : Number(v) / 1024);

/**
 * Σ of one counter over a domain's devices (`block`/`net`): by device name, since an index may
 * move when a device is plugged in. Null when the count or any device's name or counter is missing,
 * or when the count exceeds MAX_DEVICES.
 */
export function deviceCounters(params: Map<string, TypedParamValue>, group: "block" | "net", field: string): Map<string, bigint> | null {
  const count = counter(params, `${group}.count`);
  if (count === null || count > BigInt(MAX_DEVICES)) return null;
  const out = new Map<string, bigint>();
  for (let i = 0; i < Number(count); i++) {
    const name = params.get(`${group}.${i}.name`);
    const value = counter(params, `${group}.${i}.${field}`);
    if (typeof name !== "string" || value === null || out.has(name)) return null;
    out.set(name, value);
  }
  return out;
}

/**
 * KiB/s of a device counter between two reads: the same devices in both, none going backwards;
 * null otherwise. No devices at all is 0 (a domain without disks reads nothing).
 */
export function deviceRate(first: DomainRead, second: DomainRead, group: "block" | "net", field: string, intervalMs: number): number | null {
  if (!(intervalMs > 0)) return null;
  const a = deviceCounters(first.params, group, field);
  const b = deviceCounters(second.params, group, field);
  if (a === null || b === null || a.size !== b.size) return null;
  let delta = 0n;
  for (const [name, before] of a) {
    const after = b.get(name);
    if (after === undefined || after < before) return null;
    delta += after - before;
  }
  return Number(delta) / 1024 / (intervalMs / 1000);
}

/** ΔA / Δt of a counter in ns as % of `cpus` CPUs; null when missing, backwards or no interval. */
export function cpuPercent(before: bigint | null, after: bigint | null, intervalMs: number, cpus: number): number | null {
  if (before === null || after === null || after < before || !(intervalMs > 0) || !(cpus >= 1)) return null;
  return (Number(after - before) / (intervalMs * 1e6 * cpus)) * 100;
}

/**
 * A domain's metrics from its two reads (`second` null: one read, absolute values only, from
 * `first`). `vcpus` is the domain's configured count, used when the stats lack vcpu.current.
 * A restart between the reads (another domain id, or cpu.time going backwards) gives no rates.
 */
export function domainMetrics(
  first: DomainRead | null,
  second: DomainRead | null,
  intervalMs: number,
  vcpus: number | null,
): { metrics: Metrics; notes: string[] } {
  const metrics: Metrics = {};
  const notes: string[] = [];
  const last = second ?? first;
  if (!last) return { metrics, notes };
  const p = last.params;
  for (const key of ["balloon.rss", "balloon.available", "balloon.usable", "balloon.maximum", "balloon.current", "balloon.swap_out", "cpu.time"]) {
    const bad = invalid(p, key);
    if (bad) notes.push(`unusable counter ${bad}`);
  }
  const rss = mib(counter(p, "balloon.rss"));
  if (rss !== null) metrics["mem.consumed.mib"] = rss;
  const available = counter(p, "balloon.available");
  const usable = counter(p, "balloon.usable");
  if (available !== null && usable !== null && available >= usable) metrics["mem.guest.used.mib"] = Number(available - usable) / 1024;
  const maximum = counter(p, "balloon.maximum");
  const current = counter(p, "balloon.current");
  if (maximum !== null && current !== null && maximum >= current) metrics["mem.ballooned.mib"] = Number(maximum - current) / 1024;
  const swapped = mib(counter(p, "balloon.swap_out"));
  if (swapped !== null) metrics["mem.swapped.mib"] = swapped;

  if (!first || !second || !(intervalMs > 0)) return { metrics, notes };
  const before = counter(first.params, "cpu.time");
  const after = counter(second.params, "cpu.time");
  if (first.id !== second.id || (before !== null && after !== null && after < before)) {
    notes.push("restarted between the two reads: no rates");
    return { metrics, notes };
  }
  const cpus = Number(counter(second.params, "vcpu.current") ?? 0n) || vcpus || 0;
  const cpu = cpuPercent(before, after, intervalMs, cpus);
  if (cpu !== null) metrics["cpu.usage.pct"] = cpu;
  const rates: [MetricName, "block" | "net", string][] = [
    ["disk.read.kibps", "block", "rd.bytes"],
    ["disk.write.kibps", "block", "wr.bytes"],
    ["net.rx.kibps", "net", "rx.bytes"],
    ["net.tx.kibps", "net", "tx.bytes"],
  ];
  for (const [metric, group, field] of rates) {
    const rate = deviceRate(first, second, group, field, intervalMs);
    if (rate !== null) metrics[metric] = rate;
  }
  return { metrics, notes };
}

/** NODE_GET_CPU_STATS' time counters (ns) that add up to the CPUs' whole time. */
const NODE_CPU_TIMES = ["kernel", "user", "idle", "iowait", "intr"] as const;

/**
 * The node's CPU use between two NODE_GET_CPU_STATS reads: Δ(total − idle − iowait) ÷ Δtotal,
 * total being the sum of the time counters both reads have. A driver that gives only
 * "utilization" (a percentage) is taken at its word (second read). Null when nothing moved (the
 * test driver's fixed figures), a counter went backwards, or idle is missing.
 */
export function nodeCpuPercent(first: Map<string, bigint> | null, second: Map<string, bigint> | null): number | null {
  if (!second) return null;
  const keys = NODE_CPU_TIMES.filter((k) => first?.has(k) && second.has(k));
  if (!first || !keys.includes("idle")) {
    const u = second.get("utilization");
    return u !== undefined && u <= 100n ? Number(u) : null;
  }
  let total = 0n;
  let idle = 0n;
  for (const key of keys) {
    const d = second.get(key)! - first.get(key)!;
    if (d < 0n) return null;
    total += d;
    if (key === "idle" || key === "iowait") idle += d;
  }
  if (total === 0n) return null;
  return (Number(total - idle) / Number(total)) * 100;
}

/** Host memory in use (MiB) from NODE_GET_MEMORY_STATS (KiB): total − free − buffers − cached. */
export function nodeMemoryUsedMiB(stats: Map<string, bigint> | null): number | null {
  const total = stats?.get("total");
  const free = stats?.get("free");
  if (total === undefined || free === undefined) return null;
  const used = total - free - (stats!.get("buffers") ?? 0n) - (stats!.get("cached") ?? 0n);
  return used >= 0n ? Number(used) / 1024 : null;
}

/**
 * KSM from NODE_GET_MEMORY_PARAMETERS: memory saved is shm_pages_sharing (the extra mappings of
 * merged pages: the kernel's "how much saved") × the page size. KSM that never scanned and
 * shares nothing is "none"; without the parameters, "unknown". Page size unknown: shared MiB null.
 */
export function ksmSharing(
  params: Map<string, TypedParamValue> | null,
  pageKiB: number | null,
): { memorySharing: (typeof MEMORY_SHARING)[number]; memorySharedMiB: number | null } {
  const sharing = counter(params, "shm_pages_sharing");
  if (sharing === null) return { memorySharing: "unknown", memorySharedMiB: null };
  const scans = counter(params, "shm_full_scans") ?? 0n;
  const shared = counter(params, "shm_pages_shared") ?? 0n;
  if (sharing === 0n && shared === 0n && scans === 0n) return { memorySharing: "none", memorySharedMiB: null };
  return { memorySharing: "ksm", memorySharedMiB: pageKiB !== null && pageKiB > 0 ? (Number(sharing) * pageKiB) / 1024 : null };
}

/** Seconds a value covers: the measured time between the reads, rounded, at least 1. */
export function intervalSeconds(intervalMs: number): number {
  return Math.min(86_400, Math.max(1, Math.round(intervalMs / 1000)));
}

/** Values the snapshot's contract takes (0 … 1e12, finite). */
const storable = (v: number) => Number.isFinite(v) && v >= 0 && v <= 1e12;

/** One single-value series per metric of an object. */
export function toSeries(
  object: UtilisationSeriesInput["object"],
  externalId: string,
  metrics: Metrics,
  interval: number,
  at: Date,
): UtilisationSeriesInput[] {
  const out: UtilisationSeriesInput[] = [];
  for (const [metric, value] of Object.entries(metrics) as [MetricName, number][]) {
    if (!storable(value)) continue;
    out.push({ object, externalId, metric, intervalSeconds: interval, start: at.toISOString(), values: [value] });
  }
  return out;
}

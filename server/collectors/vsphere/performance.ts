/**
 * Measured use from vSphere's PerformanceManager, in bulk: the counter ids (perfCounter, by
 * group.name.rollupType) and the historical intervals (historicalInterval) read once, then one
 * QueryPerf per batch of entities (hosts and powered-on VMs), format "csv", over the finest
 * historical interval whose length covers the days asked for. A batch holds at most 200 entities
 * and no more entity × counter metrics than the vCenter's vpxd.stats.maxQueryMetrics (256 by
 * default: 23 VMs of 11 counters), which a vCenter enforces on historical queries. Values are converted to the
 * product's units (server/utilisation/metrics.ts) and laid on a regular grid: one value per
 * interval from the first sample on, null where vSphere had none (its -1) or left a gap.
 *
 * Where govmomi's simulator (vcsim 0.24.2, the test peer) differs from a real vCenter, the code
 * follows the vCenter (vSphere Web Services API reference, PerformanceManager.QueryPerf):
 * - vcsim ignores `format` and always answers PerfEntityMetric (sampleInfo elements and
 *   PerfMetricIntSeries): both shapes are read here.
 * - vcsim lists its samples newest first; a vCenter oldest first: samples are sorted by time.
 * - vcsim returns no sample at all without `maxSample`; a vCenter ignores maxSample for historical
 *   intervals ("used only when querying real-time statistics"): it is sent, as the number of
 *   intervals in the period, which is what a vCenter would return anyway.
 * - vcsim lists no historicalInterval (a vCenter always does): its defaults are assumed then.
 * - vcsim's timestamps are `now` minus whole intervals, a vCenter's fall on interval boundaries.
 * - vcsim's XML leaves zeros out of a PerfMetricIntSeries (govmomi's encoder, omitempty on []int64):
 *   the value count then disagrees with the samples, and the series is dropped with a warning
 *   rather than shifted.
 */
import type { UtilisationObject } from "../../utilisation/metrics";
import type { MetricName } from "../../utilisation/metrics";
import { MAX_SERIES_VALUES, type UtilisationSeriesInput } from "../../utilisation/series";
import type { MoRef, VsphereClient } from "./client";
import { moRefXml } from "./client";
import { isNotAuthenticated, VsphereFaultError } from "./errors";
import { escapeXml } from "./soap";
import { child, type XmlElement } from "./xml";

export interface PerfInterval {
  key: number;
  /** Seconds per sample: the intervalId QueryPerf takes. */
  samplingPeriod: number;
  name: string;
  /** Seconds of history the interval keeps. */
  length: number;
  level: number | null;
  enabled: boolean;
}

/** vCenter's default statistics intervals (past day, week, month, year). */
export const VCENTER_DEFAULT_INTERVALS: readonly PerfInterval[] = [
  { key: 1, samplingPeriod: 300, name: "Past day", length: 86_400, level: 1, enabled: true },
  { key: 2, samplingPeriod: 1800, name: "Past week", length: 604_800, level: 1, enabled: true },
  { key: 3, samplingPeriod: 7200, name: "Past month", length: 2_592_000, level: 1, enabled: true },
  { key: 4, samplingPeriod: 86_400, name: "Past year", length: 31_536_000, level: 1, enabled: true },
];

/** What an entity's counter value needs to be converted: the interval and the VM's vCPUs. */
export interface ConversionContext {
  intervalSeconds: number;
  vcpus: number | null;
}

interface CounterMapping {
  metric: MetricName;
  objects: readonly UtilisationObject[];
  /** vSphere's value (never -1 here) → the metric's unit; null when it cannot be worked out. */
  convert: (value: number, context: ConversionContext) => number | null;
}

const kib = (kb: number) => kb / 1024;
const BOTH = ["host", "virtualMachine"] as const;
const VM = ["virtualMachine"] as const;

/** The counters read (aggregate instance ""), by group.name.rollupType, with their conversion. */
export const PERF_COUNTERS = {
  // Hundredths of a percent.
  "cpu.usage.average": { metric: "cpu.usage.pct", objects: BOTH, convert: (v) => v / 100 },
  "cpu.usagemhz.average": { metric: "cpu.usage.mhz", objects: BOTH, convert: (v) => v },
  // Milliseconds ready in the interval, summed over the VM's vCPUs.
  "cpu.ready.summation": {
    metric: "cpu.ready.pct",
    objects: VM,
    convert: (v, { intervalSeconds, vcpus }) => (vcpus && vcpus > 0 ? (v / (intervalSeconds * 1000 * vcpus)) * 100 : null),
  },
  // KB (KiB).
  "mem.active.average": { metric: "mem.active.mib", objects: BOTH, convert: kib },
  "mem.consumed.average": { metric: "mem.consumed.mib", objects: BOTH, convert: kib },
  "mem.vmmemctl.average": { metric: "mem.ballooned.mib", objects: VM, convert: kib },
  "mem.swapped.average": { metric: "mem.swapped.mib", objects: VM, convert: kib },
  // KBps (KiB/s).
  "disk.read.average": { metric: "disk.read.kibps", objects: BOTH, convert: (v) => v },
  "disk.write.average": { metric: "disk.write.kibps", objects: BOTH, convert: (v) => v },
  "net.received.average": { metric: "net.rx.kibps", objects: BOTH, convert: (v) => v },
  "net.transmitted.average": { metric: "net.tx.kibps", objects: BOTH, convert: (v) => v },
} as const satisfies Record<string, CounterMapping>;

export type CounterName = keyof typeof PERF_COUNTERS;
export const COUNTER_NAMES = Object.keys(PERF_COUNTERS) as CounterName[];

/** Entities per QueryPerf at most: each is one PerfQuerySpec. */
export const SPECS_PER_QUERY = 200;

/**
 * A vCenter refuses a historical QueryPerf for more metrics (entity × counter) than its setting
 * vpxd.stats.maxQueryMetrics ("This operation is restricted by the administrator"): 64 by default
 * up to vCenter 6.0, 256 since (Telegraf's vSphere input reads it the same way). -1 or 0: no limit.
 */
export const MAX_QUERY_METRICS_SETTING = "config.vpxd.stats.maxQueryMetrics";

/** QueryPerf calls in flight at once. */
export const QUERY_CONCURRENCY = 4;

/** The default of vpxd.stats.maxQueryMetrics for a vCenter's version ("6.0.0" → 64, "6.5.0" → 256). */
export function defaultMaxQueryMetrics(version: string): number {
  const [major, minor] = version.split(".").map((n) => Number.parseInt(n, 10));
  if (major === undefined || !Number.isFinite(major)) return 256;
  return major < 6 || (major === 6 && (minor ?? 0) === 0) ? 64 : 256;
}

/** A fault that says the query asked for more metrics than vpxd.stats.maxQueryMetrics allows. */
export function isTooManyMetrics(error: unknown): boolean {
  if (!(error instanceof VsphereFaultError)) return false;
  return error.faultType === "RestrictedByAdministrator" || /maxQueryMetrics/i.test(error.faultString);
}

/**
 * Entities in batches of at most `maxMetrics` metrics (each entity's counters; an entity with more
 * counters than that is a batch of its own) and at most SPECS_PER_QUERY entities.
 */
export function batches<T>(entities: readonly T[], metricsOf: (e: T) => number, maxMetrics: number, maxSpecs = SPECS_PER_QUERY): T[][] {
  const out: T[][] = [];
  let batch: T[] = [];
  let metrics = 0;
  for (const e of entities) {
    const n = metricsOf(e);
    if (batch.length > 0 && (metrics + n > maxMetrics || batch.length >= maxSpecs)) {
      out.push(batch);
      batch = [];
      metrics = 0;
    }
    batch.push(e);
    metrics += n;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

/** The most days of history a collection reads (a vCenter's month interval keeps 30 days). */
export const MAX_PERFORMANCE_DAYS = 30;

// --- reading the PerformanceManager's properties ---------------------------------------------

function int(e: XmlElement | undefined): number | null {
  const text = e?.text.trim();
  if (!text || !/^-?\d+$/.test(text)) return null;
  return Number(text);
}

/** perfCounter (ArrayOfPerfCounterInfo) → counter key by "group.name.rollupType". */
export function readPerfCounters(val: XmlElement | undefined): Map<string, number> {
  const ids = new Map<string, number>();
  for (const info of val?.children ?? []) {
    const key = int(child(info, "key"));
    const group = child(child(info, "groupInfo"), "key")?.text.trim();
    const name = child(child(info, "nameInfo"), "key")?.text.trim();
    const rollup = child(info, "rollupType")?.text.trim();
    if (key === null || !group || !name || !rollup) continue;
    const id = `${group}.${name}.${rollup}`;
    if (!ids.has(id)) ids.set(id, key);
  }
  return ids;
}

/** historicalInterval (ArrayOfPerfInterval) → the intervals with a positive period and length. */
export function readIntervals(val: XmlElement | undefined): PerfInterval[] {
  const out: PerfInterval[] = [];
  for (const e of val?.children ?? []) {
    const samplingPeriod = int(child(e, "samplingPeriod"));
    const length = int(child(e, "length"));
    if (samplingPeriod === null || samplingPeriod <= 0 || length === null || length <= 0) continue;
    const enabled = child(e, "enabled")?.text.trim();
    out.push({
      key: int(child(e, "key")) ?? 0,
      samplingPeriod,
      name: child(e, "name")?.text ?? "",
      length,
      level: int(child(e, "level")),
      enabled: enabled === undefined ? true : enabled === "true" || enabled === "1",
    });
  }
  return out;
}

/**
 * The finest enabled interval whose length covers `days`; when none does, the one that keeps the
 * longest (`covers` false: the history read is shorter than asked). Null without enabled intervals.
 */
export function chooseInterval(intervals: readonly PerfInterval[], days: number): { interval: PerfInterval; covers: boolean } | null {
  const enabled = intervals.filter((i) => i.enabled).sort((a, b) => a.samplingPeriod - b.samplingPeriod || b.length - a.length);
  const covering = enabled.find((i) => i.length >= days * 86_400);
  if (covering) return { interval: covering, covers: true };
  const longest = [...enabled].sort((a, b) => b.length - a.length || a.samplingPeriod - b.samplingPeriod)[0];
  return longest ? { interval: longest, covers: false } : null;
}

// --- the query --------------------------------------------------------------------------------

export interface QueryEntity {
  ref: MoRef;
  object: UtilisationObject;
  /** A VM's vCPUs (cpu.ready's divisor); null for hosts. */
  vcpus: number | null;
  /** The newest value already stored for it: only what is newer is read (one interval of overlap). */
  since?: Date | null;
}

/** The counter ids to ask for an object kind: those of PERF_COUNTERS the server has. */
export function countersFor(object: UtilisationObject, ids: Map<string, number>): [CounterName, number][] {
  const out: [CounterName, number][] = [];
  for (const name of COUNTER_NAMES) {
    const id = ids.get(name);
    if (id !== undefined && (PERF_COUNTERS[name].objects as readonly string[]).includes(object)) out.push([name, id]);
  }
  return out;
}

/** QueryPerf's querySpec elements for a batch (PerfQuerySpec's element order as the WSDL has it). */
export function querySpecXml(
  entities: readonly QueryEntity[],
  counters: (object: UtilisationObject) => readonly [CounterName, number][],
  intervalSeconds: number,
  startTime: Date,
  maxSample: number,
): string {
  return entities
    .map((e) => {
      const metrics = counters(e.object)
        .map(([, id]) => `<metricId><counterId>${id}</counterId><instance></instance></metricId>`)
        .join("");
      // Read again from one interval before the newest stored value: a value vCenter completed late
      // is not missed; the one read twice is stored once.
      const since = e.since ? e.since.getTime() - intervalSeconds * 1000 : null;
      const start = since !== null && since > startTime.getTime() ? new Date(since) : startTime;
      // The window ends where the full one does (its start plus maxSample − 1 intervals).
      const end = startTime.getTime() + (maxSample - 1) * intervalSeconds * 1000;
      const samples = Math.min(maxSample, Math.ceil((end - start.getTime()) / (intervalSeconds * 1000)) + 1);
      return (
        `<querySpec>${moRefXml("entity", e.ref)}<startTime>${escapeXml(start.toISOString())}</startTime>` +
        `<maxSample>${Math.max(1, samples)}</maxSample>${metrics}<intervalId>${intervalSeconds}</intervalId><format>csv</format></querySpec>`
      );
    })
    .join("");
}

// --- the answer -------------------------------------------------------------------------------

/** One entity's answer: its samples' times (ms) and each counter's values in the same order. */
export interface EntityMetrics {
  entity: MoRef | null;
  /** Sample end times, in the server's order. */
  timestamps: number[];
  /** Seconds each sample covers (from the answer), in the same order. */
  intervals: number[];
  /** Values by counter id (aggregate instance only), one per sample; null for -1 or a gap. */
  series: Map<number, (number | null)[]>;
  /** What was wrong with parts of the answer, each a short phrase. */
  problems: string[];
}

/**
 * A CSV list of integers as vSphere sends them ("12,-1,30") → numbers, -1 (and an empty item) as
 * null; other negative numbers (a counter never goes below 0) null with a problem; an item that is
 * not a number makes the whole list unreadable (null returned).
 */
export function parseCsvValues(text: string): { values: (number | null)[]; negatives: number } | null {
  const trimmed = text.trim();
  if (trimmed === "") return { values: [], negatives: 0 };
  const values: (number | null)[] = [];
  let negatives = 0;
  for (const item of trimmed.split(",")) {
    const token = item.trim();
    if (token === "" || token === "-1") {
      values.push(null);
      continue;
    }
    if (!/^-?\d+(\.\d+)?$/.test(token)) return null;
    const value = Number(token);
    if (!Number.isFinite(value)) return null;
    if (value < 0) {
      negatives++;
      values.push(null);
    } else values.push(value);
  }
  return { values, negatives };
}

/** sampleInfoCSV ("300,2024-01-01T00:05:00Z,300,...") → intervals and times; null when malformed. */
export function parseSampleInfoCsv(text: string): { intervals: number[]; timestamps: number[] } | null {
  const trimmed = text.trim();
  if (trimmed === "") return { intervals: [], timestamps: [] };
  const items = trimmed.split(",");
  if (items.length % 2 !== 0) return null;
  const intervals: number[] = [];
  const timestamps: number[] = [];
  for (let i = 0; i < items.length; i += 2) {
    const interval = Number(items[i]!.trim());
    const time = Date.parse(items[i + 1]!.trim());
    if (!Number.isInteger(interval) || interval <= 0 || !Number.isFinite(time)) return null;
    intervals.push(interval);
    timestamps.push(time);
  }
  return { intervals, timestamps };
}

function isAggregate(id: XmlElement | undefined) {
  return (child(id, "instance")?.text.trim() ?? "") === "";
}

/** One returnval of QueryPerf: PerfEntityMetricCSV (asked for) or PerfEntityMetric (vcsim's). */
export function readEntityMetrics(e: XmlElement): EntityMetrics {
  const entityElement = child(e, "entity");
  const entity = entityElement?.type ? { type: entityElement.type, value: entityElement.text } : null;
  const out: EntityMetrics = { entity, timestamps: [], intervals: [], series: new Map(), problems: [] };
  const csv = child(e, "sampleInfoCSV");
  const isCsv = csv !== undefined || e.xsiType === "PerfEntityMetricCSV";
  if (isCsv) {
    const samples = parseSampleInfoCsv(csv?.text ?? "");
    if (!samples) {
      out.problems.push("unreadable sampleInfoCSV");
      return out;
    }
    out.timestamps = samples.timestamps;
    out.intervals = samples.intervals;
  } else {
    for (const info of e.children) {
      if (info.name !== "sampleInfo") continue;
      const time = Date.parse(child(info, "timestamp")?.text.trim() ?? "");
      const interval = int(child(info, "interval"));
      if (!Number.isFinite(time) || interval === null || interval <= 0) {
        out.problems.push("unreadable sampleInfo");
        out.timestamps = [];
        out.intervals = [];
        return out;
      }
      out.timestamps.push(time);
      out.intervals.push(interval);
    }
  }
  for (const series of e.children) {
    if (series.name !== "value") continue;
    const id = child(series, "id");
    const counterId = int(child(id, "counterId"));
    if (counterId === null || !isAggregate(id)) continue;
    // PerfMetricSeriesCSV: one <value> holding "v1,v2,..."; PerfMetricIntSeries: one <value> per sample.
    const items = series.children.filter((c) => c.name === "value");
    const parsed = isCsv
      ? items.length <= 1
        ? parseCsvValues(items[0]?.text ?? "")
        : null
      : items.length === 0
        ? { values: [], negatives: 0 }
        : parseCsvValues(items.map((v) => v.text.trim() || "x").join(","));
    if (!parsed) {
      out.problems.push(`counter ${counterId}: values that are not numbers`);
      continue;
    }
    if (parsed.negatives > 0) out.problems.push(`counter ${counterId}: ${parsed.negatives} negative values (other than -1) dropped`);
    if (parsed.values.length !== out.timestamps.length) {
      out.problems.push(`counter ${counterId}: ${parsed.values.length} values for ${out.timestamps.length} samples`);
      continue;
    }
    out.series.set(counterId, parsed.values);
  }
  return out;
}

/**
 * The values on a regular grid: sorted by time, the first sample's end as start, each value at
 * round((t − start) ÷ interval), gaps null; at most MAX_SERIES_VALUES (the newest kept). Samples
 * whose interval is not the expected one are left out.
 */
export function toGrid(
  timestamps: readonly number[],
  intervals: readonly number[],
  values: readonly (number | null)[],
  intervalSeconds: number,
): { start: number; values: (number | null)[] } | null {
  const points: [number, number | null][] = [];
  for (let i = 0; i < timestamps.length; i++) {
    if (intervals[i] !== intervalSeconds) continue;
    points.push([timestamps[i]!, values[i] ?? null]);
  }
  if (points.length === 0) return null;
  points.sort((a, b) => a[0] - b[0]);
  const step = intervalSeconds * 1000;
  const last = points[points.length - 1]![0];
  let start = points[0]![0];
  const span = Math.round((last - start) / step) + 1;
  if (span > MAX_SERIES_VALUES) start += (span - MAX_SERIES_VALUES) * step;
  const grid: (number | null)[] = new Array<number | null>(Math.min(span, MAX_SERIES_VALUES)).fill(null);
  for (const [time, value] of points) {
    const index = Math.round((time - start) / step);
    if (index < 0 || index >= grid.length) continue;
    if (grid[index] === null) grid[index] = value;
  }
  return { start, values: grid };
}

/** The largest value a series may hold (server/utilisation/series.ts). */
const MAX_VALUE = 1e12;

/**
 * An entity's answer → utilisation series, one per counter read, converted; a series whose values
 * are all null (vSphere had none) is left out.
 */
export function toSeries(
  metrics: EntityMetrics,
  entity: QueryEntity,
  counterNames: Map<number, CounterName>,
  intervalSeconds: number,
): UtilisationSeriesInput[] {
  const out: UtilisationSeriesInput[] = [];
  for (const [counterId, raw] of metrics.series) {
    const name = counterNames.get(counterId);
    if (!name) continue;
    const mapping: CounterMapping = PERF_COUNTERS[name];
    if (!(mapping.objects as readonly string[]).includes(entity.object)) continue;
    const grid = toGrid(metrics.timestamps, metrics.intervals, raw, intervalSeconds);
    if (!grid) continue;
    const context = { intervalSeconds, vcpus: entity.vcpus };
    const values = grid.values.map((v) => {
      if (v === null) return null;
      const converted = mapping.convert(v, context);
      return converted === null || !Number.isFinite(converted) || converted < 0 || converted > MAX_VALUE ? null : converted;
    });
    if (values.every((v) => v === null)) continue;
    out.push({
      object: entity.object,
      externalId: entity.ref.value,
      metric: mapping.metric,
      intervalSeconds,
      start: new Date(grid.start).toISOString(),
      values,
    });
  }
  return out;
}

// --- the collection ---------------------------------------------------------------------------

/**
 * vpxd.stats.maxQueryMetrics as the server says (OptionManager.QueryOptions), else its version's
 * default; Infinity for no limit, and for a standalone ESXi (no vpxd).
 */
export async function maxQueryMetrics(client: VsphereClient): Promise<number> {
  const { about, setting } = client.content;
  if (about.apiType === "HostAgent") return Number.POSITIVE_INFINITY;
  if (setting) {
    try {
      const response = await client.call("QueryOptions", setting, `<name>${MAX_QUERY_METRICS_SETTING}</name>`, { signal: client.signal });
      for (const option of response.children) {
        if (option.name !== "returnval" || child(option, "key")?.text.trim() !== MAX_QUERY_METRICS_SETTING) continue;
        const value = Number(child(option, "value")?.text.trim());
        if (Number.isInteger(value)) return value <= 0 ? Number.POSITIVE_INFINITY : value;
      }
    } catch (error) {
      // InvalidName: not set, the default applies.
      if (isNotAuthenticated(error) || client.signal.aborted) throw error;
    }
  }
  return defaultMaxQueryMetrics(about.version);
}

export interface PerformanceResult {
  series: UtilisationSeriesInput[];
  warnings: string[];
}

/**
 * Reads `days` of history for `entities` in the client's session. Throws only what should end the
 * whole reading (NotAuthenticated, so that the session is renewed and it is done again; the
 * collection's cancellation); a failed batch is a warning and the other batches are still read.
 */
export async function readPerformance(
  client: VsphereClient,
  entities: readonly QueryEntity[],
  days: number,
  now: Date,
  options: { batchSize?: number; maxMetrics?: number } = {},
): Promise<PerformanceResult> {
  const warnings: string[] = [];
  const manager = client.content.perfManager;
  if (!manager) return { series: [], warnings: ["measured use not read: the server has no PerformanceManager"] };
  if (entities.length === 0) return { series: [], warnings };
  const object = await client.retrieveObject(manager, ["perfCounter", "historicalInterval"], client.signal);
  const ids = readPerfCounters(object?.props.get("perfCounter"));
  const lacking = COUNTER_NAMES.filter((n) => !ids.has(n));
  if (lacking.length === COUNTER_NAMES.length) {
    return { series: [], warnings: ["measured use not read: the server lists none of the performance counters read"] };
  }
  if (lacking.length > 0) warnings.push(`performance counters the server does not offer, not read: ${lacking.join(", ")}`);

  let intervals = readIntervals(object?.props.get("historicalInterval"));
  if (intervals.length === 0) {
    warnings.push("the server lists no historical statistics intervals: vCenter's defaults assumed (300 s for a day, 1800 s a week, 7200 s a month, 86400 s a year)");
    intervals = [...VCENTER_DEFAULT_INTERVALS];
  }
  const chosen = chooseInterval(intervals, days);
  if (!chosen) return { series: [], warnings: [...warnings, "measured use not read: every historical statistics interval is disabled"] };
  const { interval, covers } = chosen;
  const seconds = interval.samplingPeriod;
  const period = covers ? days * 86_400 : interval.length;
  if (!covers) warnings.push(`no statistics interval keeps ${days} days: ${Math.round(interval.length / 86_400)} days read ("${interval.name}", ${seconds} s)`);
  const startTime = new Date(now.getTime() - period * 1000);
  const maxSample = Math.min(Math.ceil(period / seconds) + 1, MAX_SERIES_VALUES);

  const byObject = new Map<UtilisationObject, [CounterName, number][]>();
  const counters = (o: UtilisationObject) => {
    let list = byObject.get(o);
    if (!list) byObject.set(o, (list = countersFor(o, ids)));
    return list;
  };
  const counterNames = new Map<number, CounterName>();
  for (const name of COUNTER_NAMES) {
    const id = ids.get(name);
    if (id !== undefined) counterNames.set(id, name);
  }

  const series: UtilisationSeriesInput[] = [];
  const wanted = new Map(entities.map((e) => [`${e.ref.type}:${e.ref.value}`, e]));
  const problems = new Map<string, number>();
  const failures: string[] = [];
  const maxMetrics = options.maxMetrics ?? (await maxQueryMetrics(client));
  const queue = batches(entities, (e) => counters(e.object).length, maxMetrics, options.batchSize ?? SPECS_PER_QUERY);
  const calls = queue.length;

  const read = (response: XmlElement) => {
    for (const returnval of response.children) {
      if (returnval.name !== "returnval") continue;
      const metrics = readEntityMetrics(returnval);
      const entity = metrics.entity ? wanted.get(`${metrics.entity.type}:${metrics.entity.value}`) : undefined;
      if (!entity) continue;
      const asked = new Set(counters(entity.object).map(([, id]) => id));
      for (const p of metrics.problems) {
        const id = /^counter (\d+)/.exec(p)?.[1];
        if (id !== undefined && !asked.has(Number(id))) continue; // an answer about a counter not asked for
        const named = p.replace(/^counter (\d+)/, (_, id: string) => counterNames.get(Number(id)) ?? `counter ${id}`);
        problems.set(named, (problems.get(named) ?? 0) + 1);
      }
      series.push(...toSeries(metrics, entity, counterNames, seconds));
    }
  };
  /** One batch; refused for its size (a lower maxQueryMetrics than read), it is read again in halves. */
  const query = async (batch: QueryEntity[]): Promise<void> => {
    try {
      const response = await client.call("QueryPerf", manager, querySpecXml(batch, counters, seconds, startTime, maxSample), {
        signal: client.signal,
      });
      read(response);
    } catch (error) {
      if (isNotAuthenticated(error) || client.signal.aborted) throw error;
      if (isTooManyMetrics(error) && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        await query(batch.slice(0, half));
        await query(batch.slice(half));
        return;
      }
      failures.push((error as Error).message);
    }
  };
  // A few calls in flight; the first error that ends the reading stops the others.
  let next = 0;
  const worker = async () => {
    while (next < queue.length) await query(queue[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(QUERY_CONCURRENCY, queue.length) }, worker));
  const batchCount = calls;
  if (failures.length > 0) {
    warnings.push(`measured use not read: ${failures.length} of ${batchCount} QueryPerf calls failed (${failures[0]})`);
  }
  const shown = [...problems.entries()].slice(0, 5).map(([p, n]) => `${p} (${n} objects)`);
  if (shown.length > 0) warnings.push(`performance values dropped: ${shown.join("; ")}${problems.size > 5 ? "; ..." : ""}`);
  return { series, warnings };
}

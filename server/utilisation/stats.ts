/**
 * What the analyses read of measured use: per object and metric, figures over the period
 * (count, first and last time, mean, percentiles, peak, the latest value), and per VM its power
 * observations. Two doors compute the same figures: `statsFromSeries` here (the analyse CLI, from
 * snapshot files) and `loadUse` in ./query.ts (the dashboard, in SQL); tests hold them equal.
 *
 * The figures of a metric come from ONE interval: the one whose values cover the most time in the
 * period (ties: the finer), so that a percentile is of like values ("p95 of 30-minute averages over
 * 7 days, 336 values") and never mixes 20-second readings with 2-hour means. The latest value is
 * the newest of any interval (a collection's quick stats).
 */
import type { MetricName } from "./metrics";
import { pointTime, type UtilisationSeries } from "./series";

/** The percentiles computed (Azure Migrate offers the 50th, 90th, 95th and 99th for sizing). */
export const PERCENTILES = [50, 90, 95, 99] as const;
export type Percentile = (typeof PERCENTILES)[number];

export interface MetricStats {
  intervalSeconds: number;
  count: number;
  firstAt: string;
  lastAt: string;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  /** The highest value (a daily roll-up's peak counts). */
  max: number;
  /** The newest value of any interval, and when it was. */
  latest: number;
  latestAt: string;
}

/** A VM's power observations (metric power.on), over everything kept, not only the period. */
export interface PowerHistory {
  firstAt: string;
  lastAt: string;
  /** The newest observation with the VM on; null when it was never seen on. */
  lastOnAt: string | null;
  latestOn: boolean;
}

export interface ObjectUse {
  metrics: Partial<Record<MetricName, MetricStats>>;
  power: PowerHistory | null;
}

/** The figures of a percentile the parameters name (50, 90, 95 or 99; anything else: the 95th). */
export const percentileOf = (stats: MetricStats, percentile: number) =>
  percentile === 50 ? stats.p50 : percentile === 90 ? stats.p90 : percentile === 99 ? stats.p99 : stats.p95;

/** The object's entry of a map of figures, created empty when missing. */
export function entryIn(map: Map<string, ObjectUse>, key: string): ObjectUse {
  let found = map.get(key);
  if (!found) map.set(key, (found = { metrics: {}, power: null }));
  return found;
}

/** "virtualMachine:vm-12": how stats are keyed before they meet the inventory. */
export const objectUseKey = (object: string, externalId: string) => `${object}:${externalId}`;

/** PostgreSQL's percentile_cont: linear interpolation between the closest ranks of sorted values. */
export function percentileCont(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = fraction * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

interface Point {
  at: number;
  value: number;
  peak: number | null;
}

/** The figures of one interval's values (at least one). */
export function figures(points: Point[], intervalSeconds: number): Omit<MetricStats, "latest" | "latestAt"> {
  const values = points.map((p) => p.value).sort((a, b) => a - b);
  const times = points.map((p) => p.at);
  const sum = values.reduce((a, b) => a + b, 0);
  return {
    intervalSeconds,
    count: values.length,
    firstAt: new Date(Math.min(...times)).toISOString(),
    lastAt: new Date(Math.max(...times)).toISOString(),
    mean: sum / values.length,
    p50: percentileCont(values, 0.5),
    p90: percentileCont(values, 0.9),
    p95: percentileCont(values, 0.95),
    p99: percentileCont(values, 0.99),
    max: Math.max(...points.map((p) => p.peak ?? p.value)),
  };
}

/** Of several intervals' figures, the one covering most time (ties: the finer interval). */
export function bestInterval<T extends { intervalSeconds: number; count: number }>(groups: T[]): T | undefined {
  return [...groups].sort((a, b) => b.count * b.intervalSeconds - a.count * a.intervalSeconds || a.intervalSeconds - b.intervalSeconds)[0];
}

/**
 * The figures of snapshot series as of `asOf`, over the `periodDays` before it; power histories from
 * the power.on observations (ingest makes them from the VMs' power states: pass `observations`).
 */
export function statsFromSeries(
  series: readonly UtilisationSeries[],
  asOf: Date,
  periodDays: number,
): Map<string, ObjectUse> {
  const from = asOf.getTime() - periodDays * 86_400_000;
  const until = asOf.getTime();
  // object → metric → interval → points
  const grouped = new Map<string, Map<string, Map<number, Point[]>>>();
  const power = new Map<string, Point[]>();
  for (const s of series) {
    const key = objectUseKey(s.object, s.externalId);
    for (let i = 0; i < s.values.length; i++) {
      const value = s.values[i];
      if (value === null || value === undefined) continue;
      const at = pointTime(s, i);
      if (s.metric === "power.on") {
        if (at > until) continue;
        const list = power.get(key) ?? [];
        list.push({ at, value, peak: null });
        power.set(key, list);
        continue;
      }
      if (at <= from || at > until) continue;
      const metrics = grouped.get(key) ?? new Map<string, Map<number, Point[]>>();
      grouped.set(key, metrics);
      const intervals = metrics.get(s.metric) ?? new Map<number, Point[]>();
      metrics.set(s.metric, intervals);
      const points = intervals.get(s.intervalSeconds) ?? [];
      intervals.set(s.intervalSeconds, points);
      points.push({ at, value, peak: null });
    }
  }
  const out = new Map<string, ObjectUse>();
  const entryOf = (key: string) => entryIn(out, key);
  for (const [key, metrics] of grouped) {
    for (const [metric, intervals] of metrics) {
      // The same instant read twice (two snapshots overlapping) counts once, as in the table.
      const groups = [...intervals].map(([interval, points]) => ({ interval, points: dedupe(points) }));
      const newest = newestOf(groups.map((g) => ({ intervalSeconds: g.interval, point: g.points.reduce((a, b) => (b.at > a.at ? b : a)) })));
      const best = bestInterval(groups.map((g) => ({ ...figures(g.points, g.interval), count: g.points.length })));
      if (!best) continue;
      entryOf(key).metrics[metric as MetricName] = { ...best, latest: newest.point.value, latestAt: new Date(newest.point.at).toISOString() };
    }
  }
  for (const [key, points] of power) {
    const unique = dedupe(points).sort((a, b) => a.at - b.at);
    const on = unique.filter((p) => p.value > 0);
    const last = unique[unique.length - 1]!;
    entryOf(key).power = {
      firstAt: new Date(unique[0]!.at).toISOString(),
      lastAt: new Date(last.at).toISOString(),
      lastOnAt: on.length > 0 ? new Date(on[on.length - 1]!.at).toISOString() : null,
      latestOn: last.value > 0,
    };
  }
  return out;
}

/**
 * Of each interval's newest value, the newest; at the same instant the finer interval's (a quick stat
 * read at the collection is the latest reading, not the 30-minute mean ending then).
 */
export function newestOf<T extends { intervalSeconds: number; at?: number; point?: { at: number } }>(candidates: T[]): T {
  const time = (c: T) => c.point?.at ?? c.at ?? 0;
  return candidates.reduce((a, b) => (time(b) > time(a) || (time(b) === time(a) && b.intervalSeconds < a.intervalSeconds) ? b : a));
}

/** The first value stored for each instant (the table keeps the first: ON CONFLICT DO NOTHING). */
function dedupe(points: Point[]): Point[] {
  const seen = new Map<number, Point>();
  for (const p of points) if (!seen.has(p.at)) seen.set(p.at, p);
  return [...seen.values()];
}

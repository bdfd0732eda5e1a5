/**
 * The dashboard's door to measured use: the figures of ./stats.ts computed in SQL, near the data,
 * for the hosts, VMs and containers of some customers, keyed by their inventory row ids. Objects no
 * longer in the inventory keep their history in the table but are not read here.
 */
import type pg from "pg";
import type { MetricName } from "./metrics";
import { bestInterval, newestOf, entryIn, type MetricStats, type ObjectUse } from "./stats";

const OBJECT_TABLES = [
  ["host", "host"],
  ["virtualMachine", "virtual_machine"],
  ["container", "container"],
] as const;

interface StatsRow {
  key: string;
  metric: string;
  interval_s: number;
  count: string;
  first_at: Date;
  last_at: Date;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  latest: number;
  latest_at: Date;
}

interface PowerRow {
  key: string;
  first_at: Date;
  last_at: Date;
  last_on_at: Date | null;
  latest: number;
}

/** Measured use of the customers' objects, as of `asOf`, over the `periodDays` before it; by inventory key. */
export async function loadUse(
  client: Pick<pg.ClientBase, "query">,
  customerIds: string[],
  asOf: Date,
  periodDays: number,
): Promise<Map<string, ObjectUse>> {
  const from = new Date(asOf.getTime() - periodDays * 86_400_000);
  const joined = OBJECT_TABLES.map(
    ([kind, table]) =>
      `SELECT o.id AS key, s.metric, s.interval_s, u.at, u.value, u.peak
         FROM utilisation_series s JOIN "${table}" o ON o.source_id = s.source_id AND o.external_id = s.external_id
         JOIN utilisation_sample u ON u.series_id = s.id
        WHERE s.object_kind = '${kind}' AND s.source_id IN (SELECT id FROM source WHERE customer_id = ANY($1::uuid[]))`,
  ).join(" UNION ALL ");
  const stats = await client.query<StatsRow>(
    `SELECT key::text, metric, interval_s, count(*) AS count, min(at) AS first_at, max(at) AS last_at,
            avg(value) AS mean,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS p50,
            percentile_cont(0.9) WITHIN GROUP (ORDER BY value) AS p90,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY value) AS p95,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY value) AS p99,
            max(coalesce(peak, value)) AS max,
            (array_agg(value ORDER BY at DESC))[1] AS latest, max(at) AS latest_at
       FROM (${joined}) s
      WHERE metric <> 'power.on' AND at > $2 AND at <= $3
      GROUP BY key, metric, interval_s`,
    [customerIds, from, asOf],
  );
  const power = await client.query<PowerRow>(
    `SELECT key::text, min(at) AS first_at, max(at) AS last_at, max(at) FILTER (WHERE value > 0) AS last_on_at,
            (array_agg(value ORDER BY at DESC))[1] AS latest
       FROM (${joined}) s
      WHERE metric = 'power.on' AND at <= $2
      GROUP BY key`,
    [customerIds, asOf],
  );

  const out = new Map<string, ObjectUse>();
  const entryOf = (key: string) => entryIn(out, key);
  const byMetric = new Map<string, StatsRow[]>();
  for (const row of stats.rows) {
    const id = `${row.key}\u0000${row.metric}`;
    const list = byMetric.get(id);
    if (list) list.push(row);
    else byMetric.set(id, [row]);
  }
  for (const rows of byMetric.values()) {
    const newest = newestOf(rows.map((r) => ({ row: r, intervalSeconds: r.interval_s, at: r.latest_at.getTime() }))).row;
    const best = bestInterval(rows.map((r) => ({ ...r, intervalSeconds: r.interval_s, count: Number(r.count) })));
    if (!best) continue;
    const figures: MetricStats = {
      intervalSeconds: best.interval_s,
      count: best.count,
      firstAt: best.first_at.toISOString(),
      lastAt: best.last_at.toISOString(),
      mean: best.mean,
      p50: best.p50,
      p90: best.p90,
      p95: best.p95,
      p99: best.p99,
      max: best.max,
      latest: newest.latest,
      latestAt: newest.latest_at.toISOString(),
    };
    entryOf(best.key).metrics[best.metric as MetricName] = figures;
  }
  for (const row of power.rows) {
    entryOf(row.key).power = {
      firstAt: row.first_at.toISOString(),
      lastAt: row.last_at.toISOString(),
      lastOnAt: row.last_on_at?.toISOString() ?? null,
      latestOn: row.latest > 0,
    };
  }
  return out;
}

/**
 * One object's measured use over time, for its chart: per metric, the values of the interval that
 * covers most of the period (as the figures take them), oldest first. Scoped: the object must be a
 * host, VM or container of one of the customer's sources, or nothing is returned.
 */
import type pg from "pg";
import { METRICS, type MetricName, type UtilisationObject } from "./metrics";

const TABLES: Record<UtilisationObject, string> = { host: "host", virtualMachine: "virtual_machine", container: "container" };

export interface HistorySeries {
  metric: MetricName;
  unit: string;
  intervalSeconds: number;
  points: { at: string; value: number; peak: number | null }[];
}

export async function loadHistory(
  client: Pick<pg.ClientBase, "query">,
  customerId: string,
  objectKind: UtilisationObject,
  objectKey: string,
  from: Date,
): Promise<{ name: string; series: HistorySeries[] } | null> {
  const object = await client.query<{ name: string; source_id: string; external_id: string }>(
    `SELECT o.name, o.source_id, o.external_id FROM "${TABLES[objectKind]}" o JOIN source s ON s.id = o.source_id
      WHERE o.id = $1 AND s.customer_id = $2`,
    [objectKey, customerId],
  );
  const found = object.rows[0];
  if (!found) return null;
  const { rows } = await client.query<{ metric: string; interval_s: number; points: { at: string; value: number; peak: number | null }[] }>(
    `WITH per_interval AS (
       SELECT s.id, s.metric, s.interval_s, count(*) * s.interval_s AS covered
         FROM utilisation_series s JOIN utilisation_sample u ON u.series_id = s.id
        WHERE s.source_id = $1 AND s.object_kind = $2 AND s.external_id = $3 AND u.at > $4 AND s.metric <> 'power.on'
        GROUP BY s.id, s.metric, s.interval_s),
     best AS (
       SELECT DISTINCT ON (metric) id, metric, interval_s FROM per_interval ORDER BY metric, covered DESC, interval_s)
     SELECT b.metric, b.interval_s,
            json_agg(json_build_object('at', u.at, 'value', u.value, 'peak', u.peak) ORDER BY u.at) AS points
       FROM best b JOIN utilisation_sample u ON u.series_id = b.id AND u.at > $4
      GROUP BY b.metric, b.interval_s
      ORDER BY b.metric`,
    [found.source_id, objectKind, found.external_id, from],
  );
  return {
    name: found.name,
    series: rows
      .filter((r) => r.metric in METRICS)
      .map((r) => ({
        metric: r.metric as MetricName,
        unit: METRICS[r.metric as MetricName].unit,
        intervalSeconds: r.interval_s,
        points: r.points.map((p) => ({ at: new Date(p.at).toISOString(), value: p.value, peak: p.peak })),
      })),
  };
}

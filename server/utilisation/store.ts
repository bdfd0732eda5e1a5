/**
 * Measured use in Postgres (`utilisation_sample`): what ingest writes after a snapshot's inventory
 * has been committed, in its own transaction, so that a collection's samples never hold up or undo
 * its inventory; and the retention that keeps the table bounded.
 *
 * Retention: values as collected are kept UTILISATION_RAW_DAYS; whole days older than that are
 * rolled up to one value per object, metric and UTC day (the mean weighted by each value's interval,
 * and the peak of the values rolled up), and the rolled-up values deleted; daily values are kept
 * UTILISATION_DAILY_DAYS. A day already rolled up is not rolled again (values arriving later for it
 * are dropped), so a roll-up never mixes in figures it cannot weigh.
 */
import type pg from "pg";
import { copyRows, type CopyValue } from "../inventory/copy";
import type { Snapshot } from "../inventory/snapshot";
import { observedPower, pointTime } from "./series";

/** Days values are kept as collected (vSphere's 30-minute rollup covers a week, its 2-hour one a month). */
export const UTILISATION_RAW_DAYS = 35;
/** Days daily roll-ups are kept (a year and a month: a year-on-year comparison). */
export const UTILISATION_DAILY_DAYS = 400;
const DAY_SECONDS = 86_400;

const COLUMNS = ["source_id", "object_kind", "external_id", "metric", "interval_s", "at", "value"] as const;

/** The rows a snapshot's measured use becomes, plus one power.on observation per VM. */
export function* utilisationRows(sourceId: string, snapshot: Pick<Snapshot, "collectedAt" | "utilisation" | "virtualMachines">): Generator<CopyValue[]> {
  for (const series of [...snapshot.utilisation, ...observedPower(snapshot)]) {
    for (let i = 0; i < series.values.length; i++) {
      const value = series.values[i];
      if (value === null || value === undefined) continue;
      yield [sourceId, series.object, series.externalId, series.metric, series.intervalSeconds, new Date(pointTime(series, i)), value];
    }
  }
}

/**
 * Writes a snapshot's measured use for a source and applies the retention; returns how many values
 * were new. Runs in a transaction of its own on `client` (not one of the inventory's).
 */
export async function writeUtilisation(
  client: pg.PoolClient,
  sourceId: string,
  snapshot: Pick<Snapshot, "collectedAt" | "utilisation" | "virtualMachines">,
  now: Date = new Date(),
): Promise<number> {
  await client.query("BEGIN");
  try {
    await client.query(
      `CREATE TEMP TABLE utilisation_incoming (LIKE utilisation_sample INCLUDING DEFAULTS) ON COMMIT DROP`,
    );
    await copyRows(client, "utilisation_incoming", COLUMNS, utilisationRows(sourceId, snapshot));
    const cutoff = rawCutoff(now);
    // Values older than the raw window whose day is already rolled up are not written again.
    const inserted = await client.query(
      `INSERT INTO utilisation_sample (source_id, object_kind, external_id, metric, interval_s, at, value)
       SELECT i.source_id, i.object_kind, i.external_id, i.metric, i.interval_s, i.at, i.value
         FROM utilisation_incoming i
        WHERE i.at > $1 OR i.interval_s >= ${DAY_SECONDS}
           OR NOT EXISTS (SELECT 1 FROM utilisation_sample d
                           WHERE d.source_id = i.source_id AND d.object_kind = i.object_kind
                             AND d.external_id = i.external_id AND d.metric = i.metric
                             AND d.interval_s = ${DAY_SECONDS} AND d.at = ${dayEnd("i.at")})
       ON CONFLICT DO NOTHING`,
      [cutoff],
    );
    await applyRetention(client, sourceId, now);
    await client.query("COMMIT");
    return inserted.rowCount ?? 0;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/** The start of the oldest UTC day still kept as collected. */
export function rawCutoff(now: Date): Date {
  const day = Math.floor(now.getTime() / 1000 / DAY_SECONDS) - UTILISATION_RAW_DAYS;
  return new Date(day * DAY_SECONDS * 1000);
}

/** The end of the UTC day a value's interval ends in (a daily value is stamped at its day's end, like vSphere's). */
const dayEnd = (column: string) => `(date_trunc('day', ${column} - interval '1 second', 'UTC') + interval '1 day')`;

/** Rolls whole days older than the raw window up to daily values, and drops what is past keeping. */
export async function applyRetention(client: pg.PoolClient, sourceId: string, now: Date = new Date()) {
  const cutoff = rawCutoff(now);
  await client.query(
    `INSERT INTO utilisation_sample (source_id, object_kind, external_id, metric, interval_s, at, value, peak)
     SELECT source_id, object_kind, external_id, metric, ${DAY_SECONDS}, ${dayEnd("at")},
            sum(value * interval_s) / sum(interval_s), max(coalesce(peak, value))
       FROM utilisation_sample
      WHERE source_id = $1 AND interval_s < ${DAY_SECONDS} AND at <= $2
      GROUP BY source_id, object_kind, external_id, metric, ${dayEnd("at")}
     ON CONFLICT DO NOTHING`,
    [sourceId, cutoff],
  );
  await client.query(
    `DELETE FROM utilisation_sample WHERE source_id = $1 AND interval_s < ${DAY_SECONDS} AND at <= $2`,
    [sourceId, cutoff],
  );
  await client.query(
    `DELETE FROM utilisation_sample WHERE source_id = $1 AND interval_s >= ${DAY_SECONDS} AND at < $2`,
    [sourceId, new Date(now.getTime() - UTILISATION_DAILY_DAYS * DAY_SECONDS * 1000)],
  );
}

/**
 * Measured use in Postgres: a series per object, metric and interval (`utilisation_series`) and its
 * values (`utilisation_sample`, keyed by series and time: narrow rows, a narrow key). What ingest
 * writes in the inventory's transaction under a savepoint, so that a collection's samples never undo
 * its inventory and are seen with it; and the retention that keeps it bounded.
 *
 * Retention: values are kept as collected UTILISATION_RAW_DAYS; whole UTC days older than that are
 * rolled up into the series' daily twin (interval 86,400 s: the mean weighted by each value's
 * interval, and the peak of the values rolled up), and the rolled-up values deleted; daily values
 * are kept UTILISATION_DAILY_DAYS. A day already rolled up is not rolled again (values arriving later
 * for it are dropped), so a roll-up never mixes in figures it cannot weigh.
 */
import type pg from "pg";
import { copyRows, type CopyValue } from "../inventory/copy";
import type { Snapshot } from "../inventory/snapshot";
import { observedPower, pointTime, type UtilisationSeries } from "./series";

/** Days values are kept as collected (vSphere's 30-minute rollup covers a week, its 2-hour one a month). */
export const UTILISATION_RAW_DAYS = 35;
/** Days daily roll-ups are kept (a year and a month: a year-on-year comparison). */
export const UTILISATION_DAILY_DAYS = 400;
const DAY_SECONDS = 86_400;

type Measured = Pick<Snapshot, "collectedAt" | "utilisation" | "virtualMachines">;

/** Every series of a snapshot, its power.on observations included. */
export const seriesOf = (snapshot: Measured): UtilisationSeries[] => [...snapshot.utilisation, ...observedPower(snapshot)];

const seriesKey = (s: { object: string; externalId: string; metric: string; intervalSeconds: number }) =>
  `${s.object}\u0000${s.externalId}\u0000${s.metric}\u0000${s.intervalSeconds}`;

/** The sample rows of the series, given each series' id: (series_id, at, value), gaps left out. */
export function* sampleRows(series: readonly UtilisationSeries[], ids: ReadonlyMap<string, number>): Generator<CopyValue[]> {
  for (const s of series) {
    const id = ids.get(seriesKey(s))!;
    for (let i = 0; i < s.values.length; i++) {
      const value = s.values[i];
      if (value === null || value === undefined) continue;
      yield [id, new Date(pointTime(s, i)), value];
    }
  }
}

/**
 * Writes a snapshot's measured use for a source and applies the retention; returns how many values
 * were new. Runs inside the caller's transaction (ingest's) under a savepoint: a failure undoes the
 * samples alone, and they become visible with the inventory they belong to (an analysis never sees
 * the one without the other).
 */
export async function writeUtilisation(client: pg.PoolClient, sourceId: string, snapshot: Measured, now: Date = new Date()): Promise<number> {
  const series = seriesOf(snapshot);
  await client.query("SAVEPOINT utilisation");
  try {
    const ids = await seriesIds(client, sourceId, series);
    await client.query(`CREATE TEMP TABLE utilisation_incoming (series_id int, at timestamptz(0), value float8)`);
    await copyRows(client, "utilisation_incoming", ["series_id", "at", "value"], sampleRows(series, ids));
    const cutoff = rawCutoff(now);
    // Values older than the raw window whose day is already rolled up are not written again.
    const inserted = await client.query(
      `INSERT INTO utilisation_sample (series_id, at, value)
       SELECT i.series_id, i.at, i.value
         FROM utilisation_incoming i JOIN utilisation_series s ON s.id = i.series_id
        WHERE i.at > $1 OR s.interval_s >= ${DAY_SECONDS}
           OR NOT EXISTS (SELECT 1 FROM utilisation_series d JOIN utilisation_sample v ON v.series_id = d.id
                           WHERE d.source_id = s.source_id AND d.object_kind = s.object_kind AND d.external_id = s.external_id
                             AND d.metric = s.metric AND d.interval_s = ${DAY_SECONDS} AND v.at = ${dayEnd("i.at")})
       ON CONFLICT DO NOTHING`,
      [cutoff],
    );
    await applyRetention(client, sourceId, now);
    // Dropped here: the caller's transaction may go on for a while.
    await client.query("DROP TABLE utilisation_incoming");
    await client.query("RELEASE SAVEPOINT utilisation");
    return inserted.rowCount ?? 0;
  } catch (error) {
    await client.query("ROLLBACK TO SAVEPOINT utilisation").catch(() => undefined);
    throw error;
  }
}

/** The ids of a source's series, created where new. */
async function seriesIds(client: pg.PoolClient, sourceId: string, series: readonly UtilisationSeries[]): Promise<Map<string, number>> {
  const distinct = new Map<string, UtilisationSeries>();
  for (const s of series) distinct.set(seriesKey(s), s);
  const list = [...distinct.values()];
  const columns = [list.map((s) => s.object), list.map((s) => s.externalId), list.map((s) => s.metric), list.map((s) => s.intervalSeconds)];
  await client.query(
    `INSERT INTO utilisation_series (source_id, object_kind, external_id, metric, interval_s)
     SELECT $1, k.object_kind, k.external_id, k.metric, k.interval_s
       FROM unnest($2::text[], $3::text[], $4::text[], $5::int[]) AS k(object_kind, external_id, metric, interval_s)
     ON CONFLICT DO NOTHING`,
    [sourceId, ...columns],
  );
  const { rows } = await client.query<{ id: number; object_kind: string; external_id: string; metric: string; interval_s: number }>(
    `SELECT s.id, s.object_kind, s.external_id, s.metric, s.interval_s
       FROM utilisation_series s
       JOIN unnest($2::text[], $3::text[], $4::text[], $5::int[]) AS k(object_kind, external_id, metric, interval_s)
         ON s.object_kind = k.object_kind AND s.external_id = k.external_id AND s.metric = k.metric AND s.interval_s = k.interval_s
      WHERE s.source_id = $1`,
    [sourceId, ...columns],
  );
  return new Map(rows.map((r) => [seriesKey({ object: r.object_kind, externalId: r.external_id, metric: r.metric, intervalSeconds: r.interval_s }), r.id]));
}

/** The start of the oldest UTC day still kept as collected. */
export function rawCutoff(now: Date): Date {
  const day = Math.floor(now.getTime() / 1000 / DAY_SECONDS) - UTILISATION_RAW_DAYS;
  return new Date(day * DAY_SECONDS * 1000);
}

/** The end of the UTC day a value's interval ends in (a daily value is stamped at its day's end, like vSphere's). */
const dayEnd = (column: string) => `(date_trunc('day', ${column} - interval '1 second', 'UTC') + interval '1 day')`;

/** Rolls whole days older than the raw window up into daily series, and drops what is past keeping. */
export async function applyRetention(client: pg.PoolClient, sourceId: string, now: Date = new Date()) {
  const cutoff = rawCutoff(now);
  const old = `FROM utilisation_sample u JOIN utilisation_series s ON s.id = u.series_id
               WHERE s.source_id = $1 AND s.interval_s < ${DAY_SECONDS} AND u.at <= $2`;
  const { rows } = await client.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 ${old}) AS any`, [sourceId, cutoff]);
  if (rows[0]?.any) {
    await client.query(
      `INSERT INTO utilisation_series (source_id, object_kind, external_id, metric, interval_s)
       SELECT DISTINCT s.source_id, s.object_kind, s.external_id, s.metric, ${DAY_SECONDS} ${old}
       ON CONFLICT DO NOTHING`,
      [sourceId, cutoff],
    );
    await client.query(
      `INSERT INTO utilisation_sample (series_id, at, value, peak)
       SELECT d.id, ${dayEnd("u.at")}, sum(u.value * s.interval_s) / sum(s.interval_s), max(coalesce(u.peak, u.value))
         FROM utilisation_sample u JOIN utilisation_series s ON s.id = u.series_id
         JOIN utilisation_series d ON d.source_id = s.source_id AND d.object_kind = s.object_kind AND d.external_id = s.external_id
                                  AND d.metric = s.metric AND d.interval_s = ${DAY_SECONDS}
        WHERE s.source_id = $1 AND s.interval_s < ${DAY_SECONDS} AND u.at <= $2
        GROUP BY d.id, ${dayEnd("u.at")}
       ON CONFLICT DO NOTHING`,
      [sourceId, cutoff],
    );
    await client.query(
      `DELETE FROM utilisation_sample u USING utilisation_series s
        WHERE u.series_id = s.id AND s.source_id = $1 AND s.interval_s < ${DAY_SECONDS} AND u.at <= $2`,
      [sourceId, cutoff],
    );
  }
  await client.query(
    `DELETE FROM utilisation_sample u USING utilisation_series s
      WHERE u.series_id = s.id AND s.source_id = $1 AND s.interval_s >= ${DAY_SECONDS} AND u.at < $2`,
    [sourceId, new Date(now.getTime() - UTILISATION_DAILY_DAYS * DAY_SECONDS * 1000)],
  );
}

/** Every stored value with its series' identity, as one relation (for reads and tests): `FROM ${SAMPLES}`. */
export const SAMPLES = `(SELECT s.source_id, s.object_kind, s.external_id, s.metric, s.interval_s, u.at, u.value, u.peak
                           FROM utilisation_sample u JOIN utilisation_series s ON s.id = u.series_id) AS sample`;

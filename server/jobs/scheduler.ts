/**
 * Collects every enabled source when its interval has passed since its last run. One tick a
 * minute; a source with a run still going is left alone.
 */
import type { Database } from "../db/client";
import { collectSource } from "./collect";

export async function dueSources(database: Database): Promise<string[]> {
  const { rows } = await database.pool.query<{ id: string }>(
    `SELECT s.id FROM source s
       LEFT JOIN LATERAL (SELECT r.started_at, r.status FROM collection_run r WHERE r.source_id = s.id
                           ORDER BY r.started_at DESC LIMIT 1) last ON true
      WHERE s.enabled AND s.kind <> 'demo'
        AND (last.started_at IS NULL
             OR (last.status <> 'running' AND last.started_at < now() - make_interval(secs => s.interval_seconds))
             -- a run "running" for over an hour died with its process
             OR (last.status = 'running' AND last.started_at < now() - interval '1 hour'))`,
  );
  return rows.map((r) => r.id);
}

export function startScheduler(database: Database, log: (line: string) => void, everyMs = 60_000) {
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      for (const id of await dueSources(database)) {
        await collectSource(id, { database, trigger: "schedule" }).catch((error: Error) =>
          log(`scheduled collection of source ${id} failed: ${error.message}`),
        );
      }
    } catch (error) {
      log(`scheduler: ${(error as Error).message}`);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

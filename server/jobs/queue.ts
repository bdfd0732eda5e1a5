/**
 * Collection runs as the queue's record: "Collect now", the schedule, uploads and pushes add a run
 * in state `queued` with a pg-boss job for it (boss.ts); a worker (worker.ts) takes it (`running`)
 * and collects it in a process of its own.
 *
 * A run that is `running` is held by a lease: a session-level advisory lock on the run's id, kept
 * by the process that runs it for as long as it runs. When that process dies (killed, out of
 * memory, the machine restarted), PostgreSQL drops its connection and with it the lock, so any
 * worker can tell an interrupted run from a live one at once, and fail it: no run stays `running`
 * forever, and no time-out guesses.
 */
import type pg from "pg";
import type { Database } from "../db/client";
import { markRunFailed } from "../inventory/ingest";
import { cancelCollectJobs, sendCollectJob } from "./boss";

/** Advisory lock namespace ("FR": Fleetlens run) for run leases; the key is hashtext(run id). */
export const RUN_LEASE_CLASS = 0x4652;
/** Channel on which a cancelled run's id is told to the worker running it, which kills its process. */
export const CANCEL_CHANNEL = "fleetlens_cancel";

export const INTERRUPTED =
  "interrupted: the process collecting this source stopped before it finished (Fleetlens was stopped or restarted, " +
  "or the collection was killed); the previous inventory is kept";

type Queryable = Pick<pg.ClientBase, "query">;

/**
 * Queues a collection of a source and returns its run id; when the source already has a run
 * queued or running, returns that one instead (never two runs of one source at once).
 */
export async function enqueueCollection(database: Database, sourceId: string, trigger: string): Promise<string> {
  const client = await database.pool.connect();
  try {
    await client.query("BEGIN");
    // Serialises two "Collect now" clicks on one source.
    const source = await client.query(`SELECT id FROM source WHERE id = $1 FOR UPDATE`, [sourceId]);
    if (source.rowCount === 0) throw new Error(`source ${sourceId} does not exist`);
    const pending = await client.query<{ id: string }>(
      `SELECT id FROM collection_run WHERE source_id = $1 AND status IN ('queued', 'running')
        ORDER BY started_at DESC LIMIT 1`,
      [sourceId],
    );
    const runId = pending.rows[0]?.id ?? (await insertQueuedRun(client, sourceId, trigger));
    await client.query("COMMIT");
    return runId;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** A file the run reads (jobs/uploads.ts): its name in the source's upload folder, as uploaded, its size. */
export interface RunUpload {
  id: string;
  file: string;
  name: string;
  bytes: number;
}

/**
 * Adds a queued run and its job (in the caller's transaction when it has one). An upload's run has
 * the id its file is named by.
 */
export async function insertQueuedRun(q: Queryable, sourceId: string, trigger: string, upload?: RunUpload): Promise<string> {
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO collection_run (id, source_id, trigger, status, upload_file, upload_name, upload_bytes)
     VALUES (coalesce($1::uuid, gen_random_uuid()), $2, $3, 'queued', $4, $5, $6) RETURNING id`,
    [upload?.id ?? null, sourceId, trigger, upload?.file ?? null, upload?.name ?? null, upload?.bytes ?? null],
  );
  const runId = rows[0]!.id;
  await sendCollectJob(q, { runId, sourceId });
  return runId;
}

/**
 * Cancels a queued or running run: it ends failed with "cancelled by <who>" (the previous
 * inventory kept), its waiting job is cancelled, and the worker running it kills its process.
 * Says whether there was anything to cancel (false for a run already over or unknown).
 */
export async function cancelRun(database: Database, runId: string, by: string): Promise<boolean> {
  const client = await database.pool.connect();
  try {
    await client.query("BEGIN");
    const { rowCount } = await client.query(
      `UPDATE collection_run
          SET status = 'failed', finished_at = now(), error = $2,
              duration_ms = (extract(epoch FROM now() - started_at) * 1000)::int
        WHERE id = $1 AND status IN ('queued', 'running')`,
      [runId, `cancelled by ${by}`],
    );
    if (rowCount) {
      await cancelCollectJobs(client, runId);
      await client.query(`SELECT pg_notify($1, $2)`, [CANCEL_CHANNEL, runId]);
    }
    await client.query("COMMIT");
    return Boolean(rowCount);
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export async function takeLease(lessee: Queryable, runId: string): Promise<void> {
  await lessee.query(`SELECT pg_advisory_lock($1, hashtext($2))`, [RUN_LEASE_CLASS, runId]);
}

export async function releaseLease(lessee: Queryable, runId: string): Promise<void> {
  await lessee.query(`SELECT pg_advisory_unlock($1, hashtext($2))`, [RUN_LEASE_CLASS, runId]);
}

/**
 * Fails every `running` run whose lease nobody holds: its process is gone. Runs on `lessee` (whose
 * own leases are re-entrant, so its own runs must be skipped with `own`). Returns the failed ids.
 */
export async function failInterruptedRuns(
  lessee: Queryable,
  own: ReadonlySet<string> = new Set(),
  message = INTERRUPTED,
): Promise<string[]> {
  const { rows } = await lessee.query<{ id: string }>(`SELECT id FROM collection_run WHERE status = 'running'`);
  const failed: string[] = [];
  for (const { id } of rows) {
    if (own.has(id)) continue;
    const { rows: got } = await lessee.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked`,
      [RUN_LEASE_CLASS, id],
    );
    if (!got[0]?.locked) continue;
    try {
      if (await markRunFailed(lessee, id, message, { onlyIfRunning: true })) failed.push(id);
    } finally {
      await releaseLease(lessee, id);
    }
  }
  return failed;
}

/**
 * Enabled sources whose interval has passed since their last run, with none pending; not the demo,
 * nor kinds collected from uploads (`exceptKinds`: a new file comes with each upload), nor sources
 * whose last run was pushed by a remote collector (it collects on its own schedule: jobs/pushes.ts).
 */
export async function dueSources(database: Database, exceptKinds: readonly string[] = []): Promise<string[]> {
  const { rows } = await database.pool.query<{ id: string }>(
    `SELECT s.id FROM source s
       LEFT JOIN LATERAL (SELECT r.started_at, r.status, r.trigger FROM collection_run r WHERE r.source_id = s.id
                           ORDER BY r.started_at DESC LIMIT 1) last ON true
      WHERE s.enabled AND s.kind <> 'demo' AND NOT (s.kind::text = ANY($1::text[]))
        AND last.trigger IS DISTINCT FROM 'push'
        AND (last.started_at IS NULL
             OR (last.status NOT IN ('queued', 'running')
                 AND last.started_at < now() - make_interval(secs => s.interval_seconds)))`,
    [exceptKinds],
  );
  return rows.map((r) => r.id);
}

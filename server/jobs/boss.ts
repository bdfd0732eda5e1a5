/**
 * The collection queue on pg-boss (FLEETLENS_QUEUE=pg-boss), in the same PostgreSQL under the schema
 * `pgboss`. collection_run stays the record people see; a pg-boss job `collect` carries a run to a
 * worker, wherever that worker runs (`npm start`'s own, or `npm run worker` on any machine with
 * DATABASE_URL and FLEETLENS_SECRET_KEY).
 *
 * - One job per queued run; the queue's policy is `stately` keyed by the source: at most one job of
 *   a source waiting and one running, so two workers never collect one source at once (and
 *   enqueueCollection already returns the run a source has queued or running).
 * - A run that fails for a passing reason (the endpoint unreachable or timing out, an HTTP 5xx, the
 *   database connection lost, the worker or its process killed) is retried with backoff as a new
 *   run (trigger "retry"); a wrong password, a refused certificate or invalid options are not
 *   (retryable() below reads the run's error, which is all that crosses the process boundary).
 * - The time limit is the collection's own (COLLECTION_TIMEOUT_MS): the worker kills the process;
 *   the job's expiry is a little longer, for a worker that hangs itself.
 * - A run whose worker died is failed at once by any other worker (the advisory-lock lease of
 *   queue.ts: pg-boss's expiry alone would wait for the time limit), and its job failed too, so
 *   that pg-boss retries it.
 *
 * pg-boss 10.4 is used because it is the newest line whose engines allow Node 20 (11 and later
 * declare node >= 22); its API (send, work, createQueue with policies, fail, cancel) is the same.
 */
import PgBoss from "pg-boss";
import type pg from "pg";
import { setting } from "../config";

export const BOSS_SCHEMA = "pgboss";
export const COLLECT_QUEUE = "collect";
export const ANALYSE_QUEUE = "analyse-customer";
/** Retries of a run that failed for a passing reason, after 30 s, 60 s, 120 s (backoff). */
export const COLLECT_RETRIES = 3;
export const COLLECT_RETRY_DELAY_S = 30;

export interface CollectJob {
  runId: string;
  sourceId: string;
}

export interface AnalyseJob {
  customerId: string;
}

type Queryable = Pick<pg.ClientBase, "query">;

export function queueMode(): "pg-boss" | "table" {
  return setting("FLEETLENS_QUEUE");
}

/** pg-boss's view of a connection (or a transaction's client): its statements run there. */
export function bossDb(q: Queryable): PgBoss.Db {
  return {
    executeSql: async (text: string, values: unknown[]) => {
      const result = values && values.length > 0 ? await q.query(text, values) : await q.query(text);
      return { rows: result.rows };
    },
  };
}

/** A pg-boss that only sends, on the caller's connection; it never starts, so it opens nothing. */
const sender = new PgBoss({
  schema: BOSS_SCHEMA,
  db: { executeSql: () => Promise.reject(new Error("send on the caller's connection")) },
});

/** Queues the job of a queued run, on `q` (inside the caller's transaction when it is one). */
export async function sendCollectJob(q: Queryable, job: CollectJob, options: { startAfterSeconds?: number } = {}) {
  return sender.send(COLLECT_QUEUE, { ...job }, {
    singletonKey: job.sourceId,
    db: bossDb(q),
    ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
  });
}

/** Cancels the jobs of a run that have not started (waiting or waiting to retry), on `q`. */
export async function cancelCollectJobs(q: Queryable, runId: string): Promise<number> {
  const { rows } = await q.query<{ id: string }>(
    `SELECT id FROM ${BOSS_SCHEMA}.job WHERE name = $1 AND data->>'runId' = $2 AND state < 'active'`,
    [COLLECT_QUEUE, runId],
  );
  if (rows.length > 0) await sender.cancel(COLLECT_QUEUE, rows.map((r) => r.id), { db: bossDb(q) });
  return rows.length;
}

/** Queues the analysis of a customer (at most one waiting per customer). */
export async function sendAnalyseJob(q: Queryable, job: AnalyseJob) {
  return sender.send(ANALYSE_QUEUE, { ...job }, { singletonKey: job.customerId, db: bossDb(q) });
}

/** The seconds a collection job may stay active before pg-boss gives up on its worker. */
export function collectExpirySeconds(timeoutMs: number): number {
  return Math.ceil(timeoutMs / 1000) + 120;
}

/**
 * Creates (or updates) the schema `pgboss` and the queues: run by every worker at start and by
 * `npm start` before the dashboard, so that "Collect now" can send before any worker ran.
 */
export async function prepareQueues(
  url: string,
  timeoutMs: number,
  retry: { limit?: number; delaySeconds?: number } = {},
): Promise<void> {
  const boss = new PgBoss({ connectionString: url, schema: BOSS_SCHEMA, max: 1, supervise: false, schedule: false });
  boss.on("error", () => undefined);
  await boss.start();
  try {
    await ensureQueues(boss, timeoutMs, retry);
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
}

export async function ensureQueues(
  boss: PgBoss,
  timeoutMs: number,
  retry: { limit?: number; delaySeconds?: number } = {},
): Promise<void> {
  const collect: Omit<PgBoss.Queue, "name"> = {
    policy: "stately",
    retryLimit: retry.limit ?? COLLECT_RETRIES,
    retryDelay: retry.delaySeconds ?? COLLECT_RETRY_DELAY_S,
    retryBackoff: true,
    expireInSeconds: collectExpirySeconds(timeoutMs),
  };
  const analyse: Omit<PgBoss.Queue, "name"> = { policy: "stately", retryLimit: 1, retryDelay: 60, expireInSeconds: 15 * 60 };
  for (const [name, options] of [
    [COLLECT_QUEUE, collect],
    [ANALYSE_QUEUE, analyse],
  ] as const) {
    // An install's queues keep their settings; a caller that names its retries sets them (tests).
    if (await boss.getQueue(name)) {
      if (name === COLLECT_QUEUE && (retry.limit !== undefined || retry.delaySeconds !== undefined)) {
        await boss.updateQueue(name, { name, ...options });
      }
    } else {
      try {
        await boss.createQueue(name, { name, ...options });
      } catch (error) {
        // Two workers starting at once: the other created it.
        if (!(await boss.getQueue(name))) throw error;
      }
    }
  }
}

const PERMANENT =
  /password|InvalidLogin|NotAuthenticated|permission denied|certificate|fingerprint|not trusted|TLS|invalid .*option|options? .*invalid|not a \w+ endpoint|needs a|ran out of memory|disabled|cancelled by|does not exist|not valid|refused the TLS/i;
const TRANSIENT =
  /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|EAI_AGAIN|EPIPE|timed out|time ?out|time limit|unreachable|did not answer|no answer|cannot connect|closed the connection|connection (?:was )?(?:refused|reset|closed|terminated|lost)|socket hang up|HTTP 5\d\d|\b5\d\d (?:Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)|terminating connection|Connection terminated|was killed|interrupted/i;

/**
 * Whether a failed run's error is worth another try: the endpoint or the database was unreachable
 * or slow, or the process died. A wrong password, a refused certificate, invalid options or a
 * cancellation never are (permanent wording wins when both appear).
 */
export function retryable(error: string | null | undefined): boolean {
  if (!error) return false;
  if (PERMANENT.test(error)) return false;
  return TRANSIENT.test(error);
}

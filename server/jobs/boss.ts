/**
 * The collection queue: pg-boss, in the same PostgreSQL under the schema `pgboss`. collection_run
 * stays the record people see; a pg-boss job `collection` carries a source's queued run to a
 * worker, wherever that worker runs (`npm start`'s own, or `npm run worker` on any machine with
 * DATABASE_URL and FLEETLENS_SECRET_KEY).
 *
 * - One job per queued run (sent in the transaction that queues the run). A job runs the oldest
 *   queued run of its source, so runs of one source go in the order they were queued; a job that
 *   finds its source's runs taken (by another job) or one running has nothing to do: the worker of
 *   the running one sends a job for what is still queued when it finishes, and every worker's sweep
 *   sends one for a queued run that has none (a run queued before an upgrade, a lost send).
 * - Never two runs of one source at once: a worker takes a run under the source's row lock, and
 *   not while another run of it is running. Not pg-boss's `stately` policy: a stately job that
 *   would become a second active one of its key blocks every job behind it until the first ends
 *   (pg-boss issue #535, the maintainer's comment there), so two uploads to one source would have
 *   stalled every other source's collection for the first one's duration.
 * - A run that fails for a passing reason (the endpoint unreachable or timing out, an HTTP 5xx, the
 *   database connection lost, the worker or its process killed) is retried with backoff as a new
 *   run (trigger "retry"), unless the source was collected again meanwhile; a wrong password, a
 *   refused certificate or invalid options are not (retryable() below reads the run's error, which
 *   is all that crosses the process boundary).
 * - The time limit is the collection's own (COLLECTION_TIMEOUT_MS): the worker kills the process;
 *   the job's expiry is a little longer, for a worker that hangs itself.
 * - A run whose worker died is failed at once by any other worker (the advisory-lock lease of
 *   queue.ts: pg-boss's expiry alone would wait for the time limit), and its job failed too, so
 *   that pg-boss retries it.
 * - `analyse-customer`: a customer's analysis after its ingest, at most one waiting per customer
 *   (pg-boss's `short` policy: a second send while one waits is the same job). Never two of one
 *   customer at once, by an advisory lock the job takes without waiting (worker.ts): a job that
 *   finds its customer's analysis running elsewhere comes back a little later instead of holding
 *   its worker. Until this version the queue was `stately`, whose job for a customer already
 *   being analysed blocked every other customer's behind it (#535 as above); ensureQueues moves an
 *   install's queue to `short`.
 *
 * pg-boss 10.4 is used because it is the newest line whose engines allow Node 20 (11 and later
 * declare node >= 22); its API (send, work, createQueue with policies, fail, cancel) is the same.
 */
import PgBoss from "pg-boss";
import type pg from "pg";

export const BOSS_SCHEMA = "pgboss";
export const COLLECT_QUEUE = "collection";
/** The queue of earlier versions (stately, one job per run): deleted at start, its runs re-sent. */
const LEGACY_COLLECT_QUEUE = "collect";
export const ANALYSE_QUEUE = "analyse-customer";
/** Retries of a run that failed for a passing reason, after 30 s, 60 s, 120 s (backoff). */
export const COLLECT_RETRIES = 3;
export const COLLECT_RETRY_DELAY_S = 30;

export interface CollectJob {
  sourceId: string;
  /** The run queued with the job (the job runs the oldest queued run of its source). */
  runId?: string;
}

export interface AnalyseJob {
  customerId: string;
}

type Queryable = Pick<pg.ClientBase, "query">;

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

/** Queues a job for a source's queued run, on `q` (inside the caller's transaction when it is one). */
export async function sendCollectJob(q: Queryable, job: CollectJob, options: { startAfterSeconds?: number } = {}) {
  return sender.send(COLLECT_QUEUE, { ...job }, {
    // A tag here (the queue's policy is standard): the sweep finds a source's jobs by it.
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

/** Queues the analysis of a customer (at most one waiting per customer: null when one waits already). */
export async function sendAnalyseJob(q: Queryable, job: AnalyseJob, options: { startAfterSeconds?: number } = {}) {
  return sender.send(ANALYSE_QUEUE, { ...job }, {
    singletonKey: job.customerId,
    db: bossDb(q),
    ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
  });
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
    policy: "standard",
    retryLimit: retry.limit ?? COLLECT_RETRIES,
    retryDelay: retry.delaySeconds ?? COLLECT_RETRY_DELAY_S,
    retryBackoff: true,
    expireInSeconds: collectExpirySeconds(timeoutMs),
  };
  const analyse: Omit<PgBoss.Queue, "name"> = { policy: "short", retryLimit: 1, retryDelay: 60, expireInSeconds: 15 * 60 };
  if (await boss.getQueue(LEGACY_COLLECT_QUEUE)) await boss.deleteQueue(LEGACY_COLLECT_QUEUE).catch(() => undefined);
  for (const [name, options] of [
    [COLLECT_QUEUE, collect],
    [ANALYSE_QUEUE, analyse],
  ] as const) {
    // An install's queues keep their settings, but for a policy this version changed (the analysis
    // queue was `stately`; jobs already waiting keep theirs); a caller that names its retries sets
    // them (tests).
    const existing = await boss.getQueue(name);
    if (existing) {
      if (existing.policy !== options.policy || (name === COLLECT_QUEUE && (retry.limit !== undefined || retry.delaySeconds !== undefined))) {
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

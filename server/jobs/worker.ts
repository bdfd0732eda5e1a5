/**
 * The collection worker, on pg-boss (boss.ts): takes `collection` jobs, runs each run in a process
 * of its own (child.ts, with its own heap limit, killed at the time limit), so a collection that
 * runs out of memory, hangs or crashes costs that run alone: the run fails saying what happened,
 * and neither the dashboard nor the other collections notice. It retries what failed for a passing
 * reason, fails the runs of dead workers at once (leases, see queue.ts), kills a run's process when
 * it is cancelled, and queues due sources at their interval. `analyse-customer` jobs (queued after
 * each successful run, one waiting per customer, never two of one customer at once: whileAnalysing)
 * are taken here too (ANALYSE_HOOK below).
 *
 * Started by `npm start` (one, in-process, unless FLEETLENS_WORKERS=0) and by `npm run worker`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import PgBoss from "pg-boss";
import pg from "pg";
import { customerAnalysis } from "../analysis/stored";
import { UPLOAD_KINDS } from "../collectors";
import { setting, type Env } from "../config";
import type { Database } from "../db/client";
import { markRunFailed } from "../inventory/ingest";
import {
  ANALYSE_QUEUE,
  BOSS_SCHEMA,
  COLLECT_QUEUE,
  ensureQueues,
  retryable,
  sendAnalyseJob,
  sendCollectJob,
  type AnalyseJob,
  type CollectJob,
} from "./boss";
import { COLLECTION_TIMEOUT_MS } from "./collect";
import { CANCEL_CHANNEL, dueSources, enqueueCollection, failInterruptedRuns, releaseLease, RUN_LEASE_CLASS } from "./queue";

const CHILD_ENTRY = path.join(import.meta.dirname, "child.ts");

export interface WorkerOptions {
  /** The database's URL, for the lease connection and the collection processes. */
  url: string;
  log?: (line: string) => void;
  /** Collections at once (FLEETLENS_COLLECT_CONCURRENCY, default 2). */
  concurrency?: number;
  /** Heap limit of each collection process in MiB (FLEETLENS_COLLECT_MEMORY_MB, default 2048). */
  memoryMb?: number;
  /** How often interrupted runs (and queued runs without a job) are swept. */
  pollMs?: number;
  /** How often due sources are queued; 0 turns the schedule off. */
  scheduleMs?: number;
  /** A collection process still running this long after it started is killed (default timeoutMs). */
  killAfterMs?: number;
  /** Extra environment for the collection processes. */
  env?: NodeJS.ProcessEnv;
  /** The collection's time limit: its process is killed then (COLLECTION_TIMEOUT_MS). */
  timeoutMs?: number;
  /** pg-boss's polling interval in seconds (at least 0.5). */
  pollingSeconds?: number;
  /** Retries of a run failed for a passing reason, and the first delay (doubled each time). */
  retry?: { limit?: number; delaySeconds?: number };
  /** An analysis job whose customer is being analysed elsewhere comes back after this many seconds (default 15). */
  analyseRetrySeconds?: number;
}

export interface Worker {
  /** Stops claiming, ends running collections (their runs fail as interrupted) and closes. */
  stop(): Promise<void>;
  /** Looks for jobs and sweeps now (tests; the worker also does it every pollingSeconds and pollMs). */
  poke(): Promise<void>;
}

export function workerSettings(env: Env = process.env) {
  return {
    concurrency: setting("FLEETLENS_COLLECT_CONCURRENCY", env),
    memoryMb: setting("FLEETLENS_COLLECT_MEMORY_MB", env),
  };
}

/** Why a collection process ended without recording its run, in words for the run's error. */
export function describeChildExit(
  code: number | null,
  signal: NodeJS.Signals | null,
  stderr: string,
  limits: { memoryMb: number; timedOut: boolean },
): string {
  if (/heap out of memory|Reached heap limit|Allocation failed/i.test(stderr)) {
    return `the collection ran out of memory (limit ${limits.memoryMb} MiB per collection, FLEETLENS_COLLECT_MEMORY_MB); the previous inventory is kept`;
  }
  if (limits.timedOut) return "the collection did not finish within its time limit and was stopped; the previous inventory is kept";
  if (signal) return `the collection process was killed (${signal}); the previous inventory is kept`;
  const last = stderr.trim().split("\n").filter(Boolean).at(-1);
  return `the collection process exited with code ${code}${last ? `: ${last.slice(0, 500)}` : ""}; the previous inventory is kept`;
}

/**
 * The stored analysis after an ingest (server/analysis/stored.ts): the collection process already
 * stores it; this job computes it only when no matching one is stored (that process failed at it),
 * so the first page view never waits.
 */
async function ANALYSE_HOOK(database: Database, customerId: string): Promise<void> {
  await customerAnalysis(database, customerId);
}

/** Advisory lock namespace ("FA": Fleetlens analysis) held while a customer's analysis job runs; the key is hashtext(customer id). */
export const ANALYSIS_LOCK_CLASS = 0x4641;

/**
 * Runs `analyse` for the customer unless its analysis job runs elsewhere (another worker holds the
 * lock): then nothing is run and false is answered, at once, so that the caller's worker can go on.
 */
export async function whileAnalysing(database: Database, customerId: string, analyse: () => Promise<void>): Promise<boolean> {
  const client = await database.pool.connect();
  let locked = false;
  try {
    locked = (await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked`, [ANALYSIS_LOCK_CLASS, customerId])).rows[0]!.locked;
    if (!locked) return false;
    await analyse();
    return true;
  } finally {
    if (locked) await client.query(`SELECT pg_advisory_unlock($1, hashtext($2))`, [ANALYSIS_LOCK_CLASS, customerId]).catch(() => undefined);
    client.release();
  }
}

export async function startWorker(database: Database, options: WorkerOptions): Promise<Worker> {
  const log = options.log ?? (() => {});
  const settings = workerSettings();
  const concurrency = options.concurrency ?? settings.concurrency;
  const memoryMb = options.memoryMb ?? settings.memoryMb;
  const timeoutMs = options.timeoutMs ?? COLLECTION_TIMEOUT_MS;
  const killAfterMs = options.killAfterMs ?? timeoutMs;
  const pollMs = options.pollMs ?? 5_000;
  const scheduleMs = options.scheduleMs ?? 60_000;

  const boss = new PgBoss({
    connectionString: options.url,
    schema: BOSS_SCHEMA,
    max: concurrency + 2,
    schedule: false,
    application_name: "fleetlens-worker",
  });
  boss.on("error", (error) => log(`worker (pg-boss): ${error.message}`));
  await boss.start();
  await ensureQueues(boss, timeoutMs, options.retry);

  // The lessee holds the leases of this worker's runs and hears cancellations.
  const lessee = new pg.Client({ connectionString: options.url, application_name: "fleetlens-worker-leases" });
  await lessee.connect();
  lessee.on("error", (error) => log(`worker: lost its database connection (${error.message})`));
  const running = new Map<string, { child: ChildProcess; cancelled: boolean }>();
  let stopping = false;
  let busy: Promise<void> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const next = busy.then(task, task);
    busy = next.then(
      () => undefined,
      (error: Error) => log(`worker: ${error.message}`),
    );
    return next;
  };

  /**
   * Fails runs whose process is gone, and their jobs, so that pg-boss retries them now; sends a job
   * for a source with a queued run and no job (queued before an upgrade, or its send was lost).
   */
  const sweep = async () => {
    const { rows: orphans } = await lessee.query<{ source_id: string; id: string }>(
      `SELECT DISTINCT ON (r.source_id) r.source_id, r.id FROM collection_run r
        WHERE r.status = 'queued'
          AND NOT EXISTS (SELECT 1 FROM ${BOSS_SCHEMA}.job j
                           WHERE j.name = $1 AND j.singleton_key = r.source_id::text AND j.state < 'completed')
        ORDER BY r.source_id, r.started_at`,
      [COLLECT_QUEUE],
    );
    for (const orphan of orphans) await sendCollectJob(lessee, { sourceId: orphan.source_id, runId: orphan.id });
    const failed = await failInterruptedRuns(lessee, new Set(running.keys()));
    if (failed.length === 0) return;
    log(`worker: ${failed.length} interrupted run(s) marked failed`);
    const { rows } = await lessee.query<{ id: string }>(
      `SELECT j.id FROM ${BOSS_SCHEMA}.job j
        WHERE j.name = $1 AND j.state = 'active'
          AND j.singleton_key IN (SELECT source_id::text FROM collection_run WHERE id = ANY($2::uuid[]))`,
      [COLLECT_QUEUE, failed],
    );
    for (const { id } of rows) await boss.fail(COLLECT_QUEUE, id, { error: "the worker running this job stopped" });
  };

  /**
   * Turns the oldest queued run of the job's source `running` under this worker's lease, or, when
   * the job is a retry and the source's newest run still failed for a passing reason, a new run.
   * Nothing (null) while another run of the source is running: its worker sends a job for what is
   * still queued when it ends. The source's row lock makes two workers take turns.
   */
  const claim = (job: PgBoss.JobWithMetadata<CollectJob>) =>
    serial(async (): Promise<string | null> => {
      const { sourceId } = job.data;
      // A retry after a dead worker: its run may still say `running`; fail it first (no lease).
      await failInterruptedRuns(lessee, new Set(running.keys()));
      await lessee.query("BEGIN");
      try {
        const source = await lessee.query(`SELECT 1 FROM source WHERE id = $1 FOR UPDATE`, [sourceId]);
        const busy = await lessee.query(`SELECT 1 FROM collection_run WHERE source_id = $1 AND status = 'running' LIMIT 1`, [
          sourceId,
        ]);
        let id: string | null = null;
        if (source.rowCount && !busy.rowCount) {
          const claimed = await lessee.query<{ id: string }>(
            `UPDATE collection_run SET status = 'running', started_at = now()
              WHERE id = (SELECT id FROM collection_run WHERE source_id = $1 AND status = 'queued'
                           ORDER BY started_at, id LIMIT 1)
              RETURNING id`,
            [sourceId],
          );
          id = claimed.rows[0]?.id ?? null;
          if (!id && job.retryCount > 0) {
            const { rows } = await lessee.query<{ status: string; error: string | null }>(
              `SELECT status, error FROM collection_run WHERE source_id = $1 ORDER BY started_at DESC LIMIT 1`,
              [sourceId],
            );
            if (rows[0]?.status === "failed" && retryable(rows[0].error)) {
              const inserted = await lessee.query<{ id: string }>(
                `INSERT INTO collection_run (source_id, trigger, status, started_at)
                 SELECT id, 'retry', 'running', now() FROM source WHERE id = $1 AND enabled RETURNING id`,
                [sourceId],
              );
              id = inserted.rows[0]?.id ?? null;
            }
          }
        }
        if (id) await lessee.query(`SELECT pg_advisory_lock($1, hashtext($2))`, [RUN_LEASE_CLASS, id]);
        await lessee.query("COMMIT");
        return id;
      } catch (error) {
        await lessee.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    });

  /** Runs one run in its own process; resolves when the process ended and the run is recorded. */
  const collect = (runId: string, sourceId: string) =>
    new Promise<void>((resolve) => {
      let stderr = "";
      let timedOut = false;
      const child = spawn(
        process.execPath,
        [`--max-old-space-size=${memoryMb}`, "--import", "tsx", CHILD_ENTRY, runId, sourceId],
        {
          env: { ...process.env, ...options.env, DATABASE_URL: options.url },
          stdio: ["ignore", "inherit", "pipe", "ipc"],
        },
      );
      const entry = { child, cancelled: false };
      running.set(runId, entry);
      child.stderr!.on("data", (chunk: Buffer) => {
        process.stderr.write(chunk);
        stderr = (stderr + chunk.toString()).slice(-8192);
      });
      const killer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, killAfterMs);
      child.once("exit", (code, signal) => {
        clearTimeout(killer);
        void (async () => {
          try {
            if (entry.cancelled) return; // the run says who cancelled it
            const reason = stopping
              ? "interrupted: Fleetlens was stopped during the collection; the previous inventory is kept"
              : describeChildExit(code, signal, stderr, { memoryMb, timedOut });
            if (await markRunFailed(database.pool, runId, reason, { onlyIfRunning: true })) log(`collection run ${runId}: ${reason}`);
          } catch (error) {
            log(`worker: could not record the end of run ${runId}: ${(error as Error).message}`);
          } finally {
            await serial(() => releaseLease(lessee, runId)).catch(() => undefined);
            running.delete(runId);
            resolve();
          }
        })();
      });
    });

  const collectJob = async ([job]: PgBoss.JobWithMetadata<CollectJob>[]) => {
    if (!job || stopping) throw new Error("the worker is stopping");
    const runId = await claim(job);
    if (!runId) return { skipped: "nothing of this source to run now" };
    await collect(runId, job.data.sourceId);
    // A run queued while this one ran (an upload, a push) found the source busy: it gets a job now.
    const left = await database.pool.query<{ id: string }>(
      `SELECT id FROM collection_run WHERE source_id = $1 AND status = 'queued' ORDER BY started_at LIMIT 1`,
      [job.data.sourceId],
    );
    if (left.rows[0]) await sendCollectJob(database.pool, { sourceId: job.data.sourceId, runId: left.rows[0].id });
    const { rows } = await database.pool.query<{ status: string; error: string | null; customer_id: string }>(
      `SELECT r.status, r.error, s.customer_id FROM collection_run r JOIN source s ON s.id = r.source_id WHERE r.id = $1`,
      [runId],
    );
    const run = rows[0];
    if (run?.status === "succeeded") {
      await sendAnalyseJob(database.pool, { customerId: run.customer_id }).catch((error: Error) =>
        log(`worker: could not queue the analysis of customer ${run.customer_id}: ${error.message}`),
      );
      return { runId };
    }
    // Thrown: pg-boss retries with backoff (claim makes the retry's run). Returned: no retry.
    if (run && retryable(run.error)) throw new Error(run.error ?? "failed");
    return { runId, failed: run?.error ?? "the run was deleted" };
  };

  const analyseRetrySeconds = options.analyseRetrySeconds ?? 15;
  const analyseJob = async ([job]: PgBoss.Job<AnalyseJob>[]) => {
    if (!job) return;
    const { customerId } = job.data;
    if (await whileAnalysing(database, customerId, () => ANALYSE_HOOK(database, customerId))) return;
    // Its analysis runs elsewhere (begun perhaps before the ingest that sent this job): again later,
    // unless a job of the customer waits already.
    await sendAnalyseJob(database.pool, { customerId }, { startAfterSeconds: analyseRetrySeconds });
    log(`analysis of customer ${customerId}: running elsewhere, again in ${analyseRetrySeconds} s`);
  };

  const cancel = (runId: string) => {
    const entry = running.get(runId);
    if (!entry) return;
    entry.cancelled = true;
    entry.child.kill("SIGKILL");
    log(`collection run ${runId}: cancelled, its process killed`);
  };
  await lessee.query(`LISTEN ${CANCEL_CHANNEL}`);
  lessee.on("notification", (message) => {
    if (message.channel === CANCEL_CHANNEL && message.payload) cancel(message.payload);
  });

  await serial(sweep);
  const pollingIntervalSeconds = Math.max(0.5, options.pollingSeconds ?? Math.min(pollMs, 2000) / 1000);
  const workers: string[] = [];
  for (let i = 0; i < concurrency; i++) {
    workers.push(await boss.work<CollectJob>(COLLECT_QUEUE, { includeMetadata: true, batchSize: 1, pollingIntervalSeconds }, collectJob));
  }
  await boss.work<AnalyseJob>(ANALYSE_QUEUE, { batchSize: 1, pollingIntervalSeconds }, analyseJob);

  const schedule = async () => {
    for (const id of await dueSources(database, UPLOAD_KINDS)) await enqueueCollection(database, id, "schedule");
  };
  const sweepTimer = setInterval(() => void serial(sweep), pollMs);
  const scheduleTimer = scheduleMs > 0 ? setInterval(() => void serial(schedule), scheduleMs) : undefined;
  if (scheduleMs > 0) void serial(schedule);

  return {
    async poke() {
      for (const id of workers) boss.notifyWorker(id);
      await serial(sweep);
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      clearInterval(sweepTimer);
      if (scheduleTimer) clearInterval(scheduleTimer);
      await busy;
      for (const { child } of running.values()) child.kill("SIGTERM");
      await boss.stop({ graceful: true, wait: true, timeout: 30_000 });
      await lessee.end().catch(() => undefined);
    },
  };
}

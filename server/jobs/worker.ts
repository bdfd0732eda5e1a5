/**
 * The collection worker: queues due sources at their interval, claims queued runs, and runs each
 * one in a child process of its own (child.ts) with its own heap limit. A collection that runs out
 * of memory, hangs past its time limit or crashes costs that run alone: the run fails with what
 * happened, and neither the dashboard nor the other collections notice.
 *
 * `npm start` runs one worker next to the dashboard. Runs whose process died with a worker (a
 * restart, kill -9) are failed when a worker starts and at every sweep (leases, see queue.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { setting, type Env } from "../config";
import { UPLOAD_KINDS } from "../collectors";
import type { Database } from "../db/client";
import { markRunFailed } from "../inventory/ingest";
import { COLLECTION_TIMEOUT_MS } from "./collect";
import {
  CANCEL_CHANNEL,
  claimQueuedRuns,
  dueSources,
  enqueueCollection,
  failInterruptedRuns,
  QUEUE_CHANNEL,
  releaseLease,
  type ClaimedRun,
} from "./queue";

export interface WorkerOptions {
  /** The database's URL, for the lease connection and the collection processes. */
  url: string;
  log?: (line: string) => void;
  /** Collections at once (FLEETLENS_COLLECT_CONCURRENCY, default 2). */
  concurrency?: number;
  /** Heap limit of each collection process in MiB (FLEETLENS_COLLECT_MEMORY_MB, default 2048). */
  memoryMb?: number;
  /** How often queued runs are looked for without a notification, and interrupted runs swept. */
  pollMs?: number;
  /** How often due sources are queued; 0 turns the schedule off. */
  scheduleMs?: number;
  /** A collection process still running this long after the collection time limit is killed. */
  killAfterMs?: number;
  /** Extra environment for the collection processes. */
  env?: NodeJS.ProcessEnv;
}

export interface Worker {
  /** Stops claiming, ends running collections (their runs fail as interrupted) and closes. */
  stop(): Promise<void>;
  /** Looks for queued runs now (tests; the worker also does it on notification and every pollMs). */
  poke(): Promise<void>;
}

const CHILD_ENTRY = path.join(import.meta.dirname, "child.ts");

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

export async function startWorker(database: Database, options: WorkerOptions): Promise<Worker> {
  const log = options.log ?? (() => {});
  const settings = workerSettings();
  const concurrency = options.concurrency ?? settings.concurrency;
  const memoryMb = options.memoryMb ?? settings.memoryMb;
  const pollMs = options.pollMs ?? 5_000;
  const scheduleMs = options.scheduleMs ?? 60_000;
  const killAfterMs = options.killAfterMs ?? COLLECTION_TIMEOUT_MS + 60_000;

  // The lessee: one connection that holds the leases of the runs this worker runs, and listens.
  const lessee = new pg.Client({ connectionString: options.url });
  await lessee.connect();
  lessee.on("error", (error) => log(`worker: lost its database connection (${error.message})`));
  const running = new Map<string, { child: ChildProcess; done: Promise<void> }>();
  let stopping = false;
  let busy: Promise<void> = Promise.resolve();
  const serial = (task: () => Promise<void>) => {
    busy = busy.then(task, task).catch((error: Error) => log(`worker: ${error.message}`));
    return busy;
  };

  const sweep = async () => {
    const failed = await failInterruptedRuns(lessee, new Set(running.keys()));
    if (failed.length > 0) log(`worker: ${failed.length} interrupted run(s) marked failed`);
  };

  const launch = (run: ClaimedRun) => {
    let stderr = "";
    let timedOut = false;
    const child = spawn(
      process.execPath,
      [`--max-old-space-size=${memoryMb}`, "--import", "tsx", CHILD_ENTRY, run.id, run.sourceId],
      { env: { ...process.env, ...options.env, DATABASE_URL: options.url }, stdio: ["ignore", "inherit", "pipe"] },
    );
    child.stderr!.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      stderr = (stderr + chunk.toString()).slice(-8192);
    });
    const killer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, killAfterMs);
    const done = new Promise<void>((resolve) => {
      child.once("exit", (code, signal) => {
        clearTimeout(killer);
        void (async () => {
          try {
            // A process that recorded its run exits 0; anything else leaves the run to us.
            const reason = stopping
              ? "interrupted: Fleetlens was stopped during the collection; the previous inventory is kept"
              : describeChildExit(code, signal, stderr, { memoryMb, timedOut });
            if (await markRunFailed(database.pool, run.id, reason, { onlyIfRunning: true })) {
              log(`collection run ${run.id}: ${reason}`);
            }
          } catch (error) {
            log(`worker: could not record the end of run ${run.id}: ${(error as Error).message}`);
          } finally {
            await releaseLease(lessee, run.id).catch(() => undefined);
            running.delete(run.id);
            resolve();
            if (!stopping) void poke();
          }
        })();
      });
    });
    running.set(run.id, { child, done });
  };

  const claim = async () => {
    if (stopping) return;
    const free = concurrency - running.size;
    for (const run of await claimQueuedRuns(lessee, free)) launch(run);
  };
  const poke = () => serial(claim);

  const schedule = async () => {
    for (const id of await dueSources(database, UPLOAD_KINDS)) await enqueueCollection(database, id, "schedule");
  };

  await lessee.query(`LISTEN ${QUEUE_CHANNEL}`);
  await lessee.query(`LISTEN ${CANCEL_CHANNEL}`);
  lessee.on("notification", (message) => {
    // A cancelled run (queue.ts cancelRun) is already recorded: only its process is left to end.
    if (message.channel === CANCEL_CHANNEL) running.get(message.payload ?? "")?.child.kill("SIGKILL");
    else void poke();
  });
  await serial(sweep);
  await poke();

  const pollTimer = setInterval(() => void serial(async () => {
    await sweep();
    await claim();
  }), pollMs);
  const scheduleTimer = scheduleMs > 0 ? setInterval(() => void serial(schedule), scheduleMs) : undefined;
  if (scheduleMs > 0) void serial(schedule);

  return {
    poke,
    async stop() {
      if (stopping) return;
      stopping = true;
      clearInterval(pollTimer);
      if (scheduleTimer) clearInterval(scheduleTimer);
      await busy;
      for (const { child } of running.values()) child.kill("SIGTERM");
      await Promise.all([...running.values()].map((r) => r.done));
      await lessee.end().catch(() => undefined);
    },
  };
}

/**
 * Running a collection: decrypt the source's secret, run its collector with a time limit, and hand
 * the snapshot to ingest. Every outcome is a collection run: succeeded with counts, or failed with
 * an error that says what went wrong (the previous inventory stays).
 */
import { db, type Database } from "../db/client";
import { decryptSecret } from "../auth/secret-box";
import { collectorFor, type SourceKind } from "../collectors";
import { applySnapshot, failRun, startRun, type ApplyResult } from "../inventory/ingest";

export const COLLECTION_TIMEOUT_MS = 10 * 60 * 1000;

export interface CollectOptions {
  database?: Database;
  trigger?: "manual" | "schedule" | "startup";
  timeoutMs?: number;
}

/** Starts a collection and returns its run id at once; the run finishes in the background. */
export async function startCollection(sourceId: string, options: CollectOptions = {}) {
  const database = options.database ?? db();
  const runId = await startRun(database, sourceId, options.trigger ?? "manual");
  const done = runCollection(sourceId, runId, { ...options, database }).catch(() => undefined);
  return { runId, done };
}

/** Collects a source to the end; resolves with the ingest result, rejects with the run's error. */
export async function collectSource(sourceId: string, options: CollectOptions = {}) {
  const database = options.database ?? db();
  const runId = await startRun(database, sourceId, options.trigger ?? "manual");
  return runCollection(sourceId, runId, { ...options, database });
}

async function runCollection(
  sourceId: string,
  runId: string,
  options: CollectOptions & { database: Database },
): Promise<ApplyResult> {
  const { database } = options;
  let snapshot: unknown;
  try {
    const source = await database.prisma.source.findUniqueOrThrow({ where: { id: sourceId } });
    if (!source.enabled) throw new Error("source is disabled");
    const collector = collectorFor(source.kind as SourceKind);
    snapshot = await collector(
      {
        kind: source.kind as SourceKind,
        name: source.name,
        endpoint: source.endpoint,
        username: source.username,
        secret: source.secret ? decryptSecret(source.secret) : null,
        options: (source.options ?? {}) as Record<string, unknown>,
      },
      { signal: AbortSignal.timeout(options.timeoutMs ?? COLLECTION_TIMEOUT_MS) },
    );
  } catch (error) {
    await failRun(database, runId, error);
    throw error;
  }
  return applySnapshot(sourceId, snapshot, { database, runId });
}

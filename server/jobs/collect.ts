/**
 * Running a collection: decrypt the source's secret, run its collector with a time limit, and hand
 * the snapshot to ingest. Every outcome is a collection run: succeeded with counts, or failed with
 * an error that says what went wrong (the previous inventory stays).
 *
 * The dashboard never collects: "Collect now" queues a run (startCollection) and a worker runs it
 * in a process of its own (worker.ts), so a huge or hostile endpoint cannot take the web server's
 * memory or event loop. collectSource runs one in this process, start to end (the demo seed).
 */
import { db, type Database } from "../db/client";
import { decryptSecret } from "../auth/secret-box";
import { collectorDefinition, collectorFor, type CollectorKnowledge, type SourceKind } from "../collectors";
import type { Knowledge } from "../collectors/types";
import { applySnapshot, failRun, startRun, type ApplyResult } from "../inventory/ingest";
import { keepLabelsFor, salvageSnapshot } from "../inventory/salvage";
import { analyseCustomer } from "../analysis/stored";
import { enqueueCollection, releaseLease, takeLease } from "./queue";
import { forgetPushedFile, pushedSnapshotForRun } from "./pushes";
import { uploadForRun } from "./uploads";

export const COLLECTION_TIMEOUT_MS = 10 * 60 * 1000;

export interface CollectOptions {
  database?: Database;
  trigger?: "manual" | "schedule" | "startup";
  timeoutMs?: number;
}

/** Queues a collection and returns its run id at once; a worker runs it (or the one already queued). */
export async function startCollection(sourceId: string, options: CollectOptions = {}) {
  const database = options.database ?? db();
  return { runId: await enqueueCollection(database, sourceId, options.trigger ?? "manual") };
}

/** Collects a source in this process to the end; resolves with the ingest result, rejects with the run's error. */
export async function collectSource(sourceId: string, options: CollectOptions = {}) {
  const database = options.database ?? db();
  const runId = await startRun(database, sourceId, options.trigger ?? "manual");
  // The lease tells workers this run is alive (see queue.ts); it is held on a connection of its own.
  const lessee = await database.pool.connect();
  try {
    await takeLease(lessee, runId);
    return await runCollection(sourceId, runId, { ...options, database });
  } finally {
    await releaseLease(lessee, runId).catch(() => undefined);
    lessee.release();
  }
}

/** Runs the collection of a run that is already `running` and leased by the caller. */
export async function runCollection(
  sourceId: string,
  runId: string,
  options: CollectOptions & { database: Database },
): Promise<ApplyResult> {
  const { database } = options;
  let snapshot: unknown;
  let keepLabels: string[] = [];
  let customerId: string;
  let pushed = false;
  try {
    const source = await database.prisma.source.findUniqueOrThrow({ where: { id: sourceId } });
    customerId = source.customerId;
    if (!source.enabled) throw new Error("source is disabled");
    const collector = collectorFor(source.kind as SourceKind);
    // A kind collected from an upload reads this run's file (or, for "Collect now", the newest kept).
    const upload = collectorDefinition(source.kind as SourceKind).upload ? await uploadForRun(database, sourceId, runId) : null;
    const sourceOptions = (source.options ?? {}) as Record<string, unknown>;
    keepLabels = keepLabelsFor(sourceOptions);
    // A remote collector's run (jobs/pushes.ts) ingests the snapshot it pushed instead of collecting.
    const push = await pushedSnapshotForRun(database, sourceId, runId);
    pushed = push !== null;
    const known = push ? {} : await loadKnowledge(database, source.id, source.customerId, collectorDefinition(source.kind as SourceKind).needs ?? []);
    snapshot = push ? push.raw : await collector(
      {
        kind: source.kind as SourceKind,
        name: source.name,
        endpoint: source.endpoint,
        username: source.username,
        secret: source.secret ? decryptSecret(source.secret) : null,
        options: sourceOptions,
      },
      { signal: AbortSignal.timeout(options.timeoutMs ?? COLLECTION_TIMEOUT_MS), upload, known },
    );
  } catch (error) {
    await failRun(database, runId, error);
    throw error;
  }
  // One bad object (a NUL byte, a 64 KiB label, an integer past int4) costs that object, with a
  // warning naming it, never the run.
  const result = await applySnapshot(sourceId, salvageSnapshot(snapshot, { keepLabels }), { database, runId });
  // An ingested push's file is done with; a failed one's stays for a retry until the next push prunes it.
  if (pushed) await forgetPushedFile(database, sourceId, runId).catch(() => undefined);
  await recordCustomerTrend(database, customerId, result.runId);
  return result;
}

/**
 * After this run: the customer's analysis computed and stored (server/analysis/stored.ts), so no page
 * view waits for it, and its totals recorded for the trends (server/analysis/trends.ts). The
 * inventory is already committed: an analysis or trend that cannot be stored is a warning on the run,
 * never a failed collection (readers then compute it themselves).
 */
export async function recordCustomerTrend(database: Database, customerId: string, runId: string): Promise<void> {
  try {
    const { rows } = await database.pool.query<{ finished_at: Date | null }>(`SELECT finished_at FROM collection_run WHERE id = $1`, [runId]);
    await analyseCustomer(database, customerId, { at: rows[0]?.finished_at ?? new Date() });
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).replaceAll("\0", "\\0");
    await database.pool
      .query(`UPDATE collection_run SET warnings = array_append(warnings, $2) WHERE id = $1`, [
        runId,
        `trend not recorded (the inventory is): ${message.slice(0, 2000)}`,
      ])
      .catch(() => undefined);
  }
}

/**
 * What the kind needs from the database before it collects (CollectorDefinition.needs): the
 * customer's powered-on Linux VMs of its other sources with the addresses they report, and the
 * host keys this source trusted on first use.
 */
export async function loadKnowledge(
  database: Database,
  sourceId: string,
  customerId: string,
  needs: readonly Knowledge[],
): Promise<CollectorKnowledge> {
  const known: CollectorKnowledge = {};
  if (needs.includes("vms")) {
    const { rows } = await database.pool.query<{ name: string; ip_addresses: string[] | null }>(
      `SELECT v.name, v.ip_addresses
         FROM virtual_machine v JOIN source s ON s.id = v.source_id
        WHERE s.customer_id = $1 AND s.id <> $2 AND v.power_state = 'poweredOn'
          AND NOT v.template AND v.guest_os_family = 'linux'
        ORDER BY v.name, v.id`,
      [customerId, sourceId],
    );
    known.vms = rows.map((r) => ({ name: r.name, ipAddresses: r.ip_addresses ?? [] }));
  }
  if (needs.includes("hostKeys")) {
    const { rows } = await database.pool.query<{ host: string; fingerprint: string }>(
      `SELECT host, fingerprint FROM guest_host_key WHERE source_id = $1`,
      [sourceId],
    );
    known.hostKeys = Object.fromEntries(rows.map((r) => [r.host, r.fingerprint]));
  }
  if (needs.includes("utilisationSince")) {
    // The newest value of each series by its key's index (series_id, at): one backward step per series.
    const { rows } = await database.pool.query<{ object_kind: string; external_id: string; newest: Date | null }>(
      `SELECT s.object_kind, s.external_id, max((SELECT max(u.at) FROM utilisation_sample u WHERE u.series_id = s.id)) AS newest
         FROM utilisation_series s
        WHERE s.source_id = $1 AND s.interval_s >= 300 AND s.interval_s < 86400
        GROUP BY s.object_kind, s.external_id`,
      [sourceId],
    );
    known.utilisationSince = Object.fromEntries(
      rows.filter((r) => r.newest !== null).map((r) => [`${r.object_kind}:${r.external_id}`, r.newest!.toISOString()]),
    );
  }
  return known;
}

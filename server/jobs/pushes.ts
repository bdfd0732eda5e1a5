/**
 * Snapshots pushed by remote collectors (`collect … --push`, POST /api/sources/<id>/snapshot). A
 * push is a collection run like any other (trigger "push"): the body is streamed into the server's
 * own folder (FLEETLENS_DATA_DIR/pushes/<source id>/<run id>.json) up to the stated maximum
 * (FLEETLENS_MAX_SNAPSHOT_MB, 256 MiB by default), checked at once (JSON, the collector kind it
 * names, the snapshot schema after the salvage rules a collection gets), then queued; the worker's
 * collection process reads that file instead of running the collector, and deletes it once it is
 * ingested (a failed run's file stays for a retry of that run until the source's next push prunes
 * it). A refused push leaves no file and no run: the stored inventory is untouched.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { setting, type Env } from "../config";
import type { Database } from "../db/client";
import { dataDir } from "../db/paths";
import { salvageSnapshot } from "../inventory/salvage";
import { parseSnapshot, SnapshotValidationError, type Snapshot } from "../inventory/snapshot";
import { deleteRunFiles, receiveFile, sourceFolder, UploadRefused } from "./uploads";

export const PUSH_TRIGGER = "push";

/** The largest snapshot a remote collector may push, in bytes (FLEETLENS_MAX_SNAPSHOT_MB). */
export function maxSnapshotBytes(env: Env = process.env): number {
  return setting("FLEETLENS_MAX_SNAPSHOT_MB", env) * 1024 * 1024;
}

const STORED_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.json$/;

export function pushesRoot(): string {
  return path.join(/*turbopackIgnore: true*/ dataDir(), "pushes");
}

/**
 * The snapshot in `text` as a collection would store it, or UploadRefused(400) saying what is wrong:
 * not JSON, a kind other than the source's, or the schema's issues (paths named) after salvage.
 */
export function checkPushedSnapshot(text: string, sourceKind: string, keepLabels: string[] = []): Snapshot {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UploadRefused(400, `the body is not JSON (${(error as Error).message}): send what \`collect <kind> <endpoint> --json\` prints`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new UploadRefused(400, "the body is not a snapshot: send the JSON object `collect <kind> <endpoint> --json` prints");
  }
  const kind = (raw as { kind?: unknown }).kind;
  if (kind === undefined) {
    throw new UploadRefused(400, `the snapshot does not say which collector made it: its "kind" must be "${sourceKind}", this source's kind`);
  }
  if (kind !== sourceKind) {
    throw new UploadRefused(
      400,
      `the snapshot was collected by a ${typeof kind === "string" ? `"${kind.slice(0, 40)}"` : "unnamed"} collector, but this source's kind is "${sourceKind}": push it to a ${typeof kind === "string" ? `"${kind.slice(0, 40)}" ` : ""}source`,
    );
  }
  try {
    return parseSnapshot(salvageSnapshot(raw, { keepLabels }));
  } catch (error) {
    if (error instanceof SnapshotValidationError) throw new UploadRefused(400, error.message);
    throw error;
  }
}

export interface ReceivedSnapshot {
  runId: string;
  bytes: number;
  sha256: string;
  collectedAt: string;
  counts: { hosts: number; virtualMachines: number; containers: number; images: number };
}

/** Streams a snapshot into the source's folder, checks it and queues a run that ingests it (receiveFile). */
export async function receiveSnapshot(
  database: Database,
  source: { id: string; kind: string },
  body: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  options: { maxBytes?: number; keepLabels?: string[] } = {},
): Promise<ReceivedSnapshot> {
  const maxBytes = options.maxBytes ?? maxSnapshotBytes();
  const { runId, bytes, sha256, accepted: { snapshot } } = await receiveFile(database, source.id, body, {
    root: pushesRoot(),
    ext: "json",
    trigger: PUSH_TRIGGER,
    maxBytes,
    tooLarge: `the snapshot is larger than the limit of ${maxBytes / 1024 / 1024} MiB (FLEETLENS_MAX_SNAPSHOT_MB): refused, nothing stored`,
    cutOff: "the snapshot was cut off before it ended: nothing was stored",
    accept: async (file, size) => {
      if (size === 0) throw new UploadRefused(400, "the request has no body: send the snapshot as JSON");
      const checked = checkPushedSnapshot(await readFile(file, "utf8"), source.kind, options.keepLabels);
      return { name: `snapshot collected ${checked.collectedAt}`, snapshot: checked };
    },
    prune: prunePushes,
  });
  return {
    runId,
    bytes,
    sha256,
    collectedAt: snapshot.collectedAt,
    counts: {
      hosts: snapshot.hosts.length,
      virtualMachines: snapshot.virtualMachines.length,
      containers: snapshot.containers.length,
      images: snapshot.images.length,
    },
  };
}

/**
 * The snapshot a pushed run ingests (raw, salvaged by the caller as any collection), or null when
 * the run is not a push. A push whose file is gone fails with a clear error.
 */
export async function pushedSnapshotForRun(database: Database, sourceId: string, runId: string): Promise<{ raw: unknown; file: string } | null> {
  const { rows } = await database.pool.query<{ trigger: string; upload_file: string | null }>(
    `SELECT trigger, upload_file FROM collection_run WHERE id = $1 AND source_id = $2`,
    [runId, sourceId],
  );
  const row = rows[0];
  if (!row || row.trigger !== PUSH_TRIGGER) return null;
  if (!row.upload_file || !STORED_NAME.test(row.upload_file)) {
    throw new Error("the pushed snapshot of this run is no longer on the server: push it again");
  }
  const file = path.join(sourceFolder(pushesRoot(), sourceId), row.upload_file);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new Error("the pushed snapshot of this run is no longer on the server: push it again");
  }
  return { raw: JSON.parse(text) as unknown, file };
}

/** Deletes a pushed run's file once it is ingested (the run keeps its name and size). */
export async function forgetPushedFile(database: Database, sourceId: string, runId: string): Promise<void> {
  const { rows } = await database.pool.query<{ id: string; upload_file: string }>(
    `SELECT id, upload_file FROM collection_run WHERE id = $1 AND source_id = $2 AND trigger = $3 AND upload_file IS NOT NULL`,
    [runId, sourceId, PUSH_TRIGGER],
  );
  await deleteRunFiles(database, pushesRoot(), sourceId, rows, STORED_NAME);
}

/**
 * Deletes the files of a source's pushed runs that are over (a run whose process died before it
 * could delete its own); the runs keep the name and size for the history.
 */
export async function prunePushes(database: Database, sourceId: string): Promise<number> {
  const { rows } = await database.pool.query<{ id: string; upload_file: string }>(
    `SELECT id, upload_file FROM collection_run
      WHERE source_id = $1 AND trigger = $2 AND upload_file IS NOT NULL AND status NOT IN ('queued', 'running')`,
    [sourceId, PUSH_TRIGGER],
  );
  return deleteRunFiles(database, pushesRoot(), sourceId, rows, STORED_NAME);
}

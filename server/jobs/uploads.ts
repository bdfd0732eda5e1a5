/**
 * Files uploaded to a source (an RVTools export) and the runs that read them. Every upload is a
 * collection run: the file is streamed into the server's own folder
 * (FLEETLENS_DATA_DIR/uploads/<source id>/<run id>.<ext>), then a run is queued that names it, and
 * the worker's collection process reads that file and nothing else. The path is made here from
 * ids the database gave, never from what a client sent (the client's file name is only shown).
 *
 * The newest KEEP_UPLOADS files of a source are kept (a later "Collect now" reads the newest again);
 * older ones are deleted and their runs keep the name and size for the history.
 */
import { createHash, randomUUID } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import type { Database } from "../db/client";
import { dataDir } from "../db/paths";
import { MAX_UPLOAD_BYTES } from "../http/gate";
import { insertQueuedRun } from "./queue";

export const KEEP_UPLOADS = 3;

export type UploadFormat = "xlsx" | "zip";

/** What a client asked to upload was refused: `status` is the HTTP answer, `message` says why. */
export class UploadRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "UploadRefused";
  }
}

/** The file a run reads: where it is on this server and what it was called when uploaded. */
export interface StoredUpload {
  path: string;
  name: string;
  bytes: number;
}

const UUID_TEXT = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const UUID = new RegExp(`^${UUID_TEXT}$`);
/** The file names receiveUpload gives: the run's id and the format. */
const STORED_NAME = new RegExp(`^${UUID_TEXT}\\.(xlsx|zip)$`);

export function uploadsRoot(): string {
  return path.join(/*turbopackIgnore: true*/ dataDir(), "uploads");
}

/** A source's own folder under `root` (uploads or pushes); the id is checked, never a client's path. */
export function sourceFolder(root: string, sourceId: string): string {
  if (!UUID.test(sourceId)) throw new Error(`not a source id: ${sourceId}`);
  return path.join(/*turbopackIgnore: true*/ root, sourceId);
}

/**
 * The uploaded file's name as people see it: its last path segment, without control characters,
 * at most 200 characters; .xlsx or .zip, which says how it is read.
 */
export function uploadName(raw: string | null): { name: string; format: UploadFormat } {
  const base = (raw ?? "").split(/[\\/]/).pop() ?? "";
  const name = base.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, "").trim().slice(-200);
  const ext = path.extname(name).toLowerCase();
  if (!name || (ext !== ".xlsx" && ext !== ".zip")) {
    throw new UploadRefused(
      415,
      `${name ? `“${name}”` : "the file"}: upload the .xlsx RVTools wrote, or a .zip of its RVTools_tab*.csv files (or of the .xlsx)`,
    );
  }
  return { name, format: ext === ".xlsx" ? "xlsx" : "zip" };
}

/** What the first bytes say: a zip container (an .xlsx is one), or why the file is not one. */
export function checkMagic(head: Buffer, name: string): void {
  if (head.length >= 4 && head.readUInt32LE(0) === 0x04034b50) return;
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from("d0cf11e0a1b11ae1", "hex"))) {
    throw new UploadRefused(
      415,
      `“${name}” is an encrypted workbook or an old-format .xls (an OLE compound file), not an .xlsx: ` +
        "open it in Excel and save it as .xlsx without a password",
    );
  }
  if (head.length === 0) throw new UploadRefused(400, `“${name}” is empty`);
  throw new UploadRefused(415, `“${name}” is not an RVTools export: an .xlsx or a .zip starts with a zip header, this file does not`);
}

/**
 * Counts, hashes and caps the bytes going through; `checkHead`, when given, sees the first 8 bytes
 * once they are in (or all of a shorter body at its end).
 */
function meter(maxBytes: number, tooLarge: string, checkHead?: (head: Buffer) => void) {
  const hash = createHash("sha256");
  let bytes = 0;
  let head = Buffer.alloc(0);
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        done(new UploadRefused(413, tooLarge));
        return;
      }
      if (checkHead && head.length < 8) {
        head = Buffer.concat([head, chunk.subarray(0, 8 - head.length)]);
        if (head.length >= 8) {
          try {
            checkHead(head);
          } catch (error) {
            done(error as Error);
            return;
          }
        }
      }
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      try {
        if (checkHead && head.length < 8) checkHead(head);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
  return { transform, result: () => ({ bytes, sha256: hash.digest("hex") }) };
}

/** How one kind of received file is kept: pushes.ts and receiveUpload below. */
export interface Receiving<T extends { name: string }> {
  /** The folder all sources' files of this kind live under (a source's own is <root>/<source id>). */
  root: string;
  /** The stored file's extension and the run's trigger. */
  ext: string;
  trigger: string;
  maxBytes: number;
  /** The refusals of a body over maxBytes and of one cut off. */
  tooLarge: string;
  cutOff: string;
  checkHead?: (head: Buffer) => void;
  /** Checks the complete file before it is kept (UploadRefused when it is not); `name` names the run. */
  accept: (file: string, bytes: number) => Promise<T> | T;
  /** Deletes files of the source's earlier runs once this one is queued. */
  prune: (database: Database, sourceId: string) => Promise<unknown>;
}

/**
 * Streams `body` into the source's folder under `how.root`, checks it and queues a run that reads
 * it. A refused or broken body leaves no file and no run (what is stored is untouched); the limit
 * is enforced on the bytes as they arrive, whatever the request claimed.
 */
export async function receiveFile<T extends { name: string }>(
  database: Database,
  sourceId: string,
  body: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  how: Receiving<T>,
): Promise<{ runId: string; bytes: number; sha256: string; accepted: T }> {
  const folder = sourceFolder(how.root, sourceId);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const runId = randomUUID();
  const stored = `${runId}.${how.ext}`;
  const incoming = path.join(folder, `.incoming-${stored}`);
  const measured = meter(how.maxBytes, how.tooLarge, how.checkHead);
  try {
    await streamToNewFile(body, measured.transform, incoming);
    const { bytes, sha256 } = measured.result();
    const accepted = await how.accept(incoming, bytes);
    await rename(incoming, path.join(folder, stored));
    await insertQueuedRun(database.pool, sourceId, how.trigger, { id: runId, file: stored, name: accepted.name, bytes });
    await how.prune(database, sourceId).catch(() => undefined);
    return { runId, bytes, sha256, accepted };
  } catch (error) {
    await rm(incoming, { force: true });
    await rm(path.join(folder, stored), { force: true });
    if (error instanceof UploadRefused) throw error;
    if ((error as NodeJS.ErrnoException).code === "ABORT_ERR" || (error as Error).name === "AbortError") {
      throw new UploadRefused(400, how.cutOff);
    }
    throw error;
  }
}

export interface ReceivedUpload {
  runId: string;
  name: string;
  bytes: number;
  sha256: string;
}

/** Streams an RVTools export into the source's folder and queues a run that reads it (receiveFile). */
export async function receiveUpload(
  database: Database,
  sourceId: string,
  body: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  rawName: string | null,
  options: { maxBytes?: number } = {},
): Promise<ReceivedUpload> {
  const { name, format } = uploadName(rawName);
  const maxBytes = options.maxBytes ?? MAX_UPLOAD_BYTES;
  const received = await receiveFile(database, sourceId, body, {
    root: uploadsRoot(),
    ext: format,
    trigger: "upload",
    maxBytes,
    tooLarge: `“${name}” is larger than the upload limit of ${maxBytes / 1024 / 1024} MiB: refused`,
    cutOff: `the upload of “${name}” was cut off before it ended: nothing was stored`,
    checkHead: (head) => checkMagic(head, name),
    accept: () => ({ name }),
    prune: pruneUploads,
  });
  return { runId: received.runId, name, bytes: received.bytes, sha256: received.sha256 };
}

/**
 * Streams `body` through `transform` into a new file (0600, never over an existing one). When it
 * fails, the file is gone before this rejects: the write stream may still be opening the file when
 * a refusal in the first chunk fails the pipeline, and a removal before that open would leave it
 * behind (seen under load), so the stream's close is awaited first.
 */
async function streamToNewFile(body: AsyncIterable<Uint8Array> | NodeJS.ReadableStream, transform: Transform, file: string): Promise<void> {
  const out = createWriteStream(file, { flags: "wx", mode: 0o600 });
  try {
    await pipeline(body, transform, out);
  } catch (error) {
    if (!out.closed) await once(out, "close").catch(() => undefined);
    await rm(file, { force: true });
    throw error;
  }
}

/**
 * The file a run reads: its own upload, else (a "Collect now" or scheduled run) the newest upload of
 * its source still kept. Null when the source has none.
 */
export async function uploadForRun(database: Database, sourceId: string, runId: string): Promise<StoredUpload | null> {
  const { rows } = await database.pool.query<{ upload_file: string; upload_name: string; upload_bytes: string }>(
    `SELECT upload_file, upload_name, upload_bytes FROM collection_run
      WHERE source_id = $1 AND upload_file IS NOT NULL AND (id = $2 OR started_at <= (SELECT started_at FROM collection_run WHERE id = $2))
      ORDER BY (id = $2) DESC, started_at DESC LIMIT 1`,
    [sourceId, runId],
  );
  const row = rows[0];
  if (!row || !STORED_NAME.test(row.upload_file)) return null;
  return { path: path.join(sourceFolder(uploadsRoot(), sourceId), row.upload_file), name: row.upload_name, bytes: Number(row.upload_bytes) };
}

/** Deletes the files of all but the newest `keep` uploads of a source (never one a run still waits for). */
export async function pruneUploads(database: Database, sourceId: string, keep = KEEP_UPLOADS): Promise<number> {
  const { rows } = await database.pool.query<{ id: string; upload_file: string }>(
    `SELECT id, upload_file FROM (SELECT id, upload_file, status FROM collection_run
                                   WHERE source_id = $1 AND upload_file IS NOT NULL
                                   ORDER BY started_at DESC, id DESC OFFSET $2) old
      WHERE status NOT IN ('queued', 'running')`,
    [sourceId, keep],
  );
  return deleteRunFiles(database, uploadsRoot(), sourceId, rows, STORED_NAME);
}

/**
 * Deletes the files of these runs, then forgets them on the runs (which keep the name and size):
 * file first, so that a process killed in between leaves a run still naming its file, which the
 * next prune deletes, never a file no run names, which nothing would. Returns how many.
 */
export async function deleteRunFiles(
  database: Database,
  root: string,
  sourceId: string,
  runs: Array<{ id: string; upload_file: string }>,
  storedName: RegExp,
): Promise<number> {
  if (runs.length === 0) return 0;
  const folder = sourceFolder(root, sourceId);
  for (const { upload_file } of runs) {
    if (storedName.test(upload_file)) await rm(path.join(folder, upload_file), { force: true });
  }
  const { rowCount } = await database.pool.query(
    `UPDATE collection_run r SET upload_file = NULL FROM unnest($2::uuid[], $3::text[]) AS gone(id, file)
      WHERE r.id = gone.id AND r.source_id = $1 AND r.upload_file = gone.file`,
    [sourceId, runs.map((r) => r.id), runs.map((r) => r.upload_file)],
  );
  return rowCount ?? 0;
}

/** Removes a source's upload folder (the source was deleted). */
export async function removeUploads(sourceId: string): Promise<void> {
  await rm(sourceFolder(uploadsRoot(), sourceId), { recursive: true, force: true });
}

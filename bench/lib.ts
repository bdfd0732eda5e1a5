/** What every benchmark here shares: its numeric flags, medians, timings and a scratch database. */
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { connect, type Database } from "../server/db/client";
import { startEmbeddedPostgres } from "../server/db/embedded";
import { migrate } from "../server/db/migrate";

/** The number after `--name` on the command line, or the fallback. */
export function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs a task and gives its wall-clock milliseconds with its result. */
export async function timed<T>(task: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const result = await task();
  return [performance.now() - start, result];
}

/**
 * A database of its own for one benchmark run, migrated: on DATABASE_URL's server when set, else on
 * an embedded PostgreSQL in a temporary directory. `drop()` removes the database (and the embedded
 * server and its directory).
 */
export async function scratchDatabase(options: { max: number }): Promise<{ url: string; database: Database; drop(): Promise<void> }> {
  let stopServer: (() => Promise<void>) | undefined;
  let serverUrl = process.env.DATABASE_URL;
  let tempDir: string | undefined;
  if (!serverUrl) {
    tempDir = await fs.mkdtemp(path.join(os.tmpdir(), "fleetlens-bench-"));
    await fs.chmod(tempDir, 0o755);
    const server = await startEmbeddedPostgres({ dir: tempDir });
    serverUrl = server.url;
    stopServer = server.stop;
  }
  const dbName = `fleetlens_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  await migrate(url.toString());
  const database = connect(url.toString(), { max: options.max });
  return {
    url: url.toString(),
    database,
    async drop() {
      await database.close();
      await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      await admin.end();
      await stopServer?.();
      if (tempDir) await fs.rm(tempDir, { recursive: true, force: true });
    },
  };
}

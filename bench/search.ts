/**
 * bench/search: what a header search costs on one large customer (searchFleet: one statement per
 * kind, side by side), with the search indexes of prisma/migrations/*_search_indexes and without
 * them (and what they cost ingest), against a reference measured in the same run on the same server: one sequential count of
 * the container table (the least a search that reads every container pays).
 *
 *   npm run bench:search                                  10k VMs, 100k containers
 *   npm run bench:search -- --vms 50000 --containers 500000 --rounds 7
 *
 * The texts searched are taken from the generated fleet itself (a VM's name and MAC, an IP prefix,
 * a container id's first 12 characters, ...). Uses DATABASE_URL's server if set (a scratch
 * database is created and dropped), else an embedded PostgreSQL in a temp dir.
 */
import fs from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { generateFleetSnapshot } from "../server/collectors/demo/fleet";
import { applySnapshot } from "../server/inventory/ingest";
import { searchFleet } from "../server/search/search";
import { arg, median, timed, scratchDatabase } from "./lib";

const vms = arg("vms", 10_000);
const containers = arg("containers", 100_000);
const rounds = arg("rounds", 7);

async function indexMigration(): Promise<{ sql: string; indexes: string[] }> {
  const dir = path.join(process.cwd(), "prisma", "migrations");
  const name = (await fs.readdir(dir)).find((entry) => entry.endsWith("_search_indexes"));
  if (!name) throw new Error("no *_search_indexes migration");
  const sql = await fs.readFile(path.join(dir, name, "migration.sql"), "utf8");
  return { sql, indexes: [...sql.matchAll(/CREATE INDEX (?:IF NOT EXISTS )?"([^"]+)"/g)].map((m) => m[1]!) };
}

async function main() {
  const scratch = await scratchDatabase({ max: 6 });
  const { database } = scratch;
  try {
    const { sql: indexSql, indexes } = await indexMigration();
    // What the indexes cost ingest: one customer's fleet ingested without them, the same fleet as a
    // second customer with them; searches then run in the second customer's scope.
    for (const name of indexes) await database.pool.query(`DROP INDEX "${name}"`);
    const ingestInto = async (name: string) => {
      const customer = await database.prisma.customer.create({ data: { name } });
      const source = await database.prisma.source.create({ data: { customerId: customer.id, kind: "demo", name, endpoint: `demo:${name}` } });
      const [ms] = await timed(() => applySnapshot(source.id, generateFleetSnapshot({ seed: 7, vms, containers }), { database }));
      return { customer, ms };
    };
    const plain = await ingestInto("bench-plain");
    const [firstBuildMs] = await timed(() => database.pool.query(indexSql));
    const { customer, ms: ingestMs } = await ingestInto("bench");
    await database.pool.query("VACUUM ANALYZE");

    // Texts from the fleet itself: the middle VM, container and image by id.
    const one = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => (await database.pool.query<T>(sql, params)).rows[0]!;
    const vm = await one<{ name: string; mac: string | null; ip: string | null }>(
      `SELECT name, mac_addresses[1] AS mac, ip_addresses[1] AS ip FROM virtual_machine
        WHERE cardinality(mac_addresses) > 0 AND cardinality(ip_addresses) > 0 ORDER BY id OFFSET (SELECT count(*) / 2 FROM virtual_machine) LIMIT 1`,
    );
    const container = await one<{ name: string; external_id: string }>(`SELECT name, external_id FROM container ORDER BY id OFFSET (SELECT count(*) / 2 FROM container) LIMIT 1`);
    const image = await one<{ tag: string | null }>(`SELECT repo_tags[1] AS tag FROM image WHERE cardinality(repo_tags) > 0 ORDER BY id LIMIT 1`);
    const ipPrefix = (vm.ip ?? "10.0.0.1").split(".").slice(0, 3).join(".") + ".";
    const idPart = container.external_id.split(":").pop()!;
    const texts: [string, string][] = [
      ["VM name, exact", vm.name],
      ["VM name, middle 4 characters", vm.name.slice(1, 5)],
      ["MAC, dashes, upper case", (vm.mac ?? "00:50:56:00:00:01").replace(/:/g, "-").toUpperCase()],
      ["IP prefix (3 octets)", ipPrefix],
      ["container id, first 12", idPart.slice(0, 12)],
      ["container name, exact", container.name],
      ["image tag", image.tag ?? "nginx"],
      ["two characters", vm.name.slice(0, 2)],
      ["no match", "zzqqxx-nothing"],
    ];
    const counts = await one<{ vms: string; containers: string; images: string; hosts: string }>(
      `SELECT (SELECT count(*) FROM virtual_machine x JOIN source s ON s.id = x.source_id WHERE s.customer_id = $1) AS vms,
              (SELECT count(*) FROM container x JOIN source s ON s.id = x.source_id WHERE s.customer_id = $1) AS containers,
              (SELECT count(*) FROM image x JOIN source s ON s.id = x.source_id WHERE s.customer_id = $1) AS images,
              (SELECT count(*) FROM host x JOIN source s ON s.id = x.source_id WHERE s.customer_id = $1) AS hosts`,
      [customer.id],
    );

    const measure = async () => {
      const out: { ms: number; total: number }[] = [];
      for (const [, q] of texts) {
        const times: number[] = [];
        let total = 0;
        await searchFleet(database, q, { customerIds: [customer.id], limit: 8 }); // warm
        for (let round = 0; round < rounds; round++) {
          const [ms, result] = await timed(() => searchFleet(database, q, { customerIds: [customer.id], limit: 8 }));
          times.push(ms);
          total = result.total;
        }
        out.push({ ms: median(times), total });
      }
      return out;
    };
    const reference = async () => {
      const times: number[] = [];
      for (let round = 0; round < rounds; round++) times.push((await timed(() => database.pool.query("SELECT count(*) FROM container")))[0]);
      return median(times);
    };

    const withIndex = await measure();
    const refWith = await reference();
    for (const name of indexes) await database.pool.query(`DROP INDEX "${name}"`);
    await database.pool.query("ANALYZE");
    const without = await measure();
    const refWithout = await reference();
    const [buildMs] = await timed(() => database.pool.query(indexSql));
    const size = (await database.pool.query<{ bytes: string }>(`SELECT coalesce(sum(pg_relation_size(oid)), 0) AS bytes FROM pg_class WHERE relname = ANY($1::text[])`, [indexes])).rows[0]!;

    console.log(
      `one customer of ${counts.hosts} hosts, ${counts.vms} VMs, ${counts.containers} containers, ${counts.images} images, searched in its scope beside a second like it; p50 of ${rounds} rounds`,
    );
    console.log(`  ingest of one customer: ${(plain.ms / 1000).toFixed(1)} s without the search indexes, ${(ingestMs / 1000).toFixed(1)} s with them (building them on the first: ${(firstBuildMs / 1000).toFixed(1)} s)`);
    console.log(`  ${"search".padEnd(34)} ${"text".padEnd(26)} ${"found".padStart(7)} ${"indexed".padStart(9)} ${"no index".padStart(9)}`);
    texts.forEach(([label, q], i) => {
      const text = q.length > 24 ? `${q.slice(0, 23)}…` : q;
      console.log(`  ${label.padEnd(34)} ${text.padEnd(26)} ${String(withIndex[i]!.total).padStart(7)} ${withIndex[i]!.ms.toFixed(1).padStart(6)} ms ${without[i]!.ms.toFixed(1).padStart(6)} ms`);
    });
    console.log(`  ${"reference: count(*) of containers".padEnd(34)} ${"".padEnd(26)} ${"".padStart(7)} ${refWith.toFixed(1).padStart(6)} ms ${refWithout.toFixed(1).padStart(6)} ms`);
    console.log(`  search indexes (${indexes.length}): built over both customers in ${(buildMs / 1000).toFixed(1)} s, ${(Number(size.bytes) / 1048576).toFixed(0)} MiB`);
  } finally {
    await scratch.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

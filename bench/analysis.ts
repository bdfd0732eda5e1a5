/**
 * bench/analysis: what the dashboard pays for one customer's analysis (read its inventory from
 * PostgreSQL, then density, waste, isolation and verdicts in TypeScript) against two references
 * measured in the same run on the same server:
 *   - COPY of the same rows out of the same tables (the least any reader of them pays), and
 *   - one SQL aggregation of the density totals (what "aggregate in SQL" would cost for density
 *     alone).
 *
 *   npm run bench:analysis                    2k VMs, 20k containers (a large customer)
 *   npm run bench:analysis -- --vms 10000 --containers 100000 --rounds 3
 *
 * Then the first page view's analysis call (customerAnalysis in a process that has not read it yet)
 * when the analysis is stored (after ingest: server/analysis/stored.ts) against when it must be
 * computed (no stored one, or outdated), and the stored row's size.
 *
 * Uses DATABASE_URL's server if set (a scratch database is created and dropped), else an embedded
 * PostgreSQL in a temp dir.
 */
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { to as copyTo } from "pg-copy-streams";
import { analyse } from "../server/analysis";
import { loadInventory } from "../server/analysis/load";
import { DEFAULT_PARAMETERS } from "../server/analysis/parameters";
import { analysesComputed, customerAnalysis, forgetCachedAnalyses } from "../server/analysis/stored";
import { generateFleetSnapshot } from "../server/collectors/demo/fleet";
import { applySnapshot } from "../server/inventory/ingest";
import { arg, median, timed, scratchDatabase } from "./lib";

const vms = arg("vms", 2_000);
const containers = arg("containers", 20_000);
const rounds = arg("rounds", 5);

const TABLES = ["host", "virtual_machine", "virtual_disk", "container", "container_mount", "container_port", "image", "image_layer", "layer"];

const DENSITY_SQL = `
  SELECT count(*) FILTER (WHERE NOT v.template AND v.power_state = 'poweredOn') AS on,
         coalesce(sum(v.vcpus) FILTER (WHERE NOT v.template AND v.power_state = 'poweredOn'), 0) AS vcpus,
         coalesce(sum(v.memory_mib) FILTER (WHERE NOT v.template AND v.power_state = 'poweredOn'), 0) AS vram,
         (SELECT sum(cpu_cores) FROM host h WHERE h.role = 'hypervisor' OR h.vm_id IS NULL) AS cores,
         (SELECT count(*) FROM container c WHERE c.memory_limit_bytes = 0) AS unbounded
    FROM virtual_machine v`;

async function main() {
  const scratch = await scratchDatabase({ max: 2 });
  const { database } = scratch;
  try {
    const customer = await database.prisma.customer.create({ data: { name: "bench" } });
    const source = await database.prisma.source.create({ data: { customerId: customer.id, kind: "demo", name: "bench", endpoint: "demo:bench" } });
    await applySnapshot(source.id, generateFleetSnapshot({ seed: 7, vms, containers }), { database });
    await database.pool.query("VACUUM ANALYZE");

    const copyOut = async () => {
      const client = await database.pool.connect();
      let bytes = 0;
      try {
        for (const table of TABLES) {
          await pipeline(
            client.query(copyTo(`COPY "${table}" TO STDOUT`)),
            new Writable({
              write(chunk: Buffer, _encoding, done) {
                bytes += chunk.length;
                done();
              },
            }),
          );
        }
      } finally {
        client.release();
      }
      return bytes;
    };

    const times = { copy: [] as number[], sql: [] as number[], load: [] as number[], analyse: [] as number[] };
    let verdicts = 0;
    for (let round = 0; round < rounds; round++) {
      times.copy.push((await timed(copyOut))[0]);
      times.sql.push((await timed(() => database.pool.query(DENSITY_SQL)))[0]);
      const [loadMs, inventory] = await timed(() => loadInventory(database, [customer.id]));
      times.load.push(loadMs);
      const [analyseMs, analysis] = await timed(async () => analyse(inventory, DEFAULT_PARAMETERS));
      times.analyse.push(analyseMs);
      verdicts = analysis.migration.verdicts.length;
    }
    const m = (list: number[]) => median(list);
    const total = m(times.load) + m(times.analyse);
    const rows: [string, number][] = [
      ["COPY of the same rows out (reference)", m(times.copy)],
      ["SQL density totals only (reference)", m(times.sql)],
      ["loadInventory (one query per table)", m(times.load)],
      ["analyse (density, waste, isolation, verdicts)", m(times.analyse)],
      ["customer analysis, total", total],
    ];
    console.log(`${vms} VMs, ${containers} containers, ${verdicts} verdicts; medians of ${rounds} rounds`);
    for (const [label, ms] of rows) console.log(`  ${label.padEnd(48)} ${ms.toFixed(0).padStart(7)} ms`);
    console.log(`  total ÷ COPY out: ${(total / m(times.copy)).toFixed(2)}×   total ÷ SQL density: ${(total / m(times.sql)).toFixed(2)}×`);

    // The first page view's call: a process with nothing in memory, with and without a stored analysis.
    const firstView = { computed: [] as number[], stored: [] as number[] };
    let bytes = 0;
    for (let round = 0; round < rounds; round++) {
      await database.pool.query("DELETE FROM customer_analysis");
      forgetCachedAnalyses();
      const computedBefore = analysesComputed();
      firstView.computed.push((await timed(() => customerAnalysis(database, customer.id)))[0]);
      if (analysesComputed() !== computedBefore + 1) throw new Error("the call without a stored analysis did not compute it");
      forgetCachedAnalyses();
      const storedBefore = analysesComputed();
      firstView.stored.push((await timed(() => customerAnalysis(database, customer.id)))[0]);
      if (analysesComputed() !== storedBefore) throw new Error("the call with a stored analysis computed it");
      bytes = (await database.pool.query<{ bytes: number }>("SELECT bytes FROM customer_analysis")).rows[0]!.bytes;
    }
    console.log(`first page view's customerAnalysis, medians of ${rounds} rounds (stored row ${(bytes / 1048576).toFixed(1)} MiB, v8+gzip)`);
    console.log(`  ${"computed (none stored, or outdated)".padEnd(48)} ${m(firstView.computed).toFixed(0).padStart(7)} ms`);
    console.log(`  ${"stored (read and decoded)".padEnd(48)} ${m(firstView.stored).toFixed(0).padStart(7)} ms`);
    console.log(`  stored ÷ computed: ${(m(firstView.stored) / m(firstView.computed)).toFixed(2)}×`);
  } finally {
    await scratch.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

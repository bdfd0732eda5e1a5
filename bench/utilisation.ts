/**
 * bench/utilisation: how fast ingest stores measured use (server/utilisation/store.ts), against
 * PostgreSQL's COPY of the same rows into an empty copy of the same table (same keys), in the same
 * run on the same server; then the same series again (a collection reading an overlapping window:
 * every value already stored), and the analysis figures in SQL over them.
 *
 *   npx tsx bench/utilisation.ts                   2,000 VMs × 5 metrics × 336 half-hours
 *   npx tsx bench/utilisation.ts --vms 500 --values 336
 *
 * Uses DATABASE_URL's server if set (a scratch database is created and dropped), else an embedded
 * PostgreSQL in a temp dir. Prints a table.
 */
import { copyRows } from "../server/inventory/copy";
import { applySnapshot } from "../server/inventory/ingest";
import { parseSnapshot, type SnapshotInput } from "../server/inventory/snapshot";
import { loadUse } from "../server/utilisation/query";
import { SAMPLES, seriesOf, writeUtilisation } from "../server/utilisation/store";
import { pointTime } from "../server/utilisation/series";
import { arg, scratchDatabase } from "./lib";

const vms = arg("vms", 2000);
const values = arg("values", 336);
const METRICS = ["cpu.usage.pct", "cpu.usage.mhz", "cpu.ready.pct", "mem.active.mib", "mem.consumed.mib"] as const;
const seconds = (start: number) => (performance.now() - start) / 1000;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

function snapshot(): SnapshotInput {
  const end = Math.floor(Date.now() / 1_800_000) * 1_800_000;
  const start = new Date(end - (values - 1) * 1_800_000).toISOString();
  let x = 7;
  const next = () => ((x = (x * 1103515245 + 12345) % 2147483648), (x / 2147483648) * 100);
  return {
    collectedAt: new Date(end).toISOString(),
    virtualMachines: Array.from({ length: vms }, (_, i) => ({ externalId: `vm-${i}`, name: `vm${i}`, powerState: "poweredOn" as const, vcpus: 2, memoryMiB: 4096 })),
    utilisation: Array.from({ length: vms }, (_, i) =>
      METRICS.map((metric) => ({ object: "virtualMachine" as const, externalId: `vm-${i}`, metric, intervalSeconds: 1800, start, values: Array.from({ length: values }, next) })),
    ).flat(),
  };
}

async function main() {
  const scratch = await scratchDatabase({ max: 2 });
  const { database } = scratch;
  try {
    const parsed = parseSnapshot(snapshot());
    const customer = await database.prisma.customer.create({ data: { name: "bench" } });
    const source = await database.prisma.source.create({ data: { customerId: customer.id, kind: "demo", name: "bench", endpoint: "demo:bench" } });
    // The inventory first (its VMs, so that the figures have objects to belong to), without the series.
    await applySnapshot(source.id, { ...parsed, utilisation: [] }, { database });
    // The same values as rows of (source, object, metric, interval, time, value): the table a plain
    // time-series design would have, COPYed with its key.
    const rows = seriesOf(parsed).flatMap((s) =>
      s.values.flatMap((value, i) => (value === null ? [] : [[source.id, s.object, s.externalId, s.metric, s.intervalSeconds, new Date(pointTime(s, i)), value]])),
    );
    const client = await database.pool.connect();
    try {
      // Reference: COPY into an empty copy of the table (its primary key, no foreign key).
      await client.query(`CREATE TABLE reference_sample (source_id uuid, object_kind text, external_id text, metric text, interval_s int, at timestamptz(0), value float8,
                            PRIMARY KEY (source_id, object_kind, external_id, metric, interval_s, at))`);
      let t = performance.now();
      await copyRows(client, "reference_sample", ["source_id", "object_kind", "external_id", "metric", "interval_s", "at", "value"], rows);
      const copySeconds = seconds(t);
      // Each write in a transaction of its own, its commit timed with it (ingest writes inside its own).
      const write = async () => {
        await client.query("BEGIN");
        const n = await writeUtilisation(client, source.id, parsed);
        await client.query("COMMIT");
        return n;
      };
      t = performance.now();
      const written = await write();
      const writeSeconds = seconds(t);
      t = performance.now();
      const again = await write();
      const againSeconds = seconds(t);
      t = performance.now();
      const use = await loadUse(client, [customer.id], new Date(parsed.collectedAt), 30);
      const loadSeconds = seconds(t);
      const size = await client.query<{ size: string; reference: string }>(
        `SELECT pg_size_pretty(pg_total_relation_size('utilisation_sample') + pg_total_relation_size('utilisation_series')) AS size,
                pg_size_pretty(pg_total_relation_size('reference_sample')) AS reference`,
      );
      const stored = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${SAMPLES}`);
      console.log(`bench/utilisation: ${fmt(vms)} VMs × ${METRICS.length} metrics × ${fmt(values)} values = ${fmt(rows.length)} rows (power.on included)\n`);
      console.log("| step | rows | seconds | rows/s | vs COPY |");
      console.log("|---|---:|---:|---:|---:|");
      console.log(`| COPY into an empty copy (reference) | ${fmt(rows.length)} | ${copySeconds.toFixed(2)} | ${fmt(rows.length / copySeconds)} | 1.00 |`);
      console.log(`| writeUtilisation, first | ${fmt(written)} | ${writeSeconds.toFixed(2)} | ${fmt(rows.length / writeSeconds)} | ${(copySeconds / writeSeconds).toFixed(2)} |`);
      console.log(`| writeUtilisation, same window again | ${fmt(again)} new | ${againSeconds.toFixed(2)} | ${fmt(rows.length / againSeconds)} | ${(copySeconds / againSeconds).toFixed(2)} |`);
      console.log(`| loadUse (figures in SQL, ${use.size} objects) | ${fmt(rows.length)} | ${loadSeconds.toFixed(2)} | ${fmt(rows.length / loadSeconds)} | |`);
      console.log(`\nstored: ${fmt(Number(stored.rows[0]!.n))} values in ${size.rows[0]!.size} (series and samples); the reference table: ${size.rows[0]!.reference}`);
    } finally {
      client.release();
    }
  } finally {
    await scratch.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

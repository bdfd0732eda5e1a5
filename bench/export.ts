/**
 * bench/export: the virtual machine table's export (server/export/registry.ts's "vms" entry: the
 * router's SQL filter and order, every column) as the export route writes it (server/export/copy.ts:
 * CSV written by Postgres through COPY, xlsx cells read through COPY's text format) and as the
 * row-by-row writers did before (a server-side cursor, every row typed), against PostgreSQL's own
 * `COPY (SELECT …) TO STDOUT CSV` of the same rows and columns in the same order, measured in the
 * same run on the same server. Each contender runs in a fresh child
 * process that reads everything to the end and reports its time, bytes and peak RSS (the parent
 * holds the generated fleet, so its own RSS says nothing).
 *
 *   npm run bench:export                      200,000 VMs
 *   npm run bench:export -- --rows 1000000
 *   npm run bench:export -- --heap 96         each child's V8 heap capped at 96 MiB (default 128)
 *
 * The heap cap makes "constant memory" a pass or fail: an export that held its rows would run out
 * of heap at a few hundred thousand rows; without a cap V8 collects lazily and RSS says little.
 *
 * Uses DATABASE_URL's server if set (a scratch database is created and dropped), else an embedded
 * PostgreSQL in a temp dir.
 */
import { execFileSync } from "node:child_process";
import { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { pipeline } from "node:stream/promises";
import { to as copyTo } from "pg-copy-streams";
import { generateFleetSnapshot } from "../server/collectors/demo/fleet";
import { connect } from "../server/db/client";
import { tableCsvStream, tableXlsxStream } from "../server/export/copy";
import { csvStream } from "../server/export/csv";
import { parseColumns, parseTableFilter, TABLE_EXPORTS } from "../server/export/registry";
import { xlsxStream } from "../server/export/xlsx";
import { applySnapshot } from "../server/inventory/ingest";
import { arg, timed, scratchDatabase } from "./lib";

type Contender = "copy" | "csv" | "xlsx" | "csv-rows" | "xlsx-rows" | "baseline";
interface Result {
  rows: number;
  bytes: number;
  ms: number;
  rssMiB: number;
}

/** The same columns and order as the export of every VM column, sorted by name then id (the table's default). */
const COPY_SQL = `COPY (
  SELECT v.name, CASE WHEN v.template THEN 'yes' ELSE 'no' END, v.hostname, array_to_string(v.ip_addresses, ', '),
         v.power_state, v.vcpus, v.memory_mib, v.provisioned_mib, v.used_mib, v.guest_os_configured,
         v.guest_os_reported, v.guest_os_family, h.name, v.cluster, v.snapshot_count
    FROM virtual_machine v
    JOIN source s ON s.id = v.source_id
    LEFT JOIN host h ON h.id = v.host_id
   WHERE s.customer_id = $CUSTOMER
   ORDER BY v.name ASC, v.id ASC
) TO STDOUT WITH (FORMAT csv, HEADER true)`;

/** Counts the bytes and throws them away. */
function sink(): { stream: Writable; bytes: () => number } {
  let bytes = 0;
  return {
    stream: new Writable({
      write(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done();
      },
    }),
    bytes: () => bytes,
  };
}

async function child(url: string, customerId: string, contender: Contender): Promise<Result> {
  const database = connect(url, { max: 2 });
  try {
    const out = sink();
    let rows = 0;
    const [ms] = await timed(async () => {
      if (contender === "baseline") {
        // What any Prisma query costs the process (the query compiler loaded): the floor under an export's RSS.
        rows = await database.prisma.virtualMachine.count({ where: { source: { customerId } } });
        return;
      }
      if (contender === "copy") {
        const client = await database.pool.connect();
        try {
          const sql = COPY_SQL.replace("$CUSTOMER", `'${customerId.replace(/[^0-9a-f-]/g, "")}'`);
          await pipeline(client.query(copyTo(sql)), out.stream);
          rows = Number((await client.query(`SELECT count(*) FROM virtual_machine v JOIN source s ON s.id = v.source_id WHERE s.customer_id = $1`, [customerId])).rows[0].count);
        } finally {
          client.release();
        }
        return;
      }
      const table = TABLE_EXPORTS.vms;
      const filter = parseTableFilter(table, new URLSearchParams());
      const columns = parseColumns(table, new URLSearchParams());
      if (!filter.ok || !columns.ok) throw new Error("bad export parameters");
      const source = await table.rows(database, customerId, filter.value);
      rows = source.total;
      const sheet = { sheet: "Virtual machines" };
      // What the export route sends (COPY-written CSV, COPY-read xlsx), and the row-by-row writers it replaced (a cursor, every row typed).
      const body =
        contender === "csv"
          ? tableCsvStream(source, columns.value.columns)
          : contender === "xlsx"
            ? tableXlsxStream(source, columns.value.columns, sheet)
            : contender === "csv-rows"
              ? csvStream(source.rows, columns.value.columns)
              : xlsxStream(source.rows, columns.value.columns, sheet);
      await pipeline(Readable.fromWeb(body as import("node:stream/web").ReadableStream<Uint8Array>), out.stream);
    });
    return { rows, bytes: out.bytes(), ms, rssMiB: process.resourceUsage().maxRSS / 1024 };
  } finally {
    await database.close();
  }
}

async function main() {
  const rows = arg("rows", 200_000);
  const heap = arg("heap", 128);
  const scratch = await scratchDatabase({ max: 4 });
  const { database } = scratch;
  const url = scratch.url;
  try {
    const customer = await database.prisma.customer.create({ data: { name: "bench" } });
    const source = await database.prisma.source.create({ data: { customerId: customer.id, kind: "demo", name: "bench", endpoint: "demo:bench" } });
    const [ingestMs] = await timed(() => applySnapshot(source.id, generateFleetSnapshot({ seed: 7, vms: rows, containers: 0 }), { database }));
    await database.pool.query("VACUUM ANALYZE");
    console.log(`${rows.toLocaleString("en")} VMs ingested in ${(ingestMs / 1000).toFixed(1)} s`);

    const run = (contender: Contender): Result =>
      JSON.parse(
        execFileSync(process.execPath, [`--max-old-space-size=${heap}`, ...process.execArgv, fileURLToPath(import.meta.url), "--child", url, customer.id, contender], {
          encoding: "utf8",
          maxBuffer: 1024 * 1024,
        }).trim().split("\n").pop()!,
      ) as Result;
    // COPY first and last: the server's cache is warm for everyone, and the reference is the better of two.
    const copyA = run("copy");
    const csv = run("csv");
    const xlsx = run("xlsx");
    const csvRows = run("csv-rows");
    const xlsxRows = run("xlsx-rows");
    const copyB = run("copy");
    const copy = copyA.ms <= copyB.ms ? copyA : copyB;
    const baseline = run("baseline");

    const rate = (r: Result) => r.rows / (r.ms / 1000);
    const line = (name: string, r: Result) =>
      `${name.padEnd(34)} ${r.rows.toLocaleString("en").padStart(10)} ${(r.ms / 1000).toFixed(2).padStart(8)} ${Math.round(rate(r)).toLocaleString("en").padStart(10)} ${(rate(r) / rate(copy)).toFixed(2).padStart(8)} ${(r.bytes / 1024 / 1024).toFixed(1).padStart(9)} ${r.rssMiB.toFixed(0).padStart(9)}`;
    console.log(`\n${"contender".padEnd(34)} ${"rows".padStart(10)} ${"s".padStart(8)} ${"rows/s".padStart(10)} ${"× COPY".padStart(8)} ${"MiB out".padStart(9)} ${"peak RSS".padStart(9)}`);
    console.log(line("COPY (SELECT …) TO STDOUT CSV", copy));
    console.log(line("export vms CSV", csv));
    console.log(line("export vms xlsx", xlsx));
    console.log(line("  before: CSV row by row (cursor)", csvRows));
    console.log(line("  before: xlsx row by row (cursor)", xlsxRows));
    console.log(`\neach child with a ${heap} MiB V8 heap cap; peak RSS includes Node, tsx and the Prisma client: one Prisma count alone peaks at ${baseline.rssMiB.toFixed(0)} MiB`);
    console.log(`above that floor: CSV ${(csv.rssMiB - baseline.rssMiB).toFixed(0)} MiB, xlsx ${(xlsx.rssMiB - baseline.rssMiB).toFixed(0)} MiB`);
    console.log(`goals: ≥ 0.5× COPY (CSV ${(rate(csv) / rate(copy)).toFixed(2)}×, xlsx ${(rate(xlsx) / rate(copy)).toFixed(2)}×), peak RSS < 250 MiB (CSV ${csv.rssMiB.toFixed(0)}, xlsx ${xlsx.rssMiB.toFixed(0)})`);
    for (const r of [csv, xlsx, csvRows, xlsxRows]) if (r.rows !== copy.rows) throw new Error(`row counts differ: ${r.rows} against COPY's ${copy.rows}`);
  } finally {
    await scratch.drop();
  }
}

const childAt = process.argv.indexOf("--child");
if (childAt >= 0) {
  const [url, customerId, contender] = process.argv.slice(childAt + 1) as [string, string, Contender];
  child(url, customerId, contender).then(
    (result) => {
      console.log(JSON.stringify(result));
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

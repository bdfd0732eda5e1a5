/**
 * The inventory exports written by Postgres through COPY (server/export/copy.ts) against the
 * row-by-row writers they replaced, on real Postgres: the SQL formula rule equals formula.ts's for
 * every code point, the SQL number text equals JavaScript's String(number), the CSV is byte for byte
 * the row-by-row file on hostile cells (formulas behind spaces, quotes and full-width forms, quotes,
 * commas, line breaks, tabs, backslashes, tiny and huge numbers) under filters whose values must be
 * quoted, the xlsx reads back the same cells, and a download cancelled mid-COPY stops the COPY and
 * gives its connection back.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readXlsx } from "../../server/collectors/rvtools/xlsx";
import { ZIP_LIMITS } from "../../server/collectors/rvtools/zip";
import { FORMULA_PATTERN, sqlJsNumber, sqlStartsLikeFormula, tableCsvStream, tableXlsxStream } from "../../server/export/copy";
import { csvStream } from "../../server/export/csv";
import { startsLikeFormula } from "../../server/export/formula";
import { parseColumns, parseTableFilter, TABLE_EXPORTS, type ExportTableName } from "../../server/export/registry";
import { xlsxStream } from "../../server/export/xlsx";
import { applySnapshot } from "../../server/inventory/ingest";
import type { SnapshotInput } from "../../server/inventory/snapshot";
import { smallSnapshot } from "../fixtures/snapshots";
import { createTestDatabase, type TestDatabase } from "./db";

/** Cells a spreadsheet could run, or a CSV reader could split, and their near misses. */
const HOSTILE = [
  "=cmd|' /C calc'!A0",
  "  =1+1",
  '"=1+1"',
  "\u3000＋1",
  "\u00a0-2",
  "\t1",
  "x\rcarriage",
  "@SUM(A1)",
  "a,b",
  'say "hi"',
  "two\nlines",
  "back\\slash",
  "\\.",
  "a=1",
  "1-2",
  "ｘ＝",
  "'quoted",
  "Müller & Söhne <ltd>",
  "⁼superscript",
  "bell\u0007and\u001fcontrols",
  "non\ufffecharacters\uffff",
  "emoji 😀 pair",
];
/** Joined cells longer than a spreadsheet cell holds (32,767 UTF-16 units): plain, and where pairs sit across the cut. */
const LONG_IPS = [Array.from({ length: 9 }, (_, i) => `${i}`.repeat(4000)), Array.from({ length: 10 }, () => "😀".repeat(4000)), ["a", "😀".repeat(4096), "b".repeat(4096)]];
const FLOATS = [0, 0.00001, 1e-7, 0.0001, 0.1, 1.5, 123456.789, 1e12, 1e-4 + 1e-19, 5e-324];

let t: TestDatabase;
let customerId: string;
let dir: string;

function fleet(): SnapshotInput {
  const base = smallSnapshot({ vms: 3 * HOSTILE.length, containers: FLOATS.length });
  base.hosts = [...(base.hosts ?? []), { externalId: "host-x", name: "=HYPERLINK(\"x\")", role: "hypervisor", platform: "esxi", cpuCores: 1, memoryMiB: 0.00001 }];
  base.virtualMachines = (base.virtualMachines ?? []).map((vm, i) => ({
    ...vm,
    name: `${HOSTILE[i % HOSTILE.length]}${i >= HOSTILE.length ? ` ${i}` : ""}`,
    hostname: i % 4 === 0 ? null : HOSTILE[(i + 3) % HOSTILE.length]!,
    ipAddresses: i < LONG_IPS.length ? LONG_IPS[i]! : i % 5 === 0 ? [] : ["10.0.0.1", HOSTILE[(i + 5) % HOSTILE.length]!],
    cluster: i % 3 === 0 ? undefined : HOSTILE[(i + 7) % HOSTILE.length],
    memoryMiB: FLOATS[i % FLOATS.length]!,
    provisionedMiB: i % 2 ? FLOATS[(i + 1) % FLOATS.length]! : null,
    usedMiB: FLOATS[(i + 2) % FLOATS.length]!,
    powerState: i % 3 === 0 ? ("poweredOff" as const) : ("poweredOn" as const),
    template: i % 6 === 0,
    hostExternalId: i % 7 === 0 ? undefined : i % 2 ? "host-x" : "host-1",
  }));
  base.containers = (base.containers ?? []).map((c, i) => ({
    ...c,
    name: HOSTILE[i % HOSTILE.length]!,
    memoryLimitBytes: [0, 1, 536870912, Number.MAX_SAFE_INTEGER][i % 4]!,
    nanoCpus: [0, 1, 999, 1000, 250_000_000, 1e9, 123_456_789_012][i % 7]!,
    user: HOSTILE[(i + 2) % HOSTILE.length]!,
  }));
  return base;
}

beforeAll(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), "fleetlens-export-copy-"));
  customerId = (await t.prisma.customer.create({ data: { name: "Acme" } })).id;
  const source = await t.prisma.source.create({ data: { customerId, kind: "demo", name: "acme", endpoint: "demo:acme" } });
  await applySnapshot(source.id, fleet(), { database: t });
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await t.drop();
});

/** The promise's value, or a failure naming the step that took longer than `ms` (a test time-out names none). */
async function within<T>(step: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${step} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function bytes(body: ReadableStream<Uint8Array>): Promise<Buffer> {
  return Buffer.from(await new Response(body).arrayBuffer());
}

async function exportOf(name: ExportTableName, query: string) {
  const table = TABLE_EXPORTS[name];
  const params = new URLSearchParams(query);
  const filter = parseTableFilter(table, params);
  const columns = parseColumns(table, params);
  if (!filter.ok || !columns.ok) throw new Error(`bad query ${query}`);
  // Two reads of the same rows: one for each writer (the cursor's rows can be read once).
  return { first: await table.rows(t, customerId, filter.value), second: await table.rows(t, customerId, filter.value), columns: columns.value.columns };
}

describe("SQL that computes cells as JavaScript does", () => {
  it("the formula rule matches formula.ts for every code point, alone, before '=' and before a letter", async () => {
    for (const suffix of ["", "=", "a", " -"]) {
      const { rows } = await t.pool.query<{ c: number }>(
        `SELECT c FROM generate_series(1, 1114111) AS c WHERE (c < 55296 OR c > 57343) AND ${sqlStartsLikeFormula("(chr(c) || $1::text)")} ORDER BY c`,
        [suffix],
      );
      const expected: number[] = [];
      for (let c = 1; c <= 0x10ffff; c++) if ((c < 0xd800 || c > 0xdfff) && startsLikeFormula(String.fromCodePoint(c) + suffix)) expected.push(c);
      expect(rows.map((r) => r.c), `suffix "${suffix}"`).toEqual(expected);
      // Not vacuous: the 17 triggers, and tab and CR, at least.
      expect(expected.length).toBeGreaterThanOrEqual(19);
    }
    expect(FORMULA_PATTERN.startsWith("^")).toBe(true);
  }, 120_000);

  it("numbers read as String(number) does, across every exponent (Postgres switches to exponents at 1e-4 and 1e15, JavaScript at 1e-6 and 1e21)", async () => {
    const values: number[] = [0, -0, 1, -1, 0.1, 1e-4, 9.99e-5, 1e-5, 1.5e-6, 1e-6, 9.9e-7, 1e-7, 1e15, 1e15 + 0.5, 123456789012345680, 1e21, 1.5e21, 5e-324, Number.MAX_VALUE, -2.5e-8];
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    // Up to 1e21: past it (no stored figure gets there: MiB ≤ 1e12, bytes ≤ 2^53) Postgres may write
    // 17 digits where JavaScript writes fewer (7e+22 as 7.0000000000000004e+22), the same double.
    for (let e = -30; e <= 20; e++) for (let k = 0; k < 8; k++) values.push((random() < 0.2 ? -1 : 1) * Number((random() * 10).toPrecision(1 + (k % 17))) * 10 ** e);
    const { rows } = await t.pool.query<{ text: string }>(`SELECT ${sqlJsNumber("x")} AS text FROM unnest($1::float8[]) WITH ORDINALITY AS u(x, i) ORDER BY i`, [values]);
    expect(rows.map((r) => r.text)).toEqual(values.map((v) => String(v)));
    const special = await t.pool.query<{ text: string }>(`SELECT ${sqlJsNumber("x")} AS text FROM unnest('{NaN,Infinity,-Infinity}'::float8[]) WITH ORDINALITY AS u(x, i) ORDER BY i`);
    expect(special.rows.map((r) => r.text)).toEqual(["NaN", "Infinity", "-Infinity"]);
  });
});

describe("CSV written by COPY", () => {
  it.each([
    ["vms", ""],
    ["vms", "sort=cluster&dir=desc&powerState=poweredOn"],
    ["vms", `search=${encodeURIComponent("o'b\\%_")}&template=false&columns=name,host,memoryMiB`],
    ["vms", `search=${encodeURIComponent("  =1+1")}&columns=name,cluster`],
    ["vms", "sort=host&columns=snapshotCount,provisionedMiB"],
    ["vms", "columns=cluster"],
    ["hosts", "sort=virtualMachines&dir=desc"],
    ["containers", "sort=memoryLimitBytes&dir=desc"],
  ] as [ExportTableName, string][])("%s?%s is byte for byte the row-by-row file", async (name, query) => {
    const { first, second, columns } = await exportOf(name, query);
    const copied = await bytes(tableCsvStream(first, columns));
    const rows = await bytes(csvStream(second.rows, columns));
    expect(copied.toString("utf8")).toBe(rows.toString("utf8"));
    expect(copied.equals(rows)).toBe(true);
    // Not vacuous: the file has every row the query counts.
    expect(copied.toString("utf8").split("\n").length).toBeGreaterThanOrEqual(first.total + 1);
  });

  it("neutralises the hostile cells (the apostrophe), keeps the near misses as they are, numbers as JavaScript writes them", async () => {
    const { first, columns } = await exportOf("vms", "columns=name,memoryMiB");
    const text = (await bytes(tableCsvStream(first, columns))).toString("utf8");
    expect(text).toContain(`\n'=cmd|' /C calc'!A0,`);
    expect(text).toContain("'  =1+1,");
    expect(text).toContain("'\u3000＋1,");
    expect(text).toContain("\na=1,");
    expect(text).toContain("\n1-2,");
    expect(text).toContain(",0.00001\n");
    expect(text).toContain(",1e-7\n");
    expect(text).toContain(",1000000000000\n");
  });
});

describe("xlsx read through COPY", () => {
  it.each([
    ["vms", "sort=cluster&dir=desc"],
    ["hosts", ""],
    ["containers", "columns=name,memoryLimitBytes,nanoCpus,privileged"],
  ] as const)("%s?%s reads back the cells of the row-by-row workbook", async (name, query) => {
    const { first, second, columns } = await exportOf(name, query);
    const read = async (body: ReadableStream<Uint8Array>, file: string) => {
      await writeFile(path.join(dir, file), await bytes(body));
      const book = await readXlsx(path.join(dir, file), ZIP_LIMITS);
      try {
        const tab = book.tabs[0]!;
        const rows: unknown[][] = [];
        for await (const row of tab.rows) rows.push(tab.header.map((_, i) => row.cells[i] ?? null));
        return { header: tab.header, rows };
      } finally {
        await book.close();
      }
    };
    const copied = await read(tableXlsxStream(first, columns), `${name}-copy.xlsx`);
    const rows = await read(xlsxStream(second.rows, columns), `${name}-rows.xlsx`);
    expect(copied.rows.length).toBe(first.total);
    expect(copied).toEqual(rows);
    if (name === "vms") {
      // Not vacuous: the joined addresses were cut to a cell's 32,767 units, a pair never split.
      const cells = copied.rows.flat().filter((c): c is string => typeof c === "string");
      expect(cells.filter((c) => c.length > 32_000).map((c) => [c.length, c.at(-1)])).toEqual(
        expect.arrayContaining([[32_767, "8"], [32_766, "😀".at(-1)]]),
      );
      expect(cells).toContain("bellandcontrols");
    }
  });
});

describe("a download cancelled mid-COPY", () => {
  const VMS = 3_000;
  it("stops the COPY on the server and gives no connection back to the pool half-read", async () => {
    // Enough rows that COPY's output fills the socket's buffers: the server is still sending when the reader goes.
    // Few rows with long cells: a 30,000-VM ingest took 14-18 s on a busy 2-core machine and once,
    // in CI, ran the test past its time limit.
    const many = smallSnapshot({ vms: VMS, containers: 0 });
    // About 8 kB a row: 24 MB, far more than the socket buffers between the server and us hold.
    many.virtualMachines = many.virtualMachines!.map((vm, i) => ({ ...vm, ipAddresses: Array.from({ length: 500 }, (_, k) => `10.${k % 250}.${i % 250}.${i % 200}`) }));
    const other = (await t.prisma.customer.create({ data: { name: "Big" } })).id;
    const source = await t.prisma.source.create({ data: { customerId: other, kind: "demo", name: "big", endpoint: "demo:big" } });
    await within("the ingest", 60_000, applySnapshot(source.id, many, { database: t }));
    const table = TABLE_EXPORTS.vms;
    const filter = parseTableFilter(table, new URLSearchParams());
    const columns = parseColumns(table, new URLSearchParams());
    if (!filter.ok || !columns.ok) throw new Error("bad query");
    const copying = () =>
      t.pool
        .query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY (SELECT%' AND pid <> pg_backend_pid()")
        .then((r) => r.rows[0]!.n);

    for (const format of ["csv", "xlsx"] as const) {
      const source = await table.rows(t, other, filter.value);
      const body = format === "csv" ? tableCsvStream(source, columns.value.columns) : tableXlsxStream(source, columns.value.columns);
      const reader = body.getReader();
      // Past the header (and the workbook's small parts): the COPY is streaming.
      for (let received = 0; received < 256 * 1024; ) {
        const chunk = await within(`a ${format} read`, 20_000, reader.read());
        expect(chunk.done).toBe(false);
        received += chunk.value!.length;
      }
      expect(await copying()).toBe(1);
      await within(`cancelling the ${format} body`, 10_000, reader.cancel());
      await expect.poll(copying, { timeout: 10_000 }).toBe(0);
      await expect.poll(() => t.pool.totalCount - t.pool.idleCount, { timeout: 5_000 }).toBe(0);
    }
    // Read to the end, the connection goes back to the pool in working order.
    const source2 = await table.rows(t, other, filter.value);
    const all = await within("reading the whole CSV", 30_000, bytes(tableCsvStream(source2, columns.value.columns)));
    expect(all.toString("utf8").split("\n").length).toBe(VMS + 2);
    expect((await t.pool.query<{ n: number }>("SELECT 1 AS n")).rows[0]!.n).toBe(1);
  }, 120_000);
});

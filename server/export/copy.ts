/**
 * The inventory tables' exports through PostgreSQL's COPY: the table's own query (inventory-tables.ts:
 * the same FROM, WHERE and ORDER BY as its tRPC procedure) run as `COPY (SELECT …) TO STDOUT` with
 * pg-copy-streams, and the bytes streamed out as they come.
 *
 * - CSV: Postgres writes the file's lines itself (FORMAT csv): each cell computed in SQL exactly as
 *   csv.ts's csvField would write it (text neutralised against formulas by the same rule as
 *   formula.ts, numbers as JavaScript prints them, nothing for null or ""), so the file is
 *   byte-identical to the row-by-row writer's for the same rows, at the speed of COPY (bench/export.ts).
 * - xlsx: Postgres sends the cells as text (FORMAT text, no type parsing in JavaScript), made into
 *   worksheet rows bytes to bytes (xlsx-rows.ts).
 *
 * A column takes part when it says how Postgres computes it (ExportColumn.sql, an expression over the
 * table query's select list); a table whose chosen columns all do is exported this way, any other
 * (the analysis tables) row by row as before.
 *
 * COPY takes no bind parameters: the WHERE clause's ($1, $2, …) are written in as literals, each a
 * value that passed the table's zod schema, quoted by pg's escapeLiteral (strings; booleans as TRUE /
 * FALSE). Only the WHERE clause holds parameters; column expressions and ORDER BY come from code.
 *
 * Constant memory and disconnects: pg-copy-streams stops reading the socket while its reader has not
 * taken the last chunk (TCP holds Postgres back), and a download cancelled mid-COPY closes that
 * connection (destroyed, not pooled): Postgres ends the COPY when its next write fails.
 */
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import type { TableQuery } from "../api/inventory-tables";
import { chunkStream, csvHeader, csvStream, type ExportColumn } from "./csv";
import type { ExportRows } from "./inventory";
import { xlsxCellStream, xlsxStream, type XlsxOptions } from "./xlsx";
import { CopyRowsXml } from "./xlsx-rows";
import type { XlsxRowElements } from "./xlsx-writer";

/** How Postgres computes one export cell: text, or a number (integer or double precision). */
export interface SqlCell {
  kind: "text" | "integer" | "float";
  /** An expression over the table query's select list, its aliases written q.<alias> (q.name, q.host_name). */
  expr: string;
}

export const sqlText = (expr: string): SqlCell => ({ kind: "text", expr });
export const sqlInteger = (expr: string): SqlCell => ({ kind: "integer", expr });
export const sqlFloat = (expr: string): SqlCell => ({ kind: "float", expr });

/** A value as an SQL literal: strings quoted by pg, booleans and finite numbers as written. */
export function sqlLiteral(value: unknown): string {
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "string" && !value.includes("\0")) return pg.escapeLiteral(value);
  throw new Error(`export: no SQL literal for ${typeof value === "string" ? "text with NUL" : typeof value}`);
}

/** `CASE expr WHEN 'key' THEN 'label' … ELSE fallback END`: a label map written once, in JavaScript. */
export function sqlLabels(expr: string, labels: Record<string, string>, fallback: "value" | "null"): string {
  const whens = Object.entries(labels).map(([key, label]) => `WHEN ${sqlLiteral(key)} THEN ${sqlLiteral(label)}`);
  return `CASE ${expr} ${whens.join(" ")} ELSE ${fallback === "value" ? `${expr}::text` : "NULL"} END`;
}

/** `CASE WHEN expr THEN 'yes' ELSE 'no' END`, as inventory.ts's yesNo. */
export const sqlYesNo = (expr: string) => `CASE WHEN ${expr} THEN 'yes' ELSE 'no' END`;

/**
 * formula.ts's startsLikeFormula as a POSIX (ARE) regular expression: the characters it skips (any
 * Unicode whitespace, invisible format characters, quotes) then a tab, a carriage return, or a
 * character whose NFKC form is = + - or @ (the full-width, small, superscript and subscript forms
 * and U+FB29). tests/integration/export-copy.test.ts checks it against the JavaScript for every
 * code point.
 */
export const FORMULA_PATTERN =
  String.raw`^[\t\n\u000b\f\r "'\u00a0\u00ab\u00bb\u1680\u180e\u2000-\u200d\u2018-\u201f\u2028\u2029\u202f\u2039\u203a\u205f\u2060\u275b-\u275e\u3000\u301d-\u301f\ufeff\uff02\uff07]*` +
  String.raw`[-\t\r+=@\u207a\u207c\u208a\u208c\ufb29\ufe62\ufe63\ufe66\ufe6b\uff0b\uff0d\uff1d\uff20]`;
const FORMULA_LITERAL = sqlLiteral(FORMULA_PATTERN);

/** Whether Postgres' text `x` starts like a formula; an ASCII letter or digit first is the quick no, as in formula.ts. */
export function sqlStartsLikeFormula(x: string): string {
  return `(NOT coalesce(${plainStart(x)}, false) AND ${x} ~ ${FORMULA_LITERAL})`;
}

/** Whether text `x` starts with an ASCII letter or digit (null for null). */
const plainStart = (x: string) => `(ascii(${x}) BETWEEN 48 AND 57 OR (ascii(${x}) | 32) BETWEEN 97 AND 122)`;

/**
 * A double precision as JavaScript's String(number) writes it. Postgres (extra_float_digits 1, the
 * default, set for the export) writes the same shortest digits, and the same text from 1e-4 to 1e15;
 * outside that range it uses an exponent (1e-05, 1e+15) where JavaScript writes 0.00001 and
 * 1000000000000000 up to 1e21: there the digits are laid out again by JavaScript's rule (ECMA-262
 * Number::toString). NaN and ±Infinity read the same in both. Past 1e21, where no stored figure
 * goes (MiB ≤ 1e12, bytes ≤ 2^53), Postgres may write 17 digits where JavaScript writes fewer
 * (7.0000000000000004e+22 for 7e+22): the same double.
 */
export function sqlJsNumber(x: string): string {
  // No subquery (a SubPlan would keep the expression out of parallel workers): the rare branch
  // matches the exponent form again for each part it needs.
  const m = `regexp_match(${x}::text, '^(-?)(\\d)(?:\\.(\\d+))?e([-+]\\d+)$')`;
  const sign = `(${m})[1]`;
  const d = `(${m})[2]`;
  const rest = `(${m})[3]`;
  const s = `(${d} || coalesce(${rest}, ''))`;
  const n = `((${m})[4]::int + 1)`;
  const relaid =
    `CASE WHEN ${d} IS NULL THEN ${x}::text ` +
    `WHEN ${n} BETWEEN length(${s}) AND 21 THEN ${sign} || ${s} || repeat('0', ${n} - length(${s})) ` +
    `WHEN ${n} BETWEEN 1 AND 21 THEN ${sign} || left(${s}, ${n}) || '.' || substr(${s}, ${n} + 1) ` +
    `WHEN ${n} BETWEEN -5 AND 0 THEN ${sign} || '0.' || repeat('0', -${n}) || ${s} ` +
    `ELSE ${sign} || ${d} || coalesce('.' || ${rest}, '') || 'e' || CASE WHEN ${n} >= 1 THEN '+' ELSE '-' END || abs(${n} - 1) END`;
  return `CASE WHEN ${x} = 0 THEN '0' WHEN abs(${x}) >= 1e-4 AND abs(${x}) < 1e15 THEN ${x}::text ELSE ${relaid} END`;
}

/** A cell as csv.ts's csvField writes it, before quoting (COPY quotes as it does): null for nothing. */
function csvCellSql(cell: SqlCell, x: string): string {
  if (cell.kind === "integer") return x;
  if (cell.kind === "float") return sqlJsNumber(x);
  // Text: an ASCII letter or digit first is the common case, and plain; a formula gets its
  // apostrophe; "" is an empty field (COPY would write "" for it).
  return `CASE WHEN ${plainStart(x)} THEN ${x} WHEN ${x} ~ ${FORMULA_LITERAL} THEN '''' || ${x} ELSE NULLIF(${x}, '') END`;
}

/** The parts of a table query COPY needs. */
export type CopyQuery = Pick<TableQuery<unknown>, "select" | "from" | "where" | "orderBy" | "values">;

/** The query's WHERE with its parameters written in as literals; null when it cannot be (a value with NUL: the cursor path refuses it as before). */
function literalWhere(query: CopyQuery): string | null {
  if (/\$\d/.test(query.select + query.from + query.orderBy)) return null;
  try {
    return query.where.replace(/\$(\d+)/g, (_, n: string) => sqlLiteral(query.values[Number(n) - 1]));
  } catch {
    return null;
  }
}

/** The columns' SQL, when every column has one. */
function cellsOf<R>(columns: readonly ExportColumn<R>[]): SqlCell[] | null {
  const cells = columns.map((c) => c.sql);
  return cells.every((c): c is SqlCell => c !== undefined) ? cells : null;
}

/**
 * `SELECT <cells> FROM <the table's FROM> CROSS JOIN LATERAL (SELECT <its select list>) q WHERE …
 * ORDER BY …`: the cells are expressions over the select list's aliases (q.name, q.host_name), and
 * ORDER BY may name them too (the hosts' vm_count). Postgres flattens the lateral subquery, so the
 * cells are computed where the rows are, by parallel workers for a large table, as COPY of the bare
 * columns is (a subquery around the ordered query would compute them in one process, after the sort).
 */
function copySql(query: CopyQuery, where: string, cells: string[], options: string): string {
  return `COPY (SELECT ${cells.join(", ")} FROM ${query.from} CROSS JOIN LATERAL (SELECT ${query.select}) q WHERE ${where} ORDER BY ${query.orderBy}) TO STDOUT WITH (${options})`;
}

/**
 * The COPY's bytes as they arrive, on a connection of its own taken when the first chunk is asked
 * for. Stopped early (return(), a cancelled download) or failed, the connection is destroyed rather
 * than pooled: it is mid-COPY, and closing it is what makes Postgres stop.
 */
export async function* copyChunks(pool: pg.Pool, sql: string): AsyncGenerator<Buffer> {
  const client = await pool.connect();
  let finished = false;
  try {
    // The float text sqlJsNumber expects (the default; a session could have changed it).
    await client.query("SET extra_float_digits = 1");
    for await (const chunk of client.query(copyTo(sql, { highWaterMark: 1 << 20 })) as AsyncIterable<Buffer>) yield chunk;
    finished = true;
  } finally {
    client.release(finished ? undefined : new Error("export stopped during COPY"));
  }
}

/** The CSV body (csv.ts's header line, then COPY's lines) when Postgres can write every cell; null otherwise. */
export function copyCsvChunks<R>(pool: pg.Pool, query: CopyQuery, columns: readonly ExportColumn<R>[], header: string): AsyncGenerator<Buffer> | null {
  const cells = cellsOf(columns);
  const where = literalWhere(query);
  // COPY quotes a lone \. in a one-column file (an end-of-data marker to old readers); csvField does not.
  if (!cells || where === null || cells.length < 2) return null;
  const sql = copySql(
    query,
    where,
    cells.map((cell, i) => csvCellSql(cell, `(${cell.expr})`) + ` AS c${i}`),
    "FORMAT csv",
  );
  return (async function* () {
    yield Buffer.from(header, "utf8");
    yield* copyChunks(pool, sql);
  })();
}

/** A cell as COPY's text format sends it for the xlsx rows: text as is, numbers as JavaScript writes them. */
function textCellSql(cell: SqlCell, x: string): string {
  return cell.kind === "float" ? sqlJsNumber(x) : `${x}::text`;
}

/**
 * The rows as `<row>` elements for the xlsx writer, made by xlsx-rows.ts from COPY's text format
 * (text as is, numbers as JavaScript writes them, `\N` for null) when Postgres can compute every
 * cell; null otherwise.
 */
export function copyRowElements<R>(pool: pg.Pool, query: CopyQuery, columns: readonly ExportColumn<R>[]): XlsxRowElements | null {
  const cells = cellsOf(columns);
  const where = literalWhere(query);
  if (!cells || where === null) return null;
  const sql = copySql(
    query,
    where,
    cells.map((cell, i) => textCellSql(cell, `(${cell.expr})`) + ` AS c${i}`),
    "FORMAT text",
  );
  const xml = new CopyRowsXml(
    cells.map((cell) => cell.kind !== "text"),
    2,
  );
  const elements = (async function* () {
    for await (const chunk of copyChunks(pool, sql)) yield* xml.push(chunk);
    yield* xml.end();
  })();
  return { elements, count: () => xml.lastRow - 1 };
}

/** A table export's CSV body: written by Postgres through COPY when it can be, else row by row (csv.ts). */
export function tableCsvStream<R>(source: ExportRows<R>, columns: readonly ExportColumn<R>[]): ReadableStream<Uint8Array> {
  const copied = source.copy && copyCsvChunks(source.copy.pool, source.copy.query, columns, csvHeader(columns));
  return copied ? chunkStream(copied) : csvStream(source.rows, columns);
}

/** A table export's xlsx body: its cells read through COPY when Postgres can compute them, else row by row (xlsx.ts). */
export function tableXlsxStream<R>(source: ExportRows<R>, columns: readonly ExportColumn<R>[], options: XlsxOptions = {}): ReadableStream<Uint8Array> {
  const copied = source.copy && copyRowElements(source.copy.pool, source.copy.query, columns);
  return copied
    ? xlsxCellStream(
        columns.map((c) => c.header),
        copied,
        options,
      )
    : xlsxStream(source.rows, columns, options);
}

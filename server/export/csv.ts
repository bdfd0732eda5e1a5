/**
 * CSV streaming: rows in, a web `Response` body out, one row at a time, so a customer with a
 * hundred thousand workloads costs the same memory as one with ten.
 *
 * Every string cell is neutralised against formula injection (OWASP "CSV Injection", see
 * formula.ts): a cell whose first character that counts (after whitespace and quotes, which some
 * imports trim) is = + - or @ (or a full-width form), or that has a tab or carriage return before
 * it, gets a leading apostrophe, so Excel, LibreOffice and Google Sheets show it as text instead of
 * running it. Numbers are written as numbers: -160 is a figure, not a formula.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { stringify } from "csv-stringify";
import { neutraliseFormula } from "./formula";

/** One cell of an exported table: text, a number, or nothing. */
export type ExportCell = string | number | null | undefined;
export type CsvCell = ExportCell;

/** One column of an exported table (CSV or xlsx, xlsx.ts): its header (plain words) and how a row fills it. */
export interface ExportColumn<T> {
  header: string;
  cell: (row: T) => ExportCell;
}
/** The name the CSV exports first gave their columns. */
export type CsvColumn<T> = ExportColumn<T>;

export { neutraliseFormula, startsLikeFormula } from "./formula";

/** The stream of CSV bytes for these rows: BOM, header row, then one line per row as it is read. */
export function csvStream<T>(rows: Iterable<T> | AsyncIterable<T>, columns: readonly CsvColumn<T>[]): ReadableStream<Uint8Array> {
  const stringifier = stringify({
    // A UTF-8 byte order mark first: without it Excel reads the file as the system's legacy code
    // page and turns "Müller" or "Société" into mojibake.
    bom: true,
    header: true,
    columns: columns.map((column, index) => ({ key: String(index), header: column.header })),
    // Only strings are neutralised; numbers keep the default cast and stay numbers (-160 → -160).
    cast: { string: (value) => neutraliseFormula(value) },
  });
  // Rows are turned into records lazily, as the stringifier asks for them: pipeline honours the
  // stringifier's backpressure, and the consumer pulls from the stringifier below.
  const records = Readable.from(
    (async function* () {
      for await (const row of rows) yield columns.map((column) => column.cell(row) ?? null);
    })(),
  );
  const done = pipeline(records, stringifier);
  done.catch(() => {
    // Surfaced to the consumer through the stringifier's iterator, which fails with the same error.
  });
  const output = stringifier[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done: finished } = await output.next();
        if (finished) controller.close();
        else controller.enqueue(typeof value === "string" ? encoder.encode(value) : new Uint8Array(value));
      },
      async cancel() {
        // The reader went away (download cancelled): stop reading rows.
        stringifier.destroy();
        await output.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

/** A slug for a file name: lower-case letters, digits and '-', never empty, never a quote. */
export function fileSlug(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/g, "");
  return slug || "customer";
}

/** `<customer-slug>-<table>-YYYY-MM-DD.<csv|xlsx>`, the date in UTC. */
export function exportFilename(customerName: string, table: string, at: Date = new Date(), extension: "csv" | "xlsx" = "csv"): string {
  return `${fileSlug(customerName)}-${fileSlug(table)}-${at.toISOString().slice(0, 10)}.${extension}`;
}

/** The Content-Disposition of a download: an attachment, its name reduced to characters every browser keeps. */
export function attachment(filename: string): string {
  return `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, "_")}"`;
}

/** A download: 200, text/csv, attachment with this file name, never cached. */
export function csvResponse<T>(rows: Iterable<T> | AsyncIterable<T>, columns: readonly CsvColumn<T>[], filename: string): Response {
  return new Response(csvStream(rows, columns), {
    status: 200,
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": attachment(filename),
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

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
import type { SqlCell } from "./copy";
import { neutraliseFormula } from "./formula";

/** One cell of an exported table: text, a number, or nothing. */
export type ExportCell = string | number | null | undefined;
export type CsvCell = ExportCell;

/** One column of an exported table (CSV or xlsx, xlsx.ts): its header (plain words) and how a row fills it. */
export interface ExportColumn<T> {
  header: string;
  cell: (row: T) => ExportCell;
  /** The same cell computed by Postgres (copy.ts), for exports written by COPY: what `cell` gives, as SQL. */
  sql?: SqlCell;
}
/** The name the CSV exports first gave their columns. */
export type CsvColumn<T> = ExportColumn<T>;

export { neutraliseFormula, startsLikeFormula } from "./formula";

/** A field needs quoting when it holds the delimiter, a quote or a line break (RFC 4180, as csv-stringify did). */
const NEEDS_QUOTES = /[",\n\r]/;
const QUOTES = /"/g;

/** One CSV field: nothing for null, numbers as written (-160 → -160), text neutralised then quoted if it must be. */
export function csvField(value: ExportCell): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return String(value);
  const text = neutraliseFormula(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replace(QUOTES, '""')}"` : text;
}

/** Bytes handed to the reader at a time: large enough that the per-chunk costs vanish, small enough to stream. */
const CHUNK = 16 * 1024;

/** The first line: a UTF-8 byte order mark, then the headers. */
export function csvHeader(columns: readonly { header: string }[]): string {
  // Without the BOM Excel reads the file as the system's legacy code page and turns "Müller" or
  // "Société" into mojibake.
  return `\ufeff${columns.map((column) => csvField(column.header)).join(",")}\n`;
}

/**
 * The file as text chunks of about CHUNK characters. Written by hand rather than with csv-stringify:
 * its per-field machinery (options, cast callbacks, a stream transform per record) cost 18 µs a row
 * of 15 fields, more than reading the row from Postgres (bench/export.ts); the format itself is a
 * few lines (RFC 4180: fields joined by commas, quoted when they must be, lines ended by LF).
 */
async function* csvChunks<T>(rows: Iterable<T> | AsyncIterable<T>, columns: readonly CsvColumn<T>[]): AsyncGenerator<string> {
  let buffer = csvHeader(columns);
  const cells = columns.map((column) => column.cell);
  const count = cells.length;
  for await (const row of rows) {
    let line = csvField(cells[0]!(row));
    for (let i = 1; i < count; i++) line += `,${csvField(cells[i]!(row))}`;
    buffer += `${line}\n`;
    if (buffer.length >= CHUNK) {
      yield buffer;
      buffer = "";
    }
  }
  yield buffer;
}

/**
 * A body from chunks (text is encoded as UTF-8), pulled: a chunk is made when the reader asks for
 * one, so a slow download reads rows slowly; a cancelled one stops the chunks (their finally blocks
 * run: a cursor closes, a COPY's connection is dropped).
 */
export function chunkStream(chunks: AsyncGenerator<string | Uint8Array>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        // A failure reading rows rejects here, which fails the body: the download is reported as failed.
        for (;;) {
          const { value, done } = await chunks.next();
          if (done) return controller.close();
          // Enqueue something or close: a pull that does neither is not called again.
          if (value.length > 0) return controller.enqueue(typeof value === "string" ? encoder.encode(value) : value);
        }
      },
      async cancel() {
        await chunks.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

/** The stream of CSV bytes for these rows: BOM, header row, then one line per row as it is read. */
export function csvStream<T>(rows: Iterable<T> | AsyncIterable<T>, columns: readonly CsvColumn<T>[]): ReadableStream<Uint8Array> {
  return chunkStream(csvChunks(rows, columns));
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
  return csvBodyResponse(csvStream(rows, columns), filename);
}

/** A CSV download of a body made already (copy.ts's COPY or csvStream). */
export function csvBodyResponse(body: ReadableStream<Uint8Array>, filename: string): Response {
  return new Response(body, {
    status: 200,
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": attachment(filename),
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

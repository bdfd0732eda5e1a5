/**
 * Bulk writes with PostgreSQL's COPY ... FROM STDIN (text format), through pg-copy-streams.
 * COPY is the fastest way into Postgres; this module only encodes values to COPY's text format.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";

export type CopyValue =
  | string
  | number
  | bigint
  | boolean
  | Date
  | null
  | undefined
  | readonly string[]
  | Record<string, unknown>;

// Backslash, tab, newline and carriage return are the characters COPY's text format escapes.
const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

function escapeText(value: string): string {
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c] ?? c) : value;
}

/** A PostgreSQL array literal of text elements: {"a","b \"quoted\""}. */
export function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(",")}}`;
}

/** One value in COPY text format. */
export function encodeValue(value: CopyValue): string {
  if (value === null || value === undefined) return "\\N";
  switch (typeof value) {
    case "string":
      if (value.includes("\0")) throw new Error("text values cannot contain NUL characters");
      return escapeText(value);
    case "number":
      if (!Number.isFinite(value)) throw new Error(`cannot store ${value} as a number`);
      return String(value);
    case "bigint":
      return value.toString();
    case "boolean":
      return value ? "t" : "f";
    default:
      if (value instanceof Date) return value.toISOString();
      if (Array.isArray(value)) return escapeText(arrayLiteral(value as readonly string[]));
      return escapeText(JSON.stringify(value));
  }
}

export function encodeRow(values: readonly CopyValue[]): string {
  return `${values.map(encodeValue).join("\t")}\n`;
}

function* chunks(lines: Iterable<string>, chunkChars = 1 << 20): Generator<string> {
  let buffer = "";
  for (const line of lines) {
    buffer += line;
    if (buffer.length >= chunkChars) {
      yield buffer;
      buffer = "";
    }
  }
  if (buffer) yield buffer;
}

const identifier = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** COPY lines already in text format (each ending in a newline) into `table`. */
export async function copyEncoded(
  client: pg.PoolClient | pg.Client,
  table: string,
  columns: readonly string[],
  lines: Iterable<string>,
): Promise<number> {
  const sql = `COPY ${identifier(table)} (${columns.map(identifier).join(", ")}) FROM STDIN`;
  const stream = client.query(copyFrom(sql));
  await pipeline(Readable.from(chunks(lines)), stream);
  return Number(stream.rowCount ?? 0);
}

function* encodeAll(rows: Iterable<readonly CopyValue[]>): Generator<string> {
  for (const row of rows) yield encodeRow(row);
}

/** COPY rows into `table` (values in the order of `columns`). Returns the number of rows written. */
export async function copyRows(
  client: pg.PoolClient | pg.Client,
  table: string,
  columns: readonly string[],
  rows: Iterable<readonly CopyValue[]>,
): Promise<number> {
  return copyEncoded(client, table, columns, encodeAll(rows));
}

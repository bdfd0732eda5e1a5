/**
 * RVTools' CSV variant ("Export all to csv"): one RVTools_tab<Tab>.csv per tab. A tab's bytes are
 * decoded (UTF-8 with or without BOM, UTF-16 with BOM), its separator is taken from the header line
 * (',' ';' or tab: Excel-style locale exports use ';'), and its records are parsed by csv-parse as
 * they stream (quoted fields may hold separators and newlines). The header is read when the tab is
 * opened; the rows are read when the normaliser iterates them, once (docs/domain.md#files).
 */
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream";
import { parse, CsvError } from "csv-parse";
import { RvtoolsInputError, type CellValue, type RvRow, type RvTab } from "./types";
import type { RvExport } from "./read";

/** RVTools_tabvInfo.csv → "vInfo". */
export const CSV_TAB_FILE = /^RVTools_tab(\w+)\.csv$/i;

/**
 * The longest record (characters): a vInfo row is ~100 short cells plus an annotation (vSphere keeps
 * annotations to a few KiB) and custom attributes; 4 MiB is far above any real row and keeps a file
 * without line breaks from being held whole.
 */
export const MAX_RECORD_CHARS = 4 * 1024 * 1024;
/** The header line must end within this many characters (an RVTools header is ~3,000). */
const MAX_HEADER_CHARS = 1024 * 1024;

type Encoding = "utf-8" | "utf-16le" | "utf-16be" | "windows-1252";

/** The bytes sniffed for the encoding when there is no BOM. */
const SNIFF_BYTES = 64 * 1024;

/** Whether the bytes are UTF-8 (a multi-byte character cut at the end counts as UTF-8). */
function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * Bytes → text: a BOM picks UTF-8 or UTF-16 (and is dropped); without one, the first 64 KiB decide
 * between UTF-8 and Windows-1252 (a Western "ANSI" code page, what a Windows program writes when it
 * does not write UTF-8); NUL bytes are not text.
 */
async function* decode(bytes: AsyncIterable<Buffer | string>, origin: string): AsyncGenerator<string> {
  let head = Buffer.alloc(0);
  let decoder: TextDecoder | null = null;
  const start = (buffer: Buffer): string => {
    let encoding: Encoding = "utf-8";
    let skip = 0;
    if (buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) skip = 3;
    else if (buffer[0] === 0xff && buffer[1] === 0xfe) [encoding, skip] = ["utf-16le", 2];
    else if (buffer[0] === 0xfe && buffer[1] === 0xff) [encoding, skip] = ["utf-16be", 2];
    // UTF-8 text never holds NUL; UTF-16 without a BOM, or a binary file, does.
    if (encoding === "utf-8" && buffer.subarray(0, 4096).includes(0)) {
      throw new RvtoolsInputError(`${origin}: not a CSV text file (binary content, or UTF-16 without a byte order mark)`, { origin });
    }
    if (skip === 0 && !isUtf8(buffer.subarray(0, SNIFF_BYTES))) encoding = "windows-1252";
    decoder = new TextDecoder(encoding, { ignoreBOM: true });
    return decoder.decode(buffer.subarray(skip), { stream: true });
  };
  for await (const chunk of bytes) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (decoder) {
      yield (decoder as TextDecoder).decode(buffer, { stream: true });
      continue;
    }
    head = Buffer.concat([head, buffer]);
    if (head.length >= SNIFF_BYTES) yield start(head);
  }
  if (!decoder) yield start(head);
  const rest = (decoder as TextDecoder | null)?.decode() ?? "";
  if (rest) yield rest;
}

/** The separator the header line uses most, counted outside quotes; null when it has none. */
export function detectSeparator(headerLine: string): string | null {
  const counts = new Map<string, number>([[",", 0], [";", 0], ["\t", 0]]);
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  const [best, n] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? [",", 0];
  return n > 0 ? best : null;
}

/** The 1-based row (header = row 1) a csv-parse error is about. */
function errorRow(error: CsvError, fallback: number): number {
  const records = (error as { records?: number }).records;
  return typeof records === "number" ? records + 1 : fallback;
}

function refusal(error: unknown, origin: string, tab: string, row: number): RvtoolsInputError {
  if (error instanceof RvtoolsInputError) return error;
  if (error instanceof CsvError) {
    const at = errorRow(error, row);
    const what =
      error.code === "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH"
        ? "a different number of cells than the header"
        : error.code === "CSV_MAX_RECORD_SIZE"
          ? `a record longer than ${MAX_RECORD_CHARS} characters`
          : error.code === "CSV_QUOTE_NOT_CLOSED"
            ? "a quote that is never closed"
            : error.message;
    return new RvtoolsInputError(`${origin}: row ${at}: malformed CSV: ${what}`, { origin, tab, row: at });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new RvtoolsInputError(`${origin}: cannot read: ${message}`, { origin, tab });
}

/**
 * Opens one tab from a byte stream: reads up to its header and returns the tab, whose rows stream on
 * when iterated. `destroy` ends the underlying stream (close() of the export calls it).
 */
export async function openCsvTab(
  bytes: NodeJS.ReadableStream & { destroy(error?: Error): void },
  origin: string,
  tab: string,
): Promise<RvTab & { destroy(): void }> {
  const text = decode(bytes as AsyncIterable<Buffer>, origin)[Symbol.asyncIterator]();
  let head = "";
  try {
    while (!/[\r\n]/.test(stripQuoted(head))) {
      const next = await text.next();
      if (next.done) break;
      head += next.value;
      if (head.length > MAX_HEADER_CHARS) {
        throw new RvtoolsInputError(`${origin}: no header line within the first ${MAX_HEADER_CHARS} characters: not an RVTools CSV`, { origin, tab });
      }
    }
  } catch (error) {
    bytes.destroy();
    throw refusal(error, origin, tab, 1);
  }
  const headerLine = head.split(/\r?\n|\r/, 1)[0] ?? "";
  if (headerLine.trim() === "") {
    bytes.destroy();
    throw new RvtoolsInputError(`${origin}: empty: no header line`, { origin, tab, row: 1 });
  }
  // No separator: a tab of one column (a trimmed export may have one); read.ts refuses a one-column vInfo.
  const delimiter = detectSeparator(headerLine) ?? ",";
  const parser = parse({ delimiter, max_record_size: MAX_RECORD_CHARS, skip_empty_lines: true, bom: false });
  async function* all(): AsyncGenerator<string> {
    yield head;
    for (let next = await text.next(); !next.done; next = await text.next()) yield next.value;
  }
  pipeline(all(), parser, () => {});
  const records = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;
  let header: string[];
  try {
    const first = await records.next();
    header = first.done ? [] : first.value.map((h) => h.trim());
  } catch (error) {
    bytes.destroy();
    throw refusal(error, origin, tab, 1);
  }
  let used = false;
  const rows: AsyncIterable<RvRow> = {
    [Symbol.asyncIterator]() {
      if (used) throw new Error(`${origin}: the rows of a tab can be read once`);
      used = true;
      return (async function* (): AsyncGenerator<RvRow> {
        let row = 1;
        try {
          for (let next = await records.next(); !next.done; next = await records.next()) {
            row += 1;
            yield { row, cells: next.value.map((cell): CellValue => (cell === "" ? null : cell)) };
          }
        } catch (error) {
          throw refusal(error, origin, tab, row + 1);
        } finally {
          bytes.destroy();
        }
      })();
    },
  };
  const numbers = delimiter === "," ? "comma-groups" : delimiter === ";" ? "comma-decimal" : undefined;
  return { name: tab, origin, header, rows, ...(numbers ? { numbers } : {}), destroy: () => bytes.destroy() } as const;
}

/** The text with quoted parts removed, so a newline inside a quoted header cell does not end the line. */
function stripQuoted(text: string): string {
  return text.replace(/"[^"]*"/g, "").replace(/"[^"]*$/, "");
}

export interface FolderLimits {
  /** Total bytes of the tab files: refused before anything is read. */
  maxInputBytes: number;
}

/** The RVTools_tab*.csv files of a folder, as tabs; other files are ignored and listed in a warning. */
export async function readCsvFolder(dir: string, limits: FolderLimits): Promise<RvExport> {
  const names = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const files: { name: string; tab: string; path: string }[] = [];
  const ignored: string[] = [];
  const seen = new Map<string, string>();
  let total = 0;
  for (const entry of names) {
    const match = entry.isFile() ? CSV_TAB_FILE.exec(entry.name) : null;
    if (!match) {
      ignored.push(entry.isDirectory() ? `${entry.name}/` : entry.name);
      continue;
    }
    const tab = match[1] ?? "";
    const twin = seen.get(tab.toLowerCase());
    if (twin) throw new RvtoolsInputError(`${dir}: two files for the tab ${tab}: ${twin} and ${entry.name}`, { origin: dir, tab });
    seen.set(tab.toLowerCase(), entry.name);
    const path = join(dir, entry.name);
    total += (await stat(path)).size;
    if (total > limits.maxInputBytes) {
      throw new RvtoolsInputError(`${dir}: the tab files exceed ${limits.maxInputBytes} bytes (at ${entry.name}): refused before reading`, { origin: dir });
    }
    files.push({ name: entry.name, tab, path });
  }
  if (files.length === 0) {
    throw new RvtoolsInputError(`${dir}: no RVTools_tab*.csv files: not an RVTools CSV export (RVTools: File, Export all to csv)`, { origin: dir });
  }
  const tabs: (RvTab & { destroy(): void })[] = [];
  try {
    for (const file of files) tabs.push(await openCsvTab(createReadStream(file.path), file.name, file.tab));
  } catch (error) {
    for (const tab of tabs) tab.destroy();
    throw error;
  }
  const warnings = ignored.length ? [`${dir}: not RVTools tab files, ignored: ${ignored.join(", ")}`] : [];
  return {
    origin: dir,
    tabs,
    warnings,
    close: async () => {
      for (const tab of tabs) tab.destroy();
    },
  };
}

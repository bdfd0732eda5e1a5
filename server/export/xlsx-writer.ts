/**
 * A streaming .xlsx writer: zip.ts and hand-written SpreadsheetML, one worksheet per tab, each
 * generated row by row while the zip is written (the workbook never sits in memory as cells). Shared
 * by the RVTools workbook (rvtools/tabs.ts) and the table exports (xlsx.ts).
 *
 * Cells: text as inline strings (XML-escaped, characters XML 1.0 forbids removed, cut to Excel's
 * 32,767 characters), finite numbers as numbers, booleans as booleans, dates as Excel serial numbers
 * with a date-time style (UTC, as RVTools writes local time without a zone). No cell is ever a
 * formula: text starting with = + - @ stays a text cell, which Excel shows as written and never
 * evaluates. Such a cell (formula.ts's startsLikeFormula) also carries a quote-prefix style, Excel's
 * own "typed with a leading apostrophe": editing the cell and pressing Enter keeps it text, where a
 * plain text cell would then be parsed as the formula it looks like. The text itself is kept exact
 * (no apostrophe added, unlike CSV, where the apostrophe is the only defence): see xlsx.ts.
 */
import { createWriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import type { Writable } from "node:stream";
import { startsLikeFormula } from "./formula";
import { writeZip, type ZipPart } from "./zip";

/** One cell: text, a number, a boolean, a date, or nothing (the same values the RVTools reader gives back). */
export type CellValue = string | number | boolean | Date | null;

export interface XlsxSheet {
  name: string;
  header: string[];
  rows: Iterable<CellValue[]> | AsyncIterable<CellValue[]> | XlsxRowElements;
  /** A bold header row frozen at the top while scrolling (the table exports); RVTools' tabs have plain headers. */
  frozenHeader?: boolean;
}

const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships";
/** Excel's limits: 1,048,576 rows, 16,384 columns, 32,767 characters per cell. */
export const MAX_ROWS = 1_048_576;
export const MAX_COLUMNS = 16_384;
export const MAX_CELL_CHARS = 32_767;

/**
 * Rows made already as `<row>` elements, numbered from 2 (the header is row 1): xlsx-rows.ts makes
 * them from COPY's text format (copy.ts) without making each row's cells first. `count()`: how many,
 * once they are all read.
 */
export interface XlsxRowElements {
  elements: AsyncIterable<Buffer>;
  count(): number;
}

/** Characters XML 1.0 cannot hold (C0 controls but tab, LF, CR; lone surrogates; U+FFFE/FFFF). */
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** Any character xmlText changes: markup, C0 controls, surrogates (paired ones pass through the replaces unchanged), U+FFFE/FFFF. */
const NEEDS_WORK = /[&<>"\u0000-\u0008\u000b-\u001f\ud800-\udfff\ufffe\uffff]/;
const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;" };

/**
 * Text as XML character data: forbidden characters removed, markup characters escaped, and a
 * carriage return as a character reference (a reader turns a raw one into a line feed: XML's
 * end-of-line handling).
 */
export function xmlText(value: string): string {
  // Most cells need nothing done (bench/export.ts: the two replaces were a tenth of an export's time).
  if (!NEEDS_WORK.test(value)) return value;
  return value.replace(FORBIDDEN, "").replace(/[&<>"\r]/g, (c) => ESCAPES[c]!);
}

/** "A", "B", …, "Z", "AA", … for a 0-based column index. */
export function columnName(index: number): string {
  let s = "";
  let i = index + 1;
  while (i > 0) {
    const m = (i - 1) % 26;
    s = String.fromCharCode(65 + m) + s;
    i = (i - m - 1) / 26;
  }
  return s;
}

/** Days from Excel's day 0 (1899-12-30) to 1970-01-01. */
const EXCEL_EPOCH_DAYS = 25569;

/** A date as an Excel serial number (1900 system; dates from 1900-03-01 on, where serials are exact). */
export function excelSerial(date: Date): number {
  return date.getTime() / 86_400_000 + EXCEL_EPOCH_DAYS;
}

/** Style 1 of styles.xml: "yyyy-mm-dd hh:mm:ss"; 2: text with a quote prefix; 3: a bold header; 4: both. */
const DATE_STYLE = 1;
const QUOTED_STYLE = 2;
const HEADER_STYLE = 3;
const QUOTED_HEADER_STYLE = 4;

/** A cell's XML; `ref` is its reference attribute (` r="B7"`). */
function cellXml(value: CellValue, ref: string, header = false): string {
  if (value === null) return "";
  if (typeof value === "number") {
    return Number.isFinite(value) ? `<c${ref}><v>${value}</v></c>` : "";
  }
  if (typeof value === "boolean") return `<c${ref} t="b"><v>${value ? 1 : 0}</v></c>`;
  if (value instanceof Date) {
    const serial = excelSerial(value);
    // Before 1900-03-01 Excel's serials are off by its 29 February 1900; NaN is no date: as text.
    if (!(serial >= 61 && serial < 2_958_466)) return Number.isNaN(serial) ? "" : textCell(value.toISOString(), ref, header);
    return `<c${ref} s="${DATE_STYLE}"><v>${serial}</v></c>`;
  }
  return value === "" ? "" : textCell(value, ref, header);
}

/** Text cut to what one cell holds (Excel refuses a longer cell), never between the halves of a surrogate pair. */
export function cellText(value: string): string {
  if (value.length <= MAX_CELL_CHARS) return value;
  const cut = value.slice(0, MAX_CELL_CHARS);
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** XML's white space: space, tab, line feed, carriage return. */
const isXmlSpace = (code: number) => code === 32 || code === 9 || code === 10 || code === 13;

/** A text cell's XML (`ref`: ` r="B7"`); also xlsx-rows.ts's for every field it does not copy as it is. */
export function textCell(value: string, ref: string, header: boolean): string {
  const text = cellText(value);
  const quoted = startsLikeFormula(text);
  const style = header ? (quoted ? QUOTED_HEADER_STYLE : HEADER_STYLE) : quoted ? QUOTED_STYLE : 0;
  // xml:space="preserve" only where white space starts or ends the text, as Excel writes it (the
  // 200k-row VM export 5 % smaller; no faster).
  const preserve = isXmlSpace(text.charCodeAt(0)) || isXmlSpace(text.charCodeAt(text.length - 1));
  return `<c${ref}${style ? ` s="${style}"` : ""} t="inlineStr"><is>${preserve ? '<t xml:space="preserve">' : "<t>"}${xmlText(text)}</t></is></c>`;
}

const columnNames: string[] = [];
function rowXml(cells: readonly CellValue[], n: number, header = false): string {
  let s = `<row r="${n}">`;
  const count = Math.min(cells.length, MAX_COLUMNS);
  for (let c = 0; c < count; c++) s += cellXml(cells[c] ?? null, ` r="${(columnNames[c] ??= columnName(c)) + n}"`, header);
  return `${s}</row>`;
}

const isRowElements = (rows: XlsxSheet["rows"]): rows is XlsxRowElements => "elements" in rows;

/** The sheet's XML, in chunks of about 64 KiB. */
async function* sheetXml(sheet: XlsxSheet, index: number, counts: Map<number, number>): AsyncGenerator<string | Buffer> {
  const view = sheet.frozenHeader
    ? '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
    : "";
  let buffer = `${XML}<worksheet xmlns="${MAIN}">${view}<sheetData>${rowXml(sheet.header, 1, sheet.frozenHeader === true)}`;
  const rows = sheet.rows;
  if (isRowElements(rows)) {
    yield buffer;
    yield* rows.elements;
    counts.set(index, rows.count());
    yield "</sheetData></worksheet>";
    return;
  }
  let n = 1;
  for await (const cells of rows) {
    if (n >= MAX_ROWS) throw new Error(`${sheet.name}: more than ${MAX_ROWS - 1} rows, more than a worksheet holds`);
    n++;
    buffer += rowXml(cells, n);
    if (buffer.length > 65_536) {
      yield buffer;
      buffer = "";
    }
  }
  counts.set(index, n - 1);
  yield `${buffer}</sheetData></worksheet>`;
}

/** Excel's sheet names: at most 31 characters, none of : \ / ? * [ ], unique case-insensitively. */
export function sheetNames(names: string[]): string[] {
  const used = new Set<string>();
  return names.map((raw) => {
    const base = (raw.replace(/[:\\/?*[\]]/g, "_").replace(/^'+|'+$/g, "").slice(0, 31) || "Sheet").trim() || "Sheet";
    let name = base;
    for (let i = 2; used.has(name.toLowerCase()); i++) name = `${base.slice(0, 31 - String(i).length - 1)}_${i}`;
    used.add(name.toLowerCase());
    return name;
  });
}

const STYLES =
  `${XML}<styleSheet xmlns="${MAIN}">` +
  '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd hh:mm:ss"/></numFmts>' +
  '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>' +
  '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
  '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
  '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>' +
  '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>' +
  '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" quotePrefix="1"/></cellXfs>' +
  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
  "</styleSheet>";

export interface XlsxResult {
  /** Data rows written per sheet (the header not counted). */
  rows: Record<string, number>;
  bytes: number;
}

/**
 * Writes the sheets as one workbook to `out` (a stream: a file, an HTTP response); resolves when
 * the last byte is written. Rows are pulled as the zip is written, so memory stays flat.
 * `compressionLevel`: the sheets' deflate level (zlib's 1 fastest … 9 smallest; 6 by default).
 */
export async function writeXlsx(sheets: XlsxSheet[], out: Writable, options: { compressionLevel?: number } = {}): Promise<XlsxResult> {
  const names = sheetNames(sheets.map((s) => s.name));
  const counts = new Map<number, number>();
  const sheetPart = (i: number) => `xl/worksheets/sheet${i + 1}.xml`;
  const parts: ZipPart[] = [
    {
      path: "[Content_Types].xml",
      data:
        `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
        `<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
        `<Default Extension="xml" ContentType="application/xml"/>` +
        `<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
        `<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
        names
          .map((_, i) => `<Override PartName="/${sheetPart(i)}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`)
          .join("") +
        "</Types>",
    },
    {
      path: "_rels/.rels",
      data: `${XML}<Relationships xmlns="${PKG_REL}"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    },
    {
      path: "xl/workbook.xml",
      data:
        `${XML}<workbook xmlns="${MAIN}" xmlns:r="${REL}"><sheets>` +
        names.map((n, i) => `<sheet name="${xmlText(n)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join("") +
        "</sheets></workbook>",
    },
    {
      path: "xl/_rels/workbook.xml.rels",
      data:
        `${XML}<Relationships xmlns="${PKG_REL}">` +
        names.map((_, i) => `<Relationship Id="rId${i + 1}" Type="${REL}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`).join("") +
        `<Relationship Id="rId${names.length + 1}" Type="${REL}/styles" Target="styles.xml"/></Relationships>`,
    },
    { path: "xl/styles.xml", data: STYLES },
    // The sheets are generated while the zip is written, one after another: a sheet's rows are
    // pulled only as fast as the deflate stream and `out` take them.
    ...sheets.map((sheet, i) => ({ path: sheetPart(i), data: sheetXml(sheet, i, counts), level: options.compressionLevel ?? 6 })),
  ];
  let bytes: number;
  try {
    bytes = await writeZip(parts, out);
  } catch (error) {
    // The reader went away or a sheet failed: stop every sheet's rows (their sources close, e.g. a
    // database cursor); the one being written was stopped by writeZip.
    for (const part of parts) if (typeof part.data !== "string") await (part.data as AsyncGenerator<string>).return(undefined);
    // `out` fails with the error (a download body fails, not ends); the error is this function's to report.
    if (!out.destroyed) out.on("error", () => undefined).destroy(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
  out.end();
  await finished(out, { readable: false });
  return { rows: Object.fromEntries(names.map((n, i) => [n, counts.get(i) ?? 0])), bytes };
}

/** Writes the sheets to a file (replacing it). */
export function writeXlsxFile(sheets: XlsxSheet[], path: string): Promise<XlsxResult> {
  return writeXlsx(sheets, createWriteStream(path));
}

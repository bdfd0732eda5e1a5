/**
 * RVTools' xlsx export, read as it streams: yauzl reads the zip's central directory, which passes the
 * same limits as a zip of CSVs (zip.ts: entry count, sizes, ratio, encryption, names) before anything
 * is inflated; saxes parses each part (no DTD, no entity expansion). The workbook, its relationships,
 * styles (which cells are dates) and shared strings are read first; then each worksheet is opened up
 * to its first row (the header) and its other rows are parsed only as the normaliser pulls them, one
 * inflated chunk at a time, so a 50,000-VM vInfo never sits in memory. Formulas are never evaluated:
 * a formula cell gives the value Excel cached with it (docs/domain.md#xlsx).
 */
import { open as openFile } from "node:fs/promises";
import { basename, posix } from "node:path";
import type { Readable } from "node:stream";
import { SaxesParser, type SaxesTagPlain } from "saxes";
import yauzl, { type Entry, type ZipFile } from "yauzl";
import { MAX_RECORD_CHARS } from "./csv";
import type { RvExport } from "./read";
import { RvtoolsInputError, type CellValue, type RvRow, type RvTab } from "./types";
import { listEntries, type ZipLimits } from "./zip";

/** What one workbook may hold in memory, beyond the zip limits (zip.ts) that bound what is inflated. */
export interface XlsxLimits {
  /** Characters of one cell or shared string: Excel keeps a cell to 32,767, so more is not a real workbook. */
  maxCellChars: number;
  /** Characters of one row (as csv.ts's MAX_RECORD_CHARS): a vInfo row is ~100 short cells. */
  maxRowChars: number;
  /**
   * Shared strings, all held for the whole read (cells name them by index): a 50,000-VM export has
   * about 6 MB of them; the caps keep a crafted sharedStrings part (1 GiB passes the entry limit)
   * from taking gigabytes as JavaScript strings.
   */
  maxSharedStrings: number;
  maxSharedStringChars: number;
}

export const XLSX_LIMITS: XlsxLimits = {
  maxCellChars: 1024 * 1024,
  maxRowChars: MAX_RECORD_CHARS,
  maxSharedStrings: 10_000_000,
  maxSharedStringChars: 128 * 1024 * 1024,
};
/** Excel's last column, XFD. */
const MAX_COLUMNS = 16_384;
const DAY_MS = 86_400_000;
/** Days from 1899-12-30 (the 1900 system's day 0, after Excel's 29 February 1900) to 1970-01-01. */
const EPOCH_1900 = 25_569;
/** Days from 1904-01-01 (the 1904 system's day 0) to 1970-01-01. */
const EPOCH_1904 = 24_107;

export const ENCRYPTED_OR_XLS =
  "encrypted workbook (password-protected) or an old .xls: export the file again without a password, as .xlsx";

/** Built-in number formats that are dates or times (ECMA-376 18.8.30; 27-36 and 50-58 in East Asian locales). */
const BUILTIN_DATE_FORMATS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58]);

/** A custom number format shows a date or time when it has d, m, y, h or s outside quotes, brackets and escapes. */
export function isDateFormat(code: string): boolean {
  const bare = code
    .replace(/"[^"]*"/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\\./g, "")
    .replace(/[_*]./g, "");
  // "General" holds none of the letters; sections (";") of a date format are dates as well.
  return /[dmyhs]/i.test(bare);
}

/** Excel serial day → Date, in the workbook's date system. Serials before 1900-03-01 skip Excel's 29 February 1900. */
export function excelSerialToDate(serial: number, date1904: boolean): Date {
  const days = date1904 ? serial - EPOCH_1904 : (serial < 60 ? serial + 1 : serial) - EPOCH_1900;
  return new Date(Math.round(days * DAY_MS));
}

/** "AB12" → 27 (0-based column); -1 when the reference has no column letters or is past XFD. */
export function columnIndex(ref: string): number {
  let n = 0;
  let i = 0;
  for (; i < ref.length; i++) {
    const c = ref.charCodeAt(i) & ~32; // upper case
    if (c < 65 || c > 90) break;
    n = n * 26 + (c - 64);
    if (n > MAX_COLUMNS) return -1;
  }
  return i === 0 ? -1 : n - 1;
}

/** Column index → letters, for messages. */
function columnName(index: number): string {
  let s = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/** The element's name without its namespace prefix (`x:row` → `row`): strict and prefixed parts read alike. */
function local(name: string): string {
  const colon = name.indexOf(":");
  return colon < 0 ? name : name.slice(colon + 1);
}

/** An attribute (SpreadsheetML's own attributes are never prefixed, even in prefixed parts). */
function attr(tag: SaxesTagPlain, name: string): string | undefined {
  return (tag.attributes as Record<string, string>)[name];
}

/** The relationship id of a <sheet> (r:id, whatever the prefix of the relationships namespace). */
function relId(tag: SaxesTagPlain): string | undefined {
  for (const [key, value] of Object.entries(tag.attributes as Record<string, string>)) {
    if (!key.startsWith("xmlns") && key.endsWith(":id")) return value;
  }
  return undefined;
}

class XmlError extends Error {}
/** A part holding more than XlsxLimits allow (well-formed, but not a real RVTools workbook). */
class LimitError extends Error {}

/** A parser that refuses DTDs (saxes never expands entities; a DTD has no place in SpreadsheetML). */
function parser(): SaxesParser {
  const p = new SaxesParser({ xmlns: false, position: true });
  p.on("doctype", () => {
    throw new XmlError("a DTD (<!DOCTYPE>) is not allowed in a workbook part");
  });
  return p;
}

async function openStream(zip: ZipFile, entry: Entry): Promise<Readable> {
  const stream = await zip.openReadStreamPromise(entry);
  stream.setEncoding("utf8");
  return stream;
}

function where(origin: string, part: string, sheet?: string): string {
  return sheet === undefined ? `${origin}!${part}` : `${origin}: sheet "${sheet}" (${part})`;
}

/** Any error while reading a part → RvtoolsInputError naming the file, the part and (for a sheet) the tab. */
function partError(error: unknown, origin: string, part: string, sheet?: string, tab?: string): RvtoolsInputError {
  if (error instanceof RvtoolsInputError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const kind =
    error instanceof LimitError ? "" : error instanceof XmlError || !(error instanceof Error) || /^\d+:\d+: /.test(message) ? "malformed XML: " : "cannot read: ";
  return new RvtoolsInputError(`${where(origin, part, sheet)}: ${kind}${message}`, { origin, tab });
}

/** Parses a whole (small) part: workbook, relationships, styles, shared strings. */
async function parsePart(zip: ZipFile, entries: Map<string, Entry>, part: string, origin: string, setup: (p: SaxesParser) => void): Promise<void> {
  const entry = entries.get(part);
  if (!entry) throw new RvtoolsInputError(`${origin}: not an xlsx workbook: no ${part}`, { origin });
  let stream: Readable | undefined;
  try {
    stream = await openStream(zip, entry);
    const p = parser();
    setup(p);
    for await (const chunk of stream) p.write(chunk as string);
    p.close();
  } catch (error) {
    stream?.destroy();
    throw partError(error, origin, part);
  }
}

/** A relationship target resolved against the part that holds the relationships (absolute targets start at the root). */
function resolveTarget(fromPart: string, target: string): string {
  if (target.startsWith("/")) return posix.normalize(target.slice(1));
  return posix.normalize(posix.join(posix.dirname(fromPart), target));
}

function relsOf(part: string): string {
  return posix.join(posix.dirname(part), "_rels", `${posix.basename(part)}.rels`);
}

async function readRels(zip: ZipFile, entries: Map<string, Entry>, part: string, origin: string): Promise<Map<string, { type: string; target: string }>> {
  const rels = new Map<string, { type: string; target: string }>();
  await parsePart(zip, entries, relsOf(part), origin, (p) =>
    p.on("opentag", (tag) => {
      if (local(tag.name) !== "Relationship") return;
      const id = attr(tag, "Id");
      const target = attr(tag, "Target");
      if (id && target && attr(tag, "TargetMode") !== "External") rels.set(id, { type: attr(tag, "Type") ?? "", target: resolveTarget(part, target) });
    }),
  );
  return rels;
}

/** Accumulates a cell's text up to maxCellChars. */
function append(text: string, more: string, max: number, what: () => string): string {
  if (text.length + more.length > max) throw new LimitError(`${what()} is longer than ${max} characters`);
  return text + more;
}

/**
 * A string of its own: the parser's text is a slice of the inflated chunk it came in (V8 keeps the
 * whole chunk alive for a slice of 13 characters or more), and a value the normaliser keeps per VM
 * would pin tens of kilobytes each. Concatenating, then slicing, copies it into a string of its size.
 */
export function ownString(s: string): string {
  return s.length < 13 ? s : (" " + s).slice(1);
}

/** Shared strings: one per <si>, rich-text runs (<r><t>) joined, phonetic guides (<rPh>) left out. */
async function readSharedStrings(zip: ZipFile, entries: Map<string, Entry>, part: string, origin: string, limits: XlsxLimits): Promise<string[]> {
  const strings: string[] = [];
  let chars = 0;
  let current: string | null = null;
  let inT = false;
  let inPhonetic = 0;
  await parsePart(zip, entries, part, origin, (p) => {
    p.on("opentag", (tag) => {
      const name = local(tag.name);
      if (name === "si") current = "";
      else if (name === "t") inT = !tag.isSelfClosing;
      else if (name === "rPh") inPhonetic++;
    });
    const text = (t: string) => {
      if (inT && inPhonetic === 0 && current !== null) current = append(current, t, limits.maxCellChars, () => `shared string ${strings.length}`);
    };
    p.on("text", text);
    p.on("cdata", text);
    p.on("closetag", (tag) => {
      const name = local(tag.name);
      if (name === "si") {
        chars += current?.length ?? 0;
        if (strings.length >= limits.maxSharedStrings || chars > limits.maxSharedStringChars) {
          throw new LimitError(`more than ${limits.maxSharedStrings} shared strings or ${limits.maxSharedStringChars} characters of them: refused`);
        }
        strings.push(ownString(current ?? ""));
        current = null;
      } else if (name === "t") inT = false;
      else if (name === "rPh") inPhonetic--;
    });
  });
  return strings;
}

/** Which cell styles (the index a cell's s= names) show dates. */
async function readDateStyles(zip: ZipFile, entries: Map<string, Entry>, part: string, origin: string): Promise<boolean[]> {
  const custom = new Map<number, string>();
  const styles: boolean[] = [];
  const xfNumFmts: number[] = [];
  let inCellXfs = false;
  await parsePart(zip, entries, part, origin, (p) => {
    p.on("opentag", (tag) => {
      const name = local(tag.name);
      if (name === "numFmt") custom.set(Number(attr(tag, "numFmtId")), attr(tag, "formatCode") ?? "");
      else if (name === "cellXfs") inCellXfs = !tag.isSelfClosing;
      else if (name === "xf" && inCellXfs) xfNumFmts.push(Number(attr(tag, "numFmtId") ?? 0));
    });
    p.on("closetag", (tag) => {
      if (local(tag.name) === "cellXfs") inCellXfs = false;
    });
  });
  for (const id of xfNumFmts) {
    const code = custom.get(id);
    styles.push(code !== undefined ? isDateFormat(code) : BUILTIN_DATE_FORMATS.has(id));
  }
  return styles;
}

interface Workbook {
  limits: XlsxLimits;
  sheets: { name: string; part: string }[];
  date1904: boolean;
  sharedStrings: string[];
  dateStyles: boolean[];
}

async function readWorkbook(zip: ZipFile, entries: Map<string, Entry>, origin: string, limits: XlsxLimits): Promise<Workbook> {
  // The package's relationships name the workbook part; Excel and RVTools put it at xl/workbook.xml.
  let workbookPart = "xl/workbook.xml";
  if (entries.has("_rels/.rels")) {
    const root = await readRels(zip, entries, "", origin).catch(() => new Map<string, { type: string; target: string }>());
    const office = [...root.values()].find((r) => r.type.endsWith("/officeDocument"));
    if (office && entries.has(office.target)) workbookPart = office.target;
  }
  if (!entries.has(workbookPart)) throw new RvtoolsInputError(`${origin}: not an xlsx workbook: no ${workbookPart}`, { origin });
  const rels = await readRels(zip, entries, workbookPart, origin);
  const sheets: { name: string; part: string }[] = [];
  let date1904 = false;
  await parsePart(zip, entries, workbookPart, origin, (p) =>
    p.on("opentag", (tag) => {
      const name = local(tag.name);
      if (name === "workbookPr") {
        const value = attr(tag, "date1904");
        date1904 = value === "1" || value === "true";
      } else if (name === "sheet") {
        const rel = rels.get(relId(tag) ?? "");
        const sheetName = attr(tag, "name") ?? "";
        // Chart sheets and dialog sheets hold no cells.
        if (rel && /\/worksheet$/.test(rel.type)) sheets.push({ name: sheetName, part: rel.target });
      }
    }),
  );
  const typed = [...rels.values()];
  const sst = typed.find((r) => r.type.endsWith("/sharedStrings"))?.target;
  const styles = typed.find((r) => r.type.endsWith("/styles"))?.target;
  return {
    limits,
    sheets,
    date1904,
    sharedStrings: sst && entries.has(sst) ? await readSharedStrings(zip, entries, sst, origin, limits) : [],
    dateStyles: styles && entries.has(styles) ? await readDateStyles(zip, entries, styles, origin) : [],
  };
}

/** "RVTools_tabvInfo" → "vInfo" (sheets named like the CSV files); other names as they are. */
export function tabName(sheet: string): string {
  const m = /^RVTools_tab(.+)$/i.exec(sheet.trim());
  return m?.[1] ?? sheet.trim();
}

class CellError extends Error {
  constructor(
    message: string,
    readonly row: number,
    readonly column: number,
  ) {
    super(message);
  }
}

/**
 * A worksheet's rows as they are parsed, one inflated chunk at a time: the async iteration of the
 * entry stream reads the next chunk only when every row of the last one has been taken, so a slow
 * consumer holds the stream (and the inflater) paused.
 */
async function* sheetRows(stream: Readable, book: Workbook): AsyncGenerator<RvRow> {
  const p = parser();
  const ready: RvRow[] = [];
  let cells: CellValue[] | null = null;
  let rowNumber = 0;
  let column = -1;
  let type = "n";
  let style = 0;
  let text: string | null = null;
  let inValue = false;
  let inInline = false;
  let inPhonetic = 0;
  let hasValue = false;
  let rowChars = 0;
  const { maxCellChars, maxRowChars } = book.limits;

  const cellValue = (): CellValue => {
    const raw = text ?? "";
    switch (type) {
      case "s": {
        if (!hasValue || raw.trim() === "") return null;
        const index = Number(raw);
        const value = book.sharedStrings[index];
        if (!Number.isInteger(index) || value === undefined) throw new CellError(`shared string ${raw.slice(0, 20)} does not exist (${book.sharedStrings.length} in the workbook)`, rowNumber, column);
        return value === "" ? null : value;
      }
      case "b":
        if (!hasValue || raw === "") return null;
        if (raw === "1" || raw === "true") return true;
        if (raw === "0" || raw === "false") return false;
        throw new CellError(`"${raw.slice(0, 20)}" is not a boolean`, rowNumber, column);
      case "d": {
        if (raw.trim() === "") return null;
        const t = Date.parse(raw.trim());
        if (!Number.isFinite(t)) throw new CellError(`"${raw.slice(0, 40)}" is not an ISO date`, rowNumber, column);
        return new Date(t);
      }
      case "str":
      case "inlineStr":
      case "e":
        // A formula's cached text, an inline string, or an error value such as #N/A (kept as text).
        return raw === "" ? null : ownString(raw);
      default: {
        if (raw.trim() === "") return null;
        const n = Number(raw);
        if (!Number.isFinite(n)) throw new CellError(`"${raw.slice(0, 20)}" is not a number`, rowNumber, column);
        return book.dateStyles[style] ? excelSerialToDate(n, book.date1904) : n;
      }
    }
  };

  p.on("opentag", (tag) => {
    switch (local(tag.name)) {
      case "row": {
        const r = Number(attr(tag, "r"));
        rowNumber = Number.isInteger(r) && r > 0 ? r : rowNumber + 1;
        cells = [];
        column = -1;
        rowChars = 0;
        break;
      }
      case "c": {
        const ref = attr(tag, "r");
        const next = ref === undefined ? column + 1 : columnIndex(ref);
        if (next < 0 || next >= MAX_COLUMNS) throw new CellError(`cell reference "${(ref ?? "").slice(0, 20)}" is not a column A to XFD`, rowNumber, column + 1);
        column = next;
        type = attr(tag, "t") ?? "n";
        style = Number(attr(tag, "s") ?? 0);
        text = null;
        hasValue = false;
        break;
      }
      case "v":
        inValue = !tag.isSelfClosing;
        hasValue = true;
        text ??= "";
        break;
      case "is":
        inInline = true;
        text ??= "";
        break;
      case "t":
        if (inInline) inValue = !tag.isSelfClosing;
        break;
      case "rPh":
        inPhonetic++;
        break;
    }
  });
  const onText = (t: string) => {
    if (!inValue || inPhonetic > 0) return;
    text = append(text ?? "", t, maxCellChars, () => `cell ${columnName(column)}${rowNumber}`);
    rowChars += t.length;
    if (rowChars > maxRowChars) throw new LimitError(`row ${rowNumber} holds more than ${maxRowChars} characters`);
  };
  p.on("text", onText);
  p.on("cdata", onText);
  p.on("closetag", (tag) => {
    switch (local(tag.name)) {
      case "v":
      case "t":
        inValue = false;
        break;
      case "is":
        inInline = false;
        break;
      case "rPh":
        inPhonetic--;
        break;
      case "c":
        if (cells) {
          const value = cellValue();
          while (cells.length < column) cells.push(null);
          cells[column] = value;
        }
        break;
      case "row":
        // Rows Excel keeps for their formatting only hold no value: skipped, as CSV skips empty lines.
        if (cells && cells.some((c) => c !== null)) ready.push({ row: rowNumber, cells });
        cells = null;
        break;
    }
  });

  for await (const chunk of stream) {
    p.write(chunk as string);
    if (ready.length) yield* ready.splice(0);
  }
  p.close();
  if (ready.length) yield* ready.splice(0);
}

/** Opens one worksheet and reads up to its header (its first row with a value). */
async function openSheet(
  zip: ZipFile,
  entry: Entry,
  book: Workbook,
  origin: string,
  sheet: { name: string; part: string },
): Promise<RvTab & { destroy(): void }> {
  const name = tabName(sheet.name);
  const fail = (error: unknown, at?: number) => {
    if (error instanceof CellError) {
      const column = columnName(Math.max(error.column, 0));
      return new RvtoolsInputError(`${where(origin, sheet.part, sheet.name)}: row ${error.row}, cell ${column}${error.row}: ${error.message}`, {
        origin,
        tab: name,
        row: error.row,
        column,
      });
    }
    const e = partError(error, origin, sheet.part, sheet.name, name);
    if (at !== undefined && e.where.row === undefined) Object.assign(e.where, { row: at });
    return e;
  };
  let stream: Readable;
  try {
    stream = await openStream(zip, entry);
  } catch (error) {
    throw fail(error);
  }
  const rows = sheetRows(stream, book);
  let header: string[] = [];
  try {
    const first = await rows.next();
    if (!first.done) header = first.value.cells.map((c) => (c === null ? "" : c instanceof Date ? c.toISOString() : String(c).trim()));
  } catch (error) {
    stream.destroy();
    throw fail(error);
  }
  let used = false;
  const iterable: AsyncIterable<RvRow> = {
    [Symbol.asyncIterator]() {
      if (used) throw new Error(`${origin}: the rows of a tab can be read once`);
      used = true;
      return (async function* (): AsyncGenerator<RvRow> {
        let last = 1;
        try {
          for (let next = await rows.next(); !next.done; next = await rows.next()) {
            last = next.value.row;
            yield next.value;
          }
        } catch (error) {
          throw fail(error, last + 1);
        } finally {
          stream.destroy();
        }
      })();
    },
  };
  return { name, origin, header, rows: iterable, destroy: () => stream.destroy() };
}

/** The first bytes: a zip ("PK"), a CFB container (encrypted OOXML or a .xls), or neither. */
async function sniff(path: string): Promise<"zip" | "cfb" | "other"> {
  const file = await openFile(path, "r");
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(8), 0, 8, 0);
    const head = buffer.subarray(0, bytesRead);
    if (head.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))) return "cfb";
    if (head[0] === 0x50 && head[1] === 0x4b) return "zip";
    return "other";
  } finally {
    await file.close();
  }
}

/**
 * Opens an RVTools .xlsx: checks the zip against the limits, reads the workbook's parts and every
 * worksheet's header. `origin` names the file in messages ("x.zip!export.xlsx" for one inside a zip).
 */
export async function readXlsx(path: string, limits: ZipLimits, origin = basename(path), xlsxLimits: XlsxLimits = XLSX_LIMITS): Promise<RvExport> {
  const kind = await sniff(path);
  if (kind === "cfb") throw new RvtoolsInputError(`${origin}: ${ENCRYPTED_OR_XLS}`, { origin });
  if (kind === "other") throw new RvtoolsInputError(`${origin}: not an xlsx workbook (not a zip file; a CSV export is a folder or .zip of RVTools_tab*.csv)`, { origin });
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true });
  } catch (error) {
    throw new RvtoolsInputError(`${origin}: not a readable xlsx (truncated or damaged zip): ${(error as Error).message}`, { origin });
  }
  const tabs: (RvTab & { destroy(): void })[] = [];
  const close = async () => {
    for (const tab of tabs) tab.destroy();
    zip.close();
  };
  try {
    const entries = new Map((await listEntries(zip, origin, limits)).map((e) => [e.fileName, e]));
    const book = await readWorkbook(zip, entries, origin, xlsxLimits);
    const warnings: string[] = [];
    for (const sheet of book.sheets) {
      const entry = entries.get(sheet.part);
      if (!entry) {
        warnings.push(`${origin}: sheet "${sheet.name}" has no part ${sheet.part}: skipped`);
        continue;
      }
      tabs.push(await openSheet(zip, entry, book, origin, sheet));
    }
    return { origin, tabs, warnings, close };
  } catch (error) {
    await close();
    throw error;
  }
}

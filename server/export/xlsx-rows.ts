/**
 * COPY's text format to worksheet rows, bytes to bytes: each line Postgres sends (fields split by
 * tabs, `\N` for null, backslash escapes) becomes one `<row>` of SpreadsheetML, written straight
 * into a Buffer without making a string per field, a row array per line or the row's XML as a
 * string first: on 200,000 VM rows that string path took 3.3 s of CPU, this one 1.4 s with the
 * sheet's deflate included (bench/export.ts's rows; most of the difference was making and collecting
 * those strings).
 *
 * The XML is the writer's own (xlsx-writer.ts textCell, cellXml for numbers) for every field: a
 * text field of plain bytes (an ASCII letter or digit first, no byte that XML or COPY changes, no
 * space last, short enough for a cell) is copied as it is; any other is decoded and written by
 * textCell itself (escapes, forbidden characters, the formula quote style, xml:space, the cut to a
 * cell's length). A number column's field is JavaScript's form of the number already (copy.ts
 * sqlJsNumber); NaN and ±Infinity leave the cell out, as null and "" do.
 */
import { columnName, MAX_COLUMNS, MAX_ROWS, textCell } from "./xlsx-writer";

/** Bytes after which a text field is written by textCell: COPY's backslash, what XML escapes or forbids (C0 controls, & < > "), and 0xEF (U+F000–U+FFFF holds U+FFFE/FFFF, which XML forbids). */
const SLOW = new Uint8Array(256);
for (let b = 0; b < 32; b++) SLOW[b] = 1;
for (const b of [0x5c, 0x26, 0x3c, 0x3e, 0x22, 0xef]) SLOW[b] = 1;
/** An ASCII letter or digit: a field starting with one cannot be a formula (formula.ts) nor start with white space. */
const PLAIN_FIRST = new Uint8Array(256);
for (let b = 0; b < 256; b++) PLAIN_FIRST[b] = (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) ? 1 : 0;

const TAB = 9;
const LF = 10;
const BACKSLASH = 0x5c;
/** A cell holds 32,767 UTF-16 units; a field of at most that many bytes holds no more units. */
const FAST_MAX_BYTES = 32_767;
/** Output is handed on in pieces of about this size. */
const PIECE = 64 * 1024;

const ascii = (s: string) => Buffer.from(s, "latin1");
const ROW_OPEN = ascii('<row r="');
const TAG_END = ascii('">');
const ROW_CLOSE = ascii("</row>");
const CELL_OPEN = ascii('<c r="');
const TEXT_OPEN = ascii('" t="inlineStr"><is><t>');
const TEXT_CLOSE = ascii("</t></is></c>");
const NUMBER_OPEN = ascii('"><v>');
const NUMBER_CLOSE = ascii("</v></c>");

const UNESCAPE: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };
/** COPY's text format: a backslash before b f n r t v is that control character, before anything else that character. */
const unescape = (field: string) => field.replace(/\\(.)/gs, (_, c: string) => UNESCAPE[c] ?? c);

/**
 * Takes COPY's text-format output in chunks as they come (lines may be cut anywhere) and gives the
 * `<row>` elements of the complete lines, numbered from `firstRow`.
 */
export class CopyRowsXml {
  private out: Buffer = Buffer.allocUnsafe(PIECE + 1024);
  private at = 0;
  private rest: Buffer | null = null;
  /** Full pieces not handed on yet. */
  private pieces: Buffer[] = [];
  private row: number;
  private readonly columns: Buffer[];
  private readonly digits = Buffer.alloc(16);
  private digitCount = 0;

  constructor(
    private readonly numeric: readonly boolean[],
    firstRow: number,
  ) {
    if (numeric.length > MAX_COLUMNS) throw new Error(`export: ${numeric.length} columns, more than a worksheet holds`);
    this.row = firstRow - 1;
    this.columns = numeric.map((_, c) => ascii(columnName(c)));
  }

  /** The number of the last row written (firstRow - 1 before any). */
  get lastRow(): number {
    return this.row;
  }

  /** Adds a chunk; returns the pieces of XML filled so far (about 64 KiB each), or none. */
  push(chunk: Buffer): Buffer[] {
    let from = 0;
    if (this.rest) {
      // The line cut at the last chunk's end: joined with its end only, not with the whole chunk.
      const lf = chunk.indexOf(LF);
      if (lf < 0) {
        this.rest = Buffer.concat([this.rest, chunk]);
        return [];
      }
      const line = Buffer.concat([this.rest, chunk.subarray(0, lf + 1)]);
      this.rest = null;
      this.lines(line, 0, line.length);
      from = lf + 1;
    }
    const end = chunk.lastIndexOf(LF) + 1;
    if (end > from) this.lines(chunk, from, end);
    if (Math.max(end, from) < chunk.length) this.rest = Buffer.from(chunk.subarray(Math.max(end, from)));
    return this.handOn();
  }

  /** The XML not handed on yet; throws when COPY's output ended inside a line. */
  end(): Buffer[] {
    if (this.rest) throw new Error("export: COPY ended inside a line");
    if (this.at > 0) this.pieces.push(this.take());
    return this.handOn();
  }

  /** The pieces filled so far, given up. */
  private handOn(): Buffer[] {
    const pieces = this.pieces;
    this.pieces = [];
    return pieces;
  }

  private take(): Buffer {
    const piece = this.out.subarray(0, this.at);
    this.out = Buffer.allocUnsafe(PIECE + 1024);
    this.at = 0;
    return piece;
  }

  /** Room for `bytes` more: the piece being filled is handed on as it is (a row may span pieces) and a new one started. */
  private room(bytes: number) {
    if (this.at + bytes <= this.out.length) return;
    if (this.at > 0) this.pieces.push(this.out.subarray(0, this.at));
    this.out = Buffer.allocUnsafe(Math.max(PIECE + 1024, bytes));
    this.at = 0;
  }

  /** Copies source[from, to) to the end of the output: by hand when short (Buffer.copy's call costs more than a field's bytes). */
  private put(source: Buffer, from = 0, to = source.length) {
    const out = this.out;
    let at = this.at;
    if (to - from > 48) {
      source.copy(out, at, from, to);
      at += to - from;
    } else for (let i = from; i < to; i++) out[at++] = source[i]!;
    this.at = at;
  }

  /** The lines in data[start, end), end just past a line feed. */
  private lines(data: Buffer, start: number, end: number) {
    const count = this.numeric.length;
    let pos = start;
    while (pos < end) {
      if (this.row >= MAX_ROWS) throw new Error(`export: more than ${MAX_ROWS - 1} rows, more than a worksheet holds`);
      this.row++;
      this.digitCount = this.digits.write(String(this.row), 0, "latin1");
      this.room(32);
      this.put(ROW_OPEN);
      this.put(this.digits, 0, this.digitCount);
      this.put(TAG_END);
      for (let c = 0; c < count; c++) {
        let e = pos;
        let slow = 0;
        let b = data[e]!;
        while (b !== TAB && b !== LF) {
          slow |= SLOW[b]!;
          b = data[++e]!;
        }
        if ((b === LF) !== (c === count - 1)) throw new Error(`export: a COPY line has ${this.fieldCount(data, pos, c)} fields, not ${count}`);
        this.cell(data, pos, e, c, slow);
        pos = e + 1;
      }
      this.room(ROW_CLOSE.length);
      this.put(ROW_CLOSE);
      if (this.at >= PIECE) this.pieces.push(this.take());
    }
  }

  /** How many fields the line holding data[pos] has, field `c` starting there (for the error). */
  private fieldCount(data: Buffer, pos: number, c: number): number {
    const lf = data.indexOf(LF, pos);
    let n = c + 1;
    for (let i = pos; i < lf; i++) if (data[i] === TAB) n++;
    return n;
  }

  private cell(data: Buffer, s: number, e: number, c: number, slow: number) {
    const length = e - s;
    // Nothing and "" leave the cell out.
    if (length === 0 || (length === 2 && data[s] === BACKSLASH && data[s + 1] === 0x4e)) return;
    const column = this.columns[c]!;
    if (this.numeric[c]) {
      // NaN, Infinity, -Infinity are no numbers a cell holds: left out, as cellXml does.
      const first = data[s];
      if (first === 0x4e || first === 0x49 || (first === 0x2d && data[s + 1] === 0x49)) return;
      return this.copiedCell(column, NUMBER_OPEN, data, s, e, NUMBER_CLOSE);
    }
    if (!slow && PLAIN_FIRST[data[s]!] && data[e - 1] !== 0x20 && length <= FAST_MAX_BYTES) {
      return this.copiedCell(column, TEXT_OPEN, data, s, e, TEXT_CLOSE);
    }
    const field = data.toString("utf8", s, e);
    const xml = textCell(slow ? unescape(field) : field, ` r="${column.toString("latin1")}${this.row}"`, false);
    const bytes = Buffer.byteLength(xml, "utf8");
    this.room(bytes);
    this.at += this.out.write(xml, this.at, "utf8");
  }

  /** A cell whose value is data[s, e) as it is, between `open` and `close`. */
  private copiedCell(column: Buffer, open: Buffer, data: Buffer, s: number, e: number, close: Buffer) {
    this.room(e - s + 64);
    this.put(CELL_OPEN);
    this.put(column);
    this.put(this.digits, 0, this.digitCount);
    this.put(open);
    this.put(data, s, e);
    this.put(close);
  }
}

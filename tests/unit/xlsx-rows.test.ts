/**
 * server/export/xlsx-rows.ts: COPY's text format made into worksheet rows bytes to bytes gives the
 * same workbook, byte for byte, as the writer's own cells (xlsx-writer.ts rowXml) for the same
 * values, whatever the cells hold and wherever the chunks are cut; lines it cannot read fail.
 */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { MAX_CELL_CHARS, MAX_ROWS, writeXlsx, type CellValue } from "@/server/export/xlsx-writer";
import { CopyRowsXml } from "@/server/export/xlsx-rows";

/** A field as PostgreSQL's COPY TO writes it in text format (CopyAttributeOutText): backslash, b f n r t v escaped; other bytes as they are. */
function copyField(value: string | null): string {
  if (value === null) return "\\N";
  return value.replace(/[\\\b\f\n\r\t\v]/g, (c) => ({ "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v" })[c]!);
}

/** mulberry32: the same "random" rows on every run. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pieces text cells are made of: plain, markup, COPY's escapes, what XML forbids, formula triggers, white space, pairs, N and I (null's and Infinity's letters). */
const PIECES = ["a", "Z", "7", "web-01", " ", "  ", "\t", "\n", "\r", "\\", "\\N", "&", "<", ">", '"', "'", "=", "+", "-", "@", "\u0001", "\u001f", "\u000b", "\ufffe", "\uffff", "\uff1d", "\u3000", "\u00a0", "é", "😀", "N", "I", "\u200b", "Müller"];
const NUMBERS = [0, 1, -1, 4096, 0.5, -0.25, 1e-7, 123456.789, 1e21, -1e-300, Number.MAX_SAFE_INTEGER, NaN, Infinity, -Infinity];

function textValue(next: () => number): string | null {
  const r = next();
  if (r < 0.1) return null;
  if (r < 0.15) return "";
  if (r < 0.55) return `vm-${Math.floor(next() * 1e6)}.example`;
  let s = "";
  for (let i = Math.floor(next() * 6) + 1; i > 0; i--) s += PIECES[Math.floor(next() * PIECES.length)]!;
  return s;
}

interface Table {
  numeric: boolean[];
  rows: (string | number | null)[][];
}

function table(seed: number, count: number): Table {
  const next = random(seed);
  const numeric = [false, true, false, false, true, false];
  const rows = Array.from({ length: count }, () =>
    numeric.map((isNumber) => (isNumber ? (next() < 0.15 ? null : NUMBERS[Math.floor(next() * NUMBERS.length)]!) : textValue(next))),
  );
  return { numeric, rows };
}

/** The COPY text of the rows: a number column's field is JavaScript's form of the number (copy.ts sqlJsNumber). */
const copyText = (t: Table) => Buffer.from(t.rows.map((row) => row.map((v) => copyField(v === null ? null : String(v))).join("\t") + "\n").join(""), "utf8");

async function workbook(rows: CellValue[][] | { elements: AsyncIterable<Buffer>; count(): number }): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on("data", (c: Buffer) => chunks.push(c));
  const header = ["Name", "vCPUs", "Host", "Notes", "Memory", "Cluster"];
  const result = await writeXlsx([{ name: "VMs", header, rows, frozenHeader: true }], out, { compressionLevel: 1 });
  expect(result.rows.VMs).toBe(Array.isArray(rows) ? rows.length : rows.count());
  return Buffer.concat(chunks);
}

/** The rows made by CopyRowsXml from `text` cut into chunks at the given offsets. */
function elements(numeric: boolean[], text: Buffer, cuts: number[]) {
  const xml = new CopyRowsXml(numeric, 2);
  const bounds = [0, ...cuts.filter((c) => c > 0 && c < text.length).sort((a, b) => a - b), text.length];
  async function* made() {
    for (let i = 0; i + 1 < bounds.length; i++) yield* xml.push(text.subarray(bounds[i], bounds[i + 1]));
    yield* xml.end();
  }
  return { elements: made(), count: () => xml.lastRow - 1 };
}

describe("COPY's text format to worksheet rows", () => {
  it("writes the same workbook as the writer's own cells, byte for byte, for hostile and plain cells", async () => {
    const t = table(19, 3_000);
    const text = copyText(t);
    const expected = await workbook(t.rows);
    // Whole, in 1,000-byte chunks (cut inside lines, escapes and UTF-8 characters), and at random offsets.
    const next = random(7);
    for (const cuts of [[], Array.from({ length: Math.floor(text.length / 1000) }, (_, i) => (i + 1) * 1000), Array.from({ length: 400 }, () => Math.floor(next() * text.length))]) {
      expect((await workbook(elements(t.numeric, text, cuts))).equals(expected)).toBe(true);
    }
  });

  it("cuts long text at a cell's 32,767 units as the writer does, a pair never split, and copies long plain text whole", async () => {
    const long = ["x".repeat(MAX_CELL_CHARS), "y".repeat(MAX_CELL_CHARS + 1), `${"a".repeat(MAX_CELL_CHARS - 1)}😀tail`, "é".repeat(20_000), "&".repeat(40_000)];
    const t: Table = { numeric: [false, true], rows: long.map((s, i) => [s, i]) };
    const text = copyText(t);
    const expected = await workbook(t.rows);
    expect((await workbook(elements(t.numeric, text, [1, 70_000, 100_001]))).equals(expected)).toBe(true);
  });

  it("is not the same workbook when a cell differs (the comparison can fail)", async () => {
    const t = table(3, 50);
    const other = table(3, 50);
    other.rows[10]![0] = "changed";
    expect((await workbook(elements(t.numeric, copyText(other), []))).equals(await workbook(t.rows))).toBe(false);
  });

  it("fails on a line with too few or too many fields, and on output ending inside a line", () => {
    expect(() => new CopyRowsXml([false, true], 2).push(Buffer.from("a\t1\nb\n"))).toThrow("a COPY line has 1 fields, not 2");
    expect(() => new CopyRowsXml([false, true], 2).push(Buffer.from("a\t1\t2\n"))).toThrow("a COPY line has 3 fields, not 2");
    const cut = new CopyRowsXml([false, true], 2);
    expect(cut.push(Buffer.from("a\t1\nb\t"))).toBeDefined();
    expect(() => cut.end()).toThrow("COPY ended inside a line");
  });

  it("writes a worksheet's last row (1,048,576) and stops after it", () => {
    const xml = new CopyRowsXml([false], MAX_ROWS);
    expect(() => xml.push(Buffer.from("a\nb\n"))).toThrow(`more than ${MAX_ROWS - 1} rows`);
    expect(xml.lastRow).toBe(MAX_ROWS);
  });
});

/**
 * The table exports' .xlsx (server/export/xlsx.ts over the shared writer server/export/xlsx-writer.ts),
 * read back with the project's own xlsx reader (server/collectors/rvtools/xlsx.ts): hostile text
 * stays text and exact, numbers stay numbers, characters XML forbids are dropped, Excel's 32,767-char
 * cell limit holds, the header is bold and frozen, and rows stream (a failing source fails the body).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readXlsx } from "@/server/collectors/rvtools/xlsx";
import { ZIP_LIMITS } from "@/server/collectors/rvtools/zip";
import type { CellValue } from "@/server/collectors/rvtools/types";
import { exportFilename, type ExportCell, type ExportColumn } from "@/server/export/csv";
import { MAX_CELL_CHARS, cellText } from "@/server/export/xlsx-writer";
import { XLSX_CONTENT_TYPE, xlsxResponse, xlsxStream } from "@/server/export/xlsx";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fleetlens-xlsx-test-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Row {
  name: string;
  value: ExportCell;
}
const COLUMNS: ExportColumn<Row>[] = [
  { header: "Name", cell: (r) => r.name },
  { header: "Value", cell: (r) => r.value },
];

let n = 0;
/** Writes the stream to a file and reads it back: the header and every row's cells. */
async function readBack(stream: ReadableStream<Uint8Array>): Promise<{ header: string[]; rows: CellValue[][]; sheet: string }> {
  const file = join(dir, `t${++n}.xlsx`);
  await writeFile(file, Buffer.from(await new Response(stream).arrayBuffer()));
  const book = await readXlsx(file, ZIP_LIMITS);
  try {
    expect(book.tabs).toHaveLength(1);
    const tab = book.tabs[0]!;
    const rows: CellValue[][] = [];
    for await (const row of tab.rows) rows.push(row.cells);
    return { header: tab.header, rows, sheet: tab.name };
  } finally {
    await book.close();
  }
}

/** The raw sheet XML of a one-row export (to check styles the reader does not report). */
async function sheetXml(stream: ReadableStream<Uint8Array>): Promise<string> {
  const yauzl = (await import("yauzl")).default;
  const buffer = Buffer.from(await new Response(stream).arrayBuffer());
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      zip.on("entry", (entry: import("yauzl").Entry) => {
        if (entry.fileName !== "xl/worksheets/sheet1.xml") return zip.readEntry();
        zip.openReadStream(entry, (e, s) => {
          if (e) return reject(e);
          const parts: Buffer[] = [];
          s.on("data", (c: Buffer) => parts.push(c));
          s.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
        });
      });
      zip.on("end", () => reject(new Error("no sheet1.xml")));
      zip.readEntry();
    });
  });
}

describe("xlsx export: hostile cells read back as written", () => {
  const hostile: [string, ExportCell, CellValue][] = [
    ["a DDE payload", "=cmd|' /C calc'!A0", "=cmd|' /C calc'!A0"],
    ["an @ function", "@SUM(1)", "@SUM(1)"],
    ["a leading +", "+1", "+1"],
    ["text -1", "-1", "-1"],
    ["the number -1", -1, -1],
    ["a fraction", 12288.5, 12288.5],
    ["a tab then =", "\t=1+1", "\t=1+1"],
    ["markup", '<b>&"x"</b>', '<b>&"x"</b>'],
    ["XML-forbidden controls dropped", "a\u0000b\u0007c\u001bd\uffffe", "abcde"],
    ["a lone surrogate dropped", "x\ud800y", "xy"],
    ["an emoji kept", "web \ud83d\ude00", "web \ud83d\ude00"],
    ["nothing", null, null],
    ["empty text", "", null],
    ["NaN written as nothing", Number.NaN, null],
  ];
  it.each(hostile)("%s", async (_, value, want) => {
    const { header, rows } = await readBack(xlsxStream([{ name: "w1", value }, { name: "w2", value: 7 }], COLUMNS));
    expect(header).toEqual(["Name", "Value"]);
    expect(rows[0]).toEqual(want === null ? ["w1"] : ["w1", want]);
    expect(rows[1]).toEqual(["w2", 7]);
  });

  it("writes no formula, and marks formula-like text with Excel's quote prefix (plain text and numbers are not)", async () => {
    const xml = await sheetXml(xlsxStream([{ name: "=1+1", value: "plain" }, { name: "-1", value: -1 }], COLUMNS));
    expect(xml).not.toContain("<f>");
    expect(xml).toContain('<c r="A2" s="2" t="inlineStr"><is><t>=1+1</t>');
    expect(xml).toContain('<c r="B2" t="inlineStr"><is><t>plain</t>');
    expect(xml).toContain('<c r="A3" s="2" t="inlineStr">');
    expect(xml).toContain('<c r="B3"><v>-1</v></c>');
    // The header row is bold (style 3) and frozen.
    expect(xml).toContain('<c r="A1" s="3" t="inlineStr">');
    expect(xml).toContain('state="frozen"');
  });

  it("cuts a cell to Excel's 32,767 characters, never between the halves of a surrogate pair", async () => {
    const long = "x".repeat(MAX_CELL_CHARS + 500);
    const { rows } = await readBack(xlsxStream([{ name: long, value: 1 }], COLUMNS));
    expect(rows[0]![0]).toBe("x".repeat(MAX_CELL_CHARS));
    const split = `${"x".repeat(MAX_CELL_CHARS - 1)}\ud83d\ude00`;
    expect(cellText(split)).toBe("x".repeat(MAX_CELL_CHARS - 1));
    expect(cellText("x".repeat(MAX_CELL_CHARS))).toHaveLength(MAX_CELL_CHARS);
  });
});

describe("xlsx export: streaming", () => {
  it("writes 20,000 rows from an async source, in order", async () => {
    async function* rows() {
      for (let i = 0; i < 20_000; i++) yield { name: `vm-${i}`, value: i };
    }
    const { rows: back } = await readBack(xlsxStream(rows(), COLUMNS, { sheet: "Virtual machines" }));
    expect(back).toHaveLength(20_000);
    expect(back[0]).toEqual(["vm-0", 0]);
    expect(back[19_999]).toEqual(["vm-19999", 19_999]);
  });

  it("fails the body when the rows fail half-way (no file that looks complete)", async () => {
    async function* rows() {
      for (let i = 0; i < 5000; i++) yield { name: `vm-${i}`, value: i };
      throw new Error("cursor went away");
    }
    await expect(new Response(xlsxStream(rows(), COLUMNS)).arrayBuffer()).rejects.toThrow();
  });

  it("stops reading rows when the download is cancelled", async () => {
    let read = 0;
    let closed = false;
    async function* rows() {
      try {
        for (let i = 0; i < 1_000_000; i++) {
          read++;
          yield { name: `vm-${i}-${"p".repeat(200)}`, value: i };
        }
      } finally {
        closed = true;
      }
    }
    const reader = xlsxStream(rows(), COLUMNS).getReader();
    // The first chunks are the workbook's small parts: read until the rows have started.
    for (let k = 0; k < 50 && read === 0; k++) await reader.read();
    expect(read).toBeGreaterThan(0);
    await reader.cancel();
    await expect.poll(() => closed, { timeout: 5000 }).toBe(true);
    expect(read).toBeLessThan(100_000);
  });

  it("answers an attachment with the xlsx type and a .xlsx name", async () => {
    const filename = exportFilename("Société Générale", "virtual machines", new Date("2026-11-01T23:30:00Z"), "xlsx");
    expect(filename).toBe("societe-generale-virtual-machines-2026-11-01.xlsx");
    const response = xlsxResponse([{ name: "a", value: 1 }], COLUMNS, filename);
    expect(response.headers.get("content-type")).toBe(XLSX_CONTENT_TYPE);
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="${filename}"`);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const { rows } = await readBack(response.body!);
    expect(rows).toEqual([["a", 1]]);
  });
});

/**
 * The RVTools xlsx reader (server/collectors/rvtools/xlsx.ts): workbooks built here with yazl from
 * minimal SpreadsheetML parts, as Excel and RVTools write them: cell types, dates in both date systems,
 * formulas (cached values only), sparse rows, sheet names, the same VMs as from the CSV variant, bad
 * and hostile files, and the command line on an .xlsx.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import yazl from "yazl";
import { createRvtoolsBuilder } from "@/server/collectors/rvtools/normalise";
import { openRvtoolsExport, type ReadLimits } from "@/server/collectors/rvtools/read";
import { RvtoolsInputError, type CellValue } from "@/server/collectors/rvtools/types";
import { columnIndex, excelSerialToDate, isDateFormat, readXlsx, tabName, XLSX_LIMITS, type XlsxLimits } from "@/server/collectors/rvtools/xlsx";
import { ZIP_LIMITS } from "@/server/collectors/rvtools/zip";

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "rvtools-xlsx-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// --- building workbooks ----------------------------------------------------------------------------

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
const REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const xmlEscape = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/**
 * Styles: 0 General, 1 built-in 22 (m/d/yyyy h:mm), 2 custom "yyyy-mm-dd hh:mm:ss", 3 custom
 * '0.00 "days"' (a number: the d and s are quoted), 4 built-in 14 (date), 5 "[Red]0.00" (a number),
 * 6 built-in 4 (#,##0.00).
 */
const STYLES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet ${NS}><numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/><numFmt numFmtId="165" formatCode="0.00 &quot;days&quot;"/><numFmt numFmtId="166" formatCode="[Red]0.00"/></numFmts>
<cellStyleXfs count="1"><xf numFmtId="22"/></cellStyleXfs>
<cellXfs count="7"><xf numFmtId="0"/><xf numFmtId="22" applyNumberFormat="1"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="14"/><xf numFmtId="166"/><xf numFmtId="4"/></cellXfs></styleSheet>`;

/** A cell: values become shared strings, numbers, booleans or date serials (style 1); `{ xml }` is written as is. */
type XCell = string | number | boolean | Date | null | { xml: string };

const serial = (d: Date, date1904 = false) => d.getTime() / 86_400_000 + (date1904 ? 24_107 : 25_569);

function col(i: number): string {
  let s = "";
  for (let k = i + 1; k > 0; k = Math.floor((k - 1) / 26)) s = String.fromCharCode(65 + ((k - 1) % 26)) + s;
  return s;
}

/** The worksheet XML of these rows; strings go to `sst` (shared) unless `inline`. */
function sheetXml(rows: XCell[][], sst: string[], { inline = false, date1904 = false } = {}): string {
  const body = rows
    .map((cells, r) => {
      const xs = cells
        .map((c, i) => {
          const ref = `${col(i)}${r + 1}`;
          if (c === null) return "";
          if (typeof c === "object" && !(c instanceof Date)) return c.xml;
          if (typeof c === "number") return `<c r="${ref}"><v>${c}</v></c>`;
          if (typeof c === "boolean") return `<c r="${ref}" t="b"><v>${c ? 1 : 0}</v></c>`;
          if (c instanceof Date) return `<c r="${ref}" s="1"><v>${serial(c, date1904)}</v></c>`;
          if (inline) return `<c r="${ref}" t="inlineStr"><is><t xml:space="preserve">${xmlEscape(c)}</t></is></c>`;
          sst.push(c);
          return `<c r="${ref}" t="s"><v>${sst.length - 1}</v></c>`;
        })
        .join("");
      return `<row r="${r + 1}">${xs}</row>`;
    })
    .join("");
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet ${NS}><dimension ref="A1"/><sheetData>${body}</sheetData></worksheet>`;
}

interface Book {
  /** Sheet name → its rows (XCell) or its whole XML. */
  sheets: [string, XCell[][] | string][];
  inline?: boolean;
  date1904?: boolean;
  /** The sharedStrings part as is (else made from the sheets' strings). */
  sharedStrings?: string;
  /** Parts replaced or added (name → content), or removed (null). */
  parts?: Record<string, string | Buffer | null>;
  /** Sheet targets in the workbook's rels written absolute ("/xl/worksheets/...") */
  absoluteTargets?: boolean;
}

function bookParts(book: Book): Record<string, string | Buffer> {
  const sst: string[] = [];
  const sheets = book.sheets.map(([name, rows], i) => ({
    name,
    part: `worksheets/sheet${i + 1}.xml`,
    xml: typeof rows === "string" ? rows : sheetXml(rows, sst, { inline: book.inline, date1904: book.date1904 }),
  }));
  const parts: Record<string, string | Buffer> = {
    "[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>${sheets.map((s) => `<Override PartName="/xl/${s.part}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`).join("")}</Types>`,
    "_rels/.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    "xl/workbook.xml": `<?xml version="1.0" encoding="UTF-8"?><workbook ${NS}><workbookPr${book.date1904 ? ' date1904="1"' : ""}/><sheets>${sheets.map((s, i) => `<sheet name="${xmlEscape(s.name)}" sheetId="${i + 1}" r:id="rId${i + 10}"/>`).join("")}</sheets></workbook>`,
    "xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${sheets.map((s, i) => `<Relationship Id="rId${i + 10}" Type="${REL}/worksheet" Target="${book.absoluteTargets ? "/xl/" : ""}${s.part}"/>`).join("")}<Relationship Id="rId2" Type="${REL}/styles" Target="styles.xml"/><Relationship Id="rId3" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
    "xl/styles.xml": STYLES,
  };
  for (const s of sheets) parts[`xl/${s.part}`] = s.xml;
  parts["xl/sharedStrings.xml"] =
    book.sharedStrings ??
    `<?xml version="1.0" encoding="UTF-8"?><sst ${NS} count="${sst.length}" uniqueCount="${sst.length}">${sst.map((s) => `<si><t xml:space="preserve">${xmlEscape(s)}</t></si>`).join("")}</sst>`;
  for (const [name, data] of Object.entries(book.parts ?? {})) {
    if (data === null) delete parts[name];
    else parts[name] = data;
  }
  return parts;
}

function zipOf(parts: Record<string, string | Buffer>): Promise<Buffer> {
  const file = new yazl.ZipFile();
  for (const [name, data] of Object.entries(parts)) file.addBuffer(Buffer.from(data), name, { mtime: new Date(2026, 0, 1) });
  file.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    file.outputStream.on("data", (c: Buffer) => chunks.push(c));
    file.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
    file.outputStream.on("error", reject);
  });
}

async function saved(name: string, data: string | Buffer): Promise<string> {
  const dir = join(root, `f${++n}`);
  await mkdir(dir);
  const path = join(dir, name);
  await writeFile(path, data);
  return path;
}

const xlsxFile = async (book: Book, name = "export.xlsx") => saved(name, await zipOf(bookParts(book)));

interface ReadTab {
  name: string;
  origin: string;
  header: string[];
  rows: { row: number; cells: CellValue[] }[];
}

async function readAll(path: string, limits: Partial<ReadLimits> = {}): Promise<{ tabs: ReadTab[]; warnings: string[] }> {
  const opened = await openRvtoolsExport(path, limits);
  try {
    const tabs: ReadTab[] = [];
    for (const tab of opened.tabs) {
      const rows = [];
      for await (const row of tab.rows) rows.push(row);
      tabs.push({ name: tab.name, origin: tab.origin, header: tab.header, rows });
    }
    return { tabs, warnings: opened.warnings };
  } finally {
    await opened.close();
  }
}

async function refusal(promise: Promise<unknown>): Promise<RvtoolsInputError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RvtoolsInputError);
  return error as RvtoolsInputError;
}

/** vInfo of one data row: the header A.. and the given cells (each as raw XML or a value). */
async function oneRow(cells: XCell[], book: Partial<Book> = {}): Promise<CellValue[]> {
  const header = cells.map((_, i) => `H${i}`);
  const { tabs } = await readAll(await xlsxFile({ sheets: [["vInfo", [header, cells]]], ...book }));
  return tabs[0]!.rows[0]!.cells;
}

// --- pure helpers ----------------------------------------------------------------------------------

describe("xlsx helpers", () => {
  it.each([
    ["yyyy-mm-dd hh:mm:ss", true],
    ["m/d/yyyy", true],
    ["[$-409]mmmm d, yyyy;@", true],
    ["[h]:mm:ss", true],
    ["General", false],
    ["0.00", false],
    ['0.00 "days"', false],
    ["#,##0 \\d", false],
    ["[Red]0.00", false],
    ["0_s", false],
    ["@", false],
  ])("isDateFormat(%j) is %s", (code, date) => expect(isDateFormat(code)).toBe(date));

  it.each([
    ["A1", 0],
    ["Z9", 25],
    ["AA10", 26],
    ["ab3", 27],
    ["XFD1", 16_383],
    ["XFE1", -1],
    ["1", -1],
    ["", -1],
  ])("columnIndex(%j) is %d", (ref, index) => expect(columnIndex(ref)).toBe(index));

  it.each([
    [45714.537, false, "2025-02-26T12:53:16.800Z"],
    [61, false, "1900-03-01T00:00:00.000Z"],
    [59, false, "1900-02-28T00:00:00.000Z"],
    [1, false, "1900-01-01T00:00:00.000Z"],
    [0, true, "1904-01-01T00:00:00.000Z"],
    [44252.537, true, "2025-02-26T12:53:16.800Z"],
  ])("excelSerialToDate(%d, 1904: %s) is %s", (s, date1904, iso) => expect(excelSerialToDate(s, date1904).toISOString()).toBe(iso));

  it.each([
    ["RVTools_tabvInfo", "vInfo"],
    ["rvtools_tabvDisk", "vDisk"],
    ["vInfo", "vInfo"],
    [" vHost ", "vHost"],
    ["RVTools_tab", "RVTools_tab"],
    ["RVTools_vInfo", "RVTools_vInfo"],
  ])("tabName(%j) is %j", (sheet, tab) => expect(tabName(sheet)).toBe(tab));
});

// --- cells -----------------------------------------------------------------------------------------

describe("xlsx cells", () => {
  const when = new Date("2025-02-26T12:53:16.000Z");
  const cases: { label: string; cell: XCell; book?: Partial<Book>; value: CellValue }[] = [
    { label: "a shared string", cell: "web01", value: "web01" },
    { label: "an inline string", cell: { xml: '<c r="A2" t="inlineStr"><is><t>inline</t></is></c>' }, value: "inline" },
    { label: "an empty shared string", cell: "", value: null },
    { label: "a number", cell: 4096, value: 4096 },
    { label: "a decimal", cell: { xml: '<c r="A2"><v>0.125</v></c>' }, value: 0.125 },
    { label: "a number with no value", cell: { xml: '<c r="A2" s="6"/>' }, value: null },
    { label: "a number in a number format (#,##0.00)", cell: { xml: '<c r="A2" s="6"><v>45714.5</v></c>' }, value: 45714.5 },
    { label: "a date (built-in format 22)", cell: when, value: when },
    { label: "a date (built-in format 14)", cell: { xml: '<c r="A2" s="4"><v>45714</v></c>' }, value: new Date("2025-02-26T00:00:00.000Z") },
    { label: "a date (custom yyyy-mm-dd hh:mm:ss)", cell: { xml: `<c r="A2" s="2"><v>${serial(when)}</v></c>` }, value: when },
    { label: "a quoted d in a custom format stays a number", cell: { xml: '<c r="A2" s="3"><v>45714</v></c>' }, value: 45714 },
    { label: "a bracketed colour stays a number", cell: { xml: '<c r="A2" s="5"><v>45714</v></c>' }, value: 45714 },
    { label: "an ISO date cell (t=d)", cell: { xml: '<c r="A2" t="d"><v>2025-02-26T12:53:16Z</v></c>' }, value: when },
    { label: "a 1904-system date", cell: when, book: { date1904: true }, value: when },
    { label: "true", cell: true, value: true },
    { label: "false", cell: false, value: false },
    {
      label: "a formula's cached text (HYPERLINK not evaluated)",
      cell: { xml: '<c r="A2" t="str"><f>HYPERLINK("https://evil.example/","vc1.lab")</f><v>vc1.lab</v></c>' },
      value: "vc1.lab",
    },
    { label: "a formula's cached number, even when it is not what the formula gives", cell: { xml: '<c r="A2"><f>1+1</f><v>3</v></c>' }, value: 3 },
    { label: "a formula without a cached value", cell: { xml: '<c r="A2"><f>1+1</f></c>' }, value: null },
    { label: "an error value", cell: { xml: '<c r="A2" t="e"><f>1/0</f><v>#DIV/0!</v></c>' }, value: "#DIV/0!" },
    {
      label: "an inline rich text with a phonetic guide",
      cell: { xml: '<c r="A2" t="inlineStr"><is><r><t>Tok</t></r><r><rPr><b/></rPr><t>yo</t></r><rPh sb="0" eb="1"><t>トウキョウ</t></rPh></is></c>' },
      value: "Tokyo",
    },
    { label: "escaped text", cell: "a < b & \"c\"", value: 'a < b & "c"' },
    { label: "text with spaces kept", cell: { xml: '<c r="A2" t="inlineStr"><is><t xml:space="preserve"> x </t></is></c>' }, value: " x " },
    { label: "a prefixed cell (x:c)", cell: { xml: '<x:c r="A2" t="inlineStr" xmlns:x="urn:x"><x:is><x:t>pre</x:t></x:is></x:c>' }, value: "pre" },
  ];
  it.each(cases)("$label", async ({ cell, book, value }) => {
    const cells = await oneRow([cell, "end"], book);
    expect(cells).toEqual([value, "end"]);
  });

  it("rich-text shared strings join their runs and leave out phonetic guides", async () => {
    const sst = `<sst ${NS}><si><r><t>web</t></r><r><rPr><b/></rPr><t xml:space="preserve">-01 </t></r></si><si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si><si><t/></si></sst>`;
    const rows = [
      ["A", "B", "C"],
      [{ xml: '<c r="A2" t="s"><v>0</v></c>' }, { xml: '<c r="B2" t="s"><v>1</v></c>' }, { xml: '<c r="C2" t="s"><v>2</v></c>' }],
    ];
    const { tabs } = await readAll(await xlsxFile({ sheets: [["vInfo", rows]], sharedStrings: sst }));
    expect(tabs[0]!.rows[0]!.cells).toEqual(["web-01 ", "東京", null]);
  });

  it("places cells by their reference: missing cells are null, cells without r follow the previous one", async () => {
    const rows: XCell[][] = [
      ["A", "B", "C", "D", "E"],
      [{ xml: '<c r="B2"><v>1</v></c><c><v>2</v></c><c r="E2"><v>5</v></c>' }],
      [{ xml: "<c><v>10</v></c><c><v>11</v></c>" }],
    ];
    const { tabs } = await readAll(await xlsxFile({ sheets: [["vInfo", rows]] }));
    expect(tabs[0]!.rows.map((r) => [r.row, r.cells])).toEqual([
      [2, [null, 1, 2, null, 5]],
      [3, [10, 11]],
    ]);
  });

  it("numbers rows as the sheet does (rows Excel keeps for formatting only are skipped), header = first row", async () => {
    const xml = `<worksheet ${NS}><sheetData><row r="2"><c r="A2" t="inlineStr"><is><t>VM</t></is></c><c r="B2" t="inlineStr"><is><t> CPUs </t></is></c></row><row r="3" ht="20"><c r="A3" s="1"/></row><row r="7"><c r="A7" t="inlineStr"><is><t>web01</t></is></c><c r="B7"><v>2</v></c></row><row><c r="A8" t="inlineStr"><is><t>db01</t></is></c></row></sheetData></worksheet>`;
    const { tabs } = await readAll(await xlsxFile({ sheets: [["vInfo", xml]] }));
    expect(tabs[0]!.header).toEqual(["VM", "CPUs"]);
    expect(tabs[0]!.rows).toEqual([
      { row: 7, cells: ["web01", 2] },
      { row: 8, cells: ["db01"] },
    ]);
  });
});

// --- workbook structure ----------------------------------------------------------------------------

describe("xlsx workbook", () => {
  it("reads several sheets in the workbook's order, RVTools_tab prefixes stripped, strings shared or inline", async () => {
    for (const inline of [false, true]) {
      const book: Book = {
        inline,
        sheets: [
          ["RVTools_tabvInfo", [["VM", "CPUs"], ["web01", 2]]],
          ["RVTools_tabvCPU", [["VM", "Cores p/s"], ["web01", 1]]],
          ["vHost", [["Host"], ["esx01"]]],
        ],
      };
      const { tabs } = await readAll(await xlsxFile(book, "RVTools_export_all.xlsx"));
      expect(tabs.map((t) => [t.name, t.origin, t.header, t.rows.map((r) => r.cells)])).toEqual([
        ["vInfo", "RVTools_export_all.xlsx", ["VM", "CPUs"], [["web01", 2]]],
        ["vCPU", "RVTools_export_all.xlsx", ["VM", "Cores p/s"], [["web01", 1]]],
        ["vHost", "RVTools_export_all.xlsx", ["Host"], [["esx01"]]],
      ]);
    }
  });

  it("follows absolute sheet targets, and reads a workbook without sharedStrings or styles", async () => {
    const book: Book = {
      inline: true,
      absoluteTargets: true,
      sheets: [["vInfo", [["VM", "CPUs"], ["web01", 2]]]],
      parts: { "xl/sharedStrings.xml": null, "xl/styles.xml": null },
    };
    const { tabs } = await readAll(await xlsxFile(book));
    expect(tabs[0]!.rows[0]!.cells).toEqual(["web01", 2]);
  });

  it("reads an .xlsx inside a .zip, and refuses two", async () => {
    const book = await zipOf(bookParts({ sheets: [["vInfo", [["VM", "CPUs"], ["web01", 2]]]] }));
    const { tabs, warnings } = await readAll(await saved("x.zip", await zipOf({ "RVTools_export_all.xlsx": book, "readme.txt": "x" })));
    expect(tabs.map((t) => [t.name, t.origin, t.rows.length])).toEqual([["vInfo", "x.zip!RVTools_export_all.xlsx", 1]]);
    expect(warnings).toEqual(["x.zip: not RVTools tab files, ignored: readme.txt"]);
    const error = await refusal(readAll(await saved("two.zip", await zipOf({ "a.xlsx": book, "b.xlsx": book }))));
    expect(error.message).toBe("two.zip: 2 .xlsx files inside (a.xlsx, b.xlsx): one export per zip");
  });

  it("parses a sheet only as its rows are read: a fault far down is not met while the first rows stream", async () => {
    const rows: XCell[][] = [["VM", "CPUs"]];
    for (let i = 0; i < 30_000; i++) rows.push([`vm-${i}`, 2]);
    rows.push([{ xml: '<c r="A30002" t="s"><v>999999</v></c>' }]);
    const opened = await openRvtoolsExport(await xlsxFile({ sheets: [["vInfo", rows]], inline: true }));
    try {
      const it = opened.tabs[0]!.rows[Symbol.asyncIterator]();
      for (let i = 0; i < 10; i++) expect((await it.next()).value).toEqual({ row: i + 2, cells: [`vm-${i}`, 2] });
      let error: unknown = null;
      try {
        for (let next = await it.next(); !next.done; next = await it.next());
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(RvtoolsInputError);
      expect((error as RvtoolsInputError).message).toBe(
        'export.xlsx: sheet "vInfo" (xl/worksheets/sheet1.xml): row 30002, cell A30002: shared string 999999 does not exist (0 in the workbook)',
      );
      expect((error as RvtoolsInputError).where).toEqual({ origin: "export.xlsx", tab: "vInfo", row: 30002, column: "A" });
    } finally {
      await opened.close();
    }
  });
});

// --- the same export as CSV and as xlsx -------------------------------------------------------------

describe("xlsx and CSV give the same VMs", () => {
  const VC = "11111111-aaaa-4bbb-8ccc-000000000001";
  const vinfoHeader = ["VM", "Powerstate", "Template", "CPUs", "Memory", "Provisioned MiB", "In Use MiB", "CBT", "Annotation", "Host", "Cluster", "Datacenter", "VM ID", "VM UUID", "VI SDK Server", "VI SDK UUID"];
  const vms = [
    ["web01", "poweredOn", false, 2, 4096, 40960.5, 20480, true, 'tier "web"; owner=ops', "esx01", "Prod", "DC1", "vm-10", "4221aaaa-0001", "vc1.lab", VC],
    ["db01", "poweredOff", false, 8, 32768, 204800, 102400, false, "", "esx01", "Prod", "DC1", "vm-11", "4221aaaa-0002", "vc1.lab", VC],
    ["tpl01", "poweredOff", true, 1, 2048, 16384, 4096, false, "line1\nline2", "esx02", "Prod", "DC1", "vm-12", "4221aaaa-0003", "vc1.lab", VC],
  ];
  const diskHeader = ["VM", "Disk", "Capacity MiB", "Thin", "Disk Path", "VM ID", "VI SDK UUID"];
  const disks = [
    ["web01", "Hard disk 1", 40960, true, "[ds1] web01/web01.vmdk", "vm-10", VC],
    ["db01", "Hard disk 1", 102400, false, "[ds2] db01/db01.vmdk", "vm-11", VC],
  ];
  const snapHeader = ["VM", "Name", "Date / time", "VM ID", "VI SDK UUID"];
  const taken = new Date("2025-02-26T12:53:16.000Z");
  const snaps = [["web01", "before patch", taken, "vm-10", VC]];

  const csvCell = (c: unknown) =>
    c instanceof Date ? "2/26/2025 12:53:16 PM" : typeof c === "boolean" ? (c ? "True" : "False") : String(c);
  const csvOf = (rows: unknown[][]) => rows.map((r) => r.map((c) => `"${csvCell(c).replaceAll('"', '""')}"`).join(",")).join("\r\n") + "\r\n";

  async function snapshotOf(path: string) {
    const opened = await openRvtoolsExport(path);
    try {
      const builder = createRvtoolsBuilder({ collectedAt: "2025-03-01T00:00:00.000Z" });
      for (const tab of opened.tabs) await builder.addTab(tab);
      return builder.finish().snapshot;
    } finally {
      await opened.close();
    }
  }

  it("through createRvtoolsBuilder", async () => {
    const dir = join(root, `csv${++n}`);
    await mkdir(dir);
    await writeFile(join(dir, "RVTools_tabvInfo.csv"), csvOf([vinfoHeader, ...vms]));
    await writeFile(join(dir, "RVTools_tabvDisk.csv"), csvOf([diskHeader, ...disks]));
    await writeFile(join(dir, "RVTools_tabvSnapshot.csv"), csvOf([snapHeader, ...snaps]));
    const fromCsv = await snapshotOf(dir);
    for (const inline of [false, true]) {
      const xlsx = await xlsxFile({
        inline,
        sheets: [
          ["vInfo", [vinfoHeader, ...vms] as XCell[][]],
          ["vDisk", [diskHeader, ...disks] as XCell[][]],
          ["vSnapshot", [snapHeader, ...snaps] as XCell[][]],
        ],
      });
      const fromXlsx = await snapshotOf(xlsx);
      expect(fromXlsx.virtualMachines).toEqual(fromCsv.virtualMachines);
      expect(fromXlsx.hosts).toEqual(fromCsv.hosts);
    }
    expect(fromCsv.virtualMachines?.map((v) => v.name)).toEqual(["web01", "db01", "tpl01"]);
    expect(JSON.stringify(fromCsv.virtualMachines)).toContain("2025-02-26T12:53:16.000Z");
  });
});

// --- refusals --------------------------------------------------------------------------------------

describe("xlsx refusals", () => {
  const good = (): Book => ({ sheets: [["vInfo", [["VM", "CPUs"], ["web01", 2]]]] });
  const cases: { label: string; input: () => Promise<string>; limits?: Partial<ReadLimits>; message: RegExp | string }[] = [
    {
      label: "a CFB container (encrypted workbook or .xls)",
      input: () => saved("locked.xlsx", Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504)])),
      message:
        "locked.xlsx: encrypted workbook (password-protected) or an old .xls: export the file again without a password, as .xlsx",
    },
    {
      label: "a CSV renamed .xlsx",
      input: () => saved("renamed.xlsx", '"VM","CPUs"\r\n"web01","2"\r\n'),
      message: /^renamed\.xlsx: not an xlsx workbook \(not a zip file/,
    },
    { label: "an empty file", input: () => saved("empty.xlsx", ""), message: /^empty\.xlsx: not an xlsx workbook \(not a zip file/ },
    {
      label: "a truncated file",
      input: async () => {
        const full = await zipOf(bookParts(good()));
        return saved("cut.xlsx", full.subarray(0, Math.floor(full.length * 0.6)));
      },
      message: /^cut\.xlsx: not a readable xlsx \(truncated or damaged zip\)/,
    },
    {
      label: "64 flipped bytes in the middle of a sheet's compressed data",
      input: async () => {
        const rows: XCell[][] = [["VM", "CPUs"]];
        for (let i = 0; i < 3000; i++) rows.push([`vm-${i}-${(i * 7919) % 10007}`, i]);
        const full = Buffer.from(await zipOf(bookParts({ sheets: [["vInfo", rows]], inline: true })));
        const at = Math.floor(full.length / 2);
        for (let i = at; i < at + 64; i++) full[i] = full[i]! ^ 0xa5;
        return saved("flipped.xlsx", full);
      },
      message: /^flipped\.xlsx: sheet "vInfo" \(xl\/worksheets\/sheet1\.xml\): /,
    },
    {
      label: "a zip without a workbook",
      input: async () => saved("other.xlsx", await zipOf({ "word/document.xml": "<w/>" })),
      message: "other.xlsx: not an xlsx workbook: no xl/workbook.xml",
    },
    {
      label: "a compression-ratio bomb (lowered limits)",
      input: () => xlsxFile({ ...good(), parts: { "xl/worksheets/sheet2.xml": Buffer.alloc(4 * 1024 * 1024, 0x20) } }, "bomb.xlsx"),
      limits: { maxRatio: 50, ratioFloorBytes: 1024 * 1024 },
      message: /^bomb\.xlsx!xl\/worksheets\/sheet2\.xml: compression ratio \d+:1, over the limit of 50:1/,
    },
    {
      label: "a part over the per-entry limit",
      input: () => xlsxFile(good(), "big.xlsx"),
      limits: { maxEntryBytes: 500 },
      message: /^big\.xlsx!\S+: \d+ bytes uncompressed, over the limit of 500 per entry/,
    },
    {
      label: "a sheet of malformed XML (names the sheet)",
      input: () => xlsxFile({ sheets: [["vInfo", [["VM"], ["a"]]], ["vDisk", `<worksheet ${NS}><sheetData><row><c><v>1</v></row></sheetData></worksheet>`]] }, "bad.xlsx"),
      message: /^bad\.xlsx: sheet "vDisk" \(xl\/worksheets\/sheet2\.xml\): malformed XML: .*1:\d+/,
    },
    {
      label: "malformed XML further down a sheet (met while reading rows)",
      input: () => xlsxFile({ sheets: [["vInfo", [["VM", "CPUs"], ["web01", 2], [{ xml: "<c r='A3'><v>1</c>" }]]]] }, "bad2.xlsx"),
      message: /^bad2\.xlsx: sheet "vInfo" \(xl\/worksheets\/sheet1\.xml\): malformed XML: /,
    },
    {
      label: "a DTD with an entity (billion laughs) in a sheet",
      input: () =>
        xlsxFile(
          {
            sheets: [
              [
                "vInfo",
                `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><worksheet ${NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c><c r="B1" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>`,
              ],
            ],
          },
          "dtd.xlsx",
        ),
      message: /^dtd\.xlsx: sheet "vInfo" \(xl\/worksheets\/sheet1\.xml\): malformed XML: .*DTD/,
    },
    {
      label: "a DTD in the shared strings",
      input: () => xlsxFile({ ...good(), sharedStrings: `<!DOCTYPE sst [<!ENTITY x "y">]><sst ${NS}><si><t>&x;</t></si></sst>` }, "dtd2.xlsx"),
      message: /^dtd2\.xlsx!xl\/sharedStrings\.xml: malformed XML: .*DTD/,
    },
    {
      label: "a cell reference past XFD",
      input: () => xlsxFile({ sheets: [["vInfo", [["VM", "CPUs"], [{ xml: '<c r="XFE2"><v>1</v></c>' }]]]] }, "wide.xlsx"),
      message: 'wide.xlsx: sheet "vInfo" (xl/worksheets/sheet1.xml): row 2, cell A2: cell reference "XFE2" is not a column A to XFD',
    },
    {
      label: "a number cell holding text",
      input: () => xlsxFile({ sheets: [["vInfo", [["VM", "CPUs"], ["web01", { xml: '<c r="B2"><v>two</v></c>' }]]]] }, "nan.xlsx"),
      message: 'nan.xlsx: sheet "vInfo" (xl/worksheets/sheet1.xml): row 2, cell B2: "two" is not a number',
    },
    {
      label: "a vInfo sheet of one column",
      input: () => xlsxFile({ sheets: [["vInfo", [["VM"], ["web01"]]]] }, "one.xlsx"),
      message: 'one.xlsx: sheet "vInfo": the header row has one column ("VM"): not an RVTools vInfo',
    },
    {
      label: "an empty vInfo sheet",
      input: () => xlsxFile({ sheets: [["vInfo", []]] }, "blank.xlsx"),
      message: 'blank.xlsx: sheet "vInfo": the header row has no cells: not an RVTools vInfo',
    },
    {
      label: "a workbook without vInfo",
      input: () => xlsxFile({ sheets: [["vHost", [["Host"], ["esx01"]]]] }, "hosts.xlsx"),
      message: "hosts.xlsx: not an RVTools export: no vInfo tab (found: vHost)",
    },
  ];
  it.each(cases)("$label", async ({ input, limits, message }) => {
    const error = await refusal(readAll(await input(), limits));
    if (typeof message === "string") expect(error.message).toBe(message);
    else expect(error.message).toMatch(message);
    expect(error.where.origin).toBeDefined();
  });

  describe("what a workbook may hold in memory", () => {
    const read = async (path: string, limits: Partial<XlsxLimits>) => {
      const opened = await readXlsx(path, ZIP_LIMITS, "caps.xlsx", { ...XLSX_LIMITS, ...limits });
      try {
        for (const tab of opened.tabs) for await (const row of tab.rows) void row;
      } finally {
        await opened.close();
      }
    };
    const book = (): Book => ({ sheets: [["vInfo", [["VM", "Notes"], ["web01", "abcdefghij"], ["web02", "x"]]]] });
    const cases: { label: string; limits: Partial<XlsxLimits>; inline?: boolean; message: string | null }[] = [
      { label: "a cell at the limit", limits: { maxCellChars: 10 }, message: null },
      { label: "a shared string over the cell limit", limits: { maxCellChars: 9 }, message: "caps.xlsx!xl/sharedStrings.xml: shared string 3 is longer than 9 characters" },
      {
        label: "an inline cell over the cell limit",
        limits: { maxCellChars: 9 },
        inline: true,
        message: 'caps.xlsx: sheet "vInfo" (xl/worksheets/sheet1.xml): cell B2 is longer than 9 characters',
      },
      { label: "a row at the row limit", limits: { maxRowChars: 15 }, inline: true, message: null },
      { label: "a row over the row limit", limits: { maxRowChars: 14 }, inline: true, message: 'caps.xlsx: sheet "vInfo" (xl/worksheets/sheet1.xml): row 2 holds more than 14 characters' },
      { label: "shared strings at the count limit", limits: { maxSharedStrings: 6 }, message: null },
      { label: "shared strings over the count limit", limits: { maxSharedStrings: 5 }, message: "caps.xlsx!xl/sharedStrings.xml: more than 5 shared strings or 134217728 characters of them: refused" },
      { label: "shared strings over the character limit", limits: { maxSharedStringChars: 27 }, message: "caps.xlsx!xl/sharedStrings.xml: more than 10000000 shared strings or 27 characters of them: refused" },
      { label: "shared strings at the character limit", limits: { maxSharedStringChars: 28 }, message: null },
    ];
    it.each(cases)("$label", async ({ limits, inline, message }) => {
      const path = await xlsxFile({ ...book(), inline });
      if (message === null) await expect(read(path, limits)).resolves.toBeUndefined();
      else expect((await refusal(read(path, limits))).message).toBe(message);
    });
  });

  it("a sheet's malformed XML gives the tab in the error's where", async () => {
    const path = await xlsxFile({ sheets: [["RVTools_tabvInfo", `<worksheet ${NS}><sheetData><row><c></row></sheetData></worksheet>`]] }, "w.xlsx");
    const error = await refusal(readAll(path));
    expect(error.where).toMatchObject({ origin: "w.xlsx", tab: "vInfo" });
  });
});

// --- the command line ------------------------------------------------------------------------------

describe("collect rvtools on an .xlsx", () => {
  it("prints the snapshot", { timeout: 60_000 }, async () => {
    const header = ["VM", "Powerstate", "Template", "CPUs", "Memory", "Host", "VM ID", "VM UUID", "VI SDK Server", "VI SDK UUID"];
    const path = await xlsxFile({
      sheets: [
        [
          "RVTools_tabvInfo",
          [header, ["web01", "poweredOn", false, 2, 4096, "esx01", "vm-10", "4221aaaa-0001", "vc1.lab", "uuid-vc1"], ["db01", "poweredOff", false, 8, 32768, "esx01", "vm-11", "4221aaaa-0002", "vc1.lab", "uuid-vc1"]],
        ],
      ],
    });
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn("npm", ["run", "--silent", "collect", "--", "rvtools", path, "--json"], { cwd: process.cwd() });
      let out = "";
      let err = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.stderr.on("data", (c: Buffer) => (err += c.toString()));
      child.on("close", (exit) => resolve({ code: exit, stdout: out, stderr: err }));
    });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const snapshot = JSON.parse(stdout) as { virtualMachines: { name: string; powerState: string; vcpus: number; memoryMiB: number }[] };
    expect(snapshot.virtualMachines.map((v) => [v.name, v.powerState, v.vcpus, v.memoryMiB])).toEqual([
      ["web01", "poweredOn", 2, 4096],
      ["db01", "poweredOff", 8, 32768],
    ]);
  });
});

/**
 * The RVTools readers on exports the tests build: CSV folders in the encodings, separators and header
 * variants RVTools versions and Excel locales write, a zip of them, and the bad inputs (empty, no
 * vInfo, not CSV, malformed rows, zip bombs, encrypted and "../" entries, inputs over the limits),
 * each refused with a message naming the file (and the row where there is one). Then the collect CLI
 * spawned on a small folder.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import yazl from "yazl";
import { UsageError } from "@/server/cli/args";
import { collectRvtools } from "@/server/collectors/rvtools";
import { rvtoolsCliParser } from "@/server/collectors/rvtools/cli";
import { detectSeparator } from "@/server/collectors/rvtools/csv";
import { openRvtoolsExport, type ReadLimits } from "@/server/collectors/rvtools/read";
import { RvtoolsInputError, type CellValue } from "@/server/collectors/rvtools/types";

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "rvtools-read-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh folder holding the given files. */
async function folder(files: Record<string, string | Buffer>): Promise<string> {
  const dir = join(root, `f${++n}`);
  await mkdir(dir);
  for (const [name, data] of Object.entries(files)) await writeFile(join(dir, name), data);
  return dir;
}

/** A CSV text: every cell quoted as RVTools writes it, or bare where `quote` is false. */
function csv(rows: string[][], { sep = ",", eol = "\r\n", quote = true } = {}): string {
  const cell = (c: string) => (quote || /[",;\t\r\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c);
  return rows.map((r) => r.map(cell).join(sep)).join(eol) + eol;
}

const BOM8 = Buffer.from([0xef, 0xbb, 0xbf]);
const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
const utf16be = (text: string) => {
  const le = Buffer.from(text, "utf16le");
  for (let i = 0; i < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1]!, le[i]!];
  return Buffer.concat([Buffer.from([0xfe, 0xff]), le]);
};

/** vInfo headers as RVTools versions write them (a few columns of each). */
const HEADER_4X = ["VM", "Powerstate", "CPUs", "Memory", "Provisioned MiB", "Annotation", "owner", "VM ID", "VM UUID", "VI SDK Server", "VI SDK UUID"];
const HEADER_3X = ["VM", "Powerstate", "CPUs", "Memory", "Provisioned MB", "Annotation", "VM ID", "VM UUID", "VI SDK Server", "vCenter UUID"];
const row4x = (vm: string, annotation = "web tier") =>
  [vm, "poweredOn", "2", "4096", "40960", annotation, "ops", `vm-${vm}`, `4221-${vm}`, "vc1.lab", "uuid-vc1"];

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

/** A zip of the given entries, built with yazl (deflated unless said otherwise). */
function zip(entries: { name: string; data: string | Buffer; compress?: boolean }[]): Promise<Buffer> {
  const file = new yazl.ZipFile();
  for (const e of entries) file.addBuffer(Buffer.from(e.data), e.name, { compress: e.compress ?? true, mtime: new Date(2026, 0, 1) });
  file.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    file.outputStream.on("data", (c: Buffer) => chunks.push(c));
    file.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
    file.outputStream.on("error", reject);
  });
}

/** Sets bit 0 (encrypted) of every local and central header's general purpose flags. */
function flagEncrypted(buffer: Buffer): Buffer {
  const out = Buffer.from(buffer);
  for (let i = 0; i + 4 <= out.length; i++) {
    const sig = out.readUInt32LE(i);
    if (sig === 0x04034b50) out.writeUInt16LE(out.readUInt16LE(i + 6) | 1, i + 6);
    if (sig === 0x02014b50) out.writeUInt16LE(out.readUInt16LE(i + 8) | 1, i + 8);
  }
  return out;
}

/** Declares `size` as every entry's uncompressed size in the local and central headers (a lying zip). */
function declareSize(buffer: Buffer, size: number): Buffer {
  const out = Buffer.from(buffer);
  for (let i = 0; i + 4 <= out.length; i++) {
    const sig = out.readUInt32LE(i);
    if (sig === 0x04034b50) out.writeUInt32LE(size, i + 22);
    if (sig === 0x02014b50) out.writeUInt32LE(size, i + 24);
  }
  return out;
}

/** Replaces a byte string of the same length everywhere (entry names in the local and central headers). */
function rename(buffer: Buffer, from: string, to: string): Buffer {
  expect(to.length).toBe(from.length);
  const out = Buffer.from(buffer);
  for (let i = out.indexOf(from); i !== -1; i = out.indexOf(from, i + 1)) out.write(to, i, "latin1");
  return out;
}

async function zipFile(name: string, data: Buffer): Promise<string> {
  const path = join(root, `z${++n}-${name}`);
  await writeFile(path, data);
  return path;
}

describe("separator of the header line", () => {
  it.each([
    ['"VM","Powerstate","CPUs"', ","],
    ['"VM";"Powerstate";"CPUs"', ";"],
    ["VM\tPowerstate\tCPUs", "\t"],
    // Near misses: a separator inside a quoted header cell does not count.
    ['"Cores p/s; max","VM"', ","],
    ['"a,b";"c,d";"e"', ";"],
    ["VM", null],
    ['"VM,Powerstate"', null],
  ])("%j → %j", (line, expected) => {
    expect(detectSeparator(line)).toBe(expected);
  });
});

describe("a folder of RVTools_tab*.csv", () => {
  const rows = [HEADER_4X, row4x("web01"), row4x("db01", 'quoted "name", with comma; semicolon')];
  const expectedCells = [
    ["web01", "poweredOn", "2", "4096", "40960", "web tier", "ops", "vm-web01", "4221-web01", "vc1.lab", "uuid-vc1"],
    ["db01", "poweredOn", "2", "4096", "40960", 'quoted "name", with comma; semicolon', "ops", "vm-db01", "4221-db01", "vc1.lab", "uuid-vc1"],
  ];
  it.each([
    ["UTF-8, no BOM, ',' bare cells, LF", Buffer.from(csv(rows, { quote: false, eol: "\n" }))],
    ["UTF-8 with BOM, quoted cells, CRLF (RVTools)", Buffer.concat([BOM8, Buffer.from(csv(rows))])],
    ["';' (a locale whose decimal separator is ',')", Buffer.from(csv(rows, { sep: ";" }))],
    ["tab separated", Buffer.from(csv(rows, { sep: "\t", quote: false }))],
    ["UTF-16LE with BOM", utf16le(csv(rows))],
    ["UTF-16BE with BOM", utf16be(csv(rows))],
  ])("%s", async (_label, bytes) => {
    const dir = await folder({ "RVTools_tabvInfo.csv": bytes });
    const { tabs, warnings } = await readAll(dir);
    expect(warnings).toEqual([]);
    expect(tabs).toHaveLength(1);
    expect(tabs[0]!.name).toBe("vInfo");
    expect(tabs[0]!.origin).toBe("RVTools_tabvInfo.csv");
    expect(tabs[0]!.header).toEqual(HEADER_4X);
    expect(tabs[0]!.rows).toEqual([
      { row: 2, cells: expectedCells[0] },
      { row: 3, cells: expectedCells[1] },
    ]);
  });

  it.each([
    ["UTF-8 without BOM", Buffer.from(csv([["VM", "Annotation"], ["srv-müller", "Zürich, 2ᵉ étage"]]))],
    ["Windows-1252 (ANSI)", Buffer.from(csv([["VM", "Annotation"], ["srv-müller", "Zürich, 2e étage"]]), "latin1")],
  ])("decodes %s", async (label, bytes) => {
    const dir = await folder({ "RVTools_tabvInfo.csv": bytes });
    const [tab] = (await readAll(dir)).tabs;
    expect(tab!.rows[0]!.cells).toEqual(["srv-müller", label.startsWith("UTF") ? "Zürich, 2ᵉ étage" : "Zürich, 2e étage"]);
  });

  it("keeps headers as written (3.x 'MB' and 'vCenter UUID', padded cells trimmed), empty cells as null", async () => {
    const header = HEADER_3X.map((h, i) => (i === 4 ? ` ${h} ` : h));
    const dir = await folder({ "RVTools_tabvInfo.csv": csv([header, ["old01", "poweredOff", "1", "1024", "", "", "vm-7", "", "vc0", "u0"]]) });
    const [tab] = (await readAll(dir)).tabs;
    expect(tab!.header).toEqual(HEADER_3X);
    expect(tab!.rows[0]!.cells).toEqual(["old01", "poweredOff", "1", "1024", null, null, "vm-7", null, "vc0", "u0"]);
  });

  it("counts rows as a spreadsheet shows them: a quoted newline stays in its cell and row", async () => {
    const dir = await folder({
      "RVTools_tabvInfo.csv": csv([HEADER_4X, row4x("a01", "line one\r\nline two\nline three"), row4x("b01")]),
    });
    const [tab] = (await readAll(dir)).tabs;
    expect(tab!.rows.map((r) => [r.row, r.cells[0], r.cells[5]])).toEqual([
      [2, "a01", "line one\r\nline two\nline three"],
      [3, "b01", "web tier"],
    ]);
  });

  it("names tabs by file, in any order, and lists other files in a warning", async () => {
    const dir = await folder({
      "RVTools_tabvInfo.csv": csv([HEADER_4X, row4x("web01")]),
      "RVTools_tabvHost.csv": csv([["Host", "# CPU"], ["esx01", "2"]]),
      "rvtools_tabvDisk.CSV": csv([["VM", "Capacity MiB"], ["web01", "40960"]]),
      "RVTools_export_all.xlsx.txt": "notes",
      "vInfo.csv": csv([["VM"], ["x"]]),
    });
    await mkdir(join(dir, "old"));
    const { tabs, warnings } = await readAll(dir);
    expect(tabs.map((t) => t.name).sort()).toEqual(["vDisk", "vHost", "vInfo"]);
    expect(warnings).toEqual([`${dir}: not RVTools tab files, ignored: old/, RVTools_export_all.xlsx.txt, vInfo.csv`]);
  });

  it("reads a trimmed tab of one column (no separator in its header)", async () => {
    const dir = await folder({ "RVTools_tabvInfo.csv": csv([HEADER_4X, row4x("web01")]), "RVTools_tabvHost.csv": "Host\r\nesx01\r\nesx02\r\n" });
    const host = (await readAll(dir)).tabs.find((t) => t.name === "vHost")!;
    expect([host.header, host.rows.map((r) => r.cells)]).toEqual([["Host"], [["esx01"], ["esx02"]]]);
  });

  it("lets a tab's rows be read once", async () => {
    const dir = await folder({ "RVTools_tabvInfo.csv": csv([HEADER_4X, row4x("web01")]) });
    const opened = await openRvtoolsExport(dir);
    const tab = opened.tabs[0]!;
    for await (const row of tab.rows) expect(row.row).toBe(2);
    expect(() => tab.rows[Symbol.asyncIterator]()).toThrow(/can be read once/);
    await opened.close();
  });
});

describe("a zip", () => {
  it("of an 'Export all to csv' folder reads like the folder, origins naming the entry", async () => {
    const path = await zipFile(
      "export.zip",
      await zip([
        { name: "RVTools_export_all_2026-11-30/RVTools_tabvInfo.csv", data: Buffer.concat([BOM8, Buffer.from(csv([HEADER_4X, row4x("web01")]))]) },
        { name: "RVTools_export_all_2026-11-30/RVTools_tabvCPU.csv", data: csv([["VM", "CPUs"], ["web01", "2"]]), compress: false },
        { name: "README.txt", data: "hello" },
      ]),
    );
    const { tabs, warnings } = await readAll(path);
    const base = path.split("/").pop();
    expect(tabs.map((t) => [t.name, t.origin, t.rows.length])).toEqual([
      ["vInfo", `${base}!RVTools_export_all_2026-11-30/RVTools_tabvInfo.csv`, 1],
      ["vCPU", `${base}!RVTools_export_all_2026-11-30/RVTools_tabvCPU.csv`, 1],
    ]);
    expect(tabs[0]!.header).toEqual(HEADER_4X);
    expect(warnings).toEqual([`${base}: not RVTools tab files, ignored: README.txt`]);
  });

  it("passes a small entry above the ratio (under the 1 MiB floor) and a large one below it", async () => {
    const small = csv([HEADER_4X, ...Array.from({ length: 2000 }, () => row4x("same"))]); // ~200 KiB, ratio > 100
    let varied = "";
    for (let i = 0; varied.length < 3 * 1024 * 1024; i++) varied += csv([row4x(`vm${i}-${(i * 2654435761) % 1e9}`, Math.random().toString(36))]);
    for (const data of [small, csv([HEADER_4X]) + varied]) {
      const path = await zipFile("ok.zip", await zip([{ name: "RVTools_tabvInfo.csv", data }]));
      const { tabs } = await readAll(path);
      expect(tabs[0]!.rows.length).toBeGreaterThan(1000);
    }
  });
});

describe("refusals, each naming the file", () => {
  const vinfo = csv([HEADER_4X, row4x("web01"), row4x("db01")]);
  const cases: { label: string; input: () => Promise<string>; limits?: Partial<ReadLimits>; message: RegExp; row?: number }[] = [
    { label: "an empty folder", input: () => folder({}), message: /no RVTools_tab\*\.csv files: not an RVTools CSV export/ },
    { label: "a folder of other files", input: () => folder({ "vInfo.csv": vinfo }), message: /no RVTools_tab\*\.csv files/ },
    {
      label: "no vInfo tab",
      input: () => folder({ "RVTools_tabvHost.csv": csv([["Host"], ["esx01"]]), "RVTools_tabvCPU.csv": csv([["VM", "CPUs"]]) }),
      message: /not an RVTools export: no vInfo tab \(found: vCPU, vHost\)/,
    },
    {
      label: "a binary file named like a tab",
      input: () => folder({ "RVTools_tabvInfo.csv": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]) }),
      message: /RVTools_tabvInfo\.csv: not a CSV text file/,
    },
    {
      label: "UTF-16 without a byte order mark",
      input: () => folder({ "RVTools_tabvInfo.csv": Buffer.from(vinfo, "utf16le") }),
      message: /not a CSV text file \(binary content, or UTF-16 without a byte order mark\)/,
    },
    {
      label: "text that is not CSV",
      input: () => folder({ "RVTools_tabvInfo.csv": "This is a note about the export\nnothing else\n" }),
      message: /RVTools_tabvInfo\.csv: the header line has one column \("This is a note about the export"\): not an RVTools CSV/,
      row: 1,
    },
    {
      label: "a '|' separated vInfo",
      input: () => folder({ "RVTools_tabvInfo.csv": csv([["VM", "Powerstate"], ["a", "poweredOn"]], { sep: "|", quote: false }) }),
      message: /the header line has one column \("VM\|Powerstate"\)/,
      row: 1,
    },
    { label: "an empty tab file", input: () => folder({ "RVTools_tabvInfo.csv": BOM8 }), message: /RVTools_tabvInfo\.csv: empty: no header line/, row: 1 },
    {
      label: "a row with a missing cell",
      input: () => folder({ "RVTools_tabvInfo.csv": vinfo + csv([row4x("x01").slice(1)]) }),
      message: /RVTools_tabvInfo\.csv: row 4: malformed CSV: a different number of cells than the header/,
      row: 4,
    },
    {
      label: "a quote never closed",
      input: () => folder({ "RVTools_tabvInfo.csv": `${vinfo}"x01,"poweredOn\r\n` }),
      message: /RVTools_tabvInfo\.csv: row 4: malformed CSV/,
      row: 4,
    },
    {
      label: "two files for one tab",
      input: () => folder({ "RVTools_tabvInfo.csv": vinfo, "RVTools_tabVINFO.csv": vinfo }),
      message: /two files for the tab/,
    },
    {
      label: "a folder over the input limit",
      input: () => folder({ "RVTools_tabvInfo.csv": vinfo }),
      limits: { maxInputBytes: 100 },
      message: /the tab files exceed 100 bytes \(at RVTools_tabvInfo\.csv\): refused before reading/,
    },
    {
      label: "a file over the input limit",
      input: async () => zipFile("big.zip", await zip([{ name: "RVTools_tabvInfo.csv", data: vinfo }])),
      limits: { maxInputBytes: 100 },
      message: /big\.zip: \d+ bytes, over the limit of 100: refused before reading/,
    },
    {
      label: "a damaged xlsx",
      input: () => zipFile("RVTools_export_all.xlsx", Buffer.from("PK")),
      message: /RVTools_export_all\.xlsx: not a readable xlsx \(truncated or damaged zip\)/,
    },
    { label: "another file type", input: () => zipFile("export.csv", Buffer.from(vinfo)), message: /not an RVTools export: expected an \.xlsx, a \.zip or a folder/ },
    { label: "a missing path", input: async () => join(root, "nowhere"), message: /nowhere: no such file or folder/ },
    { label: "a .zip that is not a zip", input: () => zipFile("fake.zip", Buffer.from(vinfo)), message: /fake\.zip: not a readable zip/ },
    {
      label: "a zip bomb (an entry inflating ~1000:1)",
      input: async () => zipFile("bomb.zip", await zip([{ name: "RVTools_tabvInfo.csv", data: Buffer.alloc(20 * 1024 * 1024, 0x2c) }])),
      message: /bomb\.zip!RVTools_tabvInfo\.csv: compression ratio \d+:1, over the limit of 100:1/,
    },
    {
      label: "an entry inflating to more than its header declares (a bomb under a small declared size)",
      input: async () =>
        zipFile("liar.zip", declareSize(await zip([{ name: "RVTools_tabvInfo.csv", data: csv([HEADER_4X]) + csv([row4x("web01")]).repeat(100_000) }]), 4096)),
      message: /liar\.zip!RVTools_tabvInfo\.csv: cannot read: too many bytes in the stream/,
    },
    {
      label: "an encrypted entry",
      input: async () => zipFile("locked.zip", flagEncrypted(await zip([{ name: "RVTools_tabvInfo.csv", data: vinfo }]))),
      message: /locked\.zip!RVTools_tabvInfo\.csv: encrypted entry/,
    },
    {
      label: "a '../' entry name",
      input: async () => zipFile("slip.zip", rename(await zip([{ name: "xx/RVTools_tabvInfo.csv", data: vinfo }]), "xx/RVTools", "../RVTools")),
      message: /slip\.zip: not a readable zip: invalid relative path: \.\.\/RVTools_tabvInfo\.csv/,
    },
    {
      label: "an absolute entry name",
      input: async () => zipFile("abs.zip", rename(await zip([{ name: "x/RVTools_tabvInfo.csv", data: vinfo }]), "x/RVTools", "/RVTools_")),
      message: /abs\.zip: not a readable zip: absolute path/,
    },
    {
      label: "too many entries",
      input: async () => zipFile("many.zip", await zip([1, 2, 3].map((i) => ({ name: `f${i}.txt`, data: "x" })))),
      limits: { maxEntries: 2 },
      message: /many\.zip: 3 entries, over the limit of 2/,
    },
    {
      label: "an entry over the entry limit",
      input: async () => zipFile("entry.zip", await zip([{ name: "RVTools_tabvInfo.csv", data: vinfo }])),
      limits: { maxEntryBytes: 100 },
      message: /entry\.zip!RVTools_tabvInfo\.csv: \d+ bytes uncompressed, over the limit of 100 per entry/,
    },
    {
      label: "entries over the total limit",
      input: async () =>
        zipFile("total.zip", await zip([{ name: "RVTools_tabvInfo.csv", data: vinfo }, { name: "RVTools_tabvCPU.csv", data: vinfo }])),
      limits: { maxTotalBytes: vinfo.length + 10 },
      message: /total\.zip!RVTools_tabvCPU\.csv: the entries hold more than \d+ bytes uncompressed in all/,
    },
    {
      label: "a zip holding a damaged xlsx",
      input: async () => zipFile("x.zip", await zip([{ name: "RVTools_export_all.xlsx", data: "PK" }])),
      message: /x\.zip!RVTools_export_all\.xlsx: not a readable xlsx \(truncated or damaged zip\)/,
    },
    {
      label: "a zip of two exports",
      input: async () =>
        zipFile("two.zip", await zip([{ name: "a/RVTools_tabvInfo.csv", data: vinfo }, { name: "b/RVTools_tabvInfo.csv", data: vinfo }])),
      message: /two\.zip: RVTools_tab\*\.csv files in 2 folders \(a\/, b\/\): one export per zip/,
    },
    { label: "a zip without tabs", input: async () => zipFile("none.zip", await zip([{ name: "notes.txt", data: "x" }])), message: /none\.zip: no RVTools_tab\*\.csv or \.xlsx inside/ },
  ];
  it.each(cases)("$label", async ({ input, limits, message, row }) => {
    const error = await refusal(readAll(await input(), limits));
    expect(error.message).toMatch(message);
    if (row !== undefined) expect(error.where.row).toBe(row);
  });

  it("near miss of the limits: exactly at each limit is read", async () => {
    const data = await zip([{ name: "RVTools_tabvInfo.csv", data: vinfo }]);
    const path = await zipFile("edge.zip", data);
    const { tabs } = await readAll(path, { maxInputBytes: data.length, maxEntries: 1, maxEntryBytes: vinfo.length, maxTotalBytes: vinfo.length });
    expect(tabs[0]!.rows).toHaveLength(2);
  });
});

describe("the rvtools collector", () => {
  const header = ["VM", "Powerstate", "CPUs", "Memory", "VM ID", "VM UUID", "VI SDK Server", "VI SDK UUID"];
  const rows = (count: number) => Array.from({ length: count }, (_, i) => [`vm${i}`, "poweredOn", "2", "4096", `vm-${i}`, `4221-${i}`, "vc1", "u1"]);
  const source = (endpoint: string) => ({ kind: "rvtools" as const, name: "x", endpoint, username: null, secret: null, options: {} });

  it("collects a zip into VMs, with the reader's warnings", async () => {
    const path = await zipFile("c.zip", await zip([{ name: "RVTools_tabvInfo.csv", data: csv([header, ...rows(3)]) }, { name: "notes.txt", data: "x" }]));
    const snapshot = await collectRvtools(source(path), { signal: new AbortController().signal });
    expect(snapshot.virtualMachines?.map((v) => v.name)).toEqual(["vm0", "vm1", "vm2"]);
    expect(snapshot.warnings).toContain(`${path.split("/").pop()}: not RVTools tab files, ignored: notes.txt`);
  });

  it("stops when the collection is cancelled, before reading and while reading rows", async () => {
    const dir = await folder({ "RVTools_tabvInfo.csv": csv([header, ...rows(5000)]) });
    const before = new AbortController();
    before.abort(new Error("cancelled"));
    await expect(collectRvtools(source(dir), { signal: before.signal })).rejects.toThrow("cancelled");
    // A signal that turns aborted at its third check: before reading, before the tab, at row 1,000.
    let checks = 0;
    const during = {
      throwIfAborted() {
        if (++checks === 3) throw new Error("cancelled while reading");
      },
    } as unknown as AbortSignal;
    await expect(collectRvtools(source(dir), { signal: during })).rejects.toThrow("cancelled while reading");
    expect(checks).toBe(3);
  });
});

describe("the collect CLI", () => {
  it("parses one path into an rvtools source with the absolute path as endpoint", () => {
    expect(rvtoolsCliParser(["exports/acme"], process.env)).toMatchObject({ kind: "rvtools", name: "acme", endpoint: join(process.cwd(), "exports/acme") });
    expect(() => rvtoolsCliParser([], process.env)).toThrow(UsageError);
    expect(() => rvtoolsCliParser(["a", "b"], process.env)).toThrow(UsageError);
    expect(() => rvtoolsCliParser(["a", "--user", "x"], process.env)).toThrow(UsageError);
  });

  it("collect rvtools <folder> --json prints the snapshot's VMs", { timeout: 60_000 }, async () => {
    const header = ["VM", "Powerstate", "Template", "CPUs", "Memory", "Host", "VM ID", "VM UUID", "VI SDK Server", "VI SDK UUID"];
    const dir = await folder({
      "RVTools_tabvInfo.csv": Buffer.concat([
        BOM8,
        Buffer.from(
          csv(
            [header, ["web01", "poweredOn", "False", "2", "4096", "esx01", "vm-10", "4221aaaa-0001", "vc1.lab", "uuid-vc1"], ["db01", "poweredOff", "False", "8", "32768", "esx01", "vm-11", "4221aaaa-0002", "vc1.lab", "uuid-vc1"]],
            { sep: ";" },
          ),
        ),
      ]),
      "notes.txt": "x",
    });
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn("npm", ["run", "--silent", "collect", "--", "rvtools", dir, "--json"], { cwd: process.cwd() });
      let out = "";
      let err = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.stderr.on("data", (c: Buffer) => (err += c.toString()));
      child.on("close", (exit) => resolve({ code: exit, stdout: out, stderr: err }));
    });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const snapshot = JSON.parse(stdout) as { virtualMachines: { name: string; powerState: string; vcpus: number; memoryMiB: number }[]; warnings: string[] };
    expect(snapshot.virtualMachines.map((v) => [v.name, v.powerState, v.vcpus, v.memoryMiB])).toEqual([
      ["web01", "poweredOn", 2, 4096],
      ["db01", "poweredOff", 8, 32768],
    ]);
    expect(snapshot.warnings).toContain(`${dir}: not RVTools tab files, ignored: notes.txt`);
  });

  it("collect rvtools on a folder without vInfo fails with exit code 1 and names it", { timeout: 60_000 }, async () => {
    const dir = await folder({ "RVTools_tabvHost.csv": csv([["Host"], ["esx01"]]) });
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn("npm", ["run", "--silent", "collect", "--", "rvtools", dir], { cwd: process.cwd() });
      let err = "";
      child.stderr.on("data", (c: Buffer) => (err += c.toString()));
      child.on("close", (exit) => resolve({ code: exit, stderr: err }));
    });
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`collect: ${dir}: not an RVTools export: no vInfo tab (found: vHost)`);
  });
});

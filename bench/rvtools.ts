/**
 * bench/rvtools: importing an RVTools export of 50,000 VMs, against the reader alone reading the
 * same file in the same run (the least any import pays). Issue 15's goal: the import at least 0.5×
 * the reader's rows/s, with a peak RSS under 500 MB.
 *
 *   npx tsx bench/rvtools.ts                  50,000 VMs (the demo fleet's mix), xlsx and CSV folder
 *   npx tsx bench/rvtools.ts --vms 5000 --runs 1
 *   npx tsx bench/rvtools.ts --vms 50000 --runs 0 --keep   writes the export, keeps it (for profiling
 *     a child: node --cpu-prof --import tsx bench/rvtools.ts --child import <dir>/csv)
 *
 * The export is written once by Fleetlens' own RVTools export (server/export/rvtools) from the demo
 * fleet; each measurement runs in a child process of its own, so its peak RSS (getrusage maxRSS) is
 * its own: "reader" reads every row of every tab and drops it; "import" is `collect rvtools <path>`'s
 * collector (reader, normaliser, cancellation checks) and the validation of the snapshot it gives.
 * The rows/s of both are the file's rows over each one's median time; reader and import runs alternate.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "csv-stringify/sync";
import { generateFleetSnapshot } from "../server/collectors/demo/fleet";
import { rvtools } from "../server/collectors/rvtools";
import { openRvtoolsExport } from "../server/collectors/rvtools/read";
import type { CellValue } from "../server/collectors/rvtools/types";
import { rvtoolsTabs } from "../server/export/rvtools/tabs";
import { writeXlsxFile } from "../server/export/rvtools/xlsx-writer";
import { parseSnapshot } from "../server/inventory/snapshot";
import { arg, median } from "./lib";

interface Measure {
  /** Rows read (the reader; the import reads the same file's rows). */
  rows?: number;
  ms: number;
  maxRssMiB: number;
  vms?: number;
}

/** In the child: read (or import) the export at `path`, print one JSON line. */
async function child(mode: "reader" | "import", path: string): Promise<void> {
  const start = performance.now();
  let rows: number | undefined;
  let vms: number | undefined;
  if (mode === "reader") {
    rows = 0;
    const opened = await openRvtoolsExport(path);
    try {
      for (const tab of opened.tabs) for await (const _row of tab.rows) rows++;
    } finally {
      await opened.close();
    }
  } else {
    // What `collect rvtools <path>` runs (reader, normaliser, its cancellation checks), then validation.
    const snapshot = await rvtools.collectCli!(rvtools.cli!([path], process.env), { signal: new AbortController().signal });
    vms = parseSnapshot(snapshot).virtualMachines.length;
  }
  const ms = performance.now() - start;
  const result: Measure = { rows, ms, maxRssMiB: process.resourceUsage().maxRSS / 1024, vms };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

const cell = (v: CellValue) => (v instanceof Date ? v.toISOString() : v);

async function main(): Promise<void> {
  const vmCount = arg("vms", 50_000);
  const runs = arg("runs", 3);
  const dir = mkdtempSync(join(tmpdir(), "fleetlens-bench-rvtools-"));
  try {
    const snapshot = parseSnapshot(generateFleetSnapshot({ seed: 7, vms: vmCount, containers: 0 }));
    const tabs = () => rvtoolsTabs([{ snapshot, server: "vcenter-bench.example" }]);
    const xlsx = join(dir, "RVTools_export_all.xlsx");
    await writeXlsxFile(tabs(), xlsx);
    const folder = join(dir, "csv");
    mkdirSync(folder);
    for (const tab of tabs()) {
      const rows = [tab.header, ...[...tab.rows].map((r) => r.map(cell))];
      writeFileSync(join(folder, `RVTools_tab${tab.name}.csv`), stringify(rows, { bom: true }));
    }
    console.log(`${vmCount.toLocaleString("en-US")} VMs: xlsx ${(statSync(xlsx).size / 1e6).toFixed(1)} MB, CSV folder written; ${runs} run(s) each, median`);
    if (runs < 1) return;
    console.log("input   what     rows/s   peak RSS MiB   ratio to the reader");
    for (const [label, path] of [["xlsx", xlsx], ["csv", folder]] as const) {
      const run = (mode: string): Measure => {
        const out = execFileSync(process.execPath, ["--import", "tsx", import.meta.filename, "--child", mode, path], { encoding: "utf8", maxBuffer: 1e6 });
        return JSON.parse(out.trim().split("\n").pop()!) as Measure;
      };
      // Reader and import alternate, so a machine busy with something else for a while slows both.
      const runsOf: Record<"reader" | "import", Measure[]> = { reader: [], import: [] };
      for (let i = 0; i < runs; i++) for (const mode of ["reader", "import"] as const) runsOf[mode].push(run(mode));
      const summary = (all: Measure[]): Measure => ({
        rows: runsOf.reader[0]!.rows,
        ms: median(all.map((m) => m.ms)),
        maxRssMiB: Math.max(...all.map((m) => m.maxRssMiB)),
        vms: all[0]!.vms,
      });
      const reader = summary(runsOf.reader);
      const imported = summary(runsOf.import);
      if (imported.vms !== vmCount) throw new Error(`${label}: imported ${imported.vms} VMs, expected ${vmCount}`);
      const rate = (m: Measure) => m.rows! / (m.ms / 1000);
      for (const [what, m] of [["reader", reader], ["import", imported]] as const) {
        console.log(
          `${label.padEnd(7)} ${what.padEnd(7)} ${Math.round(rate(m)).toLocaleString("en-US").padStart(8)} ${Math.round(m.maxRssMiB).toString().padStart(14)}   ${(rate(m) / rate(reader)).toFixed(2)}×`,
        );
      }
    }
  } finally {
    if (process.argv.includes("--keep")) console.log(`kept: ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

const at = process.argv.indexOf("--child");
if (at >= 0) await child(process.argv[at + 1] as "reader" | "import", process.argv[at + 2]!);
else await main();

/**
 * npm run --silent export-rvtools -- <snapshot.json>... --out <file.xlsx> [--server NAME]...
 *
 * Snapshot files (what `npm run collect -- … --json` prints) as one RVTools-shaped workbook. Each
 * snapshot's rows name a vCenter: the --server given for it (in order; a vCenter's own name for a
 * vSphere source), else a pseudo vCenter "fleetlens:<file name>" (docs/domain.md, RVTools → Export).
 * The workbook is written to a temporary file next to --out and renamed when complete.
 */
import { readFile, rename, rm } from "node:fs/promises";
import { basename } from "node:path";
import { parseCliArgs, UsageError } from "../../cli/args";
import { salvageSnapshot } from "../../inventory/salvage";
import { parseSnapshot, SnapshotValidationError } from "../../inventory/snapshot";
import { rvtoolsTabs, type ExportSource } from "./tabs";
import { writeXlsxFile } from "./xlsx-writer";

export const EXPORT_USAGE = "usage: export-rvtools <snapshot.json>... --out <file.xlsx> [--server NAME]...";

export async function runExportRvtoolsCli(argv: string[]): Promise<string> {
  const { positionals, values } = parseCliArgs(
    argv,
    { out: { type: "string" }, server: { type: "string", multiple: true } },
    EXPORT_USAGE,
  );
  if (positionals.length === 0 || !values.out) throw new UsageError(EXPORT_USAGE);
  if (!values.out.toLowerCase().endsWith(".xlsx")) throw new UsageError(`--out must name an .xlsx file\n${EXPORT_USAGE}`);
  const servers = values.server ?? [];
  if (servers.length > positionals.length) throw new UsageError(`more --server than snapshot files\n${EXPORT_USAGE}`);
  const sources: ExportSource[] = [];
  for (const [index, file] of positionals.entries()) {
    let data: unknown;
    try {
      data = JSON.parse(await readFile(file, "utf8"));
    } catch (error) {
      throw new Error(`${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
    }
    try {
      const snapshot = parseSnapshot(salvageSnapshot(data));
      sources.push({ snapshot, server: servers[index] ?? `fleetlens:${basename(file).replace(/\.json$/i, "")}` });
    } catch (error) {
      if (error instanceof SnapshotValidationError) throw new Error(`${file}: ${error.message}`);
      throw error;
    }
  }
  const names = new Set(sources.map((s) => s.server.toLowerCase()));
  if (names.size < sources.length) throw new UsageError(`two snapshots name the same vCenter: give each its --server\n${EXPORT_USAGE}`);
  const partial = `${values.out}.partial-${process.pid}`;
  try {
    const result = await writeXlsxFile(rvtoolsTabs(sources), partial);
    await rename(partial, values.out);
    const rows = Object.entries(result.rows).map(([tab, n]) => `${tab} ${n}`).join(", ");
    const containers = sources.reduce((n, s) => n + s.snapshot.containers.length, 0);
    return (
      `${values.out}: ${result.bytes} bytes; rows: ${rows}` +
      (containers > 0 ? `\n${containers} containers left out (RVTools has no tab for them)` : "") +
      "\n"
    );
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

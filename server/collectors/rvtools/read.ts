/**
 * Opens an RVTools export by its path and yields its tabs (types.ts): a folder of RVTools_tab*.csv
 * (csv.ts), a .zip of those or of an .xlsx (zip.ts), or an .xlsx (xlsx.ts). Sizes are checked
 * before anything is read; an export without a vInfo tab is not an RVTools export.
 */
import { stat } from "node:fs/promises";
import { basename, extname } from "node:path";
import { readCsvFolder } from "./csv";
import { readXlsx } from "./xlsx";
import { readZip, ZIP_LIMITS, type ZipLimits } from "./zip";
import { RvtoolsInputError, type RvTab } from "./types";

/** An opened export: its tabs (headers read, rows streaming), warnings about what was skipped. */
export interface RvExport {
  origin: string;
  tabs: RvTab[];
  warnings: string[];
  /** Ends every stream still open (tabs whose rows were not read to the end). */
  close(): Promise<void>;
}

export interface ReadLimits extends ZipLimits {
  /**
   * The input file (or the tab files of a folder), refused before reading: 1 GiB. A 50,000-VM RVTools
   * xlsx is ~100 MB and its CSV folder a few hundred MB, so a larger file is a mistake or an attack.
   */
  maxInputBytes: number;
}

export const READ_LIMITS: ReadLimits = { maxInputBytes: 1024 ** 3, ...ZIP_LIMITS };

/**
 * `options.name`: what every message calls the input (an upload's name as uploaded, so the server's
 * own path never reaches a run's error); the path itself by default.
 */
export async function openRvtoolsExport(
  path: string,
  limits: Partial<ReadLimits> = {},
  options: { name?: string } = {},
): Promise<RvExport> {
  const lim = { ...READ_LIMITS, ...limits };
  const name = options.name ?? basename(path);
  const shown = options.name ?? path;
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RvtoolsInputError(`${shown}: ${code === "ENOENT" ? "no such file or folder" : `cannot read (${code ?? String(error)})`}`, { origin: shown });
  }
  let opened: RvExport;
  if (info.isDirectory()) {
    opened = await readCsvFolder(path, lim);
  } else {
    if (!info.isFile()) throw new RvtoolsInputError(`${shown}: not a file or folder`, { origin: shown });
    if (info.size > lim.maxInputBytes) {
      throw new RvtoolsInputError(`${name}: ${info.size} bytes, over the limit of ${lim.maxInputBytes}: refused before reading`, { origin: name });
    }
    const ext = extname(path).toLowerCase();
    if (ext === ".xlsx") opened = await readXlsx(path, lim, name);
    else if (ext === ".zip") opened = await readZip(path, lim, name);
    else throw new RvtoolsInputError(`${name}: not an RVTools export: expected an .xlsx, a .zip or a folder of RVTools_tab*.csv`, { origin: name });
  }
  const vInfo = opened.tabs.find((tab) => tab.name.toLowerCase() === "vinfo");
  if (!vInfo) {
    await opened.close();
    const found = opened.tabs.map((tab) => tab.name).join(", ");
    throw new RvtoolsInputError(`${opened.origin}: not an RVTools export: no vInfo tab (found: ${found || "none"})`, { origin: opened.origin, tab: "vInfo" });
  }
  // vInfo has ~100 columns (VM, Powerstate, CPUs, ...): one column is text that is not CSV, or another separator.
  if (vInfo.header.length < 2) {
    await opened.close();
    const first = vInfo.header[0]?.slice(0, 60) ?? "";
    throw new RvtoolsInputError(
      /\.xlsx$/i.test(vInfo.origin)
        ? `${vInfo.origin}: sheet "${vInfo.name}": the header row has ${vInfo.header.length === 0 ? "no cells" : `one column ("${first}")`}: not an RVTools vInfo`
        : `${vInfo.origin}: the header line has one column ("${first}"): not an RVTools CSV (separators read: ',' ';' tab)`,
      { origin: vInfo.origin, tab: vInfo.name, row: 1 },
    );
  }
  return opened;
}

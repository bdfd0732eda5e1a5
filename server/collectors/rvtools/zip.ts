/**
 * A .zip holding an RVTools export: the RVTools_tab*.csv files of "Export all to csv" (at the top or
 * in one folder), or one .xlsx (copied to a temporary file, yauzl needing random access, then read by
 * xlsx.ts under the same limits). The central directory is read
 * and checked first (entry count, sizes, ratio, encryption, names); yauzl then checks while inflating
 * that no entry holds more bytes than its header declared, so the declared sizes are the real limits.
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { pipeline } from "node:stream/promises";
import yauzl, { type Entry, type ZipFile } from "yauzl";
import { CSV_TAB_FILE, openCsvTab } from "./csv";
import type { RvExport } from "./read";
import { RvtoolsInputError, type RvTab } from "./types";
import { readXlsx } from "./xlsx";

export interface ZipLimits {
  /** Entries in the central directory. */
  maxEntries: number;
  /** Uncompressed bytes of one entry. */
  maxEntryBytes: number;
  /** Uncompressed bytes of all entries read. */
  maxTotalBytes: number;
  /** Uncompressed ÷ compressed bytes of one entry, checked above `ratioFloorBytes`. */
  maxRatio: number;
  ratioFloorBytes: number;
}

export const ZIP_LIMITS: ZipLimits = {
  // An RVTools export has 27 tabs; a zip of several exports' folders stays well under 1,000.
  maxEntries: 1000,
  // A 50,000-VM vInfo CSV is ~100-200 MB; 1 GiB per entry and 2 GiB in all leaves room for the
  // largest real estates while a zip bomb (petabytes declared or inflated) is refused.
  maxEntryBytes: 1024 ** 3,
  maxTotalBytes: 2 * 1024 ** 3,
  // Deflated CSV and xlsx XML reach ~10-30x on repetitive columns; zip bombs are 1,000x and more.
  // Small entries (under 1 MiB) may exceed any ratio harmlessly, so the ratio applies above that.
  maxRatio: 100,
  ratioFloorBytes: 1024 ** 2,
};

function inputError(origin: string, message: string): RvtoolsInputError {
  return new RvtoolsInputError(`${origin}: ${message}`, { origin });
}

/** The entries to read, after every entry of the central directory has passed the limits (xlsx.ts reuses it). */
export async function listEntries(zip: ZipFile, name: string, limits: ZipLimits): Promise<Entry[]> {
  if (zip.entryCount > limits.maxEntries) {
    throw inputError(name, `${zip.entryCount} entries, over the limit of ${limits.maxEntries}: not an RVTools export`);
  }
  const entries: Entry[] = [];
  let total = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      const where = `${name}!${entry.fileName}`;
      if (entry.fileName.endsWith("/")) continue;
      if (entry.isEncrypted()) throw inputError(where, "encrypted entry: refused (export the file without a password)");
      if (entry.uncompressedSize > limits.maxEntryBytes) {
        throw inputError(where, `${entry.uncompressedSize} bytes uncompressed, over the limit of ${limits.maxEntryBytes} per entry`);
      }
      const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
      if (entry.uncompressedSize > limits.ratioFloorBytes && ratio > limits.maxRatio) {
        throw inputError(where, `compression ratio ${Math.round(ratio)}:1, over the limit of ${limits.maxRatio}:1 (a zip bomb?)`);
      }
      total += entry.uncompressedSize;
      if (total > limits.maxTotalBytes) {
        throw inputError(where, `the entries hold more than ${limits.maxTotalBytes} bytes uncompressed in all`);
      }
      entries.push(entry);
    }
  } catch (error) {
    if (error instanceof RvtoolsInputError) throw error;
    // yauzl refuses names with "..", absolute paths and other malformed records; its message names the entry.
    throw inputError(name, `not a readable zip: ${(error as Error).message}`);
  }
  return entries;
}

/** `name`: what messages call the file (its base name by default; an upload's name as uploaded). */
export async function readZip(path: string, limits: ZipLimits, name = basename(path)): Promise<RvExport> {
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true });
  } catch (error) {
    throw inputError(name, `not a readable zip: ${(error as Error).message}`);
  }
  const tabs: (RvTab & { destroy(): void })[] = [];
  const close = async () => {
    for (const tab of tabs) tab.destroy();
    zip.close();
  };
  try {
    const entries = await listEntries(zip, name, limits);
    const csv = entries.filter((e) => CSV_TAB_FILE.test(basename(e.fileName)));
    const xlsx = entries.filter((e) => /\.xlsx$/i.test(e.fileName));
    if (csv.length === 0 && xlsx.length > 1) {
      throw inputError(name, `${xlsx.length} .xlsx files inside (${xlsx.map((e) => e.fileName).join(", ")}): one export per zip`);
    }
    const [book] = xlsx;
    if (csv.length === 0 && book) {
      const opened = await readNestedXlsx(zip, book, name, limits);
      zip.close();
      const ignored = entries.filter((e) => e !== book).map((e) => e.fileName);
      if (ignored.length) opened.warnings.unshift(`${name}: not RVTools tab files, ignored: ${ignored.join(", ")}`);
      return opened;
    }
    if (csv.length === 0) throw inputError(name, "no RVTools_tab*.csv or .xlsx inside: not an RVTools export");
    const folders = new Set(csv.map((e) => e.fileName.slice(0, e.fileName.length - basename(e.fileName).length)));
    if (folders.size > 1) {
      throw inputError(name, `RVTools_tab*.csv files in ${folders.size} folders (${[...folders].map((f) => f || "/").join(", ")}): one export per zip`);
    }
    const seen = new Map<string, string>();
    for (const entry of csv) {
      const tab = CSV_TAB_FILE.exec(basename(entry.fileName))?.[1] ?? "";
      const twin = seen.get(tab.toLowerCase());
      if (twin) throw inputError(name, `two entries for the tab ${tab}: ${twin} and ${entry.fileName}`);
      seen.set(tab.toLowerCase(), entry.fileName);
      const origin = `${name}!${entry.fileName}`;
      let stream;
      try {
        stream = await zip.openReadStreamPromise(entry);
      } catch (error) {
        throw inputError(origin, `cannot read the entry: ${(error as Error).message}`);
      }
      tabs.push(await openCsvTab(stream, origin, tab));
    }
    const ignored = entries.filter((e) => !csv.includes(e)).map((e) => e.fileName);
    const warnings = ignored.length ? [`${name}: not RVTools tab files, ignored: ${ignored.join(", ")}`] : [];
    return { origin: name, tabs, warnings, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** One .xlsx inside the zip, copied to a temporary folder (removed on close) and read from there. */
async function readNestedXlsx(zip: ZipFile, entry: Entry, name: string, limits: ZipLimits): Promise<RvExport> {
  const origin = `${name}!${entry.fileName}`;
  const dir = await mkdtemp(join(tmpdir(), "fleetlens-rvtools-"));
  const path = join(dir, "export.xlsx");
  try {
    try {
      // The entry's size passed the limits above; yauzl refuses it if it inflates past that size.
      await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(path, { flags: "wx" }));
    } catch (error) {
      throw inputError(origin, `cannot read the entry: ${(error as Error).message}`);
    }
    const opened = await readXlsx(path, limits, origin);
    return {
      ...opened,
      close: async () => {
        try {
          await opened.close();
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

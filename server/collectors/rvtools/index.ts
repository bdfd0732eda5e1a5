/**
 * The rvtools kind: an RVTools export (an .xlsx, a folder of RVTools_tab*.csv, or a .zip of either).
 * The command line reads the path the person at the terminal names (`collect rvtools <path>`). A
 * source saved on the server reads only the file uploaded to it on the Sources page, which the
 * server keeps in its own folder (jobs/uploads.ts): its endpoint is a label people typed, and the
 * server never reads a path named that way.
 */
import { z } from "zod";
import { defineCollector, type Collector } from "../types";
import { rvtoolsCliParser } from "./cli";
import { createRvtoolsBuilder } from "./normalise";
import { openRvtoolsExport } from "./read";

/**
 * Reads the export at `path` into the normaliser, one row at a time; the reader's warnings join the
 * snapshot's. `name`: what messages call it (see openRvtoolsExport).
 */
async function collectExport(path: string, signal: AbortSignal, name?: string) {
  signal.throwIfAborted();
  const opened = await openRvtoolsExport(path, {}, { name });
  try {
    // The builder checks the signal every 1,000 rows it reads.
    const builder = createRvtoolsBuilder({ signal });
    for (const tab of opened.tabs) {
      signal.throwIfAborted();
      await builder.addTab(tab);
    }
    const { snapshot } = builder.finish();
    return { ...snapshot, warnings: [...opened.warnings, ...(snapshot.warnings ?? [])] };
  } finally {
    await opened.close();
  }
}

/** The command line: the path given (the source's endpoint). */
export const collectRvtools: Collector = (source, { signal }) => collectExport(source.endpoint, signal);

export const NO_UPLOAD =
  "no RVTools export has been uploaded to this source yet: upload the .xlsx (or a .zip of its CSV files) on the Sources page";

/** The server: the file uploaded for this run, named in messages as it was uploaded, never by where the server keeps it. */
export const collectUpload: Collector = async (_source, { signal, upload }) => {
  if (!upload) throw new Error(NO_UPLOAD);
  return collectExport(upload.path, signal, upload.name);
};

export const rvtools = defineCollector({
  kind: "rvtools",
  label: "RVTools export",
  // A label for people (the file comes by upload): which vCenters the customer exports.
  endpoint: { pattern: /^\S.*$/, example: "vcenter01.customer.example (the vCenters the export covers)" },
  // No settings defined yet: any option within the generic bounds (api/routers/sources.ts) is kept.
  options: z.looseObject({}),
  fields: [],
  secret: { kind: "none" },
  upload: { accept: ".xlsx,.zip", hint: "the .xlsx RVTools wrote, or a .zip of its RVTools_tab*.csv files" },
  collect: collectUpload,
  cli: rvtoolsCliParser,
  collectCli: collectRvtools,
});

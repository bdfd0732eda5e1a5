/**
 * The rvtools kind: an RVTools export (an .xlsx, a folder of RVTools_tab*.csv, or a .zip of either)
 * read from a local path by the command line (`collect rvtools <path>`). A source saved on the server
 * is not collected yet: its endpoint is text anyone who may edit sources typed, and the server must
 * never read a path named that way. Uploading the file through the Sources page (the server keeping
 * the upload in its own directory and collecting from there) is the next step of issue 15.
 */
import { z } from "zod";
import { defineCollector, type Collector } from "../types";
import { rvtoolsCliParser } from "./cli";
import { createRvtoolsBuilder } from "./normalise";
import { openRvtoolsExport } from "./read";
import type { RvRow, RvTab } from "./types";

/** The tab with its rows stopping when the collection is cancelled (checked every 1,000 rows). */
function cancellable(tab: RvTab, signal: AbortSignal): RvTab {
  async function* rows(): AsyncGenerator<RvRow> {
    let n = 0;
    for await (const row of tab.rows) {
      if (++n % 1000 === 0) signal.throwIfAborted();
      yield row;
    }
  }
  return { ...tab, rows: rows() };
}

/** Reads the export's tabs into the normaliser, one row at a time; the reader's warnings join the snapshot's. */
export const collectRvtools: Collector = async (source, { signal }) => {
  signal.throwIfAborted();
  const opened = await openRvtoolsExport(source.endpoint);
  try {
    const builder = createRvtoolsBuilder();
    for (const tab of opened.tabs) {
      signal.throwIfAborted();
      await builder.addTab(cancellable(tab, signal));
    }
    const { snapshot } = builder.finish();
    return { ...snapshot, warnings: [...opened.warnings, ...(snapshot.warnings ?? [])] };
  } finally {
    await opened.close();
  }
};

export const rvtools = defineCollector({
  kind: "rvtools",
  label: "RVTools export",
  endpoint: { pattern: /^\S.*$/, example: "RVTools export file name" },
  // No settings defined yet: any option within the generic bounds (api/routers/sources.ts) is kept.
  options: z.looseObject({}),
  fields: [],
  secret: { kind: "none" },
  cli: rvtoolsCliParser,
  collectCli: collectRvtools,
});

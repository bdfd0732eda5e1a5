/**
 * The seam between the RVTools readers (xlsx, a folder of RVTools_tab*.csv, a zip of either) and the
 * normaliser that turns the tabs into a snapshot. A reader yields the tabs it finds, each with its
 * header row and then its rows one at a time, so a 50,000-VM export never sits in memory as cells;
 * the normaliser keeps only what the snapshot needs.
 */

/** One cell as the reader found it: xlsx numbers stay numbers, dates stay Date, CSV cells are text. */
export type CellValue = string | number | boolean | Date | null;

export interface RvRow {
  /** 1-based row number in the tab as a person would see it (the header is row 1). */
  row: number;
  cells: CellValue[];
}

export interface RvTab {
  /** The tab's name as RVTools writes it ("vInfo", "vDisk", ...), from the sheet name or the CSV file name. */
  name: string;
  /** Where it came from, for messages: "export.xlsx", "RVTools_tabvInfo.csv", "export.zip!RVTools_tabvInfo.csv". */
  origin: string;
  /** The header row's cells, as written (trimmed); matched to columns by name and alias, never by position. */
  header: string[];
  rows: AsyncIterable<RvRow>;
  /**
   * How a CSV tab writes numbers as text, from its field separator: "," means a locale whose
   * decimal point is "." and whose groups are "," ("16,384" is 16384); ";" a comma-decimal locale
   * ("16.384,5" is 16384.5). Absent (xlsx, tab-separated): no grouping is assumed.
   */
  numbers?: NumberFormat;
}

export type NumberFormat = "comma-groups" | "comma-decimal";

/** Refusals a reader raises: the message names the file, and the tab, row and column where there is one. */
export class RvtoolsInputError extends Error {
  constructor(
    message: string,
    readonly where: { origin?: string; tab?: string; row?: number; column?: string } = {},
  ) {
    super(message);
    this.name = "RvtoolsInputError";
  }
}

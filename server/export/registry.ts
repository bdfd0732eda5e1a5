/**
 * Every table of the customer page that can be downloaded, in one place: GET
 * /api/export/<customerId>/<table>?format=csv|xlsx&columns=<ids>&<the table's filters> looks the
 * table up here. Adding a table is one entry: its name, the query parameters of its filter (checked
 * by the same zod schema as its tRPC procedure), its columns by screen id, and its rows.
 */
import type { z } from "zod";
import { customerAnalysis } from "../analysis/load";
import { findingFilterSchema, findingRows, verdictFilterSchema, verdictRows, vmUseFilterSchema, vmUseRows, type FindingRow, type VerdictRow } from "../analysis/views";
import { containerFilterSchema, hostFilterSchema, vmFilterSchema } from "../api/inventory-tables";
import type { Database } from "../db/client";
import type { ExportColumn } from "./csv";
import { parseQueryFilter, type ParamKind, type Parsed } from "./filter";
import {
  CONTAINER_EXPORT_COLUMNS,
  containerRows,
  HOST_EXPORT_COLUMNS,
  hostRows,
  VM_EXPORT_COLUMNS,
  vmRows,
  type ExportRows,
  type ScreenColumn,
} from "./inventory";
import { FINDING_CSV_COLUMNS, FINDING_PARAMS, VERDICT_CSV_COLUMNS, VERDICT_PARAMS } from "./tables";

export const EXPORT_FORMATS = ["csv", "xlsx"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface TableExport<F, R> {
  /** Plain words for the file name and the worksheet: "virtual machines". */
  label: string;
  /** The filter's schema (the tRPC procedure's, without the page) and its query parameters besides search, sort and dir. */
  schema: z.ZodType<F>;
  params: Record<string, ParamKind>;
  /** The columns by screen id, in the screen's order: `columns=` picks and orders them. */
  columns: readonly ScreenColumn<R>[];
  /** The file's columns without `columns=`: all of them, in this order (every screen column's, in order, when absent). */
  allColumns?: readonly ExportColumn<R>[];
  rows: (database: Database, customerId: string, filter: F) => Promise<ExportRows<R>>;
}

/** Erases a table's filter and row types, which only meet inside its own entry. */
const entry = <F, R>(table: TableExport<F, R>) => table as unknown as TableExport<unknown, unknown>;

/** Columns by their header: the analysis exports' file columns, grouped under the screen's ids. */
function grouped<R>(all: readonly ExportColumn<R>[], groups: Record<string, string[]>): ScreenColumn<R>[] {
  const byHeader = new Map(all.map((c) => [c.header, c]));
  return Object.entries(groups).map(([id, headers]) => ({
    id,
    columns: headers.map((h) => {
      const column = byHeader.get(h);
      if (!column) throw new Error(`export columns: no column "${h}"`);
      return column;
    }),
  }));
}

const analysisRows =
  <F, R>(rowsOf: (analysis: Awaited<ReturnType<typeof customerAnalysis>>["analysis"], filter: F) => R[]) =>
  async (database: Database, customerId: string, filter: F): Promise<ExportRows<R>> => {
    const { analysis } = await customerAnalysis(database, customerId);
    const rows = rowsOf(analysis, filter);
    return { total: rows.length, rows };
  };

type VmUseRow = ReturnType<typeof vmUseRows>[number];
/** As the Utilisation tab says them. */
const VM_USE_STATUS_WORDS: Record<VmUseRow["status"], string> = {
  idle: "Idle",
  oversized: "Oversized",
  undersized: "Undersized",
  "right-sized": "Right-sized",
  "powered-off": "Powered off",
  "insufficient-data": "Insufficient data",
};

/** The Utilisation tab's VM table (UtilisationPanel): measured use and what each VM asks for. */
const VM_USE_COLUMNS: ScreenColumn<VmUseRow>[] = [
  {
    id: "name",
    columns: [
      { header: "Virtual machine", cell: (v) => v.name },
      { header: "Host", cell: (v) => v.hostName },
      { header: "Cluster", cell: (v) => v.cluster },
    ],
  },
  {
    id: "status",
    columns: [
      { header: "Status", cell: (v) => VM_USE_STATUS_WORDS[v.status] },
      { header: "Why", cell: (v) => v.reason },
    ],
  },
  {
    id: "vcpus",
    columns: [
      { header: "vCPUs", cell: (v) => v.vcpus },
      { header: "Suggested vCPUs", cell: (v) => v.suggestedVcpus },
    ],
  },
  {
    id: "memoryMiB",
    columns: [
      { header: "Memory (MiB)", cell: (v) => v.memoryMiB },
      { header: "Suggested memory (MiB)", cell: (v) => v.suggestedMemoryMiB },
    ],
  },
  {
    id: "cpuPercent",
    columns: [
      { header: "CPU used (%)", cell: (v) => v.cpuPercent },
      { header: "CPU peak (%)", cell: (v) => v.cpuPercentPeak },
      { header: "CPU used (MHz)", cell: (v) => v.cpuMhz },
    ],
  },
  {
    id: "memoryDemandMiB",
    columns: [
      { header: "Memory used (MiB)", cell: (v) => v.memoryDemandMiB },
      { header: "Memory measure", cell: (v) => v.memoryMetric },
    ],
  },
  { id: "readyPercent", columns: [{ header: "CPU ready (%)", cell: (v) => v.readyPercent }] },
  {
    id: "reclaimMemoryMiB",
    columns: [
      { header: "Reclaimable vCPUs", cell: (v) => v.reclaimVcpus },
      { header: "Reclaimable memory (MiB)", cell: (v) => v.reclaimMemoryMiB },
      { header: "Reclaimable disk (MiB)", cell: (v) => v.reclaimDiskMiB },
    ],
  },
  { id: "findings", columns: [{ header: "Findings", cell: (v) => v.findings.map((f) => `${f.ruleId}: ${f.title} (${f.severity})`).join("; ") }] },
  { id: "measuredHours", columns: [{ header: "Hours measured", cell: (v) => v.measuredHours }] },
];

export const TABLE_EXPORTS = {
  verdicts: entry<z.output<typeof verdictFilterSchema>, VerdictRow>({
    label: "verdicts",
    schema: verdictFilterSchema,
    params: VERDICT_PARAMS,
    // The screen's columns first (VerdictsTable), then what only the file has.
    columns: grouped(VERDICT_CSV_COLUMNS, {
      name: ["Workload"],
      kind: ["Kind"],
      role: ["Role", "Role evidence"],
      verdict: ["Verdict", "Why", "Evidence"],
      fit: ["Fit"],
      host: ["Host", "Cluster"],
      ramMiB: ["RAM saved (MiB)"],
      diskMiB: ["Disk saved (MiB)"],
      findings: ["Findings"],
      tenant: ["Tenant"],
      os: ["Guest OS"],
      isolation: ["Isolation"],
      cpuMillis: ["CPU saved (millicores)"],
    }),
    allColumns: VERDICT_CSV_COLUMNS,
    rows: analysisRows(verdictRows),
  }),
  findings: entry<z.output<typeof findingFilterSchema>, FindingRow>({
    label: "findings",
    schema: findingFilterSchema,
    params: FINDING_PARAMS,
    columns: grouped(FINDING_CSV_COLUMNS, {
      severity: ["Severity"],
      ruleId: ["Rule", "Finding"],
      name: ["Workload"],
      kind: ["Kind"],
      host: ["Host"],
      detail: ["Detail", "Why it matters"],
      source: ["Source", "Upstream id", "Source URL", "Deviation"],
    }),
    allColumns: FINDING_CSV_COLUMNS,
    rows: analysisRows(findingRows),
  }),
  hosts: entry({
    label: "hosts",
    schema: hostFilterSchema,
    params: { role: "text" },
    columns: HOST_EXPORT_COLUMNS,
    rows: hostRows,
  }),
  vms: entry({
    label: "virtual machines",
    schema: vmFilterSchema,
    params: { powerState: "text", osFamily: "text", template: "boolean" },
    columns: VM_EXPORT_COLUMNS,
    rows: vmRows,
  }),
  containers: entry({
    label: "containers",
    schema: containerFilterSchema,
    params: { state: "text", privileged: "boolean" },
    columns: CONTAINER_EXPORT_COLUMNS,
    rows: containerRows,
  }),
  utilisation: entry<z.output<typeof vmUseFilterSchema>, VmUseRow>({
    label: "utilisation",
    schema: vmUseFilterSchema,
    params: { status: "text" },
    columns: VM_USE_COLUMNS,
    rows: analysisRows(vmUseRows),
  }),
} satisfies Record<string, TableExport<unknown, unknown>>;

export type ExportTableName = keyof typeof TABLE_EXPORTS;
export const EXPORT_TABLE_NAMES = Object.keys(TABLE_EXPORTS) as ExportTableName[];
export const isExportTableName = (value: string): value is ExportTableName => Object.hasOwn(TABLE_EXPORTS, value);

/** The table's filter from a query string (its params, search, sort, dir), checked by its schema; an error names the parameter. */
export function parseTableFilter<F>(table: TableExport<F, unknown>, params: URLSearchParams): Parsed<F> {
  return parseQueryFilter(table.schema, table.params, params);
}

/** `format=csv|xlsx`, csv when absent. */
export function parseFormat(params: URLSearchParams): Parsed<ExportFormat> {
  const format = params.get("format") ?? "csv";
  return (EXPORT_FORMATS as readonly string[]).includes(format)
    ? { ok: true, value: format as ExportFormat }
    : { ok: false, error: `format: "${format.slice(0, 40)}" is not one of ${EXPORT_FORMATS.join(", ")}` };
}

/**
 * `columns=name,host,...`: the screen's visible columns in the screen's order, each giving its file
 * columns; every column when absent. An unknown or repeated id is refused, named.
 */
export function parseColumns<R>(table: TableExport<unknown, R>, params: URLSearchParams): Parsed<{ ids: string[]; columns: ExportColumn<R>[] }> {
  const raw = params.get("columns");
  if (raw === null && table.allColumns) return { ok: true, value: { ids: table.columns.map((c) => c.id), columns: [...table.allColumns] } };
  const byId = new Map(table.columns.map((c) => [c.id, c]));
  const ids = raw === null ? table.columns.map((c) => c.id) : raw.split(",").map((id) => id.trim());
  if (raw !== null && (raw.trim() === "" || ids.some((id) => id === ""))) return { ok: false, error: "columns: empty column name (give the ids separated by commas)" };
  const unknown = ids.filter((id) => !byId.has(id));
  if (unknown.length > 0) {
    return { ok: false, error: `columns: no column ${unknown.map((id) => `"${id.slice(0, 40)}"`).join(", ")} in ${table.label} (columns: ${table.columns.map((c) => c.id).join(", ")})` };
  }
  const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (repeated.length > 0) return { ok: false, error: `columns: "${repeated[0]}" given twice` };
  return { ok: true, value: { ids, columns: ids.flatMap((id) => byId.get(id)!.columns) } };
}

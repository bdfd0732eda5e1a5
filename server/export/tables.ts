/**
 * The columns of the two CSV exports: the customer page's verdict and finding tables, with the
 * same rows (server/analysis/views.ts) and headers in plain words.
 */
import { ROLE_LABEL, type Role } from "../analysis/labels";
import { findingFilterSchema, verdictFilterSchema, type EvidenceRow, type FindingFilter, type FindingRow, type VerdictFilter, type VerdictRow } from "../analysis/views";
import type { CsvColumn } from "./csv";
import { parseQueryFilter, type ParamKind } from "./filter";

const KIND_LABEL: Record<VerdictRow["kind"] | FindingRow["kind"], string> = {
  vm: "virtual machine",
  container: "container",
  host: "host",
};

/**
 * "guestOsId = vmwarePhoton64Guest (strong)"; evidence that points to another role than `role` says
 * so ("name = vcsa-test (weak; points to Vendor appliance, set aside)"), so a reader never takes it
 * for what decided the role.
 */
export function evidenceText(e: EvidenceRow, role: Role | null = null): string {
  const elsewhere = role !== null && e.supports !== null && e.supports !== role ? `; points to ${ROLE_LABEL[e.supports]}, set aside` : "";
  return `${e.field} = ${e.value} (${e.strength}${elsewhere})`;
}

/** The verdict's evidence, where each piece was read: "guest discovery: processes, listeners, packages = not collected (missing)". */
const verdictEvidenceText = (e: EvidenceRow, role: Role | null) => `${e.source}: ${evidenceText(e, role)}`;

export const VERDICT_CSV_COLUMNS: readonly CsvColumn<VerdictRow>[] = [
  { header: "Workload", cell: (r) => r.name },
  { header: "Kind", cell: (r) => KIND_LABEL[r.kind] },
  { header: "Role", cell: (r) => r.roleLabel },
  { header: "Role evidence", cell: (r) => r.roleEvidence.map((e) => evidenceText(e, r.role)).join("; ") },
  { header: "Verdict", cell: (r) => r.verdictLabel },
  { header: "Why", cell: (r) => r.reason },
  { header: "Fit", cell: (r) => r.fitLabel },
  { header: "Evidence", cell: (r) => r.evidence.map((e) => verdictEvidenceText(e, r.role)).join("; ") },
  { header: "Host", cell: (r) => r.host },
  { header: "Cluster", cell: (r) => r.cluster },
  { header: "Tenant", cell: (r) => r.tenant },
  { header: "Guest OS", cell: (r) => r.os },
  { header: "Isolation", cell: (r) => r.isolation },
  { header: "RAM saved (MiB)", cell: (r) => r.ramMiB },
  { header: "Disk saved (MiB)", cell: (r) => r.diskMiB },
  { header: "CPU saved (millicores)", cell: (r) => r.cpuMillis },
  { header: "Findings", cell: (r) => r.findings.map((f) => `${f.ruleId}: ${f.title} (${f.severity})`).join("; ") },
];

export const FINDING_CSV_COLUMNS: readonly CsvColumn<FindingRow>[] = [
  { header: "Severity", cell: (r) => r.severity },
  { header: "Rule", cell: (r) => r.ruleId },
  { header: "Finding", cell: (r) => r.title },
  { header: "Kind", cell: (r) => KIND_LABEL[r.kind] },
  { header: "Workload", cell: (r) => r.name },
  { header: "Host", cell: (r) => r.host },
  { header: "Detail", cell: (r) => r.detail },
  { header: "Why it matters", cell: (r) => r.text },
  { header: "Source", cell: (r) => r.source },
  { header: "Upstream id", cell: (r) => r.upstreamId },
  { header: "Source URL", cell: (r) => r.sourceUrl },
  { header: "Deviation", cell: (r) => r.deviation },
];

/** The query parameters of the verdict and finding tables' own filters (besides search, sort and dir). */
export const VERDICT_PARAMS = { kind: "text", verdict: "text", role: "text" } as const satisfies Record<string, ParamKind>;
export const FINDING_PARAMS = { kind: "text", severity: "text", ruleId: "text" } as const satisfies Record<string, ParamKind>;

/**
 * The verdict or finding table's filter from a query string (kind, verdict and role or severity and
 * ruleId, search, sort, dir), checked by the same schemas as the tRPC procedures; an error names the
 * parameter and the problem. (The export route reads every table's through registry.ts.)
 */
export function parseExportFilter(table: "verdicts", params: URLSearchParams): { ok: true; filter: VerdictFilter } | { ok: false; error: string };
export function parseExportFilter(table: "findings", params: URLSearchParams): { ok: true; filter: FindingFilter } | { ok: false; error: string };
export function parseExportFilter(table: "verdicts" | "findings", params: URLSearchParams) {
  const parsed =
    table === "verdicts"
      ? parseQueryFilter(verdictFilterSchema, VERDICT_PARAMS, params)
      : parseQueryFilter(findingFilterSchema, FINDING_PARAMS, params);
  return parsed.ok ? { ok: true, filter: parsed.value } : parsed;
}

/**
 * What the customer page's verdict and finding tables show, and the CSV export writes: the same
 * filters, the same rows, in one place, so the file an engineer takes to a meeting is the table
 * they were looking at.
 */
import { z } from "zod";
import { searchText } from "../api/text";
import type { Analysis } from "./index";
import { ratio } from "./density";
import { VM_USE_STATUSES, type VmUse } from "./utilisation";
import { ISOLATION_LEVEL_LABEL, round1, type IsolationLevel } from "./isolation";
import { ROLE_VALUES, VERDICT_LABEL, verdictLabelOf, VERDICT_VALUES, type Evidence, type Fit, type Role, type VerdictValue } from "./labels";

export { ROLE_VALUES, VERDICT_VALUES };
import type { Verdict } from "./migration";
import type { Finding } from "./rules/rule";
import { sortTableRows } from "./table-sort";
import { ruleTitle, RULES_BY_ID, SEVERITIES, severityRank, type Severity } from "./rules";

const direction = z.enum(["asc", "desc"]);

export const VERDICT_COLUMNS = ["name", "kind", "role", "verdict", "host", "ramMiB", "diskMiB", "findings"] as const;
export const FINDING_COLUMNS = ["severity", "ruleId", "name", "kind", "host"] as const;

export const verdictFilterSchema = z.object({
  kind: z.enum(["vm", "container"]).optional(),
  verdict: z.enum(VERDICT_VALUES).optional(),
  /** What the VM is (server/analysis/roles/); containers have no role, so a role keeps VMs only. */
  role: z.enum(ROLE_VALUES).optional(),
  search: searchText,
  sort: z.object({ column: z.enum(VERDICT_COLUMNS), direction }).default({ column: "ramMiB", direction: "desc" }),
});
export type VerdictFilter = z.infer<typeof verdictFilterSchema>;

export const findingFilterSchema = z.object({
  kind: z.enum(["vm", "container"]).optional(),
  severity: z.enum(SEVERITIES).optional(),
  ruleId: z.string().max(100).optional(),
  search: searchText,
  sort: z.object({ column: z.enum(FINDING_COLUMNS), direction }).default({ column: "severity", direction: "asc" }),
});
export type FindingFilter = z.infer<typeof findingFilterSchema>;

const ruleText = (id: string) => RULES_BY_ID.get(id)?.text ?? "";
const ruleSource = (id: string) => RULES_BY_ID.get(id)?.source ?? "";

/** One piece of evidence as the table and the CSV show it: what was read, and what it says. */
export type EvidenceRow = Pick<Evidence, "source" | "field" | "value" | "strength" | "supports" | "note">;
const evidenceRow = (e: Evidence): EvidenceRow => ({ source: e.source, field: e.field, value: e.value, strength: e.strength, supports: e.supports, note: e.note });

export interface VerdictRow {
  key: string;
  name: string;
  kind: "vm" | "container";
  verdict: VerdictValue;
  verdictLabel: string;
  reason: string;
  host: string | null;
  /** The host's id (its page), null when it is not in the inventory. */
  hostKey: string | null;
  cluster: string | null;
  tenant: string | null;
  os: string | null;
  isolation: string;
  /** What the VM is, and the evidence read (strongest first); null and empty for a container. */
  role: Role | null;
  roleLabel: string | null;
  roleEvidence: EvidenceRow[];
  /** Container fit as Migrate to Containers grades it; null for a container. */
  fit: Fit | null;
  fitLabel: string | null;
  /** What the verdict rests on, including the evidence still missing ("guest discovery: not collected"). */
  evidence: EvidenceRow[];
  ramMiB: number;
  diskMiB: number;
  cpuMillis: number;
  findings: { ruleId: string; title: string; severity: Severity; detail: string | null }[];
}

export interface FindingRow {
  key: string;
  /** The id of the VM, container or host it is about (its page: components/links.ts). */
  objectKey: string;
  ruleId: string;
  title: string;
  severity: Severity;
  kind: "vm" | "container" | "host";
  name: string;
  host: string | null;
  /** The host's id (its page), null when it is not in the inventory. */
  hostKey: string | null;
  detail: string | null;
  text: string;
  source: string;
  /** The upstream rule's own id ("vmware.disk.shared.detected", "5.5"), its source's URL; null for our own rules. */
  upstreamId: string | null;
  sourceUrl: string | null;
  /** Where the rule deliberately differs from upstream, and why; null when it does as upstream does. */
  deviation: string | null;
}


/**
 * A table's rows, filtered and sorted, made into row objects only when asked for: a page builds its
 * 25, an export all of them. For the largest customer (2.5 million findings) building every row
 * before the first page was shown took most of the Findings tab's first answer.
 */
export interface RowList<R> {
  readonly total: number;
  slice(start: number, end: number): R[];
}

const listOf = <T, R>(items: T[], row: (item: T) => R): RowList<R> => ({
  total: items.length,
  slice: (start, end) => items.slice(start, end).map(row),
});

export function verdictList(analysis: Analysis, filter: VerdictFilter): RowList<VerdictRow> {
  const search = filter.search.toLowerCase();
  const matching = analysis.migration.verdicts.filter(
    (v) =>
      (!filter.kind || v.kind === filter.kind) &&
      (!filter.verdict || v.verdict === filter.verdict) &&
      (!filter.role || v.role === filter.role) &&
      (!search || [v.name, v.hostName ?? "", v.os ?? "", v.tenant ?? "", v.roleLabel ?? ""].some((s) => s.toLowerCase().includes(search))),
  );
  const { column, direction: dir } = filter.sort;
  const value = (v: Verdict): string | number | null =>
    column === "host"
      ? v.hostName
      : column === "findings"
        ? v.findings.length
        : column === "role"
          ? v.roleLabel
          : column === "ramMiB"
            ? Math.round(v.saving.ramMiB)
            : column === "diskMiB"
              ? Math.round(v.saving.diskMiB)
              : v[column];
  sortTableRows(matching, value, dir === "asc" ? 1 : -1, (v) => v.name, (v) => v.key);
  return listOf(matching, (v) => verdictRow(analysis, v));
}

/** A function of an analysis, made once per analysis object when first asked for. */
function perAnalysis<T>(make: (analysis: Analysis) => T): (analysis: Analysis) => T {
  const made = new WeakMap<Analysis, T>();
  return (analysis) => {
    if (!made.has(analysis)) made.set(analysis, make(analysis));
    return made.get(analysis)!;
  };
}
/** Each analysis's containers' isolation levels by key. */
const levelsOf = perAnalysis((analysis) => new Map<string, IsolationLevel>(analysis.isolation.containers.map((c) => [c.key, c.level])));
/** Each analysis's verdicts by key. */
const verdictsByKey = perAnalysis((analysis) => new Map<string, Verdict>(analysis.migration.verdicts.map((v) => [v.key, v])));

function verdictRow(analysis: Analysis, v: Verdict): VerdictRow {
  return {
    key: v.key,
    name: v.name,
    kind: v.kind,
    verdict: v.verdict,
    verdictLabel: verdictLabelOf(v.verdict, v.fit),
    reason: v.reason,
    host: v.hostName,
    hostKey: v.hostKey,
    cluster: v.cluster,
    tenant: v.tenant,
    os: v.os,
    isolation: ISOLATION_LEVEL_LABEL[v.kind === "vm" ? "vm" : (levelsOf(analysis).get(v.key) ?? "shared-kernel")],
    role: v.role,
    roleLabel: v.roleLabel,
    roleEvidence: v.roleEvidence.map(evidenceRow),
    fit: v.fit,
    fitLabel: v.fitLabel,
    evidence: v.evidence.map(evidenceRow),
    ramMiB: Math.round(v.saving.ramMiB),
    diskMiB: Math.round(v.saving.diskMiB),
    cpuMillis: v.saving.cpuMillis,
    findings: v.findings.map((f) => ({ ruleId: f.ruleId, title: ruleTitle(f.ruleId), severity: f.severity, detail: f.detail })),
  };
}

/** One object's verdict as the verdicts table shows it (null: none, e.g. a template). */
export function verdictRowOf(analysis: Analysis, key: string): VerdictRow | null {
  const verdict = verdictsByKey(analysis).get(key);
  return verdict ? verdictRow(analysis, verdict) : null;
}

export function verdictRows(analysis: Analysis, filter: VerdictFilter): VerdictRow[] {
  const list = verdictList(analysis, filter);
  return list.slice(0, list.total);
}

/** The findings table's rows; `objectKey`: one object's only (its page), in the same order. */
export function findingList(analysis: Analysis, filter: FindingFilter, objectKey?: string): RowList<FindingRow> {
  const verdictOf = verdictsByKey(analysis);
  const hostOf = (f: Finding) => verdictOf.get(f.objectKey)?.hostName ?? null;
  const search = filter.search.toLowerCase();
  const matching = analysis.findings.filter(
    (f) =>
      (objectKey === undefined || f.objectKey === objectKey) &&
      (!filter.kind || f.objectKind === filter.kind) &&
      (!filter.severity || f.severity === filter.severity) &&
      (!filter.ruleId || f.ruleId === filter.ruleId) &&
      (!search || [f.objectName, hostOf(f) ?? "", f.ruleId, ruleTitle(f.ruleId), f.detail ?? ""].some((s) => s.toLowerCase().includes(search))),
  );
  const { column, direction: dir } = filter.sort;
  const value = (f: Finding): string | number | null =>
    column === "severity" ? severityRank(f.severity) : column === "host" ? hostOf(f) : column === "kind" ? f.objectKind : column === "name" ? f.objectName : f.ruleId;
  sortTableRows(matching, value, dir === "asc" ? 1 : -1, (f) => f.objectName, (f) => f.ruleId);
  return listOf(matching, (f): FindingRow => {
    const rule = RULES_BY_ID.get(f.ruleId);
    return {
      key: `${f.objectKey}:${f.ruleId}`,
      objectKey: f.objectKey,
      ruleId: f.ruleId,
      title: ruleTitle(f.ruleId),
      severity: f.severity,
      kind: f.objectKind,
      name: f.objectName,
      host: hostOf(f),
      hostKey: verdictOf.get(f.objectKey)?.hostKey ?? null,
      detail: f.detail,
      text: ruleText(f.ruleId),
      source: ruleSource(f.ruleId),
      upstreamId: rule?.upstreamId ?? null,
      sourceUrl: rule?.sourceUrl ?? null,
      deviation: rule?.deviation ?? null,
    };
  });
}

export function findingRows(analysis: Analysis, filter: FindingFilter): FindingRow[] {
  const list = findingList(analysis, filter);
  return list.slice(0, list.total);
}

/**
 * The verdicts' and findings' first rows in the tables' default order and no filter, with their
 * totals, kept with the stored summary (stored.ts): the Verdicts and Findings tabs open on them
 * without the whole analysis (the largest customer's: 29 s to read, 2 GB in memory), up to four
 * pages of 25 or one of 100 (the largest page size a table offers).
 */
export const KEPT_TABLE_ROWS = 100;
export interface KeptRows<R> {
  rows: R[];
  total: number;
}
export function keptTableRows(analysis: Analysis): {
  verdicts: KeptRows<VerdictRow>;
  findings: KeptRows<FindingRow>;
  vmUse: KeptRows<VmUseRow>;
} {
  const kept = <R>(list: RowList<R>): KeptRows<R> => ({ rows: list.slice(0, KEPT_TABLE_ROWS), total: list.total });
  const vmUse = vmUseRows(analysis, defaultsOf(vmUseFilterSchema));
  return {
    verdicts: kept(verdictList(analysis, defaultsOf(verdictFilterSchema))),
    findings: kept(findingList(analysis, defaultsOf(findingFilterSchema))),
    vmUse: { rows: vmUse.slice(0, KEPT_TABLE_ROWS), total: vmUse.length },
  };
}

/** Each filter schema's defaults (what it parses from nothing), parsed once. */
const filterDefaults = new WeakMap<z.ZodObject, Record<string, unknown>>();
function defaultsOf<S extends z.ZodObject>(schema: S): z.infer<S> {
  if (!filterDefaults.has(schema)) filterDefaults.set(schema, schema.parse({}) as Record<string, unknown>);
  return filterDefaults.get(schema) as z.infer<S>;
}

/** Whether a filter is its table's default: every field of `schema`, defaults filled in, as it parses from nothing. */
export function isDefaultFilter(schema: z.ZodObject, filter: Record<string, unknown>): boolean {
  const parsed = schema.safeParse(filter);
  if (!parsed.success) return false;
  const given = parsed.data as Record<string, unknown>;
  const defaults = defaultsOf(schema) as Record<string, unknown>;
  return Object.keys(schema.shape).every((key) => JSON.stringify(given[key]) === JSON.stringify(defaults[key]));
}

/** Rows `start` to `end` of a table's kept rows, when the kept rows hold them (all of them when every row is kept); otherwise null. */
export function keptSlice<R>(kept: KeptRows<R>, start: number, end: number): KeptRows<R> | null {
  if (end > kept.rows.length && kept.rows.length < kept.total) return null;
  return { rows: kept.rows.slice(start, end), total: kept.total };
}

const VM_USE_COLUMNS = ["name", "status", "vcpus", "memoryMiB", "cpuPercent", "memoryDemandMiB", "readyPercent", "reclaimVcpus", "reclaimMemoryMiB", "reclaimDiskMiB", "measuredHours"] as const;

export const vmUseFilterSchema = z.object({
  status: z.enum(VM_USE_STATUSES).optional(),
  search: searchText,
  sort: z.object({ column: z.enum(VM_USE_COLUMNS), direction }).default({ column: "reclaimMemoryMiB", direction: "desc" }),
});
export type VmUseFilter = z.infer<typeof vmUseFilterSchema>;

/** A VM's measured use as the Utilisation tab's table takes it: its vmKey as `key`, its findings titled. */
export type VmUseRow = Omit<VmUse, "findings"> & {
  key: string;
  findings: { ruleId: string; title: string; severity: Severity; detail: string | null }[];
};

/** The VMs' measured use (utilisation.vms) filtered and sorted; nulls last whichever the direction. */
export function vmUseRows(analysis: Analysis, filter: VmUseFilter): VmUseRow[] {
  const needle = filter.search.toLowerCase();
  const rows = analysis.utilisation.vms
    .filter((v) => filter.status === undefined || v.status === filter.status)
    .filter((v) => !needle || [v.name, v.hostName, v.cluster, v.reason].some((t) => t?.toLowerCase().includes(needle)));
  const { column, direction } = filter.sort;
  const sign = direction === "asc" ? 1 : -1;
  sortTableRows(rows, (r) => r[column], sign, (r) => r.name, () => "", { nullsLast: true });
  return rows.map(({ findings, ...vm }) => ({
    ...vm,
    key: vm.vmKey,
    findings: findings.map((f) => ({ ruleId: f.ruleId, title: ruleTitle(f.ruleId), severity: f.severity, detail: f.detail })),
  }));
}

/**
 * The summary's long lists (a host of each kind, every cluster, every template): a customer of
 * 12,500 container hosts made analysis.customer 4 MB, and building and sending it held every other
 * call of the web process up (bench/api). The summary carries each list's first page
 * (SUMMARY_PAGE rows, in the list's own order: weakest hosts first, hosts by cluster and name…) with
 * its length; analysis.list pages the rest from the whole analysis. One definition here, so the
 * first page and the pages after it are the same rows.
 */
export const SUMMARY_PAGE = 50;

/** A list: its items in the analysis, and each item as sent (mapped a page at a time, never the whole list). */
const list = <T, R>(items: (a: Analysis) => readonly T[], row: (item: T) => R) => ({ items, row });
const asIs = <T>(item: T) => item;
/** A host row as pages take it: its hostKey as `key`. */
const keyed = <T extends { hostKey: string }>({ hostKey, ...rest }: T) => ({ ...rest, key: hostKey });

export const SUMMARY_LISTS = {
  densityHosts: list((a) => a.density.hosts, keyed),
  densityClusters: list((a) => a.density.clusters, asIs),
  isolationHosts: list((a) => a.isolation.hosts, keyed),
  // Templates are not workloads: listed apart, out of the verdicts, candidates and savings.
  templates: list(
    (a) => a.migration.templates,
    (t) => ({ key: t.key, name: t.name, host: t.hostName, cluster: t.cluster, os: t.os }),
  ),
  utilisationHosts: list((a) => a.utilisation.hosts, asIs),
  utilisationClusters: list((a) => a.utilisation.clusters, asIs),
} as const;
export type SummaryList = keyof typeof SUMMARY_LISTS;
export const SUMMARY_LIST_NAMES = Object.keys(SUMMARY_LISTS) as [SummaryList, ...SummaryList[]];
export type SummaryListRow<K extends SummaryList> = ReturnType<(typeof SUMMARY_LISTS)[K]["row"]>;

/** A list's page and its length. */
export interface ListPage<T> {
  rows: T[];
  total: number;
}

/** One page of a list (analysis.list); only that page's items are mapped. */
export function listPage<K extends SummaryList>(analysis: Analysis, name: K, page: number, pageSize: number): ListPage<SummaryListRow<K>> {
  const { items, row } = SUMMARY_LISTS[name] as unknown as { items: (a: Analysis) => readonly unknown[]; row: (item: unknown) => SummaryListRow<K> };
  const all = items(analysis);
  return { rows: all.slice(page * pageSize, (page + 1) * pageSize).map(row), total: all.length };
}

/** A list's first page, as the summary carries it. */
export function firstPageOf<K extends SummaryList>(analysis: Analysis, name: K): ListPage<SummaryListRow<K>> {
  return listPage(analysis, name, 0, SUMMARY_PAGE);
}

/** The customer page's summary: every chart's figures, the long lists' first pages. */
export function customerSummary(analysis: Analysis) {
  const { density, waste, isolation, migration } = analysis;
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byRule = new Map<string, { ruleId: string; title: string; severity: Severity; count: number }>();
  for (const f of analysis.findings) {
    bySeverity[f.severity]++;
    const entry = byRule.get(f.ruleId) ?? { ruleId: f.ruleId, title: ruleTitle(f.ruleId), severity: f.severity, count: 0 };
    entry.count++;
    byRule.set(f.ruleId, entry);
  }
  const savingsByVerdict = VERDICT_VALUES.map((verdict) => {
    const list = migration.verdicts.filter((v) => v.verdict === verdict);
    return {
      verdict,
      label: VERDICT_LABEL[verdict],
      vms: list.filter((v) => v.kind === "vm").length,
      containers: list.filter((v) => v.kind === "container").length,
      ramMiB: Math.round(list.reduce((s, v) => s + v.saving.ramMiB, 0)),
      diskMiB: Math.round(list.reduce((s, v) => s + v.saving.diskMiB, 0)),
    };
  });
  return {
    density: {
      totals: density.customers[0] ?? null,
      hosts: firstPageOf(analysis, "densityHosts"),
      clusters: firstPageOf(analysis, "densityClusters"),
      target: density.target,
    },
    waste: { totals: waste.totals, byOs: waste.byOs, images: waste.images.slice(0, 20), imageInstances: waste.imageInstances.slice(0, 20) },
    isolation: {
      score: isolation.score,
      levels: Object.entries(isolation.levels).map(([level, count]) => ({ level, label: ISOLATION_LEVEL_LABEL[level as IsolationLevel], count })),
      hosts: firstPageOf(analysis, "isolationHosts"),
    },
    findings: {
      bySeverity: SEVERITIES.map((severity) => ({ severity, count: bySeverity[severity] })),
      byRule: [...byRule.values()].sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || b.count - a.count),
    },
    migration: {
      totals: migration.totals,
      packing: migration.packing,
      byVerdict: savingsByVerdict,
      templates: firstPageOf(analysis, "templates"),
    },
    /** Measured use's reclaimable resources, apart from the OS-duplication savings above. */
    utilisation: { asOf: analysis.utilisation.asOf, periodDays: analysis.utilisation.periodDays, totals: analysis.utilisation.totals },
  };
}
export type CustomerSummary = ReturnType<typeof customerSummary>;

/**
 * The Utilisation tab's figures (analysis.utilisation): measured use's totals, the VMs by status,
 * and the hosts' and clusters' first pages; the VMs themselves are paged by analysis.utilisationVms.
 */
export function utilisationSummary(analysis: Analysis) {
  const { vms, hosts, asOf, periodDays, totals } = analysis.utilisation;
  const byStatus = Object.fromEntries(VM_USE_STATUSES.map((s) => [s, 0])) as Record<(typeof VM_USE_STATUSES)[number], number>;
  for (const v of vms) byStatus[v.status]++;
  return {
    asOf,
    periodDays,
    totals,
    byStatus,
    /** Hosts with any measured use (their own or their VMs'), of all the list's pages. */
    hostsMeasured: hosts.filter((h) => h.basis !== null).length,
    hosts: firstPageOf(analysis, "utilisationHosts"),
    clusters: firstPageOf(analysis, "utilisationClusters"),
  };
}
export type UtilisationSummary = ReturnType<typeof utilisationSummary>;

/**
 * What the fleet table and the KPI tiles take of one customer's analysis: its line's figures and
 * what the fleet's line sums (density's totals, the posture's weight). Kept with the stored
 * analysis (./stored.ts), so the fleet's pages read these instead of the whole analysis.
 */
export function fleetFigures(analysis: Analysis) {
  const d = analysis.density.customers[0];
  return {
    physicalHosts: d?.physicalHosts ?? 0,
    hostsOverTarget: d?.hostsOverTarget ?? 0,
    vcpuPerCore: d?.vcpuPerCore ?? null,
    vramPerPram: d?.vramPerPram ?? null,
    consolidation: d?.consolidation ?? null,
    containersUnbounded: d?.containersUnbounded ?? 0,
    ramWasteMiB: analysis.waste.totals.ramWasteMiB,
    diskWasteMiB: analysis.waste.totals.diskWasteMiB,
    postureScore: analysis.isolation.score,
    critical: analysis.findings.filter((f) => f.severity === "critical").length,
    verdicts: analysis.migration.totals.verdicts,
    ramSavedMiB: analysis.migration.totals.ramSavedMiB,
    hostsFreed: analysis.migration.totals.hostsFreed,
    vmsMeasured: analysis.utilisation.totals.vmsMeasured,
    idleVms: analysis.utilisation.totals.idle,
    reclaimVcpus: analysis.utilisation.totals.reclaimVcpus,
    reclaimMemoryMiB: analysis.utilisation.totals.reclaimMemoryMiB,
    /** Migration candidates (the KPI tiles). */
    candidates: analysis.migration.totals.candidates,
    /** Summed for the fleet's ratios and posture. */
    sums: {
      vcpusPoweredOn: d?.vcpusPoweredOn ?? 0,
      physicalCores: d?.physicalCores ?? 0,
      vmMemoryMiBPoweredOn: d?.vmMemoryMiBPoweredOn ?? 0,
      physicalMemoryMiB: d?.physicalMemoryMiB ?? 0,
      scoredContainers: analysis.isolation.scoredContainers,
    },
  };
}
export type FleetFigures = ReturnType<typeof fleetFigures>;

/** One customer's line of the fleet table. */
function fleetRow(customer: { id: string; name: string }, figures: FleetFigures) {
  const { candidates: _candidates, sums: _sums, ...line } = figures;
  return { customerId: customer.id, name: customer.name, ...line };
}

/**
 * The fleet page's analysis table: a line per customer and the fleet's line, whose ratios come from
 * the summed figures and whose posture is the mean over every container, as a customer's is.
 */
export function fleetSummary(entries: { customer: { id: string; name: string }; analysis: Analysis }[]) {
  return fleetSummaryOf(entries.map((e) => ({ customer: e.customer, figures: fleetFigures(e.analysis) })));
}

/** fleetSummary from each customer's fleetFigures (as kept with its stored analysis). */
export function fleetSummaryOf(entries: { customer: { id: string; name: string }; figures: FleetFigures }[]) {
  const customers = entries.map((e) => fleetRow(e.customer, e.figures));
  const sum = (of: (e: { figures: FleetFigures }) => number) => entries.reduce((s, e) => s + of(e), 0);
  const density = (key: "vcpusPoweredOn" | "physicalCores" | "vmMemoryMiBPoweredOn" | "physicalMemoryMiB") => sum((e) => e.figures.sums[key]);
  const total = (key: "physicalHosts" | "hostsOverTarget" | "containersUnbounded" | "ramWasteMiB" | "diskWasteMiB" | "critical" | "ramSavedMiB" | "hostsFreed" | "vmsMeasured" | "idleVms" | "reclaimVcpus" | "reclaimMemoryMiB") =>
    customers.reduce((s, r) => s + r[key], 0);
  // The posture is the mean over scored (running) containers, as each customer's is.
  const containers = sum((e) => e.figures.sums.scoredContainers);
  return {
    customers,
    fleet: {
      physicalHosts: total("physicalHosts"),
      hostsOverTarget: total("hostsOverTarget"),
      vcpuPerCore: ratio(density("vcpusPoweredOn"), density("physicalCores")),
      vramPerPram: ratio(density("vmMemoryMiBPoweredOn"), density("physicalMemoryMiB")),
      containersUnbounded: total("containersUnbounded"),
      ramWasteMiB: total("ramWasteMiB"),
      diskWasteMiB: total("diskWasteMiB"),
      postureScore: containers > 0 ? round1(sum((e) => (e.figures.postureScore ?? 0) * e.figures.sums.scoredContainers) / containers) : null,
      critical: total("critical"),
      verdicts: Object.fromEntries(VERDICT_VALUES.map((v) => [v, customers.reduce((s, r) => s + r.verdicts[v], 0)])) as Record<VerdictValue, number>,
      ramSavedMiB: total("ramSavedMiB"),
      hostsFreed: total("hostsFreed"),
      vmsMeasured: total("vmsMeasured"),
      idleVms: total("idleVms"),
      reclaimVcpus: total("reclaimVcpus"),
      reclaimMemoryMiB: total("reclaimMemoryMiB"),
    },
  };
}

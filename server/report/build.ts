/**
 * The customer report (issue 18): one object with what a meeting needs from the dashboard, built
 * from the stored analysis (server/analysis/load.ts) and the stored inventory's collection times.
 * It holds only what the dashboard shows the same viewer: the estate, density, waste, isolation,
 * verdicts by role, the migration plans' waves and savings, measured use, and the model parameters
 * in force with where each comes from. Pages only lay it out; every figure is computed here.
 *
 * The anonymised variant is this object passed through server/report/anonymise.ts.
 */
import type { Database } from "../db/client";
import { customerAnalysis } from "../analysis/load";
import { ISOLATION_LEVEL_LABEL, SCORE_FORMULA, type IsolationLevel } from "../analysis/isolation";
import { isMove, ROLE_LABEL, ROLE_VALUES, VERDICT_LABEL, VERDICT_VALUES, type Role, type VerdictValue } from "../analysis/labels";
import { DEFAULT_PARAMETERS, PARAMETER_SOURCES, type Parameters } from "../analysis/parameters";
import { severityRank, type Severity } from "../analysis/rules";
import { customerSummary } from "../analysis/views";
import { reportPlans, type ReportPlan } from "./plans";

/** How many rows the report's longer tables keep (the dashboard has the rest). */
export const REPORT_TOP = 15;

export interface ReportSource {
  name: string;
  kind: string;
  /** The end of its newest successful collection, or null when it never succeeded. */
  lastCollectedAt: string | null;
}

export interface ReportParameter {
  key: string;
  label: string;
  /** The value in force, as text ("6", "on", "critical 25, warning 10, info 2"). */
  value: string;
  /** The default's value when an administrator changed it, else null. */
  defaultValue: string | null;
  source: string;
}

export type VerdictCounts = Record<VerdictValue, number>;

export interface Report {
  customerName: string;
  anonymised: boolean;
  /** When the report was made, and the newest successful collection it rests on (null: none yet). */
  preparedAt: string;
  dataAsOf: string | null;
  sources: ReportSource[];
  estate: {
    physicalHosts: number;
    hypervisors: number;
    engineHosts: number;
    physicalCores: number;
    physicalMemoryMiB: number;
    virtualMachines: number;
    vmsPoweredOn: number;
    templates: number;
    vcpusPoweredOn: number;
    vmMemoryMiBPoweredOn: number;
    containers: number;
    containersRunning: number;
    images: number;
  };
  density: {
    vcpuPerCore: number | null;
    vramPerPram: number | null;
    consolidation: number | null;
    hostsOverTarget: number;
    containersUnbounded: number;
    target: { vcpuPerCore: number; vramPerPram: number };
    clusters: { cluster: string; physicalHosts: number; vcpuPerCore: number | null; vramPerPram: number | null; consolidation: number | null; hostsOverTarget: number }[];
    /** The hosts above a target ratio, the highest vCPU:pCore first (at most REPORT_TOP). */
    hostsOver: { host: string; cluster: string; vcpuPerCore: number | null; vramPerPram: number | null }[];
  };
  waste: {
    ramDuplicateMiB: number;
    ramSharedMiB: number;
    ramWasteMiB: number;
    diskWasteMiB: number;
    unknownOs: number;
    layerSharingSavedBytes: number;
    crossHostDuplicateBytes: number;
    byOs: { os: string; virtualMachines: number; ramWasteMiB: number; diskWasteMiB: number }[];
    images: { image: string; hosts: number; duplicateBytes: number }[];
  };
  isolation: {
    /** Mean score of the running containers (null without any), and how it is made. */
    score: number | null;
    scoreFormula: string;
    scoredContainers: number;
    levels: { level: IsolationLevel; label: string; count: number }[];
    findingsBySeverity: { severity: Severity; count: number }[];
    rules: { ruleId: string; title: string; severity: Severity; count: number }[];
    /** The container hosts with the lowest scores first (at most REPORT_TOP). */
    hosts: { host: string; containers: number; score: number | null }[];
  };
  verdicts: {
    byVerdict: { verdict: VerdictValue; label: string; vms: number; containers: number; ramMiB: number; diskMiB: number }[];
    /** VMs by role (templates apart), then containers as one row. */
    byRole: { role: Role | "container"; label: string; workloads: number; verdicts: VerdictCounts; ramMiB: number; diskMiB: number }[];
    candidates: number;
    templates: number;
    ramSavedMiB: number;
    diskSavedMiB: number;
    kataOverheadMiB: number;
    hostsFreed: number;
    /** The moves that save the most memory (at most REPORT_TOP). */
    topMoves: { name: string; kind: "vm" | "container"; role: string | null; verdict: string; host: string | null; ramMiB: number; diskMiB: number; reason: string }[];
  };
  utilisation: {
    asOf: string | null;
    periodDays: number;
    vmsMeasured: number;
    idle: number;
    oversized: number;
    undersized: number;
    reclaimVcpus: number;
    reclaimMemoryMiB: number;
    reclaimDiskMiB: number;
    hostsFreed: number;
  };
  /** The customer's migration plans (none: an empty list). */
  plans: ReportPlan[];
  parameters: ReportParameter[];
  osFootprints: { label: string; ramMiB: number; diskMiB: number; source: string }[];
}

const emptyVerdicts = (): VerdictCounts => Object.fromEntries(VERDICT_VALUES.map((v) => [v, 0])) as VerdictCounts;

function parameterText(value: unknown): string {
  if (typeof value === "boolean") return value ? "on" : "off";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return value;
  if (value && typeof value === "object") return Object.entries(value).map(([k, v]) => `${k} ${parameterText(v)}`).join(", ");
  return String(value);
}

/** The scalar parameters in force, each with its label and source; the changed ones say the default. */
export function reportParameters(parameters: Parameters): ReportParameter[] {
  return (Object.keys(PARAMETER_SOURCES) as (keyof typeof PARAMETER_SOURCES)[]).map((key) => {
    const value = parameterText(parameters[key]);
    const fallback = parameterText(DEFAULT_PARAMETERS[key]);
    return { key, label: PARAMETER_SOURCES[key].label, value, defaultValue: value === fallback ? null : fallback, source: PARAMETER_SOURCES[key].source };
  });
}

/** The report of one customer (the caller has checked the scope); null when there is no such customer. */
export async function buildReport(database: Database, customerId: string, now: Date = new Date()): Promise<Report | null> {
  const customer = await database.prisma.customer.findUnique({ where: { id: customerId }, select: { name: true } });
  if (!customer) return null;
  const { analysis, parameters } = await customerAnalysis(database, customerId);
  const { rows: sources } = await database.pool.query<{ name: string; kind: string; last: Date | null }>(
    `SELECT s.name, s.kind::text AS kind,
            (SELECT max(r.finished_at) FROM collection_run r WHERE r.source_id = s.id AND r.status = 'succeeded') AS last
       FROM source s WHERE s.customer_id = $1 ORDER BY s.name`,
    [customerId],
  );
  const { rows: counts } = await database.pool.query<{ hypervisors: number; engine_hosts: number; images: number }>(
    `SELECT (SELECT count(*)::int FROM host h JOIN source s ON s.id = h.source_id WHERE s.customer_id = $1 AND h.role = 'hypervisor') AS hypervisors,
            (SELECT count(*)::int FROM host h JOIN source s ON s.id = h.source_id WHERE s.customer_id = $1 AND h.role = 'container-engine') AS engine_hosts,
            (SELECT count(*)::int FROM image i JOIN source s ON s.id = i.source_id WHERE s.customer_id = $1) AS images`,
    [customerId],
  );
  const { density, waste, isolation, migration, utilisation } = analysis;
  const d = density.customers[0];
  const lastTimes = sources.map((s) => s.last?.getTime() ?? 0).filter((t) => t > 0);

  // The dashboard's own figures (findings by severity and rule, savings by verdict), as its page gets them.
  const summary = customerSummary(analysis);

  const roleRows = new Map<Role | "container", Report["verdicts"]["byRole"][number]>();
  for (const role of ROLE_VALUES) {
    if (role !== "template") roleRows.set(role, { role, label: ROLE_LABEL[role], workloads: 0, verdicts: emptyVerdicts(), ramMiB: 0, diskMiB: 0 });
  }
  roleRows.set("container", { role: "container", label: "Container", workloads: 0, verdicts: emptyVerdicts(), ramMiB: 0, diskMiB: 0 });
  for (const v of migration.verdicts) {
    const row = roleRows.get(v.kind === "container" ? "container" : (v.role ?? "general"));
    if (!row) continue;
    row.workloads++;
    row.verdicts[v.verdict]++;
    row.ramMiB += v.saving.ramMiB;
    row.diskMiB += v.saving.diskMiB;
  }

  return {
    customerName: customer.name,
    anonymised: false,
    preparedAt: now.toISOString(),
    dataAsOf: lastTimes.length ? new Date(Math.max(...lastTimes)).toISOString() : null,
    sources: sources.map((s) => ({ name: s.name, kind: s.kind, lastCollectedAt: s.last?.toISOString() ?? null })),
    estate: {
      physicalHosts: d?.physicalHosts ?? 0,
      hypervisors: counts[0]?.hypervisors ?? 0,
      engineHosts: counts[0]?.engine_hosts ?? 0,
      physicalCores: d?.physicalCores ?? 0,
      physicalMemoryMiB: d?.physicalMemoryMiB ?? 0,
      virtualMachines: d?.virtualMachines ?? 0,
      vmsPoweredOn: d?.vmsPoweredOn ?? 0,
      templates: d?.templates ?? 0,
      vcpusPoweredOn: d?.vcpusPoweredOn ?? 0,
      vmMemoryMiBPoweredOn: d?.vmMemoryMiBPoweredOn ?? 0,
      containers: d?.containers ?? 0,
      containersRunning: d?.containersRunning ?? 0,
      images: counts[0]?.images ?? 0,
    },
    density: {
      vcpuPerCore: d?.vcpuPerCore ?? null,
      vramPerPram: d?.vramPerPram ?? null,
      consolidation: d?.consolidation ?? null,
      hostsOverTarget: d?.hostsOverTarget ?? 0,
      containersUnbounded: d?.containersUnbounded ?? 0,
      target: density.target,
      clusters: density.clusters.map((c) => ({
        cluster: c.cluster,
        physicalHosts: c.physicalHosts,
        vcpuPerCore: c.vcpuPerCore,
        vramPerPram: c.vramPerPram,
        consolidation: c.consolidation,
        hostsOverTarget: c.hostsOverTarget,
      })),
      hostsOver: density.hosts
        .filter((h) => h.overTarget)
        .sort((a, b) => (b.vcpuPerCore ?? 0) - (a.vcpuPerCore ?? 0) || a.hostName.localeCompare(b.hostName))
        .slice(0, REPORT_TOP)
        .map((h) => ({ host: h.hostName, cluster: h.cluster, vcpuPerCore: h.vcpuPerCore, vramPerPram: h.vramPerPram })),
    },
    waste: {
      ramDuplicateMiB: Math.round(waste.totals.ramDuplicateMiB),
      ramSharedMiB: Math.round(waste.totals.ramSharedMiB),
      ramWasteMiB: Math.round(waste.totals.ramWasteMiB),
      diskWasteMiB: Math.round(waste.totals.diskWasteMiB),
      unknownOs: waste.totals.unknownOs,
      layerSharingSavedBytes: waste.totals.layerSharingSavedBytes,
      crossHostDuplicateBytes: waste.totals.crossHostDuplicateBytes,
      byOs: waste.byOs
        .map((o) => ({ os: o.os, virtualMachines: o.virtualMachines, ramWasteMiB: Math.round(o.ramWasteMiB), diskWasteMiB: Math.round(o.diskWasteMiB) }))
        .sort((a, b) => b.ramWasteMiB - a.ramWasteMiB || b.diskWasteMiB - a.diskWasteMiB || a.os.localeCompare(b.os)),
      images: waste.images
        .filter((i) => i.duplicateBytes > 0)
        .slice(0, REPORT_TOP)
        .map((i) => ({ image: i.image, hosts: i.hosts, duplicateBytes: i.duplicateBytes })),
    },
    isolation: {
      score: isolation.score,
      scoreFormula: SCORE_FORMULA,
      scoredContainers: isolation.scoredContainers,
      levels: (Object.entries(isolation.levels) as [IsolationLevel, number][]).map(([level, count]) => ({ level, label: ISOLATION_LEVEL_LABEL[level], count })),
      findingsBySeverity: summary.findings.bySeverity,
      rules: [...summary.findings.byRule]
        .sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || b.count - a.count || a.ruleId.localeCompare(b.ruleId))
        .slice(0, REPORT_TOP),
      hosts: isolation.hosts
        .filter((h) => h.containers > 0)
        .sort((a, b) => (a.score ?? 101) - (b.score ?? 101) || a.hostName.localeCompare(b.hostName))
        .slice(0, REPORT_TOP)
        .map((h) => ({ host: h.hostName, containers: h.containers, score: h.score })),
    },
    verdicts: {
      byVerdict: summary.migration.byVerdict,
      byRole: [...roleRows.values()].filter((r) => r.workloads > 0).map((r) => ({ ...r, ramMiB: Math.round(r.ramMiB), diskMiB: Math.round(r.diskMiB) })),
      candidates: migration.totals.candidates,
      templates: migration.totals.templates,
      ramSavedMiB: Math.round(migration.totals.ramSavedMiB),
      diskSavedMiB: Math.round(migration.totals.diskSavedMiB),
      kataOverheadMiB: Math.round(migration.totals.kataOverheadMiB),
      hostsFreed: migration.totals.hostsFreed,
      topMoves: migration.verdicts
        .filter((v) => isMove(v.verdict))
        .sort((a, b) => b.saving.ramMiB - a.saving.ramMiB || a.name.localeCompare(b.name))
        .slice(0, REPORT_TOP)
        .map((v) => ({
          name: v.name,
          kind: v.kind,
          role: v.roleLabel,
          verdict: VERDICT_LABEL[v.verdict],
          host: v.hostName,
          ramMiB: Math.round(v.saving.ramMiB),
          diskMiB: Math.round(v.saving.diskMiB),
          reason: v.reason,
        })),
    },
    utilisation: {
      asOf: utilisation.asOf,
      periodDays: utilisation.periodDays,
      vmsMeasured: utilisation.totals.vmsMeasured,
      idle: utilisation.totals.idle,
      oversized: utilisation.totals.oversized,
      undersized: utilisation.totals.undersized,
      reclaimVcpus: utilisation.totals.reclaimVcpus,
      reclaimMemoryMiB: Math.round(utilisation.totals.reclaimMemoryMiB),
      reclaimDiskMiB: Math.round(utilisation.totals.reclaimDiskMiB),
      hostsFreed: utilisation.totals.hostsFreed,
    },
    plans: await reportPlans(database, customerId),
    parameters: reportParameters(parameters),
    osFootprints: parameters.osFootprints.map((f) => ({ label: f.label, ramMiB: Math.round(f.ramMiB), diskMiB: Math.round(f.diskMiB), source: f.source })),
  };
}

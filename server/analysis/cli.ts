/**
 * `npm run --silent analyse -- <snapshot.json>... [--json] [--customer NAME] [--tenant-label LABEL]`
 *
 * The analyses over snapshot files as the collect CLIs print them, with no database: an engineer
 * collects at a customer's site and analyses later. All files are one customer's (named by
 * --customer); engine hosts are linked to the VMs they run in across the files.
 */
import { readFile } from "node:fs/promises";
import { parseCliArgs, UsageError } from "../cli/args";
import { keepLabelsFor, salvageSnapshot } from "../inventory/salvage";
import { parseSnapshot, SnapshotValidationError } from "../inventory/snapshot";
import { analyse, type Analysis } from "./index";
import { inventoryFromSnapshots } from "./inventory";
import { ISOLATION_LEVEL_LABEL, ISOLATION_LEVELS } from "./isolation";
import { isMove, ROLE_LABEL, ROLE_VALUES, VERDICT_LABEL, VERDICT_VALUES } from "./labels";
import { DEFAULT_PARAMETERS, type Parameters } from "./parameters";
import { ruleTitle, RULES_BY_ID, SEVERITIES } from "./rules";

export const ANALYSE_USAGE = "usage: analyse <snapshot.json>... [--json] [--customer NAME] [--tenant-label LABEL]";

export async function runAnalyseCli(argv: string[], parameters: Parameters = DEFAULT_PARAMETERS): Promise<string> {
  const { positionals, values } = parseCliArgs(
    argv,
    { json: { type: "boolean" }, customer: { type: "string" }, "tenant-label": { type: "string" } },
    ANALYSE_USAGE,
  );
  if (positionals.length === 0) throw new UsageError(ANALYSE_USAGE);
  const customer = values.customer ?? "customer";
  const inputs = [];
  for (const [index, file] of positionals.entries()) {
    let data: unknown;
    try {
      data = JSON.parse(await readFile(file, "utf8"));
    } catch (error) {
      throw new Error(`${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
    }
    try {
      // Files saved by older versions or other tools: a bad object costs that object, as in a collection.
      const keepLabels = keepLabelsFor({ tenantLabel: values["tenant-label"] });
      const snapshot = parseSnapshot(salvageSnapshot(data, { keepLabels }));
      inputs.push({ snapshot, customer, prefix: String(index), tenantLabel: values["tenant-label"] });
    } catch (error) {
      if (error instanceof SnapshotValidationError) throw new Error(`${file}: ${error.message}`);
      throw error;
    }
  }
  const analysis = analyse(inventoryFromSnapshots(inputs, { periodDays: parameters.utilisationPeriodDays }), parameters);
  return values.json ? `${JSON.stringify(jsonReport(analysis), null, 2)}\n` : summary(analysis);
}

/** The --json shape: verdicts and findings one per line item, plus the totals. */
export function jsonReport(analysis: Analysis) {
  return {
    verdicts: analysis.migration.verdicts.map((v) => ({
      name: v.name,
      kind: v.kind,
      verdict: v.verdict,
      role: v.role,
      roleLabel: v.roleLabel,
      roleEvidence: v.roleEvidence,
      fit: v.fit,
      fitLabel: v.fitLabel,
      evidence: v.evidence,
      ruleIds: v.ruleIds,
      reason: v.reason,
      host: v.hostName,
      saving: v.saving,
    })),
    // Templates are not workloads: listed apart, with what says they are templates.
    templates: analysis.migration.templates.map((t) => ({ name: t.name, host: t.hostName, os: t.os, roleEvidence: t.roleEvidence })),
    findings: analysis.findings.map((f) => {
      const rule = RULES_BY_ID.get(f.ruleId);
      return {
        ruleId: f.ruleId,
        upstreamId: rule?.upstreamId ?? null,
        severity: f.severity,
        name: f.objectName,
        kind: f.objectKind,
        detail: f.detail,
        source: rule?.source ?? null,
        sourceUrl: rule?.sourceUrl ?? null,
        deviation: rule?.deviation ?? null,
      };
    }),
    density: analysis.density.fleet,
    densityByHost: analysis.density.hosts.map(({ hostKey: _key, ...row }) => row),
    waste: analysis.waste.totals,
    wasteByOs: analysis.waste.byOs,
    isolation: { score: analysis.isolation.score, levels: analysis.isolation.levels },
    migration: analysis.migration.totals,
    packing: analysis.migration.packing,
    // Guest discovery: coverage and each guest's row; who talks to whom, by name, and the groups that move together.
    guests: analysis.guests,
    dependencies: dependencyReport(analysis),
    // Measured use: totals, clusters, hosts and each VM's status with its figures (keys dropped: they mean nothing outside).
    utilisation: {
      asOf: analysis.utilisation.asOf,
      periodDays: analysis.utilisation.periodDays,
      totals: analysis.utilisation.totals,
      clusters: analysis.utilisation.clusters,
      hosts: analysis.utilisation.hosts.map(({ hostKey: _key, ...row }) => row),
      vms: analysis.utilisation.vms.map(({ vmKey: _key, findings, ...row }) => ({ ...row, findings: findings.map((f) => ({ ruleId: f.ruleId, severity: f.severity, detail: f.detail })) })),
    },
  };
}

/** The dependency graph with node names in place of keys (a snapshot's keys mean nothing outside it). */
function dependencyReport(analysis: Analysis) {
  const { nodes, edges, groups, notes } = analysis.dependencies;
  const name = new Map(nodes.map((n) => [n.key, n.kind === "outside" ? `${n.name} (outside, ${n.scope})` : n.name]));
  return {
    edges: edges.map((e) => ({
      from: name.get(e.from) ?? e.from,
      to: name.get(e.to) ?? e.to,
      port: e.port,
      protocol: e.protocol,
      clientProcesses: e.clientProcesses,
      serverProcesses: e.serverProcesses,
      connections: e.connections,
      group: e.group,
    })),
    groups: groups.map((g) => ({ id: g.id, members: g.members.map((k) => name.get(k) ?? k) })),
    notes,
  };
}

const gib = (mib: number) => `${(mib / 1024).toFixed(1)} GiB`;
const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;
const ratio = (r: number | null) => (r === null ? "n/a" : `${r.toFixed(2)}:1`);

function summary(a: Analysis): string {
  const d = a.density.fleet;
  const w = a.waste.totals;
  const m = a.migration.totals;
  const lines = [
    "Density",
    `  physical hosts ${d.physicalHosts} (${d.hostsOverTarget} over target ${a.density.target.vcpuPerCore}:1 vCPU or ${a.density.target.vramPerPram}:1 vRAM)`,
    `  VMs ${d.virtualMachines}: ${d.vmsPoweredOn} powered on, ${d.vmsPoweredOff} off, suspended or paused, ${d.templates} templates`,
    `  vCPU:pCore ${ratio(d.vcpuPerCore)} (${d.vcpusPoweredOn} vCPUs on ${d.physicalCores} cores)   vRAM:pRAM ${ratio(d.vramPerPram)}`,
    `  containers ${d.containers} (${d.containersRunning} running, ${d.containersUnbounded} with no memory limit)   consolidation ${ratio(d.consolidation)} workloads per host`,
    "Duplication waste",
    `  guest OS copies: ${gib(w.ramWasteMiB)} RAM (${gib(w.ramSharedMiB)} already shared by the hypervisor), ${gib(w.diskWasteMiB)} disk; ${w.unknownOs} VMs of unknown OS not counted`,
    ...a.waste.byOs.map((o) => `    ${o.os.padEnd(24)} ${String(o.virtualMachines).padStart(5)} VMs  ${gib(o.ramWasteMiB).padStart(10)} RAM  ${gib(o.diskWasteMiB).padStart(10)} disk`),
    `  image layers: sharing saves ${gb(w.layerSharingSavedBytes)}; the same image on several hosts: ${gb(w.crossHostDuplicateBytes)}`,
    ...(w.systemContainersSharingImages > 0
      ? [`  LXD images: ${w.systemContainersSharingImages} system containers share ${a.waste.imageInstances.length} images on their hosts; a dir pool holds ${gb(w.imageInstanceCopyBytes)} more in copies`]
      : []),
    "Isolation posture",
    `  score ${a.isolation.score ?? "n/a"} / 100 over ${a.isolation.containers.length} containers`,
    ...ISOLATION_LEVELS.map((l) => `    ${ISOLATION_LEVEL_LABEL[l].padEnd(40)} ${a.isolation.levels[l]}`),
    "Findings",
    ...SEVERITIES.map((s) => {
      const byRule = new Map<string, number>();
      for (const f of a.findings) if (f.severity === s) byRule.set(f.ruleId, (byRule.get(f.ruleId) ?? 0) + 1);
      const top = [...byRule].sort((x, y) => y[1] - x[1]).map(([id, n]) => `${ruleTitle(id)} (${id}) ${n}`);
      return `  ${s}: ${top.length === 0 ? "none" : top.join(", ")}`;
    }),
    "What each VM is",
    ...ROLE_VALUES.filter((r) => m.roles[r] > 0).map((r) => `  ${ROLE_LABEL[r].padEnd(28)} ${m.roles[r]}`),
    `  candidates (general workloads and database servers): ${m.candidates}; templates, listed apart: ${m.templates}`,
    "Migration verdicts",
    ...VERDICT_VALUES.map((v) => `  ${VERDICT_LABEL[v].padEnd(24)} ${m.verdicts[v]}`),
    `  saving: ${gib(m.ramSavedMiB)} RAM net (VMs that move save ${gib(m.vmRamSavedMiB)}; Kata for exposed containers costs ${gib(m.containerKataCostMiB)}), ${gib(m.diskSavedMiB)} disk, ${m.hostsFreed} hosts freed`,
  ];
  const g = a.guests.totals;
  lines.push(
    "Guest discovery",
    g.guests === 0
      ? `  no guest read: ${g.linuxVms} powered-on Linux VMs graded from their configuration alone (insufficient data: run guest discovery)`
      : `  ${g.guests} guests read, ${g.matched} matched to a VM; ${g.linuxVmsDiscovered} of ${g.linuxVms} powered-on Linux VMs looked inside; candidates graded: ${m.candidatesGraded} of ${m.candidates}`,
  );
  const deps = dependencyReport(a);
  if (deps.edges.length > 0) {
    lines.push(`  dependencies: ${deps.edges.length} links in ${deps.groups.filter((x) => x.members.length > 1).length} groups that move together`);
    for (const e of deps.edges.slice(0, 10)) lines.push(`    ${e.from} → ${e.to} ${e.protocol}/${e.port} (${e.connections} connections)`);
  }
  const u = a.utilisation.totals;
  lines.push(
    "Measured use",
    u.vmsMeasured === 0
      ? `  none measured: ${u.vmsPoweredOn} powered-on VMs without measured use (insufficient data: collect from vCenter or libvirt)`
      : `  ${u.vmsMeasured} of ${u.vmsPoweredOn} powered-on VMs measured over ${a.utilisation.periodDays} days: ${u.idle} idle, ${u.oversized} oversized, ${u.undersized} undersized; ${u.poweredOffLong} off for long, ${u.oldSnapshots} old snapshots`,
    `  reclaimable from measured use: ${u.reclaimVcpus} vCPUs, ${gib(u.reclaimMemoryMiB)} RAM, ${gib(u.reclaimDiskMiB)} disk; ${u.hostsFreed} hosts freed; ${u.clustersFailingNPlusOne} clusters failing N+1`,
  );
  const movers = a.migration.verdicts.filter((v) => isMove(v.verdict));
  if (movers.length > 0) {
    lines.push("  largest savings:");
    for (const v of [...movers].sort((x, y) => y.saving.ramMiB - x.saving.ramMiB).slice(0, 10)) {
      lines.push(`    ${v.name} (${v.kind}) → ${v.verdict}: ${v.reason}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

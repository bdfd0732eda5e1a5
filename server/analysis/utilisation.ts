/**
 * Measured use (issue 17): per VM what was measured and what it asks for (idle, oversized with a
 * suggested size, undersized, powered off for long, old snapshots), per host and cluster the use
 * against capacity, the headroom, N+1 and the hosts that packing at the targets would free; and
 * the resources this reclaims, kept apart from the OS-duplication savings (./waste.ts).
 *
 * Where nothing was measured it says so ("insufficient data"), never a guess from configured sizes.
 */
import type { Inventory, InventoryHost, InventoryVirtualMachine } from "./inventory";
import type { Parameters } from "./parameters";
import { evaluate, type Finding } from "./rules";
import { isIdle, UTILISATION_RULES, type UtilisationContext, type VmMeasure } from "./rules/utilisation";
import { clusterOf } from "./density";
import { percentileOf, type MetricStats, type ObjectUse } from "../utilisation/stats";

export const VM_USE_STATUSES = ["idle", "oversized", "undersized", "right-sized", "powered-off", "insufficient-data"] as const;
export type VmUseStatus = (typeof VM_USE_STATUSES)[number];

export interface VmUse {
  vmKey: string;
  name: string;
  customer: string;
  hostName: string | null;
  cluster: string | null;
  powerState: InventoryVirtualMachine["powerState"];
  vcpus: number;
  memoryMiB: number;
  status: VmUseStatus;
  /** Why the status, in words (the figures, or what is missing). */
  reason: string;
  measuredHours: number;
  /** Seconds each value covers in the CPU figures (null when none). */
  intervalSeconds: number | null;
  cpuPercent: number | null;
  cpuPercentPeak: number | null;
  cpuMhz: number | null;
  memoryDemandMiB: number | null;
  memoryMetric: "mem.active.mib" | "mem.guest.used.mib" | null;
  readyPercent: number | null;
  suggestedVcpus: number | null;
  suggestedMemoryMiB: number | null;
  /** What right-sizing or retiring gives back (0 when nothing). */
  reclaimVcpus: number;
  reclaimMemoryMiB: number;
  /** Disk of a VM powered off for long, and old snapshots' size. */
  reclaimDiskMiB: number;
  findings: Finding[];
}

export interface HostUse {
  hostKey: string;
  name: string;
  customer: string;
  cluster: string;
  cpuCapacityMhz: number | null;
  memoryMiB: number;
  /** At the sizing percentile: the host's own measure, else the sum of its VMs' (basis says which). */
  cpuUsedMhz: number | null;
  memoryUsedMiB: number | null;
  cpuUsedPercent: number | null;
  memoryUsedPercent: number | null;
  /** Room left under the packing targets (negative: over them). */
  cpuHeadroomMhz: number | null;
  memoryHeadroomMiB: number | null;
  basis: "host" | "vms" | null;
  measuredHours: number;
}

export interface ClusterUse {
  customer: string;
  cluster: string;
  hosts: number;
  hostsMeasured: number;
  cpuCapacityMhz: number | null;
  memoryMiB: number;
  cpuUsedMhz: number | null;
  memoryUsedMiB: number | null;
  /** Can it lose its largest host and still hold what is used (N+1)? null without data. */
  survivesLargestHost: boolean | null;
  /** Hosts needed at the packing targets plus the spare hosts; freed = hosts − needed. */
  hostsNeeded: number | null;
  hostsFreed: number | null;
  reason: string;
}

export interface UtilisationTotals {
  vmsPoweredOn: number;
  vmsMeasured: number;
  idle: number;
  oversized: number;
  undersized: number;
  poweredOffLong: number;
  oldSnapshots: number;
  insufficientData: number;
  reclaimVcpus: number;
  reclaimMemoryMiB: number;
  reclaimDiskMiB: number;
  snapshotMiB: number;
  hostsFreed: number;
  clustersFailingNPlusOne: number;
  /** Templates no VM was deployed or cloned from for templateUnusedDays (util-unused-template). */
  unusedTemplates: number;
}

export interface UtilisationResult {
  asOf: string | null;
  periodDays: number;
  vms: VmUse[];
  hosts: HostUse[];
  clusters: ClusterUse[];
  findings: Finding[];
  totals: UtilisationTotals;
}


/** The same figures × a factor (a unit change: percentiles are kept by a positive linear map). */
function scaled(stats: MetricStats, factor: number): MetricStats {
  return {
    ...stats,
    mean: stats.mean * factor,
    p50: stats.p50 * factor,
    p90: stats.p90 * factor,
    p95: stats.p95 * factor,
    p99: stats.p99 * factor,
    max: stats.max * factor,
    latest: stats.latest * factor,
  };
}

/** The utilisation rules that speak of templates (the others are for workloads). */
const TEMPLATE_RULES: ReadonlySet<string> = new Set(["util-unused-template"]);

const hoursOf = (stats: MetricStats | null | undefined) => (stats ? (stats.count * stats.intervalSeconds) / 3600 : 0);
const GIB = 1024;

/** What was measured of a VM, in the rules' terms. */
export function measureVm(vm: InventoryVirtualMachine, use: ObjectUse | undefined, host: InventoryHost | null, parameters: Parameters): VmMeasure {
  const m = use?.metrics ?? {};
  const coreMhz = host?.cpuMhz ?? null;
  const capacityMhz = coreMhz !== null && vm.vcpus > 0 ? vm.vcpus * coreMhz : null;
  let cpuPercent = m["cpu.usage.pct"] ?? null;
  let cpuMhz = m["cpu.usage.mhz"] ?? null;
  if (!cpuPercent && cpuMhz && capacityMhz) cpuPercent = scaled(cpuMhz, 100 / capacityMhz);
  if (!cpuMhz && cpuPercent && capacityMhz) cpuMhz = scaled(cpuPercent, capacityMhz / 100);
  const demand = m["mem.active.mib"]
    ? { metric: "mem.active.mib" as const, stats: m["mem.active.mib"] }
    : m["mem.guest.used.mib"]
      ? { metric: "mem.guest.used.mib" as const, stats: m["mem.guest.used.mib"] }
      : null;
  const p = parameters.sizingPercentile;
  const suggestion = cpuPercent
    ? {
        vcpus: Math.max(1, Math.ceil(((vm.vcpus * percentileOf(cpuPercent, p)) / 100) * parameters.comfortFactor)),
        memoryMiB: demand ? Math.max(GIB, Math.ceil((percentileOf(demand.stats, p) * parameters.comfortFactor) / GIB) * GIB) : vm.memoryMiB,
      }
    : null;
  return {
    measuredHours: hoursOf(cpuPercent ?? cpuMhz),
    cpuPercent,
    cpuMhz,
    memoryDemand: demand,
    ready: m["cpu.ready.pct"] ?? null,
    ballooned: m["mem.ballooned.mib"] ?? null,
    swapped: m["mem.swapped.mib"] ?? null,
    power: use?.power ?? null,
    suggestion,
  };
}

export function analyseUtilisation(inventory: Inventory, parameters: Parameters): UtilisationResult {
  const use = inventory.use ?? new Map<string, ObjectUse>();
  const asOf = inventory.asOf ? Date.parse(inventory.asOf) : Date.now();
  const hosts = new Map(inventory.hosts.map((h) => [h.key, h]));
  const p = parameters.sizingPercentile;
  const totals: UtilisationTotals = {
    vmsPoweredOn: 0, vmsMeasured: 0, idle: 0, oversized: 0, undersized: 0, poweredOffLong: 0, oldSnapshots: 0,
    insufficientData: 0, reclaimVcpus: 0, reclaimMemoryMiB: 0, reclaimDiskMiB: 0, snapshotMiB: 0, hostsFreed: 0, clustersFailingNPlusOne: 0,
    unusedTemplates: 0,
  };

  const vms: VmUse[] = [];
  const vmMeasures = new Map<string, VmMeasure>();
  // Templates are not workloads: no row, no totals; only the rules meant for them give findings.
  const templateFindings: Finding[] = [];
  for (const vm of inventory.virtualMachines) {
    if (vm.template) {
      const context: UtilisationContext = { parameters, measure: measureVm(vm, undefined, null, parameters), asOf };
      const findings = evaluate(UTILISATION_RULES, vm, context).filter((f) => TEMPLATE_RULES.has(f.ruleId));
      if (findings.some((f) => f.ruleId === "util-unused-template")) totals.unusedTemplates++;
      templateFindings.push(...findings);
      continue;
    }
    const host = vm.hostKey ? (hosts.get(vm.hostKey) ?? null) : null;
    const measure = measureVm(vm, use.get(vm.key), host, parameters);
    vmMeasures.set(vm.key, measure);
    const context: UtilisationContext = { parameters, measure, asOf };
    const findings = evaluate(UTILISATION_RULES, vm, context);
    const fired = new Set(findings.map((f) => f.ruleId));
    const detail = (id: string) => findings.find((f) => f.ruleId === id)?.detail ?? "";
    const on = vm.powerState === "poweredOn";
    if (on) totals.vmsPoweredOn++;
    if (on && (measure.cpuPercent || measure.cpuMhz)) totals.vmsMeasured++;

    let status: VmUseStatus;
    let reason: string;
    let reclaimVcpus = 0;
    let reclaimMemoryMiB = 0;
    let reclaimDiskMiB = 0;
    if (!on) {
      status = "powered-off";
      reason = fired.has("util-powered-off-vm")
        ? detail("util-powered-off-vm")
        : measure.power
          ? `off; seen off since ${(measure.power.lastOnAt ?? measure.power.firstAt).slice(0, 10)}, under ${parameters.poweredOffDays} days`
          : "off; no power history yet";
      if (fired.has("util-powered-off-vm")) reclaimDiskMiB += vm.provisionedMiB ?? 0;
    } else if (!measure.cpuPercent && !measure.cpuMhz) {
      status = "insufficient-data";
      reason = "insufficient data: no measured use (collect from vCenter or libvirt; an RVTools export carries none)";
    } else if (measure.measuredHours < parameters.minMeasuredHours) {
      status = "insufficient-data";
      reason = `insufficient data: ${measure.measuredHours.toFixed(1)} hours measured, ${parameters.minMeasuredHours} needed`;
    } else if (!measure.cpuPercent) {
      status = "insufficient-data";
      reason = "insufficient data: CPU measured in MHz only, and the host's core speed is not known";
      if (isIdle(vm, context)) {
        status = "idle";
        reason = detail("util-idle-vm");
      }
    } else if (fired.has("util-idle-vm")) {
      status = "idle";
      reason = detail("util-idle-vm");
    } else if (fired.has("util-undersized-vm")) {
      status = "undersized";
      reason = detail("util-undersized-vm");
    } else if (fired.has("util-oversized-vm")) {
      status = "oversized";
      reason = detail("util-oversized-vm");
    } else {
      status = "right-sized";
      reason = `p${p} CPU ${percentileOf(measure.cpuPercent, p).toFixed(1)} % of ${vm.vcpus} vCPUs: the size fits`;
    }
    if (status === "idle") {
      reclaimVcpus = vm.vcpus;
      reclaimMemoryMiB = vm.memoryMiB;
    } else if (status === "oversized" && measure.suggestion) {
      reclaimVcpus = Math.max(0, vm.vcpus - measure.suggestion.vcpus);
      reclaimMemoryMiB = Math.max(0, vm.memoryMiB - measure.suggestion.memoryMiB);
    }
    if (fired.has("util-old-snapshot")) {
      totals.oldSnapshots++;
      totals.snapshotMiB += vm.snapshotSizeMiB ?? 0;
      reclaimDiskMiB += vm.snapshotSizeMiB ?? 0;
    }
    if (status === "idle") totals.idle++;
    if (status === "oversized") totals.oversized++;
    if (status === "undersized") totals.undersized++;
    if (status === "insufficient-data") totals.insufficientData++;
    if (fired.has("util-powered-off-vm")) totals.poweredOffLong++;
    totals.reclaimVcpus += reclaimVcpus;
    totals.reclaimMemoryMiB += reclaimMemoryMiB;
    totals.reclaimDiskMiB += reclaimDiskMiB;

    const cpu = measure.cpuPercent;
    vms.push({
      vmKey: vm.key,
      name: vm.name,
      customer: vm.customer,
      hostName: host?.name ?? null,
      cluster: host ? clusterOf(host) : (vm.cluster ?? null),
      powerState: vm.powerState,
      vcpus: vm.vcpus,
      memoryMiB: vm.memoryMiB,
      status,
      reason,
      measuredHours: measure.measuredHours,
      intervalSeconds: (cpu ?? measure.cpuMhz)?.intervalSeconds ?? null,
      cpuPercent: cpu ? percentileOf(cpu, p) : null,
      cpuPercentPeak: cpu ? cpu.max : null,
      cpuMhz: measure.cpuMhz ? percentileOf(measure.cpuMhz, p) : null,
      memoryDemandMiB: measure.memoryDemand ? percentileOf(measure.memoryDemand.stats, p) : null,
      memoryMetric: measure.memoryDemand?.metric ?? null,
      readyPercent: measure.ready ? percentileOf(measure.ready, p) : null,
      suggestedVcpus: measure.suggestion?.vcpus ?? null,
      suggestedMemoryMiB: measure.memoryDemand ? (measure.suggestion?.memoryMiB ?? null) : null,
      reclaimVcpus,
      reclaimMemoryMiB,
      reclaimDiskMiB,
      findings,
    });
  }

  // Hosts: their own measure, else the sum of their powered-on VMs' (all of them measured).
  const vmsByHost = new Map<string, InventoryVirtualMachine[]>();
  for (const vm of inventory.virtualMachines) {
    if (!vm.hostKey || vm.template || vm.powerState !== "poweredOn") continue;
    const list = vmsByHost.get(vm.hostKey) ?? [];
    list.push(vm);
    vmsByHost.set(vm.hostKey, list);
  }
  const hostRows: HostUse[] = [];
  for (const host of inventory.hosts) {
    if (host.role !== "hypervisor") continue;
    const m = use.get(host.key)?.metrics ?? {};
    const capacityMhz = host.cpuMhz !== null && host.cpuCores > 0 ? host.cpuMhz * host.cpuCores : null;
    let cpuUsed: number | null = null;
    let memoryUsed: number | null = null;
    let basis: HostUse["basis"] = null;
    let measuredHours = 0;
    const cpuStats = m["cpu.usage.mhz"] ?? (m["cpu.usage.pct"] && capacityMhz ? scaled(m["cpu.usage.pct"], capacityMhz / 100) : undefined);
    if (cpuStats || m["mem.consumed.mib"]) {
      basis = "host";
      cpuUsed = cpuStats ? percentileOf(cpuStats, p) : null;
      memoryUsed = m["mem.consumed.mib"] ? percentileOf(m["mem.consumed.mib"], p) : null;
      measuredHours = Math.max(hoursOf(cpuStats), hoursOf(m["mem.consumed.mib"]));
    } else {
      const guests = vmsByHost.get(host.key) ?? [];
      const measures = guests.map((vm) => ({ vm, measure: vmMeasures.get(vm.key)!, use: use.get(vm.key) }));
      if (guests.length > 0 && measures.every((g) => g.measure.cpuMhz)) {
        basis = "vms";
        cpuUsed = measures.reduce((sum, g) => sum + percentileOf(g.measure.cpuMhz!, p), 0);
        const consumed = measures.map((g) => g.use?.metrics["mem.consumed.mib"]);
        memoryUsed = consumed.every((c) => c) ? consumed.reduce((sum, c) => sum + percentileOf(c!, p), 0) : null;
        measuredHours = Math.min(...measures.map((g) => g.measure.measuredHours));
      }
    }
    const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
    hostRows.push({
      hostKey: host.key,
      name: host.name,
      customer: host.customer,
      cluster: clusterOf(host),
      cpuCapacityMhz: capacityMhz,
      memoryMiB: host.memoryMiB,
      cpuUsedMhz: round(cpuUsed),
      memoryUsedMiB: round(memoryUsed),
      cpuUsedPercent: cpuUsed !== null && capacityMhz ? round((cpuUsed / capacityMhz) * 100) : null,
      memoryUsedPercent: memoryUsed !== null && host.memoryMiB > 0 ? round((memoryUsed / host.memoryMiB) * 100) : null,
      cpuHeadroomMhz: cpuUsed !== null && capacityMhz ? round((capacityMhz * parameters.hostTargetCpuPercent) / 100 - cpuUsed) : null,
      memoryHeadroomMiB: memoryUsed !== null ? round((host.memoryMiB * parameters.hostTargetMemoryPercent) / 100 - memoryUsed) : null,
      basis,
      measuredHours,
    });
  }

  const clusters = packClusters(hostRows, parameters);
  for (const c of clusters) {
    totals.hostsFreed += c.hostsFreed ?? 0;
    if (c.survivesLargestHost === false) totals.clustersFailingNPlusOne++;
  }
  return {
    asOf: inventory.asOf ?? null,
    periodDays: parameters.utilisationPeriodDays,
    vms,
    hosts: hostRows,
    clusters,
    findings: [...vms.flatMap((v) => v.findings), ...templateFindings],
    totals,
  };
}

/**
 * Per cluster: the use against capacity, N+1 (what is used fits in the capacity without the largest
 * host), and the hosts needed if the measured use were packed onto the largest hosts first at the
 * targets, plus the spare hosts.
 */
export function packClusters(hosts: HostUse[], parameters: Parameters): ClusterUse[] {
  const groups = new Map<string, HostUse[]>();
  for (const h of hosts) {
    const id = `${h.customer}\u0000${h.cluster}`;
    const list = groups.get(id) ?? [];
    list.push(h);
    groups.set(id, list);
  }
  const out: ClusterUse[] = [];
  for (const members of groups.values()) {
    const measured = members.filter((h) => h.cpuUsedMhz !== null && h.memoryUsedMiB !== null && h.cpuCapacityMhz !== null);
    const all = measured.length === members.length;
    const sum = (f: (h: HostUse) => number | null) => members.reduce((s, h) => s + (f(h) ?? 0), 0);
    const cpuCapacity = members.every((h) => h.cpuCapacityMhz !== null) ? sum((h) => h.cpuCapacityMhz) : null;
    const memory = sum((h) => h.memoryMiB);
    const cpuUsed = all ? sum((h) => h.cpuUsedMhz) : null;
    const memoryUsed = all ? sum((h) => h.memoryUsedMiB) : null;
    let survives: boolean | null = null;
    let needed: number | null = null;
    let reason: string;
    if (!all || cpuCapacity === null || cpuUsed === null || memoryUsed === null) {
      reason = `insufficient data: ${members.length - measured.length} of ${members.length} hosts without measured CPU and memory (or core speed)`;
    } else {
      // Losing the host with the most CPU, or the one with the most memory: each must still fit.
      const largestCpu = Math.max(...members.map((h) => h.cpuCapacityMhz!));
      const largestMemory = Math.max(...members.map((h) => h.memoryMiB));
      survives = members.length > 1 && cpuUsed <= cpuCapacity - largestCpu && memoryUsed <= memory - largestMemory;
      const bySize = [...members].sort((a, b) => b.memoryMiB - a.memoryMiB || b.cpuCapacityMhz! - a.cpuCapacityMhz!);
      let cpuRoom = 0;
      let memoryRoom = 0;
      let count = 0;
      for (const h of bySize) {
        if (cpuRoom >= cpuUsed && memoryRoom >= memoryUsed) break;
        cpuRoom += (h.cpuCapacityMhz! * parameters.hostTargetCpuPercent) / 100;
        memoryRoom += (h.memoryMiB * parameters.hostTargetMemoryPercent) / 100;
        count++;
      }
      const fits = cpuRoom >= cpuUsed && memoryRoom >= memoryUsed;
      needed = Math.min(members.length, (fits ? Math.max(count, 1) : members.length) + parameters.spareHosts);
      reason = fits
        ? `measured use fits in ${Math.max(count, 1)} of ${members.length} hosts at ${parameters.hostTargetCpuPercent} % CPU and ${parameters.hostTargetMemoryPercent} % memory, plus ${parameters.spareHosts} spare`
        : `measured use exceeds the cluster's capacity at ${parameters.hostTargetCpuPercent} % CPU and ${parameters.hostTargetMemoryPercent} % memory`;
    }
    out.push({
      customer: members[0]!.customer,
      cluster: members[0]!.cluster,
      hosts: members.length,
      hostsMeasured: measured.length,
      cpuCapacityMhz: cpuCapacity,
      memoryMiB: memory,
      cpuUsedMhz: cpuUsed,
      memoryUsedMiB: memoryUsed,
      survivesLargestHost: survives,
      hostsNeeded: needed,
      hostsFreed: needed === null ? null : members.length - needed,
      reason,
    });
  }
  return out.sort((a, b) => a.customer.localeCompare(b.customer) || a.cluster.localeCompare(b.cluster));
}

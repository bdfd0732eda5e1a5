/**
 * Reclamation and right-sizing from measured use (issue 17): rules over a VM and what was measured
 * of it (server/analysis/utilisation.ts builds the `VmMeasure`). The taxonomy is Aria Operations'
 * reclamation (idle VMs, powered-off VMs, old snapshots) and right-sizing (oversized, undersized);
 * the sizing is Azure Migrate's performance-based sizing (a percentile of measured use × a comfort
 * factor). Every threshold is a model parameter (../parameters.ts) with its source. None changes a
 * migration verdict: they say what to reclaim or resize, and why, with the figures.
 */
import type { InventoryVirtualMachine } from "../inventory";
import type { Parameters } from "../parameters";
import { percentileOf, type MetricStats, type PowerHistory } from "../../utilisation/stats";
import type { Rule } from "./rule";
import { DOMAIN, ours, type Source } from "./sources";

/** Aria Operations' reclamation settings: idle VMs, powered-off VMs, snapshots, orphaned disks. */
export const ARIA_RECLAMATION: Source = {
  name: "VMware Aria Operations reclamation settings",
  version: "8.x (docs.vmware.com GUID-7DBBF4C4, now on techdocs.broadcom.com)",
  url: null,
  doc: DOMAIN.utilisation,
};

/** Azure Migrate's performance-based sizing: a percentile of measured use × a comfort factor. */
export const AZURE_MIGRATE_SIZING: Source = {
  name: "Azure Migrate assessment, performance-based sizing",
  version: null,
  url: "https://learn.microsoft.com/en-us/azure/migrate/concepts-assessment-calculation",
  doc: DOMAIN.utilisation,
};

/** VMware KB 1025279, "Best practices for using VMware snapshots in the vSphere environment". */
export const VMWARE_SNAPSHOT_KB: Source = {
  name: "VMware KB 1025279 (snapshot best practices)",
  version: null,
  url: "https://kb.vmware.com/s/article/1025279",
  doc: DOMAIN.utilisation,
};

/** What was measured of one VM, as the rules read it (percentages of its own vCPUs). */
export interface VmMeasure {
  /** Hours the CPU figures cover (values × their interval); 0 when none. */
  measuredHours: number;
  /** CPU in % of the VM's vCPUs (measured as such, or MHz over vCPUs × the host's core MHz). */
  cpuPercent: MetricStats | null;
  /** CPU in MHz (measured as such, or % × vCPUs × the host's core MHz). */
  cpuMhz: MetricStats | null;
  /** Memory the guest needs: vSphere's active memory, else what the guest itself reports used. */
  memoryDemand: { metric: "mem.active.mib" | "mem.guest.used.mib"; stats: MetricStats } | null;
  ready: MetricStats | null;
  ballooned: MetricStats | null;
  swapped: MetricStats | null;
  power: PowerHistory | null;
  /** The size measured use asks for (percentile × comfort factor), when the CPU was measured. */
  suggestion: { vcpus: number; memoryMiB: number } | null;
}

export interface UtilisationContext {
  parameters: Parameters;
  measure: VmMeasure;
  /** When the period ends (ms since the epoch). */
  asOf: number;
}

const DAY = 86_400_000;
const pct = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)} %`;
const gib = (mib: number) => `${(mib / 1024).toFixed(mib < 10 * 1024 ? 1 : 0)} GiB`;
/** "7.0 days of 30-minute values (336)". */
export function coverage(stats: MetricStats): string {
  const interval = stats.intervalSeconds >= 3600 ? `${stats.intervalSeconds / 3600}-hour` : stats.intervalSeconds >= 60 ? `${stats.intervalSeconds / 60}-minute` : `${stats.intervalSeconds}-second`;
  const hours = (stats.count * stats.intervalSeconds) / 3600;
  return `${hours >= 48 ? `${(hours / 24).toFixed(1)} days` : `${hours.toFixed(1)} hours`} of ${interval} values (${stats.count})`;
}
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const on = (vm: InventoryVirtualMachine) => vm.powerState === "poweredOn" && !vm.template;
const enough = (ctx: UtilisationContext) => ctx.measure.measuredHours >= ctx.parameters.minMeasuredHours;

/** Idle: CPU at or under the MHz threshold for the given share of the period. */
export function isIdle(vm: InventoryVirtualMachine, ctx: UtilisationContext): boolean {
  const mhz = ctx.measure.cpuMhz;
  return on(vm) && enough(ctx) && mhz !== null && percentileOf(mhz, ctx.parameters.idleTimePercent) <= ctx.parameters.idleCpuMhz;
}

export const UTILISATION_RULES: readonly Rule<InventoryVirtualMachine, UtilisationContext>[] = [
  {
    id: "util-idle-vm",
    title: "Idle VM",
    severity: "warning",
    appliesTo: "vm",
    text: "The VM's CPU stayed at or under the idle threshold for most of the period: a candidate to power off and retire, reclaiming all it holds.",
    source: ARIA_RECLAMATION,
    upstreamId: null,
    sourceNote: "idle VMs: CPU usage at or under a MHz threshold for a share of the time",
    effect: null,
    exposes: false,
    deviation: "Aria Operations also lets disk and network I/O count; only CPU is read here.",
    test: (vm, ctx) => {
      if (!isIdle(vm, ctx)) return false;
      const mhz = ctx.measure.cpuMhz!;
      const p = ctx.parameters.idleTimePercent;
      return `CPU ≤ ${ctx.parameters.idleCpuMhz} MHz for ${p} % of ${coverage(mhz)}: p${p} ${Math.round(percentileOf(mhz, p))} MHz, peak ${Math.round(mhz.max)} MHz`;
    },
  },
  {
    id: "util-oversized-vm",
    title: "Oversized VM",
    severity: "info",
    appliesTo: "vm",
    text: "Measured use at the sizing percentile, with the comfort factor's headroom, fits in fewer vCPUs or less memory than the VM has: right-size it.",
    source: AZURE_MIGRATE_SIZING,
    upstreamId: null,
    sourceNote: "performance-based sizing: percentile utilisation × comfort factor",
    effect: null,
    exposes: false,
    deviation: null,
    test: (vm, ctx) => {
      const { measure: m, parameters: p } = ctx;
      if (!on(vm) || !enough(ctx) || isIdle(vm, ctx) || !m.suggestion || !m.cpuPercent) return false;
      const { vcpus, memoryMiB } = m.suggestion;
      if (vcpus >= vm.vcpus && memoryMiB >= vm.memoryMiB) return false;
      const cpu = `p${p.sizingPercentile} CPU ${pct(percentileOf(m.cpuPercent, p.sizingPercentile))} of ${vm.vcpus} vCPUs`;
      const memory = m.memoryDemand
        ? `p${p.sizingPercentile} ${m.memoryDemand.metric === "mem.active.mib" ? "active" : "guest-used"} memory ${gib(percentileOf(m.memoryDemand.stats, p.sizingPercentile))} of ${gib(vm.memoryMiB)}`
        : "memory not measured (kept)";
      return `${cpu}, ${memory} over ${coverage(m.cpuPercent)} → ${vcpus} vCPUs, ${gib(memoryMiB)} (× ${p.comfortFactor})`;
    },
  },
  {
    id: "util-undersized-vm",
    title: "Undersized VM (CPU)",
    severity: "warning",
    appliesTo: "vm",
    text: "The VM's CPU runs near its vCPUs' capacity, or waits to be scheduled (CPU ready), for a large share of the period: give it more vCPUs, or room on its host.",
    source: ours(DOMAIN.utilisation),
    upstreamId: null,
    sourceNote: "CPU at the sizing percentile above the threshold; CPU ready per vCPU above the VMware rule of thumb",
    effect: null,
    exposes: false,
    deviation: null,
    test: (vm, ctx) => {
      const { measure: m, parameters: p } = ctx;
      if (!on(vm) || !enough(ctx)) return false;
      const reasons: string[] = [];
      if (m.cpuPercent && percentileOf(m.cpuPercent, p.sizingPercentile) > p.undersizedCpuPercent) {
        reasons.push(`p${p.sizingPercentile} CPU ${pct(percentileOf(m.cpuPercent, p.sizingPercentile))} of ${vm.vcpus} vCPUs`);
      }
      if (m.ready && percentileOf(m.ready, p.sizingPercentile) > p.cpuReadyPercent) {
        reasons.push(`p${p.sizingPercentile} CPU ready ${pct(percentileOf(m.ready, p.sizingPercentile))} per vCPU`);
      }
      if (reasons.length === 0) return false;
      const suggested = m.suggestion && m.suggestion.vcpus > vm.vcpus ? ` → ${m.suggestion.vcpus} vCPUs` : "";
      return `${reasons.join(", ")} over ${coverage((m.cpuPercent ?? m.ready)!)}${suggested}`;
    },
  },
  {
    id: "util-memory-contention",
    title: "Memory reclaimed from a running VM",
    severity: "warning",
    appliesTo: "vm",
    text: "The hypervisor took memory back from this VM (balloon driver) or swapped it out for much of the period: its host's memory is overcommitted, or the VM's limit is too low.",
    source: ours(DOMAIN.utilisation),
    upstreamId: null,
    sourceNote: "ballooned or swapped memory at the sizing percentile above zero",
    effect: null,
    exposes: false,
    deviation: null,
    test: (vm, ctx) => {
      const { measure: m, parameters: p } = ctx;
      if (!on(vm) || !enough(ctx)) return false;
      const parts: string[] = [];
      if (m.ballooned && percentileOf(m.ballooned, p.sizingPercentile) > 0) parts.push(`ballooned p${p.sizingPercentile} ${Math.round(percentileOf(m.ballooned, p.sizingPercentile))} MiB`);
      if (m.swapped && percentileOf(m.swapped, p.sizingPercentile) > 0) parts.push(`swapped p${p.sizingPercentile} ${Math.round(percentileOf(m.swapped, p.sizingPercentile))} MiB`);
      return parts.length > 0 ? parts.join(", ") : false;
    },
  },
  {
    id: "util-powered-off-vm",
    title: "Powered off for long",
    severity: "info",
    appliesTo: "vm",
    text: "The VM was powered off at every collection for longer than the threshold: its disks and its place in the inventory can be reclaimed, or it can be archived.",
    source: ARIA_RECLAMATION,
    upstreamId: null,
    sourceNote: "powered-off VMs: off for more than a number of days",
    effect: null,
    exposes: false,
    deviation: "The time off is what Fleetlens itself observed (every collection since then saw it off): a VM off for longer before its first collection counts from that collection.",
    test: (vm, ctx) => {
      const power = ctx.measure.power;
      if (vm.template || vm.powerState === "poweredOn" || !power || power.latestOn) return false;
      const since = Date.parse(power.lastOnAt ?? power.firstAt);
      // lastOnAt is the last time it was seen on: off from the next observation on, counted from then.
      const days = Math.floor((ctx.asOf - since) / DAY);
      if (days < ctx.parameters.poweredOffDays) return false;
      const disk = vm.provisionedMiB !== null ? `, ${gib(vm.provisionedMiB)} provisioned` : "";
      return power.lastOnAt
        ? `off at every collection for ${days} days (last seen on ${day(since)})${disk}`
        : `off at every collection since the first, ${day(since)} (${days} days)${disk}`;
    },
  },
  {
    id: "util-old-snapshot",
    title: "Snapshot older than the threshold",
    severity: "warning",
    appliesTo: "vm",
    text: "A snapshot kept for long grows its delta disk with every write, slows the VM and its backups, and holds datastore space: consolidate or delete it.",
    source: VMWARE_SNAPSHOT_KB,
    upstreamId: null,
    sourceNote: "use no single snapshot for more than 72 hours",
    effect: null,
    exposes: false,
    deviation: null,
    test: (vm, ctx) => {
      if (vm.snapshotCount === 0 || vm.snapshotOldestAt === null) return false;
      const days = (ctx.asOf - Date.parse(vm.snapshotOldestAt)) / DAY;
      if (days <= ctx.parameters.snapshotMaxAgeDays) return false;
      const size = vm.snapshotSizeMiB !== null ? `, ${gib(vm.snapshotSizeMiB)} held` : ", size not reported";
      return `oldest ${Math.floor(days)} days (${vm.snapshotOldestAt.slice(0, 10)}), ${vm.snapshotCount} snapshot${vm.snapshotCount > 1 ? "s" : ""}${size}`;
    },
  },
  {
    id: "util-unused-template",
    title: "Template not used",
    severity: "info",
    appliesTo: "vm",
    text: "No VM was deployed or cloned from this template for longer than the threshold, as far back as vCenter's events were read: retire it, or keep it patched if it is still meant to be used.",
    source: ours(DOMAIN.utilisation),
    upstreamId: null,
    sourceNote: "vCenter's VmDeployedEvent (srcTemplate) and VmClonedEvent (sourceVm), kept event.maxAge days (30 by default)",
    effect: null,
    exposes: false,
    deviation: "Events older than what was read (templateEventDays, and vCenter's own event.maxAge) are not known: when they cover fewer days than the threshold, nothing is said.",
    test: (vm, ctx) => {
      if (!vm.template || vm.templateUseReadSince === null) return false;
      const threshold = ctx.parameters.templateUnusedDays;
      const readSince = Date.parse(vm.templateUseReadSince);
      if (!Number.isFinite(readSince)) return false;
      if (vm.templateLastUsedAt === null) {
        // No event in what was read: unused for at least that long, which must reach the threshold.
        const covered = Math.floor((ctx.asOf - readSince) / DAY);
        if (covered < threshold) return false;
        return `no deploy or clone from it since ${day(readSince)} (events read since ${day(readSince)}, ${covered} days)`;
      }
      const last = Date.parse(vm.templateLastUsedAt);
      if (!Number.isFinite(last)) return false;
      const days = Math.floor((ctx.asOf - last) / DAY);
      return days >= threshold ? `last deployed ${day(last)} (${days} days)` : false;
    },
  },
];

/**
 * What a migration plan frees, per workload, per wave and per plan (docs/domain.md#migration-plans).
 * Pure: the planned workloads, the customer's inventory (hypervisor hosts, VMs, the planned
 * containers), their verdicts and the model parameters in; figures and the words saying where each
 * comes from out.
 *
 * Per workload, by target:
 * - stay: nothing.
 * - retire: a VM frees everything it holds: its vCPUs and RAM when powered on (a VM that is off
 *   holds neither), its disk as used on the datastore (else as provisioned). A container frees its
 *   CPU and memory limits when running (no limit: nothing counted, its use is not known).
 * - container, kata (a VM): the OS copy the analysis computes, the verdict's saving (guest
 *   discovery's measured saving when the guest was read, else the OS footprint); when the verdict
 *   did not move it (an override), the OS footprint's copy (server/analysis/waste.ts osCopyOf).
 *   Kata costs its per-pod overhead (kata-deploy's RuntimeClass podFixed, server/analysis/kata-overhead.ts,
 *   the default class: the target host is not chosen) when powered on: RAM and CPU.
 * - kata (a container): costs the overhead of the class its engine host offers (the verdict's figure).
 * - system-container (a VM): the guest kernel goes, the userland stays (docs/domain.md#lxd-system-containers):
 *   the verdict's saving when it moved it there, else the parameters' guest kernel RAM (powered on)
 *   and disk (server/analysis/migration.ts systemContainerSaving).
 * - kubevirt: the VM is rehosted whole: KubeVirt needs the same vCPUs, RAM and disk, so nothing is
 *   freed net; its share leaves the hypervisor cluster (counted in hosts freed).
 * Hosts freed: per hypervisor cluster, the hosts needed at the target ratios (server/analysis/migration.ts
 * hostsNeeded: fewest hosts, largest first) for today's powered-on VMs, less those needed once the
 * workloads' shares have left: retired and rehosted VMs whole, moved ones less what they free.
 * Packing is not additive: the waves' hosts freed need not add up to the plan's.
 */
import { clusterOf } from "../analysis/density";
import type { InventoryContainer, InventoryHost, InventoryVirtualMachine } from "../analysis/inventory";
import { kataOverheadFor } from "../analysis/kata-overhead";
import { hostsNeeded, systemContainerSaving, type Verdict } from "../analysis/migration";
import { footprintOf, type CompiledFootprint, type Parameters } from "../analysis/parameters";
import { osCopyOf } from "../analysis/waste";
import type { MigrationTarget, PlanTotals } from "./labels";

export interface PlanInventory {
  /** Every host of the customer (hypervisors for the packing, engine hosts for their runtimes). */
  hosts: InventoryHost[];
  /** The customer's VMs, templates included (a template is no workload: never in the demand). */
  vms: Map<string, InventoryVirtualMachine>;
  /** The containers the plans hold. */
  containers: Map<string, InventoryContainer>;
}

export interface PlannedWorkload {
  kind: "vm" | "container";
  objectId: string;
  target: MigrationTarget;
}

export interface WorkloadFigures {
  vcpus: number;
  ramMiB: number;
  diskMiB: number;
  kataOverheadMiB: number;
  /** The hypervisor cluster it runs in, and the share of that cluster's demand that leaves it. */
  cluster: string | null;
  leaves: { vcpus: number; memoryMiB: number };
  /** Where the figures come from, in words. */
  basis: string;
  /** The object is no longer in the inventory: nothing counted. */
  gone: boolean;
}

const mib = (n: number) => `${Math.round(n).toLocaleString("en-US")} MiB`;
const cpus = (n: number) => `${Math.round(n * 100) / 100} vCPU`;
const round2 = (n: number) => Math.round(n * 100) / 100;
const NOTHING = { vcpus: 0, memoryMiB: 0 };

export function workloadFigures(
  w: PlannedWorkload,
  inventory: PlanInventory,
  verdict: Verdict | undefined,
  parameters: Parameters,
  footprints: CompiledFootprint[],
): WorkloadFigures {
  const none = (basis: string, gone = false, cluster: string | null = null): WorkloadFigures => ({ vcpus: 0, ramMiB: 0, diskMiB: 0, kataOverheadMiB: 0, cluster, leaves: NOTHING, basis, gone });
  if (w.kind === "container") {
    const c = inventory.containers.get(w.objectId);
    if (!c) return none("no longer in the inventory: nothing counted", true);
    const running = c.state === "running";
    if (w.target === "stay") return none("stays as it is: nothing freed");
    if (w.target === "retire") {
      const ramMiB = running && c.memoryLimitBytes > 0 ? c.memoryLimitBytes / 1024 ** 2 : 0;
      const vcpus = running ? c.nanoCpus / 1e9 : 0;
      const basis = !running
        ? `retired: not running (${c.state}), holds no CPU or memory; its disk is its image's, not counted`
        : `retired: frees its limits, ${c.memoryLimitBytes > 0 ? `memory ${mib(ramMiB)}` : "memory unbounded (no limit: its use is not known, 0 counted)"}, ${c.nanoCpus > 0 ? cpus(vcpus) : "no CPU limit (0 counted)"}`;
      return { ...none(basis), vcpus: round2(vcpus), ramMiB: Math.round(ramMiB) };
    }
    // kata: the verdict's cost when the verdict sends it there, else the class its engine host offers.
    const host = inventory.hosts.find((h) => h.key === c.hostKey) ?? null;
    const kata = kataOverheadFor(host, parameters);
    const memoryMiB = verdict?.verdict === "to-kata" ? -verdict.saving.ramMiB : running ? kata.memoryMiB : 0;
    const cpuMillis = verdict?.verdict === "to-kata" ? -verdict.saving.cpuMillis : running ? kata.cpuMillis : 0;
    return {
      ...none(running ? `moves to Kata: costs the per-pod overhead, ${kata.source}` : "moves to Kata: not running, no overhead while stopped"),
      // 0 - x, not -x: nothing costs 0, not -0.
      vcpus: round2(0 - cpuMillis / 1000),
      ramMiB: 0 - Math.round(memoryMiB),
      kataOverheadMiB: Math.round(memoryMiB),
    };
  }
  const vm = inventory.vms.get(w.objectId);
  if (!vm) return none("no longer in the inventory: nothing counted", true);
  const host = vm.hostKey ? inventory.hosts.find((h) => h.key === vm.hostKey) : undefined;
  const cluster = host && host.role === "hypervisor" ? clusterOf(host) : null;
  const on = vm.powerState === "poweredOn";
  const whole = { vcpus: on ? vm.vcpus : 0, memoryMiB: on ? vm.memoryMiB : 0 };
  if (w.target === "stay") return none("stays a VM: nothing freed", false, cluster);
  if (w.target === "retire") {
    const disk = vm.usedMiB ?? vm.provisionedMiB ?? 0;
    const diskIs = vm.usedMiB !== null ? "used on the datastore" : vm.provisionedMiB !== null ? "provisioned" : "not known (0)";
    return {
      vcpus: whole.vcpus,
      ramMiB: Math.round(whole.memoryMiB),
      diskMiB: Math.round(disk),
      kataOverheadMiB: 0,
      cluster,
      leaves: whole,
      basis: `retired: frees ${on ? `${cpus(vm.vcpus)} and ${mib(vm.memoryMiB)} (powered on)` : `no vCPU or RAM (${vm.powerState})`} and its disk, ${mib(disk)} ${diskIs}`,
      gone: false,
    };
  }
  if (w.target === "kubevirt") {
    return {
      ...none(
        `rehosted whole to KubeVirt: needs the same ${cpus(vm.vcpus)}, ${mib(vm.memoryMiB)} and its disks there, so nothing is freed net; ` +
          (on ? `its share leaves the hypervisor cluster ${cluster ?? "(host not known)"}` : `${vm.powerState}: holds no share of its hosts`),
        false,
        cluster,
      ),
      leaves: cluster ? whole : NOTHING,
    };
  }
  if (w.target === "system-container") {
    const moved = verdict?.verdict === "to-system-container";
    const saving = moved ? verdict.saving : systemContainerSaving(vm, parameters).saving;
    return {
      vcpus: 0,
      ramMiB: Math.round(saving.ramMiB),
      diskMiB: Math.round(saving.diskMiB),
      kataOverheadMiB: 0,
      cluster,
      leaves: { vcpus: 0, memoryMiB: cluster ? saving.ramMiB : 0 },
      basis:
        `moves to a system container: sheds its guest kernel, ${moved ? "the verdict's saving" : "the parameters' guest kernel figures"}: ${mib(saving.ramMiB)} RAM` +
        `${on ? "" : " (powered off)"}, ${mib(saving.diskMiB)} disk; its userland stays`,
      gone: false,
    };
  }
  // container or kata: the OS copy it sheds.
  const defaultKata = kataOverheadFor(null, parameters);
  let copy: { ramMiB: number; diskMiB: number };
  let from: string;
  if (verdict && (verdict.verdict === "to-container" || verdict.verdict === "to-kata")) {
    const paidKata = verdict.verdict === "to-kata" && verdict.saving.cpuMillis < 0;
    copy = { ramMiB: verdict.saving.ramMiB + (paidKata ? defaultKata.memoryMiB : 0), diskMiB: verdict.saving.diskMiB };
    const measured = verdict.evidence.some((e) => e.source === "guest discovery" && e.field === "memory.usedMiB" && e.strength === "strong");
    from = `the verdict's saving (${measured ? "measured by guest discovery" : "the OS footprint"}): ${mib(copy.ramMiB)} RAM, ${mib(copy.diskMiB)} disk`;
  } else {
    const footprint = footprintOf(vm, footprints);
    copy = footprint ? osCopyOf(vm, footprint) : { ramMiB: 0, diskMiB: 0 };
    from = footprint
      ? `its OS copy (${footprint.label}: ${mib(footprint.ramMiB)} RAM, ${mib(footprint.diskMiB)} disk${on ? "" : "; powered off, no RAM"}): ${mib(copy.ramMiB)} RAM, ${mib(copy.diskMiB)} disk`
      : "no OS footprint known for its OS: 0 counted";
  }
  if (w.target === "container") {
    return {
      vcpus: 0,
      ramMiB: Math.round(copy.ramMiB),
      diskMiB: Math.round(copy.diskMiB),
      kataOverheadMiB: 0,
      cluster,
      leaves: { vcpus: 0, memoryMiB: cluster ? copy.ramMiB : 0 },
      basis: `moves to a container: sheds ${from}`,
      gone: false,
    };
  }
  const overhead = on ? defaultKata : { memoryMiB: 0, cpuMillis: 0 };
  const ramMiB = copy.ramMiB - overhead.memoryMiB;
  const vcpus = 0 - overhead.cpuMillis / 1000;
  return {
    vcpus: round2(vcpus),
    ramMiB: Math.round(ramMiB),
    diskMiB: Math.round(copy.diskMiB),
    kataOverheadMiB: overhead.memoryMiB,
    cluster,
    leaves: cluster ? { vcpus, memoryMiB: ramMiB } : NOTHING,
    basis: `moves to Kata: sheds ${from}; ${on ? `less the per-pod overhead, ${defaultKata.source}` : "powered off: no overhead"}`,
    gone: false,
  };
}

interface ClusterLoad {
  hosts: InventoryHost[];
  now: { vcpus: number; memoryMiB: number };
}

/** Each hypervisor cluster's hosts and today's demand (powered-on VMs that are not templates), as the analysis packs them. */
export function clusterLoads(inventory: PlanInventory): Map<string, ClusterLoad> {
  const loads = new Map<string, ClusterLoad>();
  const clusterOfHost = new Map<string, string>();
  for (const h of inventory.hosts) {
    if (h.role !== "hypervisor") continue;
    const name = clusterOf(h);
    clusterOfHost.set(h.key, name);
    const load = loads.get(name) ?? { hosts: [], now: { vcpus: 0, memoryMiB: 0 } };
    load.hosts.push(h);
    loads.set(name, load);
  }
  for (const vm of inventory.vms.values()) {
    if (vm.template || vm.powerState !== "poweredOn" || !vm.hostKey) continue;
    const load = loads.get(clusterOfHost.get(vm.hostKey) ?? "");
    if (!load) continue;
    load.now.vcpus += vm.vcpus;
    load.now.memoryMiB += vm.memoryMiB;
  }
  return loads;
}

/** Per cluster the workloads leave: hosts needed now and after they left, and the difference. */
export function hostsFreedBy(figures: readonly WorkloadFigures[], loads: Map<string, ClusterLoad>, parameters: Parameters) {
  const leaving = new Map<string, { vcpus: number; memoryMiB: number }>();
  for (const f of figures) {
    if (!f.cluster || (f.leaves.vcpus === 0 && f.leaves.memoryMiB === 0)) continue;
    const sum = leaving.get(f.cluster) ?? { vcpus: 0, memoryMiB: 0 };
    sum.vcpus += f.leaves.vcpus;
    sum.memoryMiB += f.leaves.memoryMiB;
    leaving.set(f.cluster, sum);
  }
  const clusters = [...leaving].flatMap(([cluster, left]) => {
    const load = loads.get(cluster);
    if (!load) return [];
    const neededNow = hostsNeeded(load.now, load.hosts, parameters);
    const neededAfter = hostsNeeded({ vcpus: load.now.vcpus - left.vcpus, memoryMiB: load.now.memoryMiB - left.memoryMiB }, load.hosts, parameters);
    return [{ cluster, hosts: load.hosts.length, neededNow, neededAfter, hostsFreed: Math.max(0, neededNow - neededAfter), leavingVcpus: round2(left.vcpus), leavingMemoryMiB: Math.round(left.memoryMiB) }];
  });
  return { hostsFreed: clusters.reduce((s, c) => s + c.hostsFreed, 0), clusters: clusters.sort((a, b) => a.cluster.localeCompare(b.cluster)) };
}

/** The workloads' figures summed, with the hosts their leaving frees (hostsFreedBy, packed once). */
export function totalsOf(figures: readonly WorkloadFigures[], hostsFreed: number): PlanTotals {
  return {
    vcpus: round2(figures.reduce((s, f) => s + f.vcpus, 0)),
    ramMiB: figures.reduce((s, f) => s + f.ramMiB, 0),
    diskMiB: figures.reduce((s, f) => s + f.diskMiB, 0),
    hostsFreed,
    kataOverheadMiB: figures.reduce((s, f) => s + f.kataOverheadMiB, 0),
  };
}

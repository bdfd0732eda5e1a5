/**
 * Density per physical host, cluster, customer and fleet.
 *
 * - Physical hosts: every hypervisor, plus every container-engine host that runs in no known VM
 *   (bare metal). An engine host inside a VM adds its containers to that VM's hypervisor.
 * - vCPU:pCore and vRAM:pRAM count powered-on VMs only; templates and powered off, suspended or
 *   paused VMs are counted apart, as inventory, not load.
 * - Containers without a memory limit are counted as unbounded, never as zero memory.
 * - Consolidation ratio = workloads per physical host, where workloads are the powered-on VMs that
 *   are not themselves container hosts, plus running containers.
 * - A host is over target when its vCPU:pCore or vRAM:pRAM is above the target ratios.
 */
import type { Inventory, InventoryHost } from "./inventory";
import type { Parameters } from "./parameters";

export interface DensityFigures {
  physicalHosts: number;
  hostsOverTarget: number;
  physicalCores: number;
  physicalMemoryMiB: number;
  virtualMachines: number;
  vmsPoweredOn: number;
  /** Powered off, suspended or paused. */
  vmsPoweredOff: number;
  templates: number;
  vcpusPoweredOn: number;
  vmMemoryMiBPoweredOn: number;
  containers: number;
  containersRunning: number;
  /** Containers with no memory limit (HostConfig.Memory = 0). */
  containersUnbounded: number;
  /** Sum of the memory limits of the bounded containers. */
  containerMemoryLimitMiB: number;
  workloads: number;
  /** null where the denominator is 0. */
  vcpuPerCore: number | null;
  vramPerPram: number | null;
  consolidation: number | null;
}

export interface HostDensity extends DensityFigures {
  hostKey: string;
  hostName: string;
  customer: string;
  cluster: string;
  role: InventoryHost["role"];
  platform: InventoryHost["platform"];
  overTarget: boolean;
}

export interface ClusterDensity extends DensityFigures {
  customer: string;
  cluster: string;
}

export interface DensityResult {
  hosts: HostDensity[];
  clusters: ClusterDensity[];
  customers: (DensityFigures & { customer: string })[];
  fleet: DensityFigures;
  target: { vcpuPerCore: number; vramPerPram: number };
}

const MIB = 1024 * 1024;

export const emptyFigures = (): DensityFigures => ({
  physicalHosts: 0,
  hostsOverTarget: 0,
  physicalCores: 0,
  physicalMemoryMiB: 0,
  virtualMachines: 0,
  vmsPoweredOn: 0,
  vmsPoweredOff: 0,
  templates: 0,
  vcpusPoweredOn: 0,
  vmMemoryMiBPoweredOn: 0,
  containers: 0,
  containersRunning: 0,
  containersUnbounded: 0,
  containerMemoryLimitMiB: 0,
  workloads: 0,
  vcpuPerCore: null,
  vramPerPram: null,
  consolidation: null,
});

const SUMMED = [
  "physicalHosts",
  "hostsOverTarget",
  "physicalCores",
  "physicalMemoryMiB",
  "virtualMachines",
  "vmsPoweredOn",
  "vmsPoweredOff",
  "templates",
  "vcpusPoweredOn",
  "vmMemoryMiBPoweredOn",
  "containers",
  "containersRunning",
  "containersUnbounded",
  "containerMemoryLimitMiB",
  "workloads",
] as const;

/** a:b to two decimals; null where b is 0. */
export const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 100) / 100 : null);

function finish<T extends DensityFigures>(f: T): T {
  f.vcpuPerCore = ratio(f.vcpusPoweredOn, f.physicalCores);
  f.vramPerPram = ratio(f.vmMemoryMiBPoweredOn, f.physicalMemoryMiB);
  f.consolidation = ratio(f.workloads, f.physicalHosts);
  return f;
}

function add(into: DensityFigures, from: DensityFigures) {
  for (const k of SUMMED) into[k] += from[k];
}

/** The cluster a physical host is grouped in: its cluster, else itself (a standalone host). */
export const clusterOf = (host: InventoryHost) => host.cluster ?? `${host.name} (standalone)`;

/** Which physical host each engine host's containers land on: the hypervisor of its VM, or itself. */
export function physicalHostOf(inventory: Inventory): Map<string, string> {
  const vmHost = new Map(inventory.virtualMachines.map((vm) => [vm.key, vm.hostKey]));
  const result = new Map<string, string>();
  for (const h of inventory.hosts) {
    if (h.role === "hypervisor") result.set(h.key, h.key);
    else {
      const hypervisor = h.vmKey ? vmHost.get(h.vmKey) : null;
      // Linked to a VM whose hypervisor is unknown: not physical, and not placed anywhere.
      result.set(h.key, h.vmKey ? (hypervisor ?? "") : h.key);
    }
  }
  return result;
}

export function analyseDensity(inventory: Inventory, parameters: Parameters): DensityResult {
  const physical = physicalHostOf(inventory);
  const engineVms = new Set(inventory.hosts.map((h) => h.vmKey).filter((k) => k !== null));
  const rows = new Map<string, HostDensity>();
  for (const h of inventory.hosts) {
    if (physical.get(h.key) !== h.key) continue;
    rows.set(h.key, {
      ...emptyFigures(),
      hostKey: h.key,
      hostName: h.name,
      customer: h.customer,
      cluster: clusterOf(h),
      role: h.role,
      platform: h.platform,
      overTarget: false,
      physicalHosts: 1,
      physicalCores: h.cpuCores,
      physicalMemoryMiB: h.memoryMiB,
    });
  }
  const countVm = (into: DensityFigures, vm: Inventory["virtualMachines"][number]) => {
    into.virtualMachines++;
    if (vm.template) into.templates++;
    else if (vm.powerState === "poweredOn") {
      into.vmsPoweredOn++;
      into.vcpusPoweredOn += vm.vcpus;
      into.vmMemoryMiBPoweredOn += vm.memoryMiB;
      if (!engineVms.has(vm.key)) into.workloads++;
    } else into.vmsPoweredOff++;
  };
  const countContainer = (into: DensityFigures, c: Inventory["containers"][number]) => {
    into.containers++;
    if (c.state === "running") {
      into.containersRunning++;
      into.workloads++;
    }
    if (c.memoryLimitBytes === 0) into.containersUnbounded++;
    else into.containerMemoryLimitMiB += c.memoryLimitBytes / MIB;
  };
  // VMs and containers on no known physical host count in the customer and fleet totals only.
  const unplacedVms: Inventory["virtualMachines"] = [];
  const unplacedContainers: Inventory["containers"] = [];
  for (const vm of inventory.virtualMachines) {
    const row = vm.hostKey ? rows.get(vm.hostKey) : undefined;
    if (row) countVm(row, vm);
    else unplacedVms.push(vm);
  }
  for (const c of inventory.containers) {
    const row = rows.get(physical.get(c.hostKey) ?? "");
    if (row) countContainer(row, c);
    else unplacedContainers.push(c);
  }
  const clusters = new Map<string, ClusterDensity>();
  const customers = new Map<string, DensityFigures & { customer: string }>();
  const fleet = emptyFigures();
  const customerOf = (name: string) => {
    let customer = customers.get(name);
    if (!customer) customers.set(name, (customer = { ...emptyFigures(), customer: name }));
    return customer;
  };
  for (const row of rows.values()) {
    finish(row);
    // Compared unrounded: a host 0.1% over its target is over it.
    row.overTarget =
      (row.physicalCores > 0 && row.vcpusPoweredOn / row.physicalCores > parameters.targetVcpuPerCore) ||
      (row.physicalMemoryMiB > 0 && row.vmMemoryMiBPoweredOn / row.physicalMemoryMiB > parameters.targetVramPerPram);
    row.hostsOverTarget = row.overTarget ? 1 : 0;
    const clusterId = `${row.customer}\u0000${row.cluster}`;
    let cluster = clusters.get(clusterId);
    if (!cluster) clusters.set(clusterId, (cluster = { ...emptyFigures(), customer: row.customer, cluster: row.cluster }));
    add(cluster, row);
    add(customerOf(row.customer), row);
    add(fleet, row);
  }
  for (const vm of unplacedVms) for (const into of [customerOf(vm.customer), fleet]) countVm(into, vm);
  for (const c of unplacedContainers) for (const into of [customerOf(c.customer), fleet]) countContainer(into, c);
  const hosts = [...rows.values()].sort((a, b) => a.customer.localeCompare(b.customer) || a.cluster.localeCompare(b.cluster) || a.hostName.localeCompare(b.hostName));
  return {
    hosts,
    clusters: [...clusters.values()].map(finish).sort((a, b) => a.customer.localeCompare(b.customer) || a.cluster.localeCompare(b.cluster)),
    customers: [...customers.values()].map(finish).sort((a, b) => a.customer.localeCompare(b.customer)),
    fleet: finish(fleet),
    target: { vcpuPerCore: parameters.targetVcpuPerCore, vramPerPram: parameters.targetVramPerPram },
  };
}

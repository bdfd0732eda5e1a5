/**
 * The shapes the demo generator passes around: snapshot records, the build context and the plans of
 * clusters, hosts and VMs, with small helpers they share.
 */
import type { SnapshotInput } from "../../inventory/snapshot";
import type { CpuDef, EsxiRelease, KvmStack, OsDef, Role, ServerVendor } from "./catalogue";
import type { Platform, Profile } from "./customers";
import { DAY_MS, Rng } from "./random";

export type HostInput = NonNullable<SnapshotInput["hosts"]>[number];
export type VmInput = NonNullable<SnapshotInput["virtualMachines"]>[number];
export type DiskInput = NonNullable<VmInput["disks"]>[number];
export type ContainerInput = NonNullable<SnapshotInput["containers"]>[number];
export type MountInput = NonNullable<ContainerInput["mounts"]>[number];
export type PortInput = NonNullable<ContainerInput["ports"]>[number];
export type ImageInput = NonNullable<SnapshotInput["images"]>[number];
type LayerInput = NonNullable<ImageInput["layers"]>[number];
export type PowerState = "poweredOn" | "poweredOff" | "suspended";

export interface BuildParams {
  seed: number;
  vms: number;
  collectedAt: string;
  /** Containers per engine host, given how many Linux VMs could run an engine. */
  containerCounts: (candidates: number, rng: Rng) => number[];
  /** Guest discovery's facts for a share of the Linux VMs (guests.ts): the demo customers have them, the benchmark fleet not. */
  guests?: boolean;
  /** Measured use (utilisation.ts): the demo customers have it, the benchmark fleet not. */
  measuredUse?: boolean;
  /** When the use was measured (default collectedAt): the collector measures now, with the day's objects. */
  measuredAt?: string;
}

export interface Context {
  profile: Profile;
  rng: Rng;
  salt: number;
  baseMs: number;
  /** Ascending timestamps over the last 400 days, shared by containers as created/started times. */
  times: string[];
  catalogue: Map<string, CatalogueImage>;
  nameCounts: Map<string, number>;
  hostCount: number;
  containerCount: number;
}

export interface ClusterPlan {
  platform: Platform;
  datacenter: string;
  /** vSphere cluster; null on KVM, whose hosts are standalone libvirt hosts. */
  name: string | null;
  esxi: EsxiRelease | null;
  kvm: KvmStack | null;
  /** TPS re-enabled between VMs (Mem.ShareForceSalting=0): off by default since 2015 (domain.md). */
  tps: boolean;
  datastores: string[];
  vms: VmPlan[];
  hosts: HostPlan[];
}

export interface HostPlan {
  externalId: string;
  name: string;
  ordinal: number;
  cluster: ClusterPlan;
  cpu: CpuDef;
  memoryGiB: number;
  vendor: ServerVendor;
  /** Memory of the powered-on VMs placed here, all and Linux only (for TPS / KSM savings). */
  loadMemoryMiB: number;
  linuxMemoryMiB: number;
}

export interface VmPlan {
  cluster: ClusterPlan;
  os: OsDef;
  role: Role;
  power: PowerState;
  template: boolean;
  vcpus: number;
  memoryMiB: number;
  host: HostPlan | null;
}

/** Splits `total` by weights: floors, remainder to the first parts. */
export function apportion(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const parts = weights.map((w) => Math.floor((total * w) / sum));
  const remainder = total - parts.reduce((a, b) => a + b, 0);
  return parts.map((p, i) => (i < remainder ? p + 1 : p));
}

export function timePool(baseMs: number): string[] {
  const size = 256;
  return Array.from({ length: size }, (_, i) => {
    const age = 400 * DAY_MS * ((size - 1 - i) / (size - 1)) ** 2 + 3_600_000;
    return new Date(baseMs - age).toISOString();
  });
}

export function isoDaysAgo(ctx: Context, days: number): string {
  return new Date(ctx.baseMs - Math.round(days * DAY_MS)).toISOString();
}

export interface CatalogueImage {
  ref: string;
  shortId: string;
  repoTags: string[];
  repoDigests: string[];
  layers: LayerInput[];
  sizeBytes: number;
  createdAt: string;
}

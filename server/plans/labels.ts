/**
 * Migration plans' words, in one dependency-free module: the router, the exports and the pages
 * (client code) all read them from here.
 */
import type { VerdictValue } from "../analysis/labels";

export const WAVE_STATUSES = ["planned", "in_progress", "done", "rolled_back"] as const;
export type WaveStatus = (typeof WAVE_STATUSES)[number];
export const WAVE_STATUS_LABEL: Record<WaveStatus, string> = {
  planned: "Planned",
  in_progress: "In progress",
  done: "Done",
  rolled_back: "Rolled back",
};

/** Where a workload goes. "stay": it stays as it is (a VM stays a VM, a container on its engine). */
export const MIGRATION_TARGETS = ["container", "system-container", "kata", "stay", "kubevirt", "retire"] as const;
export type MigrationTarget = (typeof MIGRATION_TARGETS)[number];
export const TARGET_LABEL: Record<MigrationTarget, string> = {
  container: "Container",
  "system-container": "System container (LXD, Incus)",
  kata: "Kata Containers",
  stay: "Stay",
  kubevirt: "Rehost to KubeVirt",
  retire: "Retire",
};

/** The targets a kind of workload can have: a container is neither made a container nor rehosted as a VM. */
export const TARGETS_OF: Record<"vm" | "container", readonly MigrationTarget[]> = {
  vm: MIGRATION_TARGETS,
  container: ["kata", "stay", "retire"],
};

/** The target a verdict stands for: what a workload added to a plan gets unless a reason overrides it. */
export function targetOfVerdict(verdict: VerdictValue): MigrationTarget {
  return verdict === "to-container" ? "container" : verdict === "to-system-container" ? "system-container" : verdict === "to-kata" ? "kata" : "stay";
}

/** What a wave, a plan frees: net of what the targets cost (Kata's per-pod overhead). */
export interface PlanTotals {
  vcpus: number;
  ramMiB: number;
  diskMiB: number;
  hostsFreed: number;
  kataOverheadMiB: number;
}

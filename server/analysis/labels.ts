/**
 * The verdicts' values and their words, in one dependency-free module: the analyses, the CSV and
 * the pages (client code) all read them from here. A verdict value is never a workload kind ("vm",
 * "container"): a VM may get "to-container", and the verdicts table filters on both.
 */
/** "to-system-container": a VM moved whole (its init and services) into an LXD/Incus system container on a host's kernel. */
export const VERDICT_VALUES = ["to-container", "to-system-container", "to-kata", "stay-vm", "stay"] as const;
export type VerdictValue = (typeof VERDICT_VALUES)[number];

/** The verdicts that move a workload (and count in the savings). */
export const MOVE_VERDICTS: readonly VerdictValue[] = ["to-container", "to-system-container", "to-kata"];
export const isMove = (verdict: VerdictValue) => MOVE_VERDICTS.includes(verdict);

export const VERDICT_LABEL: Record<VerdictValue, string> = {
  "to-container": "Move to a container",
  "to-system-container": "Move to a system container",
  "to-kata": "Move to Kata Containers",
  "stay-vm": "Stay a VM",
  stay: "Stay as it is",
};

/** One word each, for the fleet table's "Container / Kata / VM / Stay" column. */
export const VERDICT_SHORT: Record<VerdictValue, string> = {
  "to-container": "Container",
  "to-system-container": "System container",
  "to-kata": "Kata",
  "stay-vm": "VM",
  stay: "Stay",
};

/**
 * What a VM is (its role), decided from the strongest evidence (server/analysis/roles/). Only a
 * general workload and a database server are candidates for a container; the others keep their
 * role's verdict (docs/domain.md#roles).
 */
export const ROLE_VALUES = [
  "template",
  "system",
  "nested-hypervisor",
  "appliance",
  "kubernetes-node",
  "container-host",
  "desktop",
  "database",
  "general",
] as const;
export type Role = (typeof ROLE_VALUES)[number];

export const ROLE_LABEL: Record<Role, string> = {
  template: "Template",
  system: "Solution-managed system VM",
  "nested-hypervisor": "Nested hypervisor",
  appliance: "Vendor appliance",
  "kubernetes-node": "Kubernetes node",
  "container-host": "Container host",
  desktop: "Desktop",
  database: "Database server",
  general: "General workload",
};

/** Roles whose VMs are candidates for a container or Kata; every other role keeps its VM. */
export const CANDIDATE_ROLES: readonly Role[] = ["general", "database"];

/**
 * Fit levels, as Google Migrate to Containers grades container fit (docs/domain.md#container-fit):
 * from excellent to no fit, and insufficient data when the evidence is not there to grade it.
 */
export const FIT_VALUES = ["excellent", "good", "minimal-work", "moderate-work", "major-work", "no-fit", "insufficient-data"] as const;
export type Fit = (typeof FIT_VALUES)[number];

export const FIT_LABEL: Record<Fit, string> = {
  excellent: "Excellent fit",
  good: "Good fit",
  "minimal-work": "Needs minimal work",
  "moderate-work": "Needs moderate work",
  "major-work": "Needs major work",
  "no-fit": "No fit",
  "insufficient-data": "Insufficient data",
};

/**
 * A verdict as a row shows it: a move graded "insufficient data" (configuration only) is a candidate,
 * never a firm move, and says what would confirm it.
 */
export function verdictLabelOf(verdict: VerdictValue, fit: Fit | null): string {
  const moves = verdict === "to-container" || verdict === "to-system-container" || verdict === "to-kata";
  return moves && fit === "insufficient-data" ? `${VERDICT_LABEL[verdict]}: candidate, needs guest discovery` : VERDICT_LABEL[verdict];
}

/** How much a piece of evidence weighs; "missing" says evidence that was looked for and is not there. */
export const STRENGTHS = ["strong", "moderate", "weak", "missing"] as const;
export type Strength = (typeof STRENGTHS)[number];

/** Where a piece of evidence was read. */
export const EVIDENCE_SOURCES = ["configuration", "guest tools", "container engine", "guest discovery", "name"] as const;
export type EvidenceSource = (typeof EVIDENCE_SOURCES)[number];

/** One piece of evidence a role or a verdict rests on: the field read, its value, how much it weighs. */
export interface Evidence {
  source: EvidenceSource;
  /** The inventory field read: "product.name", "managedBy", "guestOsId", "name", ... */
  field: string;
  value: string;
  strength: Strength;
  /** The role it points to, if any (a role's evidence may also list what points elsewhere). */
  supports: Role | null;
  /** The role rule that read it, when one did. */
  ruleId: string | null;
  /** What it says, or why it does not count ("contradicted by guestOsId ubuntu64Guest"). */
  note: string | null;
}

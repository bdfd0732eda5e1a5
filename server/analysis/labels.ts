/**
 * The verdicts' values and their words, in one dependency-free module: the analyses, the CSV and
 * the pages (client code) all read them from here. A verdict value is never a workload kind ("vm",
 * "container"): a VM may get "to-container", and the verdicts table filters on both.
 */
export const VERDICT_VALUES = ["to-container", "to-kata", "stay-vm", "stay"] as const;
export type VerdictValue = (typeof VERDICT_VALUES)[number];

export const VERDICT_LABEL: Record<VerdictValue, string> = {
  "to-container": "Move to a container",
  "to-kata": "Move to Kata Containers",
  "stay-vm": "Stay a VM",
  stay: "Stay as it is",
};

/** One word each, for the fleet table's "Container / Kata / VM / Stay" column. */
export const VERDICT_SHORT: Record<VerdictValue, string> = {
  "to-container": "Container",
  "to-kata": "Kata",
  "stay-vm": "VM",
  stay: "Stay",
};

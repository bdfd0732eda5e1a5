/**
 * The verdicts' values and their words, in one dependency-free module: the analyses, the CSV and
 * the pages (client code) all read them from here.
 */
export const VERDICT_VALUES = ["container", "kata", "vm", "stay"] as const;
export type VerdictValue = (typeof VERDICT_VALUES)[number];

export const VERDICT_LABEL: Record<VerdictValue, string> = {
  container: "Move to a container",
  kata: "Move to Kata Containers",
  vm: "Stay a VM",
  stay: "Stay as it is",
};

/**
 * The rule catalogue: every rule the analyses apply, each with all its properties in one entry of
 * one file by source (cis.ts, vm.ts, guest.ts, kata.ts). This index gathers them: the lists the analyses run,
 * the lookup by id, and the summaries the pages and the CSV show. docs/extending.md says how to add one.
 */
import { CONTAINER_RULES } from "./cis";
import { GUEST_RULES } from "./guest";
import { KATA_RULES } from "./kata";
import { LXD_RULES } from "./lxd";
import { describeRule, type RuleSummary } from "./rule";
import { UTILISATION_RULES } from "./utilisation";
import { VM_RULES } from "./vm";

export { CONTAINER_RULES, engineSockets, isKata, tenantOf, type ContainerContext } from "./cis";
export { KATA_RULES, type KataContext } from "./kata";
export { LXD_RULES, passthroughDevices, hostPathDisks, type LxdContext } from "./lxd";
export { VM_RULES, type VmContext } from "./vm";
export { UTILISATION_RULES, type UtilisationContext, type VmMeasure } from "./utilisation";
export { GUEST_RULES, worstFit, type GuestContext, type GuestRule, type GuestSubject } from "./guest";
export { attachmentKey, countDiskAttachments, FORKLIFT_RULES, forkliftOsSupport, minimumFreeMiB } from "./forklift";
export * from "./rule";
export * from "./sources";

/**
 * Every list, by the objects it runs on: containers (isolation), VMs (migration), containers bound for
 * Kata, and what guest discovery read inside a VM (its container fit, ./guest.ts).
 */
export const RULE_LISTS = { container: CONTAINER_RULES, lxd: LXD_RULES, vm: VM_RULES, kata: KATA_RULES, guest: GUEST_RULES, utilisation: UTILISATION_RULES } as const;

/** Every rule the analyses apply, by id: the one place titles, texts and sources are looked up. */
export const RULES_BY_ID: ReadonlyMap<string, RuleSummary> = new Map(
  [...CONTAINER_RULES, ...LXD_RULES, ...VM_RULES, ...GUEST_RULES, ...KATA_RULES, ...UTILISATION_RULES].map((r) => [r.id, describeRule(r)]),
);

/** Every rule, for the dashboard's rule table. */
export const ALL_RULES: RuleSummary[] = [...RULES_BY_ID.values()];

export const ruleTitle = (ruleId: string) => RULES_BY_ID.get(ruleId)?.title ?? ruleId;

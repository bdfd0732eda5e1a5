/**
 * The role of a VM: every role rule (./rules.ts) is read, and the role of the strongest evidence
 * wins; between equally strong evidence for different roles, the one first in ROLE_VALUES (a
 * template before a system VM before an appliance ...). A name rule is set aside when the VM's
 * configured OS contradicts it. A role that a rule says gives way (`refinedBy`) does so when the
 * other role has evidence too: a container host whose name is a Cluster API machine is a
 * Kubernetes node. With no evidence at all, a VM is a general workload, on its guest OS.
 */
import type { InventoryVirtualMachine } from "../inventory";
import { ROLE_LABEL, ROLE_VALUES, type Evidence, type Role, type Strength } from "../labels";
import { FIELDS, ROLE_RULES, type RoleContext, type RoleRule } from "./rules";

export interface RoleDecision {
  role: Role;
  roleLabel: string;
  /** What the role rests on first (strongest first), then what pointed elsewhere or was set aside. */
  evidence: Evidence[];
}

const WEIGHT: Record<Strength, number> = { strong: 3, moderate: 2, weak: 1, missing: 0 };

/** The guest OS as configured or reported: what a name rule's expected OS is checked against. */
function knownOs(vm: InventoryVirtualMachine): string[] {
  return [vm.guestOsId, vm.guestOsConfigured, vm.guestOsReported].filter((s): s is string => !!s);
}

interface Hit {
  rule: RoleRule;
  evidence: Evidence;
  counts: boolean;
}

function read(rule: RoleRule, vm: InventoryVirtualMachine, ctx: RoleContext): Hit | null {
  const field = FIELDS[rule.field];
  const value = field.read(vm, ctx).find((v) => (rule.pattern === null ? v !== "" : rule.pattern.test(v)));
  if (value === undefined) return null;
  let note: string | null = rule.label;
  let counts = true;
  if (rule.expectedOs) {
    const os = knownOs(vm);
    if (os.length > 0 && !os.some((o) => rule.expectedOs!.test(o))) {
      counts = false;
      note = `${rule.label}? set aside: the configured guest OS (${os[0]}) is not what it runs`;
    }
  }
  return {
    rule,
    counts,
    evidence: { source: field.source, field: rule.field, value, strength: rule.strength, supports: rule.role, ruleId: rule.id, note },
  };
}

export function classifyVm(vm: InventoryVirtualMachine, ctx: RoleContext, rules: readonly RoleRule[] = ROLE_RULES): RoleDecision {
  const hits = rules.map((rule) => read(rule, vm, ctx)).filter((h): h is Hit => h !== null);
  // One piece of evidence per rule and field value: the first rule to read a value for a role keeps it.
  const seen = new Set<string>();
  const unique = hits.filter((h) => {
    const id = `${h.rule.role}\u0000${h.rule.field}\u0000${h.evidence.value}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  const counted = unique.filter((h) => h.counts);
  const rank = (h: Hit) => WEIGHT[h.rule.strength] * 100 - ROLE_VALUES.indexOf(h.rule.role);
  const best = counted.reduce<Hit | null>((a, h) => (a === null || rank(h) > rank(a) ? h : a), null);

  let role: Role = best?.rule.role ?? "general";
  const refinedBy = best?.rule.refinedBy;
  if (refinedBy && counted.some((h) => h.rule.role === refinedBy)) role = refinedBy;

  const order = (h: Hit) => (h.counts ? 0 : 1) * 10 + (h.rule.role === role ? 0 : 1) * 5 + (3 - WEIGHT[h.rule.strength]);
  const evidence = [...unique].sort((a, b) => order(a) - order(b)).map((h) => h.evidence);
  if (role === "general") evidence.unshift(...generalEvidence(vm));
  return { role, roleLabel: ROLE_LABEL[role], evidence };
}

/** A general workload rests on the OS it runs and on nothing pointing elsewhere. */
function generalEvidence(vm: InventoryVirtualMachine): Evidence[] {
  const note = "no product, managing solution, role tag or attribute, or telling name points to another role";
  const base = { supports: "general" as const, ruleId: null, note };
  if (vm.guestOsId) return [{ ...base, source: "configuration", field: "guestOsId", value: vm.guestOsId, strength: "moderate" }];
  if (vm.guestOsConfigured) return [{ ...base, source: "configuration", field: "guestOsConfigured", value: vm.guestOsConfigured, strength: "moderate" }];
  if (vm.guestOsReported) return [{ ...base, source: "guest tools", field: "guestOsReported", value: vm.guestOsReported, strength: "moderate" }];
  return [{ ...base, source: "configuration", field: "guestOsId", value: "unknown", strength: "missing", note: "insufficient data: neither the configuration nor the guest tools say which OS runs" }];
}

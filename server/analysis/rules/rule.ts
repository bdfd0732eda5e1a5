/**
 * The shape of a rule, and how rules run. A rule is data: every property it has sits on it, in its
 * catalogue file (cis.ts, vm.ts, forklift.ts, kata.ts), and nowhere else. A rule's test returns false
 * when it does not fire, or true / a short detail when it does, or one detail per disk or filesystem. The finding records which rule fired on which
 * object; a verdict lists the findings that made it.
 */
import type { Source } from "./sources";

export const SEVERITIES = ["critical", "warning", "info"] as const;
/** Forklift's categories map one to one: Critical (a blocker), Warning, Information. */
export type Severity = (typeof SEVERITIES)[number];

export type ObjectKind = "vm" | "container" | "host";

/**
 * What a finding does to a VM's verdict: "vm" keeps it a VM, "kata" sends it to Kata Containers (its
 * own guest kernel), null leaves the verdict standing (work to do). A critical finding always keeps it.
 */
export type Effect = "vm" | "kata" | null;

export interface Rule<T, C> {
  /** Stable; upstream's own where there is one ("CIS-Docker-5.5", "vmware.disk.shared.detected"), else ours ("kata-host-network"). */
  id: string;
  title: string;
  severity: Severity;
  appliesTo: ObjectKind;
  /** Why it matters, in plain words (shown in the UI and the CSV). */
  text: string;
  /** Where the rule comes from; its facts are in the docs/domain.md section the source names. */
  source: Source;
  /** The upstream rule this one mirrors, by upstream's id (CIS recommendation, Forklift concern id); null for our own. */
  upstreamId: string | null;
  /** What, in the source, the rule reads or follows ("HostConfig.Privileged"), when it says more than the id. */
  sourceNote: string | null;
  effect: Effect;
  /** A finding that crosses the shared kernel: a container with one is exposed, and Kata would isolate it. */
  exposes: boolean;
  /**
   * Where the rule deliberately differs from the upstream rule it cites (an escalation to "stays a VM",
   * a wider trigger), what differs and why, shown with the rule in the UI; null when it does as upstream does.
   */
  deviation: string | null;
  /**
   * false: it does not fire; true or a detail: one finding; a list of details: one finding per item
   * (as Forklift raises one concern per disk or filesystem), none when the list is empty.
   */
  test: (object: T, context: C) => boolean | string | readonly string[];
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  objectKind: ObjectKind;
  objectKey: string;
  objectName: string;
  customer: string;
  /** What exactly fired, when the rule says more than its title ("SYS_ADMIN, NET_ADMIN"). */
  detail: string | null;
}

/** A rule without its test, for the pages, the CSV and the rule table. */
export interface RuleSummary {
  id: string;
  title: string;
  severity: Severity;
  appliesTo: ObjectKind;
  text: string;
  /** One line citing the source, its version, the upstream id and the docs/domain.md section. */
  source: string;
  sourceUrl: string | null;
  upstreamId: string | null;
  effect: Effect;
  exposes: boolean;
  deviation: string | null;
}

/** "CIS Docker Benchmark v1.6.0, 5.5 (HostConfig.Privileged); docs/domain.md#isolation-posture". */
export function citeRule(rule: { source: Source; upstreamId: string | null; sourceNote: string | null }): string {
  const { upstreamId: id, sourceNote: note } = rule;
  const what = id !== null && note !== null ? `${id} (${note})` : (id ?? note);
  const name = rule.source.version === null ? rule.source.name : `${rule.source.name} ${rule.source.version}`;
  return `${what === null ? name : `${name}, ${what}`}; ${rule.source.doc}`;
}

/** Any rule, whatever it runs on: what lists of different rules have in common. */
export type AnyRule = Rule<never, never>;

export const describeRule = (rule: AnyRule): RuleSummary => ({
  id: rule.id,
  title: rule.title,
  severity: rule.severity,
  appliesTo: rule.appliesTo,
  text: rule.text,
  source: citeRule(rule),
  sourceUrl: rule.source.url,
  upstreamId: rule.upstreamId,
  effect: rule.effect,
  exposes: rule.exposes,
  deviation: rule.deviation,
});

/** Runs rules over one object and returns its findings. */
export function evaluate<T extends { key: string; name: string; customer: string }, C>(
  rules: readonly Rule<T, C>[],
  object: T,
  context: C,
): Finding[] {
  const findings: Finding[] = [];
  for (const rule of rules) {
    const result = rule.test(object, context);
    if (result === false) continue;
    if (typeof result === "object") {
      for (const detail of result) {
        findings.push({ ruleId: rule.id, severity: rule.severity, objectKind: rule.appliesTo, objectKey: object.key, objectName: object.name, customer: object.customer, detail });
      }
      continue;
    }
    findings.push({
      ruleId: rule.id,
      severity: rule.severity,
      objectKind: rule.appliesTo,
      objectKey: object.key,
      objectName: object.name,
      customer: object.customer,
      detail: typeof result === "string" ? result : null,
    });
  }
  return findings;
}

export const severityRank = (s: Severity) => SEVERITIES.indexOf(s);

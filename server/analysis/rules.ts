/**
 * Rules are data: `{ id, title, severity, appliesTo, test, source, text }` (shared/architecture.md).
 * A rule's test returns false when it does not fire, or true / a short detail when it does. The
 * finding records which rule fired on which object; a verdict lists the findings that made it.
 */
export const SEVERITIES = ["critical", "warning", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

/* Migration rules' categories in Forklift's words map one to one: critical is a blocker. */

export type ObjectKind = "vm" | "container" | "host";

export interface Rule<T, C> {
  id: string;
  title: string;
  severity: Severity;
  appliesTo: ObjectKind;
  /** Why it matters, in plain words (shown in the UI and the CSV). */
  text: string;
  /** Where the rule comes from: CIS Docker Benchmark item, Forklift rule name, Kata limitation, ours. */
  source: string;
  test: (object: T, context: C) => boolean | string;
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

export interface RuleSummary {
  id: string;
  title: string;
  severity: Severity;
  appliesTo: ObjectKind;
  text: string;
  source: string;
}

export const describeRule = (rule: Omit<RuleSummary, never>): RuleSummary => ({
  id: rule.id,
  title: rule.title,
  severity: rule.severity,
  appliesTo: rule.appliesTo,
  text: rule.text,
  source: rule.source,
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

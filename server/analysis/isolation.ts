/**
 * Isolation posture. Containers share their host's kernel: each is checked against the container
 * rules (rules/cis.ts: CIS Docker Benchmark items, ids kept), and every engine host where different
 * tenants' containers share one kernel gets the finding that matters most. Each workload gets an isolation
 * level, and each host and customer a posture score explained by its findings (formula below, also
 * shown in the dashboard).
 */
import type { Inventory, InventoryContainer, InventoryHost } from "./inventory";
import type { Parameters } from "./parameters";
import { CONTAINER_RULES, evaluate, isKata, LXD_RULES, tenantOf, type ContainerContext, type Finding, type LxdContext, type Severity } from "./rules";

/**
 * What runs on an LXD system container: the LXD rules (rules/lxd.ts) and the shared-kernel tenancy
 * finding; the CIS Docker rules read docker inspect fields a system container does not have.
 */
const SYSTEM_CONTAINER_RULES = [...CONTAINER_RULES.filter((r) => r.id === "tenants-share-kernel"), ...LXD_RULES];

export const ISOLATION_LEVELS = ["privileged-container", "shared-kernel", "user-namespaced", "kata", "vm"] as const;
export type IsolationLevel = (typeof ISOLATION_LEVELS)[number];
export const ISOLATION_LEVEL_LABEL: Record<IsolationLevel, string> = {
  "privileged-container": "Privileged container",
  "shared-kernel": "Container on a shared kernel",
  "user-namespaced": "Rootless or user-namespaced container",
  kata: "Kata Containers (own guest kernel)",
  vm: "Full VM",
};

/** Weakest to strongest: privileged container < shared kernel < rootless/userns < Kata < full VM. */
export function isolationLevel(c: InventoryContainer, host: InventoryHost | null): IsolationLevel {
  if (isKata(c.runtime)) return "kata";
  if (c.privileged) return "privileged-container";
  // An unprivileged LXD container runs in its own user namespace (LXD's default).
  if (c.systemContainer) return "user-namespaced";
  const userns =
    (c.usernsMode !== null && c.usernsMode !== "" && c.usernsMode !== "host") ||
    host?.rootless === true ||
    (host?.securityOptions ?? []).some((o) => /name=userns/.test(o));
  return userns ? "user-namespaced" : "shared-kernel";
}

export interface ContainerPosture {
  key: string;
  level: IsolationLevel;
  tenant: string | null;
  findings: Finding[];
  score: number;
  /**
   * Counted in the scores and findings: running containers only, as docker-bench checks them. The
   * others keep their findings here, shown apart, with the reason.
   */
  scored: boolean;
  unscoredReason: string | null;
}

export interface HostPosture {
  hostKey: string;
  hostName: string;
  customer: string;
  containers: number;
  tenants: string[];
  /** Mean of its containers' scores; null for a host without containers. */
  score: number | null;
  findingsBySeverity: Record<Severity, number>;
}

export interface IsolationResult {
  containers: ContainerPosture[];
  hosts: HostPosture[];
  findings: Finding[];
  /** Mean of every running container's score; null without running containers. */
  score: number | null;
  /** Running containers: the ones scored. */
  scoredContainers: number;
  levels: Record<IsolationLevel, number>;
  /** VMs isolate with their own kernel: counted at the "vm" level. */
}

export const SCORE_FORMULA =
  "Only running containers are scored, as docker-bench checks them; the others are listed apart. Each container starts at 100 and loses, for every finding on it, the deduction of the finding's severity (critical, warning, info; see parameters), down to 0. A host's score is the mean of its containers' scores; a customer's is the mean over all its containers. Containers in Kata Containers are checked too, but do not count as sharing a kernel.";

export function containerScore(findings: Finding[], parameters: Parameters): number {
  const lost = findings.reduce((sum, f) => sum + parameters.scoreDeduction[f.severity], 0);
  return Math.max(0, 100 - lost);
}

export function analyseIsolation(inventory: Inventory, parameters: Parameters): IsolationResult {
  const hosts = new Map(inventory.hosts.map((h) => [h.key, h]));
  const images = new Map(inventory.images.map((i) => [i.key, i]));
  const byHost = new Map<string, InventoryContainer[]>();
  for (const c of inventory.containers) {
    const list = byHost.get(c.hostKey);
    if (list) list.push(c);
    else byHost.set(c.hostKey, [c]);
  }
  const containers: ContainerPosture[] = [];
  const hostPostures: HostPosture[] = [];
  const levels = Object.fromEntries(ISOLATION_LEVELS.map((l) => [l, 0])) as Record<IsolationLevel, number>;
  levels.vm = inventory.virtualMachines.filter((vm) => !vm.template).length;
  for (const [hostKey, list] of byHost) {
    const host = hosts.get(hostKey) ?? null;
    const tenants = [...new Set(list.filter((c) => !isKata(c.runtime)).map((c) => tenantOf(c, host)).filter((t) => t !== null))].sort();
    const context: ContainerContext = { host, tenantsOnHost: tenants };
    // Unprivileged system containers without security.idmap.isolated share one uid/gid map.
    // In code-point order of their names, once per host (the finding names the others in that order).
    const sharedIdmap = list
      .filter((c) => c.systemContainer && !c.privileged && !c.idmapIsolated)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const bySeverity: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
    let scoreSum = 0;
    let scoredOnHost = 0;
    for (const c of list) {
      const findings = c.systemContainer
        ? evaluate<InventoryContainer, LxdContext>(SYSTEM_CONTAINER_RULES, c, { ...context, sharedIdmapWith: sharedIdmap.filter((o) => o.key !== c.key).map((o) => o.name) })
        : evaluate(CONTAINER_RULES, c, { ...context, image: c.imageKey ? (images.get(c.imageKey) ?? null) : null });
      const score = containerScore(findings, parameters);
      const scored = c.state === "running";
      if (scored) {
        for (const f of findings) bySeverity[f.severity]++;
        scoreSum += score;
        scoredOnHost++;
      }
      const level = isolationLevel(c, host);
      levels[level]++;
      containers.push({
        key: c.key,
        level,
        tenant: tenantOf(c, host),
        findings,
        score,
        scored,
        unscoredReason: scored ? null : c.systemContainer ? `${c.state}, not running: only running containers are scored` : `${c.state}, not running: docker-bench checks running containers only`,
      });
    }
    hostPostures.push({
      hostKey,
      hostName: host?.name ?? hostKey,
      customer: host?.customer ?? list[0]!.customer,
      containers: list.length,
      tenants,
      score: scoredOnHost === 0 ? null : round1(scoreSum / scoredOnHost),
      findingsBySeverity: bySeverity,
    });
  }
  const scoredList = containers.filter((c) => c.scored);
  const findings = scoredList.flatMap((c) => c.findings);
  const score = scoredList.length === 0 ? null : round1(scoredList.reduce((s, c) => s + c.score, 0) / scoredList.length);
  hostPostures.sort((a, b) => (a.score ?? 101) - (b.score ?? 101) || a.hostName.localeCompare(b.hostName));
  return { containers, hosts: hostPostures, findings, score, scoredContainers: scoredList.length, levels };
}

export const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * Isolation posture. Containers share their host's kernel: each is checked against the CIS Docker
 * Benchmark items of shared/domain.md (ids kept), and every engine host where different tenants'
 * containers share one kernel gets the finding that matters most. Each workload gets an isolation
 * level, and each host and customer a posture score explained by its findings (formula below, also
 * shown in the dashboard).
 */
import type { Inventory, InventoryContainer, InventoryHost } from "./inventory";
import type { Parameters } from "./parameters";
import { evaluate, type Finding, type Rule, type Severity } from "./rules";

export interface ContainerContext {
  host: InventoryHost | null;
  /** Tenants whose shared-kernel containers run on this container's host (by the host's tenant label). */
  tenantsOnHost: string[];
}

const CIS = "CIS Docker Benchmark";
const SENSITIVE_DIRS = ["/", "/boot", "/dev", "/etc", "/lib", "/proc", "/sys", "/usr"];
const SOCKETS = /(^|\/)(docker|podman|containerd)\.sock$/;

export const isKata = (runtime: string | null) => runtime !== null && /kata/i.test(runtime);
const hostMode = (mode: string | null) => mode === "host";
const rootUser = (user: string | null) => {
  const name = (user ?? "").split(":")[0]!.trim();
  return name === "" || name === "0" || name === "root";
};
const bindSources = (c: InventoryContainer) => c.mounts.filter((m) => m.type === "bind" && m.source !== null).map((m) => m.source!);
/** Bind mounts of a container engine's socket (CIS 5.32; also what keeps a container out of Kata). */
export const engineSockets = (c: InventoryContainer) => bindSources(c).filter((s) => SOCKETS.test(s));
const normalPath = (p: string) => p.replace(/\/+/g, "/").replace(/(.)\/$/, "$1");

export const tenantOf = (container: InventoryContainer, host: InventoryHost | null): string | null => {
  const value = container.labels[host?.tenantLabel ?? "tenant"];
  return value && value.trim() !== "" ? value.trim() : null;
};

/** The container rules: CIS items by their number, plus the shared-kernel tenancy finding. */
export const CONTAINER_RULES: readonly Rule<InventoryContainer, ContainerContext>[] = [
  {
    id: "tenants-share-kernel",
    title: "Different tenants share this kernel",
    severity: "critical",
    appliesTo: "container",
    text: "Containers of different tenants run on one host kernel: one kernel exploit crosses every tenant on that host.",
    source: "shared/domain.md (isolation posture); tenant from the source's tenant label",
    test: (c, ctx) =>
      !isKata(c.runtime) && tenantOf(c, ctx.host) !== null && ctx.tenantsOnHost.length > 1 ? ctx.tenantsOnHost.join(", ") : false,
  },
  {
    id: "CIS-5.5",
    title: "Privileged container",
    severity: "critical",
    appliesTo: "container",
    text: "A privileged container has every capability and the host's devices: it is root on the host.",
    source: `${CIS} 5.5 (HostConfig.Privileged)`,
    test: (c) => c.privileged,
  },
  {
    id: "CIS-5.32",
    title: "Container engine socket mounted",
    severity: "critical",
    appliesTo: "container",
    text: "Whoever reaches the engine socket can start a privileged container: it is root on the host.",
    source: `${CIS} 5.32 (docker.sock mounted)`,
    test: (c) => {
      const found = engineSockets(c);
      return found.length > 0 ? found.join(", ") : false;
    },
  },
  {
    id: "CIS-5.6",
    title: "Sensitive host directory mounted",
    severity: "critical",
    appliesTo: "container",
    text: "Mounting /, /boot, /dev, /etc, /lib, /proc, /sys or /usr lets the container change or read the host.",
    source: `${CIS} 5.6`,
    test: (c) => {
      const found = bindSources(c).map(normalPath).filter((s) => SENSITIVE_DIRS.includes(s));
      return found.length > 0 ? [...new Set(found)].join(", ") : false;
    },
  },
  {
    id: "CIS-5.4",
    title: "Capabilities added",
    severity: "warning",
    appliesTo: "container",
    text: "Added Linux capabilities widen what a compromised process can do to the host.",
    source: `${CIS} 5.4 (HostConfig.CapAdd)`,
    test: (c) => (c.capAdd.length > 0 ? c.capAdd.join(", ") : false),
  },
  {
    id: "CIS-5.10",
    title: "Host network namespace",
    severity: "warning",
    appliesTo: "container",
    text: "The container sees and can bind every host interface.",
    source: `${CIS} 5.10 (NetworkMode host)`,
    test: (c) => hostMode(c.networkMode),
  },
  {
    id: "CIS-5.16",
    title: "Host PID namespace",
    severity: "warning",
    appliesTo: "container",
    text: "The container sees every host process and can signal them.",
    source: `${CIS} 5.16 (PidMode host)`,
    test: (c) => hostMode(c.pidMode),
  },
  {
    id: "CIS-5.17",
    title: "Host IPC namespace",
    severity: "warning",
    appliesTo: "container",
    text: "The container shares the host's shared memory and semaphores.",
    source: `${CIS} 5.17 (IpcMode host)`,
    test: (c) => hostMode(c.ipcMode),
  },
  {
    id: "CIS-5.21",
    title: "Host UTS namespace",
    severity: "warning",
    appliesTo: "container",
    text: "The container can change the host's hostname.",
    source: `${CIS} 5.21 (UTSMode host)`,
    test: (c) => hostMode(c.utsMode),
  },
  {
    id: "CIS-5.31",
    title: "Host user namespace",
    severity: "warning",
    appliesTo: "container",
    text: "User-namespace remapping is switched off for this container: its root is the host's root.",
    source: `${CIS} 5.31 (UsernsMode host)`,
    test: (c) => hostMode(c.usernsMode),
  },
  {
    id: "CIS-5.22",
    title: "Seccomp unconfined",
    severity: "warning",
    appliesTo: "container",
    text: "Without a seccomp profile every system call reaches the shared kernel.",
    source: `${CIS} 5.22 (SecurityOpt seccomp=unconfined)`,
    test: (c) => c.seccompProfile === "unconfined",
  },
  {
    id: "CIS-4.1",
    title: "Runs as root",
    severity: "warning",
    appliesTo: "container",
    text: "The process runs as root (Config.User empty, 0 or root): a breakout lands as root.",
    source: `${CIS} 4.1 (Config.User)`,
    test: (c) => rootUser(c.user),
  },
  {
    id: "CIS-5.11",
    title: "No memory limit",
    severity: "warning",
    appliesTo: "container",
    text: "Without a memory limit one container can starve the host (counted as unbounded, never as zero).",
    source: `${CIS} 5.11 (HostConfig.Memory = 0)`,
    test: (c) => c.memoryLimitBytes === 0,
  },
  {
    id: "CIS-5.12",
    title: "No CPU limit",
    severity: "info",
    appliesTo: "container",
    text: "Without CPU shares, a CPU quota or NanoCpus the container competes equally with the host's others.",
    source: `${CIS} 5.12 (CpuShares / NanoCpus)`,
    test: (c) => (c.cpuShares === 0 || c.cpuShares === 1024) && c.nanoCpus === 0 && c.cpuQuota <= 0,
  },
  {
    id: "CIS-5.29",
    title: "No PIDs limit",
    severity: "info",
    appliesTo: "container",
    text: "Without a PIDs limit a fork bomb in the container exhausts the host's process table.",
    source: `${CIS} 5.29 (PidsLimit)`,
    test: (c) => c.pidsLimit === null || c.pidsLimit <= 0,
  },
  {
    id: "CIS-5.13",
    title: "Root filesystem writable",
    severity: "info",
    appliesTo: "container",
    text: "A writable root filesystem lets an intruder change the container's binaries.",
    source: `${CIS} 5.13 (ReadonlyRootfs)`,
    test: (c) => !c.readOnlyRootfs,
  },
  {
    id: "CIS-5.26",
    title: "no-new-privileges not set",
    severity: "info",
    appliesTo: "container",
    text: "setuid binaries inside the container can still raise privileges.",
    source: `${CIS} 5.26 (SecurityOpt no-new-privileges)`,
    test: (c) => !c.noNewPrivileges,
  },
];

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
  /** Mean of every container's score; null without containers. */
  score: number | null;
  levels: Record<IsolationLevel, number>;
  /** VMs isolate with their own kernel: counted at the "vm" level. */
}

export const SCORE_FORMULA =
  "Each container starts at 100 and loses, for every finding on it, the deduction of the finding's severity (critical, warning, info; see parameters), down to 0. A host's score is the mean of its containers' scores; a customer's is the mean over all its containers. Containers in Kata Containers are checked too, but do not count as sharing a kernel.";

export function containerScore(findings: Finding[], parameters: Parameters): number {
  const lost = findings.reduce((sum, f) => sum + parameters.scoreDeduction[f.severity], 0);
  return Math.max(0, 100 - lost);
}

export function analyseIsolation(inventory: Inventory, parameters: Parameters): IsolationResult {
  const hosts = new Map(inventory.hosts.map((h) => [h.key, h]));
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
    const bySeverity: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
    let scoreSum = 0;
    for (const c of list) {
      const findings = evaluate(CONTAINER_RULES, c, context);
      for (const f of findings) bySeverity[f.severity]++;
      const score = containerScore(findings, parameters);
      scoreSum += score;
      const level = isolationLevel(c, host);
      levels[level]++;
      containers.push({ key: c.key, level, tenant: tenantOf(c, host), findings, score });
    }
    hostPostures.push({
      hostKey,
      hostName: host?.name ?? hostKey,
      customer: host?.customer ?? list[0]!.customer,
      containers: list.length,
      tenants,
      score: round1(scoreSum / list.length),
      findingsBySeverity: bySeverity,
    });
  }
  const findings = containers.flatMap((c) => c.findings);
  const score = containers.length === 0 ? null : round1(containers.reduce((s, c) => s + c.score, 0) / containers.length);
  hostPostures.sort((a, b) => (a.score ?? 101) - (b.score ?? 101) || a.hostName.localeCompare(b.hostName));
  return { containers, hosts: hostPostures, findings, score, levels };
}

export const round1 = (n: number) => Math.round(n * 10) / 10;

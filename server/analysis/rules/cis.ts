/**
 * Isolation rules over containers: the CIS Docker Benchmark items that read `docker inspect` fields
 * (ids as docker-bench-security numbers them, docs/domain.md#isolation-posture), plus the finding that
 * matters most: different tenants' containers on one kernel.
 */
import { DEFAULT_TENANT_LABEL, type InventoryContainer, type InventoryHost } from "../inventory";
import type { Rule } from "./rule";
import { CIS, DOMAIN, ours } from "./sources";

export interface ContainerContext {
  host: InventoryHost | null;
  /** Tenants whose shared-kernel containers run on this container's host (by the host's tenant label). */
  tenantsOnHost: string[];
}

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
  const value = container.labels[host?.tenantLabel ?? DEFAULT_TENANT_LABEL];
  return value && value.trim() !== "" ? value.trim() : null;
};

/**
 * The container rules: CIS items by their number, plus the shared-kernel tenancy finding. A rule that
 * `exposes` crosses the shared kernel: a container with its finding is a candidate for Kata.
 */
export const CONTAINER_RULES: readonly Rule<InventoryContainer, ContainerContext>[] = [
  {
    id: "tenants-share-kernel",
    title: "Different tenants share this kernel",
    severity: "critical",
    appliesTo: "container",
    text: "Containers of different tenants run on one host kernel: one kernel exploit crosses every tenant on that host.",
    source: ours(DOMAIN.isolation),
    upstreamId: null,
    sourceNote: "tenant from the source's tenant label",
    effect: null,
    exposes: true,
    deviation: null,
    test: (c, ctx) =>
      !isKata(c.runtime) && tenantOf(c, ctx.host) !== null && ctx.tenantsOnHost.length > 1 ? ctx.tenantsOnHost.join(", ") : false,
  },
  {
    id: "CIS-5.5",
    title: "Privileged container",
    severity: "critical",
    appliesTo: "container",
    text: "A privileged container has every capability and the host's devices: it is root on the host.",
    source: CIS,
    upstreamId: "5.5",
    sourceNote: "HostConfig.Privileged",
    effect: null,
    exposes: true,
    deviation: null,
    test: (c) => c.privileged,
  },
  {
    id: "CIS-5.32",
    title: "Container engine socket mounted",
    severity: "critical",
    appliesTo: "container",
    text: "Whoever reaches the engine socket can start a privileged container: it is root on the host.",
    source: CIS,
    upstreamId: "5.32",
    sourceNote: "docker.sock mounted",
    effect: null,
    exposes: true,
    deviation: null,
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
    source: CIS,
    upstreamId: "5.6",
    sourceNote: null,
    effect: null,
    exposes: true,
    deviation: null,
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
    source: CIS,
    upstreamId: "5.4",
    sourceNote: "HostConfig.CapAdd",
    effect: null,
    exposes: true,
    deviation: null,
    test: (c) => (c.capAdd.length > 0 ? c.capAdd.join(", ") : false),
  },
  {
    id: "CIS-5.10",
    title: "Host network namespace",
    severity: "warning",
    appliesTo: "container",
    text: "The container sees and can bind every host interface.",
    source: CIS,
    upstreamId: "5.10",
    sourceNote: "NetworkMode host",
    effect: null,
    exposes: true,
    deviation: null,
    test: (c) => hostMode(c.networkMode),
  },
  {
    id: "CIS-5.16",
    title: "Host PID namespace",
    severity: "warning",
    appliesTo: "container",
    text: "The container sees every host process and can signal them.",
    source: CIS,
    upstreamId: "5.16",
    sourceNote: "PidMode host",
    effect: null,
    exposes: true,
    deviation: null,
    test: (c) => hostMode(c.pidMode),
  },
  {
    id: "CIS-5.17",
    title: "Host IPC namespace",
    severity: "warning",
    appliesTo: "container",
    text: "The container shares the host's shared memory and semaphores.",
    source: CIS,
    upstreamId: "5.17",
    sourceNote: "IpcMode host",
    effect: null,
    exposes: true,
    deviation: null,
    test: (c) => hostMode(c.ipcMode),
  },
  {
    id: "CIS-5.21",
    title: "Host UTS namespace",
    severity: "warning",
    appliesTo: "container",
    text: "The container can change the host's hostname.",
    source: CIS,
    upstreamId: "5.21",
    sourceNote: "UTSMode host",
    effect: null,
    exposes: true,
    deviation: null,
    test: (c) => hostMode(c.utsMode),
  },
  {
    id: "CIS-5.31",
    title: "Host user namespace",
    severity: "warning",
    appliesTo: "container",
    text: "User-namespace remapping is switched off for this container: its root is the host's root.",
    source: CIS,
    upstreamId: "5.31",
    sourceNote: "UsernsMode host",
    effect: null,
    exposes: true,
    deviation: null,
    test: (c) => hostMode(c.usernsMode),
  },
  {
    id: "CIS-5.22",
    title: "Seccomp unconfined",
    severity: "warning",
    appliesTo: "container",
    text: "Without a seccomp profile every system call reaches the shared kernel.",
    source: CIS,
    upstreamId: "5.22",
    sourceNote: "SecurityOpt seccomp=unconfined",
    effect: null,
    exposes: true,
    deviation: null,
    test: (c) => c.seccompProfile === "unconfined",
  },
  {
    id: "CIS-4.1",
    title: "Runs as root",
    severity: "warning",
    appliesTo: "container",
    text: "The process runs as root (Config.User empty, 0 or root): a breakout lands as root.",
    source: CIS,
    upstreamId: "4.1",
    sourceNote: "Config.User",
    effect: null,
    exposes: false,
    deviation: null,
    test: (c) => rootUser(c.user),
  },
  {
    id: "CIS-5.11",
    title: "No memory limit",
    severity: "warning",
    appliesTo: "container",
    text: "Without a memory limit one container can starve the host (counted as unbounded, never as zero).",
    source: CIS,
    upstreamId: "5.11",
    sourceNote: "HostConfig.Memory = 0",
    effect: null,
    exposes: false,
    deviation: null,
    test: (c) => c.memoryLimitBytes === 0,
  },
  {
    id: "CIS-5.12",
    title: "No CPU limit",
    severity: "info",
    appliesTo: "container",
    text: "Without CPU shares, a CPU quota or NanoCpus the container competes equally with the host's others.",
    source: CIS,
    upstreamId: "5.12",
    sourceNote: "CpuShares / NanoCpus",
    effect: null,
    exposes: false,
    deviation: null,
    test: (c) => (c.cpuShares === 0 || c.cpuShares === 1024) && c.nanoCpus === 0 && c.cpuQuota <= 0,
  },
  {
    id: "CIS-5.29",
    title: "No PIDs limit",
    severity: "info",
    appliesTo: "container",
    text: "Without a PIDs limit a fork bomb in the container exhausts the host's process table.",
    source: CIS,
    upstreamId: "5.29",
    sourceNote: "PidsLimit",
    effect: null,
    exposes: false,
    deviation: null,
    test: (c) => c.pidsLimit === null || c.pidsLimit <= 0,
  },
  {
    id: "CIS-5.13",
    title: "Root filesystem writable",
    severity: "info",
    appliesTo: "container",
    text: "A writable root filesystem lets an intruder change the container's binaries.",
    source: CIS,
    upstreamId: "5.13",
    sourceNote: "ReadonlyRootfs",
    effect: null,
    exposes: false,
    deviation: null,
    test: (c) => !c.readOnlyRootfs,
  },
  {
    id: "CIS-5.26",
    title: "no-new-privileges not set",
    severity: "info",
    appliesTo: "container",
    text: "setuid binaries inside the container can still raise privileges.",
    source: CIS,
    upstreamId: "5.26",
    sourceNote: "SecurityOpt no-new-privileges",
    effect: null,
    exposes: false,
    deviation: null,
    test: (c) => !c.noNewPrivileges,
  },
];

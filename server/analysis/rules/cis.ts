/**
 * Isolation rules over containers: the CIS Docker Benchmark items that read `docker inspect` fields,
 * as docker-bench-security v1.6.1 checks them (its ids, its conditions: docs/domain.md#isolation-posture),
 * plus the finding that matters most: different tenants' containers on one kernel.
 *
 * docker-bench checks running containers only (section 5 and 4.1 loop over `docker ps`): the
 * isolation analysis scores running containers and shows the others apart (isolation.ts). Where a
 * rule deliberately differs from docker-bench's check, its `deviation` says how and why.
 */
import { DEFAULT_TENANT_LABEL, type InventoryContainer, type InventoryHost, type InventoryImage } from "../inventory";
import type { Rule } from "./rule";
import { CIS, CIS_IMAGES, DOMAIN, ours } from "./sources";

export interface ContainerContext {
  host: InventoryHost | null;
  /** Tenants whose shared-kernel containers run on this container's host (by the host's tenant label). */
  tenantsOnHost: string[];
  /** The container's image, when it was collected (CIS 4.6 reads its HEALTHCHECK). */
  image?: InventoryImage | null;
}

/** docker-bench 5.6's list, each matched as a whole path (its `\s$dir\s` in `{{ .Mounts }}`). */
export const SENSITIVE_DIRS = ["/", "/boot", "/dev", "/etc", "/lib", "/proc", "/sys", "/usr"];
/**
 * Docker's default capabilities (moby's oci/caps/defaults.go), which docker-bench 5.4 strips from
 * CapAdd before it warns: adding one of them adds nothing.
 */
export const DEFAULT_CAPABILITIES = [
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "NET_RAW",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
];
const DEFAULT_CAPABILITY_SET = new Set(DEFAULT_CAPABILITIES);
/** Container engine sockets: docker-bench looks for "docker.sock"; Podman's and containerd's give the same power. */
const ENGINE_SOCKET = /(docker|podman|containerd)\.sock/;

export const isKata = (runtime: string | null) => runtime !== null && /kata/i.test(runtime);
const hostMode = (mode: string | null) => mode === "host";
const rootUser = (user: string | null) => {
  const name = (user ?? "").split(":")[0]!.trim();
  return name === "" || name === "0" || name === "root";
};
export const normalPath = (p: string) => p.replace(/\/+/g, "/").replace(/(.)\/$/, "$1");
const mountPaths = (m: InventoryContainer["mounts"][number]) =>
  [m.source, m.destination].filter((p): p is string => p !== null).map(normalPath);

/** Mounts that name a container engine's socket, source or destination (CIS 5.32; also what keeps a container out of Kata). */
export const engineSockets = (c: InventoryContainer) => [
  ...new Set(c.mounts.flatMap((m) => mountPaths(m).filter((p) => ENGINE_SOCKET.test(p)))),
];

/** CapAdd without Docker's default capabilities, upper case and without "CAP_" (docker-bench 5.4). */
export const addedCapabilities = (capAdd: readonly string[]) =>
  capAdd.map((c) => c.trim().toUpperCase().replace(/^CAP_/, "")).filter((c) => c !== "" && !DEFAULT_CAPABILITY_SET.has(c));

/** HostConfig.Devices only: the collector lists GPU device requests too, as "request=...". */
export const hostDevices = (c: InventoryContainer) => c.devices.filter((d) => !d.startsWith("request="));

/** The /info security options say the engine runs with this LSM ("name=apparmor", "name=selinux"); null when /info said none. */
const hostHasLsm = (host: InventoryHost | null, lsm: "apparmor" | "selinux"): boolean | null => {
  const options = host?.securityOptions ?? [];
  if (options.length === 0) return null;
  return options.some((o) => o.split(",").includes(`name=${lsm}`));
};

/** The tenant label's value; for an LXD system container without one, its project (a tenancy boundary). */
export const tenantOf = (container: InventoryContainer, host: InventoryHost | null): string | null => {
  const value = container.labels[host?.tenantLabel ?? DEFAULT_TENANT_LABEL];
  if (value && value.trim() !== "") return value.trim();
  return container.systemContainer && container.project ? `project ${container.project}` : null;
};

const cis = (
  id: string,
  rule: Omit<Rule<InventoryContainer, ContainerContext>, "id" | "appliesTo" | "source" | "upstreamId" | "effect"> & { source?: typeof CIS },
): Rule<InventoryContainer, ContainerContext> => ({
  id: `CIS-Docker-${id}`,
  appliesTo: "container",
  upstreamId: id,
  effect: null,
  ...rule,
  source: rule.source ?? CIS,
});

/**
 * The container rules: CIS items by their docker-bench v1.6.1 number, plus the shared-kernel tenancy
 * finding. A rule that `exposes` crosses the shared kernel: a container with its finding is a
 * candidate for Kata. Severities and `exposes` are Fleetlens' own (docker-bench says WARN or INFO).
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
    sourceNote: "tenant from the source's tenant label (an LXD system container without one: its project)",
    effect: null,
    exposes: true,
    deviation: null,
    test: (c, ctx) =>
      !isKata(c.runtime) && tenantOf(c, ctx.host) !== null && ctx.tenantsOnHost.length > 1 ? ctx.tenantsOnHost.join(", ") : false,
  },
  cis("5.5", {
    title: "Privileged container",
    severity: "critical",
    text: "A privileged container has every capability and the host's devices: it is root on the host.",
    sourceNote: "HostConfig.Privileged",
    exposes: true,
    deviation: null,
    test: (c) => c.privileged,
  }),
  cis("5.32", {
    title: "Container engine socket mounted",
    severity: "critical",
    text: "Whoever reaches the engine socket can start a privileged container: it is root on the host.",
    sourceNote: "docker.sock anywhere in {{ .Mounts }}",
    exposes: true,
    deviation:
      "Also podman.sock and containerd.sock (the same root-equivalent API; docker-bench greps for docker.sock only). Matched in mount sources and destinations; docker-bench's grep would also match a volume or driver name containing docker.sock.",
    test: (c) => {
      const found = engineSockets(c);
      return found.length > 0 ? found.join(", ") : false;
    },
  }),
  cis("5.6", {
    title: "Sensitive host directory mounted read-write",
    severity: "critical",
    text: "A read-write mount of /, /boot, /dev, /etc, /lib, /proc, /sys or /usr lets the container change the host.",
    sourceNote: "a read-write mount whose source or destination is one of the 8 directories",
    exposes: true,
    deviation:
      "Each mount is checked on its own: docker-bench's greedy pattern over the whole {{ .Mounts }} line can pair a read-only sensitive mount with another mount's read-write flag.",
    test: (c) => {
      const found = c.mounts.filter((m) => !m.readOnly).flatMap((m) => mountPaths(m).filter((p) => SENSITIVE_DIRS.includes(p)));
      return found.length > 0 ? [...new Set(found)].join(", ") : false;
    },
  }),
  cis("5.4", {
    title: "Capabilities added beyond Docker's defaults",
    severity: "warning",
    text: "Capabilities beyond Docker's default set widen what a compromised process can do to the host (adding a default one, e.g. NET_BIND_SERVICE after --cap-drop ALL, adds nothing).",
    sourceNote: "HostConfig.CapAdd less the 14 default capabilities",
    exposes: true,
    deviation: null,
    test: (c) => {
      const added = addedCapabilities(c.capAdd);
      return added.length > 0 ? added.join(", ") : false;
    },
  }),
  cis("5.10", {
    title: "Host network namespace",
    severity: "warning",
    text: "The container sees and can bind every host interface.",
    sourceNote: "NetworkMode host",
    exposes: true,
    deviation: null,
    test: (c) => hostMode(c.networkMode),
  }),
  cis("5.16", {
    title: "Host PID namespace",
    severity: "warning",
    text: "The container sees every host process and can signal them.",
    sourceNote: "PidMode host",
    exposes: true,
    deviation: null,
    test: (c) => hostMode(c.pidMode),
  }),
  cis("5.17", {
    title: "Host IPC namespace",
    severity: "warning",
    text: "The container shares the host's shared memory and semaphores.",
    sourceNote: "IpcMode host",
    exposes: true,
    deviation: null,
    test: (c) => hostMode(c.ipcMode),
  }),
  cis("5.21", {
    title: "Host UTS namespace",
    severity: "warning",
    text: "The container can change the host's hostname.",
    sourceNote: "UTSMode host",
    exposes: true,
    deviation: null,
    test: (c) => hostMode(c.utsMode),
  }),
  cis("5.31", {
    title: "Host user namespace",
    severity: "warning",
    text: "User-namespace remapping is switched off for this container: its root is the host's root.",
    sourceNote: "UsernsMode contains host",
    exposes: true,
    deviation: null,
    test: (c) => /host/i.test(c.usernsMode ?? ""),
  }),
  cis("5.22", {
    title: "Seccomp unconfined",
    severity: "warning",
    text: "Without a seccomp profile every system call reaches the shared kernel.",
    sourceNote: "SecurityOpt seccomp=unconfined or seccomp:unconfined",
    exposes: true,
    deviation: null,
    // SecurityOpt as given: a privileged container runs without seccomp too, but that is 5.5's finding.
    test: (c) => c.securityOptions.some((o) => /seccomp[:=]unconfined/.test(o)),
  }),
  cis("5.2", {
    title: "No AppArmor profile",
    severity: "info",
    text: "The container runs without an AppArmor profile (none, or unconfined) on an engine that has AppArmor.",
    sourceNote: "AppArmorProfile empty or unconfined",
    exposes: false,
    deviation:
      "Only where the engine's /info security options list AppArmor (or list nothing): docker-bench warns on every host, the benchmark says \"if applicable\", and on a host without AppArmor no container can have a profile.",
    test: (c, ctx) => hostHasLsm(ctx.host, "apparmor") !== false && (c.apparmorProfile === null || c.apparmorProfile === "unconfined"),
  }),
  cis("5.3", {
    title: "No security options (SELinux)",
    severity: "info",
    text: "The container was started with no --security-opt at all, so no SELinux label either, on an engine that has SELinux.",
    sourceNote: "HostConfig.SecurityOpt empty",
    exposes: false,
    deviation:
      "Only where the engine's /info security options list SELinux (or list nothing): docker-bench warns on every host, the benchmark says \"if applicable\".",
    test: (c, ctx) => hostHasLsm(ctx.host, "selinux") !== false && c.securityOptions.length === 0,
  }),
  cis("5.8", {
    title: "Privileged host port mapped",
    severity: "info",
    text: "A host port below 1025 is published for the container.",
    sourceNote: "docker port: host port < 1025",
    exposes: false,
    deviation: null,
    test: (c) => {
      const low = [...new Set(c.ports.filter((p) => p.hostPort !== null && p.hostPort < 1025).map((p) => p.hostPort))];
      return low.length > 0 ? low.join(", ") : false;
    },
  }),
  cis("5.14", {
    title: "Port published on every interface",
    severity: "info",
    text: "A published port listens on 0.0.0.0 (every host interface) rather than one address.",
    sourceNote: "docker port: host IP 0.0.0.0",
    exposes: false,
    deviation: "A binding with no host IP counts as 0.0.0.0 (how the engine binds it, and how docker port prints it).",
    test: (c) => {
      const open = c.ports.filter((p) => p.hostPort !== null && (p.hostIp === null || p.hostIp === "0.0.0.0"));
      return open.length > 0 ? [...new Set(open.map((p) => `0.0.0.0:${p.hostPort}`))].join(", ") : false;
    },
  }),
  cis("5.15", {
    title: "Restart retries above 5",
    severity: "info",
    text: "The on-failure restart policy retries more than 5 times: a crashing container keeps the host busy.",
    sourceNote: "HostConfig.RestartPolicy.MaximumRetryCount > 5",
    exposes: false,
    deviation: "Swarm services' MaxAttempts, which docker-bench reads on a swarm node, are not collected.",
    test: (c) => {
      const retries = Number(/^on-failure:(\d+)$/.exec(c.restartPolicy ?? "")?.[1] ?? 0);
      return retries > 5 ? `on-failure:${retries}` : false;
    },
  }),
  cis("5.18", {
    title: "Host devices exposed",
    severity: "info",
    text: "Host devices are passed into the container directly (--device).",
    sourceNote: "HostConfig.Devices (docker-bench: INFO)",
    exposes: false,
    deviation: null,
    test: (c) => {
      const devices = hostDevices(c);
      return devices.length > 0 ? devices.join(", ") : false;
    },
  }),
  cis("5.20", {
    title: "Shared mount propagation",
    severity: "warning",
    text: "A mount propagates mounts between the container and the host (shared or rshared).",
    sourceNote: "Mounts Propagation shared",
    exposes: false,
    deviation: null,
    test: (c) => {
      const shared = c.mounts.filter((m) => /shared/.test(m.propagation ?? "")).map((m) => `${m.destination} (${m.propagation})`);
      return shared.length > 0 ? shared.join(", ") : false;
    },
  }),
  cis("5.27", {
    title: "No health check",
    severity: "info",
    text: "The container has no health check: the engine cannot tell when it stops working.",
    sourceNote: "State.Health not set",
    exposes: false,
    deviation: null,
    test: (c) => c.health === null,
  }),
  cis("4.1", {
    title: "Runs as root",
    severity: "warning",
    text: "The process runs as root (Config.User empty, 0 or root): a breakout lands as root.",
    sourceNote: "Config.User",
    exposes: false,
    deviation: "The user part before \":\" is read, so 0:0, root:root and 0:1000 count as root too (docker-bench compares the whole string with 0, root or empty).",
    test: (c) => rootUser(c.user),
  }),
  cis("4.6", {
    title: "Image has no HEALTHCHECK",
    severity: "info",
    text: "The container's image has no HEALTHCHECK instruction.",
    sourceNote: "image Config.Healthcheck <nil>",
    source: CIS_IMAGES,
    exposes: false,
    deviation:
      "Reported on each running container whose image lacks one, not on every image: docker-bench lists all images, used or not; Fleetlens' findings are per workload. Silent when the engine did not say (an image collected before this was stored).",
    test: (_c, ctx) => (ctx.image?.healthcheck === false ? (ctx.image.repoTags[0] ?? ctx.image.externalId.slice(0, 19)) : false),
  }),
  cis("5.11", {
    title: "No memory limit",
    severity: "warning",
    text: "Without a memory limit one container can starve the host (counted as unbounded, never as zero).",
    sourceNote: "HostConfig.Memory = 0",
    exposes: false,
    deviation: null,
    test: (c) => c.memoryLimitBytes === 0,
  }),
  cis("5.12", {
    title: "No CPU priority or limit",
    severity: "info",
    text: "Neither CPU shares nor a CPU count (NanoCpus) is set: the container competes equally with the host's others.",
    sourceNote: "HostConfig.CpuShares = 0 and NanoCpus = 0",
    exposes: false,
    deviation: null,
    test: (c) => c.cpuShares === 0 && c.nanoCpus === 0,
  }),
  cis("5.29", {
    title: "No PIDs limit",
    severity: "info",
    text: "Without a PIDs limit a fork bomb in the container exhausts the host's process table.",
    sourceNote: "PidsLimit 0, -1 or unset",
    exposes: false,
    deviation: null,
    test: (c) => c.pidsLimit === null || c.pidsLimit === 0 || c.pidsLimit === -1,
  }),
  cis("5.13", {
    title: "Root filesystem writable",
    severity: "info",
    text: "A writable root filesystem lets an intruder change the container's binaries.",
    sourceNote: "ReadonlyRootfs",
    exposes: false,
    deviation: null,
    test: (c) => !c.readOnlyRootfs,
  }),
  cis("5.26", {
    title: "no-new-privileges not set",
    severity: "info",
    text: "setuid binaries inside the container can still raise privileges (neither the container nor the daemon sets no-new-privileges).",
    sourceNote: "SecurityOpt no-new-privileges, or the daemon's --no-new-privileges",
    exposes: false,
    deviation:
      "SecurityOpt no-new-privileges=false does not count (docker-bench's grep counts it). The daemon's setting is not in the Engine API: the source says it (option daemonNoNewPrivileges, --daemon-no-new-privileges); unsaid, containers are checked one by one.",
    test: (c, ctx) => ctx.host?.daemonNoNewPrivileges !== true && !c.noNewPrivileges,
  }),
];

/**
 * What keeps an exposed container out of Kata Containers, and what moving it changes
 * (docs/domain.md#kata-containers; kata-containers docs/Limitations.md at main). These rules run
 * only on a container that would move there; a critical one keeps it where it is.
 *
 * Privileged containers run in Kata, elevated inside the guest and with the guest's devices: that is
 * said (info), and only a workload that needs the host's own devices is kept out. GPUs are passed
 * through (kata-deploy's GPU classes, with their overhead: kata-overhead.ts).
 */
import type { InventoryContainer, InventoryHost } from "../inventory";
import { engineSockets, hostDevices, normalPath } from "./cis";
import type { Rule } from "./rule";
import { ENGINE_API, KATA, type Source } from "./sources";

export interface KataContext {
  host: InventoryHost | null;
}

/** Runtime issues Limitations.md does not summarise: same source, the issue named in sourceNote. */
const KATA_RUNTIME_ISSUES: Source = { ...KATA, name: "Kata Containers runtime issues (label limitation)", url: "https://github.com/kata-containers/runtime/issues/493" };

/**
 * Files under /proc a bind mount may target in Kata (Limitations.md, "Mounting procfs and sysfs":
 * the ones LXCFS-style tools overlay); any other bind to /proc or below makes the container fail to start.
 */
export const KATA_PROC_ALLOWED = ["/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps", "/proc/uptime", "/proc/loadavg", "/proc/net/dev"];

const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

/** Binds of host paths under /dev: in Kata the path is mounted from the guest's /dev, not the host's. */
export const devBinds = (c: InventoryContainer) =>
  c.mounts.filter((m) => m.type === "bind" && m.source !== null && under(normalPath(m.source), "/dev")).map((m) => normalPath(m.source!));

/** Bind mounts onto /proc or below, outside Kata's allow-list. */
export const procBinds = (c: InventoryContainer) =>
  c.mounts
    .filter((m) => m.type === "bind" && under(normalPath(m.destination), "/proc") && !KATA_PROC_ALLOWED.includes(normalPath(m.destination)))
    .map((m) => normalPath(m.destination));

/** GPU device requests (--gpus): the collector lists them as "request=<driver>:...". */
export const gpuRequests = (c: InventoryContainer) => c.devices.filter((d) => d.startsWith("request="));

export const KATA_RULES: readonly Rule<InventoryContainer, KataContext>[] = [
  {
    id: "kata-host-network",
    title: "Kata: host network not supported",
    severity: "critical",
    appliesTo: "container",
    text: "Kata cannot give a container the host's network (--net=host) and may break host networking.",
    source: KATA,
    upstreamId: "docker --net=host",
    sourceNote: null,
    effect: null,
    exposes: false,
    deviation: null,
    test: (c) => c.networkMode === "host",
  },
  {
    id: "kata-container-network",
    title: "Kata: joining another container's network not supported",
    severity: "critical",
    appliesTo: "container",
    text: "--net=container:… is not supported in Kata: the Kata VM would take the other container's interfaces.",
    source: KATA,
    upstreamId: "Support for joining an existing VM network",
    sourceNote: null,
    effect: null,
    exposes: false,
    deviation: null,
    test: (c) => (c.networkMode?.startsWith("container:") ? c.networkMode : false),
  },
  {
    id: "kata-link",
    title: "Kata: --link not supported",
    severity: "critical",
    appliesTo: "container",
    text: "docker run --link is not supported by Kata (and deprecated by Docker): the link must become a user-defined network first.",
    source: KATA,
    upstreamId: "docker run --link",
    sourceNote: "HostConfig.Links",
    effect: null,
    exposes: false,
    deviation: null,
    test: (c) => (c.links.length > 0 ? c.links.join(", ") : false),
  },
  {
    id: "kata-pid-container",
    title: "Kata: sharing another container's processes not supported",
    severity: "critical",
    appliesTo: "container",
    text: "--pid=container:… joins another container's PID namespace, which Kata cannot share across its VM boundary.",
    source: KATA_RUNTIME_ISSUES,
    upstreamId: "kata-containers/runtime#493",
    sourceNote: "PidMode container:",
    effect: null,
    exposes: false,
    deviation: null,
    test: (c) => (c.pidMode?.startsWith("container:") ? c.pidMode : false),
  },
  {
    id: "kata-ipc-container",
    title: "Kata: sharing another container's IPC not supported",
    severity: "critical",
    appliesTo: "container",
    text: "--ipc=container:… joins another container's IPC namespace, which Kata cannot share across its VM boundary.",
    source: KATA_RUNTIME_ISSUES,
    upstreamId: "kata-containers/runtime#493",
    sourceNote: "IpcMode container:",
    effect: null,
    exposes: false,
    deviation: null,
    test: (c) => (c.ipcMode?.startsWith("container:") ? c.ipcMode : false),
  },
  {
    id: "kata-host-devices",
    title: "Kata: needs host devices",
    severity: "critical",
    appliesTo: "container",
    text: "In Kata a container gets the guest's devices: host devices passed with --device, or binds of host paths under /dev (mounted from the guest's /dev), are not the host's.",
    source: KATA,
    upstreamId: "Privileged containers; hostPath volumes",
    sourceNote: "HostConfig.Devices, binds under /dev",
    effect: null,
    exposes: false,
    deviation: null,
    test: (c) => {
      const needed = [...hostDevices(c), ...devBinds(c).map((p) => `bind ${p}`)];
      return needed.length > 0 ? needed.join(", ") : false;
    },
  },
  {
    id: "kata-proc-mount",
    title: "Kata: bind mount into /proc refused",
    severity: "critical",
    appliesTo: "container",
    text: `Kata refuses bind mounts to /proc or below except ${KATA_PROC_ALLOWED.join(", ")}: the container would not start.`,
    source: KATA,
    upstreamId: "Mounting procfs and sysfs",
    sourceNote: null,
    effect: null,
    exposes: false,
    deviation: null,
    test: (c) => {
      const found = procBinds(c);
      return found.length > 0 ? found.join(", ") : false;
    },
  },
  {
    id: "kata-engine-socket",
    title: "Kata: drives the host's container engine",
    severity: "critical",
    appliesTo: "container",
    text: "A container that drives the host's engine through its socket needs the host: it cannot move into a guest kernel.",
    source: KATA,
    upstreamId: null,
    sourceNote: "host sockets are not shared into the guest",
    effect: null,
    exposes: false,
    deviation: null,
    test: (c) => engineSockets(c).length > 0,
  },
  {
    id: "kata-host-pid",
    title: "Kata: needs the host's processes",
    severity: "critical",
    appliesTo: "container",
    text: "With the host PID namespace the container watches host processes; in a Kata guest it would see only its own.",
    source: KATA_RUNTIME_ISSUES,
    upstreamId: "kata-containers/runtime#2633",
    sourceNote: "namespaces live in the guest",
    effect: null,
    exposes: false,
    deviation: null,
    test: (c) => c.pidMode === "host",
  },
  {
    id: "kata-host-ipc",
    title: "Kata: needs the host's IPC",
    severity: "critical",
    appliesTo: "container",
    text: "Shared memory with the host cannot cross into a Kata guest.",
    source: KATA,
    upstreamId: null,
    sourceNote: "namespaces live in the guest",
    effect: null,
    exposes: false,
    deviation: null,
    test: (c) => c.ipcMode === "host",
  },
  {
    id: "kata-privileged-guest",
    title: "Kata: privileged inside the guest only",
    severity: "info",
    appliesTo: "container",
    text: "A privileged container runs in Kata with elevated capabilities inside its guest and the guest's devices, not the host's.",
    source: KATA,
    upstreamId: "Privileged containers",
    sourceNote: "privileged_without_host_devices",
    effect: null,
    exposes: false,
    deviation: null,
    test: (c) => c.privileged,
  },
  {
    id: "kata-gpu",
    title: "Kata: GPU passed through",
    severity: "info",
    appliesTo: "container",
    text: "Kata passes GPUs through to the guest (kata-deploy's GPU runtime classes), at a much higher overhead per pod.",
    source: KATA,
    upstreamId: "GPU passthrough",
    sourceNote: "HostConfig.DeviceRequests",
    effect: null,
    exposes: false,
    deviation: null,
    test: (c) => {
      const gpus = gpuRequests(c);
      return gpus.length > 0 ? gpus.join(", ") : false;
    },
  },
  {
    id: "kata-podman",
    title: "Kata: Podman not supported",
    severity: "warning",
    appliesTo: "container",
    text: "Kata Containers does not support Podman: the move to Kata includes moving the workload to Docker (22.06 or later) or containerd.",
    source: KATA,
    upstreamId: "Docker and Podman support",
    sourceNote: "Podman not supported; Docker from 22.06",
    effect: null,
    exposes: false,
    deviation: "A warning, not a blocker: upstream says Podman is not supported; the workload can move with its container to Docker or containerd, and the verdict says so.",
    test: (_c, ctx) => ctx.host?.platform === "podman",
  },
  {
    id: "kata-runtime-missing",
    title: "Kata not installed on this host",
    severity: "info",
    appliesTo: "container",
    text: "The engine offers no Kata runtime yet: install kata-containers (kata-deploy) first.",
    source: ENGINE_API,
    upstreamId: null,
    sourceNote: null,
    effect: null,
    exposes: false,
    deviation: null,
    test: (_c, ctx) => ctx.host !== null && !ctx.host.runtimes.some((r) => /kata/i.test(r)),
  },
];

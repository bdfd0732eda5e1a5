/**
 * What keeps an exposed container out of Kata Containers (docs/domain.md#kata-containers). These
 * rules run only on a container that would move there; a critical one keeps it where it is.
 */
import type { InventoryContainer, InventoryHost } from "../inventory";
import { engineSockets } from "./cis";
import type { Rule } from "./rule";
import { ENGINE_API, KATA } from "./sources";

export interface KataContext {
  host: InventoryHost | null;
}

export const KATA_RULES: readonly Rule<InventoryContainer, KataContext>[] = [
  {
    id: "kata-host-network",
    title: "Kata: host network not supported",
    severity: "critical",
    appliesTo: "container",
    text: "Kata cannot give a container the host's network (--net=host) and may break host networking.",
    source: KATA,
    upstreamId: null,
    sourceNote: "--net=host not supported",
    effect: null,
    exposes: false,
    test: (c) => c.networkMode === "host",
  },
  {
    id: "kata-container-network",
    title: "Kata: joining another container's network not supported",
    severity: "critical",
    appliesTo: "container",
    text: "--net=container:… is not supported in Kata.",
    source: KATA,
    upstreamId: null,
    sourceNote: "--net=container: not supported",
    effect: null,
    exposes: false,
    test: (c) => (c.networkMode?.startsWith("container:") ? c.networkMode : false),
  },
  {
    id: "kata-host-devices",
    title: "Kata: needs host devices",
    severity: "critical",
    appliesTo: "container",
    text: "In Kata a privileged container gets the guest's devices, not the host's: a workload that needs host devices fails.",
    source: KATA,
    upstreamId: null,
    sourceNote: "privileged gets guest devices, not host devices",
    effect: null,
    exposes: false,
    test: (c) => (c.privileged ? "privileged" : c.devices.length > 0 ? c.devices.join(", ") : false),
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
    test: (c) => engineSockets(c).length > 0,
  },
  {
    id: "kata-host-pid",
    title: "Kata: needs the host's processes",
    severity: "critical",
    appliesTo: "container",
    text: "With the host PID namespace the container watches host processes; in a Kata guest it would see only its own.",
    source: KATA,
    upstreamId: null,
    sourceNote: "namespaces live in the guest",
    effect: null,
    exposes: false,
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
    test: (c) => c.ipcMode === "host",
  },
  {
    id: "kata-podman",
    title: "Kata: Podman not supported",
    severity: "warning",
    appliesTo: "container",
    text: "Kata Containers does not support Podman: the move to Kata includes moving the workload to Docker (22.06 or later) or containerd.",
    source: KATA,
    upstreamId: null,
    sourceNote: "Podman not supported; Docker from 22.06",
    effect: null,
    exposes: false,
    test: (_c, ctx) => ctx.host?.platform === "podman",
  },
  {
    id: "kata-security-options",
    title: "Kata: security options limited",
    severity: "warning",
    appliesTo: "container",
    text: "Kata honours only no-new-privileges and a seccomp profile; other --security-opt settings are dropped.",
    source: KATA,
    upstreamId: null,
    sourceNote: "--security-opt limited to no-new-privileges and seccomp (older docs)",
    effect: null,
    exposes: false,
    test: (c) => {
      const other = c.securityOptions.filter((o) => !/^(no-new-privileges|seccomp)/.test(o));
      return other.length > 0 ? other.join(", ") : false;
    },
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
    test: (_c, ctx) => ctx.host !== null && !ctx.host.runtimes.some((r) => /kata/i.test(r)),
  },
];

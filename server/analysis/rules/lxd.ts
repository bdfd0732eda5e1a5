/**
 * Isolation rules over LXD (and Incus) system containers: what LXD's own documentation says about each
 * instance key that weakens the confinement of a container on the host's kernel
 * (docs/domain.md#lxd-system-containers). Ids are "LXD-" and the key LXD names; the upstream id is the
 * key, or the hardening guide's section anchor where the advice is there. Severities and `exposes`
 * are ours (LXD's documents advise, they do not grade).
 *
 * These rules, with the shared-kernel tenancy finding, replace the CIS Docker rules on system
 * containers: docker-bench reads `docker inspect` fields no LXD instance has (a system container runs
 * its init as root in its own user namespace by design, so CIS 4.1 "runs as root" would say nothing).
 */
import type { InventoryContainer } from "../inventory";
import { normalPath, SENSITIVE_DIRS, type ContainerContext } from "./cis";
import type { Rule } from "./rule";
import { DOMAIN, type Source } from "./sources";

export interface LxdContext extends ContainerContext {
  /**
   * The other unprivileged system containers on this container's host that are not idmap-isolated:
   * without security.idmap.isolated, they all use the same uid/gid map.
   */
  sharedIdmapWith?: string[];
}

const LXD_DOC = "https://github.com/canonical/lxd/blob/main/doc";

/** The instance keys (doc/reference/instance_options.md, "Security policies" and "Raw instance configuration"). */
export const LXD_INSTANCE_OPTIONS: Source = {
  name: "LXD instance options",
  version: "canonical/lxd main at 0023ad50 (same keys in 5.0 LTS)",
  url: `${LXD_DOC}/reference/instance_options.md`,
  doc: DOMAIN.lxd,
};

/** "How to harden security for LXD": each section's anchor is the rule's upstream id. */
export const LXD_HARDENING: Source = {
  name: "LXD security hardening guide",
  version: "canonical/lxd main at 14ae5160",
  url: `${LXD_DOC}/howto/security_harden.md`,
  doc: DOMAIN.lxd,
};

/** "Security" explanation: unprivileged and privileged containers, idmap isolation. */
export const LXD_SECURITY: Source = {
  name: "LXD security",
  version: "canonical/lxd main at 04ab1ce6",
  url: `${LXD_DOC}/explanation/security.md`,
  doc: DOMAIN.lxd,
};

/** LXD device types that hand a host device to the instance (doc/reference/devices_*.md). */
export const LXD_PASSTHROUGH_TYPES = ["unix-char", "unix-block", "unix-hotplug", "gpu", "usb", "pci", "infiniband"] as const;

/** A device as the collector lists it: "<type>:<what>" ("unix-char:/dev/fuse", "gpu:", "usb:0781/5567"). */
export const passthroughDevices = (c: InventoryContainer) =>
  c.devices.filter((d) => (LXD_PASSTHROUGH_TYPES as readonly string[]).includes(d.split(":")[0]!.trim()));

/** Disk devices with a host path: bind mounts of a host file, directory or block device (not LXD volumes). */
export const hostPathDisks = (c: InventoryContainer) => c.mounts.filter((m) => m.type === "bind" && m.source !== null && m.source.startsWith("/"));

const diskText = (m: InventoryContainer["mounts"][number]) => {
  const source = normalPath(m.source!);
  const sensitive = SENSITIVE_DIRS.includes(source) ? " (a host system directory)" : "";
  return `${source} -> ${m.destination}${sensitive}`;
};

const lxd = (
  id: string,
  rule: Omit<Rule<InventoryContainer, LxdContext>, "id" | "appliesTo" | "effect" | "test"> & {
    test: (c: InventoryContainer, ctx: LxdContext) => boolean | string | readonly string[];
  },
): Rule<InventoryContainer, LxdContext> => ({ id: `LXD-${id}`, appliesTo: "container", effect: null, ...rule });

/** The LXD rules, run on system containers (InventoryContainer.systemContainer) only. */
export const LXD_RULES: readonly Rule<InventoryContainer, LxdContext>[] = [
  lxd("security.privileged", {
    title: "Privileged system container",
    severity: "critical",
    text: "The container's root is the host's root (uid 0 mapped to uid 0): LXD says such containers are not root-safe, and root in one can DoS the host and find ways to escape confinement.",
    source: LXD_SECURITY,
    upstreamId: "security.privileged",
    sourceNote: "\"Privileged containers\"; hardening guide: use unprivileged containers",
    exposes: true,
    deviation: null,
    test: (c) => c.privileged,
  }),
  lxd("security.nesting", {
    title: "Nesting allowed",
    severity: "warning",
    text: "security.nesting lets the container run containers itself: LXD's hardening guide says it broadens the attack surface, and with security.privileged it gives root access to the host.",
    source: LXD_HARDENING,
    upstreamId: "howto-security-harden-nesting-disable",
    sourceNote: "security.nesting true (default false)",
    exposes: true,
    deviation: null,
    test: (c) => (c.nesting ? (c.privileged ? "with security.privileged: root access to the host" : true) : false),
  }),
  lxd("raw.lxc", {
    title: "Raw LXC configuration",
    severity: "warning",
    text: "raw.lxc appends LXC configuration as given to what LXD generates: it can undo any confinement LXD sets (AppArmor, capabilities, cgroups, mounts); LXD says to avoid the raw.* keys.",
    source: LXD_INSTANCE_OPTIONS,
    upstreamId: "raw.lxc",
    sourceNote: "\"Setting these raw.* keys might break LXD in non-obvious ways\"",
    exposes: true,
    deviation: null,
    test: (c) => {
      const lines = (c.rawLxc ?? "").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
      return lines.length === 0 ? false : lines.length > 3 ? `${lines.slice(0, 3).join("; ")}; ... (${lines.length} lines)` : lines.join("; ");
    },
  }),
  lxd("raw.idmap", {
    title: "Host ids mapped into the container",
    severity: "warning",
    text: "raw.idmap maps host uids or gids into the container as they are (\"both 1000 1000\"): files that host user owns are the container's, and the container's processes are that host user.",
    source: LXD_INSTANCE_OPTIONS,
    upstreamId: "raw.idmap",
    sourceNote: "raw.idmap set (unprivileged containers only)",
    exposes: true,
    deviation: null,
    test: (c) => {
      const lines = (c.rawIdmap ?? "").split("\n").map((l) => l.trim()).filter((l) => l !== "");
      return !c.privileged && lines.length > 0 ? lines.join("; ") : false;
    },
  }),
  lxd("security.idmap.isolated", {
    title: "Shares its idmap with other containers",
    severity: "info",
    text: "Without security.idmap.isolated this unprivileged container uses the same uid/gid map as the other such containers on its host: LXD advises isolated maps, \"preventing potential DoS attacks on other containers\".",
    source: LXD_HARDENING,
    upstreamId: "howto-security-harden-isolate",
    sourceNote: "security.idmap.isolated false (default), and another unprivileged container on the host without it",
    exposes: false,
    deviation: "Fires only where another unprivileged, non-isolated container on the same host shares the map: alone on its host, nothing is shared.",
    test: (c, ctx) => {
      const others = ctx.sharedIdmapWith ?? [];
      if (c.privileged || c.idmapIsolated || others.length === 0) return false;
      return others.length > 5 ? `with ${others.slice(0, 5).join(", ")} and ${others.length - 5} more` : `with ${others.join(", ")}`;
    },
  }),
  lxd("disk.source", {
    title: "Host path mounted read-write",
    severity: "warning",
    text: "A disk device binds a host file, directory or block device into the container, writable: LXD's hardening guide says device passthrough gives the container significant access to the host, and to make disk mounts read-only where possible.",
    source: LXD_HARDENING,
    upstreamId: "howto-security-harden-passthrough",
    sourceNote: "disk device with a host source path and readonly false (default)",
    exposes: true,
    deviation: null,
    test: (c) => hostPathDisks(c).filter((m) => !m.readOnly).map(diskText),
  }),
  lxd("disk.source.readonly", {
    title: "Host path mounted read-only",
    severity: "info",
    text: "A disk device binds a host path into the container read-only, as LXD's hardening guide advises where a host path is needed: the container reads host data.",
    source: LXD_HARDENING,
    upstreamId: "howto-security-harden-passthrough",
    sourceNote: "disk device with a host source path and readonly true",
    exposes: false,
    deviation: null,
    test: (c) => hostPathDisks(c).filter((m) => m.readOnly).map(diskText),
  }),
  lxd("devices", {
    title: "Host devices passed in",
    severity: "warning",
    text: "A unix-char, unix-block, GPU, USB or PCI device of the host is handed to the container: LXD's hardening guide says device passthrough gives the container significant access to the host.",
    source: LXD_HARDENING,
    upstreamId: "howto-security-harden-passthrough",
    sourceNote: "devices of type unix-char, unix-block, unix-hotplug, gpu, usb, pci, infiniband",
    exposes: true,
    deviation: null,
    test: (c) => {
      const found = passthroughDevices(c);
      return found.length > 0 ? found.join(", ") : false;
    },
  }),
];

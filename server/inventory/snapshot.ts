/**
 * The snapshot: what one collection of one source saw, as plain data.
 *
 * Collectors produce it (they only fetch and normalise), `applySnapshot` validates it with these
 * schemas and replaces the source's previous inventory with it. The CLI prints it as JSON, so the
 * top-level arrays keep these names: hosts, virtualMachines, containers, images (inventory that
 * replaces the source's), guests and hostKeys (guest discovery's evidence, kept per run), and
 * utilisation (measured use as series: server/utilisation/, kept as history).
 *
 * Units, everywhere in the product: memory and disk in MiB (as RVTools counts them), image and
 * layer sizes in bytes (as container engines count them), times as ISO-8601 strings.
 * Optional facts are `null` when the endpoint does not say; never 0 for "unknown".
 */
import { z } from "zod";
import { guestFacts } from "../collectors/guest/facts";
import { MAX_SERIES, utilisationSeries } from "../utilisation/series";

export const SNAPSHOT_VERSION = 1;

/** A fact the endpoint may not give: accepted as missing/undefined, stored as null. */
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable().default(null);

/**
 * Every string is bounded and free of NUL: Postgres text, text[] and jsonb cannot hold U+0000, and
 * refusing it here names the field instead of failing the whole COPY without a path.
 */
const noNul = (value: string) => !value.includes("\0");
const NUL_MESSAGE = "must not contain NUL (U+0000) characters";
const string = (max: number) => z.string().max(max).refine(noNul, NUL_MESSAGE);

/** The longest free text (annotations, commands, warnings, ...). */
export const TEXT_MAX = 4096;
const text = string(TEXT_MAX);
const label = string(512).min(1);
const externalId = string(512).min(1);
/** The largest value of a Postgres `integer` (int4) column. */
export const INT4_MAX = 2_147_483_647;
/** Counts stored in int4 columns (vcpus, cores, snapshot count, CPU shares, ...). */
const count = z.number().int().min(0).max(INT4_MAX);
/** Counts stored in bigint columns: any safe integer ≥ 0 (z.int() stays within ±2^53 − 1). */
const bigCount = z.number().int().min(0);
const mib = z.number().min(0).max(1e12);
const bytes = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const timestamp = z.iso.datetime({ offset: true });
const strings = z.array(text).max(10_000).default([]);
const flag = z.boolean().default(false);

/**
 * Container labels are bounded (security review M6: Docker keeps labels of any number and size,
 * and a 250 MiB "label bomb" was accepted): at most 256 labels per container, keys of at most 512
 * characters (a Kubernetes-style key is at most 253 + 1 + 63), values of at most 4,096 characters,
 * and keys and values together at most 65,536 characters (UTF-16 code units) per container.
 * `salvageSnapshot` cuts collected labels to these limits, with a warning naming the container.
 */
export const LABEL_LIMITS = { count: 256, keyLength: 512, valueLength: 4096, totalLength: 65_536 } as const;

const labels = z
  // Counted before the entries are checked, so a million bad labels cost one issue, not a million.
  .custom<Record<string, string>>(
    (value) =>
      typeof value !== "object" || value === null || Object.keys(value).length <= LABEL_LIMITS.count,
    `too many labels: at most ${LABEL_LIMITS.count} per container`,
  )
  .pipe(
    // One pass over the labels checks every limit (cheaper than a schema per key and value).
    z.record(z.string(), z.string()).superRefine((value, ctx) => {
      let total = 0;
      // The record's output is a fresh plain object: for-in sees its own keys only.
      for (const key in value) {
        const entry = value[key]!;
        total += key.length + entry.length;
        if (key.length > LABEL_LIMITS.keyLength) {
          ctx.addIssue({ code: "custom", path: [key], message: `label key longer than ${LABEL_LIMITS.keyLength} characters` });
        } else if (!noNul(key)) {
          ctx.addIssue({ code: "custom", path: [key], message: `label key ${NUL_MESSAGE}` });
        }
        if (entry.length > LABEL_LIMITS.valueLength) {
          ctx.addIssue({
            code: "too_big",
            origin: "string",
            maximum: LABEL_LIMITS.valueLength,
            inclusive: true,
            input: entry,
            path: [key],
            message: `Too big: expected string to have <=${LABEL_LIMITS.valueLength} characters`,
          });
        } else if (!noNul(entry)) {
          ctx.addIssue({ code: "custom", path: [key], message: NUL_MESSAGE });
        }
      }
      if (total > LABEL_LIMITS.totalLength) {
        ctx.addIssue({
          code: "custom",
          message: `labels too large: keys and values together at most ${LABEL_LIMITS.totalLength} characters`,
        });
      }
    }),
  )
  .default({});

export const HOST_ROLES = ["hypervisor", "container-engine"] as const;
export const HOST_PLATFORMS = ["esxi", "kvm", "docker", "podman", "lxd", "other"] as const;
export const MEMORY_SHARING = ["none", "tps", "ksm", "unknown"] as const;

/** A physical hypervisor (ESXi, KVM) or a container-engine host (which may itself be a VM). */
export const hostSnapshot = z.object({
  externalId,
  name: label,
  role: z.enum(HOST_ROLES),
  platform: z.enum(HOST_PLATFORMS),
  vendor: maybe(text),
  model: maybe(text),
  cpuModel: maybe(text),
  cpuSockets: maybe(count),
  /** Physical cores, all sockets together. */
  cpuCores: count,
  /** Hardware threads, all sockets together. */
  cpuThreads: maybe(count),
  cpuMhz: maybe(count),
  memoryMiB: mib,
  osName: maybe(text),
  kernelVersion: maybe(text),
  /** Hypervisor or engine product: "VMware ESXi", "QEMU/KVM", "Docker Engine", "Podman". */
  productName: maybe(text),
  productVersion: maybe(text),
  productBuild: maybe(text),
  apiVersion: maybe(text),
  datacenter: maybe(text),
  cluster: maybe(text),
  connectionState: maybe(text),
  powerState: maybe(text),
  /** Hardware / machine UUID: how an engine host is linked to the VM it runs in. */
  hardwareUuid: maybe(text),
  hostname: maybe(text),
  ipAddresses: strings,
  macAddresses: strings,
  /** Container engines: runtimes offered, default runtime, security options, cgroups. */
  runtimes: strings,
  defaultRuntime: maybe(text),
  securityOptions: strings,
  cgroupDriver: maybe(text),
  cgroupVersion: maybe(text),
  /**
   * Container engines: the engine runs as an unprivileged user (rootless Docker or Podman), so
   * container root is mapped to that user outside the container. False when not said.
   */
  rootless: flag,
  /** Page sharing between guests: VMware TPS (off by default since 2015) or KVM's KSM. */
  memorySharing: z.enum(MEMORY_SHARING).default("unknown"),
  memorySharedMiB: maybe(mib),
  /** vSphere: the host's cluster has DRS / DPM enabled (Forklift's vmware.drs.enabled, vmware.dpm.enabled). */
  drsEnabled: maybe(z.boolean()),
  dpmEnabled: maybe(z.boolean()),
  /**
   * Container engines: the daemon runs every container with no-new-privileges (dockerd
   * --no-new-privileges, daemon.json "no-new-privileges": true; CIS Docker 5.26). The Engine API does
   * not tell it: from the source's option, else null (not known).
   */
  daemonNoNewPrivileges: maybe(z.boolean()),
  /** When the host last booted (vSphere runtime.bootTime, a container engine's host uptime); null when not said. */
  bootedAt: maybe(timestamp),
  /** The host's local disks, all together (LXD's /1.0/resources storage.disks, removable ones left out); null when not said. */
  localDiskMiB: maybe(mib),
});

/**
 * "suspended": state saved to disk (vSphere suspend, libvirt pmsuspended); "paused": held in memory,
 * not scheduled (libvirt paused). Neither is load.
 */
export const POWER_STATES = ["poweredOn", "poweredOff", "suspended", "paused"] as const;
export const OS_FAMILIES = ["linux", "windows", "other", "unknown"] as const;
export const DISK_MODES = [
  "persistent",
  "nonpersistent",
  "undoable",
  "independent_persistent",
  "independent_nonpersistent",
  "append",
  "unknown",
] as const;
export const RDM_MODES = ["none", "virtual", "physical"] as const;
export const DISK_SHARING = ["none", "multi-writer"] as const;

export const virtualDiskSnapshot = z.object({
  /** Stable within the VM: device key, target dev or file path. */
  key: string(512).min(1),
  label: maybe(text),
  /** null when the endpoint does not say (e.g. libvirt without block stats); never 0 for unknown. */
  capacityMiB: maybe(mib),
  thin: maybe(z.boolean()),
  mode: z.enum(DISK_MODES).default("persistent"),
  rdm: z.enum(RDM_MODES).default("none"),
  sharing: z.enum(DISK_SHARING).default("none"),
  datastore: maybe(text),
  path: maybe(text),
  format: maybe(text),
  /** Changed block tracking of this disk (vSphere extraConfig scsiX:Y.ctkEnabled); null when not said. */
  cbtEnabled: maybe(z.boolean()),
  /** The controller the disk hangs on: "scsi", "sata", "ide", "nvme", "virtio", "usb", ... */
  bus: maybe(string(32)),
});

/** One filesystem as the guest tools see it (vSphere guest.disk, RVTools vPartition). */
export const guestFilesystemSnapshot = z.object({
  /** The mount point or drive: "/", "/boot", "C:\\". */
  path: text,
  capacityMiB: maybe(mib),
  freeMiB: maybe(mib),
  /** The virtual disk (its key) the filesystem lies on, when the tools map it; null when unmapped. */
  diskKey: maybe(string(512)),
});

/** vApp / OVF product information (vSphere config.vAppConfig.product, or summary.config.product). */
export const vmProductSnapshot = z.object({
  name: maybe(text),
  vendor: maybe(text),
  version: maybe(text),
  fullVersion: maybe(text),
  productUrl: maybe(text),
  vendorUrl: maybe(text),
});

/** The solution that manages a VM (vSphere config.managedBy): an extension key and a type. */
export const vmManagedBySnapshot = z.object({
  extensionKey: text,
  type: maybe(text),
});

/** Custom attributes (vSphere customValue by field name) or metadata: at most 256, bounded. */
const attributes = z
  .record(string(512), text)
  .refine((value) => Object.keys(value).length <= 256, "too many attributes: at most 256 per VM")
  .default({});

export const virtualMachineSnapshot = z.object({
  externalId,
  name: label,
  /** The host (in the same snapshot) it runs on; null when unknown or unassigned. */
  hostExternalId: maybe(externalId),
  /** BIOS UUID (RVTools "VM UUID"; libvirt domain uuid). */
  uuid: maybe(text),
  instanceUuid: maybe(text),
  powerState: z.enum(POWER_STATES),
  template: flag,
  vcpus: count,
  coresPerSocket: maybe(count),
  memoryMiB: mib,
  memoryActiveMiB: maybe(mib),
  memoryBalloonedMiB: maybe(mib),
  /** Storage provisioned to the VM (RVTools "Provisioned MiB") and actually used ("In Use MiB"). */
  provisionedMiB: maybe(mib),
  usedMiB: maybe(mib),
  /** Guest filesystems as the tools see them (RVTools vPartition). */
  guestDiskCapacityMiB: maybe(mib),
  guestDiskFreeMiB: maybe(mib),
  /** "OS according to the configuration file" and "OS according to the VMware Tools". */
  guestOsConfigured: maybe(text),
  guestOsReported: maybe(text),
  /** vSphere guestId or libosinfo id, e.g. "rhel9_64Guest", "http://ubuntu.com/ubuntu/22.04". */
  guestOsId: maybe(text),
  guestOsFamily: z.enum(OS_FAMILIES).default("unknown"),
  hostname: maybe(text),
  ipAddresses: strings,
  macAddresses: strings,
  nicCount: maybe(count),
  snapshotCount: count.default(0),
  snapshotOldestAt: maybe(timestamp),
  /** What the VM's snapshots hold on its datastores, all together (vSphere layoutEx snapshot files; RVTools vSnapshot "Size MiB (total)"). */
  snapshotSizeMiB: maybe(mib),
  /** When the powered-on VM last booted (vSphere runtime.bootTime); null when off or not said. */
  bootedAt: maybe(timestamp),
  /** A template: when a VM was last deployed or cloned from it (vCenter's events); null when none since templateUseReadSince. */
  templateLastUsedAt: maybe(timestamp),
  /** A template: the start of the time those events covered; null when not read (nothing can be said). */
  templateUseReadSince: maybe(timestamp),
  toolsStatus: maybe(text),
  toolsVersion: maybe(text),
  hardwareVersion: maybe(text),
  datacenter: maybe(text),
  cluster: maybe(text),
  folder: maybe(text),
  resourcePool: maybe(text),
  annotation: maybe(text),
  /** Forklift-relevant hardware and settings. */
  cbtEnabled: maybe(z.boolean()),
  consolidationNeeded: flag,
  passthrough: flag,
  sriov: flag,
  usbController: flag,
  tpm: flag,
  cpuHotAdd: flag,
  memoryHotAdd: flag,
  cpuAffinity: flag,
  disks: z.array(virtualDiskSnapshot).max(4096).default([]),
  /** What the VM is: vApp/OVF product, managing solution, title, tags, custom attributes. */
  product: maybe(vmProductSnapshot),
  managedBy: maybe(vmManagedBySnapshot),
  /** libvirt <title>; vSphere has none (its notes are the annotation). */
  title: maybe(text),
  /** Tags as "Category/Tag" (vSphere tagging), or the names a platform gives. */
  tags: strings,
  attributes,
  /** More Forklift facts: CPU hot-remove, fault tolerance, disk.EnableUUID, numa.nodeAffinity, VM-Host affinity rule. */
  cpuHotRemove: flag,
  faultTolerance: flag,
  diskEnableUuid: flag,
  numaNodeAffinity: strings,
  hostAffinity: flag,
  /** Per filesystem (Forklift's filesystem rule reads each); guestDiskCapacityMiB/FreeMiB are their sums. */
  guestFilesystems: z.array(guestFilesystemSnapshot).max(1024).default([]),
});

export const CONTAINER_STATES = [
  "created",
  "running",
  "paused",
  "restarting",
  "removing",
  "exited",
  "dead",
  "unknown",
] as const;
export const MOUNT_TYPES = ["bind", "volume", "tmpfs", "npipe", "cluster", "image", "other"] as const;
export const PORT_PROTOCOLS = ["tcp", "udp", "sctp"] as const;

export const containerMountSnapshot = z.object({
  type: z.enum(MOUNT_TYPES),
  /** Host path for binds, volume name for volumes, null for tmpfs. */
  source: maybe(text),
  destination: text,
  readOnly: flag,
  propagation: maybe(text),
});

export const containerPortSnapshot = z.object({
  containerPort: z.number().int().min(0).max(65535),
  protocol: z.enum(PORT_PROTOCOLS).default("tcp"),
  hostIp: maybe(text),
  hostPort: maybe(z.number().int().min(0).max(65535)),
});

/** One container, with every field the CIS Docker Benchmark checks of docs/domain.md#isolation-posture read. */
export const containerSnapshot = z.object({
  externalId,
  name: label,
  hostExternalId: externalId,
  /** The image reference as the container was created ("nginx:1.27"). */
  image: text,
  imageExternalId: maybe(externalId),
  state: z.enum(CONTAINER_STATES),
  status: maybe(text),
  createdAt: maybe(timestamp),
  startedAt: maybe(timestamp),
  /** OCI runtime: runc, crun, kata, io.containerd.kata.v2, runsc, ... */
  runtime: maybe(text),
  command: maybe(text),
  privileged: flag,
  capAdd: strings,
  capDrop: strings,
  /** Config.User; null or "" or "0" or "root" means the process runs as root (CIS 4.1). */
  user: maybe(text),
  networkMode: maybe(text),
  pidMode: maybe(text),
  ipcMode: maybe(text),
  utsMode: maybe(text),
  usernsMode: maybe(text),
  /** SecurityOpt as given, and what it means: seccomp profile, AppArmor profile, no-new-privileges. */
  securityOptions: strings,
  seccompProfile: maybe(text),
  apparmorProfile: maybe(text),
  noNewPrivileges: flag,
  readOnlyRootfs: flag,
  /** HostConfig.Memory: 0 means no limit (unbounded), never "zero memory". */
  memoryLimitBytes: bytes.default(0),
  memoryReservationBytes: bytes.default(0),
  cpuShares: count.default(0),
  nanoCpus: bytes.default(0),
  cpuQuota: z.number().int().default(0),
  cpuPeriod: bigCount.default(0),
  cpusetCpus: maybe(text),
  /** HostConfig.PidsLimit: null, 0 or -1 mean unlimited. */
  pidsLimit: maybe(z.number().int()),
  restartPolicy: maybe(text),
  health: maybe(text),
  mounts: z.array(containerMountSnapshot).max(4096).default([]),
  ports: z.array(containerPortSnapshot).max(65536).default([]),
  devices: strings,
  /** As the engine reports them, within LABEL_LIMITS. */
  labels,
  /** HostConfig.Links, "/other:/this/alias" as the engine gives them (Kata does not support --link). */
  links: strings,
  /**
   * LXD/Incus system containers (docs/domain.md#lxd): an instance of type "container", which boots
   * its own init and a whole userland on the host's kernel; false for application containers.
   */
  systemContainer: flag,
  /** LXD security.nesting: the container may run containers itself (less confined /proc and /sys). */
  nesting: flag,
  /** LXD security.idmap.isolated: its own uid/gid range, shared with no other container. */
  idmapIsolated: flag,
  /** LXD raw.lxc: raw LXC configuration applied as given; null when none. */
  rawLxc: maybe(string(65_536)),
  /** LXD raw.idmap: host uids/gids mapped into the container as they are; null when none. */
  rawIdmap: maybe(string(65_536)),
  /** LXD project the instance belongs to (a tenancy boundary); null for engines without projects. */
  project: maybe(text),
  /** LXD profiles applied, in order. */
  profiles: strings,
  /** LXD snapshots of the container. */
  snapshotCount: count.default(0),
  /**
   * LXD: the driver of the storage pool holding the root disk ("dir", "zfs", "btrfs", "lvm", "ceph"):
   * on "dir" each instance holds its own unpacked copy of its image, the others clone one shared copy.
   * null when not said.
   */
  storageDriver: maybe(text),
});

export const layerSnapshot = z.object({
  digest: string(512).min(1),
  sizeBytes: bytes,
});

export const imageSnapshot = z.object({
  externalId,
  hostExternalId: externalId,
  repoTags: strings,
  repoDigests: strings,
  sizeBytes: bytes,
  createdAt: maybe(timestamp),
  os: maybe(text),
  architecture: maybe(text),
  /** Bottom to top. */
  layers: z.array(layerSnapshot).max(1024).default([]),
  /**
   * The image's Config.Healthcheck is set (a HEALTHCHECK instruction, CIS Docker 4.6); false when it
   * is absent, null when the engine did not say.
   */
  healthcheck: maybe(z.boolean()),
});

/** Guests one snapshot may hold (a source's targets are bounded the same way). */
export const MAX_GUESTS = 10_000;

export const recordedHostKey = z.object({
  /** "host:port" ("[::1]:22" for IPv6), as the guest was reached. */
  host: string(300).min(1),
  /** SHA256:... as `ssh-keygen -lf` prints it. */
  fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/),
});

const snapshotObject = z.object({
  version: z.literal(SNAPSHOT_VERSION).default(SNAPSHOT_VERSION),
  collectedAt: timestamp,
  hosts: z.array(hostSnapshot).default([]),
  virtualMachines: z.array(virtualMachineSnapshot).default([]),
  containers: z.array(containerSnapshot).default([]),
  images: z.array(imageSnapshot).default([]),
  /**
   * What guest discovery read inside each guest (server/collectors/guest/facts.ts): evidence about
   * VMs other sources inventory, matched to them by DMI product UUID, then MAC, then IP. Kept per
   * run (history), never replacing anything.
   */
  guests: z.array(guestFacts).max(MAX_GUESTS).default([]),
  /** SSH host keys seen for the first time and trusted on first use: recorded, then enforced. */
  hostKeys: z.array(recordedHostKey).max(MAX_GUESTS).default([]),
  /**
   * Measured use of this snapshot's hosts, VMs and containers (server/utilisation/series.ts):
   * history, written after the inventory and never deciding it.
   */
  utilisation: z.array(utilisationSeries).max(MAX_SERIES).default([]),
  /** Objects the collector skipped, and why (e.g. a container removed between list and inspect). */
  warnings: z.array(text).default([]),
});

/** The top-level arrays of objects, in the order they are validated. */
export const OBJECT_ARRAYS = ["hosts", "virtualMachines", "containers", "images"] as const;
export type ObjectArray = (typeof OBJECT_ARRAYS)[number];

/** A problem between objects of one snapshot, which no single object's schema can see. */
export interface CrossIssue {
  /**
   * duplicate-externalId: a second object with the same externalId in its array;
   * duplicate-disk-key: a second disk with the same key in one VM (the disk at `disk`);
   * unknown-host / unknown-image: a reference to a host or image that is not in the snapshot.
   */
  problem: "duplicate-externalId" | "duplicate-disk-key" | "unknown-host" | "unknown-image";
  array: ObjectArray;
  index: number;
  disk?: number;
  path: (string | number)[];
  message: string;
}

/** A snapshot's four arrays of objects. */
export type SnapshotObjects = Pick<z.output<typeof snapshotObject>, ObjectArray>;

/** The problems between the objects of a (per object valid) snapshot, lazily: stop when you have enough. */
export function* crossIssues(snapshot: SnapshotObjects): Generator<CrossIssue> {
  for (const array of OBJECT_ARRAYS) {
    const seen = new Set<string>();
    const items: { externalId: string }[] = snapshot[array];
    for (const [index, item] of items.entries()) {
      if (seen.has(item.externalId)) {
        yield {
          problem: "duplicate-externalId",
          array,
          index,
          path: [array, index, "externalId"],
          message: `duplicate externalId "${item.externalId}"`,
        };
      }
      seen.add(item.externalId);
    }
  }

  // Disks are unique by key within their VM (the table's unique key: vm_id, key).
  for (const [index, vm] of snapshot.virtualMachines.entries()) {
    if (vm.disks.length < 2) continue;
    const keys = new Set<string>();
    for (const [disk, { key }] of vm.disks.entries()) {
      if (keys.has(key)) {
        yield {
          problem: "duplicate-disk-key",
          array: "virtualMachines",
          index,
          disk,
          path: ["virtualMachines", index, "disks", disk, "key"],
          message: `duplicate disk key "${key}" in this VM`,
        };
      }
      keys.add(key);
    }
  }

  const hosts = new Set(snapshot.hosts.map((h) => h.externalId));
  for (const array of ["virtualMachines", "containers", "images"] as const) {
    const items: { hostExternalId: string | null }[] = snapshot[array];
    for (const [index, item] of items.entries()) {
      if (item.hostExternalId !== null && !hosts.has(item.hostExternalId)) {
        yield {
          problem: "unknown-host",
          array,
          index,
          path: [array, index, "hostExternalId"],
          message: `no host with externalId "${item.hostExternalId}" in this snapshot`,
        };
      }
    }
  }

  const images = new Set(snapshot.images.map((i) => i.externalId));
  for (const [index, c] of snapshot.containers.entries()) {
    if (c.imageExternalId !== null && !images.has(c.imageExternalId)) {
      yield {
        problem: "unknown-image",
        array: "containers",
        index,
        path: ["containers", index, "imageExternalId"],
        message: `no image with externalId "${c.imageExternalId}" in this snapshot`,
      };
    }
  }
}

/**
 * The whole snapshot as one schema: the contract, and the types below. `parseSnapshot` validates
 * with the same schemas object by object, so that it can stop early.
 */
export const snapshotSchema = snapshotObject.superRefine((snapshot, ctx) => {
  for (const issue of crossIssues(snapshot)) {
    ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
  }
});

/** What a collector writes (defaults may be left out). */
export type SnapshotInput = z.input<typeof snapshotSchema>;
/** What ingest reads: validated, defaults filled in. */
export type Snapshot = z.output<typeof snapshotSchema>;
export type HostSnapshot = z.output<typeof hostSnapshot>;
export type VirtualMachineSnapshot = z.output<typeof virtualMachineSnapshot>;
export type VirtualDiskSnapshot = z.output<typeof virtualDiskSnapshot>;
export type GuestFilesystemSnapshot = z.output<typeof guestFilesystemSnapshot>;
export type VmProductSnapshot = z.output<typeof vmProductSnapshot>;
export type VmManagedBySnapshot = z.output<typeof vmManagedBySnapshot>;
export type ContainerSnapshot = z.output<typeof containerSnapshot>;
export type ContainerMountSnapshot = z.output<typeof containerMountSnapshot>;
export type ContainerPortSnapshot = z.output<typeof containerPortSnapshot>;
export type ImageSnapshot = z.output<typeof imageSnapshot>;
export type LayerSnapshot = z.output<typeof layerSnapshot>;
export type RecordedHostKey = z.output<typeof recordedHostKey>;
export type { UtilisationSeries } from "../utilisation/series";
export type { GuestFacts as GuestSnapshot } from "../collectors/guest/facts";

/** A path as the error shows it: control characters escaped, long keys (e.g. a label's) shortened. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(root)";
  return path
    .map((segment) => {
      let shown = typeof segment === "symbol" ? segment.toString() : String(segment);
      if (shown.length > 80) shown = `${shown.slice(0, 80)}…`;
      return /[\u0000-\u001f\u007f.]/.test(shown) ? JSON.stringify(shown) : shown;
    })
    .join(".");
}

/** An issue as errors and warnings show it: "path: message". */
export function formatIssue(issue: z.core.$ZodIssue): string {
  // A bad record key says only "Invalid key in record": say why.
  const why = issue.code === "invalid_key" ? `: ${issue.issues.map((i) => i.message).join(", ")}` : "";
  return `${formatPath(issue.path)}: ${issue.message}${why}`;
}

export class SnapshotValidationError extends Error {
  /**
   * @param issues the issues found, each with its path from the snapshot's root
   * @param note how far validation went, e.g. "stopped after 20 invalid objects, 20 of 1000000 checked"
   */
  constructor(
    readonly issues: z.core.$ZodIssue[],
    readonly note?: string,
  ) {
    const shown = issues.slice(0, 5).map(formatIssue);
    const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : "";
    super(`invalid snapshot: ${shown.join("; ")}${more}${note ? ` [${note}]` : ""}`);
    this.name = "SnapshotValidationError";
  }
}

/**
 * Validation stops after this many invalid elements of the top-level arrays (security review L7:
 * a snapshot of a million invalid containers took 17 s and 2.9 GB to refuse when every issue was
 * collected). At most MAX_ISSUES_PER_ELEMENT issues of each are kept.
 */
export const MAX_INVALID_ELEMENTS = 20;
export const MAX_ISSUES_PER_ELEMENT = 5;
/** Cross-object issues (duplicates, dangling references) kept before validation stops. */
export const MAX_CROSS_ISSUES = 100;

/**
 * Objects that are their schema's output, checked by salvage and held by no one else: parseSnapshot
 * takes them as they are instead of validating them a second time (a schema's output is valid input
 * to it, giving the same output). Mark only objects still valid when parseSnapshot meets them.
 */
const validated = new WeakSet<object>();

/** Marks a schema's output as validated (see `validated`); returns it. */
export function markValidated<T extends object>(value: T): T {
  validated.add(value);
  return value;
}

/** The snapshot with its arrays unchecked: each element is checked alone by parseSnapshot. */
const envelope = z.object({
  version: z.literal(SNAPSHOT_VERSION).default(SNAPSHOT_VERSION),
  collectedAt: timestamp,
  hosts: z.array(z.unknown()).default([]),
  virtualMachines: z.array(z.unknown()).default([]),
  containers: z.array(z.unknown()).default([]),
  images: z.array(z.unknown()).default([]),
  guests: z.array(z.unknown()).max(MAX_GUESTS).default([]),
  hostKeys: z.array(z.unknown()).max(MAX_GUESTS).default([]),
  utilisation: z.array(z.unknown()).max(MAX_SERIES).default([]),
  warnings: z.array(z.unknown()).default([]),
});

/**
 * Validates unknown data as a snapshot; throws a SnapshotValidationError naming the bad paths.
 *
 * Same contract as `snapshotSchema`, but element by element: validation stops at the
 * MAX_INVALID_ELEMENTS-th invalid element and keeps a bounded number of issues, so the cost of
 * refusing a huge invalid snapshot is bounded too.
 */
export function parseSnapshot(data: unknown): Snapshot {
  const top = envelope.safeParse(data);
  if (!top.success) throw new SnapshotValidationError(top.error.issues);
  const input = top.data;
  const total =
    input.hosts.length + input.virtualMachines.length + input.containers.length + input.images.length +
    input.guests.length + input.hostKeys.length + input.utilisation.length + input.warnings.length;
  const issues: z.core.$ZodIssue[] = [];
  let checked = 0;
  let invalid = 0;

  const elements = <T extends z.ZodType>(key: keyof typeof input & string, schema: T, items: unknown[]) => {
    const out: z.output<T>[] = new Array(items.length);
    for (let index = 0; index < items.length; index++) {
      checked++;
      const item = items[index];
      if (typeof item === "object" && item !== null && validated.has(item)) {
        out[index] = item as z.output<T>;
        continue;
      }
      const result = schema.safeParse(item);
      if (result.success) {
        out[index] = result.data;
        continue;
      }
      invalid++;
      for (const issue of result.error.issues.slice(0, MAX_ISSUES_PER_ELEMENT)) {
        issues.push({ ...issue, path: [key, index, ...issue.path] });
      }
      if (invalid >= MAX_INVALID_ELEMENTS) {
        throw new SnapshotValidationError(
          issues,
          `stopped after ${invalid} invalid objects, ${checked} of ${total} checked`,
        );
      }
    }
    return out;
  };

  const snapshot: Snapshot = {
    version: input.version,
    collectedAt: input.collectedAt,
    hosts: elements("hosts", hostSnapshot, input.hosts),
    virtualMachines: elements("virtualMachines", virtualMachineSnapshot, input.virtualMachines),
    containers: elements("containers", containerSnapshot, input.containers),
    images: elements("images", imageSnapshot, input.images),
    guests: elements("guests", guestFacts, input.guests),
    hostKeys: elements("hostKeys", recordedHostKey, input.hostKeys),
    utilisation: elements("utilisation", utilisationSeries, input.utilisation),
    warnings: elements("warnings", text, input.warnings),
  };
  if (issues.length > 0) {
    throw new SnapshotValidationError(issues, `${invalid} invalid of ${total} checked`);
  }

  for (const issue of crossIssues(snapshot)) {
    issues.push({ code: "custom", path: issue.path, message: issue.message, input: undefined });
    if (issues.length >= MAX_CROSS_ISSUES) {
      throw new SnapshotValidationError(issues, `stopped after ${issues.length} issues between objects`);
    }
  }
  if (issues.length > 0) throw new SnapshotValidationError(issues);
  return snapshot;
}

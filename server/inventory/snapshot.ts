/**
 * The snapshot: what one collection of one source saw, as plain data.
 *
 * Collectors produce it (they only fetch and normalise), `applySnapshot` validates it with these
 * schemas and replaces the source's previous inventory with it. The CLI prints it as JSON, so the
 * top-level arrays keep these names: hosts, virtualMachines, containers, images.
 *
 * Units, everywhere in the product: memory and disk in MiB (as RVTools counts them), image and
 * layer sizes in bytes (as container engines count them), times as ISO-8601 strings.
 * Optional facts are `null` when the endpoint does not say; never 0 for "unknown".
 */
import { z } from "zod";

export const SNAPSHOT_VERSION = 1;

/** A fact the endpoint may not give: accepted as missing/undefined, stored as null. */
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable().default(null);

const text = z.string().max(4096);
const label = z.string().min(1).max(512);
const externalId = z.string().min(1).max(512);
const count = z.number().int().min(0);
const mib = z.number().min(0).max(1e12);
const bytes = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const timestamp = z.iso.datetime({ offset: true });
const strings = z.array(text).max(10_000).default([]);
const flag = z.boolean().default(false);

export const HOST_ROLES = ["hypervisor", "container-engine"] as const;
export const HOST_PLATFORMS = ["esxi", "kvm", "docker", "podman", "other"] as const;
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
  key: z.string().min(1).max(512),
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
});

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

/** One container, with every field the CIS Docker Benchmark checks of shared/domain.md read. */
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
  cpuPeriod: count.default(0),
  cpusetCpus: maybe(text),
  /** HostConfig.PidsLimit: null, 0 or -1 mean unlimited. */
  pidsLimit: maybe(z.number().int()),
  restartPolicy: maybe(text),
  health: maybe(text),
  mounts: z.array(containerMountSnapshot).max(4096).default([]),
  ports: z.array(containerPortSnapshot).max(65536).default([]),
  devices: strings,
  labels: z.record(z.string().max(1024), z.string().max(65536)).default({}),
});

export const layerSnapshot = z.object({
  digest: z.string().min(1).max(512),
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
});

export const snapshotSchema = z
  .object({
    version: z.literal(SNAPSHOT_VERSION).default(SNAPSHOT_VERSION),
    collectedAt: timestamp,
    hosts: z.array(hostSnapshot).default([]),
    virtualMachines: z.array(virtualMachineSnapshot).default([]),
    containers: z.array(containerSnapshot).default([]),
    images: z.array(imageSnapshot).default([]),
    /** Objects the collector skipped, and why (e.g. a container removed between list and inspect). */
    warnings: z.array(text).default([]),
  })
  .superRefine((snapshot, ctx) => {
    const unique = (items: { externalId: string }[], path: string) => {
      const seen = new Set<string>();
      items.forEach((item, index) => {
        if (seen.has(item.externalId)) {
          ctx.addIssue({
            code: "custom",
            path: [path, index, "externalId"],
            message: `duplicate externalId "${item.externalId}"`,
          });
        }
        seen.add(item.externalId);
      });
    };
    unique(snapshot.hosts, "hosts");
    unique(snapshot.virtualMachines, "virtualMachines");
    unique(snapshot.containers, "containers");
    unique(snapshot.images, "images");

    const hosts = new Set(snapshot.hosts.map((h) => h.externalId));
    const refersToHost = (
      items: { hostExternalId: string | null }[],
      path: string,
    ) => {
      items.forEach((item, index) => {
        if (item.hostExternalId !== null && !hosts.has(item.hostExternalId)) {
          ctx.addIssue({
            code: "custom",
            path: [path, index, "hostExternalId"],
            message: `no host with externalId "${item.hostExternalId}" in this snapshot`,
          });
        }
      });
    };
    refersToHost(snapshot.virtualMachines, "virtualMachines");
    refersToHost(snapshot.containers, "containers");
    refersToHost(snapshot.images, "images");

    const images = new Set(snapshot.images.map((i) => i.externalId));
    snapshot.containers.forEach((c, index) => {
      if (c.imageExternalId !== null && !images.has(c.imageExternalId)) {
        ctx.addIssue({
          code: "custom",
          path: ["containers", index, "imageExternalId"],
          message: `no image with externalId "${c.imageExternalId}" in this snapshot`,
        });
      }
    });
  });

/** What a collector writes (defaults may be left out). */
export type SnapshotInput = z.input<typeof snapshotSchema>;
/** What ingest reads: validated, defaults filled in. */
export type Snapshot = z.output<typeof snapshotSchema>;
export type HostSnapshot = z.output<typeof hostSnapshot>;
export type VirtualMachineSnapshot = z.output<typeof virtualMachineSnapshot>;
export type VirtualDiskSnapshot = z.output<typeof virtualDiskSnapshot>;
export type ContainerSnapshot = z.output<typeof containerSnapshot>;
export type ContainerMountSnapshot = z.output<typeof containerMountSnapshot>;
export type ContainerPortSnapshot = z.output<typeof containerPortSnapshot>;
export type ImageSnapshot = z.output<typeof imageSnapshot>;
export type LayerSnapshot = z.output<typeof layerSnapshot>;

export class SnapshotValidationError extends Error {
  constructor(readonly issues: z.core.$ZodIssue[]) {
    const shown = issues
      .slice(0, 5)
      .map((issue) => `${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`);
    const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : "";
    super(`invalid snapshot: ${shown.join("; ")}${more}`);
    this.name = "SnapshotValidationError";
  }
}

/** Validates unknown data as a snapshot; throws a SnapshotValidationError naming the bad paths. */
export function parseSnapshot(data: unknown): Snapshot {
  const result = snapshotSchema.safeParse(data);
  if (!result.success) throw new SnapshotValidationError(result.error.issues);
  return result.data;
}

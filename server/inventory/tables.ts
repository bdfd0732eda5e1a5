/**
 * The inventory tables, one column map each: the one place that says which column holds which
 * field, its SQL type, how ingest takes the value from the snapshot object and how the loader
 * turns it back. Ingest's COPY column lists, fingerprints and staging UPDATE (./ingest.ts) and the
 * loader's SELECT lists and row mapping (server/analysis/load.ts) all derive from these maps;
 * tests/unit/tables.test.ts checks them against prisma/schema.prisma. Adding a stored field:
 * docs/extending.md.
 *
 * A map is keyed by the inventory object's field (the snapshot's name for it), so the loader's
 * rows come back already shaped (`h."cpu_cores" AS "cpuCores"`). `satisfies ColumnsOf<...>` makes
 * the compiler report a snapshot field that has no column, unless the map's type says why not
 * (NotStored: kept in a child table or as a row id).
 *
 * The entries' order is the COPY order, and an object's fingerprint is the SHA-1 of its values
 * encoded in that order: append new columns at the end. A new or reordered column changes every
 * fingerprint once, so the first collection after it reports its objects changed (and rewrites
 * them, which fills the new column).
 */
import { encodeValue, type CopyValue } from "./copy";
import type {
  ContainerMountSnapshot,
  ContainerPortSnapshot,
  ContainerSnapshot,
  HostSnapshot,
  ImageSnapshot,
  LayerSnapshot,
  VirtualDiskSnapshot,
  VirtualMachineSnapshot,
} from "./snapshot";

/** The Postgres type of a column (enums by their type name), as prisma/schema.prisma declares it. */
export type SqlType =
  | "text"
  | "text[]"
  | "uuid"
  | "int4"
  | "int8"
  | "float8"
  | "bool"
  | "timestamptz"
  | "jsonb"
  | "host_role"
  | "power_state"
  | "os_family";

/** How ingest takes a value: from the object, what the writer knows (`context`, e.g. row ids) and the object's index in its parent. */
export type Writer<S, C> = (item: S, context: C, position: number) => CopyValue;
/** How the loader turns a value as pg returns it back into the inventory's. */
export type Reader = (value: unknown) => unknown;

export interface ColumnSpec<S, C> {
  /** The column's name in SQL. */
  column: string;
  type: SqlType;
  /** Default: the object's field of the map key's name. false: another step writes it (the topology link). */
  write?: Writer<S, C> | false;
  /** Default by type: int8 → number, timestamptz → ISO string, else as pg returns it. false: not read back. */
  read?: Reader | false;
}

/**
 * A column map for snapshot objects S: an entry for every field of S (but the externalId, a key
 * column, and the NotStored fields), plus the Derived columns, which are no field of S and so say
 * how they are written.
 */
export type ColumnsOf<S, C = void, Derived extends string = never, NotStored extends keyof S = never> = {
  [K in Exclude<keyof S, "externalId" | NotStored>]: ColumnSpec<S, C>;
} & { [K in Derived]: ColumnSpec<S, C> & { write: Writer<S, C> | false } };

export interface Column<S, C> {
  /** The inventory object's field. */
  field: string;
  column: string;
  type: SqlType;
  /** null: ingest does not write it. */
  write: Writer<S, C> | null;
  /** null: the loader does not read it; identity: read as pg returns it. */
  read: Reader | null;
}

const identity: Reader = (value) => value;
const READERS: Partial<Record<SqlType, Reader>> = {
  // pg returns int8 as a string: the inventory's sizes and limits are numbers (within 2^53).
  int8: (value) => (value === null ? null : Number(value)),
  timestamptz: (value) => (value === null ? null : (value as Date).toISOString()),
};

/**
 * A jsonb column is written as JSON text: COPY would otherwise take an array (of objects, say the
 * guest filesystems) for a Postgres array literal.
 */
function asWritten<S, C>(type: SqlType, write: Writer<S, C>): Writer<S, C> {
  if (type !== "jsonb") return write;
  return (item, context, position) => {
    const value = write(item, context, position);
    return value === null || value === undefined ? null : JSON.stringify(value);
  };
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

export class InventoryTable<S, C = void> {
  /** Every column of the map, in COPY order. */
  readonly columns: readonly Column<S, C>[];
  /** The data columns ingest writes, in COPY order (after `keys`). */
  readonly written: readonly string[];
  private readonly writers: readonly Writer<S, C>[];
  private readonly readers: readonly (readonly [string, Reader])[];

  /**
   * @param name the table
   * @param keys the columns ingest writes before the data columns: the row's identity, or its
   *   parent's id for a child table
   * @param map the data columns
   * @param filled the columns the database fills itself (defaults), which neither side lists
   */
  constructor(
    readonly name: string,
    readonly keys: readonly string[],
    map: { [field: string]: ColumnSpec<S, C> },
    readonly filled: readonly string[] = [],
  ) {
    this.columns = Object.entries(map).map(([field, spec]) => ({
      field,
      column: spec.column,
      type: spec.type,
      write: spec.write === false ? null : asWritten(spec.type, spec.write ?? ((item: S) => (item as Record<string, CopyValue>)[field])),
      read: spec.read === false ? null : (spec.read ?? READERS[spec.type] ?? identity),
    }));
    const written = this.columns.filter((c) => c.write !== null);
    this.written = written.map((c) => c.column);
    this.writers = written.map((c) => c.write!);
    this.readers = this.columns
      .filter((c) => c.read !== null && c.read !== identity)
      .map((c) => [c.field, c.read!] as const);
  }

  /** The written values of one object, in COPY text format: one line, with its newline. */
  encode(item: S, context: C, position = 0): string {
    // Joined from an array, as encodeRow does: one flat string (`+=` would build a rope that
    // hashing and COPY's buffering flatten again).
    const writers = this.writers;
    const values = new Array<string>(writers.length);
    for (let i = 0; i < writers.length; i++) values[i] = encodeValue(writers[i]!(item, context, position));
    return `${values.join("\t")}\n`;
  }

  /** The columns the loader reads, as `alias."column" AS "field"`, for a SELECT list. */
  select(alias: string): string {
    return this.columns
      .filter((c) => c.read !== null)
      .map((c) => `${alias}.${quote(c.column)} AS ${quote(c.field)}`)
      .join(", ");
  }

  /** Turns a row selected with `select` into the inventory's values, in place. */
  read<T extends Record<string, unknown>>(row: T): T {
    const record = row as Record<string, unknown>;
    for (const [field, reader] of this.readers) record[field] = reader(record[field]);
    return row;
  }
}

const lower = (value: string | null) => value?.toLowerCase() ?? null;
const lowerAll = (values: string[]) => values.map((v) => v.toLowerCase());
const sortedLabels = (labels: Record<string, string>) =>
  Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The identity of an object row: its id, its source, the source's id for it, and its fingerprint. */
const OBJECT_KEYS = ["id", "source_id", "external_id", "fingerprint"] as const;
/** Set by the database: when the row was first written and last changed. */
const OBJECT_TIMES = ["first_seen_at", "updated_at"] as const;

/** What the writer knows when it writes a row: the ids of the rows it points at. */
export interface VmContext {
  hostId: string | null;
}
export interface ContainerContext {
  hostId: string;
  imageId: string | null;
}
export interface ImageContext {
  hostId: string;
}
/** digest → layer id, for every layer of the source. */
export type LayerIds = ReadonlyMap<string, string>;

export const HOST = new InventoryTable<HostSnapshot>("host", OBJECT_KEYS, {
  name: { column: "name", type: "text" },
  role: { column: "role", type: "host_role" },
  platform: { column: "platform", type: "text" },
  vendor: { column: "vendor", type: "text" },
  model: { column: "model", type: "text" },
  cpuModel: { column: "cpu_model", type: "text" },
  cpuSockets: { column: "cpu_sockets", type: "int4" },
  cpuCores: { column: "cpu_cores", type: "int4" },
  cpuThreads: { column: "cpu_threads", type: "int4" },
  cpuMhz: { column: "cpu_mhz", type: "int4" },
  memoryMiB: { column: "memory_mib", type: "float8" },
  osName: { column: "os_name", type: "text" },
  kernelVersion: { column: "kernel_version", type: "text" },
  productName: { column: "product_name", type: "text" },
  productVersion: { column: "product_version", type: "text" },
  productBuild: { column: "product_build", type: "text" },
  apiVersion: { column: "api_version", type: "text" },
  datacenter: { column: "datacenter", type: "text" },
  cluster: { column: "cluster", type: "text" },
  connectionState: { column: "connection_state", type: "text" },
  powerState: { column: "power_state", type: "text" },
  // UUIDs and MAC addresses are stored lower case, whatever case the endpoint reports.
  hardwareUuid: { column: "hardware_uuid", type: "text", write: (h) => lower(h.hardwareUuid) },
  hostname: { column: "hostname", type: "text" },
  ipAddresses: { column: "ip_addresses", type: "text[]" },
  macAddresses: { column: "mac_addresses", type: "text[]", write: (h) => lowerAll(h.macAddresses) },
  runtimes: { column: "runtimes", type: "text[]" },
  defaultRuntime: { column: "default_runtime", type: "text" },
  securityOptions: { column: "security_options", type: "text[]" },
  cgroupDriver: { column: "cgroup_driver", type: "text" },
  cgroupVersion: { column: "cgroup_version", type: "text" },
  rootless: { column: "rootless", type: "bool" },
  memorySharing: { column: "memory_sharing", type: "text" },
  memorySharedMiB: { column: "memory_shared_mib", type: "float8" },
  drsEnabled: { column: "drs_enabled", type: "bool" },
  dpmEnabled: { column: "dpm_enabled", type: "bool" },
  daemonNoNewPrivileges: { column: "daemon_no_new_privileges", type: "bool" },
  bootedAt: { column: "booted_at", type: "timestamptz" },
  localDiskMiB: { column: "local_disk_mib", type: "float8" },
  // Set by the topology link after ingest (./topology.ts).
  vmKey: { column: "vm_id", type: "uuid", write: false },
  vmLinkKey: { column: "vm_link_key", type: "text", write: false },
} satisfies ColumnsOf<HostSnapshot, void, "vmKey" | "vmLinkKey">, OBJECT_TIMES);

export const VIRTUAL_MACHINE = new InventoryTable<VirtualMachineSnapshot, VmContext>("virtual_machine", OBJECT_KEYS, {
  hostKey: { column: "host_id", type: "uuid", write: (_v, c) => c.hostId },
  name: { column: "name", type: "text" },
  uuid: { column: "uuid", type: "text", write: (v) => lower(v.uuid) },
  instanceUuid: { column: "instance_uuid", type: "text", write: (v) => lower(v.instanceUuid) },
  powerState: { column: "power_state", type: "power_state" },
  template: { column: "template", type: "bool" },
  vcpus: { column: "vcpus", type: "int4" },
  coresPerSocket: { column: "cores_per_socket", type: "int4" },
  memoryMiB: { column: "memory_mib", type: "float8" },
  memoryActiveMiB: { column: "memory_active_mib", type: "float8" },
  memoryBalloonedMiB: { column: "memory_ballooned_mib", type: "float8" },
  provisionedMiB: { column: "provisioned_mib", type: "float8" },
  usedMiB: { column: "used_mib", type: "float8" },
  guestDiskCapacityMiB: { column: "guest_disk_capacity_mib", type: "float8" },
  guestDiskFreeMiB: { column: "guest_disk_free_mib", type: "float8" },
  guestOsConfigured: { column: "guest_os_configured", type: "text" },
  guestOsReported: { column: "guest_os_reported", type: "text" },
  guestOsId: { column: "guest_os_id", type: "text" },
  guestOsFamily: { column: "guest_os_family", type: "os_family" },
  hostname: { column: "hostname", type: "text" },
  ipAddresses: { column: "ip_addresses", type: "text[]" },
  macAddresses: { column: "mac_addresses", type: "text[]", write: (v) => lowerAll(v.macAddresses) },
  nicCount: { column: "nic_count", type: "int4" },
  snapshotCount: { column: "snapshot_count", type: "int4" },
  snapshotOldestAt: { column: "snapshot_oldest_at", type: "timestamptz" },
  snapshotSizeMiB: { column: "snapshot_size_mib", type: "float8" },
  bootedAt: { column: "booted_at", type: "timestamptz" },
  templateLastUsedAt: { column: "template_last_used_at", type: "timestamptz" },
  templateUseReadSince: { column: "template_use_read_since", type: "timestamptz" },
  toolsStatus: { column: "tools_status", type: "text" },
  toolsVersion: { column: "tools_version", type: "text" },
  hardwareVersion: { column: "hardware_version", type: "text" },
  datacenter: { column: "datacenter", type: "text" },
  cluster: { column: "cluster", type: "text" },
  folder: { column: "folder", type: "text" },
  resourcePool: { column: "resource_pool", type: "text" },
  annotation: { column: "annotation", type: "text" },
  cbtEnabled: { column: "cbt_enabled", type: "bool" },
  consolidationNeeded: { column: "consolidation_needed", type: "bool" },
  passthrough: { column: "passthrough", type: "bool" },
  sriov: { column: "sriov", type: "bool" },
  usbController: { column: "usb_controller", type: "bool" },
  tpm: { column: "tpm", type: "bool" },
  cpuHotAdd: { column: "cpu_hot_add", type: "bool" },
  memoryHotAdd: { column: "memory_hot_add", type: "bool" },
  cpuAffinity: { column: "cpu_affinity", type: "bool" },
  // Kept from the disks for SQL filters; the inventory reads the disks themselves.
  rdmDisk: { column: "rdm_disk", type: "bool", write: (v) => v.disks.some((d) => d.rdm !== "none"), read: false },
  sharedDisk: { column: "shared_disk", type: "bool", write: (v) => v.disks.some((d) => d.sharing !== "none"), read: false },
  product: { column: "product", type: "jsonb" },
  managedBy: { column: "managed_by", type: "jsonb" },
  title: { column: "title", type: "text" },
  tags: { column: "tags", type: "text[]" },
  attributes: { column: "attributes", type: "jsonb", write: (v) => sortedLabels(v.attributes), read: (value) => value ?? {} },
  cpuHotRemove: { column: "cpu_hot_remove", type: "bool" },
  faultTolerance: { column: "fault_tolerance", type: "bool" },
  diskEnableUuid: { column: "disk_enable_uuid", type: "bool" },
  numaNodeAffinity: { column: "numa_node_affinity", type: "text[]" },
  hostAffinity: { column: "host_affinity", type: "bool" },
  guestFilesystems: { column: "guest_filesystems", type: "jsonb", read: (value) => value ?? [] },
} satisfies ColumnsOf<VirtualMachineSnapshot, VmContext, "hostKey" | "rdmDisk" | "sharedDisk", "hostExternalId" | "disks">, OBJECT_TIMES);

export const VIRTUAL_DISK = new InventoryTable<VirtualDiskSnapshot>("virtual_disk", ["vm_id"], {
  key: { column: "key", type: "text" },
  label: { column: "label", type: "text" },
  capacityMiB: { column: "capacity_mib", type: "float8" },
  thin: { column: "thin", type: "bool" },
  mode: { column: "mode", type: "text" },
  rdm: { column: "rdm", type: "text" },
  sharing: { column: "sharing", type: "text" },
  datastore: { column: "datastore", type: "text" },
  path: { column: "path", type: "text" },
  format: { column: "format", type: "text" },
  cbtEnabled: { column: "cbt_enabled", type: "bool" },
  bus: { column: "bus", type: "text" },
} satisfies ColumnsOf<VirtualDiskSnapshot>, ["id"]);

export const CONTAINER = new InventoryTable<ContainerSnapshot, ContainerContext>("container", OBJECT_KEYS, {
  hostKey: { column: "host_id", type: "uuid", write: (_c, x) => x.hostId },
  imageKey: { column: "image_id", type: "uuid", write: (_c, x) => x.imageId },
  name: { column: "name", type: "text" },
  image: { column: "image", type: "text" },
  state: { column: "state", type: "text" },
  status: { column: "status", type: "text" },
  createdAt: { column: "created_at", type: "timestamptz" },
  startedAt: { column: "started_at", type: "timestamptz" },
  runtime: { column: "runtime", type: "text" },
  command: { column: "command", type: "text" },
  privileged: { column: "privileged", type: "bool" },
  capAdd: { column: "cap_add", type: "text[]" },
  capDrop: { column: "cap_drop", type: "text[]" },
  user: { column: "user_name", type: "text" },
  networkMode: { column: "network_mode", type: "text" },
  pidMode: { column: "pid_mode", type: "text" },
  ipcMode: { column: "ipc_mode", type: "text" },
  utsMode: { column: "uts_mode", type: "text" },
  usernsMode: { column: "userns_mode", type: "text" },
  securityOptions: { column: "security_options", type: "text[]" },
  seccompProfile: { column: "seccomp_profile", type: "text" },
  apparmorProfile: { column: "apparmor_profile", type: "text" },
  noNewPrivileges: { column: "no_new_privileges", type: "bool" },
  readOnlyRootfs: { column: "read_only_rootfs", type: "bool" },
  memoryLimitBytes: { column: "memory_limit_bytes", type: "int8" },
  memoryReservationBytes: { column: "memory_reservation_bytes", type: "int8" },
  cpuShares: { column: "cpu_shares", type: "int4" },
  nanoCpus: { column: "nano_cpus", type: "int8" },
  cpuQuota: { column: "cpu_quota", type: "int8" },
  cpuPeriod: { column: "cpu_period", type: "int8" },
  cpusetCpus: { column: "cpuset_cpus", type: "text" },
  pidsLimit: { column: "pids_limit", type: "int8" },
  restartPolicy: { column: "restart_policy", type: "text" },
  health: { column: "health", type: "text" },
  devices: { column: "devices", type: "text[]" },
  // Sorted by key, so the same labels in another order are no change.
  labels: { column: "labels", type: "jsonb", write: (c) => sortedLabels(c.labels), read: (value) => value ?? {} },
  links: { column: "links", type: "text[]" },
  systemContainer: { column: "system_container", type: "bool" },
  nesting: { column: "nesting", type: "bool" },
  idmapIsolated: { column: "idmap_isolated", type: "bool" },
  rawLxc: { column: "raw_lxc", type: "text" },
  rawIdmap: { column: "raw_idmap", type: "text" },
  project: { column: "project", type: "text" },
  profiles: { column: "profiles", type: "text[]" },
  snapshotCount: { column: "snapshot_count", type: "int4" },
  storageDriver: { column: "storage_driver", type: "text" },
} satisfies ColumnsOf<ContainerSnapshot, ContainerContext, "hostKey" | "imageKey", "hostExternalId" | "imageExternalId" | "mounts" | "ports">, OBJECT_TIMES);

export const CONTAINER_MOUNT = new InventoryTable<ContainerMountSnapshot>("container_mount", ["container_id"], {
  position: { column: "position", type: "int4", write: (_m, _c, position) => position, read: false },
  type: { column: "type", type: "text" },
  source: { column: "source", type: "text" },
  destination: { column: "destination", type: "text" },
  readOnly: { column: "read_only", type: "bool" },
  propagation: { column: "propagation", type: "text" },
} satisfies ColumnsOf<ContainerMountSnapshot, void, "position">, ["id"]);

export const CONTAINER_PORT = new InventoryTable<ContainerPortSnapshot>("container_port", ["container_id"], {
  position: { column: "position", type: "int4", write: (_p, _c, position) => position, read: false },
  containerPort: { column: "container_port", type: "int4" },
  protocol: { column: "protocol", type: "text" },
  hostIp: { column: "host_ip", type: "text" },
  hostPort: { column: "host_port", type: "int4" },
} satisfies ColumnsOf<ContainerPortSnapshot, void, "position">, ["id"]);

export const IMAGE = new InventoryTable<ImageSnapshot, ImageContext>("image", OBJECT_KEYS, {
  hostKey: { column: "host_id", type: "uuid", write: (_i, c) => c.hostId },
  repoTags: { column: "repo_tags", type: "text[]" },
  repoDigests: { column: "repo_digests", type: "text[]" },
  sizeBytes: { column: "size_bytes", type: "int8" },
  createdAt: { column: "created_at", type: "timestamptz" },
  os: { column: "os", type: "text" },
  architecture: { column: "architecture", type: "text" },
  healthcheck: { column: "healthcheck", type: "bool" },
} satisfies ColumnsOf<ImageSnapshot, ImageContext, "hostKey", "hostExternalId" | "layers">, OBJECT_TIMES);

/** Layers are per source and keyed by digest (no external id, no fingerprint: a digest names its content). */
export const LAYER = new InventoryTable<LayerSnapshot>("layer", ["id", "source_id"], {
  digest: { column: "digest", type: "text" },
  sizeBytes: { column: "size_bytes", type: "int8" },
} satisfies ColumnsOf<LayerSnapshot>);

/** An image's layers, bottom to top; the loader reads the layers' own columns through it. */
export const IMAGE_LAYER = new InventoryTable<LayerSnapshot, LayerIds>("image_layer", ["image_id"], {
  layerId: { column: "layer_id", type: "uuid", write: (l, ids) => ids.get(l.digest)!, read: false },
  position: { column: "position", type: "int4", write: (_l, _ids, position) => position, read: false },
} satisfies ColumnsOf<LayerSnapshot, LayerIds, "layerId" | "position", "digest" | "sizeBytes">);

/** Every table ingest writes. */
export const INVENTORY_TABLES = [
  HOST, VIRTUAL_MACHINE, VIRTUAL_DISK, CONTAINER, CONTAINER_MOUNT, CONTAINER_PORT, IMAGE, LAYER, IMAGE_LAYER,
] as const;

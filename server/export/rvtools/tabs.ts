/**
 * Any inventory as RVTools tabs: the snapshot of a source (vSphere, libvirt, docker hosts, demo) →
 * vInfo, vCPU, vMemory, vDisk, vPartition, vNetwork, vSnapshot, vTools, vHost, vCluster, vDatastore
 * and vMetaData, with RVTools' header names (the current "MiB" names) and units (sizes in MiB).
 *
 * The headers of the columns the importer reads come from the importer's own table
 * (server/collectors/rvtools/columns.ts, each column's first name), so one table drives both ways:
 * an exported workbook reads back through createRvtoolsBuilder into the same facts (see
 * docs/domain.md#export for what RVTools cannot carry). Rows are generated one at a time.
 *
 * Every row carries its vCenter (VI SDK Server, VI SDK UUID): for a vCenter the caller names it;
 * for any other source a pseudo vCenter named after the source, with a UUID derived from that name
 * (stable across exports). Containers and images are not VMs and have no RVTools tab: they are left
 * out; their engine hosts are vHost rows.
 */
import { createHash } from "node:crypto";
import { ATTRIBUTES_AFTER, ATTRIBUTES_BEFORE, headerKey, TABS, type TabName } from "../../collectors/rvtools/columns";
import type { CellValue } from "../../collectors/rvtools/types";
import type { HostSnapshot, Snapshot, VirtualMachineSnapshot } from "../../inventory/snapshot";

/** One inventory to export, and the vCenter its rows name. */
export interface ExportSource {
  snapshot: Snapshot;
  /** VI SDK Server: the vCenter's name, or for another source the source's name ("fleetlens:<name>"). */
  server: string;
  /** VI SDK UUID; derived from `server` when not given. */
  uuid?: string;
}

/** A tab to write: its name, header and rows (generated lazily, once). */
export interface ExportTab {
  name: string;
  header: string[];
  rows: Iterable<CellValue[]>;
}

/** A stable UUID (name-based, SHA-1, RFC 9562 version 5 layout) for a pseudo vCenter. */
export function pseudoVcenterUuid(server: string): string {
  const h = createHash("sha1").update(`fleetlens-rvtools-export\u0000${server}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The header the importer matches for a column (its current RVTools name). */
function name<T extends TabName>(tab: T, column: keyof (typeof TABS)[T]["columns"] & string): string {
  return ((TABS[tab].columns as Record<string, { names: readonly string[] }>)[column]!).names[0]!;
}

type Row<S> = (subject: S) => CellValue;
/** A tab's columns in order: [header, value]. */
type Columns<S> = [string, Row<S>][];

interface VmCtx {
  vm: VirtualMachineSnapshot;
  host: HostSnapshot | null;
  server: string;
  uuid: string;
}

/** The columns every VM tab repeats after its own (RVTools: VM ID, VM UUID, VI SDK Server, VI SDK UUID). */
const VM_KEYS: Columns<VmCtx> = [
  ["VM ID", (c) => c.vm.externalId],
  // "VM UUID" is the instance UUID and "SMBIOS UUID" the BIOS UUID (as the importer reads them).
  ["VM UUID", (c) => c.vm.instanceUuid],
  ["VI SDK Server", (c) => c.server],
  ["VI SDK UUID", (c) => c.uuid],
];

const vmTab = (tab: TabName, own: Columns<VmCtx>): Columns<VmCtx> => [
  [name(tab, "vm" as never), (c) => c.vm.name],
  ...own,
  ...VM_KEYS,
];

/** RVTools has no "paused" (held in memory, not load): written as suspended, the importer's nearest state. */
const POWER: Record<VirtualMachineSnapshot["powerState"], string> = {
  poweredOn: "poweredOn",
  poweredOff: "poweredOff",
  suspended: "suspended",
  paused: "suspended",
};

/** vSphere's names of a disk's sharing and raw compatibility mode, as RVTools writes them. */
const SHARING = { none: "sharingNone", "multi-writer": "sharingMultiWriter" } as const;
const RAW_MODE = { none: null, virtual: "virtualMode", physical: "physicalMode" } as const;

const orNull = <T>(value: T | null | undefined): T | null => value ?? null;

function infoColumns(attributes: string[]): Columns<VmCtx> {
  const before: Columns<VmCtx> = [
    ["VM", (c) => c.vm.name],
    [name("vInfo", "powerState"), (c) => POWER[c.vm.powerState]],
    [name("vInfo", "template"), (c) => c.vm.template],
    [name("vInfo", "dnsName"), (c) => c.vm.hostname],
    [name("vInfo", "consolidationNeeded"), (c) => c.vm.consolidationNeeded],
    [name("vInfo", "cpus"), (c) => c.vm.vcpus],
    [name("vInfo", "memory"), (c) => c.vm.memoryMiB],
    [name("vInfo", "activeMemory"), (c) => c.vm.memoryActiveMiB],
    [name("vInfo", "nics"), (c) => c.vm.nicCount],
    ["Disks", (c) => c.vm.disks.length],
    ["Total disk capacity MiB", (c) => (c.vm.disks.some((d) => d.capacityMiB !== null) ? c.vm.disks.reduce((s, d) => s + (d.capacityMiB ?? 0), 0) : null)],
    [name("vInfo", "enableUuid"), (c) => c.vm.diskEnableUuid],
    [name("vInfo", "cbt"), (c) => c.vm.cbtEnabled],
    [name("vInfo", "primaryIp"), (c) => orNull(c.vm.ipAddresses[0])],
    [name("vInfo", "resourcePool"), (c) => c.vm.resourcePool],
    [name("vInfo", "folder"), (c) => c.vm.folder],
    [name("vInfo", "ftState"), (c) => (c.vm.faultTolerance ? "running" : "notConfigured")],
    [name("vInfo", "provisioned"), (c) => c.vm.provisionedMiB],
    [name("vInfo", "inUse"), (c) => c.vm.usedMiB],
    [name("vInfo", "hwVersion"), (c) => c.vm.hardwareVersion],
    [ATTRIBUTES_AFTER, (c) => c.vm.annotation],
  ];
  const custom: Columns<VmCtx> = attributes.map((a) => [a, (c) => orNull(c.vm.attributes[a])]);
  const after: Columns<VmCtx> = [
    [ATTRIBUTES_BEFORE, (c) => c.vm.datacenter],
    [name("vInfo", "cluster"), (c) => c.vm.cluster],
    [name("vInfo", "host"), (c) => c.host?.name ?? null],
    [name("vInfo", "osConfigured"), (c) => c.vm.guestOsConfigured],
    [name("vInfo", "osTools"), (c) => c.vm.guestOsReported],
    ["VM ID", (c) => c.vm.externalId],
    [name("vInfo", "smbiosUuid"), (c) => c.vm.uuid],
    ["VM UUID", (c) => c.vm.instanceUuid],
    ["VI SDK Server", (c) => c.server],
    ["VI SDK UUID", (c) => c.uuid],
  ];
  return [...before, ...custom, ...after];
}

const CPU: Columns<VmCtx> = vmTab("vCPU", [
  ["CPUs", (c) => c.vm.vcpus],
  ["Sockets", (c) => (c.vm.coresPerSocket ? Math.ceil(c.vm.vcpus / c.vm.coresPerSocket) : null)],
  [name("vCPU", "coresPerSocket"), (c) => c.vm.coresPerSocket],
  [name("vCPU", "hotAdd"), (c) => c.vm.cpuHotAdd],
  [name("vCPU", "hotRemove"), (c) => c.vm.cpuHotRemove],
]);

const MEMORY: Columns<VmCtx> = vmTab("vMemory", [
  ["Size MiB", (c) => c.vm.memoryMiB],
  [name("vMemory", "ballooned"), (c) => c.vm.memoryBalloonedMiB],
  [name("vMemory", "active"), (c) => c.vm.memoryActiveMiB],
  [name("vMemory", "hotAdd"), (c) => c.vm.memoryHotAdd],
]);

const TOOLS: Columns<VmCtx> = vmTab("vTools", [
  [name("vTools", "tools"), (c) => c.vm.toolsStatus],
  [name("vTools", "toolsVersion"), (c) => c.vm.toolsVersion],
]);

type Disk = VirtualMachineSnapshot["disks"][number];
type Fs = VirtualMachineSnapshot["guestFilesystems"][number];
interface NicRow {
  mac: string | null;
  ips: string[];
  index: number;
}
interface SnapRow {
  index: number;
  at: string | null;
}

const sub = <S>(tab: TabName, own: Columns<S>): Columns<VmCtx & { item: S }> =>
  vmTab(tab, own.map(([h, f]) => [h, (c: VmCtx & { item: S }) => f(c.item)] as [string, Row<VmCtx>])) as Columns<
    VmCtx & { item: S }
  >;

const DISK = sub<Disk>("vDisk", [
  [name("vDisk", "disk"), (d) => d.label],
  [name("vDisk", "diskKey"), (d) => d.key],
  [name("vDisk", "path"), (d) => d.path],
  [name("vDisk", "capacity"), (d) => d.capacityMiB],
  [name("vDisk", "raw"), (d) => d.rdm !== "none"],
  [name("vDisk", "mode"), (d) => d.mode],
  [name("vDisk", "sharing"), (d) => SHARING[d.sharing]],
  [name("vDisk", "thin"), (d) => d.thin],
  [name("vDisk", "controller"), (d) => (d.bus ? `${d.bus.length <= 4 ? d.bus.toUpperCase() : d.bus} controller` : null)],
  [name("vDisk", "rawMode"), (d) => RAW_MODE[d.rdm]],
]);

const PARTITION = sub<Fs>("vPartition", [
  [name("vPartition", "diskKey"), (f) => f.diskKey],
  [name("vPartition", "disk"), (f) => f.path],
  [name("vPartition", "capacity"), (f) => f.capacityMiB],
  ["Consumed MiB", (f) => (f.capacityMiB !== null && f.freeMiB !== null ? f.capacityMiB - f.freeMiB : null)],
  [name("vPartition", "free"), (f) => f.freeMiB],
]);

const NETWORK = sub<NicRow>("vNetwork", [
  ["NIC label", (n) => `Network adapter ${n.index + 1}`],
  [name("vNetwork", "mac"), (n) => n.mac],
  [name("vNetwork", "ipv4"), (n) => orNull(n.ips.filter((ip) => !ip.includes(":")).join(", ") || null)],
  [name("vNetwork", "ipv6"), (n) => orNull(n.ips.filter((ip) => ip.includes(":")).join(", ") || null)],
]);

const SNAPSHOT = sub<SnapRow>("vSnapshot", [
  ["Name", (s) => `snapshot ${s.index + 1}`],
  [name("vSnapshot", "createdAt"), (s) => (s.at ? new Date(s.at) : null)],
]);

interface HostCtx {
  host: HostSnapshot;
  server: string;
  uuid: string;
}

/** The product a host runs, as RVTools' ESX Version ("VMware ESXi 8.0.2 build-22380479"). */
function productOf(h: HostSnapshot): string | null {
  if (h.platform === "esxi" && h.osName) return h.osName;
  const parts = [h.productName, h.productVersion, h.productBuild ? `build-${h.productBuild}` : null].filter((p) => p);
  return parts.length > 0 ? parts.join(" ") : h.osName;
}

const HOST: Columns<HostCtx> = [
  [name("vHost", "host"), (c) => c.host.name],
  [name("vHost", "datacenter"), (c) => c.host.datacenter],
  [name("vHost", "cluster"), (c) => c.host.cluster],
  [name("vHost", "cpuModel"), (c) => c.host.cpuModel],
  [name("vHost", "mhz"), (c) => c.host.cpuMhz],
  [name("vHost", "htActive"), (c) => (c.host.cpuThreads === null ? null : c.host.cpuThreads > c.host.cpuCores)],
  [name("vHost", "sockets"), (c) => c.host.cpuSockets],
  ["Cores per CPU", (c) => (c.host.cpuSockets ? c.host.cpuCores / c.host.cpuSockets : null)],
  [name("vHost", "cores"), (c) => c.host.cpuCores],
  [name("vHost", "memory"), (c) => c.host.memoryMiB],
  [name("vHost", "esxVersion"), (c) => productOf(c.host)],
  [name("vHost", "vendor"), (c) => c.host.vendor],
  [name("vHost", "model"), (c) => c.host.model],
  [name("vHost", "uuid"), (c) => c.host.hardwareUuid],
  ["VI SDK Server", (c) => c.server],
  ["VI SDK UUID", (c) => c.uuid],
];

interface ClusterCtx {
  name: string;
  drs: boolean | null;
  dpm: boolean | null;
  hosts: number;
  server: string;
  uuid: string;
}

const CLUSTER: Columns<ClusterCtx> = [
  [name("vCluster", "name"), (c) => c.name],
  ["NumHosts", (c) => c.hosts],
  [name("vCluster", "drsEnabled"), (c) => c.drs],
  [name("vCluster", "dpmEnabled"), (c) => c.dpm],
  ["VI SDK Server", (c) => c.server],
  ["VI SDK UUID", (c) => c.uuid],
];

interface DatastoreCtx {
  name: string;
  vms: number;
  server: string;
  uuid: string;
}

/** The snapshot has no datastore object: its rows name the datastores the VMs' disks are on, and how many VMs. */
const DATASTORE: Columns<DatastoreCtx> = [
  [name("vDatastore", "name"), (c) => c.name],
  ["# VMs", (c) => c.vms],
  [name("vDatastore", "capacity"), () => null],
  [name("vDatastore", "free"), () => null],
  ["VI SDK Server", (c) => c.server],
  ["VI SDK UUID", (c) => c.uuid],
];

/** Every VM of every source with its host and vCenter, one at a time. */
function* vms(sources: ExportSource[]): Generator<VmCtx> {
  for (const s of sources) {
    const uuid = s.uuid ?? pseudoVcenterUuid(s.server);
    const hosts = new Map(s.snapshot.hosts.map((h) => [h.externalId, h]));
    for (const vm of s.snapshot.virtualMachines) {
      yield { vm, host: vm.hostExternalId ? (hosts.get(vm.hostExternalId) ?? null) : null, server: s.server, uuid };
    }
  }
}

function* rows<S>(columns: Columns<S>, subjects: Iterable<S>): Generator<CellValue[]> {
  for (const subject of subjects) yield columns.map(([, f]) => f(subject));
}

function* vmItems<S>(sources: ExportSource[], items: (vm: VirtualMachineSnapshot) => Iterable<S>) {
  for (const c of vms(sources)) for (const item of items(c.vm)) yield { ...c, item };
}

const tab = <S>(tabName: string, columns: Columns<S>, subjects: () => Iterable<S>): ExportTab => ({
  name: tabName,
  header: columns.map(([h]) => h),
  rows: { [Symbol.iterator]: () => rows(columns, subjects())[Symbol.iterator]() },
});

function* nics(vm: VirtualMachineSnapshot): Generator<NicRow> {
  const count = Math.max(vm.nicCount ?? 0, vm.macAddresses.length);
  // The snapshot does not say which NIC has which address: they are written on the first NIC's row.
  for (let index = 0; index < count; index++) {
    yield { index, mac: orNull(vm.macAddresses[index]), ips: index === 0 ? vm.ipAddresses : [] };
  }
}

function* snapshots(vm: VirtualMachineSnapshot): Generator<SnapRow> {
  // The snapshot keeps a VM's snapshot count and the oldest one's date, not each snapshot.
  for (let index = 0; index < vm.snapshotCount; index++) yield { index, at: index === 0 ? vm.snapshotOldestAt : null };
}

/**
 * The custom-attribute columns of vInfo: every attribute name of the VMs, first seen first. A name
 * that is (in the importer's matching: trimmed, any case) a vInfo column this export writes or the
 * importer reads under any of its names would be read as that column: such attributes are left out.
 */
export function attributeNames(sources: ExportSource[]): string[] {
  const known = new Set([
    ...infoColumns([]).map(([h]) => headerKey(h)),
    ...Object.values(TABS.vInfo.columns as Record<string, { names: readonly string[] }>).flatMap((c) => c.names.map(headerKey)),
  ]);
  const out = new Map<string, string>();
  for (const s of sources) {
    for (const vm of s.snapshot.virtualMachines) {
      for (const a of Object.keys(vm.attributes)) {
        const k = headerKey(a);
        if (k !== "" && !known.has(k) && !out.has(k)) out.set(k, a);
      }
    }
  }
  return [...out.values()];
}

export interface ExportOptions {
  /** vMetaData's "xlsx creation datetime"; the first snapshot's collectedAt when not given. */
  createdAt?: string;
}

/**
 * The RVTools tabs of these inventories, in RVTools' order. Each tab's rows are generated when
 * iterated (one pass over the VMs per tab); vCluster and vDatastore keep one record per cluster or
 * datastore name, and vInfo's header the union of the custom-attribute names.
 */
export function rvtoolsTabs(sources: ExportSource[], options: ExportOptions = {}): ExportTab[] {
  const custom = attributeNames(sources);

  function* clusters(): Generator<ClusterCtx> {
    for (const s of sources) {
      const uuid = s.uuid ?? pseudoVcenterUuid(s.server);
      const seen = new Map<string, ClusterCtx>();
      for (const h of s.snapshot.hosts) {
        if (!h.cluster) continue;
        const c = seen.get(h.cluster);
        if (c) c.hosts++;
        else seen.set(h.cluster, { name: h.cluster, drs: h.drsEnabled, dpm: h.dpmEnabled, hosts: 1, server: s.server, uuid });
      }
      yield* seen.values();
    }
  }

  function* datastores(): Generator<DatastoreCtx> {
    for (const s of sources) {
      const uuid = s.uuid ?? pseudoVcenterUuid(s.server);
      const count = new Map<string, number>();
      for (const vm of s.snapshot.virtualMachines) {
        for (const ds of new Set(vm.disks.map((d) => d.datastore).filter((d): d is string => !!d))) count.set(ds, (count.get(ds) ?? 0) + 1);
      }
      for (const [n, v] of count) yield { name: n, vms: v, server: s.server, uuid };
    }
  }

  function* hosts(): Generator<HostCtx> {
    for (const s of sources) {
      const uuid = s.uuid ?? pseudoVcenterUuid(s.server);
      for (const host of s.snapshot.hosts) yield { host, server: s.server, uuid };
    }
  }

  const createdAt = options.createdAt ?? sources[0]?.snapshot.collectedAt ?? null;
  const meta: Columns<null> = [
    ["RVTools major version", () => null],
    ["RVTools version", () => "Fleetlens export"],
    ["xlsx creation datetime", () => (createdAt ? new Date(createdAt) : null)],
    ["Server", () => sources.map((s) => s.server).join(", ")],
  ];

  return [
    tab("vInfo", infoColumns(custom), () => vms(sources)),
    tab("vCPU", CPU, () => vms(sources)),
    tab("vMemory", MEMORY, () => vms(sources)),
    tab("vDisk", DISK, () => vmItems(sources, (vm) => vm.disks)),
    tab("vPartition", PARTITION, () => vmItems(sources, (vm) => vm.guestFilesystems)),
    tab("vNetwork", NETWORK, () => vmItems(sources, nics)),
    tab("vSnapshot", SNAPSHOT, () => vmItems(sources, snapshots)),
    tab("vTools", TOOLS, () => vms(sources)),
    tab("vCluster", CLUSTER, clusters),
    tab("vHost", HOST, hosts),
    tab("vDatastore", DATASTORE, datastores),
    tab("vMetaData", meta, () => [null]),
  ];
}

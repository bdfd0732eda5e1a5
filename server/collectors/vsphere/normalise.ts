/**
 * Pure normalisation: vSphere managed objects' properties (as read from RetrievePropertiesEx) →
 * records of this collector (one per object, read as the objects stream in), then the records →
 * the snapshot, with datacenter, cluster, folder and resource pool resolved through the parents.
 *
 * Units: vSphere counts memory in MB (MiB) and bytes, disks in KB or bytes; the snapshot counts
 * MiB. Facts the server does not give are null, never 0.
 */
import { osFamilyOf, type OsFamily } from "../../inventory/os-identity";
import { DISK_MODES, type SnapshotInput } from "../../inventory/snapshot";
import type { AboutInfo, MoRef, ObjectContent } from "./client";
import { readMoRef } from "./client";
import type { UtilisationSeriesInput } from "../../utilisation/series";
import { diskAddress, readControllers, readExtraConfig, readGuestFilesystems, readHostAffinityVms } from "./forklift";
import { child, type XmlElement } from "./xml";

type VirtualMachineInput = NonNullable<SnapshotInput["virtualMachines"]>[number];
type HostInput = NonNullable<SnapshotInput["hosts"]>[number];
type DiskInput = NonNullable<VirtualMachineInput["disks"]>[number];

const MiB = 1024 * 1024;

export interface EntityRecord {
  ref: MoRef;
  name: string;
  parent: MoRef | null;
}

export interface ComputeResourceRecord extends EntityRecord {
  /** A cluster (ClusterComputeResource), or a standalone host's compute resource. */
  isCluster: boolean;
  drsEnabled: boolean | null;
  drsBehavior: string | null;
  haEnabled: boolean | null;
  dpmEnabled: boolean | null;
  /** The VMs (MoRef values) the cluster's VM-Host affinity rules name (Forklift's hostAffinityVms). */
  hostAffinityVms: Set<string>;
}

export interface DatastoreRecord extends EntityRecord {
  type: string | null;
  capacityMiB: number | null;
  freeMiB: number | null;
  url: string | null;
  accessible: boolean | null;
}

export interface HostRecord extends EntityRecord {
  /** The host as the snapshot has it, before datacenter and cluster are resolved. */
  host: HostInput;
  /** summary.quickStats at the collection: overallCpuUsage (MHz), overallMemoryUsage (MB). */
  quickStats: { cpuMhz: number | null; memoryMiB: number | null };
}

export interface VirtualMachineRecord extends EntityRecord {
  parentVApp: MoRef | null;
  resourcePool: MoRef | null;
  host: MoRef | null;
  /** Disks' datastores when the file name does not say (by reference). */
  diskDatastores: Map<string, MoRef>;
  /** The VM as the snapshot has it, before host, datacenter, cluster, folder and pool are resolved. */
  vm: VirtualMachineInput;
  /** Custom attribute values by field key (customValue); named in `toSnapshot` from the field definitions. */
  customValues: [string, string][];
  /** summary.quickStats at the collection (MHz, MB); read for powered-on VMs only. */
  quickStats: VmQuickStats | null;
}

export interface VmQuickStats {
  cpuMhz: number | null;
  guestMemoryMiB: number | null;
  hostMemoryMiB: number | null;
  balloonedMiB: number | null;
  swappedMiB: number | null;
  /** Host memory the VM's virtualisation costs (consumedOverheadMemory). */
  overheadMiB: number | null;
}

/** Everything one collection read, as records; `toSnapshot` turns it into the snapshot. */
export interface VsphereInventory {
  about: AboutInfo;
  datacenters: EntityRecord[];
  folders: EntityRecord[];
  computeResources: ComputeResourceRecord[];
  resourcePools: EntityRecord[];
  hosts: HostRecord[];
  datastores: DatastoreRecord[];
  virtualMachines: VirtualMachineRecord[];
  /** Properties the server did not give, by type, path and fault: counted, reported as warnings. */
  missing: Map<string, number>;
  /** Custom attribute names by field key (CustomFieldsManager.field); empty when not readable. */
  customFieldNames: Map<string, string>;
  /** Other problems of this collection (e.g. the custom field definitions could not be read). */
  warnings: string[];
}

export function emptyInventory(about: AboutInfo): VsphereInventory {
  return {
    about,
    datacenters: [],
    folders: [],
    computeResources: [],
    resourcePools: [],
    hosts: [],
    datastores: [],
    virtualMachines: [],
    missing: new Map(),
    customFieldNames: new Map(),
    warnings: [],
  };
}

// --- reading values ---------------------------------------------------------------------------

function str(e: XmlElement | undefined): string | null {
  return e ? e.text : null;
}

/** Text, with "" as null (vSphere sends empty strings for unset annotations, hostnames...). */
function nonEmpty(e: XmlElement | undefined): string | null {
  const value = e?.text.trim();
  return value ? value : null;
}

function bool(e: XmlElement | undefined): boolean | null {
  if (!e) return null;
  return e.text === "true" || e.text === "1";
}

function num(e: XmlElement | undefined): number | null {
  if (!e || e.text.trim() === "") return null;
  const value = Number(e.text);
  return Number.isFinite(value) ? value : null;
}

function count(e: XmlElement | undefined): number | null {
  const value = num(e);
  return value !== null && Number.isInteger(value) && value >= 0 ? value : null;
}

/** A non-negative number (quick stats are ints; a negative one is not a measure). */
function measure(e: XmlElement | undefined): number | null {
  const value = num(e);
  return value !== null && value >= 0 ? value : null;
}

/** An xsd:dateTime → ISO 8601 (UTC); null when absent or unreadable. */
function timestamp(e: XmlElement | undefined): string | null {
  const text = e?.text.trim();
  if (!text) return null;
  const time = Date.parse(text);
  return Number.isFinite(time) ? new Date(time).toISOString() : null;
}

function mibFromBytes(bytes: number | null): number | null {
  return bytes === null || bytes < 0 ? null : Math.round((bytes / MiB) * 1000) / 1000;
}

function at(e: XmlElement | undefined, ...names: string[]): XmlElement | undefined {
  let current = e;
  for (const name of names) current = child(current, name);
  return current;
}

function name(object: ObjectContent) {
  return object.props.get("name")?.text ?? object.obj.value;
}

function entity(object: ObjectContent): EntityRecord {
  return { ref: object.obj, name: name(object), parent: readMoRef(object.props.get("parent")) };
}

/**
 * Nested paths whose parent is often unset: a VM without vApp options has no config.vAppConfig, and
 * some servers (vcsim) then answer InvalidProperty for the path rather than leaving it out.
 */
const OPTIONAL_NESTED_PATHS = new Set(["config.vAppConfig.product"]);

function noteMissing(inventory: VsphereInventory, object: ObjectContent) {
  for (const m of object.missing) {
    if (m.fault === "InvalidProperty" && OPTIONAL_NESTED_PATHS.has(m.path)) continue;
    const key = `${object.obj.type} ${m.path} (${m.fault || "unknown fault"})`;
    inventory.missing.set(key, (inventory.missing.get(key) ?? 0) + 1);
  }
}

// --- guest OS ---------------------------------------------------------------------------------

/**
 * The guest's family from the names the VM gives, believed in this order (os-identity.ts): what
 * VMware Tools report (guest.guestFullName), the guest id (vim25 VirtualMachineGuestOsIdentifier:
 * windows* → windows; Linux distributions and other*Linux → linux; solaris*, freebsd*, darwin*,
 * vmkernel*… → other), then the configured name. "otherGuest64" / "Other (64-bit)" say nothing: unknown.
 */
export function guestOsFamily(guestId: string | null, reportedName: string | null = null, configuredName: string | null = null): OsFamily {
  return osFamilyOf({ guestOsReported: reportedName, guestOsId: guestId, guestOsConfigured: configuredName });
}

// --- per type ---------------------------------------------------------------------------------

export function readDatacenter(inventory: VsphereInventory, object: ObjectContent) {
  noteMissing(inventory, object);
  inventory.datacenters.push(entity(object));
}

export function readFolder(inventory: VsphereInventory, object: ObjectContent) {
  noteMissing(inventory, object);
  inventory.folders.push(entity(object));
}

export function readResourcePool(inventory: VsphereInventory, object: ObjectContent) {
  noteMissing(inventory, object);
  inventory.resourcePools.push(entity(object));
}

export function readComputeResource(inventory: VsphereInventory, object: ObjectContent) {
  noteMissing(inventory, object);
  const config = object.props.get("configurationEx");
  const isCluster = object.obj.type === "ClusterComputeResource" || config?.xsiType === "ClusterConfigInfoEx";
  inventory.computeResources.push({
    ...entity(object),
    isCluster,
    drsEnabled: isCluster ? (bool(at(config, "drsConfig", "enabled")) ?? false) : null,
    drsBehavior: isCluster ? str(at(config, "drsConfig", "defaultVmBehavior")) : null,
    haEnabled: isCluster ? (bool(at(config, "dasConfig", "enabled")) ?? false) : null,
    dpmEnabled: isCluster ? (bool(at(config, "dpmConfigInfo", "enabled")) ?? false) : null,
    hostAffinityVms: isCluster ? readHostAffinityVms(config) : new Set(),
  });
}

export function readDatastore(inventory: VsphereInventory, object: ObjectContent) {
  noteMissing(inventory, object);
  const p = object.props;
  inventory.datastores.push({
    ...entity(object),
    type: nonEmpty(p.get("summary.type")),
    capacityMiB: mibFromBytes(num(p.get("summary.capacity"))),
    freeMiB: mibFromBytes(num(p.get("summary.freeSpace"))),
    url: nonEmpty(p.get("summary.url")),
    accessible: bool(p.get("summary.accessible")),
  });
}

export function readHost(inventory: VsphereInventory, object: ObjectContent) {
  noteMissing(inventory, object);
  const p = object.props;
  const hardware = p.get("summary.hardware");
  const product = p.get("summary.config.product");
  const ipAddresses: string[] = [];
  const macAddresses: string[] = [];
  for (const vnic of p.get("config.network.vnic")?.children ?? []) {
    const spec = child(vnic, "spec");
    const ip = nonEmpty(at(spec, "ip", "ipAddress"));
    if (ip) ipAddresses.push(ip);
    for (const v6 of at(spec, "ip", "ipV6Config")?.children ?? []) {
      const address = v6.name === "ipV6Address" ? nonEmpty(child(v6, "ipAddress")) : null;
      if (address) ipAddresses.push(address);
    }
    const mac = nonEmpty(child(spec, "mac"));
    if (mac) macAddresses.push(mac);
  }
  const dns = p.get("config.network.dnsConfig");
  const hostName = nonEmpty(child(dns, "hostName"));
  const domain = nonEmpty(child(dns, "domainName"));
  const record = entity(object);
  inventory.hosts.push({
    ...record,
    host: {
      externalId: object.obj.value,
      name: record.name,
      role: "hypervisor",
      platform: "esxi",
      vendor: nonEmpty(child(hardware, "vendor")),
      model: nonEmpty(child(hardware, "model")),
      cpuModel: nonEmpty(child(hardware, "cpuModel")),
      cpuSockets: count(child(hardware, "numCpuPkgs")),
      cpuCores: count(child(hardware, "numCpuCores")) ?? 0,
      cpuThreads: count(child(hardware, "numCpuThreads")),
      cpuMhz: count(child(hardware, "cpuMhz")),
      memoryMiB: mibFromBytes(num(child(hardware, "memorySize"))) ?? 0,
      osName: nonEmpty(child(product, "fullName")),
      productName: nonEmpty(child(product, "name")),
      productVersion: nonEmpty(child(product, "version")),
      productBuild: nonEmpty(child(product, "build")),
      apiVersion: nonEmpty(child(product, "apiVersion")),
      connectionState: nonEmpty(p.get("runtime.connectionState")),
      powerState: nonEmpty(p.get("runtime.powerState")),
      hardwareUuid: nonEmpty(child(hardware, "uuid")),
      hostname: hostName ? (domain && !hostName.includes(".") ? `${hostName}.${domain}` : hostName) : null,
      ipAddresses: [...new Set(ipAddresses)],
      macAddresses: [...new Set(macAddresses)],
      // TPS between VMs is off by default since 2015 (salting); the host setting is not read here.
      memorySharing: "unknown",
      bootedAt: timestamp(p.get("runtime.bootTime")),
    },
    quickStats: {
      cpuMhz: measure(p.get("summary.quickStats.overallCpuUsage")),
      memoryMiB: measure(p.get("summary.quickStats.overallMemoryUsage")),
    },
  });
}

/** The disk modes the snapshot knows; any other becomes "unknown". */
const KNOWN_DISK_MODES = new Set<string>(DISK_MODES);

/** Backing type → disk format. */
const DISK_FORMATS: Record<string, string> = {
  VirtualDiskFlatVer2BackingInfo: "flat",
  VirtualDiskFlatVer1BackingInfo: "flat",
  VirtualDiskSeSparseBackingInfo: "sesparse",
  VirtualDiskSparseVer2BackingInfo: "sparse",
  VirtualDiskSparseVer1BackingInfo: "sparse",
  VirtualDiskRawDiskMappingVer1BackingInfo: "rdm",
  VirtualDiskRawDiskVer2BackingInfo: "raw",
  VirtualDiskPartitionedRawDiskVer2BackingInfo: "raw",
  VirtualDiskLocalPMemBackingInfo: "pmem",
};

const ETHERNET_CARDS = new Set([
  "VirtualE1000",
  "VirtualE1000e",
  "VirtualPCNet32",
  "VirtualVmxnet",
  "VirtualVmxnet2",
  "VirtualVmxnet3",
  "VirtualVmxnet3Vrdma",
  "VirtualSriovEthernetCard",
]);

/** "[datastore1] vm/vm.vmdk" → "datastore1". */
export function datastoreOfPath(fileName: string | null): string | null {
  const match = fileName ? /^\[([^\]]+)\]/.exec(fileName) : null;
  return match?.[1] ?? null;
}

function readDisk(device: XmlElement, address: { bus: string | null; cbtEnabled: boolean | null }): DiskInput {
  const backing = child(device, "backing");
  const backingType = backing?.xsiType ?? "";
  const bytes = num(child(device, "capacityInBytes"));
  const kb = num(child(device, "capacityInKB"));
  // Neither capacityInBytes nor capacityInKB: unknown, stored as null (never 0).
  const capacityMiB = bytes !== null ? bytes / MiB : kb !== null ? kb / 1024 : null;
  const mode = str(child(backing, "diskMode"));
  const compatibility = str(child(backing, "compatibilityMode"));
  const rdm =
    backingType === "VirtualDiskRawDiskMappingVer1BackingInfo"
      ? compatibility === "virtualMode"
        ? "virtual"
        : "physical"
      : backingType === "VirtualDiskRawDiskVer2BackingInfo" || backingType === "VirtualDiskPartitionedRawDiskVer2BackingInfo"
        ? "physical"
        : "none";
  const fileName = nonEmpty(child(backing, "fileName"));
  return {
    key: child(device, "key")?.text ?? "",
    label: nonEmpty(at(device, "deviceInfo", "label")),
    capacityMiB: capacityMiB === null ? null : Math.max(0, capacityMiB),
    thin: rdm === "none" ? bool(child(backing, "thinProvisioned")) : null,
    mode: mode === null ? "persistent" : KNOWN_DISK_MODES.has(mode) ? (mode as DiskInput["mode"]) : "unknown",
    rdm,
    sharing: str(child(backing, "sharing")) === "sharingMultiWriter" ? "multi-writer" : "none",
    datastore: datastoreOfPath(fileName),
    path: fileName,
    format: DISK_FORMATS[backingType] ?? (backingType || null),
    cbtEnabled: address.cbtEnabled,
    bus: address.bus,
  };
}

interface SnapshotSummary {
  count: number;
  oldest: number | null;
}

function walkSnapshots(list: XmlElement[], into: SnapshotSummary) {
  for (const tree of list) {
    if (tree.name !== "VirtualMachineSnapshotTree" && tree.name !== "childSnapshotList") continue;
    into.count++;
    const created = Date.parse(child(tree, "createTime")?.text ?? "");
    if (Number.isFinite(created) && (into.oldest === null || created < into.oldest)) into.oldest = created;
    walkSnapshots(tree.children.filter((c) => c.name === "childSnapshotList"), into);
  }
}

/**
 * ESXi's delta disk names: "<disk>-000001.vmdk" (descriptor) with "-000001-delta.vmdk" or
 * "-000001-sesparse.vmdk" (extent).
 */
const DELTA_DISK = /-\d{6}(-delta|-sesparse)?\.vmdk$/i;

/**
 * What the VM's snapshots hold on its datastores, in MiB, from layoutEx.file (VirtualMachine
 * FileLayoutExFileInfo: name, type, size): the snapshot state files (type snapshotData, the .vmsn;
 * snapshotMemory, the .vmem of a snapshot taken with memory) and the delta disks the snapshots
 * started (diskDescriptor/diskExtent files named as ESXi names deltas), as RVTools' vSnapshot
 * "Size MiB (total)" counts them. Null without snapshots or without a file list.
 */
export function snapshotSizeMiB(files: XmlElement | undefined, snapshotCount: number): number | null {
  if (snapshotCount === 0 || !files) return null;
  let bytes = 0;
  for (const f of files.children) {
    const type = child(f, "type")?.text.trim();
    const size = num(child(f, "size"));
    if (size === null || size < 0) continue;
    if (type === "snapshotData" || type === "snapshotMemory") bytes += size;
    else if ((type === "diskDescriptor" || type === "diskExtent") && DELTA_DISK.test(child(f, "name")?.text.trim() ?? "")) bytes += size;
  }
  return mibFromBytes(bytes);
}

// --- what the VM is ---------------------------------------------------------------------------

type ProductInput = NonNullable<VirtualMachineInput["product"]>;

/** One VAppProductInfo (or a summary's product) → the snapshot's product; null without a name. */
function readProduct(e: XmlElement | undefined): ProductInput | null {
  const name = bounded(nonEmpty(child(e, "name")));
  if (!name) return null;
  return {
    name,
    vendor: bounded(nonEmpty(child(e, "vendor"))),
    version: bounded(nonEmpty(child(e, "version"))),
    fullVersion: bounded(nonEmpty(child(e, "fullVersion"))),
    productUrl: bounded(nonEmpty(child(e, "productUrl"))),
    vendorUrl: bounded(nonEmpty(child(e, "vendorUrl"))),
  };
}

/**
 * The vApp / OVF product: the first product of config.vAppConfig.product with a name (an OVA's
 * ProductSection, as vCSA, NSX, Aria and other appliances ship), else summary.config.product.
 */
export function vmProduct(vAppProducts: XmlElement | undefined, summaryProduct: XmlElement | undefined): ProductInput | null {
  for (const p of vAppProducts?.children ?? []) {
    const product = readProduct(p);
    if (product) return product;
  }
  return readProduct(summaryProduct);
}

/** config.managedBy (ManagedByInfo): the solution's extension key and the type it gives the VM. */
export function vmManagedBy(e: XmlElement | undefined): VirtualMachineInput["managedBy"] {
  const extensionKey = bounded(nonEmpty(child(e, "extensionKey")));
  return extensionKey ? { extensionKey, type: bounded(nonEmpty(child(e, "type"))) } : null;
}

/** customValue (CustomFieldStringValue: key, value) → [key, value] pairs; empty values are left out. */
export function customValues(e: XmlElement | undefined): [string, string][] {
  const out: [string, string][] = [];
  for (const v of e?.children ?? []) {
    const key = child(v, "key")?.text.trim();
    const value = child(v, "value");
    if (key && value && value.text !== "") out.push([key, value.text]);
  }
  return out;
}

/** At most `max` characters (the snapshot's TEXT_MAX by default), without NUL. */
function bounded(value: string | null, max = 4096): string | null {
  return value === null ? null : value.replaceAll("\u0000", "").slice(0, max);
}

/** Custom attributes by name: at most 256, names of at most 512 and values of at most 4,096 characters. */
export function namedAttributes(values: [string, string][], names: Map<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [key, value] of values) {
    if (n >= 256) break;
    const name = bounded(names.get(key) ?? `custom field ${key}`, 512)!;
    if (name === "" || Object.hasOwn(out, name)) continue;
    out[name] = bounded(value)!;
    n++;
  }
  return out;
}

/** CustomFieldsManager.field (CustomFieldDef: key, name) → names by key. */
export function readCustomFieldNames(field: XmlElement | undefined): Map<string, string> {
  const names = new Map<string, string>();
  for (const def of field?.children ?? []) {
    const key = child(def, "key")?.text.trim();
    const name = child(def, "name")?.text.trim();
    if (key && name) names.set(key, name);
  }
  return names;
}

export function readVirtualMachine(inventory: VsphereInventory, object: ObjectContent) {
  noteMissing(inventory, object);
  const p = object.props;
  const record = entity(object);

  const disks: DiskInput[] = [];
  const diskDatastores = new Map<string, MoRef>();
  const macAddresses: string[] = [];
  let nicCount = 0;
  let passthrough = false;
  let sriov = false;
  let usbController = false;
  let tpm = false;
  const devices = p.get("config.hardware.device");
  const extraConfigElement = p.get("config.extraConfig");
  const extraConfig = readExtraConfig(extraConfigElement);
  const controllers = readControllers(devices?.children ?? []);
  for (const device of devices?.children ?? []) {
    const type = device.xsiType || device.name;
    if (type === "VirtualDisk") {
      // Per-disk CBT as Forklift has it: true where <bus><n>:<unit>.ctkEnabled is true, else false
      // (when extraConfig was read at all).
      const { bus, address } = diskAddress(device, controllers);
      const cbtEnabled = extraConfigElement ? address !== null && extraConfig.ctkDisks.has(address) : null;
      const disk = readDisk(device, { bus, cbtEnabled });
      disks.push(disk);
      const ds = readMoRef(at(device, "backing", "datastore"));
      if (ds) diskDatastores.set(disk.key, ds);
    } else if (ETHERNET_CARDS.has(type) || (type.endsWith("EthernetCard") && child(device, "macAddress"))) {
      nicCount++;
      const mac = nonEmpty(child(device, "macAddress"));
      if (mac) macAddresses.push(mac);
      if (type === "VirtualSriovEthernetCard") sriov = true;
    } else if (type === "VirtualPCIPassthrough") {
      passthrough = true;
    } else if (type === "VirtualUSBController") {
      // USB 2 only, as Forklift's usb_controller.rego (its inventory does not list xHCI controllers).
      usbController = true;
    } else if (type === "VirtualTPM") {
      tpm = true;
    }
  }

  const ipAddresses: string[] = [];
  const primaryIp = nonEmpty(p.get("guest.ipAddress"));
  if (primaryIp) ipAddresses.push(primaryIp);
  for (const nic of p.get("guest.net")?.children ?? []) {
    for (const ip of nic.children) if (ip.name === "ipAddress" && ip.text) ipAddresses.push(ip.text);
  }

  let guestCapacity: number | null = null;
  let guestFree: number | null = null;
  for (const disk of p.get("guest.disk")?.children ?? []) {
    guestCapacity = (guestCapacity ?? 0) + (num(child(disk, "capacity")) ?? 0);
    guestFree = (guestFree ?? 0) + (num(child(disk, "freeSpace")) ?? 0);
  }
  const guestFilesystems = readGuestFilesystems(p.get("guest.disk"));
  const changeTracking = bool(p.get("config.changeTrackingEnabled"));

  const storage = p.get("summary.storage");
  const committed = num(child(storage, "committed"));
  const uncommitted = num(child(storage, "uncommitted"));

  const snapshots: SnapshotSummary = { count: 0, oldest: null };
  walkSnapshots(p.get("snapshot.rootSnapshotList")?.children ?? [], snapshots);

  const guestId = nonEmpty(p.get("config.guestId")) ?? nonEmpty(p.get("guest.guestId"));
  const powerState = str(p.get("runtime.powerState"));
  const poweredOn = powerState === "poweredOn";
  const affinity = p.get("config.cpuAffinity");

  inventory.virtualMachines.push({
    ...record,
    parentVApp: readMoRef(p.get("parentVApp")),
    resourcePool: readMoRef(p.get("resourcePool")),
    host: readMoRef(p.get("runtime.host")),
    diskDatastores,
    customValues: customValues(p.get("customValue")),
    quickStats: poweredOn
      ? {
          cpuMhz: measure(p.get("summary.quickStats.overallCpuUsage")),
          guestMemoryMiB: measure(p.get("summary.quickStats.guestMemoryUsage")),
          hostMemoryMiB: measure(p.get("summary.quickStats.hostMemoryUsage")),
          balloonedMiB: measure(p.get("summary.quickStats.balloonedMemory")),
          swappedMiB: measure(p.get("summary.quickStats.swappedMemory")),
          overheadMiB: measure(p.get("summary.quickStats.consumedOverheadMemory")),
        }
      : null,
    vm: {
      externalId: object.obj.value,
      name: record.name,
      uuid: nonEmpty(p.get("config.uuid")),
      instanceUuid: nonEmpty(p.get("config.instanceUuid")),
      powerState: powerState === "poweredOn" || powerState === "suspended" ? powerState : "poweredOff",
      template: bool(p.get("config.template")) ?? false,
      vcpus: count(p.get("config.hardware.numCPU")) ?? 0,
      coresPerSocket: count(p.get("config.hardware.numCoresPerSocket")),
      memoryMiB: num(p.get("config.hardware.memoryMB")) ?? 0,
      memoryActiveMiB: num(p.get("summary.quickStats.guestMemoryUsage")),
      memoryBalloonedMiB: num(p.get("summary.quickStats.balloonedMemory")),
      provisionedMiB: committed !== null ? mibFromBytes(committed + (uncommitted ?? 0)) : null,
      usedMiB: mibFromBytes(committed),
      guestDiskCapacityMiB: mibFromBytes(guestCapacity),
      guestDiskFreeMiB: mibFromBytes(guestFree),
      guestOsConfigured: nonEmpty(p.get("config.guestFullName")),
      guestOsReported: nonEmpty(p.get("guest.guestFullName")),
      guestOsId: guestId,
      guestOsFamily: guestOsFamily(guestId, nonEmpty(p.get("guest.guestFullName")), nonEmpty(p.get("config.guestFullName"))),
      hostname: nonEmpty(p.get("guest.hostName")),
      ipAddresses: [...new Set(ipAddresses)],
      macAddresses: [...new Set(macAddresses)],
      nicCount: devices ? nicCount : null,
      snapshotCount: snapshots.count,
      snapshotOldestAt: snapshots.oldest === null ? null : new Date(snapshots.oldest).toISOString(),
      snapshotSizeMiB: snapshotSizeMiB(p.get("layoutEx.file"), snapshots.count),
      bootedAt: poweredOn ? timestamp(p.get("runtime.bootTime")) : null,
      toolsStatus: nonEmpty(p.get("guest.toolsStatus")) ?? nonEmpty(p.get("guest.toolsRunningStatus")),
      toolsVersion: nonEmpty(p.get("guest.toolsVersion")),
      hardwareVersion: nonEmpty(p.get("config.version")),
      annotation: nonEmpty(p.get("config.annotation")),
      // extraConfig ctkEnabled overrides config.changeTrackingEnabled, as in Forklift's inventory.
      cbtEnabled: extraConfig.ctkEnabled ?? changeTracking,
      consolidationNeeded: bool(p.get("runtime.consolidationNeeded")) ?? false,
      passthrough,
      sriov,
      usbController,
      tpm,
      cpuHotAdd: bool(p.get("config.cpuHotAddEnabled")) ?? false,
      memoryHotAdd: bool(p.get("config.memoryHotAddEnabled")) ?? false,
      cpuAffinity: (affinity?.children.some((c) => c.name === "affinitySet") ?? false),
      disks,
      cpuHotRemove: bool(p.get("config.cpuHotRemoveEnabled")) ?? false,
      faultTolerance: p.get("summary.config.ftInfo") !== undefined,
      diskEnableUuid: extraConfig.diskEnableUuid,
      numaNodeAffinity: extraConfig.numaNodeAffinity,
      guestFilesystems,
      product: vmProduct(p.get("config.vAppConfig.product"), p.get("summary.config.product")),
      managedBy: vmManagedBy(p.get("config.managedBy")),
      // vSphere has no title (its notes are the annotation); tags are the vAPI's, not read (yet).
      title: null,
      tags: [],
    },
  });
}

// --- the snapshot -----------------------------------------------------------------------------

const key = (ref: MoRef) => `${ref.type}:${ref.value}`;

/** Resolves parents: inventory paths, datacenters, clusters. */
class Tree {
  private readonly entities = new Map<string, EntityRecord>();
  private readonly clusters = new Set<string>();
  private readonly paths = new Map<string, string>();
  private readonly datacenters = new Map<string, string | null>();
  private readonly clusterNames = new Map<string, string | null>();

  constructor(inventory: VsphereInventory) {
    const all: EntityRecord[][] = [
      inventory.datacenters,
      inventory.folders,
      inventory.computeResources,
      inventory.resourcePools,
      inventory.hosts,
      inventory.datastores,
    ];
    for (const list of all) for (const e of list) this.entities.set(key(e.ref), e);
    for (const c of inventory.computeResources) if (c.isCluster) this.clusters.add(key(c.ref));
  }

  /** "/DC0/vm/Linux": names from the datacenter (or top folder) down; the root folder is left out. */
  path(ref: MoRef | null): string | null {
    if (!ref) return null;
    const k = key(ref);
    const known = this.paths.get(k);
    if (known !== undefined) return known;
    const e = this.entities.get(k);
    if (!e) return null;
    // The root folder ("Datacenters", "ha-folder-root") has no parent and is not part of paths.
    const path = e.parent === null ? "" : `${this.path(e.parent) ?? ""}/${e.name}`;
    this.paths.set(k, path);
    return path;
  }

  /** The nearest ancestor (or the object itself) of the given type. */
  ancestor(ref: MoRef | null, test: (ref: MoRef) => boolean): EntityRecord | null {
    const seen = new Set<string>();
    for (let current = ref; current && !seen.has(key(current)); ) {
      seen.add(key(current));
      const e = this.entities.get(key(current));
      if (!e) return null;
      if (test(current)) return e;
      current = e.parent;
    }
    return null;
  }

  datacenter(ref: MoRef | null): string | null {
    return this.cached(this.datacenters, ref, (r) => r.type === "Datacenter");
  }

  cluster(ref: MoRef | null): string | null {
    return this.cached(this.clusterNames, ref, (r) => this.clusters.has(key(r)));
  }

  /** Thousands of VMs share a few parents: each parent's answer is worked out once. */
  private cached(cache: Map<string, string | null>, ref: MoRef | null, test: (ref: MoRef) => boolean) {
    if (!ref) return null;
    const k = key(ref);
    let name = cache.get(k);
    if (name === undefined) {
      name = this.ancestor(ref, test)?.name ?? null;
      cache.set(k, name);
    }
    return name;
  }
}

function summariseMissing(missing: Map<string, number>): string[] {
  return [...missing.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 50)
    .map(([what, n]) => `${n} × ${what} not given by the server`);
}

/** The records of one collection → the snapshot (the VM records are completed in place). */
export function toSnapshot(inventory: VsphereInventory, collectedAt: string): SnapshotInput {
  const tree = new Tree(inventory);
  const warnings = [...summariseMissing(inventory.missing), ...inventory.warnings];
  const hostIds = new Set(inventory.hosts.map((h) => h.host.externalId));
  const hostsByKey = new Map(inventory.hosts.map((h) => [key(h.ref), h]));
  const datastoreNames = new Map(inventory.datastores.map((d) => [key(d.ref), d.name]));

  const computeResources = new Map(inventory.computeResources.map((c) => [key(c.ref), c]));
  const clusterOf = (h: HostRecord) => {
    const c = h.parent ? computeResources.get(key(h.parent)) : undefined;
    return c?.isCluster ? c : undefined;
  };
  const hosts = inventory.hosts.map((h): HostInput => {
    const c = clusterOf(h);
    return {
      ...h.host,
      datacenter: tree.datacenter(h.ref),
      cluster: tree.cluster(h.parent),
      drsEnabled: c ? c.drsEnabled : null,
      dpmEnabled: c ? c.dpmEnabled : null,
    };
  });
  const hostAffinityVms = new Set(inventory.computeResources.flatMap((c) => [...c.hostAffinityVms]));

  const orphans: string[] = [];
  const virtualMachines = inventory.virtualMachines.map((r): VirtualMachineInput => {
    let hostExternalId = r.host?.value ?? null;
    if (hostExternalId !== null && !hostIds.has(hostExternalId)) {
      orphans.push(`${r.name} on ${hostExternalId}`);
      hostExternalId = null;
    }
    const host = r.host ? hostsByKey.get(key(r.host)) : undefined;
    const pool = r.resourcePool ?? r.parentVApp;
    const disks = r.vm.disks ?? [];
    for (const d of disks) {
      const ref = d.datastore ? undefined : r.diskDatastores.get(d.key);
      if (ref) d.datastore = datastoreNames.get(key(ref)) ?? null;
    }
    // The record is this collection's own: filled in place rather than copied (5,000 VMs × 50 fields).
    const vm = r.vm;
    vm.hostExternalId = hostExternalId;
    vm.datacenter = tree.datacenter(r.parent) ?? tree.datacenter(pool) ?? tree.datacenter(r.host);
    vm.cluster = (host ? tree.cluster(host.parent) : null) ?? tree.cluster(pool);
    vm.folder = r.parent?.type === "Folder" ? tree.path(r.parent) : null;
    vm.resourcePool = tree.path(pool);
    vm.disks = disks;
    vm.attributes = namedAttributes(r.customValues, inventory.customFieldNames);
    vm.hostAffinity = hostAffinityVms.has(r.ref.value);
    return vm;
  });

  if (orphans.length > 0) {
    const shown = orphans.slice(0, 5).join(", ");
    warnings.push(
      `${orphans.length} VMs run on hosts that were not collected (no permission on them?), their host left empty: ` +
        `${shown}${orphans.length > 5 ? ", ..." : ""}`,
    );
  }
  const utilisation = quickStatSeries(inventory, collectedAt);
  return { collectedAt, hosts, virtualMachines, containers: [], images: [], utilisation, warnings };
}

/** % of a capacity in MHz, when both are known and the capacity is positive. */
function percentOf(mhz: number | null, capacityMhz: number | null): number | null {
  return mhz === null || capacityMhz === null || capacityMhz <= 0 ? null : (mhz / capacityMhz) * 100;
}

/**
 * Quick stats as one-value series (vSphere refreshes them every 20 s), starting at the collection:
 * hosts' overallCpuUsage (MHz, and % of cores × core MHz) and overallMemoryUsage; powered-on VMs'
 * overallCpuUsage (MHz, and % of vCPUs × their host's core MHz), guestMemoryUsage (active),
 * hostMemoryUsage (consumed), balloonedMemory and swappedMemory. Not for a host that is not
 * connected, nor its VMs: vCenter then shows stale or zero quick stats, which would read as idle.
 */
export function quickStatSeries(inventory: VsphereInventory, collectedAt: string): UtilisationSeriesInput[] {
  const out: UtilisationSeriesInput[] = [];
  const add = (object: "host" | "virtualMachine", externalId: string, metric: UtilisationSeriesInput["metric"], value: number | null) => {
    if (value === null || !Number.isFinite(value) || value < 0 || value > 1e12) return;
    out.push({ object, externalId, metric, intervalSeconds: 20, start: collectedAt, values: [value] });
  };
  const hostMhz = new Map<string, number | null>();
  const unconnected = new Set<string>();
  for (const h of inventory.hosts) {
    const { cpuCores, cpuMhz, connectionState } = h.host;
    hostMhz.set(h.ref.value, cpuMhz ?? null);
    if (connectionState && connectionState !== "connected") {
      unconnected.add(h.ref.value);
      continue;
    }
    add("host", h.host.externalId, "cpu.usage.mhz", h.quickStats.cpuMhz);
    add("host", h.host.externalId, "cpu.usage.pct", percentOf(h.quickStats.cpuMhz, cpuMhz != null && cpuCores ? cpuCores * cpuMhz : null));
    add("host", h.host.externalId, "mem.consumed.mib", h.quickStats.memoryMiB);
  }
  for (const r of inventory.virtualMachines) {
    const q = r.quickStats;
    if (!q || (r.host && unconnected.has(r.host.value))) continue;
    const id = r.vm.externalId;
    const coreMhz = r.host ? (hostMhz.get(r.host.value) ?? null) : null;
    const vcpus = r.vm.vcpus ?? 0;
    add("virtualMachine", id, "cpu.usage.mhz", q.cpuMhz);
    add("virtualMachine", id, "cpu.usage.pct", percentOf(q.cpuMhz, coreMhz !== null && vcpus > 0 ? vcpus * coreMhz : null));
    add("virtualMachine", id, "mem.active.mib", q.guestMemoryMiB);
    add("virtualMachine", id, "mem.consumed.mib", q.hostMemoryMiB);
    add("virtualMachine", id, "mem.ballooned.mib", q.balloonedMiB);
    add("virtualMachine", id, "mem.swapped.mib", q.swappedMiB);
    add("virtualMachine", id, "mem.overhead.mib", q.overheadMiB);
  }
  return out;
}

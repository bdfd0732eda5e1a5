/**
 * The facts Forklift's VMware rules read that live in less obvious places of the vSphere API, read
 * the way Forklift's inventory reads them (kubev2v/forklift pkg/controller/provider/container/vsphere/
 * model.go; docs/domain.md#migration-blockers): extraConfig (ctkEnabled, scsiX:Y.ctkEnabled,
 * disk.EnableUUID, numa.nodeAffinity), the disk controllers (a disk's bus), guest.disk (filesystems
 * and the disk each lies on) and a cluster's VM-Host rules.
 */
import { child, children, type XmlElement } from "./xml";

/** Go's strconv.ParseBool, as Forklift parses extraConfig values: null for anything else. */
export function parseGoBool(text: string | undefined): boolean | null {
  if (text === undefined) return null;
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  return null;
}

export interface ExtraConfigFacts {
  /** ctkEnabled (any case): overrides config.changeTrackingEnabled; null when absent or not a bool. */
  ctkEnabled: boolean | null;
  diskEnableUuid: boolean;
  /** numa.nodeAffinity split on commas, as Forklift splits it ("" gives [""]); [] when absent. */
  numaNodeAffinity: string[];
  /** The disks ("scsi0:1", lower case) whose <disk>.ctkEnabled is true. */
  ctkDisks: Set<string>;
}

const DISK_BUSES = ["scsi", "sata", "ide", "nvme"];

/** config.extraConfig: an ArrayOfOptionValue of OptionValue { key, value }. */
export function readExtraConfig(extraConfig: XmlElement | undefined): ExtraConfigFacts {
  const facts: ExtraConfigFacts = { ctkEnabled: null, diskEnableUuid: false, numaNodeAffinity: [], ctkDisks: new Set() };
  for (const option of extraConfig?.children ?? []) {
    const key = child(option, "key")?.text;
    const value = child(option, "value")?.text;
    if (key === undefined || value === undefined) continue;
    const lower = key.toLowerCase();
    if (key === "numa.nodeAffinity") {
      facts.numaNodeAffinity = value.split(",");
    } else if (lower === "ctkenabled") {
      facts.ctkEnabled = parseGoBool(value) ?? facts.ctkEnabled;
    } else if (key === "disk.EnableUUID") {
      facts.diskEnableUuid = parseGoBool(value) ?? facts.diskEnableUuid;
    } else if (DISK_BUSES.some((b) => lower.startsWith(b)) && lower.endsWith(".ctkenabled")) {
      if (parseGoBool(value) === true) facts.ctkDisks.add(lower.split(".")[0]!);
    }
  }
  return facts;
}

/** Controller device type → the bus of the disks on it (Forklift's updateControllers). */
const CONTROLLER_BUSES: Record<string, string> = {
  VirtualIDEController: "ide",
  VirtualBusLogicController: "scsi",
  VirtualLsiLogicController: "scsi",
  VirtualLsiLogicSASController: "scsi",
  ParaVirtualSCSIController: "scsi",
  VirtualAHCIController: "sata",
  VirtualSATAController: "sata",
  VirtualNVMEController: "nvme",
};

export interface Controller {
  bus: string;
  busNumber: number;
}

/** The disk controllers among a VM's devices, by device key. */
export function readControllers(devices: readonly XmlElement[]): Map<string, Controller> {
  const controllers = new Map<string, Controller>();
  for (const device of devices) {
    const bus = CONTROLLER_BUSES[device.xsiType || device.name];
    const key = child(device, "key")?.text;
    if (bus === undefined || key === undefined) continue;
    controllers.set(key, { bus, busNumber: Number(child(device, "busNumber")?.text ?? 0) });
  }
  return controllers;
}

/** A disk's bus and its extraConfig address ("scsi0:1"), from its controller; nulls when not known. */
export function diskAddress(device: XmlElement, controllers: ReadonlyMap<string, Controller>): { bus: string | null; address: string | null } {
  const controller = controllers.get(child(device, "controllerKey")?.text ?? "");
  const unit = child(device, "unitNumber")?.text;
  if (!controller) return { bus: null, address: null };
  return { bus: controller.bus, address: unit === undefined ? null : `${controller.bus}${controller.busNumber}:${unit}` };
}

const MiB = 1024 * 1024;
const mib = (text: string | undefined) => {
  const bytes = text === undefined || text.trim() === "" ? NaN : Number(text);
  return Number.isFinite(bytes) && bytes >= 0 ? Math.round((bytes / MiB) * 1000) / 1000 : null;
};

export interface GuestFilesystem {
  path: string;
  capacityMiB: number | null;
  freeMiB: number | null;
  diskKey: string | null;
}

/** guest.disk: one GuestDiskInfo per filesystem; its disk is the first mapping's key (none: null). */
export function readGuestFilesystems(guestDisk: XmlElement | undefined): GuestFilesystem[] {
  const filesystems: GuestFilesystem[] = [];
  for (const disk of guestDisk?.children ?? []) {
    const path = child(disk, "diskPath")?.text;
    if (path === undefined || path === "") continue;
    const mapping = children(disk, "mappings")[0];
    const key = child(mapping, "key")?.text ?? null;
    filesystems.push({
      path,
      capacityMiB: mib(child(disk, "capacity")?.text),
      freeMiB: mib(child(disk, "freeSpace")?.text),
      diskKey: key === null || key === "" ? null : key,
    });
  }
  return filesystems;
}

/**
 * The VMs (by MoRef value) a cluster's enabled VM-Host rules name: ClusterVmHostRuleInfo's VM group
 * (configurationEx.rule, configurationEx.group ClusterVmGroup), affine or anti-affine alike.
 */
export function readHostAffinityVms(configurationEx: XmlElement | undefined): Set<string> {
  const groups = new Map<string, string[]>();
  for (const group of children(configurationEx, "group")) {
    if (group.xsiType !== "ClusterVmGroup") continue;
    const name = child(group, "name")?.text;
    if (name !== undefined) groups.set(name, children(group, "vm").map((v) => v.text));
  }
  const vms = new Set<string>();
  for (const rule of children(configurationEx, "rule")) {
    if (rule.xsiType !== "ClusterVmHostRuleInfo" || parseGoBool(child(rule, "enabled")?.text) === false) continue;
    for (const vm of groups.get(child(rule, "vmGroupName")?.text ?? "") ?? []) vms.add(vm);
  }
  return vms;
}

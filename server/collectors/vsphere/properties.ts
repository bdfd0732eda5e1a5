/**
 * What the collector asks a vCenter for: one property collection per object type, over one
 * ContainerView of the root folder. Paths are as narrow as the snapshot allows (a whole `config`
 * of 5,000 VMs is several times larger than the parts read here).
 */
import type { PropertyRequest } from "./client";

export const DATACENTER = { type: "Datacenter", paths: ["name", "parent"] } as const satisfies PropertyRequest;

/** Folders, and their subtype StoragePod (a datastore cluster). */
export const FOLDER = { type: "Folder", paths: ["name", "parent"] } as const satisfies PropertyRequest;

/** Standalone hosts' compute resources and clusters (ClusterComputeResource is a subtype). */
export const COMPUTE_RESOURCE = {
  type: "ComputeResource",
  paths: ["name", "parent", "configurationEx"],
} as const satisfies PropertyRequest;

/** Resource pools, and their subtype VirtualApp. */
export const RESOURCE_POOL = { type: "ResourcePool", paths: ["name", "parent"] } as const satisfies PropertyRequest;

export const HOST = {
  type: "HostSystem",
  paths: [
    "name",
    "parent",
    "summary.hardware",
    "summary.config.product",
    "runtime.connectionState",
    "runtime.powerState",
    "config.network.vnic",
    "config.network.dnsConfig",
    "runtime.bootTime",
    // Measured use at the collection (MHz, MB).
    "summary.quickStats.overallCpuUsage",
    "summary.quickStats.overallMemoryUsage",
  ],
} as const satisfies PropertyRequest;

export const DATASTORE = {
  type: "Datastore",
  paths: [
    "name",
    "parent",
    "summary.type",
    "summary.capacity",
    "summary.freeSpace",
    "summary.url",
    "summary.accessible",
  ],
} as const satisfies PropertyRequest;

export const VIRTUAL_MACHINE = {
  type: "VirtualMachine",
  paths: [
    "name",
    "parent",
    "parentVApp",
    "resourcePool",
    "runtime.host",
    "runtime.powerState",
    "runtime.consolidationNeeded",
    "config.uuid",
    "config.instanceUuid",
    "config.template",
    "config.guestId",
    "config.guestFullName",
    "config.annotation",
    "config.version",
    "config.hardware.numCPU",
    "config.hardware.numCoresPerSocket",
    "config.hardware.memoryMB",
    "config.hardware.device",
    "config.changeTrackingEnabled",
    "config.cpuAffinity",
    "config.cpuHotAddEnabled",
    "config.cpuHotRemoveEnabled",
    "config.memoryHotAddEnabled",
    // Forklift's facts: ctkEnabled and per-disk scsiX:Y.ctkEnabled, disk.EnableUUID, numa.nodeAffinity.
    "config.extraConfig",
    "summary.config.ftInfo",
    // What the VM is: vApp/OVF product, the managing solution, custom attribute values.
    "config.vAppConfig.product",
    "summary.config.product",
    "config.managedBy",
    "customValue",
    "guest.guestId",
    "guest.guestFullName",
    "guest.toolsStatus",
    "guest.toolsRunningStatus",
    "guest.toolsVersion",
    "guest.hostName",
    "guest.ipAddress",
    "guest.net",
    "guest.disk",
    "summary.storage",
    "summary.quickStats.guestMemoryUsage",
    "summary.quickStats.balloonedMemory",
    // Measured use at the collection (MHz, MB); see normalise.ts quickStatSeries.
    "summary.quickStats.overallCpuUsage",
    "summary.quickStats.hostMemoryUsage",
    "summary.quickStats.swappedMemory",
    "summary.quickStats.consumedOverheadMemory",
    "runtime.bootTime",
    "snapshot.rootSnapshotList",
    // The files of the VM (name, type, size): its snapshots' size (snapshotData, snapshotMemory, delta disks).
    "layoutEx.file",
  ],
} as const satisfies PropertyRequest;

/** The ContainerView's types: everything the collections above read. */
export const VIEW_TYPES = [
  DATACENTER.type,
  FOLDER.type,
  COMPUTE_RESOURCE.type,
  RESOURCE_POOL.type,
  HOST.type,
  DATASTORE.type,
  VIRTUAL_MACHINE.type,
] as const;

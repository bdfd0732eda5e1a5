/**
 * The RVTools export: any snapshot → RVTools tabs → (the importer's builder directly, and an .xlsx
 * file read back through openRvtoolsExport) → the same facts, for every field RVTools carries. The
 * xlsx writer's cells (escaping, control characters, formula-like text, dates, booleans) are checked
 * by unzipping the file and reading its XML.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import yauzl from "yauzl";
import { generateCustomerSnapshot } from "@/server/collectors/demo/fleet";
import { DEMO_CUSTOMERS } from "@/server/collectors/demo/customers";
import { createRvtoolsBuilder } from "@/server/collectors/rvtools/normalise";
import { openRvtoolsExport } from "@/server/collectors/rvtools/read";
import type { CellValue, RvTab } from "@/server/collectors/rvtools/types";
import { readObjectContent, type ObjectContent } from "@/server/collectors/vsphere/client";
import {
  emptyInventory,
  readComputeResource,
  readDatacenter,
  readDatastore,
  readFolder,
  readHost,
  readResourcePool,
  readVirtualMachine,
  toSnapshot,
  type VsphereInventory,
} from "@/server/collectors/vsphere/normalise";
import { parseXml } from "@/server/collectors/vsphere/xml";
import { rvtoolsTabs, pseudoVcenterUuid, type ExportSource, type ExportTab } from "@/server/export/rvtools/tabs";
import { columnName, sheetNames, writeXlsx, writeXlsxFile, xmlText } from "@/server/export/rvtools/xlsx-writer";
import { parseSnapshot, type HostSnapshot, type Snapshot, type VirtualMachineSnapshot } from "@/server/inventory/snapshot";
import { fixture } from "../fixtures/vsphere/replay";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "rvtools-export-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// --- inputs -----------------------------------------------------------------------------------

const about = { name: "", fullName: "", version: "", build: "", apiType: "VirtualCenter", apiVersion: "6.5", instanceUuid: null };

function vsphereSnapshot(): Snapshot {
  const inventory: VsphereInventory = emptyInventory(about);
  const read: [string, (i: VsphereInventory, o: ObjectContent) => void][] = [
    ["retrieve-datacenters.xml", readDatacenter],
    ["retrieve-folders.xml", readFolder],
    ["retrieve-compute-resources.xml", readComputeResource],
    ["retrieve-resource-pools.xml", readResourcePool],
    ["retrieve-hosts.xml", readHost],
    ["retrieve-datastores.xml", readDatastore],
    ["retrieve-vms-page1.xml", readVirtualMachine],
    ["retrieve-vms-page2.xml", readVirtualMachine],
  ];
  for (const [file, reader] of read) {
    const returnval = parseXml(fixture(file)).children[0]!.children[0]!.children[0]!;
    for (const object of returnval.children.filter((c) => c.name === "objects").map(readObjectContent)) reader(inventory, object);
  }
  return parseSnapshot(toSnapshot(inventory, "2026-01-02T03:04:05.000Z"));
}

const demo = (key: string, vms?: number) => parseSnapshot(generateCustomerSnapshot(key, vms ? { vms } : {}));

/** The export's tabs as the reader's seam gives them (async rows, 1-based row numbers after the header). */
function asRvTabs(tabs: ExportTab[]): RvTab[] {
  return tabs.map((t) => ({
    name: t.name,
    origin: "export",
    header: t.header,
    rows: (async function* () {
      let row = 1;
      for (const cells of t.rows) yield { row: ++row, cells };
    })(),
  }));
}

async function build(tabs: RvTab[], collectedAt: string) {
  const b = createRvtoolsBuilder({ collectedAt });
  for (const tab of tabs) await b.addTab(tab);
  const { snapshot, report } = b.finish();
  return { snapshot: parseSnapshot(snapshot), report };
}

// --- what RVTools carries ---------------------------------------------------------------------

/**
 * Compared, per VM: name, uuid (SMBIOS UUID) and instanceUuid (VM UUID), powerState, template,
 * vcpus, coresPerSocket, cpuHotAdd, cpuHotRemove, memoryMiB, memoryActiveMiB, memoryBalloonedMiB,
 * memoryHotAdd, provisionedMiB, usedMiB, guestOsConfigured, guestOsReported, hostname, ipAddresses
 * and macAddresses (as sets), nicCount, snapshotCount, snapshotOldestAt, toolsStatus, toolsVersion,
 * hardwareVersion, datacenter, cluster, folder, resourcePool, annotation, cbtEnabled,
 * consolidationNeeded, faultTolerance, diskEnableUuid, attributes, the host (by name), and per disk
 * key, label, capacityMiB, thin, mode, rdm, sharing, path, datastore (when the path names it) and
 * bus; per guest filesystem path, capacityMiB, freeMiB, diskKey, and their sums.
 * Per host: name, datacenter, cluster, cpuModel, cpuMhz, cpuSockets, cpuCores, cpuThreads (when 1 or
 * 2 per core), memoryMiB, vendor, model, hardwareUuid, drsEnabled, dpmEnabled, osName (ESXi).
 *
 * NOT compared (RVTools has no column for them, or the importer does not read it): externalIds
 * (the import scopes them by the vCenter), guestOsId, guestOsFamily (recomputed from the OS names),
 * title, tags, product, managedBy, passthrough, sriov, usbController, tpm, cpuAffinity,
 * numaNodeAffinity, hostAffinity, per-disk cbtEnabled and format; hosts' role, platform (all come
 * back as ESXi hypervisors), product name/version/build of non-ESXi hosts, kernel, API version,
 * connection and power state, addresses, runtimes, cgroups, security options, memory sharing;
 * containers and images (no RVTools tab); the snapshot's warnings.
 */
const BUSES = new Set(["scsi", "sata", "ide", "nvme", "usb"]);

function expectedVm(vm: VirtualMachineSnapshot, hosts: Map<string, HostSnapshot>) {
  const nicRows = Math.max(vm.nicCount ?? 0, vm.macAddresses.length);
  const fs = vm.guestFilesystems;
  return {
    name: vm.name,
    uuid: vm.uuid ?? vm.instanceUuid,
    instanceUuid: vm.uuid === null ? null : vm.instanceUuid,
    powerState: vm.powerState === "paused" ? "suspended" : vm.powerState,
    template: vm.template,
    vcpus: vm.vcpus,
    coresPerSocket: vm.coresPerSocket,
    cpuHotAdd: vm.cpuHotAdd,
    cpuHotRemove: vm.cpuHotRemove,
    memoryMiB: vm.memoryMiB,
    memoryActiveMiB: vm.memoryActiveMiB,
    memoryBalloonedMiB: vm.memoryBalloonedMiB,
    memoryHotAdd: vm.memoryHotAdd,
    provisionedMiB: vm.provisionedMiB,
    usedMiB: vm.usedMiB,
    guestOsConfigured: vm.guestOsConfigured,
    guestOsReported: vm.guestOsReported,
    hostname: vm.hostname,
    // Without a NIC row only vInfo's Primary IP Address carries an address.
    ipAddresses: [...new Set(nicRows > 0 ? vm.ipAddresses : vm.ipAddresses.slice(0, 1))].sort(),
    macAddresses: [...new Set(vm.macAddresses.map((m) => m.toLowerCase()))].sort(),
    nicCount: nicRows > 0 ? nicRows : vm.nicCount,
    snapshotCount: vm.snapshotCount,
    snapshotOldestAt: vm.snapshotCount > 0 && vm.snapshotOldestAt ? new Date(vm.snapshotOldestAt).toISOString() : null,
    toolsStatus: vm.toolsStatus,
    toolsVersion: vm.toolsVersion,
    hardwareVersion: vm.hardwareVersion && /^\d+$/.test(vm.hardwareVersion) ? `vmx-${vm.hardwareVersion}` : vm.hardwareVersion,
    datacenter: vm.datacenter,
    cluster: vm.cluster,
    folder: vm.folder,
    resourcePool: vm.resourcePool,
    annotation: vm.annotation,
    cbtEnabled: vm.cbtEnabled,
    consolidationNeeded: vm.consolidationNeeded,
    faultTolerance: vm.faultTolerance,
    diskEnableUuid: vm.diskEnableUuid,
    attributes: vm.attributes,
    host: vm.hostExternalId ? (hosts.get(vm.hostExternalId)?.name ?? null) : null,
    disks: vm.disks.map((d) => ({
      key: d.key,
      label: d.label,
      capacityMiB: d.capacityMiB,
      thin: d.rdm !== "none" ? null : d.thin,
      mode: d.mode,
      rdm: d.rdm,
      sharing: d.sharing,
      path: d.path,
      datastore: d.path && /^\[[^\]]+\]/.test(d.path) ? d.datastore : null,
      bus: d.bus && BUSES.has(d.bus) ? d.bus : null,
    })),
    guestFilesystems: fs.map((f) => ({ path: f.path, capacityMiB: f.capacityMiB, freeMiB: f.freeMiB, diskKey: f.diskKey })),
    guestDiskCapacityMiB: fs.length > 0 ? vm.guestDiskCapacityMiB : null,
    guestDiskFreeMiB: fs.length > 0 ? vm.guestDiskFreeMiB : null,
  };
}

function actualVm(vm: VirtualMachineSnapshot, hosts: Map<string, HostSnapshot>) {
  const e = expectedVm(vm, hosts);
  return {
    ...e,
    uuid: vm.uuid,
    instanceUuid: vm.instanceUuid,
    powerState: vm.powerState,
    ipAddresses: [...vm.ipAddresses].sort(),
    nicCount: vm.nicCount,
    snapshotOldestAt: vm.snapshotOldestAt,
    hardwareVersion: vm.hardwareVersion,
    disks: vm.disks.map((d) => ({ ...d, format: undefined, cbtEnabled: undefined })).map(({ format: _f, cbtEnabled: _c, ...d }) => d),
    guestDiskCapacityMiB: vm.guestDiskCapacityMiB,
    guestDiskFreeMiB: vm.guestDiskFreeMiB,
  };
}

function hostFacts(h: HostSnapshot, original: boolean) {
  return {
    name: h.name,
    datacenter: h.datacenter,
    cluster: h.cluster,
    cpuModel: h.cpuModel,
    cpuMhz: h.cpuMhz,
    cpuSockets: h.cpuSockets,
    cpuCores: h.cpuCores,
    cpuThreads: original && h.cpuThreads !== null && h.cpuThreads !== h.cpuCores && h.cpuThreads !== 2 * h.cpuCores ? 2 * h.cpuCores : h.cpuThreads,
    memoryMiB: h.memoryMiB,
    vendor: h.vendor,
    model: h.model,
    hardwareUuid: h.hardwareUuid,
    osName: original && h.platform !== "esxi" ? undefined : h.osName,
  };
}

/** The facts RVTools carries of a snapshot, in a form two snapshots can be compared by. */
function carried(s: Snapshot, original: boolean) {
  const hosts = new Map(s.hosts.map((h) => [h.externalId, h]));
  const clusterOf = new Map<string, { drs: boolean | null; dpm: boolean | null }>();
  for (const h of s.hosts) if (h.cluster && !clusterOf.has(h.cluster)) clusterOf.set(h.cluster, { drs: h.drsEnabled, dpm: h.dpmEnabled });
  return {
    vms: s.virtualMachines.map((vm) => (original ? expectedVm(vm, hosts) : actualVm(vm, hosts))),
    hosts: s.hosts
      .map((h) => ({
        ...hostFacts(h, original),
        // A cluster's DRS/DPM is one row of vCluster: the first host's.
        drsEnabled: h.cluster ? clusterOf.get(h.cluster)!.drs : null,
        dpmEnabled: h.cluster ? clusterOf.get(h.cluster)!.dpm : null,
      }))
      .map((h) => (original ? h : { ...h, osName: h.osName === null ? undefined : h.osName }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

const CASES: [string, () => Snapshot][] = [
  ["the vSphere-normalised fixture", vsphereSnapshot],
  ...DEMO_CUSTOMERS.map((c): [string, () => Snapshot] => [`demo customer ${c.key}`, () => demo(c.key)]),
];

describe("round trip: snapshot → RVTools tabs → the importer's builder", () => {
  it.each(CASES)("%s gives back every fact RVTools carries", async (_, make) => {
    const original = make();
    const tabs = rvtoolsTabs([{ snapshot: original, server: "fleetlens:test" }]);
    const { snapshot, report } = await build(asRvTabs(tabs), original.collectedAt);
    expect(snapshot.virtualMachines).toHaveLength(original.virtualMachines.length);
    expect(report.tabsIgnored).toEqual(["vMetaData"]);
    for (const [tab, j] of Object.entries(report.joins)) expect(j.joined, tab).toBe(j.rows);
    const want = carried(original, true);
    const got = carried(snapshot, false);
    // VM by VM first, so that a difference names its VM.
    for (let i = 0; i < want.vms.length; i++) expect(got.vms[i], want.vms[i]!.name).toEqual(want.vms[i]);
    const nonOsName = (h: { osName?: string | null }) => ({ ...h, osName: undefined });
    expect(got.hosts.map(nonOsName)).toEqual(want.hosts.map(nonOsName));
    for (const [i, h] of want.hosts.entries()) if (h.osName !== undefined) expect(got.hosts[i]!.osName, h.name).toBe(h.osName);
    expect(snapshot.containers).toEqual([]);
  });
});

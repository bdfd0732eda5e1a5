/**
 * The RVTools export: any snapshot → RVTools tabs → (the importer's builder directly, and an .xlsx
 * file read back through openRvtoolsExport) → the same facts, for every field RVTools carries. The
 * xlsx writer's cells (escaping, control characters, formula-like text, dates, booleans) are checked
 * by unzipping the file and reading its XML.
 */
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import yauzl from "yauzl";
import { UsageError } from "@/server/cli/args";
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
import { runExportRvtoolsCli } from "@/server/export/rvtools/cli";
import { attributeNames, rvtoolsTabs, pseudoVcenterUuid, type ExportTab } from "@/server/export/rvtools/tabs";
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

function expectedVm(vm: VirtualMachineSnapshot, hosts: Map<string, HostSnapshot>, attributes: Set<string>) {
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
    // An attribute named like a vInfo column is not written (the tab test names one).
    attributes: Object.fromEntries(Object.entries(vm.attributes).filter(([a]) => attributes.has(a))),
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
  const e = expectedVm(vm, hosts, new Set(Object.keys(vm.attributes)));
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
  const attributes = new Set(attributeNames([{ snapshot: s, server: "" }]));
  const clusterOf = new Map<string, { drs: boolean | null; dpm: boolean | null }>();
  for (const h of s.hosts) if (h.cluster && !clusterOf.has(h.cluster)) clusterOf.set(h.cluster, { drs: h.drsEnabled, dpm: h.dpmEnabled });
  return {
    vms: s.virtualMachines.map((vm) => (original ? expectedVm(vm, hosts, attributes) : actualVm(vm, hosts))),
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

/** The imported snapshot has every fact of the original that RVTools carries. */
function expectCarried(snapshot: Snapshot, original: Snapshot) {
  const want = carried(original, true);
  const got = carried(snapshot, false);
  expect(got.vms).toHaveLength(want.vms.length);
  // VM by VM first, so that a difference names its VM.
  for (let i = 0; i < want.vms.length; i++) expect(got.vms[i], want.vms[i]!.name).toEqual(want.vms[i]);
  // A non-ESXi host's product comes back as ESX Version (osName): compared for ESXi hosts only.
  const noOsName = (h: { osName?: string | null }) => ({ ...h, osName: undefined });
  expect(got.hosts.map(noOsName)).toEqual(want.hosts.map(noOsName));
  for (const [i, h] of want.hosts.entries()) if (h.osName !== undefined) expect(got.hosts[i]!.osName, h.name).toBe(h.osName);
  expect(snapshot.containers).toEqual([]);
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
    expectCarried(snapshot, original);
  });
});

/** A non-vSphere inventory with the edge cases: paused, no BIOS UUID, RDMs, multi-writer, virtio, filesystems, IPv6 first. */
function edgeSnapshot(): Snapshot {
  return parseSnapshot({
    collectedAt: "2026-03-04T05:06:07.000Z",
    hosts: [
      { externalId: "kvm1", name: "kvm1.lab", role: "hypervisor", platform: "kvm", cpuCores: 16, cpuThreads: 16, cpuSockets: 2, memoryMiB: 65536, cluster: "lab", drsEnabled: null },
      { externalId: "kvm2", name: "kvm2.lab", role: "hypervisor", platform: "kvm", cpuCores: 8, cpuThreads: 32, memoryMiB: 32768, cluster: "lab", productName: "QEMU/KVM", productVersion: "8.2.2" },
      { externalId: "docker1", name: "docker1", role: "container-engine", platform: "docker", cpuCores: 4, memoryMiB: 8192, productName: "Docker Engine", productVersion: "27.1" },
    ],
    virtualMachines: [
      {
        externalId: "0f0e-libvirt-uuid",
        name: "db01",
        hostExternalId: "kvm1",
        uuid: null,
        instanceUuid: "5a5a5a5a-0000-1111-2222-333344445555",
        powerState: "paused",
        vcpus: 6,
        coresPerSocket: 4,
        memoryMiB: 12288.5,
        hostname: "db01.lab",
        ipAddresses: ["fe80::1", "10.0.0.5", "10.0.0.6"],
        macAddresses: ["52:54:00:aa:bb:cc", "52:54:00:aa:bb:cd"],
        nicCount: 3,
        snapshotCount: 3,
        snapshotOldestAt: "2025-11-30T23:59:58.000Z",
        hardwareVersion: "19",
        annotation: 'notes <b> & "quotes"\nline two',
        attributes: { owner: "=HYPERLINK(\"http://x\")", "cost centre": "+42", Folder: "shadowed", "-dash": "@at" },
        disks: [
          { key: "vda", label: "vda", capacityMiB: 20480, thin: true, path: "/var/lib/libvirt/images/db01.qcow2", format: "qcow2", bus: "virtio" },
          { key: "2001", label: "Hard disk 2", capacityMiB: 1024, rdm: "physical", mode: "independent_persistent", path: "[san01] db01/db01_1.vmdk", datastore: "san01", bus: "scsi" },
          { key: "2002", label: "Hard disk 3", capacityMiB: 2048, rdm: "virtual", sharing: "multi-writer", thin: false, path: "[san01] db01/db01_2.vmdk", datastore: "san01", bus: "sata" },
        ],
        guestFilesystems: [
          { path: "/", capacityMiB: 20000, freeMiB: 5000.25, diskKey: "vda" },
          { path: "C:\\", capacityMiB: null, freeMiB: 10, diskKey: null },
        ],
        guestDiskCapacityMiB: 20000,
        guestDiskFreeMiB: 5010.25,
      },
      { externalId: "vm-2", name: "db01", hostExternalId: null, uuid: "u-2", powerState: "poweredOff", template: true, vcpus: 1, memoryMiB: 512 },
    ],
    containers: [{ externalId: "c1", name: "web", hostExternalId: "docker1", image: "nginx:1.27", state: "running" }],
  });
}

CASES.push(["a libvirt-like inventory with edge cases", edgeSnapshot]);

async function readBack(path: string, collectedAt: string) {
  const opened = await openRvtoolsExport(path);
  try {
    return await build(opened.tabs, collectedAt);
  } finally {
    await opened.close();
  }
}

describe("round trip through an .xlsx file: writeXlsxFile → openRvtoolsExport → the builder", () => {
  it.each(CASES)("%s gives back every fact RVTools carries", async (label, make) => {
    const original = make();
    const path = join(root, `${label.replace(/\W+/g, "-")}.xlsx`);
    const written = await writeXlsxFile(rvtoolsTabs([{ snapshot: original, server: "fleetlens:test" }]), path);
    expect(written.rows.vInfo).toBe(original.virtualMachines.length);
    const { snapshot, report } = await readBack(path, original.collectedAt);
    expect(report.tabsIgnored).toEqual(["vMetaData"]);
    expectCarried(snapshot, original);
  });

  it("keeps two sources of the same VMs apart (each its own pseudo vCenter)", async () => {
    const a = demo("acme");
    const path = join(root, "two.xlsx");
    await writeXlsxFile(rvtoolsTabs([{ snapshot: a, server: "fleetlens:acme-1" }, { snapshot: a, server: "fleetlens:acme-2" }]), path);
    const { snapshot } = await readBack(path, a.collectedAt);
    expect(snapshot.virtualMachines).toHaveLength(2 * a.virtualMachines.length);
    expect(snapshot.hosts).toHaveLength(2 * a.hosts.length);
    const scopes = new Set(snapshot.virtualMachines.map((v) => v.externalId.split("/")[0]));
    expect(scopes).toEqual(new Set([pseudoVcenterUuid("fleetlens:acme-1"), pseudoVcenterUuid("fleetlens:acme-2")]));
  });
});

// --- the tabs ---------------------------------------------------------------------------------

describe("rvtoolsTabs", () => {
  const s = edgeSnapshot();
  const tabs = rvtoolsTabs([{ snapshot: s, server: "fleetlens:edge" }]);
  const byName = new Map(tabs.map((t) => [t.name, t]));
  const rowsOf = (name: string) => [...byName.get(name)!.rows];

  it("writes RVTools' tabs in RVTools' order, rows generated on demand (not arrays)", () => {
    expect(tabs.map((t) => t.name)).toEqual([
      "vInfo", "vCPU", "vMemory", "vDisk", "vPartition", "vNetwork", "vSnapshot", "vTools", "vCluster", "vHost", "vDatastore", "vMetaData",
    ]);
    for (const t of tabs) {
      expect(Array.isArray(t.rows), t.name).toBe(false);
      // Each iteration generates the rows again, the same.
      expect([...t.rows], t.name).toEqual([...t.rows]);
    }
  });

  it("puts the custom attributes between Annotation and Datacenter, leaving out a name vInfo uses", () => {
    const header = byName.get("vInfo")!.header;
    const from = header.indexOf("Annotation");
    const to = header.indexOf("Datacenter");
    expect(header.slice(from + 1, to)).toEqual(["owner", "cost centre", "-dash"]);
    expect(header.filter((h) => h === "Folder")).toHaveLength(1);
  });

  it.each([
    ["vInfo", s.virtualMachines.length],
    ["vDisk", 3],
    ["vPartition", 2],
    ["vNetwork", 3],
    ["vSnapshot", 3],
    ["vHost", 3],
    ["vCluster", 1],
    ["vDatastore", 1],
  ])("%s has %i rows", (tab, count) => {
    expect(rowsOf(tab)).toHaveLength(count);
  });

  it("leaves containers out (their engine host is a vHost row) and names each row's pseudo vCenter", () => {
    const uuid = pseudoVcenterUuid("fleetlens:edge");
    const all = tabs.filter((t) => t.name !== "vMetaData").flatMap((t) => [...t.rows].map((r) => ({ t, r })));
    expect(all.some(({ r }) => r.includes("web") || r.includes("nginx:1.27"))).toBe(false);
    expect(rowsOf("vHost").map((r) => r[0])).toEqual(["kvm1.lab", "kvm2.lab", "docker1"]);
    for (const { t, r } of all) {
      expect(r[t.header.indexOf("VI SDK Server")], t.name).toBe("fleetlens:edge");
      expect(r[t.header.indexOf("VI SDK UUID")], t.name).toBe(uuid);
    }
    const vHost = byName.get("vHost")!;
    expect(rowsOf("vHost")[1]![vHost.header.indexOf("ESX Version")]).toBe("QEMU/KVM 8.2.2");
  });

  it("gives a pseudo vCenter a stable UUID of its name", () => {
    const a = pseudoVcenterUuid("fleetlens:edge");
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(pseudoVcenterUuid("fleetlens:edge")).toBe(a);
    expect(pseudoVcenterUuid("fleetlens:edgf")).not.toBe(a);
    expect(pseudoVcenterUuid("fleetlens:Edge")).not.toBe(a);
  });

  it("uses a vCenter's own UUID when given", () => {
    const [info] = rvtoolsTabs([{ snapshot: s, server: "vc01.lab", uuid: "11111111-2222-3333-4444-555555555555" }]);
    expect([...info!.rows][0]![info!.header.indexOf("VI SDK UUID")]).toBe("11111111-2222-3333-4444-555555555555");
  });
});

// --- the xlsx writer --------------------------------------------------------------------------

/** A writer collecting into a buffer. */
function sink() {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      done();
    },
  });
  return { stream, buffer: () => Buffer.concat(chunks) };
}

/** The zip's entries as text, by name. */
function unzip(buffer: Buffer): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      const out = new Map<string, string>();
      zip.on("entry", (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e) return reject(e);
          const parts: Buffer[] = [];
          stream.on("data", (c: Buffer) => parts.push(c));
          stream.on("end", () => {
            out.set(entry.fileName, Buffer.concat(parts).toString("utf8"));
            zip.readEntry();
          });
        });
      });
      zip.on("end", () => resolve(out));
      zip.on("error", reject);
      zip.readEntry();
    });
  });
}

async function sheetXml(cells: CellValue[]): Promise<string> {
  const { stream, buffer } = sink();
  await writeXlsx([{ name: "vInfo", header: ["A"], rows: [cells] }], stream);
  return (await unzip(buffer())).get("xl/worksheets/sheet1.xml")!;
}

describe("xlsx writer", () => {
  it.each([
    ["plain", "plain"],
    ["<a & b>", "&lt;a &amp; b&gt;"],
    ['"q"', "&quot;q&quot;"],
    ["tab\tLF\nCR\r", "tab\tLF\nCR&#13;"],
    ["nul\u0000bel\u0007vt\u000bff\u000cesc\u001b", "nulbelvtffesc"],
    ["\ufffe\uffffok", "ok"],
    ["lone \ud800 high", "lone  high"],
    ["pair \ud83d\ude00 ok", "pair \ud83d\ude00 ok"],
    ["lone \udc00 low", "lone  low"],
  ])("xmlText(%j) = %j", (input, output) => {
    expect(xmlText(input)).toBe(output);
  });

  it.each([
    [0, "A"],
    [25, "Z"],
    [26, "AA"],
    [51, "AZ"],
    [52, "BA"],
    [701, "ZZ"],
    [702, "AAA"],
    [16383, "XFD"],
  ])("columnName(%i) = %s", (index, name) => {
    expect(columnName(index)).toBe(name);
  });

  it.each([
    [["vInfo", "vHost"], ["vInfo", "vHost"]],
    [["vInfo", "VINFO", "vinfo"], ["vInfo", "VINFO_2", "vinfo_3"]],
    [["a:b/c\\d?e*f[g]h"], ["a_b_c_d_e_f_g_h"]],
    [["x".repeat(40), "x".repeat(40)], ["x".repeat(31), `${"x".repeat(29)}_2`]],
    [["", "'quoted'"], ["Sheet", "quoted"]],
  ])("sheetNames(%j) = %j", (names, want) => {
    expect(sheetNames(names)).toEqual(want);
  });

  it.each([
    ["a formula-like text stays text (quote-prefixed)", "=1+1", '<c r="A2" s="2" t="inlineStr"><is><t>=1+1</t></is></c>'],
    ["+ stays text", "+SUM(A1)", "<t>+SUM(A1)</t>"],
    ["- stays text", "-2", "<t>-2</t>"],
    ["@ stays text", "@cmd", "<t>@cmd</t>"],
    ["white space at the start kept", " lead", '<t xml:space="preserve"> lead</t>'],
    ["white space at the end kept", "trail\t", '<t xml:space="preserve">trail\t</t>'],
    ["a line feed inside needs nothing kept", "two\nlines", "<t>two\nlines</t>"],
    ["a carriage return as a reference (a raw one reads back as a line feed)", "a\r\nb\r", '<t xml:space="preserve">a&#13;\nb&#13;</t>'],
    ["a number", 12288.5, '<c r="A2"><v>12288.5</v></c>'],
    ["a negative number", -3, '<c r="A2"><v>-3</v></c>'],
    ["true", true, '<c r="A2" t="b"><v>1</v></c>'],
    ["false", false, '<c r="A2" t="b"><v>0</v></c>'],
    ["a date", new Date("2025-02-24T12:53:20.000Z"), '<c r="A2" s="1"><v>45712.53703703704</v></c>'],
    ["a date before 1900-03-01, as text", new Date("1900-01-01T00:00:00.000Z"), "<t>1900-01-01T00:00:00.000Z</t>"],
  ])("%s", async (_, value, xml) => {
    const sheet = await sheetXml([value]);
    expect(sheet).toContain(xml);
    expect(sheet).not.toContain("<f>");
  });

  it.each([
    ["null", null],
    ["empty text", ""],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["an invalid date", new Date(Number.NaN)],
  ])("writes no cell for %s", async (_, value) => {
    const sheet = await sheetXml([value, "next"]);
    expect(sheet).not.toContain('r="A2"');
    expect(sheet).toContain('<c r="B2" t="inlineStr">');
  });

  it("writes a workbook: sheets named and related, a date style, parts of the content types", async () => {
    const { stream, buffer } = sink();
    const result = await writeXlsx(
      [
        { name: "vInfo", header: ["VM"], rows: [["a"], ["b"]] },
        { name: "vHost", header: ["Host"], rows: (async function* () { yield ["h"]; })() },
      ],
      stream,
    );
    expect(result.rows).toEqual({ vInfo: 2, vHost: 1 });
    expect(result.bytes).toBe(buffer().length);
    const parts = await unzip(buffer());
    expect([...parts.keys()].sort()).toEqual([
      "[Content_Types].xml", "_rels/.rels", "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/workbook.xml",
      "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
    ]);
    expect(parts.get("xl/workbook.xml")).toContain('<sheet name="vInfo" sheetId="1" r:id="rId1"/><sheet name="vHost" sheetId="2" r:id="rId2"/>');
    expect(parts.get("xl/_rels/workbook.xml.rels")).toContain('Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"');
    expect(parts.get("xl/styles.xml")).toContain('numFmtId="164" formatCode="yyyy\\-mm\\-dd hh:mm:ss"');
    expect(parts.get("[Content_Types].xml")).toContain('PartName="/xl/worksheets/sheet2.xml"');
    expect(parts.get("xl/worksheets/sheet2.xml")).toContain('<row r="1"><c r="A1" t="inlineStr"><is><t>Host</t></is></c></row><row r="2">');
  });

  it("fails the write when a tab's rows fail", async () => {
    const { stream } = sink();
    const rows = (function* () {
      yield ["ok"];
      throw new Error("snapshot went away");
    })();
    await expect(writeXlsx([{ name: "vInfo", header: ["VM"], rows }], stream)).rejects.toThrow("snapshot went away");
  });

  it("reads back dates, booleans, text that looks like a formula and control characters through openRvtoolsExport", async () => {
    const path = join(root, "cells.xlsx");
    await writeXlsxFile(
      [{ name: "vInfo", header: ["VM", "D", "B", "F", "C"], rows: [["vm1", new Date("2025-02-24T12:53:20.000Z"), true, "=1+1", "a\u0001b\u0000c"]] }],
      path,
    );
    const opened = await openRvtoolsExport(path);
    const rows = [];
    for await (const r of opened.tabs[0]!.rows) rows.push(r.cells);
    await opened.close();
    expect(rows).toEqual([["vm1", new Date("2025-02-24T12:53:20.000Z"), true, "=1+1", "abc"]]);
  });
});

// --- the command line -------------------------------------------------------------------------

describe("export-rvtools CLI", () => {
  it.each([
    ["no arguments", []],
    ["no --out", ["a.json"]],
    ["no snapshot", ["--out", "x.xlsx"]],
    ["--out not .xlsx", ["a.json", "--out", "x.csv"]],
    ["more --server than files", ["a.json", "--out", "x.xlsx", "--server", "a", "--server", "b"]],
    ["an unknown flag", ["a.json", "--out", "x.xlsx", "--csv"]],
  ])("refuses %s with the usage", async (_, argv) => {
    await expect(runExportRvtoolsCli(argv)).rejects.toThrow(UsageError);
  });

  it("writes snapshot files as one workbook that imports back, each under its vCenter", async () => {
    const dir = await mkdtemp(join(root, "cli-"));
    const a = join(dir, "acme.json");
    const b = join(dir, "globex.json");
    await writeFile(a, JSON.stringify(generateCustomerSnapshot("acme")));
    await writeFile(b, JSON.stringify(generateCustomerSnapshot("globex")));
    const out = join(dir, "fleet.xlsx");
    const said = await runExportRvtoolsCli([a, b, "--out", out, "--server", "vc01.acme.example"]);
    expect(said).toMatch(/fleet\.xlsx: \d+ bytes; rows: vInfo 106, /);
    expect(said).toMatch(/\d+ containers left out/);
    expect(await readdir(dir)).toEqual(["acme.json", "fleet.xlsx", "globex.json"]);
    const { snapshot } = await readBack(out, "2026-01-01T00:00:00.000Z");
    const scopes = new Set(snapshot.virtualMachines.map((v) => v.externalId.split("/")[0]));
    expect(scopes).toEqual(new Set([pseudoVcenterUuid("vc01.acme.example"), pseudoVcenterUuid("fleetlens:globex")]));
  });

  it("refuses two snapshots under one vCenter name, and a missing file, writing nothing", async () => {
    const dir = await mkdtemp(join(root, "cli-"));
    const a = join(dir, "acme.json");
    await writeFile(a, JSON.stringify(generateCustomerSnapshot("acme")));
    await expect(runExportRvtoolsCli([a, a, "--out", join(dir, "x.xlsx")])).rejects.toThrow(/same vCenter/);
    await expect(runExportRvtoolsCli([join(dir, "nope.json"), "--out", join(dir, "x.xlsx")])).rejects.toThrow(/nope\.json: no such file/);
    expect(await readdir(dir)).toEqual(["acme.json"]);
  });
});

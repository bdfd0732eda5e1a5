/**
 * The RVTools importer against the header rows of real RVTools exports (tests/fixtures/rvtools/
 * real-headers.ts: every tab of a 27-sheet export with three custom attributes, and a vInfo with
 * an organisation's seven). The rows are ours, placed by header name: a VM with two disks, two NICs,
 * a snapshot and a partition, a second VM, two hosts, a cluster, a datastore, a vSource and a
 * vHealth row. Each export is read three ways: the tabs as the reader seam gives them, an .xlsx
 * written by the exporter's writer and opened by openRvtoolsExport, and a folder of
 * RVTools_tab<Tab>.csv. The report must name exactly what the export lacks, the custom attributes
 * exactly, and the VM and host facts must come through.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TABS } from "@/server/collectors/rvtools/columns";
import { createRvtoolsBuilder, type RvtoolsResult } from "@/server/collectors/rvtools/normalise";
import { openRvtoolsExport } from "@/server/collectors/rvtools/read";
import type { CellValue, RvTab } from "@/server/collectors/rvtools/types";
import { rvtoolsTabs } from "@/server/export/rvtools/tabs";
import { writeXlsxFile } from "@/server/export/rvtools/xlsx-writer";
import { salvageSnapshot } from "@/server/inventory/salvage";
import { parseSnapshot } from "@/server/inventory/snapshot";
import { RVTOOLEX, RVTOOLS_3_CSV, SEVEN_ATTRIBUTES, type RealHeaderSet } from "../fixtures/rvtools/real-headers";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "rvtools-real-headers-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// --- rows, by header name ---------------------------------------------------------------------

type Row = Record<string, CellValue>;

const VC_SERVER = "vcsa01.corp.example";
const VC_UUID = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a00";
const APP_UUID = "5012a3b4-c5d6-e7f8-0911-223344556677";
const APP_SMBIOS = "4212a3b4-c5d6-e7f8-0911-223344556677";
const DB_UUID = "50aa0000-1111-2222-3333-444455556666";
const DB_SMBIOS = "42aa0000-1111-2222-3333-444455556666";
const SNAPSHOT_AT = new Date("2025-10-20T08:15:00.000Z");

/** The columns that a VM's row repeats on every VM tab (custom attributes: set per export). */
function vmCommon(vm: "app01" | "db01", attributes: Record<string, string>): Row {
  const app = vm === "app01";
  return {
    VM: app ? "app01.corp.example" : "db01",
    Powerstate: app ? "poweredOn" : "poweredOff",
    Template: "False",
    "SRM Placeholder": "False",
    Annotation: app ? "Order service (team A)" : null,
    ...attributes,
    Datacenter: "DC-North",
    Cluster: "Prod",
    Host: app ? "esx01.corp.example" : "esx02.corp.example",
    Folder: app ? "/Apps" : "/Databases",
    "OS according to the configuration file": app ? "Red Hat Enterprise Linux 8 (64-bit)" : "Microsoft Windows Server 2019 (64-bit)",
    "OS according to the VMware Tools": app ? "Red Hat Enterprise Linux 8.9 (Ootpa)" : null,
    "VM ID": app ? "vm-1043" : "vm-2087",
    "VM UUID": app ? APP_UUID : DB_UUID,
    "VI SDK Server": VC_SERVER,
    "VI SDK UUID": VC_UUID,
  };
}

/**
 * app01's value of each custom attribute; the last spans two lines and holds commas and quotes (a
 * backup product's note, as a real 3.x export's last attribute does), so CSV quoting is exercised.
 */
const appAttribute = (set: RealHeaderSet, a: string, i: number) =>
  i === set.attributes.length - 1 ? `Sat Jan 10 05:26:53 2026\n,backup01,"Daily" policy` : `${a} value ${i + 1}`;

/** Values of the custom attributes per VM: app01 has all, db01 the first only. */
function attributeValues(set: RealHeaderSet, vm: "app01" | "db01"): Record<string, string> {
  return Object.fromEntries(
    set.attributes.flatMap((a, i) => (vm === "app01" ? [[a, appAttribute(set, a, i)]] : i === 0 ? [[a, "db value"]] : [])),
  );
}

/** The rows of each tab (a tab absent here gets one row of its own: cells the importer must not read). */
function rowsOf(set: RealHeaderSet): Record<string, Row[]> {
  const app = vmCommon("app01", attributeValues(set, "app01"));
  const db = vmCommon("db01", attributeValues(set, "db01"));
  const vmPath = (vm: Row) => `[ds-gold-01] ${String(vm.VM)}/${String(vm.VM)}.vmx`;
  return {
    vInfo: [
      {
        ...app,
        "Config status": "green",
        "DNS Name": "app01.corp.example",
        "Connection state": "connected",
        "Guest state": "running",
        Heartbeat: "green",
        "Consolidation Needed": "False",
        PowerOn: new Date("2025-09-01T06:00:00.000Z"),
        // Standard RVTools columns (not custom attributes), filled so that taking one as an attribute shows.
        "Suspended To Memory": "False",
        "Customization Info": "no customization",
        "Guest Detailed Data": "architecture='X86' bitness='64' distroName='Red Hat Enterprise Linux'",
        "Creation date": new Date("2024-02-10T12:00:00.000Z"),
        CPUs: 4,
        Memory: 8192,
        "Active Memory": 2048,
        NICs: 2,
        Disks: 2,
        "Total disk capacity MiB": 143360,
        EnableUUID: "True",
        CBT: "True",
        "Primary IP Address": "10.20.0.11",
        "Network #1": "VLAN-20",
        "Network #2": "VLAN-30",
        "Resource pool": "/Resources",
        "Folder ID": "group-v101",
        "FT State": "notConfigured",
        "Provisioned MiB": 151552,
        "In Use MiB": 61440,
        "Unshared MiB": 61440,
        // RVTools 3.x names of the same columns
        "Provisioned MB": 151552,
        "In Use MB": 61440,
        Firmware: "efi",
        "EFI Secure boot": "True",
        "HW version": "vmx-19",
        Path: vmPath(app),
        "VI SDK Server type": "VMware vCenter Server",
        "VI SDK API Version": "8.0.2.0",
        "SMBIOS UUID": APP_SMBIOS,
      },
      {
        ...db,
        "Config status": "green",
        "Connection state": "connected",
        "Guest state": "notRunning",
        "Consolidation Needed": "False",
        CPUs: 2,
        Memory: 4096,
        "Active Memory": 0,
        NICs: 1,
        Disks: 1,
        "Provisioned MiB": 61440,
        "In Use MiB": 40960,
        "FT State": "notConfigured",
        Firmware: "bios",
        "HW version": "vmx-14",
        Path: vmPath(db),
        "SMBIOS UUID": DB_SMBIOS,
      },
    ],
    vCPU: [
      { ...app, CPUs: 4, Sockets: 2, "Cores p/s": 2, "Hot Add": "True", "Hot Remove": "False" },
      { ...db, CPUs: 2, Sockets: 1, "Cores p/s": 2, "Hot Add": "False", "Hot Remove": "False" },
    ],
    vMemory: [
      { ...app, "Size MiB": 8192, Ballooned: 0, Active: 2048, "Hot Add": "True" },
      { ...db, "Size MiB": 4096, Ballooned: 0, Active: 0, "Hot Add": "False" },
    ],
    vDisk: [
      {
        ...app, Disk: "Hard disk 1", "Disk Key": 2000, "Disk Path": "[ds-gold-01] app01.corp.example/app01.corp.example.vmdk",
        "Capacity MiB": 40960, Raw: "False", "Disk Mode": "persistent", "Sharing mode": "sharingNone", Thin: "True",
        Controller: "SCSI controller 0", Label: "Hard disk 1", Path: vmPath(app),
      },
      {
        ...app, Disk: "Hard disk 2", "Disk Key": 2001, "Disk Path": "[ds-gold-01] app01.corp.example/app01.corp.example_1.vmdk",
        "Capacity MiB": 102400, Raw: "False", "Disk Mode": "independent_persistent", "Sharing mode": "sharingNone",
        Thin: "False", Controller: "SCSI controller 0", Label: "Hard disk 2", Path: vmPath(app),
      },
      {
        ...db, Disk: "Hard disk 1", "Disk Key": 2000, "Disk Path": "[ds-gold-01] db01/db01.vmdk", "Capacity MiB": 61440,
        Raw: "False", "Disk Mode": "persistent", "Sharing mode": "sharingNone", Thin: "False",
        Controller: "SATA controller 0", Label: "Hard disk 1", Path: vmPath(db),
      },
    ],
    vPartition: [
      { ...app, "Disk Key": 2000, Disk: "/", "Capacity MiB": 40000, "Consumed MiB": 12000, "Free MiB": 28000, "Free %": 70 },
    ],
    vNetwork: [
      {
        ...app, "NIC label": "Network adapter 1", Adapter: "Vmxnet3", Network: "VLAN-20", Connected: "True",
        "Starts Connected": "True", "Mac Address": "00:50:56:AB:00:01", Type: "assigned", "IPv4 Address": "10.20.0.11",
      },
      {
        ...app, "NIC label": "Network adapter 2", Adapter: "Vmxnet3", Network: "VLAN-30", Connected: "True",
        "Starts Connected": "True", "Mac Address": "00:50:56:AB:00:02", Type: "assigned", "IPv4 Address": "10.30.0.11",
      },
    ],
    vSnapshot: [
      { ...app, Name: "before-patch", Description: "patch window", "Date / time": SNAPSHOT_AT, Quiesced: "False", State: "poweredOn" },
    ],
    vTools: [
      { ...app, Tools: "toolsOk", "Tools Version": "12389", "VM Version": "vmx-19" },
      { ...db, Tools: "toolsNotRunning", "Tools Version": "11365", "VM Version": "vmx-14" },
    ],
    vHost: ["esx01", "esx02"].map((h, i) => ({
      Host: `${h}.corp.example`,
      Datacenter: "DC-North",
      Cluster: "Prod",
      "CPU Model": "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
      Speed: 2000,
      "HT Available": "True",
      "HT Active": "True",
      "# CPU": 2,
      "Cores per CPU": 32,
      "# Cores": 64,
      "# Memory": 1048064,
      "Memory Tiering Type": "DRAM",
      "ESX Version": "VMware ESXi 8.0.2 build-22380479",
      Vendor: "Dell Inc.",
      Model: "PowerEdge R750",
      "Serial number": `SN-00${i + 1}`,
      "Object ID": `host-${10 + i}`,
      "AutoDeploy.MachineIdentity": "auto-deploy-id",
      "Backup status": "not a VM",
      ClusterInvariantVMMId: "x",
      "Last backup": "never",
      UUID: `4c4c4544-0000-0000-0000-00000000000${i + 1}`,
      "VI SDK Server": VC_SERVER,
      "VI SDK UUID": VC_UUID,
    })),
    vCluster: [
      {
        Name: "Prod", NumHosts: 2, TotalCpu: 256000, NumCpuCores: 128, TotalMemory: 1099042357248, "HA enabled": "True",
        "DRS enabled": "True", "DPM enabled": "False", "Object ID": "domain-c8", "Backup status": "n/a",
        ClusterInvariantVMMId: "c-1", "com.vmware.vcenter.cluster.edrs.upgradeHostAdded": "false", "Last backup": "n/a",
        "VI SDK Server": VC_SERVER, "VI SDK UUID": VC_UUID,
      },
    ],
    vDatastore: [
      {
        Name: "ds-gold-01", Accessible: "True", Type: "VMFS", "Capacity MiB": 4194304, "In Use MiB": 1048576,
        "Free MiB": 3145728, URL: "ds:///vmfs/volumes/6543/", "Backup status": "n/a", "VI SDK Server": VC_SERVER,
        "VI SDK UUID": VC_UUID,
      },
    ],
    vSource: [
      {
        Name: VC_SERVER, "OS type": "linux-x64", "API type": "VirtualCenter", "API version": "8.0.2.0", Version: "8.0.2",
        Build: "22617221", Fullname: "VMware vCenter Server 8.0.2 build-22617221", "VI SDK Server": VC_SERVER,
        "VI SDK UUID": VC_UUID,
      },
    ],
    vHealth: [{ Name: "esx02.corp.example", Message: "NTP server not reachable", "Message type": "Warning", "VI SDK Server": VC_SERVER }],
  };
}

/** Every tab of the set with its rows (tabs we do not read get one row of their own). */
function exportOf(set: RealHeaderSet): { name: string; header: string[]; rows: Row[] }[] {
  const rows = rowsOf(set);
  return Object.entries(set.tabs).map(([name, header]) => ({
    name,
    header,
    rows: rows[name] ?? [Object.fromEntries(header.map((h, i) => [h, `${name} ${i}`]))],
  }));
}

const cellsOf = (header: string[], row: Row): CellValue[] => header.map((h) => (Object.hasOwn(row, h) ? row[h]! : null));

// --- three ways in --------------------------------------------------------------------------

async function build(tabs: Iterable<RvTab>): Promise<RvtoolsResult> {
  const b = createRvtoolsBuilder({ collectedAt: "2025-11-01T00:00:00.000Z" });
  for (const t of tabs) await b.addTab(t);
  return b.finish();
}

/** The tabs as the reader seam gives them (xlsx cell types: numbers, dates). */
async function viaSeam(set: RealHeaderSet): Promise<RvtoolsResult> {
  return build(
    exportOf(set).map(({ name, header, rows }) => ({
      name,
      origin: "RVTOOLEX.xlsx",
      header,
      rows: (async function* () {
        let n = 1;
        for (const r of rows) yield { row: ++n, cells: cellsOf(header, r) };
      })(),
    })),
  );
}

async function readBack(path: string): Promise<RvtoolsResult> {
  const opened = await openRvtoolsExport(path);
  try {
    return await build(opened.tabs);
  } finally {
    await opened.close();
  }
}

let files = 0;

/** Written as an .xlsx by the exporter's writer, read by openRvtoolsExport. */
async function viaXlsx(set: RealHeaderSet): Promise<RvtoolsResult> {
  const path = join(root, `export-${++files}.xlsx`);
  await writeXlsxFile(
    exportOf(set).map(({ name, header, rows }) => ({ name, header, rows: rows.map((r) => cellsOf(header, r)) })),
    path,
  );
  return readBack(path);
}

/** A cell as RVTools' "Export all to csv" writes it: text, dates as "yyyy/mm/dd hh:mm:ss". */
function csvCell(cell: CellValue): string {
  if (cell === null) return "";
  if (cell instanceof Date) return cell.toISOString().slice(0, 19).replace("T", " ").replaceAll("-", "/");
  const text = String(cell);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A folder of RVTools_tab<Tab>.csv. */
async function viaCsv(set: RealHeaderSet): Promise<RvtoolsResult> {
  const dir = join(root, `csv-${++files}`);
  await mkdir(dir);
  for (const { name, header, rows } of exportOf(set)) {
    const lines = [header, ...rows.map((r) => cellsOf(header, r))].map((cells) => cells.map(csvCell).join(","));
    await writeFile(join(dir, `RVTools_tab${name}.csv`), lines.join("\r\n") + "\r\n");
  }
  return readBack(dir);
}

const WAYS: [string, (set: RealHeaderSet) => Promise<RvtoolsResult>][] = [
  ["the reader seam", viaSeam],
  ["an .xlsx (writeXlsxFile → openRvtoolsExport)", viaXlsx],
  ["a folder of RVTools_tab*.csv", viaCsv],
];

function valid(result: RvtoolsResult) {
  const salvaged = salvageSnapshot(result.snapshot);
  expect((salvaged as { warnings: string[] }).warnings).toEqual(result.snapshot.warnings);
  return parseSnapshot(salvaged);
}

/** Standard RVTools columns that are no custom attribute, wherever they stand. */
const NOT_ATTRIBUTES = [
  "Customization Info",
  "Guest Detailed Data",
  "Suspended To Memory",
  "Memory Tiering Type",
  "AutoDeploy.MachineIdentity",
  "Folder ID",
  "Path",
  "VI SDK Server type",
];

/** The tabs of source 1 the importer does not read (reported ignored). */
const NOT_READ = [
  "vCD", "vUSB", "vRP", "vHBA", "vNIC", "vSwitch", "vPort", "dvSwitch", "dvPort", "vSC_VMK", "vMultiPath",
  "vLicense", "vFileInfo", "vMetaData",
];

const sorted = (list: string[]) => [...list].sort();

// --- the fixture itself -------------------------------------------------------------------------

describe("the real header sets", () => {
  it("hold the header counts their sources give (27 sheets; vInfo 93 columns, vHost 74, ...)", () => {
    const counts = Object.fromEntries(Object.entries(RVTOOLEX.tabs).map(([t, h]) => [t, h.length]));
    expect(counts).toEqual({
      vInfo: 93, vCPU: 32, vMemory: 36, vDisk: 43, vPartition: 25, vNetwork: 30, vCD: 23, vUSB: 28, vSnapshot: 24,
      vTools: 32, vSource: 14, vRP: 49, vCluster: 38, vHost: 74, vHBA: 13, vNIC: 14, vSwitch: 23, vPort: 22,
      dvSwitch: 33, dvPort: 41, vSC_VMK: 15, vDatastore: 33, vMultiPath: 35, vLicense: 10, vFileInfo: 8, vHealth: 5,
      vMetaData: 4,
    });
    expect(SEVEN_ATTRIBUTES.tabs.vInfo).toHaveLength(88);
    expect(RVTOOLS_3_CSV.tabs.vInfo).toHaveLength(66);
    for (const set of [RVTOOLEX, SEVEN_ATTRIBUTES, RVTOOLS_3_CSV]) {
      for (const header of Object.values(set.tabs)) expect(new Set(header).size).toBe(header.length);
    }
  });
});

describe("the exporter's headers against the real export's", () => {
  it("writes only header names the real export uses, in its order", () => {
    const snapshot = parseSnapshot({ collectedAt: "2025-11-01T00:00:00.000Z", hosts: [], virtualMachines: [], containers: [] });
    const unknown: Record<string, string[]> = {};
    for (const tab of rvtoolsTabs([{ snapshot, server: VC_SERVER }])) {
      const real = RVTOOLEX.tabs[tab.name];
      expect(real, tab.name).toBeDefined();
      const extra = tab.header.filter((h) => !real!.includes(h));
      if (extra.length > 0) unknown[tab.name] = extra;
      const at = tab.header.filter((h) => real!.includes(h)).map((h) => real!.indexOf(h));
      expect(at, `${tab.name} in RVTools' order`).toEqual([...at].sort((a, b) => a - b));
    }
    expect(unknown).toEqual({});
  });
});

// --- source 1: every tab of a real 27-sheet export -------------------------------------------------

describe.each(WAYS)("RVTOOLEX.xlsx's headers (27 tabs, 3 custom attributes) through %s", (_, via) => {
  let result: RvtoolsResult;
  beforeAll(async () => {
    result = await via(RVTOOLEX);
  });

  it("reads the 13 tabs it knows, reports the 14 others ignored (not errors), and misses no column", () => {
    const { report } = result;
    expect(sorted(report.tabsRead)).toEqual(sorted(Object.keys(TABS)));
    expect(sorted(report.tabsIgnored)).toEqual(sorted(NOT_READ));
    expect(report.tabsMissing).toEqual([]);
    // This export has every column the importer reads, under the name it reads it by.
    expect(report.columnsMissing).toEqual(Object.fromEntries(Object.keys(TABS).map((t) => [t, []])));
    expect(report.rows).toEqual({
      vInfo: 2, vCPU: 2, vMemory: 2, vDisk: 3, vPartition: 1, vNetwork: 2, vSnapshot: 1, vTools: 2, vHost: 2,
      vCluster: 1, vDatastore: 1, vSource: 1, vHealth: 1,
    });
    for (const tab of ["vCPU", "vMemory", "vDisk", "vPartition", "vNetwork", "vSnapshot", "vTools"]) {
      expect(report.joins[tab], tab).toEqual({ rows: report.rows[tab], joined: report.rows[tab] });
    }
    expect(report.joins["vInfo→vHost"]).toEqual({ rows: 2, joined: 2 });
    expect(report.warnings).toEqual(["vHealth: 1 RVTools health messages (not imported)"]);
  });

  it("takes exactly the three custom attributes, with the row's values, and no standard column", () => {
    const snapshot = valid(result);
    expect(result.report.attributeColumns).toEqual(["Backup status", "ClusterInvariantVMMId", "Last backup"]);
    const [app, db] = snapshot.virtualMachines;
    expect(app!.attributes).toEqual({
      "Backup status": "Backup status value 1",
      ClusterInvariantVMMId: "ClusterInvariantVMMId value 2",
      "Last backup": 'Sat Jan 10 05:26:53 2026\n,backup01,"Daily" policy',
    });
    expect(db!.attributes).toEqual({ "Backup status": "db value" });
    for (const name of NOT_ATTRIBUTES) expect(result.report.attributeColumns).not.toContain(name);
  });

  it("gives the VM's facts: vCPUs, memory, disks, NICs, snapshot, partition, OS, ids, host", () => {
    const snapshot = valid(result);
    expect(snapshot.hosts.map((h) => h.name)).toEqual(["esx01.corp.example", "esx02.corp.example"]);
    const esx01 = snapshot.hosts[0]!;
    expect(esx01).toMatchObject({
      externalId: `${VC_UUID}/host/esx01.corp.example`,
      cpuSockets: 2,
      cpuCores: 64,
      cpuThreads: 128,
      cpuMhz: 2000,
      memoryMiB: 1048064,
      cpuModel: "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
      vendor: "Dell Inc.",
      model: "PowerEdge R750",
      productVersion: "8.0.2",
      productBuild: "22380479",
      datacenter: "DC-North",
      cluster: "Prod",
      drsEnabled: true,
      dpmEnabled: false,
    });
    expect(snapshot.virtualMachines).toHaveLength(2);
    const [app, db] = snapshot.virtualMachines;
    expect(app).toMatchObject({
      externalId: `${VC_UUID}/vm/${APP_UUID}`,
      name: "app01.corp.example",
      uuid: APP_SMBIOS,
      instanceUuid: APP_UUID,
      hostExternalId: esx01.externalId,
      powerState: "poweredOn",
      template: false,
      vcpus: 4,
      coresPerSocket: 2,
      cpuHotAdd: true,
      cpuHotRemove: false,
      memoryMiB: 8192,
      memoryActiveMiB: 2048,
      memoryBalloonedMiB: 0,
      memoryHotAdd: true,
      provisionedMiB: 151552,
      usedMiB: 61440,
      guestOsConfigured: "Red Hat Enterprise Linux 8 (64-bit)",
      guestOsReported: "Red Hat Enterprise Linux 8.9 (Ootpa)",
      guestOsFamily: "linux",
      hostname: "app01.corp.example",
      nicCount: 2,
      macAddresses: ["00:50:56:ab:00:01", "00:50:56:ab:00:02"],
      ipAddresses: ["10.20.0.11", "10.30.0.11"],
      snapshotCount: 1,
      snapshotOldestAt: SNAPSHOT_AT.toISOString(),
      guestFilesystems: [{ path: "/", capacityMiB: 40000, freeMiB: 28000, diskKey: "2000" }],
      guestDiskCapacityMiB: 40000,
      guestDiskFreeMiB: 28000,
      toolsStatus: "toolsOk",
      toolsVersion: "12389",
      hardwareVersion: expect.stringContaining("19"),
      datacenter: "DC-North",
      cluster: "Prod",
      folder: "/Apps",
      annotation: "Order service (team A)",
      cbtEnabled: true,
      diskEnableUuid: true,
    });
    expect(app!.disks.map((d) => [d.key, d.label, d.capacityMiB, d.thin, d.mode, d.datastore, d.bus])).toEqual([
      ["2000", "Hard disk 1", 40960, true, "persistent", "ds-gold-01", "scsi"],
      ["2001", "Hard disk 2", 102400, false, "independent_persistent", "ds-gold-01", "scsi"],
    ]);
    expect(db).toMatchObject({
      externalId: `${VC_UUID}/vm/${DB_UUID}`,
      uuid: DB_SMBIOS,
      instanceUuid: DB_UUID,
      powerState: "poweredOff",
      vcpus: 2,
      memoryMiB: 4096,
      guestOsConfigured: "Microsoft Windows Server 2019 (64-bit)",
      guestOsFamily: "windows",
      snapshotCount: 0,
      hostExternalId: snapshot.hosts[1]!.externalId,
    });
    expect(db!.disks.map((d) => [d.capacityMiB, d.bus])).toEqual([[61440, "sata"]]);
  });
});

// --- source 2: a vInfo with seven custom attributes -------------------------------------------------

describe.each(WAYS)("a real vInfo header with seven custom attributes through %s", (_, via) => {
  let result: RvtoolsResult;
  beforeAll(async () => {
    result = await via(SEVEN_ATTRIBUTES);
  });

  it("lacks only Active Memory (an older RVTools), and every other tab", () => {
    const { report } = result;
    expect(report.tabsRead).toEqual(["vInfo"]);
    expect(report.columnsMissing).toEqual({ vInfo: ["Active Memory"] });
    expect(sorted(report.tabsMissing)).toEqual(sorted(Object.keys(TABS).filter((t) => t !== "vInfo")));
    expect(report.tabsIgnored).toEqual([]);
  });

  it("takes exactly the seven custom attributes with the row's values", () => {
    const snapshot = valid(result);
    expect(result.report.attributeColumns).toEqual([
      "NB_LAST_BACKUP", "Patching", "DR", "Linux-Patch", "IT Owners", "Application Type", "Unix-Team-Linux-VMs",
    ]);
    const [app, db] = snapshot.virtualMachines;
    expect(app!.attributes).toEqual(Object.fromEntries(SEVEN_ATTRIBUTES.attributes.map((a, i) => [a, appAttribute(SEVEN_ATTRIBUTES, a, i)])));
    expect(db!.attributes).toEqual({ NB_LAST_BACKUP: "db value" });
  });

  it("gives vInfo's facts; hosts come from vInfo's Host column", () => {
    const snapshot = valid(result);
    const [app] = snapshot.virtualMachines;
    expect(app).toMatchObject({
      externalId: `${VC_UUID}/vm/${APP_UUID}`,
      uuid: APP_SMBIOS,
      instanceUuid: APP_UUID,
      powerState: "poweredOn",
      vcpus: 4,
      memoryMiB: 8192,
      memoryActiveMiB: null,
      nicCount: 2,
      provisionedMiB: 151552,
      guestOsReported: "Red Hat Enterprise Linux 8.9 (Ootpa)",
    });
    expect(snapshot.hosts.map((h) => [h.name, h.cpuCores, h.memoryMiB])).toEqual([
      ["esx01.corp.example", 0, 0],
      ["esx02.corp.example", 0, 0],
    ]);
  });
});

// --- source 3: an RVTools 3.x vInfo CSV (vCenter 5.1) ---------------------------------------------------

describe.each(WAYS)("a real RVTools 3.x vInfo header (MB columns, 5 custom attributes) through %s", (_, via) => {
  let result: RvtoolsResult;
  beforeAll(async () => {
    result = await via(RVTOOLS_3_CSV);
  });

  it("reads the MB columns and lacks what 3.x had not: Active Memory, EnableUUID, CBT, Primary IP Address, SMBIOS UUID", () => {
    expect(result.report.columnsMissing).toEqual({
      vInfo: ["Active Memory", "EnableUUID", "CBT", "Primary IP Address", "SMBIOS UUID"],
    });
    expect(result.report.attributeColumns).toEqual(RVTOOLS_3_CSV.attributes);
    const snapshot = valid(result);
    const [app, db] = snapshot.virtualMachines;
    expect(app).toMatchObject({
      // No SMBIOS UUID column: the VM UUID is the BIOS UUID, no instance UUID.
      uuid: APP_UUID,
      instanceUuid: null,
      externalId: `${VC_UUID}/vm/${APP_UUID}`,
      vcpus: 4,
      memoryMiB: 8192,
      provisionedMiB: 151552,
      usedMiB: 61440,
      memoryActiveMiB: null,
      cbtEnabled: null,
      diskEnableUuid: false,
      attributes: Object.fromEntries(RVTOOLS_3_CSV.attributes.map((a, i) => [a, appAttribute(RVTOOLS_3_CSV, a, i)])),
    });
    expect(db!.attributes).toEqual({ [RVTOOLS_3_CSV.attributes[0]!]: "db value" });
  });
});

describe("the real RVTools 3.x CSV's number format", () => {
  // That export writes sizes with thousands separators in quoted cells (Memory "16,384"-style, as
  // Excel's "Save as CSV" writes RVTools' #,##0 cells) in a comma-separated file: the groups are read.
  it.each([
    // [separator, Memory, Provisioned MB, read as]: the real export's own form, and a comma-decimal locale's.
    [",", "16,384", "206,057.5", 206057.5],
    [";", "16.384", "1,5", 1.5],
  ] as const)("reads a %j-separated CSV's Memory %j as 16384 MiB (never 16.384) and Provisioned %j as %d", async (separator, memory, provisioned, read) => {
    const dir = join(root, `thousands-${separator === "," ? "comma" : "semicolon"}`);
    await mkdir(dir);
    const header = RVTOOLS_3_CSV.tabs.vInfo!;
    const row: Row = { ...rowsOf(RVTOOLS_3_CSV).vInfo![0]!, Memory: memory, "Provisioned MB": provisioned };
    await writeFile(join(dir, "RVTools_tabvInfo.csv"), [header, cellsOf(header, row)].map((c) => c.map(csvCell).join(separator)).join("\r\n"));
    const vm = (await readBack(dir)).snapshot.virtualMachines![0]!;
    expect(vm.memoryMiB).toBe(16384);
    expect(vm.provisionedMiB).toBe(read);
  });
});

describe("a custom attribute named like a vInfo column", () => {
  // On vInfo the attributes stand BEFORE Datacenter, Cluster, Host and the OS columns: an
  // organisation's attribute called "Cluster" must not take the real column's place.
  it("leaves the real Cluster column the VM's cluster and keeps the attribute", async () => {
    const base = RVTOOLEX.tabs.vInfo!;
    const at = base.indexOf("Datacenter");
    const header = [...base.slice(0, at), "Cluster", ...base.slice(at)];
    const row: Row = { ...rowsOf(RVTOOLEX).vInfo![0]! };
    const cells = header.map((h, i) => (i === at ? "stretched-metro" : Object.hasOwn(row, h) ? row[h]! : null));
    const result = await build([
      { name: "vInfo", origin: "RVTOOLEX.xlsx", header, rows: (async function* () { yield { row: 2, cells }; })() },
    ]);
    const vm = result.snapshot.virtualMachines![0]!;
    expect(result.report.attributeColumns).toContain("Cluster");
    expect(vm.cluster).toBe("Prod");
    expect(vm.attributes).toMatchObject({ Cluster: "stretched-metro" });
  });

  it("ends the attributes at the real Datacenter, even when an attribute is called Datacenter", async () => {
    const base = RVTOOLEX.tabs.vInfo!;
    const at = base.indexOf("Datacenter");
    const header = [...base.slice(0, at), "Datacenter", "Owner", ...base.slice(at)];
    const row: Row = { ...rowsOf(RVTOOLEX).vInfo![0]! };
    const cells = header.map((h, i) => (i === at ? "old-site" : i === at + 1 ? "team-a" : Object.hasOwn(row, h) ? row[h]! : null));
    const result = await build([
      { name: "vInfo", origin: "RVTOOLEX.xlsx", header, rows: (async function* () { yield { row: 2, cells }; })() },
    ]);
    const vm = result.snapshot.virtualMachines![0]!;
    expect(result.report.attributeColumns).toEqual(expect.arrayContaining(["Datacenter", "Owner"]));
    expect(vm.datacenter).toBe(row.Datacenter);
    expect(vm.attributes).toMatchObject({ Datacenter: "old-site", Owner: "team-a" });
  });
});

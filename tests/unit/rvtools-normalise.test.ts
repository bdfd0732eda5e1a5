import { describe, expect, it } from "vitest";
import { attributeColumns, mapColumns } from "@/server/collectors/rvtools/columns";
import {
  busOf,
  cellBool,
  cellDate,
  cellNumber,
  createRvtoolsBuilder,
  hardwareVersion,
  type RvtoolsResult,
} from "@/server/collectors/rvtools/normalise";
import { RvtoolsInputError, type CellValue, type RvTab } from "@/server/collectors/rvtools/types";
import { salvageSnapshot } from "@/server/inventory/salvage";
import { parseSnapshot } from "@/server/inventory/snapshot";

// --- synthetic tabs, as the readers give them ---------------------------------------------------

type Row = Record<string, CellValue>;

/** A tab of these header names; each row gives cells by header name (absent → null). */
function tab(name: string, header: string[], rows: Row[] | (() => Iterable<Row>), origin = "export.xlsx"): RvTab {
  return {
    name,
    origin,
    header,
    rows: (async function* () {
      let n = 1;
      const list = typeof rows === "function" ? rows() : rows;
      for (const r of list) {
        n++;
        yield { row: n, cells: header.map((h) => (Object.hasOwn(r, h) ? r[h]! : null)) };
      }
    })(),
  };
}

async function build(tabs: RvTab[], collectedAt = "2025-03-01T00:00:00.000Z"): Promise<RvtoolsResult> {
  const b = createRvtoolsBuilder({ collectedAt });
  for (const t of tabs) await b.addTab(t);
  return b.finish();
}

describe("the builder's cancellation signal", () => {
  it("is checked every 1,000 rows of a tab: what it throws, addTab throws, and the tab's rows are closed", async () => {
    let checks = 0;
    const signal = {
      throwIfAborted() {
        if (++checks === 2) throw new Error("cancelled at row 2,000");
      },
    } as unknown as AbortSignal;
    let closed = false;
    let yielded = 0;
    const source: RvTab = {
      name: "vInfo",
      origin: "export.xlsx",
      header: ["VM", "Powerstate", "CPUs", "Memory", "VM ID"],
      rows: (async function* () {
        try {
          for (let i = 0; i < 5000; i++) {
            yielded++;
            yield { row: i + 2, cells: [`vm${i}`, "poweredOn", "1", "1024", `vm-${i}`] };
          }
        } finally {
          closed = true;
        }
      })(),
    };
    const b = createRvtoolsBuilder({ signal });
    await expect(b.addTab(source)).rejects.toThrow("cancelled at row 2,000");
    expect(checks).toBe(2);
    expect(yielded).toBe(2000);
    expect(closed).toBe(true);
  });

  it("changes nothing when not aborted", async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => ({ VM: `vm${i}`, Powerstate: "poweredOn", CPUs: "1", Memory: "1024", "VM ID": `vm-${i}` }));
    const header = ["VM", "Powerstate", "CPUs", "Memory", "VM ID"];
    const b = createRvtoolsBuilder({ signal: new AbortController().signal, collectedAt: "2025-03-01T00:00:00.000Z" });
    await b.addTab(tab("vInfo", header, rows));
    expect(b.finish()).toEqual(await build([tab("vInfo", header, rows)]));
  });
});

/** RVTools 4.x vInfo (an excerpt of its columns, in RVTools' order). */
const VINFO_NEW = [
  "VM", "Powerstate", "Template", "DNS Name", "Consolidation Needed", "CPUs", "Memory", "Active Memory", "NICs",
  "EnableUUID", "CBT", "Primary IP Address", "Resource pool", "Folder", "FT State", "Provisioned MiB", "In Use MiB",
  "Firmware", "HW version", "Annotation", "owner", "mmtest-tags", "Datacenter", "Cluster", "Host",
  "OS according to the configuration file", "OS according to the VMware Tools", "VM ID", "SMBIOS UUID", "VM UUID",
  "VI SDK Server", "VI SDK UUID",
];
/** Older RVTools (3.x): "MB" columns, "vCenter UUID", "disk.EnableUUID", no SMBIOS UUID. */
const VINFO_OLD = VINFO_NEW.filter((h) => h !== "SMBIOS UUID").map((h) =>
  h === "Provisioned MiB"
    ? "Provisioned MB"
    : h === "In Use MiB"
      ? "In Use MB"
      : h === "VI SDK UUID"
        ? "vCenter UUID"
        : h === "EnableUUID"
          ? "disk.EnableUUID"
          : h,
);
const VC1 = "11111111-aaaa-4bbb-8ccc-000000000001";
const VC2 = "22222222-aaaa-4bbb-8ccc-000000000002";
const KEYS = ["VM", "VM ID", "VM UUID", "VI SDK Server", "VI SDK UUID"];

function vmRow(i: number, extra: Row = {}, vc = VC1): Row {
  return {
    VM: `vm-${i}`,
    Powerstate: "poweredOn",
    Template: "False",
    CPUs: 2,
    Memory: 4096,
    "VM ID": `vm-${100 + i}`,
    "VM UUID": `5000000${i}-0000-0000-0000-000000000000`,
    "VI SDK Server": vc === VC1 ? "vc1.example.com" : "vc2.example.com",
    "VI SDK UUID": vc,
    Host: "esx1.example.com",
    Cluster: "Prod",
    Datacenter: "DC1",
    ...extra,
  };
}

/** The report's warnings but those saying which tabs and columns the export lacks (asserted on their own). */
function problems(result: RvtoolsResult): string[] {
  return result.report.warnings.filter((w) => !w.startsWith("tabs not in the export") && !/^\w+ lacks the columns/.test(w));
}

function valid(result: RvtoolsResult) {
  const salvaged = salvageSnapshot(result.snapshot);
  expect((salvaged as { warnings: string[] }).warnings).toEqual(result.snapshot.warnings);
  return parseSnapshot(salvaged);
}

// --- header matching -----------------------------------------------------------------------------

describe("column matching", () => {
  it.each([
    ["Provisioned MiB", true],
    ["Provisioned MiB ", true],
    ["  provisioned mib", true],
    ["Provisioned  MiB", true],
    ["PROVISIONED MB", true],
    ["Provisioned", false],
    ["Provisioned MiB (total)", false],
    ["ProvisionedMiB", false],
  ])("vInfo header %j → provisioned: %s", (header, found) => {
    const map = mapColumns("vInfo", ["VM", header]);
    expect(map.index.provisioned).toBe(found ? 1 : undefined);
    expect(map.missing.includes("provisioned")).toBe(!found);
  });

  it.each([
    ["VI SDK UUID", "viSdkUuid"],
    ["vCenter UUID", "viSdkUuid"],
    ["EnableUUID", "enableUuid"],
    ["disk.EnableUUID", "enableUuid"],
    ["In Use MB", "inUse"],
    ["OS according to the VMware Tools", "osTools"],
  ] as const)("%j is the column %s", (header, column) => {
    expect(mapColumns("vInfo", ["VM", header]).index[column]).toBe(1);
  });

  it("never matches by position: a header of other names finds nothing", () => {
    const map = mapColumns("vDisk", ["A", "B", "C", "D", "E"]);
    expect(Object.keys(map.index)).toEqual([]);
  });

  it("the first of two headers of one name wins", () => {
    expect(mapColumns("vInfo", ["VM", "CPUs", "cpus"]).index.cpus).toBe(1);
  });

  it.each([
    [["Annotation", "owner", "mmtest-tags", "Datacenter"], ["owner", "mmtest-tags"]],
    // A known column between the bounds is no attribute; empty header cells are skipped.
    [["Annotation", "owner", "Folder", "", "Datacenter"], ["owner"]],
    [["Annotation", "Datacenter"], []],
    // Bounds missing or out of order: no attributes rather than a guess.
    [["owner", "Datacenter"], []],
    [["Datacenter", "owner", "Annotation"], []],
  ])("attribute columns of %j: %j", (header, names) => {
    expect(attributeColumns(header).map(([, n]) => n)).toEqual(names);
  });
});

// --- cells ---------------------------------------------------------------------------------------

describe("cells", () => {
  it.each<[CellValue, boolean | null]>([
    ["True", true],
    ["False", false],
    ["TRUE", true],
    ["false", false],
    [" true ", true],
    [1, true],
    [0, false],
    ["1", true],
    [true, true],
    ["", null],
    [null, null],
  ])("bool %j → %j", (cell, value) => expect(cellBool(cell)).toBe(value));

  it.each<CellValue>(["yes", "Truee", 2, new Date(0)])("bool %j is refused", (cell) => {
    expect(() => cellBool(cell)).toThrow(/not a boolean/);
  });

  it.each<[CellValue, number | null]>([
    [4096, 4096],
    ["4096", 4096],
    ["12.5", 12.5],
    ["12,5", 12.5],
    ["1e3", 1000],
    ["-3", -3],
    ["", null],
  ])("number %j → %j", (cell, value) => expect(cellNumber(cell)).toBe(value));

  it.each<CellValue>(["1,234.5", "12 GB", "1.2.3", "NaN", true, Number.POSITIVE_INFINITY])("number %j is refused", (cell) => {
    expect(() => cellNumber(cell)).toThrow(/number/);
  });

  // Thousands groups only where the tab's locale says how they are written (a CSV's separator).
  it.each<[CellValue, "comma-groups" | "comma-decimal" | undefined, number | null]>([
    ["16,384", "comma-groups", 16384],
    ["1,234,567.25", "comma-groups", 1234567.25],
    ["-2,048", "comma-groups", -2048],
    ["12.5", "comma-groups", 12.5],
    ["4096", "comma-groups", 4096],
    ["16.384", "comma-decimal", 16384],
    ["1.234.567,25", "comma-decimal", 1234567.25],
    ["1,5", "comma-decimal", 1.5],
    ["4096", "comma-decimal", 4096],
    [4096.5, "comma-decimal", 4096.5],
    ["1,5", undefined, 1.5],
  ])("number %j in a %s tab → %j", (cell, numbers, value) => expect(cellNumber(cell, numbers)).toBe(value));

  it.each<[CellValue, "comma-groups" | "comma-decimal" | undefined, RegExp]>([
    // Near misses: not groups of three, a decimal comma in a point-decimal file, a point in a comma-decimal one.
    ["16,38", "comma-groups", /does not group thousands/],
    ["1,2345", "comma-groups", /does not group thousands/],
    ["16,384,5", "comma-groups", /does not group thousands/],
    ["12.5", "comma-decimal", /comma-decimal file/],
    ["16.38", "comma-decimal", /comma-decimal file/],
    // Unknown locale (xlsx text, tab-separated): sixteen thousand or sixteen point three?
    ["16,384", undefined, /ambiguous/],
  ])("number %j in a %s tab is refused", (cell, numbers, message) => {
    expect(() => cellNumber(cell, numbers)).toThrow(message);
  });

  it.each<[CellValue, string]>([
    [45714.537, "2025-02-26T12:53:16.800Z"],
    ["45714.537", "2025-02-26T12:53:16.800Z"],
    ["45714,537", "2025-02-26T12:53:16.800Z"],
    ["2025/02/24 12:53:20", "2025-02-24T12:53:20.000Z"],
    ["2025-02-24 12:53:20Z", "2025-02-24T12:53:20.000Z"],
    [45658, "2025-01-01T00:00:00.000Z"],
    [1, "1900-01-01T00:00:00.000Z"],
    [new Date("2024-06-01T10:00:00Z"), "2024-06-01T10:00:00.000Z"],
    ["2025-02-24 12:53:20", "2025-02-24T12:53:20.000Z"],
    ["2025-02-24T12:53:20", "2025-02-24T12:53:20.000Z"],
    ["2025-02-24T12:53:20+01:00", "2025-02-24T11:53:20.000Z"],
    ["2025-02-24", "2025-02-24T00:00:00.000Z"],
    ["2/24/2025 12:53:20 PM", "2025-02-24T12:53:20.000Z"],
    ["2/24/2025 12:53:20 AM", "2025-02-24T00:53:20.000Z"],
    ["2/3/2025 1:05 PM", "2025-02-03T13:05:00.000Z"],
    ["24/02/2025 12:53", "2025-02-24T12:53:00.000Z"],
    ["24.02.2025 12:53:20", "2025-02-24T12:53:20.000Z"],
    ["03.02.2025", "2025-02-03T00:00:00.000Z"],
  ])("date %j → %s", (cell, iso) => expect(cellDate(cell)).toBe(iso));

  it.each<CellValue>(["2025-02-30", "13/13/2025", "2/24/2025 13:00 PM", "yesterday", "2025-02-24 25:00", "2025-02-24T10:00:00+25:00", "45714,5,3", -5, 0, true])(
    "date %j is refused",
    (cell) => expect(() => cellDate(cell)).toThrow(/date/),
  );

  it.each([
    ["SCSI controller 0", "scsi"],
    ["SATA controller 1", "sata"],
    ["NVME controller 0", "nvme"],
    ["IDE 0", "ide"],
    ["scsi0", "scsi"],
    ["Floppy", null],
    [null, null],
  ])("controller %j → bus %j", (controller, bus) => expect(busOf(controller)).toBe(bus));

  it.each([
    ["19", "vmx-19"],
    ["vmx-13", "vmx-13"],
    [null, null],
  ])("HW version %j → %j", (value, version) => expect(hardwareVersion(value)).toBe(version));
});

// --- the builder ---------------------------------------------------------------------------------

const DISK_HEADER = [...KEYS, "Disk", "Disk Key", "Disk Path", "Capacity MiB", "Raw", "Disk Mode", "Sharing mode", "Thin", "Controller", "Raw Comp. Mode"];

/** One VM in every tab, as RVTools 4.x writes them, in the xlsx order. */
function fullExport(): RvTab[] {
  const k = { "VM ID": "vm-101", "VM UUID": "50000001-0000-0000-0000-000000000000", "VI SDK Server": "vc1.example.com", "VI SDK UUID": VC1, VM: "vm-1" };
  return [
    tab("vInfo", VINFO_NEW, [
      vmRow(1, {
        "DNS Name": "web01.example.com",
        "Consolidation Needed": "False",
        "Active Memory": 1024,
        NICs: 1,
        EnableUUID: "True",
        CBT: "True",
        "Primary IP Address": "10.0.0.5",
        "Resource pool": "/DC1/host/Prod/Resources",
        Folder: "/DC1/vm/Web",
        "FT State": "notConfigured",
        "Provisioned MiB": 61440,
        "In Use MiB": 20480.5,
        Firmware: "efi",
        "HW version": "19",
        Annotation: "web tier",
        owner: "alice",
        "mmtest-tags": "",
        "OS according to the configuration file": "Red Hat Enterprise Linux 9 (64-bit)",
        "OS according to the VMware Tools": "Red Hat Enterprise Linux 9.3 (64-bit)",
        "SMBIOS UUID": "4200000a-0000-0000-0000-000000000000",
      }),
    ]),
    tab("vCPU", [...KEYS, "Sockets", "Cores p/s", "Hot Add", "Hot Remove"], [{ ...k, Sockets: 1, "Cores p/s": 2, "Hot Add": "True", "Hot Remove": "False" }]),
    tab("vMemory", [...KEYS, "Size MiB", "Ballooned", "Active", "Hot Add"], [{ ...k, "Size MiB": 4096, Ballooned: 0, Active: 900, "Hot Add": "TRUE" }]),
    tab("vDisk", DISK_HEADER, [
      { ...k, Disk: "Hard disk 1", "Disk Key": "2000", "Disk Path": "[ds1] vm-1/vm-1.vmdk", "Capacity MiB": 40960, Raw: "False", "Disk Mode": "persistent", "Sharing mode": "sharingNone", Thin: "True", Controller: "SCSI controller 0" },
      { ...k, Disk: "Hard disk 2", "Disk Key": "2001", "Disk Path": "[ds2] vm-1/vm-1_1.vmdk", "Capacity MiB": 20480, Raw: "True", "Disk Mode": "independent_persistent", "Sharing mode": "sharingMultiWriter", Thin: "False", Controller: "SCSI controller 1", "Raw Comp. Mode": "physicalMode" },
    ]),
    tab("vPartition", [...KEYS, "Disk Key", "Disk", "Capacity MiB", "Consumed MiB", "Free MiB"], [
      { ...k, "Disk Key": "2000", Disk: "/", "Capacity MiB": 30000, "Free MiB": 10000 },
      { ...k, "Disk Key": "2000", Disk: "/boot", "Capacity MiB": 1000, "Free MiB": 500 },
    ]),
    tab("vNetwork", [...KEYS, "NIC label", "Adapter", "Network", "Mac Address", "IPv4 Address", "IPv6 Address"], [
      { ...k, "NIC label": "Network adapter 1", Adapter: "Vmxnet3", "Mac Address": "00:50:56:AA:BB:CC", "IPv4 Address": "10.0.0.5, 10.0.0.6", "IPv6 Address": "fe80::1" },
    ]),
    tab("vSnapshot", [...KEYS, "Name", "Date / time"], [
      { ...k, Name: "before patch", "Date / time": 45714.5 },
      { ...k, Name: "older", "Date / time": 45658 },
    ]),
    tab("vTools", [...KEYS, "Tools", "Tools Version"], [{ ...k, Tools: "toolsOk", "Tools Version": "12352" }]),
    tab("vHost", ["Host", "Datacenter", "Cluster", "CPU Model", "Speed", "# CPU", "# Cores", "HT Active", "# Memory", "ESX Version", "Vendor", "Model", "UUID", "VI SDK Server", "VI SDK UUID"], [
      { Host: "esx1.example.com", Datacenter: "DC1", Cluster: "Prod", "CPU Model": "Intel Xeon Gold 6338", Speed: 2000, "# CPU": 2, "# Cores": 64, "HT Active": "True", "# Memory": 524288, "ESX Version": "VMware ESXi 8.0.2 build-22380479", Vendor: "Dell Inc.", Model: "PowerEdge R750", UUID: "4c4c4544-0000", "VI SDK Server": "vc1.example.com", "VI SDK UUID": VC1 },
    ]),
    tab("vCluster", ["Name", "DRS enabled", "DPM enabled", "VI SDK Server", "VI SDK UUID"], [{ Name: "Prod", "DRS enabled": "True", "DPM enabled": "False", "VI SDK Server": "vc1.example.com", "VI SDK UUID": VC1 }]),
    tab("vLicense", ["Name", "Key"], [{ Name: "vSphere 8 Enterprise Plus", Key: "xxxx" }]),
  ];
}

describe("createRvtoolsBuilder", () => {
  it("gives every fact of a VM the vSphere collector gives, from its tabs", async () => {
    const result = await build(fullExport());
    const snapshot = valid(result);
    expect(snapshot.hosts).toHaveLength(1);
    const host = snapshot.hosts[0]!;
    expect(host).toMatchObject({
      externalId: `${VC1}/host/esx1.example.com`,
      name: "esx1.example.com",
      platform: "esxi",
      cpuSockets: 2,
      cpuCores: 64,
      cpuThreads: 128,
      cpuMhz: 2000,
      memoryMiB: 524288,
      productName: "VMware ESXi",
      productVersion: "8.0.2",
      productBuild: "22380479",
      cluster: "Prod",
      datacenter: "DC1",
      drsEnabled: true,
      dpmEnabled: false,
    });
    const vm = snapshot.virtualMachines[0]!;
    expect(vm).toMatchObject({
      externalId: `${VC1}/vm/50000001-0000-0000-0000-000000000000`,
      name: "vm-1",
      hostExternalId: host.externalId,
      uuid: "4200000a-0000-0000-0000-000000000000",
      instanceUuid: "50000001-0000-0000-0000-000000000000",
      powerState: "poweredOn",
      template: false,
      vcpus: 2,
      coresPerSocket: 2,
      memoryMiB: 4096,
      memoryActiveMiB: 900,
      memoryBalloonedMiB: 0,
      provisionedMiB: 61440,
      usedMiB: 20480.5,
      guestDiskCapacityMiB: 31000,
      guestDiskFreeMiB: 10500,
      guestOsConfigured: "Red Hat Enterprise Linux 9 (64-bit)",
      guestOsReported: "Red Hat Enterprise Linux 9.3 (64-bit)",
      guestOsId: null,
      guestOsFamily: "linux",
      hostname: "web01.example.com",
      ipAddresses: ["10.0.0.5", "10.0.0.6", "fe80::1"],
      macAddresses: ["00:50:56:aa:bb:cc"],
      nicCount: 1,
      snapshotCount: 2,
      snapshotOldestAt: "2025-01-01T00:00:00.000Z",
      toolsStatus: "toolsOk",
      toolsVersion: "12352",
      hardwareVersion: "vmx-19",
      datacenter: "DC1",
      cluster: "Prod",
      folder: "/DC1/vm/Web",
      resourcePool: "/DC1/host/Prod/Resources",
      annotation: "web tier",
      cbtEnabled: true,
      cpuHotAdd: true,
      cpuHotRemove: false,
      memoryHotAdd: true,
      diskEnableUuid: true,
      faultTolerance: false,
      attributes: { owner: "alice" },
    });
    expect(vm.disks).toEqual([
      { key: "2000", label: "Hard disk 1", capacityMiB: 40960, thin: true, mode: "persistent", rdm: "none", sharing: "none", datastore: "ds1", path: "[ds1] vm-1/vm-1.vmdk", format: null, cbtEnabled: null, bus: "scsi" },
      { key: "2001", label: "Hard disk 2", capacityMiB: 20480, thin: null, mode: "independent_persistent", rdm: "physical", sharing: "multi-writer", datastore: "ds2", path: "[ds2] vm-1/vm-1_1.vmdk", format: "rdm", cbtEnabled: null, bus: "scsi" },
    ]);
    expect(vm.guestFilesystems).toEqual([
      { path: "/", capacityMiB: 30000, freeMiB: 10000, diskKey: "2000" },
      { path: "/boot", capacityMiB: 1000, freeMiB: 500, diskKey: "2000" },
    ]);
    expect(result.report.tabsIgnored).toEqual(["vLicense"]);
    expect(result.report.tabsMissing).toEqual(["vDatastore", "vSource", "vHealth"]);
    expect(result.report.attributeColumns).toEqual(["owner", "mmtest-tags"]);
    expect(result.report.joins).toEqual({
      vCPU: { rows: 1, joined: 1 },
      vMemory: { rows: 1, joined: 1 },
      vDisk: { rows: 2, joined: 2 },
      vPartition: { rows: 2, joined: 2 },
      vNetwork: { rows: 1, joined: 1 },
      vSnapshot: { rows: 2, joined: 2 },
      vTools: { rows: 1, joined: 1 },
      "vInfo→vHost": { rows: 1, joined: 1 },
    });
    expect(result.report.warnings).toEqual([]);
  });

  it("gives the same snapshot whatever the order of the tabs (a CSV folder comes alphabetically)", async () => {
    const xlsx = await build(fullExport());
    const alphabetical = fullExport().sort((a, b) => (a.name < b.name ? -1 : 1));
    expect(alphabetical.map((t) => t.name).indexOf("vInfo")).toBeGreaterThan(alphabetical.map((t) => t.name).indexOf("vDisk"));
    const csv = await build(alphabetical);
    expect(csv.snapshot).toEqual(xlsx.snapshot);
    expect(csv.report.joins).toEqual(xlsx.report.joins);
  });

  it("reads an old export (MB columns, vCenter UUID, disk.EnableUUID) as a new one", async () => {
    const row = (i: number): Row => vmRow(i, { "Provisioned MiB": 2048, "In Use MiB": 1024, EnableUUID: "True" });
    const renamed = (r: Row): Row => ({
      ...r,
      "Provisioned MB": r["Provisioned MiB"]!,
      "In Use MB": r["In Use MiB"]!,
      "vCenter UUID": r["VI SDK UUID"]!,
      "disk.EnableUUID": r.EnableUUID!,
    });
    const newer = await build([
      tab("vInfo", VINFO_NEW, [row(1), row(2)]),
      tab("vDisk", ["VM", "VM ID", "VI SDK UUID", "Disk", "Capacity MiB"], [{ "VM ID": "vm-101", "VI SDK UUID": VC1, Disk: "Hard disk 1", "Capacity MiB": 2048 }]),
    ]);
    const older = await build([
      tab("vInfo", VINFO_OLD, [renamed(row(1)), renamed(row(2))]),
      tab("vDisk", ["VM", "VM ID", "vCenter UUID", "Disk", "Capacity MB"], [{ "VM ID": "vm-101", "vCenter UUID": VC1, Disk: "Hard disk 1", "Capacity MB": 2048 }]),
    ]);
    valid(older);
    expect(older.snapshot.virtualMachines).toEqual(newer.snapshot.virtualMachines);
    expect(older.snapshot.virtualMachines?.[0]).toMatchObject({ provisionedMiB: 2048, usedMiB: 1024, diskEnableUuid: true });
    expect(older.report.columnsMissing.vInfo).toContain("SMBIOS UUID");
    expect(newer.report.columnsMissing.vInfo).not.toContain("SMBIOS UUID");
  });

  it("imports a partial export (vInfo only, trimmed columns) and says what is missing", async () => {
    const result = await build([tab("vInfo", ["VM", "Powerstate", "CPUs", "Memory", "Host", "VM ID"], [
      { VM: "a", Powerstate: "poweredOff", CPUs: 1, Memory: 512, Host: "esx9", "VM ID": "vm-1" },
      { VM: "b", Powerstate: "suspended", CPUs: 4, Memory: 8192, Host: "esx9", "VM ID": "vm-2" },
      { VM: "c", Powerstate: "poweredOn", CPUs: 2, Memory: 2048, "VM ID": "vm-3" },
    ])]);
    const snapshot = valid(result);
    expect(snapshot.virtualMachines.map((v) => [v.externalId, v.powerState, v.hostExternalId])).toEqual([
      ["vm-id/vm-1", "poweredOff", "host/esx9"],
      ["vm-id/vm-2", "suspended", "host/esx9"],
      ["vm-id/vm-3", "poweredOn", null],
    ]);
    expect(snapshot.hosts).toEqual([expect.objectContaining({ externalId: "host/esx9", cpuCores: 0, memoryMiB: 0 })]);
    expect(result.report.tabsMissing).toEqual(["vCPU", "vMemory", "vDisk", "vPartition", "vNetwork", "vSnapshot", "vTools", "vHost", "vCluster", "vDatastore", "vSource", "vHealth"]);
    expect(result.report.columnsMissing.vInfo).toEqual(expect.arrayContaining(["VM UUID", "VI SDK UUID", "Provisioned MiB", "Template"]));
    expect(result.report.warnings).toEqual([
      "no vHost tab: hosts come from vInfo's Host column, their CPUs and memory unknown (0)",
      "tabs not in the export (their facts are empty): vCPU, vMemory, vDisk, vPartition, vNetwork, vSnapshot, vTools, vHost, vCluster",
      expect.stringMatching(/^vInfo lacks the columns \(their facts are empty\): VM UUID, VI SDK Server, VI SDK UUID, Template, DNS Name, .*, SMBIOS UUID$/),
    ]);
    // The snapshot's warnings say it too: the collector passes them on, the report stays with the builder.
    expect(snapshot.warnings).toEqual(result.report.warnings);
    // Facts the export does not have are null, never 0.
    expect(snapshot.virtualMachines[0]).toMatchObject({ provisionedMiB: null, usedMiB: null, nicCount: null, cbtEnabled: null, disks: [] });
  });

  it("keeps two vCenters' VMs of the same VM ID apart, and joins each tab's rows to the right one", async () => {
    const result = await build([
      tab("vDisk", DISK_HEADER, [
        { VM: "x", "VM ID": "vm-101", "VI SDK UUID": VC1, Disk: "Hard disk 1", "Disk Key": "2000", "Capacity MiB": 100 },
        { VM: "x", "VM ID": "vm-101", "VI SDK UUID": VC2, Disk: "Hard disk 1", "Disk Key": "2000", "Capacity MiB": 200 },
      ]),
      tab("vInfo", VINFO_NEW, [vmRow(1, { "VM UUID": "" }, VC1), vmRow(1, { "VM UUID": "" }, VC2)]),
      tab("vHost", ["Host", "# Cores", "VI SDK UUID"], [
        { Host: "esx1.example.com", "# Cores": 16, "VI SDK UUID": VC1 },
        { Host: "esx1.example.com", "# Cores": 32, "VI SDK UUID": VC2 },
      ]),
    ]);
    const snapshot = valid(result);
    expect(snapshot.virtualMachines.map((v) => [v.externalId, v.hostExternalId, v.disks[0]?.capacityMiB])).toEqual([
      [`${VC1}/vm-id/vm-101`, `${VC1}/host/esx1.example.com`, 100],
      [`${VC2}/vm-id/vm-101`, `${VC2}/host/esx1.example.com`, 200],
    ]);
    expect(snapshot.hosts.map((h) => h.cpuCores)).toEqual([16, 32]);
  });

  it("falls back to VI SDK Server without a VI SDK UUID, and to VM UUID without a VM ID", async () => {
    const header = ["VM", "Powerstate", "CPUs", "Memory", "VM UUID", "VI SDK Server"];
    const result = await build([
      tab("vInfo", header, [
        { VM: "a", Powerstate: "poweredOn", CPUs: 1, Memory: 1, "VM UUID": "AAAA", "VI SDK Server": "VC1.example.com" },
        { VM: "a", Powerstate: "poweredOn", CPUs: 1, Memory: 1, "VM UUID": "AAAA", "VI SDK Server": "vc2.example.com" },
      ]),
      tab("vTools", ["VM", "VM UUID", "VI SDK Server", "Tools"], [{ "VM UUID": "aaaa", "VI SDK Server": "vc1.example.com", Tools: "toolsOld" }]),
    ]);
    expect(valid(result).virtualMachines.map((v) => [v.externalId, v.toolsStatus])).toEqual([
      ["vc1.example.com/vm/aaaa", "toolsOld"],
      ["vc2.example.com/vm/aaaa", null],
    ]);
    expect(result.report.joins.vTools).toEqual({ rows: 1, joined: 1 });
  });

  it.each<[string, string[], Row, number]>([
    ["VM UUID and VI SDK Server only", ["VM", "VM UUID", "VI SDK Server", "Disk"], { "VM UUID": "50000001-0000-0000-0000-000000000000", "VI SDK Server": "vc1.example.com" }, 1],
    ["VM ID without a vCenter column", ["VM", "VM ID", "Disk"], { "VM ID": "vm-101" }, 1],
    ["the VM name only", ["VM", "Disk"], { VM: "vm-1" }, 1],
    // Near misses: a name two VMs share, an ID in another vCenter, a UUID of no VM.
    ["a name two VMs share", ["VM", "Disk"], { VM: "twin" }, 0],
    ["VM ID in another vCenter", ["VM", "VM ID", "VI SDK UUID", "Disk"], { "VM ID": "vm-101", "VI SDK UUID": VC2 }, 0],
    ["a VM UUID of no VM", ["VM", "VM UUID", "Disk"], { "VM UUID": "50000009-0000-0000-0000-000000000000" }, 0],
  ])("joins a tab trimmed to %s to its vInfo VM when the key names one VM", async (_, header, keys, joined) => {
    const result = await build([
      tab("vDisk", header, [{ ...keys, Disk: "Hard disk 1" }]),
      tab("vInfo", VINFO_NEW, [vmRow(1), vmRow(2, { VM: "twin" }), vmRow(3, { VM: "twin" })]),
    ]);
    const snapshot = valid(result);
    expect(result.report.joins.vDisk).toEqual({ rows: 1, joined });
    expect(snapshot.virtualMachines[0]!.disks.length).toBe(joined);
  });

  it("merges a VM's rows read under three keys (vDisk by VM ID, vPartition by VM UUID, vNetwork by name)", async () => {
    const result = await build([
      tab("vDisk", DISK_HEADER, [
        { "VM ID": "vm-101", "VI SDK UUID": VC1, Disk: "Hard disk 1", "Disk Key": "2000", "Capacity MiB": 10 },
        // The same key twice in one VM: kept apart (the snapshot's disk keys are unique per VM).
        { "VM ID": "vm-101", "VI SDK UUID": VC1, Disk: "Hard disk 2", "Disk Key": "2000", "Capacity MiB": 20 },
      ]),
      tab("vPartition", ["VM", "VM UUID", "Disk", "Capacity MiB", "Free MiB"], [{ "VM UUID": "50000001-0000-0000-0000-000000000000", Disk: "/", "Capacity MiB": 9, "Free MiB": 1 }]),
      tab("vNetwork", ["VM", "Mac Address"], [{ VM: "vm-1", "Mac Address": "00:50:56:00:00:01" }]),
      tab("vInfo", VINFO_NEW, [vmRow(1)]),
    ]);
    const vm = valid(result).virtualMachines[0]!;
    expect(vm.disks.map((d) => [d.key, d.capacityMiB])).toEqual([["2000", 10], ["2000 (row 3)", 20]]);
    expect(vm.guestFilesystems).toEqual([{ path: "/", capacityMiB: 9, freeMiB: 1, diskKey: null }]);
    expect(vm.macAddresses).toEqual(["00:50:56:00:00:01"]);
    expect(result.report.joins).toMatchObject({ vDisk: { rows: 2, joined: 2 }, vPartition: { rows: 1, joined: 1 }, vNetwork: { rows: 1, joined: 1 } });
  });

  it("reads the first of two tabs of one name and skips the second, saying so", async () => {
    const disk = { "VM ID": "vm-101", "VI SDK UUID": VC1, Disk: "Hard disk 1", "Disk Key": "2000", "Capacity MiB": 10 };
    const result = await build([
      tab("vInfo", VINFO_NEW, [vmRow(1)]),
      tab("vDisk", DISK_HEADER, [disk]),
      tab("vDisk", DISK_HEADER, [disk], "export.zip!RVTools_tabvDisk.csv"),
    ]);
    expect(valid(result).virtualMachines[0]!.disks).toHaveLength(1);
    expect(result.report.rows.vDisk).toBe(1);
    expect(problems(result)).toContain('export.zip!RVTools_tabvDisk.csv: a second vDisk tab ("vDisk"), skipped: the export has this tab already');
  });

  it("joins hosts and clusters of tabs trimmed of their vCenter columns by name", async () => {
    const result = await build([
      tab("vInfo", VINFO_NEW, [vmRow(1), vmRow(2)]),
      tab("vHost", ["Host", "Cluster", "# Cores"], [{ Host: "esx1.example.com", Cluster: "Prod", "# Cores": 8 }]),
      tab("vCluster", ["Name", "DRS enabled", "DPM enabled"], [{ Name: "Prod", "DRS enabled": "True", "DPM enabled": "True" }]),
    ]);
    const snapshot = valid(result);
    expect(snapshot.virtualMachines.map((v) => v.hostExternalId)).toEqual(["host/esx1.example.com", "host/esx1.example.com"]);
    expect(snapshot.hosts[0]).toMatchObject({ drsEnabled: true, dpmEnabled: true });
  });

  it.each([
    ["persistent", "persistent"],
    ["Independent_Persistent", "independent_persistent"],
    ["independent_nonpersistent", "independent_nonpersistent"],
    ["", "persistent"],
    // Near misses: a mode the snapshot does not know is "unknown", never guessed.
    ["independent persistent", "unknown"],
    ["dependent", "unknown"],
  ])("reads Disk Mode %j as %j", async (written, mode) => {
    const result = await build([
      tab("vInfo", VINFO_NEW, [vmRow(1)]),
      tab("vDisk", DISK_HEADER, [{ "VM ID": "vm-101", "VI SDK UUID": VC1, Disk: "Hard disk 1", "Disk Mode": written }]),
    ]);
    expect(valid(result).virtualMachines[0]!.disks[0]!.mode).toBe(mode);
  });

  it("does not guess a host by name when two vCenters have one of that name (near miss)", async () => {
    const trimmed = VINFO_NEW.filter((h) => h !== "VI SDK UUID" && h !== "VI SDK Server");
    const result = await build([
      tab("vInfo", trimmed, [vmRow(1)]),
      tab("vHost", ["Host", "# Cores", "VI SDK UUID"], [
        { Host: "esx1.example.com", "# Cores": 8, "VI SDK UUID": VC1 },
        { Host: "esx1.example.com", "# Cores": 8, "VI SDK UUID": VC2 },
      ]),
    ]);
    expect(valid(result).virtualMachines[0]!.hostExternalId).toBeNull();
    expect(result.report.joins["vInfo→vHost"]).toEqual({ rows: 1, joined: 0 });
  });

  it("imports an anonymised export whose hosts and some VMs do not join, and reports the coverage", async () => {
    const result = await build([
      tab("vInfo", VINFO_NEW, [vmRow(1, { Host: "host-a1b2" }), vmRow(2, { Host: "host-c3d4" })]),
      tab("vHost", ["Host", "# Cores", "VI SDK UUID"], [{ Host: "host-ffff", "# Cores": 8, "VI SDK UUID": VC1 }]),
      tab("vDisk", DISK_HEADER, [
        { "VM ID": "vm-101", "VI SDK UUID": VC1, Disk: "Hard disk 1" },
        { "VM ID": "vm-999", "VI SDK UUID": VC1, Disk: "Hard disk 1" },
      ]),
    ]);
    const snapshot = valid(result);
    expect(snapshot.virtualMachines.map((v) => v.hostExternalId)).toEqual([null, null]);
    expect(snapshot.hosts.map((h) => h.name)).toEqual(["host-ffff"]);
    expect(result.report.joins["vInfo→vHost"]).toEqual({ rows: 2, joined: 0 });
    expect(result.report.joins.vDisk).toEqual({ rows: 2, joined: 1 });
    expect(problems(result)).toEqual([
      "vDisk: 1/2 rows joined a vInfo VM (the others are left out)",
      "vInfo→vHost: 0/2 VMs' hosts are vHost hosts (an anonymised export?); the others have no host",
    ]);
    expect(snapshot.warnings).toEqual(result.report.warnings);
  });

  it("stores custom-attribute columns as attributes, bounded, empty values left out", async () => {
    const names = Array.from({ length: 300 }, (_, i) => `attr ${i}`);
    const header = ["VM", "Powerstate", "CPUs", "Memory", "VM ID", "Annotation", ...names, "Datacenter"];
    const values = Object.fromEntries(names.map((n, i) => [n, i === 0 ? "" : `v${i}`]));
    const result = await build([tab("vInfo", header, [{ VM: "a", Powerstate: "poweredOn", CPUs: 1, Memory: 1, "VM ID": "vm-1", ...values, "attr 1": 42 }])]);
    const attributes = valid(result).virtualMachines[0]!.attributes;
    expect(Object.keys(attributes)).toHaveLength(256);
    expect(attributes["attr 0"]).toBeUndefined();
    expect(attributes["attr 1"]).toBe("42");
    expect(result.report.attributeColumns).toHaveLength(300);
  });

  it.each<[string, string, Row, RegExp]>([
    ["CPUs not a number", "vInfo", { CPUs: "four" }, /export\.xlsx: vInfo row 2 column "CPUs": "four" is not a number/],
    ["CPUs not whole", "vInfo", { CPUs: 2.5 }, /vInfo row 2 column "CPUs": 2\.5 is not a whole number/],
    ["Memory negative", "vInfo", { Memory: -1 }, /vInfo row 2 column "Memory": -1 is not a size/],
    ["unknown power state", "vInfo", { Powerstate: "on" }, /vInfo row 2 column "Powerstate": "on" is not a power state/],
    ["no VM name", "vInfo", { VM: " " }, /vInfo row 2 has no VM name/],
  ])("refuses a wrong type in a column the VM needs: %s", async (_, tabName, cells, message) => {
    const attempt = build([tab(tabName, VINFO_NEW, [vmRow(1, cells)], "RVTools_tabvInfo.csv")]);
    await expect(attempt).rejects.toThrow(RvtoolsInputError);
    await expect(build([tab(tabName, VINFO_NEW, [vmRow(1, cells)])])).rejects.toThrow(message);
    const error = (await attempt.catch((e: unknown) => e)) as RvtoolsInputError;
    expect(error.where).toMatchObject({ origin: "RVTools_tabvInfo.csv", tab: "vInfo", row: 2 });
  });

  it("leaves a wrong type in any other column empty, with one warning per column naming the first cell", async () => {
    const result = await build([
      tab("vInfo", VINFO_NEW, [vmRow(1, { Template: "maybe", "Provisioned MiB": "lots" }), vmRow(2, { Template: "perhaps" })]),
      tab("vDisk", DISK_HEADER, [{ "VM ID": "vm-101", "VI SDK UUID": VC1, Disk: "Hard disk 1", "Capacity MiB": "12 GB", Thin: "True" }]),
      tab("vSnapshot", [...KEYS, "Name", "Date / time"], [{ "VM ID": "vm-101", "VI SDK UUID": VC1, Name: "s", "Date / time": "2025-02-30 10:00" }]),
    ]);
    const vm = valid(result).virtualMachines[0]!;
    expect(vm).toMatchObject({ template: false, provisionedMiB: null, snapshotCount: 1, snapshotOldestAt: null });
    expect(vm.disks[0]).toMatchObject({ capacityMiB: null, thin: true });
    expect(problems(result)).toEqual([
      "no vHost tab: hosts come from vInfo's Host column, their CPUs and memory unknown (0)",
      'export.xlsx: vInfo row 2 column "Template": "maybe" is not a boolean (True/False); the field is left empty (and 1 more rows of this column)',
      'export.xlsx: vInfo row 2 column "Provisioned MiB": "lots" is not a number; the field is left empty',
      'export.xlsx: vDisk row 2 column "Capacity MiB": "12 GB" is not a number; the field is left empty',
      'export.xlsx: vSnapshot row 2 column "Date / time": "2025-02-30 10:00" is not a date; the field is left empty',
    ]);
  });

  it.each([
    ["no tabs", [] as RvTab[]],
    ["other tabs only", [tab("vHost", ["Host"], [{ Host: "esx1" }])]],
    ["a vinfo tab without a VM column", [tab("vInfo", ["Name", "CPUs"], [])]],
  ])("refuses %s as not an RVTools export", async (_, tabs) => {
    await expect(build(tabs)).rejects.toThrow(/not an RVTools export/);
  });

  it("matches tab names case-insensitively, skips empty rows and leaves rows of no VM out", async () => {
    const result = await build([
      tab("vinfo", VINFO_NEW, [vmRow(1), {}, { VM: "", CPUs: null }, vmRow(1)]),
      tab("VDISK", DISK_HEADER, [{ "VI SDK UUID": VC1, Disk: "Hard disk 1" }]),
    ]);
    expect(valid(result).virtualMachines).toHaveLength(1);
    expect(result.report.rows).toEqual({ vInfo: 2, vDisk: 1 });
    expect(problems(result)).toEqual([
      "vDisk: 0/1 rows joined a vInfo VM (the others are left out)",
      "no vHost tab: hosts come from vInfo's Host column, their CPUs and memory unknown (0)",
      "vInfo: 1 rows repeat a VM already read and are left out",
    ]);
  });

  it("builds 50,000 VMs of vInfo and vDisk (two disks each), joining every row", async () => {
    const n = 50_000;
    const infoHeader = ["VM", "Powerstate", "CPUs", "Memory", "Provisioned MiB", "Host", "VM ID", "VM UUID", "VI SDK UUID"];
    const result = await build([
      tab("vDisk", ["VM", "VM ID", "VI SDK UUID", "Disk", "Disk Key", "Capacity MiB", "Thin", "Controller"], function* () {
        for (let i = 0; i < n; i++) {
          for (const d of [0, 1]) {
            yield { VM: `vm${i}`, "VM ID": `vm-${i}`, "VI SDK UUID": VC1, Disk: `Hard disk ${d + 1}`, "Disk Key": String(2000 + d), "Capacity MiB": 1024 * (d + 1), Thin: d === 0 ? "True" : "False", Controller: "SCSI controller 0" };
          }
        }
      }),
      tab("vInfo", infoHeader, function* () {
        for (let i = 0; i < n; i++) {
          yield { VM: `vm${i}`, Powerstate: i % 3 === 0 ? "poweredOff" : "poweredOn", CPUs: 1 + (i % 8), Memory: 1024, "Provisioned MiB": 3072, Host: `esx${i % 100}`, "VM ID": `vm-${i}`, "VM UUID": `uuid-${i}`, "VI SDK UUID": VC1 };
        }
      }),
    ]);
    const snapshot = valid(result);
    expect(snapshot.virtualMachines).toHaveLength(n);
    expect(snapshot.hosts).toHaveLength(100);
    expect(result.report.joins.vDisk).toEqual({ rows: 2 * n, joined: 2 * n });
    const last = snapshot.virtualMachines[n - 1]!;
    expect(last).toMatchObject({ externalId: `${VC1}/vm/uuid-${n - 1}`, vcpus: 1 + ((n - 1) % 8), hostExternalId: `${VC1}/host/esx${(n - 1) % 100}` });
    expect(last.disks.map((d) => [d.key, d.capacityMiB, d.thin])).toEqual([["2000", 1024, true], ["2001", 2048, false]]);
    expect(snapshot.virtualMachines.reduce((s, v) => s + v.vcpus, 0)).toBe(
      Array.from({ length: n }, (_, i) => 1 + (i % 8)).reduce((a, b) => a + b, 0),
    );
  });

  it("closes the rows of a tab it does not read", async () => {
    let closed = false;
    const rows = (async function* () {
      try {
        yield { row: 2, cells: ["x"] as CellValue[] };
      } finally {
        closed = true;
      }
    })();
    // A generator that never started has nothing to close: start it as a reader would have.
    await rows.next();
    const b = createRvtoolsBuilder();
    await b.addTab({ name: "vLicense", origin: "export.xlsx", header: ["Name"], rows });
    expect(closed).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import { readObjectContent, type ObjectContent } from "@/server/collectors/vsphere/client";
import {
  datastoreOfPath,
  emptyInventory,
  guestOsFamily,
  readComputeResource,
  readCustomFieldNames,
  readDatacenter,
  readDatastore,
  readFolder,
  readHost,
  readResourcePool,
  readVirtualMachine,
  toSnapshot,
  type VsphereInventory,
} from "@/server/collectors/vsphere/normalise";
import { parseXml, type XmlElement } from "@/server/collectors/vsphere/xml";
import { parseSnapshot } from "@/server/inventory/snapshot";
import { expectedHost, expectedVm, type Manifest } from "../fixtures/vsphere/manifest";
import { fixture } from "../fixtures/vsphere/replay";

const manifest = JSON.parse(fixture("manifest.json")) as Manifest;
const about = { name: "", fullName: "", version: "", build: "", apiType: "VirtualCenter", apiVersion: "6.5", instanceUuid: null };

function objectsOf(file: string): ObjectContent[] {
  const returnval = parseXml(fixture(file)).children[0]!.children[0]!.children[0]!;
  return returnval.children.filter((c) => c.name === "objects").map(readObjectContent);
}

/** The inventory of the recorded answers (the VMs from both pages). */
function recordedInventory(): VsphereInventory {
  const inventory = emptyInventory(about);
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
  for (const [file, reader] of read) for (const object of objectsOf(file)) reader(inventory, object);
  return inventory;
}

describe("vsphere normalisation of recorded answers", () => {
  const inventory = recordedInventory();
  const snapshot = parseSnapshot(toSnapshot(inventory, "2026-01-02T03:04:05.000Z"));

  it("gives a valid snapshot with every host and VM the launcher created, and no warnings", () => {
    expect(snapshot.hosts.map((h) => h.externalId).sort()).toEqual(manifest.hosts.map((h) => h.moref).sort());
    expect(snapshot.virtualMachines.map((v) => v.externalId).sort()).toEqual(
      manifest.virtualMachines.map((v) => v.moref).sort(),
    );
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.containers).toEqual([]);
  });

  it.each(manifest.virtualMachines.map((m) => [m.name, m] as const))("VM %s: every field as created", (_, m) => {
    expect(snapshot.virtualMachines.find((v) => v.externalId === m.moref)).toEqual(expectedVm(m));
  });

  it.each(manifest.hosts.map((m) => [m.name, m] as const))("host %s: every field as created", (_, m) => {
    const host = snapshot.hosts.find((h) => h.externalId === m.moref)!;
    expect(host).toMatchObject(expectedHost(m));
    expect(host).toMatchObject({ hostname: "localhost.localdomain", ipAddresses: ["127.0.0.1"], memorySharing: "unknown" });
    expect(host.macAddresses).toHaveLength(1);
  });

  it("reads clusters with DRS and HA, standalone compute resources, datastores and paths", () => {
    const clusters = inventory.computeResources.filter((c) => c.isCluster);
    expect(clusters.map((c) => [c.ref.value, c.name, c.drsEnabled, c.haEnabled])).toEqual(
      (manifest.clusters ?? []).map((c) => [c.moref, c.name, c.drsEnabled, c.haEnabled]),
    );
    expect(inventory.computeResources.filter((c) => !c.isCluster).map((c) => c.drsEnabled)).toEqual([null]);
    for (const ds of manifest.datastores) {
      expect(inventory.datastores.find((d) => d.ref.value === ds.moref)).toMatchObject({
        name: ds.name,
        type: ds.type,
        capacityMiB: ds.capacityBytes / 2 ** 20,
        freeMiB: Math.round((ds.freeBytes / 2 ** 20) * 1000) / 1000,
      });
    }
    expect(inventory.datacenters.map((d) => d.name)).toEqual(manifest.datacenters.map((d) => d.name));
  });

  it("covers the mix the analyses need", () => {
    const vms = snapshot.virtualMachines;
    expect(new Set(vms.map((v) => v.powerState))).toEqual(new Set(["poweredOn", "poweredOff", "suspended"]));
    expect(vms.some((v) => v.template)).toBe(true);
    expect(new Set(vms.map((v) => v.guestOsFamily))).toEqual(new Set(["linux", "windows", "other"]));
    expect(vms.some((v) => v.snapshotCount === 2 && v.snapshotOldestAt)).toBe(true);
    expect(vms.flatMap((v) => v.disks.map((d) => d.rdm))).toContain("physical");
    expect(vms.flatMap((v) => v.disks.map((d) => d.sharing))).toContain("multi-writer");
    expect(vms.flatMap((v) => v.disks.map((d) => d.mode))).toContain("independent_persistent");
    for (const flag of ["passthrough", "sriov", "usbController", "tpm", "cpuAffinity", "consolidationNeeded", "cpuHotAdd", "memoryHotAdd"] as const) {
      expect(vms.some((v) => v[flag]), flag).toBe(true);
      expect(vms.some((v) => !v[flag]), flag).toBe(true);
    }
  });
});

describe("vsphere normalisation rules", () => {
  it.each([
    ["windows9Server64Guest", "windows"],
    ["windows2019srv_64Guest", "windows"],
    ["winNetStandardGuest", "windows"],
    ["rhel9_64Guest", "linux"],
    ["centos7_64Guest", "linux"],
    ["ubuntu64Guest", "linux"],
    ["debian12_64Guest", "linux"],
    ["sles15_64Guest", "linux"],
    ["other5xLinux64Guest", "linux"],
    ["otherLinux64Guest", "linux"],
    ["vmwarePhoton64Guest", "linux"],
    ["rockylinux_64Guest", "linux"],
    ["freebsd13_64Guest", "other"],
    ["darwin20_64Guest", "other"],
    ["solaris11_64Guest", "other"],
    ["vmkernel8Guest", "other"],
    // "Other (64-bit)" names no OS: insufficient data, not "not Linux".
    ["otherGuest64", "unknown"],
    [null, "unknown"],
    ["", "unknown"],
  ])("guest id %s is %s", (id, family) => {
    expect(guestOsFamily(id)).toBe(family);
  });

  it("takes the datastore from a disk's file name", () => {
    expect(datastoreOfPath("[ds 1 (ssd)] vm/vm.vmdk")).toBe("ds 1 (ssd)");
    expect(datastoreOfPath("/vmfs/volumes/abc/vm.vmdk")).toBeNull();
    expect(datastoreOfPath(null)).toBeNull();
  });

  const vm = (props: Record<string, string>, missing: ObjectContent["missing"] = []) => {
    const inventory = emptyInventory(about);
    const values = new Map<string, XmlElement>();
    for (const [path, xml] of Object.entries(props)) values.set(path, parseXml(`<val xmlns:xsi="i">${xml}</val>`));
    readVirtualMachine(inventory, { obj: { type: "VirtualMachine", value: "vm-9" }, props: values, missing });
    return { inventory, snapshot: toSnapshot(inventory, "2026-01-02T03:04:05Z") };
  };

  it("reads a snapshot tree: count and oldest creation, nested children included", () => {
    const tree = (name: string, time: string, children = "") =>
      `<createTime>${time}</createTime><name>${name}</name>${children}`;
    const { snapshot } = vm({
      name: "app",
      "snapshot.rootSnapshotList":
        `<VirtualMachineSnapshotTree>${tree("a", "2024-05-01T10:00:00.123456Z", `<childSnapshotList>${tree("b", "2024-06-01T10:00:00Z", `<childSnapshotList>${tree("c", "2024-04-01T08:00:00+02:00")}</childSnapshotList>`)}</childSnapshotList>`)}</VirtualMachineSnapshotTree>` +
        `<VirtualMachineSnapshotTree>${tree("d", "2024-07-01T00:00:00Z")}</VirtualMachineSnapshotTree>`,
    });
    expect(snapshot.virtualMachines![0]).toMatchObject({ snapshotCount: 4, snapshotOldestAt: "2024-04-01T06:00:00.000Z" });
  });

  it("reads disks: capacity in bytes or KB (null when neither), RDM modes, unknown disk modes, datastore by reference", () => {
    const disk = (key: number, backing: string, capacity: string) =>
      `<VirtualDevice xsi:type="VirtualDisk"><key>${key}</key><deviceInfo><label>Hard disk ${key}</label></deviceInfo>` +
      `<backing xsi:type="${backing}">${capacity}</backing>${key === 1 ? "<capacityInBytes>1073741824</capacityInBytes><capacityInKB>1</capacityInKB>" : key === 4 ? "" : "<capacityInKB>2048</capacityInKB>"}</VirtualDevice>`;
    const inventory = emptyInventory(about);
    inventory.datastores.push({ ref: { type: "Datastore", value: "datastore-7" }, name: "nfs-1", parent: null, type: "NFS", capacityMiB: 1, freeMiB: 1, url: null, accessible: true });
    const values = new Map<string, XmlElement>([
      [
        "config.hardware.device",
        parseXml(
          `<val xmlns:xsi="i">` +
            disk(1, "VirtualDiskFlatVer2BackingInfo", "<fileName>/vmfs/volumes/x/a.vmdk</fileName><datastore type=\"Datastore\">datastore-7</datastore><diskMode>independent_nonpersistent</diskMode><thinProvisioned>false</thinProvisioned>") +
            disk(2, "VirtualDiskRawDiskMappingVer1BackingInfo", "<fileName>[san] b.vmdk</fileName><compatibilityMode>virtualMode</compatibilityMode><diskMode>persistent</diskMode><sharing>sharingNone</sharingNone>".replace("</sharingNone>", "</sharing>")) +
            disk(3, "VirtualDiskSeSparseBackingInfo", "<fileName>[san] c.vmdk</fileName><diskMode>weird</diskMode>") +
            // No capacityInBytes nor capacityInKB: unknown, not 0.
            disk(4, "VirtualDiskFlatVer2BackingInfo", "<fileName>[san] d.vmdk</fileName>") +
            `</val>`,
        ),
      ],
    ]);
    readVirtualMachine(inventory, { obj: { type: "VirtualMachine", value: "vm-1" }, props: values, missing: [] });
    const snapshot = parseSnapshot(toSnapshot(inventory, "2026-01-02T03:04:05Z"));
    expect(snapshot.virtualMachines[0]!.disks.map((d) => [d.key, d.capacityMiB, d.thin, d.mode, d.rdm, d.datastore, d.format])).toEqual([
      ["1", 1024, false, "independent_nonpersistent", "none", "nfs-1", "flat"],
      ["2", 2, null, "persistent", "virtual", "san", "rdm"],
      ["3", 2, null, "unknown", "none", "san", "sesparse"],
      ["4", null, null, "persistent", "none", "san", "flat"],
    ]);
    expect(snapshot.virtualMachines[0]).toMatchObject({ nicCount: 0, powerState: "poweredOff", vcpus: 0, cbtEnabled: null });
  });

  it("keeps unknown facts null, not zero, and reports what the server did not give", () => {
    const { snapshot } = vm(
      { name: "bare", "runtime.powerState": "poweredOn", "runtime.host": `<x/>` },
      [{ path: "config", fault: "NoPermission" }],
    );
    expect(snapshot.virtualMachines![0]).toMatchObject({
      hostExternalId: null,
      memoryActiveMiB: null,
      provisionedMiB: null,
      guestDiskCapacityMiB: null,
      coresPerSocket: null,
      nicCount: null,
      guestOsFamily: "unknown",
      datacenter: null,
      folder: null,
    });
    expect(snapshot.warnings).toEqual(["1 × VirtualMachine config (NoPermission) not given by the server"]);
  });

  it("drops a host reference to a host that was not collected, with a warning", () => {
    const inventory = emptyInventory(about);
    const host = parseXml(`<val type="HostSystem">host-404</val>`);
    readVirtualMachine(inventory, { obj: { type: "VirtualMachine", value: "vm-3" }, props: new Map([["runtime.host", host]]), missing: [] });
    const snapshot = parseSnapshot(toSnapshot(inventory, "2026-01-02T03:04:05Z"));
    expect(snapshot.virtualMachines[0]!.hostExternalId).toBeNull();
    expect(snapshot.warnings).toEqual([
      "1 VMs run on hosts that were not collected (no permission on them?), their host left empty: vm-3 on host-404",
    ]);
  });
});

describe("vsphere normalisation: what the VM is (product, managedBy, custom attributes)", () => {
  const read = (props: Record<string, string>, names = new Map<string, string>(), missing: ObjectContent["missing"] = []) => {
    const inventory = emptyInventory(about);
    inventory.customFieldNames = names;
    const values = new Map<string, XmlElement>();
    for (const [path, xml] of Object.entries(props)) values.set(path, parseXml(`<val xmlns:xsi="i">${xml}</val>`));
    readVirtualMachine(inventory, { obj: { type: "VirtualMachine", value: "vm-7" }, props: values, missing });
    const snapshot = parseSnapshot(toSnapshot(inventory, "2026-01-02T03:04:05Z"));
    return { vm: snapshot.virtualMachines[0]!, warnings: snapshot.warnings };
  };
  const product = (fields: Record<string, string>) =>
    `<VAppProductInfo>${Object.entries(fields).map(([k, v]) => `<${k}>${v}</${k}>`).join("")}</VAppProductInfo>`;
  const vcsa = {
    key: "0",
    name: "VMware vCenter Server Appliance",
    vendor: "VMware Inc.",
    version: "8.0.2.00100",
    fullVersion: "8.0.2.00100 build-22617221",
    vendorUrl: "http://www.vmware.com",
    productUrl: "",
  };

  it.each([
    ["the vApp product with a name", { "config.vAppConfig.product": product(vcsa) }, {
      name: "VMware vCenter Server Appliance", vendor: "VMware Inc.", version: "8.0.2.00100",
      fullVersion: "8.0.2.00100 build-22617221", productUrl: null, vendorUrl: "http://www.vmware.com",
    }],
    // Near miss: an OVF's unnamed first product section is not the product; the named one is.
    ["the first product that has a name", { "config.vAppConfig.product": product({ key: "0", vendor: "x" }) + product({ key: "1", name: "NSX", vendor: "VMware" }) }, {
      name: "NSX", vendor: "VMware", version: null, fullVersion: null, productUrl: null, vendorUrl: null,
    }],
    ["summary.config.product without vApp options", { "summary.config.product": "<name>Unified Access Gateway</name><vendor>VMware</vendor>" }, {
      name: "Unified Access Gateway", vendor: "VMware", version: null, fullVersion: null, productUrl: null, vendorUrl: null,
    }],
    // Near miss: products without names (an empty ProductSection) are no product.
    ["none when no product has a name", { "config.vAppConfig.product": product({ key: "0", vendor: "VMware" }), "summary.config.product": "<name></name>" }, null],
    ["none without either", {}, null],
  ])("product: %s", (_, props, expected) => {
    expect(read({ name: "x", ...props }).vm.product).toEqual(expected);
  });

  it.each([
    ["a vCLS VM (ESX Agent Manager)", "<extensionKey>com.vmware.vim.eam</extensionKey><type>cluster-agent</type>", { extensionKey: "com.vmware.vim.eam", type: "cluster-agent" }],
    ["a solution without a type", "<extensionKey>com.vmware.vcHms</extensionKey>", { extensionKey: "com.vmware.vcHms", type: null }],
    // Near miss: a managedBy without an extension key manages nothing.
    ["an empty extension key", "<extensionKey></extensionKey><type>cluster-agent</type>", null],
  ])("managedBy: %s", (_, xml, expected) => {
    expect(read({ name: "x", "config.managedBy": xml }).vm.managedBy).toEqual(expected);
  });

  it("keeps a nested ESXi's guest id, the template flag and the tools' names as given", () => {
    const { vm } = read({
      name: "esxi-nested-01",
      "config.guestId": "vmkernel7Guest",
      "config.guestFullName": "VMware ESXi 7.0 or later",
      "config.template": "false",
      "guest.guestFullName": "VMware ESXi 7.0 or later",
    });
    expect(vm).toMatchObject({ guestOsId: "vmkernel7Guest", guestOsFamily: "other", template: false, guestOsReported: "VMware ESXi 7.0 or later" });
    expect(read({ name: "tpl-rhel9", "config.template": "true" }).vm.template).toBe(true);
  });

  const values = (pairs: [string, string][]) =>
    pairs.map(([k, v]) => `<CustomFieldValue xsi:type="CustomFieldStringValue"><key>${k}</key><value>${v}</value></CustomFieldValue>`).join("");

  it("names custom attribute values from the field definitions; unknown keys keep their key; empty values are left out", () => {
    const names = readCustomFieldNames(
      parseXml(`<val xmlns:xsi="i"><CustomFieldDef><key>101</key><name>Owner</name></CustomFieldDef><CustomFieldDef><key>102</key><name>cluster.x-k8s.io/cluster-name</name></CustomFieldDef></val>`),
    );
    const { vm } = read({ name: "x", customValue: values([["101", "team-db"], ["102", "wl01"], ["999", "orphan"], ["103", ""]]) }, names);
    expect(vm.attributes).toEqual({ Owner: "team-db", "cluster.x-k8s.io/cluster-name": "wl01", "custom field 999": "orphan" });
  });

  it("bounds custom attributes (256, names 512, values 4,096 characters) so a hostile estate cannot fail the run", () => {
    const many: [string, string][] = Array.from({ length: 300 }, (_, i) => [String(i), i === 0 ? "v".repeat(5000) : `v${i}`]);
    const names = new Map(many.map(([k]) => [k, k === "1" ? "n".repeat(600) : `f${k}`]));
    const { vm } = read({ name: "x", customValue: values(many) }, names);
    expect(Object.keys(vm.attributes)).toHaveLength(256);
    expect(vm.attributes.f0).toHaveLength(4096);
    expect(vm.attributes["n".repeat(512)]).toBe("v1");
  });

  it("a malformed identity answer costs that field, not the VM: no product, no managedBy, no attributes", () => {
    const { vm, warnings } = read(
      { name: "odd", "config.vAppConfig.product": "garbage", "config.managedBy": "<type>x</type>", customValue: "<CustomFieldValue><value>no key</value></CustomFieldValue>" },
    );
    expect(vm).toMatchObject({ name: "odd", product: null, managedBy: null, attributes: {}, title: null, tags: [] });
    expect(warnings).toEqual([]);
  });

  it("does not report config.vAppConfig.product as missing when the VM has no vApp options (vcsim answers InvalidProperty)", () => {
    const { warnings } = read({ name: "x" }, new Map(), [
      { path: "config.vAppConfig.product", fault: "InvalidProperty" },
      { path: "config.managedBy", fault: "NoPermission" },
    ]);
    expect(warnings).toEqual(["1 × VirtualMachine config.managedBy (NoPermission) not given by the server"]);
  });
});

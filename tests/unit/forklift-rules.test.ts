/**
 * Every case of Forklift's VMware rule tests (kubev2v/forklift validation/policies/io/konveyor/forklift/
 * vmware/*_test.rego, at FORKLIFT_VERSION), transcribed: the input is the VM as Forklift models it
 * (its `mock_vm`), turned back into the vSphere properties a vCenter answers, then read by the vSphere
 * normaliser, validated as a snapshot, and judged by the analysis. The finding count of the rule with
 * the upstream id must equal upstream's concern count, unless the rule documents a deviation.
 *
 * Fields a case leaves out get a neutral VM (powered on, RHEL 9, a hostname and an IP, one 16 GiB disk
 * on a datastore, CBT on, a cluster without DRS/DPM), as Rego leaves undefined fields silent.
 */
import { describe, expect, it } from "vitest";
import type { MoRef, ObjectContent } from "@/server/collectors/vsphere/client";
import {
  emptyInventory,
  readComputeResource,
  readHost,
  readVirtualMachine,
  toSnapshot,
} from "@/server/collectors/vsphere/normalise";
import type { XmlElement } from "@/server/collectors/vsphere/xml";
import { inventoryFromSnapshots } from "@/server/analysis/inventory";
import { analyseMigration } from "@/server/analysis/migration";
import { DEFAULT_PARAMETERS, resolveParameters } from "@/server/analysis/parameters";
import { FORKLIFT, FORKLIFT_RULES, FORKLIFT_VERSION, minimumFreeMiB, RULES_BY_ID } from "@/server/analysis/rules";
import { MAX_ATTRIBUTE_VALUE_LENGTH } from "@/server/analysis/rules/forklift";
import { parseSnapshot } from "@/server/inventory/snapshot";

// --- Forklift's VM model (the fields its rules read) ------------------------------------------

interface ForkliftDisk {
  key?: number;
  file?: string;
  capacity?: number;
  datastore?: { kind?: string; id: string };
  mode?: string;
  shared?: boolean;
  rdm?: boolean;
  bus?: string;
  changeTrackingEnabled?: boolean;
  controllerKey?: number;
  unitNumber?: number;
}

interface ForkliftVm {
  id?: string;
  name?: string;
  guestId?: string;
  guestName?: string;
  guestNameFromVmwareTools?: string;
  hostName?: string;
  guestNetworks?: { ip: string; mac?: string }[];
  changeTrackingEnabled?: boolean;
  consolidationNeeded?: boolean;
  cpuAffinity?: number[];
  numaNodeAffinity?: string[] | number[];
  cpuHotAddEnabled?: boolean;
  cpuHotRemoveEnabled?: boolean;
  memoryHotAddEnabled?: boolean;
  faultToleranceEnabled?: boolean;
  tpmEnabled?: boolean;
  diskEnableUuid?: boolean;
  devices?: { kind: string }[];
  disks?: ForkliftDisk[];
  guestDisks?: { diskPath: string; freeSpace?: number; capacity?: number; key?: number }[];
  snapshot?: { kind: string; id: string };
  /** CustomFieldsManager.field (the definitions) and the VM's customValue. */
  customDef?: { key: number; name: string; managedObjectType?: string }[];
  customValues?: { key: number; value: string }[];
  host?: { name?: string; cluster?: { name?: string; drsEnabled?: boolean; dpmEnabled?: boolean; hostAffinityVms?: { kind: string; id: string }[] } };
}

// --- building a vCenter's answer ---------------------------------------------------------------

function el(name: string, content: string | XmlElement[] = "", xsiType = "", type = ""): XmlElement {
  return typeof content === "string"
    ? { name, xsiType, type, children: [], text: content }
    : { name, xsiType, type, children: content, text: "" };
}
const ref = (name: string, type: string, value: string) => el(name, value, "ManagedObjectReference", type);
const content = (obj: MoRef, props: Record<string, XmlElement | undefined>): ObjectContent => ({
  obj,
  props: new Map(Object.entries(props).filter((e): e is [string, XmlElement] => e[1] !== undefined)),
  missing: [],
});

const MiB = 1024 * 1024;
const CONTROLLERS: Record<string, { type: string; key: number }> = {
  scsi: { type: "ParaVirtualSCSIController", key: 1000 },
  sata: { type: "VirtualAHCIController", key: 15000 },
  ide: { type: "VirtualIDEController", key: 200 },
  nvme: { type: "VirtualNVMEController", key: 31000 },
};

function diskDevice(d: ForkliftDisk, i: number, vmName: string): XmlElement {
  const onDatastore = d.datastore === undefined || d.datastore.id !== "";
  const file = onDatastore ? (d.file ?? `[datastore1] ${vmName}/disk${i}.vmdk`) : "";
  const backing = el(
    "backing",
    [
      el("fileName", file),
      el("diskMode", d.mode ?? "persistent"),
      ...(d.rdm ? [el("compatibilityMode", "physicalMode")] : [el("thinProvisioned", "true")]),
    ],
    d.rdm ? "VirtualDiskRawDiskMappingVer1BackingInfo" : "VirtualDiskFlatVer2BackingInfo",
  );
  const bus = CONTROLLERS[d.bus ?? "scsi"]!;
  return el(
    "VirtualDevice",
    [
      el("key", String(d.key ?? 2000 + i)),
      el("deviceInfo", [el("label", `Hard disk ${i + 1}`)]),
      backing,
      el("controllerKey", String(d.controllerKey ?? bus.key)),
      el("unitNumber", String(d.unitNumber ?? i)),
      el("capacityInBytes", String(d.capacity ?? 16 * 1024 * MiB)),
    ],
    "VirtualDisk",
  );
}

const BASE_DISK: ForkliftDisk = { datastore: { id: "datastore-1" } };

/** The VM's properties as RetrievePropertiesEx gives them. */
function vmContent(vm: ForkliftVm, moref: string, hostRef: string): ObjectContent {
  const name = vm.name ?? "test";
  const disks = vm.disks ?? [BASE_DISK];
  const os = vm.guestId === undefined && vm.guestName === undefined && vm.guestNameFromVmwareTools === undefined
    ? { guestId: "rhel9_64Guest", guestName: "Red Hat Enterprise Linux 9 (64-bit)", guestNameFromVmwareTools: "Red Hat Enterprise Linux 9 (64-bit)" }
    : vm;
  const devices: XmlElement[] = [
    ...Object.values(CONTROLLERS).map((c, i) => el("VirtualDevice", [el("key", String(c.key)), el("busNumber", "0"), el("deviceInfo", [el("label", `controller ${i}`)])], c.type)),
    ...disks.map((d, i) => diskDevice(d, i, name)),
    ...(vm.devices ?? []).map((d, i) => el("VirtualDevice", [el("key", String(4000 + i))], d.kind)),
    ...(vm.tpmEnabled ? [el("VirtualDevice", [el("key", "11000")], "VirtualTPM")] : []),
  ];
  const extra: [string, string][] = [];
  if (vm.diskEnableUuid !== undefined) extra.push(["disk.EnableUUID", vm.diskEnableUuid ? "TRUE" : "FALSE"]);
  if (vm.numaNodeAffinity !== undefined && vm.numaNodeAffinity.length > 0) extra.push(["numa.nodeAffinity", vm.numaNodeAffinity.join(",")]);
  const perDiskCbt = disks.some((d) => d.changeTrackingEnabled !== undefined);
  disks.forEach((d, i) => {
    if (d.changeTrackingEnabled !== undefined) {
      const bus = d.bus ?? "scsi";
      extra.push([`${bus}${(d.controllerKey ?? CONTROLLERS[bus]!.key) % 100}:${d.unitNumber ?? i}.ctkEnabled`, d.changeTrackingEnabled ? "TRUE" : "FALSE"]);
    }
  });
  const guestDisks = vm.guestDisks?.map((g) =>
    el("GuestDiskInfo", [
      el("diskPath", g.diskPath),
      ...(g.capacity !== undefined ? [el("capacity", String(g.capacity))] : []),
      ...(g.freeSpace !== undefined ? [el("freeSpace", String(g.freeSpace))] : []),
      ...(g.key !== undefined && g.key !== 0 ? [el("mappings", [el("key", String(g.key))])] : []),
    ], "GuestDiskInfo"),
  );
  const nets = vm.guestNetworks ?? [{ ip: "10.0.0.1" }];
  return content({ type: "VirtualMachine", value: moref }, {
    name: el("name", name),
    "runtime.host": ref("val", "HostSystem", hostRef),
    "runtime.powerState": el("val", "poweredOn"),
    "runtime.consolidationNeeded": el("val", String(vm.consolidationNeeded ?? false)),
    "config.version": el("val", "vmx-19"),
    "config.hardware.numCPU": el("val", "2"),
    "config.hardware.memoryMB": el("val", "4096"),
    "config.hardware.device": el("val", devices, "ArrayOfVirtualDevice"),
    "config.guestId": os.guestId === undefined ? undefined : el("val", os.guestId),
    "guest.guestId": os.guestId === undefined ? undefined : el("val", os.guestId),
    "config.guestFullName": os.guestName === undefined ? undefined : el("val", os.guestName),
    "guest.guestFullName": os.guestNameFromVmwareTools === undefined ? undefined : el("val", os.guestNameFromVmwareTools),
    "guest.hostName": el("val", vm.hostName ?? `${name}.example.com`),
    "guest.net": el("val", [el("GuestNicInfo", nets.map((n) => el("ipAddress", n.ip)))], "ArrayOfGuestNicInfo"),
    "guest.disk": guestDisks ? el("val", guestDisks, "ArrayOfGuestDiskInfo") : undefined,
    "config.changeTrackingEnabled": el("val", String(vm.changeTrackingEnabled ?? true)),
    "config.extraConfig":
      extra.length > 0 || perDiskCbt
        ? el("val", extra.map(([k, v]) => el("OptionValue", [el("key", k), el("value", v, "string")], "OptionValue")), "ArrayOfOptionValue")
        : undefined,
    "config.cpuAffinity": vm.cpuAffinity?.length ? el("val", vm.cpuAffinity.map((c) => el("affinitySet", String(c))), "VirtualMachineAffinityInfo") : undefined,
    "config.cpuHotAddEnabled": el("val", String(vm.cpuHotAddEnabled ?? false)),
    "config.cpuHotRemoveEnabled": el("val", String(vm.cpuHotRemoveEnabled ?? false)),
    "config.memoryHotAddEnabled": el("val", String(vm.memoryHotAddEnabled ?? false)),
    "summary.config.ftInfo": vm.faultToleranceEnabled ? el("val", [el("role", "1")], "FaultToleranceConfigInfo") : undefined,
    customValue: vm.customValues
      ? el("val", vm.customValues.map((v) => el("CustomFieldValue", [el("key", String(v.key)), el("value", v.value, "string")], "CustomFieldStringValue")), "ArrayOfCustomFieldValue")
      : undefined,
    "snapshot.rootSnapshotList":
      vm.snapshot?.kind === "VirtualMachineSnapshot"
        ? el("val", [el("VirtualMachineSnapshotTree", [el("name", "s1"), el("createTime", "2026-01-01T00:00:00Z")], "VirtualMachineSnapshotTree")], "ArrayOfVirtualMachineSnapshotTree")
        : undefined,
  });
}

/** Runs one Forklift VM through the normaliser and the analysis: the findings of the VM under test. */
function judge(vm: ForkliftVm) {
  const moref = vm.id ?? "vm-1";
  const cluster = vm.host?.cluster ?? {};
  const inventory = emptyInventory({ name: "", fullName: "", version: "", build: "", apiType: "VirtualCenter", apiVersion: "8.0", instanceUuid: null });
  readComputeResource(
    inventory,
    content({ type: "ClusterComputeResource", value: "domain-c1" }, {
      name: el("name", cluster.name ?? "cluster"),
      configurationEx: el("val", [
        el("drsConfig", [el("enabled", String(cluster.drsEnabled ?? false))]),
        el("dpmConfigInfo", [el("enabled", String(cluster.dpmEnabled ?? false))]),
        el("group", [el("name", "pinned"), ...(cluster.hostAffinityVms ?? []).map((v) => ref("vm", "VirtualMachine", v.id))], "ClusterVmGroup"),
        el("group", [el("name", "hosts"), ref("host", "HostSystem", "host-1")], "ClusterHostGroup"),
        el("rule", [el("enabled", "true"), el("mandatory", "false"), el("vmGroupName", "pinned"), el("affineHostGroupName", "hosts")], "ClusterVmHostRuleInfo"),
      ], "ClusterConfigInfoEx"),
    }),
  );
  inventory.customFieldNames = new Map((vm.customDef ?? []).map((d) => [String(d.key), d.name]));
  readHost(inventory, content({ type: "HostSystem", value: "host-1" }, { name: el("name", vm.host?.name ?? "esx1"), parent: ref("val", "ClusterComputeResource", "domain-c1") }));
  readVirtualMachine(inventory, vmContent(vm, moref, "host-1"));
  // Forklift's disk.shared: the same file attached to another VM.
  const shared = (vm.disks ?? []).flatMap((d, i) => (d.shared ? [{ ...d, file: d.file ?? `[datastore1] ${vm.name ?? "test"}/disk${i}.vmdk`, shared: false }] : []));
  if (shared.length > 0) readVirtualMachine(inventory, vmContent({ name: "other-node", disks: shared }, "vm-other", "host-1"));
  const snapshot = parseSnapshot(toSnapshot(inventory, "2026-01-01T00:00:00.000Z"));
  const result = analyseMigration(inventoryFromSnapshots([{ snapshot, customer: "c", prefix: "s" }]), DEFAULT_PARAMETERS, []);
  return result.verdicts.find((v) => v.key === `s:vm:${moref}`)!.findings;
}

// --- the upstream cases ------------------------------------------------------------------------

interface Case {
  /** The upstream test file (without _test.rego) and test name. */
  file: string;
  test: string;
  /** One input per `with input as` block, and upstream's concern count for each. */
  inputs: ForkliftVm[];
  expected: number[];
  /** Upstream's count(results) where a case asserts it: every Forklift concern raised, whatever the file. */
  total?: number;
  /** What upstream's `contains(concern.assessment, ...)` asserts of the concern's text (ours: the finding's detail). */
  assessment?: string[];
}

const c = (file: string, test: string, input: ForkliftVm, expected: number): Case => ({ file, test, inputs: [input], expected: [expected] });
const disks = (n: number): ForkliftDisk[] => Array.from({ length: n }, (_, i) => ({ file: `disk${i + 1}.vmdk`, capacity: 17179869184, datastore: { id: "datastore-1" }, unitNumber: i }));
const cbtDisk = (key: number, unit: number, on: boolean, file = `[datastore1] vm-folder/vm${unit + 1}.vmdk`): ForkliftDisk => ({
  key, file, datastore: { id: "datastore-101", kind: "Datastore" }, changeTrackingEnabled: on, controllerKey: 1000, bus: "scsi", unitNumber: unit,
});
const fs = (diskPath: string, freeMiB: number) => ({ diskPath, freeSpace: freeMiB * MiB });
const gd = (guestId: string, ...keys: (number | undefined)[]): ForkliftVm => ({
  guestId,
  guestDisks: keys.map((key, i) => ({ ...(key === undefined ? {} : { key }), diskPath: `[datastore1] VM1/VM1_${i}.vmdk`, capacity: 21474836480 })),
});
const attr = (test: string, defs: [number, string][], values: [number, string][], expected: number): Case =>
  c("custom_attributes", test, {
    customDef: defs.map(([key, name]) => ({ key, name, managedObjectType: "VirtualMachine" })),
    customValues: values.map(([key, value]) => ({ key, value })),
  }, expected);
/** A vm_os_upgrade_recommendation case: upgrade concerns, count(results) when asserted, the assessment's words. */
const up = (test: string, input: ForkliftVm, expected: number, total: number | undefined, assessment: string[] = []): Case => ({
  file: "vm_os_upgrade_recommendation", test, inputs: [{ name: "test", ...input }], expected: [expected], ...(total === undefined ? {} : { total }), assessment,
});
const cluster = (over: NonNullable<NonNullable<ForkliftVm["host"]>["cluster"]>): ForkliftVm => ({ name: "test", host: { name: "test_host", cluster: { name: "test_cluster", ...over } } });

const CASES: Case[] = [
  // changed_block_tracking_per_disks_test.rego
  c("changed_block_tracking_per_disk", "test_with_cbt_enabled_disk", { name: "test", disks: [cbtDisk(2000, 0, true, "[datastore1] vm-folder/vm.vmdk")] }, 0),
  c("changed_block_tracking_per_disk", "test_with_cbt_disabled_disk", { name: "test", disks: [cbtDisk(2000, 0, false, "[datastore1] vm-folder/vm.vmdk")] }, 1),
  c("changed_block_tracking_per_disk", "test_with_all_disks_cbt_enabled", { name: "test-multi-all-enabled", disks: [cbtDisk(2000, 0, true), cbtDisk(2001, 1, true)] }, 0),
  c("changed_block_tracking_per_disk", "test_with_all_disks_cbt_disabled", { name: "test-multi-all-disabled", disks: [cbtDisk(2000, 0, false), cbtDisk(2001, 1, false)] }, 2),
  c("changed_block_tracking_per_disk", "test_with_mixed_cbt_disks", { name: "test-multi-mixed", disks: [cbtDisk(2000, 0, false), cbtDisk(2001, 1, true), cbtDisk(2002, 2, false)] }, 2),
  // changed_block_tracking_test.rego
  c("changed_block_tracking", "test_with_changed_block_tracking_enabled", { name: "test", changeTrackingEnabled: true }, 0),
  c("changed_block_tracking", "test_with_changed_block_tracking_disabled", { name: "test", changeTrackingEnabled: false }, 1),
  // consolidation_needed_test.rego
  c("consolidation_needed", "test_consolidation_needed", { name: "test", consolidationNeeded: true }, 1),
  c("consolidation_needed", "test_consolidation_not_needed", { name: "test", consolidationNeeded: false }, 0),
  // cpu_affinity_test.rego
  c("cpu_affinity", "test_without_cpu_affinity", { name: "test", cpuAffinity: [] }, 0),
  c("cpu_affinity", "test_with_cpu_affinity", { name: "test", cpuAffinity: [0, 2] }, 1),
  // cpu_memory_hotplug_test.rego
  c("cpu_memory_hotplug", "test_with_hotplug_disabled", { name: "test", cpuHotAddEnabled: false, cpuHotRemoveEnabled: false, memoryHotAddEnabled: false }, 0),
  c("cpu_memory_hotplug", "test_with_cpu_hot_add_enabled", { name: "test", cpuHotAddEnabled: true, cpuHotRemoveEnabled: false, memoryHotAddEnabled: false }, 1),
  c("cpu_memory_hotplug", "test_with_cpu_hot_remove_enabled", { name: "test", cpuHotAddEnabled: false, cpuHotRemoveEnabled: true, memoryHotAddEnabled: false }, 1),
  c("cpu_memory_hotplug", "test_with_memory_hot_add_enabled", { name: "test", cpuHotAddEnabled: false, cpuHotRemoveEnabled: false, memoryHotAddEnabled: true }, 1),
  // custom_attributes_test.rego (upstream has no case for a value over 256 KiB; see the near misses)
  attr("test_valid_custom_attr_name", [[101, "owner"]], [[101, "admin@example.com"]], 0),
  attr("test_valid_custom_attr_name_with_special_chars", [[101, "cost-center_2024"]], [[101, "IT-123"]], 0),
  attr("test_invalid_custom_attr_name_with_spaces", [[101, "Cost Center"]], [[101, "IT-123"]], 1),
  attr("test_invalid_custom_attr_name_starting_special", [[101, "-invalid-name"]], [[101, "value"]], 1),
  attr("test_mixed_custom_attrs", [[101, "valid-name"], [102, "Invalid Name!"]], [[101, "value1"], [102, "value2"]], 1),
  attr("test_empty_custom_values", [[101, "owner"]], [], 0),
  attr("test_valid_numeric_name", [[101, "attr123"]], [[101, "test"]], 0),
  // datastore_test.rego
  c("datastore", "test_with_no_disks", { name: "test", disks: [] }, 0),
  c("datastore", "test_with_valid_disk", { name: "test", disks: [{ datastore: { kind: "datastore", id: "datastore-1" } }] }, 0),
  c("datastore", "test_with_invalid_disk", { name: "test", disks: [{ datastore: { kind: "datastore", id: "datastore-1" } }, { datastore: { kind: "", id: "" } }] }, 1),
  // disk_count_test.rego
  c("disk_count", "test_disk_count_at_limit", { disks: disks(165) }, 0),
  c("disk_count", "test_disk_count_exceeds_limit", { disks: disks(166) }, 1),
  c("disk_count", "test_disk_count_well_under_limit", { disks: disks(2) }, 0),
  // disk_mode_test.rego
  c("disk_mode", "test_with_no_disks", { name: "test", disks: [] }, 0),
  c("disk_mode", "test_with_no_independent_disk", { name: "test", disks: [{ shared: false }, { shared: false, mode: "dependent" }] }, 0),
  c("disk_mode", "test_with_independent_persistent_disk", { name: "test", disks: [{ shared: false }, { shared: false, mode: "dependent" }, { shared: false, mode: "independent_persistent" }] }, 1),
  c("disk_mode", "test_with_independent_nonpersistent_disk", { name: "test", disks: [{ shared: false, mode: "independent_nonpersistent" }] }, 1),
  // disk_serial_numbers_test.rego
  c("disk_serial_numbers", "test_with_uuid_enabled_scsi", { name: "test", diskEnableUuid: true, disks: [{ bus: "scsi" }] }, 1),
  c("disk_serial_numbers", "test_with_uuid_enabled_sata", { name: "test", diskEnableUuid: true, disks: [{ bus: "sata" }] }, 0),
  c("disk_serial_numbers", "test_with_uuid_disabled", { name: "test", diskEnableUuid: false }, 0),
  // disk_size_test.rego
  c("disk_size", "test_invalid_capacity_zero", { disks: [{ file: "disk1.vmdk", capacity: 0 }] }, 1),
  c("disk_size", "test_invalid_capacity_negative", { disks: [{ file: "disk2.vmdk", capacity: -1024 }] }, 1),
  c("disk_size", "test_valid_capacity", { disks: [{ file: "disk3.vmdk", capacity: 17179869184 }] }, 0),
  // dpm_enabled_test.rego, drs_enabled_test.rego
  c("dpm_enabled", "test_without_dpm_enabled", cluster({ dpmEnabled: false }), 0),
  c("dpm_enabled", "test_with_dpm_enabled", cluster({ dpmEnabled: true }), 1),
  c("drs_enabled", "test_without_drs_enabled", cluster({ drsEnabled: false }), 0),
  c("drs_enabled", "test_with_drs_enabled", cluster({ drsEnabled: true }), 1),
  // fault_tolerance_test.rego
  c("fault_tolerance", "test_with_fault_tolerance_disabled", { name: "test", faultToleranceEnabled: false }, 0),
  c("fault_tolerance", "test_with_fault_tolerance_enabled", { name: "test", faultToleranceEnabled: true }, 1),
  // filesystem_size_test.rego
  c("filesystem_size", "test_all_ok", { guestDisks: [fs("/", 200), fs("/boot", 100), fs("C:\\", 150), fs("/data", 50)] }, 0),
  c("filesystem_size", "test_exact_minimum_space", { guestDisks: [fs("/", 100), fs("/boot", 50), fs("C:\\", 100), fs("/data", 10)] }, 0),
  c("filesystem_size", "test_insufficient_root_space", { guestDisks: [fs("/", 99)] }, 1),
  c("filesystem_size", "test_insufficient_boot_space", { guestDisks: [fs("/boot", 49)] }, 1),
  c("filesystem_size", "test_insufficient_windows_c_backslash_space", { guestDisks: [fs("C:\\", 99)] }, 1),
  c("filesystem_size", "test_insufficient_windows_c_space", { guestDisks: [fs("C:", 99)] }, 1),
  c("filesystem_size", "test_insufficient_windows_c_forward_slash_space", { guestDisks: [fs("C:/", 99)] }, 1),
  c("filesystem_size", "test_sufficient_windows_d_space", { guestDisks: [fs("D:\\", 99)] }, 0),
  c("filesystem_size", "test_insufficient_windows_d_space", { guestDisks: [fs("D:\\", 9)] }, 1),
  c("filesystem_size", "test_insufficient_other_space", { guestDisks: [fs("/var/log", 9)] }, 1),
  c("filesystem_size", "test_multiple_failures", { guestDisks: [fs("/", 50), fs("/boot", 40)] }, 2),
  c("filesystem_size", "test_no_guest_disks", { guestDisks: [] }, 0),
  // guest_disk_mapping_test.rego
  c("guest_disk_mapping", "test_windows_vm_valid_disks_no_concerns", gd("windows2019Server_64Guest", 2000, 2001), 0),
  c("guest_disk_mapping", "test_windows_vm_invalid_disk_creates_concern", gd("windows2019Server_64Guest", 0), 1),
  c("guest_disk_mapping", "test_windows_vm_missing_key_property_creates_concern", gd("windows2019Server_64Guest", undefined), 1),
  c("guest_disk_mapping", "test_non_windows_vm_invalid_disk_no_concern", gd("ubuntu64Guest", 0), 0),
  c("guest_disk_mapping", "test_windows_vm_mixed_disks_partial_concerns", gd("windows2016Server_64Guest", 2000, 0, 2002, 0), 2),
  c("guest_disk_mapping", "test_windows_vm_case_insensitive_matching", gd("WINDOWS2019SERVER_64GUEST", 0), 1),
  {
    file: "guest_disk_mapping",
    test: "test_various_windows_guest_ids",
    inputs: [gd("windows2022Server_64Guest", 0), gd("windows10_64Guest", 0), gd("windows11_64Guest", 0)],
    expected: [1, 1, 1],
  },
  c("guest_disk_mapping", "test_empty_guest_disks_no_concerns", gd("windows2019Server_64Guest"), 0),
  c("guest_disk_mapping", "test_concern_structure_and_content", gd("windows2019Server_64Guest", 0), 1),
  {
    file: "guest_disk_mapping",
    test: "test_invalid_guest_disk_mappings_rule",
    inputs: [gd("windows2019Server_64Guest", 0), gd("ubuntu64Guest", 0), gd("windows2019Server_64Guest", 2000)],
    expected: [1, 0, 0],
  },
  // host_affinity_test.rego
  c("host_affinity", "test_without_host_affinity_vms", { ...cluster({ hostAffinityVms: [] }), id: "vm-123" }, 0),
  c("host_affinity", "test_with_other_host_affinity_vms", { ...cluster({ hostAffinityVms: [{ kind: "VM", id: "vm-2050" }, { kind: "VM", id: "vm-2696" }] }), id: "vm-123" }, 0),
  c("host_affinity", "test_with_host_affinity_vm", { ...cluster({ hostAffinityVms: [{ kind: "VM", id: "vm-123" }] }), id: "vm-123" }, 1),
  // hostname_test.rego
  c("hostname", "test_empty_hostName", { name: "test", hostName: "" }, 1),
  c("hostname", "test_localhost_hostname", { hostName: "localhost.localdomain" }, 1),
  // ip_state_test.rego
  c("ip_state", "test_with_guest_network_present", { name: "test", guestNetworks: [{ ip: "10.2.122.57", mac: "00:50:56:94:0d:b8" }] }, 0),
  c("ip_state", "test_with_empty_guest_network", { name: "test", guestNetworks: [] }, 1),
  // name_test.rego
  c("name", "test_valid_vm_name", { name: "test" }, 0),
  c("name", "test_vm_name_too_long", { name: "my-vm-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" }, 1),
  c("name", "test_vm_name_invalid_char_underscore", { name: "my_vm" }, 1),
  c("name", "test_vm_name_invalid_char_slash", { name: "my/vm" }, 1),
  // numa_affinity_test.rego
  c("numa_affinity", "test_without_cpu_affinity", { name: "test", numaNodeAffinity: [] }, 0),
  c("numa_affinity", "test_with_cpu_affinity", { name: "test", numaNodeAffinity: [1, 2] }, 1),
  // passthrough_device_test.rego
  c("passthrough_device", "test_with_no_device", { name: "test", devices: [] }, 0),
  c("passthrough_device", "test_with_other_xyz_device", { name: "test", devices: [{ kind: "VirtualXYZEthernetCard" }] }, 0),
  c("passthrough_device", "test_with_pci_passthrough_device", { name: "test", devices: [{ kind: "VirtualPCIPassthrough" }] }, 1),
  // rdm_disk_test.rego
  c("rdm_disk", "test_with_no_disks", { name: "test", disks: [] }, 0),
  c("rdm_disk", "test_with_no_shareable_disk", { name: "test", disks: [{ rdm: false }] }, 0),
  c("rdm_disk", "test_with_shareable_disk", { name: "test", disks: [{ rdm: false }, { rdm: true }, { rdm: false }] }, 1),
  // shared_disk_test.rego
  c("shared_disk", "test_with_no_disks", { name: "test", disks: [] }, 0),
  c("shared_disk", "test_with_no_shared_disk", { name: "test", disks: [{ shared: false }] }, 0),
  c("shared_disk", "test_with_shared_disk", { name: "test", disks: [{ shared: false }, { shared: true }, { shared: false }] }, 1),
  // snapshot_test.rego
  c("snapshot", "test_with_no_snapshot", { name: "test", snapshot: { kind: "", id: "" } }, 0),
  c("snapshot", "test_with_snapshot", { name: "test", snapshot: { kind: "VirtualMachineSnapshot", id: "snapshot-3134" } }, 1),
  // sriov_device_test.rego
  c("sriov_device", "test_with_no_device", { name: "test", devices: [] }, 0),
  c("sriov_device", "test_with_other_yyy_device", { name: "test", devices: [{ kind: "VirtualYYYPassthrough" }] }, 0),
  c("sriov_device", "test_with_sriov_nic", { name: "test", devices: [{ kind: "VirtualSriovEthernetCard" }] }, 1),
  // tpm_enabled_test.rego
  c("tpm_enabled", "test_with_tpm_disabled", { name: "test", tpmEnabled: false }, 0),
  c("tpm_enabled", "test_with_cpu_hot_add_enabled (sic: TPM enabled)", { name: "test", tpmEnabled: true }, 1),
  // usb_controller_test.rego
  c("usb_controller", "test_with_no_device", { name: "test", devices: [] }, 0),
  c("usb_controller", "test_with_other_xxx_device", { name: "test", devices: [{ kind: "VirtualXXXPassthrough" }] }, 0),
  c("usb_controller", "test_with_usb_controller", { name: "test", devices: [{ kind: "VirtualUSBController" }] }, 1),
  // vm_os_test.rego
  c("vm_os", "test_unsupported_el6_64", { name: "test", guestId: "rhel6_64Guest" }, 1),
  c("vm_os", "test_unsupported_el6_64_by_guestName", { name: "test", guestNameFromVmwareTools: "Red Hat Enterprise Linux 6 (64-bit)" }, 1),
  c("vm_os", "test_unsupported_el6", { name: "test", guestId: "rhel6Guest" }, 1),
  c("vm_os", "test_unsupported_el6_by_guestName", { name: "test", guestNameFromVmwareTools: "Red Hat Enterprise Linux 6 (32-bit)" }, 1),
  c("vm_os", "test_unsupported_photonOS", { name: "test", guestId: "photonGuest" }, 1),
  c("vm_os", "test_unsupported_photonOS_by_guestName", { name: "test", guestNameFromVmwareTools: "VMware Photon OS (32-bit)" }, 1),
  c("vm_os", "test_unsupported_photonOS_64", { name: "test", guestId: "vmwarePhoton64Guest" }, 1),
  c("vm_os", "test_unsupported_photonOS_64_by_guestName", { name: "test", guestNameFromVmwareTools: "VMware Photon OS (64-bit)" }, 1),
  c("vm_os", "test_supported_el7", { name: "test", guestId: "rhel7_64Guest" }, 0),
  c("vm_os", "test_supported_rhel9_by_guestName", { name: "test", guestName: "Red Hat Enterprise Linux 9 (64-bit)" }, 0),
  c("vm_os", "test_supported_el7_by_vmwareTools_guestName", { name: "test", guestNameFromVmwareTools: "Red Hat Enterprise Linux 7 (64-bit)" }, 0),
  c("vm_os", "test_supported_windows", { name: "test", guestId: "windows11_64Guest" }, 0),
  c("vm_os", "test_supported_windows_2025", { name: "test", guestId: "windows2022srvNext_64Guest" }, 0),
  c("vm_os", "test_supported_windows_2025_by_guestName", { name: "test", guestNameFromVmwareTools: "Microsoft Windows Server 2025 (64-bit)" }, 0),
  c("vm_os", "test_guestNameFromVmwareTools_takes_precedence_when_non_empty", { guestNameFromVmwareTools: "Red Hat Enterprise Linux 9 (64-bit)", guestName: "Red Hat Enterprise Linux 6 (64-bit)" }, 0),
  c("vm_os", "test_guestName_not_takes_precedence_when_non_empty", { guestNameFromVmwareTools: "Red Hat Enterprise Linux 6 (64-bit)", guestName: "Red Hat Enterprise Linux 9 (64-bit)" }, 1),
  // vm_os_upgrade_recommendation_test.rego ("some concern ... id == upgrade" is one upgrade concern; count(results) where upstream asserts it)
  up("test_rhel6_upgrade_recommendation", { guestNameFromVmwareTools: "Red Hat Enterprise Linux 6 (64-bit)" }, 1, 2, ["Red Hat Enterprise Linux 7", "Red Hat Enterprise Linux 6"]),
  up("test_rhel6_upgrade_recommendation_by_guestName", { guestName: "Red Hat Enterprise Linux 6 (32-bit)" }, 1, undefined, ["Red Hat Enterprise Linux 7", "Red Hat Enterprise Linux 6"]),
  up("test_centos7_upgrade_recommendation", { guestNameFromVmwareTools: "CentOS 7 (64-bit)" }, 1, 2, ["Red Hat Enterprise Linux 7"]),
  up("test_centos8_upgrade_recommendation", { guestNameFromVmwareTools: "CentOS 8 (64-bit)" }, 1, 2, ["Red Hat Enterprise Linux 8"]),
  up("test_centos9_upgrade_recommendation", { guestNameFromVmwareTools: "CentOS 9 Stream" }, 1, 2, ["Red Hat Enterprise Linux 9"]),
  up("test_amazon_linux2_upgrade_recommendation", { guestNameFromVmwareTools: "Amazon Linux 2" }, 1, 2, ["Red Hat Enterprise Linux 8"]),
  up("test_supported_rhel9_no_upgrade_recommendation", { guestNameFromVmwareTools: "Red Hat Enterprise Linux 9 (64-bit)" }, 0, 0),
  up("test_upgrade_recommendation_guestNameFromVmwareTools_precedence", { guestNameFromVmwareTools: "CentOS 7 (64-bit)", guestName: "Red Hat Enterprise Linux 9 (64-bit)" }, 1, undefined, ["CentOS 7", "Red Hat Enterprise Linux 7"]),
  up("test_centos_lowercase_upgrade_recommendation", { guestNameFromVmwareTools: "centos 8" }, 1, undefined, ["Red Hat Enterprise Linux 8"]),
  up("test_rhel6_upgrade_recommendation_by_guestId", { guestId: "rhel6_64Guest" }, 1, undefined, ["Red Hat Enterprise Linux 6", "Red Hat Enterprise Linux 7"]),
  up("test_rhel6_upgrade_recommendation_by_guestId_empty_tools", { guestId: "rhel6Guest", guestNameFromVmwareTools: "" }, 1, undefined, ["Red Hat Enterprise Linux 7"]),
  up("test_photon_guestId_no_upgrade_recommendation", { guestId: "vmwarePhoton64Guest" }, 0, 1),
];

/** The upstream rule file → the ids of the concerns it raises. */
const RULE_IDS: Record<string, string[]> = {
  changed_block_tracking_per_disk: ["vmware.changed_block_tracking.disk.disabled"],
  changed_block_tracking: ["vmware.changed_block_tracking.disabled"],
  consolidation_needed: ["vmware.consolidation_needed"],
  custom_attributes: ["vmware.custom_attribute.name.sanitized", "vmware.custom_attribute.value.too_long"],
  cpu_affinity: ["vmware.cpu_affinity.detected"],
  cpu_memory_hotplug: ["vmware.cpu_memory.hotplug.enabled"],
  datastore: ["vmware.datastore.missing"],
  disk_count: ["vmware.disk.count.exceeds.limit"],
  disk_mode: ["vmware.disk_mode.independent"],
  disk_serial_numbers: ["vmware.disk_serial.truncated"],
  disk_size: ["vmware.disk.capacity.invalid"],
  dpm_enabled: ["vmware.dpm.enabled"],
  drs_enabled: ["vmware.drs.enabled"],
  fault_tolerance: ["vmware.fault_tolerance.enabled"],
  filesystem_size: ["vmware.guestDisks.freespace"],
  guest_disk_mapping: ["vmware.guestDisks.key.not_found"],
  host_affinity: ["vmware.host_affinity.detected"],
  hostname: ["vmware.hostname.empty", "vmware.hostname.default"],
  ip_state: ["vmware.vm_missing_ip.detected"],
  name: ["vmware.vm.name.invalid"],
  numa_affinity: ["vmware.numa_affinity.detected"],
  passthrough_device: ["vmware.passthrough_device.detected"],
  rdm_disk: ["vmware.disk.rdm.detected"],
  shared_disk: ["vmware.disk.shared.detected"],
  snapshot: ["vmware.snapshot.detected"],
  sriov_device: ["vmware.device.sriov.detected"],
  tpm_enabled: ["vmware.tpm.detected"],
  usb_controller: ["vmware.usb_controller.detected"],
  vm_os: ["vmware.os.unsupported"],
  vm_os_upgrade_recommendation: ["vmware.os.upgrade.recommendation"],
};

/** Our ids for upstream concerns that have none → upstream's label (without the attribute it names). */
const UNNAMED_UPSTREAM: Record<string, string> = {
  "vmware.custom_attribute.name.sanitized": "Custom Attribute Name Will Be Sanitized",
  "vmware.custom_attribute.value.too_long": "Custom Attribute Value Too Long",
};

describe(`Forklift's own rule tests (${FORKLIFT_VERSION})`, () => {
  it("transcribes every upstream case: 126 tests over the 30 rule files", () => {
    expect(CASES).toHaveLength(126);
    expect(new Set(CASES.map((k) => k.file)).size).toBe(30);
    expect(Object.keys(RULE_IDS).sort()).toEqual([...new Set(CASES.map((k) => k.file))].sort());
  });

  it("has one rule per upstream concern id, citing Forklift at that commit", () => {
    const ids = Object.values(RULE_IDS).flat().sort();
    expect(FORKLIFT_RULES.map((r) => r.id).sort()).toEqual(ids);
    for (const rule of FORKLIFT_RULES) {
      // custom_attributes.rego's concerns carry no id: ours names them, upstream's label is the upstream id, and the deviation says so.
      if (UNNAMED_UPSTREAM[rule.id] !== undefined) {
        expect(rule.upstreamId).toBe(UNNAMED_UPSTREAM[rule.id]);
        expect(rule.deviation).toMatch(/no id/);
      } else expect(rule.upstreamId).toBe(rule.id);
      expect(rule.source).toBe(FORKLIFT);
      expect(RULES_BY_ID.get(rule.id)?.source).toContain(FORKLIFT_VERSION);
    }
  });

  it.each(CASES.map((k) => [`${k.file}: ${k.test}`, k] as const))("%s", (_, k) => {
    const ids = RULE_IDS[k.file]!;
    const findings = k.inputs.map(judge);
    const counts = findings.map((found) => found.filter((f) => ids.includes(f.ruleId)).length);
    // A documented deviation may differ; none of upstream's own cases needs one.
    expect(counts).toEqual(k.expected);
    // count(results): every Forklift concern, the neutral VM raising none of its own.
    if (k.total !== undefined) expect(findings[0]!.filter((f) => f.ruleId.startsWith("vmware.")).length).toBe(k.total);
    const details = findings[0]!.filter((f) => ids.includes(f.ruleId)).map((f) => f.detail ?? "");
    for (const words of k.assessment ?? []) expect(details.some((d) => d.includes(words))).toBe(true);
  });
});

describe("Forklift rules: categories as upstream's, deviations said", () => {
  const CATEGORY: Record<string, "critical" | "warning" | "info"> = {
    "vmware.passthrough_device.detected": "critical",
    "vmware.disk.capacity.invalid": "critical",
    "vmware.datastore.missing": "critical",
    "vmware.guestDisks.freespace": "critical",
    "vmware.snapshot.detected": "info",
    "vmware.drs.enabled": "info",
    "vmware.dpm.enabled": "info",
    "vmware.fault_tolerance.enabled": "info",
    "vmware.disk_serial.truncated": "info",
    "vmware.guestDisks.key.not_found": "info",
    "vmware.os.upgrade.recommendation": "info",
  };
  it.each(FORKLIFT_RULES.map((r) => [r.id, r] as const))("%s", (id, rule) => {
    expect(rule.severity).toBe(CATEGORY[id] ?? "warning");
    // An escalation beyond upstream's category (a warning that keeps the VM a VM or sends it to Kata) is a deviation.
    if (rule.severity !== "critical" && rule.effect !== null) expect(rule.deviation).toMatch(/Forklift/);
  });
});

describe("Forklift rules: near misses", () => {
  const ids = (vm: ForkliftVm) => judge(vm).map((f) => f.ruleId);

  it("filesystem minimums are absolute per mount point, not a share of the sum", () => {
    expect(minimumFreeMiB("/")).toBe(100);
    expect(minimumFreeMiB("/boot")).toBe(50);
    expect(minimumFreeMiB("c:/")).toBe(100);
    expect(minimumFreeMiB("/boot/efi")).toBe(10);
    // A full / next to a large empty data disk: critical (the old percentage rule saw 80 % free).
    expect(ids({ guestDisks: [{ ...fs("/", 50), capacity: 20480 * MiB }, { ...fs("/data", 400 * 1024), capacity: 500 * 1024 * MiB }] })).toContain("vmware.guestDisks.freespace");
    // 95 % full but 5 GiB free on /: fine.
    expect(ids({ guestDisks: [{ ...fs("/", 5 * 1024), capacity: 100 * 1024 * MiB }] })).not.toContain("vmware.guestDisks.freespace");
  });

  it("the 2025 VM-name rule: upper case and dots pass, 64 characters do not", () => {
    for (const name of ["Web01", "SQL-PROD-01", "web01.example.com", "a".repeat(63)]) expect(ids({ name })).not.toContain("vmware.vm.name.invalid");
    for (const name of ["a".repeat(64), "web 01", "-web", "web."]) expect(ids({ name })).toContain("vmware.vm.name.invalid");
  });

  it("hostname: only an empty one or exactly localhost.localdomain", () => {
    expect(ids({ hostName: "localhost" })).not.toContain("vmware.hostname.default");
    expect(ids({ hostName: "LOCALHOST.LOCALDOMAIN" })).not.toContain("vmware.hostname.default");
  });

  it("shared disk: one file on two VMs, whatever the sharing mode; a multi-writer disk on one VM is not", () => {
    expect(ids({ disks: [{ shared: true }] })).toContain("vmware.disk.shared.detected");
    expect(ids({ disks: [{ shared: false }] })).not.toContain("vmware.disk.shared.detected");
  });

  it("unsupported OS: CentOS by guest id is unsupported (a warning), RHEL 9 is not", () => {
    expect(ids({ guestId: "centos7_64Guest" })).toContain("vmware.os.unsupported");
    expect(ids({ guestId: "rhel9_64Guest" })).not.toContain("vmware.os.unsupported");
  });

  it("OS upgrade: RHEL 6, CentOS 7-9, Amazon Linux 2 by name or guest id; RHEL 7 and the Tools' RHEL 9 over a configured RHEL 6 not", () => {
    const upgrade = (vm: ForkliftVm) => judge(vm).filter((f) => f.ruleId === "vmware.os.upgrade.recommendation").map((f) => f.detail);
    expect(upgrade({ guestId: "centos7_64Guest" })).toEqual([
      "CentOs 7 must be upgraded to a supported version in order to be supported by Red Hat. The minimum recommended version is Red Hat Enterprise Linux 7.",
    ]);
    expect(upgrade({ guestId: "amazonlinux2_64Guest" })).toHaveLength(1);
    expect(upgrade({ guestNameFromVmwareTools: "Red Hat Enterprise Linux 7 (64-bit)" })).toEqual([]);
    expect(upgrade({ guestId: "rhel7_64Guest" })).toEqual([]);
    expect(upgrade({ guestNameFromVmwareTools: "Red Hat Enterprise Linux 9 (64-bit)", guestName: "Red Hat Enterprise Linux 6 (64-bit)" })).toEqual([]);
    // A name wins over the id: a configured RHEL 8 name on a centos7 id gets no recommendation.
    expect(upgrade({ guestId: "centos7_64Guest", guestName: "Red Hat Enterprise Linux 8 (64-bit)" })).toEqual([]);
    // Information only: the verdict is the one without it.
    expect(FORKLIFT_RULES.find((r) => r.id === "vmware.os.upgrade.recommendation")!.effect).toBeNull();
  });

  it("custom attributes: annotation-key names pass, 64 characters, a space or a trailing dot do not; one finding per name", () => {
    const names = (...n: string[]) =>
      judge({ customDef: n.map((name, i) => ({ key: 101 + i, name })), customValues: n.map((_, i) => ({ key: 101 + i, value: "v" })) })
        .filter((f) => f.ruleId === "vmware.custom_attribute.name.sanitized")
        .map((f) => f.detail);
    expect(names("a".repeat(63), "x", "a.b_c-d", "9")).toEqual([]);
    expect(names("a".repeat(64), "a b", "tail.", "_x", "Käse")).toEqual(["a".repeat(64), "a b", "tail.", "_x", "Käse"]);
    // A value without a readable definition: the collector names it "custom field 101", upstream has no name: silent.
    expect(judge({ customValues: [{ key: 101, value: "v" }] }).filter((f) => f.ruleId.startsWith("vmware.custom_attribute"))).toEqual([]);
  });

  it("custom attribute values over 256 KiB: the rule's threshold, and the documented deviation that collected values never reach it", () => {
    const rule = FORKLIFT_RULES.find((r) => r.id === "vmware.custom_attribute.value.too_long")!;
    const vm = (value: string) => ({ hardwareVersion: "vmx-19", attributes: { notes: value } }) as never;
    const ctx = { host: null } as never;
    expect(rule.test(vm("x".repeat(MAX_ATTRIBUTE_VALUE_LENGTH)), ctx)).toEqual([]);
    expect(rule.test(vm("x".repeat(MAX_ATTRIBUTE_VALUE_LENGTH + 1)), ctx)).toEqual(["notes"]);
    // Through the collector a 300,000-character value is kept as 4,096: no finding, as the deviation says.
    const found = judge({ customDef: [{ key: 101, name: "notes" }], customValues: [{ key: 101, value: "x".repeat(300_000) }] });
    expect(found.filter((f) => f.ruleId === rule.id)).toEqual([]);
    expect(rule.deviation).toMatch(/never fires on collected data/);
  });

  it("an unknown OS is its own rule: insufficient data, not 'unsupported'", () => {
    const vm = { guestOsId: null, guestOsReported: null, guestOsConfigured: null };
    expect(RULES_BY_ID.get("guest-os-unknown")?.text).toMatch(/insufficient data/);
    expect(FORKLIFT_RULES.find((r) => r.id === "vmware.os.unsupported")!.test(vm as never, {} as never)).toBe(false);
  });

  it("USB: a USB 2 controller warns, xHCI (USB 3) alone does not", () => {
    expect(ids({ devices: [{ kind: "VirtualUSBXHCIController" }] })).not.toContain("vmware.usb_controller.detected");
  });

  it("CBT per disk: scsiX:Y.ctkEnabled read through the disk's controller bus number", () => {
    const found = judge({ disks: [cbtDisk(2000, 0, true), { ...cbtDisk(2001, 1, false), bus: "sata", controllerKey: 15000 }] });
    expect(found.filter((f) => f.ruleId === "vmware.changed_block_tracking.disk.disabled").map((f) => f.detail)).toEqual(["Hard disk 2"]);
  });

  it("an old stored override of guestDiskFreeMinPercent is dropped, the others kept", () => {
    const p = resolveParameters({ guestDiskFreeMinPercent: 15, maxDisks: 100 });
    expect(p.maxDisks).toBe(100);
    expect("guestDiskFreeMinPercent" in p).toBe(false);
  });
});

/**
 * Forklift's VMware validation rules (kubev2v/forklift, validation/policies/io/konveyor/forklift/vmware/
 * *.rego, at the commit FORKLIFT names), one entry per upstream concern, with upstream's id as ours,
 * its category as our severity and its trigger as our test. Facts and the upstream file of each:
 * docs/domain.md#migration-blockers. tests/unit/forklift-rules.test.ts runs every upstream
 * *_test.rego case through the vSphere normaliser and these rules.
 *
 * Where upstream raises one concern per disk or filesystem, the test returns one detail per item
 * (one finding each). Where we deliberately differ from upstream, the rule's `deviation` says what and
 * why, and the dashboard shows it.
 */
import type { InventoryVirtualMachine } from "../inventory";
import type { Rule } from "./rule";
import { FORKLIFT } from "./sources";
import type { VmContext } from "./vm";

type VmRule = Rule<InventoryVirtualMachine, VmContext>;

/** One Forklift rule: source, no note of its own, no exposure; `effect` null unless said. */
function forklift(rule: Omit<VmRule, "source" | "exposes" | "effect" | "deviation" | "sourceNote"> & Partial<Pick<VmRule, "effect" | "deviation" | "sourceNote">>): VmRule {
  return { source: FORKLIFT, exposes: false, effect: null, deviation: null, sourceNote: null, ...rule };
}

const diskName = (d: { label: string | null; key: string }) => d.label ?? d.key;
const MiB = 1;

// --- vm_os.rego: the guest OSes virt-v2v converts (Red Hat's list, https://access.redhat.com/articles/1351473)

const SUPPORTED_OS_NAMES = [
  "red hat enterprise linux 7",
  "red hat enterprise linux 8",
  "red hat enterprise linux 9",
  "red hat enterprise linux 10",
  "windows 10",
  "windows 11",
  "windows server 2016",
  "windows server 2019",
  "windows server 2022",
  "windows server 2025",
];
const SUPPORTED_OS_ID =
  /.*(rhel7guest|rhel7_64guest|rhel8guest|rhel8_64guest|rhel9guest|rhel9_64guest|rhel10guest|rhel10_64guest|windows10.*guest|windows11.*guest|windows2016.*guest|windows2019.*guest|windows2022.*guest|windows2025.*guest).*/;

/**
 * vm_os.rego as upstream reads its three inputs: the guest id (ours: guestOsId), the name VMware Tools
 * report (guestOsReported) and the configured name (guestOsConfigured), the Tools' name taking
 * precedence over the configured one when present. "unknown" when none is known (upstream silent).
 */
export function forkliftOsSupport(vm: Pick<InventoryVirtualMachine, "guestOsId" | "guestOsReported" | "guestOsConfigured">): "supported" | "unsupported" | "unknown" {
  const id = vm.guestOsId;
  const tools = vm.guestOsReported;
  const configured = vm.guestOsConfigured;
  const named = (name: string) => SUPPORTED_OS_NAMES.some((s) => name.toLowerCase().includes(s));
  if (id !== null && SUPPORTED_OS_ID.test(id.toLowerCase())) return "supported";
  if (tools !== null) return named(tools) ? "supported" : "unsupported";
  if (configured !== null) return named(configured) ? "supported" : "unsupported";
  return id !== null ? "unsupported" : "unknown";
}

// --- vm_os_upgrade_recommendation.rego: an upgrade target for some unsupported OSes

/** Upstream's guest_id_to_os_name: a guest id containing the pattern → the OS name matched below. */
const UPGRADE_GUEST_ID_TO_OS_NAME: readonly (readonly [string, string])[] = [
  ["rhel6", "Red Hat Enterprise Linux 6"],
  ["centos7", "CentOs 7"],
  ["centos8", "CentOs 8"],
  ["centos9", "CentOs 9"],
  ["amazonlinux2", "Amazon linux 2"],
];
/** Upstream's os_upgrade_map: an OS name containing the key (lower case) → the minimum recommended version. */
const OS_UPGRADE_MAP: readonly (readonly [string, string])[] = [
  ["red hat enterprise linux 6", "Red Hat Enterprise Linux 7"],
  ["centos 7", "Red Hat Enterprise Linux 7"],
  ["centos 8", "Red Hat Enterprise Linux 8"],
  ["centos 9", "Red Hat Enterprise Linux 9"],
  ["amazon linux 2", "Red Hat Enterprise Linux 8"],
];

/**
 * vm_os_upgrade_recommendation.rego: the OS name (the Tools' name if non-empty, else the configured
 * name if non-empty, else the name its guest id maps to) and, when the name contains one of the
 * unsupported OSes with an upgrade path, upstream's assessment naming the minimum recommended version;
 * null otherwise.
 */
export function forkliftOsUpgrade(vm: Pick<InventoryVirtualMachine, "guestOsId" | "guestOsReported" | "guestOsConfigured">): string | null {
  const id = vm.guestOsId?.toLowerCase() ?? null;
  const name =
    (vm.guestOsReported ?? "") !== ""
      ? vm.guestOsReported!
      : (vm.guestOsConfigured ?? "") !== ""
        ? vm.guestOsConfigured!
        : id === null
          ? null
          : (UPGRADE_GUEST_ID_TO_OS_NAME.find(([pattern]) => id.includes(pattern))?.[1] ?? null);
  if (name === null) return null;
  const target = OS_UPGRADE_MAP.find(([source]) => name.toLowerCase().includes(source))?.[1];
  return target === undefined
    ? null
    : `${name} must be upgraded to a supported version in order to be supported by Red Hat. The minimum recommended version is ${target}.`;
}

// --- filesystem_size.rego: virt-v2v's minimum free space per filesystem (https://libguestfs.org/virt-v2v.1.html#disk-space)

/** The free space virt-v2v needs on a filesystem, in MiB: / 100, /boot 50, C: 100, any other 10. */
export function minimumFreeMiB(path: string): number {
  if (path === "/") return 100 * MiB;
  if (path === "/boot") return 50 * MiB;
  if (["c:", "c:\\", "c:/"].includes(path.toLowerCase())) return 100 * MiB;
  return 10 * MiB;
}

/** The key diskAttachmentCounts counts a disk file under: its customer and path. */
export const attachmentKey = (customer: string, path: string) => `${customer}\u0000${path}`;

/** How many VMs each disk file is attached to (Forklift's inventory recomputes disk.shared so). */
export function countDiskAttachments(vms: readonly Pick<InventoryVirtualMachine, "customer" | "disks">[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const vm of vms) {
    const files = new Set(vm.disks.map((d) => d.path).filter((p): p is string => p !== null));
    for (const file of files) {
      const key = attachmentKey(vm.customer, file);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

/** A vSphere VM: its host is an ESXi host, or its hardware version is a vmx-NN. */
const isVsphere = (vm: InventoryVirtualMachine, ctx: VmContext) =>
  ctx.host?.platform === "esxi" || (vm.hardwareVersion?.startsWith("vmx-") ?? false);

// --- custom_attributes.rego: a vSphere custom attribute becomes an annotation vsphere.forklift.konveyor.io/<name>

/** Upstream's valid_annotation_name_regex (and max_annotation_name_length 63). */
const ANNOTATION_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?$/;
/** Upstream's max_recommended_value_length: 256 KiB, counted in characters as Rego's count() does. */
export const MAX_ATTRIBUTE_VALUE_LENGTH = 262144;
/** The name the collector gives a value whose field definition it could not read: upstream, no name, no concern. */
const UNNAMED_ATTRIBUTE = /^custom field \d+$/;

/** The VM's named vSphere custom attributes (none off vSphere: libvirt metadata is not Forklift's input). */
const customAttributes = (vm: InventoryVirtualMachine, ctx: VmContext): [string, string][] =>
  isVsphere(vm, ctx) ? Object.entries(vm.attributes).filter(([name]) => !UNNAMED_ATTRIBUTE.test(name)) : [];

const CUSTOM_ATTRIBUTE_DEVIATION =
  "Upstream's concern has no id, only a label naming the attribute; ours names it with an id of upstream's shape and keeps the label as the upstream id. " +
  "The collector keeps no attribute whose value is empty (upstream checks its name too), and one whose name it could not read (\"custom field <key>\") is skipped as upstream skips a value without a definition.";

const VM_NAME = /^(([A-Za-z0-9][-A-Za-z0-9.]*)?[A-Za-z0-9])?$/;

export const FORKLIFT_RULES: readonly VmRule[] = [
  forklift({
    id: "vmware.passthrough_device.detected",
    title: "Passthrough device",
    severity: "critical",
    appliesTo: "vm",
    text: "A PCI device passed through to the VM cannot follow it (Forklift: Critical).",
    upstreamId: "vmware.passthrough_device.detected",
    sourceNote: "passthrough_device.rego: a VirtualPCIPassthrough device",
    effect: "vm",
    test: (vm) => vm.passthrough,
  }),
  forklift({
    id: "vmware.disk.capacity.invalid",
    title: "Invalid disk capacity",
    severity: "critical",
    appliesTo: "vm",
    text: "A disk reports a capacity of 0 or less: it cannot be sized or copied (Forklift: Critical, one per disk).",
    upstreamId: "vmware.disk.capacity.invalid",
    sourceNote: "disk_size.rego: capacity <= 0, RDM disks included",
    effect: "vm",
    test: (vm) => vm.disks.filter((d) => d.capacityMiB !== null && d.capacityMiB <= 0).map(diskName),
  }),
  forklift({
    id: "vmware.datastore.missing",
    title: "Datastore missing",
    severity: "critical",
    appliesTo: "vm",
    text: "A disk is not located on a datastore (a raw disk, or a lost backing): the VM cannot be migrated (Forklift: Critical).",
    upstreamId: "vmware.datastore.missing",
    sourceNote: "datastore.rego: a disk with no datastore id",
    effect: "vm",
    deviation: "Applied to vSphere VMs only (ESXi host or vmx hardware version): other platforms have no datastores.",
    test: (vm, ctx) => {
      if (!isVsphere(vm, ctx)) return false;
      const bad = vm.disks.filter((d) => !d.datastore).map(diskName);
      return bad.length > 0 ? bad.join(", ") : false;
    },
  }),
  forklift({
    id: "vmware.guestDisks.freespace",
    title: "Guest filesystem free space too low",
    severity: "critical",
    appliesTo: "vm",
    text: "A guest filesystem has less free space than virt-v2v needs to convert it (/ 100 MiB, /boot 50 MiB, C: 100 MiB, others 10 MiB).",
    upstreamId: "vmware.guestDisks.freespace",
    sourceNote: "filesystem_size.rego: per filesystem, virt-v2v's disk-space minimums",
    effect: "vm",
    test: (vm) =>
      vm.guestFilesystems
        .filter((f) => f.freeMiB !== null && f.freeMiB < minimumFreeMiB(f.path))
        .map((f) => `${f.path}: ${Math.round(f.freeMiB!)} MiB free, ${minimumFreeMiB(f.path)} MiB needed`),
  }),
  forklift({
    id: "vmware.os.unsupported",
    title: "Guest OS not supported by MTV",
    severity: "warning",
    appliesTo: "vm",
    text: "The guest OS is not one virt-v2v converts (RHEL 7 to 10, Windows 10 and 11, Windows Server 2016 to 2025): Forklift migrates it unsupported.",
    upstreamId: "vmware.os.unsupported",
    sourceNote: "vm_os.rego: guest id regex, else the Tools' OS name, else the configured name",
    test: (vm) => (forkliftOsSupport(vm) === "unsupported" ? (vm.guestOsReported ?? vm.guestOsConfigured ?? vm.guestOsId ?? true) : false),
  }),
  forklift({
    id: "vmware.os.upgrade.recommendation",
    title: "OS upgrade recommended",
    severity: "info",
    appliesTo: "vm",
    text: "The guest OS (RHEL 6, CentOS 7 to 9, Amazon Linux 2) must be upgraded to be supported by Red Hat; the detail names the minimum recommended version.",
    upstreamId: "vmware.os.upgrade.recommendation",
    sourceNote: "vm_os_upgrade_recommendation.rego (read at e5c0a39f, its tests at 0b922e1f): the Tools' OS name, else the configured name, else the guest id's, matched against its upgrade map",
    test: (vm) => forkliftOsUpgrade(vm) ?? false,
  }),
  forklift({
    id: "vmware.disk.shared.detected",
    title: "Shared disk",
    severity: "warning",
    appliesTo: "vm",
    text: "A disk file is attached to more than one VM: a shared-disk cluster (failover cluster, RAC) that a container cannot join.",
    upstreamId: "vmware.disk.shared.detected",
    sourceNote: "shared_disk.rego: disk.shared, which Forklift's inventory sets when one file is attached to several VMs",
    effect: "vm",
    deviation:
      "Forklift migrates the VM with a warning; here the VM stays a VM: a disk several VMs write is a clustered application's shared storage, which a container or a Kata pod cannot share with the other nodes.",
    test: (vm, ctx) => {
      const shared = vm.disks.filter((d) => d.path !== null && (ctx.diskAttachmentCounts.get(attachmentKey(vm.customer, d.path)) ?? 0) > 1);
      return shared.length > 0 ? shared.map(diskName).join(", ") : false;
    },
  }),
  forklift({
    id: "vmware.tpm.detected",
    title: "TPM",
    severity: "warning",
    appliesTo: "vm",
    text: "The VM has a virtual TPM: its data (sealed keys, measured boot) is not transferred.",
    upstreamId: "vmware.tpm.detected",
    sourceNote: "tpm_enabled.rego: summary.config.tpmPresent",
    test: (vm) => vm.tpm,
  }),
  forklift({
    id: "vmware.device.sriov.detected",
    title: "SR-IOV device",
    severity: "warning",
    appliesTo: "vm",
    text: "An SR-IOV virtual function can be passed to a Kata guest (VFIO), not to a container on a shared kernel.",
    upstreamId: "vmware.device.sriov.detected",
    sourceNote: "sriov_device.rego: a VirtualSriovEthernetCard",
    effect: "kata",
    deviation: "Forklift only warns; here the VM goes to Kata Containers, whose guest takes a virtual function through VFIO, which a shared-kernel container cannot.",
    test: (vm) => vm.sriov,
  }),
  forklift({
    id: "vmware.disk.rdm.detected",
    title: "RDM disk",
    severity: "warning",
    appliesTo: "vm",
    text: "Data on a raw device mapping must move to a volume first.",
    upstreamId: "vmware.disk.rdm.detected",
    sourceNote: "rdm_disk.rego: a RawDiskMappingVer1 or RawDiskVer2 backing",
    test: (vm) => {
      const rdm = vm.disks.filter((d) => d.rdm !== "none").map(diskName);
      return rdm.length > 0 ? rdm.join(", ") : false;
    },
  }),
  forklift({
    id: "vmware.disk_mode.independent",
    title: "Independent disk mode",
    severity: "warning",
    appliesTo: "vm",
    text: "Independent disks are left out of snapshots: their data must be moved separately.",
    upstreamId: "vmware.disk_mode.independent",
    sourceNote: "disk_mode.rego: independent_persistent or independent_nonpersistent",
    test: (vm) => {
      const independent = vm.disks.filter((d) => d.mode.startsWith("independent")).map(diskName);
      return independent.length > 0 ? independent.join(", ") : false;
    },
  }),
  forklift({
    id: "vmware.disk.count.exceeds.limit",
    title: "Too many disks",
    severity: "warning",
    appliesTo: "vm",
    text: "More disks than a migration can carry.",
    upstreamId: "vmware.disk.count.exceeds.limit",
    sourceNote: "disk_count.rego: more than 165 disks (the maxDisks parameter)",
    deviation: "Counts every virtual disk; Forklift's inventory lists flat, RDM and raw-disk backings only (sparse, SE sparse and PMem disks are rare and not in its list).",
    test: (vm, ctx) => (vm.disks.length > ctx.parameters.maxDisks ? `${vm.disks.length} disks` : false),
  }),
  forklift({
    id: "vmware.changed_block_tracking.disabled",
    title: "Changed block tracking disabled",
    severity: "warning",
    appliesTo: "vm",
    text: "Without CBT a warm migration is not possible: every block is copied again.",
    upstreamId: "vmware.changed_block_tracking.disabled",
    sourceNote: "changed_block_tracking.rego: config.changeTrackingEnabled, overridden by extraConfig ctkEnabled",
    deviation: "Silent when the endpoint does not say (libvirt, an RVTools export without the column); Forklift's model defaults to false and warns.",
    test: (vm) => vm.cbtEnabled === false,
  }),
  forklift({
    id: "vmware.changed_block_tracking.disk.disabled",
    title: "Changed block tracking disabled on a disk",
    severity: "warning",
    appliesTo: "vm",
    text: "This disk has no CBT (extraConfig scsiX:Y.ctkEnabled): a warm migration cannot copy only its changes.",
    upstreamId: "vmware.changed_block_tracking.disk.disabled",
    sourceNote: "changed_block_tracking_per_disk.rego: one per disk whose changeTrackingEnabled is false",
    test: (vm) => vm.disks.filter((d) => d.cbtEnabled === false).map(diskName),
  }),
  forklift({
    id: "vmware.consolidation_needed",
    title: "Consolidation needed",
    severity: "warning",
    appliesTo: "vm",
    text: "The VM's disks need consolidation before they can be read consistently.",
    upstreamId: "vmware.consolidation_needed",
    sourceNote: "consolidation_needed.rego: runtime.consolidationNeeded",
    test: (vm) => vm.consolidationNeeded,
  }),
  forklift({
    id: "vmware.cpu_affinity.detected",
    title: "CPU affinity",
    severity: "warning",
    appliesTo: "vm",
    text: "The VM is pinned to host CPUs: its placement needs an equivalent (cpuset).",
    upstreamId: "vmware.cpu_affinity.detected",
    sourceNote: "cpu_affinity.rego: config.cpuAffinity.affinitySet not empty",
    test: (vm) => vm.cpuAffinity,
  }),
  forklift({
    id: "vmware.cpu_memory.hotplug.enabled",
    title: "CPU or memory hot-plug",
    severity: "warning",
    appliesTo: "vm",
    text: "CPU hot-add or hot-remove, or memory hot-add, is enabled: the workload may expect to change size without restarting.",
    upstreamId: "vmware.cpu_memory.hotplug.enabled",
    sourceNote: "cpu_memory_hotplug.rego: cpuHotAddEnabled, cpuHotRemoveEnabled or memoryHotAddEnabled",
    test: (vm) => {
      const on = [vm.cpuHotAdd ? "CPU hot-add" : null, vm.cpuHotRemove ? "CPU hot-remove" : null, vm.memoryHotAdd ? "memory hot-add" : null].filter(Boolean);
      return on.length > 0 ? on.join(", ") : false;
    },
  }),
  forklift({
    id: "vmware.usb_controller.detected",
    title: "USB controller",
    severity: "warning",
    appliesTo: "vm",
    text: "A USB 2 controller may serve a dongle or device the workload needs: check before moving.",
    upstreamId: "vmware.usb_controller.detected",
    sourceNote: "usb_controller.rego: a VirtualUSBController (USB 2; xHCI is not listed upstream)",
    test: (vm) => vm.usbController,
  }),
  forklift({
    id: "vmware.hostname.empty",
    title: "Empty hostname",
    severity: "warning",
    appliesTo: "vm",
    text: "The guest reports no hostname (VMware Tools not running, or never were): the target has none to carry over.",
    upstreamId: "vmware.hostname.empty",
    sourceNote: "hostname.rego: guest.hostName is empty, whatever the power state",
    test: (vm) => (vm.hostname ?? "") === "",
  }),
  forklift({
    id: "vmware.hostname.default",
    title: "Default hostname",
    severity: "warning",
    appliesTo: "vm",
    text: "The guest's hostname is localhost.localdomain: it has no name of its own to carry over.",
    upstreamId: "vmware.hostname.default",
    sourceNote: "hostname.rego: guest.hostName is exactly localhost.localdomain",
    test: (vm) => vm.hostname === "localhost.localdomain",
  }),
  forklift({
    id: "vmware.vm_missing_ip.detected",
    title: "No IP address",
    severity: "warning",
    appliesTo: "vm",
    text: "The guest reports no IP address (none known, powered on or off): its network identity cannot be kept.",
    upstreamId: "vmware.vm_missing_ip.detected",
    sourceNote: "ip_state.rego: no guest networks, whatever the power state",
    test: (vm) => vm.ipAddresses.length === 0,
  }),
  forklift({
    id: "vmware.vm.name.invalid",
    title: "Invalid VM name",
    severity: "warning",
    appliesTo: "vm",
    text: "The name is not a DNS subdomain name (letters, digits, '-' and '.', starting and ending with a letter or digit, under 64 characters): it will be renamed during the migration.",
    upstreamId: "vmware.vm.name.invalid",
    sourceNote: "name.rego as changed in April 2025: upper case and dots allowed",
    test: (vm) => !(vm.name.length < 64 && VM_NAME.test(vm.name)),
  }),
  forklift({
    id: "vmware.host_affinity.detected",
    title: "VM-Host affinity",
    severity: "warning",
    appliesTo: "vm",
    text: "A cluster VM-Host rule ties the VM to some hosts: it is migrated without it (set node affinity afterwards).",
    upstreamId: "vmware.host_affinity.detected",
    sourceNote: "host_affinity.rego: the VM is in its cluster's VM-Host affinity rules",
    test: (vm) => vm.hostAffinity,
  }),
  forklift({
    id: "vmware.numa_affinity.detected",
    title: "NUMA affinity",
    severity: "warning",
    appliesTo: "vm",
    text: "The VM is pinned to NUMA nodes (numa.nodeAffinity): the target needs an equivalent placement.",
    upstreamId: "vmware.numa_affinity.detected",
    sourceNote: "numa_affinity.rego: extraConfig numa.nodeAffinity set",
    test: (vm) => (vm.numaNodeAffinity.length > 0 ? `nodes ${vm.numaNodeAffinity.join(",")}` : false),
  }),
  forklift({
    id: "vmware.custom_attribute.name.sanitized",
    title: "Custom attribute name will be sanitized",
    severity: "warning",
    appliesTo: "vm",
    text: "A vSphere custom attribute's name is not a valid Kubernetes annotation key (letters, digits, '-', '_' and '.', starting and ending with a letter or digit, at most 63 characters): it is sanitized when the migration copies it to an annotation (Forklift: Warning, one per attribute).",
    upstreamId: "Custom Attribute Name Will Be Sanitized",
    sourceNote: "custom_attributes.rego (read at 27b18375, its tests at 571d81c6): a custom value whose field name fails valid_annotation_name_regex or exceeds 63 characters",
    deviation: CUSTOM_ATTRIBUTE_DEVIATION,
    test: (vm, ctx) => customAttributes(vm, ctx).filter(([name]) => !(ANNOTATION_NAME.test(name) && [...name].length <= 63)).map(([name]) => name),
  }),
  forklift({
    id: "vmware.custom_attribute.value.too_long",
    title: "Custom attribute value too long",
    severity: "warning",
    appliesTo: "vm",
    text: "A vSphere custom attribute's value exceeds 256 KiB, more than a Kubernetes annotation holds: it may be truncated during the migration (Forklift: Warning, one per attribute).",
    upstreamId: "Custom Attribute Value Too Long",
    sourceNote: "custom_attributes.rego (read at 27b18375): a custom value longer than max_recommended_value_length (262144 characters)",
    deviation:
      `${CUSTOM_ATTRIBUTE_DEVIATION} It never fires on collected data: the collector and the snapshot keep at most 4,096 characters of a value, so a longer one is already cut to 4,096 and cannot be seen to exceed 256 KiB.`,
    test: (vm, ctx) => customAttributes(vm, ctx).filter(([, value]) => [...value].length > MAX_ATTRIBUTE_VALUE_LENGTH).map(([name]) => name),
  }),
  forklift({
    id: "vmware.snapshot.detected",
    title: "Snapshot present",
    severity: "info",
    appliesTo: "vm",
    text: "The VM has snapshots: they are not migrated; decide what happens to them.",
    upstreamId: "vmware.snapshot.detected",
    sourceNote: "snapshot.rego: a current snapshot",
    test: (vm) => (vm.snapshotCount > 0 ? `${vm.snapshotCount} snapshot${vm.snapshotCount > 1 ? "s" : ""}` : false),
  }),
  forklift({
    id: "vmware.drs.enabled",
    title: "DRS enabled",
    severity: "info",
    appliesTo: "vm",
    text: "The VM's cluster balances VMs with DRS: the target has no equivalent set up by the migration.",
    upstreamId: "vmware.drs.enabled",
    sourceNote: "drs_enabled.rego: the host's cluster has DRS enabled",
    test: (_vm, ctx) => ctx.host?.drsEnabled === true,
  }),
  forklift({
    id: "vmware.dpm.enabled",
    title: "DPM enabled",
    severity: "info",
    appliesTo: "vm",
    text: "The VM's cluster powers hosts down with DPM: the target has no equivalent set up by the migration.",
    upstreamId: "vmware.dpm.enabled",
    sourceNote: "dpm_enabled.rego: the host's cluster has DPM enabled",
    test: (_vm, ctx) => ctx.host?.dpmEnabled === true,
  }),
  forklift({
    id: "vmware.fault_tolerance.enabled",
    title: "Fault tolerance",
    severity: "info",
    appliesTo: "vm",
    text: "vSphere Fault Tolerance runs a shadow copy of this VM: the target has no equivalent.",
    upstreamId: "vmware.fault_tolerance.enabled",
    sourceNote: "fault_tolerance.rego: summary.config.ftInfo present",
    test: (vm) => vm.faultTolerance,
  }),
  forklift({
    id: "vmware.disk_serial.truncated",
    title: "Disk serial numbers truncated",
    severity: "info",
    appliesTo: "vm",
    text: "disk.EnableUUID is set and a disk is on SCSI: the guest may rely on its disks' serial numbers, which are truncated after migration.",
    upstreamId: "vmware.disk_serial.truncated",
    sourceNote: "disk_serial_numbers.rego: extraConfig disk.EnableUUID true and a SCSI disk",
    test: (vm) => vm.diskEnableUuid && vm.disks.some((d) => d.bus === "scsi"),
  }),
  forklift({
    id: "vmware.guestDisks.key.not_found",
    title: "Guest disk not mapped",
    severity: "info",
    appliesTo: "vm",
    text: "VMware Tools do not say which virtual disk this Windows drive lies on: its drive letter cannot name the volume.",
    upstreamId: "vmware.guestDisks.key.not_found",
    sourceNote: "guest_disk_mapping.rego: a Windows guest id and a guest disk without a disk key",
    test: (vm) =>
      (vm.guestOsId ?? "").toLowerCase().includes("windows")
        ? vm.guestFilesystems.filter((f) => f.diskKey === null || f.diskKey === "0").map((f) => f.path)
        : false,
  }),
];

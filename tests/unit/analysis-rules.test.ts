/**
 * Table-driven tests of every analysis rule (isolation CIS rules, Forklift/M2C VM rules, Kata
 * limitations): each rule fires on an input made for it and stays silent on a near miss that
 * differs minimally. Then the verdict logic of the migration analysis over parsed snapshots.
 */
import { describe, expect, it } from "vitest";
import { analyse } from "@/server/analysis/index";
import {
  inventoryFromSnapshots,
  type Inventory,
  type InventoryContainer,
  type InventoryHost,
  type InventoryVirtualMachine,
} from "@/server/analysis/inventory";
import { analyseIsolation } from "@/server/analysis/isolation";
import { analyseMigration, type MigrationResult, type Verdict } from "@/server/analysis/migration";
import {
  compileFootprints,
  DEFAULT_OS_FOOTPRINTS,
  DEFAULT_PARAMETERS,
  footprintOf,
  type Parameters,
} from "@/server/analysis/parameters";
import {
  CONTAINER_RULES,
  evaluate,
  KATA_RULES,
  RULE_LISTS,
  VM_RULES,
  type ContainerContext,
  type KataContext,
  type VmContext,
} from "@/server/analysis/rules";
import {
  containerSnapshot,
  hostSnapshot,
  parseSnapshot,
  virtualMachineSnapshot,
  type SnapshotInput,
} from "@/server/inventory/snapshot";

const MIB = 1024 * 1024;
const P = DEFAULT_PARAMETERS;
const withParameters = (over: Partial<Parameters>): Parameters => ({ ...DEFAULT_PARAMETERS, ...over });

// ---------------------------------------------------------------------------------------------
// Builders: baselines on which no rule of their list fires.
// ---------------------------------------------------------------------------------------------

function engineHost(over: Partial<InventoryHost> = {}): InventoryHost {
  return {
    ...hostSnapshot.parse({
      externalId: "engine-1",
      name: "docker01",
      role: "container-engine",
      platform: "docker",
      cpuCores: 8,
      memoryMiB: 32768,
      runtimes: ["runc", "kata"],
      defaultRuntime: "runc",
    }),
    key: "s:host:engine-1",
    customer: "acme",
    tenantLabel: "tenant",
    vmKey: null,
    vmLinkKey: null,
    ...over,
  };
}

function esxiHost(over: Partial<InventoryHost> = {}): InventoryHost {
  return {
    ...hostSnapshot.parse({
      externalId: "esx-1",
      name: "esx01",
      role: "hypervisor",
      platform: "esxi",
      cpuCores: 32,
      memoryMiB: 524288,
      cluster: "prod",
    }),
    key: "s:host:esx-1",
    customer: "acme",
    tenantLabel: "tenant",
    vmKey: null,
    vmLinkKey: null,
    ...over,
  };
}

/** A tidy container: limits set, non-root, read-only, no-new-privileges, default seccomp. */
function container(over: Partial<InventoryContainer> = {}): InventoryContainer {
  const externalId = over.externalId ?? "c-1";
  return {
    ...containerSnapshot.parse({
      externalId,
      name: "web",
      hostExternalId: "engine-1",
      image: "nginx:1.27",
      state: "running",
      runtime: "runc",
      user: "app",
      networkMode: "bridge",
      securityOptions: ["no-new-privileges"],
      seccompProfile: "default",
      noNewPrivileges: true,
      readOnlyRootfs: true,
      memoryLimitBytes: 256 * MIB,
      cpuShares: 512,
      pidsLimit: 100,
    }),
    key: `s:container:${externalId}`,
    customer: "acme",
    hostKey: "s:host:engine-1",
    imageKey: null,
    ...over,
  };
}

/** A tidy Linux VM (RHEL 9) on an ESXi host. */
function vm(over: Partial<InventoryVirtualMachine> = {}): InventoryVirtualMachine {
  return {
    ...virtualMachineSnapshot.parse({
      externalId: "vm-1",
      name: "web01",
      hostExternalId: "esx-1",
      uuid: "4221bbbb-0000-0000-0000-000000000001",
      powerState: "poweredOn",
      vcpus: 2,
      memoryMiB: 4096,
      provisionedMiB: 40960,
      usedMiB: 20480,
      guestDiskCapacityMiB: 40000,
      guestDiskFreeMiB: 20000,
      guestOsReported: "Red Hat Enterprise Linux 9.4 (Plow)",
      guestOsConfigured: "Red Hat Enterprise Linux 9 (64-bit)",
      guestOsId: "rhel9_64Guest",
      guestOsFamily: "linux",
      hostname: "web01.lab",
      ipAddresses: ["10.0.0.10"],
      macAddresses: ["00:50:56:aa:00:10"],
      nicCount: 1,
      cbtEnabled: true,
      disks: [{ key: "2000", capacityMiB: 40960, thin: true, datastore: "ds1" }],
    }),
    key: "s:vm:vm-1",
    customer: "acme",
    hostKey: "s:host:esx-1",
    ...over,
  };
}

const disk = (over: Partial<InventoryVirtualMachine["disks"][number]> = {}): InventoryVirtualMachine["disks"][number] => ({
  key: "2000",
  label: "Hard disk 1",
  capacityMiB: 40960,
  thin: true,
  mode: "persistent",
  rdm: "none",
  sharing: "none",
  datastore: "ds1",
  path: null,
  format: null,
  cbtEnabled: null,
  bus: null,
  ...over,
});

const bind = (source: string, type: "bind" | "volume" = "bind") => ({
  type,
  source,
  destination: "/mnt/x",
  readOnly: false,
  propagation: null,
});

// ---------------------------------------------------------------------------------------------
// Runners: the rule ids that fire on one object.
// ---------------------------------------------------------------------------------------------

const sortedIds = (findings: { ruleId: string }[]) => findings.map((f) => f.ruleId).sort();

function containerIds(over: Partial<InventoryContainer> = {}, ctx: Partial<ContainerContext> = {}): string[] {
  return sortedIds(evaluate(CONTAINER_RULES, container(over), { host: engineHost(), tenantsOnHost: [], ...ctx }));
}

/** Tenancy through analyseIsolation, so the context (tenants on the host) is computed, not given. */
function tenancyIds(target: Partial<InventoryContainer>, others: Partial<InventoryContainer>[], hostOver: Partial<InventoryHost> = {}): string[] {
  const inventory: Inventory = {
    hosts: [engineHost(hostOver)],
    virtualMachines: [],
    containers: [
      container({ ...target, externalId: "target", key: "s:container:target" }),
      ...others.map((o, i) => container({ ...o, externalId: `other-${i}`, key: `s:container:other-${i}`, name: `other-${i}` })),
    ],
    images: [],
  };
  const posture = analyseIsolation(inventory, P).containers.find((c) => c.key === "s:container:target")!;
  return sortedIds(posture.findings);
}

function vmIds(over: Partial<InventoryVirtualMachine> = {}, ctx: Partial<VmContext> = {}): string[] {
  const object = vm(over);
  const parameters = ctx.parameters ?? P;
  const footprint = footprintOf(object, compileFootprints(parameters.osFootprints));
  return sortedIds(evaluate(VM_RULES, object, { parameters, footprint, host: esxiHost(), engineHost: null, diskAttachmentCounts: new Map(), ...ctx }));
}

function kataIds(over: Partial<InventoryContainer> = {}, ctx: Partial<KataContext> = {}): string[] {
  return sortedIds(evaluate(KATA_RULES, container(over), { host: engineHost(), ...ctx }));
}

// ---------------------------------------------------------------------------------------------
// The table.
// ---------------------------------------------------------------------------------------------

type List = "container" | "vm" | "kata";

interface Case {
  list: List;
  rule: string;
  fires: boolean;
  input: string;
  run: () => string[];
  /** Other rules of the same list that must fire too (default: none). */
  also?: string[];
}

const fire = (list: List, rule: string, input: string, run: () => string[], also: string[] = []): Case => ({ list, rule, fires: true, input, run, also });
const silent = (list: List, rule: string, input: string, run: () => string[], also: string[] = []): Case => ({ list, rule, fires: false, input, run, also });

const TENANT = "tenants-share-kernel";

const CONTAINER_CASES: Case[] = [
  fire("container", TENANT, "tenant a and tenant b on one host", () => tenancyIds({ labels: { tenant: "a" } }, [{ labels: { tenant: "b" } }])),
  fire("container", TENANT, "explicit context with two tenants", () => containerIds({ labels: { tenant: "a" } }, { tenantsOnHost: ["a", "b"] })),
  silent("container", TENANT, "tenant a with unlabelled infra containers", () => tenancyIds({ labels: { tenant: "a" } }, [{ labels: {} }, { labels: { app: "proxy" } }])),
  silent("container", TENANT, "tenant b's container runs in io.containerd.kata.v2", () =>
    tenancyIds({ labels: { tenant: "a" } }, [{ labels: { tenant: "b" }, runtime: "io.containerd.kata.v2" }]),
  ),
  silent("container", TENANT, "the container itself runs in kata", () => tenancyIds({ labels: { tenant: "a" }, runtime: "kata" }, [{ labels: { tenant: "b" } }])),
  silent("container", TENANT, "blank tenant label value", () => tenancyIds({ labels: { tenant: "a" } }, [{ labels: { tenant: "  " } }])),
  fire("container", TENANT, "custom host tenantLabel 'customer-id'", () =>
    tenancyIds({ labels: { "customer-id": "a" } }, [{ labels: { "customer-id": "b" } }], { tenantLabel: "customer-id" }),
  ),
  silent("container", TENANT, "default 'tenant' label when the host names 'customer-id'", () =>
    tenancyIds({ labels: { tenant: "a" } }, [{ labels: { tenant: "b" } }], { tenantLabel: "customer-id" }),
  ),
  fire("container", "CIS-5.5", "privileged", () => containerIds({ privileged: true })),
  silent("container", "CIS-5.5", "not privileged, with a device", () => containerIds({ privileged: false, devices: ["/dev/fuse"] })),
  fire("container", "CIS-5.32", "bind /var/run/docker.sock", () => containerIds({ mounts: [bind("/var/run/docker.sock")] })),
  fire("container", "CIS-5.32", "bind /run/podman/podman.sock", () => containerIds({ mounts: [bind("/run/podman/podman.sock")] })),
  silent("container", "CIS-5.32", "bind /var/run/mydocker.sock", () => containerIds({ mounts: [bind("/var/run/mydocker.sock")] })),
  silent("container", "CIS-5.32", "volume named docker.sock", () => containerIds({ mounts: [bind("docker.sock", "volume")] })),
  fire("container", "CIS-5.6", "bind /etc", () => containerIds({ mounts: [bind("/etc")] })),
  fire("container", "CIS-5.6", "bind /etc/ (trailing slash)", () => containerIds({ mounts: [bind("/etc/")] })),
  fire("container", "CIS-5.6", "bind /", () => containerIds({ mounts: [bind("/")] })),
  silent("container", "CIS-5.6", "bind /etc/app", () => containerIds({ mounts: [bind("/etc/app")] })),
  silent("container", "CIS-5.6", "volume named etc", () => containerIds({ mounts: [bind("/etc", "volume")] })),
  fire("container", "CIS-5.4", "capAdd NET_ADMIN", () => containerIds({ capAdd: ["NET_ADMIN"] })),
  silent("container", "CIS-5.4", "capDrop only", () => containerIds({ capAdd: [], capDrop: ["NET_RAW"] })),
  fire("container", "CIS-5.10", "networkMode host", () => containerIds({ networkMode: "host" })),
  silent("container", "CIS-5.10", "networkMode none", () => containerIds({ networkMode: "none" })),
  fire("container", "CIS-5.16", "pidMode host", () => containerIds({ pidMode: "host" })),
  silent("container", "CIS-5.16", "pidMode container:abc", () => containerIds({ pidMode: "container:abc" })),
  fire("container", "CIS-5.17", "ipcMode host", () => containerIds({ ipcMode: "host" })),
  silent("container", "CIS-5.17", "ipcMode private", () => containerIds({ ipcMode: "private" })),
  fire("container", "CIS-5.21", "utsMode host", () => containerIds({ utsMode: "host" })),
  silent("container", "CIS-5.21", "utsMode empty", () => containerIds({ utsMode: "" })),
  fire("container", "CIS-5.31", "usernsMode host", () => containerIds({ usernsMode: "host" })),
  silent("container", "CIS-5.31", "usernsMode empty", () => containerIds({ usernsMode: "" })),
  fire("container", "CIS-5.22", "seccomp unconfined", () => containerIds({ seccompProfile: "unconfined" })),
  silent("container", "CIS-5.22", "seccomp custom", () => containerIds({ seccompProfile: "custom" })),
  fire("container", "CIS-4.1", "user null", () => containerIds({ user: null })),
  fire("container", "CIS-4.1", "user empty", () => containerIds({ user: "" })),
  fire("container", "CIS-4.1", "user 0:0", () => containerIds({ user: "0:0" })),
  fire("container", "CIS-4.1", "user root:app", () => containerIds({ user: "root:app" })),
  silent("container", "CIS-4.1", "user 1000", () => containerIds({ user: "1000" })),
  silent("container", "CIS-4.1", "user 1000:0 (root group only)", () => containerIds({ user: "1000:0" })),
  fire("container", "CIS-5.11", "memoryLimitBytes 0", () => containerIds({ memoryLimitBytes: 0 })),
  silent("container", "CIS-5.11", "memoryLimitBytes 1", () => containerIds({ memoryLimitBytes: 1 })),
  fire("container", "CIS-5.12", "cpuShares 0, no quota, no nanoCpus", () => containerIds({ cpuShares: 0 })),
  fire("container", "CIS-5.12", "cpuShares 1024 (the default)", () => containerIds({ cpuShares: 1024 })),
  silent("container", "CIS-5.12", "cpuShares 0 with nanoCpus 1", () => containerIds({ cpuShares: 0, nanoCpus: 1 })),
  silent("container", "CIS-5.12", "cpuShares 0 with cpuQuota 1", () => containerIds({ cpuShares: 0, cpuQuota: 1 })),
  silent("container", "CIS-5.12", "cpuShares 1023", () => containerIds({ cpuShares: 1023 })),
  fire("container", "CIS-5.29", "pidsLimit null", () => containerIds({ pidsLimit: null })),
  fire("container", "CIS-5.29", "pidsLimit -1", () => containerIds({ pidsLimit: -1 })),
  fire("container", "CIS-5.29", "pidsLimit 0", () => containerIds({ pidsLimit: 0 })),
  silent("container", "CIS-5.29", "pidsLimit 1", () => containerIds({ pidsLimit: 1 })),
  fire("container", "CIS-5.13", "readOnlyRootfs false", () => containerIds({ readOnlyRootfs: false })),
  silent("container", "CIS-5.13", "readOnlyRootfs true, a writable tmpfs", () =>
    containerIds({ mounts: [{ type: "tmpfs", source: null, destination: "/tmp", readOnly: false, propagation: null }] }),
  ),
  fire("container", "CIS-5.26", "noNewPrivileges false", () => containerIds({ noNewPrivileges: false })),
  silent("container", "CIS-5.26", "noNewPrivileges true", () => containerIds({ noNewPrivileges: true })),
];

const TOO_MANY = Array.from({ length: P.maxDisks + 1 }, (_, i) => disk({ key: `d${i}` }));

const VM_CASES: Case[] = [
  fire("vm", "container-host", "an engine host runs in it", () => vmIds({}, { engineHost: engineHost() })),
  silent("vm", "container-host", "no engine host", () => vmIds({}, { engineHost: null })),
  fire("vm", "not-linux", "Windows Server 2022", () =>
    vmIds({ guestOsReported: "Microsoft Windows Server 2022 (64-bit)", guestOsConfigured: null, guestOsId: null, guestOsFamily: "windows" }),
  ),
  silent("vm", "not-linux", "Windows Server 2022 with Windows container hosts", () =>
    vmIds(
      { guestOsReported: "Microsoft Windows Server 2022 (64-bit)", guestOsConfigured: null, guestOsId: null, guestOsFamily: "windows" },
      { parameters: withParameters({ windowsContainerHosts: true }) },
    ),
  ),
  fire("vm", "not-linux", "FreeBSD", () => vmIds({ guestOsReported: "FreeBSD 13.2", guestOsConfigured: null, guestOsId: null, guestOsFamily: "other" })),
  fire("vm", "not-linux", "no OS text, family other", () => vmIds({ guestOsReported: null, guestOsConfigured: null, guestOsId: null, guestOsFamily: "other" })),
  silent("vm", "not-linux", "no OS text, family linux", () => vmIds({ guestOsReported: null, guestOsConfigured: null, guestOsId: null, guestOsFamily: "linux" })),
  fire("vm", "unsupported-os", "no OS text, family unknown", () =>
    vmIds({ guestOsReported: null, guestOsConfigured: null, guestOsId: null, guestOsFamily: "unknown" }),
  ),
  fire("vm", "unsupported-os", "unmatched OS text, family unknown", () =>
    vmIds({ guestOsReported: "Plan 9", guestOsConfigured: null, guestOsId: null, guestOsFamily: "unknown" }),
  ),
  silent("vm", "unsupported-os", "unmatched OS text, family linux", () =>
    vmIds({ guestOsReported: "Plan 9", guestOsConfigured: null, guestOsId: null, guestOsFamily: "linux" }),
  ),
  silent("vm", "unsupported-os", "family unknown but a footprint matches", () => vmIds({ guestOsFamily: "unknown" })),
  fire("vm", "passthrough-device", "passthrough", () => vmIds({ passthrough: true })),
  silent("vm", "passthrough-device", "no passthrough", () => vmIds({ passthrough: false })),
  fire("vm", "invalid-disk-capacity", "disk capacity 0", () => vmIds({ disks: [disk({ capacityMiB: 0 })] })),
  silent("vm", "invalid-disk-capacity", "disk capacity 1", () => vmIds({ disks: [disk({ capacityMiB: 1 })] })),
  silent("vm", "invalid-disk-capacity", "RDM disk capacity 0", () => vmIds({ disks: [disk({ capacityMiB: 0, rdm: "physical" })] }), ["rdm-disk"]),
  silent("vm", "invalid-disk-capacity", "disk capacity unknown (null)", () => vmIds({ disks: [disk({ capacityMiB: null })] }), ["disk-capacity-unknown"]),
  fire("vm", "disk-capacity-unknown", "disk capacity null", () => vmIds({ disks: [disk({ capacityMiB: null })] })),
  silent("vm", "disk-capacity-unknown", "disk capacity 0 (reported)", () => vmIds({ disks: [disk({ capacityMiB: 0 })] }), ["invalid-disk-capacity"]),
  fire("vm", "datastore-missing", "no datastore on ESXi", () => vmIds({ disks: [disk({ datastore: null })] })),
  silent("vm", "datastore-missing", "no datastore on KVM", () => vmIds({ disks: [disk({ datastore: null })] }, { host: esxiHost({ platform: "kvm" }) })),
  silent("vm", "datastore-missing", "no datastore, RDM disk", () => vmIds({ disks: [disk({ datastore: null, rdm: "virtual" })] }), ["rdm-disk"]),
  fire("vm", "guest-disk-free-space-too-low", "9.9% free", () => vmIds({ guestDiskCapacityMiB: 1000, guestDiskFreeMiB: 99 })),
  silent("vm", "guest-disk-free-space-too-low", "10% free", () => vmIds({ guestDiskCapacityMiB: 1000, guestDiskFreeMiB: 100 })),
  silent("vm", "guest-disk-free-space-too-low", "free space unknown", () => vmIds({ guestDiskCapacityMiB: 1000, guestDiskFreeMiB: null })),
  fire("vm", "shared-disk", "multi-writer disk", () => vmIds({ disks: [disk({ sharing: "multi-writer" })] })),
  silent("vm", "shared-disk", "unshared disk", () => vmIds({ disks: [disk({ sharing: "none" })] })),
  fire("vm", "tpm", "vTPM", () => vmIds({ tpm: true })),
  silent("vm", "tpm", "no vTPM", () => vmIds({ tpm: false })),
  fire("vm", "sriov-device", "SR-IOV", () => vmIds({ sriov: true })),
  silent("vm", "sriov-device", "no SR-IOV", () => vmIds({ sriov: false })),
  fire("vm", "large-memory", "threshold + 1 MiB", () => vmIds({ memoryMiB: P.containerMaxMemoryMiB + 1 })),
  silent("vm", "large-memory", "exactly the threshold", () => vmIds({ memoryMiB: P.containerMaxMemoryMiB })),
  fire("vm", "rdm-disk", "physical RDM", () => vmIds({ disks: [disk(), disk({ key: "2001", rdm: "physical" })] })),
  silent("vm", "rdm-disk", "two ordinary disks", () => vmIds({ disks: [disk(), disk({ key: "2001" })] })),
  fire("vm", "independent-disk", "independent_nonpersistent", () => vmIds({ disks: [disk({ mode: "independent_nonpersistent" })] })),
  silent("vm", "independent-disk", "nonpersistent", () => vmIds({ disks: [disk({ mode: "nonpersistent" })] })),
  fire("vm", "too-many-disks", "maxDisks + 1 disks", () => vmIds({ disks: TOO_MANY })),
  silent("vm", "too-many-disks", "maxDisks disks", () => vmIds({ disks: TOO_MANY.slice(1) })),
  fire("vm", "changed-block-tracking-disabled", "CBT false", () => vmIds({ cbtEnabled: false })),
  silent("vm", "changed-block-tracking-disabled", "CBT unknown", () => vmIds({ cbtEnabled: null })),
  fire("vm", "consolidation-needed", "consolidation needed", () => vmIds({ consolidationNeeded: true })),
  silent("vm", "consolidation-needed", "no consolidation needed", () => vmIds({ consolidationNeeded: false })),
  fire("vm", "cpu-affinity", "CPU affinity", () => vmIds({ cpuAffinity: true })),
  silent("vm", "cpu-affinity", "no CPU affinity", () => vmIds({ cpuAffinity: false })),
  fire("vm", "hot-plug", "CPU hot-add", () => vmIds({ cpuHotAdd: true })),
  fire("vm", "hot-plug", "memory hot-add", () => vmIds({ memoryHotAdd: true })),
  silent("vm", "hot-plug", "no hot-add", () => vmIds({ cpuHotAdd: false, memoryHotAdd: false })),
  fire("vm", "usb-controller", "USB controller", () => vmIds({ usbController: true })),
  silent("vm", "usb-controller", "no USB controller", () => vmIds({ usbController: false })),
  fire("vm", "empty-hostname", "hostname localhost.localdomain", () => vmIds({ hostname: "localhost.localdomain" })),
  fire("vm", "empty-hostname", "hostname null", () => vmIds({ hostname: null })),
  fire("vm", "empty-hostname", "hostname blank", () => vmIds({ hostname: "  " })),
  silent("vm", "empty-hostname", "hostname localhost-web01", () => vmIds({ hostname: "localhost-web01" })),
  silent("vm", "empty-hostname", "hostname null, powered off", () => vmIds({ hostname: null, powerState: "poweredOff" })),
  fire("vm", "no-ip", "no IP, powered on", () => vmIds({ ipAddresses: [] })),
  silent("vm", "no-ip", "no IP, powered off", () => vmIds({ ipAddresses: [], powerState: "poweredOff" })),
  fire("vm", "invalid-vm-name", "web_01", () => vmIds({ name: "web_01" })),
  fire("vm", "invalid-vm-name", "Web01 (upper case)", () => vmIds({ name: "Web01" })),
  fire("vm", "invalid-vm-name", "64 characters", () => vmIds({ name: "a".repeat(64) })),
  fire("vm", "invalid-vm-name", "ends with -", () => vmIds({ name: "web-" })),
  silent("vm", "invalid-vm-name", "63 characters", () => vmIds({ name: "a".repeat(63) })),
  silent("vm", "invalid-vm-name", "web-01", () => vmIds({ name: "web-01" })),
  fire("vm", "database-in-guest", "name mongo-01", () => vmIds({ name: "mongo-01" })),
  fire("vm", "database-in-guest", "name orders-db", () => vmIds({ name: "orders-db" })),
  fire("vm", "database-in-guest", "annotation PostgreSQL primary", () => vmIds({ annotation: "PostgreSQL primary" })),
  silent("vm", "database-in-guest", "name mongoose-01", () => vmIds({ name: "mongoose-01" })),
  silent("vm", "database-in-guest", "annotation 'web front end'", () => vmIds({ annotation: "web front end" })),
  fire("vm", "multiple-nics", "nicCount 2", () => vmIds({ nicCount: 2 })),
  fire("vm", "multiple-nics", "nicCount unknown, two MACs", () => vmIds({ nicCount: null, macAddresses: ["00:50:56:aa:00:10", "00:50:56:aa:00:11"] })),
  silent("vm", "multiple-nics", "nicCount 1", () => vmIds({ nicCount: 1 })),
  silent("vm", "multiple-nics", "nicCount 1 wins over two MACs", () => vmIds({ nicCount: 1, macAddresses: ["00:50:56:aa:00:10", "00:50:56:aa:00:11"] })),
  fire("vm", "snapshot-present", "one snapshot", () => vmIds({ snapshotCount: 1 })),
  silent("vm", "snapshot-present", "no snapshot", () => vmIds({ snapshotCount: 0 })),
];

const KATA_CASES: Case[] = [
  fire("kata", "kata-host-network", "networkMode host", () => kataIds({ networkMode: "host" })),
  silent("kata", "kata-host-network", "networkMode none", () => kataIds({ networkMode: "none" })),
  fire("kata", "kata-container-network", "networkMode container:abc", () => kataIds({ networkMode: "container:abc" })),
  silent("kata", "kata-container-network", "user network 'containers-net'", () => kataIds({ networkMode: "containers-net" })),
  fire("kata", "kata-host-devices", "privileged", () => kataIds({ privileged: true })),
  fire("kata", "kata-host-devices", "a host device", () => kataIds({ devices: ["/dev/fuse:/dev/fuse:rwm"] })),
  silent("kata", "kata-host-devices", "capabilities but no device", () => kataIds({ capAdd: ["SYS_ADMIN"], devices: [] })),
  fire("kata", "kata-engine-socket", "bind /var/run/docker.sock", () => kataIds({ mounts: [bind("/var/run/docker.sock")] })),
  silent("kata", "kata-engine-socket", "bind /var/run/mydocker.sock", () => kataIds({ mounts: [bind("/var/run/mydocker.sock")] })),
  silent("kata", "kata-engine-socket", "volume named docker.sock", () => kataIds({ mounts: [bind("docker.sock", "volume")] })),
  fire("kata", "kata-host-pid", "pidMode host", () => kataIds({ pidMode: "host" })),
  silent("kata", "kata-host-pid", "pidMode container:abc", () => kataIds({ pidMode: "container:abc" })),
  fire("kata", "kata-host-ipc", "ipcMode host", () => kataIds({ ipcMode: "host" })),
  silent("kata", "kata-host-ipc", "ipcMode shareable", () => kataIds({ ipcMode: "shareable" })),
  fire("kata", "kata-podman", "Podman host", () => kataIds({}, { host: engineHost({ platform: "podman" }) })),
  silent("kata", "kata-podman", "Docker host", () => kataIds({}, { host: engineHost({ platform: "docker" }) })),
  fire("kata", "kata-security-options", "label=disable", () => kataIds({ securityOptions: ["no-new-privileges", "label=disable"] })),
  fire("kata", "kata-security-options", "apparmor=unconfined", () => kataIds({ securityOptions: ["apparmor=unconfined"] })),
  silent("kata", "kata-security-options", "no-new-privileges:true and a seccomp profile", () =>
    kataIds({ securityOptions: ["no-new-privileges:true", "seccomp=/etc/docker/seccomp.json"] }),
  ),
  fire("kata", "kata-runtime-missing", "runtimes runc only", () => kataIds({}, { host: engineHost({ runtimes: ["runc"] }) })),
  silent("kata", "kata-runtime-missing", "runtimes runc, io.containerd.kata.v2", () => kataIds({}, { host: engineHost({ runtimes: ["runc", "io.containerd.kata.v2"] }) })),
  silent("kata", "kata-runtime-missing", "host unknown", () => kataIds({}, { host: null })),
];

const CASES = [...CONTAINER_CASES, ...VM_CASES, ...KATA_CASES];
const RULES_OF: Record<List, readonly { id: string }[]> = RULE_LISTS;

describe("rule baselines", () => {
  it("the tidy container sets off no container rule", () => {
    expect(containerIds()).toEqual([]);
  });
  it("the tidy container, alone or with infra containers, has no isolation finding", () => {
    expect(tenancyIds({}, [{}, {}])).toEqual([]);
  });
  it("the tidy Linux VM sets off no VM rule", () => {
    expect(vmIds()).toEqual([]);
  });
  it("the tidy container on a Docker host with Kata installed sets off no Kata rule", () => {
    expect(kataIds()).toEqual([]);
  });
});

describe.each(["container", "vm", "kata"] as const)("%s rules", (list) => {
  it.each(CASES.filter((c) => c.list === list).map((c) => ({ ...c, verb: c.fires ? "fires on" : "is silent on" })))(
    "$rule $verb $input",
    ({ rule, fires, run, also }) => {
      const ids = run();
      if (fires) expect(ids).toContain(rule);
      else expect(ids).not.toContain(rule);
      // Nothing else of the list: the input differs from the baseline only where it must.
      expect(ids).toEqual([...(fires ? [rule] : []), ...(also ?? [])].sort());
    },
  );
});

describe("rule lists", () => {
  it("every rule id is unique across the container, VM and Kata lists", () => {
    const ids = [...CONTAINER_RULES, ...VM_RULES, ...KATA_RULES].map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("every rule of every list has a case where it fires and a near miss where it is silent", () => {
    for (const list of ["container", "vm", "kata"] as const) {
      const listed = RULES_OF[list].map((r) => r.id).sort();
      const firing = [...new Set(CASES.filter((c) => c.list === list && c.fires).map((c) => c.rule))].sort();
      const silentOn = [...new Set(CASES.filter((c) => c.list === list && !c.fires).map((c) => c.rule))].sort();
      expect(firing, `${list}: rules firing in the table`).toEqual(listed);
      expect(silentOn, `${list}: rules with a near miss in the table`).toEqual(listed);
    }
  });

  it("every rule carries a title, a text and a source, and a known severity", () => {
    for (const rule of [...CONTAINER_RULES, ...VM_RULES, ...KATA_RULES]) {
      expect(rule.title.length, rule.id).toBeGreaterThan(0);
      expect(rule.text.length, rule.id).toBeGreaterThan(0);
      expect(rule.source.name.length, rule.id).toBeGreaterThan(0);
      expect(rule.source.doc, rule.id).toMatch(/^docs\/domain\.md#[a-z-]+$/);
      expect(["critical", "warning", "info"]).toContain(rule.severity);
    }
  });

  it("the rules that expose a container (cross the shared kernel) are the tenancy finding and ten CIS items", () => {
    const exposing = [...CONTAINER_RULES, ...VM_RULES, ...KATA_RULES].filter((r) => r.exposes).map((r) => r.id).sort();
    expect(exposing).toEqual(
      [TENANT, "CIS-5.5", "CIS-5.32", "CIS-5.6", "CIS-5.4", "CIS-5.10", "CIS-5.16", "CIS-5.17", "CIS-5.21", "CIS-5.31", "CIS-5.22"].sort(),
    );
  });

  it("findings carry the detail a rule returns", () => {
    const [capabilities] = evaluate(CONTAINER_RULES, container({ capAdd: ["SYS_ADMIN", "NET_ADMIN"] }), { host: engineHost(), tenantsOnHost: [] });
    expect(capabilities).toMatchObject({ ruleId: "CIS-5.4", severity: "warning", objectKind: "container", objectKey: "s:container:c-1", objectName: "web", customer: "acme", detail: "SYS_ADMIN, NET_ADMIN" });
    const [privileged] = evaluate(CONTAINER_RULES, container({ privileged: true }), { host: engineHost(), tenantsOnHost: [] });
    expect(privileged).toMatchObject({ ruleId: "CIS-5.5", detail: null });
    const [tenants] = evaluate(CONTAINER_RULES, container({ labels: { tenant: "a" } }), { host: engineHost(), tenantsOnHost: ["a", "b"] });
    expect(tenants).toMatchObject({ ruleId: TENANT, detail: "a, b" });
  });
});

// ---------------------------------------------------------------------------------------------
// Verdicts over parsed snapshots.
// ---------------------------------------------------------------------------------------------

type VmInput = NonNullable<SnapshotInput["virtualMachines"]>[number];
type ContainerInput = NonNullable<SnapshotInput["containers"]>[number];
type HostInput = NonNullable<SnapshotInput["hosts"]>[number];

const COLLECTED_AT = "2026-11-01T10:00:00.000Z";
const RHEL = DEFAULT_OS_FOOTPRINTS.find((f) => f.label === "RHEL 9")!;
const WINDOWS_2022 = DEFAULT_OS_FOOTPRINTS.find((f) => f.label === "Windows Server 2022")!;

const esxiInput = (): HostInput => ({
  externalId: "esx-1",
  name: "esx01",
  role: "hypervisor",
  platform: "esxi",
  cpuCores: 32,
  memoryMiB: 524288,
  cluster: "prod",
});

let vmSerial = 0;
function vmInput(name: string, over: Partial<VmInput> = {}): VmInput {
  vmSerial++;
  return {
    externalId: `vm-${name}`,
    name,
    hostExternalId: "esx-1",
    uuid: `4221bbbb-0000-0000-0000-${String(vmSerial).padStart(12, "0")}`,
    powerState: "poweredOn",
    vcpus: 2,
    memoryMiB: 8192,
    provisionedMiB: 81920,
    guestDiskCapacityMiB: 40000,
    guestDiskFreeMiB: 20000,
    guestOsReported: "Red Hat Enterprise Linux 9.4 (Plow)",
    guestOsFamily: "linux",
    hostname: `${name}.lab`,
    ipAddresses: [`10.0.${Math.floor(vmSerial / 250)}.${vmSerial % 250}`],
    nicCount: 1,
    cbtEnabled: true,
    disks: [{ key: "2000", capacityMiB: 81920, datastore: "ds1" }],
    ...over,
  };
}

const WINDOWS: Partial<VmInput> = { guestOsReported: "Microsoft Windows Server 2022 (64-bit)", guestOsFamily: "windows" };

function containerInput(name: string, over: Partial<ContainerInput> = {}): ContainerInput {
  return {
    externalId: `c-${name}`,
    name,
    hostExternalId: "dock-1",
    image: "nginx:1.27",
    state: "running",
    runtime: "runc",
    user: "app",
    networkMode: "bridge",
    memoryLimitBytes: 256 * MIB,
    ...over,
  };
}

function verdictSnapshots(): SnapshotInput[] {
  return [
    {
      collectedAt: COLLECTED_AT,
      hosts: [esxiInput()],
      virtualMachines: [
        vmInput("web01"),
        vmInput("sriov01", { sriov: true }),
        vmInput("win01", WINDOWS),
        vmInput("docker01", { uuid: "4221AAAA-0000-0000-0000-000000000001" }),
        vmInput("tpl-rhel9", { template: true, powerState: "poweredOff" }),
        vmInput("off01", { powerState: "poweredOff", ipAddresses: [] }),
        vmInput("offsriov01", { powerState: "poweredOff", sriov: true }),
      ],
    },
    {
      collectedAt: COLLECTED_AT,
      hosts: [
        {
          externalId: "dock-in-vm",
          name: "docker01",
          role: "container-engine",
          platform: "docker",
          cpuCores: 2,
          memoryMiB: 8192,
          hardwareUuid: "4221aaaa-0000-0000-0000-000000000001",
          runtimes: ["runc"],
        },
        {
          externalId: "dock-1",
          name: "dock01",
          role: "container-engine",
          platform: "docker",
          cpuCores: 16,
          memoryMiB: 65536,
          runtimes: ["runc", "kata"],
        },
      ],
      containers: [
        containerInput("exposed", { capAdd: ["NET_ADMIN"] }),
        containerInput("exposed-stopped", { capAdd: ["NET_ADMIN"], state: "exited" }),
        containerInput("hostnet", { networkMode: "host" }),
        containerInput("quiet"),
        containerInput("in-kata", { capAdd: ["NET_ADMIN"], runtime: "io.containerd.kata.v2" }),
      ],
    },
  ];
}

function inventoryOf(snapshots: SnapshotInput[], customer = "acme"): Inventory {
  return inventoryFromSnapshots(snapshots.map((s, i) => ({ snapshot: parseSnapshot(s), customer, prefix: String(i) })));
}

const verdictOf = (result: MigrationResult, name: string): Verdict => {
  const found = result.verdicts.filter((v) => v.name === name);
  expect(found, `one verdict for ${name}`).toHaveLength(1);
  return found[0]!;
};

describe("migration verdicts (analyse over parsed snapshots)", () => {
  const result = analyse(inventoryOf(verdictSnapshots()), P).migration;

  it("a Linux VM with no finding moves to a container and saves its OS footprint", () => {
    const v = verdictOf(result, "web01");
    expect(v).toMatchObject({ kind: "vm", verdict: "to-container", ruleIds: [], os: "RHEL 9", hostName: "esx01", cluster: "prod" });
    expect(v.saving).toEqual({ ramMiB: RHEL.ramMiB, diskMiB: RHEL.diskMiB, cpuMillis: 0 });
  });

  it("a Linux VM with SR-IOV moves to Kata, net of Kata's overhead", () => {
    const v = verdictOf(result, "sriov01");
    expect(v.verdict).toBe("to-kata");
    expect(v.ruleIds).toEqual(["sriov-device"]);
    expect(v.saving).toEqual({ ramMiB: RHEL.ramMiB - P.kataOverheadMemoryMiB, diskMiB: RHEL.diskMiB, cpuMillis: -250 });
  });

  it("a Windows VM stays a VM, with no saving", () => {
    const v = verdictOf(result, "win01");
    expect(v.verdict).toBe("stay-vm");
    expect(v.ruleIds).toContain("not-linux");
    expect(v.saving).toEqual({ ramMiB: 0, diskMiB: 0, cpuMillis: 0 });
  });

  it("a Windows VM moves to a container when the customer has Windows container hosts", () => {
    const withWindows = analyse(inventoryOf(verdictSnapshots()), withParameters({ windowsContainerHosts: true })).migration;
    const v = verdictOf(withWindows, "win01");
    expect(v.verdict).toBe("to-container");
    expect(v.ruleIds).not.toContain("not-linux");
    expect(v.saving).toEqual({ ramMiB: WINDOWS_2022.ramMiB, diskMiB: WINDOWS_2022.diskMiB, cpuMillis: 0 });
  });

  it("a VM an engine host runs in (hardware UUID = VM UUID, any case) stays a VM: it is a container host", () => {
    const v = verdictOf(result, "docker01");
    expect(v.verdict).toBe("stay-vm");
    expect(v.ruleIds).toContain("container-host");
    expect(v.findings.find((f) => f.ruleId === "container-host")?.detail).toBe("docker01 (docker)");
    expect(v.saving).toEqual({ ramMiB: 0, diskMiB: 0, cpuMillis: 0 });
  });

  it("templates get no verdict", () => {
    expect(result.verdicts.map((v) => v.name)).not.toContain("tpl-rhel9");
  });

  it("a powered-off VM that moves saves disk but no RAM", () => {
    const v = verdictOf(result, "off01");
    expect(v.verdict).toBe("to-container");
    expect(v.saving).toEqual({ ramMiB: 0, diskMiB: RHEL.diskMiB, cpuMillis: 0 });
  });

  it("a powered-off VM that moves to Kata pays no running overhead", () => {
    const v = verdictOf(result, "offsriov01");
    expect(v.verdict).toBe("to-kata");
    expect(v.saving).toEqual({ ramMiB: 0, diskMiB: RHEL.diskMiB, cpuMillis: 0 });
  });

  it("an exposed container (capAdd) on a Docker host moves to Kata and costs Kata's overhead", () => {
    const v = verdictOf(result, "exposed");
    expect(v).toMatchObject({ kind: "container", verdict: "to-kata", hostName: "dock01" });
    expect(v.ruleIds).toContain("CIS-5.4");
    expect(v.saving).toEqual({ ramMiB: -P.kataOverheadMemoryMiB, diskMiB: 0, cpuMillis: -P.kataOverheadCpuMillis });
    expect(v.saving.ramMiB).toBeLessThan(0);
  });

  it("an exposed container that is not running moves to Kata at no running cost", () => {
    const v = verdictOf(result, "exposed-stopped");
    expect(v.verdict).toBe("to-kata");
    expect(v.saving).toEqual({ ramMiB: 0, diskMiB: 0, cpuMillis: 0 });
  });

  it("an exposed container on the host network stays: Kata cannot give it the host network", () => {
    const v = verdictOf(result, "hostnet");
    expect(v.verdict).toBe("stay");
    expect(v.ruleIds).toEqual(expect.arrayContaining(["CIS-5.10", "kata-host-network"]));
  });

  it("a container with no exposing finding stays", () => {
    const v = verdictOf(result, "quiet");
    expect(v.verdict).toBe("stay");
    expect(v.saving).toEqual({ ramMiB: 0, diskMiB: 0, cpuMillis: 0 });
  });

  it("a container already in io.containerd.kata.v2 stays", () => {
    const v = verdictOf(result, "in-kata");
    expect(v.verdict).toBe("stay");
    expect(v.ruleIds.some((id) => id.startsWith("kata-"))).toBe(false);
  });

  it("totals count the verdicts and sum the savings of what moves", () => {
    // VMs: web01, off01 → to-container; sriov01, offsriov01 → to-kata; win01, docker01 → stay-vm.
    // Containers: exposed, exposed-stopped → to-kata; hostnet, quiet, in-kata → stay.
    expect(result.totals.verdicts).toEqual({ "to-container": 2, "to-kata": 4, "stay-vm": 2, stay: 3 });
    const ram = RHEL.ramMiB + 0 + (RHEL.ramMiB - P.kataOverheadMemoryMiB) + 0 - P.kataOverheadMemoryMiB + 0;
    expect(result.totals.ramSavedMiB).toBe(ram);
    expect(result.totals.diskSavedMiB).toBe(4 * RHEL.diskMiB);
    // Kata overhead is paid by what runs: sriov01 and the running exposed container.
    expect(result.totals.kataOverheadMiB).toBe(2 * P.kataOverheadMemoryMiB);
    // Split for people: what the VMs save, and what isolating the exposed container costs.
    expect(result.totals.vmRamSavedMiB).toBe(RHEL.ramMiB + RHEL.ramMiB - P.kataOverheadMemoryMiB);
    expect(result.totals.containerKataCostMiB).toBe(P.kataOverheadMemoryMiB);
    expect(result.totals.vmRamSavedMiB - result.totals.containerKataCostMiB).toBe(result.totals.ramSavedMiB);
  });

  it("analyseMigration gives the same verdicts when handed the isolation postures", () => {
    const inventory = inventoryOf(verdictSnapshots());
    const direct = analyseMigration(inventory, P, analyseIsolation(inventory, P).containers);
    expect(direct.verdicts.map((v) => [v.name, v.verdict])).toEqual(result.verdicts.map((v) => [v.name, v.verdict]));
  });

  it("without postures a container has no exposing finding and stays", () => {
    const inventory = inventoryOf(verdictSnapshots());
    const direct = analyseMigration(inventory, P, []);
    expect(verdictOf(direct, "exposed").verdict).toBe("stay");
  });

  it("packing frees hosts from the moved VMs' OS copies", () => {
    // Three hosts of 4 cores and 16 GiB; three clean RHEL VMs of 11,500 MiB.
    const hosts: HostInput[] = [1, 2, 3].map((i) => ({
      externalId: `esx-${i}`,
      name: `esx0${i}`,
      role: "hypervisor",
      platform: "esxi",
      cpuCores: 4,
      memoryMiB: 16384,
      cluster: "small",
    }));
    const vms = [1, 2, 3].map((i) => vmInput(`app0${i}`, { hostExternalId: `esx-${i}`, memoryMiB: 11500, vcpus: 4 }));
    const packed = analyse(inventoryOf([{ collectedAt: COLLECTED_AT, hosts, virtualMachines: vms }]), P).migration;
    expect(packed.verdicts.map((v) => v.verdict)).toEqual(["to-container", "to-container", "to-container"]);
    // Now: 34,500 MiB needs 3 hosts (2 give 32,768). After: 34,500 - 3 × 1,536 = 29,892 fits on 2.
    expect(packed.packing).toEqual([{ customer: "acme", cluster: "small", hosts: 3, neededNow: 3, neededAfter: 2, hostsFreed: 1 }]);
    expect(packed.totals.hostsFreed).toBe(1);
  });

  it("a Windows VM with Windows container hosts never moves to Kata (Kata runs Linux guests only)", () => {
    const snapshots: SnapshotInput[] = [
      {
        collectedAt: COLLECTED_AT,
        hosts: [esxiInput()],
        virtualMachines: [
          vmInput("winbig01", { ...WINDOWS, memoryMiB: P.containerMaxMemoryMiB + 1024 }),
          vmInput("winsriov01", { ...WINDOWS, sriov: true }),
        ],
      },
    ];
    const migration = analyse(inventoryOf(snapshots), withParameters({ windowsContainerHosts: true })).migration;
    expect(verdictOf(migration, "winbig01").verdict).not.toBe("to-kata");
    expect(verdictOf(migration, "winsriov01").verdict).not.toBe("to-kata");
  });
});

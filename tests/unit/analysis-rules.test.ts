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
import { kataOverheadFor } from "@/server/analysis/kata-overhead";
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
      securityOptions: ["name=apparmor", "name=seccomp,profile=builtin"],
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

/** A tidy container: limits set, non-root, read-only, no-new-privileges, default seccomp and AppArmor, healthy. */
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
      securityOptions: ["no-new-privileges", "apparmor=docker-default"],
      apparmorProfile: "docker-default",
      seccompProfile: "default",
      noNewPrivileges: true,
      readOnlyRootfs: true,
      memoryLimitBytes: 256 * MIB,
      cpuShares: 512,
      pidsLimit: 100,
      health: "healthy",
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
    guests: [],
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
];

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
  // Forklift's supported-OS list has no FreeBSD either.
  fire("vm", "not-linux", "FreeBSD", () => vmIds({ guestOsReported: "FreeBSD 13.2", guestOsConfigured: null, guestOsId: null, guestOsFamily: "other" }), [
    "vmware.os.unsupported",
  ]),
  fire("vm", "not-linux", "no OS text, family other", () => vmIds({ guestOsReported: null, guestOsConfigured: null, guestOsId: null, guestOsFamily: "other" })),
  silent("vm", "not-linux", "no OS text, family linux", () => vmIds({ guestOsReported: null, guestOsConfigured: null, guestOsId: null, guestOsFamily: "linux" })),
  fire("vm", "guest-os-unknown", "no OS text, no guest id, family unknown", () =>
    vmIds({ guestOsReported: null, guestOsConfigured: null, guestOsId: null, guestOsFamily: "unknown" }),
  ),
  // Forklift warns on an id it does not list; the family is still unknown: no verdict can rest on it.
  fire("vm", "guest-os-unknown", "otherGuest64, 'Other (64-bit)', no Tools", () =>
    vmIds({ guestOsReported: null, guestOsConfigured: "Other (64-bit)", guestOsId: "otherGuest64", guestOsFamily: "unknown" }),
    ["vmware.os.unsupported"],
  ),
  silent("vm", "guest-os-unknown", "no OS text but a guest id that names Linux", () =>
    vmIds({ guestOsReported: null, guestOsConfigured: null, guestOsId: "rhel9_64Guest", guestOsFamily: "unknown" }),
  ),
  silent("vm", "guest-os-unknown", "family unknown but a footprint matches", () => vmIds({ guestOsFamily: "unknown" })),
  fire("vm", "disk-capacity-unknown", "disk capacity null", () => vmIds({ disks: [disk({ capacityMiB: null })] })),
  silent("vm", "disk-capacity-unknown", "disk capacity 0 (reported: Forklift's rule)", () => vmIds({ disks: [disk({ capacityMiB: 0 })] }), ["vmware.disk.capacity.invalid"]),
  silent("vm", "disk-capacity-unknown", "RDM disk capacity null (a LUN, not a file)", () => vmIds({ disks: [disk({ capacityMiB: null, rdm: "physical" })] }), ["vmware.disk.rdm.detected"]),
  fire("vm", "large-memory", "threshold + 1 MiB", () => vmIds({ memoryMiB: P.containerMaxMemoryMiB + 1 })),
  silent("vm", "large-memory", "exactly the threshold", () => vmIds({ memoryMiB: P.containerMaxMemoryMiB })),
  fire("vm", "database-in-guest", "name mongo-01", () => vmIds({ name: "mongo-01" })),
  fire("vm", "database-in-guest", "name orders-db", () => vmIds({ name: "orders-db" })),
  fire("vm", "database-in-guest", "annotation PostgreSQL primary", () => vmIds({ annotation: "PostgreSQL primary" })),
  silent("vm", "database-in-guest", "name mongoose-01", () => vmIds({ name: "mongoose-01" })),
  silent("vm", "database-in-guest", "annotation 'web front end'", () => vmIds({ annotation: "web front end" })),
  fire("vm", "multiple-nics", "nicCount 2", () => vmIds({ nicCount: 2 })),
  fire("vm", "multiple-nics", "nicCount unknown, two MACs", () => vmIds({ nicCount: null, macAddresses: ["00:50:56:aa:00:10", "00:50:56:aa:00:11"] })),
  silent("vm", "multiple-nics", "nicCount 1", () => vmIds({ nicCount: 1 })),
  silent("vm", "multiple-nics", "nicCount 1 wins over two MACs", () => vmIds({ nicCount: 1, macAddresses: ["00:50:56:aa:00:10", "00:50:56:aa:00:11"] })),
];

// Kata's limitations as Limitations.md has them; tests/unit/kata-rules.test.ts has more cases per rule.
const KATA_CASES: Case[] = [
  fire("kata", "kata-host-network", "networkMode host", () => kataIds({ networkMode: "host" })),
  silent("kata", "kata-host-network", "networkMode none", () => kataIds({ networkMode: "none" })),
  fire("kata", "kata-container-network", "networkMode container:abc", () => kataIds({ networkMode: "container:abc" })),
  silent("kata", "kata-container-network", "user network 'containers-net'", () => kataIds({ networkMode: "containers-net" })),
  fire("kata", "kata-link", "--link db", () => kataIds({ links: ["/db:/web/db"] })),
  silent("kata", "kata-link", "no links", () => kataIds({ links: [] })),
  fire("kata", "kata-pid-container", "pidMode container:abc", () => kataIds({ pidMode: "container:abc" })),
  silent("kata", "kata-pid-container", "pidMode private", () => kataIds({ pidMode: "private" })),
  fire("kata", "kata-ipc-container", "ipcMode container:abc", () => kataIds({ ipcMode: "container:abc" })),
  silent("kata", "kata-ipc-container", "ipcMode shareable", () => kataIds({ ipcMode: "shareable" })),
  fire("kata", "kata-host-devices", "a host device", () => kataIds({ devices: ["/dev/fuse:/dev/fuse:rwm"] })),
  silent("kata", "kata-host-devices", "capabilities but no device", () => kataIds({ capAdd: ["SYS_ADMIN"], devices: [] })),
  silent("kata", "kata-host-devices", "privileged (runs with the guest's devices)", () => kataIds({ privileged: true }), ["kata-privileged-guest"]),
  fire("kata", "kata-privileged-guest", "privileged", () => kataIds({ privileged: true })),
  silent("kata", "kata-privileged-guest", "not privileged, SYS_ADMIN added", () => kataIds({ capAdd: ["SYS_ADMIN"] })),
  fire("kata", "kata-gpu", "--gpus all", () => kataIds({ devices: ["request=nvidia:all:gpu"] })),
  silent("kata", "kata-gpu", "a non-GPU device", () => kataIds({ devices: ["/dev/fuse:/dev/fuse:rwm"] }), ["kata-host-devices"]),
  fire("kata", "kata-proc-mount", "bind onto /proc/sys", () => kataIds({ mounts: [{ ...bind("/proc/sys"), destination: "/proc/sys" }] })),
  silent("kata", "kata-proc-mount", "bind onto /proc/meminfo (allowed: LXCFS)", () =>
    kataIds({ mounts: [{ ...bind("/var/lib/lxcfs/proc/meminfo"), destination: "/proc/meminfo" }] }),
  ),
  fire("kata", "kata-engine-socket", "bind /var/run/docker.sock", () => kataIds({ mounts: [bind("/var/run/docker.sock")] })),
  // docker-bench 5.32 matches docker.sock anywhere in the mounts; so does this rule (mydocker.sock too).
  fire("kata", "kata-engine-socket", "bind /var/run/mydocker.sock", () => kataIds({ mounts: [bind("/var/run/mydocker.sock")] })),
  silent("kata", "kata-engine-socket", "bind /var/run/docker (the directory, no socket named)", () => kataIds({ mounts: [bind("/var/run/docker")] })),
  fire("kata", "kata-host-pid", "pidMode host", () => kataIds({ pidMode: "host" })),
  silent("kata", "kata-host-pid", "pidMode container:abc", () => kataIds({ pidMode: "container:abc" }), ["kata-pid-container"]),
  fire("kata", "kata-host-ipc", "ipcMode host", () => kataIds({ ipcMode: "host" })),
  silent("kata", "kata-host-ipc", "ipcMode shareable", () => kataIds({ ipcMode: "shareable" })),
  fire("kata", "kata-podman", "Podman host", () => kataIds({}, { host: engineHost({ platform: "podman" }) })),
  silent("kata", "kata-podman", "Docker host", () => kataIds({}, { host: engineHost({ platform: "docker" }) })),
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
      // docker-bench's checks have their own table, with a near miss each, in tests/unit/cis-rules.test.ts;
      // Forklift's rules are checked against Forklift's own rule tests in tests/unit/forklift-rules.test.ts.
      const listed = RULES_OF[list]
        .map((r) => r.id)
        .filter((id) => !id.startsWith("CIS-Docker-") && !id.startsWith("vmware."))
        .sort();
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
      [TENANT, ...["5.5", "5.32", "5.6", "5.4", "5.10", "5.16", "5.17", "5.21", "5.31", "5.22"].map((n) => `CIS-Docker-${n}`)].sort(),
    );
  });

  it("findings carry the detail a rule returns", () => {
    const [capabilities] = evaluate(CONTAINER_RULES, container({ capAdd: ["SYS_ADMIN", "NET_ADMIN"] }), { host: engineHost(), tenantsOnHost: [] });
    expect(capabilities).toMatchObject({ ruleId: "CIS-Docker-5.4", severity: "warning", objectKind: "container", objectKey: "s:container:c-1", objectName: "web", customer: "acme", detail: "SYS_ADMIN, NET_ADMIN" });
    const [privileged] = evaluate(CONTAINER_RULES, container({ privileged: true }), { host: engineHost(), tenantsOnHost: [] });
    expect(privileged).toMatchObject({ ruleId: "CIS-Docker-5.5", detail: null });
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
/** Kata's per-pod overhead (kata-deploy's RuntimeClass podFixed): a VM's target host is not chosen; dock01 offers "kata". */
const KATA_VM = kataOverheadFor(null, P);
const KATA_DOCK01 = kataOverheadFor({ runtimes: ["runc", "kata"], defaultRuntime: null }, P);

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
    expect(v.ruleIds).toEqual(["vmware.device.sriov.detected"]);
    // Its target host is not chosen: kata-deploy's default class, kata-qemu (320 MiB, 250m from 4.0).
    expect(KATA_VM).toMatchObject({ runtimeClass: "kata-qemu", memoryMiB: 320, cpuMillis: 250 });
    expect(v.saving).toEqual({ ramMiB: RHEL.ramMiB - KATA_VM.memoryMiB, diskMiB: RHEL.diskMiB, cpuMillis: -KATA_VM.cpuMillis });
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
    expect(v.ruleIds).toContain("CIS-Docker-5.4");
    expect(v.saving).toEqual({ ramMiB: -KATA_DOCK01.memoryMiB, diskMiB: 0, cpuMillis: -KATA_DOCK01.cpuMillis });
    expect(v.saving.ramMiB).toBeLessThan(0);
  });

  it("an exposed container that is not running is not assessed (docker-bench scores running containers only)", () => {
    const v = verdictOf(result, "exposed-stopped");
    expect(v.verdict).toBe("stay");
    expect(v.reason).toMatch(/not assessed/i);
    expect(v.saving).toEqual({ ramMiB: 0, diskMiB: 0, cpuMillis: 0 });
  });

  it("an exposed container on the host network stays: Kata cannot give it the host network", () => {
    const v = verdictOf(result, "hostnet");
    expect(v.verdict).toBe("stay");
    expect(v.ruleIds).toEqual(expect.arrayContaining(["CIS-Docker-5.10", "kata-host-network"]));
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
    // Containers: exposed → to-kata; exposed-stopped (not assessed), hostnet, quiet, in-kata → stay.
    expect(result.totals.verdicts).toEqual({ "to-container": 2, "to-system-container": 0, "to-kata": 3, "stay-vm": 2, stay: 4 });
    const ram = RHEL.ramMiB + 0 + (RHEL.ramMiB - KATA_VM.memoryMiB) + 0 - KATA_DOCK01.memoryMiB;
    expect(result.totals.ramSavedMiB).toBe(ram);
    expect(result.totals.diskSavedMiB).toBe(4 * RHEL.diskMiB);
    // Kata overhead is paid by what runs: sriov01 and the running exposed container.
    expect(result.totals.kataOverheadMiB).toBe(KATA_VM.memoryMiB + KATA_DOCK01.memoryMiB);
    // Split for people: what the VMs save, and what isolating the exposed container costs.
    expect(result.totals.vmRamSavedMiB).toBe(RHEL.ramMiB + RHEL.ramMiB - KATA_VM.memoryMiB);
    expect(result.totals.containerKataCostMiB).toBe(KATA_DOCK01.memoryMiB);
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
    // No container moves to Kata: the cost is 0, not -0 (toBe tells them apart).
    expect(packed.totals.containerKataCostMiB).toBe(0);
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

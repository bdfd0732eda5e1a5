/**
 * Migration verdicts.
 *
 * Every VM but templates: move to a container, move to Kata Containers, or stay a VM. Its rules are
 * Forklift's VMware validation rules (names and categories as published), the container-fit checks
 * of Migrate to Containers, and our own where the data says more. Each rule also says what it does
 * to the verdict: "vm" (it must stay a VM), "kata" (it needs its own guest kernel or a passed-through
 * device: Kata, not a plain container) or nothing (work to do, the verdict stands). A blocker
 * (critical) always keeps the VM.
 *
 * Every container on a shared kernel: move to Kata when it is exposed (a finding that crosses the
 * shared kernel) and no Kata limitation stops it, else stay.
 *
 * Savings: a VM that moves sheds its OS copy (the footprint's RAM when powered on, and its disk),
 * net of Kata's overhead per pod when Kata is the target; a container moved to Kata costs that
 * overhead. Hosts freed: per cluster, the hosts needed at the target ratios to carry what remains
 * (VMs that stay, and the moved workloads without their OS), against the hosts there are.
 */
import type { Inventory, InventoryContainer, InventoryHost, InventoryVirtualMachine } from "./inventory";
import { clusterOf } from "./density";
import { VERDICT_LABEL, type VerdictValue } from "./labels";
import { CONTAINER_RULES, engineSockets, isKata, tenantOf, type ContainerPosture } from "./isolation";
import { compileFootprints, footprintOf, type CompiledFootprint, type Parameters } from "./parameters";
import { describeRule, evaluate, type Finding, type Rule, type RuleSummary } from "./rules";
import { osCopyOf } from "./waste";

export type Effect = "vm" | "kata" | null;
export type MigrationRule<T, C> = Rule<T, C> & { effect: Effect };

export interface VmContext {
  parameters: Parameters;
  footprint: CompiledFootprint | null;
  host: InventoryHost | null;
  /** The engine host this VM is (a container host, not a candidate), if any. */
  engineHost: InventoryHost | null;
}

const FORKLIFT = "Forklift (MTV) VMware validation rule";
const M2C = "Migrate to Containers fit assessment";
const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DATABASE = /\b(?:db|sql|mssql|mysql|mariadb|postgres(?:ql)?|pg|oracle|ora|mongo(?:db)?|redis|cassandra|elastic(?:search)?)(?=\b|[-_\d])/i;
const DEFAULT_HOSTNAMES = /^(localhost(\.localdomain)?|localhost\d*|)$/i;

export const VM_RULES: readonly MigrationRule<InventoryVirtualMachine, VmContext>[] = [
  {
    id: "container-host",
    title: "Runs a container engine",
    severity: "critical",
    effect: "vm",
    appliesTo: "vm",
    text: "This VM is itself a container host: its containers are the workloads, the VM is not a candidate.",
    source: `${M2C}: Docker already running in the VM`,
    test: (_vm, ctx) => (ctx.engineHost ? `${ctx.engineHost.name} (${ctx.engineHost.platform})` : false),
  },
  {
    id: "not-linux",
    title: "Guest OS is not Linux",
    severity: "critical",
    effect: "vm",
    appliesTo: "vm",
    text: "Linux containers and Kata Containers run Linux guests only; Windows stays a VM unless Windows container hosts are offered.",
    source: "shared/domain.md (verdicts); kata-containers Limitations",
    test: (vm, ctx) => {
      const family = ctx.footprint?.family ?? (vm.guestOsFamily === "unknown" ? null : vm.guestOsFamily);
      if (family === null || family === "linux") return false;
      if (family === "windows" && ctx.parameters.windowsContainerHosts) return false;
      return ctx.footprint?.label ?? family;
    },
  },
  {
    id: "unsupported-os",
    title: "Guest OS unknown",
    severity: "critical",
    effect: "vm",
    appliesTo: "vm",
    text: "Neither the configuration nor the guest tools say which OS runs: insufficient data for a verdict.",
    source: `${FORKLIFT} "unsupported OS"; ${M2C} "insufficient data"`,
    test: (vm, ctx) => ctx.footprint === null && vm.guestOsFamily === "unknown",
  },
  {
    id: "passthrough-device",
    title: "Passthrough device",
    severity: "critical",
    effect: "vm",
    appliesTo: "vm",
    text: "A PCI device passed through to the VM cannot follow it into a container.",
    source: `${FORKLIFT} "passthrough device" (critical)`,
    test: (vm) => vm.passthrough,
  },
  {
    id: "invalid-disk-capacity",
    title: "Invalid disk capacity",
    severity: "critical",
    effect: "vm",
    appliesTo: "vm",
    text: "A disk reports a capacity of 0: the VM cannot be sized or copied.",
    source: `${FORKLIFT} "invalid disk capacity" (critical)`,
    test: (vm) => {
      const bad = vm.disks.filter((d) => d.capacityMiB !== null && d.capacityMiB <= 0 && d.rdm === "none").map((d) => d.label ?? d.key);
      return bad.length > 0 ? bad.join(", ") : false;
    },
  },
  {
    id: "disk-capacity-unknown",
    title: "Disk capacity unknown",
    severity: "warning",
    effect: null,
    appliesTo: "vm",
    text: "The endpoint did not say how large a disk is (libvirt reports it for running domains only): size its volume before moving.",
    source: "ours: unknown is not invalid; Forklift's rule is for a capacity reported as 0",
    test: (vm) => {
      const unknown = vm.disks.filter((d) => d.capacityMiB === null && d.rdm === "none").map((d) => d.label ?? d.key);
      return unknown.length > 0 ? unknown.join(", ") : false;
    },
  },
  {
    id: "datastore-missing",
    title: "Datastore missing",
    severity: "critical",
    effect: "vm",
    appliesTo: "vm",
    text: "A vSphere disk names no datastore: its data cannot be found to move.",
    source: `${FORKLIFT} "datastore missing" (critical)`,
    test: (vm, ctx) => {
      if (ctx.host?.platform !== "esxi") return false;
      const bad = vm.disks.filter((d) => d.rdm === "none" && !d.datastore).map((d) => d.label ?? d.key);
      return bad.length > 0 ? bad.join(", ") : false;
    },
  },
  {
    id: "guest-disk-free-space-too-low",
    title: "Guest disk free space too low",
    severity: "critical",
    effect: "vm",
    appliesTo: "vm",
    text: "The guest's filesystems are nearly full: the conversion has no room to work.",
    source: `${FORKLIFT} "guest disk free space too low" (critical)`,
    test: (vm, ctx) => {
      if (vm.guestDiskCapacityMiB === null || vm.guestDiskFreeMiB === null || vm.guestDiskCapacityMiB <= 0) return false;
      const percent = (vm.guestDiskFreeMiB / vm.guestDiskCapacityMiB) * 100;
      return percent < ctx.parameters.guestDiskFreeMinPercent ? `${percent.toFixed(1)}% free` : false;
    },
  },
  {
    id: "shared-disk",
    title: "Shared disk",
    severity: "warning",
    effect: "vm",
    appliesTo: "vm",
    text: "A multi-writer disk means a clustered application (shared-disk cluster): it stays a VM.",
    source: `${FORKLIFT} "shared disk" (warning)`,
    test: (vm) => vm.disks.some((d) => d.sharing === "multi-writer"),
  },
  {
    id: "tpm",
    title: "TPM",
    severity: "warning",
    effect: "vm",
    appliesTo: "vm",
    text: "A virtual TPM (measured boot, disk encryption keys) has no equivalent in a container or a Kata guest.",
    source: `${FORKLIFT} "TPM" (warning)`,
    test: (vm) => vm.tpm,
  },
  {
    id: "sriov-device",
    title: "SR-IOV device",
    severity: "warning",
    effect: "kata",
    appliesTo: "vm",
    text: "An SR-IOV virtual function can be passed to a Kata guest (VFIO), not to a container on a shared kernel.",
    source: `${FORKLIFT} "SR-IOV device" (warning); Kata VFIO device assignment`,
    test: (vm) => vm.sriov,
  },
  {
    id: "large-memory",
    title: "Large memory",
    severity: "warning",
    effect: "kata",
    appliesTo: "vm",
    text: "A VM this large is better given its own guest kernel and memory (Kata) than a cgroup on a shared kernel.",
    source: "ours (threshold in parameters)",
    test: (vm, ctx) => (vm.memoryMiB > ctx.parameters.containerMaxMemoryMiB ? `${Math.round(vm.memoryMiB / 1024)} GiB` : false),
  },
  {
    id: "rdm-disk",
    title: "RDM disk",
    severity: "warning",
    effect: null,
    appliesTo: "vm",
    text: "Data on a raw device mapping must move to a volume first.",
    source: `${FORKLIFT} "RDM disk" (warning)`,
    test: (vm) => vm.disks.some((d) => d.rdm !== "none"),
  },
  {
    id: "independent-disk",
    title: "Independent disk mode",
    severity: "warning",
    effect: null,
    appliesTo: "vm",
    text: "Independent disks are left out of snapshots: their data must be moved separately.",
    source: `${FORKLIFT} "independent disk mode" (warning)`,
    test: (vm) => vm.disks.some((d) => d.mode.startsWith("independent")),
  },
  {
    id: "too-many-disks",
    title: "Too many disks",
    severity: "warning",
    effect: null,
    appliesTo: "vm",
    text: "More disks than a migration can carry.",
    source: `${FORKLIFT} "more than 165 disks" (warning)`,
    test: (vm, ctx) => (vm.disks.length > ctx.parameters.maxDisks ? `${vm.disks.length} disks` : false),
  },
  {
    id: "changed-block-tracking-disabled",
    title: "Changed block tracking disabled",
    severity: "warning",
    effect: null,
    appliesTo: "vm",
    text: "Without CBT a warm migration copies every block again.",
    source: `${FORKLIFT} "changed block tracking disabled" (warning)`,
    test: (vm) => vm.cbtEnabled === false,
  },
  {
    id: "consolidation-needed",
    title: "Consolidation needed",
    severity: "warning",
    effect: null,
    appliesTo: "vm",
    text: "The VM's disks need consolidation before they can be read consistently.",
    source: `${FORKLIFT} "consolidation needed" (warning)`,
    test: (vm) => vm.consolidationNeeded,
  },
  {
    id: "cpu-affinity",
    title: "CPU affinity",
    severity: "warning",
    effect: null,
    appliesTo: "vm",
    text: "The VM is pinned to host CPUs: its placement needs an equivalent (cpuset).",
    source: `${FORKLIFT} "CPU affinity" (warning)`,
    test: (vm) => vm.cpuAffinity,
  },
  {
    id: "hot-plug",
    title: "CPU or memory hot-plug",
    severity: "warning",
    effect: null,
    appliesTo: "vm",
    text: "Hot-add was enabled: the workload may expect to grow without restarting.",
    source: `${FORKLIFT} "CPU or memory hot-plug" (warning)`,
    test: (vm) => (vm.cpuHotAdd || vm.memoryHotAdd ? [vm.cpuHotAdd ? "CPU" : null, vm.memoryHotAdd ? "memory" : null].filter(Boolean).join(", ") : false),
  },
  {
    id: "usb-controller",
    title: "USB controller",
    severity: "warning",
    effect: null,
    appliesTo: "vm",
    text: "A USB controller may serve a dongle or device the workload needs: check before moving.",
    source: `${FORKLIFT} "USB controller" (warning)`,
    test: (vm) => vm.usbController,
  },
  {
    id: "empty-hostname",
    title: "Empty or default hostname",
    severity: "warning",
    effect: null,
    appliesTo: "vm",
    text: "The guest has no hostname of its own to carry over.",
    source: `${FORKLIFT} "empty/default hostname" (warning)`,
    test: (vm) => vm.powerState === "poweredOn" && DEFAULT_HOSTNAMES.test((vm.hostname ?? "").trim()),
  },
  {
    id: "no-ip",
    title: "No IP address",
    severity: "warning",
    effect: null,
    appliesTo: "vm",
    text: "The running guest reports no IP address: its network identity is unknown.",
    source: `${FORKLIFT} "no IP" (warning)`,
    test: (vm) => vm.powerState === "poweredOn" && vm.ipAddresses.length === 0,
  },
  {
    id: "invalid-vm-name",
    title: "Invalid VM name",
    severity: "warning",
    effect: null,
    appliesTo: "vm",
    text: "The name is not an RFC 1123 label (lower case, digits and '-', at most 63 characters): it must be renamed.",
    source: `${FORKLIFT} "invalid VM name" (warning)`,
    test: (vm) => !(vm.name.length <= 63 && RFC1123_LABEL.test(vm.name)),
  },
  {
    id: "database-in-guest",
    title: "Database in the guest",
    severity: "warning",
    effect: null,
    appliesTo: "vm",
    text: "The name or notes point to a database: its data and durability need a plan (volumes, backups) before it moves.",
    source: `${M2C}: database process in the guest (here read from the VM's name and notes)`,
    test: (vm) => {
      const found = DATABASE.exec(`${vm.name} ${vm.annotation ?? ""}`);
      return found ? found[0] : false;
    },
  },
  {
    id: "multiple-nics",
    title: "Several network interfaces",
    severity: "info",
    effect: null,
    appliesTo: "vm",
    text: "Services may listen on one of several interfaces: check which before giving it one pod network.",
    source: `${M2C}: listeners bound to one of several NICs`,
    test: (vm) => ((vm.nicCount ?? vm.macAddresses.length) > 1 ? `${vm.nicCount ?? vm.macAddresses.length} NICs` : false),
  },
  {
    id: "snapshot-present",
    title: "Snapshot present",
    severity: "info",
    effect: null,
    appliesTo: "vm",
    text: "The VM has snapshots: decide what happens to them.",
    source: `${FORKLIFT} "snapshot present" (information)`,
    test: (vm) => (vm.snapshotCount > 0 ? `${vm.snapshotCount} snapshot${vm.snapshotCount > 1 ? "s" : ""}` : false),
  },
];

export interface KataContext {
  host: InventoryHost | null;
}

const KATA = "kata-containers docs/Limitations.md";

/** What keeps an exposed container out of Kata Containers: a critical one keeps it where it is. */
export const KATA_RULES: readonly Rule<InventoryContainer, KataContext>[] = [
  {
    id: "kata-host-network",
    title: "Kata: host network not supported",
    severity: "critical",
    appliesTo: "container",
    text: "Kata cannot give a container the host's network (--net=host) and may break host networking.",
    source: KATA,
    test: (c) => c.networkMode === "host",
  },
  {
    id: "kata-container-network",
    title: "Kata: joining another container's network not supported",
    severity: "critical",
    appliesTo: "container",
    text: "--net=container:… is not supported in Kata.",
    source: KATA,
    test: (c) => (c.networkMode?.startsWith("container:") ? c.networkMode : false),
  },
  {
    id: "kata-host-devices",
    title: "Kata: needs host devices",
    severity: "critical",
    appliesTo: "container",
    text: "In Kata a privileged container gets the guest's devices, not the host's: a workload that needs host devices fails.",
    source: KATA,
    test: (c) => (c.privileged ? "privileged" : c.devices.length > 0 ? c.devices.join(", ") : false),
  },
  {
    id: "kata-engine-socket",
    title: "Kata: drives the host's container engine",
    severity: "critical",
    appliesTo: "container",
    text: "A container that drives the host's engine through its socket needs the host: it cannot move into a guest kernel.",
    source: `${KATA} (host sockets are not shared into the guest)`,
    test: (c) => engineSockets(c).length > 0,
  },
  {
    id: "kata-host-pid",
    title: "Kata: needs the host's processes",
    severity: "critical",
    appliesTo: "container",
    text: "With the host PID namespace the container watches host processes; in a Kata guest it would see only its own.",
    source: `${KATA} (namespaces live in the guest)`,
    test: (c) => c.pidMode === "host",
  },
  {
    id: "kata-host-ipc",
    title: "Kata: needs the host's IPC",
    severity: "critical",
    appliesTo: "container",
    text: "Shared memory with the host cannot cross into a Kata guest.",
    source: `${KATA} (namespaces live in the guest)`,
    test: (c) => c.ipcMode === "host",
  },
  {
    id: "kata-podman",
    title: "Kata: Podman not supported",
    severity: "warning",
    appliesTo: "container",
    text: "Kata Containers does not support Podman: the move to Kata includes moving the workload to Docker (22.06 or later) or containerd.",
    source: KATA,
    test: (_c, ctx) => ctx.host?.platform === "podman",
  },
  {
    id: "kata-security-options",
    title: "Kata: security options limited",
    severity: "warning",
    appliesTo: "container",
    text: "Kata honours only no-new-privileges and a seccomp profile; other --security-opt settings are dropped.",
    source: KATA,
    test: (c) => {
      const other = c.securityOptions.filter((o) => !/^(no-new-privileges|seccomp)/.test(o));
      return other.length > 0 ? other.join(", ") : false;
    },
  },
  {
    id: "kata-runtime-missing",
    title: "Kata not installed on this host",
    severity: "info",
    appliesTo: "container",
    text: "The engine offers no Kata runtime yet: install kata-containers (kata-deploy) first.",
    source: "engine /info runtimes",
    test: (_c, ctx) => ctx.host !== null && !ctx.host.runtimes.some((r) => /kata/i.test(r)),
  },
];

/** CIS findings that cross the shared kernel: a container with one of them is exposed. */
export const EXPOSING_RULES = new Set([
  "tenants-share-kernel",
  "CIS-5.5",
  "CIS-5.32",
  "CIS-5.6",
  "CIS-5.4",
  "CIS-5.10",
  "CIS-5.16",
  "CIS-5.17",
  "CIS-5.21",
  "CIS-5.31",
  "CIS-5.22",
]);

export { VERDICT_LABEL, type VerdictValue };

export interface Saving {
  ramMiB: number;
  diskMiB: number;
  cpuMillis: number;
}

export interface Verdict {
  key: string;
  name: string;
  kind: "vm" | "container";
  customer: string;
  /** Where it runs: hypervisor host for a VM, engine host for a container. */
  hostName: string | null;
  cluster: string | null;
  verdict: VerdictValue;
  /** One sentence: why this verdict. */
  reason: string;
  findings: Finding[];
  ruleIds: string[];
  saving: Saving;
  os: string | null;
  tenant: string | null;
}

export interface ClusterPacking {
  customer: string;
  cluster: string;
  hosts: number;
  /** Hosts needed at the target ratios for today's powered-on VMs, and after the moves. */
  neededNow: number;
  neededAfter: number;
  /** hosts - neededAfter: what packing what remains frees. */
  hostsFreed: number;
}

export interface MigrationTotals {
  verdicts: Record<VerdictValue, number>;
  /** Net: what the VMs that move save, less what Kata costs the containers that move there. */
  ramSavedMiB: number;
  /** What the VMs that move save (net of Kata overhead for those that go to Kata). */
  vmRamSavedMiB: number;
  /** Kata overhead of the running containers moved to Kata for isolation (a cost, positive). */
  containerKataCostMiB: number;
  diskSavedMiB: number;
  kataOverheadMiB: number;
  hostsFreed: number;
}

export interface MigrationResult {
  verdicts: Verdict[];
  packing: ClusterPacking[];
  totals: MigrationTotals;
}

const EFFECTS = new Map(VM_RULES.map((r) => [r.id, r.effect]));
const NO_SAVING: Saving = { ramMiB: 0, diskMiB: 0, cpuMillis: 0 };

function vmVerdict(vm: InventoryVirtualMachine, ctx: VmContext): Omit<Verdict, "key" | "name" | "kind" | "customer" | "hostName" | "cluster" | "os" | "tenant"> {
  const findings = evaluate(VM_RULES, vm, ctx);
  const staying = findings.filter((f) => f.severity === "critical" || EFFECTS.get(f.ruleId) === "vm");
  const toKata = findings.filter((f) => EFFECTS.get(f.ruleId) === "kata");
  const ruleIds = findings.map((f) => f.ruleId);
  if (staying.length > 0) {
    return { verdict: "vm", reason: `Stays a VM: ${staying.map((f) => title(f.ruleId)).join("; ")}.`, findings, ruleIds, saving: NO_SAVING };
  }
  const copy = ctx.footprint ? osCopyOf(vm, ctx.footprint) : { ramMiB: 0, diskMiB: 0 };
  // Kata runs Linux guests only: a Windows guest that may move goes to a (Hyper-V isolated) Windows container.
  const linux = (ctx.footprint?.family ?? vm.guestOsFamily) === "linux";
  if (toKata.length > 0 && linux) {
    const overhead = vm.powerState === "poweredOn" ? ctx.parameters.kataOverheadMemoryMiB : 0;
    return {
      verdict: "kata",
      reason: `Moves to Kata Containers: ${toKata.map((f) => title(f.ruleId)).join("; ")}.`,
      findings,
      ruleIds,
      saving: {
        ramMiB: copy.ramMiB - overhead,
        diskMiB: copy.diskMiB,
        cpuMillis: vm.powerState === "poweredOn" ? -ctx.parameters.kataOverheadCpuMillis : 0,
      },
    };
  }
  const work = findings.filter((f) => f.severity === "warning").map((f) => title(f.ruleId));
  return {
    verdict: "container",
    reason: work.length === 0 ? "Moves to a container: a Linux guest with nothing in the way." : `Moves to a container, after: ${work.join("; ")}.`,
    findings,
    ruleIds,
    saving: { ramMiB: copy.ramMiB, diskMiB: copy.diskMiB, cpuMillis: 0 },
  };
}

function containerVerdict(c: InventoryContainer, posture: ContainerPosture | undefined, ctx: KataContext, parameters: Parameters) {
  const isolation = posture?.findings ?? [];
  if (isKata(c.runtime)) {
    return { verdict: "stay" as const, reason: "Stays: it runs in Kata Containers already, with its own guest kernel.", findings: isolation, saving: NO_SAVING };
  }
  const exposing = isolation.filter((f) => EXPOSING_RULES.has(f.ruleId));
  if (exposing.length === 0) {
    return { verdict: "stay" as const, reason: "Stays: nothing it does crosses the shared kernel.", findings: isolation, saving: NO_SAVING };
  }
  // Kata's limits only matter to a container that would move there.
  const kata = evaluate(KATA_RULES, c, ctx);
  const findings = [...isolation, ...kata];
  const blockers = kata.filter((f) => f.severity === "critical");
  if (blockers.length > 0) {
    return {
      verdict: "stay" as const,
      reason: `Exposed (${exposing.map((f) => title(f.ruleId)).join("; ")}), but Kata would not run it: ${blockers.map((f) => title(f.ruleId)).join("; ")}.`,
      findings,
      saving: NO_SAVING,
    };
  }
  const running = c.state === "running";
  return {
    verdict: "kata" as const,
    reason: `Moves to Kata Containers: ${exposing.map((f) => title(f.ruleId)).join("; ")}; its own guest kernel would isolate it.`,
    findings,
    saving: { ramMiB: running ? -parameters.kataOverheadMemoryMiB : 0, diskMiB: 0, cpuMillis: running ? -parameters.kataOverheadCpuMillis : 0 },
  };
}

/** Every rule the analyses apply, by id: the one place titles, texts and sources are looked up. */
export const RULES_BY_ID: ReadonlyMap<string, RuleSummary> = new Map(
  [...CONTAINER_RULES, ...VM_RULES, ...KATA_RULES].map((r) => [r.id, describeRule(r)]),
);
export const title = (ruleId: string) => RULES_BY_ID.get(ruleId)?.title ?? ruleId;

export function analyseMigration(inventory: Inventory, parameters: Parameters, postures: ContainerPosture[]): MigrationResult {
  const footprints = compileFootprints(parameters.osFootprints);
  const hosts = new Map(inventory.hosts.map((h) => [h.key, h]));
  const engineOf = new Map(inventory.hosts.filter((h) => h.vmKey).map((h) => [h.vmKey!, h]));
  const postureOf = new Map(postures.map((p) => [p.key, p]));
  const verdicts: Verdict[] = [];

  for (const vm of inventory.virtualMachines) {
    if (vm.template) continue;
    const host = vm.hostKey ? (hosts.get(vm.hostKey) ?? null) : null;
    const footprint = footprintOf(vm, footprints);
    const ctx: VmContext = { parameters, footprint, host, engineHost: engineOf.get(vm.key) ?? null };
    verdicts.push({
      key: vm.key,
      name: vm.name,
      kind: "vm",
      customer: vm.customer,
      hostName: host?.name ?? null,
      cluster: host ? clusterOf(host) : vm.cluster,
      os: footprint?.label ?? vm.guestOsReported ?? vm.guestOsConfigured,
      tenant: null,
      ...vmVerdict(vm, ctx),
    });
  }
  for (const c of inventory.containers) {
    const host = hosts.get(c.hostKey) ?? null;
    const result = containerVerdict(c, postureOf.get(c.key), { host }, parameters);
    verdicts.push({
      key: c.key,
      name: c.name,
      kind: "container",
      customer: c.customer,
      hostName: host?.name ?? null,
      cluster: null,
      os: null,
      tenant: tenantOf(c, host),
      ...result,
      ruleIds: result.findings.map((f) => f.ruleId),
    });
  }

  const packing = packClusters(inventory, parameters, new Map(verdicts.filter((v) => v.kind === "vm").map((v) => [v.key, v])));
  const count = (value: VerdictValue) => verdicts.filter((v) => v.verdict === value).length;
  const moving = verdicts.filter((v) => v.verdict === "container" || v.verdict === "kata");
  return {
    verdicts,
    packing,
    totals: {
      verdicts: { container: count("container"), kata: count("kata"), vm: count("vm"), stay: count("stay") },
      ramSavedMiB: Math.round(moving.reduce((s, v) => s + v.saving.ramMiB, 0)),
      vmRamSavedMiB: Math.round(moving.filter((v) => v.kind === "vm").reduce((s, v) => s + v.saving.ramMiB, 0)),
      containerKataCostMiB: -Math.round(moving.filter((v) => v.kind === "container").reduce((s, v) => s + v.saving.ramMiB, 0)),
      diskSavedMiB: Math.round(moving.reduce((s, v) => s + v.saving.diskMiB, 0)),
      kataOverheadMiB: verdicts.filter((v) => v.verdict === "kata" && v.saving.cpuMillis < 0).length * parameters.kataOverheadMemoryMiB,
      hostsFreed: packing.reduce((s, p) => s + p.hostsFreed, 0),
    },
  };
}

interface Demand {
  vcpus: number;
  memoryMiB: number;
}

/** The fewest hosts, largest first, whose capacity at the target ratios carries the demand. */
export function hostsNeeded(demand: Demand, hosts: InventoryHost[], parameters: Parameters): number {
  if (demand.vcpus <= 0 && demand.memoryMiB <= 0) return 0;
  const capacity = hosts
    .map((h) => ({ vcpus: h.cpuCores * parameters.targetVcpuPerCore, memoryMiB: h.memoryMiB * parameters.targetVramPerPram }))
    .sort((a, b) => b.memoryMiB - a.memoryMiB || b.vcpus - a.vcpus);
  let vcpus = 0;
  let memory = 0;
  for (let i = 0; i < capacity.length; i++) {
    vcpus += capacity[i]!.vcpus;
    memory += capacity[i]!.memoryMiB;
    if (vcpus >= demand.vcpus && memory >= demand.memoryMiB) return i + 1;
  }
  return capacity.length;
}

function packClusters(inventory: Inventory, parameters: Parameters, verdictOf: Map<string, Verdict>): ClusterPacking[] {
  const groups = new Map<string, { customer: string; cluster: string; hosts: InventoryHost[]; now: Demand; after: Demand }>();
  const hostGroup = new Map<string, string>();
  for (const h of inventory.hosts) {
    if (h.role !== "hypervisor") continue;
    const id = `${h.customer}\u0000${clusterOf(h)}`;
    const group = groups.get(id) ?? { customer: h.customer, cluster: clusterOf(h), hosts: [], now: { vcpus: 0, memoryMiB: 0 }, after: { vcpus: 0, memoryMiB: 0 } };
    groups.set(id, group);
    group.hosts.push(h);
    hostGroup.set(h.key, id);
  }
  for (const vm of inventory.virtualMachines) {
    if (vm.template || vm.powerState !== "poweredOn" || !vm.hostKey) continue;
    const group = groups.get(hostGroup.get(vm.hostKey) ?? "");
    if (!group) continue;
    group.now.vcpus += vm.vcpus;
    group.now.memoryMiB += vm.memoryMiB;
    const saving = verdictOf.get(vm.key)?.saving ?? NO_SAVING;
    group.after.vcpus += vm.vcpus - saving.cpuMillis / 1000;
    group.after.memoryMiB += vm.memoryMiB - saving.ramMiB;
  }
  return [...groups.values()]
    .map((g) => {
      const neededNow = hostsNeeded(g.now, g.hosts, parameters);
      const neededAfter = hostsNeeded(g.after, g.hosts, parameters);
      return { customer: g.customer, cluster: g.cluster, hosts: g.hosts.length, neededNow, neededAfter, hostsFreed: g.hosts.length - neededAfter };
    })
    .sort((a, b) => a.customer.localeCompare(b.customer) || a.cluster.localeCompare(b.cluster));
}

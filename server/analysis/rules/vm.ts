/**
 * Migration rules over VMs: Forklift's VMware validation rules (./forklift.ts, upstream ids and
 * categories, docs/domain.md#migration-blockers), the container-fit checks of Migrate to Containers
 * (docs/domain.md#container-fit), and our own where the data says more. Each says what it does to the
 * verdict (`effect`): "vm" (it must stay a VM), "kata" (it needs its own guest kernel or a passed-through
 * device: Kata, not a plain container) or null (work to do, the verdict stands).
 */
import { osFamilyOf, osNameOf } from "../../inventory/os-identity";
import type { InventoryHost, InventoryVirtualMachine } from "../inventory";
import type { CompiledFootprint, Parameters } from "../parameters";
import type { Rule } from "./rule";
import { FORKLIFT_RULES } from "./forklift";
import { DOMAIN, MIGRATE_TO_CONTAINERS, ours } from "./sources";

export interface VmContext {
  parameters: Parameters;
  footprint: CompiledFootprint | null;
  host: InventoryHost | null;
  /** The engine host this VM is (a container host, not a candidate), if any. */
  engineHost: InventoryHost | null;
  /** How many VMs each disk file is attached to, by attachmentKey(customer, path) (./forklift.ts). */
  diskAttachmentCounts: ReadonlyMap<string, number>;
}

const DATABASE = /\b(?:db|sql|mssql|mysql|mariadb|postgres(?:ql)?|pg|oracle|ora|mongo(?:db)?|redis|cassandra|elastic(?:search)?)(?=\b|[-_\d])/i;

export const VM_RULES: readonly Rule<InventoryVirtualMachine, VmContext>[] = [
  {
    id: "container-host",
    title: "Runs a container engine",
    severity: "critical",
    appliesTo: "vm",
    text: "This VM is itself a container host: its containers are the workloads, the VM is not a candidate.",
    source: MIGRATE_TO_CONTAINERS,
    upstreamId: null,
    sourceNote: "Docker already running in the VM",
    effect: "vm",
    exposes: false,
    deviation: null,
    test: (_vm, ctx) => (ctx.engineHost ? `${ctx.engineHost.name} (${ctx.engineHost.platform})` : false),
  },
  {
    id: "not-linux",
    title: "Guest OS is not Linux",
    severity: "critical",
    appliesTo: "vm",
    text: "Linux containers and Kata Containers run Linux guests only; Windows stays a VM unless Windows container hosts are offered.",
    source: ours(DOMAIN.verdicts),
    upstreamId: null,
    sourceNote: "Linux containers and Kata run Linux guests only",
    effect: "vm",
    exposes: false,
    deviation: null,
    // The family the footprint, else the OS texts (os-identity.ts: Solaris, BSDs, macOS… are never
    // Linux), else the collector says; the reason names the OS.
    test: (vm, ctx) => {
      const told = osFamilyOf(vm);
      const family = ctx.footprint?.family ?? (told !== "unknown" ? told : vm.guestOsFamily === "unknown" ? null : vm.guestOsFamily);
      if (family === null || family === "linux") return false;
      if (family === "windows" && ctx.parameters.windowsContainerHosts) return false;
      return ctx.footprint?.label ?? osNameOf(vm) ?? family;
    },
  },
  {
    id: "guest-os-unknown",
    title: "Guest OS unknown",
    severity: "critical",
    appliesTo: "vm",
    text: "Neither the configuration nor the guest tools say which OS family runs (no id, or one such as otherGuest64 / \"Other (64-bit)\"): insufficient data for a verdict (run guest discovery).",
    source: ours(DOMAIN.verdicts),
    upstreamId: null,
    sourceNote: "no footprint and no OS family from the guest id, the Tools' name or the configured name; Forklift's vmware.os.unsupported warns as well when there is an id it does not list",
    effect: "vm",
    exposes: false,
    deviation: null,
    // The case not-linux cannot judge: without a family, neither a Linux container nor "not Linux" is defensible.
    test: (vm, ctx) => (ctx.footprint === null && osFamilyOf(vm) === "unknown" && vm.guestOsFamily === "unknown" ? (osNameOf(vm) ?? true) : false),
  },
  ...FORKLIFT_RULES,
  {
    id: "disk-capacity-unknown",
    title: "Disk capacity unknown",
    severity: "warning",
    appliesTo: "vm",
    text: "The endpoint did not say how large a disk is (libvirt reports it for running domains only): size its volume before moving.",
    source: ours(DOMAIN.forklift),
    upstreamId: null,
    sourceNote: "unknown is not invalid; Forklift's rule is for a capacity reported as 0",
    effect: null,
    exposes: false,
    deviation: null,
    test: (vm) => {
      const unknown = vm.disks.filter((d) => d.capacityMiB === null && d.rdm === "none").map((d) => d.label ?? d.key);
      return unknown.length > 0 ? unknown.join(", ") : false;
    },
  },
  {
    id: "large-memory",
    title: "Large memory",
    severity: "warning",
    appliesTo: "vm",
    text: "A VM this large is better given its own guest kernel and memory (Kata) than a cgroup on a shared kernel.",
    source: ours(DOMAIN.verdicts),
    upstreamId: null,
    sourceNote: "threshold in parameters",
    effect: "kata",
    exposes: false,
    deviation: null,
    test: (vm, ctx) => (vm.memoryMiB > ctx.parameters.containerMaxMemoryMiB ? `${Math.round(vm.memoryMiB / 1024)} GiB` : false),
  },
  {
    id: "database-in-guest",
    title: "Database in the guest",
    severity: "warning",
    appliesTo: "vm",
    text: "The name or notes point to a database: its data and durability need a plan (volumes, backups) before it moves.",
    source: MIGRATE_TO_CONTAINERS,
    upstreamId: null,
    sourceNote: "database process in the guest, read here from the VM's name and notes",
    effect: null,
    exposes: false,
    deviation: null,
    test: (vm) => {
      const found = DATABASE.exec(`${vm.name} ${vm.annotation ?? ""}`);
      return found ? found[0] : false;
    },
  },
  {
    id: "multiple-nics",
    title: "Several network interfaces",
    severity: "info",
    appliesTo: "vm",
    text: "Services may listen on one of several interfaces: check which before giving it one pod network.",
    source: MIGRATE_TO_CONTAINERS,
    upstreamId: null,
    sourceNote: "listeners bound to one of several NICs",
    effect: null,
    exposes: false,
    deviation: null,
    test: (vm) => ((vm.nicCount ?? vm.macAddresses.length) > 1 ? `${vm.nicCount ?? vm.macAddresses.length} NICs` : false),
  },
];

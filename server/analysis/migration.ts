/**
 * Migration verdicts.
 *
 * The verdict logic only: the rules are in rules/ (vm.ts, kata.ts, cis.ts), each carrying what it
 * does to a verdict.
 *
 * Every VM but templates: move to a container, move to Kata Containers, or stay a VM. A finding whose
 * rule's `effect` is "vm" keeps it a VM, as does any critical finding (a blocker); one whose effect
 * is "kata" sends a Linux guest to Kata; the others are work to do, and the verdict stands.
 *
 * Every container on a shared kernel: move to Kata when it is exposed (a finding of a rule that
 * `exposes`: it crosses the shared kernel) and no critical Kata limitation stops it, else stay.
 *
 * A VM whose guest was read (guest discovery, Inventory.guests) is graded from it: the guest rules
 * (rules/guest.ts) set its fit and may keep it a VM or send it to Kata like the others, and supersede
 * the configuration's guesses about what runs inside (a database from the name).
 *
 * Savings: a VM that moves sheds its OS copy (the footprint's RAM when powered on, and its disk),
 * net of Kata's overhead per pod when Kata is the target; with a guest read, what it measurably does
 * not use instead (measuredSaving). A container moved to Kata costs that overhead. Hosts freed: per cluster, the hosts needed at the target ratios to carry what remains
 * (VMs that stay, and the moved workloads without their OS), against the hosts there are.
 */
import type { Inventory, InventoryContainer, InventoryGuest, InventoryHost, InventoryVirtualMachine } from "./inventory";
import { clusterOf } from "./density";
import {
  CANDIDATE_ROLES,
  FIT_LABEL,
  isMove,
  ROLE_VALUES,
  VERDICT_VALUES,
  type Evidence,
  type Fit,
  type Role,
  type VerdictValue,
} from "./labels";
import { classifyVm, type RoleDecision } from "./roles";
import type { ContainerPosture } from "./isolation";
import { compileFootprints, footprintOf, type CompiledFootprint, type Parameters } from "./parameters";
import {
  countDiskAttachments,
  evaluate,
  GUEST_RULES,
  isKata,
  KATA_RULES,
  ruleTitle,
  RULES_BY_ID,
  tenantOf,
  VM_RULES,
  worstFit,
  type Finding,
  type KataContext,
  type VmContext,
} from "./rules";
import { osCopyOf } from "./waste";
import { kataOverheadFor } from "./kata-overhead";
import { gpuRequests } from "./rules/kata";
import { isOsService, servicesOf } from "./rules/guest";

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
  /** Where it runs: hypervisor host for a VM, engine host for a container (its key: the host's row id from the database). */
  hostName: string | null;
  hostKey: string | null;
  cluster: string | null;
  verdict: VerdictValue;
  /** One sentence: why this verdict. */
  reason: string;
  findings: Finding[];
  ruleIds: string[];
  saving: Saving;
  os: string | null;
  tenant: string | null;
  /** What the VM is (null for a container) and the evidence that says so, strongest first. */
  role: Role | null;
  roleLabel: string | null;
  roleEvidence: Evidence[];
  /** Container fit as Migrate to Containers grades it (null for a container). */
  fit: Fit | null;
  fitLabel: string | null;
  /** What the verdict rests on: the role's evidence, the guest OS, and the evidence still missing. */
  evidence: Evidence[];
}

/** A template: not a workload, listed apart (out of verdict counts, candidates and savings). */
export interface TemplateEntry {
  key: string;
  name: string;
  customer: string;
  hostName: string | null;
  cluster: string | null;
  os: string | null;
  roleEvidence: Evidence[];
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
  /** VMs by role, templates included. */
  roles: Record<Role, number>;
  /** VMs whose role makes them candidates (general workloads and database servers). */
  candidates: number;
  /** Candidates whose fit is graded (guest discovery read them; or a blocker settled it), not "insufficient data". */
  candidatesGraded: number;
  templates: number;
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
  templates: TemplateEntry[];
  packing: ClusterPacking[];
  totals: MigrationTotals;
}

const NO_SAVING: Saving = { ramMiB: 0, diskMiB: 0, cpuMillis: 0 };

type VmVerdictPart = Pick<Verdict, "verdict" | "reason" | "findings" | "ruleIds" | "saving" | "fit" | "fitLabel" | "evidence">;

const GUEST_DISCOVERY_MISSING: Evidence = {
  source: "guest discovery",
  field: "processes, listeners, packages",
  value: "not collected",
  strength: "missing",
  supports: null,
  ruleId: null,
  note: "needs guest discovery: from the configuration alone, fit cannot be graded",
};

const withFit = (fit: Fit) => ({ fit, fitLabel: FIT_LABEL[fit] });

/** Why a VM whose role is not a candidate keeps its VM: one sentence per role. */
function roleReason(decision: RoleDecision, ctx: VmContext, containersOnEngine: number): string {
  const first = decision.evidence[0];
  const basis = first ? `${first.field} ${first.value}` : "its role";
  switch (decision.role) {
    case "appliance":
      return `Stays a VM: a vendor appliance (${basis}); its vendor ships, upgrades and supports it as a VM.`;
    case "system":
      return `Stays a VM: a system VM its solution deploys and manages (${basis}).`;
    case "nested-hypervisor":
      return `Stays a VM: a nested hypervisor (${basis}); it runs VMs of its own.`;
    case "desktop":
      return `Stays a VM: a desktop (${basis}); desktops stay with their VDI platform.`;
    case "kubernetes-node":
    case "container-host": {
      const what = decision.role === "kubernetes-node" ? `a Kubernetes node (${basis}): its pods` : `a container host (${basis}): its containers`;
      const collected = ctx.engineHost
        ? containersOnEngine > 0
          ? `its ${containersOnEngine} containers (engine ${ctx.engineHost.name}) have verdicts of their own`
          : `no containers were collected on its engine ${ctx.engineHost.name}`
        : "its containers are not collected: collect its container engine to judge them";
      return `Stays a container host, ${what} are the workloads, not the VM; ${collected}.`;
    }
    default:
      return `Stays a VM: ${decision.roleLabel}.`;
  }
}

function vmVerdict(
  vm: InventoryVirtualMachine,
  ctx: VmContext,
  decision: RoleDecision,
  containersOnEngine: number,
  guest: InventoryGuest | null = null,
): VmVerdictPart {
  const configFindings = evaluate(VM_RULES, vm, ctx);
  const guestFindings = guest ? evaluate(GUEST_RULES, { key: vm.key, name: vm.name, customer: vm.customer, guest }, { parameters: ctx.parameters }) : [];
  // With a guest read, what runs inside replaces the configuration's guesses about it (a database from the name).
  const superseded = new Set(guest ? GUEST_RULES.flatMap((r) => r.supersedes) : []);
  const kept = configFindings.filter((f) => !superseded.has(f.ruleId));
  const findings = [...kept, ...guestFindings];
  // One id per rule: per-disk rules give one finding per disk (./rules/forklift.ts).
  const ruleIds = [...new Set(findings.map((f) => f.ruleId))];
  const seen = guest ? guestEvidence(guest, guestFindings) : [];
  // A role that is not a candidate keeps its VM whatever the rules say; its findings are still listed.
  if (!CANDIDATE_ROLES.includes(decision.role)) {
    return { verdict: "stay-vm", reason: roleReason(decision, ctx, containersOnEngine), findings, ruleIds, saving: NO_SAVING, ...withFit("no-fit"), evidence: [...decision.evidence, ...seen] };
  }
  const staying = findings.filter((f) => f.severity === "critical" || RULES_BY_ID.get(f.ruleId)?.effect === "vm");
  const toKata = findings.filter((f) => RULES_BY_ID.get(f.ruleId)?.effect === "kata");
  const candidate = decision.role === "database" ? "a database server" : "a general workload";
  if (staying.length > 0) {
    // An OS nobody can name is missing evidence, not a misfit.
    const unknownOs = staying.some((f) => f.ruleId === "guest-os-unknown");
    return {
      verdict: "stay-vm",
      reason: `Stays a VM (${candidate}${guest ? "; guest discovery" : ""}): ${staying.map((f) => ruleTitle(f.ruleId)).join("; ")}.`,
      findings,
      ruleIds,
      saving: NO_SAVING,
      ...withFit(unknownOs && !guest ? "insufficient-data" : "no-fit"),
      evidence: [...decision.evidence, ...seen],
    };
  }
  const measured = guest ? measuredSaving(vm, guest, ctx.footprint) : null;
  const copy = measured ?? (ctx.footprint ? osCopyOf(vm, ctx.footprint) : { ramMiB: 0, diskMiB: 0 });
  // Configuration only: a candidate, not a firm move, until guest discovery grades its fit.
  const evidence = guest ? [...decision.evidence, ...seen, ...(measured?.evidence ?? []), ...unreadEvidence(guest)] : [...decision.evidence, GUEST_DISCOVERY_MISSING];
  const fit: Fit = guest ? gradeFit(kept, guestFindings) : "insufficient-data";
  const moves = guest ? "Moves to" : "Candidate for";
  const basis = guest ? `guest discovery: ${FIT_LABEL[fit]}` : "needs guest discovery";
  // Kata runs Linux guests only: a Windows guest that may move goes to a (Hyper-V isolated) Windows container.
  const linux = (ctx.footprint?.family ?? vm.guestOsFamily) === "linux";
  if (toKata.length > 0 && linux) {
    // The target host is not chosen yet: kata-deploy's default class at the release in force.
    const kata = kataOverheadFor(null, ctx.parameters);
    const overhead = vm.powerState === "poweredOn" ? kata.memoryMiB : 0;
    return {
      verdict: "to-kata",
      reason: `${moves} Kata Containers (${candidate}; ${basis}): ${toKata.map((f) => ruleTitle(f.ruleId)).join("; ")}.`,
      findings,
      ruleIds,
      saving: {
        ramMiB: copy.ramMiB - overhead,
        diskMiB: copy.diskMiB,
        cpuMillis: vm.powerState === "poweredOn" ? -kata.cpuMillis : 0,
      },
      ...withFit(fit),
      evidence,
    };
  }
  const whole = guest && linux ? wholeOsEvidence(guest, findings, ctx) : null;
  if (whole) {
    const saving = systemContainerSaving(vm, ctx.parameters);
    const rest = [...new Set(findings.filter((f) => f.severity === "warning" && f.ruleId !== "guest-many-services").map((f) => ruleTitle(f.ruleId)))];
    return {
      verdict: "to-system-container",
      reason:
        `Moves to a system container (${candidate}; guest discovery): it needs its whole OS (${whole.services.length} services managed by its init), ` +
        `no kernel of its own; the guest kernel goes, the userland stays${rest.length > 0 ? `, after: ${rest.join("; ")}` : ""}.`,
      findings,
      ruleIds,
      saving: saving.saving,
      ...withFit(fit),
      evidence: [...evidence.filter((e) => e.field !== "memory.usedMiB" && e.field !== "filesystems"), ...whole.evidence, ...saving.evidence],
    };
  }
  const work = [...new Set(findings.filter((f) => f.severity === "warning").map((f) => ruleTitle(f.ruleId)))];
  const where = guest ? "in its configuration or in the guest" : "in its configuration";
  return {
    verdict: "to-container",
    reason:
      work.length === 0
        ? `${moves} a container (${candidate}; ${basis}): nothing ${where} is in the way.`
        : `${moves} a container (${candidate}; ${basis}), after: ${work.join("; ")}.`,
    findings,
    ruleIds,
    saving: { ramMiB: copy.ramMiB, diskMiB: copy.diskMiB, cpuMillis: 0 },
    ...withFit(fit),
    evidence,
  };
}

/** Pid 1 and the init systems that manage services as units. */
const INIT_PROCESS = /^(systemd|init|openrc-init|runit|s6-svscan)$/;

/**
 * Whether guest discovery says the VM needs its whole OS but no kernel of its own, so a system
 * container (LXD, Incus) takes it whole (docs/domain.md#lxd-system-containers): more services than a
 * container should hold (the guest-many-services finding), run by the guest's init (running systemd
 * service units read, which only systemd as pid 1 lists; or pid 1 another init), and no finding that needs an own kernel (an effect "kata", kernel modules) or
 * keeps it a VM (the caller has returned before). Null when the evidence is not there: never a guess.
 */
function wholeOsEvidence(guest: InventoryGuest, findings: readonly Finding[], ctx: VmContext): { services: string[]; evidence: Evidence[] } | null {
  if (!findings.some((f) => f.ruleId === "guest-many-services")) return null;
  if (findings.some((f) => RULES_BY_ID.get(f.ruleId)?.effect === "kata" || f.ruleId === "guest-kernel-modules")) return null;
  const init = guest.processes.find((p) => p.pid === 1);
  const otherInit = init !== undefined && INIT_PROCESS.test(init.name) ? init.name : null;
  if (guest.units.length === 0 && otherInit === null) return null;
  const services = servicesOf(guest);
  const base = { source: "guest discovery" as const, strength: "strong" as const, supports: null, ruleId: null };
  return {
    services,
    evidence: [
      { ...base, field: "services", value: `${services.length} services`, note: `${services.slice(0, 8).join(", ")}${services.length > 8 ? ", ..." : ""}: more than ${ctx.parameters.guestMaxServices} (guestMaxServices), kept together rather than split` },
      {
        ...base,
        field: "init",
        value: guest.units.length > 0 ? `${guest.units.length} running service units` : `pid 1 ${otherInit}`,
        note: "its services are managed by its own init: a system container boots that init with them",
      },
      { ...base, field: "kernel", value: guest.os.kernel ?? "not read", note: "no kernel modules of its own and no finding that needs its own kernel: the host's kernel serves it" },
    ],
  };
}

/** What moving into a system container sheds: the guest kernel's RAM (powered on) and its package on disk; the userland stays. */
export function systemContainerSaving(vm: InventoryVirtualMachine, parameters: Parameters): { saving: Saving; evidence: Evidence[] } {
  const ramMiB = vm.powerState === "poweredOn" ? Math.min(parameters.guestKernelRamMiB, vm.memoryMiB) : 0;
  const diskMiB = vm.provisionedMiB !== null ? Math.min(parameters.guestKernelDiskMiB, vm.provisionedMiB) : parameters.guestKernelDiskMiB;
  return {
    saving: { ramMiB, diskMiB, cpuMillis: 0 },
    evidence: [
      {
        source: "configuration",
        field: "saving",
        value: `${mibText(ramMiB)} RAM, ${mibText(diskMiB)} disk`,
        strength: "moderate",
        supports: null,
        ruleId: null,
        note:
          `the guest kernel goes: ${vm.powerState === "poweredOn" ? `its RAM, guestKernelRamMiB ${mibText(parameters.guestKernelRamMiB)}` : `${vm.powerState}, no RAM`}, ` +
          `and its package, guestKernelDiskMiB ${mibText(parameters.guestKernelDiskMiB)}; the userland's RAM and disk stay with the container (docs/domain.md#lxd-system-containers)`,
      },
    ],
  };
}

/**
 * The fit of a VM whose guest was read: the worst level the guest rules set (./rules/guest.ts), and
 * for the configuration's findings that remain: one that sends it to Kata needs moderate work, any
 * other is a finding to look at (good fit with findings). A critical one keeps it a VM before this.
 */
function gradeFit(configFindings: readonly Finding[], guestFindings: readonly Finding[]): Fit {
  const fitOfRule = new Map(GUEST_RULES.map((r) => [r.id, r.fit]));
  return worstFit([
    ...guestFindings.map((f) => fitOfRule.get(f.ruleId) ?? "good"),
    ...configFindings.map((f): Fit => (RULES_BY_ID.get(f.ruleId)?.effect === "kata" ? "moderate-work" : "good")),
  ]);
}

const MATCHED_BY: Record<NonNullable<InventoryGuest["vmMatch"]>, string> = {
  uuid: "its DMI product UUID (the VM's BIOS UUID)",
  mac: "a MAC address both report",
  ip: "an IP address both report",
};

const mibText = (mib: number) => `${Math.round(mib).toLocaleString("en-US")} MiB`;

/** What guest discovery read and the verdict rests on: the guest, its software, its listeners, what the guest rules found. */
function guestEvidence(guest: InventoryGuest, findings: readonly Finding[]): Evidence[] {
  const base = { source: "guest discovery" as const, strength: "strong" as const, supports: null, ruleId: null };
  const evidence: Evidence[] = [
    {
      ...base,
      field: "guest",
      value: `${guest.target}, ${guest.collectedAt}`,
      note: `matched to this VM by ${guest.vmMatch ? MATCHED_BY[guest.vmMatch] : "its key"}${guest.os.prettyName ? `; runs ${guest.os.prettyName}` : ""}`,
    },
    ...guest.software.map((s) => ({ ...base, field: "software", value: s.version ? `${s.name} ${s.version}` : s.name, note: `${s.kind}: ${s.evidence}` })),
  ];
  if (guest.listeners.length > 0) {
    const shown = guest.listeners.slice(0, 6).map((l) => `${l.protocol} ${l.address}:${l.port}${l.process ? ` (${l.process})` : ""}`);
    evidence.push({ ...base, field: "listeners", value: `${guest.listeners.length} listening`, note: `${shown.join(", ")}${guest.listeners.length > 6 ? ", ..." : ""}` });
  }
  for (const f of findings) evidence.push({ ...base, field: f.ruleId, value: f.detail ?? ruleTitle(f.ruleId), ruleId: f.ruleId, note: ruleTitle(f.ruleId) });
  return evidence;
}

/** What could not be read in the guest: said, not guessed. */
const unreadEvidence = (guest: InventoryGuest): Evidence[] =>
  guest.unread.map((u) => ({ source: "guest discovery", field: "unread", value: u, strength: "missing", supports: null, ruleId: null, note: "not read in the guest: the verdict does not rest on it" }));

/** Filesystems that are not the VM's own disks: network and host-shared ones. */
const NOT_THE_VMS_DISK = /^(nfs4?|cifs|smb3?|smbfs|sshfs|fuse\..*|glusterfs|ceph|9p|virtiofs|lustre|gpfs|beegfs)$/;

/**
 * What a VM whose guest was read saves by moving, from what it uses rather than the footprint table
 * (docs/domain.md#guest-discovery-fit-from-evidence):
 * RAM: the container is sized at the workload, the memory used (MemTotal - MemAvailable) less the RSS
 *   of the OS's own services (rules/guest.ts OS_SERVICE_PROCESSES); saving = allocated - workload,
 *   when powered on, never negative.
 * Disk: the container keeps the workload's data, the used space of the guest's own filesystems less
 *   the OS copy in it (the footprint's disk), never negative; saving = what the VM occupies on its
 *   datastore (its used storage; else what is provisioned; else the filesystems' capacity) - that
 *   data, between 0 and that occupation (a thin disk's unwritten blocks were never stored).
 * A figure the guest did not give falls back to the footprint's, and says so.
 */
function measuredSaving(vm: InventoryVirtualMachine, guest: InventoryGuest, footprint: CompiledFootprint | null) {
  const fallback = footprint ? osCopyOf(vm, footprint) : { ramMiB: 0, diskMiB: 0 };
  const base = { source: "guest discovery" as const, supports: null, ruleId: null };
  const evidence: Evidence[] = [];
  let ramMiB = fallback.ramMiB;
  const used = guest.memory.usedMiB;
  if (used === null) {
    evidence.push({ ...base, field: "memory.usedMiB", value: "not read", strength: "missing", note: `RAM saving from the OS footprint instead (${footprint ? footprint.label : "none known"}: ${mibText(fallback.ramMiB)})` });
  } else {
    const os = guest.processes.filter((p) => isOsService(p) && p.rssMiB !== null);
    const osMiB = Math.min(used, os.reduce((sum, p) => sum + p.rssMiB!, 0));
    const workload = Math.max(0, used - osMiB);
    // Whole MiB: the figures are measured to the KiB, the saving is not that precise.
    ramMiB = vm.powerState === "poweredOn" ? Math.round(Math.max(0, vm.memoryMiB - workload)) : 0;
    const names = [...new Set(os.map((p) => p.name))].slice(0, 6).join(", ");
    evidence.push({
      ...base,
      field: "memory.usedMiB",
      value: `measured: ${mibText(used)} used of ${mibText(guest.memory.totalMiB ?? vm.memoryMiB)}`,
      strength: "strong",
      note:
        `the container is sized at the workload: ${mibText(used)} used less ${mibText(osMiB)} resident in the OS's own services` +
        `${names ? ` (${names})` : ""} = ${mibText(workload)}; ` +
        (vm.powerState === "poweredOn" ? `RAM saved: ${mibText(vm.memoryMiB)} allocated - ${mibText(workload)} = ${mibText(ramMiB)}` : "powered off: no RAM saved"),
    });
  }
  let diskMiB = fallback.diskMiB;
  const own = guest.filesystems.filter((f) => !NOT_THE_VMS_DISK.test(f.fsType));
  if (own.length === 0) {
    evidence.push({ ...base, field: "filesystems", value: "none read", strength: "missing", note: `disk saving from the OS footprint instead (${mibText(fallback.diskMiB)})` });
  } else {
    const usedDisk = own.reduce((sum, f) => sum + Math.max(0, f.sizeMiB - f.freeMiB), 0);
    // What the VM occupies on its datastore (a thin disk only its used blocks), else what is provisioned, else its filesystems.
    const capacity = vm.usedMiB ?? vm.provisionedMiB ?? own.reduce((sum, f) => sum + f.sizeMiB, 0);
    const capacityIs = vm.usedMiB !== null ? "in use on the datastore" : vm.provisionedMiB !== null ? "provisioned" : "of filesystems";
    const osDisk = footprint?.diskMiB ?? 0;
    const data = Math.max(0, usedDisk - osDisk);
    diskMiB = Math.round(Math.min(capacity, Math.max(0, capacity - data)));
    evidence.push({
      ...base,
      field: "filesystems",
      value: `measured: ${mibText(usedDisk)} used on ${own.length} filesystem${own.length === 1 ? "" : "s"}`,
      strength: "strong",
      note:
        `the container keeps the workload's data: ${mibText(usedDisk)} used less the OS copy (${footprint ? `${footprint.label}, ${mibText(osDisk)}` : "no footprint known, 0"}) = ${mibText(data)}; ` +
        `disk saved: ${mibText(capacity)} ${capacityIs} - ${mibText(data)} = ${mibText(diskMiB)}`,
    });
  }
  return { ramMiB, diskMiB, evidence };
}

/** A container's verdict rests on what its engine reports of it (docker inspect; LXD's instance config). */
function containerEvidence(c: InventoryContainer): Evidence[] {
  const base = { source: "container engine" as const, strength: "strong" as const, supports: null, ruleId: null, note: null };
  const lxd = c.systemContainer
    ? [
        { ...base, field: "type", value: "system container", note: "LXD instance of type container: its own init and userland on the host's kernel" },
        { ...base, field: "project", value: c.project ?? "default" },
        { ...base, field: "security.privileged", value: String(c.privileged) },
      ]
    : [];
  return [{ ...base, field: "runtime", value: c.runtime ?? "default" }, { ...base, field: "state", value: c.state }, ...lxd];
}

function containerVerdict(c: InventoryContainer, posture: ContainerPosture | undefined, ctx: KataContext, parameters: Parameters) {
  const isolation = posture?.findings ?? [];
  if (isKata(c.runtime)) {
    return { verdict: "stay" as const, reason: "Stays: it runs in Kata Containers already, with its own guest kernel.", findings: isolation, saving: NO_SAVING };
  }
  // docker-bench checks running containers only: the others are shown apart, not assessed.
  if (posture?.scored === false) {
    return { verdict: "stay" as const, reason: `Not assessed: ${posture.unscoredReason ?? "not running"}.`, findings: [], saving: NO_SAVING };
  }
  const exposing = isolation.filter((f) => RULES_BY_ID.get(f.ruleId)?.exposes === true);
  if (exposing.length === 0) {
    return { verdict: "stay" as const, reason: "Stays: nothing it does crosses the shared kernel.", findings: isolation, saving: NO_SAVING };
  }
  // Kata's limits only matter to a container that would move there.
  const kata = evaluate(KATA_RULES, c, ctx);
  const findings = [...isolation, ...kata];
  const blockers = kata.filter((f) => f.severity === "critical");
  if (blockers.length > 0) {
    // A system container Kata cannot take is isolated by a VM of its own: LXD makes one from the same image.
    const vm = c.systemContainer ? " Isolation requires a VM of its own: an LXD virtual machine from the same image." : "";
    return {
      verdict: "stay" as const,
      reason: `Exposed (${exposing.map((f) => ruleTitle(f.ruleId)).join("; ")}), but Kata would not run it: ${blockers.map((f) => ruleTitle(f.ruleId)).join("; ")}.${vm}`,
      findings,
      saving: NO_SAVING,
    };
  }
  const running = c.state === "running";
  // The class the host offers (a GPU class for a GPU workload), at the kata-deploy release in force.
  const overhead = kataOverheadFor(ctx.host, parameters, { gpu: gpuRequests(c).length > 0 });
  return {
    verdict: "to-kata" as const,
    reason:
      `Moves to Kata Containers: ${exposing.map((f) => ruleTitle(f.ruleId)).join("; ")}; its own guest kernel would isolate it (${overhead.runtimeClass}, ${overhead.memoryMiB} MiB per pod)` +
      (c.systemContainer ? "; as a system container, its rootfs with its init as the pod's process, or an LXD virtual machine from the same image." : "."),
    findings,
    saving: { ramMiB: running ? -overhead.memoryMiB : 0, diskMiB: 0, cpuMillis: running ? -overhead.cpuMillis : 0 },
  };
}

/**
 * A VM whose guest was read and whose guest tools report no OS: the guest's own os-release says which
 * (guest discovery reads Linux guests), for its footprint and the OS rules. Otherwise the VM as it is.
 */
function withGuestOs(vm: InventoryVirtualMachine, guest: InventoryGuest | null): InventoryVirtualMachine {
  if (!guest || vm.guestOsReported !== null || guest.os.id === null) return vm;
  const name = guest.os.prettyName ?? [guest.os.id, guest.os.versionId].filter(Boolean).join(" ");
  return { ...vm, guestOsReported: name, guestOsFamily: vm.guestOsFamily === "unknown" ? "linux" : vm.guestOsFamily };
}

export function analyseMigration(inventory: Inventory, parameters: Parameters, postures: ContainerPosture[]): MigrationResult {
  const footprints = compileFootprints(parameters.osFootprints);
  const hosts = new Map(inventory.hosts.map((h) => [h.key, h]));
  const engineOf = new Map(inventory.hosts.filter((h) => h.vmKey).map((h) => [h.vmKey!, h]));
  const diskAttachmentCounts = countDiskAttachments(inventory.virtualMachines);
  const postureOf = new Map(postures.map((p) => [p.key, p]));
  const verdicts: Verdict[] = [];
  const templates: TemplateEntry[] = [];
  const roles = Object.fromEntries(ROLE_VALUES.map((r) => [r, 0])) as Record<Role, number>;
  const containersOn = new Map<string, number>();
  for (const c of inventory.containers) containersOn.set(c.hostKey, (containersOn.get(c.hostKey) ?? 0) + 1);

  // The newest guest read of each VM (guest discovery keeps several runs).
  const guestOf = new Map<string, InventoryGuest>();
  for (const g of inventory.guests) {
    if (g.vmKey === null) continue;
    const known = guestOf.get(g.vmKey);
    if (!known || g.collectedAt > known.collectedAt) guestOf.set(g.vmKey, g);
  }

  for (const configured of inventory.virtualMachines) {
    const guest = guestOf.get(configured.key) ?? null;
    const vm = withGuestOs(configured, guest);
    const host = vm.hostKey ? (hosts.get(vm.hostKey) ?? null) : null;
    const footprint = footprintOf(vm, footprints);
    const engineHost = engineOf.get(vm.key) ?? null;
    const decision = classifyVm(vm, { engineHost, guest });
    roles[decision.role]++;
    const os = footprint?.label ?? vm.guestOsReported ?? vm.guestOsConfigured;
    if (decision.role === "template") {
      templates.push({ key: vm.key, name: vm.name, customer: vm.customer, hostName: host?.name ?? null, cluster: host ? clusterOf(host) : vm.cluster, os, roleEvidence: decision.evidence });
      continue;
    }
    const ctx: VmContext = { parameters, footprint, host, engineHost, diskAttachmentCounts };
    verdicts.push({
      key: vm.key,
      name: vm.name,
      kind: "vm",
      customer: vm.customer,
      hostName: host?.name ?? null,
      hostKey: host?.key ?? null,
      cluster: host ? clusterOf(host) : vm.cluster,
      os,
      tenant: null,
      role: decision.role,
      roleLabel: decision.roleLabel,
      roleEvidence: decision.evidence,
      ...vmVerdict(vm, ctx, decision, engineHost ? (containersOn.get(engineHost.key) ?? 0) : 0, guest),
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
      hostKey: host?.key ?? null,
      cluster: null,
      os: null,
      tenant: tenantOf(c, host),
      ...result,
      ruleIds: result.findings.map((f) => f.ruleId),
      role: null,
      roleLabel: null,
      roleEvidence: [],
      fit: null,
      fitLabel: null,
      evidence: containerEvidence(c),
    });
  }

  const packing = packClusters(inventory, parameters, new Map(verdicts.filter((v) => v.kind === "vm").map((v) => [v.key, v])));
  const count = (value: VerdictValue) => verdicts.filter((v) => v.verdict === value).length;
  const moving = verdicts.filter((v) => isMove(v.verdict));
  return {
    verdicts,
    templates,
    packing,
    totals: {
      verdicts: Object.fromEntries(VERDICT_VALUES.map((value) => [value, count(value)])) as Record<VerdictValue, number>,
      roles,
      candidates: verdicts.filter((v) => v.role !== null && CANDIDATE_ROLES.includes(v.role)).length,
      candidatesGraded: verdicts.filter((v) => v.role !== null && CANDIDATE_ROLES.includes(v.role) && v.fit !== "insufficient-data").length,
      templates: templates.length,
      ramSavedMiB: Math.round(moving.reduce((s, v) => s + v.saving.ramMiB, 0)),
      vmRamSavedMiB: Math.round(moving.filter((v) => v.kind === "vm").reduce((s, v) => s + v.saving.ramMiB, 0)),
      // 0 - x, not -x: nothing moving to Kata costs 0, not -0 (which JSON and tests tell apart from 0 differently).
      containerKataCostMiB: 0 - Math.round(moving.filter((v) => v.kind === "container").reduce((s, v) => s + v.saving.ramMiB, 0)),
      diskSavedMiB: Math.round(moving.reduce((s, v) => s + v.saving.diskMiB, 0)),
      // A container's overhead is its (negative) saving; a VM's is the default class's (its target host is not chosen).
      kataOverheadMiB: verdicts
        .filter((v) => v.verdict === "to-kata" && v.saving.cpuMillis < 0)
        .reduce((s, v) => s + (v.kind === "container" ? -v.saving.ramMiB : kataOverheadFor(null, parameters).memoryMiB), 0),
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

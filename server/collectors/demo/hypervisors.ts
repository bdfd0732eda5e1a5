/** Hypervisor hosts and VMs as a vCenter or libvirt host reports them. */
import {
  DATA_DISK_GIB,
  DATABASE_NAMES,
  DEFAULT_DATA_DISK_GIB,
  DISK_COUNT,
  FOLDER,
  GENERIC_LINUX,
  KVM_MACHINES,
  LINUX_DB_ENGINES,
  type OsDef,
  QEMU_GA_VERSIONS,
  ROLE_NAME,
  TEAMS,
  TOOLS_CURRENT,
  TOOLS_OLD,
  WINDOWS_DB_ENGINES,
} from "./catalogue";
import {
  type ClusterPlan,
  type Context,
  type DiskInput,
  type HostInput,
  type HostPlan,
  isoDaysAgo,
  type VmInput,
  type VmPlan,
} from "./model";
import { ipv4, mac, pad2, Rng, uuidOf } from "./random";

export function buildHypervisor(ctx: Context, host: HostPlan): HostInput {
  const { rng, profile } = ctx;
  const { cluster, cpu } = host;
  const { esxi, kvm } = cluster;
  const sharing = memorySharing(rng, host);
  return {
    externalId: host.externalId,
    name: host.name,
    role: "hypervisor",
    platform: cluster.platform,
    vendor: host.vendor.name,
    model: cpu.amd ? host.vendor.amd : host.vendor.intel,
    cpuModel: cpu.model,
    cpuSockets: 2,
    cpuCores: cpu.cores,
    cpuThreads: cpu.cores * 2,
    cpuMhz: cpu.mhz,
    memoryMiB: host.memoryGiB * 1024,
    osName: esxi ? `VMware ESXi ${esxi.version} build-${esxi.build}` : (kvm?.osName ?? null),
    kernelVersion: kvm?.kernel ?? null,
    productName: esxi ? "VMware ESXi" : "QEMU/KVM",
    productVersion: esxi?.version ?? kvm?.qemu ?? null,
    productBuild: esxi?.build ?? null,
    apiVersion: esxi?.api ?? kvm?.libvirt ?? null,
    datacenter: cluster.datacenter,
    cluster: cluster.name,
    connectionState: "connected",
    powerState: "poweredOn",
    hardwareUuid: uuidOf(rng, 0x40000000 + host.ordinal, ctx.salt),
    hostname: host.name,
    ipAddresses: [ipv4(profile.octet + 20, host.ordinal)],
    macAddresses: [mac(host.vendor.nicOui, host.ordinal * 2), mac(host.vendor.nicOui, host.ordinal * 2 + 1)],
    runtimes: [],
    defaultRuntime: null,
    securityOptions: [],
    cgroupDriver: null,
    cgroupVersion: null,
    ...sharing,
  };
}

/** domain.md: TPS is off unless re-enabled; KSM on KVM hosts is reported in /sys/kernel/mm/ksm/. */
function memorySharing(rng: Rng, host: HostPlan): Pick<HostInput, "memorySharing" | "memorySharedMiB"> {
  if (host.cluster.platform === "esxi") {
    return host.cluster.tps
      ? { memorySharing: "tps", memorySharedMiB: Math.round(host.loadMemoryMiB * rng.range(0.04, 0.1)) }
      : { memorySharing: "none", memorySharedMiB: null };
  }
  return rng.chance(0.6)
    ? { memorySharing: "ksm", memorySharedMiB: Math.round(host.linuxMemoryMiB * rng.range(0.05, 0.15)) }
    : { memorySharing: "none", memorySharedMiB: null };
}

export function buildVm(ctx: Context, plan: VmPlan, ordinal: number): VmInput {
  const { rng, profile } = ctx;
  const { cluster, os } = plan;
  const esxi = cluster.platform === "esxi";
  const on = plan.power === "poweredOn";
  const engine = plan.role === "docker" || plan.role === "podman";
  // The guest agent answers on most powered-on VMs; engine hosts always (they are linked by it).
  const agent = on && os.family !== "unknown" && (engine || !rng.chance(0.02));
  const baseName = nextName(ctx, plan.template ? `tpl-${os.key}` : ROLE_NAME[plan.role]);
  // Forklift "invalid VM name" (RFC 1123): some decommissioned VMs carry a suffix like "_old".
  const name = plan.power === "poweredOff" && !plan.template && rng.chance(0.25) ? `${baseName}_old` : baseName;
  const disks = buildDisks(ctx, plan, name);
  const provisionedMiB = disks.reduce((a, d) => a + (d.capacityMiB ?? 0), 0);
  const nics = rng.chance(0.15) ? 2 : 1;
  const macOui = esxi ? "00:50:56" : "52:54:00";
  const snapshots = snapshotsFor(ctx, esxi);
  const tools = toolsFor(rng, esxi, os, agent);
  return {
    externalId: `${profile.customer.key}:vm-${1000 + ordinal}`,
    name,
    hostExternalId: plan.host?.externalId ?? null,
    uuid: uuidOf(rng, ordinal, ctx.salt, esxi ? "42" : ""),
    instanceUuid: esxi ? uuidOf(rng, 0x20000000 + ordinal, ctx.salt, "50") : null,
    powerState: plan.power,
    template: plan.template,
    vcpus: plan.vcpus,
    coresPerSocket: plan.vcpus >= 16 ? plan.vcpus / 2 : rng.chance(0.5) ? 1 : plan.vcpus,
    memoryMiB: plan.memoryMiB,
    memoryActiveMiB: esxi ? (on ? Math.round(plan.memoryMiB * rng.range(0.08, 0.55)) : 0) : null,
    memoryBalloonedMiB: esxi ? (on && rng.chance(0.03) ? Math.round(plan.memoryMiB * rng.range(0.02, 0.15)) : 0) : null,
    provisionedMiB,
    ...storageUse(rng, disks, provisionedMiB, agent),
    ...guestOs(rng, cluster, os, agent),
    guestOsFamily: os.family,
    hostname: agent ? hostnameFor(ctx, os, baseName, engine) : null,
    ipAddresses: agent
      ? Array.from({ length: nics }, (_, n) => ipv4(profile.octet + 4 * n, ordinal))
      : [],
    macAddresses: Array.from({ length: nics }, (_, n) => mac(macOui, (ordinal * 2 + n + 16) & 0x3fffff)),
    nicCount: nics,
    ...snapshots,
    toolsStatus: tools.status,
    toolsVersion: tools.version,
    hardwareVersion: esxi ? (cluster.esxi?.hardware.draw(rng) ?? null) : rng.pick(KVM_MACHINES),
    datacenter: cluster.datacenter,
    cluster: cluster.name,
    folder: esxi ? `/${cluster.datacenter}/vm/${FOLDER[plan.role]}` : null,
    resourcePool: esxi ? rng.pick(["Resources", "Resources", "Resources/Production", "Resources/Test"]) : null,
    annotation: annotationFor(rng, plan),
    ...forkliftFlags(rng, plan, esxi, engine),
    disks,
  };
}

function nextName(ctx: Context, fragment: string): string {
  const n = (ctx.nameCounts.get(fragment) ?? 0) + 1;
  ctx.nameCounts.set(fragment, n);
  return `${ctx.profile.prefix}-${fragment}-${pad2(n)}`;
}

/** Forklift "empty/default hostname": a few Linux guests never got one. */
function hostnameFor(ctx: Context, os: OsDef, baseName: string, engine: boolean): string {
  if (!engine && os.family === "linux" && ctx.rng.chance(0.01)) return "localhost.localdomain";
  return `${baseName}.${ctx.profile.domain}`;
}

function guestOs(rng: Rng, cluster: ClusterPlan, os: OsDef, agent: boolean) {
  const reported = agent ? os.reported : null;
  if (cluster.platform === "kvm") {
    return { guestOsConfigured: os.osinfoName, guestOsReported: reported, guestOsId: os.osinfoId };
  }
  // RVTools' two OS columns disagree when a guest was upgraded in place or created as "other Linux".
  const generic = os.family === "linux" && rng.chance(0.03);
  const configured = generic
    ? GENERIC_LINUX
    : cluster.esxi?.major === 7 && os.legacy
      ? os.legacy
      : { id: os.vsphereId, name: os.vsphereName };
  return { guestOsConfigured: configured.name, guestOsReported: reported, guestOsId: configured.id };
}

function toolsFor(rng: Rng, esxi: boolean, os: OsDef, agent: boolean): { status: string; version: string | null } {
  if (os.family === "unknown") return { status: esxi ? "toolsNotInstalled" : "agentNotInstalled", version: null };
  if (!esxi) return { status: agent ? "agentRunning" : "agentNotRunning", version: rng.pick(QEMU_GA_VERSIONS) };
  if (!agent) return { status: "toolsNotRunning", version: rng.pick(TOOLS_CURRENT) };
  return rng.chance(0.1) ? { status: "toolsOld", version: TOOLS_OLD } : { status: "toolsOk", version: rng.pick(TOOLS_CURRENT) };
}

/** Snapshots on ~10% of vSphere VMs, fewer on KVM; most recent, some forgotten for months. */
function snapshotsFor(ctx: Context, esxi: boolean): Pick<VmInput, "snapshotCount" | "snapshotOldestAt"> {
  const { rng } = ctx;
  if (!rng.chance(esxi ? 0.1 : 0.05)) return { snapshotCount: 0, snapshotOldestAt: null };
  const days = rng.chance(0.3) ? rng.range(30, 400) : rng.range(0.5, 14);
  return { snapshotCount: rng.pick([1, 1, 1, 2, 3]), snapshotOldestAt: isoDaysAgo(ctx, days) };
}

/** The settings Forklift's VMware validation warns about (domain.md, Migration blockers). */
function forkliftFlags(rng: Rng, plan: VmPlan, esxi: boolean, engine: boolean) {
  const windows = plan.os.family === "windows";
  return {
    cbtEnabled: esxi ? rng.chance(0.85) : null,
    consolidationNeeded: esxi && rng.chance(0.015),
    passthrough: !engine && rng.chance(0.01),
    sriov: rng.chance(0.01),
    usbController: rng.chance(windows ? 0.06 : 0.01),
    tpm: plan.os.key === "win2022" && rng.chance(0.7),
    cpuHotAdd: rng.chance(0.08),
    memoryHotAdd: rng.chance(0.08),
    cpuAffinity: esxi && rng.chance(0.005),
  };
}

function annotationFor(rng: Rng, plan: VmPlan): string | null {
  if (plan.role === "db" || plan.role === "sql") {
    const engine = rng.pick(plan.role === "sql" ? WINDOWS_DB_ENGINES : LINUX_DB_ENGINES);
    return `${engine} - databases: ${rng.sample(DATABASE_NAMES, rng.int(1, 3)).join(", ")}`;
  }
  if (plan.template) return `Golden image ${plan.os.reported ?? plan.os.vsphereName}, rebuilt monthly`;
  return rng.chance(0.4) ? `Owner: ${rng.pick(TEAMS)} / CHG${rng.int(10000, 99999)}` : null;
}

/**
 * 1-4 disks, thin mostly, and on about 1% of vSphere VMs each an extra RDM or shared (multi-writer)
 * disk, or an independent one: Forklift warns about all three.
 */
function buildDisks(ctx: Context, plan: VmPlan, name: string): DiskInput[] {
  const { rng } = ctx;
  const esxi = plan.cluster.platform === "esxi";
  const datastore = rng.pick(plan.cluster.datastores);
  const thin = rng.chance(0.8);
  const count = Math.min(4, DISK_COUNT.draw(rng) + (plan.role === "db" || plan.role === "sql" ? 1 : 0));
  const dataSizes = DATA_DISK_GIB[plan.role] ?? DEFAULT_DATA_DISK_GIB;
  const disks: DiskInput[] = [];
  for (let i = 0; i < count; i++) {
    const gib = i === 0 ? rng.pick(plan.os.osDiskGiB) : rng.pick(dataSizes);
    const independent = esxi && i > 0 && rng.chance(0.01);
    disks.push(esxi ? vmdk(name, i, gib * 1024, datastore, thin, independent) : qcow2(name, i, gib * 1024, datastore, thin));
  }
  if (esxi && rng.chance(0.01)) disks.push(rawDisk(name, disks.length, datastore, "rdm"));
  if (esxi && rng.chance(0.01)) disks.push(rawDisk(name, disks.length, datastore, "shared"));
  return disks;
}

function vmdk(vm: string, i: number, capacityMiB: number, datastore: string, thin: boolean, independent: boolean): DiskInput {
  return {
    key: String(2000 + i),
    label: `Hard disk ${i + 1}`,
    capacityMiB,
    thin,
    mode: independent ? "independent_persistent" : "persistent",
    rdm: "none",
    sharing: "none",
    datastore,
    path: `[${datastore}] ${vm}/${vm}${i === 0 ? "" : `_${i}`}.vmdk`,
    format: "vmdk",
  };
}

/** A physical-mode RDM (database LUN) or an eager-zeroed multi-writer disk (cluster quorum). */
function rawDisk(vm: string, i: number, datastore: string, kind: "rdm" | "shared"): DiskInput {
  return {
    ...vmdk(vm, i, (kind === "rdm" ? 1024 : 5) * 1024, datastore, false, true),
    rdm: kind === "rdm" ? "physical" : "none",
    sharing: kind === "shared" ? "multi-writer" : "none",
    path: `[${datastore}] ${vm}/${vm}_${i}${kind === "rdm" ? "-rdmp" : ""}.vmdk`,
  };
}

function qcow2(vm: string, i: number, capacityMiB: number, pool: string, thin: boolean): DiskInput {
  const dev = `vd${String.fromCharCode(97 + i)}`;
  const format = thin ? "qcow2" : "raw";
  return {
    key: dev,
    label: null,
    capacityMiB,
    thin,
    mode: "persistent",
    rdm: "none",
    sharing: "none",
    datastore: pool,
    path: `/var/lib/libvirt/images/${vm}-${dev}.${format === "qcow2" ? "qcow2" : "img"}`,
    format,
  };
}

/**
 * Datastore use (RVTools "In Use MiB") below provisioned, and the guest's own view (vPartition):
 * a few guests nearly full (Forklift: guest disk free space too low).
 */
function storageUse(rng: Rng, disks: DiskInput[], provisionedMiB: number, agent: boolean) {
  const freeShare = rng.chance(0.03) ? rng.range(0.002, 0.03) : rng.range(0.15, 0.75);
  const guestDiskCapacityMiB = agent ? Math.round(provisionedMiB * rng.range(0.95, 0.99)) : null;
  const thinShare = agent ? Math.min(0.98, (1 - freeShare) * rng.range(1, 1.1)) : rng.range(0.2, 0.7);
  const usedMiB = disks.reduce((a, d) => a + Math.round((d.capacityMiB ?? 0) * (d.thin ? thinShare : 0.99)), 0);
  return {
    usedMiB,
    guestDiskCapacityMiB,
    guestDiskFreeMiB: guestDiskCapacityMiB === null ? null : Math.round(guestDiskCapacityMiB * freeShare),
  };
}

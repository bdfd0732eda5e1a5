/** Planning the demo estate: clusters, VMs, which VMs run a container engine, hosts. */
import {
  type CpuDef,
  CPUS,
  ESXI_RELEASES,
  HOST_MEMORY_GIB,
  KVM_STACKS,
  LINUX_ROLES,
  OS_TABLE,
  type OsDef,
  RHEL9,
  type Role,
  SERVER_VENDORS,
  type ServerVendor,
  SIZE_BY_ROLE,
  WINDOWS_ROLES,
} from "./catalogue";
import type { Site } from "./customers";
import {
  apportion,
  type BuildParams,
  type ClusterPlan,
  type Context,
  type HostPlan,
  type PowerState,
  type VmPlan,
} from "./model";
import { at, pad2, Rng, Weighted } from "./random";

export function planClusters(ctx: Context, vms: number): ClusterPlan[] {
  const { profile } = ctx;
  const clusters: ClusterPlan[] = [];
  const siteCounts = apportion(vms, profile.sites.map((s) => s.share));
  profile.sites.forEach((site, s) => {
    const siteVms = at(siteCounts, s);
    if (siteVms === 0) return;
    const groups = Math.ceil(siteVms / profile.clusterVms);
    apportion(siteVms, new Array<number>(groups).fill(1)).forEach((count, g) => {
      const cluster = newCluster(ctx, site, g + 1);
      for (let i = 0; i < count; i++) cluster.vms.push(planVm(ctx, cluster));
      clusters.push(cluster);
    });
  });
  return clusters;
}

function newCluster(ctx: Context, site: Site, number: number): ClusterPlan {
  const { rng } = ctx;
  const esxi = site.platform === "esxi" ? ESXI_RELEASES.draw(rng) : null;
  const name = esxi ? `${site.datacenter}-Cluster-${pad2(number)}` : null;
  const datastores = esxi
    ? Array.from({ length: rng.int(2, 3) }, (_, i) => `${site.datacenter}-C${pad2(number)}-DS${pad2(i + 1)}`)
    : ["vmstore", "default"];
  return {
    platform: site.platform,
    datacenter: site.datacenter,
    name,
    esxi,
    kvm: esxi ? null : rng.pick(KVM_STACKS),
    tps: esxi?.major === 7 && rng.chance(0.25),
    datastores,
    vms: [],
    hosts: [],
  };
}

// Demo proportions from the brief: ~8% powered off, ~1% suspended, ~3% templates.
const POWER = new Weighted<PowerState>([["poweredOn", 91], ["poweredOff", 8], ["suspended", 1]]);
const TEMPLATE_SHARE = 0.03;

function planVm(ctx: Context, cluster: ClusterPlan): VmPlan {
  const { rng } = ctx;
  const os = OS_TABLE.draw(rng);
  return { cluster, os, role: roleFor(rng, os), power: POWER.draw(rng), template: false, vcpus: 0, memoryMiB: 0, host: null };
}

/** Exactly 3% of the VMs are templates, at least one from 10 VMs up, so every demo shows some. */
export function markTemplates(ctx: Context, plans: VmPlan[]) {
  const count = plans.length < 10 ? 0 : Math.max(1, Math.round(plans.length * TEMPLATE_SHARE));
  for (const plan of ctx.rng.sample(plans, count)) Object.assign(plan, { template: true, role: "tpl", power: "poweredOff" });
}

function roleFor(rng: Rng, os: OsDef): Role {
  if (os.family === "linux") return LINUX_ROLES.draw(rng);
  if (os.family === "windows") return WINDOWS_ROLES.draw(rng);
  return os.family === "other" ? "fw" : "legacy";
}

const isLoad = (plan: VmPlan) => plan.power === "poweredOn" && !plan.template;
const canRunEngine = (plan: VmPlan) => plan.os.family === "linux" && isLoad(plan);

/**
 * Turns some powered-on Linux VMs into container-engine hosts. Podman where RHEL-family guests have
 * it by default, Docker elsewhere. With containers wanted and no candidate, the first VM becomes one.
 */
export function chooseEngines(
  ctx: Context,
  plans: VmPlan[],
  containerCounts: BuildParams["containerCounts"],
): { plan: VmPlan; containers: number }[] {
  const { rng } = ctx;
  let candidates = plans.filter(canRunEngine);
  const counts = containerCounts(candidates.length || Math.min(1, plans.length), rng);
  if (counts.length > candidates.length) {
    const first = at(plans, 0);
    Object.assign(first, { os: RHEL9, role: "app", power: "poweredOn", template: false });
    candidates = [first];
  }
  return rng.sample(candidates, counts.length).map((plan, i) => {
    // The first engine is the showcase (see SHOWCASE_INFRA): always Docker, with Kata on offer.
    plan.role = i > 0 && plan.os.lsm === "selinux" && rng.chance(0.4) ? "podman" : "docker";
    return { plan, containers: at(counts, i) };
  });
}

export function sizeVm(ctx: Context, plan: VmPlan) {
  const [vcpus, memoryGiB] = SIZE_BY_ROLE[plan.role].draw(ctx.rng);
  plan.vcpus = vcpus;
  plan.memoryMiB = memoryGiB * 1024;
}

/**
 * Sizes a cluster's hosts from the load placed on it, then places its VMs with one or two hot hosts.
 * domain.md (Density): 3:1 to 6:1 vCPU:pCore is typical; each cluster aims between 2.5:1 and 4.5:1,
 * the hot hosts land higher. vRAM:pRAM aims between 0.55 and 1.05 (above 1.0 relies on ballooning).
 */
export function placeOnHosts(ctx: Context, cluster: ClusterPlan) {
  const { rng } = ctx;
  const load = cluster.vms.filter(isLoad);
  const vcpus = load.reduce((a, v) => a + v.vcpus, 0);
  const memoryMiB = load.reduce((a, v) => a + v.memoryMiB, 0);
  const ratio = rng.range(2.5, 4.5);
  const cpu = chooseCpu(rng, vcpus, ratio);
  let count = Math.max(2, Math.round(vcpus / (ratio * cpu.cores)));
  const memoryRatio = rng.range(0.55, 1.05);
  const largest = at(HOST_MEMORY_GIB, HOST_MEMORY_GIB.length - 1);
  const memoryGiB = HOST_MEMORY_GIB.find((g) => memoryMiB / (count * g * 1024) <= memoryRatio) ?? largest;
  count = Math.max(count, Math.ceil(memoryMiB / (memoryRatio * memoryGiB * 1024)));
  const vendor = rng.pick(SERVER_VENDORS);
  cluster.hosts = Array.from({ length: count }, () => newHost(ctx, cluster, cpu, memoryGiB, vendor));

  const hot = (i: number) => (i === 0 && count >= 3 ? 1.6 : i === 1 && count >= 6 ? 1.35 : 1);
  const picker = new Weighted(cluster.hosts.map((h, i) => [h, hot(i)] as const));
  for (const vm of cluster.vms) {
    const host = picker.draw(rng);
    vm.host = host;
    if (!isLoad(vm)) continue;
    host.loadMemoryMiB += vm.memoryMiB;
    if (vm.os.family === "linux") host.linuxMemoryMiB += vm.memoryMiB;
  }
}

/** One of the three biggest CPUs that still needs two hosts at the target ratio; small clusters get small CPUs. */
function chooseCpu(rng: Rng, vcpus: number, ratio: number): CpuDef {
  const fitting = CPUS.filter((cpu) => vcpus / (ratio * cpu.cores) >= 2);
  return fitting.length > 0 ? rng.pick(fitting.slice(0, 3)) : at(CPUS, CPUS.length - 1);
}

function newHost(ctx: Context, cluster: ClusterPlan, cpu: CpuDef, memoryGiB: number, vendor: ServerVendor): HostPlan {
  const ordinal = ctx.hostCount++;
  const kind = cluster.platform === "esxi" ? "esx" : "kvm";
  const name = `${ctx.profile.prefix}-${kind}-${pad2(ordinal + 1)}.${ctx.profile.domain}`;
  return {
    externalId: `${ctx.profile.customer.key}:host/${name}`,
    name,
    ordinal,
    cluster,
    cpu,
    memoryGiB,
    vendor,
    loadMemoryMiB: 0,
    linuxMemoryMiB: 0,
  };
}

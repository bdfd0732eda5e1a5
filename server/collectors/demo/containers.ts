/** Engine hosts (Docker, Podman) and their containers. */
import type { OsDef } from "./catalogue";
import { LEFTOVER_IMAGES } from "./images";
import type {
  CatalogueImage,
  ContainerInput,
  Context,
  HostInput,
  ImageInput,
  MountInput,
  PortInput,
  VmInput,
  VmPlan,
} from "./model";
import { at, Rng, uniqueHex, Weighted } from "./random";
import { DOCKER_SOCKET, INFRA, PODMAN_SOCKET, type Service, SHOWCASE_INFRA, STACKS } from "./services";

interface EngineRelease {
  version: string;
  api: string;
  build: string | null;
  /** Kata Containers works with Docker since 22.06 and not with Podman (domain.md). */
  kata: boolean;
}

const CURRENT_DOCKER: EngineRelease = { version: "27.3.1", api: "1.47", build: "41ca978", kata: true };
const DOCKER_RELEASES = new Weighted<EngineRelease>([
  [CURRENT_DOCKER, 40],
  [{ version: "26.1.4", api: "1.45", build: "de5c9cf", kata: true }, 30],
  [{ version: "24.0.9", api: "1.43", build: "fca702d", kata: true }, 20],
  [{ version: "20.10.24", api: "1.41", build: "5d6db84", kata: false }, 10],
]);
const PODMAN_RELEASES: EngineRelease[] = [
  { version: "4.9.4", api: "4.9.4", build: null, kata: false },
  { version: "5.2.2", api: "5.2.2", build: null, kata: false },
];
const KATA_RUNTIMES = ["io.containerd.kata.v2", "kata"];

interface Engine {
  externalId: string;
  platform: "docker" | "podman";
  os: OsDef;
  release: EngineRelease;
  defaultRuntime: string;
  /** The Kata runtime name when the host offers Kata Containers. */
  kata: string | null;
  userns: boolean;
  hardened: boolean;
  showcase: boolean;
  tenants: string[];
  /** Image key -> the image record on this host. */
  images: Map<string, ImageInput>;
  projects: Map<string, number>;
  nextHostPort: number;
}

export function newEngine(ctx: Context, plan: VmPlan, vm: VmInput, showcase: boolean): Engine {
  const { rng, profile } = ctx;
  const platform = plan.role === "podman" ? "podman" : "docker";
  const release = showcase ? CURRENT_DOCKER : platform === "podman" ? rng.pick(PODMAN_RELEASES) : DOCKER_RELEASES.draw(rng);
  const offersKata = release.kata && (showcase || rng.chance(0.2));
  const shared = (showcase || rng.chance(profile.sharedTenancy)) && profile.tenants.length >= 2;
  return {
    externalId: `${profile.customer.key}:engine/${vm.name}`,
    platform,
    os: plan.os,
    release,
    defaultRuntime: platform === "podman" ? "crun" : "runc",
    kata: showcase ? "io.containerd.kata.v2" : offersKata ? rng.pick(KATA_RUNTIMES) : null,
    userns: platform === "docker" && !showcase && rng.chance(0.05),
    hardened: !showcase && rng.chance(profile.hardened),
    showcase,
    tenants: shared ? rng.sample(profile.tenants, rng.int(2, 3)) : [rng.pick(profile.tenants)],
    images: new Map(),
    projects: new Map(),
    nextHostPort: 8100,
  };
}

export function engineHost(engine: Engine, plan: VmPlan, vm: VmInput): HostInput {
  const { os, release } = engine;
  const docker = engine.platform === "docker";
  const esxi = plan.cluster.platform === "esxi";
  return {
    externalId: engine.externalId,
    name: vm.name,
    role: "container-engine",
    platform: engine.platform,
    vendor: esxi ? "VMware, Inc." : "QEMU",
    model: esxi ? "VMware7,1" : "Standard PC (Q35 + ICH9, 2009)",
    cpuModel: plan.host?.cpu.model ?? null,
    cpuSockets: null,
    cpuCores: plan.vcpus,
    cpuThreads: plan.vcpus,
    cpuMhz: null,
    // MemTotal as the guest kernel sees it: a little below the configured memory.
    memoryMiB: Math.round(plan.memoryMiB * 0.975),
    osName: os.reported,
    kernelVersion: os.kernel,
    productName: docker ? "Docker Engine" : "Podman",
    productVersion: release.version,
    productBuild: release.build,
    apiVersion: release.api,
    datacenter: null,
    cluster: null,
    connectionState: null,
    powerState: null,
    // The keys topology links the engine to its VM by.
    hardwareUuid: vm.uuid ?? null,
    hostname: vm.hostname ?? null,
    ipAddresses: [...(vm.ipAddresses ?? [])],
    macAddresses: [...(vm.macAddresses ?? [])],
    runtimes: docker
      ? ["io.containerd.runc.v2", "runc", ...(engine.kata ? [engine.kata] : [])]
      : ["crun", "runc"],
    defaultRuntime: engine.defaultRuntime,
    securityOptions: engineSecurityOptions(engine),
    cgroupDriver: !docker || os.cgroupV2 ? "systemd" : "cgroupfs",
    cgroupVersion: os.cgroupV2 ? "2" : "1",
    memorySharing: "unknown",
    memorySharedMiB: null,
  };
}

function engineSecurityOptions(engine: Engine): string[] {
  const lsm = engine.os.lsm ? [`name=${engine.os.lsm}`] : [];
  if (engine.platform === "podman") return ["name=seccomp,profile=/usr/share/containers/seccomp.json", ...lsm];
  return [
    ...lsm,
    "name=seccomp,profile=builtin",
    ...(engine.os.cgroupV2 ? ["name=cgroupns"] : []),
    ...(engine.userns ? ["name=userns"] : []),
  ];
}

/** One deployment of a service on a host: what its replicas share. */
interface Deployment {
  service: Service;
  /** Container name ("portainer") or name prefix ("shop-web"). */
  name: string;
  image: CatalogueImage;
  imageExternalId: string;
  network: string;
  labels: Record<string, string>;
  mounts: MountInput[];
  published: PortInput[];
}

const COMPOSE_VERSION = "2.29.7";
const NO_LABELS: Record<string, string> = {};

/**
 * Infrastructure agents first (leaving room for each tenant), then the tenants' application stacks,
 * one service at a time in turn, so that a shared host always shows its tenants side by side.
 */
export function fillEngine(ctx: Context, engine: Engine, count: number, out: ContainerInput[]) {
  const { rng } = ctx;
  let placed = 0;
  const place = (deployment: Deployment, replicas: number) => {
    for (let r = 1; r <= replicas && placed < count; r++, placed++) out.push(makeContainer(ctx, engine, deployment, r));
  };
  const infra = chooseInfra(rng, engine).slice(0, Math.max(0, count - engine.tenants.length));
  for (const svc of infra) place(deploy(ctx, engine, svc, svc.project ?? null, null), 1);
  const turns = engine.tenants.map((tenant) => ({ tenant, project: "", pending: [] as Service[] }));
  for (let turn = 0; placed < count; turn++) {
    const t = at(turns, turn % turns.length);
    if (t.pending.length === 0) {
      const stack = STACKS.draw(rng);
      t.project = projectName(engine, t.tenant, stack.name);
      t.pending = stack.services.slice();
    }
    const svc = at(t.pending, 0);
    t.pending.shift();
    const waiting = Math.max(0, turns.length - 1 - turn);
    const replicas = Math.max(1, Math.min(rng.int(1, svc.replicas ?? 1), count - placed - waiting));
    place(deploy(ctx, engine, svc, t.project, t.tenant), replicas);
  }
}

function chooseInfra(rng: Rng, engine: Engine): Service[] {
  if (engine.showcase) return SHOWCASE_INFRA;
  return INFRA.flatMap(([group, share]) => (rng.chance(share) ? group : []));
}

function projectName(engine: Engine, tenant: string, stack: string): string {
  const base = engine.tenants.length > 1 ? `${tenant}-${stack}` : stack;
  const n = (engine.projects.get(base) ?? 0) + 1;
  engine.projects.set(base, n);
  return n === 1 ? base : `${base}-${n}`;
}

function deploy(ctx: Context, engine: Engine, svc: Service, project: string | null, tenant: string | null): Deployment {
  const { rng } = ctx;
  const key = rng.pick(svc.images);
  const image = hostImage(ctx, engine, key);
  return {
    service: svc,
    name: project ? `${project}-${svc.name}` : svc.name,
    image: image.catalogue,
    imageExternalId: image.externalId,
    network: project ? `${project}_default` : "bridge",
    labels: project ? composeLabels(project, svc.name, tenant) : NO_LABELS,
    mounts: mountsFor(engine, svc, project),
    published: publishedPorts(engine, svc),
  };
}

function composeLabels(project: string, service: string, tenant: string | null): Record<string, string> {
  const labels: Record<string, string> = {
    "com.docker.compose.project": project,
    "com.docker.compose.service": service,
    "com.docker.compose.version": COMPOSE_VERSION,
  };
  if (tenant) labels.tenant = tenant;
  return labels;
}

function mountsFor(engine: Engine, svc: Service, project: string | null): MountInput[] {
  const podman = engine.platform === "podman";
  if (!svc.volumes && !(podman && svc.usesSocket)) return svc.bindMounts;
  // Podman's compatible API socket, mounted where Docker's is expected.
  const binds = podman
    ? svc.bindMounts.map((m) => (m.source === DOCKER_SOCKET ? { ...m, source: PODMAN_SOCKET } : m))
    : svc.bindMounts;
  const volumes = (svc.volumes ?? []).map(([key, destination]): MountInput => ({
    type: "volume",
    source: project ? `${project}_${key}` : key,
    destination,
    readOnly: false,
    propagation: null,
  }));
  return [...binds, ...volumes];
}

function publishedPorts(engine: Engine, svc: Service): PortInput[] {
  if (!svc.publish || svc.hostNetwork) return svc.exposed;
  return svc.exposed.map((p) => ({
    ...p,
    hostIp: "0.0.0.0",
    hostPort: svc.publish === "same" ? p.containerPort : engine.nextHostPort++,
  }));
}

function hostImage(ctx: Context, engine: Engine, key: string): { catalogue: CatalogueImage; externalId: string } {
  const catalogue = ctx.catalogue.get(key);
  if (!catalogue) throw new Error(`image ${key} is not in the catalogue`);
  let record = engine.images.get(key);
  if (!record) {
    record = {
      externalId: `${engine.externalId}/${catalogue.shortId}`,
      hostExternalId: engine.externalId,
      repoTags: catalogue.repoTags,
      repoDigests: catalogue.repoDigests,
      sizeBytes: catalogue.sizeBytes,
      createdAt: catalogue.createdAt,
      os: "linux",
      architecture: "amd64",
      layers: catalogue.layers,
    };
    engine.images.set(key, record);
  }
  return { catalogue, externalId: record.externalId };
}

export function addLeftoverImages(ctx: Context, engine: Engine) {
  for (const key of ctx.rng.sample(LEFTOVER_IMAGES, ctx.rng.int(0, 3))) hostImage(ctx, engine, key);
}

// Demo proportions: mostly running, some exited (CIS checks read stopped containers too).
const STATES = new Weighted<NonNullable<ContainerInput["state"]>>([
  ["running", 90], ["exited", 8], ["created", 1], ["restarting", 0.7], ["paused", 0.3],
]);
const HEALTH = new Weighted<string>([["healthy", 92], ["unhealthy", 4], ["starting", 4]]);
const RESTART = new Weighted<string>([["unless-stopped", 50], ["always", 25], ["no", 20], ["on-failure", 5]]);
const UPTIMES = ["Up 5 hours", "Up 3 days", "Up 2 weeks", "Up 4 months"];
const STATUS_BY_HEALTH: Record<string, string[]> = {
  none: UPTIMES,
  healthy: UPTIMES.map((u) => `${u} (healthy)`),
  unhealthy: UPTIMES.map((u) => `${u} (unhealthy)`),
  starting: UPTIMES.map((u) => `${u} (health: starting)`),
};
const EXITED = ["Exited (0) 2 days ago", "Exited (137) 3 weeks ago", "Exited (1) 5 hours ago", "Exited (143) 2 months ago"];
const LOOSE_CAPS = [["NET_ADMIN"], ["SYS_ADMIN"], ["SYS_PTRACE"], ["NET_RAW"], ["SYS_TIME"]];
const NONE: string[] = [];
const DROP_ALL = ["ALL"];
const NO_PORTS: PortInput[] = [];
const PIDS_LIMITS = [100, 200, 512, 1024];
/** containers.conf's default pids_limit. */
const PODMAN_PIDS_LIMIT = 2048;
const ROOT_SPELLINGS = ["0", "root", ""];

interface CpuLimit {
  cpuShares: number;
  nanoCpus: number;
  cpuQuota: number;
  cpuPeriod: number;
}
const cpuLimit = (l: Partial<CpuLimit>): CpuLimit => ({ cpuShares: 0, nanoCpus: 0, cpuQuota: 0, cpuPeriod: 0, ...l });
const NO_CPU_LIMIT = cpuLimit({});
const CPU_LIMITS = [
  ...[250_000_000, 500_000_000, 1_000_000_000, 2_000_000_000].map((nanoCpus) => cpuLimit({ nanoCpus })),
  ...[512, 1024, 2048].map((cpuShares) => cpuLimit({ cpuShares })),
  cpuLimit({ cpuQuota: 50_000, cpuPeriod: 100_000 }),
];

/** Security option strings as `docker inspect` keeps them, by (no-new-privileges, seccomp, apparmor). */
const SECURITY_OPTIONS: string[][] = Array.from({ length: 8 }, (_, bits) => [
  ...(bits & 1 ? ["no-new-privileges:true"] : []),
  ...(bits & 2 ? ["seccomp=unconfined"] : []),
  ...(bits & 4 ? ["apparmor=unconfined"] : []),
]);

/**
 * One container. Tidy hosts set limits and hardening options on most containers, the others on
 * few, so that about half the containers end up with a memory limit (CIS 5.11) and the rest
 * unbounded; sloppy hosts also get the occasional privileged, host-network, extra-capability or
 * seccomp-unconfined container (CIS 5.4, 5.5, 5.10, 5.22).
 */
function makeContainer(ctx: Context, engine: Engine, d: Deployment, replica: number): ContainerInput {
  const { rng } = ctx;
  const svc = d.service;
  const tidy = engine.hardened;
  const state = STATES.draw(rng);
  const running = state === "running" || state === "paused" || state === "restarting";
  const health = svc.health && running ? HEALTH.draw(rng) : null;
  const privileged = svc.privileged === true || (!tidy && rng.chance(0.005));
  const hostNetwork = svc.hostNetwork === true || (!tidy && !svc.publish && rng.chance(0.005));
  const seccompUnconfined = svc.seccompUnconfined === true || (!tidy && rng.chance(0.015));
  const noNewPrivileges = rng.chance(tidy ? 0.7 : 0.05);
  const apparmorUnconfined = svc.apparmorUnconfined === true;
  const memoryLimitBytes = svc.memoryMiB > 0 && rng.chance(tidy ? 0.9 : 0.3) ? svc.memoryMiB * 1_048_576 : 0;
  const cpu = rng.chance(tidy ? 0.6 : 0.2) ? rng.pick(CPU_LIMITS) : NO_CPU_LIMIT;
  const kata = engine.kata !== null && !privileged && !hostNetwork && !svc.usesSocket && rng.chance(0.4);
  const created = rng.int(0, ctx.times.length - 1);
  return {
    externalId: `${ctx.profile.customer.key}:${uniqueHex(rng, ctx.containerCount++, ctx.salt)}`,
    name: svc.standalone ? d.name : `${d.name}-${replica}`,
    hostExternalId: engine.externalId,
    image: d.image.ref,
    imageExternalId: d.imageExternalId,
    state,
    status: statusFor(rng, state, health),
    createdAt: at(ctx.times, created),
    startedAt: state === "created" ? null : at(ctx.times, rng.int(created, ctx.times.length - 1)),
    runtime: kata ? engine.kata : engine.defaultRuntime,
    command: svc.command,
    privileged,
    capAdd: svc.capAdd ?? (!tidy && rng.chance(0.02) ? rng.pick(LOOSE_CAPS) : NONE),
    capDrop: tidy && !privileged && rng.chance(0.5) ? DROP_ALL : NONE,
    user: userFor(rng, svc, tidy),
    networkMode: hostNetwork ? "host" : d.network,
    pidMode: svc.hostPid ? "host" : null,
    ipcMode: svc.hostIpc ? "host" : "private",
    utsMode: svc.hostUts ? "host" : null,
    // With userns-remap on, privileged and host-network containers need --userns=host (CIS 5.31).
    usernsMode: engine.userns && (privileged || hostNetwork) ? "host" : null,
    securityOptions: at(SECURITY_OPTIONS, (noNewPrivileges ? 1 : 0) | (seccompUnconfined ? 2 : 0) | (apparmorUnconfined ? 4 : 0)),
    seccompProfile: seccompUnconfined ? "unconfined" : null,
    apparmorProfile: apparmorFor(engine, privileged || apparmorUnconfined),
    noNewPrivileges,
    readOnlyRootfs: svc.readOnlyOk === true && rng.chance(tidy ? 0.6 : 0.05),
    memoryLimitBytes,
    memoryReservationBytes: memoryLimitBytes > 0 && rng.chance(0.3) ? memoryLimitBytes / 2 : 0,
    cpuShares: cpu.cpuShares,
    nanoCpus: cpu.nanoCpus,
    cpuQuota: cpu.cpuQuota,
    cpuPeriod: cpu.cpuPeriod,
    cpusetCpus: rng.chance(0.005) ? "0-1" : null,
    pidsLimit: pidsLimitFor(rng, engine),
    restartPolicy: svc.standalone ? "always" : RESTART.draw(rng),
    health,
    mounts: d.mounts,
    ports: hostNetwork ? NO_PORTS : replica === 1 ? d.published : svc.exposed,
    devices: svc.devices ?? NONE,
    labels: d.labels,
  };
}

/** Config.User: unset means root (CIS 4.1), and so do the spellings "0", "root" and "". */
function userFor(rng: Rng, svc: Service, tidy: boolean): string | null {
  if (svc.user !== null) return svc.user;
  if (svc.runAs && rng.chance(tidy ? 0.8 : 0.3)) return svc.runAs;
  return rng.chance(0.05) ? rng.pick(ROOT_SPELLINGS) : null;
}

function statusFor(rng: Rng, state: NonNullable<ContainerInput["state"]>, health: string | null): string {
  switch (state) {
    case "running":
      return rng.pick(STATUS_BY_HEALTH[health ?? "none"] ?? UPTIMES);
    case "exited":
      return rng.pick(EXITED);
    case "paused":
      return "Up 6 days (Paused)";
    case "restarting":
      return "Restarting (1) 12 seconds ago";
    default:
      return "Created";
  }
}

function apparmorFor(engine: Engine, unconfined: boolean): string | null {
  if (engine.os.lsm !== "apparmor") return null;
  if (unconfined) return "unconfined";
  return engine.platform === "podman" ? "containers-default-0.57.4" : "docker-default";
}

function pidsLimitFor(rng: Rng, engine: Engine): number | null {
  if (rng.chance(engine.hardened ? 0.6 : 0.05)) return rng.pick(PIDS_LIMITS);
  return engine.platform === "podman" ? PODMAN_PIDS_LIMIT : null;
}

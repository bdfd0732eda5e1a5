/**
 * The demo fleet: deterministic, seeded snapshots that look like what the collectors bring back from
 * a customer's vCenter or libvirt hosts and the container engines running in their VMs.
 *
 * Same inputs, same output: randomness comes from an sfc32 stream seeded by (customer key, seed), and
 * every time is relative to `collectedAt` (no Math.random, no clock). Proportions follow
 * shared/domain.md where it gives figures (cited inline); the rest are demo assumptions, chosen so
 * that each analysis (density, duplication, isolation, migration) finds something.
 *
 * To keep a million containers small, records share constant strings, arrays and objects (labels,
 * mounts, ports, image layers): treat the output as read-only. `parseSnapshot` returns fresh copies.
 */
import { SNAPSHOT_VERSION, type SnapshotInput } from "../../inventory/snapshot";

// -------------------------------------------------------------------------------------------------
// Public API

export interface DemoCustomer {
  key: string;
  name: string;
}

export interface FleetOptions {
  seed?: number;
  vms?: number;
  containersPerEngine?: number;
}

const DEFAULT_SEED = 1;
const DEFAULT_COLLECTED_AT = "2026-01-01T00:00:00.000Z";
/** Mean containers per engine host in the benchmark fleet. */
const FLEET_CONTAINERS_PER_ENGINE = 40;

/** Snapshot (SnapshotInput from snapshot.ts) for one customer's demo source, deterministic in (customer key, options). */
export function generateCustomerSnapshot(
  customerKey: string,
  options: FleetOptions & { collectedAt?: string } = {},
): SnapshotInput {
  const profile = PROFILES.find((p) => p.customer.key === customerKey);
  if (!profile) throw new RangeError(`unknown demo customer "${customerKey}"`);
  const perEngine = checkCount("containersPerEngine", options.containersPerEngine ?? profile.containersPerEngine);
  return buildSnapshot(profile, {
    seed: options.seed ?? DEFAULT_SEED,
    vms: checkCount("vms", options.vms ?? profile.vms),
    collectedAt: options.collectedAt ?? DEFAULT_COLLECTED_AT,
    containerCounts: (candidates, rng) => customerContainerCounts(profile, perEngine, candidates, rng),
  });
}

/**
 * The fleet for benchmarks: one big snapshot with exactly `vms` VMs and exactly `containers`
 * containers, spread over engine hosts (about 40 containers each) that run in its Linux VMs.
 */
export function generateFleetSnapshot(options: {
  seed?: number;
  vms: number;
  containers: number;
  collectedAt?: string;
}): SnapshotInput {
  const vms = checkCount("vms", options.vms);
  const containers = checkCount("containers", options.containers);
  if (containers > 0 && vms === 0) throw new RangeError("containers need at least one VM to run an engine in");
  return buildSnapshot(fleetProfile(vms), {
    seed: options.seed ?? DEFAULT_SEED,
    vms,
    collectedAt: options.collectedAt ?? DEFAULT_COLLECTED_AT,
    containerCounts: (candidates, rng) => splitExactly(containers, candidates, rng),
  });
}

function checkCount(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer`);
  return value;
}

// -------------------------------------------------------------------------------------------------
// Customers

type Platform = "esxi" | "kvm";

interface Site {
  datacenter: string;
  platform: Platform;
  share: number;
}

interface Profile {
  customer: DemoCustomer;
  /** VM and host name prefix: "nw" gives "nw-web-01". */
  prefix: string;
  domain: string;
  /** Second octet of the customer's 10.x.y.z addresses. */
  octet: number;
  vms: number;
  /** VMs per vSphere cluster / KVM host group. */
  clusterVms: number;
  sites: Site[];
  /** Share of the powered-on Linux VMs that run a container engine. */
  engineShare: number;
  containersPerEngine: number;
  /** Share of engine hosts running the containers of two or three tenants side by side. */
  sharedTenancy: number;
  /** Share of engine hosts whose containers are deployed with limits and hardening options. */
  hardened: number;
  tenants: string[];
}

const PROFILES: Profile[] = [
  {
    customer: { key: "northwind", name: "Northwind Traders" },
    prefix: "nw",
    domain: "northwind.example",
    octet: 10,
    vms: 140,
    clusterVms: 120,
    sites: [{ datacenter: "NW-DC1", platform: "esxi", share: 1 }],
    engineShare: 0.08,
    containersPerEngine: 20,
    sharedTenancy: 0.3,
    hardened: 0.3,
    tenants: ["retail", "warehouse", "finance"],
  },
  {
    customer: { key: "acme", name: "Acme Dental Group" },
    prefix: "ac",
    domain: "acme-dental.example",
    octet: 20,
    vms: 16,
    clusterVms: 120,
    sites: [{ datacenter: "AC-MAIN", platform: "esxi", share: 1 }],
    engineShare: 0.15,
    containersPerEngine: 12,
    sharedTenancy: 0.5,
    hardened: 0.2,
    tenants: ["clinics", "orthodontics"],
  },
  {
    customer: { key: "globex", name: "Globex Research" },
    prefix: "gx",
    domain: "globex.example",
    octet: 30,
    vms: 90,
    clusterVms: 120,
    sites: [
      { datacenter: "GX-LAB", platform: "kvm", share: 0.7 },
      { datacenter: "GX-HQ", platform: "esxi", share: 0.3 },
    ],
    engineShare: 0.12,
    containersPerEngine: 25,
    sharedTenancy: 0.3,
    hardened: 0.4,
    tenants: ["genomics", "imaging", "admin"],
  },
  {
    customer: { key: "initech", name: "Initech Cloud Services" },
    prefix: "it",
    domain: "initech.example",
    octet: 40,
    vms: 30,
    clusterVms: 120,
    sites: [{ datacenter: "IT-FRA1", platform: "esxi", share: 1 }],
    engineShare: 0.7,
    containersPerEngine: 60,
    sharedTenancy: 0.4,
    hardened: 0.35,
    tenants: ["aurora-labs", "bluefin", "copperleaf", "driftwood"],
  },
  {
    customer: { key: "blueharbor", name: "Blue Harbor Credit Union" },
    prefix: "bh",
    domain: "blueharbor.example",
    octet: 50,
    vms: 200,
    clusterVms: 120,
    sites: [
      { datacenter: "BH-PRIMARY", platform: "esxi", share: 0.65 },
      { datacenter: "BH-DR", platform: "esxi", share: 0.35 },
    ],
    engineShare: 0.04,
    containersPerEngine: 15,
    sharedTenancy: 0.2,
    hardened: 0.5,
    tenants: ["core-banking", "digital", "operations"],
  },
];

export const DEMO_CUSTOMERS: DemoCustomer[] = PROFILES.map((p) => ({ ...p.customer }));

function fleetProfile(vms: number): Profile {
  const esxiSites = Math.max(1, Math.ceil(vms / 25_000));
  const sites: Site[] = Array.from({ length: esxiSites }, (_, i) => ({
    datacenter: `FL-DC${i + 1}`,
    platform: "esxi",
    share: 0.8 / esxiSites,
  }));
  sites.push({ datacenter: "FL-KVM1", platform: "kvm", share: 0.2 });
  return {
    customer: { key: "fleet", name: "Benchmark Fleet" },
    prefix: "fl",
    domain: "fleet.example",
    octet: 100,
    vms,
    clusterVms: 250,
    sites,
    engineShare: 0,
    containersPerEngine: FLEET_CONTAINERS_PER_ENGINE,
    sharedTenancy: 0.2,
    hardened: 0.35,
    tenants: ["tenant-a", "tenant-b", "tenant-c", "tenant-d", "tenant-e", "tenant-f"],
  };
}

/** Containers per engine host, around the profile's mean; engines among `candidates` Linux VMs. */
function customerContainerCounts(profile: Profile, perEngine: number, candidates: number, rng: Rng): number[] {
  if (perEngine === 0 || candidates === 0) return [];
  const engines = Math.min(candidates, Math.max(1, Math.round(candidates * profile.engineShare)));
  return Array.from({ length: engines }, () => Math.max(1, Math.round(perEngine * rng.range(0.5, 1.5))));
}

/** Exactly `total` containers over about total/40 engine hosts, each a random share of it. */
function splitExactly(total: number, candidates: number, rng: Rng): number[] {
  if (total === 0 || candidates === 0) return [];
  const engines = Math.min(candidates, Math.max(1, Math.round(total / FLEET_CONTAINERS_PER_ENGINE)));
  const weights = Array.from({ length: engines }, () => rng.range(0.5, 1.5));
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.floor((total * w) / weightSum));
  const remainder = total - counts.reduce((a, b) => a + b, 0);
  return counts.map((c, i) => (i < remainder ? c + 1 : c));
}

// -------------------------------------------------------------------------------------------------
// Deterministic randomness and identifiers

/** cyrb128: a string to four 32-bit words, the seed of an sfc32 stream. */
function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** sfc32 (Small Fast Counting PRNG): 128-bit state, good statistical quality, a few adds per draw. */
class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seedText: string) {
    const [a, b, c, d] = hash128(seedText);
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  range(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return at(items, Math.floor(this.next() * items.length));
  }

  /** `n` distinct items, in random order (partial Fisher-Yates on a copy). */
  sample<T>(items: readonly T[], n: number): T[] {
    const pool = items.slice();
    const count = Math.min(n, pool.length);
    for (let i = 0; i < count; i++) {
      const j = this.int(i, pool.length - 1);
      const picked = at(pool, j);
      pool[j] = at(pool, i);
      pool[i] = picked;
    }
    return pool.slice(0, count);
  }
}

class Weighted<T> {
  private readonly items: T[];
  private readonly cumulative: number[];

  constructor(entries: readonly (readonly [T, number])[]) {
    let total = 0;
    this.items = entries.map(([item]) => item);
    this.cumulative = entries.map(([, weight]) => (total += weight));
  }

  draw(rng: Rng): T {
    const x = rng.next() * at(this.cumulative, this.cumulative.length - 1);
    let i = 0;
    while (i < this.cumulative.length - 1 && at(this.cumulative, i) <= x) i++;
    return at(this.items, i);
  }
}

function at<T>(items: readonly T[], index: number): T {
  if (index < 0 || index >= items.length) throw new RangeError(`index ${index} out of ${items.length}`);
  return items[index] as T;
}

function hex8(word: number): string {
  return (word >>> 0).toString(16).padStart(8, "0");
}

function hex2(byte: number): string {
  return (byte & 0xff).toString(16).padStart(2, "0");
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/** murmur3's finaliser: a bijection on 32-bit words, so distinct counters give distinct words. */
function fmix32(word: number): number {
  let h = word >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 64 hex digits derived from a name: the same name gives the same digest in every snapshot. */
function digestOf(name: string): string {
  const rng = new Rng(name);
  let hex = "";
  for (let i = 0; i < 8; i++) hex += hex8(rng.u32());
  return hex;
}

/** 64 hex digits, unique per counter: the first word is a bijection of it, the rest random. */
function uniqueHex(rng: Rng, counter: number, salt: number): string {
  let hex = hex8(fmix32(counter ^ salt ^ 0x5bd1e995));
  for (let i = 0; i < 7; i++) hex += hex8(rng.u32());
  return hex;
}

/** A UUID unique per counter (carried by its last word); `prefix` mimics vCenter's "42…"/"50…". */
function uuidOf(rng: Rng, counter: number, salt: number, prefix = ""): string {
  const a = (prefix + hex8(rng.u32())).slice(0, 8);
  const b = hex8(rng.u32());
  const c = hex8(rng.u32());
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${hex8(fmix32(counter ^ salt))}`;
}

/** 10.<octet>.x.y, unique per index, never .0 or .255. */
function ipv4(octet: number, index: number): string {
  const net = Math.floor(index / 253);
  return `10.${octet + Math.floor(net / 256)}.${net % 256}.${1 + (index % 253)}`;
}

function mac(oui: string, index: number): string {
  return `${oui}:${hex2(index >>> 16)}:${hex2(index >>> 8)}:${hex2(index)}`;
}

const DAY_MS = 86_400_000;

// -------------------------------------------------------------------------------------------------
// Catalogues: guest OSes, sizes, roles, hardware

type OsFamily = "linux" | "windows" | "other" | "unknown";

interface OsDef {
  key: string;
  family: OsFamily;
  vsphereId: string;
  vsphereName: string;
  /** What ESXi 7.0.3, which lacks the newer guest id, is configured with instead. */
  legacy?: { id: string; name: string };
  osinfoId: string | null;
  osinfoName: string | null;
  /** The name the guest tools report. */
  reported: string | null;
  /** Kernel when the guest runs a container engine. */
  kernel: string | null;
  lsm: "apparmor" | "selinux" | null;
  cgroupV2: boolean;
  osDiskGiB: number[];
}

const linux = (def: Omit<OsDef, "family">): OsDef => ({ family: "linux", ...def });
const windows = (def: Pick<OsDef, "key" | "vsphereId" | "vsphereName" | "osinfoId" | "osinfoName" | "reported">): OsDef => ({
  family: "windows",
  kernel: null,
  lsm: null,
  cgroupV2: false,
  osDiskGiB: [80, 100, 120],
  ...def,
});

const RHEL9 = linux({
  key: "rhel9",
  vsphereId: "rhel9_64Guest",
  vsphereName: "Red Hat Enterprise Linux 9 (64-bit)",
  osinfoId: "http://redhat.com/rhel/9.4",
  osinfoName: "Red Hat Enterprise Linux 9.4",
  reported: "Red Hat Enterprise Linux 9.4 (Plow)",
  kernel: "5.14.0-427.13.1.el9_4.x86_64",
  lsm: "selinux",
  cgroupV2: true,
  osDiskGiB: [40, 60, 100],
});

const GENERIC_LINUX = { id: "other4xLinux64Guest", name: "Other 4.x or later Linux (64-bit)" };

// Demo mix (weights sum to 100): 70% Linux, 25% Windows Server, 3% FreeBSD appliances, 2% unknown.
const OS_TABLE = new Weighted<OsDef>([
  [RHEL9, 15],
  [
    linux({
      key: "rhel8",
      vsphereId: "rhel8_64Guest",
      vsphereName: "Red Hat Enterprise Linux 8 (64-bit)",
      osinfoId: "http://redhat.com/rhel/8.10",
      osinfoName: "Red Hat Enterprise Linux 8.10",
      reported: "Red Hat Enterprise Linux 8.10 (Ootpa)",
      kernel: "4.18.0-553.el8_10.x86_64",
      lsm: "selinux",
      cgroupV2: false,
      osDiskGiB: [40, 60, 100],
    }),
    13,
  ],
  [
    linux({
      key: "ubuntu2204",
      vsphereId: "ubuntu64Guest",
      vsphereName: "Ubuntu Linux (64-bit)",
      osinfoId: "http://ubuntu.com/ubuntu/22.04",
      osinfoName: "Ubuntu 22.04 LTS",
      reported: "Ubuntu 22.04.4 LTS",
      kernel: "5.15.0-119-generic",
      lsm: "apparmor",
      cgroupV2: true,
      osDiskGiB: [30, 50, 80],
    }),
    15,
  ],
  [
    linux({
      key: "ubuntu2004",
      vsphereId: "ubuntu64Guest",
      vsphereName: "Ubuntu Linux (64-bit)",
      osinfoId: "http://ubuntu.com/ubuntu/20.04",
      osinfoName: "Ubuntu 20.04 LTS",
      reported: "Ubuntu 20.04.6 LTS",
      kernel: "5.4.0-192-generic",
      lsm: "apparmor",
      cgroupV2: false,
      osDiskGiB: [30, 50, 80],
    }),
    8,
  ],
  [
    linux({
      key: "debian12",
      vsphereId: "debian12_64Guest",
      vsphereName: "Debian GNU/Linux 12 (64-bit)",
      legacy: { id: "debian11_64Guest", name: "Debian GNU/Linux 11 (64-bit)" },
      osinfoId: "http://debian.org/debian/12",
      osinfoName: "Debian 12",
      reported: "Debian GNU/Linux 12 (bookworm)",
      kernel: "6.1.0-25-amd64",
      lsm: "apparmor",
      cgroupV2: true,
      osDiskGiB: [20, 40, 60],
    }),
    7,
  ],
  [
    linux({
      key: "rocky9",
      vsphereId: "rockylinux_64Guest",
      vsphereName: "Rocky Linux (64-bit)",
      legacy: { id: "rhel9_64Guest", name: "Red Hat Enterprise Linux 9 (64-bit)" },
      osinfoId: "http://rockylinux.org/rocky/9",
      osinfoName: "Rocky Linux 9",
      reported: "Rocky Linux 9.4 (Blue Onyx)",
      kernel: "5.14.0-427.24.1.el9_4.x86_64",
      lsm: "selinux",
      cgroupV2: true,
      osDiskGiB: [40, 60],
    }),
    7,
  ],
  [
    linux({
      key: "sles15",
      vsphereId: "sles15_64Guest",
      vsphereName: "SUSE Linux Enterprise 15 (64-bit)",
      osinfoId: "http://suse.com/sles/15.5",
      osinfoName: "SUSE Linux Enterprise Server 15 SP5",
      reported: "SUSE Linux Enterprise Server 15 SP5",
      kernel: "5.14.21-150500.55.73-default",
      lsm: "apparmor",
      cgroupV2: true,
      osDiskGiB: [40, 60],
    }),
    5,
  ],
  [
    windows({
      key: "win2016",
      vsphereId: "windows9Server64Guest",
      vsphereName: "Microsoft Windows Server 2016 or later (64-bit)",
      osinfoId: "http://microsoft.com/win/2k16",
      osinfoName: "Microsoft Windows Server 2016",
      reported: "Microsoft Windows Server 2016 Standard",
    }),
    6,
  ],
  [
    windows({
      key: "win2019",
      vsphereId: "windows2019srv_64Guest",
      vsphereName: "Microsoft Windows Server 2019 (64-bit)",
      osinfoId: "http://microsoft.com/win/2k19",
      osinfoName: "Microsoft Windows Server 2019",
      reported: "Microsoft Windows Server 2019 Standard",
    }),
    10,
  ],
  [
    windows({
      key: "win2022",
      vsphereId: "windows2019srvNext_64Guest",
      vsphereName: "Microsoft Windows Server 2022 (64-bit)",
      osinfoId: "http://microsoft.com/win/2k22",
      osinfoName: "Microsoft Windows Server 2022",
      reported: "Microsoft Windows Server 2022 Datacenter",
    }),
    9,
  ],
  [
    {
      key: "freebsd13",
      family: "other",
      vsphereId: "freebsd13_64Guest",
      vsphereName: "FreeBSD 13 (64-bit)",
      osinfoId: "http://freebsd.org/freebsd/13.2",
      osinfoName: "FreeBSD 13.2",
      reported: "FreeBSD 13.2-RELEASE-p4",
      kernel: null,
      lsm: null,
      cgroupV2: false,
      osDiskGiB: [16, 20],
    },
    3,
  ],
  [
    {
      key: "other",
      family: "unknown",
      vsphereId: "otherGuest64",
      vsphereName: "Other (64-bit)",
      osinfoId: null,
      osinfoName: null,
      reported: null,
      kernel: null,
      lsm: null,
      cgroupV2: false,
      osDiskGiB: [20, 40],
    },
    2,
  ],
]);

type Role =
  | "web" | "app" | "db" | "cache" | "ci" | "mq" | "mon" | "file" | "proxy" | "batch"
  | "sql" | "iis" | "rds" | "dc" | "print" | "backup" | "fw" | "legacy" | "tpl" | "docker" | "podman";

const LINUX_ROLES = new Weighted<Role>([
  ["web", 22], ["app", 24], ["db", 12], ["cache", 6], ["ci", 6], ["mq", 5], ["mon", 5], ["file", 4], ["proxy", 6], ["batch", 10],
]);
const WINDOWS_ROLES = new Weighted<Role>([
  ["app", 32], ["sql", 18], ["file", 10], ["iis", 14], ["rds", 8], ["dc", 10], ["print", 3], ["backup", 5],
]);

/** Name fragment per role ("nw-lb-01"); templates are named after their OS. */
const ROLE_NAME: Record<Role, string> = {
  web: "web", app: "app", db: "db", cache: "cache", ci: "ci", mq: "mq", mon: "mon", file: "file", proxy: "lb",
  batch: "batch", sql: "sql", iis: "iis", rds: "rds", dc: "dc", print: "print", backup: "bkp", fw: "fw",
  legacy: "legacy", tpl: "tpl", docker: "docker", podman: "podman",
};

const FOLDER: Record<Role, string> = {
  web: "Production/Web", app: "Production/Applications", db: "Production/Databases", cache: "Production/Applications",
  ci: "Engineering", mq: "Production/Applications", mon: "Infrastructure", file: "Infrastructure",
  proxy: "Production/Web", batch: "Production/Applications", sql: "Production/Databases", iis: "Production/Web",
  rds: "Infrastructure", dc: "Infrastructure", print: "Infrastructure", backup: "Infrastructure", fw: "Network",
  legacy: "Legacy", tpl: "Templates", docker: "Platform/Containers", podman: "Platform/Containers",
};

type Size = readonly [vcpus: number, memoryGiB: number];
const XS: Size = [1, 2];
const S: Size = [2, 4];
const M: Size = [2, 8];
const L: Size = [4, 8];
const L16: Size = [4, 16];
const XL: Size = [8, 16];
const XL32: Size = [8, 32];
const XXL: Size = [12, 48];
const DB: Size = [16, 64];

const sizes = (...entries: [Size, number][]) => new Weighted<Size>(entries);
/** T-shirt sizes per role; databases get the few big VMs. */
const SIZE_BY_ROLE: Record<Role, Weighted<Size>> = {
  web: sizes([XS, 2], [S, 5], [M, 3], [L, 2]),
  app: sizes([S, 3], [M, 4], [L, 3], [L16, 2], [XL, 1]),
  db: sizes([L16, 2], [XL32, 3], [XXL, 2], [DB, 1]),
  cache: sizes([S, 2], [M, 3], [L16, 1]),
  ci: sizes([L, 2], [XL, 2]),
  mq: sizes([M, 2], [L, 2]),
  mon: sizes([M, 2], [L16, 1]),
  file: sizes([S, 2], [M, 2]),
  proxy: sizes([XS, 2], [S, 3]),
  batch: sizes([M, 2], [L, 2], [XL, 1]),
  sql: sizes([L16, 2], [XL32, 3], [XXL, 1], [DB, 1]),
  iis: sizes([S, 2], [M, 3], [L, 1]),
  rds: sizes([XL, 2], [XL32, 1]),
  dc: sizes([S, 3], [M, 2]),
  print: sizes([S, 1]),
  backup: sizes([L, 1], [L16, 1]),
  fw: sizes([S, 1]),
  legacy: sizes([XS, 1], [S, 1]),
  tpl: sizes([S, 1], [M, 1]),
  docker: sizes([L16, 3], [XL, 2], [XL32, 2]),
  podman: sizes([L16, 3], [XL, 2], [XL32, 2]),
};

const DATA_DISK_GIB: Partial<Record<Role, number[]>> = {
  db: [200, 500, 1000, 2000],
  sql: [200, 500, 1000],
  file: [500, 1000, 2000, 4000],
  backup: [2000, 4000],
};
const DEFAULT_DATA_DISK_GIB = [20, 50, 100, 200];
const DISK_COUNT = new Weighted<number>([[1, 45], [2, 35], [3, 12], [4, 8]]);

const LINUX_DB_ENGINES = ["PostgreSQL 16", "PostgreSQL 13", "MySQL 8.0", "MariaDB 10.11", "MongoDB 7.0"];
const WINDOWS_DB_ENGINES = [
  "Microsoft SQL Server 2019 Standard",
  "Microsoft SQL Server 2022 Standard",
  "Microsoft SQL Server 2016 Enterprise",
];
const DATABASE_NAMES = [
  "orders", "inventory", "billing", "crm", "hr", "payroll", "erp", "reporting", "sessions", "audit", "warehouse", "customers",
];
const TEAMS = ["platform", "web", "erp", "data", "finance-it", "workplace"];

interface CpuDef {
  model: string;
  /** Physical cores, both sockets. */
  cores: number;
  mhz: number;
  amd: boolean;
}

/** Two-socket server CPUs, most cores first. */
const CPUS: CpuDef[] = [
  { model: "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", cores: 64, mhz: 2000, amd: false },
  { model: "AMD EPYC 7543 32-Core Processor", cores: 64, mhz: 2794, amd: true },
  { model: "Intel(R) Xeon(R) Gold 6330 CPU @ 2.00GHz", cores: 56, mhz: 1995, amd: false },
  { model: "Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz", cores: 48, mhz: 2993, amd: false },
  { model: "AMD EPYC 7443 24-Core Processor", cores: 48, mhz: 2850, amd: true },
  { model: "Intel(R) Xeon(R) Gold 5318Y CPU @ 2.10GHz", cores: 48, mhz: 2100, amd: false },
  { model: "Intel(R) Xeon(R) Silver 4316 CPU @ 2.30GHz", cores: 40, mhz: 2300, amd: false },
  { model: "Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz", cores: 32, mhz: 2400, amd: false },
  { model: "AMD EPYC 7313 16-Core Processor", cores: 32, mhz: 3000, amd: true },
  { model: "Intel(R) Xeon(R) Silver 4309Y CPU @ 2.80GHz", cores: 16, mhz: 2800, amd: false },
];

interface ServerVendor {
  name: string;
  intel: string;
  amd: string;
  nicOui: string;
}

const SERVER_VENDORS: ServerVendor[] = [
  { name: "Dell Inc.", intel: "PowerEdge R750", amd: "PowerEdge R7525", nicOui: "b4:96:91" },
  { name: "HPE", intel: "ProLiant DL380 Gen10 Plus", amd: "ProLiant DL385 Gen10 Plus v2", nicOui: "3c:fd:fe" },
  { name: "Lenovo", intel: "ThinkSystem SR650 V2", amd: "ThinkSystem SR665", nicOui: "08:c0:eb" },
  { name: "Supermicro", intel: "SYS-620U-TNR", amd: "AS -2124US-TNRP", nicOui: "ac:1f:6b" },
];

/** Host memory options, GiB. */
const HOST_MEMORY_GIB = [512, 768, 1024, 1536];

interface EsxiRelease {
  version: string;
  build: string;
  api: string;
  major: 7 | 8;
  hardware: Weighted<string>;
}

const ESXI_RELEASES = new Weighted<EsxiRelease>([
  [
    {
      version: "8.0.2",
      build: "22380479",
      api: "8.0.2.0",
      major: 8,
      hardware: new Weighted([["vmx-20", 55], ["vmx-19", 30], ["vmx-14", 10], ["vmx-13", 5]]),
    },
    7,
  ],
  [
    {
      version: "7.0.3",
      build: "21930508",
      api: "7.0.3.0",
      major: 7,
      hardware: new Weighted([["vmx-19", 60], ["vmx-17", 20], ["vmx-14", 15], ["vmx-13", 5]]),
    },
    3,
  ],
]);

interface KvmStack {
  osName: string;
  kernel: string;
  qemu: string;
  libvirt: string;
}

const KVM_STACKS: KvmStack[] = [
  { osName: "Ubuntu 24.04.1 LTS", kernel: "6.8.0-45-generic", qemu: "8.2.2", libvirt: "10.0.0" },
  { osName: "Red Hat Enterprise Linux 9.4 (Plow)", kernel: "5.14.0-427.13.1.el9_4.x86_64", qemu: "8.2.0", libvirt: "10.0.0" },
];
const KVM_MACHINES = ["pc-q35-8.2", "pc-q35-6.2", "pc-i440fx-6.2"];

/** VMware Tools versions as vSphere reports them (major*1024 + minor*32 + patch): 12.4.0, 12.3.5, 11.3.5. */
const TOOLS_CURRENT = ["12416", "12389"];
const TOOLS_OLD = "11365";
const QEMU_GA_VERSIONS = ["8.2.2", "7.2.0"];

// -------------------------------------------------------------------------------------------------
// Snapshot assembly

type HostInput = NonNullable<SnapshotInput["hosts"]>[number];
type VmInput = NonNullable<SnapshotInput["virtualMachines"]>[number];
type DiskInput = NonNullable<VmInput["disks"]>[number];
type ContainerInput = NonNullable<SnapshotInput["containers"]>[number];
type MountInput = NonNullable<ContainerInput["mounts"]>[number];
type PortInput = NonNullable<ContainerInput["ports"]>[number];
type ImageInput = NonNullable<SnapshotInput["images"]>[number];
type LayerInput = NonNullable<ImageInput["layers"]>[number];
type PowerState = "poweredOn" | "poweredOff" | "suspended";

interface BuildParams {
  seed: number;
  vms: number;
  collectedAt: string;
  /** Containers per engine host, given how many Linux VMs could run an engine. */
  containerCounts: (candidates: number, rng: Rng) => number[];
}

interface Context {
  profile: Profile;
  rng: Rng;
  salt: number;
  baseMs: number;
  /** Ascending timestamps over the last 400 days, shared by containers as created/started times. */
  times: string[];
  catalogue: Map<string, CatalogueImage>;
  nameCounts: Map<string, number>;
  hostCount: number;
  containerCount: number;
}

interface ClusterPlan {
  platform: Platform;
  datacenter: string;
  /** vSphere cluster; null on KVM, whose hosts are standalone libvirt hosts. */
  name: string | null;
  esxi: EsxiRelease | null;
  kvm: KvmStack | null;
  /** TPS re-enabled between VMs (Mem.ShareForceSalting=0): off by default since 2015 (domain.md). */
  tps: boolean;
  datastores: string[];
  vms: VmPlan[];
  hosts: HostPlan[];
}

interface HostPlan {
  externalId: string;
  name: string;
  ordinal: number;
  cluster: ClusterPlan;
  cpu: CpuDef;
  memoryGiB: number;
  vendor: ServerVendor;
  /** Memory of the powered-on VMs placed here, all and Linux only (for TPS / KSM savings). */
  loadMemoryMiB: number;
  linuxMemoryMiB: number;
}

interface VmPlan {
  cluster: ClusterPlan;
  os: OsDef;
  role: Role;
  power: PowerState;
  template: boolean;
  vcpus: number;
  memoryMiB: number;
  host: HostPlan | null;
}

function buildSnapshot(profile: Profile, params: BuildParams): SnapshotInput {
  const baseMs = Date.parse(params.collectedAt);
  if (!Number.isFinite(params.seed)) throw new RangeError("seed must be a finite number");
  if (Number.isNaN(baseMs)) throw new RangeError(`collectedAt is not a date: "${params.collectedAt}"`);
  const rng = new Rng(`${profile.customer.key}|${params.seed}`);
  const ctx: Context = {
    profile,
    rng,
    salt: rng.u32(),
    baseMs,
    times: timePool(baseMs),
    catalogue: buildCatalogue(`registry.${profile.domain}`, baseMs),
    nameCounts: new Map(),
    hostCount: 0,
    containerCount: 0,
  };

  const clusters = planClusters(ctx, params.vms);
  const plans = clusters.flatMap((c) => c.vms);
  markTemplates(ctx, plans);
  const engines = chooseEngines(ctx, plans, params.containerCounts);
  for (const plan of plans) sizeVm(ctx, plan);
  for (const cluster of clusters) placeOnHosts(ctx, cluster);

  const vmByPlan = new Map<VmPlan, VmInput>();
  const virtualMachines = plans.map((plan, ordinal) => {
    const vm = buildVm(ctx, plan, ordinal);
    vmByPlan.set(plan, vm);
    return vm;
  });
  const hosts = clusters.flatMap((c) => c.hosts.map((h) => buildHypervisor(ctx, h)));
  const containers: ContainerInput[] = [];
  const images: ImageInput[] = [];
  engines.forEach(({ plan, containers: count }, index) => {
    const vm = vmByPlan.get(plan);
    if (!vm) throw new Error("engine VM was not built");
    const engine = newEngine(ctx, plan, vm, index === 0);
    hosts.push(engineHost(engine, plan, vm));
    fillEngine(ctx, engine, count, containers);
    addLeftoverImages(ctx, engine);
    for (const image of engine.images.values()) images.push(image);
  });

  return { version: SNAPSHOT_VERSION, collectedAt: params.collectedAt, hosts, virtualMachines, containers, images, warnings: [] };
}

/** Splits `total` by weights: floors, remainder to the first parts. */
function apportion(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const parts = weights.map((w) => Math.floor((total * w) / sum));
  const remainder = total - parts.reduce((a, b) => a + b, 0);
  return parts.map((p, i) => (i < remainder ? p + 1 : p));
}

function timePool(baseMs: number): string[] {
  const size = 256;
  return Array.from({ length: size }, (_, i) => {
    const age = 400 * DAY_MS * ((size - 1 - i) / (size - 1)) ** 2 + 3_600_000;
    return new Date(baseMs - age).toISOString();
  });
}

function isoDaysAgo(ctx: Context, days: number): string {
  return new Date(ctx.baseMs - Math.round(days * DAY_MS)).toISOString();
}

// -------------------------------------------------------------------------------------------------
// Planning: clusters, VMs, engines, hosts

function planClusters(ctx: Context, vms: number): ClusterPlan[] {
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
function markTemplates(ctx: Context, plans: VmPlan[]) {
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
function chooseEngines(
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

function sizeVm(ctx: Context, plan: VmPlan) {
  const [vcpus, memoryGiB] = SIZE_BY_ROLE[plan.role].draw(ctx.rng);
  plan.vcpus = vcpus;
  plan.memoryMiB = memoryGiB * 1024;
}

/**
 * Sizes a cluster's hosts from the load placed on it, then places its VMs with one or two hot hosts.
 * domain.md (Density): 3:1 to 6:1 vCPU:pCore is typical; each cluster aims between 2.5:1 and 4.5:1,
 * the hot hosts land higher. vRAM:pRAM aims between 0.55 and 1.05 (above 1.0 relies on ballooning).
 */
function placeOnHosts(ctx: Context, cluster: ClusterPlan) {
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

// -------------------------------------------------------------------------------------------------
// Hypervisor hosts and VMs

function buildHypervisor(ctx: Context, host: HostPlan): HostInput {
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

function buildVm(ctx: Context, plan: VmPlan, ordinal: number): VmInput {
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

// -------------------------------------------------------------------------------------------------
// Images: one catalogue per snapshot, layers shared between images (domain.md: duplication waste)

interface ImageDef {
  /** "{registry}" stands for the customer's own registry. */
  ref: string;
  from: string | null;
  /** Own layer sizes in bytes, bottom to top, on top of the parent's layers. */
  layers: number[];
  ageDays: number;
}

interface CatalogueImage {
  ref: string;
  shortId: string;
  repoTags: string[];
  repoDigests: string[];
  layers: LayerInput[];
  sizeBytes: number;
  createdAt: string;
}

const MB = 1_000_000;
const REGISTRY = "{registry}";

const IMAGES: ImageDef[] = [
  // Bases: every Debian-based image shares bookworm-slim's layer, every Alpine-based one Alpine's.
  { ref: "debian:bookworm-slim", from: null, layers: [74.8 * MB], ageDays: 20 },
  { ref: "alpine:3.20", from: null, layers: [7.8 * MB], ageDays: 60 },
  { ref: "ubuntu:22.04", from: null, layers: [77.9 * MB], ageDays: 35 },
  { ref: "ubuntu:24.04", from: null, layers: [78.1 * MB], ageDays: 35 },
  { ref: "busybox:1.36-glibc", from: null, layers: [4.3 * MB], ageDays: 200 },
  { ref: "registry.access.redhat.com/ubi9/ubi-minimal:9.4", from: null, layers: [101 * MB], ageDays: 45 },
  // Public images.
  { ref: "nginx:1.27", from: "debian:bookworm-slim", layers: [112 * MB, 628, 956, 405, 1210, 1402], ageDays: 25 },
  { ref: "nginx:1.25", from: "debian:bookworm-slim", layers: [111.5 * MB, 627, 955, 404, 1208, 1400], ageDays: 300 },
  { ref: "nginx:1.27-alpine", from: "alpine:3.20", layers: [38.9 * MB, 628, 956, 405, 1210], ageDays: 25 },
  { ref: "postgres:16", from: "debian:bookworm-slim", layers: [4.2 * MB, 9.8 * MB, 1.3 * MB, 312 * MB, 9600, 172, 4700], ageDays: 30 },
  { ref: "postgres:15", from: "debian:bookworm-slim", layers: [4.2 * MB, 9.7 * MB, 1.3 * MB, 305 * MB, 9500, 172, 4700], ageDays: 200 },
  { ref: "redis:7", from: "debian:bookworm-slim", layers: [3900, 1.5 * MB, 39.6 * MB, 98, 413], ageDays: 40 },
  { ref: "redis:7-alpine", from: "alpine:3.20", layers: [3700, 1200, 28.5 * MB, 98, 410], ageDays: 40 },
  { ref: "redis:6.2", from: "debian:bookworm-slim", layers: [3900, 1.5 * MB, 33.1 * MB, 98, 413], ageDays: 380 },
  { ref: "node:20-alpine", from: "alpine:3.20", layers: [126 * MB, 5.4 * MB, 446], ageDays: 30 },
  { ref: "node:18-alpine", from: "alpine:3.20", layers: [122 * MB, 5.3 * MB, 446], ageDays: 250 },
  { ref: "python:3.12-slim", from: "debian:bookworm-slim", layers: [3.5 * MB, 41.2 * MB, 250], ageDays: 28 },
  { ref: "python:3.11-slim", from: "debian:bookworm-slim", layers: [3.5 * MB, 39.8 * MB, 250], ageDays: 260 },
  { ref: "eclipse-temurin:21-jre", from: "ubuntu:22.04", layers: [17.4 * MB, 148 * MB, 160, 2300], ageDays: 50 },
  { ref: "mariadb:11.4", from: "ubuntu:24.04", layers: [7.7 * MB, 1.2 * MB, 318 * MB, 5400, 330], ageDays: 45 },
  {
    ref: "wordpress:6.6-apache",
    from: "debian:bookworm-slim",
    layers: [270 * MB, 228, 116 * MB, 500, 12 * MB, 35 * MB, 140 * MB, 2300],
    ageDays: 60,
  },
  { ref: "rabbitmq:3.13-management", from: "ubuntu:22.04", layers: [60 * MB, 27 * MB, 45 * MB, 100, 13 * MB], ageDays: 55 },
  { ref: "docker.elastic.co/elasticsearch/elasticsearch:8.15.1", from: "ubuntu:22.04", layers: [32 * MB, 1180 * MB, 110_000, 5200], ageDays: 90 },
  { ref: "quay.io/keycloak/keycloak:25.0", from: "registry.access.redhat.com/ubi9/ubi-minimal:9.4", layers: [350 * MB, 2500], ageDays: 80 },
  { ref: "pytorch/pytorch:2.4.1-cuda12.1-cudnn9-runtime", from: "ubuntu:22.04", layers: [3200 * MB, 2900 * MB, 1100], ageDays: 120 },
  { ref: "grafana/grafana:11.2.0", from: "alpine:3.20", layers: [450 * MB, 2.9 * MB, 12_000, 800], ageDays: 70 },
  { ref: "prom/prometheus:v2.54.1", from: "busybox:1.36-glibc", layers: [1.3 * MB, 268 * MB, 12_000, 1900], ageDays: 75 },
  { ref: "prom/node-exporter:v1.8.2", from: "busybox:1.36-glibc", layers: [1.3 * MB, 20.7 * MB], ageDays: 140 },
  { ref: "gcr.io/cadvisor/cadvisor:v0.49.1", from: "alpine:3.20", layers: [18 * MB, 62 * MB], ageDays: 180 },
  { ref: "traefik:v3.1", from: "alpine:3.20", layers: [0.6 * MB, 163 * MB, 370], ageDays: 65 },
  { ref: "portainer/portainer-ce:2.21.2", from: null, layers: [2.4 * MB, 292 * MB], ageDays: 85 },
  { ref: "containrrr/watchtower:1.7.1", from: null, layers: [11 * MB, 3.7 * MB, 160], ageDays: 600 },
  { ref: "fluent/fluent-bit:3.1", from: null, layers: [80 * MB], ageDays: 95 },
  { ref: "restic/restic:0.17.1", from: "alpine:3.20", layers: [30 * MB], ageDays: 110 },
  { ref: "rclone/rclone:1.68", from: "alpine:3.20", layers: [60 * MB, 1800], ageDays: 100 },
  { ref: "lscr.io/linuxserver/wireguard:1.0.20210914", from: "alpine:3.20", layers: [40 * MB, 55 * MB, 300], ageDays: 150 },
  { ref: "nicolaka/netshoot:v0.13", from: "alpine:3.20", layers: [430 * MB], ageDays: 210 },
  { ref: "gitlab/gitlab-runner:v17.4.0", from: "ubuntu:22.04", layers: [400 * MB, 2000], ageDays: 70 },
  { ref: "docker:27-dind", from: "alpine:3.20", layers: [8 * MB, 155 * MB, 120 * MB, 4000, 1200], ageDays: 40 },
  // The customer's own images, built on the public ones.
  { ref: `${REGISTRY}/shop/api:2.3.1`, from: "node:20-alpine", layers: [1200, 48 * MB, 3.6 * MB], ageDays: 12 },
  { ref: `${REGISTRY}/shop/api:2.2.0`, from: "node:20-alpine", layers: [1200, 47 * MB, 3.5 * MB], ageDays: 70 },
  { ref: `${REGISTRY}/shop/web:2.3.1`, from: "nginx:1.27-alpine", layers: [12.3 * MB, 700], ageDays: 12 },
  { ref: `${REGISTRY}/crm/backend:4.12.0`, from: "eclipse-temurin:21-jre", layers: [94 * MB, 2100], ageDays: 20 },
  { ref: `${REGISTRY}/crm/frontend:4.12.0`, from: "nginx:1.27-alpine", layers: [8.9 * MB, 650], ageDays: 20 },
  { ref: `${REGISTRY}/analytics/etl:1.8.0`, from: "python:3.12-slim", layers: [212 * MB, 3.1 * MB], ageDays: 8 },
  { ref: `${REGISTRY}/billing/service:1.4.2`, from: "python:3.12-slim", layers: [88 * MB, 1.9 * MB], ageDays: 33 },
];

/** Pulled once and no longer used by any container: old versions and bases pulled to debug. */
const LEFTOVER_IMAGES = [
  "nginx:1.25", "postgres:15", "redis:6.2", "node:18-alpine", "python:3.11-slim", `${REGISTRY}/shop/api:2.2.0`,
  "alpine:3.20", "ubuntu:22.04",
];

/** Digests depend only on the image reference: public images are byte-identical across customers. */
function buildCatalogue(registry: string, baseMs: number): Map<string, CatalogueImage> {
  const defs = new Map(IMAGES.map((d) => [d.ref, d]));
  const resolved = new Map<string, CatalogueImage>();
  const resolve = (key: string): CatalogueImage => {
    const done = resolved.get(key);
    if (done) return done;
    const def = defs.get(key);
    if (!def) throw new Error(`image ${key} is not in the catalogue`);
    const ref = key.replace(REGISTRY, registry);
    const own = def.layers.map((size, i) => ({ digest: `sha256:${digestOf(`layer|${ref}|${i}`)}`, sizeBytes: Math.round(size) }));
    const layers = def.from ? [...resolve(def.from).layers, ...own] : own;
    const image: CatalogueImage = {
      ref,
      shortId: digestOf(`config|${ref}`).slice(0, 12),
      repoTags: [ref],
      repoDigests: [`${ref.slice(0, ref.lastIndexOf(":"))}@sha256:${digestOf(`manifest|${ref}`)}`],
      layers,
      sizeBytes: layers.reduce((a, l) => a + l.sizeBytes, 0),
      createdAt: new Date(baseMs - def.ageDays * DAY_MS).toISOString(),
    };
    resolved.set(key, image);
    return image;
  };
  for (const def of IMAGES) resolve(def.ref);
  return resolved;
}

// -------------------------------------------------------------------------------------------------
// Container services: what runs on the engine hosts, with the settings the CIS Docker checks read

interface Bind {
  source: string;
  destination: string;
  readOnly?: boolean;
  propagation?: string;
}

interface ServiceDef {
  name: string;
  /** Image keys of the catalogue; one is chosen per deployment. */
  images: string[];
  /** Config.User as the image ships it; null = root (CIS 4.1). */
  user: string | null;
  /** The non-root user a careful deployment sets for a root-by-default image (Compose `user:`). */
  runAs?: string;
  command: string | null;
  /** Publish ports on the host: on their own number ("same") or on the next free one ("auto"). */
  publish?: "same" | "auto";
  ports?: number[];
  udpPorts?: number[];
  /** Named volumes: [volume key, destination]. */
  volumes?: [string, string][];
  binds?: Bind[];
  /** The memory limit a tidy deployment sets, MiB. */
  memoryMiB: number;
  replicas?: number;
  health?: boolean;
  readOnlyOk?: boolean;
  privileged?: boolean;
  capAdd?: string[];
  hostNetwork?: boolean;
  hostPid?: boolean;
  hostIpc?: boolean;
  hostUts?: boolean;
  seccompUnconfined?: boolean;
  apparmorUnconfined?: boolean;
  devices?: string[];
  /** Infrastructure agents: their compose project, or none when started with `docker run`. */
  project?: string;
  standalone?: boolean;
}

/** A service with its derived, shared values. */
interface Service extends ServiceDef {
  exposed: PortInput[];
  bindMounts: MountInput[];
  usesSocket: boolean;
}

const DOCKER_SOCKET = "/var/run/docker.sock";
const PODMAN_SOCKET = "/run/podman/podman.sock";

function service(def: ServiceDef): Service {
  const ports = [
    ...(def.ports ?? []).map((p) => ({ port: p, protocol: "tcp" as const })),
    ...(def.udpPorts ?? []).map((p) => ({ port: p, protocol: "udp" as const })),
  ];
  return {
    ...def,
    exposed: ports.map(({ port, protocol }) => ({ containerPort: port, protocol, hostIp: null, hostPort: null })),
    bindMounts: (def.binds ?? []).map((b) => ({
      type: "bind",
      source: b.source,
      destination: b.destination,
      readOnly: b.readOnly ?? false,
      propagation: b.propagation ?? "rprivate",
    })),
    usesSocket: (def.binds ?? []).some((b) => b.source === DOCKER_SOCKET),
  };
}

const LOCALTIME: Bind = { source: "/etc/localtime", destination: "/etc/localtime", readOnly: true };
const SOCKET_RW: Bind = { source: DOCKER_SOCKET, destination: DOCKER_SOCKET };
const SOCKET_RO: Bind = { ...SOCKET_RW, readOnly: true };

const postgres = service({
  name: "db",
  images: ["postgres:16", "postgres:16", "postgres:15"],
  user: null,
  runAs: "999:999",
  command: "docker-entrypoint.sh postgres",
  ports: [5432],
  volumes: [["pgdata", "/var/lib/postgresql/data"]],
  memoryMiB: 2048,
  health: true,
});
const redis = service({
  name: "cache",
  images: ["redis:7", "redis:7-alpine"],
  user: null,
  runAs: "999:999",
  command: "docker-entrypoint.sh redis-server --appendonly yes",
  ports: [6379],
  volumes: [["redis-data", "/data"]],
  memoryMiB: 256,
  health: true,
});

interface StackDef {
  name: string;
  services: Service[];
}

/** Application stacks, deployed per tenant with Compose. */
const STACKS = new Weighted<StackDef>([
  [
    {
      name: "shop",
      services: [
        service({ name: "web", images: [`${REGISTRY}/shop/web:2.3.1`], user: null, runAs: "101:101", command: "nginx -g 'daemon off;'", publish: "auto", ports: [80], memoryMiB: 128, replicas: 2, health: true, readOnlyOk: true }),
        service({ name: "api", images: [`${REGISTRY}/shop/api:2.3.1`], user: "node", command: "node dist/server.js", ports: [3000], memoryMiB: 512, replicas: 4, health: true, readOnlyOk: true }),
        service({ name: "worker", images: [`${REGISTRY}/shop/api:2.3.1`], user: "node", command: "node dist/worker.js", memoryMiB: 512, replicas: 3, readOnlyOk: true }),
        postgres,
        redis,
      ],
    },
    20,
  ],
  [
    {
      name: "crm",
      services: [
        service({ name: "frontend", images: [`${REGISTRY}/crm/frontend:4.12.0`], user: null, runAs: "101:101", command: "nginx -g 'daemon off;'", publish: "auto", ports: [80], memoryMiB: 128, replicas: 2, readOnlyOk: true }),
        service({ name: "backend", images: [`${REGISTRY}/crm/backend:4.12.0`], user: "1000", command: "java -jar /app/crm.jar", ports: [8080], binds: [LOCALTIME], memoryMiB: 1536, replicas: 3, health: true }),
        postgres,
        redis,
      ],
    },
    15,
  ],
  [
    {
      name: "blog",
      services: [
        service({ name: "wordpress", images: ["wordpress:6.6-apache"], user: null, runAs: "33:33", command: "apache2-foreground", publish: "auto", ports: [80], volumes: [["wp-content", "/var/www/html"]], memoryMiB: 512 }),
        service({ name: "db", images: ["mariadb:11.4"], user: null, runAs: "999:999", command: "docker-entrypoint.sh mariadbd", ports: [3306], volumes: [["mysql", "/var/lib/mysql"]], memoryMiB: 1024, health: true }),
      ],
    },
    10,
  ],
  [
    {
      name: "analytics",
      services: [
        service({ name: "etl", images: [`${REGISTRY}/analytics/etl:1.8.0`], user: "app", command: "python -m etl.run", binds: [LOCALTIME], memoryMiB: 2048, replicas: 3 }),
        service({ name: "scheduler", images: [`${REGISTRY}/analytics/etl:1.8.0`], user: "app", command: "python -m etl.scheduler", memoryMiB: 256 }),
        postgres,
      ],
    },
    10,
  ],
  [
    {
      name: "ml",
      services: [
        // PyTorch's own docs recommend --ipc=host for shared-memory data loaders (CIS 5.17).
        service({ name: "trainer", images: ["pytorch/pytorch:2.4.1-cuda12.1-cudnn9-runtime"], user: null, command: "python train.py", hostIpc: true, memoryMiB: 16384 }),
      ],
    },
    2,
  ],
  [
    {
      name: "billing",
      services: [
        service({ name: "service", images: [`${REGISTRY}/billing/service:1.4.2`], user: "10001", command: "gunicorn billing.wsgi:app", publish: "auto", ports: [8000], memoryMiB: 768, replicas: 3, health: true, readOnlyOk: true }),
        service({ name: "queue", images: ["rabbitmq:3.13-management"], user: null, runAs: "999:999", command: "docker-entrypoint.sh rabbitmq-server", ports: [5672, 15672], volumes: [["rabbitmq", "/var/lib/rabbitmq"]], memoryMiB: 1024, health: true }),
        postgres,
      ],
    },
    10,
  ],
  [
    {
      name: "auth",
      services: [
        service({ name: "keycloak", images: ["quay.io/keycloak/keycloak:25.0"], user: "1000", command: "/opt/keycloak/bin/kc.sh start", publish: "auto", ports: [8443], memoryMiB: 1024, health: true }),
        postgres,
      ],
    },
    8,
  ],
  [
    {
      name: "search",
      services: [
        service({ name: "elasticsearch", images: ["docker.elastic.co/elasticsearch/elasticsearch:8.15.1"], user: "1000:0", command: "/bin/tini -- /usr/local/bin/docker-entrypoint.sh eswrapper", ports: [9200, 9300], volumes: [["esdata", "/usr/share/elasticsearch/data"]], memoryMiB: 4096, health: true }),
      ],
    },
    5,
  ],
  [
    {
      name: "ci",
      services: [
        service({ name: "runner", images: ["gitlab/gitlab-runner:v17.4.0"], user: null, command: "/usr/bin/dumb-init /entrypoint run --user=gitlab-runner", binds: [SOCKET_RW], volumes: [["runner-config", "/etc/gitlab-runner"]], memoryMiB: 512 }),
        service({ name: "dind", images: ["docker:27-dind"], user: null, command: "dockerd-entrypoint.sh", privileged: true, ports: [2376], volumes: [["dind-storage", "/var/lib/docker"]], memoryMiB: 4096, replicas: 2 }),
      ],
    },
    4,
  ],
]);

// Infrastructure agents: node-exporter and cadvisor share the host's namespaces and mount its
// sensitive directories (CIS 5.6, 5.10, 5.16); traefik, portainer, watchtower and the CI runner
// mount the engine socket (CIS 5.32). They carry no tenant label: they serve the whole host.
const NODE_EXPORTER = service({
  name: "node-exporter",
  project: "monitoring",
  images: ["prom/node-exporter:v1.8.2"],
  user: "nobody",
  command: "/bin/node_exporter --path.rootfs=/host",
  hostNetwork: true,
  hostPid: true,
  binds: [
    { source: "/", destination: "/host", readOnly: true, propagation: "rslave" },
    { source: "/proc", destination: "/host/proc", readOnly: true },
    { source: "/sys", destination: "/host/sys", readOnly: true },
  ],
  memoryMiB: 64,
  readOnlyOk: true,
});
const CADVISOR = service({
  name: "cadvisor",
  project: "monitoring",
  images: ["gcr.io/cadvisor/cadvisor:v0.49.1"],
  user: null,
  command: "/usr/bin/cadvisor -logtostderr",
  privileged: true,
  devices: ["/dev/kmsg"],
  publish: "same",
  ports: [8080],
  binds: [
    { source: "/", destination: "/rootfs", readOnly: true },
    { source: "/var/run", destination: "/var/run", readOnly: true },
    { source: "/sys", destination: "/sys", readOnly: true },
    { source: "/var/lib/docker", destination: "/var/lib/docker", readOnly: true },
  ],
  memoryMiB: 256,
});
const PROMETHEUS = service({
  name: "prometheus",
  project: "monitoring",
  images: ["prom/prometheus:v2.54.1"],
  user: "nobody",
  command: "/bin/prometheus --config.file=/etc/prometheus/prometheus.yml",
  publish: "same",
  ports: [9090],
  volumes: [["prometheus-data", "/prometheus"]],
  memoryMiB: 2048,
  health: true,
});
const GRAFANA = service({
  name: "grafana",
  project: "monitoring",
  images: ["grafana/grafana:11.2.0"],
  user: "472",
  command: "/run.sh",
  publish: "same",
  ports: [3000],
  volumes: [["grafana-data", "/var/lib/grafana"]],
  memoryMiB: 512,
  health: true,
});
const TRAEFIK = service({
  name: "traefik",
  project: "proxy",
  images: ["traefik:v3.1"],
  user: null,
  command: "/entrypoint.sh traefik --providers.docker=true",
  publish: "same",
  ports: [80, 443],
  binds: [SOCKET_RO],
  memoryMiB: 256,
  health: true,
  readOnlyOk: true,
});
const FLUENT_BIT = service({
  name: "fluent-bit",
  project: "logging",
  images: ["fluent/fluent-bit:3.1"],
  user: null,
  command: "/fluent-bit/bin/fluent-bit -c /fluent-bit/etc/fluent-bit.conf",
  binds: [
    { source: "/var/lib/docker/containers", destination: "/var/lib/docker/containers", readOnly: true },
    { source: "/var/log", destination: "/var/log", readOnly: true },
  ],
  memoryMiB: 128,
});
const BACKUP = service({
  name: "restic",
  project: "backup",
  images: ["restic/restic:0.17.1"],
  user: null,
  command: "restic backup /source",
  binds: [
    { source: "/etc", destination: "/source/etc", readOnly: true },
    { source: "/var/lib/docker/volumes", destination: "/source/volumes", readOnly: true },
  ],
  memoryMiB: 512,
});
const PORTAINER = service({
  name: "portainer",
  standalone: true,
  images: ["portainer/portainer-ce:2.21.2"],
  user: null,
  command: "/portainer",
  publish: "same",
  ports: [9443],
  binds: [SOCKET_RW],
  volumes: [["portainer_data", "/data"]],
  memoryMiB: 256,
});
const WATCHTOWER = service({
  name: "watchtower",
  standalone: true,
  images: ["containrrr/watchtower:1.7.1"],
  user: null,
  command: "/watchtower --cleanup",
  binds: [SOCKET_RW],
  memoryMiB: 64,
});
const WIREGUARD = service({
  name: "wireguard",
  standalone: true,
  images: ["lscr.io/linuxserver/wireguard:1.0.20210914"],
  user: null,
  command: "/init",
  capAdd: ["NET_ADMIN", "SYS_MODULE"],
  publish: "same",
  udpPorts: [51820],
  binds: [{ source: "/lib/modules", destination: "/lib/modules", readOnly: true }],
  memoryMiB: 128,
});
const RCLONE = service({
  name: "rclone-mount",
  standalone: true,
  images: ["rclone/rclone:1.68"],
  user: null,
  command: "rclone mount remote:archive /mnt/archive --allow-other",
  capAdd: ["SYS_ADMIN"],
  devices: ["/dev/fuse"],
  apparmorUnconfined: true,
  binds: [{ source: "/mnt/archive", destination: "/mnt/archive", propagation: "rshared" }],
  memoryMiB: 256,
});
const NETSHOOT = service({
  name: "netshoot",
  standalone: true,
  images: ["nicolaka/netshoot:v0.13"],
  user: null,
  command: "sleep infinity",
  hostNetwork: true,
  hostPid: true,
  hostUts: true,
  capAdd: ["NET_ADMIN", "SYS_PTRACE"],
  seccompUnconfined: true,
  memoryMiB: 0,
});

/** Infrastructure groups and the share of engine hosts running each. */
const INFRA: [Service[], number][] = [
  [[NODE_EXPORTER], 0.6],
  [[CADVISOR], 0.25],
  [[PROMETHEUS, GRAFANA], 0.06],
  [[TRAEFIK], 0.35],
  [[FLUENT_BIT], 0.2],
  [[BACKUP], 0.08],
  [[PORTAINER], 0.12],
  [[WATCHTOWER], 0.15],
  [[WIREGUARD], 0.04],
  [[RCLONE], 0.03],
  [[NETSHOOT], 0.03],
];
/** The first engine host of every customer shows each isolation finding, however small the demo. */
const SHOWCASE_INFRA = [NODE_EXPORTER, CADVISOR, TRAEFIK, PORTAINER, WATCHTOWER, NETSHOOT];

// -------------------------------------------------------------------------------------------------
// Engine hosts and containers

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

function newEngine(ctx: Context, plan: VmPlan, vm: VmInput, showcase: boolean): Engine {
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

function engineHost(engine: Engine, plan: VmPlan, vm: VmInput): HostInput {
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
function fillEngine(ctx: Context, engine: Engine, count: number, out: ContainerInput[]) {
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

function addLeftoverImages(ctx: Context, engine: Engine) {
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

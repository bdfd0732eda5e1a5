/** What the demo fleet is made of: guest OSes, VM sizes and roles, server hardware, hypervisor releases. */
import { Weighted } from "./random";

type OsFamily = "linux" | "windows" | "other" | "unknown";

export interface OsDef {
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

export const RHEL9 = linux({
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

export const GENERIC_LINUX = { id: "other4xLinux64Guest", name: "Other 4.x or later Linux (64-bit)" };

// Demo mix (weights sum to 100): 70% Linux, 25% Windows Server, 3% FreeBSD appliances, 2% unknown.
export const OS_TABLE = new Weighted<OsDef>([
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
      osinfoId: "http://suse.com/sle/15.5",
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

export type Role =
  | "web" | "app" | "db" | "cache" | "ci" | "mq" | "mon" | "file" | "proxy" | "batch"
  | "sql" | "iis" | "rds" | "dc" | "print" | "backup" | "fw" | "legacy" | "tpl" | "docker" | "podman";

export const LINUX_ROLES = new Weighted<Role>([
  ["web", 22], ["app", 24], ["db", 12], ["cache", 6], ["ci", 6], ["mq", 5], ["mon", 5], ["file", 4], ["proxy", 6], ["batch", 10],
]);
export const WINDOWS_ROLES = new Weighted<Role>([
  ["app", 32], ["sql", 18], ["file", 10], ["iis", 14], ["rds", 8], ["dc", 10], ["print", 3], ["backup", 5],
]);

/** Name fragment per role ("nw-lb-01"); templates are named after their OS. */
export const ROLE_NAME: Record<Role, string> = {
  web: "web", app: "app", db: "db", cache: "cache", ci: "ci", mq: "mq", mon: "mon", file: "file", proxy: "lb",
  batch: "batch", sql: "sql", iis: "iis", rds: "rds", dc: "dc", print: "print", backup: "bkp", fw: "fw",
  legacy: "legacy", tpl: "tpl", docker: "docker", podman: "podman",
};

export const FOLDER: Record<Role, string> = {
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
export const SIZE_BY_ROLE: Record<Role, Weighted<Size>> = {
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

export const DATA_DISK_GIB: Partial<Record<Role, number[]>> = {
  db: [200, 500, 1000, 2000],
  sql: [200, 500, 1000],
  file: [500, 1000, 2000, 4000],
  backup: [2000, 4000],
};
export const DEFAULT_DATA_DISK_GIB = [20, 50, 100, 200];
export const DISK_COUNT = new Weighted<number>([[1, 45], [2, 35], [3, 12], [4, 8]]);

export const LINUX_DB_ENGINES = ["PostgreSQL 16", "PostgreSQL 13", "MySQL 8.0", "MariaDB 10.11", "MongoDB 7.0"];
export const WINDOWS_DB_ENGINES = [
  "Microsoft SQL Server 2019 Standard",
  "Microsoft SQL Server 2022 Standard",
  "Microsoft SQL Server 2016 Enterprise",
];
export const DATABASE_NAMES = [
  "orders", "inventory", "billing", "crm", "hr", "payroll", "erp", "reporting", "sessions", "audit", "warehouse", "customers",
];
export const TEAMS = ["platform", "web", "erp", "data", "finance-it", "workplace"];

export interface CpuDef {
  model: string;
  /** Physical cores, both sockets. */
  cores: number;
  mhz: number;
  amd: boolean;
}

/** Two-socket server CPUs, most cores first. */
export const CPUS: CpuDef[] = [
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

export interface ServerVendor {
  name: string;
  intel: string;
  amd: string;
  nicOui: string;
}

export const SERVER_VENDORS: ServerVendor[] = [
  { name: "Dell Inc.", intel: "PowerEdge R750", amd: "PowerEdge R7525", nicOui: "b4:96:91" },
  { name: "HPE", intel: "ProLiant DL380 Gen10 Plus", amd: "ProLiant DL385 Gen10 Plus v2", nicOui: "3c:fd:fe" },
  { name: "Lenovo", intel: "ThinkSystem SR650 V2", amd: "ThinkSystem SR665", nicOui: "08:c0:eb" },
  { name: "Supermicro", intel: "SYS-620U-TNR", amd: "AS -2124US-TNRP", nicOui: "ac:1f:6b" },
];

/** Host memory options, GiB. */
export const HOST_MEMORY_GIB = [512, 768, 1024, 1536];

export interface EsxiRelease {
  version: string;
  build: string;
  api: string;
  major: 7 | 8;
  hardware: Weighted<string>;
}

export const ESXI_RELEASES = new Weighted<EsxiRelease>([
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

export interface KvmStack {
  osName: string;
  kernel: string;
  qemu: string;
  libvirt: string;
}

export const KVM_STACKS: KvmStack[] = [
  { osName: "Ubuntu 24.04.1 LTS", kernel: "6.8.0-45-generic", qemu: "8.2.2", libvirt: "10.0.0" },
  { osName: "Red Hat Enterprise Linux 9.4 (Plow)", kernel: "5.14.0-427.13.1.el9_4.x86_64", qemu: "8.2.0", libvirt: "10.0.0" },
];
export const KVM_MACHINES = ["pc-q35-8.2", "pc-q35-6.2", "pc-i440fx-6.2"];

/** VMware Tools versions as vSphere reports them (major*1024 + minor*32 + patch): 12.4.0, 12.3.5, 11.3.5. */
export const TOOLS_CURRENT = ["12416", "12389"];
export const TOOLS_OLD = "11365";
export const QEMU_GA_VERSIONS = ["8.2.2", "7.2.0"];

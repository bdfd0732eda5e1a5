/**
 * Every model parameter the analyses use, in one place, each with its source (the docs/domain.md
 * section holding the fact, and the upstream it comes from).
 * An admin may override any of them (stored in app_setting "analysis.parameters", validated by
 * `parametersSchema`); the dashboard shows the values in force and where each comes from.
 */
import { z } from "zod";
import { neverLinux, osFamilyOf, osTexts, type GuestOsTexts } from "../inventory/os-identity";
import { PERCENTILES } from "../utilisation/stats";
import { DOMAIN } from "./rules/sources";

export interface OsFootprint {
  /** Shown to people: "RHEL 9", "Windows Server 2022". */
  label: string;
  family: "linux" | "windows" | "other";
  /**
   * Case-insensitive regular expression tried against the reported OS, then guestOsId, then the
   * configured OS; read by PostgreSQL (`~*`) too, so written in what both read alike (no `\\b`).
   */
  match: string;
  ramMiB: number;
  diskMiB: number;
  /** Where the figures come from: the osinfo-db file, with the branch read. */
  source: string;
  /** The libosinfo id whose entry gives the figures ("http://ubuntu.com/ubuntu/22.04"), or null. */
  osinfoId: string | null;
  /** Where the row deliberately differs from that entry, and why (shown with it), or null. */
  deviation: string | null;
}

/** osinfo-db's own entry for an OS: data/os/<vendor>/<os>.xml.in, minimum RAM and storage (bytes there). */
const OSINFO_DB = "https://gitlab.com/libosinfo/osinfo-db/-/blob/main/data/os";
const osinfo = (file: string) => `libosinfo osinfo-db (main, read 2026-12) ${OSINFO_DB}/${file}: <resources> <minimum>; ${DOMAIN.footprints}`;
const mib = (bytes: number) => bytes / 1024 ** 2;

/**
 * Default OS footprints: what one more copy of that OS costs, osinfo-db's minimum RAM and storage for
 * it (x86_64, else "all"). First match wins; a text naming a never-Linux OS (os-identity.ts) never
 * takes a Linux row, and a guest whose family is known takes a row of that family only.
 */
export const DEFAULT_OS_FOOTPRINTS: OsFootprint[] = [
  { label: "Windows Server 2025", family: "windows", match: "win/2k25|windows2022srvNext|server 2025", ramMiB: mib(536870912), diskMiB: mib(34359738368), source: osinfo("microsoft.com/win-2k25.xml.in"), osinfoId: "http://microsoft.com/win/2k25", deviation: null },
  { label: "Windows Server 2022", family: "windows", match: "win/2k22|windows2019srvNext|server 2022", ramMiB: mib(536870912), diskMiB: mib(34359738368), source: osinfo("microsoft.com/win-2k22.xml.in"), osinfoId: "http://microsoft.com/win/2k22", deviation: null },
  { label: "Windows Server 2019", family: "windows", match: "win/2k19|windows2019srv_|server 2019", ramMiB: mib(536870912), diskMiB: mib(34359738368), source: osinfo("microsoft.com/win-2k19.xml.in"), osinfoId: "http://microsoft.com/win/2k19", deviation: null },
  { label: "Windows Server 2016", family: "windows", match: "win/2k16|windows9Server|server 2016", ramMiB: mib(536870912), diskMiB: mib(34359738368), source: osinfo("microsoft.com/win-2k16.xml.in"), osinfoId: "http://microsoft.com/win/2k16", deviation: null },
  { label: "Windows Server 2012 R2", family: "windows", match: "win/2k12r2|server 2012 r2", ramMiB: mib(536870912), diskMiB: mib(34359738368), source: osinfo("microsoft.com/win-2k12r2.xml.in"), osinfoId: "http://microsoft.com/win/2k12r2", deviation: null },
  { label: "Windows Server 2012", family: "windows", match: "win/2k12|windows8Server|server 2012", ramMiB: mib(536870912), diskMiB: mib(34359738368), source: osinfo("microsoft.com/win-2k12.xml.in"), osinfoId: "http://microsoft.com/win/2k12", deviation: null },
  { label: "Windows 11", family: "windows", match: "win/11|windows11|windows 11", ramMiB: mib(4294967296), diskMiB: mib(68719476736), source: osinfo("microsoft.com/win-11.xml.in"), osinfoId: "http://microsoft.com/win/11", deviation: null },
  { label: "Windows 10", family: "windows", match: "win/10|windows9_64Guest|windows9Guest|windows 10", ramMiB: mib(2147483648), diskMiB: mib(21474836480), source: osinfo("microsoft.com/win-10.xml.in"), osinfoId: "http://microsoft.com/win/10", deviation: null },
  {
    label: "Windows (other)", family: "windows", match: "(^|[^a-z])win", ramMiB: mib(536870912), diskMiB: mib(34359738368), source: osinfo("microsoft.com/win-2k22.xml.in"), osinfoId: "http://microsoft.com/win/2k22",
    deviation: "version not known: Windows Server's minimum (the same in osinfo-db from 2012 to 2025); a Windows 10 or 11 desktop needs more (2 GiB / 20 GiB, 4 GiB / 64 GiB)",
  },
  { label: "RHEL 9", family: "linux", match: "rhel/9|rhel9|red hat enterprise linux 9", ramMiB: mib(1610612736), diskMiB: mib(10737418240), source: osinfo("redhat.com/rhel-9.0.xml.in"), osinfoId: "http://redhat.com/rhel/9.0", deviation: null },
  { label: "RHEL 8", family: "linux", match: "rhel/8|rhel8|red hat enterprise linux 8", ramMiB: mib(1610612736), diskMiB: mib(10737418240), source: osinfo("redhat.com/rhel-8.0.xml.in"), osinfoId: "http://redhat.com/rhel/8.0", deviation: null },
  { label: "Rocky Linux 9", family: "linux", match: "rocky/9|rocky linux 9|rocky-9", ramMiB: mib(1610612736), diskMiB: mib(10737418240), source: osinfo("rockylinux.org/rocky-9.xml.in"), osinfoId: "http://rockylinux.org/rocky/9", deviation: null },
  { label: "Rocky Linux 8", family: "linux", match: "rocky/8|rocky linux 8|rocky-8", ramMiB: mib(1610612736), diskMiB: mib(10737418240), source: osinfo("rockylinux.org/rocky-8.xml.in"), osinfoId: "http://rockylinux.org/rocky/8", deviation: null },
  {
    label: "Rocky Linux (version not known)", family: "linux", match: "rocky", ramMiB: mib(1610612736), diskMiB: mib(10737418240), source: osinfo("rockylinux.org/rocky-9.xml.in"), osinfoId: "http://rockylinux.org/rocky/9",
    deviation: "version not known (vSphere's rockylinux_64Guest names none): Rocky Linux 8 and 9 have the same minimum in osinfo-db",
  },
  { label: "Ubuntu 24.04", family: "linux", match: "ubuntu/24\\.04|ubuntu 24\\.04", ramMiB: mib(3221225472), diskMiB: mib(21474836480), source: osinfo("ubuntu.com/ubuntu-24.04.xml.in"), osinfoId: "http://ubuntu.com/ubuntu/24.04", deviation: null },
  { label: "Ubuntu 22.04", family: "linux", match: "ubuntu/22\\.04|ubuntu 22\\.04", ramMiB: mib(2147483648), diskMiB: mib(10737418240), source: osinfo("ubuntu.com/ubuntu-22.04.xml.in"), osinfoId: "http://ubuntu.com/ubuntu/22.04", deviation: null },
  { label: "Ubuntu 20.04", family: "linux", match: "ubuntu/20\\.04|ubuntu 20\\.04", ramMiB: mib(2147483648), diskMiB: mib(5368709120), source: osinfo("ubuntu.com/ubuntu-20.04.xml.in"), osinfoId: "http://ubuntu.com/ubuntu/20.04", deviation: null },
  {
    label: "Ubuntu (other)", family: "linux", match: "ubuntu", ramMiB: mib(2147483648), diskMiB: mib(5368709120), source: osinfo("ubuntu.com/ubuntu-20.04.xml.in"), osinfoId: "http://ubuntu.com/ubuntu/20.04",
    deviation: "version not known (vSphere's ubuntu64Guest names none): the smallest minimum of the LTS releases (20.04: 2 GiB / 5 GiB; 22.04 needs 10 GiB, 24.04 3 GiB / 20 GiB), so duplicate copies are not overstated",
  },
  { label: "Debian 12", family: "linux", match: "debian/12|debian12|debian gnu/linux 12|debian 12", ramMiB: mib(1073741824), diskMiB: mib(10737418240), source: osinfo("debian.org/debian-12.xml.in"), osinfoId: "http://debian.org/debian/12", deviation: null },
  { label: "Debian 11", family: "linux", match: "debian/11|debian11|debian gnu/linux 11|debian 11", ramMiB: mib(1073741824), diskMiB: mib(10737418240), source: osinfo("debian.org/debian-11.xml.in"), osinfoId: "http://debian.org/debian/11", deviation: null },
  { label: "SLES 15", family: "linux", match: "sles?/15|sles?15|suse linux enterprise( server| desktop)? 15", ramMiB: mib(536870912), diskMiB: mib(1074151424), source: osinfo("suse.com/sle-15.xml.in"), osinfoId: "http://suse.com/sle/15", deviation: null },
  {
    label: "Linux (other)", family: "linux", match: "linux|centos|rhel|red hat|debian|sles|suse|fedora|almalinux|oracle\\.com/ol/|photon|coreos", ramMiB: mib(1073741824), diskMiB: mib(10737418240), source: osinfo("redhat.com/rhel-7.0.xml.in"), osinfoId: "http://redhat.com/rhel/7.0",
    deviation: "distribution or version not known: 1 GiB / 10 GiB, the minimum osinfo-db gives RHEL 7, CentOS 7 and Debian 11 and 12 (RHEL 8 and 9 need 1.5 GiB, SLE 15 less)",
  },
  {
    label: "FreeBSD", family: "other", match: "freebsd", ramMiB: 512, diskMiB: 5 * 1024, source: `${OSINFO_DB}/freebsd.org/freebsd-14.0.xml.in; ${DOMAIN.footprints}`, osinfoId: null,
    deviation: "osinfo-db gives FreeBSD no <resources>: ours, a small install (512 MiB, 5 GiB)",
  },
];

export const parametersSchema = z.object({
  /** Target vCPU per physical core: hosts above it are flagged; packing uses it. */
  targetVcpuPerCore: z.number().positive().max(64),
  /** Target configured VM memory per physical memory. */
  targetVramPerPram: z.number().positive().max(8),
  osFootprints: z
    .array(
      z.object({
        label: z.string().min(1).max(100),
        family: z.enum(["linux", "windows", "other"]),
        match: z.string().min(1).max(500).refine(isRegExp, "not a valid regular expression"),
        ramMiB: z.number().min(0).max(1e7),
        diskMiB: z.number().min(0).max(1e9),
        source: z.string().max(500),
        osinfoId: z.string().max(200).nullable().default(null),
        deviation: z.string().max(500).nullable().default(null),
      }),
    )
    .max(200),
  /**
   * The kata-deploy release whose RuntimeClass overheads (podFixed) a move to Kata costs; the class
   * is chosen per host from the runtimes it offers (kata-overhead.ts).
   */
  kataDeployRelease: z.string().trim().regex(/^\d+\.\d+(\.\d+)?$/, "a kata-deploy release such as 4.1.0"),
  /** Forklift: more than this many disks cannot be migrated. */
  maxDisks: z.number().int().min(1).max(10000),
  /** A Linux VM with more memory than this is better given its own guest kernel (Kata) than a cgroup. */
  containerMaxMemoryMiB: z.number().min(0).max(1e7),
  /** Windows container hosts (Hyper-V isolated Windows containers) are available to this customer. */
  windowsContainerHosts: z.boolean(),
  /** Guest discovery: more services than this in one guest (servers and listening programs, less the OS's own) means splitting it first. */
  guestMaxServices: z.number().int().min(1).max(1000),
  /** A VM moved to a system container sheds its guest kernel: the RAM that kernel holds (MiB) ... */
  guestKernelRamMiB: z.number().min(0).max(1e6),
  /** ... and the disk its kernel package takes (MiB); the userland stays. */
  guestKernelDiskMiB: z.number().min(0).max(1e6),
  /** Posture score: points taken from a container's 100 for each finding of each severity. */
  scoreDeduction: z.object({ critical: z.number().min(0).max(100), warning: z.number().min(0).max(100), info: z.number().min(0).max(100) }),
  /** Measured use: the days before the analysis whose values are read. */
  utilisationPeriodDays: z.number().int().min(1).max(400),
  /** Measured use: no verdict on less than this many hours of values (else "insufficient data"). */
  minMeasuredHours: z.number().min(0).max(24 * 400),
  /** The percentile of measured use a size is made from (50, 90, 95 or 99). */
  sizingPercentile: z.number().refine((v) => (PERCENTILES as readonly number[]).includes(v), "one of 50, 90, 95, 99"),
  /** Headroom a suggested size keeps above the percentile: × this. */
  comfortFactor: z.number().min(1).max(5),
  /** Idle: CPU at or under this many MHz ... */
  idleCpuMhz: z.number().min(0).max(1e6),
  /** ... for at least this percentage of the time (50, 90, 95 or 99). */
  idleTimePercent: z.number().refine((v) => (PERCENTILES as readonly number[]).includes(v), "one of 50, 90, 95, 99"),
  /** Undersized: CPU above this % of the VM's vCPUs at the sizing percentile ... */
  undersizedCpuPercent: z.number().min(1).max(100),
  /** ... or CPU ready above this % per vCPU at the sizing percentile. */
  cpuReadyPercent: z.number().min(0).max(100),
  /** Powered off at every collection for at least this many days. */
  poweredOffDays: z.number().int().min(1).max(3650),
  /** A snapshot older than this many days. */
  snapshotMaxAgeDays: z.number().min(0).max(3650),
  /** A template no VM was deployed or cloned from for this many days (vCenter's events). */
  templateUnusedDays: z.number().int().min(1).max(3650),
  /** Packing hosts: use at most this % of a host's CPU and memory. */
  hostTargetCpuPercent: z.number().min(1).max(100),
  hostTargetMemoryPercent: z.number().min(1).max(100),
  /** Hosts a cluster keeps spare when packed (1: N+1, it can lose its largest host). */
  spareHosts: z.number().int().min(0).max(100),
});

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern, "i");
    return true;
  } catch {
    return false;
  }
}

export type Parameters = z.infer<typeof parametersSchema>;

export const DEFAULT_PARAMETERS: Parameters = {
  targetVcpuPerCore: 6,
  targetVramPerPram: 1,
  osFootprints: DEFAULT_OS_FOOTPRINTS,
  kataDeployRelease: "4.1.0",
  maxDisks: 165,
  containerMaxMemoryMiB: 32 * 1024,
  windowsContainerHosts: false,
  guestMaxServices: 3,
  guestKernelRamMiB: 130,
  guestKernelDiskMiB: 391,
  scoreDeduction: { critical: 25, warning: 10, info: 2 },
  utilisationPeriodDays: 30,
  minMeasuredHours: 24,
  sizingPercentile: 95,
  comfortFactor: 1.3,
  idleCpuMhz: 100,
  idleTimePercent: 90,
  undersizedCpuPercent: 85,
  cpuReadyPercent: 5,
  poweredOffDays: 30,
  snapshotMaxAgeDays: 3,
  templateUnusedDays: 30,
  hostTargetCpuPercent: 70,
  hostTargetMemoryPercent: 80,
  spareHosts: 1,
};

/** Where each scalar default comes from, shown next to it in the dashboard. */
export const PARAMETER_SOURCES: Record<Exclude<keyof Parameters, "osFootprints">, { label: string; source: string }> = {
  targetVcpuPerCore: { label: "Target vCPU per physical core", source: `6:1, a common sizing-tool default (3:1 to 6:1 typical); ${DOMAIN.density}` },
  targetVramPerPram: { label: "Target vRAM per physical RAM", source: `1.0: above it memory relies on ballooning and swap; ${DOMAIN.density}` },
  kataDeployRelease: {
    label: "kata-deploy release (Kata overhead per pod)",
    source: `4.1.0: its RuntimeClass overhead.podFixed, by the class each host offers (kata-qemu 320 MiB from 4.0, 160 MiB up to 3.32; clh, fc, dragonball 130 MiB; confidential 1-2 GiB; GPU 10 GiB); ${DOMAIN.kata}`,
  },
  maxDisks: { label: "Most disks a VM may have", source: `Forklift: more than 165 disks (vmware.disk.count.exceeds.limit); ${DOMAIN.forklift}` },
  containerMaxMemoryMiB: { label: "Largest VM for a plain container (MiB)", source: `ours: above it, an own guest kernel (Kata) rather than a cgroup on a shared kernel; ${DOMAIN.verdicts}` },
  windowsContainerHosts: { label: "Windows container hosts available", source: `off: Kata runs Linux guests only; Hyper-V isolated Windows containers are a separate choice; ${DOMAIN.verdicts}` },
  guestMaxServices: {
    label: "Most services in one guest before a split (guest discovery)",
    source: `ours: 3, a web server, its application runtime and one more (a LAMP stack's three tiers) stay one move; a fourth unrelated service means one container per service first; ${DOMAIN.guestFit}`,
  },
  guestKernelRamMiB: {
    label: "Guest kernel RAM a system container sheds (MiB)",
    source: `130 MiB: kata-deploy 4.1.0's overhead.podFixed for its lightest classes (clh, fc, dragonball), the smallest measured cost upstream gives a guest kernel with its VMM; a full distribution kernel with its caches holds more, so this understates; ${DOMAIN.lxd}`,
  },
  guestKernelDiskMiB: {
    label: "Guest kernel disk a system container sheds (MiB)",
    source: `391 MiB: Debian 12's linux-image-6.1.0-52-amd64 6.1.180-1, Installed-Size 400,047 KiB (apt-cache show); the initramfs is not counted; ${DOMAIN.lxd}`,
  },
  scoreDeduction: { label: "Posture score deduction per finding", source: `ours: critical 25, warning 10, info 2 points from 100; ${DOMAIN.verdicts}` },
  utilisationPeriodDays: { label: "Measured use: days read", source: `30: a month, Azure Migrate's longest performance history (1 day, 1 week, 1 month); ${DOMAIN.utilisation}` },
  minMeasuredHours: { label: "Measured use: fewest hours for a verdict", source: `ours: 24, one daily cycle; less is "insufficient data"; ${DOMAIN.utilisation}` },
  sizingPercentile: { label: "Sizing percentile (50, 90, 95, 99)", source: `95th: Azure Migrate's default percentile utilisation for performance-based sizing; ${DOMAIN.utilisation}` },
  comfortFactor: { label: "Comfort factor on measured use", source: `1.3: Azure Migrate's default comfort factor (headroom for seasonality and growth); ${DOMAIN.utilisation}` },
  idleCpuMhz: { label: "Idle VM: CPU at most (MHz)", source: `100 MHz: the idle-VM test of Aria Operations' reclamation settings (CPU at or under a MHz threshold for a share of the time); ${DOMAIN.utilisation}` },
  idleTimePercent: { label: "Idle VM: share of the time (50, 90, 95, 99 %)", source: `90 %: with the MHz threshold, as Aria Operations' idle-VM setting; ${DOMAIN.utilisation}` },
  undersizedCpuPercent: { label: "Undersized VM: CPU above (% of its vCPUs)", source: `ours: 85 % at the sizing percentile; ${DOMAIN.utilisation}` },
  cpuReadyPercent: { label: "Undersized VM: CPU ready above (% per vCPU)", source: `5 %: the common VMware rule of thumb for CPU contention (10 % is severe); ${DOMAIN.utilisation}` },
  poweredOffDays: { label: "Powered-off VM: days off", source: `ours: 30, off at every collection for a month; ${DOMAIN.utilisation}` },
  snapshotMaxAgeDays: { label: "Old snapshot: days", source: `3: VMware KB 1025279, use no single snapshot for more than 72 hours; ${DOMAIN.utilisation}` },
  templateUnusedDays: {
    label: "Unused template: days without a deploy or clone",
    source: `ours: 30, vCenter's default event retention (event.maxAge), the longest it can say a template was not used; ${DOMAIN.utilisation}`,
  },
  hostTargetCpuPercent: { label: "Host packing: CPU use at most (%)", source: `ours: 70 %, headroom for peaks above the sizing percentile; ${DOMAIN.utilisation}` },
  hostTargetMemoryPercent: { label: "Host packing: memory use at most (%)", source: `ours: 80 %; ${DOMAIN.utilisation}` },
  spareHosts: { label: "Spare hosts per cluster (N+1)", source: `1: a cluster must survive losing its largest host (vSphere HA's host failures to tolerate, 1); ${DOMAIN.utilisation}` },
};

/**
 * Applies stored overrides on the defaults; an override that no longer validates is ignored as a
 * whole. Keys no longer known (guestDiskFreeMinPercent, replaced by Forklift's absolute minimums per
 * filesystem) are dropped, the rest kept.
 */
export function resolveParameters(stored: unknown): Parameters {
  if (stored === null || stored === undefined) return DEFAULT_PARAMETERS;
  const merged = parametersSchema.safeParse({ ...DEFAULT_PARAMETERS, ...(stored as object) });
  return merged.success ? merged.data : DEFAULT_PARAMETERS;
}

export interface CompiledFootprint extends OsFootprint {
  pattern: RegExp;
}

export const compileFootprints = (footprints: OsFootprint[]): CompiledFootprint[] =>
  footprints.map((f) => ({ ...f, pattern: new RegExp(f.match, "i") }));

/**
 * The footprint of a VM's OS: the first text (what the guest tools report, the truth of a running
 * guest; then guestOsId; then the configured OS) that a row matches. A guest whose family the texts
 * tell (os-identity.ts: the first text that names one) takes a row of that family only, and a text
 * naming a never-Linux OS ("Oracle Solaris 11") never takes a Linux row, whatever the rows say.
 */
export function footprintOf(vm: GuestOsTexts, footprints: CompiledFootprint[]): CompiledFootprint | null {
  const family = osFamilyOf(vm);
  for (const text of osTexts(vm)) {
    if (!text) continue;
    const notLinux = neverLinux(text) !== null;
    const found = footprints.find(
      (f) => (family === "unknown" || f.family === family) && !(notLinux && f.family === "linux") && f.pattern.test(text),
    );
    if (found) return found;
  }
  return null;
}

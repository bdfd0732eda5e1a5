/**
 * Every model parameter the analyses use, in one place, each with its source (the docs/domain.md
 * section holding the fact, and the upstream it comes from).
 * An admin may override any of them (stored in app_setting "analysis.parameters", validated by
 * `parametersSchema`); the dashboard shows the values in force and where each comes from.
 */
import { z } from "zod";
import { DOMAIN } from "./rules/sources";

export interface OsFootprint {
  /** Shown to people: "RHEL 9", "Windows Server 2022". */
  label: string;
  family: "linux" | "windows" | "other";
  /** Case-insensitive regular expression tried against the reported OS, then guestOsId, then the configured OS. */
  match: string;
  ramMiB: number;
  diskMiB: number;
  source: string;
}

const OSINFO = `libosinfo osinfo-db minimum requirements; ${DOMAIN.footprints}`;

/** Default OS footprints: what one more copy of that OS costs, minimum RAM and disk. First match wins. */
export const DEFAULT_OS_FOOTPRINTS: OsFootprint[] = [
  { label: "Windows Server 2022", family: "windows", match: "win/2k22|windows2019srvNext|server 2022", ramMiB: 512, diskMiB: 32 * 1024, source: OSINFO },
  { label: "Windows Server 2019", family: "windows", match: "win/2k19|windows2019srv_|server 2019", ramMiB: 512, diskMiB: 32 * 1024, source: OSINFO },
  { label: "Windows Server 2016", family: "windows", match: "win/2k16|windows9Server|server 2016", ramMiB: 512, diskMiB: 32 * 1024, source: "taken as Windows Server 2019 (libosinfo)" },
  { label: "Windows Server 2012 R2", family: "windows", match: "win/2k12r2|windows8Server|server 2012", ramMiB: 512, diskMiB: Math.round(9.8 * 1000 ** 3 / 1024 ** 2), source: `installed size with GUI, 9.8 GB; ${DOMAIN.footprints}` },
  { label: "Windows (other)", family: "windows", match: "\\bwin", ramMiB: 512, diskMiB: 32 * 1024, source: "taken as Windows Server 2019 (libosinfo)" },
  { label: "RHEL 9", family: "linux", match: "rhel/9|rhel9|red hat enterprise linux 9", ramMiB: 1536, diskMiB: 10 * 1024, source: OSINFO },
  { label: "RHEL 8", family: "linux", match: "rhel/8|rhel8|red hat enterprise linux 8", ramMiB: 1536, diskMiB: 10 * 1024, source: OSINFO },
  { label: "Rocky Linux 9", family: "linux", match: "rocky/9|rockylinux|rocky linux 9", ramMiB: 1536, diskMiB: 10 * 1024, source: "taken as RHEL 9, its rebuild (libosinfo)" },
  { label: "Ubuntu 22.04", family: "linux", match: "ubuntu/22|ubuntu 22", ramMiB: 2048, diskMiB: 5 * 1024, source: "taken as Ubuntu 20.04 (libosinfo)" },
  { label: "Ubuntu 20.04", family: "linux", match: "ubuntu/20|ubuntu 20", ramMiB: 2048, diskMiB: 5 * 1024, source: OSINFO },
  { label: "Ubuntu (other)", family: "linux", match: "ubuntu", ramMiB: 2048, diskMiB: 5 * 1024, source: "taken as Ubuntu 20.04 (libosinfo)" },
  { label: "Debian 12", family: "linux", match: "debian/12|debian12|debian gnu/linux 12", ramMiB: 1536, diskMiB: 10 * 1024, source: "taken as RHEL (libosinfo)" },
  { label: "Debian 11", family: "linux", match: "debian/11|debian11|debian gnu/linux 11", ramMiB: 1536, diskMiB: 10 * 1024, source: "taken as RHEL (libosinfo)" },
  { label: "SLES 15", family: "linux", match: "sles/15|sles15|suse linux enterprise 15", ramMiB: 1536, diskMiB: 10 * 1024, source: "taken as RHEL (libosinfo)" },
  { label: "Linux (other)", family: "linux", match: "linux|centos|rhel|debian|sles|suse|fedora|alma|oracle", ramMiB: 1536, diskMiB: 10 * 1024, source: "taken as RHEL (libosinfo)" },
  { label: "FreeBSD", family: "other", match: "freebsd", ramMiB: 512, diskMiB: 5 * 1024, source: "ours: a small BSD install" },
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
      }),
    )
    .max(200),
  /** Kata Containers overhead per pod (RuntimeClass overhead). */
  kataOverheadMemoryMiB: z.number().min(0).max(65536),
  kataOverheadCpuMillis: z.number().min(0).max(64000),
  /** Forklift "guest disk free space too low": below this share of the guest's filesystems free. */
  guestDiskFreeMinPercent: z.number().min(0).max(100),
  /** Forklift: more than this many disks cannot be migrated. */
  maxDisks: z.number().int().min(1).max(10000),
  /** A Linux VM with more memory than this is better given its own guest kernel (Kata) than a cgroup. */
  containerMaxMemoryMiB: z.number().min(0).max(1e7),
  /** Windows container hosts (Hyper-V isolated Windows containers) are available to this customer. */
  windowsContainerHosts: z.boolean(),
  /** Posture score: points taken from a container's 100 for each finding of each severity. */
  scoreDeduction: z.object({ critical: z.number().min(0).max(100), warning: z.number().min(0).max(100), info: z.number().min(0).max(100) }),
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
  kataOverheadMemoryMiB: 160,
  kataOverheadCpuMillis: 250,
  guestDiskFreeMinPercent: 10,
  maxDisks: 165,
  containerMaxMemoryMiB: 32 * 1024,
  windowsContainerHosts: false,
  scoreDeduction: { critical: 25, warning: 10, info: 2 },
};

/** Where each scalar default comes from, shown next to it in the dashboard. */
export const PARAMETER_SOURCES: Record<Exclude<keyof Parameters, "osFootprints">, { label: string; source: string }> = {
  targetVcpuPerCore: { label: "Target vCPU per physical core", source: `6:1, a common sizing-tool default (3:1 to 6:1 typical); ${DOMAIN.density}` },
  targetVramPerPram: { label: "Target vRAM per physical RAM", source: `1.0: above it memory relies on ballooning and swap; ${DOMAIN.density}` },
  kataOverheadMemoryMiB: { label: "Kata overhead per pod, memory (MiB)", source: `kata-deploy RuntimeClass kata-qemu: 160 MiB; ${DOMAIN.kata}` },
  kataOverheadCpuMillis: { label: "Kata overhead per pod, CPU (millicores)", source: `kata-deploy RuntimeClass kata-qemu: 250m; ${DOMAIN.kata}` },
  guestDiskFreeMinPercent: { label: "Guest disk free space too low below (%)", source: `Forklift rule "guest disk free space too low" (vmware.guestDisks.freespace); threshold ours; ${DOMAIN.forklift}` },
  maxDisks: { label: "Most disks a VM may have", source: `Forklift: more than 165 disks (vmware.disk.count.exceeds.limit); ${DOMAIN.forklift}` },
  containerMaxMemoryMiB: { label: "Largest VM for a plain container (MiB)", source: `ours: above it, an own guest kernel (Kata) rather than a cgroup on a shared kernel; ${DOMAIN.verdicts}` },
  windowsContainerHosts: { label: "Windows container hosts available", source: `off: Kata runs Linux guests only; Hyper-V isolated Windows containers are a separate choice; ${DOMAIN.verdicts}` },
  scoreDeduction: { label: "Posture score deduction per finding", source: `ours: critical 25, warning 10, info 2 points from 100; ${DOMAIN.verdicts}` },
};

/** Applies stored overrides on the defaults; an override that no longer validates is ignored as a whole. */
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

/** The footprint of a VM's OS: what the guest tools report first (the truth of a running guest), then guestOsId, then the configured OS. */
export function footprintOf(
  vm: { guestOsId: string | null; guestOsReported: string | null; guestOsConfigured: string | null },
  footprints: CompiledFootprint[],
): CompiledFootprint | null {
  for (const text of [vm.guestOsReported, vm.guestOsId, vm.guestOsConfigured]) {
    if (!text) continue;
    const found = footprints.find((f) => f.pattern.test(text));
    if (found) return found;
  }
  return null;
}

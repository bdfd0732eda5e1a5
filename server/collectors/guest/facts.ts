/**
 * What guest discovery (issue 16) reads inside one Linux guest over SSH, read-only: the seam between
 * the command set (commands.ts: what runs, with its parser), the SSH runner (ssh.ts: how it runs,
 * bounded) and the snapshot contract (server/inventory/snapshot.ts, where these facts will be stored
 * per VM). Every list is bounded and every string cut, because a guest may be compromised and lie:
 * facts are evidence about a guest, never trusted input.
 *
 * Units as everywhere in the product: memory and disk in MiB, times as ISO-8601 strings. A fact the
 * guest did not give (command missing, not permitted without sudo, timed out) is null, and the
 * reason is in `unread`.
 */
import { z } from "zod";

const text = (max = 4096) => z.string().max(max).refine((v) => !v.includes("\0"), "must not contain NUL");
const name = text(256);
const mib = z.number().min(0).max(1e12);
const port = z.number().int().min(0).max(65535);
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable().default(null);

/** Limits on what one guest may report: past them, the rest is cut and a warning says so. */
export const GUEST_LIMITS = {
  // The lists, by their names in GuestFacts (the assembly cuts each one at its limit, saying so).
  processes: 4000,
  listeners: 2000,
  connections: 10000,
  filesystems: 500,
  units: 2000,
  extraModules: 1000,
  rawDevices: 500,
  privileged: 500,
  macAddresses: 64,
  ipAddresses: 256,
  software: 200,
  /** A redacted command line. */
  commandChars: 1024,
} as const;

export const guestProcess = z.object({
  pid: z.number().int().min(0),
  name,
  user: maybe(name),
  rssMiB: maybe(mib),
  /** Share of one CPU over the process's life, as ps reports %CPU. */
  cpuPercent: maybe(z.number().min(0).max(1e5)),
  /** The command line with anything that looks like a secret replaced by "[redacted]". */
  command: text(GUEST_LIMITS.commandChars),
});

export const guestListener = z.object({
  protocol: z.enum(["tcp", "udp"]),
  /** "0.0.0.0", "::", "127.0.0.1", one interface's address, ... */
  address: text(64),
  port,
  process: maybe(name),
  pid: maybe(z.number().int().min(0)),
});

export const guestConnection = z.object({
  protocol: z.enum(["tcp", "udp"]),
  localAddress: text(64),
  localPort: port,
  remoteAddress: text(64),
  remotePort: port,
  process: maybe(name),
  pid: maybe(z.number().int().min(0)),
});

export const guestFilesystem = z.object({
  mountPoint: text(1024),
  fsType: name,
  device: maybe(text(1024)),
  sizeMiB: mib,
  freeMiB: mib,
});

/** A process holding a disk (or the machine's memory) open itself, not through a filesystem. */
export const guestRawDevice = z.object({
  pid: z.number().int().min(0),
  /** The process's name, from the process list (null when it was not listed). */
  process: maybe(name),
  /** "/dev/sdb", "/dev/mapper/vg-data", "/dev/mem". */
  device: text(256),
});

/** A process of a user other than root that holds Linux capabilities (root holds them all: not listed). */
export const guestPrivilegedProcess = z.object({
  pid: z.number().int().min(0),
  process: maybe(name),
  uid: z.number().int().min(0),
  /** Effective capabilities by name without "CAP_" ("NET_ADMIN", "SYS_TIME"), as /proc/<pid>/status's CapEff says. */
  capabilities: z.array(z.string().regex(/^[A-Z_0-9]{1,32}$/)).max(64),
});

/** A runtime or server recognised from processes, units and listeners, with what gave it away. */
export const guestSoftware = z.object({
  kind: z.enum(["runtime", "server", "container-runtime"]),
  /** "java", "python", "node", "php", "dotnet"; "postgresql", "mysql", "mongodb", "redis", "elasticsearch", "nginx", "apache", "tomcat", "haproxy"; "dockerd", "containerd", "podman", "kubelet". */
  name,
  version: maybe(name),
  evidence: text(512),
});

export const guestFacts = z.object({
  /** How it was reached: "user@host:port". */
  target: text(512),
  collectedAt: z.iso.datetime({ offset: true }),
  /** Identity, to match the inventory's VM: DMI product UUID first, then MAC, then IP. */
  machineId: maybe(name),
  productUuid: maybe(name),
  hostname: maybe(name),
  macAddresses: z.array(name).max(GUEST_LIMITS.macAddresses).default([]),
  ipAddresses: z.array(name).max(GUEST_LIMITS.ipAddresses).default([]),
  os: z.object({
    id: maybe(name),
    versionId: maybe(name),
    prettyName: maybe(name),
    kernel: maybe(name),
    architecture: maybe(name),
  }),
  uptimeSeconds: maybe(z.number().min(0)),
  cpuCount: maybe(z.number().int().min(0)),
  /** From /proc/stat, two samples a moment apart: the share of all CPUs busy, 0–100. */
  cpuBusyPercent: maybe(z.number().min(0).max(100)),
  memory: z.object({ totalMiB: maybe(mib), availableMiB: maybe(mib), usedMiB: maybe(mib) }),
  filesystems: z.array(guestFilesystem).max(GUEST_LIMITS.filesystems).default([]),
  processes: z.array(guestProcess).max(GUEST_LIMITS.processes).default([]),
  listeners: z.array(guestListener).max(GUEST_LIMITS.listeners).default([]),
  connections: z.array(guestConnection).max(GUEST_LIMITS.connections).default([]),
  /** Running systemd services ("nginx.service"). */
  units: z.array(name).max(GUEST_LIMITS.units).default([]),
  packageCount: maybe(z.number().int().min(0)),
  software: z.array(guestSoftware).max(GUEST_LIMITS.software).default([]),
  cronJobs: maybe(z.number().int().min(0)),
  /** Loaded kernel modules not in the distribution's default set. */
  extraModules: z.array(name).max(GUEST_LIMITS.extraModules).default([]),
  /** Processes with a disk, partition, device-mapper volume or /dev/mem open (raw device access). */
  rawDevices: z.array(guestRawDevice).max(GUEST_LIMITS.rawDevices).default([]),
  /** Processes of users other than root holding capabilities (file capabilities, systemd's AmbientCapabilities). */
  privileged: z.array(guestPrivilegedProcess).max(GUEST_LIMITS.privileged).default([]),
  security: z.object({
    selinux: maybe(z.enum(["enforcing", "permissive", "disabled"])),
    apparmor: maybe(z.enum(["enabled", "disabled"])),
  }),
  /** What could not be read, and why ("processes' users: needs sudo", "ss: timed out after 10 s"). */
  unread: z.array(text(512)).max(100).default([]),
  warnings: z.array(text(1024)).max(100).default([]),
});

export type GuestFacts = z.output<typeof guestFacts>;

/** The guest's filesystems as `df` lists them (pseudo filesystems left out) summed, in MiB; null when none was read. */
export function diskOf(facts: Pick<GuestFacts, "filesystems">): { totalMiB: number | null; usedMiB: number | null } {
  if (facts.filesystems.length === 0) return { totalMiB: null, usedMiB: null };
  let totalMiB = 0;
  let usedMiB = 0;
  for (const f of facts.filesystems) {
    totalMiB += f.sizeMiB;
    usedMiB += Math.max(0, f.sizeMiB - f.freeMiB);
  }
  return { totalMiB, usedMiB };
}
export type GuestFactsInput = z.input<typeof guestFacts>;
export type GuestProcess = z.output<typeof guestProcess>;
export type GuestListener = z.output<typeof guestListener>;
export type GuestConnection = z.output<typeof guestConnection>;
export type GuestFilesystem = z.output<typeof guestFilesystem>;
export type GuestSoftware = z.output<typeof guestSoftware>;
export type GuestRawDevice = z.output<typeof guestRawDevice>;
export type GuestPrivilegedProcess = z.output<typeof guestPrivilegedProcess>;

/**
 * One read-only command of the set and how its output is read. `run` is the exact text sent to the
 * guest's shell (a constant: nothing from the guest or the user is ever put into it); `parse`
 * receives bounded output and must never throw on garbage (it returns what it could read and
 * warnings). `sudo`: worth retrying with `sudo -n` when the source allows it.
 */
export interface GuestCommand<K extends string = string> {
  id: K;
  run: string;
  timeoutMs: number;
  maxBytes: number;
  sudo?: boolean;
}

/** What running one command gave: its output (cut at maxBytes), or why there is none. */
export interface CommandResult {
  id: string;
  stdout: string;
  exitCode: number | null;
  /** "timed out after 10 s", "output cut at 1 MiB", "not permitted (sudo -n refused)", ... */
  problem: string | null;
  truncated: boolean;
}

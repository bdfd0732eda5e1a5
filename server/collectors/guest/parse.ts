/**
 * Reading the guest command set's outputs (commands.ts) into GuestFacts. One parser per command:
 * (stdout, result) → a part of the facts, with warnings and what could not be read; then
 * factsFromResults assembles the parts, cuts lists at GUEST_LIMITS (saying so) and validates the whole
 * with the zod schema. Output comes from a guest that may be compromised: every parser reads line by
 * line with bounded lines, takes only what has the expected shape (numbers in range, ports ≤ 65535,
 * addresses that parse), drops NUL and control characters, and never throws; a parser that fails
 * anyway costs its own part only (a warning), never the guest.
 *
 * Decisions (the reasons are next to the code):
 * - Filesystems: pseudo and memory filesystems (tmpfs, proc, cgroup, overlay below "/", squashfs
 *   snaps, ...) are left out, and a device mounted twice (bind mounts) counts once, so the sum is the
 *   disk actually used; freeMiB is df's Available (what non-root may still write).
 * - Extra kernel modules: a module whose /proc/modules taint flags say out-of-tree (O), proprietary
 *   (P), unsigned (E) or force-loaded (F), plus the few families in THIRD_PARTY_MODULES that may be
 *   signed by the distribution's DKMS/MOK and so carry no flag. No distribution "default list" is
 *   guessed.
 * - CPU busy share: over the second between the two /proc/stat samples, all CPUs, (user + nice +
 *   system + irq + softirq + steal) of the total; idle and iowait are not busy.
 * - Cron jobs: counted on the guest (commands.ts says how); systemd timers are not counted.
 * - SELinux or AppArmor absent from the kernel reads as "disabled" (it is not enforcing anything).
 * - Sockets: an IPv4-mapped IPv6 address is read as its IPv4 address; ss's "*" (any address) stays.
 *   The collection's own SSH session is not among the connections (see parseConnections).
 */
import { isIP } from "node:net";
import { PART, type GuestCommandId } from "./commands";
import {
  GUEST_LIMITS,
  guestFacts,
  type CommandResult,
  type GuestConnection,
  type GuestFacts,
  type GuestFilesystem,
  type GuestListener,
  type GuestProcess,
} from "./facts";
import { redactCommandLine } from "./redact";
import { detectSoftware, programOf } from "./software";

/** What one parser read: some of the facts, and what it could not. */
export interface FactsPart {
  facts: Partial<Omit<GuestFacts, "os" | "memory" | "security">> & {
    os?: Partial<GuestFacts["os"]>;
    memory?: Partial<GuestFacts["memory"]>;
    security?: Partial<GuestFacts["security"]>;
  };
  warnings: string[];
  unread: string[];
}

export type GuestParser = (stdout: string, result: CommandResult) => FactsPart;

/** How each command's facts are named in warnings and in `unread`. */
export const COMMAND_LABELS: Record<GuestCommandId, string> = {
  "os-release": "OS release",
  kernel: "kernel",
  uptime: "uptime",
  "machine-id": "machine-id",
  "product-uuid": "DMI product UUID",
  hostname: "hostname",
  links: "MAC addresses",
  addresses: "IP addresses",
  cpu: "CPU",
  meminfo: "memory",
  filesystems: "filesystems",
  processes: "processes",
  listeners: "listening sockets",
  connections: "established connections",
  units: "running units",
  packages: "package count",
  cron: "cron jobs",
  modules: "kernel modules",
  devices: "raw devices",
  capabilities: "process capabilities",
  security: "SELinux/AppArmor",
};

/** Longest line read; the rest of a longer line is ignored. */
const MAX_LINE = 64 * 1024;

/** Text as stored: no NUL or control characters, cut at `max` characters. */
export function clip(text: string, max: number): string {
  const clean = text.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, "?");
  return clean.length > max ? clean.slice(0, max) : clean;
}

/** Lines of output, each bounded; a cut output's last (partial) line is dropped. */
export function linesOf(stdout: string, truncated = false): string[] {
  const lines = stdout.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  if (truncated && lines.length > 0 && !stdout.endsWith("\n")) lines.pop();
  return lines.map((line) => (line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line).replace(/\r$/, ""));
}

/** A `FLEETLENS-...` marker line the commands print for a missing tool or a refused read. */
function marker(line: string): string | null {
  return /^FLEETLENS-([A-Z0-9-]+)(?:\s|$)/.exec(line.trim())?.[1] ?? null;
}

const empty = (): FactsPart => ({ facts: {}, warnings: [], unread: [] });
const mib = (kib: number) => Math.round((kib / 1024) * 100) / 100;
const safeInt = (text: string | undefined): number | null => {
  if (text === undefined || !/^\d{1,15}$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
};

// ---- identity and OS ------------------------------------------------------------------------------

/** os-release: KEY=value lines, values quoted as in shell. */
export function parseOsRelease(stdout: string, result: CommandResult): FactsPart {
  const part = empty();
  const values = new Map<string, string>();
  for (const line of linesOf(stdout, result.truncated)) {
    if (marker(line) === "NO-OS-RELEASE") {
      part.unread.push("OS release: the guest has no /etc/os-release");
      return part;
    }
    const m = /^([A-Z0-9_]{1,64})=(.*)$/.exec(line.trim());
    if (!m) continue;
    let value = m[2]!;
    const quoted = /^"((?:[^"\\]|\\.)*)"$/.exec(value) ?? /^'([^']*)'$/.exec(value);
    if (quoted) value = quoted[1]!.replace(/\\(.)/g, "$1");
    if (!values.has(m[1]!)) values.set(m[1]!, value);
  }
  const get = (key: string) => {
    const v = values.get(key);
    return v ? clip(v, 256) : null;
  };
  part.facts.os = { id: get("ID"), versionId: get("VERSION_ID"), prettyName: get("PRETTY_NAME") ?? get("NAME") };
  if (!part.facts.os.id) part.warnings.push("OS release: no ID in the guest's os-release");
  return part;
}

/** `uname -srm`: "Linux 6.1.0-18-amd64 x86_64". */
export function parseKernel(stdout: string, result: CommandResult): FactsPart {
  const part = empty();
  const words = (linesOf(stdout, result.truncated)[0] ?? "").trim().split(/\s+/).filter(Boolean);
  if (words.length >= 3) {
    part.facts.os = { kernel: clip(words.slice(1, -1).join(" "), 256), architecture: clip(words[words.length - 1]!, 256) };
  } else if (words.length > 0) {
    part.warnings.push("kernel: `uname -srm` gave an unexpected answer");
  }
  return part;
}

export function parseUptime(stdout: string): FactsPart {
  const part = empty();
  const m = /^\s*(\d{1,12}(?:\.\d+)?)\s/.exec(`${stdout.slice(0, 256)} `);
  if (m) part.facts.uptimeSeconds = Number(m[1]);
  else if (stdout.trim() !== "") part.warnings.push("uptime: /proc/uptime gave an unexpected answer");
  return part;
}

export function parseMachineId(stdout: string, result: CommandResult): FactsPart {
  const part = empty();
  const line = (linesOf(stdout, result.truncated)[0] ?? "").trim();
  if (marker(line) === "NO-MACHINE-ID") part.unread.push("machine-id: the guest has no /etc/machine-id");
  else if (/^[0-9a-f]{32}$/i.test(line)) part.facts.machineId = line.toLowerCase();
  else if (line === "uninitialized" || line === "") part.unread.push("machine-id: not initialised on the guest");
  else part.warnings.push("machine-id: not 32 hexadecimal digits, ignored");
  return part;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseProductUuid(stdout: string, result: CommandResult): FactsPart {
  const part = empty();
  const line = (linesOf(stdout, result.truncated)[0] ?? "").trim();
  const m = marker(line);
  if (m === "NOT-PERMITTED") part.unread.push("DMI product UUID: needs sudo (readable by root only)");
  else if (m === "NO-DMI") part.unread.push("DMI product UUID: the guest has no DMI (/sys/class/dmi)");
  else if (UUID.test(line)) {
    const uuid = line.toLowerCase();
    // Placeholders some firmware reports: they would match every VM that has them.
    if (/^0{8}-0{4}-0{4}-0{4}-0{12}$|^f{8}-f{4}-f{4}-f{4}-f{12}$|^03000200-0400-0500-0006-000700080009$/.test(uuid)) {
      part.warnings.push(`DMI product UUID: ${uuid} is a placeholder, not used to identify the VM`);
    } else part.facts.productUuid = uuid;
  } else if (line !== "") part.warnings.push("DMI product UUID: not a UUID, ignored");
  return part;
}

export function parseHostname(stdout: string, result: CommandResult): FactsPart {
  const part = empty();
  const line = (linesOf(stdout, result.truncated)[0] ?? "").trim();
  if (/^[^\s\u0000-\u001f\u007f]{1,253}$/.test(line)) part.facts.hostname = line;
  else if (line !== "") part.warnings.push("hostname: not a host name, ignored");
  return part;
}

// ---- network identity -----------------------------------------------------------------------------

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** `ip -o link` lines (`link/ether <mac>`), or `FLEETLENS-SYSFS` then "<if> <mac>" lines. */
export function parseLinks(stdout: string, result: CommandResult): FactsPart {
  const part = empty();
  const macs = new Set<string>();
  for (const line of linesOf(stdout, result.truncated)) {
    if (marker(line)) continue;
    const m = /link\/ether\s+(\S+)/.exec(line) ?? /^\S+\s+(\S+)\s*$/.exec(line);
    const mac = m?.[1]?.toLowerCase();
    if (!mac || !MAC.test(mac) || mac === "00:00:00:00:00:00") continue;
    macs.add(mac);
  }
  part.facts.macAddresses = [...macs];
  return part;
}

/** `ip -o addr`: "2: eth0    inet 10.0.0.5/24 brd ..." — loopback and link-local left out. */
export function parseAddresses(stdout: string, result: CommandResult): FactsPart {
  const part = empty();
  const ips = new Set<string>();
  for (const line of linesOf(stdout, result.truncated)) {
    if (marker(line) === "NO-IP") {
      part.unread.push("IP addresses: the guest has no `ip` command");
      return part;
    }
    const m = /\sinet6?\s+([0-9a-fA-F.:]+)(?:\/\d+)?\s/.exec(`${line} `);
    const ip = m?.[1]?.toLowerCase();
    if (!ip || isIP(ip) === 0) continue;
    if (/^127\./.test(ip) || ip === "::1" || /^fe[89ab][0-9a-f]:/.test(ip)) continue;
    ips.add(ip);
  }
  part.facts.ipAddresses = [...ips];
  return part;
}

// ---- use ------------------------------------------------------------------------------------------

/** "cpus N", then two `cpu ` lines of /proc/stat a second apart. */
export function parseCpu(stdout: string, result: CommandResult): FactsPart {
  const part = empty();
  const samples: number[][] = [];
  for (const line of linesOf(stdout, result.truncated)) {
    const count = /^cpus\s+(\d+)\s*$/.exec(line);
    if (count) {
      const n = safeInt(count[1]);
      if (n !== null && n > 0 && n <= 100_000) part.facts.cpuCount = n;
      continue;
    }
    if (/^cpu\s/.test(line)) {
      const fields = line.trim().split(/\s+/).slice(1, 9).map((f) => safeInt(f));
      if (fields.length >= 4 && fields.every((f) => f !== null)) samples.push(fields as number[]);
    }
  }
  if (samples.length >= 2) {
    const [a, b] = [samples[0]!, samples[samples.length - 1]!];
    const total = (s: number[]) => s.reduce((x, y) => x + y, 0);
    const idle = (s: number[]) => (s[3] ?? 0) + (s[4] ?? 0);
    const dTotal = total(b) - total(a);
    const dIdle = idle(b) - idle(a);
    if (dTotal > 0 && dIdle >= 0 && dIdle <= dTotal) {
      part.facts.cpuBusyPercent = Math.round(((dTotal - dIdle) / dTotal) * 1000) / 10;
    } else part.warnings.push("CPU: the two /proc/stat samples do not make a share of busy time");
  } else part.unread.push("CPU: busy share not read (two /proc/stat samples expected)");
  return part;
}

export function parseMeminfo(stdout: string, result: CommandResult): FactsPart {
  const part = empty();
  const kib = new Map<string, number>();
  for (const line of linesOf(stdout, result.truncated)) {
    const m = /^([A-Za-z0-9_()]+):\s+(\d{1,15})(?:\s+kB)?\s*$/.exec(line);
    if (m && !kib.has(m[1]!)) kib.set(m[1]!, Number(m[2]));
  }
  const total = kib.get("MemTotal");
  if (total === undefined) {
    if (stdout.trim() !== "") part.warnings.push("memory: no MemTotal in /proc/meminfo");
    return part;
  }
  // MemAvailable since Linux 3.14; before, free + buffers + page cache.
  let available = kib.get("MemAvailable");
  if (available === undefined && kib.has("MemFree")) {
    available = (kib.get("MemFree") ?? 0) + (kib.get("Buffers") ?? 0) + (kib.get("Cached") ?? 0);
  }
  if (available !== undefined) available = Math.min(available, total);
  part.facts.memory = {
    totalMiB: mib(total),
    availableMiB: available === undefined ? null : mib(available),
    usedMiB: available === undefined ? null : mib(total - available),
  };
  return part;
}

/** Filesystem types that hold no disk data of the guest's own. */
const PSEUDO_FS = new Set([
  "proc", "sysfs", "devtmpfs", "devpts", "tmpfs", "ramfs", "cgroup", "cgroup2", "mqueue", "debugfs", "tracefs",
  "securityfs", "pstore", "bpf", "configfs", "fusectl", "hugetlbfs", "autofs", "binfmt_misc", "nsfs", "efivarfs",
  "squashfs", "selinuxfs", "rpc_pipefs", "nfsd", "fuse.gvfsd-fuse", "fuse.portal", "fuse.lxcfs", "overlay", "shm",
]);

/** `df -P -k`, `FLEETLENS-PART`, /proc/mounts. */
export function parseFilesystems(stdout: string, result: CommandResult): FactsPart {
  const part = empty();
  const lines = linesOf(stdout, result.truncated);
  const split = lines.indexOf(PART);
  const dfLines = split >= 0 ? lines.slice(0, split) : lines;
  const types = new Map<string, string>();
  for (const line of split >= 0 ? lines.slice(split + 1) : []) {
    const f = line.split(" ");
    if (f.length < 3) continue;
    const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    types.set(unescape(f[1]!), f[2]!);
  }
  const seen = new Set<string>();
  const list: GuestFilesystem[] = [];
  let odd = 0;
  for (const line of dfLines) {
    if (/^Filesystem\s/.test(line) || line.trim() === "") continue;
    const m = /^(\S+)\s+(\d{1,18})\s+(\d{1,18})\s+(\d{1,18})\s+(\S+)\s+(\/.*)$/.exec(line);
    if (!m) {
      odd += 1;
      continue;
    }
    const [device, size, , avail, , mountPoint] = [m[1]!, Number(m[2]), Number(m[3]), Number(m[4]), m[5], m[6]!];
    const fsType = types.get(mountPoint) ?? (device === "tmpfs" || device === "devtmpfs" ? device : "unknown");
    if (size <= 0) continue;
    if (PSEUDO_FS.has(fsType) && !(fsType === "overlay" && mountPoint === "/")) continue;
    // Bind mounts show their device again: count the disk once (the first, usually shortest, mount).
    if (device.startsWith("/") || device.includes(":")) {
      if (seen.has(device)) continue;
      seen.add(device);
    }
    list.push({
      mountPoint: clip(mountPoint, 1024),
      fsType: clip(fsType, 256),
      device: clip(device, 1024),
      sizeMiB: Math.min(mib(size), 1e12),
      freeMiB: Math.min(mib(Math.min(avail, size)), 1e12),
    });
  }
  if (odd > 0) part.warnings.push(`filesystems: ${odd} df line(s) not understood, left out`);
  if (list.length === 0 && dfLines.length === 0) part.unread.push("filesystems: df gave nothing");
  part.facts.filesystems = list;
  return part;
}

/** Our own command's processes (the shell and its ps), left out of the list. */
const OWN_COMMAND = /FLEETLENS-|^ps -eo pid=,user:32=,rss=,pcpu=,args=$|^ps -eo pid=,comm=$|^ps -o pid,user,rss,args$/;

/** `ps -eo pid=,user:32=,rss=,pcpu=,args=`, PART, `ps -eo pid=,comm=`; or the busybox fallback. */
export function parseProcesses(stdout: string, result: CommandResult): FactsPart {
  const part = empty();
  const lines = linesOf(stdout, result.truncated);
  const processes: GuestProcess[] = [];
  let odd = 0;
  if (lines[0] !== undefined && marker(lines[0]) === "BUSYBOX-PS") {
    part.unread.push("processes: CPU share not read (busybox ps)");
    for (const line of lines.slice(1)) {
      if (/^\s*PID\s/.test(line)) continue;
      const m = /^\s*(\d{1,10})\s+(\S+)\s+(\d{1,15}(?:\.\d+)?[kmgt]?)\s+(.*)$/i.exec(line);
      const pid = safeInt(m?.[1]);
      if (!m || pid === null) {
        odd += 1;
        continue;
      }
      if (OWN_COMMAND.test(m[4]!)) continue;
      const rss = /^(\d+(?:\.\d+)?)([kmgt]?)$/i.exec(m[3]!)!;
      const scale = { "": 1, k: 1, m: 1024, g: 1024 ** 2, t: 1024 ** 3 }[rss[2]!.toLowerCase()] ?? 1;
      const command = redactCommandLine(m[4]!);
      processes.push({
        pid,
        name: clip(nameFromCommand(command), 256),
        user: clip(m[2]!, 256),
        rssMiB: Math.min(mib(Number(rss[1]) * scale), 1e12),
        cpuPercent: null,
        command,
      });
    }
  } else {
    const split = lines.indexOf(PART);
    const names = new Map<number, string>();
    for (const line of split >= 0 ? lines.slice(split + 1) : []) {
      const m = /^\s*(\d{1,10})\s(.*)$/.exec(line);
      const pid = safeInt(m?.[1]);
      if (pid !== null && m![2]!.trim() !== "") names.set(pid, m![2]!.trim());
    }
    for (const line of split >= 0 ? lines.slice(0, split) : lines) {
      const m = /^\s*(\d{1,10})\s+(\S+)\s+(\d{1,15})\s+(\d{1,9}(?:\.\d+)?)\s+(.*)$/.exec(line);
      const pid = safeInt(m?.[1]);
      if (!m || pid === null) {
        if (line.trim() !== "") odd += 1;
        continue;
      }
      if (OWN_COMMAND.test(m[5]!)) continue;
      const command = redactCommandLine(m[5]!);
      const cpu = Number(m[4]);
      processes.push({
        pid,
        name: clip(names.get(pid) ?? nameFromCommand(command), 256),
        user: clip(m[2]!, 256),
        rssMiB: Math.min(mib(Number(m[3])), 1e12),
        cpuPercent: Number.isFinite(cpu) && cpu <= 1e5 ? cpu : null,
        command,
      });
    }
    if (split < 0 && processes.length > 0) part.warnings.push("processes: names not listed, taken from the command lines");
  }
  if (odd > 0) part.warnings.push(`processes: ${odd} line(s) not understood, left out`);
  if (processes.length === 0) part.unread.push("processes: ps listed none");
  part.facts.processes = processes;
  return part;
}

function nameFromCommand(command: string): string {
  return programOf(command) || "?";
}

// ---- sockets --------------------------------------------------------------------------------------

/**
 * "0.0.0.0:22", "[::]:22", "*:68", "127.0.0.53%lo:53", "[fe80::1%eth0]:123" → address and port.
 * "*" stays: any address (ss writes so an IPv6 socket that takes IPv4 too; old ss, IPv4's 0.0.0.0).
 * An IPv4-mapped IPv6 address ("[::ffff:10.0.0.5]:5432", an IPv4 peer of an IPv6 socket) is read as
 * its IPv4 address, so a connection names the peer as that guest's own addresses do.
 */
export function splitAddressPort(text: string): { address: string; port: number } | null {
  const i = text.lastIndexOf(":");
  if (i <= 0) return null;
  const portText = text.slice(i + 1);
  const port = portText === "*" ? 0 : safeInt(portText);
  if (port === null || port > 65535) return null;
  let address = text.slice(0, i);
  const bracketed = /^\[(.*)\]$/.exec(address);
  if (bracketed) address = bracketed[1]!;
  if (address === "" || address.length > 64 || /[\s\u0000-\u001f]/.test(address)) return null;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)?.[1];
  if (mapped !== undefined && isIP(mapped) === 4) address = mapped;
  return { address, port };
}

/** The first `("name",pid=N,...)` of ss's process column. */
function ssProcess(column: string): { process: string | null; pid: number | null } {
  const m = /\("((?:[^"\\]|\\.){0,256})",pid=(\d{1,10})/.exec(column);
  if (!m) return { process: null, pid: null };
  return { process: clip(m[1]!.replace(/\\(.)/g, "$1"), 256) || null, pid: safeInt(m[2]) };
}

interface SsLine {
  protocol: "tcp" | "udp";
  local: { address: string; port: number };
  peer: { address: string; port: number };
  process: string | null;
  pid: number | null;
}

/** One `ss -H` line, with or without its State column. */
function ssLine(line: string): SsLine | null | "skip" {
  const words = line.trim().split(/\s+/);
  if (words.length < 5) return null;
  const netid = words[0]!;
  if (netid !== "tcp" && netid !== "udp") return "skip";
  let i = 1;
  if (!/^\d+$/.test(words[i]!)) i += 1; // State
  if (!/^\d+$/.test(words[i] ?? "") || !/^\d+$/.test(words[i + 1] ?? "")) return null;
  const local = splitAddressPort(words[i + 2] ?? "");
  const peer = splitAddressPort(words[i + 3] ?? "");
  if (!local || !peer) return null;
  return { protocol: netid, local, peer, ...ssProcess(words.slice(i + 4).join(" ")) };
}

/**
 * One `netstat -tun[l][p]` line (net-tools or busybox): "tcp 0 0 0.0.0.0:22 0.0.0.0:* LISTEN 812/sshd";
 * IPv6 as ":::22". `established`: only ESTABLISHED lines count (netstat without -l lists every state).
 */
function netstatLine(line: string, established: boolean): SsLine | null | "skip" {
  const words = line.trim().split(/\s+/);
  const proto = /^(tcp|udp)6?$/.exec(words[0] ?? "")?.[1] as "tcp" | "udp" | undefined;
  if (!proto) return "skip"; // headers ("Active Internet connections", "Proto Recv-Q ...")
  if (words.length < 5 || !/^\d+$/.test(words[1]!) || !/^\d+$/.test(words[2]!)) return null;
  const local = splitAddressPort(words[3]!);
  const peer = splitAddressPort(words[4]!);
  if (!local || !peer) return null;
  const rest = words.slice(5);
  const state = rest[0] !== undefined && /^[A-Z_0-9]+$/.test(rest[0]) ? rest.shift()! : "";
  if (established && state !== "ESTABLISHED") return "skip";
  const owner = /^(\d{1,10})\/(.+)$/.exec(rest.join(" "));
  return { protocol: proto, local, peer, process: owner ? clip(owner[2]!, 256) : null, pid: owner ? safeInt(owner[1]) : null };
}

function readSs(stdout: string, result: CommandResult, label: string, part: FactsPart): SsLine[] | null {
  const out: SsLine[] = [];
  let odd = 0;
  let netstat = false;
  for (const line of linesOf(stdout, result.truncated)) {
    const m = marker(line);
    if (m === "NO-SS") {
      part.unread.push(`${label}: the guest has neither \`ss\` nor \`netstat\``);
      return null;
    }
    if (m === "NETSTAT") {
      netstat = true;
      continue;
    }
    if (m === "SELF") continue;
    if (line.trim() === "") continue;
    const parsed = netstat ? netstatLine(line, label === "established connections") : ssLine(line);
    if (parsed === null) odd += 1;
    else if (parsed !== "skip") out.push(parsed);
  }
  if (odd > 0) part.warnings.push(`${label}: ${odd} line(s) not understood (a port over 65535, a bad address), left out`);
  const anonymous = out.filter((l) => l.pid === null).length;
  if (anonymous > 0) {
    part.unread.push(
      `${label}: the process of ${anonymous} of ${out.length} not shown (ss shows other users' processes only to root; kernel sockets have none)`,
    );
  }
  return out;
}

export function parseListeners(stdout: string, result: CommandResult): FactsPart {
  const part = empty();
  const read = readSs(stdout, result, "listening sockets", part);
  if (!read) return part;
  const seen = new Set<string>();
  const listeners: GuestListener[] = [];
  for (const l of read) {
    const key = `${l.protocol} ${l.local.address} ${l.local.port} ${l.pid ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    listeners.push({ protocol: l.protocol, address: l.local.address, port: l.local.port, process: l.process, pid: l.pid });
  }
  part.facts.listeners = listeners;
  return part;
}

/** Programs that hold an SSH server's connection: OpenSSH's sshd (sshd-session since 9.8), Dropbear; netstat names them by their title ("sshd: root@notty"). */
const SSH_SERVER = /^(sshd|sshd-session|dropbear)(:.*)?$/;

/**
 * `FLEETLENS-SELF <pid>...` (the command's shell and its ancestors), then ss or netstat. A connection
 * held by one of those ancestors that is an SSH server is the collection's own session: left out, as
 * it is the collector talking, not the guest's workload (another SSH session to the guest stays).
 */
export function parseConnections(stdout: string, result: CommandResult): FactsPart {
  const part = empty();
  const self = new Set<number>();
  const selfLine = /^FLEETLENS-SELF((?: \d{1,10}){0,64})\s*$/m.exec(stdout.slice(0, 4096))?.[1] ?? "";
  for (const pid of selfLine.trim().split(" ")) {
    const n = safeInt(pid);
    if (n !== null && n > 1) self.add(n);
  }
  const read = readSs(stdout, result, "established connections", part);
  if (!read) return part;
  const own = (l: SsLine) => l.pid !== null && self.has(l.pid) && l.process !== null && SSH_SERVER.test(l.process);
  part.facts.connections = read.filter((l) => !own(l)).map(
    (l): GuestConnection => ({
      protocol: l.protocol,
      localAddress: l.local.address,
      localPort: l.local.port,
      remoteAddress: l.peer.address,
      remotePort: l.peer.port,
      process: l.process,
      pid: l.pid,
    }),
  );
  return part;
}

// ---- configuration --------------------------------------------------------------------------------

export function parseUnits(stdout: string, result: CommandResult): FactsPart {
  const part = empty();
  const units: string[] = [];
  for (const line of linesOf(stdout, result.truncated)) {
    const m = marker(line);
    if (m === "NO-SYSTEMCTL") part.unread.push("running units: the guest has no systemctl");
    if (m === "NO-SYSTEMD") part.unread.push("running units: systemd is not running on the guest");
    if (m) return part;
    const unit = /^\s*(?:●\s*)?([^\s]{1,256}\.service)\s/.exec(`${line} `)?.[1];
    if (unit && !/[\u0000-\u001f]/.test(unit) && !units.includes(unit)) units.push(unit);
  }
  part.facts.units = units;
  return part;
}

export function parsePackages(stdout: string, result: CommandResult): FactsPart {
  const part = empty();
  const line = (linesOf(stdout, result.truncated)[0] ?? "").trim();
  if (marker(line) === "NO-PACKAGE-MANAGER") {
    part.unread.push("package count: no dpkg, rpm or apk on the guest");
    return part;
  }
  const m = /^(dpkg|rpm|apk)\s+(\d{1,9})$/.exec(line);
  // A manager that lists no package at all is not the system's (busybox's rpm applet on Alpine).
  if (m && Number(m[2]) === 0) part.unread.push(`package count: ${m[1]} listed no packages`);
  else if (m) part.facts.packageCount = Number(m[2]);
  else if (line !== "") part.warnings.push("package count: unexpected answer");
  return part;
}

/** "count <n> <file>" lines summed; "FLEETLENS-NOT-PERMITTED <path>" is a crontab not read. */
export function parseCron(stdout: string, result: CommandResult): FactsPart {
  const part = empty();
  let total = 0;
  const refused: string[] = [];
  for (const line of linesOf(stdout, result.truncated)) {
    if (marker(line) === "NOT-PERMITTED") {
      refused.push(clip(line.slice("FLEETLENS-NOT-PERMITTED ".length), 128));
      continue;
    }
    const n = safeInt(/^count\s+(\d{1,9})\s/.exec(line)?.[1]);
    if (n !== null) total += n;
  }
  part.facts.cronJobs = total;
  if (refused.length > 0) {
    part.unread.push(`cron jobs: ${refused.slice(0, 3).join(", ")}${refused.length > 3 ? ", ..." : ""} not read (needs sudo)`);
  }
  return part;
}

/**
 * Module families that may load without a taint flag (signed by the distribution's DKMS/MOK key) yet
 * are not part of the mainline kernel: what a plain container host would not have.
 */
export const THIRD_PARTY_MODULES: readonly { pattern: RegExp; why: string }[] = [
  { pattern: /^nvidia(_drm|_modeset|_uvm|_peermem)?$/, why: "NVIDIA's driver" },
  { pattern: /^(zfs|spl|zavl|znvpair|zcommon|zunicode|zlua|zzstd|icp)$/, why: "OpenZFS" },
  { pattern: /^vbox(drv|netflt|netadp|pci|sf|guest)$/, why: "VirtualBox" },
  { pattern: /^(vmmon|vmnet)$/, why: "VMware Workstation's host modules" },
  { pattern: /^falcon_lsm/, why: "CrowdStrike Falcon" },
];

/** /proc/modules: "name size refs deps state address [(flags)]". */
export function parseModules(stdout: string, result: CommandResult): FactsPart {
  const part = empty();
  const extra: string[] = [];
  for (const line of linesOf(stdout, result.truncated)) {
    if (marker(line) === "NO-MODULES") {
      part.unread.push("kernel modules: /proc/modules absent (a kernel without loadable modules)");
      part.facts.extraModules = [];
      return part;
    }
    const m = /^([A-Za-z0-9_-]{1,64})\s+\d+\s+\d+\s+\S+\s+(Live|Loading|Unloading)\s+\S+(?:\s+\(([A-Z]+)\))?\s*$/.exec(line);
    if (!m) continue;
    const [, name, , flags = ""] = m;
    if (/[OPEF]/.test(flags) || THIRD_PARTY_MODULES.some((t) => t.pattern.test(name!))) {
      if (!extra.includes(name!)) extra.push(name!);
    }
  }
  part.facts.extraModules = extra;
  return part;
}

/** "/proc/<pid>/fd /dev/<device>" lines: each process and device once (the process's name is filled in from the process list). */
export function parseDevices(stdout: string, result: CommandResult): FactsPart {
  const part = empty();
  const seen = new Set<string>();
  const devices: NonNullable<FactsPart["facts"]["rawDevices"]> = [];
  for (const line of linesOf(stdout, result.truncated)) {
    if (marker(line) === "NO-FIND-PRINTF") {
      part.unread.push("raw devices: GNU find (-lname, -printf) not on the guest");
      part.facts.rawDevices = [];
      return part;
    }
    const m = /^\/proc\/(\d{1,10})\/fd (\/dev\/[A-Za-z0-9._/-]{1,200})$/.exec(line.trim());
    if (!m) continue;
    const pid = safeInt(m[1]);
    if (pid === null || seen.has(`${pid} ${m[2]}`)) continue;
    seen.add(`${pid} ${m[2]}`);
    devices.push({ pid, process: null, device: m[2]! });
  }
  part.facts.rawDevices = devices;
  return part;
}

/** Linux's capabilities by bit (include/uapi/linux/capability.h), without "CAP_". */
export const CAPABILITY_NAMES = [
  "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
  "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
  "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
  "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
  "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
  "CHECKPOINT_RESTORE",
] as const;

/** A CapEff mask (hex) as capability names; bits past the known ones as CAP_<bit>. */
export function capabilityNames(hex: string): string[] {
  let mask = BigInt(`0x${hex}`);
  const names: string[] = [];
  for (let bit = 0; mask > 0n && bit < 64; bit++, mask >>= 1n) {
    if (mask & 1n) names.push(CAPABILITY_NAMES[bit] ?? `CAP_${bit}`);
  }
  return names;
}

/**
 * "/proc/<pid>/status:Uid:" and ":CapEff:" lines: the processes of users other than root that hold
 * capabilities (root's hold them all, which says nothing about what they need).
 */
export function parseCapabilities(stdout: string, result: CommandResult): FactsPart {
  const part = empty();
  const byPid = new Map<number, { uid?: number; capEff?: string }>();
  for (const line of linesOf(stdout, result.truncated)) {
    const m = /^\/proc\/(\d{1,10})\/status:(Uid|CapEff):\s+(\S+)/.exec(line);
    if (!m) continue;
    const pid = safeInt(m[1]);
    if (pid === null) continue;
    const entry = byPid.get(pid) ?? {};
    if (m[2] === "Uid") entry.uid = safeInt(m[3]) ?? undefined;
    else if (/^[0-9a-f]{1,16}$/i.test(m[3]!)) entry.capEff = m[3];
    byPid.set(pid, entry);
  }
  const privileged: NonNullable<FactsPart["facts"]["privileged"]> = [];
  for (const [pid, { uid, capEff }] of byPid) {
    if (uid === undefined || uid === 0 || capEff === undefined || /^0+$/.test(capEff)) continue;
    privileged.push({ pid, process: null, uid, capabilities: capabilityNames(capEff) });
  }
  part.facts.privileged = privileged;
  return part;
}

export function parseSecurity(stdout: string, result: CommandResult): FactsPart {
  const part = empty();
  const security: FactsPart["facts"]["security"] = {};
  for (const line of linesOf(stdout, result.truncated)) {
    const m = /^(selinux|apparmor)\s+(\S+)\s*$/.exec(line.trim());
    if (!m) continue;
    const value = m[2]!.toLowerCase();
    if (m[1] === "selinux") {
      security.selinux =
        value === "1" || value === "enforcing" ? "enforcing" : value === "0" || value === "permissive" ? "permissive" : value === "disabled" || value === "absent" ? "disabled" : null;
    } else {
      security.apparmor = value === "y" ? "enabled" : value === "n" || value === "absent" ? "disabled" : null;
    }
  }
  part.facts.security = security;
  return part;
}

export const GUEST_PARSERS: Record<GuestCommandId, GuestParser> = {
  "os-release": parseOsRelease,
  kernel: parseKernel,
  uptime: parseUptime,
  "machine-id": parseMachineId,
  "product-uuid": parseProductUuid,
  hostname: parseHostname,
  links: parseLinks,
  addresses: parseAddresses,
  cpu: parseCpu,
  meminfo: parseMeminfo,
  filesystems: parseFilesystems,
  processes: parseProcesses,
  listeners: parseListeners,
  connections: parseConnections,
  units: parseUnits,
  packages: parsePackages,
  cron: parseCron,
  modules: parseModules,
  devices: parseDevices,
  capabilities: parseCapabilities,
  security: parseSecurity,
};

// ---- assembly -------------------------------------------------------------------------------------

const LISTS = ["filesystems", "processes", "listeners", "connections", "units", "extraModules", "rawDevices", "privileged", "macAddresses", "ipAddresses"] as const;

/**
 * The facts of one guest from its command results (in any order; unknown ids ignored, a missing one
 * is "not run"). Never throws: a parser that fails is a warning, and facts that the schema refuses are
 * dropped with a warning.
 */
export function factsFromResults(target: string, results: readonly CommandResult[], collectedAt: string): GuestFacts {
  const facts: GuestFacts = {
    target: clip(target, 512),
    collectedAt,
    machineId: null,
    productUuid: null,
    hostname: null,
    macAddresses: [],
    ipAddresses: [],
    os: { id: null, versionId: null, prettyName: null, kernel: null, architecture: null },
    uptimeSeconds: null,
    cpuCount: null,
    cpuBusyPercent: null,
    memory: { totalMiB: null, availableMiB: null, usedMiB: null },
    filesystems: [],
    processes: [],
    listeners: [],
    connections: [],
    units: [],
    packageCount: null,
    software: [],
    cronJobs: null,
    extraModules: [],
    rawDevices: [],
    privileged: [],
    security: { selinux: null, apparmor: null },
    unread: [],
    warnings: [],
  };
  const byId = new Map<string, CommandResult>();
  for (const result of results) if (!byId.has(result.id)) byId.set(result.id, result);

  for (const id of Object.keys(GUEST_PARSERS) as GuestCommandId[]) {
    const label = COMMAND_LABELS[id];
    const result = byId.get(id);
    if (!result) {
      facts.unread.push(`${label}: not run`);
      continue;
    }
    const stdout = typeof result.stdout === "string" ? result.stdout : "";
    if (result.problem && stdout.trim() === "") {
      facts.unread.push(`${label}: ${result.problem}`);
      continue;
    }
    // The runner's "needs sudo (...): read without it, may be partial" is about what was not read.
    if (result.problem) (/^needs sudo/.test(result.problem) ? facts.unread : facts.warnings).push(`${label}: ${result.problem}`);
    else if (result.truncated) facts.warnings.push(`${label}: output cut, the rest not read`);
    if (stdout.trim() === "" && result.exitCode !== 0 && result.exitCode !== null) {
      facts.unread.push(`${label}: exited ${result.exitCode} with no output`);
      continue;
    }
    let part: FactsPart;
    try {
      part = GUEST_PARSERS[id](stdout, result);
    } catch (error) {
      facts.warnings.push(`${label}: output not understood (${error instanceof Error ? error.message : String(error)})`);
      continue;
    }
    const { os, memory, security, ...rest } = part.facts;
    Object.assign(facts, rest);
    if (os) Object.assign(facts.os, os);
    if (memory) Object.assign(facts.memory, memory);
    if (security) Object.assign(facts.security, security);
    facts.unread.push(...part.unread);
    facts.warnings.push(...part.warnings.map((w) => clip(w, 1024)));
  }

  for (const key of LISTS) {
    const list = facts[key] as unknown[];
    const limit = GUEST_LIMITS[key];
    if (list.length > limit) {
      facts.warnings.push(`${key}: ${list.length} reported, the first ${limit} kept`);
      (facts[key] as unknown[]) = list.slice(0, limit);
    }
  }
  // A raw device's holder by name, from the process list.
  const names = new Map(facts.processes.map((p) => [p.pid, p.name]));
  for (const d of facts.rawDevices) d.process = names.get(d.pid) ?? null;
  for (const p of facts.privileged) p.process = names.get(p.pid) ?? null;
  try {
    facts.software = detectSoftware({ processes: facts.processes, units: facts.units, listeners: facts.listeners });
  } catch (error) {
    facts.warnings.push(`software: not recognised (${error instanceof Error ? error.message : String(error)})`);
  }
  facts.unread = facts.unread.slice(0, 100).map((u) => clip(u, 512));
  facts.warnings = facts.warnings.slice(0, 100).map((w) => clip(w, 1024));
  return validated(facts);
}

/** The facts as the schema reads them; a field it refuses is reset, with a warning (never thrown). */
function validated(facts: GuestFacts): GuestFacts {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const parsed = guestFacts.safeParse(facts);
    if (parsed.success) return parsed.data;
    const keys = new Set(parsed.error.issues.map((issue) => String(issue.path[0] ?? "")));
    for (const key of keys) {
      const k = key as keyof GuestFacts;
      if (k === "target" || k === "collectedAt" || k === "warnings" || k === "unread" || !(k in facts)) continue;
      const current = facts[k];
      (facts as Record<string, unknown>)[k] = Array.isArray(current)
        ? []
        : k === "os" || k === "memory" || k === "security"
          ? Object.fromEntries(Object.keys(current as object).map((field) => [field, null]))
          : null;
      if (facts.warnings.length < 100) facts.warnings.push(`${k}: not valid, dropped`);
    }
    if (keys.has("warnings") || keys.has("unread")) {
      facts.warnings = [];
      facts.unread = [];
    }
  }
  // Only target or collectedAt can still be refused: the caller gave them.
  return guestFacts.parse(facts);
}

/**
 * A `guest` source: which guests to read (its endpoint), how to log in (its user and secret) and how
 * (its options), turned into one guest discovery run whose result is a snapshot holding `guests`.
 *
 * The endpoint lists targets, separated by commas, spaces or new lines:
 * - `inventory`: the customer's inventoried Linux VMs that are powered on and report an IP (the
 *   job reads them from the other sources: CollectorKnowledge.vms); each is reached at its first
 *   usable address;
 * - a host name or an IP address, with `:port` (IPv6 in brackets) when not the source's port;
 * - an IPv4 range in CIDR notation (/20 to /32; network and broadcast addresses left out of
 *   ranges wider than /31). Addresses of a range that do not answer are counted, not listed.
 * At most MAX_GUEST_TARGETS guests per source.
 *
 * Host keys: pinned ("SHA256:..." for every guest, or `host[:port]=SHA256:...` pairs), else trusted
 * on first use (recorded with the run, then enforced: a changed key is refused), else not checked
 * when the source says so explicitly. A source must choose one of them.
 */
import net from "node:net";
import { z } from "zod";
import type { RecordedHostKey, SnapshotInput } from "../../inventory/snapshot";
import { MAX_GUESTS } from "../../inventory/snapshot";
import { isPrivateKeyArmour, normaliseHostKeyFingerprint } from "../ssh";
import type { CollectableSource, CollectorKnowledge } from "../types";
import { collectGuests } from "./collect";
import { GUEST_COMMANDS } from "./commands";
import { GuestConfigurationError, GuestConnectionError, GuestError, GuestHostKeyError } from "./errors";
import type { GuestCommand } from "./facts";
import { guestTargetLabel, parseGuestTarget, type GuestAuth, type GuestHostKeyPolicy, type GuestJump, type GuestTarget } from "./ssh";

/** Guests one source may read in one run (a /20 is 4,094 addresses). */
export const MAX_GUEST_TARGETS = 4096;
/** The widest IPv4 range an endpoint may name. */
const WIDEST_PREFIX = 20;

/** A whole number typed into a text field ("" for none), or given as a number (the API, the CLI). */
const wholeNumber = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === "string" ? (value.trim() === "" ? undefined : Number(value.trim())) : value),
    z.number().int().min(min).max(max).optional(),
  );
/** Text typed into a field: "" is none. */
const optionalText = (max: number) =>
  z.preprocess((value) => (typeof value === "string" && value.trim() === "" ? undefined : value), z.string().max(max).optional());

const guestOptionsShape = z.object({
  /** The ssh port of targets that name none (22). */
  port: wholeNumber(1, 65535),
  /** "SHA256:..." for every guest, or `host[:port]=SHA256:...` pairs separated by commas or new lines. */
  hostKeys: optionalText(65_536),
  trustOnFirstUse: z.boolean().default(false),
  insecureHostKey: z.boolean().default(false),
  /** A jump host, ssh://user@host[:port]; it takes the source's credentials. */
  jump: optionalText(512),
  jumpHostKey: optionalText(100),
  /** Use `sudo -n` for the few reads that need root (DMI UUID, other users' sockets and crontabs). */
  sudo: z.boolean().default(false),
  /** Guests read at once (8). */
  concurrency: wholeNumber(1, 256),
  /** Handshake and login per guest (15 s). */
  connectTimeoutSeconds: wholeNumber(1, 300),
  /** Every command's time limit, instead of each command's own (5–20 s). */
  commandTimeoutSeconds: wholeNumber(1, 600),
  /** Every command's output limit in KiB, instead of each command's own (1–8 MiB). */
  maxOutputKiB: wholeNumber(1, 64 * 1024),
});

export type GuestOptions = z.output<typeof guestOptionsShape>;

/** What a source's host-key options say, checked: a policy per target comes from it. */
export interface HostKeyChoice {
  /** A fingerprint for every guest that has no pair of its own. */
  all: string | null;
  /** "host:port" or "host" → fingerprint. */
  pairs: Map<string, string>;
  trustOnFirstUse: boolean;
  insecure: boolean;
}

/** The host-key options read and checked; a GuestConfigurationError says what is wrong. */
export function hostKeyChoice(options: GuestOptions): HostKeyChoice {
  const pairs = new Map<string, string>();
  let all: string | null = null;
  for (const entry of (options.hostKeys ?? "").split(/[\s,]+/).filter(Boolean)) {
    const eq = entry.lastIndexOf("=");
    const [host, key] = eq > 0 && !entry.startsWith("SHA256:") ? [entry.slice(0, eq), entry.slice(eq + 1)] : [null, entry];
    const fingerprint = normaliseHostKeyFingerprint(key);
    if (!fingerprint) {
      throw new GuestConfigurationError(
        `"${entry.slice(0, 80)}" is not a host key: give SHA256:... as \`ssh-keygen -lf\` prints it, or host=SHA256:...`,
      );
    }
    if (host === null) {
      if (all !== null) throw new GuestConfigurationError("more than one host key is given for every guest: pair the others with their hosts (host=SHA256:...)");
      all = fingerprint;
    } else {
      pairs.set(host.toLowerCase().replace(/^\[(.*)\](:\d+)?$/, (_, h: string, p?: string) => `${h}${p ?? ""}`), fingerprint);
    }
  }
  const pinned = all !== null || pairs.size > 0;
  if (options.insecureHostKey && (pinned || options.trustOnFirstUse)) {
    throw new GuestConfigurationError("“Accept any ssh host key” excludes pinned host keys and trust on first use");
  }
  if (!pinned && !options.trustOnFirstUse && !options.insecureHostKey) {
    throw new GuestConfigurationError("choose how guests' ssh host keys are checked: pin them, trust them on first use, or accept any");
  }
  if (options.jump !== undefined && options.jumpHostKey === undefined && !options.insecureHostKey) {
    throw new GuestConfigurationError("the jump host needs its host key pinned (or “Accept any ssh host key”)");
  }
  if (options.jumpHostKey !== undefined && !normaliseHostKeyFingerprint(options.jumpHostKey)) {
    throw new GuestConfigurationError("the jump host's key must be SHA256:... as `ssh-keygen -lf` prints it");
  }
  return { all, pairs, trustOnFirstUse: options.trustOnFirstUse, insecure: options.insecureHostKey };
}

/** The options schema: the shape, and the host-key choice checked (saving a source that cannot work is refused). */
export const guestOptions = guestOptionsShape.superRefine((options, context) => {
  const check = (path: (error: Error) => string, run: () => unknown) => {
    try {
      run();
    } catch (error) {
      if (!(error instanceof GuestConfigurationError)) throw error;
      context.addIssue({ code: "custom", path: [path(error)], message: error.message });
    }
  };
  check((error) => (/jump/i.test(error.message) ? "jump" : "hostKeys"), () => hostKeyChoice(options));
  if (options.jump !== undefined) check(() => "jump", () => parseGuestTarget(options.jump!));
});

/** One range of the endpoint and the targets it gave. */
interface TargetRange {
  cidr: string;
  labels: Set<string>;
}

export interface GuestTargets {
  /** The endpoint named `inventory`. */
  inventory: boolean;
  /** The hosts and the addresses of the ranges, in the endpoint's order. */
  targets: GuestTarget[];
  ranges: TargetRange[];
}

const ipv4ToNumber = (ip: string) => ip.split(".").reduce((n, part) => n * 256 + Number(part), 0);
const numberToIpv4 = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");

/** The addresses of an IPv4 CIDR range (without network and broadcast below /31). */
function expandRange(cidr: string): string[] {
  const [ip, bits] = cidr.split("/") as [string, string];
  const prefix = Number(bits);
  if (!net.isIPv4(ip) || !/^\d{1,2}$/.test(bits) || prefix > 32) throw new GuestConfigurationError(`"${cidr}" is not an IPv4 range (a.b.c.d/nn)`);
  if (prefix < WIDEST_PREFIX) throw new GuestConfigurationError(`"${cidr}" is wider than /${WIDEST_PREFIX}: name smaller ranges`);
  const size = 2 ** (32 - prefix);
  const base = ipv4ToNumber(ip) - (ipv4ToNumber(ip) % size);
  const first = size > 2 ? base + 1 : base;
  const last = size > 2 ? base + size - 2 : base + size - 1;
  const out: string[] = [];
  for (let n = first; n <= last; n++) out.push(numberToIpv4(n));
  return out;
}

/** `host`, `host:port`, `[v6]:port`, a bare IPv6 address; each may start with `user@` or be an ssh:// URL. */
function hostTarget(entry: string, sourceUser: string, port: number): GuestTarget {
  if (/^ssh:\/\//i.test(entry)) {
    // ssh://user@host[:port]: its own user, and the source's port when it names none.
    const target = parseGuestTarget(entry);
    return /:\d+\/?$/.test(entry) ? target : { ...target, port };
  }
  let user = sourceUser;
  const at = entry.lastIndexOf("@");
  if (at >= 0) {
    user = entry.slice(0, at);
    entry = entry.slice(at + 1);
    // Never echoed: it may be a password ("user:password@host").
    if (user.includes(":")) throw new GuestConfigurationError(`${entry.slice(0, 80)}: no password in the endpoint (give it in the secret)`);
    if (!/^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$/.test(user)) throw new GuestConfigurationError(`"${user.slice(0, 80)}" is not a user name`);
  }
  if (net.isIPv6(entry)) return { user, host: entry, port };
  const match = /^(\[[^\]]+\]|[^:\s]+)(?::(\d{1,5}))?$/.exec(entry);
  if (!match) throw new GuestConfigurationError(`"${entry.slice(0, 80)}" is not a host, host:port, address or range`);
  const host = match[1]!.replace(/^\[(.*)\]$/, "$1");
  if (!net.isIP(host) && !/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/.test(host)) {
    throw new GuestConfigurationError(`"${entry.slice(0, 80)}" is not a host name or address`);
  }
  const p = match[2] === undefined ? port : Number(match[2]);
  if (!(p >= 1 && p <= 65535)) throw new GuestConfigurationError(`"${entry.slice(0, 80)}": the port must be 1 to 65535`);
  return { user, host, port: p };
}

/** The endpoint read into targets; a GuestConfigurationError names the entry that is wrong. */
export function parseGuestEndpoint(endpoint: string, user: string, port = 22): GuestTargets {
  const result: GuestTargets = { inventory: false, targets: [], ranges: [] };
  const entries = endpoint.split(/[\s,]+/).filter(Boolean);
  if (entries.length === 0) throw new GuestConfigurationError("name the guests: inventory, hosts, addresses or IPv4 ranges");
  let count = 0;
  const add = (target: GuestTarget) => {
    if (++count > MAX_GUEST_TARGETS) throw new GuestConfigurationError(`more than ${MAX_GUEST_TARGETS} guests in one source: split it`);
    result.targets.push(target);
    return target;
  };
  for (const entry of entries) {
    if (entry.toLowerCase() === "inventory") {
      result.inventory = true;
    } else if (entry.includes("/") && !/^ssh:\/\//i.test(entry)) {
      const range: TargetRange = { cidr: entry, labels: new Set() };
      for (const ip of expandRange(entry)) range.labels.add(guestTargetLabel(add({ user, host: ip, port })));
      result.ranges.push(range);
    } else {
      add(hostTarget(entry, user, port));
    }
  }
  return result;
}

/** 127.x, ::1, link-local and unspecified addresses do not reach the guest from elsewhere. */
const reachable = (ip: string) => net.isIP(ip) !== 0 && !/^(127\.|169\.254\.|0\.0\.0\.0$|::1?$|fe80:)/i.test(ip);

/** The address a known VM is reached at: its first usable IPv4, else its first usable IPv6. */
export function addressOf(ipAddresses: readonly string[]): string | null {
  const usable = ipAddresses.map((ip) => ip.replace(/\/\d+$/, "")).filter(reachable);
  return usable.find((ip) => net.isIPv4(ip)) ?? usable[0] ?? null;
}

/** Which host-key policy a target gets. */
function policyFor(target: GuestTarget, choice: HostKeyChoice, known: Record<string, string>, recorded: RecordedHostKey[]): GuestHostKeyPolicy {
  const hostPort = guestTargetLabel(target).slice(target.user.length + 1);
  const pinned = choice.pairs.get(hostPort.toLowerCase()) ?? choice.pairs.get(target.host.toLowerCase()) ?? choice.all;
  if (pinned) return { mode: "pinned", fingerprint: pinned };
  if (choice.trustOnFirstUse) {
    return {
      mode: "tofu",
      known: known[hostPort] ?? null,
      onNewHostKey: (fingerprint) => {
        recorded.push({ host: hostPort, fingerprint });
        return true;
      },
    };
  }
  if (choice.insecure) return { mode: "insecure" };
  // hostKeyChoice refuses a source with no way to check keys; a target without a pair of its own:
  throw new GuestConfigurationError(`no host key is pinned for ${hostPort}`);
}

export class GuestCollectionError extends GuestError {
  constructor(message: string) {
    super(message);
    this.name = "GuestCollectionError";
  }
}

/** The command set with the source's limits in place of each command's own. */
function commandsWith(options: GuestOptions): readonly GuestCommand[] {
  if (options.commandTimeoutSeconds === undefined && options.maxOutputKiB === undefined) return GUEST_COMMANDS;
  return GUEST_COMMANDS.map((c) => ({
    ...c,
    timeoutMs: options.commandTimeoutSeconds !== undefined ? options.commandTimeoutSeconds * 1000 : c.timeoutMs,
    maxBytes: options.maxOutputKiB !== undefined ? options.maxOutputKiB * 1024 : c.maxBytes,
  }));
}

/**
 * The guest kind's collector: reads every target of the source, a guest that fails is a warning
 * (the addresses of a range that do not answer are one warning per range); fails only when no
 * guest at all could be read.
 */
export async function collectGuestSource(
  source: CollectableSource,
  context: { signal: AbortSignal; known?: CollectorKnowledge },
): Promise<SnapshotInput> {
  const parsed = guestOptions.safeParse(source.options ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GuestConfigurationError(`invalid guest option ${issue?.path.join(".")}: ${issue?.message}`);
  }
  const options = parsed.data;
  const choice = hostKeyChoice(options);
  const user = source.username?.trim();
  if (!user) throw new GuestConfigurationError("the source names no ssh user");
  if (!source.secret) throw new GuestConfigurationError("the source has no ssh private key or password");
  const auth: GuestAuth = isPrivateKeyArmour(source.secret) ? { privateKey: source.secret } : { password: source.secret };
  const port = options.port ?? 22;
  const { inventory, targets, ranges } = parseGuestEndpoint(source.endpoint, user, port);

  const warnings: string[] = [];
  if (inventory) {
    const vms = context.known?.vms ?? [];
    const seen = new Set(targets.map(guestTargetLabel));
    let withoutAddress = 0;
    for (const vm of vms) {
      const ip = addressOf(vm.ipAddresses);
      if (ip === null) {
        withoutAddress++;
        continue;
      }
      const target = { user, host: ip, port };
      if (seen.has(guestTargetLabel(target))) continue;
      seen.add(guestTargetLabel(target));
      if (targets.length >= MAX_GUESTS) throw new GuestConfigurationError(`more than ${MAX_GUESTS} guests in one source: split it`);
      targets.push(target);
    }
    if (vms.length === 0) warnings.push("inventory: the customer has no powered-on Linux VM in its other sources (collect them first)");
    if (withoutAddress > 0) {
      const vms = withoutAddress === 1 ? "1 powered-on Linux VM reports" : `${withoutAddress} powered-on Linux VMs report`;
      warnings.push(`inventory: ${vms} no usable IP address: not reached (install guest tools, or name them)`);
    }
  }
  if (targets.length === 0) throw new GuestCollectionError("no guest to read: the endpoint names none, and the inventory gave none");

  const recorded: RecordedHostKey[] = [];
  const known = context.known?.hostKeys ?? {};
  let jump: GuestJump | null = null;
  if (options.jump !== undefined) {
    const jumpTarget = parseGuestTarget(options.jump);
    jump = {
      target: jumpTarget,
      hostKey: options.jumpHostKey !== undefined ? { mode: "pinned", fingerprint: normaliseHostKeyFingerprint(options.jumpHostKey)! } : { mode: "insecure" },
    };
  }
  const collection = await collectGuests(targets, {
    auth,
    hostKey: (target) => policyFor(target, choice, known, recorded),
    jump,
    sudo: options.sudo,
    concurrency: options.concurrency,
    connectTimeoutMs: options.connectTimeoutSeconds !== undefined ? options.connectTimeoutSeconds * 1000 : undefined,
    commands: commandsWith(options),
    signal: context.signal,
  });

  // An address of a range that does not answer is expected (ranges are scanned): counted per range.
  const silent = new Map<TargetRange, number>();
  for (const failure of collection.failures) {
    const range = ranges.find((r) => r.labels.has(failure.target));
    const unreachable = failure.error instanceof GuestConnectionError && !(failure.error instanceof GuestHostKeyError);
    if (range && unreachable) silent.set(range, (silent.get(range) ?? 0) + 1);
    else warnings.push(failure.warning);
  }
  for (const [range, n] of silent) warnings.push(`${range.cidr}: ${n} of ${range.labels.size} addresses did not answer ssh on port ${port}`);
  warnings.push(...collection.warnings.filter((w) => !collection.failures.some((f) => f.warning === w)));

  if (collection.guests.length === 0) {
    const first = collection.failures.slice(0, 3).map((f) => f.warning).join("; ");
    throw new GuestCollectionError(`no guest could be read (${targets.length} tried)${first ? `: ${first}` : ""}`);
  }
  // A key recorded for a guest whose login then failed is kept: trust on first use is about the host.
  return { collectedAt: collection.collectedAt, guests: collection.guests, hostKeys: recorded, warnings };
}

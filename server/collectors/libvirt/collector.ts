/**
 * The libvirt source: a KVM/QEMU host's inventory over libvirt's own RPC protocol, read-only.
 *
 * Endpoint: a libvirt URI as users write it (qemu:///system, qemu+tcp://host/system,
 * qemu+tls://host/system?pkipath=DIR, qemu+ssh://user@host/system, test+unix:///path/node.xml?socket=PATH;
 * see uri.ts). Secret: for qemu+ssh, the ssh private key (PEM / OpenSSH armour).
 * Options:
 *   timeoutSeconds  limit for connecting and for one call (default 60)
 *   concurrency     calls in flight at once on the connection (default 32)
 *   hostKey         ssh: the host key fingerprint to trust, "SHA256:..." as `ssh-keygen -lf` prints it
 *   insecureHostKey ssh: accept any host key (instead of hostKey)
 *   keyFile         ssh: private key file when there is no secret and no keyfile= in the URI
 *   statsSampleSeconds  seconds between the two reads of the domains' and the node's counters that
 *                   measured use is computed from (default 2); 0 reads once: absolute values
 *                   (memory), no rates (CPU, disk, network)
 */
import { performance } from "node:perf_hooks";
import { mapLimit } from "../concurrency";
import { z } from "zod";
import type { CollectableSource, Collector } from "../types";
import {
  LibvirtConfigurationError,
  LibvirtConnectionError,
  LibvirtError,
  LibvirtRemoteError,
  VIR_ERR_CONFIG_UNSUPPORTED,
  VIR_ERR_NO_DOMAIN,
} from "./errors";
import {
  parseCapabilities,
  parseDomainXml,
  parseSysinfo,
  toSnapshot,
  type LibvirtDomain,
  type LibvirtInventory,
  type LibvirtUsage,
} from "./normalise";
import { DomainStats, RemoteConnection, STATS_RUNNING, formatUuid, type DomainStatsRecord } from "./remote";
import type { DomainRead } from "./utilisation";
import { RpcClient } from "./rpc";
import type { SshCredentials } from "./ssh";
import { openTransport } from "./transport";
import { parseLibvirtUri, type LibvirtTarget } from "./uri";

export const libvirtOptions = z.object({
  timeoutSeconds: z.number().int().min(1).max(3600).default(60),
  concurrency: z.number().int().min(1).max(1024).default(32),
  hostKey: z.string().optional(),
  insecureHostKey: z.boolean().default(false),
  keyFile: z.string().optional(),
  statsSampleSeconds: z.number().min(0).max(300).default(2),
});
export type LibvirtOptions = z.output<typeof libvirtOptions>;

/** Connects, checks that no auth step is needed, opens the URI's driver read-only. */
export async function connectLibvirt(
  target: LibvirtTarget,
  options: { timeoutMs: number; signal?: AbortSignal; env?: NodeJS.ProcessEnv; ssh?: SshCredentials },
): Promise<RemoteConnection> {
  const stream = await openTransport(target, {
    connectTimeoutMs: options.timeoutMs,
    signal: options.signal,
    env: options.env,
    ssh: options.ssh,
  });
  const rpc = new RpcClient(stream, {
    callTimeoutMs: options.timeoutMs,
    peer: `libvirt (${target.uri})`,
    maxInFlight: target.transport === "tls" ? 1 : undefined,
  });
  const abort = () => rpc.destroy();
  options.signal?.addEventListener("abort", abort, { once: true });
  stream.once("close", () => options.signal?.removeEventListener("abort", abort));
  const conn = new RemoteConnection(rpc);
  try {
    await conn.checkAuth();
    await conn.open(target.name, true);
  } catch (error) {
    rpc.destroy();
    throw error;
  }
  return conn;
}

/**
 * A call the driver may not have (old libvirt, the test driver's sysinfo): null instead of an
 * error; a refusal for another reason is noted in the snapshot's warnings.
 */
async function optional<T>(call: Promise<T>, warnings: string[]): Promise<T | null> {
  try {
    return await call;
  } catch (error) {
    if (!(error instanceof LibvirtRemoteError)) throw error;
    // Unsupported, or "unsupported configuration" (no SMBIOS data on the host): nothing to say.
    if (!error.unsupported && error.code !== VIR_ERR_CONFIG_UNSUPPORTED) warnings.push(error.message);
    return null;
  }
}

/** A call the collection cannot do without: an old daemon that lacks it is said plainly. */
async function required<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof LibvirtRemoteError && error.unsupported) {
      throw new LibvirtError(
        `the libvirt daemon does not support ${error.procedure} (libvirt too old, or the driver lacks it): ${error.remoteMessage}`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** The stats groups measured use reads (and the inventory's disk sizes: block). */
export const USAGE_STATS =
  DomainStats.STATE | DomainStats.CPU_TOTAL | DomainStats.BALLOON | DomainStats.VCPU | DomainStats.INTERFACE | DomainStats.BLOCK;

/** A call's answer and when it was answered: the midpoint between sending and the reply (ms, monotonic), and the wall clock. */
interface Timed<T> {
  value: T;
  atMs: number;
  at: Date;
}

async function timed<T>(call: () => Promise<T>): Promise<Timed<T>> {
  const sent = performance.now();
  const value = await call();
  const answered = performance.now();
  return { value, atMs: (sent + answered) / 2, at: new Date() };
}

/** Waits `ms`, or rejects when the collection is cancelled. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancelled = () => new LibvirtConnectionError("the collection was cancelled");
    if (signal?.aborted) return reject(cancelled());
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Calls of measured use: a driver that lacks one (the test driver has no node memory stats) is
 * noted in `unsupported` (one warning for them all), another refusal is a warning; either way the
 * collection goes on without it.
 */
async function measured<T>(name: string, call: Promise<T>, unsupported: string[], warnings: string[]): Promise<T | null> {
  try {
    return await call;
  } catch (error) {
    if (!(error instanceof LibvirtRemoteError)) throw error;
    if (error.unsupported) unsupported.push(name);
    else warnings.push(`measured use: ${error.message}`);
    return null;
  }
}

const RUNNING = 1;
const byUuid = (records: DomainStatsRecord[] | null) => {
  const out = new Map<string, DomainStatsRecord>();
  for (const record of records ?? []) {
    const key = record.domain.uuid.toString("hex");
    if (!out.has(key)) out.set(key, record);
  }
  return out;
};
const read = (record: DomainStatsRecord | undefined): DomainRead | null =>
  record ? { id: record.domain.id, params: record.params } : null;

export interface UsageOptions {
  /** Seconds between the two reads; 0: one read. */
  sampleSeconds: number;
  signal?: AbortSignal;
}

/**
 * Every call of a full inventory, pipelined on the one connection. With `usage`, the domains' and
 * the node's counters are read twice, `sampleSeconds` apart (the inventory's calls run in between),
 * for measured use (utilisation.ts).
 */
export async function collectInventory(
  conn: RemoteConnection,
  uri: string,
  concurrency = 32,
  usage: UsageOptions | null = null,
): Promise<LibvirtInventory> {
  const warnings: string[] = [];
  const unsupported: string[] = [];
  const sampling = usage !== null;
  const [hostname, type, version, libVersion, node, capsXml, sysinfoXml, domains, firstStats, firstCpu, memoryParameters] = await Promise.all([
    required(conn.hostname()),
    required(conn.type()),
    optional(conn.version(), warnings),
    optional(conn.libVersion(), warnings),
    required(conn.nodeInfo()),
    optional(conn.capabilities(), warnings),
    optional(conn.sysinfo(), warnings),
    required(conn.listAllDomains()),
    sampling
      ? measured("CONNECT_GET_ALL_DOMAIN_STATS", timed(() => conn.allDomainStats(USAGE_STATS)), unsupported, warnings)
      : optional(timed(() => conn.allDomainStats(DomainStats.STATE | DomainStats.BLOCK)), warnings),
    sampling && usage.sampleSeconds > 0
      ? measured("NODE_GET_CPU_STATS", timed(() => conn.nodeCpuStats()), unsupported, warnings)
      : Promise.resolve(null),
    sampling ? measured("NODE_GET_MEMORY_PARAMETERS", conn.nodeMemoryParameters(), unsupported, warnings) : Promise.resolve(null),
  ]);
  const statsByUuid = byUuid(firstStats?.value ?? null);

  const collected = await mapLimit(domains, concurrency, undefined, async (domain): Promise<LibvirtDomain | null> => {
    try {
      const [info, xml] = await Promise.all([required(conn.domainInfo(domain)), required(conn.domainXml(domain))]);
      return {
        info,
        xml: parseDomainXml(xml),
        stats: statsByUuid.get(domain.uuid.toString("hex"))?.params ?? null,
      };
    } catch (error) {
      if (error instanceof LibvirtRemoteError && error.code === VIR_ERR_NO_DOMAIN) {
        warnings.push(`domain ${domain.name} (${formatUuid(domain.uuid)}) disappeared during the collection, skipped`);
        return null;
      }
      throw error;
    }
  });
  const kept = collected.filter((d): d is LibvirtDomain => d !== null);

  let usageReads: LibvirtUsage | undefined;
  if (sampling) {
    const runningFirst = (firstStats?.value ?? []).filter((r) => r.params.get("state.state") === RUNNING);
    const twoReads = usage.sampleSeconds > 0 && (runningFirst.length > 0 || firstCpu !== null);
    let secondStats: Timed<DomainStatsRecord[]> | null = null;
    let secondCpu: Timed<{ params: Map<string, bigint>; count: number }> | null = null;
    let nodeMemory: Map<string, bigint> | null;
    if (twoReads) {
      await pause(firstStats ? firstStats.atMs + usage.sampleSeconds * 1000 - performance.now() : usage.sampleSeconds * 1000, usage.signal);
      [secondStats, secondCpu, nodeMemory] = await Promise.all([
        firstStats ? measured("CONNECT_GET_ALL_DOMAIN_STATS", timed(() => conn.allDomainStats(USAGE_STATS, STATS_RUNNING)), unsupported, warnings) : null,
        firstCpu ? measured("NODE_GET_CPU_STATS", timed(() => conn.nodeCpuStats(-1, firstCpu.value.count)), unsupported, warnings) : null,
        measured("NODE_GET_MEMORY_STATS", conn.nodeMemoryStats(), unsupported, warnings),
      ]);
    } else {
      nodeMemory = await measured("NODE_GET_MEMORY_STATS", conn.nodeMemoryStats(), unsupported, warnings);
    }
    const first = twoReads ? byUuid(firstStats?.value ?? null) : new Map<string, DomainStatsRecord>();
    const last = twoReads ? byUuid(secondStats?.value ?? null) : byUuid(runningFirst);
    for (const domain of kept) {
      const key = domain.xml.uuid?.replaceAll("-", "").toLowerCase();
      const second = key ? read(last.get(key)) : null;
      if (second) domain.usage = { first: key ? read(first.get(key)) : null, second };
    }
    const latest = secondStats ?? firstStats;
    usageReads = {
      intervalMs: firstStats && secondStats ? secondStats.atMs - firstStats.atMs : 0,
      at: latest?.at ?? new Date(),
      nodeCpu: { first: firstCpu?.value.params ?? null, second: secondCpu?.value.params ?? null },
      nodeMemory,
      memoryParameters,
    };
    if (unsupported.length) {
      warnings.push(
        `measured use: the libvirt driver does not support ${[...new Set(unsupported)].sort().join(", ")}: ` +
          "what those calls give is left out of this collection",
      );
    }
  }

  return {
    uri,
    hostname,
    hypervisorType: type,
    hypervisorVersion: version,
    libVersion,
    node,
    capabilities: capsXml === null ? null : parseCapabilities(capsXml),
    sysinfo: sysinfoXml === null ? null : parseSysinfo(sysinfoXml),
    domains: kept.sort((a, b) => (a.xml.name < b.xml.name ? -1 : a.xml.name > b.xml.name ? 1 : 0)),
    warnings,
    ...(usageReads ? { usage: usageReads } : {}),
  };
}

export function sourceOptions(source: CollectableSource): LibvirtOptions {
  const parsed = libvirtOptions.safeParse(source.options ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LibvirtConfigurationError(`invalid libvirt option ${issue?.path.join(".")}: ${issue?.message}`);
  }
  return parsed.data;
}

/** What the ssh transport needs from the source: the secret is the private key. */
export function sshCredentials(source: CollectableSource, options: LibvirtOptions): SshCredentials {
  return {
    privateKey: source.secret,
    keyFile: options.keyFile ?? null,
    username: source.username,
    hostKey: options.hostKey ?? null,
    insecureHostKey: options.insecureHostKey,
  };
}

export const collectLibvirt: Collector = async (source, { signal }) => {
  const options = sourceOptions(source);
  const target = parseLibvirtUri(source.endpoint);
  const conn = await connectLibvirt(target, {
    timeoutMs: options.timeoutSeconds * 1000,
    signal,
    ssh: target.transport === "ssh" ? sshCredentials(source, options) : undefined,
  });
  try {
    const inventory = await collectInventory(conn, target.uri, options.concurrency, {
      sampleSeconds: options.statsSampleSeconds,
      signal,
    });
    return toSnapshot(inventory);
  } finally {
    try {
      await conn.close();
    } catch {
      // The inventory is read; a failed goodbye does not spoil it.
    }
    conn.rpc.destroy();
  }
};

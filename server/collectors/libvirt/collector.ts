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
 */
import { mapLimit } from "../concurrency";
import { z } from "zod";
import type { CollectableSource, Collector } from "../types";
import { LibvirtConfigurationError, LibvirtError, LibvirtRemoteError, VIR_ERR_CONFIG_UNSUPPORTED, VIR_ERR_NO_DOMAIN } from "./errors";
import {
  parseCapabilities,
  parseDomainXml,
  parseSysinfo,
  toSnapshot,
  type LibvirtDomain,
  type LibvirtInventory,
} from "./normalise";
import { DomainStats, RemoteConnection, formatUuid, type DomainStatsRecord } from "./remote";
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

/** Every call of a full inventory, pipelined on the one connection. */
export async function collectInventory(
  conn: RemoteConnection,
  uri: string,
  concurrency = 32,
): Promise<LibvirtInventory> {
  const warnings: string[] = [];
  const [hostname, type, version, libVersion, node, capsXml, sysinfoXml, domains, stats] = await Promise.all([
    required(conn.hostname()),
    required(conn.type()),
    optional(conn.version(), warnings),
    optional(conn.libVersion(), warnings),
    required(conn.nodeInfo()),
    optional(conn.capabilities(), warnings),
    optional(conn.sysinfo(), warnings),
    required(conn.listAllDomains()),
    optional(conn.allDomainStats(DomainStats.STATE | DomainStats.BLOCK), warnings),
  ]);
  const statsByUuid = new Map<string, DomainStatsRecord>();
  for (const record of stats ?? []) statsByUuid.set(record.domain.uuid.toString("hex"), record);

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

  return {
    uri,
    hostname,
    hypervisorType: type,
    hypervisorVersion: version,
    libVersion,
    node,
    capabilities: capsXml === null ? null : parseCapabilities(capsXml),
    sysinfo: sysinfoXml === null ? null : parseSysinfo(sysinfoXml),
    domains: collected
      .filter((d): d is LibvirtDomain => d !== null)
      .sort((a, b) => (a.xml.name < b.xml.name ? -1 : a.xml.name > b.xml.name ? 1 : 0)),
    warnings,
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
    const inventory = await collectInventory(conn, target.uri, options.concurrency);
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

/**
 * The read-only calls of libvirt's remote program (src/remote/remote_protocol.x), typed: argument
 * encoders and reply decoders on top of RpcClient.
 */
import { LibvirtAuthError, LibvirtProtocolError } from "./errors";
import type { RpcClient } from "./rpc";
import { XdrReader, XdrWriter } from "./xdr";

export const Procedure = {
  CONNECT_OPEN: 1,
  CONNECT_CLOSE: 2,
  CONNECT_GET_TYPE: 3,
  CONNECT_GET_VERSION: 4,
  NODE_GET_INFO: 6,
  CONNECT_GET_CAPABILITIES: 7,
  DOMAIN_GET_XML_DESC: 14,
  DOMAIN_GET_INFO: 16,
  CONNECT_GET_HOSTNAME: 59,
  AUTH_LIST: 66,
  CONNECT_GET_LIB_VERSION: 157,
  CONNECT_GET_SYSINFO: 203,
  NODE_GET_CPU_STATS: 227,
  NODE_GET_MEMORY_STATS: 228,
  CONNECT_LIST_ALL_DOMAINS: 273,
  NODE_GET_MEMORY_PARAMETERS: 289,
  CONNECT_GET_ALL_DOMAIN_STATS: 344,
} as const;

export const AuthType = { NONE: 0, SASL: 1, POLKIT: 2 } as const;
/** virConnectFlags */
export const CONNECT_RO = 1;
/** virDomainStatsTypes */
export const DomainStats = { STATE: 1, CPU_TOTAL: 2, BALLOON: 4, VCPU: 8, INTERFACE: 16, BLOCK: 32 } as const;
/** virConnectGetAllDomainStatsFlags: only running domains (VIR_CONNECT_LIST_DOMAINS_RUNNING). */
export const STATS_RUNNING = 16;
/** virNodeGetCPUStats / virNodeGetMemoryStats: all CPUs, all NUMA cells. */
export const ALL_CPUS = -1;
export const ALL_CELLS = -1;

const STRING_MAX = 4194304;
const DOMAIN_LIST_MAX = 16384;
/** remote_protocol.x: REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX (4096 in 9.0, 262144 in later releases). */
export const DOMAIN_STATS_PARAMS_MAX = 262144;
/** Domain records in one stats reply (REMOTE_DOMAIN_LIST_MAX, raised over the releases). */
export const DOMAIN_STATS_RECORDS_MAX = 65536;
/** REMOTE_NODE_CPU_STATS_MAX, REMOTE_NODE_MEMORY_STATS_MAX, REMOTE_NODE_MEMORY_PARAMETERS_MAX. */
export const NODE_CPU_STATS_MAX = 16;
export const NODE_MEMORY_STATS_MAX = 16;
export const NODE_MEMORY_PARAMETERS_MAX = 64;
/** A typed parameter's field name (VIR_TYPED_PARAM_FIELD_LENGTH is 80; a little slack). */
const FIELD_MAX = 1024;

/** remote_nonnull_domain */
export interface DomainRef {
  name: string;
  /** 16 raw bytes */
  uuid: Buffer;
  /** -1 when not running */
  id: number;
}

export interface NodeInfo {
  model: string;
  memoryKiB: number;
  cpus: number;
  mhz: number;
  nodes: number;
  sockets: number;
  cores: number;
  threads: number;
}

export interface DomainInfo {
  /** virDomainState */
  state: number;
  maxMemKiB: number;
  memoryKiB: number;
  vcpus: number;
  cpuTimeNs: bigint;
}

export type TypedParamValue = number | bigint | boolean | string;

export interface DomainStatsRecord {
  domain: DomainRef;
  params: Map<string, TypedParamValue>;
}

export function readDomain(r: XdrReader): DomainRef {
  return { name: r.string(STRING_MAX), uuid: Buffer.from(r.fixedOpaque(16)), id: r.int() };
}

export function writeDomain(w: XdrWriter, domain: DomainRef): XdrWriter {
  return w.string(domain.name).fixedOpaque(domain.uuid, 16).int(domain.id);
}

/** "8-4-4-4-12" lower-case hex, as libvirt prints a uuid. */
export function formatUuid(bytes: Buffer): string {
  const h = bytes.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function decodeNodeInfo(payload: Buffer): NodeInfo {
  const r = new XdrReader(payload);
  return {
    model: r.charArray(32),
    memoryKiB: r.uhyperNumber(),
    cpus: r.int(),
    mhz: r.int(),
    nodes: r.int(),
    sockets: r.int(),
    cores: r.int(),
    threads: r.int(),
  };
}

export function decodeDomainInfo(payload: Buffer): DomainInfo {
  const r = new XdrReader(payload);
  return {
    state: r.uint() & 0xff,
    maxMemKiB: r.uhyperNumber(),
    memoryKiB: r.uhyperNumber(),
    vcpus: r.uint() & 0xffff,
    cpuTimeNs: r.uhyper(),
  };
}

/**
 * One remote_typed_param_value: the virTypedParameterType discriminant, then its value. A type
 * this client does not know cannot be skipped (its size is unknown), so the reply is refused.
 */
export function readTypedParamValue(r: XdrReader, procedure = "CONNECT_GET_ALL_DOMAIN_STATS"): TypedParamValue {
  const type = r.int();
  switch (type) {
    case 1:
      return r.int();
    case 2:
      return r.uint();
    case 3:
      return r.hyper();
    case 4:
      return r.uhyper();
    case 5:
      return r.double();
    case 6:
      return r.int() !== 0;
    case 7:
      return r.string(STRING_MAX);
    default:
      throw new LibvirtProtocolError(`${procedure}: unknown typed parameter type ${type}`);
  }
}

/**
 * A remote_typed_param list, at most `max` long (the array check also refuses a count longer than
 * the bytes that follow). A field named twice keeps its first value.
 */
export function readTypedParams(r: XdrReader, max: number, procedure: string): Map<string, TypedParamValue> {
  const params = new Map<string, TypedParamValue>();
  r.array((p) => {
    const field = p.string(FIELD_MAX);
    const value = readTypedParamValue(p, procedure);
    if (!params.has(field)) params.set(field, value);
  }, max);
  return params;
}

export function decodeAllDomainStats(payload: Buffer): DomainStatsRecord[] {
  return new XdrReader(payload).array((r) => {
    const domain = readDomain(r);
    const params = readTypedParams(r, DOMAIN_STATS_PARAMS_MAX, "CONNECT_GET_ALL_DOMAIN_STATS");
    return { domain, params };
  }, DOMAIN_STATS_RECORDS_MAX);
}

/**
 * remote_node_get_cpu_stats_ret / remote_node_get_memory_stats_ret: {field, unsigned hyper}
 * pairs, then nparams (the count the driver has: what a call with nparams 0 asks for).
 */
export function decodeNodeStats(payload: Buffer, max: number): { params: Map<string, bigint>; nparams: number } {
  const r = new XdrReader(payload);
  const params = new Map<string, bigint>();
  r.array((p) => {
    const field = p.string(FIELD_MAX);
    const value = p.uhyper();
    if (!params.has(field)) params.set(field, value);
  }, max);
  return { params, nparams: r.int() };
}

/** remote_node_get_memory_parameters_ret: typed params, then nparams. */
export function decodeNodeMemoryParameters(payload: Buffer): { params: Map<string, TypedParamValue>; nparams: number } {
  const r = new XdrReader(payload);
  const params = readTypedParams(r, NODE_MEMORY_PARAMETERS_MAX, "NODE_GET_MEMORY_PARAMETERS");
  return { params, nparams: r.int() };
}

/** The count a driver answers to "nparams 0", checked against the protocol's limit. */
function paramCount(procedure: string, nparams: number, max: number): number {
  if (!Number.isInteger(nparams) || nparams < 0 || nparams > max) {
    throw new LibvirtProtocolError(`${procedure}: the daemon announced ${nparams} parameters (the protocol allows ${max})`);
  }
  return nparams;
}

const noArgs = Buffer.alloc(0);
const stringReply = (payload: Buffer) => new XdrReader(payload).string(STRING_MAX);

/** The calls the collector makes, on one connection. */
export class RemoteConnection {
  constructor(readonly rpc: RpcClient) {}

  async authList(): Promise<number[]> {
    const payload = await this.rpc.call(Procedure.AUTH_LIST, "AUTH_LIST", noArgs);
    return new XdrReader(payload).array((r) => r.int(), 20);
  }

  /** Checks that no authentication step is needed (this client speaks none of them). */
  async checkAuth(): Promise<void> {
    const types = await this.authList();
    if (types.length === 0 || types.includes(AuthType.NONE)) return;
    const names = types.map((t) => (t === AuthType.SASL ? "SASL" : t === AuthType.POLKIT ? "polkit" : `type ${t}`));
    throw new LibvirtAuthError(
      `the libvirt daemon requires ${names.join(" or ")} authentication on this socket: not supported yet, ` +
        "use tls (client certificates) or ssh, or a read-only socket without auth",
    );
  }

  async open(name: string | null, readOnly = true): Promise<void> {
    const args = new XdrWriter().optionalString(name).uint(readOnly ? CONNECT_RO : 0).toBuffer();
    await this.rpc.call(Procedure.CONNECT_OPEN, "CONNECT_OPEN", args);
  }

  async close(): Promise<void> {
    await this.rpc.call(Procedure.CONNECT_CLOSE, "CONNECT_CLOSE", noArgs);
  }

  async type(): Promise<string> {
    return stringReply(await this.rpc.call(Procedure.CONNECT_GET_TYPE, "CONNECT_GET_TYPE"));
  }

  async version(): Promise<number> {
    return new XdrReader(await this.rpc.call(Procedure.CONNECT_GET_VERSION, "CONNECT_GET_VERSION")).uhyperNumber();
  }

  async libVersion(): Promise<number> {
    const payload = await this.rpc.call(Procedure.CONNECT_GET_LIB_VERSION, "CONNECT_GET_LIB_VERSION");
    return new XdrReader(payload).uhyperNumber();
  }

  async hostname(): Promise<string> {
    return stringReply(await this.rpc.call(Procedure.CONNECT_GET_HOSTNAME, "CONNECT_GET_HOSTNAME"));
  }

  async nodeInfo(): Promise<NodeInfo> {
    return decodeNodeInfo(await this.rpc.call(Procedure.NODE_GET_INFO, "NODE_GET_INFO"));
  }

  async capabilities(): Promise<string> {
    return stringReply(await this.rpc.call(Procedure.CONNECT_GET_CAPABILITIES, "CONNECT_GET_CAPABILITIES"));
  }

  async sysinfo(): Promise<string> {
    const args = new XdrWriter().uint(0).toBuffer();
    return stringReply(await this.rpc.call(Procedure.CONNECT_GET_SYSINFO, "CONNECT_GET_SYSINFO", args));
  }

  async listAllDomains(flags = 0): Promise<DomainRef[]> {
    const args = new XdrWriter().int(1).uint(flags).toBuffer();
    const r = new XdrReader(await this.rpc.call(Procedure.CONNECT_LIST_ALL_DOMAINS, "CONNECT_LIST_ALL_DOMAINS", args));
    return r.array(readDomain, DOMAIN_LIST_MAX);
  }

  async domainInfo(domain: DomainRef): Promise<DomainInfo> {
    const args = writeDomain(new XdrWriter(), domain).toBuffer();
    return decodeDomainInfo(await this.rpc.call(Procedure.DOMAIN_GET_INFO, "DOMAIN_GET_INFO", args));
  }

  async domainXml(domain: DomainRef, flags = 0): Promise<string> {
    const args = writeDomain(new XdrWriter(), domain).uint(flags).toBuffer();
    return stringReply(await this.rpc.call(Procedure.DOMAIN_GET_XML_DESC, "DOMAIN_GET_XML_DESC", args));
  }

  async allDomainStats(stats: number, flags = 0): Promise<DomainStatsRecord[]> {
    const args = new XdrWriter().uint(0).uint(stats).uint(flags).toBuffer();
    const payload = await this.rpc.call(Procedure.CONNECT_GET_ALL_DOMAIN_STATS, "CONNECT_GET_ALL_DOMAIN_STATS", args);
    return decodeAllDomainStats(payload);
  }

  /**
   * The node's CPU time counters (ns: kernel, user, idle, iowait on Linux) for one CPU or all
   * (-1). Two calls, as libvirt's own client makes them: nparams 0 asks how many there are (a
   * driver refuses any other count); `count` skips the first when it is already known.
   */
  async nodeCpuStats(cpu = ALL_CPUS, count?: number): Promise<{ params: Map<string, bigint>; count: number }> {
    const call = async (nparams: number) => {
      const args = new XdrWriter().int(cpu).int(nparams).uint(0).toBuffer();
      return decodeNodeStats(await this.rpc.call(Procedure.NODE_GET_CPU_STATS, "NODE_GET_CPU_STATS", args), NODE_CPU_STATS_MAX);
    };
    const n = count ?? paramCount("NODE_GET_CPU_STATS", (await call(0)).nparams, NODE_CPU_STATS_MAX);
    if (n === 0) return { params: new Map(), count: 0 };
    return { params: (await call(n)).params, count: n };
  }

  /** The node's memory (KiB: total, free, buffers, cached on Linux) for one NUMA cell or all (-1). */
  async nodeMemoryStats(cell = ALL_CELLS): Promise<Map<string, bigint>> {
    const call = async (nparams: number) => {
      const args = new XdrWriter().int(nparams).int(cell).uint(0).toBuffer();
      return decodeNodeStats(await this.rpc.call(Procedure.NODE_GET_MEMORY_STATS, "NODE_GET_MEMORY_STATS", args), NODE_MEMORY_STATS_MAX);
    };
    const n = paramCount("NODE_GET_MEMORY_STATS", (await call(0)).nparams, NODE_MEMORY_STATS_MAX);
    return n === 0 ? new Map() : (await call(n)).params;
  }

  /** The node's memory tunables: KSM's counters (shm_pages_shared, shm_pages_sharing, shm_full_scans, ...). */
  async nodeMemoryParameters(): Promise<Map<string, TypedParamValue>> {
    const call = async (nparams: number) => {
      const args = new XdrWriter().int(nparams).uint(0).toBuffer();
      return decodeNodeMemoryParameters(await this.rpc.call(Procedure.NODE_GET_MEMORY_PARAMETERS, "NODE_GET_MEMORY_PARAMETERS", args));
    };
    const n = paramCount("NODE_GET_MEMORY_PARAMETERS", (await call(0)).nparams, NODE_MEMORY_PARAMETERS_MAX);
    return n === 0 ? new Map() : (await call(n)).params;
  }
}

/**
 * From libvirt's answers (node info, capabilities, sysinfo, domain info and XML, domain stats) to
 * the snapshot: pure functions, no I/O.
 */
import { XMLParser } from "fast-xml-parser";
import { libosinfoFamily, neverLinux } from "../../inventory/os-identity";
import type { POWER_STATES, SnapshotInput } from "../../inventory/snapshot";
import type { UtilisationSeriesInput } from "../../utilisation/series";
import { LibvirtProtocolError } from "./errors";
import type { DomainInfo, NodeInfo, TypedParamValue } from "./remote";
import { domainMetrics, intervalSeconds, ksmSharing, nodeCpuPercent, nodeMemoryUsedMiB, toSeries, type DomainRead, type Metrics } from "./utilisation";

type Node = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  textNodeName: "#text",
});

export function parseXml(xml: string, what: string): Node {
  let doc: unknown;
  try {
    doc = parser.parse(xml, true);
  } catch (error) {
    throw new LibvirtProtocolError(`malformed XML in ${what}: ${(error as Error).message}`, { cause: error });
  }
  if (!doc || typeof doc !== "object") throw new LibvirtProtocolError(`malformed XML in ${what}: empty document`);
  return doc as Node;
}

const asNode = (v: unknown): Node | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Node) : undefined);
const list = (v: unknown): Node[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((x) => (typeof x === "object" && x ? (x as Node) : { "#text": String(x) }));
const child = (n: Node | undefined, name: string): Node | undefined => {
  const v = n?.[name];
  if (Array.isArray(v)) return asNode(v[0]) ?? (v[0] !== undefined ? { "#text": String(v[0]) } : undefined);
  if (v !== undefined && typeof v !== "object") return { "#text": String(v) };
  return asNode(v);
};
const attr = (n: Node | undefined, name: string): string | null => {
  const v = n?.[`@_${name}`];
  return v === undefined || v === null ? null : String(v);
};
const text = (n: Node | undefined): string | null => {
  if (!n) return null;
  const t = n["#text"];
  return t === undefined || t === null || String(t) === "" ? null : String(t);
};
const childText = (n: Node | undefined, name: string): string | null => text(child(n, name));
const int = (s: string | null): number | null => {
  if (s === null) return null;
  const v = Number(s.trim());
  return Number.isFinite(v) ? v : null;
};

const UNIT_BYTES: Record<string, number> = {
  b: 1,
  bytes: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1e6,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1e9,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1e12,
};

/** `<memory unit='KiB'>1048576</memory>` → MiB (libvirt's default unit is KiB). */
export function memoryMiB(n: Node | undefined): number | null {
  const value = int(text(n));
  if (value === null) return null;
  const unit = (attr(n, "unit") ?? "KiB").toLowerCase();
  const factor = UNIT_BYTES[unit];
  if (factor === undefined) return null;
  return (value * factor) / 1024 ** 2;
}

// ---------------------------------------------------------------- libosinfo ids

export interface GuestOs {
  id: string | null;
  name: string | null;
  family: "linux" | "windows" | "other" | "unknown";
}

/** Names for the common Linux distributions' libosinfo ids; any other id osinfo-db files as linux is named by its path. */
const LINUX_VENDORS: [RegExp, string][] = [
  [/^http:\/\/ubuntu\.com\/ubuntu\/(.+)$/, "Ubuntu"],
  [/^http:\/\/redhat\.com\/rhel\/(.+)$/, "Red Hat Enterprise Linux"],
  [/^http:\/\/debian\.org\/debian\/(.+)$/, "Debian"],
  [/^http:\/\/fedoraproject\.org\/fedora\/(.+)$/, "Fedora"],
  [/^http:\/\/centos\.org\/centos-stream\/(.+)$/, "CentOS Stream"],
  [/^http:\/\/centos\.org\/centos\/(.+)$/, "CentOS"],
  [/^http:\/\/rockylinux\.org\/rocky\/(.+)$/, "Rocky Linux"],
  [/^http:\/\/almalinux\.org\/almalinux\/(.+)$/, "AlmaLinux"],
  [/^http:\/\/oracle\.com\/ol\/(.+)$/, "Oracle Linux"],
  [/^http:\/\/suse\.com\/sles\/(.+)$/, "SUSE Linux Enterprise Server"],
  // osinfo-db files SLE 15 and later as sle/<version> ("http://suse.com/sle/15.5"), no longer sles/.
  [/^http:\/\/suse\.com\/sle\/(.+)$/, "SUSE Linux Enterprise"],
  [/^http:\/\/suse\.com\/sled\/(.+)$/, "SUSE Linux Enterprise Desktop"],
  [/^http:\/\/opensuse\.org\/opensuse\/(.+)$/, "openSUSE"],
  [/^http:\/\/archlinux\.org\/archlinux\/(.+)$/, "Arch Linux"],
  [/^http:\/\/alpinelinux\.org\/alpinelinux\/(.+)$/, "Alpine Linux"],
  [/^http:\/\/gentoo\.org\/gentoo\/(.+)$/, "Gentoo"],
  [/^http:\/\/coreos\.fedoraproject\.org\/coreos\/(.+)$/, "Fedora CoreOS"],
];

const WINDOWS: Record<string, string> = {
  xp: "Windows XP",
  "2k3": "Windows Server 2003",
  "2k3r2": "Windows Server 2003 R2",
  "2k8": "Windows Server 2008",
  "2k8r2": "Windows Server 2008 R2",
  "2k12": "Windows Server 2012",
  "2k12r2": "Windows Server 2012 R2",
  "2k16": "Windows Server 2016",
  "2k19": "Windows Server 2019",
  "2k22": "Windows Server 2022",
  "2k25": "Windows Server 2025",
  "7": "Windows 7",
  "8": "Windows 8",
  "8.1": "Windows 8.1",
  "10": "Windows 10",
  "11": "Windows 11",
};

/**
 * A libosinfo OS id ("http://ubuntu.com/ubuntu/22.04") → a name and a family, the family osinfo-db's
 * entry gives (os-identity.ts): Solaris ("http://oracle.com/solaris/11"), the BSDs, macOS and DOS are
 * never Linux; an id osinfo-db does not know, or "http://libosinfo.org/unknown", is unknown.
 */
export function guestOsFromLibosinfo(id: string | null): GuestOs {
  if (!id) return { id: null, name: null, family: "unknown" };
  const tail = id.replace(/^https?:\/\//, "");
  const family = libosinfoFamily(id) ?? "unknown";
  const notLinux = neverLinux(id);
  if (family === "linux") {
    for (const [pattern, vendor] of LINUX_VENDORS) {
      const m = pattern.exec(id);
      if (m) return { id, name: `${vendor} ${m[1]}`, family };
    }
    if (/^http:\/\/libosinfo\.org\/linux\//.test(id)) return { id, name: "Linux", family };
    return { id, name: tail, family };
  }
  const win = /^http:\/\/microsoft\.com\/win\/(.+)$/.exec(id);
  if (win) return { id, name: WINDOWS[win[1]!] ?? `Windows ${win[1]}`, family: "windows" };
  const bsd = /^http:\/\/(freebsd|openbsd|netbsd)\.org\/\w+\/(.+)$/.exec(id);
  if (bsd) {
    const names: Record<string, string> = { freebsd: "FreeBSD", openbsd: "OpenBSD", netbsd: "NetBSD" };
    return { id, name: `${names[bsd[1]!]} ${bsd[2]}`, family: "other" };
  }
  const solaris = /^http:\/\/(?:oracle|sun)\.com\/(?:open)?solaris\/(.+)$/.exec(id);
  if (solaris) return { id, name: `${id.includes("opensolaris") ? "OpenSolaris" : "Solaris"} ${solaris[1]}`, family: "other" };
  return { id, name: family === "other" && notLinux ? `${notLinux} (${tail})` : tail, family };
}

// ---------------------------------------------------------------- domain XML

export interface DomainDisk {
  /** file, block, network, volume, dir, nvme */
  type: string | null;
  device: string;
  target: string | null;
  bus: string | null;
  source: string | null;
  pool: string | null;
  format: string | null;
  shareable: boolean;
  readonly: boolean;
  transient: boolean;
}

export interface DomainNic {
  type: string | null;
  mac: string | null;
  network: string | null;
  bridge: string | null;
  model: string | null;
}

export interface DomainHostdev {
  type: string | null;
  mode: string | null;
  /** pci: 0000:03:00.0; usb: vendor:product or bus.device */
  address: string | null;
}

export interface DomainXml {
  type: string | null;
  name: string;
  uuid: string | null;
  title: string | null;
  description: string | null;
  vcpus: number | null;
  vcpusCurrent: number | null;
  vcpuPlacementPinned: boolean;
  coresPerSocket: number | null;
  memoryMiB: number | null;
  currentMemoryMiB: number | null;
  maxMemoryMiB: number | null;
  osType: string | null;
  osArch: string | null;
  osMachine: string | null;
  libosinfoId: string | null;
  /** <metadata>'s other elements, flattened ("nova:instance/nova:flavor@name" → "m1.small"), bounded. */
  metadata: Record<string, string>;
  disks: DomainDisk[];
  nics: DomainNic[];
  hostdevs: DomainHostdev[];
  usbController: boolean;
  usbRedirection: boolean;
  tpm: boolean;
  tpmModel: string | null;
}

function diskSource(disk: Node): { source: string | null; pool: string | null } {
  const src = child(disk, "source");
  if (!src) return { source: null, pool: null };
  const pool = attr(src, "pool");
  if (pool) return { source: `${pool}/${attr(src, "volume") ?? ""}`, pool };
  const file = attr(src, "file") ?? attr(src, "dev") ?? attr(src, "dir");
  if (file) return { source: file, pool: null };
  const protocol = attr(src, "protocol");
  const name = attr(src, "name");
  if (name) return { source: protocol ? `${protocol}://${name}` : name, pool: null };
  return { source: null, pool: null };
}

function pciAddress(src: Node | undefined): string | null {
  const a = child(src, "address");
  if (!a) return null;
  const hex = (v: string | null, width: number) =>
    v === null ? null : Number.parseInt(v, v.startsWith("0x") ? 16 : 10).toString(16).padStart(width, "0");
  const domain = hex(attr(a, "domain"), 4);
  const bus = hex(attr(a, "bus"), 2);
  const slot = hex(attr(a, "slot"), 2);
  const fn = attr(a, "function");
  if (bus === null || slot === null) return null;
  return `${domain ?? "0000"}:${bus}:${slot}.${fn === null ? "0" : Number.parseInt(fn, fn.startsWith("0x") ? 16 : 10)}`;
}

const metadataParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  removeNSPrefix: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  textNodeName: "#text",
});

/** Bounds of the metadata kept per domain: entries, key and value lengths (the snapshot's attribute limits). */
export const METADATA_LIMITS = { entries: 256, key: 512, value: 4096 } as const;

/**
 * A domain's <metadata> (application elements, each in its own namespace: OpenStack Nova's
 * instance, flavor and owner, oVirt's, KubeVirt's, ...) as a flat map of element paths with their
 * prefixes to texts and attributes. libosinfo's is read as the guest OS, not repeated here;
 * xmlns declarations are left out. Unparseable metadata gives an empty map, never a failed domain.
 */
export function parseMetadata(xml: string): Record<string, string> {
  const out: Record<string, string> = {};
  const match = /<metadata>([\s\S]*?)<\/metadata>/.exec(xml);
  if (!match) return out;
  let doc: unknown;
  try {
    doc = metadataParser.parse(`<metadata>${match[1]}</metadata>`, true);
  } catch {
    return out;
  }
  let n = 0;
  const put = (key: string, value: string) => {
    if (n >= METADATA_LIMITS.entries || value === "" || key.length > METADATA_LIMITS.key || Object.hasOwn(out, key)) return;
    out[key] = value.replaceAll("\u0000", "").slice(0, METADATA_LIMITS.value);
    n++;
  };
  const walk = (node: unknown, path: string, depth: number) => {
    if (depth > 8 || n >= METADATA_LIMITS.entries) return;
    if (typeof node !== "object" || node === null) {
      put(path, String(node));
      return;
    }
    for (const item of Array.isArray(node) ? node : [node]) {
      if (typeof item !== "object" || item === null) {
        put(path, String(item));
        continue;
      }
      for (const [name, value] of Object.entries(item as Node)) {
        if (name.startsWith("@_xmlns")) continue;
        if (name === "#text") put(path, String(value));
        else if (name.startsWith("@_")) put(`${path}@${name.slice(2)}`, String(value));
        else walk(value, path ? `${path}/${name}` : name, depth + 1);
      }
    }
  };
  const metadata = (doc as Node).metadata;
  if (metadata && typeof metadata === "object") {
    for (const [name, value] of Object.entries(metadata as Node)) {
      if (!name.startsWith("@_") && !/(^|:)libosinfo$/.test(name)) walk(value, name, 1);
    }
  }
  return out;
}

export function parseDomainXml(xml: string): DomainXml {
  const doc = parseXml(xml, "the domain XML");
  const d = child(doc, "domain");
  if (!d) throw new LibvirtProtocolError("malformed domain XML: no <domain> element");
  const name = childText(d, "name");
  if (!name) throw new LibvirtProtocolError("malformed domain XML: no <name>");
  const vcpu = child(d, "vcpu");
  const os = child(d, "os");
  const osType = child(os, "type");
  const metadata = child(d, "metadata");
  const libosinfo = attr(child(child(metadata, "libosinfo"), "os"), "id");
  const devices = child(d, "devices");
  const cpu = child(d, "cpu");
  const topology = child(cpu, "topology");

  const disks: DomainDisk[] = list(devices?.disk).map((disk) => {
    const driver = child(disk, "driver");
    const target = child(disk, "target");
    const { source, pool } = diskSource(disk);
    return {
      type: attr(disk, "type"),
      device: attr(disk, "device") ?? "disk",
      target: attr(target, "dev"),
      bus: attr(target, "bus"),
      source,
      pool,
      format: attr(driver, "type") ?? attr(child(disk, "format"), "type"),
      shareable: disk.shareable !== undefined,
      readonly: disk.readonly !== undefined,
      transient: disk.transient !== undefined,
    };
  });

  const nics: DomainNic[] = list(devices?.interface).map((nic) => {
    const src = child(nic, "source");
    return {
      type: attr(nic, "type"),
      mac: attr(child(nic, "mac"), "address")?.toLowerCase() ?? null,
      network: attr(src, "network"),
      bridge: attr(src, "bridge") ?? attr(src, "dev"),
      model: attr(child(nic, "model"), "type"),
    };
  });

  const hostdevs: DomainHostdev[] = list(devices?.hostdev).map((h) => {
    const type = attr(h, "type");
    const src = child(h, "source");
    let address: string | null = null;
    if (type === "pci") address = pciAddress(src);
    else if (type === "usb") {
      const vendor = attr(child(src, "vendor"), "id");
      const product = attr(child(src, "product"), "id");
      const a = child(src, "address");
      address = vendor && product ? `${vendor}:${product}` : a ? `${attr(a, "bus")}.${attr(a, "device")}` : null;
    } else if (type === "mdev") address = attr(child(src, "address"), "uuid");
    return { type, mode: attr(h, "mode"), address };
  });

  const usbControllers = list(devices?.controller).filter((c) => attr(c, "type") === "usb");
  const tpm = child(devices, "tpm");
  const vcpuMax = int(text(vcpu));
  const vcpuCurrent = int(attr(vcpu, "current"));
  return {
    type: attr(d, "type"),
    name,
    uuid: childText(d, "uuid"),
    title: childText(d, "title"),
    description: childText(d, "description"),
    vcpus: vcpuMax,
    vcpusCurrent: vcpuCurrent,
    vcpuPlacementPinned: attr(vcpu, "cpuset") !== null || list(child(d, "cputune")?.vcpupin).length > 0,
    coresPerSocket: int(attr(topology, "cores")),
    memoryMiB: memoryMiB(child(d, "memory")),
    currentMemoryMiB: memoryMiB(child(d, "currentMemory")),
    maxMemoryMiB: memoryMiB(child(d, "maxMemory")),
    osType: text(osType),
    osArch: attr(osType, "arch"),
    osMachine: attr(osType, "machine"),
    libosinfoId: libosinfo,
    metadata: metadata ? parseMetadata(xml) : {},
    disks,
    nics,
    hostdevs,
    usbController: usbControllers.some((c) => attr(c, "model") !== "none"),
    usbRedirection: list(devices?.redirdev).length > 0,
    tpm: tpm !== undefined,
    tpmModel: attr(tpm, "model"),
  };
}

// ---------------------------------------------------------------- capabilities, sysinfo

export interface HostCapabilities {
  uuid: string | null;
  arch: string | null;
  cpuModel: string | null;
  cpuVendor: string | null;
  numaCells: number | null;
  /** The smallest page size the host offers (<cpu><pages>), KiB; absent when not said. */
  pageKiB?: number | null;
}

export function parseCapabilities(xml: string): HostCapabilities {
  const host = child(child(parseXml(xml, "the capabilities XML"), "capabilities"), "host");
  const cpu = child(host, "cpu");
  const cells = child(child(host, "topology"), "cells");
  const pageKiB = smallestPageKiB(list(cpu?.pages));
  return {
    uuid: childText(host, "uuid"),
    arch: childText(cpu, "arch"),
    cpuModel: childText(cpu, "model"),
    cpuVendor: childText(cpu, "vendor"),
    numaCells: int(attr(cells, "num")) ?? (cells ? list(cells.cell).length : null),
    ...(pageKiB !== null ? { pageKiB } : {}),
  };
}

function smallestPageKiB(pages: Node[]): number | null {
  const sizes = pages
    .map((page) => {
      const size = int(attr(page, "size"));
      const factor = UNIT_BYTES[(attr(page, "unit") ?? "KiB").toLowerCase()];
      return size !== null && size > 0 && factor !== undefined ? (size * factor) / 1024 : null;
    })
    .filter((v): v is number => v !== null);
  return sizes.length ? Math.min(...sizes) : null;
}

export interface HostSysinfo {
  vendor: string | null;
  product: string | null;
  uuid: string | null;
  processor: string | null;
}

export function parseSysinfo(xml: string): HostSysinfo {
  const info = child(parseXml(xml, "the sysinfo XML"), "sysinfo");
  const entries = (n: Node | undefined) => new Map(list(n?.entry).map((e) => [attr(e, "name"), text(e)]));
  const system = entries(child(info, "system"));
  const processor = entries(child(info, "processor"));
  return {
    vendor: system.get("manufacturer") ?? null,
    product: system.get("product") ?? null,
    uuid: system.get("uuid") ?? null,
    processor: processor.get("version") ?? null,
  };
}

// ---------------------------------------------------------------- snapshot

export interface LibvirtDomain {
  info: DomainInfo | null;
  xml: DomainXml;
  /** CONNECT_GET_ALL_DOMAIN_STATS params for this domain, when the driver has them. */
  stats: Map<string, TypedParamValue> | null;
  /** The domain in the measured-use reads (`second` is the latest; `first` null with one read). */
  usage?: { first: DomainRead | null; second: DomainRead | null };
}

/** The reads measured use is computed from (collector.ts: collectInventory). */
export interface LibvirtUsage {
  /** Measured time between the two reads; 0 with one read (no rates). */
  intervalMs: number;
  /** When the second read (or the only one) was answered. */
  at: Date;
  /** NODE_GET_CPU_STATS, all CPUs (ns); null where the driver lacks it. */
  nodeCpu: { first: Map<string, bigint> | null; second: Map<string, bigint> | null };
  /** NODE_GET_MEMORY_STATS, all cells (KiB). */
  nodeMemory: Map<string, bigint> | null;
  /** NODE_GET_MEMORY_PARAMETERS (KSM's shm_* counters). */
  memoryParameters: Map<string, TypedParamValue> | null;
}

export interface LibvirtInventory {
  uri: string;
  hostname: string;
  /** CONNECT_GET_TYPE: "QEMU", "Test", "LXC", ... */
  hypervisorType: string;
  hypervisorVersion: number | null;
  libVersion: number | null;
  node: NodeInfo;
  capabilities: HostCapabilities | null;
  sysinfo: HostSysinfo | null;
  domains: LibvirtDomain[];
  warnings: string[];
  /** Absent when measured use was not read. */
  usage?: LibvirtUsage;
}

/** libvirt's version numbers: major * 1,000,000 + minor * 1,000 + release. */
export function formatVersion(v: number | null): string | null {
  if (v === null || v <= 0) return null;
  return `${Math.floor(v / 1e6)}.${Math.floor(v / 1e3) % 1000}.${v % 1000}`;
}

/** virDomainState → snapshot power state (paused stays "paused"; pmsuspended is "suspended"). */
export function powerState(state: number | null): (typeof POWER_STATES)[number] {
  switch (state) {
    case 1: // running
    case 2: // blocked
    case 4: // being shut down
      return "poweredOn";
    case 3: // paused
      return "paused";
    case 7: // pmsuspended
      return "suspended";
    default: // nostate, shutoff, crashed
      return "poweredOff";
  }
}

const STATE_NAMES = ["no state", "running", "blocked", "paused", "shutting down", "shut off", "crashed", "pmsuspended"];
export const stateName = (state: number | null) => (state === null ? null : (STATE_NAMES[state] ?? `state ${state}`));

const toNumber = (v: TypedParamValue | undefined): number | null =>
  typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : null;

/**
 * block.N.{name,capacity,allocation,physical} from the domain stats, by target dev. "Used" is the
 * space the image takes on its storage (physical), else the highest written offset (allocation).
 */
export function blockStats(stats: Map<string, TypedParamValue> | null): Map<string, { capacity: number | null; allocation: number | null }> {
  const out = new Map<string, { capacity: number | null; allocation: number | null }>();
  if (!stats) return out;
  const count = toNumber(stats.get("block.count")) ?? 0;
  for (let i = 0; i < count; i++) {
    const name = stats.get(`block.${i}.name`);
    if (typeof name !== "string") continue;
    out.set(name, {
      capacity: toNumber(stats.get(`block.${i}.capacity`)),
      allocation: toNumber(stats.get(`block.${i}.physical`)) ?? toNumber(stats.get(`block.${i}.allocation`)),
    });
  }
  return out;
}

const MIB = 1024 * 1024;

export function platformOf(hypervisorType: string): "kvm" | "other" {
  return /^(qemu|kvm)$/i.test(hypervisorType) ? "kvm" : "other";
}

export function productName(hypervisorType: string): string {
  if (/^(qemu|kvm)$/i.test(hypervisorType)) return "QEMU/KVM";
  return hypervisorType;
}

export function toSnapshot(inv: LibvirtInventory, collectedAt: Date = new Date()): SnapshotInput {
  const node = inv.node;
  const hostId = inv.capabilities?.uuid ?? inv.sysinfo?.uuid ?? inv.hostname;
  const sockets = node.nodes * node.sockets;
  const host = {
    externalId: hostId,
    name: inv.hostname,
    role: "hypervisor" as const,
    platform: platformOf(inv.hypervisorType),
    vendor: inv.sysinfo?.vendor ?? null,
    model: inv.sysinfo?.product ?? null,
    cpuModel: inv.capabilities?.cpuModel ?? inv.sysinfo?.processor ?? (node.model || null),
    cpuSockets: sockets > 0 ? sockets : null,
    cpuCores: Math.max(0, sockets * node.cores),
    cpuThreads: sockets * node.cores * node.threads > 0 ? sockets * node.cores * node.threads : null,
    cpuMhz: node.mhz > 0 ? node.mhz : null,
    memoryMiB: node.memoryKiB / 1024,
    productName: productName(inv.hypervisorType),
    productVersion: formatVersion(inv.hypervisorVersion),
    apiVersion: formatVersion(inv.libVersion),
    hardwareUuid: inv.sysinfo?.uuid ?? inv.capabilities?.uuid ?? null,
    hostname: inv.hostname,
    connectionState: "connected",
    ...(inv.usage ? ksmSharing(inv.usage.memoryParameters, inv.capabilities?.pageKiB ?? null) : {}),
  };
  const usage = inv.usage;
  const interval = usage ? intervalSeconds(usage.intervalMs) : 1;
  const utilisation: UtilisationSeriesInput[] = [];
  if (usage) {
    const hostMetrics: Metrics = {};
    const cpu = nodeCpuPercent(usage.nodeCpu.first, usage.nodeCpu.second);
    if (cpu !== null) hostMetrics["cpu.usage.pct"] = cpu;
    const used = nodeMemoryUsedMiB(usage.nodeMemory);
    if (used !== null) hostMetrics["mem.consumed.mib"] = used;
    utilisation.push(...toSeries("host", hostId, hostMetrics, interval, usage.at));
  }

  const seen = new Set<string>();
  const warnings = [...inv.warnings];
  const virtualMachines = inv.domains.flatMap((domain) => {
    const { info, xml, stats } = domain;
    const externalId = xml.uuid ?? xml.name;
    if (seen.has(externalId)) {
      warnings.push(`domain ${xml.name}: duplicate uuid ${externalId}, skipped`);
      return [];
    }
    seen.add(externalId);
    const blocks = blockStats(stats);
    const disks = xml.disks
      .filter((disk) => disk.device === "disk" || disk.device === "lun")
      .map((disk, index) => {
        const key = disk.target ?? disk.source ?? `disk${index}`;
        const block = disk.target ? blocks.get(disk.target) : undefined;
        return {
          key,
          label: [disk.type, disk.bus].filter(Boolean).join(" ") || null,
          // Unknown without block stats (a shut-off domain, the test driver): null, never 0.
          capacityMiB: block?.capacity != null ? block.capacity / MIB : null,
          thin: disk.format === "qcow2" ? true : null,
          mode: disk.transient ? ("nonpersistent" as const) : ("persistent" as const),
          rdm: disk.device === "lun" ? ("physical" as const) : ("none" as const),
          sharing: disk.shareable ? ("multi-writer" as const) : ("none" as const),
          datastore: disk.pool,
          path: disk.source,
          format: disk.format,
          // libvirt has no per-disk change tracking flag to read.
          cbtEnabled: null,
          bus: disk.bus,
        };
      });
    const capacities = xml.disks
      .map((disk) => (disk.target ? blocks.get(disk.target) : undefined))
      .filter((b) => b?.capacity != null);
    const allocations = capacities.filter((b) => b?.allocation != null);
    const os = guestOsFromLibosinfo(xml.libosinfoId);
    const memory = xml.memoryMiB ?? (info ? info.maxMemKiB / 1024 : 0);
    const current = xml.currentMemoryMiB;
    const vcpus = xml.vcpusCurrent ?? xml.vcpus ?? info?.vcpus ?? 0;
    if (usage && domain.usage) {
      const { metrics, notes } = domainMetrics(domain.usage.first, domain.usage.second, usage.intervalMs, vcpus || null);
      for (const note of notes) warnings.push(`domain ${xml.name}: measured use: ${note}`);
      utilisation.push(...toSeries("virtualMachine", externalId, metrics, interval, usage.at));
    }
    return [
      {
        externalId,
        name: xml.name,
        hostExternalId: hostId,
        uuid: xml.uuid,
        powerState: powerState(info?.state ?? null),
        vcpus,
        coresPerSocket: xml.coresPerSocket,
        memoryMiB: memory,
        memoryBalloonedMiB: current !== null && current <= memory ? memory - current : null,
        provisionedMiB: capacities.length ? capacities.reduce((s, b) => s + b!.capacity!, 0) / MIB : null,
        usedMiB: allocations.length ? allocations.reduce((s, b) => s + b!.allocation!, 0) / MIB : null,
        guestOsConfigured: os.name,
        guestOsId: os.id,
        guestOsFamily: os.family,
        macAddresses: xml.nics.map((n) => n.mac).filter((m): m is string => m !== null),
        nicCount: xml.nics.length,
        hardwareVersion: xml.osMachine,
        // <title> is the domain's short name for people, <description> its notes (the annotation).
        title: xml.title,
        annotation: xml.description,
        attributes: xml.metadata,
        passthrough: xml.hostdevs.length > 0,
        sriov: xml.nics.some((n) => n.type === "hostdev"),
        usbController: xml.usbController || xml.usbRedirection || xml.hostdevs.some((h) => h.type === "usb"),
        tpm: xml.tpm,
        cpuHotAdd: xml.vcpus !== null && xml.vcpusCurrent !== null && xml.vcpusCurrent < xml.vcpus,
        memoryHotAdd: xml.maxMemoryMiB !== null,
        cpuAffinity: xml.vcpuPlacementPinned,
        disks,
      },
    ];
  });

  return {
    collectedAt: collectedAt.toISOString(),
    hosts: [host],
    virtualMachines,
    utilisation,
    warnings,
  };
}

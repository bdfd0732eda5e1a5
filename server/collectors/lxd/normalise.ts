/**
 * LXD's documents as a snapshot (pure; unit-tested on answers recorded from a real LXD 5.0.2,
 * tests/fixtures/lxd/). What each field means and where LXD reports it: docs/domain.md#lxd.
 *
 * - Each LXD server (each cluster member when clustered) is a host: role "container-engine",
 *   platform "lxd". Its containers are system containers (systemContainer), its VMs are virtual
 *   machines on it.
 * - Instances are read with their expanded config and devices (profiles applied), so a setting
 *   that comes from a profile counts as the instance's.
 * - An instance's id is "<project>/<name>" (names are unique per project).
 * - Config `user.*` keys are the instance's labels (the Docker-label analogue: "user.tenant" is
 *   the label "tenant"), except cloud-init's payloads (user.user-data, user.vendor-data,
 *   user.meta-data, user.network-config), which are never read into the snapshot: they may carry
 *   secrets.
 */
import type { SnapshotInput } from "../../inventory/snapshot";
import type {
  ClusterMemberDocument,
  ImageDocument,
  InstanceDocument,
  ProjectDocument,
  ResourcesDocument,
  ServerDocument,
  StoragePoolDocument,
} from "./api";

type HostInput = NonNullable<SnapshotInput["hosts"]>[number];
type ContainerInput = NonNullable<SnapshotInput["containers"]>[number];
type VmInput = NonNullable<SnapshotInput["virtualMachines"]>[number];
type ImageInput = NonNullable<SnapshotInput["images"]>[number];
type MountInput = NonNullable<ContainerInput["mounts"]>[number];
type PortInput = NonNullable<ContainerInput["ports"]>[number];
type DiskInput = NonNullable<VmInput["disks"]>[number];

const MiB = 1024 * 1024;
/** LXD's default memory of a VM without limits.memory (LXD documentation, instance options). */
export const VM_DEFAULT_MEMORY_BYTES = 1024 * MiB;
/** LXD's default vCPUs of a VM without limits.cpu. */
export const VM_DEFAULT_VCPUS = 1;

/** Cloud-init payloads under user.*: configuration that may hold secrets, never labels. */
const CLOUD_INIT_KEYS = new Set(["user.user-data", "user.vendor-data", "user.meta-data", "user.network-config"]);

/** LXD's booleans: "true", "1", "yes", "on" (shared.IsTrue). */
export const isTrue = (value: string | undefined) => value !== undefined && ["true", "1", "yes", "on"].includes(value.toLowerCase());

const UNITS: Record<string, number> = {
  "": 1,
  B: 1,
  kB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  PB: 1e15,
  EB: 1e18,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  PiB: 1024 ** 5,
  EiB: 1024 ** 6,
};

/**
 * A size as LXD writes it ("256MiB", "1GB", "1073741824", units.ParseByteSizeString), in bytes; a
 * percentage ("50%", limits.memory) is of `totalBytes`. null when absent or not understood.
 */
export function parseByteSize(text: string | undefined, totalBytes: number | null = null): number | null {
  if (text === undefined) return null;
  const value = text.trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(value);
  if (percent) return totalBytes === null ? null : Math.floor((Number(percent[1]) / 100) * totalBytes);
  const m = /^(\d+(?:\.\d+)?)\s*([kMGTPE]i?B|B)?$/.exec(value);
  if (!m) return null;
  const unit = UNITS[m[2] ?? ""];
  if (unit === undefined) return null;
  const bytes = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/**
 * limits.cpu: a number of CPUs ("2") or a set of CPUs to pin to ("0-1", "1,3", "0-3,8").
 * `cpus` is how many either way; `set` the pinned set, when pinned.
 */
export function parseCpuLimit(text: string | undefined): { cpus: number; set: string | null } | null {
  if (text === undefined || text.trim() === "") return null;
  const value = text.trim();
  if (/^\d+$/.test(value)) return { cpus: Number(value), set: null };
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(value)) return null;
  const cpus = new Set<number>();
  for (const part of value.split(",")) {
    const [from, to] = part.split("-").map(Number) as [number, number | undefined];
    for (let cpu = from; cpu <= (to ?? from) && cpus.size <= 4096; cpu++) cpus.add(cpu);
  }
  return { cpus: cpus.size, set: value };
}

/** limits.cpu.allowance "25ms/100ms" as a CFS quota and period in µs (Docker's units); null for a share ("50%"). */
export function parseCpuAllowance(text: string | undefined): { quota: number; period: number } | null {
  const m = /^(\d+)ms\/(\d+)ms$/.exec(text?.trim() ?? "");
  return m ? { quota: Number(m[1]) * 1000, period: Number(m[2]) * 1000 } : null;
}

/** LXD's times; its zero times ("0001-01-01T00:00:00Z", the Unix epoch for "never used") are null. */
export function lxdTime(text: string | null | undefined): string | null {
  if (!text) return null;
  const time = Date.parse(text);
  if (Number.isNaN(time) || time <= 0) return null;
  return new Date(time).toISOString();
}

const nonEmpty = (text: string | null | undefined) => (text && text.trim() !== "" ? text : null);

/** The labels of an instance: its user.* keys without the prefix, cloud-init's payloads left out. */
export function userLabels(config: Record<string, string>): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (!key.startsWith("user.") || CLOUD_INIT_KEYS.has(key)) continue;
    labels[key.slice("user.".length)] = value;
  }
  return labels;
}

/** The root disk: the disk device mounted on "/". */
const isRootDisk = (device: Record<string, string>) => device.type === "disk" && device.path === "/";

/** Disk devices other than the root disk, as mounts: host paths are binds, pool volumes are volumes. */
export function diskMounts(devices: Record<string, Record<string, string>>): MountInput[] {
  const mounts: MountInput[] = [];
  for (const name of Object.keys(devices).sort()) {
    const device = devices[name]!;
    if (device.type !== "disk" || isRootDisk(device)) continue;
    const source = device.source ?? "";
    const destination = device.path ?? "";
    const common = { destination, readOnly: isTrue(device.readonly), propagation: nonEmpty(device.propagation) };
    if (device.pool) mounts.push({ type: "volume", source: `${device.pool}/${source}`, ...common });
    else if (source.startsWith("/")) mounts.push({ type: "bind", source, ...common });
    else mounts.push({ type: "other", source: nonEmpty(source), ...common });
  }
  return mounts;
}

/** Devices passed in from the host, as "<type>:<what>" (unix-char/block, gpu, usb, pci, infiniband, tpm). */
export function hostDevices(devices: Record<string, Record<string, string>>): string[] {
  const out: string[] = [];
  for (const name of Object.keys(devices).sort()) {
    const d = devices[name]!;
    switch (d.type) {
      case "unix-char":
      case "unix-block":
        out.push(`${d.type}:${d.source ?? d.path ?? name}`);
        break;
      case "unix-hotplug":
        out.push(`unix-hotplug:${d.vendorid ?? "*"}:${d.productid ?? "*"}`);
        break;
      case "gpu": {
        const which = d.id ?? d.pci ?? (d.vendorid || d.productid ? `${d.vendorid ?? "*"}:${d.productid ?? "*"}` : "all");
        out.push(`gpu:${d.gputype ?? "physical"}:${which}`);
        break;
      }
      case "usb":
        out.push(`usb:${d.vendorid ?? "*"}:${d.productid ?? "*"}`);
        break;
      case "pci":
        out.push(`pci:${d.address ?? name}`);
        break;
      case "infiniband":
        out.push(`infiniband:${d.parent ?? name}`);
        break;
      case "tpm":
        out.push(`tpm:${d.path ?? name}`);
        break;
      default:
        break;
    }
  }
  return out;
}

/** The NICs: "none" without one, else "<nictype or network>:<parent>" for each, joined by ",". */
export function networkMode(devices: Record<string, Record<string, string>>): string {
  const nics = Object.keys(devices)
    .sort()
    .map((name) => devices[name]!)
    .filter((d) => d.type === "nic");
  if (nics.length === 0) return "none";
  return nics
    .map((d) => (d.network ? `network:${d.network}` : `${d.nictype ?? "nic"}${d.parent ? `:${d.parent}` : ""}`))
    .join(",");
}

/** "80", "80-81", "80,443" → the ports (at most 1,024). */
function portList(spec: string): number[] | null {
  const ports: number[] = [];
  for (const part of spec.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return null;
    const from = Number(m[1]);
    const to = m[2] ? Number(m[2]) : from;
    if (from > 65535 || to > 65535 || to < from) return null;
    for (let p = from; p <= to && ports.length < 1024; p++) ports.push(p);
  }
  return ports;
}

/** "tcp:0.0.0.0:80", "udp:[::]:53", "tcp:127.0.0.1:80-81" → protocol, address, ports; null for unix sockets. */
function proxyAddress(text: string | undefined) {
  const m = /^(tcp|udp):(\[[^\]]*\]|[^:]*):(.+)$/.exec(text ?? "");
  if (!m) return null;
  const ports = portList(m[3]!);
  if (!ports) return null;
  return { protocol: m[1] as "tcp" | "udp", address: m[2]!.replace(/^\[|\]$/g, ""), ports };
}

/** Proxy devices as published ports: the host side is `listen`, the container side `connect`. */
export function proxyPorts(devices: Record<string, Record<string, string>>): PortInput[] {
  const ports: PortInput[] = [];
  for (const name of Object.keys(devices).sort()) {
    const d = devices[name]!;
    if (d.type !== "proxy") continue;
    const listen = proxyAddress(d.listen);
    const connect = proxyAddress(d.connect);
    if (!listen || !connect) continue;
    listen.ports.forEach((hostPort, i) => {
      const containerPort = connect.ports.length === listen.ports.length ? connect.ports[i]! : connect.ports[0]!;
      ports.push({ containerPort, protocol: connect.protocol, hostIp: listen.address || null, hostPort });
    });
  }
  return ports;
}

/** A raw.lxc setting's value (the last one wins, as in LXC), or null. */
function rawLxcValue(raw: string | undefined, key: string): string | null {
  let found: string | null = null;
  for (const line of (raw ?? "").split("\n")) {
    const m = /^\s*([^=#\s]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m && m[1] === key) found = m[2]!;
  }
  return found;
}

const CONTAINER_STATES: Record<string, ContainerInput["state"]> = {
  running: "running",
  stopped: "exited",
  frozen: "paused",
  error: "dead",
  starting: "running",
  stopping: "running",
  freezing: "running",
  thawed: "running",
};
const VM_POWER: Record<string, VmInput["powerState"]> = {
  running: "poweredOn",
  starting: "poweredOn",
  stopping: "poweredOn",
  freezing: "poweredOn",
  thawed: "poweredOn",
  frozen: "paused",
  stopped: "poweredOff",
  error: "poweredOff",
};

/** The image an instance was made from, for people: its description, else os and release, else the fingerprint. */
function imageName(config: Record<string, string>): string {
  const description = nonEmpty(config["image.description"]);
  if (description) return description;
  const osRelease = [config["image.os"], config["image.release"]].filter((p) => p && p.trim() !== "").join(" ");
  if (osRelease) return osRelease;
  return config["volatile.base_image"]?.slice(0, 12) ?? "";
}

export const instanceId = (i: InstanceDocument) => `${i.project ?? "default"}/${i.name}`;

function snapshotsOf(i: InstanceDocument) {
  const times = i.snapshots.map((s) => lxdTime(s.created_at)).filter((t): t is string => t !== null).sort();
  return { count: i.snapshots.length, oldest: times[0] ?? null };
}

/** The pool of the root disk (the disk device on "/"), or null. */
const rootPool = (devices: Record<string, Record<string, string>>) =>
  Object.values(devices).find((d) => isRootDisk(d))?.pool ?? null;

/**
 * One system container. `imageIds`: image fingerprint → the image's externalId on this host;
 * `poolDrivers`: storage pool name → its driver.
 */
export function normaliseContainer(
  i: InstanceDocument,
  hostExternalId: string,
  imageIds: ReadonlyMap<string, string>,
  hostMemoryBytes: number | null,
  poolDrivers: ReadonlyMap<string, string> = new Map(),
): ContainerInput {
  const c = i.expanded_config;
  const d = i.expanded_devices;
  const privileged = isTrue(c["security.privileged"]);
  const idmapIsolated = isTrue(c["security.idmap.isolated"]);
  const cpu = parseCpuLimit(c["limits.cpu"]);
  const allowance = parseCpuAllowance(c["limits.cpu.allowance"]);
  const processes = c["limits.processes"] !== undefined && /^\d+$/.test(c["limits.processes"]) ? Number(c["limits.processes"]) : null;
  const state = CONTAINER_STATES[i.status.toLowerCase()] ?? "unknown";
  const baseImage = c["volatile.base_image"]?.toLowerCase();
  return {
    externalId: instanceId(i),
    name: i.name,
    hostExternalId,
    image: imageName(c),
    imageExternalId: baseImage ? (imageIds.get(baseImage) ?? null) : null,
    state,
    status: i.status,
    createdAt: lxdTime(i.created_at),
    startedAt: state === "running" ? lxdTime(i.last_used_at) : null,
    runtime: "lxc",
    command: null,
    privileged,
    // LXD does not say which user the init runs as: root inside, mapped unless privileged.
    user: null,
    networkMode: networkMode(d),
    usernsMode: privileged ? "host" : idmapIsolated ? "isolated" : "shared",
    securityOptions: Object.keys(c)
      .filter((k) => k.startsWith("security."))
      .sort()
      .map((k) => `${k}=${c[k]}`),
    seccompProfile: rawLxcValue(c["raw.lxc"], "lxc.seccomp.profile"),
    apparmorProfile: rawLxcValue(c["raw.lxc"], "lxc.apparmor.profile"),
    memoryLimitBytes: parseByteSize(c["limits.memory"], hostMemoryBytes) ?? 0,
    nanoCpus: cpu && cpu.set === null ? cpu.cpus * 1e9 : 0,
    cpusetCpus: cpu?.set ?? null,
    cpuQuota: allowance?.quota ?? 0,
    cpuPeriod: allowance?.period ?? 0,
    pidsLimit: processes,
    restartPolicy: isTrue(c["boot.autostart"]) ? "autostart" : null,
    mounts: diskMounts(d),
    ports: proxyPorts(d),
    devices: hostDevices(d),
    labels: userLabels(c),
    systemContainer: true,
    nesting: isTrue(c["security.nesting"]),
    idmapIsolated,
    rawLxc: nonEmpty(c["raw.lxc"]),
    rawIdmap: nonEmpty(c["raw.idmap"]),
    project: i.project ?? "default",
    profiles: i.profiles,
    snapshotCount: i.snapshots.length,
    storageDriver: poolDrivers.get(rootPool(d) ?? "") ?? null,
  };
}

function guestOsFamily(os: string | undefined): VmInput["guestOsFamily"] {
  if (!os) return "unknown";
  if (/windows/i.test(os)) return "windows";
  if (/bsd/i.test(os)) return "other";
  return "linux";
}

/** One LXD virtual machine on its host. */
export function normaliseVm(i: InstanceDocument, hostExternalId: string, hostMemoryBytes: number | null): VmInput {
  const c = i.expanded_config;
  const d = i.expanded_devices;
  const cpu = parseCpuLimit(c["limits.cpu"]);
  const snapshots = snapshotsOf(i);
  const disks: DiskInput[] = Object.keys(d)
    .sort()
    .filter((name) => d[name]!.type === "disk")
    .map((name) => {
      const disk = d[name]!;
      const size = parseByteSize(disk.size);
      return {
        key: name,
        label: disk.path ?? name,
        capacityMiB: size === null ? null : size / MiB,
        datastore: nonEmpty(disk.pool),
        path: nonEmpty(disk.source),
        bus: nonEmpty(disk["io.bus"]),
      };
    });
  const macs = Object.keys(c)
    .filter((k) => /^volatile\.[^.]+\.hwaddr$/.test(k))
    .sort()
    .map((k) => c[k]!.toLowerCase());
  const nics = Object.values(d).filter((dev) => dev.type === "nic");
  const osName = [c["image.os"], c["image.release"]].filter((p) => p && p.trim() !== "").join(" ");
  return {
    externalId: instanceId(i),
    name: i.name,
    hostExternalId,
    uuid: nonEmpty(c["volatile.uuid"]),
    powerState: VM_POWER[i.status.toLowerCase()] ?? "poweredOff",
    vcpus: cpu?.cpus ?? VM_DEFAULT_VCPUS,
    memoryMiB: (parseByteSize(c["limits.memory"], hostMemoryBytes) ?? VM_DEFAULT_MEMORY_BYTES) / MiB,
    guestOsConfigured: osName || null,
    guestOsFamily: guestOsFamily(c["image.os"]),
    hostname: i.name,
    macAddresses: macs,
    nicCount: nics.length,
    snapshotCount: snapshots.count,
    snapshotOldestAt: snapshots.oldest,
    annotation: nonEmpty(i.description),
    disks,
    tags: [`project/${i.project ?? "default"}`, ...i.profiles.map((p) => `profile/${p}`)],
    attributes: userLabels(c),
    tpm: Object.values(d).some((dev) => dev.type === "tpm"),
    usbController: Object.values(d).some((dev) => dev.type === "usb"),
    passthrough: Object.values(d).some((dev) => dev.type === "pci" || (dev.type === "gpu" && (dev.gputype ?? "physical") === "physical")),
    sriov: nics.some((dev) => dev.nictype === "sriov"),
  };
}

/** One image on one host. */
export function normaliseImage(image: ImageDocument, hostExternalId: string, externalId: string): ImageInput {
  const fingerprint = image.fingerprint.toLowerCase();
  return {
    externalId,
    hostExternalId,
    repoTags: image.aliases.map((a) => a.name),
    repoDigests: [`sha256:${fingerprint}`],
    sizeBytes: image.size,
    createdAt: lxdTime(image.created_at) ?? lxdTime(image.uploaded_at),
    os: nonEmpty(image.properties.os),
    architecture: nonEmpty(image.architecture),
  };
}

/** One LXD server (or cluster member) as a host. */
export function normaliseHost(
  server: ServerDocument,
  resources: ResourcesDocument,
  options: { name: string; cluster: string | null; member: ClusterMemberDocument | null },
): HostInput {
  const env = server.environment;
  const sockets = resources.cpu.sockets ?? [];
  const cores = sockets.reduce((n, s) => n + (s.cores?.length ?? 0), 0);
  const threads = sockets.reduce((n, s) => n + (s.cores ?? []).reduce((t, core) => t + (core.threads?.length ?? 0), 0), 0);
  const macs = (resources.network?.cards ?? [])
    .flatMap((card) => card.ports ?? [])
    .map((p) => p.address?.toLowerCase() ?? "")
    .filter((mac) => mac !== "");
  // The member's own address when clustered; the server's https addresses otherwise.
  const addresses = options.member?.url ? [options.member.url] : (env?.addresses ?? []);
  const ips = addresses
    .map((a) => a.replace(/^https:\/\//, "").replace(/:\d+$/, "").replace(/^\[|\]$/g, ""))
    .filter((a) => a !== "");
  const drivers = (env?.driver ?? "lxc").split("|").map((s) => s.trim()).filter((s) => s !== "");
  const cgroup2 = env?.lxc_features["cgroup2"];
  // Removable disks (USB sticks, card readers) are no capacity for workloads.
  const disks = (resources.storage?.disks ?? []).filter((d) => !d.removable && typeof d.size === "number");
  const os = [env?.os_name, env?.os_version].filter((p) => p && p.trim() !== "").join(" ");
  return {
    externalId: options.name,
    name: options.name,
    role: "container-engine",
    platform: "lxd",
    vendor: nonEmpty(resources.system?.vendor),
    model: nonEmpty(resources.system?.product),
    cpuModel: nonEmpty(sockets[0]?.name),
    cpuSockets: sockets.length > 0 ? sockets.length : null,
    cpuCores: cores > 0 ? cores : (resources.cpu.total ?? 0),
    cpuThreads: threads > 0 ? threads : (resources.cpu.total ?? null),
    cpuMhz: sockets[0]?.frequency ? Math.round(sockets[0].frequency) : null,
    memoryMiB: resources.memory.total / MiB,
    osName: os || null,
    kernelVersion: nonEmpty(env?.kernel_version),
    productName: env?.server?.toLowerCase() === "incus" ? "Incus" : "LXD",
    productVersion: nonEmpty(env?.server_version),
    apiVersion: server.api_version,
    cluster: options.cluster,
    connectionState: options.member ? nonEmpty(options.member.status) : null,
    hardwareUuid: nonEmpty(resources.system?.uuid),
    hostname: options.name,
    ipAddresses: [...new Set(ips)],
    macAddresses: [...new Set(macs)],
    runtimes: drivers,
    defaultRuntime: "lxc",
    cgroupVersion: cgroup2 === undefined ? null : isTrue(cgroup2) ? "2" : "1",
    localDiskMiB: disks.length > 0 ? disks.reduce((sum, d) => sum + d.size!, 0) / MiB : null,
  };
}

/** Everything one collection read. */
export interface LxdDocuments {
  collectedAt: string;
  server: ServerDocument;
  /** The cluster's name (the endpoint's host) when clustered, else null. */
  cluster: string | null;
  /** One per host: the server itself, or each cluster member, with its resources. */
  hosts: { name: string; member: ClusterMemberDocument | null; resources: ResourcesDocument }[];
  projects: ProjectDocument[];
  instances: InstanceDocument[];
  /** Every image of every project, once per fingerprint. */
  images: ImageDocument[];
  /** The storage pools (their drivers); none when not read. */
  storagePools?: StoragePoolDocument[];
}

export function normaliseLxd(docs: LxdDocuments): SnapshotInput {
  const warnings: string[] = [];
  const hosts = docs.hosts.map((h) => normaliseHost(docs.server, h.resources, { name: h.name, cluster: docs.cluster, member: h.member }));
  const memoryOf = new Map(docs.hosts.map((h) => [h.name, h.resources.memory.total]));
  const first = docs.hosts[0]!.name;
  const clustered = docs.cluster !== null;
  // Which host an instance is on: its cluster member, or the one server.
  const hostOf = (i: InstanceDocument) => (clustered ? (i.location ?? "") : first);

  // Images: per host that uses them (a cluster member holds the images of its instances), and
  // images no instance uses on the first host.
  const byFingerprint = new Map(docs.images.map((img) => [img.fingerprint.toLowerCase(), img]));
  const imageKey = (host: string, fp: string) => (clustered ? `${host}:${fp}` : fp);
  const images = new Map<string, ImageInput>();
  const used = new Set<string>();
  const place = (host: string, fp: string) => {
    const id = imageKey(host, fp);
    if (!images.has(id)) images.set(id, normaliseImage(byFingerprint.get(fp)!, host, id));
    used.add(fp);
    return id;
  };

  const known = new Set(docs.hosts.map((h) => h.name));
  const poolDrivers = new Map((docs.storagePools ?? []).map((p) => [p.name, p.driver]));
  const containers: ContainerInput[] = [];
  const virtualMachines: VmInput[] = [];
  for (const i of docs.instances) {
    const host = hostOf(i);
    if (!known.has(host)) {
      warnings.push(`instance ${instanceId(i)} skipped: it is on "${host}", which is not a member of this cluster`);
      continue;
    }
    if (i.type === "virtual-machine") {
      virtualMachines.push(normaliseVm(i, host, memoryOf.get(host) ?? null));
    } else if (i.type === "container") {
      const fp = i.expanded_config["volatile.base_image"]?.toLowerCase();
      const ids = new Map<string, string>();
      if (fp && byFingerprint.has(fp)) ids.set(fp, place(host, fp));
      containers.push(normaliseContainer(i, host, ids, memoryOf.get(host) ?? null, poolDrivers));
    } else {
      warnings.push(`instance ${instanceId(i)} skipped: unknown instance type "${i.type}"`);
    }
  }
  for (const fp of byFingerprint.keys()) if (!used.has(fp)) place(first, fp);

  return {
    collectedAt: docs.collectedAt,
    hosts,
    virtualMachines,
    containers,
    images: [...images.values()],
    warnings,
  };
}

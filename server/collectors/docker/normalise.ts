/**
 * Pure functions from Docker Engine API documents (see api.ts) to snapshot objects. No I/O: the
 * unit tests feed them genuine `docker inspect` / `/info` documents (tests/fixtures/docker).
 *
 * Conventions (docs/domain.md#isolation-posture; server/inventory/snapshot.ts):
 * - `user` is null when Config.User is empty; namespace modes are null when empty (the engine's
 *   private default), else verbatim ("host", "container:<id>", "private", a network name).
 * - seccompProfile: "unconfined" (SecurityOpt seccomp=unconfined, or a privileged container,
 *   which Docker and Podman run without seccomp), "default" (no seccomp option, or "builtin"),
 *   "custom" for an inline JSON profile (Docker sends the profile's content, not its file name),
 *   else the profile name given.
 * - noNewPrivileges from SecurityOpt "no-new-privileges", "no-new-privileges:true" or "=true".
 * - memoryLimitBytes 0 = no limit; pidsLimit kept as the API says (null, 0 and -1 = unlimited).
 * - mounts sorted by destination (Docker lists them in Go map order, which changes between
 *   inspects), ports by container port: a container that did not change stays unchanged.
 */
import type { z } from "zod";
import {
  CONTAINER_STATES,
  MOUNT_TYPES,
  PORT_PROTOCOLS,
  type ContainerSnapshot,
  type containerSnapshot,
  type hostSnapshot,
  type imageSnapshot,
  type LayerSnapshot,
} from "../../inventory/snapshot";
import type {
  ContainerDocument,
  ContainerListEntry,
  ImageDocument,
  LibpodContainerDocument,
  ImageHistoryDocument,
  InfoDocument,
  LibpodImageDocument,
  VersionDocument,
} from "./api";

export type HostInput = z.input<typeof hostSnapshot>;
export type ContainerInput = z.input<typeof containerSnapshot>;
export type ImageInput = z.input<typeof imageSnapshot>;

const MIB = 1024 * 1024;

/** "" and null both mean "not said". */
function text(value: string | null | undefined): string | null {
  return value === undefined || value === null || value.trim() === "" ? null : value;
}

/** ISO-8601 with milliseconds; null for Go's zero time ("0001-01-01T00:00:00Z") or garbage. */
export function timestamp(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined || value === "") return null;
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  const time = date.getTime();
  if (Number.isNaN(time) || date.getUTCFullYear() < 1971) return null;
  return date.toISOString();
}

/** What the engine said of itself: /_ping's headers, and /version where it was asked. */
export interface EngineFacts {
  podman: boolean;
  apiVersion: string;
  version?: VersionDocument | null;
}

/**
 * From /_ping's headers (as the docker CLI negotiates): the API version, and whether it is Podman
 * (it adds Libpod-Api-Version). /_ping is cheap everywhere, where Podman's /version runs its
 * conmon and runtime binaries to learn their versions (~0.3 s).
 */
export function pingFacts(headers: Record<string, string | string[] | undefined>) {
  const one = (name: string) => {
    const value = headers[name];
    return text(Array.isArray(value) ? value[0] : value);
  };
  return {
    apiVersion: one("api-version"),
    podman: one("libpod-api-version") !== null || /libpod|podman/i.test(one("server") ?? ""),
    server: one("server"),
  };
}

/** "1.41" → [1, 41]; null if it is not a version. */
export function parseApiVersion(value: string): [number, number] | null {
  const match = /^v?(\d+)\.(\d+)$/.exec(value.trim());
  return match ? [Number(match[1]), Number(match[2])] : null;
}

export function compareApiVersions(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

export interface HostIdentity {
  /** Addresses of the engine host known from the endpoint (a tcp endpoint's IP). */
  ipAddresses?: string[];
}

/** The engine host, from /info (and /version for Docker's build). */
export function normaliseHost(info: InfoDocument, engine: EngineFacts, identity: HostIdentity = {}): HostInput {
  const { podman, version } = engine;
  const name = text(info.Name) ?? "unknown";
  const os = text(info.OperatingSystem);
  const osVersion = text(info.OSVersion);
  const osName = os && osVersion && !os.includes(osVersion) ? `${os} ${osVersion}` : os;
  const securityOptions = [...(info.SecurityOptions ?? [])];
  // Podman says rootless in its own field; Docker (and Podman's compatible /info when rootless)
  // lists it as a security option.
  if (info.Rootless === true && !securityOptions.some((o) => /name=rootless/.test(o))) {
    securityOptions.push("name=rootless");
  }
  const rootless = securityOptions.some((o) => o.split(",").includes("name=rootless"));
  const ips = new Set(identity.ipAddresses ?? []);
  const swarmAddress = text(info.Swarm?.NodeAddr);
  if (swarmAddress) ips.add(swarmAddress);
  // Docker's daemon ID (a UUID since 23.0, "ABCD:EFGH:..." before) is kept in its data root and
  // identifies the engine. Podman's compatible /info makes up a new one on every call, so a Podman
  // engine is its host name and storage root (one per user for rootless Podman) instead.
  const root = text(info.DockerRootDir);
  const externalId = podman ? `podman:${name}:${root ?? "default"}` : (text(info.ID) ?? `name:${name}`);
  return {
    externalId,
    name,
    role: "container-engine",
    platform: podman ? "podman" : "docker",
    // The Engine API gives logical CPUs only (NCPU): physical cores are not known.
    cpuCores: Math.max(0, info.NCPU ?? 0),
    cpuThreads: info.NCPU ?? null,
    memoryMiB: Math.max(0, info.MemTotal ?? 0) / MIB,
    osName,
    kernelVersion: text(info.KernelVersion) ?? text(version?.KernelVersion),
    productName: podman ? "Podman" : "Docker Engine",
    productVersion: text(info.ServerVersion) ?? text(version?.Version),
    productBuild: text(version?.GitCommit),
    apiVersion: text(engine.apiVersion),
    hardwareUuid: null,
    hostname: text(info.Name),
    ipAddresses: [...ips],
    macAddresses: [],
    runtimes: Object.keys(info.Runtimes ?? {}).sort(),
    defaultRuntime: text(info.DefaultRuntime),
    securityOptions,
    cgroupDriver: text(info.CgroupDriver),
    cgroupVersion: text(info.CgroupVersion),
    rootless,
  };
}

/** A SecurityOpt entry: "key=value", "key:value" (old syntax) or a bare flag. */
function splitSecurityOption(option: string): [string, string | null] {
  const match = /^([a-z-]+)[=:](.*)$/s.exec(option);
  return match ? [match[1]!, match[2]!] : [option, null];
}

export interface SecurityProfile {
  seccompProfile: string;
  apparmorProfile: string | null;
  noNewPrivileges: boolean;
}

/** What HostConfig.SecurityOpt (and Privileged, AppArmorProfile) mean for the container. */
export function securityProfile(
  securityOpt: readonly string[],
  privileged: boolean,
  appArmorProfile: string | null = null,
): SecurityProfile {
  let seccomp: string | null = null;
  let apparmor: string | null = null;
  let noNewPrivileges = false;
  for (const option of securityOpt) {
    const [key, value] = splitSecurityOption(option);
    if (key === "seccomp" && value !== null) seccomp = value;
    else if (key === "apparmor" && value !== null) apparmor = value;
    else if (key === "no-new-privileges") noNewPrivileges = value === null || value === "true" || value === "1";
  }
  let seccompProfile: string;
  if (privileged || seccomp === "unconfined") seccompProfile = "unconfined";
  else if (seccomp === null || seccomp === "" || seccomp === "builtin" || seccomp === "default") seccompProfile = "default";
  else if (seccomp.trimStart().startsWith("{")) seccompProfile = "custom";
  else seccompProfile = seccomp.length > 512 ? `${seccomp.slice(0, 509)}...` : seccomp;
  return {
    seccompProfile,
    apparmorProfile: apparmor ?? text(appArmorProfile),
    noNewPrivileges,
  };
}

const CONTAINER_STATE_SET = new Set<string>(CONTAINER_STATES);
/** Podman's own words for some states, in Docker's. */
const STATE_ALIASES: Record<string, ContainerSnapshot["state"]> = {
  configured: "created",
  initialized: "created",
  stopped: "exited",
  stopping: "running",
};

export function containerState(status: string | null | undefined): ContainerSnapshot["state"] {
  const s = (status ?? "").toLowerCase();
  if (CONTAINER_STATE_SET.has(s)) return s as ContainerSnapshot["state"];
  return STATE_ALIASES[s] ?? "unknown";
}

function restartPolicy(policy: { Name?: string | null; MaximumRetryCount?: number | null } | null | undefined): string | null {
  if (!policy) return null;
  const name = text(policy.Name) ?? "no";
  return name === "on-failure" && (policy.MaximumRetryCount ?? 0) > 0
    ? `on-failure:${policy.MaximumRetryCount}`
    : name;
}

function commandLine(path: string | null | undefined, args: readonly string[] | null | undefined): string | null {
  const parts = [path ?? "", ...(args ?? [])].filter((p, i) => i > 0 || p !== "");
  if (parts.length === 0) return null;
  return parts.map((p) => (/[\s"'\\]/.test(p) || p === "" ? JSON.stringify(p) : p)).join(" ");
}

/** Locale-independent order, the same on every machine. */
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const MOUNT_TYPE_SET = new Set<string>(MOUNT_TYPES);

export function containerMounts(doc: ContainerDocument): ContainerSnapshot["mounts"] {
  const mounts: ContainerSnapshot["mounts"] = [];
  for (const m of doc.Mounts ?? []) {
    const type = (MOUNT_TYPE_SET.has(m.Type ?? "") ? m.Type : "other") as ContainerSnapshot["mounts"][number]["type"];
    mounts.push({
      type,
      // Host path for binds, volume name for volumes (its host path is the engine's business).
      source: type === "volume" ? (text(m.Name) ?? text(m.Source)) : type === "tmpfs" ? null : text(m.Source),
      destination: m.Destination,
      readOnly: m.RW === false,
      propagation: text(m.Propagation),
    });
  }
  // `--tmpfs` mounts are only in HostConfig.Tmpfs, not in Mounts (Docker and Podman alike).
  const seen = new Set(mounts.map((m) => m.destination));
  for (const [destination, options] of Object.entries(doc.HostConfig?.Tmpfs ?? {})) {
    if (seen.has(destination)) continue;
    mounts.push({
      type: "tmpfs",
      source: null,
      destination,
      readOnly: options.split(",").includes("ro"),
      propagation: null,
    });
  }
  return mounts.sort((a, b) => byCodePoint(a.destination, b.destination));
}

const PORT_PROTOCOL_SET = new Set<string>(PORT_PROTOCOLS);

/**
 * Published and exposed ports. A running container's NetworkSettings.Ports has the bindings in
 * force (with the host port the engine picked); a stopped one's only its HostConfig.PortBindings.
 * An exposed port with no binding is listed with no host port.
 */
export function containerPorts(doc: ContainerDocument): ContainerSnapshot["ports"] {
  const live = doc.NetworkSettings?.Ports ?? {};
  const configured = doc.HostConfig?.PortBindings ?? {};
  const keys = new Set([
    ...Object.keys(live),
    ...Object.keys(configured),
    ...Object.keys(doc.Config?.ExposedPorts ?? {}),
  ]);
  const ports: ContainerSnapshot["ports"] = [];
  for (const key of keys) {
    const [portText, protocolText = "tcp"] = key.split("/");
    const containerPort = Number(portText);
    const protocol = protocolText.toLowerCase();
    if (!Number.isInteger(containerPort) || containerPort < 0 || containerPort > 65535) continue;
    if (!PORT_PROTOCOL_SET.has(protocol)) continue;
    const liveBindings = live[key];
    const bindings = liveBindings && liveBindings.length > 0 ? liveBindings : (configured[key] ?? []);
    const base = { containerPort, protocol: protocol as ContainerSnapshot["ports"][number]["protocol"] };
    if (bindings.length === 0) {
      ports.push({ ...base, hostIp: null, hostPort: null });
      continue;
    }
    for (const b of bindings) {
      const hostPort = Number(b.HostPort);
      ports.push({
        ...base,
        hostIp: text(b.HostIp),
        hostPort: b.HostPort && Number.isInteger(hostPort) && hostPort > 0 && hostPort <= 65535 ? hostPort : null,
      });
    }
  }
  return ports.sort(
    (a, b) =>
      a.containerPort - b.containerPort ||
      byCodePoint(a.protocol, b.protocol) ||
      byCodePoint(a.hostIp ?? "", b.hostIp ?? "") ||
      (a.hostPort ?? 0) - (b.hostPort ?? 0),
  );
}

/** HostConfig.Devices as "host:container:permissions", device requests (GPUs) as "request=...". */
export function containerDevices(doc: ContainerDocument): string[] {
  const devices = (doc.HostConfig?.Devices ?? []).map((d) =>
    [d.PathOnHost ?? "", d.PathInContainer ?? d.PathOnHost ?? "", d.CgroupPermissions ?? ""]
      .filter((part, i) => i < 2 || part !== "")
      .join(":"),
  );
  for (const r of doc.HostConfig?.DeviceRequests ?? []) {
    const which = r.DeviceIDs && r.DeviceIDs.length > 0 ? r.DeviceIDs.join(",") : r.Count === -1 ? "all" : String(r.Count ?? 0);
    const capabilities = (r.Capabilities ?? []).map((c) => (c ?? []).join("+")).filter(Boolean).join(",");
    devices.push(`request=${text(r.Driver) ?? "default"}:${which}${capabilities ? `:${capabilities}` : ""}`);
  }
  return devices;
}

export interface ContainerContext {
  hostExternalId: string;
  /** Image ids present in the snapshot: a container's image outside it gets no imageExternalId. */
  imageIds: ReadonlySet<string>;
  /** The entry of /containers/json for it (has the human status, "Up 2 hours"). */
  listEntry?: ContainerListEntry;
  /** The real OCI runtime when the API's HostConfig.Runtime does not say it (Podman's "oci"). */
  runtime?: string | null;
  /**
   * Podman's Path/Args repeat a one-word command ("true" becomes Path "true", Args ["true"]):
   * for Podman the list's Command is the command line.
   */
  podman?: boolean;
}

/**
 * Podman's own inspect in the Docker document's terms: the image id gets its "sha256:" prefix and
 * capabilities lose their "CAP_" prefix, as Podman's compatible API does; the real OCI runtime
 * comes back separately (the compatible API says "oci" for every container).
 */
export function fromLibpod(doc: LibpodContainerDocument): { doc: ContainerDocument; runtime: string | null } {
  const { OCIRuntime, ...rest } = doc;
  const caps = (list: string[] | null | undefined) => list?.map((c) => c.replace(/^CAP_/, ""));
  const image = text(rest.Image);
  return {
    doc: {
      ...rest,
      Image: image && /^[0-9a-f]{64}$/.test(image) ? `sha256:${image}` : image,
      HostConfig: rest.HostConfig && {
        ...rest.HostConfig,
        CapAdd: caps(rest.HostConfig.CapAdd),
        CapDrop: caps(rest.HostConfig.CapDrop),
      },
    },
    runtime: text(OCIRuntime),
  };
}

/** One container, from its /containers/{id}/json document. */
export function normaliseContainer(doc: ContainerDocument, context: ContainerContext): ContainerInput {
  const hc = doc.HostConfig ?? {};
  const privileged = hc.Privileged === true;
  const securityOptions = hc.SecurityOpt ?? [];
  const name = text(doc.Name?.replace(/^\//, "")) ?? text(context.listEntry?.Names?.[0]?.replace(/^\//, "")) ?? doc.Id.slice(0, 12);
  const imageId = text(doc.Image);
  return {
    externalId: doc.Id,
    name,
    hostExternalId: context.hostExternalId,
    image: text(doc.Config?.Image) ?? text(context.listEntry?.Image) ?? imageId ?? "unknown",
    imageExternalId: imageId && context.imageIds.has(imageId) ? imageId : null,
    state: containerState(doc.State?.Status ?? context.listEntry?.State),
    status: text(context.listEntry?.Status),
    createdAt: timestamp(doc.Created),
    startedAt: timestamp(doc.State?.StartedAt),
    runtime: text(context.runtime) ?? text(hc.Runtime),
    command: (context.podman ? text(context.listEntry?.Command) : null) ?? commandLine(doc.Path, doc.Args),
    privileged,
    capAdd: hc.CapAdd ?? [],
    capDrop: hc.CapDrop ?? [],
    user: text(doc.Config?.User),
    networkMode: text(hc.NetworkMode),
    pidMode: text(hc.PidMode),
    ipcMode: text(hc.IpcMode),
    utsMode: text(hc.UTSMode),
    usernsMode: text(hc.UsernsMode),
    securityOptions,
    ...securityProfile(securityOptions, privileged, doc.AppArmorProfile ?? null),
    readOnlyRootfs: hc.ReadonlyRootfs === true,
    memoryLimitBytes: Math.max(0, hc.Memory ?? 0),
    memoryReservationBytes: Math.max(0, hc.MemoryReservation ?? 0),
    cpuShares: Math.max(0, hc.CpuShares ?? 0),
    nanoCpus: Math.max(0, hc.NanoCpus ?? 0),
    cpuQuota: hc.CpuQuota ?? 0,
    cpuPeriod: Math.max(0, hc.CpuPeriod ?? 0),
    cpusetCpus: text(hc.CpusetCpus),
    pidsLimit: hc.PidsLimit ?? null,
    restartPolicy: restartPolicy(hc.RestartPolicy),
    health: text(doc.State?.Health?.Status),
    mounts: containerMounts(doc),
    ports: containerPorts(doc),
    devices: containerDevices(doc),
    labels: { ...(doc.Config?.Labels ?? {}) },
    links: [...(hc.Links ?? [])],
  };
}

/** The label that names a container's tenant (source option `tenantLabel`, default "tenant"). */
export const DEFAULT_TENANT_LABEL = "tenant";
export const COMPOSE_PROJECT_LABEL = "com.docker.compose.project";

/** The container's tenant by the source's tenant label; null when it carries none. */
export function containerTenant(
  container: { labels?: Record<string, string> },
  tenantLabel: string = DEFAULT_TENANT_LABEL,
): string | null {
  return text(container.labels?.[tenantLabel]);
}

/** The Compose project the container belongs to (Docker Compose and podman-compose set it). */
export function composeProject(container: { labels?: Record<string, string> }): string | null {
  return text(container.labels?.[COMPOSE_PROJECT_LABEL]);
}

export interface LayerSizes {
  layers: LayerSnapshot[];
  /** Why the sizes could not be told, when they could not (layers is then empty). */
  problem: string | null;
}

/** Dockerfile instructions that never create a filesystem layer (BuildKit's history names them). */
const METADATA_STEP = /^(?:\/bin\/sh -c #\(nop\)|#\(nop\)|(?:ENV|CMD|LABEL|EXPOSE|ENTRYPOINT|VOLUME|USER|ARG|STOPSIGNAL|HEALTHCHECK|SHELL|ONBUILD|MAINTAINER)\b)/;

/**
 * Layer digests with their sizes.
 *
 * /images/{id}/json lists the layers (RootFS.Layers: diff IDs, the uncompressed content digests
 * that are equal wherever the same layer is shared) without sizes; /images/{id}/history lists the
 * build steps, newest first, each with the size of the layer it made. Steps that made no layer
 * (ENV, CMD, ...: `empty_layer` in the image config, which the API does not show) have size 0 --
 * but so does a step that made an empty layer. So: steps with a size > 0 made a layer; steps known
 * to be metadata (a "#(nop)" classic-builder step, or a BuildKit metadata instruction) did not; the
 * other zero-size steps may have made an empty layer. The k-th layer gets the k-th layer-making
 * step's size. When the zero-size layers could sit in more than one place and that would change
 * which size goes with which digest, or the counts cannot agree, the sizes are unknown: the image
 * is kept with no layers, and the caller warns.
 */
export function layerSizes(diffIds: readonly string[], history: ImageHistoryDocument): LayerSizes {
  const steps = [...history].reverse().map((h) => {
    const size = Math.max(0, h.Size ?? 0);
    const createdBy = (h.CreatedBy ?? "").trim();
    return { size, maybeLayer: size > 0 || !METADATA_STEP.test(createdBy), surely: size > 0 };
  });
  const positive = steps.filter((s) => s.surely).length;
  const candidates = steps.filter((s) => s.maybeLayer && !s.surely).length;
  const emptyLayers = diffIds.length - positive;
  if (emptyLayers < 0 || emptyLayers > candidates) {
    return {
      layers: [],
      problem: `${diffIds.length} layers but ${positive} sized and ${candidates} empty build steps in the history`,
    };
  }
  // Place the empty layers at the earliest, then at the latest possible steps: if both give
  // every digest the same size, so does every other placement.
  const place = (fromStart: boolean) => {
    const order = fromStart ? steps : [...steps].reverse();
    let left = emptyLayers;
    const sizes: number[] = [];
    for (const step of order) {
      if (step.surely) sizes.push(step.size);
      else if (step.maybeLayer && left > 0) {
        sizes.push(0);
        left -= 1;
      }
    }
    return fromStart ? sizes : sizes.reverse();
  };
  const early = place(true);
  const late = place(false);
  if (early.some((size, i) => size !== late[i])) {
    return { layers: [], problem: "the history does not tell which build steps made its empty layers" };
  }
  return { layers: diffIds.map((digest, i) => ({ digest, sizeBytes: early[i] ?? 0 })), problem: null };
}

export interface ImageResult {
  image: ImageInput;
  warning: string | null;
}

/**
 * Whether the image has a HEALTHCHECK (CIS Docker 4.6: docker-bench warns when
 * `{{.Config.Healthcheck}}` is `<nil>`): Docker's Config.Healthcheck set. null when the document has
 * no Config at all (the engine did not say).
 */
export function imageHealthcheck(doc: ImageDocument): boolean | null {
  if (!doc.Config) return null;
  return doc.Config.Healthcheck !== undefined && doc.Config.Healthcheck !== null;
}

/** Podman's own image inspect in the Docker document's terms: "sha256:" on the id, the HEALTHCHECK as Config.Healthcheck. */
export function fromLibpodImage(doc: LibpodImageDocument): ImageDocument {
  const { Healthcheck, ...rest } = doc;
  return {
    ...rest,
    Id: /^[0-9a-f]{64}$/.test(rest.Id) ? `sha256:${rest.Id}` : rest.Id,
    Config: { Healthcheck: Healthcheck ?? null },
  };
}

/** One image, from its /images/{id}/json and /images/{id}/history documents. */
export function normaliseImage(
  doc: ImageDocument,
  history: ImageHistoryDocument,
  hostExternalId: string,
): ImageResult {
  const diffIds = doc.RootFS?.Layers ?? [];
  const { layers, problem } = layerSizes(diffIds, history);
  const repoTags = (doc.RepoTags ?? []).filter((t) => t !== "<none>:<none>");
  return {
    image: {
      externalId: doc.Id,
      hostExternalId,
      repoTags,
      repoDigests: (doc.RepoDigests ?? []).filter((d) => d !== "<none>@<none>"),
      sizeBytes: Math.max(0, doc.Size ?? 0),
      createdAt: timestamp(doc.Created),
      os: text(doc.Os),
      architecture: text(doc.Architecture),
      layers,
      healthcheck: imageHealthcheck(doc),
    },
    warning: problem
      ? `image ${repoTags[0] ?? doc.Id.slice(0, 19)}: layer sizes unknown (${problem}); stored without layers`
      : null,
  };
}

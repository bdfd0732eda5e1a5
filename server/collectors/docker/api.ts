/**
 * The Docker Engine API documents the collector reads, as zod schemas of only the fields it uses
 * (Docker Engine API 1.40-1.47, and Podman's Docker-compatible API). Engines differ in what they
 * leave out or send as null ([] on Podman, null on Docker), so almost every field is nullish; a
 * document whose shape is wrong (a string where a list belongs) fails with the path that is wrong.
 * Unknown fields (Env among them, which often holds secrets) are dropped.
 */
import { z } from "zod";

const str = z.string().nullish();
const int = z.number().int().nullish();
const bool = z.boolean().nullish();
const strings = z.array(z.string()).nullish();
const stringMap = z.record(z.string(), z.string()).nullish();

export const versionDocument = z.object({
  Version: str,
  ApiVersion: z.string({ error: "ApiVersion is missing" }),
  MinAPIVersion: str,
  GitCommit: str,
  Os: str,
  Arch: str,
  KernelVersion: str,
  Components: z
    .array(z.object({ Name: z.string(), Version: str, Details: z.record(z.string(), z.unknown()).nullish() }))
    .nullish(),
});
export type VersionDocument = z.output<typeof versionDocument>;

export const infoDocument = z.object({
  ID: str,
  Name: str,
  NCPU: int,
  MemTotal: int,
  OperatingSystem: str,
  OSVersion: str,
  OSType: str,
  Architecture: str,
  KernelVersion: str,
  ServerVersion: str,
  DockerRootDir: str,
  Runtimes: z.record(z.string(), z.unknown()).nullish(),
  DefaultRuntime: str,
  SecurityOptions: strings,
  CgroupDriver: str,
  CgroupVersion: str,
  /** Podman only. */
  Rootless: bool,
  Swarm: z.object({ NodeAddr: str, LocalNodeState: str }).nullish(),
});
export type InfoDocument = z.output<typeof infoDocument>;

export const containerListDocument = z.array(
  z.object({
    Id: z.string().min(1),
    Names: strings,
    Image: str,
    ImageID: str,
    Command: str,
    State: str,
    Status: str,
  }),
);
export type ContainerListEntry = z.output<typeof containerListDocument>[number];

const portBindings = z
  .record(z.string(), z.array(z.object({ HostIp: str, HostPort: str })).nullish())
  .nullish();

export const containerDocument = z.object({
  Id: z.string().min(1),
  Name: str,
  Created: str,
  Path: str,
  Args: strings,
  Image: str,
  AppArmorProfile: str,
  State: z
    .object({
      Status: str,
      StartedAt: str,
      Health: z.object({ Status: str }).nullish(),
    })
    .nullish(),
  Config: z
    .object({
      User: str,
      Image: str,
      Labels: stringMap,
      ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
    })
    .nullish(),
  HostConfig: z
    .object({
      Privileged: bool,
      CapAdd: strings,
      CapDrop: strings,
      NetworkMode: str,
      PidMode: str,
      IpcMode: str,
      UTSMode: str,
      UsernsMode: str,
      SecurityOpt: strings,
      ReadonlyRootfs: bool,
      Memory: int,
      MemoryReservation: int,
      CpuShares: int,
      NanoCpus: int,
      CpuQuota: int,
      CpuPeriod: int,
      CpusetCpus: str,
      PidsLimit: int,
      RestartPolicy: z.object({ Name: str, MaximumRetryCount: int }).nullish(),
      Runtime: str,
      Devices: z
        .array(z.object({ PathOnHost: str, PathInContainer: str, CgroupPermissions: str }))
        .nullish(),
      DeviceRequests: z
        .array(
          z.object({
            Driver: str,
            Count: int,
            DeviceIDs: strings,
            Capabilities: z.array(z.array(z.string()).nullish()).nullish(),
          }),
        )
        .nullish(),
      Tmpfs: stringMap,
      PortBindings: portBindings,
      Links: strings,
    })
    .nullish(),
  Mounts: z
    .array(
      z.object({
        Type: str,
        Name: str,
        Source: str,
        Destination: z.string(),
        RW: bool,
        Propagation: str,
      }),
    )
    .nullish(),
  NetworkSettings: z.object({ Ports: portBindings }).nullish(),
});
export type ContainerDocument = z.output<typeof containerDocument>;

/**
 * Podman's own inspect (`/libpod/containers/{id}/json`): the Docker document's fields (Podman
 * builds its Docker-compatible inspect from this one) plus OCIRuntime, the real runtime.
 */
export const libpodContainerDocument = containerDocument.extend({ OCIRuntime: str });
export type LibpodContainerDocument = z.output<typeof libpodContainerDocument>;

export const imageListDocument = z.array(z.object({ Id: z.string().min(1), RepoTags: strings }));

export const imageDocument = z.object({
  Id: z.string().min(1),
  RepoTags: strings,
  RepoDigests: strings,
  Size: int,
  Created: str,
  Os: str,
  Architecture: str,
  RootFS: z.object({ Type: str, Layers: strings }).nullish(),
  /** Docker: Config.Healthcheck is the image's HEALTHCHECK (absent or null when it has none). */
  Config: z.object({ Healthcheck: z.object({ Test: strings }).nullish() }).nullish(),
});
export type ImageDocument = z.output<typeof imageDocument>;

/**
 * Podman's own image inspect (`/libpod/images/{id}/json`): the same fields (Id without "sha256:"),
 * and the HEALTHCHECK as `Healthcheck`, which Podman's Docker-compatible inspect leaves out.
 */
export const libpodImageDocument = imageDocument.omit({ Config: true }).extend({ Healthcheck: z.object({ Test: strings }).nullish() });
export type LibpodImageDocument = z.output<typeof libpodImageDocument>;

export const imageHistoryDocument = z.array(
  z.object({ Id: str, Created: int, CreatedBy: str, Size: int, Comment: str }),
);
export type ImageHistoryDocument = z.output<typeof imageHistoryDocument>;

const counter = z.number().nullish();
const cpuStats = z
  .object({
    cpu_usage: z.object({ total_usage: counter, percpu_usage: z.array(z.number()).nullish() }).nullish(),
    /** Docker: the host's CPU time, idle included (/proc/stat); Podman 4: the root cgroup's CPU time used. */
    system_cpu_usage: counter,
    online_cpus: counter,
  })
  .nullish();

/**
 * GET /containers/{id}/stats?stream=false: one sample of a running container's cgroup counters.
 * Docker (without one-shot) waits for its next sampling cycle and fills precpu_stats and preread
 * with the sample before; with one-shot, or on Podman's compatible API, precpu_stats is zero and
 * preread is Go's zero time. memory_stats.stats holds cgroup v1's (total_inactive_file, cache ...)
 * or v2's (inactive_file, anon ...) memory.stat; Podman sends no `stats` at all.
 */
export const containerStatsDocument = z.object({
  read: str,
  preread: str,
  cpu_stats: cpuStats,
  precpu_stats: cpuStats,
  memory_stats: z
    .object({ usage: counter, limit: counter, stats: z.record(z.string(), z.number()).nullish() })
    .nullish(),
  blkio_stats: z
    .object({ io_service_bytes_recursive: z.array(z.object({ op: str, value: counter })).nullish() })
    .nullish(),
  networks: z.record(z.string(), z.object({ rx_bytes: counter, tx_bytes: counter })).nullish(),
});
export type ContainerStatsDocument = z.output<typeof containerStatsDocument>;

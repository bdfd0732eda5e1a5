/**
 * The LXD documents the collector reads, as zod schemas of the fields it uses (unknown fields are
 * dropped), after LXD's REST API (canonical/lxd doc/rest-api.yaml, shared/api/*.go; LXD 5.0):
 *   GET /1.0                          server: api_version, auth, environment, api_extensions
 *   GET /1.0/resources[?target=M]     cpu sockets/cores/threads, memory, network cards, system
 *   GET /1.0/cluster                  enabled, server_name
 *   GET /1.0/cluster/members?recursion=1   server_name, url, status, message, architecture
 *   GET /1.0/projects?recursion=1     name, config (features.images, ...)
 *   GET /1.0/storage-pools?recursion=1     name, driver (dir, zfs, btrfs, lvm, ceph, ...)
 *   GET /1.0/instances?recursion=2&all-projects=true   instances with state and snapshots
 *   GET /1.0/images?recursion=1&project=P               fingerprint, size, aliases, properties
 * A document of the wrong shape is a clear error naming the field (client.ts).
 */
import { z } from "zod";

const strings = z.array(z.string()).nullish().transform((v) => v ?? []);
/** LXD's config maps: string values (a few old servers send numbers or booleans: kept as text). */
const config = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
  .nullish()
  .transform((v) => v ?? {});

export const serverDocument = z.object({
  api_version: z.string(),
  auth: z.string(),
  api_extensions: strings,
  environment: z
    .object({
      /** "lxd", or "incus" for Incus (LXD's fork, same 1.0 API). */
      server: z.string().nullish(),
      server_name: z.string().nullish(),
      server_version: z.string().nullish(),
      server_clustered: z.boolean().nullish(),
      kernel_version: z.string().nullish(),
      os_name: z.string().nullish(),
      os_version: z.string().nullish(),
      driver: z.string().nullish(),
      addresses: strings,
      architectures: strings,
      certificate_fingerprint: z.string().nullish(),
      lxc_features: config,
    })
    .nullish(),
});
export type ServerDocument = z.output<typeof serverDocument>;

export const resourcesDocument = z.object({
  cpu: z.object({
    sockets: z
      .array(
        z.object({
          name: z.string().nullish(),
          vendor: z.string().nullish(),
          socket: z.number().nullish(),
          /** MHz. */
          frequency: z.number().nullish(),
          cores: z
            .array(z.object({ core: z.number().nullish(), threads: z.array(z.object({ id: z.number().nullish() })).nullish() }))
            .nullish(),
        }),
      )
      .nullish(),
    total: z.number().nullish(),
  }),
  memory: z.object({ total: z.number(), used: z.number().nullish() }),
  network: z
    .object({
      cards: z
        .array(z.object({ ports: z.array(z.object({ id: z.string().nullish(), address: z.string().nullish() })).nullish() }))
        .nullish(),
    })
    .nullish(),
  system: z
    .object({ uuid: z.string().nullish(), vendor: z.string().nullish(), product: z.string().nullish() })
    .nullish(),
  /** The host's block devices (bytes). */
  storage: z
    .object({
      disks: z
        .array(z.object({ id: z.string().nullish(), size: z.number().nonnegative().nullish(), removable: z.boolean().nullish() }))
        .nullish(),
    })
    .nullish(),
});
export type ResourcesDocument = z.output<typeof resourcesDocument>;

export const clusterDocument = z.object({ enabled: z.boolean(), server_name: z.string().nullish() });

export const clusterMembersDocument = z.array(
  z.object({
    server_name: z.string().min(1),
    url: z.string().nullish(),
    status: z.string().nullish(),
    message: z.string().nullish(),
    architecture: z.string().nullish(),
  }),
);
export type ClusterMemberDocument = z.output<typeof clusterMembersDocument>[number];

export const projectsDocument = z.array(
  z.object({ name: z.string().min(1), description: z.string().nullish(), config }),
);
export type ProjectDocument = z.output<typeof projectsDocument>[number];

const devices = z
  .record(z.string(), config)
  .nullish()
  .transform((v) => v ?? {});

export const instanceDocument = z.object({
  name: z.string().min(1),
  /** "container" or "virtual-machine" (older servers: absent, containers only). */
  type: z.string().nullish().transform((v) => v || "container"),
  status: z.string(),
  architecture: z.string().nullish(),
  project: z.string().nullish(),
  /** The cluster member it is on ("none" when not clustered). */
  location: z.string().nullish(),
  description: z.string().nullish(),
  created_at: z.string().nullish(),
  last_used_at: z.string().nullish(),
  profiles: strings,
  ephemeral: z.boolean().nullish(),
  expanded_config: config,
  expanded_devices: devices,
  state: z
    .object({
      status: z.string().nullish(),
      pid: z.number().nullish(),
      processes: z.number().nullish(),
      memory: z.object({ usage: z.number().nullish() }).nullish(),
    })
    .nullish(),
  snapshots: z
    .array(z.object({ name: z.string(), created_at: z.string().nullish() }))
    .nullish()
    .transform((v) => v ?? []),
});
export type InstanceDocument = z.output<typeof instanceDocument>;
export const instancesDocument = z.array(instanceDocument);

export const storagePoolsDocument = z.array(
  z.object({ name: z.string().min(1), driver: z.string().min(1), status: z.string().nullish() }),
);
export type StoragePoolDocument = z.output<typeof storagePoolsDocument>[number];

export const imageDocument = z.object({
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/i, "not a SHA-256 fingerprint"),
  size: z.number().int().min(0),
  architecture: z.string().nullish(),
  type: z.string().nullish(),
  aliases: z
    .array(z.object({ name: z.string() }))
    .nullish()
    .transform((v) => v ?? []),
  properties: config,
  created_at: z.string().nullish(),
  uploaded_at: z.string().nullish(),
});
export type ImageDocument = z.output<typeof imageDocument>;
export const imagesDocument = z.array(imageDocument);

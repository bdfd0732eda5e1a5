/**
 * The `lxd` source: an LXD (or Incus-compatible 1.0 API) server, or a whole LXD cluster, as one
 * snapshot: each server or cluster member as a host, its system containers, its virtual machines and
 * its images. Read-only: GET requests only.
 *
 * Endpoint: unix:///var/snap/lxd/common/lxd/unix.socket (on the server itself) or
 * https://host:8443 with a client certificate the server trusts (`lxc config trust add`).
 * Options:
 *   clientCert   PEM client certificate (https); its private key is the source's secret
 *   fingerprint  SHA-256 fingerprint of the server's certificate ("AB:CD:..."), pinned: LXD's
 *                certificate is self-signed, so without it the system CAs must trust it
 *   tenantLabel  the label (user.<label> key) naming an instance's tenant (default: tenant)
 *
 * Calls: GET /1.0 (refused unless the server says auth "trusted"), /1.0/cluster (and, when
 * clustered, /1.0/cluster/members?recursion=1 and /1.0/resources?target=<member> for each),
 * /1.0/resources, /1.0/projects?recursion=1, /1.0/storage-pools?recursion=1, /1.0/instances?recursion=2&all-projects=true (per
 * project on a server without the instance_all_projects extension), /1.0/images?recursion=1 for
 * each project that has its own images. Any failure fails the collection.
 */
import { z } from "zod";
import type { Collector } from "../types";
import { normaliseFingerprint, type CertificateTrust } from "../tls";
import {
  clusterDocument,
  clusterMembersDocument,
  imagesDocument,
  instancesDocument,
  projectsDocument,
  resourcesDocument,
  serverDocument,
  storagePoolsDocument,
  type ImageDocument,
  type InstanceDocument,
} from "./api";
import { LxdClient, LxdConfigurationError, LxdError, normalisePem, parseLxdEndpoint } from "./client";
import { normaliseLxd, type LxdDocuments } from "./normalise";

export const REQUEST_TIMEOUT_MS = 60_000;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/;

export const lxdOptions = z.object({
  clientCert: z
    .string()
    .trim()
    .max(65_536)
    .refine((v) => v === "" || PEM_CERTIFICATE.test(v), "must be a PEM certificate (-----BEGIN CERTIFICATE-----)")
    .optional(),
  fingerprint: z.string().max(200).optional(),
  tenantLabel: z.string().max(512).optional(),
});
export type LxdOptions = z.output<typeof lxdOptions>;

/** The TLS policy the options ask for; a malformed fingerprint is a configuration error. */
export function lxdTlsPolicy(options: LxdOptions): CertificateTrust {
  if (options.fingerprint !== undefined && options.fingerprint.trim() !== "") {
    const sha256 = normaliseFingerprint(options.fingerprint);
    if (!sha256) {
      throw new LxdConfigurationError("the fingerprint must be a SHA-256 digest: 64 hex digits, colons allowed (AB:CD:...)");
    }
    return { mode: "fingerprint", sha256 };
  }
  return { mode: "verify" };
}

/** The instance_all_projects extension: /1.0/instances?all-projects=true (LXD 4.12 and later). */
const ALL_PROJECTS = "instance_all_projects";

export const collectLxd: Collector = async (source, { signal }) => {
  const parsedOptions = lxdOptions.safeParse(source.options ?? {});
  if (!parsedOptions.success) {
    const issue = parsedOptions.error.issues[0]!;
    throw new LxdConfigurationError(`invalid lxd option ${issue.path.join(".")}: ${issue.message}`);
  }
  const options = parsedOptions.data;
  const endpoint = parseLxdEndpoint(source.endpoint);
  const tls = lxdTlsPolicy(options);
  const cert = options.clientCert?.trim() ? normalisePem(options.clientCert) : null;
  const key = source.secret?.trim() ? normalisePem(source.secret) : null;
  if (endpoint.kind === "https" && (cert === null) !== (key === null)) {
    throw new LxdConfigurationError(
      cert ? "a client certificate needs its private key (the source's secret)" : "a private key needs its client certificate (option clientCert)",
    );
  }
  if (endpoint.kind === "unix" && (cert || options.fingerprint)) {
    throw new LxdConfigurationError("the unix socket takes no certificate or fingerprint: they are for https://host:8443");
  }
  const client = new LxdClient({
    endpoint,
    tls,
    credentials: cert && key ? { cert, key } : null,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    signal,
  });
  try {
    const server = await client.get("/1.0", serverDocument);
    if (server.auth !== "trusted") {
      throw new LxdError(
        `LXD at ${client.where} does not trust this client (auth "${server.auth}"): ` +
          (endpoint.kind === "https"
            ? "add its certificate on the server (lxc config trust add client.crt) and give the certificate and its key"
            : "the socket's user is not allowed (run as root or a member of the lxd group)"),
      );
    }
    const cluster = await client.get("/1.0/cluster", clusterDocument);
    let hosts: LxdDocuments["hosts"];
    let clusterName: string | null = null;
    if (cluster.enabled) {
      clusterName = endpoint.kind === "https" ? endpoint.url.hostname : (server.environment?.server_name ?? "lxd");
      const members = await client.get("/1.0/cluster/members?recursion=1", clusterMembersDocument);
      hosts = [];
      for (const member of members) {
        const resources = await client.get(`/1.0/resources?target=${encodeURIComponent(member.server_name)}`, resourcesDocument);
        hosts.push({ name: member.server_name, member, resources });
      }
      if (hosts.length === 0) throw new LxdError(`LXD at ${client.where} says it is clustered but lists no members`);
    } else {
      const resources = await client.get("/1.0/resources", resourcesDocument);
      const name = server.environment?.server_name?.trim() || (endpoint.kind === "https" ? endpoint.url.hostname : "lxd");
      hosts = [{ name, member: null, resources }];
    }

    const projects = await client.get("/1.0/projects?recursion=1", projectsDocument);
    const storagePools = await client.get("/1.0/storage-pools?recursion=1", storagePoolsDocument);
    let instances: InstanceDocument[];
    if (server.api_extensions.includes(ALL_PROJECTS)) {
      instances = await client.get("/1.0/instances?recursion=2&all-projects=true", instancesDocument);
    } else {
      instances = [];
      for (const project of projects) {
        const list = await client.get(`/1.0/instances?recursion=2&project=${encodeURIComponent(project.name)}`, instancesDocument);
        instances.push(...list.map((i) => ({ ...i, project: i.project ?? project.name })));
      }
    }
    // Images of the projects that have their own (features.images); the others use default's.
    const images = new Map<string, ImageDocument>();
    for (const project of projects) {
      if (project.name !== "default" && project.config["features.images"] !== "true") continue;
      const list = await client.get(`/1.0/images?recursion=1&project=${encodeURIComponent(project.name)}`, imagesDocument);
      for (const image of list) {
        const fp = image.fingerprint.toLowerCase();
        const seen = images.get(fp);
        if (seen) seen.aliases.push(...image.aliases.filter((a) => !seen.aliases.some((s) => s.name === a.name)));
        else images.set(fp, { ...image, aliases: [...image.aliases] });
      }
    }

    return normaliseLxd({
      collectedAt: new Date().toISOString(),
      server,
      cluster: clusterName,
      hosts,
      projects,
      instances,
      images: [...images.values()],
      storagePools,
    });
  } finally {
    client.close();
  }
};

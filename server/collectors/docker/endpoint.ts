/**
 * Where a Docker source points, and how to talk to it with dockerode (docker-modem).
 *
 * Endpoints, as the docker CLI writes them:
 * - `unix:///var/run/docker.sock` (or just the absolute path of the socket);
 * - `tcp://host:2375` (plain HTTP), `tcp://host:2376` with TLS options, `https://host:2376`;
 * - `ssh://user@host` is refused for now: docker-modem's ssh agent opens one ssh2 connection per
 *   client and calls `connect()` on it again for every pooled HTTP socket, so the bounded parallel
 *   inspects this collector makes would race on one SSH session; and it hands a failed
 *   `docker system dial-stdio` exec to http as a live stream. Forward the socket instead
 *   (`ssh -NL /tmp/docker.sock:/var/run/docker.sock user@host`, then `unix:///tmp/docker.sock`).
 *
 * TLS (source options): `tlsCa` (the CA that signed the engine's certificate; the system CAs when
 * absent) and `tlsCert` (the client certificate, as `dockerd --tlsverify` requires), each a file
 * path or PEM text; the client certificate's private key is the source's secret (PEM, stored
 * encrypted), or `tlsKey`, a file path only: options are plain settings that administrators see,
 * so a key pasted there is refused. Key material never appears in an error message.
 */
import fs from "node:fs";
import type DockerModem from "docker-modem";
import { z } from "zod";
import { looksLikePrivateKey } from "../../auth/credentials";
import { DEFAULT_TENANT_LABEL } from "./normalise";

export const dockerSourceOptions = z.object({
  tlsCa: z.string().min(1).optional(),
  tlsCert: z.string().min(1).optional(),
  /** A file path: the key itself goes into the source's secret. */
  tlsKey: z.string().min(1).optional(),
  /** The label whose value names a container's tenant (labels are kept verbatim). */
  // As long as a label key may be (LABEL_LIMITS in the snapshot).
  tenantLabel: z.string().min(1).max(512).default(DEFAULT_TENANT_LABEL),
  /** Per-object requests in flight at once (default 8, see collector.ts). */
  concurrency: z.number().int().min(1).max(64).optional(),
  /** Milliseconds to wait for a connection before giving up on the endpoint. */
  connectTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  /**
   * The daemon runs every container with no-new-privileges (dockerd --no-new-privileges or
   * daemon.json "no-new-privileges": true), which the Engine API does not tell: CIS Docker 5.26
   * passes for all its containers. Unset: not known.
   */
  daemonNoNewPrivileges: z.boolean().optional(),
  /**
   * Read every running container's stats (measured use: CPU, memory, disk and network; one call
   * per container, 1-2 s each on Docker, which answers at its next sampling cycle). Default on.
   */
  stats: z.boolean().default(true),
});
export type DockerSourceOptions = z.output<typeof dockerSourceOptions>;

export class DockerEndpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DockerEndpointError";
  }
}

export type ParsedEndpoint =
  | { kind: "unix"; socketPath: string; display: string }
  | { kind: "tcp"; host: string; port: number; tls: boolean; display: string };

/** The endpoint as shown in messages: no user info, no query. */
function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname === "/" ? "" : url.pathname}`;
}

export function parseEndpoint(endpoint: string, wantsTls: boolean): ParsedEndpoint {
  const raw = endpoint.trim();
  if (raw.startsWith("/")) return { kind: "unix", socketPath: raw, display: `unix://${raw}` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DockerEndpointError(
      "not a Docker endpoint: use unix:///path/to/docker.sock, tcp://host:port or https://host:port",
    );
  }
  switch (url.protocol) {
    case "unix:": {
      const socketPath = decodeURIComponent(url.pathname);
      if (!socketPath || socketPath === "/") throw new DockerEndpointError("no socket path");
      return { kind: "unix", socketPath, display: `unix://${socketPath}` };
    }
    case "tcp:":
    case "http:":
    case "https:": {
      const tls = url.protocol === "https:" || wantsTls;
      if (url.protocol === "http:" && wantsTls) {
        throw new DockerEndpointError("http:// cannot use TLS options; use tcp:// or https://");
      }
      const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
      if (!host) throw new DockerEndpointError("no host");
      const port = url.port ? Number(url.port) : tls ? 2376 : 2375;
      return { kind: "tcp", host, port, tls, display: displayUrl(url) };
    }
    case "ssh:":
      throw new DockerEndpointError(
        "ssh endpoints are not supported yet (docker-modem's ssh transport cannot carry " +
          "parallel requests reliably); forward the engine's socket with ssh -L and collect unix:///path instead",
      );
    case "npipe:":
      throw new DockerEndpointError("Windows named pipes are not supported");
    default:
      throw new DockerEndpointError(`unknown scheme "${url.protocol}" for a Docker endpoint`);
  }
}

/** A file path, or PEM text given inline (certificates only: see tlsMaterial for the key). */
function pem(value: string, what: string): string {
  if (value.includes("-----BEGIN ")) return value;
  return readPem(value, what);
}

function readPem(value: string, what: string): string {
  try {
    return fs.readFileSync(value, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new DockerEndpointError(`cannot read the ${what} file ${value} (${code})`);
  }
}

export interface TlsMaterial {
  ca?: string;
  cert?: string;
  key?: string;
}

export function tlsMaterial(options: DockerSourceOptions, secret: string | null): TlsMaterial | null {
  if (options.tlsKey && looksLikePrivateKey(options.tlsKey)) {
    throw new DockerEndpointError(
      "the tlsKey option takes a file path only: paste the TLS client key into the source's secret (“Password or token”, stored encrypted) and leave tlsKey empty",
    );
  }
  const keyFromSecret = !options.tlsKey && options.tlsCert && secret ? secret : undefined;
  if (!options.tlsCa && !options.tlsCert && !options.tlsKey && !keyFromSecret) return null;
  if (Boolean(options.tlsCert) !== Boolean(options.tlsKey ?? keyFromSecret)) {
    throw new DockerEndpointError(
      "a TLS client certificate needs its key and the key its certificate (tlsCert with the key as the source's secret, or tlsKey naming its file)",
    );
  }
  const material: TlsMaterial = {};
  if (options.tlsCa) material.ca = pem(options.tlsCa, "TLS CA");
  if (options.tlsCert) material.cert = pem(options.tlsCert, "TLS client certificate");
  if (options.tlsKey) material.key = readPem(options.tlsKey, "TLS client key");
  else if (keyFromSecret) {
    // Never read as a file name: a secret that is not a key would end up in the message.
    if (!looksLikePrivateKey(keyFromSecret)) {
      throw new DockerEndpointError("the source's secret is not a PEM private key (-----BEGIN ... PRIVATE KEY-----), which a TLS client certificate needs");
    }
    material.key = keyFromSecret;
  }
  return material;
}

export interface EngineConnection {
  endpoint: ParsedEndpoint;
  /** docker-modem options; every transport field is set, so DOCKER_HOST and friends never leak in. */
  modemOptions: DockerModem.ConstructorOptions;
  /** Strings that must never appear in a message (key material). */
  secrets: string[];
}

export function engineConnection(
  endpoint: string,
  options: DockerSourceOptions,
  secret: string | null,
): EngineConnection {
  const tls = tlsMaterial(options, secret);
  const parsed = parseEndpoint(endpoint, tls !== null);
  if (parsed.kind === "unix" && tls) {
    throw new DockerEndpointError("TLS options apply to tcp:// endpoints only");
  }
  const modemOptions: DockerModem.ConstructorOptions = {
    socketPath: parsed.kind === "unix" ? parsed.socketPath : undefined,
    host: parsed.kind === "tcp" ? parsed.host : undefined,
    port: parsed.kind === "tcp" ? parsed.port : undefined,
    protocol: parsed.kind === "tcp" && parsed.tls ? "https" : "http",
    ca: tls?.ca,
    cert: tls?.cert,
    key: tls?.key,
    // No agent of our own: Node's global agents keep connections alive (and unreferenced when
    // idle), and docker-modem formats every request's options for its debug log, an agent with
    // its sockets included, which costs more than the request on a fast engine.
    connectionTimeout: options.connectTimeoutMs,
    headers: {},
  };
  // docker-modem reads DOCKER_HOST, DOCKER_CERT_PATH, ... as defaults; pathPrefix and sshOptions
  // too. Name them here so that only the source says where to go.
  Object.assign(modemOptions, { pathPrefix: "/", sshOptions: {}, username: undefined, password: undefined });
  const secrets = [tls?.key, secret].filter((s): s is string => typeof s === "string" && s.length > 0);
  return { endpoint: parsed, modemOptions, secrets };
}

/** Removes key material (and any PEM block) from a message. */
export function redact(message: string, secrets: readonly string[]): string {
  let out = message.replace(/-----BEGIN [A-Z ]+-----[\s\S]*?(-----END [A-Z ]+-----|$)/g, "[PEM redacted]");
  for (const secret of secrets) {
    if (secret.length >= 8) out = out.split(secret).join("[redacted]");
    const firstLine = secret.split("\n").find((line) => line.length >= 16 && !line.startsWith("-----"));
    if (firstLine) out = out.split(firstLine).join("[redacted]");
  }
  return out;
}

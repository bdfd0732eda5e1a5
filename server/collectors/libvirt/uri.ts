/**
 * libvirt connection URIs as users write them (https://libvirt.org/uri.html):
 *   qemu:///system, qemu:///session, test:///default          the local daemon's unix socket
 *   qemu+unix:///system?socket=/path/libvirt-sock              an explicit socket
 *   qemu+tcp://host[:16509]/system                             plain TCP (auth_tcp none or SASL)
 *   qemu+tls://host[:16514]/system[?pkipath=DIR&no_verify=1]   TLS with a client certificate
 *   qemu+ssh://user@host[:22]/system[?keyfile=F&proxy=auto]    ssh: virt-ssh-helper or nc on the host (ssh.ts)
 * The name the daemon is asked to open is the URI without transport, host, user, port and the
 * client-side parameters: `qemu+tcp://h/system` opens `qemu:///system` on h.
 */
import { LibvirtConfigurationError } from "./errors";

export const TRANSPORTS = ["unix", "tcp", "tls", "ssh"] as const;
export type Transport = (typeof TRANSPORTS)[number];

export interface LibvirtTarget {
  /** The URI as given, without a password. */
  uri: string;
  driver: string;
  transport: Transport;
  host: string | null;
  port: number | null;
  user: string | null;
  /** unix: explicit socket path (null: the local default for the driver and path). */
  socket: string | null;
  /** What CONNECT_OPEN is asked to open. */
  name: string;
  /** tls: directory with cacert.pem, clientcert.pem, clientkey.pem. */
  pkipath: string | null;
  /** tls: do not verify the server's certificate. */
  noVerify: boolean;
  /** ssh: the ssh key file, from `keyfile=`. */
  keyfile: string | null;
  /** ssh: how the host reaches the daemon, from `proxy=` (auto, native, netcat). */
  proxy: string | null;
  /** ssh: the host's netcat binary, from `netcat=`. */
  netcat: string | null;
}

/** Parameters read by the client, not passed on to the daemon. */
const CLIENT_PARAMS = new Set([
  "name",
  "socket",
  "pkipath",
  "no_verify",
  "no_tty",
  "keyfile",
  "netcat",
  "command",
  "proxy",
  "mode",
  "sshauth",
  "known_hosts",
  "known_hosts_verify",
  "tls_priority",
]);

export const DEFAULT_PORTS: Record<Transport, number | null> = { unix: null, tcp: 16509, tls: 16514, ssh: 22 };

export function parseLibvirtUri(input: string): LibvirtTarget {
  const text = input.trim();
  const match = /^([a-z][a-z0-9-]*)(?:\+([a-z0-9]+))?:\/\//i.exec(text);
  if (!match) {
    throw new LibvirtConfigurationError(
      `not a libvirt URI: "${input}" (expected e.g. qemu:///system, qemu+tcp://host/system, qemu+ssh://user@host/system)`,
    );
  }
  const driver = match[1]!.toLowerCase();
  const given = match[2]?.toLowerCase();
  let url: URL;
  try {
    url = new URL(`libvirt://${text.slice(match[0].length)}`);
  } catch {
    throw new LibvirtConfigurationError(`not a libvirt URI: "${input}"`);
  }
  const host = url.hostname ? url.hostname.replace(/^\[|\]$/g, "") : null;
  let transport: Transport;
  if (given === undefined) transport = host ? "tls" : "unix";
  else if (given === "libssh" || given === "libssh2") transport = "ssh";
  else if ((TRANSPORTS as readonly string[]).includes(given)) transport = given as Transport;
  else throw new LibvirtConfigurationError(`libvirt transport "${given}" is not supported (unix, tcp, tls, ssh)`);

  if (transport === "unix" && host && host !== "localhost") {
    throw new LibvirtConfigurationError(`a unix socket URI cannot name a remote host: "${input}"`);
  }
  const port = url.port ? Number(url.port) : DEFAULT_PORTS[transport];
  const params = url.searchParams;
  const forward = new URLSearchParams();
  for (const [key, value] of params) if (!CLIENT_PARAMS.has(key)) forward.append(key, value);
  const query = forward.toString();
  const path = decodeURIComponent(url.pathname || "/");
  const name = params.get("name") ?? `${driver}://${path}${query ? `?${query}` : ""}`;
  const shown = new URL(url.href);
  shown.password = "";
  return {
    uri: `${match[0]}${shown.href.slice("libvirt://".length)}`,
    driver,
    transport,
    host: transport === "unix" ? null : host,
    port,
    user: url.username ? decodeURIComponent(url.username) : null,
    socket: params.get("socket"),
    name,
    pkipath: params.get("pkipath"),
    noVerify: params.get("no_verify") === "1",
    keyfile: params.get("keyfile"),
    proxy: params.get("proxy"),
    netcat: params.get("netcat"),
  };
}

/**
 * Local socket candidates, best first: the modular daemon's read-only socket (virtqemud-sock-ro),
 * then the monolithic libvirtd's (libvirt-sock-ro); per-user daemons for `/session` URIs.
 */
export function localSocketCandidates(target: LibvirtTarget, env: NodeJS.ProcessEnv = process.env): string[] {
  const daemon = target.driver === "qemu" || target.driver === "kvm" ? "virtqemud" : `virt${target.driver}d`;
  const session = target.name.includes(":///session");
  if (session) {
    const runtime = env.XDG_RUNTIME_DIR ?? `${env.HOME ?? "/root"}/.cache`;
    return [`${runtime}/libvirt/${daemon}-sock`, `${runtime}/libvirt/libvirt-sock`];
  }
  return [
    `/run/libvirt/${daemon}-sock-ro`,
    "/run/libvirt/libvirt-sock-ro",
    "/var/run/libvirt/libvirt-sock-ro",
  ];
}

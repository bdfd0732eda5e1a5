/**
 * libvirt over ssh (qemu+ssh://user@host[:port]/system), as libvirt's own client does it: an ssh
 * connection (ssh2) runs a proxy on the host whose stdio is the daemon's socket, and libvirt RPC
 * flows over that channel exactly as over a unix socket.
 *
 * The proxy (URI `proxy=`, as virsh accepts it):
 *   auto (default)  `virt-ssh-helper -r <URI without the ssh part>` when the host has it, else
 *                   `nc -U <socket>` to the host's read-only socket (the first that exists);
 *                   an explicit `socket=` means netcat to that socket (virt-ssh-helper cannot be
 *                   told a socket path: it picks one from the URI by itself)
 *   native          virt-ssh-helper only
 *   netcat          `nc -U <socket>` only (`netcat=` names another nc binary)
 * Authentication: a private key (the source's secret, else a key file: URI `keyfile=` or option
 * `keyFile`), else the ssh agent at SSH_AUTH_SOCK. The host key must be pinned (`hostKey`,
 * "SHA256:..." as `ssh-keygen -lf` prints it) or checking explicitly turned off
 * (`insecureHostKey: true`); otherwise the connection is refused, naming the server's fingerprint.
 */
import fs from "node:fs";
import os from "node:os";
import type { Duplex } from "node:stream";
import { Client, type ClientChannel, type ConnectConfig } from "ssh2";
import { hostKeyFingerprint, isPrivateKeyArmour, normaliseHostKeyFingerprint, shellQuote } from "../ssh";
import { LibvirtAuthError, LibvirtConfigurationError, LibvirtConnectionError, LibvirtHostKeyError } from "./errors";
import type { LibvirtTarget } from "./uri";

export interface SshCredentials {
  /** Private key (PEM / OpenSSH armour), from the source's secret. */
  privateKey?: string | null;
  /** Key file, when the URI has no `keyfile=`. */
  keyFile?: string | null;
  /** Passphrase of the private key. */
  passphrase?: string | null;
  /** User, when the URI names none. */
  username?: string | null;
  /** Pinned host key fingerprint ("SHA256:..."). */
  hostKey?: string | null;
  /** Accept any host key. */
  insecureHostKey?: boolean;
}

export type SshProxy = "auto" | "native" | "netcat";

export type HostKeyPolicy = { mode: "pinned"; fingerprint: string } | { mode: "insecure" };

export function hostKeyPolicy(credentials: SshCredentials): HostKeyPolicy {
  const pinned = credentials.hostKey?.trim();
  if (pinned && credentials.insecureHostKey) {
    throw new LibvirtConfigurationError(`choose one: a pinned "hostKey" or "insecureHostKey", not both`);
  }
  if (pinned) {
    const fingerprint = normaliseHostKeyFingerprint(pinned);
    if (!fingerprint) {
      throw new LibvirtConfigurationError(
        `"hostKey" must be a SHA-256 host key fingerprint as \`ssh-keygen -lf\` prints it (SHA256:<43 base64 characters>)`,
      );
    }
    return { mode: "pinned", fingerprint };
  }
  if (credentials.insecureHostKey) return { mode: "insecure" };
  return { mode: "pinned", fingerprint: "" };
}

export function sshProxy(target: LibvirtTarget): SshProxy {
  const proxy = target.proxy ?? "auto";
  if (proxy !== "auto" && proxy !== "native" && proxy !== "netcat") {
    throw new LibvirtConfigurationError(`libvirt ssh proxy "${proxy}" is not supported (auto, native, netcat)`);
  }
  return proxy;
}

/** The host's sockets netcat tries, best first (read-only where the daemon has one). */
function remoteSockets(target: LibvirtTarget): string[] {
  if (target.socket) return [target.socket];
  const daemon = target.driver === "qemu" || target.driver === "kvm" ? "virtqemud" : `virt${target.driver}d`;
  if (target.name.includes(":///session")) {
    // Expanded by the remote shell: the logged-in user's runtime directory.
    return [`\${XDG_RUNTIME_DIR:-$HOME/.cache}/libvirt/${daemon}-sock`, "${XDG_RUNTIME_DIR:-$HOME/.cache}/libvirt/libvirt-sock"];
  }
  return [`/run/libvirt/${daemon}-sock-ro`, "/run/libvirt/libvirt-sock-ro", "/var/run/libvirt/libvirt-sock-ro"];
}

/** The command run on the host; its stdin/stdout become the daemon's socket. */
export function remoteCommand(target: LibvirtTarget): string {
  const proxy = sshProxy(target);
  const helper = `virt-ssh-helper -r ${shellQuote(target.name)}`;
  const nc = target.netcat ? shellQuote(target.netcat) : "nc";
  const sockets = remoteSockets(target);
  // Explicit sockets are quoted; the defaults are ours and may use the shell's variables.
  const words = target.socket ? sockets.map(shellQuote) : sockets.map((s) => `"${s}"`);
  const netcat =
    `for s in ${words.join(" ")}; do if [ -S "$s" ]; then exec ${nc} -U "$s"; fi; done; ` +
    `echo "no libvirt socket on this host: ${sockets.join(", ").replace(/["$`\\]/g, "")}" >&2; exit 1`;
  if (proxy === "native") return `exec ${helper}`;
  if (proxy === "netcat" || target.socket) return `sh -c ${shellQuote(netcat)}`;
  return `sh -c ${shellQuote(`if command -v virt-ssh-helper >/dev/null 2>&1; then exec ${helper}; fi; ${netcat}`)}`;
}

function readKeyFile(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new LibvirtConfigurationError(`cannot read the ssh key file ${file}: ${(error as Error).message}`);
  }
}

/** Which authentication the connection offers: a key or the agent. */
export function sshAuth(
  target: LibvirtTarget,
  credentials: SshCredentials,
  env: NodeJS.ProcessEnv,
): { privateKey: string; passphrase?: string; method: string } | { agent: string; method: string } {
  const passphrase = credentials.passphrase ?? undefined;
  if (credentials.privateKey?.trim()) {
    if (!isPrivateKeyArmour(credentials.privateKey)) {
      throw new LibvirtConfigurationError(
        "the source's secret is not an ssh private key (expected PEM / OpenSSH armour: -----BEGIN ... PRIVATE KEY-----)",
      );
    }
    return { privateKey: credentials.privateKey, passphrase, method: "the private key from the source's secret" };
  }
  const file = target.keyfile ?? credentials.keyFile ?? null;
  if (file) return { privateKey: readKeyFile(file), passphrase, method: `the key file ${file}` };
  if (env.SSH_AUTH_SOCK) return { agent: env.SSH_AUTH_SOCK, method: `the ssh agent at ${env.SSH_AUTH_SOCK}` };
  throw new LibvirtConfigurationError(
    "no ssh key for qemu+ssh: give the private key as the source's secret, a key file (keyfile= in the URI or the keyFile option), or run an ssh agent (SSH_AUTH_SOCK)",
  );
}

export interface SshConnectOptions {
  signal?: AbortSignal;
  connectTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  credentials?: SshCredentials;
}

export async function connectSsh(target: LibvirtTarget, options: SshConnectOptions): Promise<Duplex> {
  const credentials = options.credentials ?? {};
  const env = options.env ?? process.env;
  const policy = hostKeyPolicy(credentials);
  const auth = sshAuth(target, credentials, env);
  const command = remoteCommand(target);
  const host = target.host ?? "localhost";
  const port = target.port ?? 22;
  const username = target.user ?? credentials.username ?? os.userInfo().username;
  const where = `${username}@${host}:${port}`;
  const timeout = options.connectTimeoutMs ?? 30_000;

  const client = new Client();
  let presented: string | null = null;
  const config: ConnectConfig = {
    host,
    port,
    username,
    readyTimeout: timeout,
    keepaliveInterval: 30_000,
    hostVerifier: (key: Buffer) => {
      presented = hostKeyFingerprint(key);
      return policy.mode === "insecure" || presented === policy.fingerprint;
    },
    ...("agent" in auth ? { agent: auth.agent } : { privateKey: auth.privateKey, passphrase: auth.passphrase }),
  };

  const channel = await new Promise<ClientChannel>((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | null, result?: ClientChannel) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", abort);
      if (error) {
        client.end();
        client.destroy();
        reject(error);
      } else resolve(result!);
    };
    const abort = () => finish(new LibvirtConnectionError(`cannot connect to libvirt over ssh at ${where} (${target.uri}): aborted`));
    // readyTimeout covers the handshake; this also covers starting the remote command.
    const timer = setTimeout(
      () => finish(new LibvirtConnectionError(`cannot connect to libvirt over ssh at ${where} (${target.uri}): no connection in ${timeout} ms`)),
      timeout + 1000,
    );
    if (options.signal?.aborted) return abort();
    options.signal?.addEventListener("abort", abort, { once: true });

    client.on("error", (error: Error & { level?: string }) => {
      if (presented !== null && policy.mode === "pinned" && presented !== policy.fingerprint) {
        const message = policy.fingerprint
          ? `ssh host key of ${host}:${port} does not match the pinned fingerprint: expected ${policy.fingerprint}, ` +
            `the server presented ${presented}`
          : `ssh host key of ${host}:${port} is not trusted: no "hostKey" is pinned. Its fingerprint is ${presented}: ` +
            `if that is your server's key (check with \`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\` on the host), ` +
            `pin it as the "hostKey" option, or set "insecureHostKey": true`;
        return finish(new LibvirtHostKeyError(message, presented));
      }
      if (error.level === "client-authentication") {
        return finish(
          new LibvirtAuthError(
            `ssh to ${where} refused ${auth.method} (publickey): is the key in that user's authorized_keys?`,
          ),
        );
      }
      const code = (error as NodeJS.ErrnoException).code;
      const hint = code === "ECONNREFUSED" ? ": is sshd running and listening there?" : "";
      // Key parsing errors say nothing about the key's content, only that it could not be read.
      finish(
        new LibvirtConnectionError(`cannot connect to libvirt over ssh at ${where} (${target.uri}): ${error.message}${hint}`, {
          cause: error,
        }),
      );
    });
    client.on("ready", () => {
      client.exec(command, (error, stream) => {
        if (error) {
          return finish(new LibvirtConnectionError(`ssh to ${where} could not run the libvirt proxy: ${error.message}`, { cause: error }));
        }
        finish(null, stream);
      });
    });
    try {
      client.connect(config);
    } catch (error) {
      // ssh2 parses the key synchronously: a key it cannot read (or a wrong passphrase).
      finish(new LibvirtConfigurationError(`cannot use ${auth.method} for ssh: ${(error as Error).message}`));
    }
  });

  // The remote proxy's complaints (no socket, daemon down) become the stream's error.
  let stderr = "";
  channel.stderr.on("data", (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString("utf8");
  });
  channel.on("exit", (code: number | null) => {
    if (code !== 0 && code !== null) {
      const said = stderr.trim().replace(/\s+/g, " ");
      // Synchronously, before the channel's close: the RPC client reports the first failure it hears.
      channel.emit("error", new Error(`the libvirt proxy on ${host} exited with status ${code}${said ? `: ${said}` : ""}`));
      channel.destroy();
    }
  });
  channel.on("close", () => client.end());
  return channel;
}

/**
 * Byte streams to a libvirt daemon: unix socket, TCP, TLS with a client certificate, ssh (ssh.ts). TLS has one
 * trap: after the handshake the daemon sends a single check byte (1 = accepted) before any RPC.
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import { LibvirtConfigurationError, LibvirtConnectionError } from "./errors";
import { connectSsh, type SshCredentials } from "./ssh";
import { localSocketCandidates, type LibvirtTarget } from "./uri";

export interface TransportOptions {
  signal?: AbortSignal;
  connectTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** ssh: key, user and host key policy. */
  ssh?: SshCredentials;
}

function describe(target: LibvirtTarget, where: string): string {
  return `libvirt at ${where} (${target.uri})`;
}

function waitConnected(socket: net.Socket, event: "connect" | "secureConnect", what: string, options: TransportOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const timeout = options.connectTimeoutMs ?? 30_000;
    const timer = setTimeout(() => fail(new Error(`no connection in ${timeout} ms`)), timeout);
    const abort = () => fail(new Error("aborted"));
    const cleanup = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", abort);
      socket.removeListener("error", fail);
      socket.removeListener(event, ok);
    };
    function ok() {
      cleanup();
      resolve();
    }
    function fail(error: Error) {
      cleanup();
      socket.destroy();
      const code = (error as NodeJS.ErrnoException).code;
      const hint =
        code === "ECONNREFUSED" || code === "ENOENT"
          ? ": is the libvirt daemon running and listening there?"
          : "";
      reject(new LibvirtConnectionError(`cannot connect to ${what}: ${error.message}${hint}`, { cause: error }));
    }
    if (options.signal?.aborted) return fail(new Error("aborted"));
    options.signal?.addEventListener("abort", abort, { once: true });
    socket.once("error", fail);
    socket.once(event, ok);
  });
}

async function connectUnix(target: LibvirtTarget, options: TransportOptions): Promise<Duplex> {
  let socketPath = target.socket;
  if (!socketPath) {
    const candidates = localSocketCandidates(target, options.env);
    socketPath = candidates.find((p) => fs.existsSync(p)) ?? candidates[0]!;
  }
  const socket = net.createConnection({ path: socketPath });
  await waitConnected(socket, "connect", describe(target, socketPath), options);
  return socket;
}

async function connectTcp(target: LibvirtTarget, options: TransportOptions): Promise<Duplex> {
  const socket = net.createConnection({ host: target.host ?? "localhost", port: target.port ?? 16509 });
  await waitConnected(socket, "connect", describe(target, `${target.host}:${target.port}`), options);
  return socket;
}

function readPki(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new LibvirtConfigurationError(`cannot read ${file} for libvirt TLS: ${(error as Error).message}`);
  }
}

/** One byte from the stream, before RPC starts; the rest stays in the stream. */
function readCheckByte(socket: tls.TLSSocket, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onReadable = () => {
      const byte = socket.read(1) as Buffer | null;
      if (byte === null) return;
      cleanup();
      if (byte[0] === 1) resolve();
      else {
        socket.destroy();
        reject(new LibvirtConnectionError(`${what} refused the TLS client (check byte ${byte[0]}): is the client certificate's DN allowed (tls_allowed_dn_list)?`));
      }
    };
    const onEnd = () => {
      cleanup();
      reject(new LibvirtConnectionError(`${what} closed the connection after the TLS handshake: client certificate not accepted?`));
    };
    const cleanup = () => {
      socket.removeListener("readable", onReadable);
      socket.removeListener("end", onEnd);
      socket.removeListener("close", onEnd);
    };
    socket.on("readable", onReadable);
    socket.once("end", onEnd);
    socket.once("close", onEnd);
    onReadable();
  });
}

async function connectTls(target: LibvirtTarget, options: TransportOptions): Promise<Duplex> {
  const dir = target.pkipath;
  const ca = readPki(dir ? path.join(dir, "cacert.pem") : "/etc/pki/CA/cacert.pem");
  const cert = readPki(dir ? path.join(dir, "clientcert.pem") : "/etc/pki/libvirt/clientcert.pem");
  const key = readPki(dir ? path.join(dir, "clientkey.pem") : "/etc/pki/libvirt/private/clientkey.pem");
  const host = target.host ?? "localhost";
  const socket = tls.connect({
    host,
    port: target.port ?? 16514,
    ca,
    cert,
    key,
    servername: net.isIP(host) ? undefined : host,
    rejectUnauthorized: !target.noVerify,
  });
  const what = describe(target, `${host}:${target.port}`);
  await waitConnected(socket, "secureConnect", what, options);
  await readCheckByte(socket, what);
  return socket;
}

export async function openTransport(target: LibvirtTarget, options: TransportOptions = {}): Promise<Duplex> {
  switch (target.transport) {
    case "unix":
      return connectUnix(target, options);
    case "tcp":
      return connectTcp(target, options);
    case "tls":
      return connectTls(target, options);
    case "ssh":
      return connectSsh(target, { ...options, credentials: options.ssh });
  }
}

/**
 * TLS trust per source, shared by the collectors that speak https to a server with its own
 * certificate (vSphere, LXD): SHA-256 fingerprints, and an https Agent that checks each new
 * connection's certificate after the handshake and before the socket is handed to the request, so
 * nothing (no password, no request) reaches a server that fails the check. The check is the
 * collector's own (its policy and its words); it applies to that source's Agent only, never
 * process-wide (no NODE_TLS_REJECT_UNAUTHORIZED).
 */
import { createHash } from "node:crypto";
import https from "node:https";
import type { Duplex } from "node:stream";
import tls from "node:tls";

/**
 * "ab:cd:..." or "abcd..." (SHA-256: 64 hex digits, any case, colons or spaces, optional "sha256:"
 * prefix) as "AB:CD:..."; null when it is not a SHA-256 fingerprint.
 */
export function normaliseFingerprint(text: string): string | null {
  const hex = text.trim().replace(/^sha-?256[:/ ]?/i, "").replace(/[\s:]/g, "");
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return null;
  return hex.toUpperCase().match(/../g)!.join(":");
}

/** The SHA-256 fingerprint of a DER certificate, as "AB:CD:...". */
export function certificateFingerprint(der: Buffer): string {
  return createHash("sha256").update(der).digest("hex").toUpperCase().match(/../g)!.join(":");
}

/** The presented certificate's fingerprint, or null when the server presented none. */
export function peerFingerprint(socket: tls.TLSSocket): string | null {
  const certificate = socket.getPeerCertificate();
  return certificate?.raw ? certificateFingerprint(certificate.raw) : null;
}

/** How a server's certificate is trusted: verified against the system's CAs, or pinned by its SHA-256 fingerprint. */
export type CertificateTrust = { mode: "verify" } | { mode: "fingerprint"; sha256: string };

/**
 * Why a freshly connected socket's certificate is refused under `trust`, or null: a pinned
 * fingerprint that differs, or a certificate the system's CAs do not vouch for (`advice` says, in
 * the collector's words, what to do about that fingerprint).
 */
export function refusedCertificate(
  socket: tls.TLSSocket,
  trust: CertificateTrust,
  where: string,
  advice: (fingerprint: string) => string,
): { message: string; fingerprint: string | null } | null {
  const fingerprint = peerFingerprint(socket);
  if (trust.mode === "fingerprint") {
    if (fingerprint === trust.sha256) return null;
    return {
      message: `TLS certificate of ${where} does not match the pinned fingerprint: expected ${trust.sha256}, the server presented ${fingerprint ?? "no certificate"}`,
      fingerprint,
    };
  }
  if (socket.authorized) return null;
  return { message: `TLS certificate of ${where} is not trusted (${String(socket.authorizationError)}). ${advice(fingerprint ?? "unknown")}`, fingerprint };
}

/** Why a connection failed, by its system error code, in words for the collectors' errors. */
export const CONNECTION_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOENT: "no such socket",
  EACCES: "permission denied",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
  EPIPE: "connection closed",
};

/**
 * An https Agent that applies one source's check to every connection it makes: `check` returns why
 * a freshly connected socket is refused, or null. Destroying it ends every socket it opened.
 */
export class CheckedTlsAgent extends https.Agent {
  private readonly open = new Set<Duplex>();

  constructor(
    private readonly check: (socket: tls.TLSSocket) => Error | null,
    options: https.AgentOptions = {},
  ) {
    super({ keepAlive: true, maxSockets: 4, maxCachedSessions: 0, ...options });
  }

  override createConnection(
    options: https.RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const socket = tls.connect({ ...(options as tls.ConnectionOptions), rejectUnauthorized: false });
    this.open.add(socket);
    socket.once("close", () => this.open.delete(socket));
    // Handed to the request only once checked (or failed): the callback runs exactly once.
    let handed = false;
    const hand = (error: Error | null) => {
      if (handed) return;
      handed = true;
      callback?.(error, socket);
    };
    socket.on("error", hand);
    socket.once("secureConnect", () => {
      const refused = this.check(socket);
      if (refused) socket.destroy();
      hand(refused);
    });
    return undefined;
  }

  override destroy() {
    super.destroy();
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }
}

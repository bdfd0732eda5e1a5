/**
 * What the HTTP server checks before Next.js sees a request:
 * - the client's address comes from the socket; X-Forwarded-For (and -Host, -Proto) are believed
 *   only from the proxies named in FLEETLENS_TRUSTED_PROXIES, and the address handed on is the
 *   right-most one that is not a trusted proxy. Whatever a client sends is replaced, so the sign-in
 *   throttle and the audit log see the real address;
 * - request bodies have a size limit (sign-in and other auth calls far less than the API, file
 *   uploads to a source far more), checked
 *   on the declared length before Next.js reads anything; a body without a declared length is
 *   refused. (serve.ts drops what a refused client still sends, never keeping it.)
 */
import { type BlockList, isIP } from "node:net";
import { setting, trustedProxies, type Env } from "../config";

export interface GateSettings {
  trustedProxies: BlockList;
  /** Bodies of /api/auth/* (sign-in, password change). */
  maxAuthBody: number;
  /** Files uploaded to a source (POST /api/sources/<id>/upload): an RVTools export. */
  maxUploadBody: number;
  /** Snapshots pushed by a remote collector (POST /api/sources/<id>/snapshot); else maxUploadBody. */
  maxSnapshotBody?: number;
  /** Every other body. */
  maxBody: number;
}

export const DEFAULT_MAX_AUTH_BODY = 64 * 1024;
export const DEFAULT_MAX_BODY = 1024 * 1024;
/** Larger than any real RVTools export (50,000 VMs: ~100 MB as .xlsx); enforced again as the bytes arrive. */
export const MAX_UPLOAD_BYTES = 256 * 1024 * 1024;
const UPLOAD_PATH = /^\/api\/sources\/[0-9a-f-]{36}\/upload(?:\?|$)/i;
const SNAPSHOT_PATH = /^\/api\/sources\/[0-9a-f-]{36}\/snapshot(?:\?|$)/i;

/** "10.0.0.0/8, 192.168.1.10, ::1" → a BlockList; a malformed entry is an error naming it. */
export function parseTrustedProxies(value: string | undefined): BlockList {
  return trustedProxies({ FLEETLENS_TRUSTED_PROXIES: value });
}

export function gateSettings(env: Env = process.env): GateSettings {
  return {
    trustedProxies: trustedProxies(env),
    maxAuthBody: DEFAULT_MAX_AUTH_BODY,
    maxUploadBody: MAX_UPLOAD_BYTES,
    maxSnapshotBody: setting("FLEETLENS_MAX_SNAPSHOT_MB", env) * 1024 * 1024,
    maxBody: DEFAULT_MAX_BODY,
  };
}

/** ::ffff:10.1.2.3 (IPv4 on an IPv6 socket) → 10.1.2.3. */
export function normaliseAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

function trusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return list.check(address, family === 6 ? "ipv6" : "ipv4");
}

/**
 * The client's address: the socket's peer, unless that peer is a trusted proxy; then the
 * right-most X-Forwarded-For entry that is not a trusted proxy (entries left of it were written
 * by whoever sent the request and prove nothing).
 */
export function clientAddress(socketAddress: string, forwardedFor: string | undefined, list: BlockList): string {
  const peer = normaliseAddress(socketAddress);
  if (!trusted(list, peer) || !forwardedFor) return peer;
  const hops = forwardedFor.split(",").map((h) => normaliseAddress(h.trim())).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) return peer; // garbage in the chain: believe only the proxy itself
    if (!trusted(list, hop)) return hop;
  }
  return hops[0] ?? peer;
}

export interface GateRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  socketAddress: string;
}

export interface Refusal {
  status: number;
  message: string;
}

/**
 * Rewrites the forwarding headers of `request` in place and says whether to refuse it (413, 411,
 * 400) from its headers alone.
 */
export function gate(request: GateRequest, settings: GateSettings): Refusal | null {
  const headers = request.headers;
  const fromProxy = trusted(settings.trustedProxies, normaliseAddress(request.socketAddress));
  const forwarded = Array.isArray(headers["x-forwarded-for"])
    ? headers["x-forwarded-for"].join(",")
    : headers["x-forwarded-for"];
  headers["x-forwarded-for"] = clientAddress(request.socketAddress, forwarded, settings.trustedProxies);
  delete headers["x-real-ip"];
  if (!fromProxy) {
    // Next.js fills these in from the request itself when they are absent.
    delete headers["x-forwarded-host"];
    delete headers["x-forwarded-proto"];
    delete headers["x-forwarded-port"];
  }

  const method = request.method.toUpperCase();
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return null;
  const limit = request.url.startsWith("/api/auth/")
    ? settings.maxAuthBody
    : UPLOAD_PATH.test(request.url)
      ? settings.maxUploadBody
      : SNAPSHOT_PATH.test(request.url)
        ? (settings.maxSnapshotBody ?? settings.maxUploadBody)
        : settings.maxBody;
  const lengthHeader = headers["content-length"];
  const chunked = /chunked/i.test(String(headers["transfer-encoding"] ?? ""));
  if (lengthHeader === undefined) {
    return chunked
      ? { status: 411, message: "a request body needs a Content-Length header" }
      : null; // no body at all
  }
  const length = Number(lengthHeader);
  if (!Number.isSafeInteger(length) || length < 0) return { status: 400, message: "bad Content-Length" };
  if (length > limit) {
    return { status: 413, message: `request body too large: ${length} bytes, the limit here is ${limit}` };
  }
  return null;
}

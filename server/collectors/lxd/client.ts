/**
 * LXD's REST API (https://documentation.ubuntu.com/lxd/en/latest/rest-api/), read-only: GET only,
 * over the unix socket (unix:///var/snap/lxd/common/lxd/unix.socket) or https://host:8443 with a
 * client certificate the server trusts (`lxc config trust add`).
 *
 * The server's certificate is checked after the TLS handshake and before the socket is handed to the
 * request, so no request reaches a server that fails the check: pinned by its SHA-256 fingerprint (the
 * way LXD's own client trusts a self-signed server on first use), or verified against the system's CAs.
 * The policy applies to this source's Agent only, never process-wide.
 *
 * Every answer is LXD's envelope: {type: "sync", status_code: 200, metadata} or {type: "error",
 * error_code, error}; GET never starts an operation.
 */
import http from "node:http";
import https from "node:https";
import { StringDecoder } from "node:string_decoder";
import tls from "node:tls";
import { z } from "zod";
import { CheckedTlsAgent, CONNECTION_CODES, refusedCertificate, type CertificateTrust } from "../tls";

export class LxdError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LxdError";
  }
}
/** Options that cannot work (a malformed fingerprint, a key without a certificate). */
export class LxdConfigurationError extends LxdError {
  constructor(message: string) {
    super(message);
    this.name = "LxdConfigurationError";
  }
}
/** The server did not answer: refused, unreachable, no socket, timed out. */
export class LxdConnectionError extends LxdError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LxdConnectionError";
  }
}
/** The server's certificate is not the pinned one, or not trusted. */
export class LxdTlsError extends LxdError {
  constructor(
    message: string,
    /** SHA-256 fingerprint of the certificate the server presented ("AB:CD:..."), when known. */
    readonly fingerprint: string | null,
  ) {
    super(message);
    this.name = "LxdTlsError";
  }
}
/** LXD answered with an error (not trusted, not found, ...). */
export class LxdApiError extends LxdError {
  constructor(
    readonly path: string,
    readonly code: number,
    readonly error: string,
  ) {
    super(`LXD refused GET ${path}: ${error || "error"} (${code})`);
    this.name = "LxdApiError";
  }
}
/** The answer is not what LXD sends: not JSON, not its envelope, a document of the wrong shape. */
export class LxdProtocolError extends LxdError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LxdProtocolError";
  }
}

/**
 * PEM text as TLS reads it: a certificate or key pasted into a one-line form field loses its line
 * breaks, so each block's base64 is re-wrapped at 64 characters between its BEGIN and END lines.
 */
export function normalisePem(text: string): string {
  const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)];
  if (blocks.length === 0) return text;
  return blocks
    .map(([, label, body]) => {
      const base64 = body!.replace(/\s+/g, "");
      return `-----BEGIN ${label}-----\n${base64.match(/.{1,64}/g)?.join("\n") ?? ""}\n-----END ${label}-----\n`;
    })
    .join("");
}

export type LxdEndpoint = { kind: "unix"; socketPath: string; where: string } | { kind: "https"; url: URL; where: string };

/** unix:///path/unix.socket or https://host[:8443]; anything else is a configuration error. */
export function parseLxdEndpoint(endpoint: string): LxdEndpoint {
  const text = endpoint.trim();
  if (/^unix:\/\//i.test(text)) {
    const socketPath = text.replace(/^unix:\/\//i, "");
    if (!socketPath.startsWith("/")) {
      throw new LxdConfigurationError(`the unix socket must be an absolute path: unix:///path/unix.socket, not "${endpoint}"`);
    }
    return { kind: "unix", socketPath, where: socketPath };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new LxdConfigurationError(`not an LXD endpoint: "${endpoint}" (unix:///path/unix.socket or https://host:8443)`);
  }
  if (url.protocol !== "https:") {
    throw new LxdConfigurationError(`LXD's API is served over https or its unix socket, not ${url.protocol}//`);
  }
  if (url.pathname !== "/" && url.pathname !== "") {
    throw new LxdConfigurationError(`an LXD endpoint is https://host[:port] without a path, not "${endpoint}"`);
  }
  if (!url.port) url.port = "8443";
  return { kind: "https", url, where: url.host };
}

/** Checks a freshly connected TLS socket against the policy; returns why it is refused, or null. */
function checkPeer(socket: tls.TLSSocket, policy: CertificateTrust, where: string): LxdTlsError | null {
  const refused = refusedCertificate(
    socket,
    policy,
    where,
    (fingerprint) =>
      `LXD's own certificate is self-signed: its SHA-256 fingerprint is ${fingerprint}; if that is your server's ` +
      `(lxc info shows certificate_fingerprint), pin it (source option "fingerprint", CLI --fingerprint)`,
  );
  return refused ? new LxdTlsError(refused.message, refused.fingerprint) : null;
}

/** Answers larger than this are refused. */
const MAX_ANSWER_BYTES = 256 * 1024 * 1024;


const envelope = z.object({
  type: z.string(),
  status_code: z.number().optional(),
  error_code: z.number().optional(),
  error: z.string().optional(),
  metadata: z.unknown(),
});

export interface LxdClientOptions {
  endpoint: LxdEndpoint;
  tls: CertificateTrust;
  /** PEM client certificate and key (https only). */
  credentials: { cert: string; key: string } | null;
  requestTimeoutMs: number;
  signal: AbortSignal;
}

/** One endpoint, one Agent: close() when done. */
export class LxdClient {
  private readonly agent: http.Agent;
  readonly where: string;

  constructor(private readonly options: LxdClientOptions) {
    const { endpoint } = options;
    this.where = endpoint.where;
    this.agent =
      endpoint.kind === "https"
        ? new CheckedTlsAgent((socket) => checkPeer(socket, options.tls, endpoint.where), options.credentials ?? {})
        : new http.Agent({ keepAlive: true, maxSockets: 4 });
  }

  close() {
    this.agent.destroy();
  }

  /** GET path (with its query), the metadata of a sync answer checked against `schema`. */
  async get<T extends z.ZodType>(path: string, schema: T): Promise<z.output<T>> {
    const { status, text } = await this.request(path);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new LxdProtocolError(`GET ${path}: the answer from ${this.where} is not JSON (HTTP ${status})`, { cause: error });
    }
    const parsed = envelope.safeParse(body);
    if (!parsed.success) {
      throw new LxdProtocolError(`GET ${path}: the answer from ${this.where} is not an LXD response (HTTP ${status})`);
    }
    const answer = parsed.data;
    if (answer.type === "error" || status >= 400) {
      throw new LxdApiError(path, answer.error_code ?? status, answer.error ?? "");
    }
    if (answer.type !== "sync") {
      throw new LxdProtocolError(`GET ${path}: expected a sync answer from ${this.where}, got "${answer.type}"`);
    }
    const document = schema.safeParse(answer.metadata);
    if (!document.success) {
      const issue = document.error.issues[0]!;
      const at = issue.path.length > 0 ? issue.path.join(".") : "(root)";
      const more = document.error.issues.length > 1 ? ` (and ${document.error.issues.length - 1} more)` : "";
      throw new LxdProtocolError(`GET ${path}: malformed answer from ${this.where}: metadata.${at}: ${issue.message}${more}`);
    }
    return document.data;
  }

  /** Sends one GET and returns the raw answer. */
  request(path: string): Promise<{ status: number; text: string }> {
    const { endpoint, requestTimeoutMs, signal } = this.options;
    signal.throwIfAborted();
    const timeout = AbortSignal.timeout(requestTimeoutMs);
    const combined = AbortSignal.any([signal, timeout]);
    const headers = { accept: "application/json", "user-agent": "Fleetlens lxd collector" };
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        reject(this.describe(error, path, signal, timeout, requestTimeoutMs));
      };
      const onResponse = (res: http.IncomingMessage) => {
        const decoder = new StringDecoder("utf8");
        const parts: string[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) {
            fail(new LxdProtocolError(`GET ${path}: the answer from ${this.where} exceeds ${MAX_ANSWER_BYTES >> 20} MiB`));
            req.destroy();
            return;
          }
          parts.push(decoder.write(chunk));
        });
        res.on("error", fail);
        res.on("end", () => {
          if (settled) return;
          settled = true;
          parts.push(decoder.end());
          resolve({ status: res.statusCode ?? 0, text: parts.join("") });
        });
      };
      const req =
        endpoint.kind === "unix"
          ? http.request(
              { socketPath: endpoint.socketPath, path, method: "GET", host: "lxd", agent: this.agent, headers, signal: combined },
              onResponse,
            )
          : https.request(new URL(path, endpoint.url), { method: "GET", agent: this.agent, headers, signal: combined }, onResponse);
      req.on("error", fail);
      req.end();
    });
  }

  private describe(error: unknown, path: string, signal: AbortSignal, timeout: AbortSignal, ms: number) {
    if (signal.aborted) return signal.reason instanceof Error ? signal.reason : new Error("collection cancelled");
    if (timeout.aborted) return new LxdConnectionError(`GET ${path}: no answer from ${this.where} within ${Math.round(ms / 1000)} s`);
    if (error instanceof LxdError) return error;
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code && code in CONNECTION_CODES) {
      return new LxdConnectionError(`cannot reach LXD at ${this.where}: ${CONNECTION_CODES[code]} (${code})`, { cause: error });
    }
    if (code?.startsWith("ERR_TLS") || code?.startsWith("ERR_SSL") || /SSL|TLS/.test(String(code))) {
      return new LxdTlsError(`TLS handshake with ${this.where} failed (${code})`, null);
    }
    const message = error instanceof Error ? error.message : String(error);
    return new LxdConnectionError(`GET ${path}: request to ${this.where} failed: ${message}`, { cause: error });
  }
}

/**
 * Fetching from one engine: GET requests through dockerode's modem, each answer checked against
 * its schema (api.ts), and every failure turned into a message that names the endpoint and what
 * failed, without key material.
 */
import type { IncomingMessage } from "node:http";
import Docker from "dockerode";
import type { z } from "zod";
import { redact, type EngineConnection } from "./endpoint";

/** An engine answered 404: the object is gone (e.g. removed between list and inspect). */
export class EngineNotFoundError extends Error {
  constructor(readonly what: string) {
    super(`${what}: not found`);
    this.name = "EngineNotFoundError";
  }
}

export class DockerCollectError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DockerCollectError";
  }
}

interface ModemError extends Error {
  statusCode?: number;
  code?: string;
  json?: unknown;
}

const TLS_CODES = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|EPROTO$|HOSTNAME_MISMATCH|ERR_OSSL_)/;

/** Why a request failed, in words an operator can act on. */
function reason(error: ModemError): string {
  const code = error.code ?? "";
  if (error.statusCode) {
    const detail = error.message.replace(/^\(HTTP code \d+\)\s*/, "").trim();
    return `HTTP ${error.statusCode}: ${detail}`;
  }
  if (TLS_CODES.test(code) || /ssl|tls|certificate/i.test(error.message)) {
    return `TLS failed: ${error.message}${code && !error.message.includes(code) ? ` (${code})` : ""}`;
  }
  switch (code) {
    case "ENOENT":
      return `no socket there (${error.message})`;
    case "ECONNREFUSED":
      return `connection refused (${error.message})`;
    case "EACCES":
      return `permission denied (${error.message})`;
    case "ECONNRESET":
      return `connection reset by the engine (${error.message})`;
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `cannot reach the engine (${error.message})`;
    default:
      if (error.message === "socket hang up") return "the engine closed the connection (socket hang up)";
      return error.message || code || String(error);
  }
}

/** At most `limit` holders at a time; the others wait in line. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    return () => {
      this.active -= 1;
      this.waiting.shift()?.();
    };
  }
}

export class EngineClient {
  readonly docker: Docker;
  private readonly display: string;
  private readonly secrets: string[];
  private readonly slots: Semaphore;

  /** `concurrency` bounds the per-object requests in flight (getBounded). */
  constructor(
    readonly connection: EngineConnection,
    private readonly signal: AbortSignal,
    version?: string,
    concurrency = Number.POSITIVE_INFINITY,
  ) {
    this.slots = new Semaphore(concurrency);
    this.display = connection.endpoint.display;
    this.secrets = connection.secrets;
    try {
      this.docker = new Docker({ ...connection.modemOptions, version: version ? `v${version}` : undefined } as Docker.DockerOptions);
    } catch (error) {
      throw this.failure("setting up the client", error);
    }
  }

  /**
   * The endpoint and what failed, in one message without secrets. `started` (performance.now() when
   * the request went out) tells docker-modem's own deadline apart: it ends a request the engine took
   * but never answered by destroying it, which reads as "socket hang up" unless said otherwise.
   */
  failure(what: string, error: unknown, started?: number): DockerCollectError {
    if (this.signal.aborted) {
      const why = this.signal.reason instanceof Error ? this.signal.reason.message : String(this.signal.reason);
      return new DockerCollectError(`docker ${this.display}: collection aborted (${why})`);
    }
    const deadline = (this.connection.modemOptions as { connectionTimeout?: number }).connectionTimeout;
    if (
      started !== undefined &&
      deadline !== undefined &&
      error instanceof Error &&
      error.message === "socket hang up" &&
      performance.now() - started >= deadline - 50
    ) {
      return new DockerCollectError(
        `docker ${this.display}: ${what} failed: no answer within ${deadline / 1000} s (the endpoint took the connection ` +
          `and sent nothing back: a hung engine, or a port that is not the Engine API; option connectTimeoutMs)`,
      );
    }
    const message = error instanceof Error ? reason(error as ModemError) : String(error);
    return new DockerCollectError(redact(`docker ${this.display}: ${what} failed: ${message}`, this.secrets));
  }

  /**
   * GET a document and check it against its schema. A 404 becomes an EngineNotFoundError (the
   * caller decides whether that skips an object); anything else a DockerCollectError.
   */
  async get<T extends z.ZodType>(
    path: string,
    schema: T,
    what: string,
    query?: Record<string, string | number | boolean>,
    timeoutMs?: number,
  ): Promise<z.output<T>> {
    return this.request(path, schema, what, query, timeoutMs);
  }

  /** As get(), but waits for one of the `concurrency` slots first: for the per-object requests. */
  async getBounded<T extends z.ZodType>(path: string, schema: T, what: string): Promise<z.output<T>> {
    const release = await this.slots.acquire();
    try {
      return await this.request(path, schema, what);
    } finally {
      release();
    }
  }

  /** GET /_ping, for its headers (Api-Version, Libpod-Api-Version, Server). */
  async ping(): Promise<IncomingMessage["headers"]> {
    if (this.signal.aborted) throw this.failure("GET /_ping", this.signal.reason);
    const started = performance.now();
    try {
      return await new Promise((resolve, reject) => {
        this.docker.modem.dial(
          {
            path: "/_ping",
            method: "GET",
            options: {},
            isStream: true,
            abortSignal: this.signal,
            statusCodes: { 200: true, 500: "server error" },
          },
          (error, response) => {
            if (error) return reject(error);
            const res = response as IncomingMessage;
            res.resume();
            resolve(res.headers);
          },
        );
      });
    } catch (error) {
      throw this.failure("GET /_ping", error, started);
    }
  }

  private async request<T extends z.ZodType>(
    path: string,
    schema: T,
    what: string,
    query?: Record<string, string | number | boolean>,
    timeoutMs?: number,
  ): Promise<z.output<T>> {
    if (this.signal.aborted) throw this.failure(what, this.signal.reason);
    // A request of its own deadline (e.g. stats, which Docker answers only at its next sampling
    // cycle) follows the collection's signal too.
    const timeout = timeoutMs === undefined ? null : AbortSignal.timeout(timeoutMs);
    const signal = timeout ? AbortSignal.any([this.signal, timeout]) : this.signal;
    let body: unknown;
    const started = performance.now();
    try {
      body = await new Promise<unknown>((resolve, reject) => {
        this.docker.modem.dial(
          {
            // docker-modem appends `options` as the query string to a path that ends in "?".
            path: query ? `${path}?` : path,
            method: "GET",
            options: query ? { ...query } : {},
            abortSignal: signal,
            statusCodes: { 200: true, 404: "not found", 500: "server error" },
          },
          (error, data) => (error ? reject(error) : resolve(data)),
        );
      });
    } catch (error) {
      if ((error as ModemError).statusCode === 404) throw new EngineNotFoundError(what);
      if (timeout?.aborted && !this.signal.aborted) {
        throw new DockerCollectError(`docker ${this.display}: ${what} failed: no answer within ${timeoutMs! / 1000} s`);
      }
      throw this.failure(what, error, started);
    }
    // docker-modem hands back the raw bytes when the body is not JSON.
    if (Buffer.isBuffer(body)) {
      throw new DockerCollectError(
        `docker ${this.display}: ${what} failed: the engine sent malformed JSON (${body.length} bytes that do not parse)`,
      );
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.map(String).join(".") || "(document)"}: ${i.message}`)
        .join("; ");
      throw new DockerCollectError(`docker ${this.display}: ${what} failed: unexpected document (${issues})`);
    }
    return parsed.data;
  }
}

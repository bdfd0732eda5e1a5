/**
 * SOAP over HTTPS to a vSphere endpoint (https://vcenter/sdk): envelopes, the session cookie,
 * faults as typed errors, TLS trust per source, timeouts and cancellation.
 *
 * Requests go through node:https with an Agent of this source's own (Node's fetch is undici, whose
 * Agent is not importable without installing undici): the TLS policy applies to this source only,
 * never process-wide (no NODE_TLS_REJECT_UNAUTHORIZED). The certificate is checked after the
 * handshake and before the socket is handed to the request, so nothing (no password) is sent to a
 * server that fails the check.
 */
import http from "node:http";
import https from "node:https";
import { StringDecoder } from "node:string_decoder";
import tls from "node:tls";
import zlib from "node:zlib";
import {
  VsphereConnectionError,
  VsphereFaultError,
  VsphereProtocolError,
  VsphereTlsError,
} from "./errors";
import { CheckedTlsAgent, CONNECTION_CODES, refusedCertificate, type CertificateTrust } from "../tls";
import { child, parseXml, XmlSyntaxError, type ElementHandler, type XmlElement } from "./xml";

/** How the server's certificate is trusted. */
export type TlsPolicy = CertificateTrust | { mode: "insecure" };

export interface TransportOptions {
  /** The SDK URL, e.g. https://vcenter.example/sdk. */
  url: URL;
  tls: TlsPolicy;
  /** Time limit for one request (connect, answer, body). */
  requestTimeoutMs: number;
  /** Cancels everything in flight. */
  signal: AbortSignal;
}

/** Answers larger than this are refused (a V8 string holds at most ~512 MiB): page smaller. */
const MAX_ANSWER_BYTES = 400 * 1024 * 1024;

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) =>
    c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === "&" ? "&amp;" : c === '"' ? "&quot;" : "&apos;",
  );
}

/** Checks a freshly connected TLS socket against the policy; returns why it is refused, or null. */
function checkPeer(socket: tls.TLSSocket, policy: TlsPolicy, where: string): VsphereTlsError | null {
  if (policy.mode === "insecure") return null;
  const refused = refusedCertificate(
    socket,
    policy,
    where,
    (fingerprint) =>
      `Its SHA-256 fingerprint is ${fingerprint}: if that is your server's certificate, pin it (source option ` +
      `"fingerprint", CLI --fingerprint), or skip verification explicitly (option "insecure", CLI --insecure)`,
  );
  return refused ? new VsphereTlsError(refused.message, refused.fingerprint) : null;
}

export interface SoapCallOptions {
  /** Consumes large answers piece by piece (see parseXml). */
  onElementEnd?: ElementHandler;
  /** Instead of the transport's signal: lets Logout run after the collection was cancelled. */
  signal?: AbortSignal;
}

/** One endpoint, one session cookie, one Agent: close() when done. */
export class SoapTransport {
  private readonly agent: http.Agent;
  private readonly where: string;
  private cookie: string | null = null;
  /** The vim25 version in SOAPAction; set from the server's apiVersion once known. */
  apiVersion = "6.0";

  constructor(private readonly options: TransportOptions) {
    const { url } = options;
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new VsphereProtocolError(`not an http(s) URL: ${url.protocol}//${url.host}`);
    }
    this.where = url.host;
    this.agent =
      url.protocol === "https:"
        ? new CheckedTlsAgent((socket) => checkPeer(socket, options.tls, this.where))
        : new http.Agent({ keepAlive: true, maxSockets: 4 });
  }

  get hasSession() {
    return this.cookie !== null;
  }

  clearSession() {
    this.cookie = null;
  }

  close() {
    this.agent.destroy();
  }

  /**
   * Calls one vim25 method. `body` is the XML inside the method element (escaped by the caller).
   * Returns the method's response element (e.g. <RetrievePropertiesExResponse>).
   */
  async call(method: string, body: string, options: SoapCallOptions = {}): Promise<XmlElement> {
    const { status, text } = await this.request(method, body, options.signal);
    let root: XmlElement;
    try {
      root = parseXml(text, options.onElementEnd);
    } catch (error) {
      if (error instanceof XmlSyntaxError) {
        const hint = status === 200 ? "" : ` (HTTP ${status})`;
        throw new VsphereProtocolError(
          `${method}: the answer from ${this.where} is not valid XML${hint}: ${error.message}`,
          { cause: error },
        );
      }
      throw error;
    }
    const soapBody = root.name === "Envelope" ? child(root, "Body") : undefined;
    if (!soapBody) {
      throw new VsphereProtocolError(`${method}: the answer from ${this.where} is not a SOAP envelope (HTTP ${status})`);
    }
    const fault = child(soapBody, "Fault");
    if (fault) throw parseFault(fault, method);
    if (status !== 200) {
      throw new VsphereProtocolError(`${method}: HTTP ${status} from ${this.where} without a SOAP fault`);
    }
    const response = child(soapBody, `${method}Response`);
    if (!response) {
      throw new VsphereProtocolError(`${method}: the answer from ${this.where} has no <${method}Response>`);
    }
    return response;
  }

  /** Sends one call and returns the raw answer, unparsed (call() parses it; the bench times it bare). */
  request(method: string, body: string, signal = this.options.signal): Promise<{ status: number; text: string }> {
    const envelope =
      `<?xml version="1.0" encoding="UTF-8"?>` +
      `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ` +
      `xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
      `<soapenv:Body><${method} xmlns="urn:vim25">${body}</${method}></soapenv:Body></soapenv:Envelope>`;
    const { url, requestTimeoutMs } = this.options;
    signal.throwIfAborted();
    const timeout = AbortSignal.timeout(requestTimeoutMs);
    const combined = AbortSignal.any([signal, timeout]);
    const payload = Buffer.from(envelope, "utf8");
    const headers: http.OutgoingHttpHeaders = {
      "content-type": "text/xml; charset=utf-8",
      "content-length": payload.length,
      soapaction: `"urn:vim25/${this.apiVersion}"`,
      "accept-encoding": "gzip, deflate",
      "user-agent": "Fleetlens vsphere collector",
    };
    if (this.cookie) headers.cookie = this.cookie;
    const send = url.protocol === "https:" ? https.request : http.request;

    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        reject(this.describe(error, method, signal, timeout, requestTimeoutMs));
      };
      const req = send(
        url,
        { method: "POST", agent: this.agent, headers, signal: combined },
        (res) => {
          this.rememberCookie(res.headers["set-cookie"]);
          const encoding = String(res.headers["content-encoding"] ?? "").toLowerCase();
          const stream =
            encoding === "gzip"
              ? res.pipe(zlib.createGunzip())
              : encoding === "deflate"
                ? res.pipe(zlib.createInflate())
                : res;
          // Decoded chunk by chunk: no second copy of a large answer as one Buffer.
          const decoder = new StringDecoder("utf8");
          const parts: string[] = [];
          let size = 0;
          stream.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES) {
              fail(
                new VsphereProtocolError(
                  `${method}: the answer from ${this.where} exceeds ${MAX_ANSWER_BYTES >> 20} MiB: lower the page size (option "pageSize")`,
                ),
              );
              req.destroy();
              return;
            }
            parts.push(decoder.write(chunk));
          });
          stream.on("error", fail);
          res.on("error", fail);
          stream.on("end", () => {
            if (settled) return;
            settled = true;
            parts.push(decoder.end());
            resolve({ status: res.statusCode ?? 0, text: parts.join("") });
          });
        },
      );
      req.on("error", fail);
      req.end(payload);
    });
  }

  private rememberCookie(setCookie: string[] | undefined) {
    for (const line of setCookie ?? []) {
      const pair = line.split(";")[0]?.trim();
      if (pair?.startsWith("vmware_soap_session=")) this.cookie = pair;
    }
  }

  private describe(error: unknown, method: string, signal: AbortSignal, timeout: AbortSignal, ms: number) {
    if (signal.aborted) return signal.reason instanceof Error ? signal.reason : new Error("collection cancelled");
    if (timeout.aborted) {
      return new VsphereConnectionError(`${method}: no answer from ${this.where} within ${Math.round(ms / 1000)} s`);
    }
    if (error instanceof VsphereTlsError || error instanceof VsphereProtocolError) return error;
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code && code in CONNECTION_CODES) {
      return new VsphereConnectionError(`cannot reach ${this.where}: ${CONNECTION_CODES[code]} (${code})`, {
        cause: error,
      });
    }
    if (code?.startsWith("ERR_TLS") || code?.startsWith("ERR_SSL") || /SSL|TLS/.test(String(code))) {
      return new VsphereTlsError(`TLS handshake with ${this.where} failed (${code})`, null);
    }
    const message = error instanceof Error ? error.message : String(error);
    return new VsphereConnectionError(`${method}: request to ${this.where} failed: ${message}`, { cause: error });
  }
}

/** A <soapenv:Fault> as a typed error: the vim25 fault type comes from detail's xsi:type. */
export function parseFault(fault: XmlElement, method: string): VsphereFaultError {
  const faultString = child(fault, "faultstring")?.text.trim() ?? "";
  const detail = child(fault, "detail");
  const first = detail?.children[0];
  const faultType = first ? first.xsiType || first.name.replace(/Fault$/, "") : "";
  return new VsphereFaultError(faultType, faultString, method);
}

/**
 * /api/trpc served by the HTTP server itself (serve.ts), not through Next.js: the same handler as
 * the Next.js route (server/api/http.ts), with the security headers next.config.js gives every API
 * answer, and gzip for answers of 1 KiB or more when the client takes it. Next.js' request handling
 * (routing, its request and response objects, a gzip stream made for every answer, however small)
 * was a third of a small call's time in the dashboard process (bench/api.ts, 20 clients).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { incomingMessageToRequest } from "@trpc/server/adapters/node-http";
import { trpcHandler } from "../api/http";
import { reportInternalError } from "../api/errors";
import { spliceKeptAnswers, withKeptMarks } from "../api/kept-answers";
import securityHeaders from "./security-headers.json";

const gzip = promisify(zlib.gzip);
/** Smaller answers are sent as they are: gzip would cost more time than the bytes it saves. */
const GZIP_FROM = 1024;

/** Whether the request is for the tRPC endpoint (/api/trpc/<procedure>[?…]). */
export function isTrpcRequest(url: string): boolean {
  return url.startsWith("/api/trpc/") || url === "/api/trpc" || url.startsWith("/api/trpc?");
}

/** Whether the client takes gzip (Accept-Encoding lists it with a q above 0). */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(",") : (header ?? "");
  return value.split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    if (coding !== "gzip" && coding !== "*") return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** One call's answer of a kept answer, gzipped once (the same bytes every time while the answer lives). */
const keptGzipped = new WeakMap<object, Promise<Buffer>>();
function keptGzip(answer: object, body: Buffer): Promise<Buffer> {
  let gzipped = keptGzipped.get(answer);
  if (!gzipped) {
    gzipped = gzip(body, { level: 1 });
    keptGzipped.set(answer, gzipped);
    gzipped.catch(() => keptGzipped.delete(answer));
  }
  return gzipped;
}

export async function serveTrpc(req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    // The body's size was checked by the gate (its declared length) before this point.
    // Kept answers (kept-answers.ts) go through tRPC as marks and are spliced in as the JSON text made once.
    const { result: response, marks } = await withKeptMarks(async () => {
      const answer = await trpcHandler(incomingMessageToRequest(req, res, { maxBodySize: null }));
      return { status: answer.status, headers: answer.headers, body: Buffer.from(await answer.arrayBuffer()) };
    });
    const spliced = spliceKeptAnswers(response.body, marks);
    let body = spliced.body;
    for (const { key, value } of securityHeaders.common) res.setHeader(key, value);
    res.setHeader("Content-Security-Policy", securityHeaders.apiPolicy);
    response.headers.forEach((value, key) => res.setHeader(key, value));
    if (body.length >= GZIP_FROM && !response.headers.has("content-encoding")) {
      res.setHeader("Vary", "Accept-Encoding");
      if (acceptsGzip(req.headers["accept-encoding"])) {
        // Level 1: analysis.customer's 149 kB answer in 0.5 ms to 23 kB, against 1.15 ms to 19 kB at 6.
        body = spliced.single ? await keptGzip(spliced.single, body) : await gzip(body, { level: 1 });
        res.setHeader("Content-Encoding", "gzip");
      }
    }
    res.setHeader("Content-Length", body.length);
    res.writeHead(response.status);
    res.end(req.method === "HEAD" ? undefined : body);
  } catch (error) {
    if (res.headersSent) return void res.destroy();
    const message = reportInternalError("tRPC endpoint", error);
    res.writeHead(500, { "content-type": "application/json", "Content-Security-Policy": securityHeaders.apiPolicy });
    res.end(JSON.stringify({ error: message }));
  }
}

/**
 * The dashboard's HTTP server: Next.js behind a gate (gate.ts) that sets the client's real address
 * and refuses oversized bodies before Next.js reads them; in production the tRPC endpoint is
 * answered here (trpc.ts). Started by scripts/start.ts as a child process: `node --import tsx
 * server/http/serve.ts [--dev]`, PORT and DATABASE_URL in the environment. Listens on HOST
 * (default: all interfaces, as `next start` does).
 */
import http from "node:http";
import next from "next";
import { setting } from "../config";
import { gate, gateSettings } from "./gate";

/** How much of a refused body is read (and dropped) before the connection is cut. */
const DISCARD_LIMIT = 16 * 1024 * 1024;

async function main() {
  const dev = process.argv.includes("--dev");
  // In production the API is answered here (trpc.ts), so this process holds the analyses pages look
  // at and keeps them fresh. In development Next.js answers it too, so that an edited router is
  // reloaded: the API's modules are not loaded here at all.
  const api = dev ? null : await loadApi();
  const port = setting("PORT");
  const hostname = setting("HOST");
  const settings = gateSettings();
  const app = next({ dev, dir: process.cwd(), port, hostname: hostname ?? "localhost" });
  const handle = app.getRequestHandler();
  await app.prepare();

  const server = http.createServer((req, res) => {
    const refused = gate(
      { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, socketAddress: req.socket.remoteAddress ?? "" },
      settings,
    );
    if (refused) {
      res.writeHead(refused.status, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: refused.message }));
      // Whatever the client still sends is read and thrown away (never kept), so that it can read
      // the answer instead of failing on a closed socket; past DISCARD_LIMIT, or after 10 s, the
      // connection is cut.
      let discarded = 0;
      req.on("data", (chunk: Buffer) => {
        discarded += chunk.length;
        if (discarded > DISCARD_LIMIT) req.socket.destroy();
      });
      req.resume();
      setTimeout(() => req.socket.destroy(), 10_000).unref();
      return;
    }
    // The API's calls without Next.js' request handling (trpc.ts); pages and the other routes through it.
    if (api?.isTrpcRequest(req.url ?? "/")) void api.serveTrpc(req, res);
    else void handle(req, res);
  });
  // A slow client may not hold a connection open forever with a trickle of headers.
  server.headersTimeout = 20_000;
  server.requestTimeout = 5 * 60_000;
  // An idle keep-alive connection is kept longer than clients keep theirs (Node's default is 5 s):
  // when the server closes one just as a client sends its next request on it, that request fails
  // ("fetch failed", "other side closed"), and a busy event loop makes the overlap likely. 50 clients
  // for 60 s (bench/load) lost 18 calls this way.
  server.keepAliveTimeout = 65_000;
  server.listen(port, hostname, () => console.log(`[fleetlens] dashboard listening on port ${port}`));

  const close = () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    // Requests still going after 10 s are cut short.
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.on("SIGTERM", close);
  process.on("SIGINT", close);
}

async function loadApi() {
  const [{ keepAnalysesFresh }, api] = await Promise.all([import("../analysis/stored"), import("./trpc")]);
  keepAnalysesFresh();
  return api;
}

main().catch((error: Error) => {
  console.error(`[fleetlens] dashboard: ${error.message}`);
  process.exit(1);
});

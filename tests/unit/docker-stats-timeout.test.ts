/**
 * The per-call deadline of a stats request (EngineClient.get's timeoutMs): an engine that holds the
 * answer back fails that call alone, in words, while the collection's own signal stays live; an
 * answer in time is taken. A local HTTP server on a unix socket stands in for a slow engine.
 */
import fs from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containerStatsDocument } from "../../server/collectors/docker/api";
import { dockerSourceOptions, engineConnection } from "../../server/collectors/docker/endpoint";
import { EngineClient } from "../../server/collectors/docker/engine";

let dir: string;
let server: http.Server;
let socketPath: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "fleetlens-stats-timeout-"));
  socketPath = path.join(dir, "engine.sock");
  server = http.createServer((req, res) => {
    const delay = req.url?.includes("/slow/") ? 2_000 : 50;
    const timer = setTimeout(() => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ read: "2026-12-05T23:51:17.381482431Z", cpu_stats: { cpu_usage: { total_usage: 5 } } }));
    }, delay);
    res.on("close", () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await fs.rm(dir, { recursive: true, force: true });
});

describe("a stats call's deadline", () => {
  it("fails a call the engine does not answer in time, naming it, and leaves the collection's signal alone", async () => {
    const controller = new AbortController();
    const client = new EngineClient(engineConnection(`unix://${socketPath}`, dockerSourceOptions.parse({}), null), controller.signal, "1.41");
    const began = performance.now();
    const error = await client
      .get("/containers/slow/stats", containerStatsDocument, "GET /containers/slow/stats", { stream: false }, 300)
      .then(() => null, (e: Error) => e);
    expect(error?.message).toBe(`docker unix://${socketPath}: GET /containers/slow/stats failed: no answer within 0.3 s`);
    expect(performance.now() - began).toBeLessThan(1_500);
    expect(controller.signal.aborted).toBe(false);
    // The near miss: an answer inside the deadline is taken.
    const doc = await client.get("/containers/quick/stats", containerStatsDocument, "GET /containers/quick/stats", { stream: false }, 1_000);
    expect(doc.cpu_stats?.cpu_usage?.total_usage).toBe(5);
  });

  it("says the collection was aborted, not timed out, when the collection's signal ends first", async () => {
    const controller = new AbortController();
    const client = new EngineClient(engineConnection(`unix://${socketPath}`, dockerSourceOptions.parse({}), null), controller.signal, "1.41");
    setTimeout(() => controller.abort(new Error("shutting down")), 100);
    const error = await client
      .get("/containers/slow/stats", containerStatsDocument, "GET /containers/slow/stats", { stream: false }, 1_500)
      .then(() => null, (e: Error) => e);
    expect(error?.message).toBe(`docker unix://${socketPath}: collection aborted (shutting down)`);
  });
});

describe("an engine that takes the connection and never answers", () => {
  it("says no answer came within connectTimeoutMs, not that the engine hung up; an answering engine is read", async () => {
    // A TCP server that accepts and then says nothing (a hung daemon, or a port that is not the Engine API).
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const client = new EngineClient(engineConnection(`tcp://127.0.0.1:${port}`, dockerSourceOptions.parse({ connectTimeoutMs: 400 }), null), new AbortController().signal);
      const error = await client.ping().then(() => null, (e: Error) => e);
      expect(error?.message).toBe(
        `docker tcp://127.0.0.1:${port}: GET /_ping failed: no answer within 0.4 s (the endpoint took the connection and sent nothing back: ` +
          "a hung engine, or a port that is not the Engine API; option connectTimeoutMs)",
      );
    } finally {
      silent.close();
    }
    // The near miss: a server that answers is pinged, and one that hangs up at once is said to have.
    const quick = new EngineClient(engineConnection(`unix://${socketPath}`, dockerSourceOptions.parse({ connectTimeoutMs: 400 }), null), new AbortController().signal);
    expect(await quick.ping()).toHaveProperty("content-type");
    const rude = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => rude.listen(0, "127.0.0.1", resolve));
    try {
      const rudePort = (rude.address() as net.AddressInfo).port;
      const client = new EngineClient(engineConnection(`tcp://127.0.0.1:${rudePort}`, dockerSourceOptions.parse({ connectTimeoutMs: 400 }), null), new AbortController().signal);
      const error = await client.ping().then(() => null, (e: Error) => e);
      expect(error?.message).toMatch(/GET \/_ping failed: .*(socket hang up|ECONNRESET)/);
      expect(error?.message).not.toMatch(/no answer within/);
    } finally {
      rude.close();
    }
  });
});

/**
 * The tRPC endpoint as serve.ts answers it (server/http/trpc.ts) over a real HTTP server and real
 * Postgres: kept answers (server/api/kept-answers.ts) are written into the body as the JSON text
 * made once per answer, and a single call's gzipped body is made once; the bytes are the ones tRPC
 * itself gives for the same call (its Next.js route, which writes every answer with JSON.stringify),
 * single or batched, and a value that looks like a mark stays what it is.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { keptJsonTextsMade } from "../../server/api/kept-answers";
import { createApiToken } from "../../server/auth/tokens";
import { createUser } from "../../server/auth/users";
import type { Database } from "../../server/db/client";
import { serveTrpc } from "../../server/http/trpc";
import { DEMO_CUSTOMERS } from "../../server/collectors/demo/fleet";
import { collectSource } from "../../server/jobs/collect";
import { createTestDatabase, type TestDatabase } from "./db";

const BASE = "http://localhost:3000";
let t: TestDatabase;
let server: http.Server;
let port: number;
let token: string;
let customerId: string;
/**
 * A customer named like a mark as a body shows it (a backslash, then "u0000kept-"), to show it is
 * never replaced (a mark's NUL itself cannot be stored: PostgreSQL refuses it in text).
 */
const LOOKALIKE = "\\u0000kept-00000000-0000-4000-8000-000000000000";
let lookalikeId: string;
let route: { GET: (r: Request) => Response | Promise<Response> };

const setDb = (database: Database | undefined) => {
  (globalThis as unknown as { fleetlensDb?: Database }).fleetlensDb = database;
};

/** GET through serve.ts's endpoint: status, headers and the raw bytes (not decompressed). */
function get(pathAndQuery: string, gzip: boolean): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: "127.0.0.1", port, path: pathAndQuery, headers: { authorization: `Bearer ${token}`, host: "localhost:3000", ...(gzip ? { "accept-encoding": "gzip" } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
  });
}

/** The same call through the Next.js route's handler: tRPC's own body, every answer written by JSON.stringify. */
async function throughRoute(pathAndQuery: string): Promise<Buffer> {
  const response = await route.GET(new Request(`${BASE}${pathAndQuery}`, { headers: { authorization: `Bearer ${token}` } }));
  return Buffer.from(await response.arrayBuffer());
}

const one = (procedure: string, input: unknown) => `/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
const batch = (calls: [string, unknown][]) =>
  `/api/trpc/${calls.map(([p]) => p).join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify(Object.fromEntries(calls.map(([, input], i) => [i, { json: input }]))))}`;

beforeAll(async () => {
  t = await createTestDatabase();
  vi.stubEnv("FLEETLENS_URL", BASE);
  vi.stubEnv("FLEETLENS_DATA_DIR", fs.mkdtempSync(path.join(os.tmpdir(), "fleetlens-kept-bytes-")));
  setDb(t);
  route = await import("../../app/api/trpc/[trpc]/route");
  const customer = await t.prisma.customer.create({ data: { name: "Kept bytes" } });
  customerId = customer.id;
  const source = await t.prisma.source.create({
    data: { customerId, kind: "demo", name: "demo", endpoint: `demo:${DEMO_CUSTOMERS[0]!.key}`, options: { vms: 30, seed: 3 } },
  });
  await collectSource(source.id, { database: t });
  lookalikeId = (await t.prisma.customer.create({ data: { name: LOOKALIKE } })).id;
  const user = await createUser(t, { email: "kept@example.com", name: "kept", password: "long-enough-password", role: "admin", allCustomers: true, customerIds: [] });
  token = (await createApiToken(t, user.id, "kept bytes test")).token;
  server = http.createServer((req, res) => void serveTrpc(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
}, 120_000);

afterAll(async () => {
  if (server) await new Promise((resolve) => server.close(resolve));
  setDb(undefined);
  vi.unstubAllEnvs();
  await t.drop();
});

describe("kept answers on the wire", () => {
  it("sends a kept answer as tRPC would, its JSON text made once, its gzipped body the same bytes each time", async () => {
    const call = one("analysis.customer", { customerId });
    const expected = await throughRoute(call);
    expect(expected.toString()).toMatch(/^\{"result":\{"data":\{"json":\{/);
    const made = keptJsonTextsMade();
    const plain = await get(call, false);
    expect(plain.status).toBe(200);
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.body.equals(expected)).toBe(true);
    expect(Number(plain.headers["content-length"])).toBe(expected.length);

    const gzipped = [await get(call, true), await get(call, true)];
    for (const answer of gzipped) {
      expect(answer.headers["content-encoding"]).toBe("gzip");
      expect(zlib.gunzipSync(answer.body).equals(expected)).toBe(true);
    }
    expect(gzipped[1]!.body.equals(gzipped[0]!.body)).toBe(true);
    // Three calls, one JSON text.
    expect(keptJsonTextsMade()).toBe(made + 1);
  });

  it("splices kept answers into a batch among answers that are not kept, in their places", async () => {
    const calls: [string, unknown][] = [
      ["customers.get", { customerId }],
      ["analysis.utilisation", { customerId }],
      ["analysis.verdicts", { customerId }],
      ["analysis.customer", { customerId }],
      ["analysis.verdicts", { customerId, page: 1, pageSize: 25 }],
    ];
    const expected = await throughRoute(batch(calls));
    const sent = await get(batch(calls), true);
    expect(sent.status).toBe(200);
    expect(zlib.gunzipSync(sent.body).equals(expected)).toBe(true);
    const results = JSON.parse(expected.toString()) as { result: { data: { json: unknown } } }[];
    expect(results).toHaveLength(5);
    expect(results[2]).not.toEqual(results[4]);
  });

  it("leaves a value that looks like a mark as it is", async () => {
    const calls: [string, unknown][] = [
      ["customers.get", { customerId: lookalikeId }],
      ["analysis.customer", { customerId }],
    ];
    const sent = await get(batch(calls), false);
    expect(sent.body.equals(await throughRoute(batch(calls)))).toBe(true);
    const [customer] = JSON.parse(sent.body.toString()) as { result: { data: { json: { name: string } } } }[];
    expect(customer!.result.data.json.name).toBe(LOOKALIKE);
  });
});

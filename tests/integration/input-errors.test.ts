/**
 * Bad input gets a 400 that names the field, and an unexpected error a generic 500 with a reference
 * (security report L5, L9): a NUL byte or control character in a search (tRPC and the CSV export),
 * a NUL anywhere in an input, an unknown customer id in a user form; the database's own words, the
 * stack and file paths never reach the caller, and the server log has the reference with the error.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { appRouter, createCaller } from "../../server/api/root";
import type { Viewer } from "../../server/api/trpc";
import { createApiToken } from "../../server/auth/tokens";
import { createUser } from "../../server/auth/users";
import { connect, type Database } from "../../server/db/client";
import { applySnapshot } from "../../server/inventory/ingest";
import { smallSnapshot } from "../fixtures/snapshots";
import { createTestDatabase, type TestDatabase } from "./db";

const BASE = "http://localhost:3000";
let t: TestDatabase;
let broken: Database;
const ids: Record<string, string> = {};
const tokens: Record<string, string> = {};
let routes: {
  trpc: { GET: (r: Request) => Response | Promise<Response>; POST: (r: Request) => Response | Promise<Response> };
  export: { GET: (r: Request, context: { params: Promise<{ customerId: string; table: string }> }) => Promise<Response> };
};

const admin: Viewer = { id: "admin", email: "admin@example.com", role: "admin", scope: { kind: "all" } };
/** Words of the database and the server that must never reach a caller. */
const INTERNALS = /prisma|invocation|22021|ECONNREFUSED|node_modules|\/work\/|at async|pg_|SQL|0x00|Unicode escape/i;

const trpcGet = (procedure: string, input: unknown, headers: Record<string, string>) =>
  routes.trpc.GET(new Request(`${BASE}/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, { headers }));

interface ErrorBody {
  error: { json: { message: string; data: { code: string; httpStatus: number; stack?: string } } };
}

const setDb = (database: Database | undefined) => {
  (globalThis as unknown as { fleetlensDb?: Database }).fleetlensDb = database;
};

/** console.error's lines while running this. */
async function capturingErrors<T>(run: () => Promise<T>): Promise<{ result: T; logged: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
    lines.push(args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : String(a))).join(" "));
  });
  try {
    return { result: await run(), logged: lines.join("\n") };
  } finally {
    spy.mockRestore();
  }
}

beforeAll(async () => {
  t = await createTestDatabase();
  broken = connect("postgresql://nobody:nothing@127.0.0.1:1/nowhere", { max: 1 });
  vi.stubEnv("FLEETLENS_URL", BASE);
  vi.stubEnv("FLEETLENS_DATA_DIR", fs.mkdtempSync(path.join(os.tmpdir(), "fleetlens-errors-")));
  setDb(t);
  routes = {
    trpc: await import("../../app/api/trpc/[trpc]/route"),
    export: await import("../../app/api/export/[customerId]/[table]/route"),
  };
  ids.acme = (await t.prisma.customer.create({ data: { name: "Acme" } })).id;
  const source = await t.prisma.source.create({ data: { customerId: ids.acme, kind: "demo", name: "acme", endpoint: "demo:acme" } });
  await applySnapshot(source.id, smallSnapshot(), { database: t });
  for (const role of ["admin", "engineer"] as const) {
    const user = await createUser(t, { email: `${role}@example.com`, name: role, password: "long-enough-password", role, allCustomers: role === "admin", customerIds: role === "admin" ? [] : [ids.acme] });
    ids[role] = user.id;
    tokens[role] = (await createApiToken(t, user.id, "errors test")).token;
  }
});

afterAll(async () => {
  setDb(undefined);
  vi.unstubAllEnvs();
  await broken.close();
  await t.drop();
});

describe("a NUL byte or control character in a search (L5)", () => {
  const bad = ["\u0000", "a\u0000b", "web\u0000' OR 1=1", "line\nbreak", "\u001b[31m", "\u0085"];

  it("is a 400 naming the field on every table procedure, never a database error", async () => {
    const headers = { authorization: `Bearer ${tokens.engineer}` };
    for (const procedure of ["inventory.hosts", "inventory.virtualMachines", "inventory.containers", "analysis.verdicts", "analysis.findings"]) {
      for (const search of bad) {
        const response = await trpcGet(procedure, { customerId: ids.acme, search }, headers);
        const body = (await response.json()) as ErrorBody;
        expect(response.status, `${procedure} ${JSON.stringify(search)}`).toBe(400);
        expect(body.error.json.message, procedure).toMatch(/search|Search/);
        expect(JSON.stringify(body), procedure).not.toMatch(INTERNALS);
      }
      // The same search without them works.
      expect((await trpcGet(procedure, { customerId: ids.acme, search: "app" }, headers)).status).toBe(200);
    }
  });

  it("refuses a NUL in any other text input too, naming the field, before anything is written", async () => {
    const before = await t.prisma.customer.count();
    await expect(createCaller({ database: t, viewer: admin }).customers.create({ name: "Evil\u0000Corp" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "name: text cannot contain NUL characters",
    });
    await expect(
      createCaller({ database: t, viewer: admin }).sources.create({ customerId: ids.acme!, kind: "docker", name: "d", endpoint: "unix:///x.sock", options: { "tenant\u0000Label": "x" } }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: "options: a field name cannot contain NUL characters" });
    expect(await t.prisma.customer.count()).toBe(before);
  });

  it("is a 400 naming the filter in the CSV export (search=%00), with no export audited", async () => {
    const before = await t.prisma.auditEvent.count({ where: { action: "export" } });
    for (const query of ["search=%00", "search=a%00b", "search=a%0A%3D1%2B1"]) {
      const response = await routes.export.GET(new Request(`${BASE}/api/export/${ids.acme}/findings?${query}`, { headers: { authorization: `Bearer ${tokens.engineer}` } }), {
        params: Promise.resolve({ customerId: ids.acme!, table: "findings" }),
      });
      expect(response.status, query).toBe(400);
      const text = await response.text();
      expect(text).toMatch(/^invalid filter: search: control characters/);
      expect(text).not.toMatch(INTERNALS);
    }
    expect(await t.prisma.auditEvent.count({ where: { action: "export" } })).toBe(before);
  });
});

describe("an unknown customer id in a user form (L9)", () => {
  it("is a 400 saying there is no such customer, and creates or changes nothing", async () => {
    const caller = createCaller({ database: t, viewer: admin });
    const unknown = "00000000-0000-4000-8000-000000000000";
    const users = await t.prisma.user.count();
    await expect(
      caller.users.create({ email: "new@example.com", name: "New", password: "long-enough-password", role: "viewer", allCustomers: false, customerIds: [ids.acme!, unknown] }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: `customerIds: no such customer ${unknown}` });
    expect(await t.prisma.user.count()).toBe(users);

    await expect(caller.users.update({ id: ids.engineer!, customerIds: [unknown] })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: `customerIds: no such customer ${unknown}`,
    });
    expect(await t.prisma.customerAccess.findMany({ where: { userId: ids.engineer }, select: { customerId: true } })).toEqual([{ customerId: ids.acme }]);
    // Known ids still work.
    await caller.users.update({ id: ids.engineer!, customerIds: [ids.acme!] });
  });
});

describe("an unexpected error", () => {
  it("reaches a tRPC caller as a generic message with a reference (no database words, no stack), and the log with the error", async () => {
    const { result: response, logged } = await capturingErrors(async () =>
      fetchRequestHandler({
        endpoint: "/api/trpc",
        req: new Request(`${BASE}/api/trpc/inventory.hosts?input=${encodeURIComponent(JSON.stringify({ json: { customerId: ids.acme } }))}`),
        router: appRouter,
        createContext: () => ({ database: broken, viewer: admin }),
      }),
    );
    expect(response.status).toBe(500);
    const body = (await response.json()) as ErrorBody;
    const reference = /^internal server error \(reference ([0-9a-f]{8})\): the details are in the server log$/.exec(body.error.json.message)?.[1];
    expect(reference, body.error.json.message).toBeDefined();
    expect(body.error.json.data.code).toBe("INTERNAL_SERVER_ERROR");
    expect(body.error.json.data.stack).toBeUndefined();
    expect(JSON.stringify(body)).not.toMatch(INTERNALS);
    // The log has the reference, where, and the real error.
    expect(logged).toContain(`internal error ${reference} in tRPC inventory.hosts`);
    expect(logged).toMatch(/ECONNREFUSED|prisma/i);
  });

  it("gets a reference from the tRPC and CSV route handlers too", async () => {
    setDb(broken);
    try {
      const { result, logged } = await capturingErrors(async () => {
        const trpc = await trpcGet("fleet.overview", undefined, { authorization: `Bearer ${tokens.admin}` });
        const csv = await routes.export.GET(new Request(`${BASE}/api/export/${ids.acme}/verdicts`, { headers: { authorization: `Bearer ${tokens.admin}` } }), {
          params: Promise.resolve({ customerId: ids.acme!, table: "verdicts" }),
        });
        return { trpc: { status: trpc.status, text: await trpc.text() }, csv: { status: csv.status, text: await csv.text() } };
      });
      expect(result.trpc.status).toBe(500);
      expect(result.trpc.text).toMatch(/internal server error \(reference [0-9a-f]{8}\)/);
      expect(result.trpc.text).not.toMatch(INTERNALS);
      expect(result.csv.status).toBe(500);
      const reference = /^internal server error \(reference ([0-9a-f]{8})\)/.exec(result.csv.text)?.[1];
      expect(reference, result.csv.text).toBeDefined();
      expect(result.csv.text).not.toMatch(INTERNALS);
      expect(logged).toContain(`internal error ${reference} in table export`);
    } finally {
      setDb(t);
    }
  });
});

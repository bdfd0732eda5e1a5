/**
 * Sign-in, sessions, API tokens, throttling, CSRF and secrets, through the real route handlers
 * (better-auth's and tRPC's) as HTTP requests against a real database.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApiToken, revokeApiToken } from "../../server/auth/tokens";
import { createUser } from "../../server/auth/users";
import { applySnapshot } from "../../server/inventory/ingest";
import { smallSnapshot } from "../fixtures/snapshots";
import { createTestDatabase, type TestDatabase } from "./db";

const BASE = "http://localhost:3000";
let t: TestDatabase;
let routes: {
  trpc: { GET: (r: Request) => Response | Promise<Response>; POST: (r: Request) => Response | Promise<Response> };
  auth: { GET: (r: Request) => Response | Promise<Response>; POST: (r: Request) => Response | Promise<Response> };
  health: { GET: () => Promise<Response> };
};
const ids: Record<string, string> = {};
const PASSWORD = "correct-horse-battery";

/** Every route handler of the app, and how it is guarded. A new one must be added here. */
const ROUTE_HANDLERS: Record<string, string> = {
  "app/api/health/route.ts": "public: database reachability only",
  "app/api/auth/[...all]/route.ts": "better-auth: sign-in, sign-out, session, password change, SSO",
  "app/api/trpc/[trpc]/route.ts": "tRPC: every procedure checks the session or API token and scope",
};

function listRouteHandlers(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listRouteHandlers(full);
    return /^route\.(ts|tsx|js)$/.test(entry.name) ? [path.relative(process.cwd(), full)] : [];
  });
}

const trpcGet = async (procedure: string, headers: Record<string, string> = {}, input?: unknown) =>
  routes.trpc.GET(
    new Request(`${BASE}/api/trpc/${procedure}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`}`, { headers }),
  );
const trpcPost = async (procedure: string, input: unknown, headers: Record<string, string> = {}) =>
  routes.trpc.POST(
    new Request(`${BASE}/api/trpc/${procedure}`, {
      method: "POST",
      headers: { "content-type": "application/json", host: "localhost:3000", ...headers },
      body: JSON.stringify({ json: input }),
    }),
  );

async function signIn(email: string, password: string, ip = "198.51.100.7") {
  return routes.auth.POST(
    new Request(`${BASE}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: BASE, host: "localhost:3000", "x-forwarded-for": ip },
      body: JSON.stringify({ email, password }),
    }),
  );
}

const cookieOf = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");

beforeAll(async () => {
  t = await createTestDatabase();
  vi.stubEnv("FLEETLENS_URL", BASE);
  vi.stubEnv("FLEETLENS_DATA_DIR", fs.mkdtempSync(path.join(os.tmpdir(), "fleetlens-auth-")));
  (globalThis as unknown as { fleetlensDb: unknown }).fleetlensDb = t;
  routes = {
    trpc: await import("../../app/api/trpc/[trpc]/route"),
    auth: await import("../../app/api/auth/[...all]/route"),
    health: await import("../../app/api/health/route"),
  };
  for (const name of ["Acme", "Globex"]) ids[name] = (await t.prisma.customer.create({ data: { name } })).id;
  const source = await t.prisma.source.create({ data: { customerId: ids.Acme!, kind: "demo", name: "acme", endpoint: "demo:acme" } });
  await applySnapshot(source.id, smallSnapshot(), { database: t });
  ids.admin = (await createUser(t, { email: "admin@example.com", name: "Admin", password: PASSWORD, role: "admin", allCustomers: true })).id;
  ids.viewer = (await createUser(t, { email: "viewer@example.com", name: "Viewer", password: PASSWORD, role: "viewer", allCustomers: false, customerIds: [ids.Acme!] })).id;
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await t.drop();
});

describe("route handlers", () => {
  it("are all known, each with its guard", () => {
    expect(listRouteHandlers(path.join(process.cwd(), "app")).sort()).toEqual(Object.keys(ROUTE_HANDLERS).sort());
  });

  it("health says only whether the database answers", async () => {
    const response = await routes.health.GET();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("tRPC refuses anonymous callers", async () => {
    const response = await trpcGet("fleet.overview");
    expect(response.status).toBe(401);
    expect(await response.text()).toContain("sign in first");
  });
});

describe("every route handler, as every kind of caller", () => {
  it("answers each caller as their role and customer scope allow", async () => {
    await createUser(t, { email: "other@example.com", name: "Other", password: PASSWORD, role: "viewer", allCustomers: false, customerIds: [ids.Globex!] });
    await createUser(t, { email: "engineer@example.com", name: "Eng", password: PASSWORD, role: "engineer", allCustomers: false, customerIds: [ids.Acme!] });
    const personas: Record<string, Record<string, string>> = { anonymous: {} };
    let n = 60;
    for (const [persona, email] of [["otherViewer", "other@example.com"], ["viewer", "viewer@example.com"], ["engineer", "engineer@example.com"], ["admin", "admin@example.com"]] as const) {
      const response = await signIn(email, PASSWORD, `198.51.100.${n++}`);
      expect(response.status, persona).toBe(200);
      personas[persona] = { cookie: cookieOf(response), origin: BASE };
    }
    const seen: string[] = [];
    for (const [persona, headers] of Object.entries(personas)) {
      // health: public, and says nothing else.
      const health = await routes.health.GET();
      expect(await health.json()).toEqual({ status: "ok" });
      // better-auth's session endpoint: each caller sees only their own session.
      const session = await routes.auth.GET(new Request(`${BASE}/api/auth/get-session`, { headers }));
      const sessionText = await session.text();
      if (persona === "anonymous") expect(sessionText).toBe("null");
      else expect(sessionText).toContain("@example.com");
      // tRPC: a read in scope, and a change only administrators may make.
      const overview = await trpcGet("fleet.overview", headers);
      const text = await overview.text();
      const create = await trpcPost("customers.create", { name: `Made by ${persona}` }, headers);
      seen.push(`${persona}: overview ${overview.status} ${text.includes("Acme") ? "Acme" : "-"} ${text.includes("Globex") ? "Globex" : "-"}, create ${create.status}`);
    }
    expect(seen).toEqual([
      "anonymous: overview 401 - -, create 401",
      "otherViewer: overview 200 - Globex, create 403",
      "viewer: overview 200 Acme -, create 403",
      "engineer: overview 200 Acme -, create 403",
      "admin: overview 200 Acme Globex, create 200",
    ]);
  });
});

describe("sign-in", () => {
  it("signs in with the right password, and the session cookie opens the API", async () => {
    const response = await signIn("viewer@example.com", PASSWORD);
    expect(response.status).toBe(200);
    const cookie = cookieOf(response);
    expect(response.headers.getSetCookie().join()).toMatch(/fleetlens\.session_token=.*HttpOnly/i);
    const overview = await trpcGet("fleet.overview", { cookie });
    expect(overview.status).toBe(200);
    const body = await overview.text();
    expect(body).toContain("Acme");
    expect(body).not.toContain("Globex");
  });

  it("signs out, ends the session and records it", async () => {
    const cookie = cookieOf(await signIn("viewer@example.com", PASSWORD, "198.51.100.9"));
    const out = await routes.auth.POST(
      new Request(`${BASE}/api/auth/sign-out`, { method: "POST", headers: { cookie, origin: BASE, host: "localhost:3000", "x-forwarded-for": "198.51.100.9" } }),
    );
    expect(out.status).toBe(200);
    expect((await trpcGet("fleet.overview", { cookie })).status).toBe(401);
    expect(await t.prisma.auditEvent.count({ where: { action: "sign-out", actorId: ids.viewer } })).toBe(1);
  });

  it("refuses a wrong password with a clear error, and records it", async () => {
    const response = await signIn("viewer@example.com", "wrong-password-here", "198.51.100.8");
    expect(response.status).toBe(401);
    expect(await response.text()).toMatch(/invalid email or password/i);
    const failed = await t.prisma.auditEvent.findFirst({ where: { action: "sign-in-failed", actorEmail: "viewer@example.com" } });
    expect(failed?.ip).toBe("198.51.100.8");
    expect(await t.prisma.auditEvent.count({ where: { action: "sign-in", actorId: ids.viewer } })).toBeGreaterThan(0);
  });

  it("locks an account after 5 failed sign-ins, even with the right password then", async () => {
    await createUser(t, { email: "target@example.com", name: "T", password: PASSWORD, role: "viewer", allCustomers: false });
    for (let i = 0; i < 5; i++) {
      // From different addresses: the per-account lock does not depend on the address.
      expect((await signIn("target@example.com", `wrong-${i}-password`, `203.0.113.${i + 1}`)).status).toBe(401);
    }
    const locked = await signIn("target@example.com", PASSWORD, "203.0.113.50");
    expect(locked.status).toBe(429);
    expect(await locked.text()).toMatch(/Too many failed sign-ins for this account\. Try again in 15 minutes/);
  });

  it("throttles one address that tries many accounts", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await signIn(`nobody${i}@example.com`, "whatever-password", "192.0.2.99")).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toContain(429);
    // Another address is not affected.
    expect((await signIn("viewer@example.com", PASSWORD, "192.0.2.100")).status).toBe(200);
  });

  it("refuses a sign-in posted from another site", async () => {
    const response = await routes.auth.POST(
      new Request(`${BASE}/api/auth/sign-in/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: "https://evil.example", host: "localhost:3000", "x-forwarded-for": "198.51.100.20" },
        body: JSON.stringify({ email: "viewer@example.com", password: PASSWORD }),
      }),
    );
    expect(response.status).toBe(403);
  });
});

describe("API tokens", () => {
  it("act as their user, with the user's scope, until revoked", async () => {
    const { token, id } = await createApiToken(t, ids.viewer!, "script");
    const headers = { authorization: `Bearer ${token}` };
    const response = await trpcGet("fleet.overview", headers);
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(body).toContain("Acme");
    expect(body).not.toContain("Globex");
    const stored = await t.prisma.apiToken.findUniqueOrThrow({ where: { id } });
    expect(stored.hash).not.toContain(token.slice(4));
    expect(stored.lastUsedAt).not.toBeNull();

    expect(await revokeApiToken(t, ids.viewer!, id)).toBe(true);
    const revoked = await trpcGet("fleet.overview", headers);
    expect(revoked.status).toBe(401);
    expect(await revoked.text()).toContain("API token is not valid");
  });

  it("refuses a made-up token rather than treating the caller as anonymous", async () => {
    const response = await trpcGet("setup.status", { authorization: "Bearer flk_madeup" });
    expect(response.status).toBe(200); // public procedures stay public
    const guarded = await trpcGet("fleet.overview", { authorization: "Bearer flk_madeup" });
    expect(guarded.status).toBe(401);
  });
});

describe("forged requests and secrets", () => {
  it("refuses a cross-site POST even with a valid session cookie, and changes nothing", async () => {
    const cookie = cookieOf(await signIn("admin@example.com", PASSWORD, "198.51.100.30"));
    const before = await t.prisma.source.count();
    const forged = await trpcPost(
      "sources.create",
      { customerId: ids.Acme, kind: "docker", name: "evil", endpoint: "tcp://evil.example:2375" },
      { cookie, origin: "https://evil.example" },
    );
    expect(forged.status).toBe(403);
    expect(await t.prisma.source.count()).toBe(before);

    const genuine = await trpcPost(
      "sources.create",
      { customerId: ids.Acme, kind: "docker", name: "real", endpoint: "tcp://docker01.acme.example:2376", secret: "Sup3r-S3cret-Value" },
      { cookie, origin: BASE },
    );
    expect(genuine.status).toBe(200);
  });

  it("never returns a source secret, logs it, or writes it to the audit log", async () => {
    const logged: string[] = [];
    const spies = (["log", "error", "warn", "info"] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(" "))),
    );
    try {
      const cookie = cookieOf(await signIn("admin@example.com", PASSWORD, "198.51.100.31"));
      const answers: string[] = [];
      for (const procedure of ["sources.list", "fleet.overview", "customers.list", "audit.list", "account.me"]) {
        const response = await trpcGet(procedure, { cookie }, procedure === "sources.list" ? {} : undefined);
        expect(response.status, procedure).toBe(200);
        answers.push(await response.text());
      }
      const source = await t.prisma.source.findFirstOrThrow({ where: { name: "real" } });
      const runs = await trpcGet("sources.runs", { cookie }, { sourceId: source.id });
      answers.push(await runs.text());
      expect(answers.join("\n")).toContain("docker01.acme.example");
      expect(answers.join("\n")).not.toContain("Sup3r-S3cret-Value");
      const audit = await t.prisma.auditEvent.findMany();
      expect(JSON.stringify(audit)).not.toContain("Sup3r-S3cret-Value");
      expect(audit.some((e) => e.action === "source-created" && e.target === "real")).toBe(true);
    } finally {
      spies.forEach((spy) => spy.mockRestore());
    }
    expect(logged.join("\n")).not.toContain("Sup3r-S3cret-Value");
  });
});

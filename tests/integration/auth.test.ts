/**
 * Sign-in, sessions, API tokens, throttling, CSRF and secrets, through the real route handlers
 * (better-auth's, tRPC's and the CSV export's) as HTTP requests against a real database.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { customerAnalysis } from "../../server/analysis/load";
import { findingFilterSchema, findingRows, verdictFilterSchema, verdictRows } from "../../server/analysis/views";
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
  export: { GET: (r: Request, context: { params: Promise<{ customerId: string; table: string }> }) => Promise<Response> };
  rvtools: { GET: (r: Request, context: { params: Promise<{ customerId: string }> }) => Promise<Response> };
  dependencies: { GET: (r: Request, context: { params: Promise<{ customerId: string }> }) => Promise<Response> };
  upload: { POST: (r: Request, context: { params: Promise<{ sourceId: string }> }) => Promise<Response> };
  snapshot: { POST: (r: Request, context: { params: Promise<{ sourceId: string }> }) => Promise<Response> };
  waves: { GET: (r: Request, context: { params: Promise<{ customerId: string }> }) => Promise<Response> };
  aliases: { GET: (r: Request, context: { params: Promise<{ customerId: string }> }) => Promise<Response> };
};
const ids: Record<string, string> = {};
const PASSWORD = "correct-horse-battery";

/** Every route handler of the app, and how it is guarded. A new one must be added here. */
const ROUTE_HANDLERS: Record<string, string> = {
  "app/api/health/route.ts": "public: database reachability only",
  "app/api/auth/[...all]/route.ts": "better-auth: sign-in, sign-out, session, password change, SSO",
  "app/api/trpc/[trpc]/route.ts": "tRPC: every procedure checks the session or API token and scope",
  "app/api/export/[customerId]/[table]/route.ts": "table export, CSV or xlsx (GET): session or API token, engineers and administrators, customer in scope, else 401/403/404",
  "app/api/export/[customerId]/rvtools/route.ts": "RVTools workbook (GET): as the CSV export",
  "app/api/export/[customerId]/dependencies/route.ts": "dependency CSV (GET): as the CSV export",
  "app/api/sources/[sourceId]/upload/route.ts": "upload to an rvtools source (POST): same-origin session or API token, engineers and administrators, source in scope, else 401/403/404",
  "app/api/export/[customerId]/waves/route.ts": "a migration plan's waves, CSV, xlsx or a Forklift Plan (GET): as the CSV export; a plan or wave of another customer 404",
  "app/api/report/[customerId]/route.ts": "the customer report as PDF (GET): a signed-in session (any role) with the customer in scope, else 401/404; tested in report-pdf-route.test.ts",
  "app/api/report/[customerId]/aliases/route.ts": "the anonymised report's mapping, CSV (GET): administrators only, else 401/403; customer in scope, else 404",
  "app/api/sources/[sourceId]/snapshot/route.ts": "a remote collector's snapshot (POST): as the upload; its run's status (GET ?run=): any signed-in caller with the source in scope",
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

const exportGet = async (customerId: string, table: string, query = "", headers: Record<string, string> = {}) =>
  routes.export.GET(new Request(`${BASE}/api/export/${customerId}/${table}${query ? `?${query}` : ""}`, { headers }), {
    params: Promise.resolve({ customerId, table }),
  });

/** A CSV body as records (RFC 4180: quoted fields, doubled quotes, line breaks inside quotes), BOM kept apart. */
async function readCsv(response: Response): Promise<{ bom: boolean; text: string; records: string[][] }> {
  const raw = new TextDecoder("utf-8", { ignoreBOM: true }).decode(await response.arrayBuffer());
  const bom = raw.startsWith("\uFEFF");
  const text = bom ? raw.slice(1) : raw;
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  const endField = () => {
    record.push(field);
    field = "";
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ",") {
      endField();
    } else if (!quoted && c === "\n") {
      endField();
      records.push(record);
      record = [];
    } else {
      field += c;
    }
  }
  if (field !== "" || record.length > 0) {
    endField();
    records.push(record);
  }
  return { bom, text, records };
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
    export: await import("../../app/api/export/[customerId]/[table]/route"),
    rvtools: await import("../../app/api/export/[customerId]/rvtools/route"),
    dependencies: await import("../../app/api/export/[customerId]/dependencies/route"),
    upload: await import("../../app/api/sources/[sourceId]/upload/route"),
    waves: await import("../../app/api/export/[customerId]/waves/route"),
    aliases: await import("../../app/api/report/[customerId]/aliases/route"),
    snapshot: await import("../../app/api/sources/[sourceId]/snapshot/route"),
  };
  for (const name of ["Acme", "Globex"]) ids[name] = (await t.prisma.customer.create({ data: { name } })).id;
  const source = await t.prisma.source.create({ data: { customerId: ids.Acme!, kind: "demo", name: "acme", endpoint: "demo:acme" } });
  await applySnapshot(source.id, smallSnapshot(), { database: t });
  ids.acmeRvtools = (await t.prisma.source.create({ data: { customerId: ids.Acme!, kind: "rvtools", name: "acme-rvtools", endpoint: "vc01" } })).id;
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
    const plan = await t.prisma.migrationPlan.create({ data: { customerId: ids.Acme!, name: "Wave plan", createdBy: "admin@example.com" } });
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
      // CSV export of Acme's verdicts: Acme's engineers and administrators only (viewers read, they do not export).
      const csv = await exportGet(ids.Acme!, "verdicts", "", headers);
      // The RVTools workbook of Acme, and an upload to Acme's RVTools source: as the CSV export.
      const workbook = await routes.rvtools.GET(new Request(`${BASE}/api/export/${ids.Acme}/rvtools`, { headers }), {
        params: Promise.resolve({ customerId: ids.Acme! }),
      });
      const dependencies = await routes.dependencies.GET(new Request(`${BASE}/api/export/${ids.Acme}/dependencies`, { headers }), {
        params: Promise.resolve({ customerId: ids.Acme! }),
      });
      const upload = await routes.upload.POST(
        new Request(`${BASE}/api/sources/${ids.acmeRvtools}/upload?name=export.zip`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/octet-stream" },
          body: Buffer.from("PK\u0003\u0004 not really a zip"),
        }),
        { params: Promise.resolve({ sourceId: ids.acmeRvtools! }) },
      );
      const pushed = await routes.snapshot.POST(
        new Request(`${BASE}/api/sources/${ids.acmeRvtools}/snapshot`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body: JSON.stringify({ kind: "rvtools", collectedAt: "2026-12-01T10:00:00Z" }),
        }),
        { params: Promise.resolve({ sourceId: ids.acmeRvtools! }) },
      );
      // A migration plan's waves: as the CSV export. The anonymised report's mapping: administrators only.
      const waves = await routes.waves.GET(new Request(`${BASE}/api/export/${ids.Acme}/waves?plan=${plan.id}&format=csv`, { headers }), {
        params: Promise.resolve({ customerId: ids.Acme! }),
      });
      const aliases = await routes.aliases.GET(new Request(`${BASE}/api/report/${ids.Acme}/aliases`, { headers }), {
        params: Promise.resolve({ customerId: ids.Acme! }),
      });
      seen.push(
        `${persona}: overview ${overview.status} ${text.includes("Acme") ? "Acme" : "-"} ${text.includes("Globex") ? "Globex" : "-"}, create ${create.status}, export ${csv.status}, workbook ${workbook.status}, dependencies ${dependencies.status}, upload ${upload.status}, push ${pushed.status}, waves ${waves.status}, aliases ${aliases.status}`,
      );
      await waves.body?.cancel();
      await aliases.body?.cancel();
      await csv.body?.cancel();
      await workbook.body?.cancel();
      await dependencies.body?.cancel();
    }
    expect(seen).toEqual([
      "anonymous: overview 401 - -, create 401, export 401, workbook 401, dependencies 401, upload 401, push 401, waves 401, aliases 401",
      "otherViewer: overview 200 - Globex, create 403, export 403, workbook 403, dependencies 403, upload 403, push 403, waves 403, aliases 403",
      "viewer: overview 200 Acme -, create 403, export 403, workbook 403, dependencies 403, upload 403, push 403, waves 403, aliases 403",
      "engineer: overview 200 Acme -, create 403, export 200, workbook 200, dependencies 200, upload 202, push 202, waves 200, aliases 403",
      "admin: overview 200 Acme Globex, create 200, export 200, workbook 200, dependencies 200, upload 202, push 202, waves 200, aliases 200",
    ]);
    // A session cookie from another site's page uploads nothing.
    const forged = await routes.upload.POST(
      new Request(`${BASE}/api/sources/${ids.acmeRvtools}/upload?name=export.zip`, {
        method: "POST",
        headers: { ...personas.engineer, origin: "https://evil.example", "content-type": "application/octet-stream" },
        body: Buffer.from("PK\u0003\u0004"),
      }),
      { params: Promise.resolve({ sourceId: ids.acmeRvtools! }) },
    );
    expect(forged.status).toBe(403);
    // Nor pushes a snapshot.
    const forgedPush = await routes.snapshot.POST(
      new Request(`${BASE}/api/sources/${ids.acmeRvtools}/snapshot`, {
        method: "POST",
        headers: { ...personas.engineer, origin: "https://evil.example", "content-type": "application/json" },
        body: JSON.stringify({ kind: "rvtools", collectedAt: "2026-12-01T10:00:00Z" }),
      }),
      { params: Promise.resolve({ sourceId: ids.acmeRvtools! }) },
    );
    expect(forgedPush.status).toBe(403);
    // Two uploads and two pushes, by the engineer and the administrator.
    expect(await t.prisma.collectionRun.count({ where: { sourceId: ids.acmeRvtools } })).toBe(4);
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

  it("locks an account from an address after 5 failed sign-ins there, even with the right password then", async () => {
    await createUser(t, { email: "target@example.com", name: "T", password: PASSWORD, role: "viewer", allCustomers: false });
    for (let i = 0; i < 5; i++) {
      expect((await signIn("target@example.com", `wrong-${i}-password`, "203.0.113.1")).status).toBe(401);
    }
    const locked = await signIn("target@example.com", PASSWORD, "203.0.113.1");
    expect(locked.status).toBe(429);
    expect(await locked.text()).toMatch(/Too many failed sign-ins for this account from your address\. Try again in 15 minutes/);
    // Not from everywhere: the owner elsewhere signs in (more in lockout.test.ts).
    expect((await signIn("target@example.com", PASSWORD, "203.0.113.50")).status).toBe(200);
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

describe("CSV export", () => {
  const cookies: Record<string, string> = {};
  let ip = 80;

  beforeAll(async () => {
    await createUser(t, { email: "export-other@example.com", name: "Other", password: PASSWORD, role: "viewer", allCustomers: false, customerIds: [ids.Globex!] });
    await createUser(t, { email: "export-other-engineer@example.com", name: "Other Eng", password: PASSWORD, role: "engineer", allCustomers: false, customerIds: [ids.Globex!] });
    ids.exportEngineer = (await createUser(t, { email: "export-engineer@example.com", name: "Eng", password: PASSWORD, role: "engineer", allCustomers: false, customerIds: [ids.Acme!] })).id;
    for (const [persona, email] of [
      ["otherEngineer", "export-other-engineer@example.com"],
      ["otherViewer", "export-other@example.com"],
      ["viewer", "viewer@example.com"],
      ["engineer", "export-engineer@example.com"],
      ["admin", "admin@example.com"],
    ] as const) {
      const response = await signIn(email, PASSWORD, `198.51.100.${ip++}`);
      expect(response.status, persona).toBe(200);
      cookies[persona] = cookieOf(response);
    }
  });

  it("refuses anonymous callers", async () => {
    const response = await exportGet(ids.Acme!, "verdicts");
    expect(response.status).toBe(401);
    expect(await response.text()).toBe("sign in first");
  });

  it("refuses a bad API token rather than treating the caller as anonymous", async () => {
    for (const token of ["flk_madeup", "not-even-a-fleetlens-token"]) {
      const response = await exportGet(ids.Acme!, "verdicts", "", { authorization: `Bearer ${token}` });
      expect(response.status).toBe(401);
      expect(await response.text()).toBe("invalid API token");
    }
  });

  it("refuses viewers, even of the customer, with a clear message: exports are for engineers and administrators", async () => {
    const { token } = await createApiToken(t, ids.viewer!, "viewer's export script");
    const callers: Record<string, string>[] = [{ cookie: cookies.viewer! }, { cookie: cookies.otherViewer! }, { authorization: `Bearer ${token}` }];
    for (const headers of callers) {
      const response = await exportGet(ids.Acme!, "verdicts", "", headers);
      expect(response.status).toBe(403);
      expect(await response.text()).toBe("exports are for engineers and administrators: ask an administrator for the engineer role");
    }
  });

  it("answers a customer out of scope exactly like a missing one, without its name", async () => {
    const outOfScope = await exportGet(ids.Acme!, "verdicts", "", { cookie: cookies.otherEngineer! });
    expect(outOfScope.status).toBe(404);
    const body = await outOfScope.text();
    expect(body).toBe("no such customer");
    expect(body).not.toContain("Acme");
    const missing = await exportGet("00000000-0000-4000-8000-000000000000", "verdicts", "", { cookie: cookies.admin! });
    expect([missing.status, await missing.text()]).toEqual([404, body]);
    const notAUuid = await exportGet("acme", "verdicts", "", { cookie: cookies.admin! });
    expect([notAUuid.status, await notAUuid.text()]).toEqual([404, body]);
    const noSuchTable = await exportGet(ids.Acme!, "guests", "", { cookie: cookies.admin! });
    expect(noSuchTable.status).toBe(404);
  });

  it("gives Acme's engineer a CSV download with one line per workload", async () => {
    const response = await exportGet(ids.Acme!, "verdicts", "", { cookie: cookies.engineer! });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename="acme-verdicts-\d{4}-\d{2}-\d{2}\.csv"$/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const { bom, records } = await readCsv(response);
    expect(bom).toBe(true);
    // Issue 14: each workload's role (with what it rests on), fit and evidence travel with the verdict.
    expect(records[0]).toEqual([
      "Workload", "Kind", "Role", "Role evidence", "Verdict", "Why", "Fit", "Evidence", "Host", "Cluster", "Tenant", "Guest OS", "Isolation",
      "RAM saved (MiB)", "Disk saved (MiB)", "CPU saved (millicores)", "Findings",
    ]);
    const { analysis } = await customerAnalysis(t, ids.Acme!);
    const expected = verdictRows(analysis, verdictFilterSchema.parse({}));
    expect(expected.length).toBeGreaterThan(0);
    expect(records.length - 1).toBe(expected.length);
    expect(records.slice(1).map((r) => r[0])).toEqual(expected.map((r) => r.name));
    expect(records.slice(1).every((r) => r.length === 17)).toBe(true);
    expect(new Set(records.slice(1).map((r) => r[1]))).toEqual(new Set(["virtual machine", "container"]));
    // A VM has a role and a fit; a container has neither (its verdict rests on what its engine says).
    expect(records.slice(1).map((r) => [r[2], r[6]])).toEqual(expected.map((r) => [r.roleLabel ?? "", r.fitLabel ?? ""]));
    expect(records.slice(1).filter((r) => r[1] === "virtual machine").every((r) => r[2] !== "" && r[3] !== "" && r[6] !== "")).toBe(true);
    expect(records.slice(1).filter((r) => r[1] === "container").every((r) => r[2] === "" && r[6] === "")).toBe(true);
  });

  it("gives engineers, administrators and their API tokens the same file", async () => {
    const { token } = await createApiToken(t, ids.exportEngineer!, "export script");
    const bodies: string[] = [];
    const callers: Record<string, string>[] = [{ cookie: cookies.engineer! }, { cookie: cookies.admin! }, { authorization: `Bearer ${token}` }];
    for (const headers of callers) {
      const response = await exportGet(ids.Acme!, "verdicts", "", headers);
      expect(response.status).toBe(200);
      bodies.push(await response.text());
    }
    expect(new Set(bodies).size).toBe(1);
  });

  it("exports findings with the same rows as the table", async () => {
    const response = await exportGet(ids.Acme!, "findings", "sort=name&dir=desc", { cookie: cookies.engineer! });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toMatch(/filename="acme-findings-/);
    const { records } = await readCsv(response);
    // Issue 14: each finding's upstream id, source URL (with its version) and where we deliberately differ.
    expect(records[0]).toEqual(["Severity", "Rule", "Finding", "Kind", "Workload", "Host", "Detail", "Why it matters", "Source", "Upstream id", "Source URL", "Deviation"]);
    const { analysis } = await customerAnalysis(t, ids.Acme!);
    const expected = findingRows(analysis, findingFilterSchema.parse({ sort: { column: "name", direction: "desc" } }));
    expect(expected.length).toBeGreaterThan(0);
    expect(records.slice(1).map((r) => [r[1], r[4]])).toEqual(expected.map((r) => [r.ruleId, r.name]));
    expect(records.slice(1).map((r) => [r[9], r[10], r[11]])).toEqual(expected.map((r) => [r.upstreamId ?? "", r.sourceUrl ?? "", r.deviation ?? ""]));
  });

  it("applies the page's filters exactly as the tRPC table does", async () => {
    const cookie = cookies.engineer!;
    for (const [query, input] of [
      ["kind=vm&verdict=to-container", { kind: "vm", verdict: "to-container" }],
      ["kind=container&sort=name&dir=asc", { kind: "container", sort: { column: "name", direction: "asc" } }],
      ["search=app", { search: "app" }],
    ] as const) {
      const csv = await readCsv(await exportGet(ids.Acme!, "verdicts", query, { cookie }));
      const trpc = await trpcGet("analysis.verdicts", { cookie }, { customerId: ids.Acme, pageSize: 200, ...input });
      expect(trpc.status).toBe(200);
      const page = (await trpc.json()) as { result: { data: { json: { rows: { name: string }[]; total: number } } } };
      expect(page.result.data.json.total).toBeLessThanOrEqual(200);
      expect(csv.records.length, query).toBeGreaterThan(1);
      expect(csv.records.slice(1).map((r) => r[0]), query).toEqual(page.result.data.json.rows.map((r) => r.name));
    }
  });

  it("refuses an invalid filter with a message naming it", async () => {
    for (const [table, query, param] of [
      ["verdicts", "verdict=maybe", "verdict"],
      ["verdicts", "kind=host", "kind"],
      ["verdicts", "sort=password", "sort"],
      ["findings", "severity=apocalyptic", "severity"],
      ["findings", "dir=sideways", "dir"],
    ] as const) {
      const response = await exportGet(ids.Acme!, table, query, { cookie: cookies.engineer! });
      expect(response.status, query).toBe(400);
      expect(await response.text()).toMatch(new RegExp(`^invalid filter: ${param}: `));
    }
  });

  it("records every export in the audit log, with the table, the filters and the row count", async () => {
    const before = await t.prisma.auditEvent.count({ where: { action: "export" } });
    const response = await exportGet(ids.Acme!, "verdicts", "kind=vm", { cookie: cookies.engineer!, "x-forwarded-for": "198.51.100.99" });
    const { records } = await readCsv(response);
    const events = await t.prisma.auditEvent.findMany({ where: { action: "export" }, orderBy: { at: "desc" } });
    expect(events.length).toBe(before + 1);
    expect(events[0]).toMatchObject({
      actorId: ids.exportEngineer,
      actorEmail: "export-engineer@example.com",
      target: ids.Acme,
      ip: "198.51.100.99",
      detail: { table: "verdicts", filters: { kind: "vm", search: "", sort: { column: "ramMiB", direction: "desc" } }, rows: records.length - 1 },
    });
    // Refused exports leave no export entry.
    await exportGet(ids.Acme!, "verdicts", "", { cookie: cookies.otherEngineer! });
    await exportGet(ids.Acme!, "verdicts", "", { cookie: cookies.viewer! });
    await exportGet(ids.Acme!, "verdicts", "verdict=maybe", { cookie: cookies.engineer! });
    expect(await t.prisma.auditEvent.count({ where: { action: "export" } })).toBe(before + 1);
  });

  it("neutralises workload names a spreadsheet would run as formulas", async () => {
    const hostile = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3+cmd|' /C calc'!A0", "\t=1+1"];
    const customer = await t.prisma.customer.create({ data: { name: 'Evil "Co"\r\n; =1+1' } });
    const source = await t.prisma.source.create({ data: { customerId: customer.id, kind: "demo", name: "evil", endpoint: "demo:evil" } });
    const snapshot = smallSnapshot({ vms: 2, containers: 4 });
    snapshot.containers = snapshot.containers!.map((c, i) => ({ ...c, name: hostile[i]! }));
    snapshot.virtualMachines = snapshot.virtualMachines!.map((v, i) => (i === 1 ? { ...v, name: hostile[4]! } : v));
    await applySnapshot(source.id, snapshot, { database: t });

    const response = await exportGet(customer.id, "verdicts", "sort=name&dir=asc", { cookie: cookies.admin! });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename="evil-co-1-1-verdicts-\d{4}-\d{2}-\d{2}\.csv"$/);
    const { text, records } = await readCsv(response);
    // Raw text: the quote-bearing cell is quoted with its quotes doubled, after the apostrophe.
    expect(text).toContain(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(text).not.toMatch(/(^|,)[=+@\t]/m);
    const names = records.slice(1).map((r) => r[0]);
    for (const name of hostile) expect(names).toContain(`'${name}`);
    // Every string cell of every row, not only names, starts safely; figures stay numbers.
    for (const record of records.slice(1)) {
      for (const cell of record) expect(/^[=+@\t\r]/.test(cell) || (/^-/.test(cell) && Number.isNaN(Number(cell))), cell).toBe(false);
    }

    const findings = await readCsv(await exportGet(customer.id, "findings", "", { cookie: cookies.admin! }));
    expect(findings.records.slice(1).map((r) => r[4])).toContain("'=HYPERLINK(\"http://x\",\"y\")");
  });
});

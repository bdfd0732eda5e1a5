/**
 * The report PDF route's refusals, before any Chromium starts (tests/e2e/report.test.ts prints a
 * real one): nobody signed in → 401, another customer's viewer → 404 as if missing, a token
 * without a browser session → 401 saying why, and no Chromium on the server → 503 naming what to
 * install. Nothing is audited for a PDF not made.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApiToken } from "../../server/auth/tokens";
import { createUser } from "../../server/auth/users";
import { createTestDatabase, type TestDatabase } from "./db";

let t: TestDatabase;
let initech: string;
let umbrella: string;
const route = () => import("../../app/api/report/[customerId]/route");
const aliasesRoute = () => import("../../app/api/report/[customerId]/aliases/route");

beforeAll(async () => {
  t = await createTestDatabase();
  initech = (await t.prisma.customer.create({ data: { name: "Initech" } })).id;
  umbrella = (await t.prisma.customer.create({ data: { name: "Umbrella" } })).id;
  (globalThis as unknown as { fleetlensDb?: unknown }).fleetlensDb = t;
  vi.stubEnv("FLEETLENS_URL", "http://localhost:3000");
  vi.stubEnv("FLEETLENS_DATA_DIR", fs.mkdtempSync(path.join(os.tmpdir(), "fleetlens-report-pdf-")));
});
afterAll(async () => {
  (globalThis as unknown as { fleetlensDb?: unknown }).fleetlensDb = undefined;
  vi.unstubAllEnvs();
  await t.drop();
});

async function tokenFor(email: string, customerIds: string[], role: "viewer" | "engineer" | "admin" = "viewer") {
  const user = await createUser(t, { email, name: email, password: "long-enough-password", role, allCustomers: role === "admin", customerIds });
  return (await createApiToken(t, user.id, "report test")).token;
}

async function get(customerId: string, headers: Record<string, string> = {}, query = "") {
  const { GET } = await route();
  const response = await GET(new Request(`http://localhost:3000/api/report/${customerId}${query}`, { headers }), { params: Promise.resolve({ customerId }) });
  return { status: response.status, text: await response.text(), type: response.headers.get("content-type") };
}

describe("report PDF route", () => {
  it("refuses who may not have it, and says what to install when the server has no Chromium", async () => {
    expect((await get(initech)).status).toBe(401);
    const outsider = await tokenFor("outsider@example.com", [umbrella]);
    const inScope = await tokenFor("viewer@example.com", [initech]);
    const missing = await get(initech, { authorization: `Bearer ${outsider}` });
    expect(missing).toMatchObject({ status: 404, text: "no such customer" });
    // The same answer as a customer that does not exist, and as an id that is no id.
    expect(await get("00000000-0000-4000-8000-000000000000", { authorization: `Bearer ${inScope}` })).toMatchObject({ status: 404, text: "no such customer" });
    expect(await get("not-an-id", { authorization: `Bearer ${inScope}` })).toMatchObject({ status: 404 });
    // The page the PDF prints needs a browser session: a token alone is told so.
    const noSession = await get(initech, { authorization: `Bearer ${inScope}` });
    expect(noSession.status).toBe(401);
    expect(noSession.text).toMatch(/browser session/);
    vi.stubEnv("FLEETLENS_CHROMIUM", path.join(os.tmpdir(), "no-such-chromium"));
    const noChromium = await get(initech, { authorization: `Bearer ${inScope}`, cookie: "fleetlens.session_token=x" }, "?anonymised=1");
    expect(noChromium.status).toBe(503);
    expect(noChromium.text).toMatch(/apt-get install chromium/);
    expect(noChromium.text).toMatch(/FLEETLENS_CHROMIUM/);
    expect(noChromium.text).toMatch(/Print button/);
    const audited = await t.pool.query("SELECT count(*)::int AS n FROM audit_event WHERE action = 'report-pdf'");
    expect(audited.rows[0].n).toBe(0);
  });

  it("gives the alias mapping as CSV to administrators only, formula-safe, audited", async () => {
    await t.pool.query(
      "INSERT INTO anonymised_name (customer_id, kind, original, alias) VALUES ($1, 'vm', '=HYPERLINK(\"x\")', 'vm-0001'), ($1, 'customer', 'Initech', 'Customer A')",
      [initech],
    );
    const { GET } = await aliasesRoute();
    const call = async (headers: Record<string, string>, customerId = initech) => {
      const response = await GET(new Request(`http://localhost:3000/api/report/${customerId}/aliases`, { headers }), { params: Promise.resolve({ customerId }) });
      return { status: response.status, text: await response.text() };
    };
    expect((await call({})).status).toBe(401);
    const viewer = await tokenFor("aliases-viewer@example.com", [initech]);
    const engineer = await tokenFor("aliases-engineer@example.com", [initech], "engineer");
    const admin = await tokenFor("aliases-admin@example.com", [], "admin");
    expect(await call({ authorization: `Bearer ${viewer}` })).toMatchObject({ status: 403, text: /administrators only/ });
    expect((await call({ authorization: `Bearer ${engineer}` })).status).toBe(403);
    expect((await call({ authorization: `Bearer ${admin}` }, "00000000-0000-4000-8000-000000000000")).status).toBe(404);
    const csv = await call({ authorization: `Bearer ${admin}` });
    expect(csv.status).toBe(200);
    const lines = csv.text.replace(/^\uFEFF/, "").trim().split(/\r?\n/);
    expect(lines[0]).toBe("Kind,Alias,Original");
    expect(lines).toContain("customer,Customer A,Initech");
    // A cell that would start a formula is neutralised.
    expect(lines.find((l) => l.startsWith("vm,"))).toMatch(/^vm,vm-0001,"?'=HYPERLINK/);
    const audited = await t.pool.query("SELECT count(*)::int AS n FROM audit_event WHERE action = 'report-aliases-export' AND target = $1", [initech]);
    expect(audited.rows[0].n).toBe(1);
  });
});

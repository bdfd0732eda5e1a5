/**
 * The dependency CSV route (GET /api/export/<customer>/dependencies) over real Postgres, as every
 * kind of caller: engineers and administrators in scope get the table, viewers are refused, an
 * engineer of another customer is told it does not exist, and each refusal says nothing of the
 * customer's data. The download is audited.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApiToken } from "../../server/auth/tokens";
import { createUser } from "../../server/auth/users";
import { applySnapshot } from "../../server/inventory/ingest";
import { dependencyGuestSnapshot, dependencyVmSnapshot, DEPENDENCY_ROWS } from "../fixtures/dependencies";
import { createTestDatabase, type TestDatabase } from "./db";

let t: TestDatabase;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestDatabase();
  for (const name of ["Shop", "Other"]) ids[name] = (await t.prisma.customer.create({ data: { name } })).id;
  const vc = await t.prisma.source.create({ data: { customerId: ids.Shop!, kind: "vsphere", name: "vc", endpoint: "https://vc.shop.example/sdk" } });
  const guests = await t.prisma.source.create({ data: { customerId: ids.Shop!, kind: "guest", name: "guests", endpoint: "inventory", username: "root" } });
  await applySnapshot(vc.id, dependencyVmSnapshot(), { database: t });
  await applySnapshot(guests.id, dependencyGuestSnapshot(), { database: t });
  // The route reads the process-wide database and, without a token, better-auth's session.
  (globalThis as unknown as { fleetlensDb?: unknown }).fleetlensDb = t;
  vi.stubEnv("FLEETLENS_URL", "http://localhost:3000");
  vi.stubEnv("FLEETLENS_DATA_DIR", fs.mkdtempSync(path.join(os.tmpdir(), "fleetlens-deps-export-")));
}, 120_000);

afterAll(async () => {
  (globalThis as unknown as { fleetlensDb?: unknown }).fleetlensDb = undefined;
  vi.unstubAllEnvs();
  await t?.drop();
});

describe("the dependency CSV route", () => {
  it("serves engineers and administrators in scope, refuses the others without a word of the data", async () => {
    const { GET } = await import("../../app/api/export/[customerId]/dependencies/route");
    const callers: Array<[string, "viewer" | "engineer" | "admin" | null, string[]]> = [
      ["anonymous", null, []],
      ["viewer", "viewer", [ids.Shop!]],
      ["otherEngineer", "engineer", [ids.Other!]],
      ["engineer", "engineer", [ids.Shop!]],
      ["admin", "admin", []],
    ];
    const seen: string[] = [];
    let csv = "";
    for (const [persona, role, customerIds] of callers) {
      let headers: Record<string, string> = {};
      if (role) {
        const user = await createUser(t, { email: `${persona.toLowerCase()}@example.com`, name: persona, password: "long-enough-password", role, allCustomers: role === "admin", customerIds });
        headers = { authorization: `Bearer ${(await createApiToken(t, user.id, "test")).token}` };
      }
      const response = await GET(new Request(`http://localhost:3000/api/export/${ids.Shop}/dependencies`, { headers }), {
        params: Promise.resolve({ customerId: ids.Shop! }),
      });
      const body = await response.text();
      if (response.status === 200) csv = body;
      else expect(body, persona).not.toMatch(/Shop|app01|db01|10\.20\./);
      seen.push(`${persona}: ${response.status}`);
    }
    expect(seen).toEqual(["anonymous: 401", "viewer: 403", "otherEngineer: 404", "engineer: 200", "admin: 200"]);
    const lines = csv.replace(/^\uFEFF/, "").trim().split("\n");
    expect(lines).toHaveLength(DEPENDENCY_ROWS.length + 1);
    for (const row of DEPENDENCY_ROWS) expect(lines.some((l) => l.startsWith(`${row.from},`) && l.includes(`,${row.to},`) && l.includes(`,${row.port},`))).toBe(true);
    const audit = await t.pool.query<{ detail: { table: string; rows: number } }>("SELECT detail FROM audit_event WHERE action = 'export' ORDER BY at");
    expect(audit.rows.map((r) => r.detail)).toEqual([
      { table: "dependencies", rows: DEPENDENCY_ROWS.length },
      { table: "dependencies", rows: DEPENDENCY_ROWS.length },
    ]);
  });
});

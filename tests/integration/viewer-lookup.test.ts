/**
 * What every request pays before its procedure runs (bench/api measured it): the API token's check
 * and its viewer (role, scope) come from one statement, and its last use is written at most once a
 * minute; a session's viewer from one statement too. Against a real database.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken, revokeApiToken } from "../../server/auth/tokens";
import { createUser } from "../../server/auth/users";
import { viewerForToken, viewerForUser } from "../../server/auth/viewer";
import type { Database } from "../../server/db/client";
import { createTestDatabase, type TestDatabase } from "./db";

let t: TestDatabase;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestDatabase();
  const acme = await t.prisma.customer.create({ data: { name: "Acme" } });
  const globex = await t.prisma.customer.create({ data: { name: "Globex" } });
  const initech = await t.prisma.customer.create({ data: { name: "Initech" } });
  Object.assign(ids, { acme: acme.id, globex: globex.id, initech: initech.id });
  const password = "correct-horse-battery";
  ids.viewer = (await createUser(t, { email: "v@example.com", name: "V", password, role: "viewer", allCustomers: false, customerIds: [acme.id, globex.id] })).id;
  ids.nobody = (await createUser(t, { email: "n@example.com", name: "N", password, role: "engineer", allCustomers: false })).id;
  ids.wide = (await createUser(t, { email: "w@example.com", name: "W", password, role: "engineer", allCustomers: true })).id;
  ids.admin = (await createUser(t, { email: "a@example.com", name: "A", password, role: "admin", allCustomers: false })).id;
});

afterAll(async () => {
  await t?.drop();
});

/** The token's user id, counting the statements sent for it. */
let statements = 0;
async function verifyApiToken(database: Database, token: string): Promise<string | null> {
  const counting = {
    ...database,
    pool: { query: (...args: Parameters<Database["pool"]["query"]>) => (statements++, database.pool.query(...args)) },
  } as unknown as Database;
  return (await viewerForToken(counting, token))?.id ?? null;
}

const lastUsed = async (id: string) => (await t.prisma.apiToken.findUniqueOrThrow({ where: { id } })).lastUsedAt;

describe("API token check", () => {
  it("records the first use, not every use within the minute, and the next use after it", async () => {
    const { token, id } = await createApiToken(t, ids.viewer!, "script");
    expect(await lastUsed(id)).toBeNull();
    statements = 0;
    expect(await verifyApiToken(t, token)).toBe(ids.viewer);
    expect(statements).toBe(2); // the check with its viewer, and the first use written
    const first = await lastUsed(id);
    expect(first).not.toBeNull();
    statements = 0;
    expect(await verifyApiToken(t, token)).toBe(ids.viewer);
    expect(statements).toBe(1);
    expect(await lastUsed(id)).toEqual(first);

    // 59 s ago is still within the minute; 61 s ago is not.
    await t.pool.query("UPDATE api_token SET last_used_at = now() - interval '59 seconds' WHERE id = $1", [id]);
    const recent = await lastUsed(id);
    await verifyApiToken(t, token);
    expect(await lastUsed(id)).toEqual(recent);
    await t.pool.query("UPDATE api_token SET last_used_at = now() - interval '61 seconds' WHERE id = $1", [id]);
    const old = (await lastUsed(id))!;
    await verifyApiToken(t, token);
    expect((await lastUsed(id))!.getTime()).toBeGreaterThan(old.getTime() + 50_000);
  });

  it("refuses a revoked token, another token's near miss and a made-up one", async () => {
    const { token, id } = await createApiToken(t, ids.viewer!, "to revoke");
    expect(await verifyApiToken(t, token)).toBe(ids.viewer);
    expect(await revokeApiToken(t, ids.viewer!, id)).toBe(true);
    expect(await verifyApiToken(t, token)).toBeNull();
    const other = await createApiToken(t, ids.viewer!, "other");
    expect(await verifyApiToken(t, `${other.token.slice(0, -1)}${other.token.endsWith("A") ? "B" : "A"}`)).toBeNull();
    expect(await verifyApiToken(t, "flk_made-up")).toBeNull();
    expect(await verifyApiToken(t, "not-a-token")).toBeNull();
  });

  it("gives the token's user's role and scope, and nothing once the user is deleted", async () => {
    const { token } = await createApiToken(t, ids.viewer!, "viewer's");
    const viewer = await viewerForToken(t, token);
    expect(viewer).toMatchObject({ id: ids.viewer, email: "v@example.com", role: "viewer", via: "token" });
    expect(viewer!.scope.kind === "some" && [...viewer!.scope.customerIds].sort()).toEqual([ids.acme, ids.globex].sort());
    expect(await viewerForToken(t, (await createApiToken(t, ids.admin!, "admin's")).token)).toMatchObject({ role: "admin", scope: { kind: "all" } });
    const gone = (await createUser(t, { email: "gt@example.com", name: "GT", password: "correct-horse-battery", role: "viewer", allCustomers: true })).id;
    const { token: orphan } = await createApiToken(t, gone, "orphan");
    expect(await viewerForToken(t, orphan)).toMatchObject({ id: gone });
    await t.prisma.user.delete({ where: { id: gone } });
    expect(await viewerForToken(t, orphan)).toBeNull();
  });
});

describe("viewer of a user", () => {
  it("gives the role and exactly the customers granted, or every customer to admins and all-customer users", async () => {
    const viewer = await viewerForUser(t, ids.viewer!, "token");
    expect(viewer).toMatchObject({ id: ids.viewer, email: "v@example.com", role: "viewer", via: "token" });
    expect(viewer!.scope.kind).toBe("some");
    expect(viewer!.scope.kind === "some" && [...viewer!.scope.customerIds].sort()).toEqual([ids.acme, ids.globex].sort());
    expect(viewer!.scope.kind === "some" && viewer!.scope.customerIds).not.toContain(ids.initech);

    expect(await viewerForUser(t, ids.nobody!, "session")).toMatchObject({ role: "engineer", scope: { kind: "some", customerIds: [] }, via: "session" });
    expect(await viewerForUser(t, ids.wide!, "session")).toMatchObject({ role: "engineer", scope: { kind: "all" } });
    expect(await viewerForUser(t, ids.admin!, "session")).toMatchObject({ role: "admin", scope: { kind: "all" } });
  });

  it("is null for a user that does not exist (deleted since the token was made)", async () => {
    expect(await viewerForUser(t, "no-such-user", "token")).toBeNull();
    const gone = (await createUser(t, { email: "g@example.com", name: "G", password: "correct-horse-battery", role: "viewer", allCustomers: true })).id;
    await t.prisma.user.delete({ where: { id: gone } });
    expect(await viewerForUser(t, gone, "token")).toBeNull();
  });
});

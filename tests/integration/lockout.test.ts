/**
 * The sign-in lockout cannot be turned against the owner (security review M2), an administrator
 * and the `admin` command can unlock and reset an account, and a new password leaves no API token
 * working (M4). Through the real route handlers (better-auth's and tRPC's) and, for the command,
 * a child process, against a real database.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApiToken } from "../../server/auth/tokens";
import { createUser } from "../../server/auth/users";
import { createTestDatabase, type TestDatabase } from "./db";

const BASE = "http://localhost:3000";
const PASSWORD = "correct-horse-battery";
type Handler = (r: Request) => Response | Promise<Response>;
let t: TestDatabase;
let routes: { trpc: { GET: Handler; POST: Handler }; auth: { GET: Handler; POST: Handler } };
let adminCookie: string;

// Every test takes its own addresses, so better-auth's 10-a-minute limit per address never trips.
let nextAddress = 1;
const address = () => `198.18.${Math.floor(nextAddress / 250)}.${(nextAddress++ % 250) + 1}`;

async function signIn(email: string, password: string, ip: string) {
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

async function trpcGet(procedure: string, headers: Record<string, string>) {
  return routes.trpc.GET(new Request(`${BASE}/api/trpc/${procedure}`, { headers }));
}

async function trpcPost(procedure: string, input: unknown, headers: Record<string, string>) {
  return routes.trpc.POST(
    new Request(`${BASE}/api/trpc/${procedure}`, {
      method: "POST",
      headers: { "content-type": "application/json", host: "localhost:3000", origin: BASE, ...headers },
      body: JSON.stringify({ json: input }),
    }),
  );
}

const json = async <T>(response: Response) => ((await response.json()) as { result: { data: { json: T } } }).result.data.json;

async function newUser(name: string, role: "admin" | "viewer" = "viewer") {
  const email = `${name}@example.com`;
  const { id } = await createUser(t, { email, name, password: PASSWORD, role, allCustomers: role === "admin" });
  return { id, email };
}

async function failFrom(email: string, ips: string[]) {
  for (const ip of ips) {
    const response = await signIn(email, "wrong-password-123", ip);
    expect(response.status, `wrong password from ${ip}: ${await response.text()}`).toBe(401);
  }
}

/** Moves an account's failure counters into the past, as if that much time had gone by. */
async function age(email: string, seconds: number) {
  await t.pool.query(`UPDATE sign_in_failure SET last_at = last_at - make_interval(secs => $2) WHERE email = $1`, [email, seconds]);
}

beforeAll(async () => {
  t = await createTestDatabase();
  vi.stubEnv("FLEETLENS_URL", BASE);
  vi.stubEnv("FLEETLENS_DATA_DIR", fs.mkdtempSync(path.join(os.tmpdir(), "fleetlens-lockout-")));
  (globalThis as unknown as { fleetlensDb: unknown }).fleetlensDb = t;
  routes = {
    trpc: await import("../../app/api/trpc/[trpc]/route"),
    auth: await import("../../app/api/auth/[...all]/route"),
  };
  const admin = await newUser("root", "admin");
  const response = await signIn(admin.email, PASSWORD, address());
  expect(response.status).toBe(200);
  adminCookie = cookieOf(response);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await t.drop();
});

describe("failed sign-ins lock an account from one address, not everywhere", () => {
  it("lets the owner sign in from a sixth address after five wrong passwords from five others", async () => {
    const { email } = await newUser("owner");
    await failFrom(email, [address(), address(), address(), address(), address()]);
    const response = await signIn(email, PASSWORD, address());
    expect(response.status, await response.clone().text()).toBe(200);
  });

  it("locks only the address that failed five times, until 15 minutes after the last failure", async () => {
    const { email } = await newUser("target");
    const attacker = address();
    await failFrom(email, [attacker, attacker, attacker, attacker, attacker]);

    const refused = await signIn(email, PASSWORD, attacker);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(14 * 60);
    expect(await refused.text()).toMatch(/Too many failed sign-ins for this account from your address\. Try again in 15 minutes/);

    const owner = address();
    expect((await signIn(email, PASSWORD, owner)).status).toBe(200);
    // The owner's success elsewhere does not unlock the attacker's address.
    expect((await signIn(email, PASSWORD, attacker)).status).toBe(429);

    await age(email, 14 * 60);
    expect((await signIn(email, PASSWORD, attacker)).status).toBe(429);
    await age(email, 61);
    expect((await signIn(email, PASSWORD, attacker)).status).toBe(200);
  });

  it("treats an email nobody has exactly like an account, so a lock reveals nothing", async () => {
    const ip = address();
    await failFrom("nobody-here@example.com", [ip, ip, ip, ip, ip]);
    const refused = await signIn("nobody-here@example.com", PASSWORD, ip);
    expect(refused.status).toBe(429);
    expect(await refused.text()).toMatch(/from your address\. Try again in 15 minutes/);
  });

  it("counts IPv6 addresses by their /64, so one network cannot rotate its addresses", async () => {
    const { email } = await newUser("ipv6");
    await failFrom(email, ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:aaaa::3", "2001:db8:1:2::4", "2001:db8:1:2::5"]);
    expect((await signIn(email, PASSWORD, "2001:db8:1:2:ffff::9")).status).toBe(429);
    expect((await signIn(email, PASSWORD, "2001:db8:1:3::1")).status).toBe(200);
  });

  it("keeps its counts when better-auth prunes its own rate-limit rows", async () => {
    const { email } = await newUser("pruned");
    const attacker = address();
    await failFrom(email, [attacker, attacker, attacker, attacker, attacker]);
    // better-auth deletes rate_limit rows older than its longest window (60 s) when a window
    // restarts: make every row old, then restart one.
    await t.pool.query(`UPDATE rate_limit SET last_request = last_request - 120000`);
    const before = Number((await t.pool.query(`SELECT count(*) FROM rate_limit`)).rows[0].count);
    expect((await signIn("someone-else@example.com", "whatever-password", attacker)).status).toBe(401);
    await vi.waitFor(async () => {
      expect(Number((await t.pool.query(`SELECT count(*) FROM rate_limit`)).rows[0].count)).toBeLessThan(before);
    });
    expect((await signIn(email, PASSWORD, attacker)).status).toBe(429);
  });
});

describe("a password spray over many addresses", () => {
  it("makes every attempt wait after ten failures, at most a minute, except from addresses the owner used", async () => {
    const { email } = await newUser("sprayed");
    const home = address();
    expect((await signIn(email, PASSWORD, home)).status).toBe(200);
    await failFrom(email, Array.from({ length: 10 }, address));
    // As if the fourteenth failure had only just happened (a 16 s wait): the checks below must not
    // outlast the wait however slow this machine is (after the tenth it is 1 s).
    await t.pool.query(`UPDATE sign_in_failure SET count = 14, last_at = now() WHERE email = $1 AND address = '*'`, [email]);

    // Parallel guesses from new addresses: one may go ahead, the others must wait.
    const statuses = await Promise.all(Array.from({ length: 6 }, () => signIn(email, "wrong-password-123", address()).then((r) => r.status)));
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(1);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(5);

    const traveller = address();
    const refused = await signIn(email, PASSWORD, traveller);
    expect(refused.status).toBe(429);
    expect(await refused.text()).toMatch(/Too many failed sign-ins for this account\. Try again in \d+ seconds?\./);
    // The owner at an address they signed in from before is not slowed down.
    expect((await signIn(email, PASSWORD, home)).status).toBe(200);

    // The wait doubles with each failure, up to a minute: after 30 failures it is a minute, not more.
    await t.pool.query(`UPDATE sign_in_failure SET count = 30, last_at = now() - interval '30 seconds' WHERE email = $1 AND address = '*'`, [email]);
    const halfway = await signIn(email, PASSWORD, traveller);
    expect(halfway.status).toBe(429);
    const wait = Number(halfway.headers.get("retry-after"));
    expect(wait).toBeGreaterThanOrEqual(29);
    expect(wait).toBeLessThanOrEqual(31);
    expect(await halfway.text()).toMatch(/Try again in (29|30|31) seconds\./);
    await age(email, 31);
    expect((await signIn(email, PASSWORD, traveller)).status).toBe(200);
  });
});

describe("an administrator", () => {
  it("sees a locked account and unlocks it, in the audit log", async () => {
    const { id, email } = await newUser("locked");
    const ip = address();
    await failFrom(email, [ip, ip, ip, ip, ip]);
    expect((await signIn(email, PASSWORD, ip)).status).toBe(429);

    const listed = (await json<{ id: string; locked: boolean; failedSignIns: number }[]>(await trpcGet("users.list", { cookie: adminCookie }))).find((u) => u.id === id);
    expect(listed).toMatchObject({ locked: true, failedSignIns: 5 });

    const unlocked = await trpcPost("users.unlock", { id }, { cookie: adminCookie, "x-forwarded-for": "198.51.100.1" });
    expect(unlocked.status).toBe(200);
    expect(await json(unlocked)).toEqual({ id, failedSignIns: 5 });
    expect((await signIn(email, PASSWORD, ip)).status).toBe(200);
    const after = (await json<{ id: string; locked: boolean }[]>(await trpcGet("users.list", { cookie: adminCookie }))).find((u) => u.id === id);
    expect(after?.locked).toBe(false);
    const event = await t.prisma.auditEvent.findFirstOrThrow({ where: { action: "user-unlocked", target: email } });
    expect(event).toMatchObject({ actorEmail: "root@example.com", detail: { failedSignIns: 5 } });
  });

  it("ends the user's sessions and revokes their API tokens with a new password, and says so", async () => {
    const { id, email } = await newUser("reset");
    const cookie = cookieOf(await signIn(email, PASSWORD, address()));
    const { token } = await createApiToken(t, id, "script");
    const bearer = { authorization: `Bearer ${token}` };
    expect((await trpcGet("fleet.overview", bearer)).status).toBe(200);

    const response = await trpcPost("users.setPassword", { id, password: "brand-new-password" }, { cookie: adminCookie });
    expect(response.status).toBe(200);
    expect((await trpcGet("fleet.overview", bearer)).status, "API token made before the reset").toBe(401);
    expect((await trpcGet("fleet.overview", { cookie })).status).toBe(401);
    expect(await json(response)).toEqual({ id, sessionsEnded: 1, tokensRevoked: 1 });
    const event = await t.prisma.auditEvent.findFirstOrThrow({ where: { action: "user-password-set", target: email } });
    expect(event.detail).toEqual({ sessionsEnded: 1, tokensRevoked: 1 });
  });
});

describe("changing one's own password", () => {
  it("signs out the other sessions and revokes the API tokens, even when asked not to", async () => {
    const { id, email } = await newUser("changer");
    const here = cookieOf(await signIn(email, PASSWORD, address()));
    const elsewhere = cookieOf(await signIn(email, PASSWORD, address()));
    const { token } = await createApiToken(t, id, "script");

    const changed = await routes.auth.POST(
      new Request(`${BASE}/api/auth/change-password`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: BASE, host: "localhost:3000", cookie: here, "x-forwarded-for": address() },
        body: JSON.stringify({ currentPassword: PASSWORD, newPassword: "my-own-new-password", revokeOtherSessions: false }),
      }),
    );
    expect(changed.status, await changed.clone().text()).toBe(200);
    expect((await trpcGet("fleet.overview", { authorization: `Bearer ${token}` })).status, "API token made before the change").toBe(401);
    expect((await trpcGet("fleet.overview", { cookie: elsewhere })).status, "the other session").toBe(401);
    expect((await trpcGet("fleet.overview", { cookie: cookieOf(changed) })).status, "this session, renewed").toBe(200);
    const event = await t.prisma.auditEvent.findFirstOrThrow({ where: { action: "password-changed", actorId: id } });
    expect(event.detail).toEqual({ otherSessionsEnded: true, tokensRevoked: 1 });
  });
});

describe("npm run admin", () => {
  const tsx = path.join(process.cwd(), "node_modules", "tsx", "dist", "cli.mjs");
  function admin(args: string[], env: Record<string, string | undefined>, stdin?: string) {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, FLEETLENS_NEW_PASSWORD: undefined, ...env };
    for (const key of Object.keys(childEnv)) if (childEnv[key] === undefined) delete childEnv[key];
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [tsx, "scripts/admin.ts", ...args], { env: childEnv, cwd: process.cwd(), timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin?.end(stdin ?? "");
    });
  }

  it("unlocks an account", async () => {
    const { email } = await newUser("cli-unlock");
    const ip = address();
    await failFrom(email, [ip, ip, ip, ip, ip]);
    expect((await signIn(email, PASSWORD, ip)).status).toBe(429);

    const run = await admin(["unlock", email.toUpperCase()], { DATABASE_URL: t.url });
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(run.stdout).toBe(`Unlocked ${email}: forgot 5 failed sign-ins; every address may sign in again.\n`);
    expect((await signIn(email, PASSWORD, ip)).status).toBe(200);
    expect(await t.prisma.auditEvent.findFirst({ where: { action: "user-unlocked", target: email, actorEmail: "cli" } })).not.toBeNull();
  });

  it("resets a password from the environment or stdin, never the command line, and ends sessions and tokens", async () => {
    const { id, email } = await newUser("cli-reset");
    const cookie = cookieOf(await signIn(email, PASSWORD, address()));
    const { token } = await createApiToken(t, id, "script");
    const ip = address();
    await failFrom(email, [ip, ip, ip, ip, ip]);

    const onArgv = await admin(["reset-password", email, "a-password-on-argv"], { DATABASE_URL: t.url });
    expect(onArgv.code).toBe(2);
    expect(onArgv.stderr).toMatch(/never the command line/);
    expect((await trpcGet("fleet.overview", { authorization: `Bearer ${token}` })).status).toBe(200);

    const fromEnv = await admin(["reset-password", email], { DATABASE_URL: t.url, FLEETLENS_NEW_PASSWORD: "env-new-password" });
    expect(fromEnv, fromEnv.stderr).toMatchObject({ code: 0 });
    expect(fromEnv.stdout).toBe(`Set a new password for ${email}: ended 1 session, revoked 1 API token, and forgot the failed sign-ins.\n`);
    expect((await trpcGet("fleet.overview", { authorization: `Bearer ${token}` })).status).toBe(401);
    expect((await trpcGet("fleet.overview", { cookie })).status).toBe(401);
    expect((await signIn(email, PASSWORD, address())).status).toBe(401);
    expect((await signIn(email, "env-new-password", ip)).status).toBe(200);
    const event = await t.prisma.auditEvent.findFirstOrThrow({ where: { action: "user-password-set", target: email, actorEmail: "cli" } });
    expect(event.detail).toEqual({ sessionsEnded: 1, tokensRevoked: 1, failedSignIns: 5 });

    const tooShort = await admin(["reset-password", email], { DATABASE_URL: t.url }, "short\n");
    expect(tooShort.code).toBe(1);
    expect(tooShort.stderr).toMatch(/at least 10 characters/);
    const fromStdin = await admin(["reset-password", email], { DATABASE_URL: t.url }, "stdin-new-password\n");
    expect(fromStdin, fromStdin.stderr).toMatchObject({ code: 0 });
    expect((await signIn(email, "stdin-new-password", address())).status).toBe(200);
  });

  it("says plainly when there is no such user, no database, or the embedded PostgreSQL is not running", async () => {
    const unknown = await admin(["unlock", "ghost@example.com"], { DATABASE_URL: t.url });
    expect(unknown).toMatchObject({ code: 1, stderr: "admin: no user with the email ghost@example.com\n" });

    const usage = await admin([], { DATABASE_URL: t.url });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^usage: npm run --silent admin -- <command> <email>/);

    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "fleetlens-admin-"));
    const noDatabase = await admin(["unlock", "root@example.com"], { DATABASE_URL: undefined, FLEETLENS_DATA_DIR: empty });
    expect(noDatabase.code).toBe(1);
    expect(noDatabase.stderr).toMatch(/no database: DATABASE_URL is not set and there is no embedded PostgreSQL here/);

    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, "127.0.0.1", () => {
        const { port: free } = server.address() as net.AddressInfo;
        server.close(() => resolve(free));
      });
    });
    fs.writeFileSync(path.join(empty, "postgres.json"), JSON.stringify({ user: "fleetlens", password: "x", port, database: "fleetlens" }));
    const stopped = await admin(["unlock", "root@example.com"], { DATABASE_URL: undefined, FLEETLENS_DATA_DIR: empty });
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(new RegExp(`the embedded PostgreSQL on 127\\.0\\.0\\.1:${port} .* is not running\\. Start Fleetlens first`));
  });
});

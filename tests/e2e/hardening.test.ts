/**
 * The attacks of the security review (issue 12) replayed against Fleetlens started as users start
 * it: forged forwarding headers, oversized and form-encoded bodies, injected markup under the
 * page's Content Security Policy, a second start on a data directory in use, and the dashboard or
 * its PostgreSQL killed (a supervisor must see the failure).
 */
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WEB_PROCESS_FLAGS } from "../../server/http/web-flags";
import { ADMIN, launchBrowser, signIn, startApp, type RunningApp } from "./harness";

let app: RunningApp;
let browser: Browser;
let cookie = "";

/** Every process below `pid`, with its command line. */
function descendants(pid: number): { pid: number; args: string }[] {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" })
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }));
  const found: { pid: number; args: string }[] = [];
  const walk = (parent: number) => {
    for (const row of rows.filter((r) => r.ppid === parent)) {
      found.push({ pid: row.pid, args: row.args });
      walk(row.pid);
    }
  };
  walk(pid);
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

beforeAll(async () => {
  app = await startApp();
  browser = await launchBrowser();
  const response = await fetch(`${app.baseUrl}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: app.baseUrl },
    body: JSON.stringify(ADMIN),
  });
  expect(response.status).toBe(200);
  cookie = (response.headers.getSetCookie()[0] ?? "").split(";")[0]!;
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

const resetParameters = (headers: Record<string, string>, body: BodyInit = "{}") =>
  fetch(`${app.baseUrl}/api/trpc/analysis.resetParameters`, { method: "POST", headers: { cookie, ...headers }, body });

describe("requests", () => {
  it("refuses bodies over the limit before reading them, and bodies of unknown length", async () => {
    const big = JSON.stringify({ email: "a@example.com", password: "x".repeat(100 * 1024) });
    const auth = await fetch(`${app.baseUrl}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: app.baseUrl },
      body: big,
    });
    expect(auth.status).toBe(413);
    expect((await auth.json()).error).toMatch(/request body too large: \d+ bytes, the limit here is 65536/);

    const api = await resetParameters({ "content-type": "application/json" }, JSON.stringify({ x: "y".repeat(2 * 1024 * 1024) }));
    expect(api.status).toBe(413);

    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("{}"));
        controller.close();
      },
    });
    const chunked = await fetch(`${app.baseUrl}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: app.baseUrl },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(411);
    // The server is still fine.
    expect((await fetch(`${app.baseUrl}/api/health`)).status).toBe(200);
  });

  it("takes the origin from its configuration, not from X-Forwarded-Host, and mutations as JSON only", async () => {
    const forged = await resetParameters({
      "content-type": "application/json",
      origin: "http://evil.example",
      "x-forwarded-host": "evil.example",
    });
    expect(forged.status).toBe(403);
    const form = new FormData();
    form.set("x", "1");
    const multipart = await resetParameters({}, form);
    expect(multipart.status).toBe(415);
    const text = await resetParameters({ "content-type": "text/plain" }, "{}");
    expect(text.status).toBe(415);
    // The same call from Fleetlens' own origin, as JSON, goes through.
    expect((await resetParameters({ "content-type": "application/json", origin: app.baseUrl })).status).toBe(200);
  });

  it("answers the API itself with the API's security headers, gzip only for answers worth it", async () => {
    // serve.ts answers /api/trpc without Next.js (server/http/trpc.ts): the headers next.config.js gives API answers must still be there.
    const call = (path: string, encoding: string) => fetch(`${app.baseUrl}/api/trpc/${path}`, { headers: { cookie, "accept-encoding": encoding } });
    const small = await call("account.me", "gzip");
    expect(small.status).toBe(200);
    expect(small.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    expect(small.headers.get("x-content-type-options")).toBe("nosniff");
    expect(small.headers.get("x-frame-options")).toBe("DENY");
    expect(small.headers.get("referrer-policy")).toBe("same-origin");
    expect(small.headers.get("content-type")).toMatch(/^application\/json/);
    expect(small.headers.get("content-encoding")).toBeNull();
    expect(((await small.json()) as { result: { data: { json: { email: string } } } }).result.data.json.email).toBe(ADMIN.email);

    const zipped = await call("fleet.overview", "gzip, deflate");
    const plain = await call("fleet.overview", "identity");
    expect(zipped.headers.get("content-encoding")).toBe("gzip");
    expect(zipped.headers.get("vary")).toMatch(/accept-encoding/i);
    expect(plain.headers.get("content-encoding")).toBeNull();
    const text = await plain.text();
    expect(text.length).toBeGreaterThanOrEqual(1024);
    expect(await zipped.text()).toBe(text);

    // A call the router does not have, and one without a session: tRPC's own errors, with the same headers.
    const unknown = await call("fleet.nothing", "gzip");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
    const anonymous = await fetch(`${app.baseUrl}/api/trpc/account.me`);
    expect(anonymous.status).toBe(401);
  });

  it("sends a day-old session's renewed cookie with the API's answer, as better-auth renews the session", async () => {
    // better-auth renews a session once a day (updateAge) and sets its cookie again; the API answered
    // outside Next.js must hand that cookie on itself, or the browser's copy expires while the session lives.
    const token = decodeURIComponent(cookie.slice(cookie.indexOf("=") + 1)).split(".")[0]!;
    await app.query("UPDATE session SET expires_at = now() + interval '5 days' WHERE token = $1", [token]);
    const me = await fetch(`${app.baseUrl}/api/trpc/account.me`, { headers: { cookie } });
    expect(me.status).toBe(200);
    const renewed = me.headers.getSetCookie().find((c) => c.startsWith("fleetlens.session_token="));
    expect(renewed).toMatch(/Max-Age=604800/i);
    expect(renewed).toMatch(/HttpOnly/i);
    const [row] = await app.query<{ days: number }>("SELECT extract(epoch FROM expires_at - now()) / 86400 AS days FROM session WHERE token = $1", [token]);
    expect(Number(row!.days)).toBeGreaterThan(6.9);
    // A fresh session is not renewed: no cookie on the next call.
    expect((await fetch(`${app.baseUrl}/api/trpc/account.me`, { headers: { cookie } })).headers.getSetCookie()).toEqual([]);
  });

  it("keeps the analyses it answers from fresh: after a call that reads one, it listens for new ones stored", async () => {
    // The API is answered outside Next.js' bundle (trpc.ts), where NEXT_RUNTIME is not set: serve.ts turns it on itself.
    const listening = async () => (await app.query(`SELECT 1 FROM pg_stat_activity WHERE query = 'LISTEN customer_analysis'`)).length;
    const [customer] = await app.query<{ id: string }>("SELECT id FROM customer ORDER BY name LIMIT 1");
    // A filtered page reads the whole analysis (the default first pages come from the stored summary).
    const input = encodeURIComponent(JSON.stringify({ json: { customerId: customer!.id, kind: "vm" } }));
    const verdicts = await fetch(`${app.baseUrl}/api/trpc/analysis.verdicts?input=${input}`, { headers: { cookie } });
    expect(verdicts.status).toBe(200);
    await expect.poll(listening, { timeout: 20_000 }).toBeGreaterThan(0);
  });

  it("keeps an idle keep-alive connection longer than clients do, so a request sent on it after a pause is answered", async () => {
    // Node's default (5 s) closed idle connections while clients still reused them: the request sent
    // on a connection the server was closing failed ("fetch failed"), 18 of them under bench/load.
    const { port, hostname } = new URL(app.baseUrl);
    const socket = net.connect(Number(port), hostname);
    await once(socket, "connect");
    let received = "";
    socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
    let closedAt: number | null = null;
    socket.on("close", () => (closedAt = Date.now()));
    const ask = async () => {
      const before = received.length;
      socket.write(`GET /api/health HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: keep-alive\r\n\r\n`);
      await expect.poll(() => /HTTP\/1\.1 (\d+)/.exec(received.slice(before))?.[1], { timeout: 10_000 }).toBe("200");
    };
    await ask();
    expect(received).toMatch(/keep-alive: timeout=(\d+)/i);
    expect(Number(/keep-alive: timeout=(\d+)/i.exec(received)![1])).toBeGreaterThanOrEqual(60);
    await new Promise((resolve) => setTimeout(resolve, 7_000));
    expect(closedAt).toBeNull();
    await ask();
    socket.destroy();
  }, 30_000);
});

describe("pages", () => {
  it("send a script nonce instead of 'unsafe-inline', so injected inline handlers do not run", async () => {
    const response = await fetch(`${app.baseUrl}/login`);
    const policy = response.headers.get("content-security-policy") ?? "";
    const scriptSrc = policy.split(";").find((d) => d.trim().startsWith("script-src")) ?? "";
    expect(scriptSrc).toMatch(/'nonce-[A-Za-z0-9+/=]{16,}'/);
    expect(scriptSrc).not.toContain("unsafe-inline");
    // A fresh nonce per request.
    const again = (await fetch(`${app.baseUrl}/login`)).headers.get("content-security-policy");
    expect(again).not.toBe(policy);
    // API answers allow nothing.
    expect((await fetch(`${app.baseUrl}/api/health`)).headers.get("content-security-policy")).toMatch(/default-src 'none'/);

    const page = await browser.newPage();
    try {
      const violations: string[] = [];
      await page.exposeFunction("reportViolation", (directive: string) => violations.push(directive));
      await signIn(page, app.baseUrl, ADMIN.email, ADMIN.password);
      // The page works (hydrated: client navigation runs).
      await page.getByRole("link", { name: "Sources", exact: true }).click();
      await page.getByRole("heading", { name: "Sources", level: 1 }).waitFor();
      await page.evaluate(() => {
        document.addEventListener("securitypolicyviolation", (e) =>
          (window as unknown as { reportViolation: (d: string) => void }).reportViolation(e.violatedDirective),
        );
        // Markup as an injection would bring it: an inline handler and a javascript: link.
        document.body.insertAdjacentHTML(
          "beforeend",
          `<img id="bad" src="data:," onerror="window.__pwned = 1"><a id="bad-link" href="javascript:window.__pwned2 = 1">x</a>`,
        );
      });
      await page.locator("#bad-link").click();
      await page.waitForTimeout(300);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(await page.evaluate(() => (window as unknown as { __pwned2?: number }).__pwned2)).toBeUndefined();
      expect(violations.some((d) => d.startsWith("script-src"))).toBe(true);
    } finally {
      await page.close();
    }
  });
});

describe("sign-in throttle", () => {
  it("keys on the real client address: a new X-Forwarded-For per try does not get past the limit, and the audit log shows the real address", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) {
      const response = await fetch(`${app.baseUrl}/api/auth/sign-in/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: app.baseUrl, "x-forwarded-for": `203.0.113.${i + 1}` },
        body: JSON.stringify({ email: `nobody${i}@example.com`, password: "wrong-password-123" }),
      });
      statuses.push(response.status);
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3);
    const rows = await app.query<{ ip: string | null }>(
      `SELECT ip FROM audit_event WHERE action = 'sign-in-failed' AND actor_email LIKE 'nobody%'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.ip).toMatch(/^(127\.0\.0\.1|::1)$/);
  });
});

describe("supervision", () => {
  it("a second start on a data directory in use says so plainly and exits", async () => {
    await expect(startApp({ dataDir: app.dataDir })).rejects.toThrow(
      /the data directory .* is in use: its PostgreSQL is already running \(pid \d+\)/,
    );
    // The first one is untouched.
    expect((await fetch(`${app.baseUrl}/api/health`)).status).toBe(200);
  });

  it("exits non-zero, its PostgreSQL stopped, when the dashboard process is killed", async () => {
    const processes = descendants(app.pid);
    const dashboard = processes.find((p) => p.args.includes("server/http/serve.ts"));
    const postgres = processes.find((p) => /postgres -D/.test(p.args));
    expect(dashboard).toBeDefined();
    expect(postgres).toBeDefined();
    // With the V8 flags the measurements were made with (web-flags.ts).
    for (const flag of WEB_PROCESS_FLAGS) expect(dashboard!.args.split(" ")).toContain(flag);
    process.kill(dashboard!.pid, "SIGKILL");
    const code = await within(30_000, app.exited, "Fleetlens after its dashboard was killed");
    expect(code).not.toBe(0);
    expect(app.output()).toMatch(/the dashboard process was killed \(SIGKILL\): stopping Fleetlens \(exit code 1\)/);
    expect(alive(postgres!.pid)).toBe(false);
  });

  it("exits non-zero, its dashboard stopped, when its embedded PostgreSQL dies", async () => {
    const other = await startApp({ env: { FLEETLENS_DEMO: "off" } });
    try {
      const processes = descendants(other.pid);
      const dashboard = processes.find((p) => p.args.includes("server/http/serve.ts"));
      const postgres = processes.find((p) => /postgres -D/.test(p.args));
      expect(dashboard).toBeDefined();
      process.kill(postgres!.pid, "SIGKILL");
      const code = await within(30_000, other.exited, "Fleetlens after its PostgreSQL was killed");
      expect(code).not.toBe(0);
      expect(other.output()).toMatch(/the embedded PostgreSQL exited unexpectedly \(signal SIGKILL\)/);
      expect(alive(dashboard!.pid)).toBe(false);
    } finally {
      await other.stop();
    }
  });
});

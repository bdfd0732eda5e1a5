/**
 * Remote collectors pushing snapshots (POST /api/sources/<id>/snapshot), through the route handler
 * with real PostgreSQL and the real worker (each push is ingested in a collection process of its
 * own): the callers are the five personas (plus an engineer of another customer and a bad token),
 * bad, oversized, wrong-kind, out-of-scope and disabled pushes are refused with nothing stored, a
 * good one ends as a succeeded "push" run with its inventory and an audit entry, a push that fails
 * in the worker keeps the previous inventory, and the real CLI (`collect demo … --push`, once and
 * with --every) pushes to the route served over HTTP.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { createApiToken } from "../../server/auth/tokens";
import { createUser } from "../../server/auth/users";
import { generateCustomerSnapshot } from "../../server/collectors/demo/fleet";
import { parseSnapshot } from "../../server/inventory/snapshot";
import { dueSources } from "../../server/jobs/queue";
import { forgetPushedFile, prunePushes, pushesRoot } from "../../server/jobs/pushes";
import { startWorker } from "../../server/jobs/worker";
import { createTestDatabase, settledRun, type TestDatabase } from "./db";

let t: TestDatabase;
let work: string;
const ids: Record<string, string> = {};
const tokens: Record<string, string> = {};
const route = () => import("../../app/api/sources/[sourceId]/snapshot/route");
const ORIGIN = "http://localhost:3000";
const ROOT = path.resolve(import.meta.dirname, "../..");

beforeAll(async () => {
  t = await createTestDatabase();
  work = await mkdtemp(path.join(os.tmpdir(), "fleetlens-push-"));
  (globalThis as unknown as { fleetlensDb?: unknown }).fleetlensDb = t;
  vi.stubEnv("FLEETLENS_URL", ORIGIN);
  vi.stubEnv("FLEETLENS_DATA_DIR", path.join(work, "data"));
  for (const name of ["Acme", "Globex"]) ids[name] = (await t.prisma.customer.create({ data: { name } })).id;
  const source = (customer: string, kind: "demo" | "docker", name: string, endpoint: string, enabled = true) =>
    t.prisma.source.create({ data: { customerId: ids[customer]!, kind, name, endpoint, intervalSeconds: 3600, enabled } });
  ids.demo = (await source("Acme", "demo", "acme-remote", "demo:acme")).id;
  ids.docker = (await source("Acme", "docker", "acme-docker", "unix:///acme.sock")).id;
  ids.disabled = (await source("Acme", "demo", "acme-disabled", "demo:acme", false)).id;
  ids.globex = (await source("Globex", "demo", "globex-remote", "demo:globex")).id;
  const personas: Array<[string, "viewer" | "engineer" | "admin", string[]]> = [
    ["otherViewer", "viewer", [ids.Globex!]],
    ["viewer", "viewer", [ids.Acme!]],
    ["otherEngineer", "engineer", [ids.Globex!]],
    ["engineer", "engineer", [ids.Acme!]],
    ["admin", "admin", []],
  ];
  for (const [persona, role, customerIds] of personas) {
    const user = await createUser(t, { email: `${persona.toLowerCase()}@example.com`, name: persona, password: "long-enough-password", role, allCustomers: role === "admin", customerIds });
    ids[`user:${persona}`] = user.id;
    tokens[persona] = (await createApiToken(t, user.id, "push test")).token;
  }
  tokens.badToken = "flk_not-a-real-token";
});

afterAll(async () => {
  (globalThis as unknown as { fleetlensDb?: unknown }).fleetlensDb = undefined;
  vi.unstubAllEnvs();
  await rm(work, { recursive: true, force: true });
  await t.drop();
});

/** What `collect demo demo:acme --vms N --json` prints: the kind, then the snapshot. */
function printed(vms: number, collectedAt = "2026-12-01T10:00:00.000Z"): Record<string, unknown> {
  return { kind: "demo", ...parseSnapshot(generateCustomerSnapshot("acme", { vms, collectedAt })) };
}

async function push(
  body: string | ReadableStream<Uint8Array>,
  options: { persona?: string; sourceId?: string; type?: string; origin?: string } = {},
) {
  const { POST } = await route();
  const sourceId = options.sourceId ?? ids.demo!;
  const headers: Record<string, string> = { "content-type": options.type ?? "application/json" };
  const persona = options.persona ?? "engineer";
  if (persona !== "anonymous") headers.authorization = `Bearer ${tokens[persona]}`;
  if (options.origin) headers.origin = options.origin;
  const request = new Request(`${ORIGIN}/api/sources/${sourceId}/snapshot`, {
    method: "POST",
    headers,
    body,
    ...(typeof body === "string" ? {} : { duplex: "half" }),
  } as RequestInit);
  const response = await POST(request, { params: Promise.resolve({ sourceId }) });
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) as { runId: string; poll: string; bytes: number; counts: Record<string, number> } };
}

async function poll(url: string, persona = "engineer") {
  const { GET } = await route();
  const request = new Request(new URL(url, ORIGIN), { headers: persona === "anonymous" ? {} : { authorization: `Bearer ${tokens[persona]}` } });
  const sourceId = /\/api\/sources\/([^/]+)\/snapshot/.exec(url)![1]!;
  const response = await GET(request, { params: Promise.resolve({ sourceId }) });
  return { status: response.status, text: await response.text() };
}

async function worker() {
  const w = await startWorker(t, { url: t.url, scheduleMs: 0, pollMs: 300 });
  onTestFinished(() => w.stop());
  return w;
}

const storedFiles = (sourceId = ids.demo!) => {
  const folder = path.join(pushesRoot(), sourceId);
  return existsSync(folder) ? readdirSync(folder).sort() : [];
};
const vmRows = (sourceId = ids.demo!) =>
  t.prisma.virtualMachine.findMany({ where: { sourceId }, select: { id: true, name: true, instanceUuid: true }, orderBy: { name: "asc" } });
const runCount = () => t.prisma.collectionRun.count();

describe("pushing a snapshot", () => {
  it("is for engineers and administrators in the source's scope, with a valid token", async () => {
    const body = JSON.stringify(printed(3));
    const seen: string[] = [];
    for (const persona of ["anonymous", "badToken", "otherViewer", "viewer", "otherEngineer", "engineer", "admin"]) {
      const answer = await push(body, { persona });
      // Nobody refused learns of the source: no name, no run.
      if (answer.status !== 202) expect(answer.text).not.toMatch(/acme-remote|demo:acme/);
      seen.push(`${persona}: ${answer.status}`);
    }
    expect(seen).toEqual(["anonymous: 401", "badToken: 401", "otherViewer: 403", "viewer: 403", "otherEngineer: 404", "engineer: 202", "admin: 202"]);
    const runs = await t.prisma.collectionRun.findMany({ where: { sourceId: ids.demo }, orderBy: { startedAt: "asc" } });
    expect(runs.map((r) => [r.status, r.trigger, r.uploadName, Number(r.uploadBytes)])).toEqual([
      ["queued", "push", "snapshot collected 2026-12-01T10:00:00.000Z", Buffer.byteLength(body)],
      ["queued", "push", "snapshot collected 2026-12-01T10:00:00.000Z", Buffer.byteLength(body)],
    ]);
    const audits = await t.prisma.auditEvent.findMany({ where: { action: "source-push" } });
    expect(audits.map((a) => a.actorId).sort()).toEqual([ids["user:engineer"], ids["user:admin"]].sort());
    expect(audits[0]!.detail).toMatchObject({ outcome: "queued", via: "token", bytes: Buffer.byteLength(body), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // The files wait in the server's own folder, named by their runs.
    expect(storedFiles()).toEqual(runs.map((r) => `${r.id}.json`).sort());
    await t.prisma.collectionRun.deleteMany({ where: { sourceId: ids.demo } });
    await rm(path.join(pushesRoot(), ids.demo!), { recursive: true, force: true });
  });

  it("ingests a good push as a collection run, then a changed one keeping ids; refusals and a failed run keep the inventory", async () => {
    await worker();
    const first = printed(8);
    const one = await push(JSON.stringify(first));
    expect(one.status).toBe(202);
    expect(one.json().poll).toBe(`/api/sources/${ids.demo}/snapshot?run=${one.json().runId}`);
    const run1 = await settledRun(t, one.json().runId);
    expect([run1.status, run1.error, run1.trigger]).toEqual(["succeeded", null, "push"]);
    const vms = (first.virtualMachines as unknown[]).length;
    expect(run1.added).toBe(vms + (first.hosts as unknown[]).length + (first.containers as unknown[]).length + (first.images as unknown[]).length);
    const before = await vmRows();
    expect(before).toHaveLength(vms);
    // Ingested, the file is deleted (just after the run is recorded); the run keeps its name and size.
    await vi.waitFor(() => expect(storedFiles()).toEqual([]), { timeout: 10_000 });

    // The poll URL: the run as its source's viewers see it; out of scope or signed out, nothing.
    const polled = await poll(one.json().poll, "viewer");
    expect(polled.status).toBe(200);
    expect(JSON.parse(polled.text)).toMatchObject({ id: run1.id, status: "succeeded", trigger: "push", added: run1.added });
    expect((await poll(one.json().poll, "otherViewer")).status).toBe(404);
    expect((await poll(one.json().poll, "anonymous")).status).toBe(401);

    // Refused pushes: no run, no file, the inventory as it was.
    const runsBefore = await runCount();
    const good = JSON.stringify(first);
    const cases: Array<[string, Parameters<typeof push>, number, RegExp]> = [
      ["not JSON", ["{ hosts: [", {}], 400, /not JSON/],
      ["an array", ["[]", {}], 400, /not a snapshot/],
      ["no kind", [JSON.stringify({ ...first, kind: undefined }), {}], 400, /does not say which collector made it: its "kind" must be "demo"/],
      ["another kind", [good, { sourceId: ids.docker }], 400, /collected by a "demo" collector, but this source's kind is "docker"/],
      ["a bad collectedAt", [JSON.stringify({ ...first, collectedAt: "yesterday" }), {}], 400, /invalid snapshot: collectedAt: /],
      ["hosts not a list", [JSON.stringify({ ...first, hosts: "none" }), {}], 400, /invalid snapshot: .*hosts: /],
      ["another version", [JSON.stringify({ ...first, version: 2 }), {}], 400, /invalid snapshot: version: /],
      ["an empty body", ["", {}], 400, /no body/],
      ["a form post", ["a=b", { type: "application/x-www-form-urlencoded" }], 415, /Content-Type application\/json/],
      ["another site's page", [good, { origin: "https://evil.example" }], 403, /cross-site request refused/],
      ["a disabled source", [good, { sourceId: ids.disabled }], 409, /“acme-disabled” is disabled/],
      ["another customer's source", [good, { sourceId: ids.globex }], 404, /no such source/],
      ["a source that does not exist", [good, { sourceId: "00000000-0000-4000-8000-000000000000" }], 404, /no such source/],
      ["a malformed id", [good, { sourceId: "../../etc" }], 404, /no such source/],
    ];
    const outcomes = [];
    for (const [what, args, , message] of cases) {
      const answer = await push(...args);
      outcomes.push([what, answer.status, message.test(answer.text) ? "says why" : answer.text]);
    }
    expect(outcomes).toEqual(cases.map(([what, , status]) => [what, status, "says why"]));
    expect(await runCount()).toBe(runsBefore);
    expect(storedFiles()).toEqual([]);
    expect(storedFiles(ids.docker)).toEqual([]);
    expect(await vmRows()).toEqual(before);
    const refusals = await t.prisma.auditEvent.findMany({ where: { action: "source-push", detail: { path: ["outcome"], equals: "refused" } } });
    expect(refusals.length).toBeGreaterThanOrEqual(8);

    // Salvage as any collection: a VM whose name holds a NUL is repaired or dropped with a warning, not the push refused.
    const changed = printed(8, "2026-12-02T10:00:00.000Z");
    const list = changed.virtualMachines as Array<{ name: string; vcpus: number }>;
    list.splice(0, 2);
    list[0]!.vcpus += 2;
    const nul = list[1]!.name;
    list[1]!.name = `${nul.slice(0, 2)}\u0000${nul.slice(2)}`;
    const two = await push(JSON.stringify(changed));
    expect(two.status).toBe(202);
    const run2 = await settledRun(t, two.json().runId);
    expect([run2.status, run2.removed]).toEqual(["succeeded", 2]);
    const after = await vmRows();
    expect(after).toHaveLength(vms - 2);
    for (const vm of after) expect(before.find((b) => b.instanceUuid === vm.instanceUuid)?.id).toBe(vm.id);
    expect(after.map((vm) => vm.name)).toContain(nul);
    expect(run2.warnings.join("\n")).toMatch(/removed NUL characters/);
  });

  it("a push that fails in the worker keeps the previous inventory, and a pushed source is left off the schedule", async () => {
    const before = await vmRows();
    expect(before.length).toBeGreaterThan(0);
    // Queued with no worker running, then its file lost: the run fails with why, nothing changes.
    const answer = await push(JSON.stringify(printed(2, "2026-12-03T10:00:00.000Z")));
    expect(answer.status).toBe(202);
    await rm(path.join(pushesRoot(), ids.demo!, `${answer.json().runId}.json`));
    await worker();
    const run = await settledRun(t, answer.json().runId);
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(/pushed snapshot of this run is no longer on the server: push it again/);
    expect(await vmRows()).toEqual(before);

    // Long past its interval, a source whose last run was a push is not collected by the server
    // (the demo kind never is: the docker source stands in).
    const old = await t.prisma.collectionRun.create({
      data: { sourceId: ids.docker!, trigger: "push", status: "succeeded", startedAt: new Date(Date.now() - 86_400_000), finishedAt: new Date(Date.now() - 86_399_000) },
    });
    expect(await dueSources(t)).not.toContain(ids.docker);
    await t.prisma.collectionRun.update({ where: { id: old.id }, data: { trigger: "schedule" } });
    expect(await dueSources(t)).toContain(ids.docker);
    await t.prisma.collectionRun.delete({ where: { id: old.id } });
  });

  it("deletes a pushed file before forgetting it on its run: a file it could not delete stays named, and the next prune deletes it", async () => {
    // A process killed between the two steps must not leave a file no run names (nothing would
    // ever delete it): here the deletion fails instead, a directory standing where the file was.
    await prunePushes(t, ids.demo!); // the failed run above still names its (removed) file
    const run = await t.prisma.collectionRun.create({
      data: { sourceId: ids.demo!, trigger: "push", status: "succeeded", startedAt: new Date(), finishedAt: new Date(), uploadName: "snapshot", uploadBytes: 2 },
    });
    const file = `${run.id}.json`;
    await t.prisma.collectionRun.update({ where: { id: run.id }, data: { uploadFile: file } });
    const stuck = path.join(pushesRoot(), ids.demo!, file);
    await mkdir(path.join(stuck, "inside"), { recursive: true });
    await expect(forgetPushedFile(t, ids.demo!, run.id)).rejects.toThrow(/directory/i);
    expect((await t.prisma.collectionRun.findUniqueOrThrow({ where: { id: run.id } })).uploadFile).toBe(file);

    await rm(stuck, { recursive: true });
    await writeFile(stuck, "{}");
    expect(await prunePushes(t, ids.demo!)).toBe(1);
    expect(storedFiles()).toEqual([]);
    const after = await t.prisma.collectionRun.findUniqueOrThrow({ where: { id: run.id } });
    expect([after.uploadFile, after.uploadName, Number(after.uploadBytes)]).toEqual([null, "snapshot", 2]);
    await t.prisma.collectionRun.delete({ where: { id: run.id } });
  });

  it("refuses a body past FLEETLENS_MAX_SNAPSHOT_MB as it streams in: 413, no run, no file", async () => {
    vi.stubEnv("FLEETLENS_MAX_SNAPSHOT_MB", "1");
    onTestFinished(() => void vi.stubEnv("FLEETLENS_MAX_SNAPSHOT_MB", undefined));
    const runsBefore = await runCount();
    const vmsBefore = await vmRows();
    let sent = 0;
    const chunk = new TextEncoder().encode(`${" ".repeat(64 * 1024 - 1)}\n`);
    // 4 MiB offered, never all read: the route stops past 1 MiB.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"kind":"demo","collectedAt":"2026-12-04T10:00:00Z","warnings":["'));
      },
      pull(controller) {
        if (sent >= 4 * 1024 * 1024) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const answer = await push(body);
    expect(answer.status).toBe(413);
    expect(answer.text).toMatch(/larger than the limit of 1 MiB \(FLEETLENS_MAX_SNAPSHOT_MB\): refused, nothing stored/);
    expect(sent).toBeLessThan(2 * 1024 * 1024);
    expect(await runCount()).toBe(runsBefore);
    expect(storedFiles()).toEqual([]);
    expect(await vmRows()).toEqual(vmsBefore);
  });
});

describe("collect --push", () => {
  /** The route served over HTTP, as Next.js would; `before` may answer first (e.g. a 503). */
  async function serve(before?: (count: number) => number | null) {
    const { POST, GET } = await route();
    let count = 0;
    const server = http.createServer((req, res) => {
      void (async () => {
        count++;
        const early = before?.(count) ?? null;
        if (early !== null) {
          req.resume();
          res.writeHead(early, { "content-type": "text/plain" }).end("unavailable for a moment");
          return;
        }
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const headers = new Headers();
        for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
        const request = new Request(`http://${req.headers.host}${req.url}`, {
          method: req.method,
          headers,
          ...(req.method === "POST" ? { body: Buffer.concat(chunks) } : {}),
        });
        const sourceId = /\/api\/sources\/([^/?]+)\/snapshot/.exec(req.url ?? "")?.[1] ?? "";
        const response = await (req.method === "POST" ? POST : GET)(request, { params: Promise.resolve({ sourceId }) });
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => count };
  }

  function cli(args: string[], env: Record<string, string>) {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/collect.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env, DATABASE_URL: "postgresql://nobody:nothing@127.0.0.1:1/none" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    return { child, exited, out: () => ({ stdout, stderr }) };
  }

  it("collects, pushes and prints the run, which a worker ingests; the token comes only from the named variable", async () => {
    await worker();
    const site = await serve();
    const before = (await vmRows()).length;
    const run = cli(["demo", "demo:acme", "--vms", "5", "--push", site.url, "--source", ids.demo!, "--token-env", "FLEETLENS_PUSH_TOKEN"], {
      FLEETLENS_PUSH_TOKEN: tokens.engineer!,
    });
    expect(await run.exited).toBe(0);
    const match = /^run ([0-9a-f-]{36}) queued: (http:\/\/127\.0\.0\.1:\d+\/api\/sources\/[0-9a-f-]{36}\/snapshot\?run=[0-9a-f-]{36})$/m.exec(run.out().stdout);
    expect(match, run.out().stderr).not.toBeNull();
    const settled = await settledRun(t, match![1]!);
    expect([settled.status, settled.trigger]).toEqual(["succeeded", "push"]);
    expect((await vmRows()).length).toBe(5);
    expect(before).not.toBe(5);

    // The token never goes on the command line; a wrong one is refused with the server's words, exit 1.
    const unset = cli(["demo", "demo:acme", "--push", site.url, "--source", ids.demo!, "--token-env", "NO_SUCH_VARIABLE"], {});
    expect(await unset.exited).toBe(2);
    expect(unset.out().stderr).toMatch(/NO_SUCH_VARIABLE is not set/);
    const viewer = cli(["demo", "demo:acme", "--vms", "2", "--push", site.url, "--source", ids.demo!, "--token-env", "T"], { T: tokens.viewer! });
    expect(await viewer.exited).toBe(1);
    expect(viewer.out().stderr).toMatch(/answered 403: pushing snapshots is for engineers and administrators/);
  });

  it("--every retries a transient failure with backoff, pushes, and stops cleanly on SIGTERM", async () => {
    await worker();
    // The first request finds the server unavailable (503): retried after the first backoff (5 s).
    const site = await serve((count) => (count === 1 ? 503 : null));
    const runsBefore = await t.prisma.collectionRun.count({ where: { sourceId: ids.demo, trigger: "push" } });
    const run = cli(["demo", "demo:acme", "--vms", "4", "--push", site.url, "--source", ids.demo!, "--token-env", "T", "--every", "1h"], { T: tokens.admin! });
    const deadline = Date.now() + 60_000;
    while (!/pushed: run [0-9a-f-]{36} queued/.test(run.out().stderr) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const log = run.out().stderr;
    expect(log).toMatch(/push failed: .* answered 503: unavailable for a moment; retrying in 5 s/);
    expect(log).toMatch(/pushed: run [0-9a-f-]{36} queued/);
    expect(site.requests()).toBe(2);
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    expect(run.out().stderr).toMatch(/collect: stopped\n$/);
    const runId = /pushed: run ([0-9a-f-]{36}) queued/.exec(log)![1]!;
    expect((await settledRun(t, runId)).status).toBe("succeeded");
    expect(await t.prisma.collectionRun.count({ where: { sourceId: ids.demo, trigger: "push" } })).toBe(runsBefore + 1);
  }, 90_000);
});

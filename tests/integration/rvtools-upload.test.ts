/**
 * Uploading an RVTools export to a customer's rvtools source, through the route the Sources page
 * calls, with real PostgreSQL and the real worker (each import runs in a collection process of its
 * own): every upload is a run (added / changed / removed), objects keep their ids across uploads,
 * the callers are the five personas (plus an engineer of another customer), and bad uploads are
 * refused at the door or fail their run with a clear error while the stored inventory stays.
 */
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { createCaller } from "../../server/api/root";
import { createApiToken } from "../../server/auth/tokens";
import { createUser } from "../../server/auth/users";
import { UPLOAD_KINDS } from "../../server/collectors";
import { generateCustomerSnapshot } from "../../server/collectors/demo/fleet";
import { NO_UPLOAD } from "../../server/collectors/rvtools";
import { rvtoolsTabs } from "../../server/export/rvtools/tabs";
import { writeXlsxFile } from "../../server/export/rvtools/xlsx-writer";
import { MAX_UPLOAD_BYTES } from "../../server/http/gate";
import { startCollection } from "../../server/jobs/collect";
import { dueSources } from "../../server/jobs/queue";
import { uploadsRoot } from "../../server/jobs/uploads";
import { startWorker } from "../../server/jobs/worker";
import { parseSnapshot, type Snapshot } from "../../server/inventory/snapshot";
import { createTestDatabase, settledRun, type TestDatabase } from "./db";

let t: TestDatabase;
let work: string;
const ids: Record<string, string> = {};
const tokens: Record<string, string> = {};
const route = () => import("../../app/api/sources/[sourceId]/upload/route");
const ORIGIN = "http://localhost:3000";

beforeAll(async () => {
  t = await createTestDatabase();
  work = await mkdtemp(path.join(os.tmpdir(), "fleetlens-upload-"));
  // The route reads the process-wide database; uploads go under FLEETLENS_DATA_DIR (inherited by
  // the worker's collection processes).
  (globalThis as unknown as { fleetlensDb?: unknown }).fleetlensDb = t;
  vi.stubEnv("FLEETLENS_URL", ORIGIN);
  vi.stubEnv("FLEETLENS_DATA_DIR", path.join(work, "data"));
  for (const name of ["Acme", "Globex"]) ids[name] = (await t.prisma.customer.create({ data: { name } })).id;
  const source = (customer: string, kind: "rvtools" | "docker", name: string, endpoint: string) =>
    t.prisma.source.create({ data: { customerId: ids[customer]!, kind, name, endpoint, intervalSeconds: 3600 } });
  ids.rvtools = (await source("Acme", "rvtools", "acme-rvtools", "vc01.acme.example")).id;
  ids.docker = (await source("Acme", "docker", "acme-docker", "unix:///acme.sock")).id;
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
    tokens[persona] = (await createApiToken(t, user.id, "upload test")).token;
  }
});

afterAll(async () => {
  (globalThis as unknown as { fleetlensDb?: unknown }).fleetlensDb = undefined;
  vi.unstubAllEnvs();
  await rm(work, { recursive: true, force: true });
  await t.drop();
});

/** The customer's export: the demo customer's VMs as RVTools writes them, under one vCenter. */
function exportSnapshot(vms: number, change: (snapshot: Snapshot) => void = () => {}): Snapshot {
  const snapshot = parseSnapshot(generateCustomerSnapshot("acme", { vms, collectedAt: "2026-12-01T10:00:00.000Z" }));
  // RVTools has no containers: the export leaves them out.
  snapshot.containers = [];
  snapshot.images = [];
  change(snapshot);
  return snapshot;
}

async function workbook(name: string, snapshot: Snapshot): Promise<string> {
  const file = path.join(work, name);
  await writeXlsxFile(rvtoolsTabs([{ snapshot, server: "vc01.acme.example" }]), file);
  return file;
}

async function upload(
  body: Buffer | ReadableStream<Uint8Array>,
  options: { name?: string; persona?: string; sourceId?: string; type?: string; origin?: string } = {},
) {
  const { POST } = await route();
  const sourceId = options.sourceId ?? ids.rvtools!;
  const headers: Record<string, string> = { "content-type": options.type ?? "application/octet-stream" };
  const persona = options.persona ?? "engineer";
  if (persona !== "anonymous") headers.authorization = `Bearer ${tokens[persona]}`;
  if (options.origin) headers.origin = options.origin;
  const name = options.name ?? "RVTools_export_all.xlsx";
  const request = new Request(`${ORIGIN}/api/sources/${sourceId}/upload?name=${encodeURIComponent(name)}`, {
    method: "POST",
    headers,
    body,
    ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
  const response = await POST(request, { params: Promise.resolve({ sourceId }) });
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) as { runId: string; name: string; bytes: number; sha256: string } };
}

const settled = (runId: string) => settledRun(t, runId);

async function worker() {
  const w = await startWorker(t, { url: t.url, scheduleMs: 0, pollMs: 300 });
  onTestFinished(() => w.stop());
  return w;
}

const storedFiles = () => {
  const folder = path.join(uploadsRoot(), ids.rvtools!);
  return existsSync(folder) ? readdirSync(folder).sort() : [];
};
const vmRows = () =>
  t.prisma.virtualMachine.findMany({ where: { sourceId: ids.rvtools }, select: { id: true, name: true, instanceUuid: true, vcpus: true } });

describe("uploading an RVTools export", () => {
  it("is for engineers and administrators in the source's scope", async () => {
    const file = await readFile(await workbook("personas.xlsx", exportSnapshot(3)));
    const seen: string[] = [];
    for (const persona of ["anonymous", "otherViewer", "viewer", "otherEngineer", "engineer", "admin"]) {
      const answer = await upload(file, { persona });
      // Nobody refused learns of the source: no name, no run.
      if (answer.status !== 202) expect(answer.text).not.toMatch(/acme-rvtools|vc01/);
      seen.push(`${persona}: ${answer.status}`);
    }
    expect(seen).toEqual(["anonymous: 401", "otherViewer: 403", "viewer: 403", "otherEngineer: 404", "engineer: 202", "admin: 202"]);
    const runs = await t.prisma.collectionRun.findMany({ where: { sourceId: ids.rvtools }, orderBy: { startedAt: "asc" } });
    expect(runs.map((r) => [r.status, r.trigger, r.uploadName])).toEqual([
      ["queued", "upload", "RVTools_export_all.xlsx"],
      ["queued", "upload", "RVTools_export_all.xlsx"],
    ]);
    const audits = await t.prisma.auditEvent.findMany({ where: { action: "source-upload" } });
    expect(audits.map((a) => a.actorId).sort()).toEqual([ids["user:engineer"], ids["user:admin"]].sort());
    expect(audits[0]!.detail).toMatchObject({ outcome: "queued", bytes: file.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // The files are in the server's own folder, named by their runs.
    expect(storedFiles()).toEqual(runs.map((r) => `${r.id}.xlsx`).sort());
    await t.prisma.collectionRun.deleteMany({ where: { sourceId: ids.rvtools } });
    await rm(path.join(uploadsRoot(), ids.rvtools!), { recursive: true, force: true });
  });

  it("imports each upload as a collection run: added, then changed and removed, objects keeping their ids", async () => {
    await worker();
    const first = exportSnapshot(12);
    const one = await upload(await readFile(await workbook("first.xlsx", first)), { name: "RVTools_export_2026-12-01.xlsx" });
    expect(one.status).toBe(202);
    const run1 = await settled(one.json().runId);
    expect(run1.error).toBeNull();
    expect(run1.status).toBe("succeeded");
    const before = await vmRows();
    expect(before).toHaveLength(first.virtualMachines.length);
    expect(run1.added).toBe(first.virtualMachines.length + first.hosts.length);

    // A month later: two VMs gone, one resized.
    const gone = first.virtualMachines.slice(0, 2).map((vm) => vm.instanceUuid);
    const resized = first.virtualMachines[5]!;
    const second = exportSnapshot(12, (s) => {
      s.virtualMachines = s.virtualMachines.filter((vm) => !gone.includes(vm.instanceUuid));
      const vm = s.virtualMachines.find((v) => v.instanceUuid === resized.instanceUuid)!;
      vm.vcpus = resized.vcpus + 2;
    });
    const two = await upload(await readFile(await workbook("second.xlsx", second)), { name: "RVTools_export_2027-01-01.xlsx" });
    const run2 = await settled(two.json().runId);
    expect(run2.status).toBe("succeeded");
    expect(run2.removed).toBe(2);
    expect(run2.changed).toBeGreaterThanOrEqual(1);
    const after = await vmRows();
    expect(after).toHaveLength(first.virtualMachines.length - 2);
    // Every VM still there is the same row (same id) as before, matched by its instance UUID.
    for (const vm of after) expect(before.find((b) => b.instanceUuid === vm.instanceUuid)?.id).toBe(vm.id);
    expect(after.find((vm) => vm.instanceUuid === resized.instanceUuid)?.vcpus).toBe(resized.vcpus + 2);

    // "Import again" (Collect now) reads the newest upload: nothing changes.
    const again = await settled((await startCollection(ids.rvtools!, { database: t })).runId);
    expect([again.status, again.added, again.changed, again.removed]).toEqual(["succeeded", 0, 0, 0]);

    // A source of this kind is never scheduled: a new file comes with each upload.
    await t.prisma.collectionRun.updateMany({ where: { sourceId: ids.rvtools }, data: { startedAt: new Date(Date.now() - 86_400_000) } });
    expect(UPLOAD_KINDS).toEqual(["rvtools"]);
    expect(await dueSources(t, UPLOAD_KINDS)).not.toContain(ids.rvtools);
    expect(await dueSources(t)).toContain(ids.rvtools);
  });

  it("refuses what is not an RVTools export at the door: no run, no file, the inventory untouched", async () => {
    const runsBefore = await t.prisma.collectionRun.count({ where: { sourceId: ids.rvtools } });
    const filesBefore = storedFiles();
    const cases: Array<[string, Parameters<typeof upload>, number, RegExp]> = [
      ["a CSV file", [Buffer.from("VM,Powerstate\r\nweb01,poweredOn\r\n"), { name: "RVTools_tabvInfo.csv" }], 415, /upload the \.xlsx RVTools wrote, or a \.zip/],
      ["text named .xlsx", [Buffer.from("<html>not a workbook</html>"), { name: "export.xlsx" }], 415, /“export\.xlsx” is not an RVTools export/],
      ["an encrypted workbook", [Buffer.concat([Buffer.from("d0cf11e0a1b11ae1", "hex"), Buffer.alloc(512)]), { name: "secret.xlsx" }], 415, /encrypted workbook or an old-format \.xls.*save it as \.xlsx without a password/],
      ["an empty file", [Buffer.alloc(0), { name: "empty.xlsx" }], 400, /“empty\.xlsx” is empty/],
      ["a form post", [Buffer.from("a=b"), { type: "application/x-www-form-urlencoded" }], 415, /Content-Type application\/octet-stream/],
      ["another site's page", [Buffer.from("PK\u0003\u0004"), { origin: "https://evil.example" }], 403, /cross-site request refused/],
      ["a docker source", [Buffer.from("PK\u0003\u0004"), { sourceId: ids.docker }], 400, /“acme-docker” is a .* source: it is collected from its endpoint/],
      ["no such source", [Buffer.from("PK\u0003\u0004"), { sourceId: "00000000-0000-4000-8000-000000000000" }], 404, /no such source/],
    ];
    for (const [what, args, status, message] of cases) {
      const answer = await upload(...args);
      expect([what, answer.status, answer.text]).toEqual([what, status, expect.stringMatching(message)]);
    }
    expect(await t.prisma.collectionRun.count({ where: { sourceId: ids.rvtools } })).toBe(runsBefore);
    expect(storedFiles()).toEqual(filesBefore);
    // What a refused signed-in caller tried is in the audit log.
    const refused = await t.prisma.auditEvent.findMany({ where: { action: "source-upload" } });
    expect(refused.filter((a) => (a.detail as { outcome?: string }).outcome === "refused").length).toBeGreaterThanOrEqual(4);
  });

  it("refuses a disabled source, and an upload past the limit while it streams, keeping nothing", async () => {
    await t.prisma.source.update({ where: { id: ids.rvtools }, data: { enabled: false } });
    const disabled = await upload(Buffer.from("PK\u0003\u0004"));
    await t.prisma.source.update({ where: { id: ids.rvtools }, data: { enabled: true } });
    expect([disabled.status, disabled.text]).toEqual([409, expect.stringMatching(/“acme-rvtools” is disabled: enable it/)]);

    // A body that claims nothing and keeps coming (the gate checks declared lengths; this checks bytes).
    const filesBefore = storedFiles();
    let sent = 0;
    const chunk = new Uint8Array(1024 * 1024);
    chunk.set([0x50, 0x4b, 0x03, 0x04]);
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += chunk.length;
        if (sent > MAX_UPLOAD_BYTES + 8 * chunk.length) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const big = await upload(endless, { name: "huge.zip" });
    expect([big.status, big.text]).toEqual([413, "“huge.zip” is larger than the upload limit of 256 MiB: refused"]);
    expect(storedFiles()).toEqual(filesBefore);
    const leftovers = readdirSync(path.join(uploadsRoot(), ids.rvtools!)).filter((f) => f.startsWith(".incoming"));
    expect(leftovers).toEqual([]);
  });

  it("fails the run of a corrupt workbook with an error naming the file as uploaded, and keeps the inventory", async () => {
    await worker();
    const before = await vmRows();
    expect(before.length).toBeGreaterThan(0);
    const good = await readFile(await workbook("good.xlsx", exportSnapshot(12)));
    // A workbook cut off half way: its zip directory (at the end) is gone.
    const answer = await upload(good.subarray(0, Math.floor(good.length / 2)), { name: "RVTools_cut_short.xlsx" });
    expect(answer.status).toBe(202);
    const run = await settled(answer.json().runId);
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(/RVTools_cut_short\.xlsx/);
    // Never where the server keeps it.
    expect(run.error).not.toContain(uploadsRoot());
    expect(run.error).not.toContain(run.id);
    expect(await vmRows()).toEqual(before);
  });

  it("keeps the newest uploads' files only, and removes them with the source", async () => {
    await worker();
    const file = await readFile(await workbook("keep.xlsx", exportSnapshot(3)));
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const answer = await upload(file, { name: `week-${i}.xlsx` });
      runs.push(answer.json().runId);
      await settled(runs.at(-1)!);
    }
    const kept = await t.prisma.collectionRun.findMany({ where: { sourceId: ids.rvtools, NOT: { uploadFile: null } } });
    expect(kept).toHaveLength(3);
    expect(storedFiles()).toEqual(kept.map((r) => r.uploadFile).sort());
    // Older runs keep what was uploaded, for the history.
    const history = await createCaller({ database: t, viewer: { id: ids["user:viewer"]!, role: "viewer", scope: { kind: "some", customerIds: [ids.Acme!] } } }).sources.runs({ sourceId: ids.rvtools! });
    expect(history.filter((r) => r.uploadName !== null).length).toBeGreaterThan(3);
    expect(history.find((r) => r.uploadName === "RVTools_export_2026-12-01.xlsx")?.uploadBytes).toBeGreaterThan(1000);

    const admin = createCaller({ database: t, viewer: { id: ids["user:admin"]!, role: "admin", scope: { kind: "all" } } });
    await admin.sources.delete({ id: ids.rvtools! });
    expect(existsSync(path.join(uploadsRoot(), ids.rvtools!))).toBe(false);
  });

  it("fails a collection of a source that has had no upload, saying to upload one", async () => {
    const empty = await t.prisma.source.create({ data: { customerId: ids.Acme!, kind: "rvtools", name: "empty-rvtools", endpoint: "vc02" } });
    await worker();
    const run = await settled((await startCollection(empty.id, { database: t })).runId);
    expect([run.status, run.error]).toEqual(["failed", NO_UPLOAD]);
  });
});

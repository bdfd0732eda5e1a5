/**
 * Migration plans over real Postgres: four VMs on four small hosts of one cluster, guest discovery's
 * connections between them (tests/fixtures/dependencies.ts), a plan built through the router by an
 * engineer. Checked: defaults from the verdicts and overrides only with a reason, one wave per
 * workload, figures per workload against the inventory and the verdicts, totals as their sums,
 * hosts freed against an independent count, split dependencies with their evidence, roles and scope
 * (viewer reads, other customer NOT_FOUND, forged and stale ids), the audit log, and the exports
 * (CSV, xlsx read back with the RVTools reader, Forklift Plan parsed as YAML).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { createCaller } from "../../server/api/root";
import type { Viewer } from "../../server/api/trpc";
import { createApiToken } from "../../server/auth/tokens";
import { createUser } from "../../server/auth/users";
import { readXlsx } from "../../server/collectors/rvtools/xlsx";
import { ZIP_LIMITS } from "../../server/collectors/rvtools/zip";
import { applySnapshot } from "../../server/inventory/ingest";
import { customerAnalysis } from "../../server/analysis/load";
import { kataOverheadFor } from "../../server/analysis/kata-overhead";
import { targetOfVerdict } from "../../server/plans/labels";
import { planSummaries } from "../../server/plans/summary";
import { dependencyGuestSnapshot, dependencyVmSnapshot } from "../fixtures/dependencies";
import { createTestDatabase, type TestDatabase } from "./db";

let t: TestDatabase;
let shop: string;
let other: string;
let otherVm: string;
const vm: Record<string, string> = {};
const admin: Viewer = { id: "admin", role: "admin", scope: { kind: "all" } };
let engineer: Viewer;
let viewer: Viewer;
let otherEngineer: Viewer;
const as = (who: Viewer) => createCaller({ database: t, viewer: who });

/** Four hosts of 2 cores and 6 GiB: the four 2-vCPU, 4 GiB VMs need several of them at the target ratios. */
const HOST_CORES = 2;
const HOST_MIB = 6144;

beforeAll(async () => {
  t = await createTestDatabase();
  shop = (await as(admin).customers.create({ name: "Shop" })).id;
  other = (await as(admin).customers.create({ name: "Other" })).id;
  const snapshot = dependencyVmSnapshot();
  snapshot.hosts = [1, 2, 3, 4].map((i) => ({ externalId: `esx-${i}`, name: `esx0${i}.shop`, role: "hypervisor", platform: "esxi", cpuCores: HOST_CORES, memoryMiB: HOST_MIB, cluster: "shop" }));
  snapshot.virtualMachines = snapshot.virtualMachines!.map((v, i) => ({ ...v, hostExternalId: `esx-${i + 1}`, usedMiB: 10240 * (i + 1) }));
  const vc = (await as(admin).sources.create({ customerId: shop, kind: "vsphere", name: "vc", endpoint: "https://vc.shop.example/sdk" })).id;
  await applySnapshot(vc, snapshot, { database: t });
  const guests = await t.prisma.source.create({ data: { customerId: shop, kind: "guest", name: "guests", endpoint: "inventory", username: "root" } });
  await applySnapshot(guests.id, dependencyGuestSnapshot(), { database: t });
  for (const row of await t.prisma.virtualMachine.findMany({ where: { sourceId: vc } })) vm[row.name] = row.id;
  const ovc = (await as(admin).sources.create({ customerId: other, kind: "vsphere", name: "vc", endpoint: "https://vc.other.example/sdk" })).id;
  await applySnapshot(ovc, dependencyVmSnapshot(), { database: t });
  otherVm = (await t.prisma.virtualMachine.findFirstOrThrow({ where: { sourceId: ovc } })).id;
  const user = async (email: string, role: "viewer" | "engineer", customerIds: string[]): Promise<Viewer> => {
    const u = await createUser(t, { email, name: email, password: "long-enough-password", role, allCustomers: false, customerIds });
    return { id: u.id, email, role, scope: { kind: "some", customerIds } };
  };
  engineer = await user("eng@example.com", "engineer", [shop]);
  viewer = await user("view@example.com", "viewer", [shop]);
  otherEngineer = await user("other-eng@example.com", "engineer", [other]);
}, 180_000);
afterAll(async () => {
  await t?.drop();
});

let planId: string;
let wave1: string;
let wave2: string;

describe("building a plan", () => {
  it("creates a plan with two waves; a viewer may not, a viewer reads it", async () => {
    planId = (await as(engineer).plans.create({ customerId: shop, name: "Q1 moves", notes: "first pass" })).id;
    wave1 = (await as(engineer).plans.addWave({ customerId: shop, planId, name: "Pilot", owner: "Ada", targetDate: "2027-01-31" })).id;
    wave2 = (await as(engineer).plans.addWave({ customerId: shop, planId, name: "Front end", status: "in_progress" })).id;
    await expect(as(viewer).plans.create({ customerId: shop, name: "mine" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(as(engineer).plans.create({ customerId: shop, name: "Q1 moves" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(as(engineer).plans.addWave({ customerId: shop, planId, name: "Bad date", targetDate: "2027-02-30" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const list = await as(viewer).plans.list({ customerId: shop });
    expect(list.map((p) => [p.name, p.waves.map((w) => w.name), p.inProgress])).toEqual([["Q1 moves", ["Pilot", "Front end"], true]]);
  });

  it("adds workloads with the verdict's target; another target needs a reason; nothing half-added", async () => {
    const { analysis } = await customerAnalysis(t, shop);
    const verdictOf = (name: string) => analysis.migration.verdicts.find((v) => v.key === vm[name])!;
    // An override without a reason: refused, and the valid item beside it is not added either.
    await expect(
      as(engineer).plans.addWorkloads({ customerId: shop, waveId: wave1, workloads: [{ kind: "vm", objectId: vm.app01! }, { kind: "vm", objectId: vm.db01!, target: "retire" }] }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/db01: the target Retire differs from the verdict's .*say why/) });
    expect((await as(viewer).plans.get({ customerId: shop, planId })).waves[0]!.workloads).toEqual([]);
    // Another customer's VM, a container id given as a VM: not this customer's workloads.
    await expect(as(engineer).plans.addWorkloads({ customerId: shop, waveId: wave1, workloads: [{ kind: "vm", objectId: otherVm }] })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(as(engineer).plans.addWorkloads({ customerId: shop, waveId: wave1, workloads: [{ kind: "container", objectId: vm.app01! }] })).rejects.toMatchObject({ code: "BAD_REQUEST" });

    await as(engineer).plans.addWorkloads({ customerId: shop, waveId: wave1, workloads: [{ kind: "vm", objectId: vm.app01! }, { kind: "vm", objectId: vm.db01! }] });
    await as(engineer).plans.addWorkloads({ customerId: shop, waveId: wave2, workloads: [{ kind: "vm", objectId: vm.web01!, target: "retire", reason: "replaced by the CDN" }] });
    // Already in the plan (another wave): refused, move it instead.
    await expect(as(engineer).plans.addWorkloads({ customerId: shop, waveId: wave2, workloads: [{ kind: "vm", objectId: vm.app01! }] })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("app01 (wave Pilot)"),
    });
    const plan = await as(viewer).plans.get({ customerId: shop, planId });
    const rows = plan.waves.flatMap((w) => w.workloads.map((x) => [w.name, x.name, x.target, x.reason, x.verdictTarget]));
    expect(rows).toEqual([
      ["Pilot", "app01", targetOfVerdict(verdictOf("app01").verdict), null, targetOfVerdict(verdictOf("app01").verdict)],
      ["Pilot", "db01", targetOfVerdict(verdictOf("db01").verdict), null, targetOfVerdict(verdictOf("db01").verdict)],
      ["Front end", "web01", "retire", "replaced by the CDN", targetOfVerdict(verdictOf("web01").verdict)],
    ]);
  });

  it("figures per workload come from the inventory and the verdicts; totals are their sums; hosts freed counted apart", async () => {
    const { analysis, parameters } = await customerAnalysis(t, shop);
    const plan = await as(viewer).plans.get({ customerId: shop, planId });
    const [pilot, front] = plan.waves;
    // Retired web01 (the first VM): all it holds, its disk as used on the datastore (10240 MiB).
    const web = front!.workloads[0]!;
    expect(web.figures).toMatchObject({ vcpus: 2, ramMiB: 4096, diskMiB: 10240, kataOverheadMiB: 0 });
    expect(web.figures.basis).toMatch(/retired: frees 2 vCPU and 4,096 MiB .* used on the datastore/);
    for (const w of pilot!.workloads) {
      const v = analysis.migration.verdicts.find((x) => x.key === w.objectId)!;
      if (w.target === "container") expect([w.figures.ramMiB, w.figures.diskMiB, w.figures.vcpus]).toEqual([Math.round(v.saving.ramMiB), Math.round(v.saving.diskMiB), 0]);
      if (w.target === "stay") expect([w.figures.ramMiB, w.figures.diskMiB, w.figures.vcpus]).toEqual([0, 0, 0]);
      if (w.target === "kata") expect(w.figures.kataOverheadMiB).toBe(kataOverheadFor(null, parameters).memoryMiB);
    }
    for (const wave of plan.waves) {
      const sum = (f: (x: (typeof wave.workloads)[number]) => number) => wave.workloads.reduce((s, x) => s + f(x), 0);
      expect(wave.totals.ramMiB).toBe(sum((x) => x.figures.ramMiB));
      expect(wave.totals.diskMiB).toBe(sum((x) => x.figures.diskMiB));
      expect(wave.totals.kataOverheadMiB).toBe(sum((x) => x.figures.kataOverheadMiB));
    }
    expect(plan.totals.ramMiB).toBe(pilot!.totals.ramMiB + front!.totals.ramMiB);
    expect(plan.totals.vcpus).toBeCloseTo(pilot!.totals.vcpus + front!.totals.vcpus, 5);
    // Hosts freed: identical hosts, so hosts needed = the larger of vCPUs and RAM over one host's capacity at the target ratios.
    const needed = (vcpus: number, mib: number) => Math.max(Math.ceil(vcpus / (HOST_CORES * parameters.targetVcpuPerCore)), Math.ceil(mib / (HOST_MIB * parameters.targetVramPerPram)));
    const now = needed(8, 4 * 4096);
    const leaving = pilot!.workloads.reduce((s, w) => s + w.figures.ramMiB, 0);
    const afterPlan = needed(8 - 2 - pilot!.workloads.reduce((s, w) => s + w.figures.vcpus, 0), 4 * 4096 - 4096 - leaving);
    expect(plan.totals.hostsFreed).toBe(now - afterPlan);
    expect(front!.totals.hostsFreed).toBe(now - needed(6, 3 * 4096));
    expect(plan.clusters).toEqual([expect.objectContaining({ cluster: "shop", hosts: 4, neededNow: now, neededAfter: afterPlan })]);
    // The summary the report and the overview read says the same.
    const [summary] = await planSummaries(t, shop);
    expect(summary).toMatchObject({ id: planId, totals: plan.totals, splitDependencies: plan.dependencies.length });
    expect(summary!.waves.map((w) => [w.name, w.workloads, w.totals])).toEqual(plan.waves.map((w) => [w.name, w.workloads.length, w.totals]));
  });

  it("flags connections across waves and out of the plan, with the connection as evidence", async () => {
    let plan = await as(viewer).plans.get({ customerId: shop, planId });
    const flags = () => plan.dependencies.map((d) => [d.client.name, d.server.name, d.port, d.split]);
    // web01 → app01:8080 crosses waves; app01 → db01:5432 is inside the Pilot; batch01 talks only outside.
    expect(flags()).toEqual([["web01", "app01", 8080, "waves"]]);
    expect(plan.dependencies[0]!.evidence).toMatch(/web01.*connects to app01.*tcp 8080.*web01: wave Front end, app01: wave Pilot/);
    // db01 moves to the second wave: its clients now in another wave.
    const db = plan.waves[0]!.workloads.find((w) => w.name === "db01")!;
    await as(engineer).plans.moveWorkloads({ customerId: shop, workloadIds: [db.id], waveId: wave2 });
    plan = await as(viewer).plans.get({ customerId: shop, planId });
    expect(flags()).toEqual([
      ["app01", "db01", 5432, "waves"],
      ["web01", "app01", 8080, "waves"],
    ]);
    expect(plan.dependencies[0]).toMatchObject({ clientProcesses: ["java"], serverProcesses: ["postgres"], connections: 2 });
    // db01 out of the plan: flagged as outside it.
    const moved = plan.waves[1]!.workloads.find((w) => w.name === "db01")!;
    await as(engineer).plans.removeWorkloads({ customerId: shop, workloadIds: [moved.id] });
    plan = await as(viewer).plans.get({ customerId: shop, planId });
    expect(flags()).toContainEqual(["app01", "db01", 5432, "outside-plan"]);
  });
});

describe("editing, scope and stale ids", () => {
  it("retargets with a reason, reorders and renames waves", async () => {
    const plan = await as(viewer).plans.get({ customerId: shop, planId });
    const app = plan.waves[0]!.workloads.find((w) => w.name === "app01")!;
    await expect(as(engineer).plans.updateWorkload({ customerId: shop, workloadId: app.id, target: "kubevirt" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await as(engineer).plans.updateWorkload({ customerId: shop, workloadId: app.id, target: "kubevirt", reason: "vendor support needs a VM" });
    await as(engineer).plans.moveWave({ customerId: shop, waveId: wave2, position: 0 });
    await as(engineer).plans.updateWave({ customerId: shop, waveId: wave1, status: "done", targetDate: null, owner: "Grace" });
    const after = await as(viewer).plans.get({ customerId: shop, planId });
    expect(after.waves.map((w) => [w.name, w.position, w.status, w.owner, w.targetDate])).toEqual([
      ["Front end", 0, "in_progress", "", null],
      ["Pilot", 1, "done", "Grace", null],
    ]);
    const rehosted = after.waves[1]!.workloads.find((w) => w.name === "app01")!;
    // Rehosted whole: nothing freed net, its share leaves the cluster.
    expect(rehosted.figures).toMatchObject({ vcpus: 0, ramMiB: 0, diskMiB: 0 });
    expect(rehosted.figures.basis).toMatch(/rehosted whole to KubeVirt.*leaves the hypervisor cluster shop/);
  });

  it("another customer's engineer, a viewer of another customer, forged and stale ids: NOT_FOUND or refused, never a change", async () => {
    const before = await as(viewer).plans.get({ customerId: shop, planId });
    await expect(as(otherEngineer).plans.update({ customerId: shop, planId, name: "taken" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    // Their own customer's id with our plan's: not found there.
    await expect(as(otherEngineer).plans.update({ customerId: other, planId, name: "taken" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(as(otherEngineer).plans.deleteWave({ customerId: other, waveId: wave1 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(as(otherEngineer).plans.get({ customerId: shop, planId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(as(viewer).plans.removeWorkloads({ customerId: shop, workloadIds: [before.waves[0]!.workloads[0]!.id] })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const forged = "00000000-0000-4000-8000-000000000000";
    await expect(as(engineer).plans.get({ customerId: shop, planId: forged })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(as(engineer).plans.addWorkloads({ customerId: shop, waveId: forged, workloads: [{ kind: "vm", objectId: vm.batch01! }] })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(as(engineer).plans.moveWorkloads({ customerId: shop, workloadIds: [forged], waveId: wave1 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(as(engineer).plans.updateWave({ customerId: shop, waveId: "not-a-uuid", name: "x" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    // A plan deleted meanwhile: its ids are stale.
    const gone = (await as(engineer).plans.create({ customerId: shop, name: "Scratch" })).id;
    const goneWave = (await as(engineer).plans.addWave({ customerId: shop, planId: gone, name: "W" })).id;
    await as(engineer).plans.delete({ customerId: shop, planId: gone });
    await expect(as(engineer).plans.addWave({ customerId: shop, planId: gone, name: "again" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(as(engineer).plans.updateWave({ customerId: shop, waveId: goneWave, name: "again" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    // Moving into another plan's wave: refused.
    const second = (await as(engineer).plans.create({ customerId: shop, name: "Second" })).id;
    const secondWave = (await as(engineer).plans.addWave({ customerId: shop, planId: second, name: "S" })).id;
    await expect(as(engineer).plans.moveWorkloads({ customerId: shop, workloadIds: [before.waves[0]!.workloads[0]!.id], waveId: secondWave })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const after = await as(viewer).plans.get({ customerId: shop, planId });
    expect(after.name).toBe("Q1 moves");
    expect(after.waves.map((w) => w.workloads.map((x) => x.id))).toEqual(before.waves.map((w) => w.workloads.map((x) => x.id)));
  });

  it("concurrent edits: the same VM added to two waves at once lands in one; a plan deleted under an edit is NOT_FOUND; never a 500", async () => {
    const race = (await as(engineer).plans.create({ customerId: shop, name: "Race" })).id;
    const [a, b] = [
      (await as(engineer).plans.addWave({ customerId: shop, planId: race, name: "A" })).id,
      (await as(engineer).plans.addWave({ customerId: shop, planId: race, name: "B" })).id,
    ];
    const results = await Promise.allSettled(
      [a, b, a, b].map((waveId) => as(engineer).plans.addWorkloads({ customerId: shop, waveId, workloads: [{ kind: "vm", objectId: vm.batch01! }] })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results.filter((x) => x.status === "rejected")) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: "BAD_REQUEST" });
    const stored = await as(viewer).plans.get({ customerId: shop, planId: race });
    expect(stored.waves.flatMap((w) => w.workloads.map((x) => x.name))).toEqual(["batch01"]);
    const edits = await Promise.allSettled([
      as(engineer).plans.delete({ customerId: shop, planId: race }),
      as(engineer).plans.updateWave({ customerId: shop, waveId: a, owner: "late" }),
      as(engineer).plans.addWave({ customerId: shop, planId: race, name: "C" }),
    ]);
    expect(edits[0]!.status).toBe("fulfilled");
    for (const r of edits.slice(1)) if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "NOT_FOUND" });
    expect(await t.prisma.migrationWave.count({ where: { planId: race } })).toBe(0);
  });

  it("audits every change with who did it", async () => {
    const { rows } = await t.pool.query<{ action: string; actor_email: string; target: string }>(
      `SELECT action, actor_email, target FROM audit_event WHERE action LIKE 'plan-%' ORDER BY at`,
    );
    const actions = new Set(rows.map((r) => r.action));
    for (const a of ["plan-created", "plan-wave-added", "plan-workloads-added", "plan-workloads-moved", "plan-workloads-removed", "plan-workload-changed", "plan-wave-moved", "plan-wave-changed", "plan-deleted"]) {
      expect(actions, a).toContain(a);
    }
    expect(rows.every((r) => r.actor_email === "eng@example.com")).toBe(true);
    expect(rows.find((r) => r.action === "plan-workloads-added")!.target).toBe("Q1 moves / Pilot");
  });
});

describe("the waves export", () => {
  let headers: Record<string, string>;
  const route = () => import("../../app/api/export/[customerId]/waves/route");
  const get = async (query: string, customerId = shop, auth = headers) => {
    const { GET } = await route();
    return GET(new Request(`http://localhost:3000/api/export/${customerId}/waves?${query}`, { headers: auth }), { params: Promise.resolve({ customerId }) });
  };

  beforeAll(async () => {
    (globalThis as unknown as { fleetlensDb?: unknown }).fleetlensDb = t;
    vi.stubEnv("FLEETLENS_URL", "http://localhost:3000");
    vi.stubEnv("FLEETLENS_DATA_DIR", fs.mkdtempSync(path.join(os.tmpdir(), "fleetlens-plans-")));
    headers = { authorization: `Bearer ${(await createApiToken(t, engineer.id, "plans test")).token}` };
  });
  afterAll(() => {
    (globalThis as unknown as { fleetlensDb?: unknown }).fleetlensDb = undefined;
    vi.unstubAllEnvs();
  });

  it("writes one row per workload as xlsx (read back) and CSV, with the plan's figures", async () => {
    const plan = await as(viewer).plans.get({ customerId: shop, planId });
    const response = await get(`plan=${planId}&format=xlsx`);
    expect(response.status).toBe(200);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "waves-")), "w.xlsx");
    fs.writeFileSync(file, Buffer.from(await response.arrayBuffer()));
    const book = await readXlsx(file, ZIP_LIMITS);
    const tab = book.tabs[0]!;
    const rows: unknown[][] = [];
    for await (const row of tab.rows) rows.push(row.cells);
    await book.close();
    const col = (h: string) => tab.header.indexOf(h);
    expect(tab.header.slice(0, 8)).toEqual(["Plan", "Wave", "Wave position", "Status", "Owner", "Target date", "Workload", "Kind"]);
    const expected = plan.waves.flatMap((w) => w.workloads.map((x) => [w.name, x.name, x.targetLabel, x.figures.ramMiB, x.figures.diskMiB]));
    expect(rows.map((r) => [r[col("Wave")], r[col("Workload")], r[col("Target")], r[col("RAM freed (MiB)")], r[col("Disk freed (MiB)")]])).toEqual(expected);
    const csv = await (await get(`plan=${planId}&format=csv`)).text();
    expect(csv.trim().split(/\r?\n/)).toHaveLength(expected.length + 1);
    expect(csv).toContain("vendor support needs a VM");
  });

  it("writes a wave's KubeVirt VMs as a Forklift Plan that parses as YAML", async () => {
    const plan = await as(viewer).plans.get({ customerId: shop, planId });
    const pilot = plan.waves.find((w) => w.name === "Pilot")!;
    const response = await get(`plan=${planId}&format=forklift&wave=${pilot.id}`);
    expect(response.status).toBe(200);
    const manifest = parse(await response.text()) as {
      spec: { provider: { source: { name: string } }; vms: unknown[] } & Record<string, unknown>;
    };
    expect(manifest).toMatchObject({ apiVersion: "forklift.konveyor.io/v1beta1", kind: "Plan", metadata: { name: "q1-moves-pilot" } });
    expect(Object.keys(manifest.spec).sort()).toEqual(["description", "map", "provider", "targetNamespace", "vms", "warm"]);
    expect(manifest.spec.provider.source.name).toMatch(/^REPLACE-/);
    expect(manifest.spec.vms).toEqual([{ id: "vm-2", name: "app01" }]);
  });

  it("refuses viewers, other customers' plans and bad input; audits the export", async () => {
    const viewerHeaders = { authorization: `Bearer ${(await createApiToken(t, viewer.id, "v")).token}` };
    expect((await get(`plan=${planId}&format=csv`, shop, viewerHeaders)).status).toBe(403);
    expect((await get(`plan=${planId}&format=csv`, other)).status).toBe(404);
    expect((await get(`plan=00000000-0000-4000-8000-000000000000&format=csv`)).status).toBe(404);
    expect((await get(`plan=${planId}&format=pdf`)).status).toBe(400);
    expect((await get(`plan=x`)).status).toBe(400);
    const { rows } = await t.pool.query(`SELECT detail FROM audit_event WHERE action = 'export' AND detail->>'table' = 'waves'`);
    expect(rows.length).toBeGreaterThanOrEqual(3);
  });
});

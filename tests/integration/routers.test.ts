import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { createCaller } from "../../server/api/root";
import type { Viewer } from "../../server/api/trpc";
import { applySnapshot } from "../../server/inventory/ingest";
import { startWorker } from "../../server/jobs/worker";
import { smallSnapshot } from "../fixtures/snapshots";
import { createTestDatabase, settledRun, type TestDatabase } from "./db";

let t: TestDatabase;
let acme: { id: string };
let globex: { id: string };
let acmeSource: string;

const admin: Viewer = { id: "admin", role: "admin", scope: { kind: "all" } };
const as = (viewer: Viewer | null) => createCaller({ database: t, viewer });

const waitForRun = (runId: string) => settledRun(t, runId);

beforeAll(async () => {
  t = await createTestDatabase();
  acme = await as(admin).customers.create({ name: "Acme" });
  globex = await as(admin).customers.create({ name: "Globex" });
  acmeSource = (await as(admin).sources.create({ customerId: acme.id, kind: "docker", name: "docker01", endpoint: "unix:///var/run/docker.sock" })).id;
  const globexSource = await as(admin).sources.create({ customerId: globex.id, kind: "vsphere", name: "vc", endpoint: "https://vc.globex.example/sdk" });
  await applySnapshot(acmeSource, smallSnapshot({ vms: 5, containers: 6 }), { database: t });
  const other = smallSnapshot({ vms: 2, containers: 1 });
  other.virtualMachines![0]!.name = "globex-secret-vm";
  await applySnapshot(globexSource.id, other, { database: t });
});
afterAll(async () => {
  await t.drop();
});

describe("fleet overview", () => {
  it("counts hosts, VMs and containers per customer, with their collection status", async () => {
    const { customers, totals } = await as(admin).fleet.overview();
    expect(customers.map((c) => [c.name, c.hosts, c.virtualMachines, c.containers, c.status])).toEqual([
      ["Acme", 2, 5, 6, "ok"],
      ["Globex", 2, 2, 1, "ok"],
    ]);
    expect(totals).toEqual({ customers: 2, hosts: 4, virtualMachines: 7, containers: 7 });
    expect(customers[0]!.lastCollectedAt).toBeInstanceOf(Date);
  });
});

describe("inventory tables", () => {
  it("paginates on the server and reports the total", async () => {
    const first = await as(admin).inventory.virtualMachines({ customerId: acme.id, pageSize: 2, page: 0 });
    const last = await as(admin).inventory.virtualMachines({ customerId: acme.id, pageSize: 2, page: 2 });
    expect(first.total).toBe(5);
    expect(first.rows).toHaveLength(2);
    expect(last.rows).toHaveLength(1);
    const all = await as(admin).inventory.virtualMachines({ customerId: acme.id, pageSize: 50 });
    expect(new Set(all.rows.map((r) => r.id)).size).toBe(5);
  });

  it("sorts and filters on the server", async () => {
    const sorted = await as(admin).inventory.virtualMachines({ customerId: acme.id, sort: { column: "name", direction: "desc" } });
    expect(sorted.rows.map((r) => r.name)).toEqual(["docker01", "app-4", "app-3", "app-2", "app-1"]);
    const searched = await as(admin).inventory.virtualMachines({ customerId: acme.id, search: "APP-3" });
    expect(searched.rows.map((r) => r.name)).toEqual(["app-3"]);
    const off = await as(admin).inventory.virtualMachines({ customerId: acme.id, powerState: "poweredOff" });
    expect(off.total).toBe(0);

    const privileged = await as(admin).inventory.containers({ customerId: acme.id, privileged: true });
    expect(privileged.rows.map((r) => r.name)).toEqual(["web-0"]);
    const byLimit = await as(admin).inventory.containers({ customerId: acme.id, sort: { column: "memoryLimitBytes", direction: "desc" } });
    expect(byLimit.rows[0]!.memoryLimitBytes).toBe(536870912n);

    const hosts = await as(admin).inventory.hosts({ customerId: acme.id, sort: { column: "virtualMachines", direction: "desc" } });
    expect(hosts.rows.map((h) => [h.name, h._count.virtualMachines])).toEqual([["esx01.lab", 5], ["docker01", 0]]);
    expect(hosts.rows[1]!.vm?.name).toBe("docker01");
    // One spelling of the role, in and out, whatever Prisma calls its enum member.
    const engines = await as(admin).inventory.hosts({ customerId: acme.id, role: "container-engine" });
    expect(engines.rows.map((h) => [h.name, h.role])).toEqual([["docker01", "container-engine"]]);
  });

  it("never returns another customer's rows", async () => {
    const rows = (await as(admin).inventory.virtualMachines({ customerId: acme.id, pageSize: 200 })).rows;
    expect(rows.some((r) => r.name === "globex-secret-vm")).toBe(false);
  });

  it("rejects a sort column outside the whitelist and a malformed id", async () => {
    await expect(
      as(admin).inventory.virtualMachines({ customerId: acme.id, sort: { column: "uuid" as never, direction: "asc" } }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(as(admin).customers.get({ customerId: "not-a-uuid" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});

describe("customer scope", () => {
  const acmeViewer = (): Viewer => ({ id: "v", role: "viewer", scope: { kind: "some", customerIds: [acme.id] } });

  it("shows a scoped viewer only their customers", async () => {
    const { customers } = await as(acmeViewer()).fleet.overview();
    expect(customers.map((c) => c.name)).toEqual(["Acme"]);
    expect((await as(acmeViewer()).sources.list({})).map((s) => s.customerName)).toEqual(["Acme"]);
    expect((await as(acmeViewer()).sources.list({ customerId: globex.id }))).toEqual([]);
    expect((await as(acmeViewer()).customers.list()).map((c) => c.name)).toEqual(["Acme"]);
  });

  it("answers NOT_FOUND for another customer's data, as if it did not exist", async () => {
    await expect(as(acmeViewer()).customers.get({ customerId: globex.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(as(acmeViewer()).inventory.containers({ customerId: globex.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("keeps changes to administrators and refuses anonymous callers", async () => {
    await expect(as(acmeViewer()).sources.collectNow({ id: acmeSource })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(as(acmeViewer()).fleet.removeDemoData()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(as(null).fleet.overview()).rejects.toBeInstanceOf(TRPCError);
  });
});

describe("sources", () => {
  it("stores secrets encrypted and never returns them", async () => {
    const { id } = await as(admin).sources.create({
      customerId: acme.id, kind: "vsphere", name: "vc-acme", endpoint: "https://vc.acme.example/sdk",
      username: "administrator@vsphere.local", secret: "Hunter2-very-secret",
    });
    const listed = await as(admin).sources.list({ customerId: acme.id });
    const mine = listed.find((s) => s.id === id)!;
    expect(mine.hasSecret).toBe(true);
    expect(JSON.stringify(listed)).not.toContain("Hunter2");
    expect(Object.keys(mine)).not.toContain("secret");
    const stored = await t.prisma.source.findUniqueOrThrow({ where: { id } });
    expect(Buffer.from(stored.secret!).toString("latin1")).not.toContain("Hunter2");

    await as(admin).sources.update({ id, intervalSeconds: 7200 });
    await as(admin).sources.update({ id, name: "vc-acme-renamed" });
    const renamed = await t.prisma.source.findUniqueOrThrow({ where: { id } });
    // An update changes only the fields it names.
    expect(renamed).toMatchObject({ name: "vc-acme-renamed", intervalSeconds: 7200, username: "administrator@vsphere.local", enabled: true });
    expect(renamed.secret).toEqual(stored.secret);
    await as(admin).sources.update({ id, secret: null });
    expect((await t.prisma.source.findUniqueOrThrow({ where: { id } })).secret).toBeNull();
  });

  it("bounds source options: their number, key and value sizes", async () => {
    const create = (options: Record<string, string | number>) =>
      as(admin).sources.create({ customerId: acme.id, kind: "docker", name: `opts-${Math.random()}`, endpoint: "unix:///x.sock", options });
    await expect(create({ tenantLabel: "x".repeat(20_000) })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(create(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i])))).rejects.toThrow(/at most 32 options/);
    await expect(create({ ["k".repeat(65)]: 1 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(create({ tenantLabel: "customer" })).resolves.toMatchObject({ id: expect.any(String) });
  });

  it("explains a malformed endpoint and a duplicate name", async () => {
    await expect(
      as(admin).sources.create({ customerId: acme.id, kind: "docker", name: "x", endpoint: "docker01:2375" }),
    ).rejects.toThrow(/not a docker endpoint; expected something like unix:\/\/\/var\/run\/docker.sock/);
    await expect(
      as(admin).sources.create({ customerId: acme.id, kind: "docker", name: "docker01", endpoint: "unix:///x.sock" }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("collects a source now (in a worker's collection process) and records a clear error where there is nothing to collect", async () => {
    const worker = await startWorker(t, { url: t.url, scheduleMs: 0, pollMs: 500 });
    onTestFinished(() => worker.stop());
    const demo = await as(admin).sources.create({ customerId: globex.id, kind: "demo", name: "demo", endpoint: "demo:northwind" });
    const run = await waitForRun((await as(admin).sources.collectNow({ id: demo.id })).runId);
    expect(run.status).toBe("succeeded");
    expect(run.added).toBeGreaterThan(10);
    // The same demo estate collected again the same day: nothing changed.
    const again = await waitForRun((await as(admin).sources.collectNow({ id: demo.id })).runId);
    expect(again).toMatchObject({ status: "succeeded", added: 0, changed: 0, removed: 0 });

    // An RVTools source collects the file uploaded to it; with none, the run fails saying so.
    const vc = (await as(admin).sources.list({ customerId: globex.id })).find((s) => s.kind === "vsphere")!;
    await t.prisma.source.update({ where: { id: vc.id }, data: { kind: "rvtools", endpoint: "export.xlsx" } });
    const failed = await waitForRun((await as(admin).sources.collectNow({ id: vc.id })).runId);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/^no RVTools export has been uploaded to this source yet: upload the \.xlsx/);
    // The inventory collected before stays.
    expect((await as(admin).fleet.overview()).customers.find((c) => c.name === "Globex")!.status).toBe("failed");
    const history = await as(admin).sources.runs({ sourceId: vc.id });
    expect(history.map((r) => r.status)).toEqual(["failed", "succeeded"]);
  });

  it("deletes a source with the inventory it collected", async () => {
    await as(admin).sources.delete({ id: acmeSource });
    expect(await t.prisma.virtualMachine.count({ where: { sourceId: acmeSource } })).toBe(0);
    const acmeRow = (await as(admin).fleet.overview()).customers.find((c) => c.name === "Acme")!;
    expect(acmeRow.virtualMachines).toBe(0);
  });
});

/**
 * The analysis router over real Postgres: the customer's figures follow its stored inventory, a
 * new collection and a parameter change are seen at once (no stale cache), a bad override is
 * refused and leaves the stored parameters as they were, and the tables filter and page.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../../server/api/root";
import type { Viewer } from "../../server/api/trpc";
import { applySnapshot } from "../../server/inventory/ingest";
import { DEFAULT_PARAMETERS } from "../../server/analysis/parameters";
import { smallSnapshot } from "../fixtures/snapshots";
import { createTestDatabase, type TestDatabase } from "./db";

let t: TestDatabase;
let customerId: string;
let sourceId: string;
const admin: Viewer = { id: "admin", role: "admin", scope: { kind: "all" } };
const as = (viewer: Viewer) => createCaller({ database: t, viewer });

beforeAll(async () => {
  t = await createTestDatabase();
  customerId = (await as(admin).customers.create({ name: "Acme" })).id;
  sourceId = (await as(admin).sources.create({ customerId, kind: "vsphere", name: "vc", endpoint: "https://vc.acme.example/sdk" })).id;
  await applySnapshot(sourceId, smallSnapshot({ vms: 4, containers: 3 }), { database: t });
});
afterAll(async () => {
  await t.drop();
});

describe("analysis router", () => {
  it("gives the customer's density from its stored inventory", async () => {
    const snapshot = smallSnapshot({ vms: 4, containers: 3 });
    const on = snapshot.virtualMachines!.filter((v) => v.powerState === "poweredOn" && !v.template);
    const summary = await as(admin).analysis.customer({ customerId });
    expect(summary.density.totals?.vmsPoweredOn).toBe(on.length);
    expect(summary.density.totals?.vcpusPoweredOn).toBe(on.reduce((s, v) => s + (v.vcpus ?? 0), 0));
    expect(summary.scoreFormula).toMatch(/starts at 100/);
  });

  it("sees a new collection at once", async () => {
    const before = await as(admin).analysis.customer({ customerId });
    const bigger = smallSnapshot({ vms: 6, containers: 3 });
    await applySnapshot(sourceId, bigger, { database: t });
    const after = await as(admin).analysis.customer({ customerId });
    // Kept while the analysis holds (serialised once: server/api/kept-answers.ts), a new one after the collection.
    expect(await as(admin).analysis.customer({ customerId })).toBe(after);
    expect(after).not.toBe(before);
    expect(after.density.totals!.virtualMachines).toBe(6);
    expect(after.density.totals!.virtualMachines).toBeGreaterThan(before.density.totals!.virtualMachines);
  });

  it("applies an administrator's parameters at once, and restores the defaults", async () => {
    const before = await as(admin).analysis.customer({ customerId });
    expect(before.density.totals!.hostsOverTarget).toBe(0);
    await as(admin).analysis.setParameters({ targetVcpuPerCore: 0.01, targetVramPerPram: 0.0001 });
    const strict = await as(admin).analysis.customer({ customerId });
    expect(strict.density.target).toEqual({ vcpuPerCore: 0.01, vramPerPram: 0.0001 });
    expect(strict.density.totals!.hostsOverTarget).toBeGreaterThan(0);
    const audit = await t.pool.query("SELECT action FROM audit_event WHERE action = 'analysis-parameters-changed'");
    expect(audit.rowCount).toBe(1);
    await as(admin).analysis.resetParameters();
    expect((await as(admin).analysis.parameters()).values).toEqual(DEFAULT_PARAMETERS);
    expect((await as(admin).analysis.customer({ customerId })).density.totals!.hostsOverTarget).toBe(0);
  });

  it("refuses a bad override and keeps the stored parameters", async () => {
    await as(admin).analysis.setParameters({ kataDeployRelease: "3.32.0" });
    const badPattern = DEFAULT_PARAMETERS.osFootprints.map((f, i) => (i === 0 ? { ...f, match: "(unclosed" } : f));
    await expect(as(admin).analysis.setParameters({ osFootprints: badPattern })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(as(admin).analysis.setParameters({ targetVcpuPerCore: -1 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    // A release must be a version such as 4.1.0: "latest" would make the overhead unknowable.
    await expect(as(admin).analysis.setParameters({ kataDeployRelease: "latest" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const { values } = await as(admin).analysis.parameters();
    expect(values.kataDeployRelease).toBe("3.32.0");
    expect(values.osFootprints[0]!.match).toBe(DEFAULT_PARAMETERS.osFootprints[0]!.match);
    await as(admin).analysis.resetParameters();
  });

  it("sums the fleet over the customers in scope, ratios from the sums", async () => {
    const globex = (await as(admin).customers.create({ name: "Globex" })).id;
    const globexSource = (await as(admin).sources.create({ customerId: globex, kind: "docker", name: "d", endpoint: "unix:///x.sock" })).id;
    const small = smallSnapshot({ vms: 2, containers: 5 });
    small.hosts![0]!.cpuCores = 16;
    await applySnapshot(globexSource, small, { database: t });
    const { customers, fleet } = await as(admin).analysis.fleet();
    expect(customers.map((c) => c.name)).toEqual(["Acme", "Globex"]);
    const acme = await as(admin).analysis.customer({ customerId });
    const gx = await as(admin).analysis.customer({ customerId: globex });
    const vcpus = acme.density.totals!.vcpusPoweredOn + gx.density.totals!.vcpusPoweredOn;
    const cores = acme.density.totals!.physicalCores + gx.density.totals!.physicalCores;
    expect(fleet.vcpuPerCore).toBe(Math.round((vcpus / cores) * 100) / 100);
    expect(fleet.verdicts["to-container"]).toBe(customers[0]!.verdicts["to-container"] + customers[1]!.verdicts["to-container"]);
    expect(fleet.ramSavedMiB).toBe(customers[0]!.ramSavedMiB + customers[1]!.ramSavedMiB);

    const viewer: Viewer = { id: "v", role: "viewer", scope: { kind: "some", customerIds: [globex] } };
    const scoped = await as(viewer).analysis.fleet();
    expect(scoped.customers.map((c) => c.name)).toEqual(["Globex"]);
    expect(scoped.fleet.verdicts).toEqual(customers[1]!.verdicts);
  });

  it("filters and pages verdicts and findings on the server", async () => {
    const all = await as(admin).analysis.verdicts({ customerId, pageSize: 200 });
    const vms = await as(admin).analysis.verdicts({ customerId, kind: "vm", pageSize: 200 });
    const containers = await as(admin).analysis.verdicts({ customerId, kind: "container", pageSize: 200 });
    expect(vms.total + containers.total).toBe(all.total);
    expect(vms.rows.every((r) => r.kind === "vm")).toBe(true);
    const page = await as(admin).analysis.verdicts({ customerId, pageSize: 2, page: 1, sort: { column: "name", direction: "asc" } });
    const names = all.rows.map((r) => r.name).sort((a, b) => a.localeCompare(b));
    expect(page.rows.map((r) => r.name)).toEqual(names.slice(2, 4));
    const critical = await as(admin).analysis.findings({ customerId, severity: "critical", pageSize: 200 });
    expect(critical.rows.every((r) => r.severity === "critical")).toBe(true);
    const everything = await as(admin).analysis.findings({ customerId, pageSize: 200 });
    expect(everything.total).toBeGreaterThan(critical.total);
  });

  it("lets each stored VM's role decide its verdict, filters by role, and keeps templates out of the verdicts", async () => {
    const initrode = (await as(admin).customers.create({ name: "Initrode" })).id;
    const source = (await as(admin).sources.create({ customerId: initrode, kind: "vsphere", name: "vc", endpoint: "https://vc.initrode.example/sdk" })).id;
    const snapshot = smallSnapshot({ vms: 5, containers: 3 });
    const [docker01, app1, app2, app3, app4] = snapshot.virtualMachines!;
    // A vCenter appliance by its OVF product, a template, and a vCLS agent by the solution that manages it (KB 80472).
    app2!.product = { name: "VMware vCenter Server Appliance", vendor: "VMware Inc.", version: "8.0.2.00100", fullVersion: null, productUrl: null, vendorUrl: null };
    app3!.template = true;
    app4!.managedBy = { extensionKey: "com.vmware.vim.eam", type: "cluster-agent" };
    await applySnapshot(source, snapshot, { database: t });

    const byRole = async (role: "appliance" | "system" | "container-host" | "general" | "template") =>
      (await as(admin).analysis.verdicts({ customerId: initrode, role, pageSize: 200 })).rows.map((r) => [r.name, r.kind, r.verdict, r.fit]);
    expect(await byRole("appliance")).toEqual([[app2!.name, "vm", "stay-vm", "no-fit"]]);
    expect(await byRole("system")).toEqual([[app4!.name, "vm", "stay-vm", "no-fit"]]);
    // docker01's engine (same hardware uuid) is collected: a container host, its containers judged on their own.
    expect(await byRole("container-host")).toEqual([[docker01!.name, "vm", "stay-vm", "no-fit"]]);
    expect((await byRole("general")).map((r) => r[0])).toEqual([app1!.name]);
    // Templates are not workloads: no verdict, with or without the role filter.
    expect(await byRole("template")).toEqual([]);
    const all = await as(admin).analysis.verdicts({ customerId: initrode, pageSize: 200 });
    expect(all.rows.map((r) => r.name)).not.toContain(app3!.name);
    expect(all.rows.filter((r) => r.kind === "vm")).toHaveLength(4);
    expect(all.rows.filter((r) => r.kind === "container").every((r) => r.role === null && r.fit === null)).toBe(true);
    const appliance = all.rows.find((r) => r.name === app2!.name)!;
    expect(appliance.roleEvidence[0]).toMatchObject({ field: "product", strength: "strong" });
    expect(appliance.reason).toMatch(/^Stays a VM: a vendor appliance/);
  });
});

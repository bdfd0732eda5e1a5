/**
 * The inventory totals kept at ingest (server/inventory/summary.ts) against the same figures
 * counted from scratch, on real Postgres: after ingests that add, change and remove objects, across
 * two sources of one customer whose engine host runs in the other's VM (the topology link makes it
 * not physical), after a failed ingest (nothing changes), and after a source is deleted (the other
 * source's engine host is physical again). Read as the overview, the customer page, the KPI tiles
 * and the tables read them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../../server/api/root";
import type { Viewer } from "../../server/api/trpc";
import { applySnapshot } from "../../server/inventory/ingest";
import { fleetCounts } from "../../server/inventory/kpis";
import { listCustomers } from "../../server/inventory/overview";
import type { SnapshotInput } from "../../server/inventory/snapshot";
import { smallSnapshot } from "../fixtures/snapshots";
import { createTestDatabase, type TestDatabase } from "./db";

let t: TestDatabase;
const admin: Viewer = { id: "admin", role: "admin", scope: { kind: "all" } };
const api = () => createCaller({ database: t, viewer: admin });
let customerId: string;
let otherCustomerId: string;
let vcSource: string;
let dockerSource: string;

/** The small snapshot's hypervisor and VMs (one of them, docker01, is the engine host's VM). */
function vcenter(change?: (s: SnapshotInput) => void): SnapshotInput {
  const s = smallSnapshot({ vms: 6, containers: 0 });
  s.hosts = s.hosts!.filter((h) => h.role === "hypervisor");
  s.images = [];
  change?.(s);
  return s;
}

/** The small snapshot's engine host, its images and containers. */
function docker(change?: (s: SnapshotInput) => void): SnapshotInput {
  const s = smallSnapshot({ vms: 0, containers: 12 });
  s.hosts = s.hosts!.filter((h) => h.role === "container-engine");
  s.virtualMachines = [];
  change?.(s);
  return s;
}

/** Every figure read from the kept totals equals the one counted from scratch, for all customers and for each alone. */
async function expectKeptEqualsScratch() {
  const kept = await listCustomers(t, { customerIds: null });
  expect(kept).toEqual(await listCustomers(t, { customerIds: null }, { fromScratch: true }));
  expect(await fleetCounts(t, { customerIds: null })).toEqual(await fleetCounts(t, { customerIds: null }, { fromScratch: true }));
  for (const id of [customerId, otherCustomerId]) {
    expect(await fleetCounts(t, { customerIds: [id] })).toEqual(await fleetCounts(t, { customerIds: [id] }, { fromScratch: true }));
  }
  const overview = await api().fleet.overview();
  expect(overview.customers).toEqual(kept);
  expect(await api().customers.get({ customerId })).toEqual(kept.find((c) => c.id === customerId));
}

/** The customer's figures as the API gives them. */
async function figures() {
  const [customer, counts, containers, vms, hosts] = await Promise.all([
    api().customers.get({ customerId }),
    fleetCounts(t, { customerIds: [customerId] }),
    api().inventory.containers({ customerId }),
    api().inventory.virtualMachines({ customerId }),
    api().inventory.hosts({ customerId }),
  ]);
  return {
    hosts: customer.hosts,
    virtualMachines: customer.virtualMachines,
    vmsPoweredOn: customer.vmsPoweredOn,
    containers: customer.containers,
    containersRunning: customer.containersRunning,
    physicalHosts: counts.physicalHosts,
    physicalCores: counts.physicalCores,
    vcpusPoweredOn: counts.vcpusPoweredOn,
    tableTotals: [hosts.total, vms.total, containers.total],
  };
}

beforeAll(async () => {
  t = await createTestDatabase();
  const customer = await t.prisma.customer.create({ data: { name: "Summary" } });
  const other = await t.prisma.customer.create({ data: { name: "Other" } });
  customerId = customer.id;
  otherCustomerId = other.id;
  vcSource = (await t.prisma.source.create({ data: { customerId, kind: "vsphere", name: "vc", endpoint: "https://vc.example" } })).id;
  dockerSource = (await t.prisma.source.create({ data: { customerId, kind: "docker", name: "docker", endpoint: "unix:///x" } })).id;
  const otherSource = await t.prisma.source.create({ data: { customerId: other.id, kind: "docker", name: "docker", endpoint: "unix:///y" } });
  await applySnapshot(otherSource.id, smallSnapshot({ vms: 2, containers: 3 }), { database: t });
}, 60_000);

afterAll(async () => {
  await t.drop();
});

describe("inventory totals kept at ingest", () => {
  it("start at zero for a customer with sources but no ingest, as counting does", async () => {
    await expectKeptEqualsScratch();
    expect(await figures()).toMatchObject({ hosts: 0, virtualMachines: 0, containers: 0, physicalHosts: 0, tableTotals: [0, 0, 0] });
  });

  it("count an engine host physical while it runs in no known VM, and not once another source's VM is found to be it", async () => {
    await applySnapshot(dockerSource, docker(), { database: t });
    await expectKeptEqualsScratch();
    expect(await figures()).toMatchObject({ hosts: 1, containers: 12, containersRunning: 12, physicalHosts: 1, physicalCores: 8, tableTotals: [1, 0, 12] });

    // The vCenter's ingest links the docker source's engine host to its VM docker01: the docker
    // source's physical host count changes although its own snapshot did not.
    await applySnapshot(vcSource, vcenter(), { database: t });
    await expectKeptEqualsScratch();
    expect(await figures()).toMatchObject({
      hosts: 2,
      virtualMachines: 6,
      vmsPoweredOn: 6,
      vcpusPoweredOn: 24,
      physicalHosts: 1,
      physicalCores: 64,
      tableTotals: [2, 6, 12],
    });
  });

  it("follow objects added, changed and removed", async () => {
    await applySnapshot(
      vcSource,
      vcenter((s) => {
        const vms = s.virtualMachines!;
        vms[1] = { ...vms[1]!, powerState: "poweredOff" };
        vms[2] = { ...vms[2]!, template: true };
        vms[3] = { ...vms[3]!, vcpus: 16 };
        vms.splice(5, 1);
        vms.push({ ...vms[4]!, externalId: "vm-new-1", name: "new-1", uuid: null, macAddresses: [], ipAddresses: [] });
        vms.push({ ...vms[4]!, externalId: "vm-new-2", name: "new-2", uuid: null, macAddresses: [], ipAddresses: [], powerState: "suspended" });
      }),
      { database: t },
    );
    await applySnapshot(
      dockerSource,
      docker((s) => {
        const containers = s.containers!;
        containers[0] = { ...containers[0]!, state: "exited" };
        containers[1] = { ...containers[1]!, state: "paused" };
        containers.splice(10, 2);
        containers.push({ ...containers[2]!, externalId: "c-new", name: "web-new" });
      }),
      { database: t },
    );
    await expectKeptEqualsScratch();
    // VMs: 6 - 1 removed + 2 added = 7; on and not templates: vm-0, vm-3, vm-4, new-1 (vm-1 off,
    // vm-2 a template, new-2 suspended). vCPUs: 4 + 16 + 4 + 4.
    // Containers: 12 - 2 + 1 = 11, two of them no longer running.
    expect(await figures()).toMatchObject({
      virtualMachines: 7,
      vmsPoweredOn: 4,
      vcpusPoweredOn: 28,
      containers: 11,
      containersRunning: 9,
      physicalHosts: 1,
      tableTotals: [2, 7, 11],
    });
    // A filtered table counts its rows (the kept total is the unfiltered one's).
    expect((await api().inventory.containers({ customerId, state: "running" })).total).toBe(9);
    expect((await api().inventory.containers({ customerId, search: "web-new" })).total).toBe(1);
    expect((await api().inventory.virtualMachines({ customerId, powerState: "poweredOn" })).total).toBe(5);
    const firstPage = await api().inventory.containers({ customerId, pageSize: 3 });
    expect(firstPage.rows.map((r) => r.name)).toEqual(["web-0", "web-1", "web-2"]);
  });

  it("do not change when an ingest fails after they were counted (rolled back with the inventory)", async () => {
    const before = await figures();
    // Fails in the ingest's transaction after the totals are rewritten: the metrics sample comes later.
    await t.pool.query(`
      CREATE FUNCTION no_sample() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'metrics sample refused (simulated)'; END $$;
      CREATE TRIGGER no_sample BEFORE INSERT ON metrics_sample FOR EACH ROW EXECUTE FUNCTION no_sample();`);
    try {
      await expect(applySnapshot(dockerSource, docker((s) => s.containers!.splice(3)), { database: t })).rejects.toThrow(/metrics sample refused/);
      await expect(applySnapshot(vcSource, vcenter((s) => s.virtualMachines!.splice(0)), { database: t })).rejects.toThrow(/metrics sample refused/);
    } finally {
      await t.pool.query(`DROP TRIGGER no_sample ON metrics_sample; DROP FUNCTION no_sample();`);
    }
    // An invalid snapshot, refused before anything is written.
    await expect(applySnapshot(dockerSource, { collectedAt: "yesterday" }, { database: t })).rejects.toThrow();
    expect(await figures()).toEqual(before);
    await expectKeptEqualsScratch();
  });

  it("count the other source's engine host physical again once the source of its VM is deleted", async () => {
    await api().sources.delete({ id: vcSource });
    await expectKeptEqualsScratch();
    expect(await figures()).toMatchObject({ hosts: 1, virtualMachines: 0, containers: 11, physicalHosts: 1, physicalCores: 8, tableTotals: [1, 0, 11] });
  });

  it("go with a deleted customer, leaving the others' as they were", async () => {
    const before = await listCustomers(t, { customerIds: [otherCustomerId] });
    await api().customers.delete({ customerId });
    expect(await t.pool.query(`SELECT 1 FROM inventory_summary WHERE source_id = ANY($1::uuid[])`, [[vcSource, dockerSource]])).toMatchObject({ rowCount: 0 });
    expect(await listCustomers(t, { customerIds: null })).toEqual(before);
    expect(await fleetCounts(t, { customerIds: null })).toEqual(await fleetCounts(t, { customerIds: null }, { fromScratch: true }));
  });
});

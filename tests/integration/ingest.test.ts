import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { analyse } from "../../server/analysis";
import { isolationLevel } from "../../server/analysis/isolation";
import { loadInventory } from "../../server/analysis/load";
import { DEFAULT_PARAMETERS } from "../../server/analysis/parameters";
import { applySnapshot } from "../../server/inventory/ingest";
import { SnapshotValidationError, type SnapshotInput } from "../../server/inventory/snapshot";
import { smallSnapshot } from "../fixtures/snapshots";
import { createDockerSource, createTestDatabase, type TestDatabase } from "./db";

let t: TestDatabase;
let sourceId: string;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});
beforeEach(async () => {
  ({ sourceId } = await createDockerSource(t, "s"));
});

const ids = async (table: string) =>
  new Map(
    (
      await t.pool.query<{ external_id: string; id: string }>(
        `SELECT external_id, id::text FROM "${table}" WHERE source_id = $1`,
        [sourceId],
      )
    ).rows.map((r) => [r.external_id, r.id]),
  );

/** Everything stored for the source, as comparable plain data. */
async function inventoryDump() {
  const out: Record<string, unknown[]> = {};
  for (const table of ["host", "virtual_machine", "container", "image", "layer"]) {
    out[table] = (await t.pool.query(`SELECT * FROM "${table}" WHERE source_id = $1 ORDER BY id`, [sourceId])).rows;
  }
  out.children = (
    await t.pool.query(
      `SELECT 'disk' AS k, d.id::text, d.vm_id::text AS parent FROM virtual_disk d JOIN virtual_machine v ON v.id = d.vm_id WHERE v.source_id = $1
       UNION ALL SELECT 'mount', m.id::text, m.container_id::text FROM container_mount m JOIN container c ON c.id = m.container_id WHERE c.source_id = $1
       UNION ALL SELECT 'port', p.id::text, p.container_id::text FROM container_port p JOIN container c ON c.id = p.container_id WHERE c.source_id = $1
       UNION ALL SELECT 'image_layer', il.image_id::text || ':' || il.position, il.layer_id::text FROM image_layer il JOIN image i ON i.id = il.image_id WHERE i.source_id = $1
       ORDER BY 1, 2`,
      [sourceId],
    )
  ).rows;
  return out;
}

describe("applySnapshot", () => {
  it("stores every object with its fields and children, and records the run", async () => {
    const result = await applySnapshot(sourceId, smallSnapshot(), { database: t });
    expect(result).toMatchObject({ added: 2 + 3 + 4 + 2, changed: 0, removed: 0 });
    expect(result.byKind.containers).toEqual({ added: 4, changed: 0, removed: 0 });

    const vm = await t.prisma.virtualMachine.findFirstOrThrow({
      where: { sourceId, externalId: "vm-1" },
      include: { disks: { orderBy: { key: "asc" } }, host: true },
    });
    expect(vm).toMatchObject({
      name: "app-1",
      powerState: "poweredOn",
      vcpus: 4,
      coresPerSocket: 2,
      memoryMiB: 8192,
      guestOsFamily: "linux",
      rdmDisk: true,
      sharedDisk: false,
      ipAddresses: ["10.0.0.2"],
    });
    expect(vm.host?.name).toBe("esx01.lab");
    expect(vm.disks.map((d) => [d.key, d.capacityMiB, d.rdm, d.thin])).toEqual([
      ["2000", 40960, "none", true],
      ["2001", 102400, "physical", null],
    ]);

    const container = await t.prisma.container.findFirstOrThrow({
      where: { sourceId, externalId: "c1" },
      include: { mounts: true, ports: true, imageRecord: true, host: true },
    });
    expect(container).toMatchObject({
      privileged: false,
      capAdd: ["NET_ADMIN"],
      user: "1000",
      memoryLimitBytes: 536870912n,
      labels: { "com.docker.compose.project": "shop", tenant: "globex" },
    });
    expect(container.mounts[0]).toMatchObject({ type: "bind", source: "/var/run/docker.sock", readOnly: false });
    expect(container.ports[0]).toMatchObject({ containerPort: 80, hostPort: 8081, protocol: "tcp" });
    expect(container.imageRecord?.repoTags).toEqual(["nginx:1.27"]);
    expect(container.host.name).toBe("docker01");

    // Layers are stored once per source and shared by the images that use them.
    const layers = await t.prisma.layer.findMany({ where: { sourceId }, include: { images: true } });
    expect(layers.map((l) => [l.digest, l.images.length]).sort()).toEqual([
      ["sha256:app", 1],
      ["sha256:base", 2],
      ["sha256:nginx", 1],
    ]);

    const run = await t.prisma.collectionRun.findUniqueOrThrow({ where: { id: result.runId }, include: { metrics: true } });
    expect(run).toMatchObject({ status: "succeeded", added: 11, changed: 0, removed: 0, error: null });
    expect(run.finishedAt).not.toBeNull();
    expect(run.metrics).toMatchObject({ hosts: 2, virtualMachines: 3, vmsPoweredOn: 3, containers: 4, physicalCores: 64, vcpusPoweredOn: 12 });
  });

  it("links the engine host to the VM it runs in", async () => {
    await applySnapshot(sourceId, smallSnapshot(), { database: t });
    const engine = await t.prisma.host.findFirstOrThrow({ where: { sourceId, externalId: "engine-1" }, include: { vm: true } });
    expect(engine.vm?.externalId).toBe("vm-0");
    expect(engine.vmLinkKey).toBe("uuid");
  });

  it("falls back to MAC then hostname to link an engine host", async () => {
    const byMac = smallSnapshot();
    byMac.hosts![1]!.hardwareUuid = null;
    await applySnapshot(sourceId, byMac, { database: t });
    let engine = await t.prisma.host.findFirstOrThrow({ where: { sourceId, externalId: "engine-1" }, include: { vm: true } });
    expect([engine.vm?.externalId, engine.vmLinkKey]).toEqual(["vm-0", "mac"]);

    const byName = smallSnapshot();
    byName.hosts![1] = { ...byName.hosts![1]!, hardwareUuid: null, macAddresses: [], hostname: "APP-2.lab.example" };
    await applySnapshot(sourceId, byName, { database: t });
    engine = await t.prisma.host.findFirstOrThrow({ where: { sourceId, externalId: "engine-1" }, include: { vm: true } });
    // No VM has a hostname; the short name does not match VM names, so nothing links.
    expect(engine.vmId).toBeNull();

    byName.virtualMachines![2]!.hostname = "app-2";
    await applySnapshot(sourceId, byName, { database: t });
    engine = await t.prisma.host.findFirstOrThrow({ where: { sourceId, externalId: "engine-1" }, include: { vm: true } });
    expect([engine.vm?.externalId, engine.vmLinkKey]).toEqual(["vm-2", "hostname"]);
  });

  it("falls back to an IP address only one VM reports, and ignores case", async () => {
    const byIp = smallSnapshot();
    byIp.hosts![1] = { ...byIp.hosts![1]!, hardwareUuid: null, macAddresses: [], hostname: null, ipAddresses: ["10.0.0.12"] };
    byIp.virtualMachines![1]!.ipAddresses = ["10.0.0.12", "172.17.0.1"];
    byIp.virtualMachines![2]!.ipAddresses = ["172.17.0.1"];
    await applySnapshot(sourceId, byIp, { database: t });
    let engine = await t.prisma.host.findFirstOrThrow({ where: { sourceId, externalId: "engine-1" }, include: { vm: true } });
    expect([engine.vm?.externalId, engine.vmLinkKey]).toEqual(["vm-1", "ip"]);

    // docker0's address on two VMs is no evidence for either.
    byIp.hosts![1]!.ipAddresses = ["172.17.0.1"];
    await applySnapshot(sourceId, byIp, { database: t });
    engine = await t.prisma.host.findFirstOrThrow({ where: { sourceId, externalId: "engine-1" }, include: { vm: true } });
    expect(engine.vmId).toBeNull();

    const upper = smallSnapshot();
    upper.hosts![1]!.hardwareUuid = upper.hosts![1]!.hardwareUuid!.toLowerCase();
    await applySnapshot(sourceId, upper, { database: t });
    engine = await t.prisma.host.findFirstOrThrow({ where: { sourceId, externalId: "engine-1" }, include: { vm: true } });
    expect([engine.vm?.externalId, engine.vmLinkKey]).toEqual(["vm-0", "uuid"]);
  });

  it("changes nothing when the same snapshot comes again", async () => {
    await applySnapshot(sourceId, smallSnapshot(), { database: t });
    const before = await inventoryDump();
    const again = await applySnapshot(sourceId, smallSnapshot(), { database: t });
    expect(again).toMatchObject({ added: 0, changed: 0, removed: 0 });
    expect(await inventoryDump()).toEqual(before);
  });

  it("keeps ids of objects that persist, updates the changed, removes the vanished", async () => {
    await applySnapshot(sourceId, smallSnapshot(), { database: t });
    const vmIds = await ids("virtual_machine");
    const containerIds = await ids("container");

    const next = smallSnapshot();
    next.virtualMachines![1]!.memoryMiB = 16384;
    next.virtualMachines![1]!.disks = [{ key: "2000", capacityMiB: 51200 }];
    next.virtualMachines!.push({ ...next.virtualMachines![2]!, externalId: "vm-new", name: "app-new" });
    next.containers = next.containers!.filter((c) => c.externalId !== "c3");
    next.images = next.images!.filter((i) => i.externalId !== "sha256:img2");

    const result = await applySnapshot(sourceId, next, { database: t });
    expect(result.byKind.virtualMachines).toEqual({ added: 1, changed: 1, removed: 0 });
    expect(result.byKind.containers).toEqual({ added: 0, changed: 0, removed: 1 });
    expect(result.byKind.images).toEqual({ added: 0, changed: 0, removed: 1 });
    expect(result).toMatchObject({ added: 1, changed: 1, removed: 2 });

    const vmIdsAfter = await ids("virtual_machine");
    for (const key of ["vm-0", "vm-1", "vm-2"]) expect(vmIdsAfter.get(key)).toBe(vmIds.get(key));
    expect(vmIdsAfter.has("vm-new")).toBe(true);
    const containerIdsAfter = await ids("container");
    expect(containerIdsAfter.has("c3")).toBe(false);
    for (const key of ["c0", "c1", "c2"]) expect(containerIdsAfter.get(key)).toBe(containerIds.get(key));

    const vm1 = await t.prisma.virtualMachine.findUniqueOrThrow({ where: { id: vmIds.get("vm-1")! }, include: { disks: true } });
    expect(vm1.memoryMiB).toBe(16384);
    expect(vm1.rdmDisk).toBe(false);
    expect(vm1.disks.map((d) => [d.key, d.capacityMiB])).toEqual([["2000", 51200]]);
    // The layer only img2 used is gone with it; shared ones stay.
    const digests = (await t.prisma.layer.findMany({ where: { sourceId } })).map((l) => l.digest).sort();
    expect(digests).toEqual(["sha256:base", "sha256:nginx"]);
  });

  it("updates what a VM is when only that changes between collections, and its role follows", async () => {
    const first = smallSnapshot();
    first.virtualMachines![1]!.product = { name: "VMware vCenter Server Appliance", vendor: "VMware Inc.", version: "8.0.2" };
    first.virtualMachines![1]!.attributes = { Owner: "infra" };
    await applySnapshot(sourceId, first, { database: t });
    const vmIds = await ids("virtual_machine");
    const roleOf = async (externalId: string) =>
      analyse(await loadInventory(t, [(await t.prisma.source.findUniqueOrThrow({ where: { id: sourceId } })).customerId]), DEFAULT_PARAMETERS)
        .migration.verdicts.find((v) => v.key === vmIds.get(externalId))?.role ?? "no verdict";
    expect(await roleOf("vm-1")).toBe("appliance");
    expect(await roleOf("vm-2")).toBe("general");

    // The product is gone (redeployed as a plain VM), an attribute changed, another VM became a template:
    // nothing else differs, yet each is a change, stored in place under the same id.
    const next = smallSnapshot();
    next.virtualMachines![1]!.attributes = { Owner: "apps" };
    next.virtualMachines![2]!.template = true;
    const result = await applySnapshot(sourceId, next, { database: t });
    expect(result.byKind.virtualMachines).toEqual({ added: 0, changed: 2, removed: 0 });
    expect(await ids("virtual_machine")).toEqual(vmIds);
    const vm1 = await t.prisma.virtualMachine.findUniqueOrThrow({ where: { id: vmIds.get("vm-1")! } });
    expect(vm1).toMatchObject({ product: null, attributes: { Owner: "apps" } });
    expect(await roleOf("vm-1")).toBe("general");
    // A template is listed apart, never a verdict.
    expect(await roleOf("vm-2")).toBe("no verdict");
  });

  it("rejects an invalid snapshot with the bad path, records a failed run, keeps the inventory", async () => {
    await applySnapshot(sourceId, smallSnapshot(), { database: t });
    const before = await inventoryDump();
    const bad = smallSnapshot() as { virtualMachines: Record<string, unknown>[] };
    bad.virtualMachines[1]!.vcpus = -2;
    const error = await applySnapshot(sourceId, bad, { database: t }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SnapshotValidationError);
    expect((error as Error).message).toContain("virtualMachines.1.vcpus");

    const dangling = smallSnapshot();
    dangling.containers![0]!.hostExternalId = "nope";
    await expect(applySnapshot(sourceId, dangling, { database: t })).rejects.toThrow(
      /containers\.0\.hostExternalId: no host with externalId "nope"/,
    );

    const runs = await t.prisma.collectionRun.findMany({ where: { sourceId }, orderBy: { startedAt: "asc" } });
    expect(runs.map((r) => r.status)).toEqual(["succeeded", "failed", "failed"]);
    expect(runs[1]!.error).toContain("virtualMachines.1.vcpus");
    expect(await t.prisma.metricsSample.count({ where: { sourceId } })).toBe(1);
    expect(await inventoryDump()).toEqual(before);
  });

  it("rolls back a failure half way through a large snapshot", async () => {
    const large = (marker: string): SnapshotInput => {
      const s = smallSnapshot({ vms: 2000, containers: 10_000 });
      s.containers = s.containers!.map((c, i) => ({ ...c, name: i === 5000 ? marker : c.name }));
      return s;
    };
    const good = await applySnapshot(sourceId, large("web-5000"), { database: t });
    expect(good.added).toBe(2 + 2000 + 10_000 + 2);
    const before = await inventoryDump();

    // A real failure inside Postgres while the 5,000th container is written: VMs, hosts and
    // images of this snapshot are already written by then, and must all be rolled back.
    await t.pool.query(`
      CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.name = 'boom' THEN RAISE EXCEPTION 'disk full (simulated)'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER boom BEFORE INSERT OR UPDATE ON container FOR EACH ROW EXECUTE FUNCTION boom();`);
    try {
      const changed = large("boom");
      changed.virtualMachines = changed.virtualMachines!.map((v) => ({ ...v, memoryMiB: 4096 }));
      changed.containers!.push({ ...changed.containers![0]!, externalId: "c-new", name: "boom-not" });
      await expect(applySnapshot(sourceId, changed, { database: t })).rejects.toThrow(/disk full \(simulated\)/);
    } finally {
      await t.pool.query(`DROP TRIGGER boom ON container; DROP FUNCTION boom();`);
    }
    expect(await inventoryDump()).toEqual(before);
    const last = await t.prisma.collectionRun.findFirstOrThrow({ where: { sourceId }, orderBy: { startedAt: "desc" } });
    expect(last).toMatchObject({ status: "failed", added: 0 });
    expect(last.error).toContain("disk full (simulated)");
  });

  it("fails clearly for a source that does not exist", async () => {
    await t.prisma.source.delete({ where: { id: sourceId } });
    await expect(applySnapshot(sourceId, smallSnapshot(), { database: t })).rejects.toThrow(
      `source ${sourceId} does not exist`,
    );
  });

  it("lets only one collection of a customer write at a time", async () => {
    const source = await t.prisma.source.findUniqueOrThrow({ where: { id: sourceId } });
    const holder = await t.pool.connect();
    // The per-customer lock ingest takes: class "FL" (0x464c), key = hashtext(customer id).
    await holder.query(`SELECT pg_advisory_lock(${0x464c}, hashtext($1))`, [source.customerId]);
    let done = false;
    const running = applySnapshot(sourceId, smallSnapshot(), { database: t }).then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(done).toBe(false);
    await holder.query(`SELECT pg_advisory_unlock(${0x464c}, hashtext($1))`, [source.customerId]);
    holder.release();
    await running;
    expect(done).toBe(true);
  });

  it("runs collections of one customer's sources side by side without deadlocks", async () => {
    // The engine host comes from a docker source and links to a VM from a vSphere source.
    const source = await t.prisma.source.findUniqueOrThrow({ where: { id: sourceId } });
    const vsphere = await t.prisma.source.create({
      data: { customerId: source.customerId, kind: "vsphere", name: "vc", endpoint: "https://vc/sdk" },
    });
    const vms = smallSnapshot({ containers: 0 });
    vms.hosts = vms.hosts!.filter((h) => h.role === "hypervisor");
    vms.images = [];
    const engine = smallSnapshot({ vms: 0 });
    engine.hosts = engine.hosts!.filter((h) => h.role === "container-engine");
    const variant = (snapshot: SnapshotInput, i: number): SnapshotInput => ({
      ...snapshot,
      hosts: snapshot.hosts!.map((h) => ({ ...h, memoryMiB: h.memoryMiB + i })),
    });
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        i % 2 === 0
          ? applySnapshot(vsphere.id, variant(vms, i), { database: t })
          : applySnapshot(sourceId, variant(engine, i), { database: t }),
      ),
    );
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    const linked = await t.prisma.host.findFirstOrThrow({ where: { sourceId, externalId: "engine-1" }, include: { vm: true } });
    expect(linked.vm?.sourceId).toBe(vsphere.id);
  });

  it("serialises two collections of one source", async () => {
    const a = smallSnapshot();
    const b = smallSnapshot();
    b.virtualMachines!.push({ ...b.virtualMachines![0]!, externalId: "vm-b", name: "b" });
    const [ra, rb] = await Promise.all([
      applySnapshot(sourceId, a, { database: t }),
      applySnapshot(sourceId, b, { database: t }),
    ]);
    // Whichever ran second saw the first's rows: one added everything, the other only the difference.
    expect(ra.added + rb.added).toBeLessThan(2 * 11);
    expect(await t.prisma.virtualMachine.count({ where: { sourceId } })).toBeGreaterThanOrEqual(3);
  });
});

describe("snapshot contract: unknown disk capacity, paused VMs, rootless engines", () => {
  const customerOf = async () =>
    (await t.prisma.source.findUniqueOrThrow({ where: { id: sourceId } })).customerId;

  it("stores a disk of unknown capacity as NULL, reads it back null, and flags it as invalid for migration", async () => {
    const snapshot = smallSnapshot();
    snapshot.virtualMachines![2]!.disks = [
      { key: "2000", capacityMiB: 40960 },
      { key: "2001", label: "Hard disk 2" },
      { key: "2002", label: "Hard disk 3", capacityMiB: null },
    ];
    await applySnapshot(sourceId, snapshot, { database: t });

    const { rows } = await t.pool.query<{ key: string; capacity_mib: number | null }>(
      `SELECT d.key, d.capacity_mib FROM virtual_disk d JOIN virtual_machine v ON v.id = d.vm_id
        WHERE v.source_id = $1 AND v.external_id = 'vm-2' ORDER BY d.key`,
      [sourceId],
    );
    expect(rows).toEqual([
      { key: "2000", capacity_mib: 40960 },
      { key: "2001", capacity_mib: null },
      { key: "2002", capacity_mib: null },
    ]);
    const vm = await t.prisma.virtualMachine.findFirstOrThrow({
      where: { sourceId, externalId: "vm-2" },
      include: { disks: { orderBy: { key: "asc" } } },
    });
    expect(vm.disks.map((d) => d.capacityMiB)).toEqual([40960, null, null]);

    const inventory = await loadInventory(t, [await customerOf()]);
    const loaded = inventory.virtualMachines.find((v) => v.externalId === "vm-2")!;
    expect(loaded.disks.map((d) => [d.key, d.capacityMiB])).toEqual([["2000", 40960], ["2001", null], ["2002", null]]);
    const findings = analyse(inventory, DEFAULT_PARAMETERS).findings.filter((f) => f.ruleId === "disk-capacity-unknown");
    expect(findings.map((f) => [f.objectName, f.detail])).toEqual([["app-2", "Hard disk 2, Hard disk 3"]]);
  });

  it("stores a paused VM as paused: not load, counted with the powered off", async () => {
    const snapshot = smallSnapshot();
    snapshot.virtualMachines![1]!.powerState = "paused";
    const result = await applySnapshot(sourceId, snapshot, { database: t });

    const { rows } = await t.pool.query<{ power_state: string }>(
      `SELECT power_state::text FROM virtual_machine WHERE source_id = $1 AND external_id = 'vm-1'`,
      [sourceId],
    );
    expect(rows).toEqual([{ power_state: "paused" }]);
    const vm = await t.prisma.virtualMachine.findFirstOrThrow({ where: { sourceId, externalId: "vm-1" } });
    expect(vm.powerState).toBe("paused");
    expect(await t.prisma.virtualMachine.count({ where: { sourceId, powerState: "paused" } })).toBe(1);
    const metrics = await t.prisma.metricsSample.findUniqueOrThrow({ where: { runId: result.runId } });
    expect(metrics).toMatchObject({ virtualMachines: 3, vmsPoweredOn: 2, vcpusPoweredOn: 8 });

    const inventory = await loadInventory(t, [await customerOf()]);
    expect(inventory.virtualMachines.find((v) => v.externalId === "vm-1")!.powerState).toBe("paused");
    expect(analyse(inventory, DEFAULT_PARAMETERS).density.fleet).toMatchObject({ vmsPoweredOn: 2, vmsPoweredOff: 1 });
  });

  it("stores a rootless engine host, and its unprivileged containers are user-namespaced", async () => {
    const snapshot = smallSnapshot();
    snapshot.hosts![1]!.rootless = true;
    // Said by the flag alone: no "name=rootless" security option to fall back on.
    snapshot.hosts![1]!.securityOptions = ["name=seccomp,profile=builtin"];
    await applySnapshot(sourceId, snapshot, { database: t });

    const engine = await t.prisma.host.findFirstOrThrow({ where: { sourceId, externalId: "engine-1" } });
    expect(engine.rootless).toBe(true);
    const hypervisor = await t.prisma.host.findFirstOrThrow({ where: { sourceId, externalId: "host-1" } });
    expect(hypervisor.rootless).toBe(false);

    const inventory = await loadInventory(t, [await customerOf()]);
    const host = inventory.hosts.find((h) => h.externalId === "engine-1")!;
    expect(host.rootless).toBe(true);
    const levels = inventory.containers
      .map((c) => [c.externalId, isolationLevel(c, host)])
      .sort(([a], [b]) => a!.localeCompare(b!));
    // c0 is privileged: that stays the weakest level, rootless or not.
    expect(levels).toEqual([
      ["c0", "privileged-container"],
      ["c1", "user-namespaced"],
      ["c2", "user-namespaced"],
      ["c3", "user-namespaced"],
    ]);
    expect(analyse(inventory, DEFAULT_PARAMETERS).isolation.levels).toMatchObject({
      "privileged-container": 1,
      "shared-kernel": 0,
      "user-namespaced": 3,
    });

    // The same engine found rootful again is a change, and its containers share the kernel again.
    snapshot.hosts![1]!.rootless = false;
    const again = await applySnapshot(sourceId, snapshot, { database: t });
    expect(again.byKind.hosts).toEqual({ added: 0, changed: 1, removed: 0 });
    const rootful = await loadInventory(t, [await customerOf()]);
    expect(analyse(rootful, DEFAULT_PARAMETERS).isolation.levels).toMatchObject({ "shared-kernel": 3, "user-namespaced": 0 });
  });
});

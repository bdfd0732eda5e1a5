/**
 * Security review (issue 12) M5, M6, L7 against real Postgres: one hostile object costs one object
 * after salvage, strict ingest names the field of each refusal, a huge invalid snapshot is refused
 * with a bounded report, and the containers table carries no labels.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadInventory } from "../../server/analysis/load";
import { createCaller } from "../../server/api/root";
import type { Viewer } from "../../server/api/trpc";
import { applySnapshot, failRun, startRun } from "../../server/inventory/ingest";
import { salvageSnapshot } from "../../server/inventory/salvage";
import {
  INT4_MAX,
  LABEL_LIMITS,
  MAX_INVALID_ELEMENTS,
  MAX_ISSUES_PER_ELEMENT,
  SnapshotValidationError,
  type SnapshotInput,
} from "../../server/inventory/snapshot";
import { smallSnapshot } from "../fixtures/snapshots";
import { createDockerSource, createTestDatabase, type TestDatabase } from "./db";

let t: TestDatabase;
let customerId: string;
let sourceId: string;

const admin: Viewer = { id: "admin", role: "admin", scope: { kind: "all" } };

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});
beforeEach(async () => {
  ({ customerId, sourceId } = await createDockerSource(t, "engine"));
});

/** The four hostile objects of the review among good ones. */
function hostileSnapshot(): SnapshotInput {
  const s = smallSnapshot({ vms: 4, containers: 4 });
  s.containers![0]!.labels = { tenant: "acme", "evil\0key": "v\0alue" };
  s.containers![1]!.labels = { tenant: "globex", note: "n".repeat(70_000) };
  s.virtualMachines![1]!.vcpus = 2 ** 31;
  s.virtualMachines![2]!.disks = [{ key: "2000", capacityMiB: 10 }, { key: "2000", capacityMiB: 20 }];
  return s;
}

const rows = async (sql: string) => (await t.pool.query(sql, [sourceId])).rows;

describe("a hostile object costs one object (M5)", () => {
  it("stores the good objects, repairs or drops the bad ones, and the run's warnings name each", async () => {
    const result = await applySnapshot(sourceId, salvageSnapshot(hostileSnapshot()), { database: t });
    expect(result.byKind.virtualMachines.added).toBe(3);
    expect(result.byKind.containers.added).toBe(4);

    expect(await rows(`SELECT external_id, vcpus FROM virtual_machine WHERE source_id = $1 ORDER BY external_id`)).toEqual([
      { external_id: "vm-0", vcpus: 4 },
      { external_id: "vm-2", vcpus: 4 },
      { external_id: "vm-3", vcpus: 4 },
    ]);
    expect(
      await rows(`SELECT d.key, d.capacity_mib FROM virtual_disk d JOIN virtual_machine v ON v.id = d.vm_id
                   WHERE v.source_id = $1 AND v.external_id = 'vm-2'`),
    ).toEqual([{ key: "2000", capacity_mib: 10 }]);
    const labels = new Map(
      (await rows(`SELECT external_id, labels FROM container WHERE source_id = $1`)).map((r) => [r.external_id, r.labels]),
    );
    expect(labels.get("c0")).toEqual({ tenant: "acme", evilkey: "value" });
    expect(labels.get("c1").note).toHaveLength(LABEL_LIMITS.valueLength);
    expect(labels.get("c2")).toEqual({ tenant: "acme", "com.docker.compose.project": "shop" });

    const run = await t.prisma.collectionRun.findUniqueOrThrow({ where: { id: result.runId } });
    expect(run.status).toBe("succeeded");
    const about = (id: string) => run.warnings.filter((w) => w.includes(`(externalId "${id}")`));
    expect(about("c0")).toEqual([expect.stringMatching(/^repaired container "web-0" .*removed NUL characters from labels\.evilkey \(key\), labels\.evilkey$/)]);
    expect(about("c1")).toEqual([expect.stringMatching(/^repaired container "web-1" .*truncated 1 values to 4096 characters$/)]);
    expect(about("vm-1")).toEqual(['dropped virtual machine "app-1" (externalId "vm-1"): vcpus: Too big: expected number to be <=2147483647']);
    expect(about("vm-2")).toEqual([expect.stringMatching(/^repaired virtual machine "app-2" .*disks\.1\.key: duplicate disk key "2000"/)]);
    expect(run.warnings).toHaveLength(4);

    // The analyses still read the tenant label of every container.
    const inventory = await loadInventory(t, [customerId]);
    expect(inventory.containers.map((c) => c.labels.tenant).sort()).toEqual(["acme", "acme", "globex", "globex"]);
  });

  it("without salvage, refuses each hostile snapshot naming the field, records it, and keeps the inventory", async () => {
    await applySnapshot(sourceId, smallSnapshot(), { database: t });
    const before = await rows(`SELECT external_id, name, fingerprint FROM container WHERE source_id = $1 ORDER BY 1`);
    const cases: [(s: SnapshotInput) => void, RegExp][] = [
      [(s) => void (s.containers![0]!.labels = { "a\0b": "x" }), /containers\.0\.labels\."a\\u0000b": label key must not contain NUL/],
      [(s) => void (s.containers![0]!.labels = { tenant: "x\0" }), /containers\.0\.labels\.tenant: must not contain NUL/],
      [(s) => void (s.containers![1]!.name = "we\0b"), /containers\.1\.name: must not contain NUL/],
      [(s) => void (s.containers![1]!.labels = { note: "n".repeat(70_000) }), /containers\.1\.labels\.note: Too big/],
      [(s) => void (s.virtualMachines![1]!.vcpus = 2 ** 31), /virtualMachines\.1\.vcpus: Too big: expected number to be <=2147483647/],
      [(s) => void (s.virtualMachines![0]!.snapshotCount = 2 ** 31), /virtualMachines\.0\.snapshotCount: Too big/],
      [(s) => void (s.containers![2]!.cpuShares = 2 ** 40), /containers\.2\.cpuShares: Too big/],
      [(s) => void (s.virtualMachines![2]!.disks = [{ key: "k" }, { key: "k" }]), /virtualMachines\.2\.disks\.1\.key: duplicate disk key "k"/],
      // What each VM is (issue 14): custom attributes, OVF product, managing solution and title are bounded text too.
      [
        (s) => void (s.virtualMachines![0]!.attributes = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`field-${i}`, "v"]))),
        /virtualMachines\.0\.attributes: too many attributes: at most 256 per VM/,
      ],
      [(s) => void (s.virtualMachines![0]!.attributes = { Owner: "a\0b" }), /virtualMachines\.0\.attributes\.Owner: must not contain NUL/],
      [(s) => void (s.virtualMachines![1]!.product = { name: "n".repeat(70_000), vendor: "VMware Inc." }), /virtualMachines\.1\.product\.name: Too big/],
      [(s) => void (s.virtualMachines![2]!.managedBy = { extensionKey: "com.vmware.vim.eam\0", type: null }), /virtualMachines\.2\.managedBy\.extensionKey: must not contain NUL/],
    ];
    for (const [spoil, path] of cases) {
      const input = smallSnapshot();
      spoil(input);
      const error = await applySnapshot(sourceId, input, { database: t }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SnapshotValidationError);
      expect((error as Error).message).toMatch(path);
      const run = await t.prisma.collectionRun.findFirstOrThrow({ where: { sourceId }, orderBy: { startedAt: "desc" } });
      expect(run.status).toBe("failed");
      expect(run.error).toMatch(path);
    }
    expect(await rows(`SELECT external_id, name, fingerprint FROM container WHERE source_id = $1 ORDER BY 1`)).toEqual(before);
  });

  it("records a failure whose message quotes a NUL (Postgres text cannot hold one)", async () => {
    const runId = await startRun(t, sourceId);
    await failRun(t, runId, new Error("engine said: bad\0name"));
    const run = await t.prisma.collectionRun.findUniqueOrThrow({ where: { id: runId } });
    expect(run).toMatchObject({ status: "failed", error: "engine said: bad\\0name" });
  });

  it("saturates the int4 totals of the metrics sample instead of failing the run", async () => {
    const input = smallSnapshot({ vms: 2 });
    input.hosts![0]!.cpuCores = INT4_MAX;
    input.hosts!.push({ ...input.hosts![0]!, externalId: "host-2", name: "esx02.lab", cpuCores: INT4_MAX });
    input.virtualMachines![0]!.vcpus = INT4_MAX;
    input.virtualMachines![1]!.vcpus = INT4_MAX;
    const result = await applySnapshot(sourceId, input, { database: t });
    const sample = await t.prisma.metricsSample.findUniqueOrThrow({ where: { runId: result.runId } });
    expect(sample).toMatchObject({ physicalCores: INT4_MAX, vcpusPoweredOn: INT4_MAX });
  });
});

describe("validation cost is bounded (L7)", () => {
  it("refuses a million invalid containers with a bounded report, as a failed run", async () => {
    const containers = Array.from({ length: 1_000_000 }, (_, i) => ({ externalId: `c${i}`, name: 1 }));
    const error = await applySnapshot(sourceId, { collectedAt: "2026-01-01T00:00:00Z", containers }, { database: t }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SnapshotValidationError);
    const { issues, message } = error as SnapshotValidationError;
    expect(issues.length).toBeLessThanOrEqual(MAX_INVALID_ELEMENTS * MAX_ISSUES_PER_ELEMENT);
    expect(message).toContain(`stopped after ${MAX_INVALID_ELEMENTS} invalid objects, ${MAX_INVALID_ELEMENTS} of 1000000 checked`);
    const run = await t.prisma.collectionRun.findFirstOrThrow({ where: { sourceId } });
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(/^invalid snapshot: containers\.0\.name: /);
  });
});

describe("the containers table (M6)", () => {
  it("returns the columns the table shows and no labels", async () => {
    const input = smallSnapshot({ containers: 3 });
    input.containers![0]!.labels = { tenant: "acme", note: "n".repeat(LABEL_LIMITS.valueLength) };
    await applySnapshot(sourceId, input, { database: t });
    const page = await createCaller({ database: t, viewer: admin }).inventory.containers({ customerId });
    expect(page.total).toBe(3);
    for (const row of page.rows) {
      expect(row).not.toHaveProperty("labels");
      expect(row).toMatchObject({ name: expect.any(String), image: "nginx:1.27", host: { name: "docker01" } });
    }
    expect(JSON.stringify(page.rows, (_, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain("nnnn");
  });
});

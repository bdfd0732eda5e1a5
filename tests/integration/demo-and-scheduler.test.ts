import { afterEach, describe, expect, it } from "vitest";
import { analyse, type Analysis } from "../../server/analysis";
import { inventoryFromSnapshots } from "../../server/analysis/inventory";
import { CANDIDATE_ROLES } from "../../server/analysis/labels";
import { customerAnalysis } from "../../server/analysis/load";
import { DEFAULT_PARAMETERS } from "../../server/analysis/parameters";
import { DEMO_CUSTOMERS, generateCustomerSnapshot } from "../../server/collectors/demo/fleet";
import { parseSnapshot } from "../../server/inventory/snapshot";
import { removeDemoData, seedDemoFleet } from "../../server/demo/seed";
import { dueSources } from "../../server/jobs/queue";
import { createTestDatabase, type TestDatabase } from "./db";

const open: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.drop()));
});
const fresh = async () => {
  const t = await createTestDatabase();
  open.push(t);
  return t;
};

describe("demo fleet on first start", () => {
  it("loads the demo customers into an empty database once, marked as demo", async () => {
    const t = await fresh();
    const [first, second] = await Promise.all([seedDemoFleet(t), seedDemoFleet(t)]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    const customers = await t.prisma.customer.findMany({ orderBy: { name: "asc" } });
    expect(customers.map((c) => c.name)).toEqual(DEMO_CUSTOMERS.map((c) => c.name).sort());
    expect(customers.every((c) => c.isDemo)).toBe(true);
    const runs = await t.prisma.collectionRun.findMany();
    expect(runs).toHaveLength(DEMO_CUSTOMERS.length);
    expect(runs.every((r) => r.status === "succeeded" && r.trigger === "startup")).toBe(true);
    expect(await t.prisma.virtualMachine.count()).toBeGreaterThan(100);
    expect(await seedDemoFleet(t)).toBe(false);
  });

  it("removes only the demo customers, and does not load them again", async () => {
    const t = await fresh();
    await seedDemoFleet(t);
    await t.prisma.customer.create({ data: { name: "Real customer" } });
    expect(await removeDemoData(t)).toBe(DEMO_CUSTOMERS.length);
    expect((await t.prisma.customer.findMany()).map((c) => c.name)).toEqual(["Real customer"]);
    expect(await t.prisma.virtualMachine.count()).toBe(0);
    await t.prisma.customer.deleteMany();
    expect(await seedDemoFleet(t)).toBe(false);
    expect(await t.prisma.customer.count()).toBe(0);
  });

  it("leaves a database that already has customers alone", async () => {
    const t = await fresh();
    await t.prisma.customer.create({ data: { name: "Existing" } });
    expect(await seedDemoFleet(t)).toBe(false);
    expect(await t.prisma.customer.count()).toBe(1);
  });
});

/** What a verdict rests on, comparable across doors (keys differ: snapshot prefixes vs database ids). */
const verdictFacts = (a: Analysis) =>
  a.migration.verdicts
    .map((v) => [v.kind, v.name, v.role, v.verdict, v.fit, v.ruleIds.join(" "), v.roleEvidence.map((e) => `${e.field}=${e.value}`).join(" ")].join(" | "))
    .sort();

describe("demo fleet: what each VM is survives the database", () => {
  it("gives every stored VM the role, verdict and fit its snapshot gives, and keeps non-candidates where they are", async () => {
    const t = await fresh();
    await seedDemoFleet(t);
    const customers = await t.prisma.customer.findMany({ orderBy: { name: "asc" } });
    // The demo collector dates its objects from the start of the UTC day (collector.ts): the same here.
    const now = new Date();
    const collectedAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())).toISOString();
    for (const demo of DEMO_CUSTOMERS) {
      const customer = customers.find((c) => c.name === demo.name)!;
      const stored = (await customerAnalysis(t, customer.id)).analysis;
      const snapshot = parseSnapshot(generateCustomerSnapshot(demo.key, { collectedAt }));
      const inventory = inventoryFromSnapshots([{ snapshot, customer: demo.name, prefix: demo.key }]);
      const direct = analyse(inventory, DEFAULT_PARAMETERS);
      // The demo reads some of its Linux VMs' guests (collectors/demo/guests.ts): their fit is graded.
      const vmName = new Map(inventory.virtualMachines.map((vm) => [vm.key, vm.name]));
      const guestRead = new Set(inventory.guests.map((g) => vmName.get(g.vmKey ?? "")));
      expect(guestRead.size, demo.name).toBeGreaterThan(0);
      // Product, managedBy, custom attributes, titles and template flags are stored and read back
      // (ingest, loadInventory): the roles, and so the verdicts, are the same as from the snapshot.
      expect(stored.migration.totals.roles, demo.name).toEqual(direct.migration.totals.roles);
      expect(verdictFacts(stored), demo.name).toEqual(verdictFacts(direct));
      expect(stored.migration.templates.map((x) => x.name).sort(), demo.name).toEqual(direct.migration.templates.map((x) => x.name).sort());

      // Issue 14's role verdicts: only general workloads and database servers are candidates; the
      // other roles stay (no fit); templates are listed apart, never verdicts.
      const templates = new Set(stored.migration.templates.map((x) => x.name));
      for (const v of stored.migration.verdicts.filter((x) => x.kind === "vm")) {
        expect(templates.has(v.name), `${v.name} is a template and a verdict`).toBe(false);
        if (!CANDIDATE_ROLES.includes(v.role!)) {
          expect([v.name, v.verdict, v.fit]).toEqual([v.name, "stay-vm", "no-fit"]);
        }
        // A candidate judged from its configuration alone is never a firm move (Migrate to Containers' levels);
        // one whose guest was read is graded from it.
        if (v.verdict === "to-container" || v.verdict === "to-kata") {
          if (guestRead.has(v.name)) expect([v.name, v.fit]).not.toEqual([v.name, "insufficient-data"]);
          else expect([v.name, v.fit]).toEqual([v.name, "insufficient-data"]);
        }
      }
      expect(stored.migration.totals.templates).toBe(stored.migration.totals.roles.template);
    }
    // The demo's make-up as docs/domain.md#roles gives it (default seed): Northwind 4 templates, 2 system VMs,
    // 8 appliances, 7 container hosts, 26 database servers (20 by name, tag or annotation; 6 more whose guest
    // runs a database or another stateful server: a cache, a queue) and 93 general workloads.
    const northwind = customers.find((c) => c.name === DEMO_CUSTOMERS.find((d) => d.key === "northwind")!.name)!;
    const { roles } = (await customerAnalysis(t, northwind.id)).analysis.migration.totals;
    expect(roles).toMatchObject({ template: 4, system: 2, appliance: 8, "container-host": 7, database: 26, general: 93 });
  });
});

describe("scheduler", () => {
  it("picks enabled sources whose interval has passed since their last run", async () => {
    const t = await fresh();
    const customer = await t.prisma.customer.create({ data: { name: "c" } });
    const make = (name: string, extra: { enabled?: boolean; kind?: "docker" | "demo" } = {}) =>
      t.prisma.source.create({
        data: { customerId: customer.id, kind: extra.kind ?? "docker", name, endpoint: "unix:///x", enabled: extra.enabled ?? true, intervalSeconds: 600 },
      });
    const never = await make("never");
    const recent = await make("recent");
    const old = await make("old");
    const running = await make("running");
    const queued = await make("queued");
    await make("disabled", { enabled: false });
    await make("demo", { kind: "demo" });
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
    await t.prisma.collectionRun.createMany({
      data: [
        { sourceId: recent.id, status: "succeeded", startedAt: minutesAgo(5) },
        { sourceId: old.id, status: "failed", startedAt: minutesAgo(11) },
        { sourceId: running.id, status: "running", startedAt: minutesAgo(20) },
        { sourceId: queued.id, status: "queued", startedAt: minutesAgo(61) },
      ],
    });
    // Running or queued: not due again (a run whose process died is failed by the worker's sweep).
    expect((await dueSources(t)).sort()).toEqual([never.id, old.id].sort());
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { DEMO_CUSTOMERS } from "../../server/collectors/demo/fleet";
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

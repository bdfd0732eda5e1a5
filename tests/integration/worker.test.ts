/**
 * The collection queue and worker against real PostgreSQL and real collection processes: runs
 * are queued once per source, each collection runs in a process of its own with its own memory
 * limit, and a collection that dies (out of memory, killed, over its time limit, or with the
 * worker itself) ends as a failed run that says why, the previous inventory kept.
 */
import { execFileSync } from "node:child_process";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { startCollection } from "../../server/jobs/collect";
import { cancelRun, enqueueCollection, failInterruptedRuns, INTERRUPTED, takeLease } from "../../server/jobs/queue";
import { describeChildExit, startWorker, type WorkerOptions } from "../../server/jobs/worker";
import { createTestDatabase, settledRun, type TestDatabase } from "./db";

let t: TestDatabase;
let customerId: string;

beforeAll(async () => {
  t = await createTestDatabase();
  customerId = (await t.prisma.customer.create({ data: { name: "Initech" } })).id;
});
afterAll(() => t.drop());

async function demoSource(name: string, options: Record<string, number> = {}) {
  return t.prisma.source.create({
    data: { customerId, kind: "demo", name, endpoint: "demo:initech", options, intervalSeconds: 86_400 },
  });
}

async function worker(options: Partial<WorkerOptions> = {}) {
  const w = await startWorker(t, { url: t.url, scheduleMs: 0, pollMs: 300, ...options });
  onTestFinished(() => w.stop());
  return w;
}

const settled = (runId: string) => settledRun(t, runId);

async function waitForStatus(runId: string, status: "running") {
  for (let i = 0; i < 600; i++) {
    const run = await t.prisma.collectionRun.findUniqueOrThrow({ where: { id: runId } });
    if (run.status === status) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`run ${runId} never became ${status}`);
}

/** The pid of the collection process of a run (its command line names the run). */
function collectionPid(runId: string): number | null {
  try {
    const out = execFileSync("pgrep", ["-f", `server/jobs/child.ts ${runId}`], { encoding: "utf8" });
    return Number(out.trim().split("\n")[0]) || null;
  } catch {
    return null;
  }
}

describe("collection queue", () => {
  it("queues one run per source: a second 'Collect now' gets the run already queued", async () => {
    const source = await demoSource("queued twice");
    const first = await startCollection(source.id, { database: t });
    const second = await startCollection(source.id, { database: t });
    expect(second.runId).toBe(first.runId);
    const run = await t.prisma.collectionRun.findUniqueOrThrow({ where: { id: first.runId } });
    expect(run.status).toBe("queued");
    await expect(enqueueCollection(t, "00000000-0000-4000-8000-000000000000", "manual")).rejects.toThrow(/does not exist/);
    await t.prisma.source.delete({ where: { id: source.id } });
  });
});

describe("collection worker", () => {
  it("runs a queued collection in a process of its own and records it", async () => {
    const source = await demoSource("small demo");
    await worker();
    const { runId } = await startCollection(source.id, { database: t });
    const run = await settled(runId);
    expect(run.error).toBeNull();
    expect(run.status).toBe("succeeded");
    expect(run.added).toBeGreaterThan(100);
    expect(await t.prisma.virtualMachine.count({ where: { sourceId: source.id } })).toBeGreaterThan(10);
  });

  it("fails a collection that runs out of its memory limit with a message saying so, and keeps the inventory", async () => {
    const source = await demoSource("big demo", { vms: 2000 });
    const before = await t.prisma.virtualMachine.count();
    await worker({ memoryMb: 48 });
    const run = await settled((await startCollection(source.id, { database: t })).runId);
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(/ran out of memory \(limit 48 MiB per collection, FLEETLENS_COLLECT_MEMORY_MB\)/);
    expect(await t.prisma.virtualMachine.count()).toBe(before);
  });

  it("fails a collection whose process is killed", async () => {
    const source = await demoSource("killed demo", { vms: 2000 });
    await worker();
    const { runId } = await startCollection(source.id, { database: t });
    await waitForStatus(runId, "running");
    let pid: number | null = null;
    for (let i = 0; i < 100 && !pid; i++) {
      pid = collectionPid(runId);
      if (!pid) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(pid).toBeTruthy();
    process.kill(pid!, "SIGKILL");
    const killed = await settled(runId);
    expect(killed).toMatchObject({ status: "failed" });
    expect(killed.error).toMatch(/the collection process was killed \(SIGKILL\)/);
  });

  it("cancels a running collection: its process is killed and the run says who cancelled it", async () => {
    const source = await demoSource("cancelled demo", { vms: 2000 });
    await worker();
    const { runId } = await startCollection(source.id, { database: t });
    await waitForStatus(runId, "running");
    expect(await cancelRun(t, runId, "ada@example.com")).toBe(true);
    const run = await settled(runId);
    expect(run).toMatchObject({ status: "failed", error: "cancelled by ada@example.com" });
    expect(await cancelRun(t, runId, "ada@example.com")).toBe(false);
    for (let i = 0; i < 50 && collectionPid(runId); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(collectionPid(runId)).toBeNull();
    expect(await t.prisma.virtualMachine.count({ where: { sourceId: source.id } })).toBe(0);
  });

  it("stops a collection past its time limit", async () => {
    const source = await demoSource("slow demo", { vms: 2000 });
    await worker({ killAfterMs: 300 });
    const run = await settled((await startCollection(source.id, { database: t })).runId);
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(/did not finish within its time limit/);
  });

  it("fails runs left running by a process that died, and leaves live ones alone", async () => {
    const source = await demoSource("orphans");
    const other = await demoSource("alive");
    const orphan = await t.prisma.collectionRun.create({ data: { sourceId: source.id, status: "running" } });
    const alive = await t.prisma.collectionRun.create({ data: { sourceId: other.id, status: "running" } });
    // Another process holds the live run's lease.
    const holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
    onTestFinished(() => holder.end());
    await takeLease(holder, alive.id);

    await worker();
    expect((await t.prisma.collectionRun.findUniqueOrThrow({ where: { id: orphan.id } })).status).toBe("failed");
    expect((await t.prisma.collectionRun.findUniqueOrThrow({ where: { id: orphan.id } })).error).toBe(INTERRUPTED);
    expect((await t.prisma.collectionRun.findUniqueOrThrow({ where: { id: alive.id } })).status).toBe("running");

    // The holder dies: its run is interrupted too at the next sweep.
    await holder.end();
    const sweeper = new pg.Client({ connectionString: t.url });
    await sweeper.connect();
    onTestFinished(() => sweeper.end());
    expect(await failInterruptedRuns(sweeper)).toEqual([alive.id]);
  });
});

describe("describeChildExit", () => {
  it("names what ended a collection process", () => {
    const limits = { memoryMb: 512, timedOut: false };
    expect(describeChildExit(null, "SIGABRT", "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory", limits))
      .toMatch(/ran out of memory \(limit 512 MiB/);
    expect(describeChildExit(null, "SIGKILL", "", limits)).toMatch(/killed \(SIGKILL\)/);
    expect(describeChildExit(null, "SIGKILL", "", { ...limits, timedOut: true })).toMatch(/time limit/);
    expect(describeChildExit(3, null, "first\nError: boom\n", limits)).toMatch(/exited with code 3: Error: boom/);
  });
});

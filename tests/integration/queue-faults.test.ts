/**
 * The collection queue (pg-boss) against real PostgreSQL, real
 * collection processes and real endpoints on this machine: one job per run, retries for passing
 * failures and none for a wrong configuration, cancellation, and the faults it must survive (a
 * worker killed mid-run, an endpoint that never answers among fifty sources, two workers racing);
 * analysis jobs never two of one customer at once, without holding up another customer's.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { ANALYSE_QUEUE, prepareQueues, retryable, sendAnalyseJob } from "../../server/jobs/boss";
import { COLLECTION_TIMEOUT_MS, startCollection } from "../../server/jobs/collect";
import { cancelRun, insertQueuedRun } from "../../server/jobs/queue";
import { ANALYSIS_LOCK_CLASS, startWorker, type WorkerOptions } from "../../server/jobs/worker";
import { applySnapshot } from "../../server/inventory/ingest";
import { smallSnapshot } from "../fixtures/snapshots";
import { createTestDatabase, settledRun, type TestDatabase } from "./db";

const run = promisify(execFile);
const ROOT = path.join(import.meta.dirname, "..", "..");

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
  const w = await startWorker(t, {
    url: t.url,
    scheduleMs: 0,
    pollMs: 500,
    pollingSeconds: 0.5,
    retry: { limit: 2, delaySeconds: 1 },
    ...options,
  });
  onTestFinished(() => w.stop());
  return w;
}

const settled = (runId: string, timeoutMs?: number) => settledRun(t, runId, timeoutMs);

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const runsOf = (sourceId: string) => t.prisma.collectionRun.findMany({ where: { sourceId }, orderBy: { startedAt: "asc" } });

/** A TCP server that accepts connections and never answers. */
async function silentServer(): Promise<{ port: number; accepted: () => number; close: () => void }> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe("retryable", () => {
  it("retries passing failures and not a wrong password, certificate or options", () => {
    expect(retryable("cannot reach https://127.0.0.1:1/sdk: connection refused (ECONNREFUSED)")).toBe(true);
    expect(retryable("connection refused (connect ECONNREFUSED 127.0.0.1:9)")).toBe(true);
    expect(retryable("RetrieveServiceContent: HTTP 503 from vc without a SOAP fault")).toBe(true);
    expect(retryable("the collection did not finish within its time limit and was stopped; the previous inventory is kept")).toBe(true);
    expect(retryable("terminating connection due to administrator command")).toBe(true);
    expect(retryable("the collection process was killed (SIGKILL); the previous inventory is kept")).toBe(true);
    expect(retryable('login as "fleetlens" refused: wrong user name or password (InvalidLogin)')).toBe(false);
    expect(retryable("the certificate of 127.0.0.1:8989 is not trusted; pin its fingerprint")).toBe(false);
    expect(retryable("invalid vsphere option insecure: expected boolean")).toBe(false);
    expect(retryable("a vsphere source needs a password (its secret)")).toBe(false);
    expect(retryable("cancelled by ada@example.com")).toBe(false);
    expect(retryable("the collection ran out of memory (limit 48 MiB per collection, FLEETLENS_COLLECT_MEMORY_MB)")).toBe(false);
    expect(retryable(null)).toBe(false);
  });
});

describe("pg-boss collection worker", () => {
  it("runs a queued run as a job, one job per source however often it is queued", async () => {
    const source = await demoSource("small demo");
    await worker();
    const first = await startCollection(source.id, { database: t });
    const second = await startCollection(source.id, { database: t });
    expect(second.runId).toBe(first.runId);
    const run = await settled(first.runId);
    expect(run).toMatchObject({ status: "succeeded", error: null });
    expect(await t.prisma.virtualMachine.count({ where: { sourceId: source.id } })).toBeGreaterThan(10);
    // The job completes just after its run is recorded.
    const states = await until("the job completed", async () => {
      const { rows } = await t.pool.query(`SELECT state FROM pgboss.job WHERE name = 'collection' AND singleton_key = $1`, [source.id]);
      return rows.every((r) => r.state === "completed") && rows.map((r) => r.state as string);
    });
    expect(states).toEqual(["completed"]);
    // The customer's analysis is queued after the ingest and taken by the worker.
    await until("the analysis job completed", async () => {
      const { rows } = await t.pool.query(`SELECT state FROM pgboss.job WHERE name = 'analyse-customer' AND singleton_key = $1`, [customerId]);
      return rows.length > 0 && rows.every((r) => r.state === "completed");
    });
  });

  it("retries an unreachable endpoint with backoff, and never a source with a configuration error", async () => {
    const closed = await silentServer();
    closed.close(); // a port nothing listens on: connection refused
    const unreachable = await t.prisma.source.create({
      data: { customerId, kind: "docker", name: "gone", endpoint: `tcp://127.0.0.1:${closed.port}`, intervalSeconds: 86_400 },
    });
    const misconfigured = await t.prisma.source.create({
      data: { customerId, kind: "vsphere", name: "no password", endpoint: "https://127.0.0.1:9/sdk", username: "u", intervalSeconds: 86_400 },
    });
    await worker();
    await startCollection(unreachable.id, { database: t });
    const { runId: once } = await startCollection(misconfigured.id, { database: t });
    // 1 + 2 retries, each a run of its own that says why.
    const runs = await until("three failed runs", async () => {
      const all = await runsOf(unreachable.id);
      return all.length === 3 && all.every((r) => r.status === "failed") && all;
    });
    expect(runs.map((r) => r.trigger)).toEqual(["manual", "retry", "retry"]);
    for (const run of runs) expect(run.error).toMatch(/connection refused/);
    const gaps = runs.slice(1).map((r, i) => r.startedAt.getTime() - runs[i]!.finishedAt!.getTime());
    expect(gaps.every((ms) => ms >= 900)).toBe(true);
    expect((await settled(once)).error).toMatch(/needs a password/);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await runsOf(misconfigured.id)).toHaveLength(1);
  });

  it("cancels a running run: its process is killed and the run says who cancelled it", async () => {
    const source = await demoSource("cancelled demo", { vms: 3000 });
    await worker({ retry: { limit: 2, delaySeconds: 1 } });
    const { runId } = await startCollection(source.id, { database: t });
    await until("the run running", async () => (await t.prisma.collectionRun.findUniqueOrThrow({ where: { id: runId } })).status === "running");
    expect(await cancelRun(t, runId, "ada@example.com")).toBe(true);
    const run = await settled(runId);
    expect(run).toMatchObject({ status: "failed", error: "cancelled by ada@example.com" });
    expect(await cancelRun(t, runId, "ada@example.com")).toBe(false); // already over
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await runsOf(source.id)).toHaveLength(1); // not retried
    expect(await t.prisma.virtualMachine.count({ where: { sourceId: source.id } })).toBe(0);
  });
});

describe("analysis jobs", () => {
  const stored = async (id: string) =>
    (await t.pool.query(`SELECT 1 FROM customer_analysis WHERE customer_id = $1`, [id])).rowCount === 1;

  it("moves the queue of an earlier version off the stately policy", async () => {
    await prepareQueues(t.url, COLLECTION_TIMEOUT_MS);
    await t.pool.query(`UPDATE pgboss.queue SET policy = 'stately' WHERE name = $1`, [ANALYSE_QUEUE]);
    await prepareQueues(t.url, COLLECTION_TIMEOUT_MS);
    const { rows } = await t.pool.query(`SELECT policy FROM pgboss.queue WHERE name = $1`, [ANALYSE_QUEUE]);
    expect(rows).toEqual([{ policy: "short" }]);
  });

  it("a customer being analysed elsewhere waits for it without holding up another customer's analysis", async () => {
    const ids: string[] = [];
    for (const name of ["Analysed elsewhere", "Analysed now"]) {
      const customer = await t.prisma.customer.create({ data: { name } });
      const source = await t.prisma.source.create({ data: { customerId: customer.id, kind: "demo", name, endpoint: "demo:initech", enabled: false } });
      await applySnapshot(source.id, smallSnapshot({ vms: 5, containers: 3 }), { database: t });
      ids.push(customer.id);
    }
    const [busy, other] = ids as [string, string];
    // The first customer's analysis is running elsewhere (another worker holds its lock).
    const elsewhere = await t.pool.connect();
    onTestFinished(() => elsewhere.release());
    await elsewhere.query(`SELECT pg_advisory_lock($1, hashtext($2))`, [ANALYSIS_LOCK_CLASS, busy]);
    await sendAnalyseJob(t.pool, { customerId: busy });
    await sendAnalyseJob(t.pool, { customerId: other });
    // One waiting per customer: a second send while the first waits is the same job.
    expect(await sendAnalyseJob(t.pool, { customerId: other })).toBeNull();
    await worker({ analyseRetrySeconds: 1 });

    // The other customer's analysis is not held up (one worker, taking jobs one at a time).
    await until("the other customer's analysis stored", () => stored(other), 30_000);
    expect(await stored(busy)).toBe(false);
    // The busy customer's job came back for later, and again, without running its analysis.
    await until("the busy customer's job sent again", async () => {
      const { rows } = await t.pool.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND singleton_key = $2`, [ANALYSE_QUEUE, busy]);
      return rows[0]!.n >= 3;
    });
    expect(await stored(busy)).toBe(false);

    // Its analysis elsewhere ends: the job that comes back computes it.
    await elsewhere.query(`SELECT pg_advisory_unlock($1, hashtext($2))`, [ANALYSIS_LOCK_CLASS, busy]);
    await until("the busy customer's analysis stored", () => stored(busy), 30_000);
  }, 90_000);
});

describe("runs of one source, one at a time", () => {
  it("runs queued while one of its source runs go next, in order, without holding up other sources", async () => {
    const busy = await demoSource("busy", { vms: 150 });
    const other = await demoSource("other");
    // Three uploads' or pushes' runs at once (insertQueuedRun does not look for a pending run).
    const queued: string[] = [];
    for (const trigger of ["manual", "upload", "upload"]) queued.push(await insertQueuedRun(t.pool, busy.id, trigger));
    await worker({ concurrency: 2 });
    await until("the first run running", async () => (await t.prisma.collectionRun.findUniqueOrThrow({ where: { id: queued[0]! } })).status === "running");
    const { runId: otherRun } = await startCollection(other.id, { database: t });
    const otherDone = await settled(otherRun);
    expect(otherDone.status).toBe("succeeded");
    const done = await Promise.all(queued.map((id) => settled(id)));
    expect(done.map((r) => r.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    // In the order queued, never two at once; the other source did not wait for all three.
    for (let i = 1; i < done.length; i++) expect(done[i]!.startedAt.getTime()).toBeGreaterThanOrEqual(done[i - 1]!.finishedAt!.getTime());
    expect(otherDone.finishedAt!.getTime()).toBeLessThan(done[2]!.finishedAt!.getTime());
    expect(await runsOf(busy.id)).toHaveLength(3);
  });

  it("runs a queued run that has no job (queued before an upgrade) from the sweep", async () => {
    const source = await demoSource("orphan");
    const orphan = await t.prisma.collectionRun.create({ data: { sourceId: source.id, status: "queued", trigger: "manual" } });
    await worker();
    expect((await settled(orphan.id)).status).toBe("succeeded");
    // "Collect now" was not stuck on it: the next one queues a new run.
    const { runId } = await startCollection(source.id, { database: t });
    expect(runId).not.toBe(orphan.id);
    expect((await settled(runId)).status).toBe("succeeded");
  });
});

/** A worker in a process of its own, as `npm run worker` starts it. */
function workerProcess(env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", path.join("scripts", "worker.ts"), "--no-schedule", "--poll", "0.5"], {
    env: {
      ...process.env,
      DATABASE_URL: t.url,
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  child.stdout!.on("data", (chunk: Buffer) => process.stdout.write(`[worker process] ${chunk.toString()}`));
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  return child;
}

describe("faults", () => {
  // The queue's retries as a test waits for them (a worker process keeps the queue's settings).
  beforeAll(() => prepareQueues(t.url, COLLECTION_TIMEOUT_MS, { limit: 2, delaySeconds: 1 }));

  it("a worker killed mid-run: another fails the run and retries it; no run stays running", async () => {
    const source = await demoSource("worker killed", { vms: 300 });
    const doomed = workerProcess();
    const ready = new Promise<void>((resolve) => doomed.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("worker ready") && resolve()));
    await ready;
    const { runId } = await startCollection(source.id, { database: t });
    await until("the run running", async () => (await t.prisma.collectionRun.findUniqueOrThrow({ where: { id: runId } })).status === "running");
    doomed.kill("SIGKILL");
    await worker();
    const first = await settled(runId);

    expect(first.status).toBe("failed");
    expect(first.error).toMatch(/interrupted/);
    const retried = await until("a retry that succeeded", async () => {
      const all = await runsOf(source.id);
      return all.find((r) => r.trigger === "retry" && r.status === "succeeded");
    }, 120_000);
    // The source's inventory is there (the retry's, or the first run's if its ingest had committed).
    expect(retried.error).toBeNull();
    expect(await t.prisma.virtualMachine.count({ where: { sourceId: source.id } })).toBeGreaterThan(100);
    expect(await t.prisma.collectionRun.count({ where: { sourceId: source.id, status: { in: ["running", "queued"] } } })).toBe(0);
  }, 240_000);

  it("two workers racing for one source run it once", async () => {
    const source = await demoSource("raced");
    await worker();
    await worker();
    const runs = await Promise.all([0, 1, 2, 3].map(() => startCollection(source.id, { database: t })));
    expect(new Set(runs.map((r) => r.runId)).size).toBe(1);
    expect((await settled(runs[0]!.runId)).status).toBe("succeeded");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await runsOf(source.id)).toHaveLength(1);
    const { rows } = await t.pool.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'collection' AND singleton_key = $1`, [source.id]);
    expect(rows[0].n).toBe(1);
  });

  // Fifty collection processes on a 2-core machine, kept light: 49 Docker sources (one per
  // customer) on one Podman peer, whose collections are small, and one libvirt source on a TCP
  // server that accepts and never answers. The time limit (the worker's, FLEETLENS_TEST_HUNG_LIMIT_MS, 40 s by
  // default) is every run's: long enough for a CPU-starved small collection, short for the test.
  it("fifty sources of which one never answers: the others finish while it hangs, and it ends at its time limit", async () => {
    const started = await run("bash", [path.join(ROOT, "tests/peers/podman.sh"), "start"], { cwd: ROOT });
    const socket = started.stdout.trim().split("\n").at(-1)!;
    onTestFinished(() => run("bash", [path.join(ROOT, "tests/peers/podman.sh"), "stop", socket], { cwd: ROOT }).then(() => undefined));
    const hung = await silentServer();
    onTestFinished(() => hung.close());
    const sources = [];
    for (let i = 0; i < 49; i++) {
      const customer = await t.prisma.customer.create({ data: { name: `Tenant ${i}` } });
      sources.push(
        await t.prisma.source.create({
          data: { customerId: customer.id, kind: "docker", name: `engine ${i}`, endpoint: `unix://${socket}`, intervalSeconds: 86_400 },
        }),
      );
    }
    // A libvirt daemon that accepts and never answers (libvirt's own call limit set past the test's
    // time limit; a Docker client gives up on a silent engine by itself after ~5 s: socket hang up).
    const silent = await t.prisma.source.create({
      data: {
        customerId, kind: "libvirt", name: "silent", endpoint: `qemu+tcp://127.0.0.1:${hung.port}/system`,
        options: { timeoutSeconds: 3600 }, intervalSeconds: 86_400,
      },
    });
    const timeoutMs = Number(process.env.FLEETLENS_TEST_HUNG_LIMIT_MS ?? 40_000);
    await worker({ concurrency: 3, timeoutMs, retry: { limit: 0 } });
    const began = Date.now();
    const { runId: hungRun } = await startCollection(silent.id, { database: t });
    const runIds = [];
    for (const s of sources) runIds.push((await startCollection(s.id, { database: t })).runId);
    const done = await Promise.all(runIds.map((id) => settled(id, 540_000)));
    const hungDone = await settled(hungRun, 120_000);

    for (const r of done) expect([r.status, r.error]).toEqual(["succeeded", null]);
    expect(await t.prisma.host.count({ where: { sourceId: { in: sources.map((s) => s.id) } } })).toBe(49);
    console.log(`hung run: ${hungDone.error} after ${hungDone.durationMs} ms; held ${hung.accepted()} connection(s)`);
    expect(hungDone.status).toBe("failed");
    expect(hungDone.error).toMatch(/did not finish within its time limit/);
    expect(hungDone.durationMs!).toBeGreaterThanOrEqual(timeoutMs - 1000);
    // The hung one held a slot, not the queue: others started and finished while it hung.
    const whileHung = done.filter((r) => r.startedAt >= hungDone.startedAt && r.finishedAt! <= hungDone.finishedAt!);
    expect(whileHung.length).toBeGreaterThanOrEqual(2);
    expect(await runsOf(silent.id)).toHaveLength(1);
    console.log(
      `50 sources, one hung: ${whileHung.length} of the 49 others finished while it hung (${timeoutMs} ms), ` +
        `all 49 in ${Date.now() - began} ms with 3 slots`,
    );
  }, 600_000);
});

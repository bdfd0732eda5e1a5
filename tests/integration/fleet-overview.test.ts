/**
 * The fleet overview's KPI tiles (fleet.kpis) and collection health (fleet.health) on real
 * Postgres: two customers collected by the demo source kind (real runs), figures checked against
 * SQL written here independently (joined through source and customer, not the module's CTEs) and
 * against the analysis procedures the customer pages use; a viewer scoped to one customer sees only
 * its figures; sources whose runs say ok, stale, failed, never and disabled.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../../server/api/root";
import type { Viewer } from "../../server/api/trpc";
import { demoEndpoint } from "../../server/collectors/demo/collector";
import { DEMO_CUSTOMERS } from "../../server/collectors/demo/fleet";
import { collectSource } from "../../server/jobs/collect";
import { VERDICT_VALUES } from "../../server/analysis/labels";
import { createTestDatabase, type TestDatabase } from "./db";
import { refusal } from "./fixtures";

let t: TestDatabase;
const admin: Viewer = { id: "admin", role: "admin", scope: { kind: "all" } };
const as = (viewer: Viewer) => createCaller({ database: t, viewer });
const ids: Record<string, string> = {};
const HOUR = 3_600_000;

beforeAll(async () => {
  t = await createTestDatabase();
  const profiles = [DEMO_CUSTOMERS[0]!, DEMO_CUSTOMERS[1] ?? DEMO_CUSTOMERS[0]!];
  for (const [i, name] of ["Alpha", "Beta"].entries()) {
    const customer = await t.prisma.customer.create({ data: { name } });
    const source = await t.prisma.source.create({
      data: { customerId: customer.id, kind: "demo", name: `${name}-demo`, endpoint: demoEndpoint(profiles[i]!.key), options: { vms: 12 + i * 9, seed: 3 + i } },
    });
    const run = await collectSource(source.id, { database: t });
    expect((await t.prisma.collectionRun.findUniqueOrThrow({ where: { id: run.runId } })).status).toBe("succeeded");
    ids[name] = customer.id;
    ids[`${name}Source`] = source.id;
  }
}, 120_000);

afterAll(async () => {
  await t.drop();
});

/** The figures as counted here, for the customers named (joins, not the module's query). */
async function independentCounts(customerIds: string[]) {
  const one = async (sql: string) => Number((await t.pool.query<{ n: string }>(sql, [customerIds])).rows[0]!.n);
  const inScope = "JOIN source s ON s.id = x.source_id JOIN customer c ON c.id = s.customer_id WHERE c.id = ANY($1::uuid[])";
  const hosts = await one(`SELECT count(*) AS n FROM host x ${inScope}`);
  const physicalHosts = await one(`SELECT count(*) AS n FROM host x ${inScope} AND (x.role = 'hypervisor' OR x.vm_id IS NULL)`);
  const cores = await one(`SELECT coalesce(sum(x.cpu_cores), 0) AS n FROM host x ${inScope} AND (x.role = 'hypervisor' OR x.vm_id IS NULL)`);
  const vms = await one(`SELECT count(*) AS n FROM virtual_machine x ${inScope}`);
  const vmsOn = await one(`SELECT count(*) AS n FROM virtual_machine x ${inScope} AND x.power_state = 'poweredOn' AND x.template = false`);
  const vcpus = await one(`SELECT coalesce(sum(x.vcpus), 0) AS n FROM virtual_machine x ${inScope} AND x.power_state = 'poweredOn' AND x.template = false`);
  const containers = await one(`SELECT count(*) AS n FROM container x ${inScope}`);
  const running = await one(`SELECT count(*) AS n FROM container x ${inScope} AND x.state = 'running'`);
  return { hosts, physicalHosts, cores, vms, vmsOn, vcpus, containers, running };
}

describe("fleet.kpis", () => {
  it("counts hosts, VMs, containers and vCPU:pCore as independent SQL does, over both customers", async () => {
    const kpis = await as(admin).fleet.kpis();
    const sql = await independentCounts([ids.Alpha!, ids.Beta!]);
    expect(sql.vms).toBeGreaterThan(20);
    expect(sql.cores).toBeGreaterThan(0);
    expect(kpis.customers).toBe(2);
    expect(kpis.hosts).toBe(sql.hosts);
    expect(kpis.physicalHosts).toBe(sql.physicalHosts);
    expect(kpis.physicalCores).toBe(sql.cores);
    expect(kpis.virtualMachines).toBe(sql.vms);
    expect(kpis.vmsPoweredOn).toBe(sql.vmsOn);
    expect(kpis.vcpusPoweredOn).toBe(sql.vcpus);
    expect(kpis.containers).toBe(sql.containers);
    expect(kpis.containersRunning).toBe(sql.running);
    expect(kpis.vcpuPerCore).toBe(Math.round((sql.vcpus / sql.cores) * 100) / 100);
  });

  it("agrees with the fleet's analysis table and the overview on the same figures", async () => {
    const [kpis, fleet, overview] = await Promise.all([as(admin).fleet.kpis(), as(admin).analysis.fleet(), as(admin).fleet.overview()]);
    // SQL's vCPU:pCore is the density analysis's, not a second definition.
    expect(kpis.vcpuPerCore).toBe(fleet.fleet.vcpuPerCore);
    expect(kpis.physicalHosts).toBe(fleet.fleet.physicalHosts);
    expect(kpis.hosts).toBe(overview.totals.hosts);
    expect(kpis.virtualMachines).toBe(overview.totals.virtualMachines);
    expect(kpis.reclaimMemoryMiB).toBe(fleet.fleet.reclaimMemoryMiB);
    expect(kpis.critical).toBe(fleet.fleet.critical);
    expect(kpis.verdicts).toEqual(fleet.fleet.verdicts);
    expect(kpis.plansInProgress).toBe(0);
  });

  it("takes critical findings, verdicts and reclaimable RAM from each customer's analysis", async () => {
    const kpis = await as(admin).fleet.kpis();
    let critical = 0;
    let reclaim = 0;
    const verdicts = Object.fromEntries(VERDICT_VALUES.map((v) => [v, 0])) as Record<(typeof VERDICT_VALUES)[number], number>;
    for (const name of ["Alpha", "Beta"]) {
      const customerId = ids[name]!;
      const findings = await as(admin).analysis.findings({ customerId, severity: "critical" });
      critical += findings.total;
      for (const v of VERDICT_VALUES) verdicts[v] += (await as(admin).analysis.verdicts({ customerId, verdict: v })).total;
      reclaim += (await as(admin).analysis.utilisation({ customerId })).totals.reclaimMemoryMiB;
      const row = kpis.byCustomer.find((c) => c.customerId === customerId)!;
      expect(row.critical).toBe(findings.total);
    }
    expect(kpis.critical).toBe(critical);
    expect(kpis.verdicts).toEqual(verdicts);
    expect(kpis.reclaimMemoryMiB).toBe(reclaim);
    expect(Object.values(kpis.verdicts).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it("a viewer of one customer sees only that customer's figures", async () => {
    const viewer: Viewer = { id: "v", role: "viewer", scope: { kind: "some", customerIds: [ids.Alpha!] } };
    const [mine, all] = await Promise.all([as(viewer).fleet.kpis(), as(admin).fleet.kpis()]);
    const sql = await independentCounts([ids.Alpha!]);
    expect(mine.customers).toBe(1);
    expect(mine.byCustomer.map((c) => c.customerId)).toEqual([ids.Alpha]);
    expect(mine.virtualMachines).toBe(sql.vms);
    expect(mine.hosts).toBe(sql.hosts);
    expect(mine.vcpuPerCore).toBe(Math.round((sql.vcpus / sql.cores) * 100) / 100);
    // Near miss: the other customer's VMs are not in the viewer's total.
    expect(mine.virtualMachines).toBeLessThan(all.virtualMachines);
    const alpha = all.byCustomer.find((c) => c.customerId === ids.Alpha)!;
    expect(mine.critical).toBe(alpha.critical);
    expect(mine.verdicts).toEqual(alpha.verdicts);
    expect(JSON.stringify(mine)).not.toContain(ids.Beta);
    expect(JSON.stringify(mine)).not.toContain("Beta");
  });

  it("a viewer with no customers gets zeros and no ratio; anonymous is refused", async () => {
    const nobody: Viewer = { id: "n", role: "viewer", scope: { kind: "some", customerIds: [] } };
    const kpis = await as(nobody).fleet.kpis();
    expect(kpis).toMatchObject({ customers: 0, hosts: 0, virtualMachines: 0, containers: 0, vcpuPerCore: null, critical: 0, plansInProgress: 0 });
    expect(kpis.byCustomer).toEqual([]);
    expect((await refusal(createCaller({ database: t, viewer: null }).fleet.kpis()))?.code).toBe("UNAUTHORIZED");
  });
});

describe("plans in progress", () => {
  async function plan(customer: string, name: string, statuses: string[]) {
    const { rows } = await t.pool.query<{ id: string }>(`INSERT INTO migration_plan (customer_id, name) VALUES ($1, $2) RETURNING id`, [ids[customer], name]);
    for (const [position, status] of statuses.entries()) {
      await t.pool.query(`INSERT INTO migration_wave (plan_id, position, name, status) VALUES ($1, $2, $3, $4::wave_status)`, [rows[0]!.id, position, `w${position}`, status]);
    }
  }

  it("counts plans with any wave in progress, once each, in scope", async () => {
    await plan("Alpha", "started", ["done", "in_progress", "planned"]);
    await plan("Alpha", "two running", ["in_progress", "in_progress"]);
    await plan("Alpha", "finished", ["done", "rolled_back"]); // near miss: no wave in progress
    await plan("Alpha", "empty", []);
    await plan("Beta", "beta started", ["in_progress"]);
    const { rows } = await t.pool.query<{ customer_id: string; n: number }>(
      `SELECT p.customer_id, count(DISTINCT p.id)::int AS n FROM migration_plan p JOIN migration_wave w ON w.plan_id = p.id
        WHERE w.status = 'in_progress' GROUP BY p.customer_id`,
    );
    const expected = (id: string) => rows.find((r) => r.customer_id === id)?.n ?? 0;
    const all = await as(admin).fleet.kpis();
    expect(expected(ids.Alpha!)).toBe(2);
    expect(all.plansInProgress).toBe(expected(ids.Alpha!) + expected(ids.Beta!));
    expect(all.byCustomer.find((c) => c.customerId === ids.Alpha)!.plansInProgress).toBe(2);
    const viewer: Viewer = { id: "v", role: "viewer", scope: { kind: "some", customerIds: [ids.Alpha!] } };
    expect((await as(viewer).fleet.kpis()).plansInProgress).toBe(2);
  });
});

describe("fleet.health", () => {
  let gamma: string;
  const sources: Record<string, string> = {};

  async function source(name: string, options: { intervalSeconds?: number; enabled?: boolean } = {}) {
    const s = await t.prisma.source.create({
      data: { customerId: gamma, kind: "docker", name, endpoint: "unix:///x.sock", intervalSeconds: options.intervalSeconds ?? 3600, enabled: options.enabled ?? true },
    });
    sources[name] = s.id;
    return s.id;
  }
  async function run(sourceId: string, status: "succeeded" | "failed" | "running", finishedAgoMs: number | null, error?: string) {
    const now = Date.now();
    const finishedAt = finishedAgoMs === null ? null : new Date(now - finishedAgoMs);
    await t.prisma.collectionRun.create({
      data: { sourceId, status, startedAt: new Date(now - (finishedAgoMs ?? 0) - 1000), finishedAt, error: error ?? null },
    });
  }

  beforeAll(async () => {
    gamma = (await t.prisma.customer.create({ data: { name: "Gamma" } })).id;
    // Interval one hour: ok up to two hours since the last success.
    await run(await source("fresh"), "succeeded", 0.5 * HOUR);
    await run(await source("late-but-ok"), "succeeded", 1.5 * HOUR); // past one interval, within two: near miss of stale
    await run(await source("stale"), "succeeded", 2.5 * HOUR);
    const failed = await source("failed");
    await run(failed, "succeeded", 3 * HOUR);
    await run(failed, "failed", 0.2 * HOUR, "connection refused");
    const recovered = await source("recovered");
    await run(recovered, "failed", 2 * HOUR, "timeout");
    await run(recovered, "succeeded", 0.1 * HOUR);
    await source("never");
    await run(await source("first-running"), "running", null);
    await run(await source("off", { enabled: false }), "succeeded", 50 * HOUR);
  });

  it("says ok, stale (after twice the interval), failed, never and disabled per source", async () => {
    const health = await as(admin).fleet.health();
    const g = health.customers.find((c) => c.customerId === gamma)!;
    const state = Object.fromEntries(g.sources.map((s) => [s.name, s.state]));
    expect(state).toEqual({
      fresh: "ok",
      "late-but-ok": "ok",
      stale: "stale",
      failed: "failed",
      recovered: "ok",
      never: "never",
      "first-running": "never",
      off: "disabled",
    });
    const failed = g.sources.find((s) => s.name === "failed")!;
    expect(failed.lastError).toBe("connection refused");
    expect(failed.lastSuccessAt).not.toBeNull();
    expect(g.sources.find((s) => s.name === "first-running")!.collecting).toBe(true);
    expect(g.sources.find((s) => s.name === "recovered")!.lastError).toBeNull();
    expect(g.state).toBe("failed");
    expect(g.counts).toEqual({ ok: 3, stale: 1, failed: 1, never: 2, disabled: 1, sources: 8 });
    // The customer's last collection is its newest success (the "recovered" source's).
    const newest = await t.pool.query<{ at: Date }>(
      `SELECT max(r.finished_at) AS at FROM collection_run r JOIN source s ON s.id = r.source_id WHERE s.customer_id = $1 AND r.status = 'succeeded' AND s.enabled`,
      [gamma],
    );
    expect(g.lastSuccessAt?.getTime()).toBe(newest.rows[0]!.at.getTime());
  });

  it("counts the fleet's sources by state, and a customer's state is its worst source", async () => {
    const health = await as(admin).fleet.health();
    const { rows } = await t.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM source`);
    expect(health.fleet.sources).toBe(rows[0]!.n);
    // Alpha and Beta were collected just now: ok.
    expect(health.customers.find((c) => c.customerId === ids.Alpha)!.state).toBe("ok");
    expect(health.fleet).toEqual({ ok: 5, stale: 1, failed: 1, never: 2, disabled: 1, sources: 10 });

    // Stale only: the customer reads stale; after a failure it reads failed.
    await t.pool.query(`UPDATE collection_run SET started_at = started_at - interval '3 hours', finished_at = finished_at - interval '3 hours' WHERE source_id = $1`, [ids.BetaSource]);
    const later = await as(admin).fleet.health();
    expect(later.customers.find((c) => c.customerId === ids.Beta)!.state).toBe("stale");
    await run(ids.BetaSource!, "failed", 0, "boom");
    const failed = await as(admin).fleet.health();
    expect(failed.customers.find((c) => c.customerId === ids.Beta)!.state).toBe("failed");
    expect(failed.fleet).toMatchObject({ ok: 4, failed: 2 });
  });

  it("a viewer sees only the customers in scope; a customer without sources has no state", async () => {
    const empty = (await t.prisma.customer.create({ data: { name: "Delta" } })).id;
    const viewer: Viewer = { id: "v", role: "viewer", scope: { kind: "some", customerIds: [gamma, empty] } };
    const health = await as(viewer).fleet.health();
    expect(health.customers.map((c) => c.name)).toEqual(["Delta", "Gamma"]);
    expect(health.customers[0]).toMatchObject({ state: null, sources: [], lastSuccessAt: null });
    expect(health.fleet.sources).toBe(8);
    expect(JSON.stringify(health)).not.toContain(ids.Alpha);
  });
});

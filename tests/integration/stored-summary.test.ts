/**
 * The summary kept with a stored analysis (server/analysis/stored.ts: analysis.customer's answer and
 * the fleet table's and KPI tiles' figures) on real Postgres: stored with the analysis by the job
 * after a collection, equal to what the whole analysis gives; read without decoding the whole
 * analysis; a row stored before summaries were kept, or with a corrupt summary, gets it made from
 * the whole analysis once; a new collection makes a new one, never the old one served.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../../server/api/root";
import type { Viewer } from "../../server/api/trpc";
import { SCORE_FORMULA } from "../../server/analysis/isolation";
import {
  analysesComputed,
  analysesDecoded,
  customerAnalysis,
  customerAnalysisSummary,
  decodeAnalysis,
  decodeSummary,
  forgetCachedAnalyses,
} from "../../server/analysis/stored";
import {
  customerSummary,
  findingFilterSchema,
  findingList,
  fleetFigures,
  fleetSummary,
  KEPT_TABLE_ROWS,
  verdictFilterSchema,
  verdictList,
  vmUseFilterSchema,
  vmUseRows,
} from "../../server/analysis/views";
import { DEMO_CUSTOMERS } from "../../server/collectors/demo/fleet";
import { collectSource } from "../../server/jobs/collect";
import { createTestDatabase, type TestDatabase } from "./db";

let t: TestDatabase;
const admin: Viewer = { id: "admin", role: "admin", scope: { kind: "all" } };
const api = () => createCaller({ database: t, viewer: admin });
const customers: { id: string; name: string; sourceId: string }[] = [];

const row = async (customerId: string) =>
  (await t.pool.query<{ format: string; result: Buffer; summary: Buffer | null }>(`SELECT format, result, summary FROM customer_analysis WHERE customer_id = $1`, [customerId]))
    .rows[0]!;

beforeAll(async () => {
  t = await createTestDatabase();
  for (const [i, profile] of DEMO_CUSTOMERS.slice(0, 2).entries()) {
    const customer = await t.prisma.customer.create({ data: { name: `Summary ${i}` } });
    const source = await t.prisma.source.create({
      data: { customerId: customer.id, kind: "demo", name: "demo", endpoint: `demo:${profile.key}`, options: { vms: 20 + 10 * i, seed: 5 + i } },
    });
    await collectSource(source.id, { database: t });
    customers.push({ id: customer.id, name: customer.name, sourceId: source.id });
  }
}, 120_000);
afterAll(async () => {
  await t.drop();
});

describe("the summary kept with a stored analysis", () => {
  it("is stored with the analysis after a collection and equals what the whole analysis gives", async () => {
    for (const c of customers) {
      const stored = await row(c.id);
      expect(stored.summary).not.toBeNull();
      const analysis = await decodeAnalysis(stored.format, stored.result);
      const summary = decodeSummary(stored.summary!);
      expect(summary.customer).toEqual(customerSummary(analysis));
      expect(summary.fleet).toEqual(fleetFigures(analysis));
      expect(summary.guests).toEqual(analysis.guests);
      expect(summary.dependencies).toEqual(analysis.dependencies);
      expect(summary.customer.migration.byVerdict.some((v) => v.vms > 0)).toBe(true);
    }
  });

  it("answers analysis.customer, analysis.fleet and fleet.kpis without decoding a whole analysis, with the same figures", async () => {
    forgetCachedAnalyses(); // as a process that has read nothing yet
    const decoded = analysesDecoded();
    const computed = analysesComputed();
    const [one, fleet, kpis] = [await api().analysis.customer({ customerId: customers[0]!.id }), await api().analysis.fleet(), await api().fleet.kpis()];
    expect(analysesDecoded()).toBe(decoded);
    expect(analysesComputed()).toBe(computed);

    // The same answers as from the whole analyses.
    const whole = [];
    for (const c of customers) whole.push({ customer: { id: c.id, name: c.name }, analysis: (await customerAnalysis(t, c.id)).analysis });
    expect(one).toEqual({ ...customerSummary(whole[0]!.analysis), scoreFormula: SCORE_FORMULA });
    const expected = fleetSummary(whole);
    expect(fleet).toEqual(expected);
    expect(kpis.reclaimMemoryMiB).toBe(expected.fleet.reclaimMemoryMiB);
    expect(kpis.critical).toBe(expected.fleet.critical);
    expect(kpis.verdicts).toEqual(expected.fleet.verdicts);
    expect(kpis.candidates).toBe(whole.reduce((s, w) => s + w.analysis.migration.totals.candidates, 0));
    expect(kpis.byCustomer.map((c) => c.candidates)).toEqual(whole.map((w) => w.analysis.migration.totals.candidates));
  });

  it("opens the Verdicts and Findings tabs on the first rows kept with it, the same as the whole analysis gives; other pages and filters read the whole", async () => {
    const customerId = customers[1]!.id;
    const { analysis } = await customerAnalysis(t, customerId);
    const verdicts = verdictList(analysis, verdictFilterSchema.parse({}));
    const findings = findingList(analysis, findingFilterSchema.parse({}));
    const page = <R>(list: { total: number; slice(a: number, b: number): R[] }, index: number, size: number) => ({ rows: list.slice(index * size, (index + 1) * size), total: list.total });
    expect(verdicts.total).toBeGreaterThan(25);
    expect(findings.total).toBeGreaterThan(25);

    forgetCachedAnalyses();
    const decoded = analysesDecoded();
    expect(await api().analysis.verdicts({ customerId })).toEqual(page(verdicts, 0, 25));
    expect(await api().analysis.verdicts({ customerId, page: 1, pageSize: 25, sort: { column: "ramMiB", direction: "desc" }, search: "" })).toEqual(page(verdicts, 1, 25));
    expect(await api().analysis.findings({ customerId, pageSize: 100 })).toEqual(page(findings, 0, 100));
    expect(await api().analysis.findings({ customerId, page: 3, pageSize: 25 })).toEqual(page(findings, 3, 25));
    expect(analysesDecoded()).toBe(decoded);
    // A kept page is one answer while the summary holds (serialised once: kept-answers.ts).
    const again = await api().analysis.verdicts({ customerId });
    expect(await api().analysis.verdicts({ customerId, search: "" })).toBe(again);

    // Past the kept rows, another sort, a filter, a search: the whole analysis, read once.
    expect(await api().analysis.verdicts({ customerId, page: KEPT_TABLE_ROWS / 25, pageSize: 25 })).toEqual(page(verdicts, KEPT_TABLE_ROWS / 25, 25));
    expect(analysesDecoded()).toBe(decoded + 1);
    expect(await api().analysis.findings({ customerId, sort: { column: "name", direction: "asc" } })).toEqual(
      page(findingList(analysis, findingFilterSchema.parse({ sort: { column: "name", direction: "asc" } })), 0, 25),
    );
    expect(await api().analysis.verdicts({ customerId, kind: "vm" })).toEqual(page(verdictList(analysis, verdictFilterSchema.parse({ kind: "vm" })), 0, 25));
    expect(await api().analysis.findings({ customerId, search: "a" })).toEqual(page(findingList(analysis, findingFilterSchema.parse({ search: "a" })), 0, 25));
    expect(analysesDecoded()).toBe(decoded + 1);
  });

  it("opens the Utilisation tab's VMs, the Guests and the Dependencies tabs without the whole analysis, as it gives them", async () => {
    const customerId = customers[1]!.id;
    const { analysis } = await customerAnalysis(t, customerId);
    const vms = vmUseRows(analysis, vmUseFilterSchema.parse({}));
    expect(vms.length).toBeGreaterThan(25);
    expect(analysis.guests.guests.length).toBeGreaterThan(0);
    expect(analysis.dependencies.edges.length).toBeGreaterThan(0);

    forgetCachedAnalyses();
    const decoded = analysesDecoded();
    expect(await api().analysis.utilisationVms({ customerId })).toEqual({ rows: vms.slice(0, 25), total: vms.length });
    expect(await api().analysis.utilisationVms({ customerId, page: 1, pageSize: 25 })).toEqual({ rows: vms.slice(25, 50), total: vms.length });
    expect(await api().analysis.guests({ customerId })).toEqual(analysis.guests);
    expect(await api().analysis.dependencies({ customerId })).toEqual(analysis.dependencies);
    expect(analysesDecoded()).toBe(decoded);

    // A status filter reads the whole analysis.
    const idle = vmUseRows(analysis, vmUseFilterSchema.parse({ status: "powered-off" }));
    expect(await api().analysis.utilisationVms({ customerId, status: "powered-off" })).toEqual({ rows: idle.slice(0, 25), total: idle.length });
    expect(analysesDecoded()).toBe(decoded + 1);
  });

  it("is made from the whole analysis once for a row stored without one, or with a corrupt one, and kept", async () => {
    const customerId = customers[1]!.id;
    const good = decodeSummary((await row(customerId)).summary!);
    for (const bad of [null, Buffer.from("not a summary")]) {
      await t.pool.query(`UPDATE customer_analysis SET summary = $2 WHERE customer_id = $1`, [customerId, bad]);
      forgetCachedAnalyses();
      const decoded = analysesDecoded();
      const computed = analysesComputed();
      expect(await customerAnalysisSummary(t, customerId)).toEqual(good);
      expect(analysesDecoded()).toBe(decoded + 1);
      expect(analysesComputed()).toBe(computed);
      expect(decodeSummary((await row(customerId)).summary!)).toEqual(good);
      // The next process reads the kept one.
      forgetCachedAnalyses();
      await customerAnalysisSummary(t, customerId);
      expect(analysesDecoded()).toBe(decoded + 1);
    }
  });

  it("is a new one after a collection that changes the inventory, never the old one", async () => {
    const c = customers[0]!;
    const before = await api().analysis.customer({ customerId: c.id });
    await t.prisma.source.update({ where: { id: c.sourceId }, data: { options: { vms: 35, seed: 5 } } });
    await collectSource(c.sourceId, { database: t });
    const after = await api().analysis.customer({ customerId: c.id });
    expect(after).not.toEqual(before);
    expect(after).toEqual({ ...customerSummary((await customerAnalysis(t, c.id)).analysis), scoreFormula: SCORE_FORMULA });
    expect(decodeSummary((await row(c.id)).summary!).customer).toEqual(customerSummary((await customerAnalysis(t, c.id)).analysis));
  }, 120_000);
});

/**
 * The summary's long lists (server/analysis/views.ts SUMMARY_LISTS: hosts of each kind, clusters,
 * templates) on real Postgres: analysis.customer and analysis.utilisation carry each list's first
 * page and its length, never the whole list (a customer of 12,500 container hosts made
 * analysis.customer 4 MB); analysis.list pages through the rest in the same order, every row once;
 * out of scope is NOT_FOUND; a summary stored in the previous format is made again, not served.
 */
import v8 from "node:v8";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../../server/api/root";
import type { Viewer } from "../../server/api/trpc";
import {
  analyseCustomer,
  analysesDecoded,
  customerAnalysis,
  customerAnalysisSummary,
  forgetCachedAnalyses,
  SUMMARY_FORMAT,
} from "../../server/analysis/stored";
import { listPage, SUMMARY_LIST_NAMES, SUMMARY_PAGE, utilisationSummary, type SummaryList } from "../../server/analysis/views";

/** Every row of a list, as its pages give them. */
const wholeList = (analysis: Parameters<typeof listPage>[0], list: SummaryList) => listPage(analysis, list, 0, Number.MAX_SAFE_INTEGER).rows;
import { generateFleetSnapshot } from "../../server/collectors/demo/fleet";
import { applySnapshot } from "../../server/inventory/ingest";
import { createTestDatabase, type TestDatabase } from "./db";

let t: TestDatabase;
let customerId: string;
let otherId: string;
const admin: Viewer = { id: "admin", role: "admin", scope: { kind: "all" } };
const api = (viewer: Viewer = admin) => createCaller({ database: t, viewer });

beforeAll(async () => {
  t = await createTestDatabase();
  const customer = await t.prisma.customer.create({ data: { name: "Many hosts" } });
  const source = await t.prisma.source.create({ data: { customerId: customer.id, kind: "demo", name: "generated", endpoint: "demo:generated", enabled: false } });
  await applySnapshot(source.id, generateFleetSnapshot({ seed: 7, vms: 4000, containers: 12_000 }), { database: t });
  await analyseCustomer(t, customer.id);
  customerId = customer.id;
  otherId = (await t.prisma.customer.create({ data: { name: "Other" } })).id;
}, 240_000);
afterAll(async () => {
  await t.drop();
});

/** Where each list's first page sits in the two answers. */
async function firstPages(): Promise<Record<SummaryList, { rows: unknown[]; total: number }>> {
  const summary = await api().analysis.customer({ customerId });
  const utilisation = await api().analysis.utilisation({ customerId });
  return {
    densityHosts: summary.density.hosts,
    densityClusters: summary.density.clusters,
    isolationHosts: summary.isolation.hosts,
    templates: summary.migration.templates,
    utilisationHosts: utilisation.hosts,
    utilisationClusters: utilisation.clusters,
  };
}

describe("the summary's long lists", () => {
  it("are first pages with their lengths; analysis.list gives every row once, in the list's order", async () => {
    const { analysis } = await customerAnalysis(t, customerId);
    const pages = await firstPages();
    // The fleet is large enough that paging is exercised, not only one page.
    expect(pages.isolationHosts.total).toBeGreaterThan(2 * SUMMARY_PAGE);
    expect(pages.densityHosts.total).toBeGreaterThan(SUMMARY_PAGE);
    for (const list of SUMMARY_LIST_NAMES) {
      const whole = JSON.parse(JSON.stringify(wholeList(analysis, list))) as unknown[];
      const first = pages[list];
      expect(first.total, list).toBe(whole.length);
      expect(first.rows.length, list).toBe(Math.min(SUMMARY_PAGE, whole.length));
      const walked: unknown[] = [...first.rows];
      for (let page = 1; page * SUMMARY_PAGE < first.total; page++) {
        const next = await api().analysis.list({ customerId, list, page, pageSize: SUMMARY_PAGE });
        expect(next.total, list).toBe(whole.length);
        walked.push(...next.rows);
      }
      expect(JSON.parse(JSON.stringify(walked)), list).toEqual(whole);
      // Page 0 from analysis.list is the summary's first page.
      expect(JSON.parse(JSON.stringify((await api().analysis.list({ customerId, list, page: 0, pageSize: SUMMARY_PAGE })).rows))).toEqual(
        JSON.parse(JSON.stringify(first.rows)),
      );
    }
  }, 120_000);

  it("keeps analysis.customer's answer small however many hosts the customer has", async () => {
    const summary = await api().analysis.customer({ customerId });
    const bytes = Buffer.byteLength(JSON.stringify(summary));
    // Each list at most a page: its lists whole would be more than the answer.
    const { analysis } = await customerAnalysis(t, customerId);
    const whole = ["densityHosts", "densityClusters", "isolationHosts", "templates"] as const;
    expect(whole.reduce((sum, list) => sum + Buffer.byteLength(JSON.stringify(wholeList(analysis, list))), 0)).toBeGreaterThan(bytes);
    expect(bytes).toBeLessThan(200_000);
  });

  it("answers analysis.utilisation from the stored summary, without decoding the whole analysis, with the same figures", async () => {
    forgetCachedAnalyses(); // as a process that has read nothing yet
    const decoded = analysesDecoded();
    const utilisation = await api().analysis.utilisation({ customerId });
    expect(analysesDecoded()).toBe(decoded);
    const { analysis } = await customerAnalysis(t, customerId);
    expect(utilisation).toEqual(utilisationSummary(analysis));
    // Counted over every VM and host, not the first page.
    expect(utilisation.hostsMeasured).toBe(analysis.utilisation.hosts.filter((h) => h.basis !== null).length);
    expect(Object.values(utilisation.byStatus).reduce((a, b) => a + b, 0)).toBe(analysis.utilisation.vms.length);
    expect(analysis.utilisation.vms.length).toBeGreaterThan(SUMMARY_PAGE);
  });

  it("refuses a customer out of scope, an unknown list and a page size past the limit", async () => {
    const scoped: Viewer = { id: "viewer", role: "viewer", scope: { kind: "some", customerIds: [otherId] } };
    await expect(api(scoped).analysis.list({ customerId, list: "isolationHosts", page: 0, pageSize: 10 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(api().analysis.list({ customerId, list: "everything" as SummaryList, page: 0, pageSize: 10 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(api().analysis.list({ customerId, list: "isolationHosts", page: 0, pageSize: 100_000 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("makes a summary stored in the previous format again from the whole analysis, and keeps the new one", async () => {
    const current = await customerAnalysisSummary(t, customerId);
    // The previous format: no format number, the lists whole.
    const { format: _format, ...rest } = current;
    const old = { ...rest, customer: { ...rest.customer, density: { ...rest.customer.density, hosts: [] } } };
    await t.pool.query(`UPDATE customer_analysis SET summary = $2 WHERE customer_id = $1`, [customerId, v8.serialize(old)]);
    forgetCachedAnalyses();
    const made = await customerAnalysisSummary(t, customerId);
    expect(made.format).toBe(SUMMARY_FORMAT);
    expect(made.customer.density.hosts.total).toBeGreaterThan(SUMMARY_PAGE);
    const { rows } = await t.pool.query<{ summary: Buffer }>(`SELECT summary FROM customer_analysis WHERE customer_id = $1`, [customerId]);
    expect((v8.deserialize(rows[0]!.summary) as { format: number }).format).toBe(SUMMARY_FORMAT);
  });
});

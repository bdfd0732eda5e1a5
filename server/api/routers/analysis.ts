/**
 * The four analyses for the dashboard: a customer's summary (every chart's figures), its verdicts
 * and findings as paginated tables (the filters the CSV export takes too), the fleet across the
 * customers in scope, the rules, and the model parameters (admins may override them).
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { vmUseFilterSchema, vmUseRows } from "../../analysis/views";
import { loadHistory } from "../../utilisation/history";
import { UTILISATION_OBJECTS } from "../../utilisation/metrics";
import { ALL_RULES } from "../../analysis";
import { customerAnalysis, PARAMETERS_SETTING, loadParameters } from "../../analysis/load";
import { SCORE_FORMULA } from "../../analysis/isolation";
import { customerTrends, fleetTrends, TREND_DEFAULT_DAYS, TREND_KEEP_DAYS } from "../../analysis/trends";
import { DEFAULT_PARAMETERS, PARAMETER_SOURCES, parametersSchema } from "../../analysis/parameters";
import {
  findingFilterSchema,
  findingList,
  fleetSummaryOf,
  isDefaultFilter,
  KEPT_TABLE_ROWS,
  keptSlice,
  type KeptRows,
  listPage,
  SUMMARY_LIST_NAMES,
  verdictFilterSchema,
  verdictList,
  type RowList,
} from "../../analysis/views";
import { customerAnalysisSummary, type AnalysisSummary } from "../../analysis/stored";
import type { Database } from "../../db/client";
import { memoisedList, memoisedRows } from "../../analysis/memo";
import { keptAnswer, keptAsIs } from "../kept-answers";
import { adminProcedure, createTRPCRouter, customerProcedure, viewerProcedure } from "../trpc";

const paging = {
  page: z.number().int().min(0).max(1_000_000).default(0),
  pageSize: z.number().int().min(1).max(200).default(25),
};

const pageOfList = <T>(list: RowList<T>, input: { page: number; pageSize: number }) => ({
  rows: list.slice(input.page * input.pageSize, (input.page + 1) * input.pageSize),
  total: list.total,
});

/** The page asked for, from the table's first rows kept with the stored summary, when they hold it (views.ts isDefaultFilter, keptSlice). */
async function keptPageOf<R>(
  database: Database,
  table: (tables: AnalysisSummary["tables"]) => KeptRows<R>,
  schema: z.ZodObject,
  input: { customerId: string; page: number; pageSize: number },
): Promise<KeptRows<R> | null> {
  const start = input.page * input.pageSize;
  const end = start + input.pageSize;
  // Only the default order's first pages are kept: the summary is not read for any other.
  if (end > KEPT_TABLE_ROWS || !isDefaultFilter(schema, input)) return null;
  const kept = table((await customerAnalysisSummary(database, input.customerId)).tables);
  const page = keptSlice(kept, start, end);
  // The same page of the same kept rows: one answer, serialised once.
  return page && keptAnswer(kept, () => page, `${start}-${end}`);
}

const trendWindow = z.object({ days: z.number().int().min(1).max(TREND_KEEP_DAYS).default(TREND_DEFAULT_DAYS) });

const pageOf = <T>(rows: readonly T[], input: { page: number; pageSize: number }) => ({
  rows: rows.slice(input.page * input.pageSize, (input.page + 1) * input.pageSize),
  total: rows.length,
});

export const analysisRouter = createTRPCRouter({
  /** Density, waste, isolation and migration figures of one customer (all charts and their tables). */
  customer: customerProcedure.query(async ({ ctx, input }) => {
    // The summary kept with the stored analysis (server/analysis/stored.ts), not the whole analysis.
    const { customer } = await customerAnalysisSummary(ctx.database, input.customerId);
    return keptAnswer(customer, (summary) => ({ ...summary, scoreFormula: SCORE_FORMULA }));
  }),

  /** A page of verdicts: the first pages in the default order from the stored summary, any other from the whole analysis. */
  verdicts: customerProcedure.input(verdictFilterSchema.extend(paging)).query(async ({ ctx, input }) => {
    const kept = await keptPageOf(ctx.database, (tables) => tables.verdicts, verdictFilterSchema, input);
    if (kept) return kept;
    const { analysis } = await customerAnalysis(ctx.database, input.customerId);
    return pageOfList(memoisedList(verdictList, analysis, input), input);
  }),

  /** A page of findings, as verdicts are paged. */
  findings: customerProcedure.input(findingFilterSchema.extend(paging)).query(async ({ ctx, input }) => {
    const kept = await keptPageOf(ctx.database, (tables) => tables.findings, findingFilterSchema, input);
    if (kept) return kept;
    const { analysis } = await customerAnalysis(ctx.database, input.customerId);
    return pageOfList(memoisedList(findingList, analysis, input), input);
  }),

  /**
   * Who talks to whom inside the customer (guest discovery's established connections): the
   * workloads and outside endpoints, the edges (at most 20,000), the groups that move together.
   */
  dependencies: customerProcedure.query(async ({ ctx, input }) => {
    // Kept with the stored summary (stored.ts), as sent.
    return keptAsIs((await customerAnalysisSummary(ctx.database, input.customerId)).dependencies);
  }),

  /** Guest discovery's newest facts per guest (the VM each is, use against size, software, what was not read) and its coverage. */
  guests: customerProcedure.query(async ({ ctx, input }) => {
    return keptAsIs((await customerAnalysisSummary(ctx.database, input.customerId)).guests);
  }),

  /**
   * Measured use of one customer: totals (what can be reclaimed, apart from OS duplication), VMs by
   * status, clusters (N+1, hosts freed) and hosts (use against capacity).
   */
  utilisation: customerProcedure.query(async ({ ctx, input }) => {
    // Kept with the stored analysis's summary (server/analysis/views.ts utilisationSummary): the whole analysis is not read.
    return keptAsIs((await customerAnalysisSummary(ctx.database, input.customerId)).utilisation);
  }),

  /**
   * A page of one of the long lists whose first page the summary or analysis.utilisation carries
   * (hosts of each kind, clusters, templates), in the same order (server/analysis/views.ts SUMMARY_LISTS).
   */
  list: customerProcedure
    .input(z.object({ list: z.enum(SUMMARY_LIST_NAMES), ...paging }))
    .query(async ({ ctx, input }) => {
      const { analysis } = await customerAnalysis(ctx.database, input.customerId);
      return listPage(analysis, input.list, input.page, input.pageSize);
    }),

  /** The VMs' measured use and what it asks for, paged, sorted and filtered by status on the server. */
  utilisationVms: customerProcedure.input(vmUseFilterSchema.extend(paging)).query(async ({ ctx, input }) => {
    const kept = await keptPageOf(ctx.database, (tables) => tables.vmUse, vmUseFilterSchema, input);
    if (kept) return kept;
    const { analysis } = await customerAnalysis(ctx.database, input.customerId);
    return pageOf(memoisedRows(vmUseRows, analysis, input), input);
  }),

  /** One host's, VM's or container's measured use over the period, for its chart. */
  utilisationHistory: customerProcedure
    .input(z.object({ objectKind: z.enum(UTILISATION_OBJECTS), objectKey: z.uuid() }))
    .query(async ({ ctx, input }) => {
      const parameters = await loadParameters(ctx.database);
      const from = new Date(Date.now() - parameters.utilisationPeriodDays * 86_400_000);
      const history = await loadHistory(ctx.database.pool, input.customerId, input.objectKind, input.objectKey, from);
      if (!history) throw new TRPCError({ code: "NOT_FOUND", message: "no such object" });
      return history;
    }),

  /** One row per customer in scope (density, waste, posture and verdict totals), and the fleet's. */
  fleet: viewerProcedure.query(async ({ ctx }) => {
    const customers = await ctx.database.prisma.customer.findMany({
      where: ctx.viewer.scope.kind === "all" ? {} : { id: { in: ctx.viewer.scope.customerIds } },
      select: { id: true, name: true },
      orderBy: { name: "asc" },
    });
    // Each customer's figures kept with its stored analysis, one customer at a time (one not stored yet is computed).
    const analysed = [];
    for (const customer of customers) analysed.push({ customer, figures: (await customerAnalysisSummary(ctx.database, customer.id)).fleet });
    return fleetSummaryOf(analysed);
  }),

  /** The customer's analysis totals after each collection (server/analysis/trends.ts), oldest first. */
  trends: customerProcedure.input(trendWindow).query(async ({ ctx, input }) => ({
    points: await customerTrends(ctx.database, input.customerId, input.days),
  })),

  /** Per customer in scope, its newest point of each day; and the fleet's summed figures per day. */
  fleetTrends: viewerProcedure.input(trendWindow.optional()).query(async ({ ctx, input }) => {
    const customers = await ctx.database.prisma.customer.findMany({
      where: ctx.viewer.scope.kind === "all" ? {} : { id: { in: ctx.viewer.scope.customerIds } },
      select: { id: true, name: true },
      orderBy: { name: "asc" },
    });
    return fleetTrends(ctx.database, customers, input?.days ?? TREND_DEFAULT_DAYS);
  }),

  rules: viewerProcedure.query(() => ALL_RULES),

  /** The parameters in force, the defaults, and where each default comes from. */
  parameters: viewerProcedure.query(async ({ ctx }) => ({
    values: await loadParameters(ctx.database),
    defaults: DEFAULT_PARAMETERS,
    sources: PARAMETER_SOURCES,
    scoreFormula: SCORE_FORMULA,
  })),

  setParameters: adminProcedure.input(parametersSchema.partial()).mutation(async ({ ctx, input }) => {
    const values = parametersSchema.parse({ ...(await loadParameters(ctx.database)), ...input });
    await ctx.database.pool.query(
      `INSERT INTO app_setting (key, value, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`,
      [PARAMETERS_SETTING, JSON.stringify(values)],
    );
    await ctx.audit("analysis-parameters-changed", { detail: { changed: Object.keys(input) } });
    return values;
  }),

  resetParameters: adminProcedure.mutation(async ({ ctx }) => {
    await ctx.database.pool.query("DELETE FROM app_setting WHERE key = $1", [PARAMETERS_SETTING]);
    await ctx.audit("analysis-parameters-reset");
    return DEFAULT_PARAMETERS;
  }),
});

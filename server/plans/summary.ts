/**
 * A customer's migration plans in brief, for the report and the fleet overview
 * (shared names: /work/prompts/s9-plan-tables.md): each plan's waves with their totals, the
 * plan's totals, and how many dependencies it splits. Figures as server/plans/figures.ts computes them.
 */
import type { Database } from "../db/client";
import type { PlanTotals, WaveStatus } from "./labels";
import { planViews } from "./views";

export type { PlanTotals };

export interface PlanSummary {
  id: string;
  name: string;
  waves: { id: string; name: string; owner: string; targetDate: string | null; status: WaveStatus; workloads: number; totals: PlanTotals }[];
  totals: PlanTotals;
  splitDependencies: number;
}

export async function planSummaries(database: Database, customerId: string): Promise<PlanSummary[]> {
  const plans = await planViews(database, customerId);
  return plans.map((p) => ({
    id: p.id,
    name: p.name,
    waves: p.waves.map((w) => ({ id: w.id, name: w.name, owner: w.owner, targetDate: w.targetDate, status: w.status, workloads: w.workloads.length, totals: w.totals })),
    totals: p.totals,
    splitDependencies: p.dependencies.length,
  }));
}

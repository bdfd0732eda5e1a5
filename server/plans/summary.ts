/**
 * A customer's migration plans in brief, for the plans list, the report and the fleet overview
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
  notes: string;
  createdBy: string | null;
  updatedAt: string;
  inProgress: boolean;
  waves: { id: string; name: string; owner: string; targetDate: string | null; status: WaveStatus; statusLabel: string; workloads: number; totals: PlanTotals }[];
  /** Workloads in all its waves. */
  workloads: number;
  totals: PlanTotals;
  splitDependencies: number;
}

export async function planSummaries(database: Database, customerId: string): Promise<PlanSummary[]> {
  const plans = await planViews(database, customerId);
  return plans.map((p) => ({
    id: p.id,
    name: p.name,
    notes: p.notes,
    createdBy: p.createdBy,
    updatedAt: p.updatedAt,
    inProgress: p.inProgress,
    waves: p.waves.map((w) => ({
      id: w.id,
      name: w.name,
      owner: w.owner,
      targetDate: w.targetDate,
      status: w.status,
      statusLabel: w.statusLabel,
      workloads: w.workloads.length,
      totals: w.totals,
    })),
    workloads: p.waves.reduce((s, w) => s + w.workloads.length, 0),
    totals: p.totals,
    splitDependencies: p.dependencies.length,
  }));
}

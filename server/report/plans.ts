/**
 * The migration plans in the report: each plan's waves (name, owner, target date, status, workloads)
 * and what each wave and the plan free (vCPUs, RAM, disk, hosts; Kata overhead as a cost), as
 * server/plans/summary.ts sums them. Ids are left out: the report names things, it links nothing.
 */
import type { Database } from "../db/client";
import { planSummaries, type PlanTotals } from "../plans/summary";

export type ReportPlanTotals = PlanTotals;

export interface ReportPlan {
  name: string;
  waves: { name: string; owner: string; targetDate: string | null; status: string; workloads: number; totals: ReportPlanTotals }[];
  totals: ReportPlanTotals;
  /** Workloads that talk to each other (guest discovery) placed in different waves. */
  splitDependencies: number;
}

export async function reportPlans(database: Database, customerId: string): Promise<ReportPlan[]> {
  const plans = await planSummaries(database, customerId);
  return plans.map((p) => ({
    name: p.name,
    waves: p.waves.map((w) => ({ name: w.name, owner: w.owner, targetDate: w.targetDate, status: w.status, workloads: w.workloads, totals: w.totals })),
    totals: p.totals,
    splitDependencies: p.splitDependencies,
  }));
}

/**
 * The migration plans in the report: each plan's waves (name, owner, target date, status, workloads)
 * and what each wave and the plan free (vCPUs, RAM, disk, hosts; Kata overhead as a cost).
 * Null until this install has migration plans to read (server/plans/summary.ts).
 */
import type { Database } from "../db/client";

export interface ReportPlanTotals {
  vcpus: number;
  ramMiB: number;
  diskMiB: number;
  hostsFreed: number;
  kataOverheadMiB: number;
}

export interface ReportPlan {
  name: string;
  waves: { name: string; owner: string; targetDate: string | null; status: string; workloads: number; totals: ReportPlanTotals }[];
  totals: ReportPlanTotals;
  /** Workloads that talk to each other (guest discovery) placed in different waves. */
  splitDependencies: number;
}

export async function reportPlans(_database: Database, _customerId: string): Promise<ReportPlan[] | null> {
  return null;
}

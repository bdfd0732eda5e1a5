/**
 * The fleet overview's headline figures (KPI tiles), within the viewer's scope.
 *
 * - Counts and vCPU:pCore are aggregated in SQL over the stored inventory, counted as the density
 *   analysis counts them (server/analysis/density.ts): physical hosts are the hypervisors and the
 *   container-engine hosts that run in no VM; vCPU:pCore is the powered-on VMs' vCPUs (templates
 *   apart) over those hosts' physical cores.
 * - RAM reclaimable, critical findings and candidates by verdict come from each customer's stored
 *   analysis's summary (server/analysis/stored.ts: its fleet figures, kept with it, not the whole
 *   analysis), summed by fleetSummaryOf as the fleet's analysis table does: the same figures.
 * - Plans in progress: plans with at least one wave in progress.
 */
import type { Database } from "../db/client";
import { ratio } from "../analysis/density";
import type { VerdictValue } from "../analysis/labels";
import { customerAnalysisSummary } from "../analysis/stored";
import { fleetSummaryOf, type FleetFigures } from "../analysis/views";

export interface FleetCounts {
  customers: number;
  hosts: number;
  physicalHosts: number;
  physicalCores: number;
  virtualMachines: number;
  vmsPoweredOn: number;
  vcpusPoweredOn: number;
  containers: number;
  containersRunning: number;
  /** vcpusPoweredOn / physicalCores, two decimals; null without physical cores. */
  vcpuPerCore: number | null;
}

/** The inventory's counts counted from scratch, every row of the customers in scope (what the kept totals must equal: tests, bench/api). */
const FLEET_COUNTS_FROM_SCRATCH = `WITH c AS (SELECT id FROM customer WHERE $1::uuid[] IS NULL OR id = ANY($1::uuid[])),
          s AS (SELECT id FROM source WHERE customer_id IN (SELECT id FROM c)),
          h AS (SELECT count(*)::int AS hosts,
                       count(*) FILTER (WHERE role = 'hypervisor' OR vm_id IS NULL)::int AS physical_hosts,
                       coalesce(sum(cpu_cores) FILTER (WHERE role = 'hypervisor' OR vm_id IS NULL), 0)::bigint AS physical_cores
                  FROM host WHERE source_id IN (SELECT id FROM s)),
          v AS (SELECT count(*)::int AS vms,
                       count(*) FILTER (WHERE power_state = 'poweredOn' AND NOT template)::int AS vms_on,
                       coalesce(sum(vcpus) FILTER (WHERE power_state = 'poweredOn' AND NOT template), 0)::bigint AS vcpus_on
                  FROM virtual_machine WHERE source_id IN (SELECT id FROM s)),
          k AS (SELECT count(*)::int AS containers, count(*) FILTER (WHERE state = 'running')::int AS running
                  FROM container WHERE source_id IN (SELECT id FROM s))
     SELECT (SELECT count(*) FROM c)::int AS customers,
            h.hosts, h.physical_hosts AS "physicalHosts", h.physical_cores::float8 AS "physicalCores",
            v.vms AS "virtualMachines", v.vms_on AS "vmsPoweredOn", v.vcpus_on::float8 AS "vcpusPoweredOn",
            k.containers, k.running AS "containersRunning"
       FROM h, v, k`;

/** The same counts from the sources' totals kept at ingest (./summary.ts): a row per source. */
const FLEET_COUNTS = `WITH c AS (SELECT id FROM customer WHERE $1::uuid[] IS NULL OR id = ANY($1::uuid[]))
     SELECT (SELECT count(*) FROM c)::int AS customers,
            coalesce(sum(i.hosts), 0)::int AS hosts, coalesce(sum(i.physical_hosts), 0)::int AS "physicalHosts",
            coalesce(sum(i.physical_cores), 0)::float8 AS "physicalCores",
            coalesce(sum(i.virtual_machines), 0)::int AS "virtualMachines", coalesce(sum(i.vms_powered_on), 0)::int AS "vmsPoweredOn",
            coalesce(sum(i.vcpus_powered_on), 0)::float8 AS "vcpusPoweredOn",
            coalesce(sum(i.containers), 0)::int AS containers, coalesce(sum(i.containers_running), 0)::int AS "containersRunning"
       FROM source s JOIN inventory_summary i ON i.source_id = s.id
      WHERE s.customer_id IN (SELECT id FROM c)`;

/** The inventory's counts for the customers (`customerIds` null: all), in one query: kept at ingest, or counted from scratch. */
export async function fleetCounts(
  database: Database,
  filter: { customerIds: string[] | null },
  options: { fromScratch?: boolean } = {},
): Promise<FleetCounts> {
  const { rows } = await database.pool.query<Omit<FleetCounts, "vcpuPerCore">>(options.fromScratch ? FLEET_COUNTS_FROM_SCRATCH : FLEET_COUNTS, [
    filter.customerIds,
  ]);
  const r = rows[0]!;
  return { ...r, vcpuPerCore: ratio(r.vcpusPoweredOn, r.physicalCores) };
}

/** Plans with at least one wave in progress (migration_wave.status 'in_progress'), per customer. */
export async function plansInProgress(database: Database, customerIds: string[]): Promise<Map<string, number>> {
  const { rows } = await database.pool.query<{ customer_id: string; plans: number }>(
    `SELECT p.customer_id, count(*)::int AS plans
       FROM migration_plan p
      WHERE p.customer_id = ANY($1::uuid[])
        AND EXISTS (SELECT 1 FROM migration_wave w WHERE w.plan_id = p.id AND w.status = 'in_progress')
      GROUP BY p.customer_id`,
    [customerIds],
  );
  const counts = new Map(customerIds.map((id) => [id, 0]));
  for (const r of rows) counts.set(r.customer_id, r.plans);
  return counts;
}

export interface CustomerKpis {
  customerId: string;
  name: string;
  /** RAM reclaimable from measured use (MiB); VMs measured over the period. */
  reclaimMemoryMiB: number;
  vmsMeasured: number;
  critical: number;
  verdicts: Record<VerdictValue, number>;
  /** VMs whose role makes them migration candidates. */
  candidates: number;
  plansInProgress: number;
}

export interface FleetKpis extends FleetCounts {
  reclaimMemoryMiB: number;
  vmsMeasured: number;
  critical: number;
  verdicts: Record<VerdictValue, number>;
  candidates: number;
  plansInProgress: number;
  /** The analysis figures per customer, for the tiles' "most at" links. */
  byCustomer: CustomerKpis[];
}

/** The overview's tiles for the customers in scope (`customerIds` null: all). */
export async function fleetKpis(database: Database, filter: { customerIds: string[] | null }): Promise<FleetKpis> {
  const customers = (
    await database.pool.query<{ id: string; name: string }>(
      `SELECT id, name FROM customer WHERE ($1::uuid[] IS NULL OR id = ANY($1::uuid[])) ORDER BY name`,
      [filter.customerIds],
    )
  ).rows;
  const [counts, plans] = await Promise.all([fleetCounts(database, filter), plansInProgress(database, customers.map((c) => c.id))]);
  // One customer at a time: one whose summary is not stored yet has its analysis read or computed,
  // and each analysis holds its inventory in memory.
  const analysed: { customer: { id: string; name: string }; figures: FleetFigures }[] = [];
  for (const customer of customers) analysed.push({ customer, figures: (await customerAnalysisSummary(database, customer.id)).fleet });
  const summary = fleetSummaryOf(analysed);
  const byCustomer = summary.customers.map((row, i) => ({
    customerId: row.customerId,
    name: row.name,
    reclaimMemoryMiB: row.reclaimMemoryMiB,
    vmsMeasured: row.vmsMeasured,
    critical: row.critical,
    verdicts: row.verdicts,
    candidates: analysed[i]!.figures.candidates,
    plansInProgress: plans.get(row.customerId) ?? 0,
  }));
  return {
    ...counts,
    reclaimMemoryMiB: summary.fleet.reclaimMemoryMiB,
    vmsMeasured: summary.fleet.vmsMeasured,
    critical: summary.fleet.critical,
    verdicts: summary.fleet.verdicts,
    candidates: byCustomer.reduce((s, c) => s + c.candidates, 0),
    plansInProgress: byCustomer.reduce((s, c) => s + c.plansInProgress, 0),
    byCustomer,
  };
}

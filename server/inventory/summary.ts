/**
 * Inventory totals kept at ingest: one row per source (inventory_summary) with its counts of hosts,
 * VMs and containers and the figures the KPI tiles take (physical hosts and cores, powered-on VMs
 * and vCPUs, running containers). applySnapshot rewrites them in its transaction, after the
 * topology link, by `refresh_inventory_summary` (prisma/migrations/20261213000000_inventory_summary:
 * the one definition of the figures, counted from the source's rows), so the overview, the customer
 * page and the tiles read a row per source instead of counting every row of the customers in scope
 * (bench/api: 500,000 containers took 0.4-1 s a call to count). A failed ingest rolls them back
 * with the inventory; a deleted source takes its row with it, and the customer's other sources'
 * host figures are counted again (a trigger: their engine hosts may have run in its VMs).
 *
 * The from-scratch counts (`fromScratch` in ./overview.ts and ./kpis.ts) stay: tests check the kept
 * totals against them, and bench/api reports what they cost.
 */
import type pg from "pg";

/** Counts the source's totals again, and the host figures of every source of the customer (in the caller's transaction). */
export async function refreshInventorySummary(client: Pick<pg.ClientBase, "query">, customerId: string, sourceId: string): Promise<void> {
  await client.query(`SELECT refresh_inventory_summary($1::uuid, $2::uuid)`, [customerId, sourceId]);
}

/** Which total of the summary is a table's unfiltered row count. */
export type SummaryTotal = "hosts" | "virtual_machines" | "containers";

/** A customer's total of one count, from its sources' summaries (0 for none). */
export async function customerTotal(client: Pick<pg.ClientBase, "query">, customerId: string, total: SummaryTotal): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT coalesce(sum(i."${total}"), 0)::int AS n FROM inventory_summary i JOIN source s ON s.id = i.source_id WHERE s.customer_id = $1::uuid`,
    [customerId],
  );
  return rows[0]!.n;
}

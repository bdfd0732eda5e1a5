/**
 * The customer page's tables: hosts, virtual machines and containers, paginated, sorted and
 * filtered on the server. Sorting is by a whitelist of columns per table. The filters, sorts and
 * selections live in ../inventory-tables.ts as SQL, shared with the exports (server/export/inventory.ts).
 */
import { z } from "zod";
import type { Database } from "../../db/client";
import {
  containerFilterSchema,
  containerQuery,
  countSql,
  CONTAINER_COLUMNS,
  HOST_COLUMNS,
  hostFilterSchema,
  hostQuery,
  pageSql,
  VM_COLUMNS,
  vmFilterSchema,
  vmQuery,
  type TableQuery,
} from "../inventory-tables";
import { customerTotal, type SummaryTotal } from "../../inventory/summary";
import { createTRPCRouter, customerProcedure } from "../trpc";

/** A page of a table (added to its filter). */
const PAGE = {
  page: z.number().int().min(0).max(1_000_000).default(0),
  pageSize: z.number().int().min(1).max(200).default(25),
};

/**
 * One page of the table and how many rows match, read in one snapshot (a collection landing between
 * the two is not half seen). The customer's sources are read first, so the page's query names them
 * (inventory-tables.ts: ofCustomer); an unfiltered table's count is its sources' totals kept at
 * ingest (server/inventory/summary.ts), a filtered one's is counted.
 */
async function page<R>(
  database: Database,
  customerId: string,
  table: SummaryTotal,
  build: (sourceIds: string[]) => TableQuery<R>,
  input: { page: number; pageSize: number },
): Promise<{ rows: R[]; total: number }> {
  const client = await database.pool.connect();
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    const sources = await client.query<{ id: string }>(`SELECT id FROM source WHERE customer_id = $1::uuid`, [customerId]);
    const query = build(sources.rows.map((r) => r.id));
    const rows = await client.query(pageSql(query, input.pageSize, input.page * input.pageSize));
    const total = query.filtered ? (await client.query<{ n: number }>(countSql(query))).rows[0]!.n : await customerTotal(client, customerId, table);
    await client.query("COMMIT");
    return { rows: rows.rows.map(query.row), total };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

export const inventoryRouter = createTRPCRouter({
  hosts: customerProcedure
    .input(hostFilterSchema.extend(PAGE))
    .query(({ ctx, input }) => page(ctx.database, input.customerId, "hosts", (ids) => hostQuery(input.customerId, input, ids), input)),
  virtualMachines: customerProcedure
    .input(vmFilterSchema.extend(PAGE))
    .query(({ ctx, input }) => page(ctx.database, input.customerId, "virtual_machines", (ids) => vmQuery(input.customerId, input, ids), input)),
  containers: customerProcedure
    .input(containerFilterSchema.extend(PAGE))
    .query(({ ctx, input }) => page(ctx.database, input.customerId, "containers", (ids) => containerQuery(input.customerId, input, ids), input)),
});

export const TABLE_COLUMNS = { hosts: HOST_COLUMNS, virtualMachines: VM_COLUMNS, containers: CONTAINER_COLUMNS };

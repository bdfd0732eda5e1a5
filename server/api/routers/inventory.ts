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
import { createTRPCRouter, customerProcedure } from "../trpc";

/** A page of a table (added to its filter). */
const PAGE = {
  page: z.number().int().min(0).max(1_000_000).default(0),
  pageSize: z.number().int().min(1).max(200).default(25),
};

/** One page of the table and how many rows match, read in one snapshot (a collection landing between the two is not half seen). */
async function page<R>(database: Database, query: TableQuery<R>, input: { page: number; pageSize: number }): Promise<{ rows: R[]; total: number }> {
  const client = await database.pool.connect();
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    const rows = await client.query(pageSql(query, input.pageSize, input.page * input.pageSize));
    const count = await client.query<{ n: number }>(countSql(query));
    await client.query("COMMIT");
    return { rows: rows.rows.map(query.row), total: count.rows[0]!.n };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

export const inventoryRouter = createTRPCRouter({
  hosts: customerProcedure.input(hostFilterSchema.extend(PAGE)).query(({ ctx, input }) => page(ctx.database, hostQuery(input.customerId, input), input)),
  virtualMachines: customerProcedure.input(vmFilterSchema.extend(PAGE)).query(({ ctx, input }) => page(ctx.database, vmQuery(input.customerId, input), input)),
  containers: customerProcedure.input(containerFilterSchema.extend(PAGE)).query(({ ctx, input }) => page(ctx.database, containerQuery(input.customerId, input), input)),
});

export const TABLE_COLUMNS = { hosts: HOST_COLUMNS, virtualMachines: VM_COLUMNS, containers: CONTAINER_COLUMNS };

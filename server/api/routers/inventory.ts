/**
 * The customer page's tables: hosts, virtual machines and containers, paginated, sorted and
 * filtered on the server. Sorting is by a whitelist of columns per table. The filters, sorts and
 * selections live in ../inventory-tables.ts, shared with the exports (server/export/tables/).
 */
import { z } from "zod";
import {
  CONTAINER_COLUMNS,
  CONTAINER_SELECT,
  containerFilterSchema,
  containerOrderBy,
  containerWhere,
  FROM_PRISMA_ROLE,
  HOST_COLUMNS,
  HOST_SELECT,
  hostFilterSchema,
  hostOrderBy,
  hostWhere,
  VM_COLUMNS,
  VM_SELECT,
  vmFilterSchema,
  vmOrderBy,
  vmWhere,
} from "../inventory-tables";
import { createTRPCRouter, customerProcedure } from "../trpc";

/** A page of a table (added to its filter). */
const PAGE = {
  page: z.number().int().min(0).max(1_000_000).default(0),
  pageSize: z.number().int().min(1).max(200).default(25),
};

const page = (input: { page: number; pageSize: number }) => ({
  skip: input.page * input.pageSize,
  take: input.pageSize,
});

export const inventoryRouter = createTRPCRouter({
  hosts: customerProcedure.input(hostFilterSchema.extend(PAGE)).query(async ({ ctx, input }) => {
    const where = hostWhere(input.customerId, input);
    const [rows, total] = await ctx.database.prisma.$transaction([
      ctx.database.prisma.host.findMany({ where, orderBy: hostOrderBy(input), ...page(input), select: HOST_SELECT }),
      ctx.database.prisma.host.count({ where }),
    ]);
    return { rows: rows.map((row) => ({ ...row, role: FROM_PRISMA_ROLE[row.role] })), total };
  }),

  virtualMachines: customerProcedure.input(vmFilterSchema.extend(PAGE)).query(async ({ ctx, input }) => {
    const where = vmWhere(input.customerId, input);
    const [rows, total] = await ctx.database.prisma.$transaction([
      ctx.database.prisma.virtualMachine.findMany({ where, orderBy: vmOrderBy(input), ...page(input), select: VM_SELECT }),
      ctx.database.prisma.virtualMachine.count({ where }),
    ]);
    return { rows, total };
  }),

  containers: customerProcedure.input(containerFilterSchema.extend(PAGE)).query(async ({ ctx, input }) => {
    const where = containerWhere(input.customerId, input);
    const [rows, total] = await ctx.database.prisma.$transaction([
      ctx.database.prisma.container.findMany({ where, orderBy: containerOrderBy(input), ...page(input), select: CONTAINER_SELECT }),
      ctx.database.prisma.container.count({ where }),
    ]);
    return { rows, total };
  }),
});

export const TABLE_COLUMNS = { hosts: HOST_COLUMNS, virtualMachines: VM_COLUMNS, containers: CONTAINER_COLUMNS };

import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { Prisma } from "../../db/generated/client";
import { listCustomers } from "../../inventory/overview";
import { adminProcedure, createTRPCRouter, customerProcedure, inScope, viewerProcedure } from "../trpc";

const customerName = z.string().trim().min(1, "a name is required").max(200);

export const customersRouter = createTRPCRouter({
  /** Id and name of every customer in scope (for pickers). */
  list: viewerProcedure.query(({ ctx }) =>
    ctx.database.prisma.customer.findMany({
      where: ctx.viewer.scope.kind === "all" ? {} : { id: { in: ctx.viewer.scope.customerIds } },
      select: { id: true, name: true, isDemo: true },
      orderBy: { name: "asc" },
    }),
  ),

  get: customerProcedure.query(async ({ ctx, input }) => {
    const [summary] = await listCustomers(ctx.database, { customerIds: [input.customerId] });
    if (!summary) throw new TRPCError({ code: "NOT_FOUND", message: "no such customer" });
    return summary;
  }),

  create: adminProcedure.input(z.object({ name: customerName })).mutation(async ({ ctx, input }) => {
    try {
      const created = await ctx.database.prisma.customer.create({
        data: { name: input.name },
        select: { id: true, name: true },
      });
      await ctx.audit("customer-created", { target: input.name });
      return created;
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
        throw new TRPCError({ code: "CONFLICT", message: `a customer named "${input.name}" exists already` });
      }
      throw error;
    }
  }),

  delete: adminProcedure.input(z.object({ customerId: z.uuid() })).mutation(async ({ ctx, input }) => {
    const { count } = inScope(ctx.viewer.scope, input.customerId)
      ? await ctx.database.prisma.customer.deleteMany({ where: { id: input.customerId } })
      : { count: 0 };
    if (count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "no such customer" });
    await ctx.audit("customer-deleted", { target: input.customerId });
    return { deleted: count };
  }),
});

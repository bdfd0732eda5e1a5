import { z } from "zod";
import { adminProcedure, createTRPCRouter } from "../trpc";

export const auditRouter = createTRPCRouter({
  /** Newest first. */
  list: adminProcedure
    .input(z.object({ page: z.number().int().min(0).default(0), pageSize: z.number().int().min(1).max(200).default(50), action: z.string().max(100).optional() }).default({ page: 0, pageSize: 50 }))
    .query(async ({ ctx, input }) => {
      const where = input.action ? { action: input.action } : {};
      const [rows, total] = await ctx.database.prisma.$transaction([
        ctx.database.prisma.auditEvent.findMany({ where, orderBy: { at: "desc" }, skip: input.page * input.pageSize, take: input.pageSize }),
        ctx.database.prisma.auditEvent.count({ where }),
      ]);
      return { rows, total };
    }),
});

/** The signed-in user: who they are, and their API tokens. */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { createApiToken, revokeApiToken } from "../../auth/tokens";
import { createTRPCRouter, viewerProcedure } from "../trpc";

export const accountRouter = createTRPCRouter({
  me: viewerProcedure.query(async ({ ctx }) => {
    const user = await ctx.database.prisma.user.findUniqueOrThrow({
      where: { id: ctx.viewer.id },
      select: { id: true, name: true, email: true, role: true, allCustomers: true },
    });
    const customers =
      ctx.viewer.scope.kind === "all"
        ? null
        : await ctx.database.prisma.customer.findMany({
            where: { id: { in: ctx.viewer.scope.customerIds } },
            select: { id: true, name: true },
            orderBy: { name: "asc" },
          });
    return { ...user, customers };
  }),

  apiTokens: viewerProcedure.query(({ ctx }) =>
    ctx.database.prisma.apiToken.findMany({
      where: { userId: ctx.viewer.id },
      select: { id: true, name: true, prefix: true, createdAt: true, lastUsedAt: true, revokedAt: true },
      orderBy: { createdAt: "desc" },
    }),
  ),

  /** Returns the token once; only its hash is kept. */
  createApiToken: viewerProcedure
    .input(z.object({ name: z.string().trim().min(1, "a name is required").max(100) }))
    .mutation(async ({ ctx, input }) => {
      if (ctx.viewer.via === "token") {
        throw new TRPCError({ code: "FORBIDDEN", message: "API tokens cannot create API tokens: sign in" });
      }
      const created = await createApiToken(ctx.database, ctx.viewer.id, input.name);
      await ctx.audit("api-token-created", { target: `${input.name} (${created.prefix}…)` });
      return created;
    }),

  revokeApiToken: viewerProcedure.input(z.object({ id: z.uuid() })).mutation(async ({ ctx, input }) => {
    if (!(await revokeApiToken(ctx.database, ctx.viewer.id, input.id))) {
      throw new TRPCError({ code: "NOT_FOUND", message: "no such token" });
    }
    await ctx.audit("api-token-revoked", { target: input.id });
    return { id: input.id };
  }),
});

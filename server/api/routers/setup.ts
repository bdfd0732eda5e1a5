/**
 * First run: with no user yet, the first visitor creates the first administrator here. Public by
 * necessity, and useless once any user exists.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { oidcSettings } from "../../auth/auth";
import { createFirstAdmin, email, password } from "../../auth/users";
import { createTRPCRouter, publicProcedure } from "../trpc";

export const setupRouter = createTRPCRouter({
  /** Whether the first administrator is still to be created, and whether SSO is offered. */
  status: publicProcedure.query(async ({ ctx }) => {
    const sso = oidcSettings();
    return {
      needsSetup: (await ctx.database.prisma.user.count()) === 0,
      sso: sso ? { name: sso.name } : null,
    };
  }),

  createFirstAdmin: publicProcedure
    .input(z.object({ email, name: z.string().trim().min(1).max(200), password }))
    .mutation(async ({ ctx, input }) => {
      const created = await createFirstAdmin(ctx.database, input);
      if (!created) {
        throw new TRPCError({ code: "FORBIDDEN", message: "Fleetlens is set up already: sign in instead" });
      }
      await ctx.audit("setup", { actorId: created.id, actorEmail: input.email, target: input.email });
      return { email: input.email };
    }),
});

/**
 * Administrators manage users: role, customer scope, password, sign-in lock; every change is
 * audited.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { clearSignInFailures, signInLockStates } from "../../auth/lockout";
import { createUser, email, password, resetPassword, UserExistsError } from "../../auth/users";
import type { Database } from "../../db/client";
import { adminProcedure, createTRPCRouter } from "../trpc";
import { requireCustomers } from "./scope";

const role = z.enum(["admin", "engineer", "viewer"]);
const scope = { allCustomers: z.boolean(), customerIds: z.array(z.uuid()).max(10_000) };

/** The user's email, or a 404. */
async function existingUser(database: Database, id: string): Promise<{ email: string }> {
  const user = await database.prisma.user.findUnique({ where: { id }, select: { email: true } });
  if (!user) throw new TRPCError({ code: "NOT_FOUND", message: "no such user" });
  return user;
}

export const usersRouter = createTRPCRouter({
  /** Each user with `locked` (failed sign-ins lock an address out or delay every attempt) and their count. */
  list: adminProcedure.query(async ({ ctx }) => {
    const [users, locks] = await Promise.all([
      ctx.database.prisma.user.findMany({
        orderBy: { email: "asc" },
        select: {
          id: true, name: true, email: true, role: true, allCustomers: true, createdAt: true,
          customers: { select: { customer: { select: { id: true, name: true } } } },
          accounts: { select: { providerId: true } },
        },
      }),
      signInLockStates(ctx.database),
    ]);
    return users.map((user) => {
      const lock = locks.get(user.email.toLowerCase());
      return { ...user, locked: lock?.locked ?? false, failedSignIns: lock?.failures ?? 0 };
    });
  }),

  create: adminProcedure
    .input(z.object({ email, name: z.string().trim().min(1).max(200), password, role, ...scope }))
    .mutation(async ({ ctx, input }) => {
      await requireCustomers(ctx.database, input.customerIds);
      try {
        const created = await createUser(ctx.database, input);
        await ctx.audit("user-created", {
          target: input.email,
          detail: { role: input.role, allCustomers: input.allCustomers, customers: input.customerIds.length },
        });
        return created;
      } catch (error) {
        if (error instanceof UserExistsError) throw new TRPCError({ code: "CONFLICT", message: error.message });
        throw error;
      }
    }),

  update: adminProcedure
    .input(z.object({ id: z.string().min(1), name: z.string().trim().min(1).max(200).optional(), role: role.optional(), allCustomers: scope.allCustomers.optional(), customerIds: scope.customerIds.optional() }))
    .mutation(async ({ ctx, input }) => {
      const user = await existingUser(ctx.database, input.id);
      if (input.id === ctx.viewer.id && input.role && input.role !== "admin") {
        throw new TRPCError({ code: "BAD_REQUEST", message: "you cannot take your own administrator role away" });
      }
      await requireCustomers(ctx.database, input.customerIds);
      await ctx.database.prisma.$transaction([
        ctx.database.prisma.user.update({
          where: { id: input.id },
          data: { name: input.name, role: input.role, allCustomers: input.allCustomers },
        }),
        ...(input.customerIds
          ? [
              ctx.database.prisma.customerAccess.deleteMany({ where: { userId: input.id } }),
              ctx.database.prisma.customerAccess.createMany({
                data: input.customerIds.map((customerId) => ({ userId: input.id, customerId })),
              }),
            ]
          : []),
      ]);
      await ctx.audit("user-changed", {
        target: user.email,
        detail: { role: input.role, allCustomers: input.allCustomers, customers: input.customerIds?.length },
      });
      return { id: input.id };
    }),

  setPassword: adminProcedure
    .input(z.object({ id: z.string().min(1), password }))
    .mutation(async ({ ctx, input }) => {
      const user = await existingUser(ctx.database, input.id);
      // Everyone signed in with the old password is signed out, and their API tokens stop working.
      const ended = await resetPassword(ctx.database, input.id, input.password);
      await ctx.audit("user-password-set", { target: user.email, detail: ended });
      return { id: input.id, ...ended };
    }),

  /** Forgets the user's failed sign-ins: every address may try again at once. */
  unlock: adminProcedure.input(z.object({ id: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    const user = await existingUser(ctx.database, input.id);
    const failedSignIns = await clearSignInFailures(ctx.database, user.email);
    await ctx.audit("user-unlocked", { target: user.email, detail: { failedSignIns } });
    return { id: input.id, failedSignIns };
  }),

  delete: adminProcedure.input(z.object({ id: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    if (input.id === ctx.viewer.id) throw new TRPCError({ code: "BAD_REQUEST", message: "you cannot delete yourself" });
    const user = await existingUser(ctx.database, input.id);
    await ctx.database.prisma.user.delete({ where: { id: input.id } });
    await ctx.audit("user-deleted", { target: user.email });
    return { id: input.id };
  }),
});

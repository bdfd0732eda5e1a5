/** Administrators manage users: role, customer scope, password; every change is audited. */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { audit } from "../../auth/audit";
import { createUser, email, password, setPassword, UserExistsError } from "../../auth/users";
import { adminProcedure, createTRPCRouter } from "../trpc";

const role = z.enum(["admin", "engineer", "viewer"]);
const scope = { allCustomers: z.boolean(), customerIds: z.array(z.uuid()).max(10_000) };

export const usersRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) =>
    ctx.database.prisma.user.findMany({
      orderBy: { email: "asc" },
      select: {
        id: true, name: true, email: true, role: true, allCustomers: true, createdAt: true,
        customers: { select: { customer: { select: { id: true, name: true } } } },
        accounts: { select: { providerId: true } },
      },
    }),
  ),

  create: adminProcedure
    .input(z.object({ email, name: z.string().trim().min(1).max(200), password, role, ...scope }))
    .mutation(async ({ ctx, input }) => {
      try {
        const created = await createUser(ctx.database, input);
        await audit(ctx.database, {
          actorId: ctx.viewer.id, actorEmail: ctx.viewer.email, action: "user-created", target: input.email,
          detail: { role: input.role, allCustomers: input.allCustomers, customers: input.customerIds.length }, ip: ctx.ip,
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
      const user = await ctx.database.prisma.user.findUnique({ where: { id: input.id }, select: { email: true, role: true } });
      if (!user) throw new TRPCError({ code: "NOT_FOUND", message: "no such user" });
      if (input.id === ctx.viewer.id && input.role && input.role !== "admin") {
        throw new TRPCError({ code: "BAD_REQUEST", message: "you cannot take your own administrator role away" });
      }
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
      await audit(ctx.database, {
        actorId: ctx.viewer.id, actorEmail: ctx.viewer.email, action: "user-changed", target: user.email,
        detail: { role: input.role, allCustomers: input.allCustomers, customers: input.customerIds?.length }, ip: ctx.ip,
      });
      return { id: input.id };
    }),

  setPassword: adminProcedure
    .input(z.object({ id: z.string().min(1), password }))
    .mutation(async ({ ctx, input }) => {
      const user = await ctx.database.prisma.user.findUnique({ where: { id: input.id }, select: { email: true } });
      if (!user) throw new TRPCError({ code: "NOT_FOUND", message: "no such user" });
      await setPassword(ctx.database, input.id, input.password);
      // Everyone signed in with the old password is signed out.
      await ctx.database.prisma.session.deleteMany({ where: { userId: input.id } });
      await audit(ctx.database, { actorId: ctx.viewer.id, actorEmail: ctx.viewer.email, action: "user-password-set", target: user.email, ip: ctx.ip });
      return { id: input.id };
    }),

  delete: adminProcedure.input(z.object({ id: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    if (input.id === ctx.viewer.id) throw new TRPCError({ code: "BAD_REQUEST", message: "you cannot delete yourself" });
    const user = await ctx.database.prisma.user.findUnique({ where: { id: input.id }, select: { email: true } });
    if (!user) throw new TRPCError({ code: "NOT_FOUND", message: "no such user" });
    await ctx.database.prisma.user.delete({ where: { id: input.id } });
    await audit(ctx.database, { actorId: ctx.viewer.id, actorEmail: ctx.viewer.email, action: "user-deleted", target: user.email, ip: ctx.ip });
    return { id: input.id };
  }),
});

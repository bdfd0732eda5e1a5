/**
 * The typed door for pages. Read in order: context, then init, then procedures.
 *
 * Every procedure is built from one of the procedures below, never from `t.procedure` directly:
 * - publicProcedure: no customer data (health, product facts);
 * - viewerProcedure: reads, limited to the customers in `ctx.scope`;
 * - customerProcedure: a viewerProcedure whose input names a customer, checked against the scope;
 * - adminProcedure: changes to sources and customers.
 *
 * Accounts and roles come next (issue 4): they plug in here, in `createContext` (who is asking)
 * and in the middlewares (what they may see), so no router changes. Until then every request is
 * treated as an administrator who sees all customers.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import { db, type Database } from "../db/client";

// 1. Context -----------------------------------------------------------------------------------

export type Role = "admin" | "engineer" | "viewer";

/** Which customers a request may see: all, or a list of ids. */
export type CustomerScope = { kind: "all" } | { kind: "some"; customerIds: string[] };

export interface Viewer {
  id: string;
  role: Role;
  scope: CustomerScope;
}

export interface Context {
  database: Database;
  viewer: Viewer | null;
}

export async function createContext(options: { headers: Headers; database?: Database }): Promise<Context> {
  void options.headers;
  return {
    database: options.database ?? db(),
    viewer: { id: "local-admin", role: "admin", scope: { kind: "all" } },
  };
}

// 2. Init --------------------------------------------------------------------------------------

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      data: {
        ...shape.data,
        zodError: error.cause instanceof ZodError ? z.flattenError(error.cause) : null,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

// 3. Procedures --------------------------------------------------------------------------------

export const publicProcedure = t.procedure;

const signedIn = t.middleware(({ ctx, next }) => {
  if (!ctx.viewer) throw new TRPCError({ code: "UNAUTHORIZED", message: "sign in first" });
  return next({ ctx: { ...ctx, viewer: ctx.viewer } });
});

export const viewerProcedure = t.procedure.use(signedIn);

/** Prisma `where` that limits rows reached through a source to the viewer's customers. */
export function scopeWhere(scope: CustomerScope): { customerId?: { in: string[] } } {
  return scope.kind === "all" ? {} : { customerId: { in: scope.customerIds } };
}

export function inScope(scope: CustomerScope, customerId: string): boolean {
  return scope.kind === "all" || scope.customerIds.includes(customerId);
}

export const customerProcedure = viewerProcedure
  .input(z.object({ customerId: z.uuid() }))
  .use(({ ctx, input, next }) => {
    // Out of scope looks the same as missing: no hint that the customer exists.
    if (!inScope(ctx.viewer.scope, input.customerId)) {
      throw new TRPCError({ code: "NOT_FOUND", message: "no such customer" });
    }
    return next();
  });

export const adminProcedure = viewerProcedure.use(({ ctx, next }) => {
  if (ctx.viewer.role !== "admin") {
    throw new TRPCError({ code: "FORBIDDEN", message: "administrators only" });
  }
  return next();
});

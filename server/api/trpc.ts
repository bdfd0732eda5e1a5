/**
 * The typed door for pages and scripts. Read in order: context, then init, then procedures.
 *
 * Every procedure is built from one of the builders below, never from `t.procedure` (which is not
 * exported). Each builder tags its procedures with their access level in `meta.access`, and
 * tests/integration/access.test.ts calls every procedure of the root router as every kind of
 * caller: a procedure without a tag fails it.
 * - publicProcedure ("public"): no customer data (first-run setup, product facts);
 * - viewerProcedure ("viewer"): anyone signed in; reads limited to the customers in scope;
 * - customerProcedure ("customer"): input names a customer, checked against the scope;
 * - engineerProcedure ("engineer"): engineers and administrators (migration plans, exports);
 * - adminProcedure ("admin"): administrators (users, sources, credentials, model parameters).
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import { InvalidTokenError, resolveViewer, type CustomerScope, type Role, type Viewer } from "../auth/viewer";
import { db, type Database } from "../db/client";

export type { CustomerScope, Role, Viewer };

// 1. Context -----------------------------------------------------------------------------------

export interface Context {
  database: Database;
  viewer: Viewer | null;
  /** Set when the request carried a bad API token: refused even on public procedures' data. */
  authError?: string;
  ip?: string | null;
}

export async function createContext(options: { headers: Headers; database?: Database }): Promise<Context> {
  const database = options.database ?? db();
  const ip = options.headers.get("x-forwarded-for")?.split(",")[0]?.trim() ?? null;
  try {
    return { database, viewer: await resolveViewer(database, options.headers), ip };
  } catch (error) {
    if (error instanceof InvalidTokenError) return { database, viewer: null, authError: error.message, ip };
    throw error;
  }
}

export type Access = "public" | "viewer" | "customer" | "engineer" | "admin";
export interface Meta {
  access: Access;
}

// 2. Init --------------------------------------------------------------------------------------

const t = initTRPC.context<Context>().meta<Meta>().create({
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

export const publicProcedure = t.procedure.meta({ access: "public" });

const signedIn = t.middleware(({ ctx, next }) => {
  if (!ctx.viewer) {
    throw new TRPCError({ code: "UNAUTHORIZED", message: ctx.authError ?? "sign in first" });
  }
  return next({ ctx: { ...ctx, viewer: ctx.viewer } });
});

export const viewerProcedure = t.procedure.meta({ access: "viewer" }).use(signedIn);

export function inScope(scope: CustomerScope, customerId: string): boolean {
  return scope.kind === "all" || scope.customerIds.includes(customerId);
}

export const customerProcedure = viewerProcedure
  .meta({ access: "customer" })
  .input(z.object({ customerId: z.uuid() }))
  .use(({ ctx, input, next }) => {
    // Out of scope looks the same as missing: no hint that the customer exists.
    if (!inScope(ctx.viewer.scope, input.customerId)) {
      throw new TRPCError({ code: "NOT_FOUND", message: "no such customer" });
    }
    return next();
  });

export const engineerProcedure = viewerProcedure.meta({ access: "engineer" }).use(({ ctx, next }) => {
  if (ctx.viewer.role === "viewer") {
    throw new TRPCError({ code: "FORBIDDEN", message: "engineers and administrators only" });
  }
  return next();
});

export const adminProcedure = viewerProcedure.meta({ access: "admin" }).use(({ ctx, next }) => {
  if (ctx.viewer.role !== "admin") {
    throw new TRPCError({ code: "FORBIDDEN", message: "administrators only" });
  }
  return next();
});

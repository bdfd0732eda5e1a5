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
 *
 * Every input is checked for text the database cannot hold (a NUL character) and searches for
 * control characters, before any query (server/api/text.ts). An unexpected error reaches the caller
 * as a generic message with a reference, and the server log with that reference and the error.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import { z, ZodError } from "zod";
import { audit, clientIp, type AuditEntry } from "../auth/audit";
import { InvalidTokenError, resolveViewer, type CustomerScope, type Role, type Viewer } from "../auth/viewer";
import { db, type Database } from "../db/client";
import { reportInternalError } from "./errors";
import { transformer } from "./kept-answers";
import { inputTextProblem } from "./text";

export type { CustomerScope, Role, Viewer };

// 1. Context -----------------------------------------------------------------------------------

export interface Context {
  database: Database;
  viewer: Viewer | null;
  /** Set when the request carried a bad API token: refused even on public procedures' data. */
  authError?: string;
  /** The client's address (clientIp: the gate in server/http/gate.ts sets it). */
  ip?: string | null;
}

/**
 * `ctx.audit(action, { target, detail })` in every procedure: an audit log entry by the signed-in
 * user (actorId/actorEmail override, e.g. the first-run setup's new user) from the client's address.
 */
export type Audit = (action: string, entry?: Omit<AuditEntry, "action">) => Promise<void>;

function auditor(ctx: Context): Audit {
  return (action, entry = {}) =>
    audit(ctx.database, { actorId: ctx.viewer?.id, actorEmail: ctx.viewer?.email, ip: ctx.ip, ...entry, action });
}

export async function createContext(options: { headers: Headers; database?: Database; responseHeaders?: Headers }): Promise<Context> {
  const database = options.database ?? db();
  const ip = clientIp(options.headers);
  try {
    return { database, viewer: await resolveViewer(database, options.headers, options.responseHeaders), ip };
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
  transformer,
  errorFormatter({ shape, error, path }) {
    const data = {
      ...shape.data,
      zodError: error.cause instanceof ZodError ? z.flattenError(error.cause) : null,
    };
    // No stack (file paths, library internals), even in development.
    delete data.stack;
    if (error.code !== "INTERNAL_SERVER_ERROR") return { ...shape, data };
    // Not the error's own words (a database error names tables and queries): a reference the
    // server log has with the real error.
    return { ...shape, message: reportInternalError(`tRPC ${path ?? "?"}`, error.cause ?? error), data };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

// 3. Procedures --------------------------------------------------------------------------------

/** Text the database cannot hold, or a search has no use for: a 400 naming the field. */
const storableText = t.middleware(async ({ getRawInput, next }) => {
  const problem = inputTextProblem(await getRawInput());
  if (problem) throw new TRPCError({ code: "BAD_REQUEST", message: problem });
  return next();
});

const auditing = t.middleware(({ ctx, next }) => next({ ctx: { audit: auditor(ctx) } }));

export const publicProcedure = t.procedure.meta({ access: "public" }).use(auditing).use(storableText);

const signedIn = t.middleware(({ ctx, next }) => {
  if (!ctx.viewer) {
    throw new TRPCError({ code: "UNAUTHORIZED", message: ctx.authError ?? "sign in first" });
  }
  return next({ ctx: { ...ctx, viewer: ctx.viewer, audit: auditor(ctx) } });
});

export const viewerProcedure = t.procedure.meta({ access: "viewer" }).use(signedIn).use(storableText);

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

/** Engineers and administrators: what a viewer reads, plus exports (and migration plans to come). */
export function isEngineer(role: Role): boolean {
  return role === "engineer" || role === "admin";
}

export const engineerProcedure = viewerProcedure.meta({ access: "engineer" }).use(({ ctx, next }) => {
  if (!isEngineer(ctx.viewer.role)) {
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

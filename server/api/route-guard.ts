/**
 * What the route handlers for engineers (CSV and RVTools exports, uploads) check before they work,
 * the same way tRPC's procedures do: who is asking (session cookie or API token), whether their role
 * allows it, and whether the customer is in their scope. Each check returns the caller (or the
 * customer) or the answer that refuses the request, in plain text.
 */
import { z } from "zod";
import { InvalidTokenError, resolveViewer, type Viewer } from "../auth/viewer";
import type { Database } from "../db/client";
import { inScope, isEngineer } from "./trpc";

export const EXPORT_FORBIDDEN = "exports are for engineers and administrators: ask an administrator for the engineer role";

export function plainText(status: number, message: string): Response {
  return new Response(message, { status, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
}

/** Whoever is behind the request (session cookie or API token); otherwise 401 (nobody signed in, a bad token). */
export async function viewerOf(database: Database, request: Request): Promise<Viewer | Response> {
  let viewer: Viewer | null;
  try {
    viewer = await resolveViewer(database, request.headers);
  } catch (error) {
    if (error instanceof InvalidTokenError) return plainText(401, "invalid API token");
    throw error;
  }
  return viewer ?? plainText(401, "sign in first");
}

/**
 * The engineer or administrator behind the request; otherwise 401 (nobody signed in, a bad token)
 * or 403 saying `forbidden` ("exports are for engineers and administrators: …").
 */
export async function engineerOf(database: Database, request: Request, forbidden: string): Promise<Viewer | Response> {
  const viewer = await viewerOf(database, request);
  if (viewer instanceof Response) return viewer;
  if (!isEngineer(viewer.role)) return plainText(403, forbidden);
  return viewer;
}

const customerIdSchema = z.uuid();

/** The customer of that id in the viewer's scope; out of scope answers exactly as missing (404), with no hint it exists. */
export async function customerOf(database: Database, viewer: Viewer, customerId: string): Promise<{ id: string; name: string } | Response> {
  if (!customerIdSchema.safeParse(customerId).success || !inScope(viewer.scope, customerId)) return plainText(404, "no such customer");
  const customer = await database.prisma.customer.findUnique({ where: { id: customerId }, select: { id: true, name: true } });
  return customer ?? plainText(404, "no such customer");
}

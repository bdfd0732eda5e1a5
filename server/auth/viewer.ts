/**
 * Who is asking: a signed-in person (better-auth session cookie) or a script (Authorization:
 * Bearer flk_… API token). Role and customer scope are read fresh from the database on every
 * request, so a change by an administrator takes effect at once.
 */
import type { Database } from "../db/client";
import { getAuth } from "./auth";
import { TOKEN_PREFIX, verifyApiToken } from "./tokens";

export type Role = "admin" | "engineer" | "viewer";

/** Which customers a request may see: all, or a list of ids. */
export type CustomerScope = { kind: "all" } | { kind: "some"; customerIds: string[] };

export interface Viewer {
  id: string;
  email?: string;
  role: Role;
  scope: CustomerScope;
  via?: "session" | "token";
}

export class InvalidTokenError extends Error {
  constructor() {
    super("the API token is not valid (unknown or revoked)");
    this.name = "InvalidTokenError";
  }
}

export async function viewerForUser(database: Database, userId: string, via: Viewer["via"]): Promise<Viewer | null> {
  const user = await database.prisma.user.findUnique({
    where: { id: userId },
    select: { id: true, email: true, role: true, allCustomers: true, customers: { select: { customerId: true } } },
  });
  if (!user) return null;
  const all = user.role === "admin" || user.allCustomers;
  return {
    id: user.id,
    email: user.email,
    role: user.role,
    scope: all ? { kind: "all" } : { kind: "some", customerIds: user.customers.map((c) => c.customerId) },
    via,
  };
}

/** The viewer behind a request's headers; null when nobody is signed in; throws for a bad token. */
export async function resolveViewer(database: Database, headers: Headers): Promise<Viewer | null> {
  const authorization = headers.get("authorization");
  if (authorization?.startsWith("Bearer ")) {
    const token = authorization.slice("Bearer ".length).trim();
    if (!token.startsWith(TOKEN_PREFIX)) throw new InvalidTokenError();
    const userId = await verifyApiToken(database, token);
    if (!userId) throw new InvalidTokenError();
    return viewerForUser(database, userId, "token");
  }
  const session = await getAuth().api.getSession({ headers });
  return session ? viewerForUser(database, session.user.id, "session") : null;
}

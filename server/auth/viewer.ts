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
  // One statement (on every request): Prisma's relation query took 7 ms where this takes under 1.
  const { rows } = await database.pool.query<{ id: string; email: string; role: Role; all_customers: boolean; customer_ids: string[] }>(
    `SELECT u.id, u.email, u.role::text AS role, u.all_customers,
            ARRAY(SELECT a.customer_id::text FROM customer_access a WHERE a.user_id = u.id) AS customer_ids
       FROM "user" u WHERE u.id = $1`,
    [userId],
  );
  const user = rows[0];
  if (!user) return null;
  const all = user.role === "admin" || user.all_customers;
  return {
    id: user.id,
    email: user.email,
    role: user.role,
    scope: all ? { kind: "all" } : { kind: "some", customerIds: user.customer_ids },
    via,
  };
}

/**
 * The viewer behind a request's headers; null when nobody is signed in; throws for a bad token.
 * `responseHeaders`: where a session's renewed cookie goes (better-auth renews a session a day old,
 * and its cookie with it), so that the answer carries it to the browser.
 */
export async function resolveViewer(database: Database, headers: Headers, responseHeaders?: Headers): Promise<Viewer | null> {
  const authorization = headers.get("authorization");
  if (authorization?.startsWith("Bearer ")) {
    const token = authorization.slice("Bearer ".length).trim();
    if (!token.startsWith(TOKEN_PREFIX)) throw new InvalidTokenError();
    const userId = await verifyApiToken(database, token);
    if (!userId) throw new InvalidTokenError();
    return viewerForUser(database, userId, "token");
  }
  const { headers: set, response: session } = await getAuth().api.getSession({ headers, returnHeaders: true });
  for (const cookie of set.getSetCookie()) responseHeaders?.append("set-cookie", cookie);
  return session ? viewerForUser(database, session.user.id, "session") : null;
}

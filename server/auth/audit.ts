/**
 * The audit log: who did what, when. Sign-ins (and failed ones), sign-outs, user, token and
 * source changes, exports. Never holds a secret: callers pass names and ids, not values.
 */
import type { Database } from "../db/client";
import { withoutCredentials } from "./credentials";

export interface AuditEntry {
  actorId?: string | null;
  actorEmail?: string | null;
  action: string;
  target?: string | null;
  detail?: Record<string, unknown>;
  ip?: string | null;
}

export async function audit(database: Database, entry: AuditEntry): Promise<void> {
  await database.pool.query(
    `INSERT INTO audit_event (actor_id, actor_email, action, target, detail, ip) VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      entry.actorId ?? null,
      entry.actorEmail ?? null,
      entry.action,
      entry.target == null ? null : withoutCredentials(entry.target),
      // Never a credential, even one a caller passed by mistake (an endpoint's password, a key).
      JSON.stringify(entry.detail ?? {}, (_key, value: unknown) => (typeof value === "string" ? withoutCredentials(value) : value)),
      entry.ip ?? null,
    ],
  );
}

/**
 * The client's address, the one way to get it (tRPC context, sign-in hooks, CSV export): the HTTP
 * server's gate (server/http/gate.ts) replaces X-Forwarded-For with the real address (the socket's,
 * or the right-most untrusted hop behind FLEETLENS_TRUSTED_PROXIES), so its first element is it.
 */
export function clientIp(headers: Headers): string | null {
  return headers.get("x-forwarded-for")?.split(",")[0]?.trim() || null;
}

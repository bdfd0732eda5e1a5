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

/** The client's address as the proxy in front of Fleetlens (or Next.js itself) reports it. */
export function clientIp(headers: Headers): string | null {
  const forwarded = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  return forwarded || headers.get("x-real-ip") || null;
}

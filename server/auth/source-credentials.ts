/**
 * At start: credentials stored where they do not belong (before the sources router refused them,
 * see credentials.ts) are moved into the source's encrypted secret, or taken out.
 *
 * - An option holding a private key (a Docker `tlsKey` pasted as PEM, a libvirt `keyFile` holding
 *   the key itself): the key becomes the source's secret when it has none (the docker collector
 *   takes a TLS client key from the secret, libvirt its ssh key); else it is removed from the
 *   options, and the log says which source needs its key entered again.
 * - An endpoint with a password (`https://user:password@host/sdk`): the password becomes the secret
 *   when there is none, the user name the username when there is none, and the endpoint keeps
 *   neither. What cannot be moved is dropped, and the log says so.
 * - Audit entries that recorded such an endpoint keep it without its password.
 *
 * Log lines name the source and its customer, never a value. Idempotent: once moved, nothing is
 * left to move, and a start costs one read of the sources.
 */
import type { Database } from "../db/client";
import type { Prisma } from "../db/generated/client";
import { endpointCredentials, keyMaterialOptions, withoutCredentials } from "./credentials";
import { encryptSecret } from "./secret-box";

export interface MovedCredentials {
  /** Sources changed. */
  sources: number;
  /** Audit entries whose endpoint lost its password. */
  auditEntries: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export async function moveKeyMaterialToSecret(database: Database, log: (line: string) => void): Promise<MovedCredentials> {
  const sources = await database.prisma.source.findMany({
    select: { id: true, name: true, kind: true, endpoint: true, username: true, secret: true, options: true, customer: { select: { name: true } } },
    orderBy: { createdAt: "asc" },
  });
  let changed = 0;
  for (const source of sources) {
    const label = `source "${source.name}" of ${source.customer.name} (${source.id})`;
    const options = isRecord(source.options) ? { ...source.options } : {};
    const data: Prisma.SourceUpdateInput = {};
    let hasSecret = source.secret !== null;

    const keyOptions = keyMaterialOptions(options);
    if (keyOptions.length > 0) {
      const names = keyOptions.join(", ");
      const keys = [...new Set(keyOptions.map((k) => options[k] as string))];
      if (!hasSecret && keys.length === 1) {
        data.secret = new Uint8Array(encryptSecret(keys[0]!));
        hasSecret = true;
        log(`${label}: moved the private key in option ${names} into the source's encrypted secret`);
      } else {
        log(
          `${label}: removed the private key in option ${names} (the source has a secret already): ` +
            `enter the key again in the source's “Password or token” field, or give ${names} a file path`,
        );
      }
      for (const key of keyOptions) delete options[key];
      data.options = options as Prisma.InputJsonValue;
    }

    const credentials = endpointCredentials(source.kind, source.endpoint);
    if (credentials) {
      data.endpoint = credentials.endpoint;
      const moved: string[] = [];
      const dropped: string[] = [];
      if (credentials.user !== null) {
        if (!source.username) {
          data.username = credentials.user;
          moved.push("the user name into the Username field");
        } else if (source.username !== credentials.user) {
          dropped.push(`the user name (the Username field says ${source.username} and is kept)`);
        }
      }
      if (credentials.password !== null) {
        if (!hasSecret) {
          data.secret = new Uint8Array(encryptSecret(credentials.password));
          hasSecret = true;
          moved.push("the password into the source's encrypted secret");
        } else {
          dropped.push("the password (the source has a secret already: enter it again in the “Password or token” field if that one is not right)");
        }
      }
      log(
        `${label}: took the credentials out of the endpoint, now ${credentials.endpoint}` +
          (moved.length ? `; moved ${moved.join(" and ")}` : "") +
          (dropped.length ? `; dropped ${dropped.join(" and ")}` : ""),
      );
    }

    if (Object.keys(data).length > 0) {
      await database.prisma.source.update({ where: { id: source.id }, data });
      changed++;
    }
  }

  // Audit entries written before endpoints were checked may hold one with its password.
  const { rows } = await database.pool.query<{ id: string; endpoint: string }>(
    `SELECT id, detail->>'endpoint' AS endpoint FROM audit_event
      WHERE action IN ('source-created', 'source-deleted') AND detail->>'endpoint' ~ '://[^/?#]*:[^/?#]*@'`,
  );
  let auditEntries = 0;
  for (const row of rows) {
    const clean = withoutCredentials(row.endpoint);
    if (clean === row.endpoint) continue;
    await database.pool.query(`UPDATE audit_event SET detail = jsonb_set(detail, '{endpoint}', to_jsonb($2::text)) WHERE id = $1`, [row.id, clean]);
    auditEntries++;
  }
  if (auditEntries > 0) log(`removed endpoint passwords from ${auditEntries} audit ${auditEntries === 1 ? "entry" : "entries"}`);
  return { sources: changed, auditEntries };
}

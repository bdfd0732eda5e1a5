/**
 * Sign-in for people: better-auth with email and password, secure session cookies, and single
 * sign-on through an OpenID Connect provider when FLEETLENS_OIDC_* is set. There is no public
 * sign-up: users come from the first-run setup, FLEETLENS_ADMIN_*, an administrator, or SSO.
 *
 * Failed sign-ins are throttled per account (5 in 15 minutes lock the account for 15 minutes)
 * and per client address (better-auth's rate limit, stored in Postgres); sign-ins, failures and
 * sign-outs go to the audit log.
 */
import { betterAuth, type BetterAuthOptions } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { APIError, createAuthMiddleware, getSessionFromCtx } from "better-auth/api";
import { nextCookies } from "better-auth/next-js";
import { genericOAuth } from "better-auth/plugins/generic-oauth";
import { db, type Database } from "../db/client";
import { audit, clientIp } from "./audit";
import { persistentKey } from "./secret-box";
import { MIN_PASSWORD_LENGTH } from "./users";

export const ACCOUNT_LOCK = { failures: 5, windowMs: 15 * 60_000 };
export const SSO_PROVIDER_ID = "oidc";

/** Where users reach Fleetlens: FLEETLENS_URL, else http://localhost:PORT. */
export function baseUrl(): string {
  return (process.env.FLEETLENS_URL ?? `http://localhost:${process.env.PORT ?? 3000}`).replace(/\/$/, "");
}

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  name: string;
}

export function oidcSettings(env: NodeJS.ProcessEnv = process.env): OidcSettings | null {
  const issuer = env.FLEETLENS_OIDC_ISSUER;
  if (!issuer) return null;
  const clientId = env.FLEETLENS_OIDC_CLIENT_ID;
  const clientSecret = env.FLEETLENS_OIDC_CLIENT_SECRET;
  if (!clientId || !clientSecret) {
    throw new Error("FLEETLENS_OIDC_ISSUER is set: FLEETLENS_OIDC_CLIENT_ID and FLEETLENS_OIDC_CLIENT_SECRET are needed too");
  }
  return { issuer: issuer.replace(/\/$/, ""), clientId, clientSecret, name: env.FLEETLENS_OIDC_NAME ?? "single sign-on" };
}

const accountKey = (email: string) => `signin-account:${email.trim().toLowerCase()}`;

/** Failed sign-ins of one account inside the window; a success clears them. */
async function recentFailures(database: Database, email: string): Promise<{ count: number; since: number }> {
  const { rows } = await database.pool.query<{ count: number; last_request: string }>(
    `SELECT count, last_request FROM rate_limit WHERE key = $1`,
    [accountKey(email)],
  );
  const row = rows[0];
  if (!row || Date.now() - Number(row.last_request) > ACCOUNT_LOCK.windowMs) return { count: 0, since: 0 };
  return { count: row.count, since: Number(row.last_request) };
}

async function recordFailure(database: Database, email: string) {
  await database.pool.query(
    `INSERT INTO rate_limit (id, key, count, last_request) VALUES (gen_random_uuid()::text, $1, 1, $2)
     ON CONFLICT (key) DO UPDATE SET
       count = CASE WHEN $2 - rate_limit.last_request > $3 THEN 1 ELSE rate_limit.count + 1 END,
       last_request = $2`,
    [accountKey(email), Date.now(), ACCOUNT_LOCK.windowMs],
  );
}

export function createAuth(database: Database) {
  const oidc = oidcSettings();
  const url = baseUrl();
  const local = new URL(url);
  const trusted = new Set([url, ...(process.env.FLEETLENS_TRUSTED_ORIGINS ?? "").split(",").filter(Boolean)]);
  if (local.hostname === "localhost") trusted.add(url.replace("localhost", "127.0.0.1"));

  const options = {
    appName: "Fleetlens",
    baseURL: url,
    secret: persistentKey(process.env.FLEETLENS_AUTH_SECRET, "auth.secret").toString("hex"),
    trustedOrigins: [...trusted],
    database: prismaAdapter(database.prisma, { provider: "postgresql" }),
    emailAndPassword: {
      enabled: true,
      disableSignUp: true,
      minPasswordLength: MIN_PASSWORD_LENGTH,
      maxPasswordLength: 256,
    },
    user: {
      additionalFields: {
        role: { type: "string", input: false, defaultValue: process.env.FLEETLENS_OIDC_DEFAULT_ROLE ?? "viewer" },
        allCustomers: { type: "boolean", input: false, defaultValue: false },
      },
    },
    session: { expiresIn: 7 * 24 * 3600, updateAge: 24 * 3600 },
    rateLimit: {
      enabled: true,
      storage: "database",
      modelName: "rateLimit",
      window: 60,
      max: 200,
      customRules: { "/sign-in/email": { window: 60, max: 10 } },
    },
    advanced: { cookiePrefix: "fleetlens", useSecureCookies: local.protocol === "https:" },
    databaseHooks: {
      session: {
        create: {
          after: async (session) => {
            const user = await database.prisma.user.findUnique({ where: { id: session.userId }, select: { email: true } });
            await audit(database, {
              actorId: session.userId,
              actorEmail: user?.email,
              action: "sign-in",
              ip: session.ipAddress ?? null,
            });
          },
        },
      },
    },
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path === "/sign-out") {
          // After sign-out the session is gone: record who signs out before.
          const session = await getSessionFromCtx(ctx).catch(() => null);
          if (session) {
            await audit(database, {
              actorId: session.user.id,
              actorEmail: session.user.email,
              action: "sign-out",
              ip: ctx.request ? clientIp(ctx.request.headers) : null,
            });
          }
          return;
        }
        if (ctx.path !== "/sign-in/email") return;
        const email = String((ctx.body as { email?: unknown } | undefined)?.email ?? "");
        const { count, since } = await recentFailures(database, email);
        if (count >= ACCOUNT_LOCK.failures) {
          const minutes = Math.max(1, Math.ceil((since + ACCOUNT_LOCK.windowMs - Date.now()) / 60_000));
          throw new APIError("TOO_MANY_REQUESTS", {
            message: `Too many failed sign-ins for this account. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
          });
        }
      }),
      after: createAuthMiddleware(async (ctx) => {
        const ip = ctx.request ? clientIp(ctx.request.headers) : null;
        if (ctx.path === "/sign-in/email") {
          const email = String((ctx.body as { email?: unknown } | undefined)?.email ?? "").toLowerCase();
          if (ctx.context.returned instanceof APIError) {
            const status = ctx.context.returned.status;
            if (status === "UNAUTHORIZED") {
              await recordFailure(database, email);
              await audit(database, { actorEmail: email, action: "sign-in-failed", ip });
            }
          } else {
            await database.pool.query(`DELETE FROM rate_limit WHERE key = $1`, [accountKey(email)]);
          }
        }
        if (ctx.path === "/change-password" && ctx.context.session && !(ctx.context.returned instanceof APIError)) {
          await audit(database, {
            actorId: ctx.context.session.user.id,
            actorEmail: ctx.context.session.user.email,
            action: "password-changed",
            ip,
          });
        }
      }),
    },
    plugins: [
      ...(oidc
        ? [
            genericOAuth({
              config: [
                {
                  providerId: SSO_PROVIDER_ID,
                  discoveryUrl: `${oidc.issuer}/.well-known/openid-configuration`,
                  clientId: oidc.clientId,
                  clientSecret: oidc.clientSecret,
                  scopes: ["openid", "email", "profile"],
                  pkce: true,
                },
              ],
            }),
          ]
        : []),
      nextCookies(),
    ],
  } satisfies BetterAuthOptions;
  return betterAuth(options);
}

export type Auth = ReturnType<typeof createAuth>;

const globalForAuth = globalThis as unknown as { fleetlensAuth?: Auth };

/** The process-wide better-auth instance on the process-wide database. */
export function getAuth(): Auth {
  globalForAuth.fleetlensAuth ??= createAuth(db());
  return globalForAuth.fleetlensAuth;
}

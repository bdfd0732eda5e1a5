/**
 * Sign-in for people: better-auth with email and password, secure session cookies, and single
 * sign-on through an OpenID Connect provider when FLEETLENS_OIDC_* is set. There is no public
 * sign-up: users come from the first-run setup, FLEETLENS_ADMIN_*, an administrator, or SSO.
 *
 * Failed sign-ins are throttled per account and client address, with an account-wide delay that
 * addresses the owner signed in from skip (lockout.ts), and per client address (better-auth's rate
 * limit, stored in Postgres); sign-ins, failures and sign-outs go to the audit log. A new password
 * ends the user's other sessions and revokes their API tokens.
 */
import { betterAuth, type BetterAuthOptions } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { APIError, createAuthMiddleware, getSessionFromCtx } from "better-auth/api";
import { nextCookies } from "better-auth/next-js";
import { genericOAuth } from "better-auth/plugins/generic-oauth";
import { oidcSettings, setting } from "../config";
import { db, type Database } from "../db/client";
import { audit, clientIp } from "./audit";
import { claimSignInAttempt, clientNetwork, settleSignInAttempt } from "./lockout";
import { persistentKey } from "./secret-box";
import { baseUrl, trustedOrigins } from "./origin";
import { revokeAllApiTokens } from "./tokens";
import { MIN_PASSWORD_LENGTH } from "./users";

export const SSO_PROVIDER_ID = "oidc";

export { oidcSettings, type OidcSettings } from "../config";

export function createAuth(database: Database) {
  const oidc = oidcSettings();
  const url = baseUrl();
  const local = new URL(url);

  const options = {
    appName: "Fleetlens",
    baseURL: url,
    secret: persistentKey(setting("FLEETLENS_AUTH_SECRET"), "auth.secret").toString("hex"),
    trustedOrigins: trustedOrigins(),
    database: prismaAdapter(database.prisma, { provider: "postgresql" }),
    emailAndPassword: {
      enabled: true,
      disableSignUp: true,
      minPasswordLength: MIN_PASSWORD_LENGTH,
      maxPasswordLength: 256,
    },
    user: {
      additionalFields: {
        role: { type: "string", input: false, defaultValue: setting("FLEETLENS_OIDC_DEFAULT_ROLE") },
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
        if (ctx.path === "/change-password") {
          // A new password signs the user out everywhere else, whatever the request asks.
          return { context: { body: { ...(ctx.body as object), revokeOtherSessions: true } } };
        }
        if (ctx.path !== "/sign-in/email") return;
        const email = String((ctx.body as { email?: unknown } | undefined)?.email ?? "");
        const address = clientNetwork(ctx.request ? clientIp(ctx.request.headers) : null);
        const claim = await claimSignInAttempt(database, email, address);
        if (!claim.allowed) {
          throw new APIError(
            "TOO_MANY_REQUESTS",
            { message: claim.message, code: claim.scope === "address" ? "ACCOUNT_LOCKED_FOR_ADDRESS" : "ACCOUNT_THROTTLED" },
            { "Retry-After": String(claim.retryAfterSeconds) },
          );
        }
      }),
      after: createAuthMiddleware(async (ctx) => {
        const ip = ctx.request ? clientIp(ctx.request.headers) : null;
        if (ctx.path === "/sign-in/email") {
          const email = String((ctx.body as { email?: unknown } | undefined)?.email ?? "").toLowerCase();
          const address = clientNetwork(ip);
          const returned = ctx.context.returned;
          const userId = ctx.context.newSession?.user.id;
          if (returned instanceof APIError) {
            if (returned.status === "UNAUTHORIZED") {
              await settleSignInAttempt(database, email, address, { kind: "wrong-password" });
              await audit(database, { actorEmail: email, action: "sign-in-failed", ip });
            } else {
              await settleSignInAttempt(database, email, address, { kind: "not-an-attempt" });
            }
          } else {
            await settleSignInAttempt(database, email, address, userId ? { kind: "success", userId } : { kind: "not-an-attempt" });
          }
        }
        if (ctx.path === "/change-password" && ctx.context.session && !(ctx.context.returned instanceof APIError)) {
          // Whoever knew the old password may have made an API token with it: none survives.
          const tokensRevoked = await revokeAllApiTokens(database.prisma, ctx.context.session.user.id);
          await audit(database, {
            actorId: ctx.context.session.user.id,
            actorEmail: ctx.context.session.user.email,
            action: "password-changed",
            detail: { otherSessionsEnded: true, tokensRevoked },
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

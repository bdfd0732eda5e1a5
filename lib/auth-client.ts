/**
 * better-auth in the browser: sign-in, sign-out and password change against /api/auth on the
 * page's own origin (no base URL here, so the dashboard works under whatever address it is served).
 *
 * Single sign-on needs no client plugin: better-auth 1.7 registers the generic OAuth provider
 * ("oidc", server/auth/auth.ts) as a social provider, so it is `authClient.signIn.social`.
 */
import { createAuthClient } from "better-auth/react";

export const authClient = createAuthClient();

/** The provider id of the single sign-on provider (SSO_PROVIDER_ID on the server). */
export const SSO_PROVIDER_ID = "oidc";

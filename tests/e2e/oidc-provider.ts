/**
 * A small, real OpenID Connect provider on loopback (the `oidc-provider` library) for the SSO
 * tests: one confidential client, and its development login page, where any login name signs in
 * as <name>@sso.example.
 */
import type { Server } from "node:http";
import Provider from "oidc-provider";
import { freePort } from "./harness";

export interface RunningProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  stop(): Promise<void>;
}

export async function startOidcProvider(redirectUri: string): Promise<RunningProvider> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = "fleetlens";
  const clientSecret = "e2e-client-secret-that-is-long-enough";
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, email: `${sub}@sso.example`, email_verified: true, name: `SSO ${sub}` }),
    }),
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ["fleetlens-e2e-cookie-key"] },
  });
  const server: Server = provider.listen(port, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  return {
    issuer,
    clientId,
    clientSecret,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * CSRF defence for cookie-authenticated requests that change things:
 * - a POST whose Origin (or, when absent, Referer) is not one of Fleetlens' own origins is refused.
 *   The own origins come from the configuration (FLEETLENS_URL, FLEETLENS_TRUSTED_ORIGINS), never
 *   from request headers such as Host or X-Forwarded-Host, which whoever sends the request writes;
 * - API mutations take JSON only (mutationRefusal): a form post (urlencoded, multipart, text/plain)
 *   is what a cross-site page can send without a preflight, so it is refused whatever its origin.
 * Scripts with an API token send no Origin and are not affected; browsers always send Origin on
 * cross-site POSTs.
 */
import { setting, type Env } from "../config";

/** Where users reach Fleetlens: FLEETLENS_URL, else http://localhost:PORT. */
export function baseUrl(env: Env = process.env): string {
  return (setting("FLEETLENS_URL", env) ?? `http://localhost:${setting("PORT", env)}`).replace(/\/$/, "");
}

/**
 * Fleetlens' own origins: FLEETLENS_URL's, those in FLEETLENS_TRUSTED_ORIGINS (comma-separated),
 * and for a localhost URL the same on 127.0.0.1.
 */
export function trustedOrigins(env: Env = process.env): string[] {
  const url = new URL(baseUrl(env));
  const origins = new Set([url.origin]);
  if (url.hostname === "localhost") origins.add(`${url.protocol}//127.0.0.1${url.port ? `:${url.port}` : ""}`);
  for (const entry of setting("FLEETLENS_TRUSTED_ORIGINS", env)) origins.add(new URL(entry).origin);
  return [...origins];
}

export function crossSiteRefusal(request: Request, env: Env = process.env): Response | null {
  if (request.method === "GET" || request.method === "HEAD" || request.method === "OPTIONS") return null;
  const claimed = request.headers.get("origin") ?? request.headers.get("referer");
  if (!claimed) return null;
  let origin: string;
  try {
    origin = new URL(claimed).origin;
  } catch {
    return refusal();
  }
  return trustedOrigins(env).includes(origin) ? null : refusal();
}

/** API mutations (tRPC POSTs) take application/json only. */
export function mutationRefusal(request: Request): Response | null {
  if (request.method !== "POST") return null;
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json") return null;
  return Response.json(
    { error: `this API takes application/json request bodies, not ${type || "a body without a content type"}` },
    { status: 415 },
  );
}

function refusal() {
  return Response.json(
    { error: "cross-site request refused: this request did not come from Fleetlens' own pages" },
    { status: 403 },
  );
}

/**
 * CSRF defence for cookie-authenticated requests that change things: a POST whose Origin (or, when
 * absent, Referer) is another site is refused. Scripts with an API token send no Origin and are
 * not affected; browsers always send Origin on cross-site POSTs.
 */
export function crossSiteRefusal(request: Request): Response | null {
  if (request.method === "GET" || request.method === "HEAD" || request.method === "OPTIONS") return null;
  const claimed = request.headers.get("origin") ?? request.headers.get("referer");
  if (!claimed) return null;
  let origin: URL;
  try {
    origin = new URL(claimed);
  } catch {
    return refusal();
  }
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host");
  return origin.host === host ? null : refusal();
}

function refusal() {
  return Response.json(
    { error: "cross-site request refused: this request did not come from Fleetlens' own pages" },
    { status: 403 },
  );
}

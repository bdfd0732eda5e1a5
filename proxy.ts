/**
 * Every page request passes here:
 * - a Content Security Policy with a fresh nonce: only scripts that carry it (Next.js adds it to
 *   its own) and what they load may run, so injected markup (an inline handler, a <script>) cannot;
 * - pages need a signed-in user: without a session cookie, a page request goes to /login (which
 *   sends the very first visitor on to /setup). An optimistic check only: every tRPC procedure and
 *   route handler checks the session and the customer scope itself.
 */
import { getSessionCookie } from "better-auth/cookies";
import { NextResponse, type NextRequest } from "next/server";

const OPEN = ["/login", "/setup"];

export function contentSecurityPolicy(nonce: string, dev: boolean): string {
  return [
    "default-src 'self'",
    // 'strict-dynamic': scripts loaded by a nonced script may run (Next.js loads its chunks so);
    // `next dev` also needs eval for fast refresh.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    // Styles stay inline-capable: Next.js and the charts set style attributes.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${dev ? " ws:" : ""}`,
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join("; ");
}

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  const open = OPEN.some((p) => pathname === p || pathname.startsWith(`${p}/`));
  if (!open && !getSessionCookie(request, { cookiePrefix: "fleetlens" })) {
    const login = new URL("/login", request.url);
    if (pathname !== "/") login.searchParams.set("next", `${pathname}${search}`);
    return NextResponse.redirect(login);
  }
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const policy = contentSecurityPolicy(nonce, process.env.NODE_ENV === "development");
  // Next.js reads the nonce from the request's policy and puts it on the scripts it renders.
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("content-security-policy", policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", policy);
  return response;
}

export const config = {
  // Pages only: API routes answer 401 themselves (and get a policy that allows nothing, see
  // next.config.js), static assets need no session.
  matcher: ["/((?!api/|_next/|icon.svg|favicon.ico).*)"],
};

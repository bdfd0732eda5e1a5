/**
 * Pages need a signed-in user: without a session cookie, a page request goes to /login (which
 * sends the very first visitor on to /setup). An optimistic check only: every tRPC procedure and
 * route handler checks the session and the customer scope itself.
 */
import { getSessionCookie } from "better-auth/cookies";
import { NextResponse, type NextRequest } from "next/server";

const OPEN = ["/login", "/setup"];

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  if (OPEN.some((p) => pathname === p || pathname.startsWith(`${p}/`))) return NextResponse.next();
  if (getSessionCookie(request, { cookiePrefix: "fleetlens" })) return NextResponse.next();
  const login = new URL("/login", request.url);
  if (pathname !== "/") login.searchParams.set("next", `${pathname}${search}`);
  return NextResponse.redirect(login);
}

export const config = {
  // Pages only: API routes answer 401 themselves, static assets need no session.
  matcher: ["/((?!api/|_next/|icon.svg|favicon.ico).*)"],
};

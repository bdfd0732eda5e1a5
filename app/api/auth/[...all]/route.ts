import { toNextJsHandler } from "better-auth/next-js";
import { getAuth } from "@/server/auth/auth";
import { crossSiteRefusal } from "@/server/auth/origin";

export const dynamic = "force-dynamic";

// better-auth's own endpoints (sign-in, sign-out, session, password change, SSO callback). Posts
// from another site are refused first, sign-in included (no login CSRF).
export const GET = (request: Request) => toNextJsHandler(getAuth()).GET(request);
export const POST = (request: Request) =>
  crossSiteRefusal(request) ?? toNextJsHandler(getAuth()).POST(request);

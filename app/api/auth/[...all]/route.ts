import { toNextJsHandler } from "better-auth/next-js";
import { internalErrorResponse } from "@/server/api/errors";
import { getAuth } from "@/server/auth/auth";
import { crossSiteRefusal } from "@/server/auth/origin";

export const dynamic = "force-dynamic";

// better-auth's own endpoints (sign-in, sign-out, session, password change, SSO callback). Posts
// from another site are refused first, sign-in included (no login CSRF).
// An unexpected error (better-auth answers its own with an empty 500) gets a reference, logged
// with the error, rather than whatever the framework would show.
const guarded = async (handle: () => Promise<Response>) => {
  try {
    return await handle();
  } catch (error) {
    return internalErrorResponse("auth", error);
  }
};

export const GET = (request: Request) => guarded(() => toNextJsHandler(getAuth()).GET(request));
export const POST = (request: Request) =>
  crossSiteRefusal(request) ?? guarded(() => toNextJsHandler(getAuth()).POST(request));

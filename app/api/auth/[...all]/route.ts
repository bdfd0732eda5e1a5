import { toNextJsHandler } from "better-auth/next-js";
import { getAuth } from "@/server/auth/auth";

export const dynamic = "force-dynamic";

// better-auth's own endpoints (sign-in, sign-out, session, password change, SSO callback); it
// checks the Origin of state-changing requests against FLEETLENS_URL itself.
export const GET = (request: Request) => toNextJsHandler(getAuth()).GET(request);
export const POST = (request: Request) => toNextJsHandler(getAuth()).POST(request);

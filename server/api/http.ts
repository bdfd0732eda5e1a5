/**
 * The tRPC endpoint as a fetch handler: cross-site requests and mutations sent any way but POST are
 * refused first (auth/origin.ts), then the router answers with the caller's context. Served by
 * server/http/serve.ts itself (server/http/trpc.ts), and by app/api/trpc's route where Next.js
 * serves it (the route tests).
 */
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { crossSiteRefusal, mutationRefusal } from "../auth/origin";
import { appRouter } from "./root";
import { createContext } from "./trpc";

export async function trpcHandler(request: Request): Promise<Response> {
  const refused = crossSiteRefusal(request) ?? mutationRefusal(request);
  if (refused) return refused;
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    // A session renewed on the way (better-auth's daily renewal) sends its new cookie with the answer.
    createContext: ({ resHeaders }) => createContext({ headers: request.headers, responseHeaders: resHeaders }),
    // Unexpected errors are logged, with the reference the caller gets, by trpc.ts's errorFormatter.
  });
}

import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import { crossSiteRefusal, mutationRefusal } from "@/server/auth/origin";

export const dynamic = "force-dynamic";

function handler(request: Request) {
  const refused = crossSiteRefusal(request) ?? mutationRefusal(request);
  if (refused) return refused;
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    createContext: () => createContext({ headers: request.headers }),
    // Unexpected errors are logged, with the reference the caller gets, by trpc.ts's errorFormatter.
  });
}

export { handler as GET, handler as POST };

import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import { crossSiteRefusal } from "@/server/auth/origin";

export const dynamic = "force-dynamic";

function handler(request: Request) {
  const refused = crossSiteRefusal(request);
  if (refused) return refused;
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    createContext: () => createContext({ headers: request.headers }),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${path ?? "?"}:`, error.message);
    },
  });
}

export { handler as GET, handler as POST };

"use client";
/**
 * The tRPC client for pages: `useTRPC()` gives typed queryOptions/mutationOptions for TanStack
 * Query (`useQuery(trpc.fleet.overview.queryOptions())`).
 *
 * A call that fails with UNAUTHORIZED (the session ended or was revoked) sends the whole app to
 * the sign-in page, coming back here afterwards: once, here, rather than in every page.
 */
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState, type ReactNode } from "react";
import superjson from "superjson";
import { isOpenPath, loginPath } from "@/components/auth/redirect";
import { errorCode } from "@/components/errors";
import type { AppRouter } from "@/server/api/root";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

let redirectingToLogin = false;

function signInAgainOnUnauthorized(error: unknown) {
  if (errorCode(error) !== "UNAUTHORIZED" || typeof window === "undefined" || redirectingToLogin) return;
  const { pathname, search } = window.location;
  if (isOpenPath(pathname)) return;
  redirectingToLogin = true;
  window.location.assign(loginPath(`${pathname}${search}`));
}

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        queryCache: new QueryCache({ onError: signInAgainOnUnauthorized }),
        mutationCache: new MutationCache({ onError: signInAgainOnUnauthorized }),
        defaultOptions: {
          queries: {
            staleTime: 15_000,
            // Signing in again is the only cure for UNAUTHORIZED: no retry before redirecting.
            retry: (failures, error) => errorCode(error) !== "UNAUTHORIZED" && failures < 1,
          },
        },
      }),
  );
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: "/api/trpc", transformer: superjson })],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}

"use client";
import { useQuery } from "@tanstack/react-query";
import { useSyncExternalStore } from "react";
import { useTRPC } from "@/lib/trpc";

const noSubscription = () => () => undefined;

/**
 * The signed-in user's role once the page is hydrated; null on the server and while hydrating.
 *
 * The header's user menu asks for `account.me` as soon as it hydrates. A part of the page that
 * hydrates later (inside a Suspense boundary, as the customer page does) may then find the answer
 * already cached and render an engineer's controls that the server's HTML (rendered without it)
 * lacks: a hydration mismatch (React #418) that depends on timing. Reading the role only after
 * hydration makes the first client render equal the server's every time.
 */
function useRole(): string | null {
  const trpc = useTRPC();
  const hydrated = useSyncExternalStore(noSubscription, () => true, () => false);
  const role = useQuery(trpc.account.me.queryOptions()).data?.role ?? null;
  return hydrated ? role : null;
}

/** Whether the signed-in user is an administrator: hides controls the server would refuse anyway. */
export function useIsAdmin(): boolean {
  return useRole() === "admin";
}

/** Whether the signed-in user is an engineer or an administrator (exports, uploads). */
export function useIsEngineer(): boolean {
  const role = useRole();
  return role === "engineer" || role === "admin";
}

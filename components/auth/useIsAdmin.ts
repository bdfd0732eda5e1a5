"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";

/** Whether the signed-in user is an administrator: hides controls the server would refuse anyway. */
export function useIsAdmin(): boolean {
  const trpc = useTRPC();
  return useQuery(trpc.account.me.queryOptions()).data?.role === "admin";
}

/** Whether the signed-in user is an engineer or an administrator (exports, uploads). */
export function useIsEngineer(): boolean {
  const trpc = useTRPC();
  const role = useQuery(trpc.account.me.queryOptions()).data?.role;
  return role === "engineer" || role === "admin";
}

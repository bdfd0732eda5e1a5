import type { CustomerScope } from "../trpc";

/** Customer ids for SQL filters: null means every customer. */
export function scopeIds(scope: CustomerScope): string[] | null {
  return scope.kind === "all" ? null : scope.customerIds;
}

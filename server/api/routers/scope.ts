import { TRPCError } from "@trpc/server";
import type { Database } from "../../db/client";
import type { CustomerScope } from "../trpc";

/** Customer ids for SQL filters: null means every customer. */
export function scopeIds(scope: CustomerScope): string[] | null {
  return scope.kind === "all" ? null : scope.customerIds;
}

/**
 * Refuses customer ids that name no customer (a user's scope in a form): a 400 naming the first,
 * rather than the database's foreign-key error.
 */
export async function requireCustomers(database: Database, customerIds: readonly string[] | undefined): Promise<void> {
  const wanted = [...new Set(customerIds ?? [])];
  if (wanted.length === 0) return;
  const found = await database.prisma.customer.findMany({ where: { id: { in: wanted } }, select: { id: true } });
  const known = new Set(found.map((c) => c.id));
  const missing = wanted.find((id) => !known.has(id));
  if (missing) throw new TRPCError({ code: "BAD_REQUEST", message: `customerIds: no such customer ${missing}` });
}

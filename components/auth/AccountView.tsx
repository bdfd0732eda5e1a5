"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";
import { Badge } from "../ui/Badge";
import { Card } from "../ui/Card";
import { QueryError } from "../ui/ErrorMessage";
import { Skeleton } from "../ui/Spinner";
import { ApiTokens } from "./ApiTokens";
import { ChangePasswordForm } from "./ChangePasswordForm";
import { roleLabel, roleTone, ROLES } from "./roles";

/** Who you are, your password, your API tokens. */
export function AccountView() {
  const trpc = useTRPC();
  const me = useQuery(trpc.account.me.queryOptions());
  const user = me.data;

  return (
    <div className="max-w-3xl space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Your account</h1>
        <p className="mt-1 text-sm text-slate-600">Who you are in Fleetlens, your password, and tokens for scripts.</p>
      </div>

      <Card as="section" className="p-4">
        <h2 className="mb-3 text-base font-semibold">Who you are</h2>
        {me.error ? (
          <QueryError title="Could not load your account" query={me} />
        ) : (
          <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-2 text-sm">
            <dt className="text-slate-500">Name</dt>
            <dd className="text-slate-900">{user ? user.name : <Skeleton className="h-5 w-40" />}</dd>
            <dt className="text-slate-500">Email</dt>
            <dd className="text-slate-900">{user ? user.email : <Skeleton className="h-5 w-56" />}</dd>
            <dt className="text-slate-500">Role</dt>
            <dd>
              {user ? (
                <span className="flex flex-wrap items-center gap-2">
                  <Badge tone={roleTone(user.role)}>{roleLabel(user.role)}</Badge>
                  <span className="text-slate-600">{ROLES.find((r) => r.value === user.role)?.description}</span>
                </span>
              ) : (
                <Skeleton className="h-5 w-24" />
              )}
            </dd>
            <dt className="text-slate-500">Customers you see</dt>
            <dd className="text-slate-900">
              {!user ? (
                <Skeleton className="h-5 w-48" />
              ) : user.customers === null ? (
                "All customers"
              ) : user.customers.length === 0 ? (
                <span className="text-amber-800">
                  None yet: ask an administrator to give you access to your customers.
                </span>
              ) : (
                <ul className="flex flex-wrap gap-1.5">
                  {user.customers.map((customer) => (
                    <li key={customer.id}>
                      <Badge>{customer.name}</Badge>
                    </li>
                  ))}
                </ul>
              )}
            </dd>
          </dl>
        )}
        <p className="mt-3 text-xs text-slate-500">Only an administrator can change your role or your customers.</p>
      </Card>

      <ChangePasswordForm email={user?.email} />
      <ApiTokens />
    </div>
  );
}

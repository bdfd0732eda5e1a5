"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { useTRPC } from "@/lib/trpc";
import { describeError } from "../errors";
import { roleLabel, roleTone } from "../auth/roles";
import { formatDateTime, pluralize } from "../format";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { ConfirmDialog } from "../ui/ConfirmDialog";
import { ErrorMessage, QueryError } from "../ui/ErrorMessage";
import { Skeleton } from "../ui/Spinner";
import { AdminOnly } from "./AdminOnly";
import { SetPasswordForm } from "./SetPasswordForm";
import { UserForm, type User } from "./UserForm";
import { Notice } from "../ui/Notice";

const th = "px-3 py-2 text-left font-semibold whitespace-nowrap";
const COLUMNS = 7;

/** "Password", "SSO" or both, from the user's better-auth accounts. */
function signInMethods(user: User): string {
  const methods = new Set(user.accounts.map((a) => (a.providerId === "credential" ? "Password" : "SSO")));
  return methods.size === 0 ? "None" : [...methods].sort((a, b) => (a === "Password" ? -1 : b === "Password" ? 1 : 0)).join(", ");
}

function CustomersCell({ user }: { user: User }) {
  if (user.role === "admin") return <span title="Administrators see all customers">All</span>;
  if (user.allCustomers) return <span>All</span>;
  const names = user.customers.map((c) => c.customer.name).sort((a, b) => a.localeCompare(b));
  if (names.length === 0) return <span className="text-amber-800 dark:text-amber-200">None</span>;
  const shown = names.slice(0, 3);
  return (
    <span title={names.join(", ")}>
      {shown.join(", ")}
      {names.length > shown.length && <span className="text-slate-500 dark:text-slate-400"> and {names.length - shown.length} more</span>}
    </span>
  );
}

type Panel = { userId: string; kind: "edit" | "password" } | null;

function Users({ meId }: { meId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.list.queryOptions());
  const customers = useQuery(trpc.customers.list.queryOptions());
  const [adding, setAdding] = useState(false);
  const [panel, setPanel] = useState<Panel>(null);
  const [deleting, setDeleting] = useState<User | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.users.pathFilter()),
      queryClient.invalidateQueries(trpc.account.pathFilter()),
    ]);
  const unlock = useMutation(
    trpc.users.unlock.mutationOptions({
      onSuccess: async (_, { id }) => {
        await refresh();
        const user = users.data?.find((u) => u.id === id);
        setNotice(`Unlocked ${user?.email ?? "the user"}: their failed sign-ins are forgotten, and they can sign in from any address.`);
      },
    }),
  );
  const remove = useMutation(
    trpc.users.delete.mutationOptions({
      onSuccess: async () => {
        await refresh();
        if (deleting) setNotice(`Deleted ${deleting.email}. They are signed out and their API tokens no longer work.`);
        setDeleting(null);
      },
    }),
  );

  // The list is fresh before the form closes, so the row never shows its old values.
  const done = async (message: string) => {
    await refresh();
    setNotice(message);
    setAdding(false);
    setPanel(null);
  };

  const list = users.data;
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Users</h1>
          <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
            Who may sign in, their role, and which customers they see. Changes apply at once, also to their API tokens.
          </p>
        </div>
        {!adding && (
          <Button
            variant="primary"
            onClick={() => {
              setAdding(true);
              setPanel(null);
              setNotice(null);
            }}
          >
            Add user
          </Button>
        )}
      </div>

      {notice && (
        <Notice tone="success" onDismiss={() => setNotice(null)}>
          {notice}
        </Notice>
      )}

      {unlock.error && <ErrorMessage title="The user was not unlocked" error={describeError(unlock.error)} />}

      {adding && (
        <Card as="section" className="p-4">
          <h2 className="mb-4 text-base font-semibold">Add a user</h2>
          <UserForm customers={customers.data} onDone={done} onCancel={() => setAdding(false)} />
        </Card>
      )}

      <Card as="section" className="overflow-hidden">
        <div className="border-b border-slate-200 dark:border-slate-700 px-4 py-2.5">
          <h2 className="text-sm font-semibold">{list ? pluralize(list.length, "user") : "Users"}</h2>
        </div>
        <div className="relative overflow-x-auto">
          <table className="w-full border-collapse text-sm" aria-label="Users">
            <thead className="bg-slate-50 dark:bg-slate-800 text-xs text-slate-600 dark:text-slate-400">
              <tr className="border-b border-slate-200 dark:border-slate-700">
                <th scope="col" className={th}>Name</th>
                <th scope="col" className={th}>Email</th>
                <th scope="col" className={th}>Role</th>
                <th scope="col" className={th}>Customers</th>
                <th scope="col" className={th}>Sign-in</th>
                <th scope="col" className={th}>Created</th>
                <th scope="col" className={th}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {users.isPending ? (
                Array.from({ length: 3 }, (_, row) => (
                  <tr key={row}>
                    {Array.from({ length: COLUMNS }, (_, i) => (
                      <td key={i} className="px-3 py-2.5">
                        <Skeleton className="h-4 w-24" />
                      </td>
                    ))}
                  </tr>
                ))
              ) : users.error ? (
                <tr>
                  <td colSpan={COLUMNS} className="p-4">
                    <QueryError title="Could not load the users" query={users} />
                  </td>
                </tr>
              ) : (
                list?.map((user) => {
                  const self = user.id === meId;
                  const open = panel?.userId === user.id ? panel.kind : null;
                  return (
                    <Fragment key={user.id}>
                      <tr className={open ? "bg-slate-50 dark:bg-slate-800" : "hover:bg-slate-50/80 dark:hover:bg-slate-800/40"}>
                        <td className="px-3 py-2 font-medium text-slate-900 dark:text-slate-100">
                          <span className="flex items-center gap-2">
                            {user.name}
                            {self && <Badge tone="brand">You</Badge>}
                          </span>
                        </td>
                        <td className="px-3 py-2">{user.email}</td>
                        <td className="px-3 py-2">
                          <Badge tone={roleTone(user.role)}>{roleLabel(user.role)}</Badge>
                        </td>
                        <td className="max-w-72 px-3 py-2">
                          <CustomersCell user={user} />
                        </td>
                        <td className="px-3 py-2 whitespace-nowrap">
                          <span className="flex items-center gap-2">
                            {signInMethods(user)}
                            {user.locked && (
                              <Badge
                                tone="red"
                                title={`${pluralize(user.failedSignIns, "failed sign-in")} in the last 15 minutes: some addresses are locked out, or every attempt must wait`}
                              >
                                Locked
                              </Badge>
                            )}
                          </span>
                        </td>
                        <td className="px-3 py-2 whitespace-nowrap text-slate-600 dark:text-slate-400">{formatDateTime(user.createdAt)}</td>
                        <td className="px-3 py-2">
                          <div className="flex justify-end gap-1.5">
                            {user.locked && (
                              <Button
                                size="sm"
                                busy={unlock.isPending && unlock.variables?.id === user.id}
                                onClick={() => {
                                  setNotice(null);
                                  unlock.mutate({ id: user.id });
                                }}
                              >
                                Unlock<span className="sr-only"> {user.email}</span>
                              </Button>
                            )}
                            <Button
                              size="sm"
                              aria-expanded={open === "edit"}
                              onClick={() => {
                                setNotice(null);
                                setAdding(false);
                                setPanel(open === "edit" ? null : { userId: user.id, kind: "edit" });
                              }}
                            >
                              Edit<span className="sr-only"> {user.email}</span>
                            </Button>
                            <Button
                              size="sm"
                              aria-expanded={open === "password"}
                              onClick={() => {
                                setNotice(null);
                                setAdding(false);
                                setPanel(open === "password" ? null : { userId: user.id, kind: "password" });
                              }}
                            >
                              Set password<span className="sr-only"> for {user.email}</span>
                            </Button>
                            <Button
                              size="sm"
                              variant="danger"
                              disabled={self}
                              title={self ? "You cannot delete yourself" : undefined}
                              onClick={() => {
                                remove.reset();
                                setNotice(null);
                                setDeleting(user);
                              }}
                            >
                              Delete<span className="sr-only"> {user.email}</span>
                            </Button>
                          </div>
                        </td>
                      </tr>
                      {open && (
                        <tr className="bg-slate-50 dark:bg-slate-800">
                          <td colSpan={COLUMNS} className="px-4 pt-2 pb-4">
                            <h3 className="mb-3 text-sm font-semibold">
                              {open === "edit" ? `Edit ${user.email}` : `Set a new password for ${user.email}`}
                            </h3>
                            {open === "edit" ? (
                              <UserForm
                                user={user}
                                self={self}
                                customers={customers.data}
                                onDone={done}
                                onCancel={() => setPanel(null)}
                              />
                            ) : (
                              <SetPasswordForm user={user} onDone={done} onCancel={() => setPanel(null)} />
                            )}
                          </td>
                        </tr>
                      )}
                    </Fragment>
                  );
                })
              )}
            </tbody>
          </table>
        </div>
      </Card>

      <ConfirmDialog
        open={deleting !== null}
        title={`Delete ${deleting?.email ?? ""}?`}
        confirmLabel="Delete user"
        destructive
        busy={remove.isPending}
        error={remove.error ? describeError(remove.error) : undefined}
        onConfirm={() => deleting && remove.mutate({ id: deleting.id })}
        onCancel={() => setDeleting(null)}
      >
        {deleting?.name || deleting?.email} can no longer sign in, is signed out at once, and their API tokens stop
        working. The audit log keeps what they did.
      </ConfirmDialog>
    </div>
  );
}

export function UsersView() {
  return <AdminOnly>{(me) => <Users meId={me.id} />}</AdminOnly>;
}

"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useId, useRef, useState } from "react";
import { useTRPC } from "@/lib/trpc";
import type { RouterOutputs } from "../api-types";
import { useIsAdmin, useIsEngineer } from "../auth/useIsAdmin";
import { pluralize } from "../format";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { ConfirmDialog } from "../ui/ConfirmDialog";
import { cx, focusRing } from "../ui/cx";
import { EmptyState } from "../ui/EmptyState";
import { ErrorMessage, QueryError } from "../ui/ErrorMessage";
import { compactSelectClasses } from "../ui/Field";
import { Skeleton } from "../ui/Spinner";
import { SourceForm } from "./SourceForm";
import { SourceRows } from "./SourceRows";
import { Notice } from "../ui/Notice";

type Source = RouterOutputs["sources"]["list"][number];

const th = "px-3 py-2 font-semibold whitespace-nowrap text-left";

export function SourcesView() {
  const isAdmin = useIsAdmin();
  const trpc = useTRPC();
  const canUpload = useIsEngineer();
  const queryClient = useQueryClient();
  const filterId = useId();
  const [customerFilter, setCustomerFilter] = useState("");
  const [adding, setAdding] = useState(false);
  const [editingId, setEditingId] = useState<string | null>(null);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [deleting, setDeleting] = useState<Source | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [uploadError, setUploadError] = useState<string | null>(null);

  const customers = useQuery(trpc.customers.list.queryOptions());
  const kinds = useQuery(trpc.sources.kinds.queryOptions());
  const sources = useQuery({
    ...trpc.sources.list.queryOptions(customerFilter ? { customerId: customerFilter } : {}),
    // While a collection runs, follow it every 2 s.
    refetchInterval: (query) => (query.state.data?.some((s) => s.status === "running") ? 2000 : false),
  });

  // When collections finish, what they collected changes the fleet, customer pages and run history.
  const anyRunning = sources.data?.some((s) => s.status === "running") ?? false;
  const wasRunning = useRef(false);
  useEffect(() => {
    if (wasRunning.current && !anyRunning) {
      void queryClient.invalidateQueries(trpc.fleet.pathFilter());
      void queryClient.invalidateQueries(trpc.customers.pathFilter());
      void queryClient.invalidateQueries(trpc.inventory.pathFilter());
      void queryClient.invalidateQueries(trpc.sources.runs.pathFilter());
    }
    wasRunning.current = anyRunning;
  }, [anyRunning, queryClient, trpc]);

  const refreshAll = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.sources.pathFilter()),
      queryClient.invalidateQueries(trpc.fleet.pathFilter()),
      queryClient.invalidateQueries(trpc.customers.pathFilter()),
      queryClient.invalidateQueries(trpc.inventory.pathFilter()),
    ]);

  const collectNow = useMutation(
    trpc.sources.collectNow.mutationOptions({
      onSuccess: async (_data, { id }) => {
        setExpanded((old) => new Set(old).add(id));
        await queryClient.invalidateQueries(trpc.sources.pathFilter());
      },
    }),
  );
  const toggle = useMutation(trpc.sources.update.mutationOptions({ onSuccess: refreshAll }));
  const remove = useMutation(
    trpc.sources.delete.mutationOptions({
      onSuccess: async () => {
        if (deleting) setNotice(`Deleted the source “${deleting.name}” and the inventory it collected.`);
        setDeleting(null);
        await refreshAll();
      },
    }),
  );

  const list = sources.data;
  const noSourcesAtAll = list !== undefined && list.length === 0 && !customerFilter;
  // Endpoints, user names and options come to administrators only (they manage sources).
  const showConnection = list?.some((s) => s.connection !== null) ?? false;
  const columns = showConnection ? 7 : 6;
  const actionError = collectNow.error ?? toggle.error;

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Sources</h1>
          <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
            The vCenters, KVM hosts and Docker engines Fleetlens collects inventory from, per customer.
          </p>
        </div>
        {isAdmin && !adding && !noSourcesAtAll && (
          <Button
            variant="primary"
            onClick={() => {
              setAdding(true);
              setNotice(null);
            }}
          >
            Add source
          </Button>
        )}
      </div>

      {notice && (
        <Notice tone="success" onDismiss={() => setNotice(null)}>
          {notice}
        </Notice>
      )}

      {isAdmin && (adding || noSourcesAtAll) && (
        <Card as="section" className="p-4">
          <h2 className="mb-1 text-base font-semibold">{noSourcesAtAll ? "Add your first source" : "Add a source"}</h2>
          <p className="mb-4 text-sm text-slate-600 dark:text-slate-400">
            Choose the customer, then where Fleetlens connects to. Credentials are stored encrypted and are never shown
            again.
          </p>
          <SourceForm
            defaultCustomerId={customerFilter || undefined}
            onDone={async ({ name, kind }) => {
              setAdding(false);
              const uploaded = kinds.data?.find((k) => k.kind === kind)?.upload;
              setNotice(
                uploaded
                  ? `Added the source “${name}”. Use “Upload export” on its row to send the customer's file.`
                  : `Added the source “${name}”. Use “Collect now” to fetch its inventory, or wait for the schedule.`,
              );
              await refreshAll();
            }}
            onCancel={noSourcesAtAll ? undefined : () => setAdding(false)}
          />
        </Card>
      )}

      {actionError && (
        <ErrorMessage title="The action did not complete" error={actionError} />
      )}

      {uploadError && (
        <Notice tone="error" onDismiss={() => setUploadError(null)}>
          <span className="font-semibold">The upload was refused: </span>
          {uploadError}
        </Notice>
      )}

      {!noSourcesAtAll && (
      <Card as="section" className="overflow-hidden">
        <div className="flex flex-wrap items-center justify-between gap-3 border-b border-slate-200 dark:border-slate-700 px-4 py-2.5">
          <h2 id="sources-heading" className="text-sm font-semibold">
            {list ? pluralize(list.length, "source") : "Sources"}
          </h2>
          {customers.data && customers.data.length > 1 && (
            <div className="flex items-center gap-2">
              <label htmlFor={filterId} className="text-xs font-medium text-slate-600 dark:text-slate-400">
                Customer
              </label>
              <select
                id={filterId}
                value={customerFilter}
                onChange={(e) => setCustomerFilter(e.target.value)}
                className={compactSelectClasses}
              >
                <option value="">All customers</option>
                {customers.data.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            </div>
          )}
        </div>

        {sources.error && !list ? (
          <div className="p-4">
            <QueryError title="Could not load the sources" query={sources} />
          </div>
        ) : !list ? (
          <div role="status" className="space-y-3 p-4">
            <span className="sr-only">Loading sources…</span>
            {Array.from({ length: 4 }, (_, i) => (
              <Skeleton key={i} className="h-5 w-full" />
            ))}
          </div>
        ) : list.length === 0 ? (
          <EmptyState title={customerFilter ? "This customer has no sources" : "No sources yet"}>
            {customerFilter ? "Add one with “Add source” above." : "Add a source above to start collecting inventory."}
          </EmptyState>
        ) : (
          <div className="overflow-x-auto">
            <table aria-labelledby="sources-heading" className="w-full border-collapse text-sm">
              <thead className="bg-slate-50 dark:bg-slate-800 text-xs text-slate-600 dark:text-slate-400">
                <tr className="border-b border-slate-200 dark:border-slate-700">
                  <th scope="col" className={th}>
                    Name and kind
                  </th>
                  {showConnection && (
                    <th scope="col" className={th}>
                      Endpoint
                    </th>
                  )}
                  <th scope="col" className={th}>
                    Enabled
                  </th>
                  <th scope="col" className={cx(th, "text-right")}>
                    Interval
                  </th>
                  <th scope="col" className={th}>
                    Status
                  </th>
                  <th scope="col" className={th}>
                    Last run
                  </th>
                  <th scope="col" className={cx(th, "text-right")}>
                    Actions
                  </th>
                </tr>
              </thead>
              {groupByCustomer(list).map((group) => (
                <tbody key={group.customerId} className="border-b border-slate-200 dark:border-slate-700 last:border-b-0">
                  <tr>
                    <th
                      scope="rowgroup"
                      colSpan={columns}
                      className="bg-slate-50/70 dark:bg-slate-800/40 px-3 pt-3 pb-1.5 text-left text-xs font-semibold text-slate-700 dark:text-slate-300"
                    >
                      <span className="sr-only">Customer: </span>
                      <Link
                        href={`/customers/${group.customerId}`}
                        className={cx("rounded text-brand-700 dark:text-brand-300 hover:underline", focusRing)}
                      >
                        {group.customerName}
                      </Link>
                    </th>
                  </tr>
                  {group.sources.map((source) => (
                    <SourceRows
                      key={source.id}
                      source={source}
                      canManage={isAdmin}
                      canUpload={canUpload}
                      onUploaded={async ({ name }) => {
                        setUploadError(null);
                        setNotice(`Uploaded “${name}” to “${source.name}”: its import is queued; the runs below follow it.`);
                        setExpanded((old) => new Set(old).add(source.id));
                        await queryClient.invalidateQueries(trpc.sources.pathFilter());
                      }}
                      onUploadError={(message) => {
                        setNotice(null);
                        setUploadError(message);
                      }}
                      showConnection={showConnection}
                      open={expanded.has(source.id)}
                      editing={editingId === source.id}
                      collecting={collectNow.isPending && collectNow.variables?.id === source.id}
                      toggling={toggle.isPending && toggle.variables?.id === source.id}
                      onCollect={() => {
                        toggle.reset();
                        collectNow.mutate({ id: source.id });
                      }}
                      onToggleRuns={() =>
                        setExpanded((old) => {
                          const next = new Set(old);
                          if (next.has(source.id)) next.delete(source.id);
                          else next.add(source.id);
                          return next;
                        })
                      }
                      onEdit={() => setEditingId(editingId === source.id ? null : source.id)}
                      onToggleEnabled={() => {
                        collectNow.reset();
                        toggle.mutate({ id: source.id, enabled: !source.enabled });
                      }}
                      onDelete={() => {
                        remove.reset();
                        setDeleting(source);
                      }}
                      onSaved={async (name) => {
                        setEditingId(null);
                        setNotice(`Saved the source “${name}”.`);
                        await refreshAll();
                      }}
                      onCancelEdit={() => setEditingId(null)}
                    />
                  ))}
                </tbody>
              ))}
            </table>
          </div>
        )}
      </Card>
      )}

      <ConfirmDialog
        open={deleting !== null}
        title={deleting ? `Delete the source “${deleting.name}”?` : "Delete the source?"}
        confirmLabel="Delete source"
        destructive
        busy={remove.isPending}
        error={remove.error}
        onConfirm={() => deleting && remove.mutate({ id: deleting.id })}
        onCancel={() => setDeleting(null)}
      >
        Deletes the source and the inventory it collected
        {deleting ? ` for ${deleting.customerName}` : ""}. This cannot be undone; the customer itself is kept.
      </ConfirmDialog>
    </div>
  );
}


/** Sources come sorted by customer name, then source name; keep that order, one group per customer. */
function groupByCustomer(sources: Source[]) {
  const groups: Array<{ customerId: string; customerName: string; sources: Source[] }> = [];
  for (const source of sources) {
    const last = groups[groups.length - 1];
    if (last && last.customerId === source.customerId) last.sources.push(source);
    else groups.push({ customerId: source.customerId, customerName: source.customerName, sources: [source] });
  }
  return groups;
}

"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useIsAdmin } from "../auth/useIsAdmin";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc";
import { FleetAnalysisTable } from "../analysis/FleetAnalysisTable";
import type { RouterOutputs } from "../api-types";
import { formatCount, pluralize } from "../format";
import { Badge } from "../ui/Badge";
import { Button, buttonClasses } from "../ui/Button";
import { Card, StatCard } from "../ui/Card";
import { ConfirmDialog } from "../ui/ConfirmDialog";
import { cx, focusRing } from "../ui/cx";
import { EmptyState } from "../ui/EmptyState";
import { QueryError } from "../ui/ErrorMessage";
import { RelativeTime } from "../ui/RelativeTime";
import { Skeleton } from "../ui/Spinner";
import { StatusBadge } from "../ui/StatusBadge";
import { TrendSparkline } from "../trends/TrendSparkline";

type Customer = RouterOutputs["fleet"]["overview"]["customers"][number];
type FleetTrends = RouterOutputs["analysis"]["fleetTrends"];
type TrendsQuery = { data?: FleetTrends; error: unknown; isPending: boolean };

/** The window of the fleet's sparklines. */
const TREND_DAYS = 90;

export function FleetOverview() {
  const trpc = useTRPC();
  const overview = useQuery(trpc.fleet.overview.queryOptions());
  const data = overview.data;
  const [view, setView] = useState<View>("inventory");
  const trends = useQuery(trpc.analysis.fleetTrends.queryOptions({ days: TREND_DAYS }));

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Fleet</h1>
          <p className="mt-1 text-sm text-slate-600">
            Hosts, virtual machines and containers of every customer, as last collected from their sources.
          </p>
        </div>
        <Link href="/sources" className={buttonClasses("secondary", "sm")}>
          Manage sources
        </Link>
      </div>

      {data?.hasDemoData && <DemoNotice />}

      {overview.error && !data ? (
        <QueryError title="Could not load the fleet" query={overview} />
      ) : (
        <>
          <dl className="grid grid-cols-2 gap-3 lg:grid-cols-4">
            <StatCard label="Customers" loading={!data} value={data && formatCount(data.totals.customers)} />
            <StatCard
              label="Hosts"
              loading={!data}
              value={data && formatCount(data.totals.hosts)}
              detail={<FleetTrend trends={trends} label="Physical hosts" figure="physicalHosts" caption="physical" />}
            />
            <StatCard
              label="Virtual machines"
              loading={!data}
              value={data && formatCount(data.totals.virtualMachines)}
              detail={<FleetTrend trends={trends} label="Virtual machines" figure="virtualMachines" />}
            />
            <StatCard
              label="Containers"
              loading={!data}
              value={data && formatCount(data.totals.containers)}
              detail={<FleetTrend trends={trends} label="Containers" figure="containers" />}
            />
          </dl>

          <Card as="section" className="overflow-hidden">
            <div className="flex flex-wrap items-center justify-between gap-3 border-b border-slate-200 px-4 py-3">
              <div className="flex items-center gap-3">
                <h2 id="customers-heading" className="text-sm font-semibold text-slate-900">
                  Customers
                </h2>
                {data && data.customers.length > 0 && (
                  <span className="text-xs text-slate-500">{pluralize(data.customers.length, "customer")}</span>
                )}
              </div>
              {data && data.customers.length > 0 && <ViewSwitch view={view} onChange={setView} />}
            </div>
            {!data ? (
              <CustomersSkeleton />
            ) : data.customers.length === 0 ? (
              <EmptyState
                title="No customers yet"
                action={
                  <Link href="/sources" className={buttonClasses("primary")}>
                    Add your first source
                  </Link>
                }
              >
                Fleetlens lists what it collects from your customers&rsquo; vCenters, KVM hosts and Docker engines.
                Add a source for a customer to see their hosts, virtual machines and containers here.
              </EmptyState>
            ) : view === "analysis" ? (
              <FleetAnalysisTable />
            ) : (
              <CustomersTable customers={data.customers} trends={trends} />
            )}
          </Card>
        </>
      )}
    </div>
  );
}

type View = "inventory" | "analysis";

const VIEWS: ReadonlyArray<{ id: View; label: string }> = [
  { id: "inventory", label: "Inventory" },
  { id: "analysis", label: "Analysis" },
];

/** Inventory counts or analysis figures of the customers: two views of one list. */
function ViewSwitch({ view, onChange }: { view: View; onChange: (view: View) => void }) {
  return (
    <div role="group" aria-label="Customers view" className="inline-flex rounded-md bg-slate-100 p-0.5">
      {VIEWS.map((v) => (
        <button
          key={v.id}
          type="button"
          aria-pressed={view === v.id}
          onClick={() => onChange(v.id)}
          className={cx(
            "rounded px-2.5 py-1 text-xs font-medium",
            focusRing,
            view === v.id ? "bg-white text-slate-900 shadow-xs" : "text-slate-600 hover:text-slate-900",
          )}
        >
          {v.label}
        </button>
      ))}
    </div>
  );
}

const th = "px-3 py-2 font-semibold whitespace-nowrap";

/** A fleet tile's trend: the fleet's figure per day over the window. */
function FleetTrend({
  trends,
  label,
  figure,
  caption,
}: {
  trends: TrendsQuery;
  label: string;
  figure: "physicalHosts" | "virtualMachines" | "containers";
  caption?: string;
}) {
  if (trends.isPending) return null;
  if (trends.error || !trends.data) return <span>Trend unavailable</span>;
  const points = trends.data.fleet;
  if (points.length < 2) return <span>{points.length === 1 ? "One day collected: the trend appears after the next" : "No trend yet"}</span>;
  return (
    <TrendSparkline
      label={`${label}, fleet, per day`}
      values={points.map((p) => ({ at: p.at, value: p[figure] }))}
      format={formatCount}
      caption={caption}
      width={96}
      height={24}
    />
  );
}

/** A customer row's trend: its VMs per day over the window. */
function CustomerTrend({ trends, customer }: { trends: TrendsQuery; customer: Customer }) {
  if (trends.isPending) return <Skeleton className="h-5 w-24" />;
  if (trends.error || !trends.data) return <span className="text-xs text-slate-500">Unavailable</span>;
  const points = trends.data.customers.find((c) => c.customerId === customer.id)?.points ?? [];
  if (points.length < 2) {
    return <span className="text-xs text-slate-500">{points.length === 1 ? "After the next day's collection" : "No collection yet"}</span>;
  }
  return (
    <TrendSparkline
      label={`Virtual machines of ${customer.name}, per day`}
      values={points.map((p) => ({ at: p.at, value: p.virtualMachines }))}
      format={formatCount}
      width={88}
      height={22}
    />
  );
}

function CustomersTable({ customers, trends }: { customers: Customer[]; trends: TrendsQuery }) {
  return (
    <div className="overflow-x-auto">
      <table aria-labelledby="customers-heading" className="w-full border-collapse text-sm">
        <thead className="bg-slate-50 text-xs text-slate-600">
          <tr className="border-b border-slate-200">
            <th scope="col" className={cx(th, "text-left")}>
              Customer
            </th>
            <th scope="col" className={cx(th, "text-right")}>
              Sources
            </th>
            <th scope="col" className={cx(th, "text-right")}>
              Hosts
              <span className="block font-normal text-slate-500">hypervisors / engines</span>
            </th>
            <th scope="col" className={cx(th, "text-right")}>
              Virtual machines
              <span className="block font-normal text-slate-500">powered on / total</span>
            </th>
            <th scope="col" className={cx(th, "text-right")}>
              Containers
              <span className="block font-normal text-slate-500">running / total</span>
            </th>
            <th scope="col" className={cx(th, "text-left")}>
              Virtual machines over time
              <span className="block font-normal text-slate-500">per day, last {TREND_DAYS} days</span>
            </th>
            <th scope="col" className={cx(th, "text-left")}>
              Last collected
            </th>
            <th scope="col" className={cx(th, "text-left")}>
              Status
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {customers.map((c) => (
            <tr key={c.id} className="hover:bg-slate-50/80">
              <th scope="row" className="min-w-48 px-3 py-2.5 text-left font-normal">
                <div className="flex flex-wrap items-center gap-2">
                  <Link
                    href={`/customers/${c.id}`}
                    className={cx("rounded font-medium text-brand-700 hover:text-brand-900 hover:underline", focusRing)}
                  >
                    {c.name}
                  </Link>
                  {c.isDemo && <Badge tone="amber">Demo</Badge>}
                </div>
              </th>
              <td className="px-3 py-2.5 text-right tabular-nums">{formatCount(c.sources)}</td>
              <td className="px-3 py-2.5 text-right tabular-nums">
                <span className="font-medium text-slate-900">{formatCount(c.hosts)}</span>
                <span className="block text-xs text-slate-500">
                  {formatCount(c.hypervisors)} / {formatCount(c.engineHosts)}
                </span>
              </td>
              <td className="px-3 py-2.5 text-right tabular-nums">
                <span className="text-slate-600">{formatCount(c.vmsPoweredOn)}</span>
                <span className="text-slate-400"> / </span>
                <span className="font-medium text-slate-900">{formatCount(c.virtualMachines)}</span>
              </td>
              <td className="px-3 py-2.5 text-right tabular-nums">
                <span className="text-slate-600">{formatCount(c.containersRunning)}</span>
                <span className="text-slate-400"> / </span>
                <span className="font-medium text-slate-900">{formatCount(c.containers)}</span>
              </td>
              <td className="px-3 py-2.5 whitespace-nowrap">
                <CustomerTrend trends={trends} customer={c} />
              </td>
              <td className="px-3 py-2.5 whitespace-nowrap text-slate-700">
                <RelativeTime date={c.lastCollectedAt} />
              </td>
              <td className="px-3 py-2.5">
                <StatusBadge status={c.status} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CustomersSkeleton() {
  return (
    <div role="status" className="divide-y divide-slate-100">
      <span className="sr-only">Loading customers…</span>
      {Array.from({ length: 4 }, (_, i) => (
        <div key={i} className="flex items-center gap-6 px-4 py-3.5">
          <Skeleton className="h-4 w-40" />
          <Skeleton className="ml-auto h-4 w-10" />
          <Skeleton className="h-4 w-14" />
          <Skeleton className="h-4 w-20" />
          <Skeleton className="h-4 w-20" />
          <Skeleton className="h-4 w-20" />
          <Skeleton className="h-5 w-20" />
        </div>
      ))}
    </div>
  );
}

function DemoNotice() {
  const isAdmin = useIsAdmin();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation(
    trpc.fleet.removeDemoData.mutationOptions({
      onSuccess: async () => {
        setConfirming(false);
        // Everything may have shown demo customers: the fleet, customer pages, sources.
        await queryClient.invalidateQueries();
      },
    }),
  );

  return (
    <div
      role="region"
      aria-label="Demo data"
      className="flex flex-wrap items-center justify-between gap-3 rounded-lg border border-amber-200 bg-amber-50 px-4 py-3"
    >
      <div className="min-w-64 flex-1 text-sm">
        <p className="font-semibold text-amber-900">This is demo data</p>
        <p className="mt-0.5 text-amber-800">
          The customers marked &ldquo;Demo&rdquo; come from a built-in sample fleet so you can explore Fleetlens.
          Remove them when you add your own sources; they are not loaded again.
        </p>
      </div>
      {isAdmin && (
        <Button variant="secondary" onClick={() => setConfirming(true)}>
          Remove demo data
        </Button>
      )}
      <ConfirmDialog
        open={confirming}
        title="Remove the demo data?"
        confirmLabel="Remove demo data"
        destructive
        busy={remove.isPending}
        error={remove.error}
        onConfirm={() => remove.mutate()}
        onCancel={() => {
          setConfirming(false);
          remove.reset();
        }}
      >
        This deletes the demo customers, their sources and the inventory collected from them. Your own customers and
        sources are not touched. The demo fleet is not loaded again.
      </ConfirmDialog>
    </div>
  );
}

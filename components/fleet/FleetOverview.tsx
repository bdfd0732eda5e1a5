"use client";
/**
 * The fleet overview for managers: KPI tiles (fleet.kpis, fleet.health), then every customer with
 * its inventory counts, trend sparklines and collection health, or the analysis per customer.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useSearchParams } from "next/navigation";
import { useIsAdmin } from "../auth/useIsAdmin";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc";
import { FleetAnalysisTable } from "../analysis/FleetAnalysisTable";
import { formatDecimal, formatRatio } from "../analysis/format";
import type { RouterOutputs } from "../api-types";
import { formatCount, pluralize } from "../format";
import { customerHref } from "../links";
import { Badge } from "../ui/Badge";
import { Button, buttonClasses } from "../ui/Button";
import { Card } from "../ui/Card";
import { ConfirmDialog } from "../ui/ConfirmDialog";
import { cx, focusRing } from "../ui/cx";
import { EmptyState } from "../ui/EmptyState";
import { QueryError } from "../ui/ErrorMessage";
import { Skeleton } from "../ui/Spinner";
import { TrendSparkline } from "../trends/TrendSparkline";
import { CustomerHealthCell, type CustomerHealth } from "./CollectionHealth";
import { FleetKpis } from "./FleetKpis";

type Customer = RouterOutputs["fleet"]["overview"]["customers"][number];
type FleetTrends = RouterOutputs["analysis"]["fleetTrends"];
type TrendsQuery = { data?: FleetTrends; error: unknown; isPending: boolean };
type TrendPoint = FleetTrends["customers"][number]["points"][number];
type HealthQuery = { data?: RouterOutputs["fleet"]["health"]; error: unknown; isPending: boolean };

/** The window of the fleet's sparklines. */
const TREND_DAYS = 90;

export function FleetOverview() {
  const trpc = useTRPC();
  const overview = useQuery(trpc.fleet.overview.queryOptions());
  const kpis = useQuery(trpc.fleet.kpis.queryOptions());
  const health = useQuery(trpc.fleet.health.queryOptions());
  const trends = useQuery(trpc.analysis.fleetTrends.queryOptions({ days: TREND_DAYS }));
  const data = overview.data;
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const view: View = searchParams.get("view") === "analysis" ? "analysis" : "inventory";
  const setView = (next: View) => {
    // The native history API updates useSearchParams without a server round trip.
    window.history.replaceState(null, "", next === "inventory" ? `${pathname}#customers` : `${pathname}?view=${next}#customers`);
  };

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Fleet</h1>
          <p className="mt-1 text-sm text-slate-600 dark:text-slate-300">
            Every customer&rsquo;s hosts, virtual machines and containers as last collected, what the analyses make of them,
            and whether their sources are collecting.
          </p>
        </div>
        <Link href="/sources" className={buttonClasses("secondary", "sm")}>
          Manage sources
        </Link>
      </div>

      {data?.hasDemoData && <DemoNotice />}

      {overview.error && !data ? (
        <QueryError title="Could not load the fleet" query={overview} />
      ) : data && data.customers.length === 0 ? (
        <Card as="section">
          <EmptyState
            title="No customers yet"
            titleAs="h2"
            action={
              <Link href="/sources" className={buttonClasses("primary")}>
                Add your first source
              </Link>
            }
          >
            Fleetlens lists what it collects from your customers&rsquo; vCenters, KVM hosts and Docker engines. Add a
            source for a customer on the Sources page; its hosts, virtual machines, containers, findings and collection
            health then appear here.
          </EmptyState>
        </Card>
      ) : (
        <>
          <FleetKpis kpis={kpis} health={health} trends={trends} />

          <Card as="section" className="scroll-mt-4 overflow-hidden">
            <div
              id="customers"
              className="flex flex-wrap items-center justify-between gap-3 border-b border-slate-200 px-4 py-3 dark:border-slate-800"
            >
              <div className="flex items-center gap-3">
                <h2 id="customers-heading" className="text-sm font-semibold text-slate-900 dark:text-slate-100">
                  Customers
                </h2>
                {data && data.customers.length > 0 && (
                  <span className="text-xs text-slate-500 dark:text-slate-400">{pluralize(data.customers.length, "customer")}</span>
                )}
              </div>
              {data && data.customers.length > 0 && <ViewSwitch view={view} onChange={setView} />}
            </div>
            {!data ? (
              <CustomersSkeleton />
            ) : view === "analysis" ? (
              <FleetAnalysisTable />
            ) : (
              <CustomersTable customers={data.customers} trends={trends} health={health} />
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
    <div role="group" aria-label="Customers view" className="inline-flex rounded-md bg-slate-100 p-0.5 dark:bg-slate-800">
      {VIEWS.map((v) => (
        <button
          key={v.id}
          type="button"
          aria-pressed={view === v.id}
          onClick={() => onChange(v.id)}
          className={cx(
            "rounded px-2.5 py-1 text-xs font-medium",
            focusRing,
            view === v.id
              ? "bg-white text-slate-900 shadow-xs dark:bg-slate-600 dark:text-white"
              : "text-slate-600 hover:text-slate-900 dark:text-slate-300 dark:hover:text-white",
          )}
        >
          {v.label}
        </button>
      ))}
    </div>
  );
}

const th = "px-3 py-2 font-semibold whitespace-nowrap";
const sub = "block font-normal text-slate-500 dark:text-slate-400";

/** The figures each customer row draws a sparkline of. */
const CUSTOMER_TRENDS: ReadonlyArray<{
  label: string;
  value: (p: TrendPoint) => number | null;
  format: (v: number) => string;
  formatDelta?: (v: number) => string;
}> = [
  { label: "Virtual machines", value: (p) => p.virtualMachines, format: formatCount },
  { label: "vCPU:pCore", value: (p) => p.vcpuPerCore, format: formatRatio, formatDelta: formatDecimal },
  { label: "Critical findings", value: (p) => p.criticalFindings, format: formatCount },
];

/** A customer row's trends: VMs, vCPU:pCore and critical findings per day over the window. */
function CustomerTrends({ trends, customer }: { trends: TrendsQuery; customer: Customer }) {
  if (trends.isPending) {
    return (
      <div className="space-y-1.5">
        <Skeleton className="h-4 w-28" />
        <Skeleton className="h-4 w-28" />
        <Skeleton className="h-4 w-28" />
      </div>
    );
  }
  if (trends.error || !trends.data) return <span className="text-xs text-slate-500 dark:text-slate-400">Unavailable</span>;
  const points = trends.data.customers.find((c) => c.customerId === customer.id)?.points ?? [];
  if (points.length < 2) {
    return (
      <span className="text-xs text-slate-500 dark:text-slate-400">
        {points.length === 1 ? "After the next day's collection" : "No collection yet"}
      </span>
    );
  }
  return (
    <ul aria-label={`Trends of ${customer.name}`} className="space-y-1" data-customer-trends={customer.id}>
      {CUSTOMER_TRENDS.map((f) => (
        <li key={f.label} className="flex items-center gap-2">
          <span className="w-24 shrink-0 text-xs text-slate-500 dark:text-slate-400">{f.label === "Virtual machines" ? "VMs" : f.label}</span>
          <TrendSparkline
            label={`${f.label} of ${customer.name}, per day`}
            values={points.map((p) => ({ at: p.at, value: f.value(p) }))}
            format={f.format}
            formatDelta={f.formatDelta}
            width={80}
            height={18}
          />
        </li>
      ))}
    </ul>
  );
}

function HealthCell({ health, customerId }: { health: HealthQuery; customerId: string }) {
  if (health.isPending) return <Skeleton className="h-5 w-32" />;
  if (health.error || !health.data) return <span className="text-xs text-red-700 dark:text-red-300">Health unavailable</span>;
  const entry: CustomerHealth | undefined = health.data.customers.find((c) => c.customerId === customerId);
  return <CustomerHealthCell health={entry} />;
}

function CustomersTable({ customers, trends, health }: { customers: Customer[]; trends: TrendsQuery; health: HealthQuery }) {
  return (
    <div className="overflow-x-auto">
      <table aria-labelledby="customers-heading" className="w-full border-collapse text-sm">
        <thead className="bg-slate-50 text-xs text-slate-600 dark:bg-slate-800/60 dark:text-slate-300">
          <tr className="border-b border-slate-200 dark:border-slate-800">
            <th scope="col" className={cx(th, "text-left")}>
              Customer
            </th>
            <th scope="col" className={cx(th, "text-right")}>
              Sources
            </th>
            <th scope="col" className={cx(th, "text-right")}>
              Hosts
              <span className={sub}>hypervisors / engines</span>
            </th>
            <th scope="col" className={cx(th, "text-right")}>
              Virtual machines
              <span className={sub}>powered on / total</span>
            </th>
            <th scope="col" className={cx(th, "text-right")}>
              Containers
              <span className={sub}>running / total</span>
            </th>
            <th scope="col" className={cx(th, "text-left")}>
              Trends
              <span className={sub}>per day, last {TREND_DAYS} days</span>
            </th>
            <th scope="col" className={cx(th, "text-left")}>
              Collection health
              <span className={sub}>stale after twice the interval</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {customers.map((c) => (
            <tr key={c.id} data-customer-row={c.id} className="align-top hover:bg-slate-50/80 dark:hover:bg-slate-800/40">
              <th scope="row" className="min-w-44 px-3 py-2.5 text-left font-normal">
                <div className="flex flex-wrap items-center gap-2">
                  <Link
                    href={customerHref(c.id)}
                    className={cx(
                      "rounded font-medium text-brand-700 hover:text-brand-900 hover:underline dark:text-brand-300 dark:hover:text-brand-100",
                      focusRing,
                    )}
                  >
                    {c.name}
                  </Link>
                  {c.isDemo && <Badge tone="amber">Demo</Badge>}
                </div>
              </th>
              <td className="px-3 py-2.5 text-right tabular-nums">{formatCount(c.sources)}</td>
              <td className="px-3 py-2.5 text-right tabular-nums">
                <span className="font-medium text-slate-900 dark:text-slate-100">{formatCount(c.hosts)}</span>
                <span className="block text-xs text-slate-500 dark:text-slate-400">
                  {formatCount(c.hypervisors)} / {formatCount(c.engineHosts)}
                </span>
              </td>
              <td className="px-3 py-2.5 text-right tabular-nums">
                <span className="text-slate-600 dark:text-slate-300">{formatCount(c.vmsPoweredOn)}</span>
                <span className="text-slate-400 dark:text-slate-500"> / </span>
                <span className="font-medium text-slate-900 dark:text-slate-100">{formatCount(c.virtualMachines)}</span>
              </td>
              <td className="px-3 py-2.5 text-right tabular-nums">
                <span className="text-slate-600 dark:text-slate-300">{formatCount(c.containersRunning)}</span>
                <span className="text-slate-400 dark:text-slate-500"> / </span>
                <span className="font-medium text-slate-900 dark:text-slate-100">{formatCount(c.containers)}</span>
              </td>
              <td className="px-3 py-2.5 whitespace-nowrap">
                <CustomerTrends trends={trends} customer={c} />
              </td>
              <td className="px-3 py-2.5">
                <HealthCell health={health} customerId={c.id} />
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
    <div role="status" className="divide-y divide-slate-100 dark:divide-slate-800">
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
      className="flex flex-wrap items-center justify-between gap-3 rounded-lg border border-amber-200 bg-amber-50 px-4 py-3 dark:border-amber-900 dark:bg-amber-950/40"
    >
      <div className="min-w-64 flex-1 text-sm">
        <p className="font-semibold text-amber-900 dark:text-amber-100">This is demo data</p>
        <p className="mt-0.5 text-amber-800 dark:text-amber-200">
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

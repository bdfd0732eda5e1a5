"use client";
import { useQuery } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import Link from "next/link";
import { usePathname, useSearchParams } from "next/navigation";
import { useRef, type KeyboardEvent } from "react";
import { useTRPC } from "@/lib/trpc";
import { ExportLink, useCanExport } from "../analysis/parts";
import { errorCode } from "../errors";
import { reportHref } from "../links";
import { formatCount, pluralize } from "../format";
import { Badge } from "../ui/Badge";
import { buttonClasses } from "../ui/Button";
import { StatCard } from "../ui/Card";
import { cx, focusRing } from "../ui/cx";
import { EmptyState } from "../ui/EmptyState";
import { QueryError } from "../ui/ErrorMessage";
import { RelativeTime } from "../ui/RelativeTime";
import { StatusBadge } from "../ui/StatusBadge";
import { CustomerTrends } from "../trends/CustomerTrends";
import { LoadingBlock } from "../ui/Spinner";
import { HostsTable } from "./HostsTable";

// Each tab but the first (Hosts) loads its code when it is opened, Recharts with the tabs that draw
// charts: the page's first load stays within its JavaScript budget (bench/bundle.ts).
const tabLoading = () => <LoadingBlock label="Loading tab…" />;
const VirtualMachinesTable = dynamic(() => import("./VirtualMachinesTable").then((m) => m.VirtualMachinesTable), { loading: tabLoading });
const ContainersTable = dynamic(() => import("./ContainersTable").then((m) => m.ContainersTable), { loading: tabLoading });
const GuestsPanel = dynamic(() => import("../analysis/GuestsPanel").then((m) => m.GuestsPanel), { loading: tabLoading });
const DensityPanel = dynamic(() => import("../analysis/DensityPanel").then((m) => m.DensityPanel), { loading: tabLoading });
const UtilisationPanel = dynamic(() => import("../analysis/UtilisationPanel").then((m) => m.UtilisationPanel), { loading: tabLoading });
const WastePanel = dynamic(() => import("../analysis/WastePanel").then((m) => m.WastePanel), { loading: tabLoading });
const IsolationPanel = dynamic(() => import("../analysis/IsolationPanel").then((m) => m.IsolationPanel), { loading: tabLoading });
const MigrationPanel = dynamic(() => import("../analysis/MigrationPanel").then((m) => m.MigrationPanel), { loading: tabLoading });
const DependenciesPanel = dynamic(() => import("../analysis/DependenciesPanel").then((m) => m.DependenciesPanel), { loading: tabLoading });
const PlansPanel = dynamic(() => import("../plans/PlansPanel").then((m) => m.PlansPanel), { loading: tabLoading });

const TABS = [
  { id: "hosts", label: "Hosts" },
  { id: "vms", label: "Virtual machines" },
  { id: "containers", label: "Containers" },
  { id: "guests", label: "Guests" },
  { id: "density", label: "Density" },
  { id: "utilisation", label: "Utilisation" },
  { id: "waste", label: "Waste" },
  { id: "isolation", label: "Isolation" },
  { id: "migration", label: "Migration" },
  { id: "dependencies", label: "Dependencies" },
  { id: "plans", label: "Plans" },
] as const;
type TabId = (typeof TABS)[number]["id"];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isTab(value: string | null): value is TabId {
  return TABS.some((t) => t.id === value);
}

export function CustomerView({ customerId }: { customerId: string }) {
  const trpc = useTRPC();
  const validId = UUID.test(customerId);
  const customer = useQuery({
    ...trpc.customers.get.queryOptions({ customerId }),
    enabled: validId,
    retry: (count, error) => errorCode(error) !== "NOT_FOUND" && errorCode(error) !== "BAD_REQUEST" && count < 1,
  });

  const pathname = usePathname();
  const searchParams = useSearchParams();
  const tabParam = searchParams.get("tab");
  const tab: TabId = isTab(tabParam) ? tabParam : "hosts";
  const vmSearch = tab === "vms" ? (searchParams.get("q") ?? "") : "";
  const tabRefs = useRef<Record<string, HTMLButtonElement | null>>({});
  const canExport = useCanExport();

  const selectTab = (id: TabId) => {
    const params = new URLSearchParams();
    if (id !== "hosts") params.set("tab", id);
    const query = params.toString();
    // The native history API updates useSearchParams without a server round trip (no lag).
    window.history.replaceState(null, "", query ? `${pathname}?${query}` : pathname);
  };

  const onTabKey = (event: KeyboardEvent<HTMLButtonElement>) => {
    const index = TABS.findIndex((t) => t.id === tab);
    let next = index;
    if (event.key === "ArrowRight") next = (index + 1) % TABS.length;
    else if (event.key === "ArrowLeft") next = (index - 1 + TABS.length) % TABS.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = TABS.length - 1;
    else return;
    event.preventDefault();
    const target = TABS[next]!;
    selectTab(target.id);
    tabRefs.current[target.id]?.focus();
  };

  if (!validId || errorCode(customer.error) === "NOT_FOUND" || errorCode(customer.error) === "BAD_REQUEST") {
    return <CustomerNotFound />;
  }

  if (customer.error) {
    return (
      <div className="space-y-4">
        <Breadcrumb name="Customer" />
        <QueryError title="Could not load this customer" query={customer} />
      </div>
    );
  }

  const c = customer.data;
  const counts: Partial<Record<TabId, number>> = {
    hosts: c?.hosts,
    vms: c?.virtualMachines,
    containers: c?.containers,
  };

  return (
    <div className="space-y-6">
      {c && <title>{`${c.name} · Fleetlens`}</title>}
      <div>
        <Breadcrumb name={c?.name ?? "Customer"} />
        <div className="mt-2 flex flex-wrap items-center justify-between gap-3">
          <div className="flex flex-wrap items-center gap-3">
            <h1 className="text-2xl font-semibold tracking-tight">
              {c ? c.name : <span className="inline-block h-7 w-56 animate-pulse rounded bg-slate-200 dark:bg-slate-700 align-middle" aria-label="Loading customer" />}
            </h1>
            {c?.isDemo && <Badge tone="amber">Demo</Badge>}
            {c && <StatusBadge status={c.status} />}
          </div>
          <div className="flex flex-wrap items-center gap-2">
            {/* The stored inventory of every source as an RVTools-shaped .xlsx (engineers and administrators). */}
            {canExport && c && (
              <ExportLink href={`/api/export/${encodeURIComponent(customerId)}/rvtools`} label="RVTools workbook" />
            )}
            {/* The printable report (and its PDF), named or anonymised for third parties: for everyone who sees this page. */}
            {c && (
              <>
                <Link href={reportHref(customerId)} className={buttonClasses("primary", "sm")}>
                  Report
                </Link>
                <Link href={reportHref(customerId, { anonymised: true })} className={buttonClasses("secondary", "sm")}>
                  Anonymised report
                </Link>
              </>
            )}
            <Link href="/sources" className={buttonClasses("secondary", "sm")}>
              Manage sources
            </Link>
          </div>
        </div>
      </div>

      <dl className="grid grid-cols-2 gap-3 md:grid-cols-5">
        <StatCard label="Sources" loading={!c} value={c && formatCount(c.sources)} />
        <StatCard
          label="Hosts"
          loading={!c}
          value={c && formatCount(c.hosts)}
          detail={c && `${pluralize(c.hypervisors, "hypervisor")} · ${pluralize(c.engineHosts, "engine host")}`}
        />
        <StatCard
          label="Virtual machines"
          loading={!c}
          value={c && formatCount(c.virtualMachines)}
          detail={c && `${formatCount(c.vmsPoweredOn)} powered on`}
        />
        <StatCard
          label="Containers"
          loading={!c}
          value={c && formatCount(c.containers)}
          detail={c && `${formatCount(c.containersRunning)} running`}
        />
        <StatCard
          label="Last collected"
          loading={!c}
          value={c && <RelativeTime date={c.lastCollectedAt} never="Never" className="text-lg" />}
        />
      </dl>

      <CustomerTrends customerId={customerId} />

      <div>
        <div role="tablist" aria-label="Inventory and analysis" className="flex flex-wrap gap-x-1 border-b border-slate-200 dark:border-slate-700">
          {TABS.map((t) => {
            const selected = t.id === tab;
            const count = counts[t.id];
            return (
              <button
                key={t.id}
                ref={(el) => {
                  tabRefs.current[t.id] = el;
                }}
                type="button"
                role="tab"
                id={`tab-${t.id}`}
                aria-selected={selected}
                aria-controls={selected ? `panel-${t.id}` : undefined}
                tabIndex={selected ? 0 : -1}
                onClick={() => selectTab(t.id)}
                onKeyDown={onTabKey}
                className={cx(
                  "-mb-px inline-flex items-center gap-2 whitespace-nowrap rounded-t-md border-b-2 px-3 py-2 text-sm font-medium",
                  focusRing,
                  selected
                    ? "border-brand-600 text-brand-700 dark:text-brand-300"
                    : "border-transparent text-slate-600 dark:text-slate-400 hover:border-slate-300 dark:hover:border-slate-600 hover:text-slate-900 dark:hover:text-slate-100",
                )}
              >
                {t.label}
                {count !== undefined && (
                  <span
                    className={cx(
                      "rounded-full px-1.5 py-0.5 text-xs tabular-nums",
                      selected ? "bg-brand-50 dark:bg-brand-900/40 text-brand-700 dark:text-brand-300" : "bg-slate-100 dark:bg-slate-800 text-slate-600 dark:text-slate-400",
                    )}
                  >
                    {formatCount(count)}
                  </span>
                )}
              </button>
            );
          })}
        </div>
        <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="pt-4">
          {tab === "hosts" && (
            <HostsTable customerId={customerId} customerName={c?.name ?? "this customer"} />
          )}
          {tab === "vms" && (
            <VirtualMachinesTable
              key={vmSearch}
              customerId={customerId}
              customerName={c?.name ?? "this customer"}
              initialSearch={vmSearch}
            />
          )}
          {tab === "containers" && (
            <ContainersTable customerId={customerId} customerName={c?.name ?? "this customer"} />
          )}
          {tab === "guests" && <GuestsPanel customerId={customerId} customerName={c?.name ?? "this customer"} />}
          {tab === "density" && <DensityPanel customerId={customerId} />}
          {tab === "utilisation" && <UtilisationPanel customerId={customerId} customerName={c?.name ?? "this customer"} />}
          {tab === "waste" && <WastePanel customerId={customerId} />}
          {tab === "isolation" && (
            <IsolationPanel customerId={customerId} customerName={c?.name ?? "this customer"} />
          )}
          {tab === "migration" && (
            <MigrationPanel customerId={customerId} customerName={c?.name ?? "this customer"} />
          )}
          {tab === "dependencies" && (
            <DependenciesPanel customerId={customerId} customerName={c?.name ?? "this customer"} />
          )}
          {tab === "plans" && <PlansPanel customerId={customerId} customerName={c?.name ?? "this customer"} />}
        </div>
      </div>
    </div>
  );
}

function Breadcrumb({ name }: { name: string }) {
  return (
    <nav aria-label="Breadcrumb" className="text-sm text-slate-500 dark:text-slate-400">
      <ol className="flex items-center gap-1.5">
        <li>
          <Link href="/" className={cx("rounded hover:text-slate-900 dark:hover:text-slate-100", focusRing)}>
            Fleet
          </Link>
        </li>
        <li aria-hidden="true">/</li>
        <li aria-current="page" className="truncate text-slate-700 dark:text-slate-300">
          {name}
        </li>
      </ol>
    </nav>
  );
}

function CustomerNotFound() {
  return (
    <div className="space-y-4">
      <title>Customer not found · Fleetlens</title>
      <Breadcrumb name="Customer not found" />
      <div className="rounded-lg border border-slate-200 dark:border-slate-700 bg-white dark:bg-slate-900 shadow-xs">
        <EmptyState
          title="Customer not found"
          titleAs="h1"
          action={
            <Link href="/" className={buttonClasses("primary")}>
              Back to the fleet
            </Link>
          }
        >
          There is no customer at this address. It may have been deleted (removing the demo data deletes the demo
          customers), or the link is incomplete.
        </EmptyState>
      </div>
    </div>
  );
}

"use client";
/**
 * The fleet overview's KPI tiles (fleet.kpis and fleet.health, computed on the server in the
 * viewer's scope): each says what it counts and links to where the figure comes from.
 */
import Link from "next/link";
import type { ReactNode } from "react";
import { formatDecimal, formatGiB, formatRatio, VERDICT_LABEL, VERDICT_SHORT, VERDICT_VALUES } from "../analysis/format";
import { MOVE_VERDICTS, type VerdictValue } from "@/server/analysis/labels";

/** Workloads whose verdict moves them (to a container, a system container or Kata). */
const moves = (verdicts: Record<VerdictValue, number>) => MOVE_VERDICTS.reduce((sum, v) => sum + verdicts[v], 0);
import type { RouterOutputs } from "../api-types";
import { formatCount, pluralize } from "../format";
import { customerHref } from "../links";
import { TrendSparkline } from "../trends/TrendSparkline";
import { cx, focusRing } from "../ui/cx";
import { QueryError } from "../ui/ErrorMessage";
import { Skeleton } from "../ui/Spinner";
import { HealthSummary } from "./CollectionHealth";

type Kpis = RouterOutputs["fleet"]["kpis"];
type Health = RouterOutputs["fleet"]["health"];
type FleetTrends = RouterOutputs["analysis"]["fleetTrends"];
type FleetPoint = FleetTrends["fleet"][number];
type CustomerKpis = Kpis["byCustomer"][number];
/** What the tiles read of a query (its data, loading and error, and a retry). */
type Query<T> = { data?: T; error: unknown; isPending: boolean; isFetching: boolean; refetch: () => unknown };

/** Where the customer list and the analysis per customer sit on this page. */
export const CUSTOMER_LIST_HREF = "/?view=inventory#customers";
export const ANALYSIS_LIST_HREF = "/?view=analysis#customers";

const tileLink = cx(
  "rounded text-xs font-medium text-brand-700 hover:text-brand-900 hover:underline dark:text-brand-300 dark:hover:text-brand-100",
  focusRing,
);

interface TileProps {
  id: string;
  label: string;
  /** What the figure counts, in one line (also the value's title). */
  description: string;
  value: ReactNode;
  loading: boolean;
  failed: boolean;
  detail?: ReactNode;
  links: TileLink[];
}

/** A tile's link; `before` is plain text ahead of it (a customer's name stays out of the link's own name). */
interface TileLink {
  href: string;
  label: string;
  title?: string;
  before?: string;
}

/** One headline figure: label, value, what it counts, a trend or breakdown, and where it comes from. */
function Tile({ id, label, description, value, loading, failed, detail, links }: TileProps) {
  return (
    <div
      data-kpi={id}
      className="flex min-w-0 flex-col rounded-lg border border-slate-200 bg-white px-4 py-3 shadow-xs dark:border-slate-800 dark:bg-slate-900"
    >
      <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase dark:text-slate-400">{label}</dt>
      <dd className="mt-1 text-2xl font-semibold text-slate-900 tabular-nums dark:text-slate-50" data-kpi-value title={description}>
        {loading ? (
          <span role="status" className="inline-block">
            <Skeleton className="h-7 w-20" />
            <span className="sr-only">Loading {label}…</span>
          </span>
        ) : failed ? (
          <span className="text-base font-medium text-red-700 dark:text-red-300">Unavailable</span>
        ) : (
          value
        )}
      </dd>
      <dd className="mt-0.5 text-xs text-slate-600 dark:text-slate-300">{description}</dd>
      {detail && !loading && !failed && <dd className="mt-1 text-xs text-slate-500 dark:text-slate-400">{detail}</dd>}
      <dd className="mt-auto flex flex-wrap gap-x-3 gap-y-1 pt-2">
        {links.map((l) => (
          <span key={l.href + l.label} className="text-xs text-slate-600 dark:text-slate-300">
            {l.before && <>{l.before} · </>}
            <Link href={l.href} className={tileLink} title={l.title}>
              {l.label}
            </Link>
          </span>
        ))}
      </dd>
    </div>
  );
}

/** A tile's fleet trend, per day over the window (analysis.fleetTrends). */
function FleetTrend({
  trends,
  label,
  value,
  format,
  formatDelta,
  caption,
}: {
  trends: Query<FleetTrends>;
  label: string;
  value: (p: FleetPoint) => number | null;
  format: (v: number) => string;
  formatDelta?: (v: number) => string;
  caption?: string;
}) {
  if (trends.isPending) return <Skeleton className="h-6 w-24" />;
  if (trends.error || !trends.data) return <span>Trend unavailable</span>;
  const points = trends.data.fleet;
  if (points.length < 2) return <span>{points.length === 1 ? "One day collected: the trend appears after the next" : "No trend yet"}</span>;
  return (
    <TrendSparkline
      label={`${label}, fleet, per day`}
      values={points.map((p) => ({ at: p.at, value: value(p) }))}
      format={format}
      formatDelta={formatDelta}
      caption={caption}
      width={96}
      height={24}
    />
  );
}

/** The customer with the largest figure (none when every figure is 0). */
function topCustomer(rows: CustomerKpis[], figure: (c: CustomerKpis) => number): CustomerKpis | null {
  let best: CustomerKpis | null = null;
  for (const row of rows) if (figure(row) > 0 && (!best || figure(row) > figure(best))) best = row;
  return best;
}

/** "Most: Acme · Utilisation tab": the customer with the most of the figure, and a link to its tab. */
function mostAt(rows: CustomerKpis[] | undefined, figure: (c: CustomerKpis) => number, tab: string, tabLabel: string): TileLink[] {
  const top = rows ? topCustomer(rows, figure) : null;
  if (!top) return [];
  return [{ href: customerHref(top.customerId, tab), before: `Most: ${top.name}`, label: `${tabLabel} tab`, title: `${top.name}'s ${tabLabel} tab` }];
}

export function FleetKpis({
  kpis,
  health,
  trends,
}: {
  kpis: Query<Kpis>;
  health: Query<Health>;
  trends: Query<FleetTrends>;
}) {
  const k = kpis.data;
  const loading = kpis.isPending;
  const failed = !k && !!kpis.error;
  const moving = k ? moves(k.verdicts) : 0;
  const tile = { loading, failed };

  return (
    <section aria-labelledby="kpis-heading" className="space-y-3">
      <h2 id="kpis-heading" className="sr-only">
        Fleet figures
      </h2>
      {failed && <QueryError title="Could not load the fleet's figures" query={kpis} />}
      <dl className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-5">
        <Tile
          id="customers"
          label="Customers"
          description="Customers you can see, each with its sources"
          value={k && formatCount(k.customers)}
          {...tile}
          links={[{ href: CUSTOMER_LIST_HREF, label: "Customer list" }]}
        />
        <Tile
          id="hosts"
          label="Hosts"
          description="Hypervisors and container-engine hosts collected"
          value={k && formatCount(k.hosts)}
          {...tile}
          detail={
            <>
              <span className="block">{k && `${formatCount(k.physicalHosts)} physical`}</span>
              <FleetTrend trends={trends} label="Physical hosts" value={(p) => p.physicalHosts} format={formatCount} caption="physical" />
            </>
          }
          links={[{ href: CUSTOMER_LIST_HREF, label: "Per customer" }]}
        />
        <Tile
          id="virtualMachines"
          label="Virtual machines"
          description="Every VM collected, templates and powered-off included"
          value={k && formatCount(k.virtualMachines)}
          {...tile}
          detail={
            <>
              <span className="block">{k && `${formatCount(k.vmsPoweredOn)} powered on`}</span>
              <FleetTrend trends={trends} label="Virtual machines" value={(p) => p.virtualMachines} format={formatCount} />
            </>
          }
          links={[{ href: CUSTOMER_LIST_HREF, label: "Per customer" }]}
        />
        <Tile
          id="containers"
          label="Containers"
          description="Containers on the engines collected, stopped included"
          value={k && formatCount(k.containers)}
          {...tile}
          detail={
            <>
              <span className="block">{k && `${formatCount(k.containersRunning)} running`}</span>
              <FleetTrend trends={trends} label="Containers" value={(p) => p.containers} format={formatCount} />
            </>
          }
          links={[{ href: CUSTOMER_LIST_HREF, label: "Per customer" }]}
        />
        <Tile
          id="vcpuPerCore"
          label="vCPU:pCore"
          description="Powered-on VMs' vCPUs over the physical hosts' cores"
          value={k && formatRatio(k.vcpuPerCore)}
          {...tile}
          detail={
            <>
              <span className="block">{k && `${formatCount(k.vcpusPoweredOn)} vCPUs on ${formatCount(k.physicalCores)} cores`}</span>
              <FleetTrend trends={trends} label="vCPU:pCore" value={(p) => p.vcpuPerCore} format={formatRatio} formatDelta={formatDecimal} />
            </>
          }
          links={[{ href: ANALYSIS_LIST_HREF, label: "Density per customer" }]}
        />
        <Tile
          id="ramReclaimable"
          label="RAM reclaimable"
          description="Memory VMs were given beyond what their measured use needs"
          value={k && (k.vmsMeasured > 0 ? formatGiB(k.reclaimMemoryMiB) : "Not measured")}
          {...tile}
          detail={
            k && (k.vmsMeasured > 0 ? `over ${pluralize(k.vmsMeasured, "measured VM")}` : "No VM has measured use in the period yet")
          }
          links={mostAt(k?.byCustomer, (c) => c.reclaimMemoryMiB, "utilisation", "Utilisation")}
        />
        <Tile
          id="criticalFindings"
          label="Critical findings"
          description="Findings of critical severity from the rules (isolation, configuration)"
          value={k && <span className={cx(k.critical > 0 && "text-red-700 dark:text-red-300")}>{formatCount(k.critical)}</span>}
          {...tile}
          detail={<FleetTrend trends={trends} label="Critical findings" value={(p) => p.criticalFindings} format={formatCount} />}
          links={[{ href: ANALYSIS_LIST_HREF, label: "Analysis per customer" }, ...mostAt(k?.byCustomer, (c) => c.critical, "isolation", "Isolation")]}
        />
        <Tile
          id="candidates"
          label="Candidates by verdict"
          description="Workloads to move to a container, a system container or Kata; the rest stay"
          value={k && formatCount(moving)}
          {...tile}
          detail={
            k && (
              <ul aria-label="Verdicts" className="grid grid-cols-2 gap-x-3">
                {VERDICT_VALUES.map((v) => (
                  <li key={v} title={VERDICT_LABEL[v]} className="flex justify-between gap-2 tabular-nums">
                    <span>{VERDICT_SHORT[v]}</span>
                    <span className="font-medium text-slate-700 dark:text-slate-200" data-verdict={v}>
                      {formatCount(k.verdicts[v])}
                    </span>
                  </li>
                ))}
              </ul>
            )
          }
          links={[
            { href: ANALYSIS_LIST_HREF, label: "Analysis per customer" },
            ...mostAt(k?.byCustomer, (c) => moves(c.verdicts), "migration", "Migration"),
          ]}
        />
        <Tile
          id="plansInProgress"
          label="Plans in progress"
          description="Migration plans with at least one wave in progress"
          value={k && formatCount(k.plansInProgress)}
          {...tile}
          links={
            k && k.plansInProgress > 0
              ? mostAt(k.byCustomer, (c) => c.plansInProgress, "migration", "Migration")
              : [{ href: CUSTOMER_LIST_HREF, label: "Customer list" }]
          }
        />
        <Tile
          id="collectionHealth"
          label="Collection health"
          description="Sources whose last collection succeeded within twice their interval"
          value={health.data && `${formatCount(health.data.fleet.ok)} of ${formatCount(health.data.fleet.sources - health.data.fleet.disabled)} ok`}
          loading={health.isPending}
          failed={!health.data && !!health.error}
          detail={health.data && <HealthSummary counts={health.data.fleet} />}
          links={[{ href: "/sources", label: "Sources page" }]}
        />
      </dl>
    </section>
  );
}

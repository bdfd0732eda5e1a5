"use client";
/**
 * The customer page's "Trends": hosts, VMs, vCPU:pCore, RAM used, RAM waste and findings across
 * collections (analysis.trends), each with its latest value, its change and a sparkline.
 */
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { useTRPC } from "@/lib/trpc";
import { formatDecimal, formatGiB, formatRatio } from "../analysis/format";
import type { RouterOutputs } from "../api-types";
import { formatCount, MISSING } from "../format";
import { Badge } from "../ui/Badge";
import { QueryError } from "../ui/ErrorMessage";
import { Skeleton } from "../ui/Spinner";
import { TrendSparkline, trendEnds, type TrendValue } from "./TrendSparkline";

type Point = RouterOutputs["analysis"]["trends"]["points"][number];

interface Figure {
  label: string;
  value: (p: Point) => number | null;
  format: (value: number) => string;
  formatDelta?: (value: number) => string;
  detail?: (p: Point) => string;
  missing?: string;
}

const count = (v: number) => formatCount(v);

/** The window the page shows. */
export const TREND_DAYS = 90;

const FIGURES: Figure[] = [
  { label: "Hosts", value: (p) => p.physicalHosts, format: count, detail: () => "physical" },
  { label: "Virtual machines", value: (p) => p.virtualMachines, format: count, detail: (p) => `${formatCount(p.vmsPoweredOn)} powered on` },
  { label: "vCPU:pCore", value: (p) => p.vcpuPerCore, format: formatRatio, formatDelta: formatDecimal, detail: () => "powered-on VMs" },
  {
    label: "RAM used",
    value: (p) => p.ramUsedMiB,
    format: formatGiB,
    detail: (p) => `measured on ${formatCount(p.hostsMeasured)} of ${formatCount(p.physicalHosts)} hosts`,
    missing: "Not measured",
  },
  { label: "RAM waste", value: (p) => p.ramWasteMiB, format: formatGiB, detail: () => "duplicate guest OS copies" },
  {
    label: "Findings",
    value: (p) => p.criticalFindings + p.warningFindings,
    format: count,
    detail: (p) => `${formatCount(p.criticalFindings)} critical · ${formatCount(p.warningFindings)} warning`,
  },
];

export function CustomerTrends({ customerId }: { customerId: string }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.analysis.trends.queryOptions({ customerId, days: TREND_DAYS }));
  const points = query.data?.points;

  let body: ReactNode;
  if (query.isPending) {
    body = (
      <div role="status" className="grid grid-cols-2 gap-3 p-4 md:grid-cols-3 xl:grid-cols-6">
        <span className="sr-only">Loading trends…</span>
        {FIGURES.map((f) => (
          <Skeleton key={f.label} className="h-16 w-full" />
        ))}
      </div>
    );
  } else if (query.error && !points) {
    body = <QueryError title="Could not load the trends" query={query} className="m-4" />;
  } else if (!points || points.length < 2) {
    body = (
      <p className="px-4 py-3 text-sm text-slate-600 dark:text-slate-400">
        {points?.length === 1
          ? "One collection so far: trends appear after the next."
          : "No collection recorded yet: trends appear once this customer's sources have been collected twice."}
      </p>
    );
  } else {
    const latest = points.at(-1)!;
    body = (
      <dl className="grid grid-cols-2 gap-x-4 gap-y-3 p-4 md:grid-cols-3 xl:grid-cols-6">
        {FIGURES.map((f) => {
          const values: TrendValue[] = points.map((p) => ({ at: p.at, value: f.value(p) }));
          const { last } = trendEnds(values);
          return (
            <div key={f.label} className="min-w-0">
              <dt className="text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">{f.label}</dt>
              <dd className="mt-0.5 text-lg font-semibold tabular-nums text-slate-900 dark:text-slate-100">
                {last ? f.format(last.value) : <span className="text-sm font-normal text-slate-500 dark:text-slate-400">{f.missing ?? MISSING}</span>}
              </dd>
              {f.detail && <dd className="text-xs text-slate-500 dark:text-slate-400">{f.detail(latest)}</dd>}
              <dd className="mt-1">
                <TrendSparkline label={f.label} values={values} format={f.format} formatDelta={f.formatDelta} />
              </dd>
            </div>
          );
        })}
      </dl>
    );
  }

  const demo = points?.some((p) => p.demo) ?? false;
  return (
    <section aria-labelledby="trends-heading" className="overflow-hidden rounded-lg border border-slate-200 dark:border-slate-700 bg-white dark:bg-slate-900 shadow-xs">
      <div className="flex flex-wrap items-center justify-between gap-2 border-b border-slate-200 dark:border-slate-700 px-4 py-2.5">
        <div className="flex items-center gap-2">
          <h2 id="trends-heading" className="text-sm font-semibold text-slate-900 dark:text-slate-100">
            Trends
          </h2>
          {demo && <Badge tone="amber">Includes demo history</Badge>}
        </div>
        {points && points.length > 1 && (
          <span className="text-xs text-slate-500 dark:text-slate-400">
            {formatCount(points.length)} points, last {TREND_DAYS} days
          </span>
        )}
      </div>
      {body}
    </section>
  );
}

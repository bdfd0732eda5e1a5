"use client";
/**
 * One host's, VM's or container's measured use over the period (analysis.utilisationHistory): a
 * small line chart per metric, with its summary in words for screen readers; loading, error and
 * "not enough history" states. Shared by the Utilisation tab and the object pages.
 */
import { useQuery } from "@tanstack/react-query";
import { CartesianGrid, Line, LineChart, Tooltip, XAxis, YAxis } from "recharts";
import { useTRPC } from "@/lib/trpc";
import { formatDateTime } from "../format";
import { EmptyState } from "../ui/EmptyState";
import { QueryError } from "../ui/ErrorMessage";
import { LoadingBlock } from "../ui/Spinner";
import { CHART } from "./format";

export const METRIC_LABEL: Record<string, string> = {
  "cpu.usage.pct": "CPU (%)",
  "cpu.usage.mhz": "CPU (MHz)",
  "cpu.ready.pct": "CPU ready (%)",
  "mem.active.mib": "Active memory (MiB)",
  "mem.consumed.mib": "Consumed memory (MiB)",
  "mem.guest.used.mib": "Guest-used memory (MiB)",
  "mem.ballooned.mib": "Ballooned (MiB)",
  "mem.swapped.mib": "Swapped (MiB)",
  "disk.read.kibps": "Disk read (KiB/s)",
  "disk.write.kibps": "Disk write (KiB/s)",
  "net.rx.kibps": "Network in (KiB/s)",
  "net.tx.kibps": "Network out (KiB/s)",
};

export function UtilisationHistoryCharts({
  customerId,
  objectKind,
  objectKey,
  empty,
}: {
  customerId: string;
  objectKind: "host" | "virtualMachine" | "container";
  objectKey: string;
  /** What to say when there is no series of two values or more. */
  empty?: { title: string; text: string };
}) {
  const trpc = useTRPC();
  const query = useQuery(trpc.analysis.utilisationHistory.queryOptions({ customerId, objectKind, objectKey }));
  const series = (query.data?.series ?? []).filter((s) => s.points.length > 1);
  if (query.isPending) return <LoadingBlock label="Reading history…" />;
  if (query.error) return <QueryError title="Could not load the history" query={query} />;
  if (series.length === 0) {
    return (
      <EmptyState title={empty?.title ?? "Not enough history"}>
        {empty?.text ?? "Only single readings so far: a chart needs two values or more of one metric."}
      </EmptyState>
    );
  }
  return (
    <div className="grid gap-4 p-4 lg:grid-cols-2">
      {series.map((s) => {
        const values = s.points.map((p) => p.value);
        const label = METRIC_LABEL[s.metric] ?? s.metric;
        const summary = `${label}: ${s.points.length} values from ${formatDateTime(s.points[0]!.at)} to ${formatDateTime(s.points[s.points.length - 1]!.at)}, lowest ${Math.min(...values).toFixed(1)}, highest ${Math.max(...values).toFixed(1)}`;
        return (
          <figure key={s.metric} aria-label={summary} data-history={s.metric}>
            <figcaption className="mb-1 text-xs font-medium text-slate-700 dark:text-slate-300">{label}</figcaption>
            <div className="h-40 w-full" data-chart>
              <LineChart responsive width="100%" height="100%" data={s.points.map((p) => ({ t: Date.parse(p.at), v: p.value }))} margin={{ top: 4, right: 8, left: 0, bottom: 4 }}>
                <CartesianGrid stroke={CHART.grid} vertical={false} />
                <XAxis dataKey="t" type="number" domain={["dataMin", "dataMax"]} scale="time" tick={{ fontSize: 11, fill: CHART.axis }} tickFormatter={(t: number) => new Date(t).toISOString().slice(5, 10)} />
                <YAxis tick={{ fontSize: 11, fill: CHART.axis }} width={48} />
                <Tooltip labelFormatter={(t) => formatDateTime(Number(t))} formatter={(v) => [Number(v).toFixed(1), label]} />
                <Line type="monotone" dataKey="v" stroke={CHART.primary} dot={false} strokeWidth={1.5} isAnimationActive={false} />
              </LineChart>
            </div>
            <p className="sr-only">{summary}</p>
          </figure>
        );
      })}
    </div>
  );
}

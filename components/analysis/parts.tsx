"use client";
/**
 * Pieces shared by the analysis tabs: the customer summary query with its loading, empty and
 * error states, section cards, chart frames and the plain tables that carry each chart's numbers.
 */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { useTRPC } from "@/lib/trpc";
import type { RouterOutputs } from "../api-types";
import { useIsEngineer } from "../auth/useIsAdmin";
import { Badge } from "../ui/Badge";
import { buttonClasses } from "../ui/Button";
import { Card } from "../ui/Card";
import { cx, focusRing } from "../ui/cx";
import { EmptyState } from "../ui/EmptyState";
import { QueryError } from "../ui/ErrorMessage";
import { LoadingBlock } from "../ui/Spinner";
import { SEVERITY_LABEL, SEVERITY_TONE, VERDICT_LABEL, VERDICT_TONE, type Severity, type VerdictValue } from "./format";

export type CustomerAnalysis = RouterOutputs["analysis"]["customer"];

/** The customer's analysis summary, shared by the four tabs (one request, cached). */
export function useCustomerAnalysis(customerId: string) {
  const trpc = useTRPC();
  return useQuery(trpc.analysis.customer.queryOptions({ customerId }));
}

/** Nothing collected: the summary has no host, VM or container. */
export function isEmptyAnalysis(data: CustomerAnalysis): boolean {
  return data.density.totals === null && data.density.hosts.total === 0;
}

/** Loading, error and "no inventory yet" around a tab's content. */
export function AnalysisGate({
  customerId,
  what,
  children,
}: {
  customerId: string;
  /** "density", "waste"…, for the messages. */
  what: string;
  children: (data: CustomerAnalysis) => ReactNode;
}) {
  const query = useCustomerAnalysis(customerId);
  if (query.isPending) return <LoadingBlock label={`Analysing ${what}…`} />;
  if (query.error && !query.data) {
    return (
      <QueryError title={`Could not load the ${what} analysis`} query={query} />
    );
  }
  const data = query.data!;
  if (isEmptyAnalysis(data)) return <NoInventory what={what} />;
  return <>{children(data)}</>;
}

export function NoInventory({ what }: { what: string }) {
  return (
    <Card>
      <EmptyState
        title="No inventory to analyse yet"
        action={
          <Link href="/sources" className={buttonClasses("primary")}>
            Add a source
          </Link>
        }
      >
        The {what} analysis works on what Fleetlens collects from this customer&rsquo;s vCenters, KVM hosts and
        Docker engines. Add a source for this customer (or collect an existing one) and the figures appear here.
      </EmptyState>
    </Card>
  );
}

/** A titled block of a tab. */
export function Section({
  id,
  title,
  description,
  actions,
  children,
  className,
}: {
  id: string;
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  return (
    <Card as="section" className={cx("overflow-hidden", className)}>
      <div className="flex flex-wrap items-start justify-between gap-3 border-b border-slate-200 dark:border-slate-700 px-4 py-3">
        <div className="min-w-0">
          <h2 id={id} className="text-sm font-semibold text-slate-900 dark:text-slate-100">
            {title}
          </h2>
          {description && <div className="mt-0.5 text-xs text-slate-600 dark:text-slate-400">{description}</div>}
        </div>
        {actions}
      </div>
      {children}
    </Card>
  );
}

/**
 * A chart and, right below it, the table of its numbers (the accessible form: the chart itself is
 * a picture of the table).
 */
export function ChartWithTable({
  label,
  chart,
  legend,
  table,
}: {
  /** What the chart shows, for screen readers. */
  label: string;
  chart: ReactNode;
  legend?: ReactNode;
  table: ReactNode;
}) {
  return (
    <div>
      <figure className="px-2 pt-4 pb-2" aria-label={label}>
        <div className="h-72 w-full" data-chart>
          {chart}
        </div>
        {legend && <figcaption className="mt-1 px-2 text-xs text-slate-600 dark:text-slate-400">{legend}</figcaption>}
      </figure>
      {table}
    </div>
  );
}

export const thClass = "px-3 py-2 text-xs font-semibold whitespace-nowrap text-slate-600 dark:text-slate-300";
export const tdClass = "px-3 py-2 align-top";
export const numClass = "px-3 py-2 text-right align-top tabular-nums whitespace-nowrap";

/** A plain table with a caption, for a chart's figures or a short list. */
export function FigureTable({
  caption,
  captionHidden = false,
  head,
  children,
  className,
}: {
  caption: string;
  /** Keep the caption for screen readers only (when a visible heading already says it). */
  captionHidden?: boolean;
  head: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  return (
    <div className={cx("overflow-x-auto border-t border-slate-200 dark:border-slate-700", className)}>
      <table className="w-full border-collapse text-sm">
        <caption
          className={cx(
            captionHidden ? "sr-only" : "px-3 pt-3 pb-2 text-left text-xs font-medium text-slate-600 dark:text-slate-400",
          )}
        >
          {caption}
        </caption>
        <thead className="bg-slate-50 dark:bg-slate-800">
          <tr className="border-b border-slate-200 dark:border-slate-700">{head}</tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">{children}</tbody>
      </table>
    </div>
  );
}

export function Th({ children, right = false, className }: { children: ReactNode; right?: boolean; className?: string }) {
  return (
    <th scope="col" className={cx(thClass, right ? "text-right" : "text-left", className)}>
      {children}
    </th>
  );
}

/** The first cell of a row, naming it. */
export function RowHeader({ children, className }: { children: ReactNode; className?: string }) {
  return (
    <th scope="row" className={cx("px-3 py-2 text-left align-top font-medium text-slate-900 dark:text-slate-100", className)}>
      {children}
    </th>
  );
}

export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    <Badge tone={SEVERITY_TONE[severity]} dot>
      {SEVERITY_LABEL[severity]}
    </Badge>
  );
}

export function VerdictBadge({ verdict, label }: { verdict: VerdictValue; label?: string }) {
  return <Badge tone={VERDICT_TONE[verdict]}>{label ?? VERDICT_LABEL[verdict]}</Badge>;
}

/** A coloured square for chart legends written in HTML. */
export function Swatch({ color, label }: { color: string; label: string }) {
  return (
    <span className="mr-4 inline-flex items-center gap-1.5 whitespace-nowrap">
      <span aria-hidden="true" className="inline-block size-2.5 rounded-sm" style={{ backgroundColor: color }} />
      {label}
    </span>
  );
}

/** An "Export CSV" link (a plain download: the server writes the file with the same filters). */
export function ExportLink({ href, label = "Export CSV" }: { href: string; label?: string }) {
  return (
    <a href={href} download className={buttonClasses("secondary", "sm")}>
      <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="size-3.5">
        <path d="M10.75 2.75a.75.75 0 0 0-1.5 0v8.614L6.295 8.235a.75.75 0 1 0-1.09 1.03l4.25 4.5a.75.75 0 0 0 1.09 0l4.25-4.5a.75.75 0 0 0-1.09-1.03l-2.955 3.129V2.75Z" />
        <path d="M3.5 12.75a.75.75 0 0 0-1.5 0v2.5A2.75 2.75 0 0 0 4.75 18h10.5A2.75 2.75 0 0 0 18 15.25v-2.5a.75.75 0 0 0-1.5 0v2.5c0 .69-.56 1.25-1.25 1.25H4.75c-.69 0-1.25-.56-1.25-1.25v-2.5Z" />
      </svg>
      {label}
    </a>
  );
}

/**
 * The export URL of a table (server/export/registry.ts's names: verdicts, findings, hosts, vms,
 * containers), carrying its format, current filters, sort and shown columns (empty ones left out).
 */
export function exportHref(customerId: string, table: string, params: Record<string, string | undefined>) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  const text = query.toString();
  return `/api/export/${encodeURIComponent(customerId)}/${table}${text ? `?${text}` : ""}`;
}

/** Engineers and administrators may export (viewers read only). */
export function useCanExport(): boolean {
  return useIsEngineer();
}

export const linkClass = cx("rounded font-medium text-brand-700 hover:text-brand-900 hover:underline dark:text-brand-300 dark:hover:text-brand-100", focusRing);

/** The empty state of an analysis table: nothing to list, or nothing matching the filters. */
export function AnalysisTableEmpty({
  what,
  filtered,
  onClear,
  children,
}: {
  what: string;
  filtered: boolean;
  onClear: () => void;
  children: ReactNode;
}) {
  if (filtered) {
    return (
      <EmptyState
        title={`No ${what} match the search and filters`}
        action={
          <button type="button" onClick={onClear} className={buttonClasses("secondary", "sm")}>
            Clear search and filters
          </button>
        }
      />
    );
  }
  return <EmptyState title={`No ${what}`}>{children}</EmptyState>;
}

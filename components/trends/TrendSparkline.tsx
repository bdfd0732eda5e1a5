"use client";
/**
 * A figure's trend across collections: a small line with its text alternative (first and last
 * value with their dates), reachable by keyboard (it takes focus and names itself), and the
 * latest value's change since the first point. The chart itself (Recharts) loads lazily.
 */
import dynamic from "next/dynamic";
import { MISSING } from "../format";
import { cx, focusRing } from "../ui/cx";

const SparklineChart = dynamic(() => import("./SparklineChart"), {
  ssr: false,
  loading: () => <span className="block h-full w-full animate-pulse rounded bg-slate-100 dark:bg-slate-800" />,
});

export interface TrendValue {
  at: Date;
  value: number | null;
}

const dateFormat = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric" });
const shortDate = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short" });

export const formatTrendDate = (date: Date) => dateFormat.format(date);

/** The first and last points that have a value (a figure may be missing at some collections). */
export function trendEnds(values: TrendValue[]) {
  const known = values.filter((v): v is { at: Date; value: number } => v.value !== null && Number.isFinite(v.value));
  return { first: known[0] ?? null, last: known.at(-1) ?? null, count: known.length };
}

/** "+3", "−1.5 GiB", "no change", in the figure's own format. */
export function formatChange(delta: number, format: (value: number) => string): string {
  if (!Number.isFinite(delta)) return MISSING;
  const shown = format(Math.abs(delta));
  if (delta === 0 || /^0(\.0+)?( |:|$)/.test(shown)) return "no change";
  return `${delta > 0 ? "+" : "−"}${shown}`;
}

/** The sentence a screen reader hears (and a mouse user sees as the title). */
export function trendDescription(label: string, values: TrendValue[], format: (value: number) => string): string {
  const { first, last, count } = trendEnds(values);
  if (!first || !last) return `${label}: no values yet`;
  if (count === 1) return `${label}: ${format(last.value)} on ${formatTrendDate(last.at)}, the only value so far`;
  return `${label}: ${format(first.value)} on ${formatTrendDate(first.at)}, ${format(last.value)} on ${formatTrendDate(last.at)} (${count} points)`;
}

export function TrendSparkline({
  label,
  values,
  format,
  formatDelta = format,
  width = 120,
  height = 28,
  color = "#2563eb",
  showChange = true,
  caption,
  className,
}: {
  /** What the figure is, e.g. "Hosts": starts the text alternative. */
  label: string;
  values: TrendValue[];
  format: (value: number) => string;
  /** How a change is written, when not as the value is (a ratio's change is a plain number). */
  formatDelta?: (value: number) => string;
  width?: number;
  height?: number;
  color?: string;
  showChange?: boolean;
  /** A word before the change, when the figure is not quite what the surrounding value counts ("physical"). */
  caption?: string;
  className?: string;
}) {
  const { first, last, count } = trendEnds(values);
  const description = trendDescription(label, values, format);
  if (!first || !last || count < 2) return null;
  return (
    <span className={cx("inline-flex flex-wrap items-center gap-x-2 gap-y-0.5", className)}>
      <span
        role="img"
        tabIndex={0}
        aria-label={description}
        title={description}
        data-sparkline={label}
        className={cx("inline-block shrink-0 rounded", focusRing)}
        style={{ width, height }}
      >
        <SparklineChart
          points={values.map((v) => ({ t: v.at.getTime(), value: v.value !== null && Number.isFinite(v.value) ? v.value : null }))}
          width={width}
          height={height}
          color={color}
        />
      </span>
      {showChange && (
        <span className="text-xs whitespace-nowrap text-slate-500 tabular-nums dark:text-slate-400">
          {caption && <span className="text-slate-400 dark:text-slate-500">{caption}: </span>}
          {formatChange(last.value - first.value, formatDelta)}
          <span className="text-slate-400 dark:text-slate-500"> since {shortDate.format(first.at)}</span>
        </span>
      )}
    </span>
  );
}

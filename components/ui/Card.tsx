import type { ReactNode } from "react";
import { cx } from "./cx";

export function Card({
  className,
  children,
  as: Tag = "div",
}: {
  className?: string;
  children: ReactNode;
  as?: "div" | "section" | "article";
}) {
  return <Tag className={cx("rounded-lg border border-slate-200 bg-white shadow-xs dark:border-slate-800 dark:bg-slate-900", className)}>{children}</Tag>;
}

/** A headline figure: label above, the number below. */
export function StatCard({
  label,
  value,
  detail,
  loading = false,
}: {
  label: string;
  value: ReactNode;
  detail?: ReactNode;
  loading?: boolean;
}) {
  return (
    <Card className="px-4 py-3">
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">{label}</dt>
      <dd className="mt-1 text-2xl font-semibold tabular-nums text-slate-900 dark:text-slate-50">
        {loading ? <span className="inline-block h-7 w-16 animate-pulse rounded bg-slate-200 dark:bg-slate-700" aria-label="Loading" /> : value}
      </dd>
      {detail && <dd className="mt-0.5 text-xs text-slate-500 dark:text-slate-400">{detail}</dd>}
    </Card>
  );
}

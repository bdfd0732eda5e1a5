import type { ReactNode } from "react";
import { cx } from "./cx";

/** What to show when there is nothing yet, and what to do about it. */
export function EmptyState({
  title,
  children,
  action,
  className,
  titleAs: Title = "p",
}: {
  title: string;
  /** Make the title the page heading when the empty state is the whole page. */
  titleAs?: "p" | "h1" | "h2";
  children?: ReactNode;
  action?: ReactNode;
  className?: string;
}) {
  return (
    <div className={cx("flex flex-col items-center px-6 py-12 text-center", className)}>
      <svg aria-hidden="true" viewBox="0 0 24 24" fill="none" className="mb-3 size-10 text-slate-300 dark:text-slate-600">
        <rect x="3" y="4" width="18" height="6" rx="1.5" stroke="currentColor" strokeWidth="1.5" />
        <rect x="3" y="14" width="18" height="6" rx="1.5" stroke="currentColor" strokeWidth="1.5" />
        <circle cx="7" cy="7" r="1" fill="currentColor" />
        <circle cx="7" cy="17" r="1" fill="currentColor" />
      </svg>
      <Title className={cx(Title === "h1" ? "text-lg font-semibold" : "text-sm font-semibold", "text-slate-900 dark:text-slate-100")}>
        {title}
      </Title>
      {children && <div className="mt-1 max-w-md text-sm text-slate-600 dark:text-slate-300">{children}</div>}
      {action && <div className="mt-4">{action}</div>}
    </div>
  );
}

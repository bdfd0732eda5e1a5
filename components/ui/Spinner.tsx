import { cx } from "./cx";

/** A decorative spinner; say what is loading in text next to it (or use `label`). */
export function Spinner({ className, label }: { className?: string; label?: string }) {
  return (
    <>
      <svg
        aria-hidden="true"
        viewBox="0 0 24 24"
        fill="none"
        className={cx("size-4 shrink-0 animate-spin text-current", className)}
      >
        <circle cx="12" cy="12" r="9" stroke="currentColor" strokeOpacity="0.25" strokeWidth="3" />
        <path d="M21 12a9 9 0 0 0-9-9" stroke="currentColor" strokeWidth="3" strokeLinecap="round" />
      </svg>
      {label && <span className="sr-only">{label}</span>}
    </>
  );
}

/** A grey placeholder block while data loads. */
export function Skeleton({ className }: { className?: string }) {
  return <span aria-hidden="true" className={cx("block animate-pulse rounded bg-slate-200 dark:bg-slate-700", className)} />;
}

/** A centred "Loading …" line for whole sections. */
export function LoadingBlock({ label = "Loading…", className }: { label?: string; className?: string }) {
  return (
    <div role="status" className={cx("flex items-center justify-center gap-2 py-10 text-sm text-slate-500 dark:text-slate-400", className)}>
      <Spinner />
      <span>{label}</span>
    </div>
  );
}

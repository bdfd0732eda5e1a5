import type { ReactNode } from "react";
import { cx } from "./cx";

export type BadgeTone = "neutral" | "brand" | "green" | "amber" | "red" | "blue" | "violet";

const TONES: Record<BadgeTone, string> = {
  neutral: "bg-slate-100 text-slate-700 ring-slate-300/70 dark:bg-slate-800 dark:text-slate-200 dark:ring-slate-600",
  brand: "bg-brand-50 text-brand-700 ring-brand-200 dark:bg-brand-900/40 dark:text-brand-200 dark:ring-brand-700",
  green: "bg-emerald-50 text-emerald-800 ring-emerald-600/25 dark:bg-emerald-950/60 dark:text-emerald-200 dark:ring-emerald-400/30",
  amber: "bg-amber-50 text-amber-800 ring-amber-600/30 dark:bg-amber-950/60 dark:text-amber-200 dark:ring-amber-400/30",
  red: "bg-red-50 text-red-700 ring-red-600/25 dark:bg-red-950/60 dark:text-red-200 dark:ring-red-400/30",
  blue: "bg-sky-50 text-sky-800 ring-sky-600/25 dark:bg-sky-950/60 dark:text-sky-200 dark:ring-sky-400/30",
  violet: "bg-violet-50 text-violet-700 ring-violet-600/25 dark:bg-violet-950/60 dark:text-violet-200 dark:ring-violet-400/30",
};

const DOTS: Record<BadgeTone, string> = {
  neutral: "bg-slate-400",
  brand: "bg-brand-500",
  green: "bg-emerald-500",
  amber: "bg-amber-500",
  red: "bg-red-500",
  blue: "bg-sky-500",
  violet: "bg-violet-500",
};

/** A small label. The text carries the meaning; colour only reinforces it. */
export function Badge({
  tone = "neutral",
  dot = false,
  pulse = false,
  title,
  className,
  children,
}: {
  tone?: BadgeTone;
  /** A coloured dot before the text. */
  dot?: boolean;
  /** Animate the dot (something in progress). */
  pulse?: boolean;
  title?: string;
  className?: string;
  children: ReactNode;
}) {
  return (
    <span
      title={title}
      className={cx(
        "inline-flex shrink-0 items-center gap-1.5 whitespace-nowrap rounded-md px-1.5 py-0.5 text-xs font-medium ring-1 ring-inset",
        TONES[tone],
        className,
      )}
    >
      {dot && (
        <span aria-hidden="true" className={cx("size-1.5 rounded-full", DOTS[tone], pulse && "animate-pulse")} />
      )}
      {children}
    </span>
  );
}

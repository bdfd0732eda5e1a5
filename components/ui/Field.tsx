import type { ReactNode } from "react";
import { cx, focusRing } from "./cx";

export const inputClasses = cx(
  "block w-full rounded-md border-0 bg-white px-2.5 py-1.5 text-sm text-slate-900 shadow-xs ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 disabled:bg-slate-50 disabled:text-slate-500",
  "dark:bg-slate-800 dark:text-slate-100 dark:ring-slate-600 dark:placeholder:text-slate-500 dark:disabled:bg-slate-900 dark:disabled:text-slate-400",
  "focus:ring-2 focus:ring-inset focus:ring-brand-600 focus:outline-none",
);

export const selectClasses = cx(inputClasses, "pr-8");

/** A select sized to its options, for filters in toolbars. */
export const compactSelectClasses = cx(inputClasses.replace("w-full", "w-auto"), "pr-8");

export const checkboxClasses = cx("size-4 rounded border-slate-300 accent-brand-600 dark:border-slate-600", focusRing);

/** A labelled form field with an optional hint below. */
export function Field({
  label,
  htmlFor,
  hint,
  hintId,
  className,
  children,
}: {
  label: string;
  htmlFor: string;
  hint?: ReactNode;
  hintId?: string;
  className?: string;
  children: ReactNode;
}) {
  return (
    <div className={className}>
      <label htmlFor={htmlFor} className="mb-1 block text-xs font-medium text-slate-700 dark:text-slate-300">
        {label}
      </label>
      {children}
      {hint && (
        <p id={hintId} className="mt-1 text-xs text-slate-500 dark:text-slate-400">
          {hint}
        </p>
      )}
    </div>
  );
}

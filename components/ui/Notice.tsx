import type { ReactNode } from "react";
import { Button } from "./Button";
import { cx } from "./cx";

const TONES = {
  success: { role: "status", classes: "border-emerald-200 bg-emerald-50 text-emerald-900" },
  info: { role: "status", classes: "border-slate-200 dark:border-slate-700 bg-slate-50 dark:bg-slate-800 text-slate-800 dark:text-slate-200" },
  error: { role: "alert", classes: "border-red-200 dark:border-red-900 bg-red-50 dark:bg-red-950/50 text-red-700 dark:text-red-300" },
} as const;

/**
 * A box of news for the person: a change done (success), something to know (info), or a problem
 * in words already (error; for an error object use ErrorMessage). With onDismiss, a Dismiss button.
 */
export function Notice({
  tone,
  onDismiss,
  className,
  children,
}: {
  tone: keyof typeof TONES;
  onDismiss?: () => void;
  className?: string;
  children: ReactNode;
}) {
  const { role, classes } = TONES[tone];
  if (onDismiss) {
    return (
      <div role={role} className={cx("flex items-center justify-between gap-3 rounded-md border px-4 py-2 text-sm", classes, className)}>
        <span>{children}</span>
        <Button variant="ghost" size="sm" onClick={onDismiss}>
          Dismiss
        </Button>
      </div>
    );
  }
  return (
    <div role={role} className={cx("rounded-md border px-3 py-2 text-sm", classes, className)}>
      {children}
    </div>
  );
}

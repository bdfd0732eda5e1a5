"use client";
import { useSyncExternalStore } from "react";
import { formatDateTime, formatRelativeTime } from "../format";

// One shared clock for every relative time on the page, ticking while anything shows one.
let now = Date.now();
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | undefined;

function subscribe(listener: () => void) {
  listeners.add(listener);
  if (!timer) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const l of listeners) l();
    }, 20_000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

/** The current time in ms, refreshed every 20 s. */
export function useNow(): number {
  return useSyncExternalStore(
    subscribe,
    () => now,
    () => now,
  );
}

/** "5 min ago", with the exact time in the title. */
export function RelativeTime({
  date,
  never = "Never",
  className,
}: {
  date: Date | null | undefined;
  never?: string;
  className?: string;
}) {
  const current = useNow();
  if (!date) return <span className={className ?? "text-slate-500 dark:text-slate-400"}>{never}</span>;
  return (
    <time dateTime={new Date(date).toISOString()} title={formatDateTime(date)} className={className}>
      {formatRelativeTime(date, current)}
    </time>
  );
}

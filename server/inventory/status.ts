/**
 * Collection status of a source and of a customer, from its runs. The last good inventory stays
 * when a collection fails; it is "stale" once its last success is older than twice the source's
 * interval (one missed or slow cycle is not yet a problem): isStale, the one rule every page and the
 * API use (the sources page, the customer pages, the fleet overview's health). A source collected
 * from uploaded files (an RVTools export) is never stale by the clock: it is as new as its upload,
 * which the page shows, and nothing would collect it again on a schedule.
 */
export const SOURCE_STATUSES = ["failed", "stale", "never", "running", "disabled", "ok"] as const;
export type SourceStatus = (typeof SOURCE_STATUSES)[number];

export interface RunFacts {
  enabled: boolean;
  intervalSeconds: number;
  lastRunStatus: "queued" | "running" | "succeeded" | "failed" | null;
  lastSuccessAt: Date | null;
  /** Collected from uploaded files, not on a schedule. */
  uploaded?: boolean;
}

/** How many intervals may pass since the last success before a source is stale. */
export const STALE_AFTER_INTERVALS = 2;

/** A scheduled source whose last success is older than twice its interval (exactly twice is not yet stale). */
export function isStale(lastSuccessAt: Date, intervalSeconds: number, now: Date = new Date()): boolean {
  return now.getTime() - lastSuccessAt.getTime() > STALE_AFTER_INTERVALS * intervalSeconds * 1000;
}

export function sourceStatus(facts: RunFacts, now: Date = new Date()): SourceStatus {
  if (!facts.enabled) return "disabled";
  // Queued or running: a collection is on its way.
  if (facts.lastRunStatus === "running" || facts.lastRunStatus === "queued") return "running";
  if (facts.lastRunStatus === null) return "never";
  if (facts.lastRunStatus === "failed") return "failed";
  if (!facts.lastSuccessAt) return "never";
  if (facts.uploaded) return "ok";
  return isStale(facts.lastSuccessAt, facts.intervalSeconds, now) ? "stale" : "ok";
}

/** A customer is as healthy as its least healthy enabled source ("never" without sources). */
export function customerStatus(statuses: SourceStatus[]): SourceStatus {
  const enabled: SourceStatus[] = statuses.filter((s) => s !== "disabled");
  if (enabled.length === 0) return statuses.length > 0 ? "disabled" : "never";
  for (const status of SOURCE_STATUSES) if (enabled.includes(status)) return status;
  return "ok";
}

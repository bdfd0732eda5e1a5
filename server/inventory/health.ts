/**
 * Collection health for the fleet overview: per source, whether its inventory can be trusted now.
 *
 * - ok: the last finished collection succeeded, no longer ago than twice the source's interval
 *   (one missed or slow cycle is not yet a problem);
 * - stale: the last finished collection succeeded, but longer ago than twice the interval;
 * - failed: the last finished collection failed (the previous inventory is kept, see ingest);
 * - never: nothing has been collected yet (no finished run);
 * - disabled: collection is turned off, so the source counts in none of the above.
 *
 * A source read from uploaded files (an RVTools export) is never stale by the clock: nothing would
 * collect it again on a schedule. A collection queued or running now does not change the state (it
 * has not finished); it is said apart (`collecting`).
 */
import { UPLOAD_KINDS } from "../collectors";
import type { Database } from "../db/client";
import { sourceStatus } from "./status";

export const HEALTH_STATES = ["failed", "stale", "never", "ok"] as const;
export type HealthState = (typeof HEALTH_STATES)[number];
export type SourceHealthState = HealthState | "disabled";

export interface SourceHealthFacts {
  enabled: boolean;
  kind: string;
  intervalSeconds: number;
  /** The newest finished run (succeeded or failed), if any. */
  lastFinishedStatus: "succeeded" | "failed" | null;
  lastSuccessAt: Date | null;
}

/** The source's status (./status.ts, the one rule) as of its newest finished run: never "running". */
export function sourceHealth(facts: SourceHealthFacts, now: Date = new Date()): SourceHealthState {
  const status = sourceStatus(
    {
      enabled: facts.enabled,
      intervalSeconds: facts.intervalSeconds,
      lastRunStatus: facts.lastFinishedStatus,
      lastSuccessAt: facts.lastSuccessAt,
      uploaded: (UPLOAD_KINDS as readonly string[]).includes(facts.kind),
    },
    now,
  );
  return status as Exclude<typeof status, "running">;
}

export interface SourceHealth {
  id: string;
  name: string;
  kind: string;
  intervalSeconds: number;
  state: SourceHealthState;
  /** A collection is queued or running now. */
  collecting: boolean;
  lastSuccessAt: Date | null;
  /** When the newest finished run ended, and its error when it failed. */
  lastFinishedAt: Date | null;
  lastError: string | null;
}

export type HealthCounts = Record<SourceHealthState, number> & { sources: number };

export interface CustomerHealth {
  customerId: string;
  name: string;
  /** The worst state among its enabled sources; null without enabled sources (none, or all disabled). */
  state: HealthState | null;
  counts: HealthCounts;
  /** The newest successful collection of any of its sources. */
  lastSuccessAt: Date | null;
  sources: SourceHealth[];
}

const emptyCounts = (): HealthCounts => ({ ok: 0, stale: 0, failed: 0, never: 0, disabled: 0, sources: 0 });

/** The worst of the states (failed, then stale, then never, then ok); null for none. */
export function worstHealth(states: readonly SourceHealthState[]): HealthState | null {
  for (const state of HEALTH_STATES) if (states.includes(state)) return state;
  return null;
}

/** Every customer in scope (`customerIds` null: all) with its sources' health, and the fleet's counts. */
export async function collectionHealth(
  database: Database,
  filter: { customerIds: string[] | null },
  now: Date = new Date(),
): Promise<{ fleet: HealthCounts; customers: CustomerHealth[] }> {
  const [customers, sources] = await Promise.all([
    database.pool.query<{ id: string; name: string }>(
      `SELECT id, name FROM customer WHERE ($1::uuid[] IS NULL OR id = ANY($1::uuid[])) ORDER BY name`,
      [filter.customerIds],
    ),
    database.pool.query<{
      id: string;
      customer_id: string;
      name: string;
      kind: string;
      enabled: boolean;
      interval_seconds: number;
      last_status: "succeeded" | "failed" | null;
      last_finished_at: Date | null;
      last_error: string | null;
      last_success_at: Date | null;
      collecting: boolean;
    }>(
      `SELECT s.id, s.customer_id, s.name, s.kind, s.enabled, s.interval_seconds,
              lf.status AS last_status, lf.finished_at AS last_finished_at, lf.error AS last_error,
              ls.finished_at AS last_success_at,
              EXISTS (SELECT 1 FROM collection_run r WHERE r.source_id = s.id AND r.status IN ('queued', 'running')) AS collecting
         FROM source s
         LEFT JOIN LATERAL (SELECT r.status, r.finished_at, r.error FROM collection_run r
                             WHERE r.source_id = s.id AND r.status IN ('succeeded', 'failed')
                             ORDER BY r.started_at DESC LIMIT 1) lf ON true
         LEFT JOIN LATERAL (SELECT r.finished_at FROM collection_run r
                             WHERE r.source_id = s.id AND r.status = 'succeeded'
                             ORDER BY r.started_at DESC LIMIT 1) ls ON true
        WHERE ($1::uuid[] IS NULL OR s.customer_id = ANY($1::uuid[]))
        ORDER BY s.name, s.id`,
      [filter.customerIds],
    ),
  ]);
  const fleet = emptyCounts();
  const byCustomer = new Map<string, CustomerHealth>(
    customers.rows.map((c) => [c.id, { customerId: c.id, name: c.name, state: null, counts: emptyCounts(), lastSuccessAt: null, sources: [] }]),
  );
  for (const r of sources.rows) {
    const customer = byCustomer.get(r.customer_id);
    if (!customer) continue;
    const state = sourceHealth(
      { enabled: r.enabled, kind: r.kind, intervalSeconds: r.interval_seconds, lastFinishedStatus: r.last_status, lastSuccessAt: r.last_success_at },
      now,
    );
    customer.sources.push({
      id: r.id,
      name: r.name,
      kind: r.kind,
      intervalSeconds: r.interval_seconds,
      state,
      collecting: r.collecting,
      lastSuccessAt: r.last_success_at,
      lastFinishedAt: r.last_finished_at,
      lastError: r.last_status === "failed" ? r.last_error : null,
    });
    for (const counts of [customer.counts, fleet]) {
      counts[state]++;
      counts.sources++;
    }
    if (r.last_success_at && (!customer.lastSuccessAt || r.last_success_at > customer.lastSuccessAt)) customer.lastSuccessAt = r.last_success_at;
  }
  const list = [...byCustomer.values()];
  for (const c of list) c.state = worstHealth(c.sources.map((s) => s.state));
  return { fleet, customers: list };
}

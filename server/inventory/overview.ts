/**
 * Fleet and source summaries, aggregated in SQL near the data.
 */
import type { Database } from "../db/client";
import { UPLOAD_KINDS } from "../collectors";
import { customerStatus, sourceStatus, type SourceStatus } from "./status";

/** How Fleetlens reaches a source: for those who manage sources (administrators) only. */
export interface SourceConnection {
  endpoint: string;
  username: string | null;
  options: Record<string, unknown>;
}

export interface SourceSummary {
  id: string;
  customerId: string;
  customerName: string;
  customerIsDemo: boolean;
  kind: string;
  name: string;
  /** Null unless asked for (`connection: true`). */
  connection: SourceConnection | null;
  hasSecret: boolean;
  enabled: boolean;
  intervalSeconds: number;
  lastRun: {
    id: string;
    status: "queued" | "running" | "succeeded" | "failed";
    trigger: string;
    startedAt: Date;
    finishedAt: Date | null;
    error: string | null;
  } | null;
  lastSuccessAt: Date | null;
  status: SourceStatus;
}

/**
 * `customerIds` null means every customer. `connection` adds each source's endpoint, username and
 * options: only for administrators (they can hold host names, paths and account names).
 */
export async function listSources(
  database: Database,
  filter: { customerIds: string[] | null; sourceId?: string; connection?: boolean },
): Promise<SourceSummary[]> {
  const { rows } = await database.pool.query(
    `SELECT s.id, s.customer_id, c.name AS customer_name, c.is_demo AS customer_is_demo, s.kind, s.name, s.endpoint, s.username,
            s.secret IS NOT NULL AS has_secret, s.enabled, s.interval_seconds, s.options,
            lr.id AS run_id, lr.status AS run_status, lr.trigger AS run_trigger,
            lr.started_at AS run_started_at, lr.finished_at AS run_finished_at, lr.error AS run_error,
            ls.finished_at AS last_success_at
       FROM source s
       JOIN customer c ON c.id = s.customer_id
       LEFT JOIN LATERAL (SELECT * FROM collection_run r WHERE r.source_id = s.id
                           ORDER BY r.started_at DESC LIMIT 1) lr ON true
       LEFT JOIN LATERAL (SELECT r.finished_at FROM collection_run r
                           WHERE r.source_id = s.id AND r.status = 'succeeded'
                           ORDER BY r.started_at DESC LIMIT 1) ls ON true
      WHERE ($1::uuid[] IS NULL OR s.customer_id = ANY($1::uuid[]))
        AND ($2::uuid IS NULL OR s.id = $2::uuid)
      ORDER BY c.name, s.name`,
    [filter.customerIds, filter.sourceId ?? null],
  );
  const now = new Date();
  return rows.map((r) => {
    const summary: Omit<SourceSummary, "status"> = {
      id: r.id,
      customerId: r.customer_id,
      customerName: r.customer_name,
      customerIsDemo: r.customer_is_demo,
      kind: r.kind,
      name: r.name,
      connection: filter.connection ? { endpoint: r.endpoint, username: r.username, options: r.options ?? {} } : null,
      hasSecret: r.has_secret,
      enabled: r.enabled,
      intervalSeconds: r.interval_seconds,
      lastRun: r.run_id
        ? {
            id: r.run_id,
            status: r.run_status,
            trigger: r.run_trigger,
            startedAt: r.run_started_at,
            finishedAt: r.run_finished_at,
            error: r.run_error,
          }
        : null,
      lastSuccessAt: r.last_success_at,
    };
    return {
      ...summary,
      status: sourceStatus(
        {
          enabled: summary.enabled,
          intervalSeconds: summary.intervalSeconds,
          lastRunStatus: summary.lastRun?.status ?? null,
          lastSuccessAt: summary.lastSuccessAt,
          uploaded: (UPLOAD_KINDS as readonly string[]).includes(summary.kind),
        },
        now,
      ),
    };
  });
}

export interface CustomerSummary {
  id: string;
  name: string;
  isDemo: boolean;
  sources: number;
  hosts: number;
  hypervisors: number;
  engineHosts: number;
  virtualMachines: number;
  vmsPoweredOn: number;
  containers: number;
  containersRunning: number;
  lastCollectedAt: Date | null;
  status: SourceStatus;
}

/**
 * Each customer's counts, counted from scratch: every host, VM and container of the customers in
 * scope read on each call. What the kept totals (CUSTOMER_COUNTS) must always equal; kept for the
 * tests that check so and for bench/api's comparison.
 */
const CUSTOMER_COUNTS_FROM_SCRATCH = `WITH h AS (
         SELECT s.customer_id, count(*)::int AS hosts,
                count(*) FILTER (WHERE x.role = 'hypervisor')::int AS hypervisors,
                count(*) FILTER (WHERE x.role = 'container-engine')::int AS engine_hosts
           FROM host x JOIN source s ON s.id = x.source_id GROUP BY s.customer_id
       ), v AS (
         SELECT s.customer_id, count(*)::int AS vms,
                count(*) FILTER (WHERE x.power_state = 'poweredOn' AND NOT x.template)::int AS on
           FROM virtual_machine x JOIN source s ON s.id = x.source_id GROUP BY s.customer_id
       ), k AS (
         SELECT s.customer_id, count(*)::int AS containers,
                count(*) FILTER (WHERE x.state = 'running')::int AS running
           FROM container x JOIN source s ON s.id = x.source_id GROUP BY s.customer_id
       )
       SELECT c.id, c.name, c.is_demo,
              coalesce(h.hosts, 0) AS hosts, coalesce(h.hypervisors, 0) AS hypervisors,
              coalesce(h.engine_hosts, 0) AS engine_hosts,
              coalesce(v.vms, 0) AS vms, coalesce(v.on, 0) AS vms_on,
              coalesce(k.containers, 0) AS containers, coalesce(k.running, 0) AS running
         FROM customer c
         LEFT JOIN h ON h.customer_id = c.id
         LEFT JOIN v ON v.customer_id = c.id
         LEFT JOIN k ON k.customer_id = c.id
        WHERE ($1::uuid[] IS NULL OR c.id = ANY($1::uuid[]))
        ORDER BY c.name`;

/** Each customer's counts from its sources' totals kept at ingest (./summary.ts): a row per source. */
const CUSTOMER_COUNTS = `SELECT c.id, c.name, c.is_demo,
              coalesce(sum(i.hosts), 0)::int AS hosts, coalesce(sum(i.hypervisors), 0)::int AS hypervisors,
              coalesce(sum(i.engine_hosts), 0)::int AS engine_hosts,
              coalesce(sum(i.virtual_machines), 0)::int AS vms, coalesce(sum(i.vms_powered_on), 0)::int AS vms_on,
              coalesce(sum(i.containers), 0)::int AS containers, coalesce(sum(i.containers_running), 0)::int AS running
         FROM customer c
         LEFT JOIN source s ON s.customer_id = c.id
         LEFT JOIN inventory_summary i ON i.source_id = s.id
        WHERE ($1::uuid[] IS NULL OR c.id = ANY($1::uuid[]))
        GROUP BY c.id
        ORDER BY c.name`;

/**
 * The customers in scope (`customerIds` null: all) with their counts (kept at ingest; `fromScratch`
 * counts every row instead, for the tests and bench/api) and collection status.
 */
export async function listCustomers(
  database: Database,
  filter: { customerIds: string[] | null },
  options: { fromScratch?: boolean } = {},
): Promise<CustomerSummary[]> {
  const [counts, sources] = await Promise.all([
    database.pool.query(options.fromScratch ? CUSTOMER_COUNTS_FROM_SCRATCH : CUSTOMER_COUNTS, [filter.customerIds]),
    listSources(database, filter),
  ]);
  return counts.rows.map((r) => {
    const own = sources.filter((s) => s.customerId === r.id);
    const collected = own
      .map((s) => s.lastSuccessAt)
      .filter((d): d is Date => d !== null)
      .sort((a, b) => b.getTime() - a.getTime());
    return {
      id: r.id,
      name: r.name,
      isDemo: r.is_demo,
      sources: own.length,
      hosts: r.hosts,
      hypervisors: r.hypervisors,
      engineHosts: r.engine_hosts,
      virtualMachines: r.vms,
      vmsPoweredOn: r.vms_on,
      containers: r.containers,
      containersRunning: r.running,
      lastCollectedAt: collected[0] ?? null,
      status: customerStatus(own.map((s) => s.status)),
    };
  });
}

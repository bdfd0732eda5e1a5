/**
 * Trends across collections: a customer's analysis totals recorded after each successful
 * collection of one of its sources (by the job that stores its analysis: analyseCustomer in
 * ./stored.ts), and read back as a customer's points
 * and as the fleet's figures per day.
 *
 * Retention (the customer_trend table): one row per customer per hour, the newest collection of
 * the hour kept; rows older than TREND_HOURLY_DAYS are thinned to the newest of each (UTC) day, and
 * rows older than TREND_KEEP_DAYS are deleted. So a customer collected every 15 minutes keeps at
 * most 35 × 24 + 365 rows.
 *
 * The fleet's figure on a day sums every customer's newest point at the end of that day (a customer
 * not collected that day still has its inventory: its last point carries forward); its ratios are
 * recomputed from the summed numerators and denominators, and its posture is the mean over every
 * scored container, as fleetSummary (./views.ts) does for today's figures.
 */
import type { Database } from "../db/client";
import { ratio } from "./density";
import type { Analysis } from "./index";
import { round1 } from "./isolation";

export const TREND_HOURLY_DAYS = 35;
export const TREND_KEEP_DAYS = 400;
/** What the pages ask for unless they say otherwise. */
export const TREND_DEFAULT_DAYS = 90;

const DAY_MS = 86_400_000;
const INT4_MAX = 2_147_483_647;

/** A customer's analysis totals at one moment. Ratios and measured figures are null where the analysis has none. */
export interface TrendFigures {
  physicalHosts: number;
  virtualMachines: number;
  vmsPoweredOn: number;
  containers: number;
  physicalCores: number;
  physicalMemoryMiB: number;
  vcpusPoweredOn: number;
  vmMemoryMiBPoweredOn: number;
  vcpuPerCore: number | null;
  vramPerPram: number | null;
  /** Sum over hypervisor hosts of measured memory used at the sizing percentile; null when no host is measured. */
  ramUsedMiB: number | null;
  /** Hypervisor hosts whose memory use is measured (the hosts ramUsedMiB sums). */
  hostsMeasured: number;
  /** RAM spent on duplicate guest OS copies. */
  ramWasteMiB: number;
  criticalFindings: number;
  warningFindings: number;
  postureScore: number | null;
  scoredContainers: number;
  /** VMs whose role makes them migration candidates. */
  candidates: number;
  /** RAM reclaimable from measured use; null when no VM is measured. */
  reclaimMemoryMiB: number | null;
}

export interface TrendPoint extends TrendFigures {
  at: Date;
  /** Backfilled demo history (server/demo/seed.ts), not a collection. */
  demo: boolean;
}

export interface FleetTrendPoint extends Omit<TrendFigures, "hostsMeasured"> {
  /** The UTC day (midnight) the point closes. */
  at: Date;
  /** Customers with a point at or before this day (the ones summed). */
  customers: number;
  /** Customers among them whose RAM use is measured (the ones ramUsedMiB sums). */
  customersMeasured: number;
  hostsMeasured: number;
}

const FIELDS = {
  physicalHosts: { column: "physical_hosts", int: true, nullable: false },
  virtualMachines: { column: "virtual_machines", int: true, nullable: false },
  vmsPoweredOn: { column: "vms_powered_on", int: true, nullable: false },
  containers: { column: "containers", int: true, nullable: false },
  physicalCores: { column: "physical_cores", int: true, nullable: false },
  physicalMemoryMiB: { column: "physical_memory_mib", int: false, nullable: false },
  vcpusPoweredOn: { column: "vcpus_powered_on", int: true, nullable: false },
  vmMemoryMiBPoweredOn: { column: "vm_memory_mib_powered_on", int: false, nullable: false },
  vcpuPerCore: { column: "vcpu_per_core", int: false, nullable: true },
  vramPerPram: { column: "vram_per_pram", int: false, nullable: true },
  ramUsedMiB: { column: "ram_used_mib", int: false, nullable: true },
  hostsMeasured: { column: "hosts_measured", int: true, nullable: false },
  ramWasteMiB: { column: "ram_waste_mib", int: false, nullable: false },
  criticalFindings: { column: "critical_findings", int: true, nullable: false },
  warningFindings: { column: "warning_findings", int: true, nullable: false },
  postureScore: { column: "posture_score", int: false, nullable: true },
  scoredContainers: { column: "scored_containers", int: true, nullable: false },
  candidates: { column: "candidates", int: true, nullable: false },
  reclaimMemoryMiB: { column: "reclaim_memory_mib", int: false, nullable: true },
} as const satisfies Record<keyof TrendFigures, { column: string; int: boolean; nullable: boolean }>;

type Field = keyof typeof FIELDS;
const FIELD_NAMES = Object.keys(FIELDS) as Field[];
const SELECT = FIELD_NAMES.map((f) => `${FIELDS[f].column} AS "${f}"`).join(", ");

/** The figures the trend keeps, from a customer's analysis (pure). */
export function trendFigures(analysis: Analysis): TrendFigures {
  const d = analysis.density.customers[0];
  const measured = analysis.utilisation.hosts.filter((h) => h.memoryUsedMiB !== null);
  const severity = (s: string) => analysis.findings.filter((f) => f.severity === s).length;
  return {
    physicalHosts: d?.physicalHosts ?? 0,
    virtualMachines: d?.virtualMachines ?? 0,
    vmsPoweredOn: d?.vmsPoweredOn ?? 0,
    containers: d?.containers ?? 0,
    physicalCores: d?.physicalCores ?? 0,
    physicalMemoryMiB: d?.physicalMemoryMiB ?? 0,
    vcpusPoweredOn: d?.vcpusPoweredOn ?? 0,
    vmMemoryMiBPoweredOn: d?.vmMemoryMiBPoweredOn ?? 0,
    vcpuPerCore: d?.vcpuPerCore ?? null,
    vramPerPram: d?.vramPerPram ?? null,
    ramUsedMiB: measured.length > 0 ? measured.reduce((s, h) => s + h.memoryUsedMiB!, 0) : null,
    hostsMeasured: measured.length,
    ramWasteMiB: analysis.waste.totals.ramWasteMiB,
    criticalFindings: severity("critical"),
    warningFindings: severity("warning"),
    postureScore: analysis.isolation.score,
    scoredContainers: analysis.isolation.scoredContainers,
    candidates: analysis.migration.totals.candidates,
    reclaimMemoryMiB: analysis.utilisation.totals.vmsMeasured > 0 ? analysis.utilisation.totals.reclaimMemoryMiB : null,
  };
}

/**
 * The figures as stored: a count past int4 saturates; a figure that is not a finite number (NaN,
 * Infinity) or is negative is an error naming it for a figure that must be there, and null for one
 * that may be missing. Nothing is written then.
 */
export function checkedFigures(figures: TrendFigures): TrendFigures {
  const out = {} as Record<Field, number | null>;
  const problems: string[] = [];
  for (const name of FIELD_NAMES) {
    const spec = FIELDS[name];
    const value = figures[name];
    if (value === null || value === undefined) {
      if (!spec.nullable) problems.push(`${name} is missing`);
      out[name] = null;
    } else if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      if (!spec.nullable) problems.push(`${name} is ${String(value)}, not a count or size`);
      out[name] = null;
    } else {
      out[name] = spec.int ? Math.min(Math.round(value), INT4_MAX) : value;
    }
  }
  if (problems.length > 0) throw new Error(`trend figures rejected: ${problems.join("; ")}`);
  return out as unknown as TrendFigures;
}

/**
 * Stores a customer's figures at `at` in the hour's slot (a later `at` of the same hour replaces
 * the row, an earlier one does not), then applies the retention relative to `at`.
 */
export async function writeTrend(
  database: Database,
  customerId: string,
  at: Date,
  input: TrendFigures,
  options: { demo?: boolean } = {},
): Promise<void> {
  if (!Number.isFinite(at.getTime())) throw new Error("trend time is not a valid date");
  const figures = checkedFigures(input);
  const columns = FIELD_NAMES.map((f) => FIELDS[f].column);
  const values = FIELD_NAMES.map((f) => figures[f]);
  const client = await database.pool.connect();
  try {
    await client.query("BEGIN");
    await client.query(
      `INSERT INTO customer_trend (customer_id, hour, at, demo, ${columns.join(", ")})
       VALUES ($1, date_trunc('hour', $2::timestamptz, 'UTC'), $2, $3, ${columns.map((_, i) => `$${i + 4}`).join(", ")})
       ON CONFLICT (customer_id, hour) DO UPDATE
         SET at = excluded.at, demo = excluded.demo, ${columns.map((c) => `${c} = excluded.${c}`).join(", ")}
       WHERE customer_trend.at <= excluded.at`,
      [customerId, at, options.demo ?? false, ...values],
    );
    await client.query(`DELETE FROM customer_trend WHERE customer_id = $1 AND at < $2::timestamptz - make_interval(days => $3)`, [
      customerId,
      at,
      TREND_KEEP_DAYS,
    ]);
    // Older than the hourly window: the newest row of each UTC day stays.
    await client.query(
      `DELETE FROM customer_trend t
        WHERE t.customer_id = $1 AND t.hour < $2::timestamptz - make_interval(days => $3)
          AND EXISTS (SELECT 1 FROM customer_trend n
                       WHERE n.customer_id = t.customer_id
                         AND date_trunc('day', n.hour, 'UTC') = date_trunc('day', t.hour, 'UTC')
                         AND n.at > t.at)`,
      [customerId, at, TREND_HOURLY_DAYS],
    );
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

type TrendRow = Record<Field, number | null> & { customerId: string; at: Date; demo: boolean };

function pointOf(row: TrendRow): TrendPoint {
  const { customerId: _customerId, ...rest } = row;
  return rest as unknown as TrendPoint;
}

/** A customer's points of the last `days` days, oldest first. */
export async function customerTrends(database: Database, customerId: string, days = TREND_DEFAULT_DAYS, now = new Date()): Promise<TrendPoint[]> {
  const { rows } = await database.pool.query<TrendRow>(
    `SELECT customer_id AS "customerId", at, demo, ${SELECT}
       FROM customer_trend
      WHERE customer_id = $1 AND at >= $2::timestamptz - make_interval(days => $3)
      ORDER BY at`,
    [customerId, now, days],
  );
  return rows.map(pointOf);
}

const dayOf = (date: Date) => Math.floor(date.getTime() / DAY_MS);

/**
 * The customers' points per UTC day (the newest of each day) for the last `days` days, and the
 * fleet's figures per day. A customer's last point before the window carries into it.
 */
export async function fleetTrends(
  database: Database,
  customers: { id: string; name: string }[],
  days = TREND_DEFAULT_DAYS,
  now = new Date(),
): Promise<{ customers: { customerId: string; name: string; points: TrendPoint[] }[]; fleet: FleetTrendPoint[] }> {
  const ids = customers.map((c) => c.id);
  const { rows } = await database.pool.query<TrendRow>(
    `SELECT * FROM (
       SELECT DISTINCT ON (customer_id, date_trunc('day', at, 'UTC'))
              customer_id AS "customerId", at, demo, ${SELECT}
         FROM customer_trend
        WHERE customer_id = ANY($1::uuid[]) AND at >= $2::timestamptz - make_interval(days => $3) AND at <= $2::timestamptz
        ORDER BY customer_id, date_trunc('day', at, 'UTC'), at DESC) daily
     UNION ALL
     SELECT * FROM (
       SELECT DISTINCT ON (customer_id) customer_id AS "customerId", at, demo, ${SELECT}
         FROM customer_trend
        WHERE customer_id = ANY($1::uuid[]) AND at < $2::timestamptz - make_interval(days => $3)
        ORDER BY customer_id, at DESC) before
     ORDER BY "customerId", at`,
    [ids, now, days],
  );
  const start = now.getTime() - days * DAY_MS;
  const byCustomer = new Map<string, TrendRow[]>();
  for (const row of rows) {
    const list = byCustomer.get(row.customerId) ?? [];
    list.push(row);
    byCustomer.set(row.customerId, list);
  }
  const fleetDays = [...new Set(rows.filter((r) => r.at.getTime() >= start).map((r) => dayOf(r.at)))].sort((a, b) => a - b);
  const fleet = fleetDays.map((day) => {
    const latest: TrendRow[] = [];
    for (const list of byCustomer.values()) {
      let last: TrendRow | undefined;
      for (const row of list) if (dayOf(row.at) <= day) last = row;
      if (last) latest.push(last);
    }
    return fleetPoint(new Date(day * DAY_MS), latest);
  });
  return {
    customers: customers.map((c) => ({
      customerId: c.id,
      name: c.name,
      points: (byCustomer.get(c.id) ?? []).filter((r) => r.at.getTime() >= start).map(pointOf),
    })),
    fleet,
  };
}

function fleetPoint(at: Date, rows: TrendRow[]): FleetTrendPoint {
  const sum = (f: Field) => rows.reduce((s, r) => s + (r[f] ?? 0), 0);
  const measured = rows.filter((r) => r.ramUsedMiB !== null);
  const reclaim = rows.filter((r) => r.reclaimMemoryMiB !== null);
  const scored = sum("scoredContainers");
  return {
    at,
    customers: rows.length,
    customersMeasured: measured.length,
    physicalHosts: sum("physicalHosts"),
    virtualMachines: sum("virtualMachines"),
    vmsPoweredOn: sum("vmsPoweredOn"),
    containers: sum("containers"),
    physicalCores: sum("physicalCores"),
    physicalMemoryMiB: sum("physicalMemoryMiB"),
    vcpusPoweredOn: sum("vcpusPoweredOn"),
    vmMemoryMiBPoweredOn: sum("vmMemoryMiBPoweredOn"),
    vcpuPerCore: ratio(sum("vcpusPoweredOn"), sum("physicalCores")),
    vramPerPram: ratio(sum("vmMemoryMiBPoweredOn"), sum("physicalMemoryMiB")),
    ramUsedMiB: measured.length > 0 ? measured.reduce((s, r) => s + r.ramUsedMiB!, 0) : null,
    hostsMeasured: sum("hostsMeasured"),
    ramWasteMiB: sum("ramWasteMiB"),
    criticalFindings: sum("criticalFindings"),
    warningFindings: sum("warningFindings"),
    postureScore: scored > 0 ? round1(rows.reduce((s, r) => s + (r.postureScore ?? 0) * (r.scoredContainers ?? 0), 0) / scored) : null,
    scoredContainers: scored,
    candidates: sum("candidates"),
    reclaimMemoryMiB: reclaim.length > 0 ? reclaim.reduce((s, r) => s + r.reclaimMemoryMiB!, 0) : null,
  };
}

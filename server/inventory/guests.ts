/**
 * Guest discovery's evidence in Postgres: each run's guests appended to `guest` (history, never
 * replaced: a guest that was not reached this time keeps its earlier facts in older runs), the
 * host keys trusted on first use recorded in `guest_host_key` (the first one stays: a changed key
 * is refused by the collector, never recorded over), and runs older than the newest
 * GUEST_RUNS_KEPT of the source pruned with their guests. Called by ingest in its transaction.
 */
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { diskOf, type GuestFacts } from "../collectors/guest/facts";
import { copyRows } from "./copy";
import type { RecordedHostKey } from "./snapshot";

/** Runs whose guests a source keeps (about a month of daily runs). */
export const GUEST_RUNS_KEPT = 30;

const GUEST_COLUMNS = [
  "id",
  "source_id",
  "run_id",
  "collected_at",
  "target",
  "hostname",
  "product_uuid",
  "machine_id",
  "mac_addresses",
  "ip_addresses",
  "memory_total_mib",
  "memory_used_mib",
  "disk_total_mib",
  "disk_used_mib",
  "cpu_busy_percent",
  "facts",
] as const;

export async function writeGuests(
  client: pg.PoolClient,
  sourceId: string,
  runId: string,
  guests: readonly GuestFacts[],
  hostKeys: readonly RecordedHostKey[],
): Promise<number> {
  const written = guests.length === 0 ? 0 : await copyRows(
    client,
    "guest",
    GUEST_COLUMNS,
    guests.map((g) => {
      const disk = diskOf(g);
      return [
        randomUUID(),
        sourceId,
        runId,
        g.collectedAt,
        g.target,
        g.hostname,
        g.productUuid,
        g.machineId,
        g.macAddresses,
        g.ipAddresses,
        g.memory.totalMiB,
        g.memory.usedMiB,
        disk.totalMiB,
        disk.usedMiB,
        g.cpuBusyPercent,
        g as unknown as Record<string, unknown>,
      ];
    }),
  );
  if (hostKeys.length > 0) {
    await client.query(
      `INSERT INTO guest_host_key (source_id, host, fingerprint)
       SELECT $1, k.host, k.fingerprint FROM unnest($2::text[], $3::text[]) AS k(host, fingerprint)
       ON CONFLICT (source_id, host) DO NOTHING`,
      [sourceId, hostKeys.map((k) => k.host), hostKeys.map((k) => k.fingerprint)],
    );
  }
  // Older runs' guests go beyond the newest GUEST_RUNS_KEPT runs that wrote any (this one included).
  await client.query(
    `DELETE FROM guest WHERE source_id = $1 AND run_id NOT IN (
       SELECT run_id FROM guest WHERE source_id = $1 GROUP BY run_id ORDER BY max(collected_at) DESC LIMIT $2)`,
    [sourceId, GUEST_RUNS_KEPT],
  );
  return written;
}

/**
 * The inventory tables' exports: hosts, virtual machines and containers, with the filters, sort
 * and search of the customer page's tables (server/api/inventory-tables.ts: the same SQL as the
 * tRPC procedures), read from Postgres with `pg` through a server-side cursor (DECLARE … CURSOR in
 * a read-only REPEATABLE READ transaction, FETCH BATCH rows at a time) and streamed out: memory
 * holds two batches at most, whatever the row count, and the export sees one snapshot of the table,
 * so a collection landing meanwhile neither removes nor repeats a row.
 *
 * Columns are keyed by the screen's column ids (the table components' TanStack ids); a screen
 * column may give several file columns (the name column shows the hostname and addresses too).
 */
import pg from "pg";
import {
  allSql,
  containerQuery,
  countSql,
  hostQuery,
  vmQuery,
  type ContainerFilter,
  type ContainerRow,
  type HostFilter,
  type HostRow,
  type TableQuery,
  type VmFilter,
  type VmRow,
} from "../api/inventory-tables";
import type { Database } from "../db/client";
import { sqlFloat, sqlInteger, sqlLabels, sqlText, sqlYesNo, type CopyQuery } from "./copy";
import type { ExportColumn } from "./csv";

/**
 * Rows fetched per round trip: large enough that the round trips do not dominate, small enough to
 * keep memory flat (two batches are held at most: the one streaming and the next, read meanwhile).
 */
export const BATCH = 5000;

/** A table column as the screen has it (its id) and the file columns it gives. */
export interface ScreenColumn<R> {
  id: string;
  columns: readonly ExportColumn<R>[];
}

/**
 * Every row of the query, through a server-side cursor on a connection of its own, opened when the
 * first row is asked for (an export never read holds no connection). The next batch is fetched while
 * this one streams out, so the database and the encoding work side by side. Stopping early (return(),
 * a cancelled download) or failing rolls back and gives the connection back.
 */
export async function* cursorRows<R>(pool: pg.Pool, query: TableQuery<R>, batch = BATCH): AsyncGenerator<R> {
  const client = await pool.connect();
  const { text, values } = allSql(query);
  const fetch = () => client.query(`FETCH ${batch} FROM export_rows`).then((r) => r.rows as Record<string, unknown>[]);
  let next: Promise<Record<string, unknown>[]> | null = null;
  let finished = false;
  let broken: Error | undefined;
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    // Every row is read: plan for the whole result (a sort), not for the first 10% (cursor_tuple_fraction's
    // default, which picks index walks and nested loops that are slow to finish).
    await client.query("SET LOCAL cursor_tuple_fraction = 1.0");
    await client.query({ text: `DECLARE export_rows NO SCROLL CURSOR FOR ${text}`, values });
    next = fetch();
    while (next) {
      const rows: Record<string, unknown>[] = await next;
      next = rows.length === batch ? fetch() : null;
      for (const raw of rows) yield query.row(raw);
    }
    await client.query("COMMIT");
    finished = true;
  } finally {
    try {
      // Stopped early: the batch read ahead is not wanted, and its failure is nobody's.
      await next?.catch(() => {});
      if (!finished) await client.query("ROLLBACK");
    } catch (error) {
      broken = error instanceof Error ? error : new Error(String(error));
    }
    // A connection whose rollback failed is closed, not pooled.
    client.release(broken);
  }
}

const yesNo = (value: boolean) => (value ? "yes" : "no");
const list = (values: readonly string[]) => values.join(", ");

const ROLE_LABEL = { hypervisor: "Hypervisor", "container-engine": "Container engine" } as const;
const POWER_LABEL: Record<string, string> = { poweredOn: "Powered on", poweredOff: "Powered off", suspended: "Suspended", paused: "Paused" };

export type HostExportRow = HostRow;
export type VmExportRow = VmRow;
export type ContainerExportRow = ContainerRow;

export const HOST_EXPORT_COLUMNS: readonly ScreenColumn<HostExportRow>[] = [
  {
    id: "name",
    columns: [
      { header: "Host", cell: (h) => h.name, sql: sqlText("q.name") },
      { header: "Runs in VM", cell: (h) => h.vm?.name, sql: sqlText("q.vm_name") },
    ],
  },
  { id: "role", columns: [{ header: "Role", cell: (h) => ROLE_LABEL[h.role], sql: sqlText(sqlLabels("q.role", ROLE_LABEL, "null")) }] },
  { id: "platform", columns: [{ header: "Platform", cell: (h) => h.platform, sql: sqlText("q.platform") }] },
  {
    id: "productVersion",
    columns: [
      { header: "Product", cell: (h) => h.productName, sql: sqlText("q.product_name") },
      { header: "Product version", cell: (h) => h.productVersion, sql: sqlText("q.product_version") },
    ],
  },
  {
    id: "cpuCores",
    columns: [
      { header: "CPU cores", cell: (h) => h.cpuCores, sql: sqlInteger("q.cpu_cores") },
      { header: "CPU sockets", cell: (h) => h.cpuSockets, sql: sqlInteger("q.cpu_sockets") },
      { header: "CPU threads", cell: (h) => h.cpuThreads, sql: sqlInteger("q.cpu_threads") },
      { header: "CPU model", cell: (h) => h.cpuModel, sql: sqlText("q.cpu_model") },
    ],
  },
  { id: "memoryMiB", columns: [{ header: "Memory (MiB)", cell: (h) => h.memoryMiB, sql: sqlFloat("q.memory_mib") }] },
  {
    id: "cluster",
    columns: [
      { header: "Cluster", cell: (h) => h.cluster, sql: sqlText("q.cluster") },
      { header: "Datacenter", cell: (h) => h.datacenter, sql: sqlText("q.datacenter") },
    ],
  },
  { id: "virtualMachines", columns: [{ header: "Virtual machines", cell: (h) => h._count.virtualMachines, sql: sqlInteger("q.vm_count") }] },
  { id: "containers", columns: [{ header: "Containers", cell: (h) => h._count.containers, sql: sqlInteger("q.container_count") }] },
];

export const VM_EXPORT_COLUMNS: readonly ScreenColumn<VmExportRow>[] = [
  {
    id: "name",
    columns: [
      { header: "Virtual machine", cell: (v) => v.name, sql: sqlText("q.name") },
      { header: "Template", cell: (v) => yesNo(v.template), sql: sqlText(sqlYesNo("q.template")) },
      { header: "Hostname", cell: (v) => v.hostname, sql: sqlText("q.hostname") },
      { header: "IP addresses", cell: (v) => list(v.ipAddresses), sql: sqlText("array_to_string(q.ip_addresses, ', ')") },
    ],
  },
  { id: "powerState", columns: [{ header: "Power", cell: (v) => POWER_LABEL[v.powerState] ?? v.powerState, sql: sqlText(sqlLabels("q.power_state", POWER_LABEL, "value")) }] },
  { id: "vcpus", columns: [{ header: "vCPUs", cell: (v) => v.vcpus, sql: sqlInteger("q.vcpus") }] },
  { id: "memoryMiB", columns: [{ header: "Memory (MiB)", cell: (v) => v.memoryMiB, sql: sqlFloat("q.memory_mib") }] },
  {
    id: "provisionedMiB",
    columns: [
      { header: "Provisioned (MiB)", cell: (v) => v.provisionedMiB, sql: sqlFloat("q.provisioned_mib") },
      { header: "Used (MiB)", cell: (v) => v.usedMiB, sql: sqlFloat("q.used_mib") },
    ],
  },
  {
    id: "guestOsConfigured",
    columns: [
      { header: "Guest OS (configured)", cell: (v) => v.guestOsConfigured, sql: sqlText("q.guest_os_configured") },
      { header: "Guest OS (reported)", cell: (v) => v.guestOsReported, sql: sqlText("q.guest_os_reported") },
      { header: "Guest OS family", cell: (v) => v.guestOsFamily, sql: sqlText("q.guest_os_family") },
    ],
  },
  { id: "host", columns: [{ header: "Host", cell: (v) => v.host?.name, sql: sqlText("q.host_name") }] },
  { id: "cluster", columns: [{ header: "Cluster", cell: (v) => v.cluster, sql: sqlText("q.cluster") }] },
  { id: "snapshotCount", columns: [{ header: "Snapshots", cell: (v) => v.snapshotCount, sql: sqlInteger("q.snapshot_count") }] },
];

export const CONTAINER_EXPORT_COLUMNS: readonly ScreenColumn<ContainerExportRow>[] = [
  { id: "name", columns: [{ header: "Container", cell: (c) => c.name, sql: sqlText("q.name") }] },
  { id: "image", columns: [{ header: "Image", cell: (c) => c.image, sql: sqlText("q.image") }] },
  {
    id: "state",
    columns: [
      { header: "State", cell: (c) => c.state, sql: sqlText("q.state") },
      { header: "Status", cell: (c) => c.status, sql: sqlText("q.status") },
    ],
  },
  { id: "host", columns: [{ header: "Host", cell: (c) => c.host.name, sql: sqlText("q.host_name") }] },
  { id: "runtime", columns: [{ header: "Runtime", cell: (c) => c.runtime, sql: sqlText("q.runtime") }] },
  // Numbers (BigInt columns: exact up to 2^53, far above any limit); 0, "no limit", as an empty cell, as on screen.
  {
    id: "memoryLimitBytes",
    columns: [
      {
        header: "Memory limit (bytes)",
        cell: (c) => (c.memoryLimitBytes > 0n ? Number(c.memoryLimitBytes) : null),
        sql: sqlFloat("CASE WHEN q.memory_limit_bytes::numeric > 0 THEN q.memory_limit_bytes::numeric::float8 END"),
      },
    ],
  },
  {
    id: "nanoCpus",
    columns: [
      {
        header: "CPU limit (CPUs)",
        cell: (c) => (c.nanoCpus > 0n ? Number(c.nanoCpus) / 1e9 : null),
        sql: sqlFloat("CASE WHEN q.nano_cpus::numeric > 0 THEN q.nano_cpus::numeric::float8 / 1e9::float8 END"),
      },
    ],
  },
  {
    id: "privileged",
    columns: [
      { header: "Privileged", cell: (c) => yesNo(c.privileged), sql: sqlText(sqlYesNo("q.privileged")) },
      { header: "User", cell: (c) => c.user, sql: sqlText("q.user_name") },
      { header: "Network mode", cell: (c) => c.networkMode, sql: sqlText("q.network_mode") },
      { header: "PID mode", cell: (c) => c.pidMode, sql: sqlText("q.pid_mode") },
      { header: "Read-only root filesystem", cell: (c) => yesNo(c.readOnlyRootfs), sql: sqlText(sqlYesNo("q.read_only_rootfs")) },
    ],
  },
];

/** The rows an export streams, and how many there are (counted first, for the audit entry). */
export interface ExportRows<R> {
  total: number;
  rows: AsyncIterable<R> | Iterable<R>;
  /** The table's query, for an export Postgres writes itself by COPY (copy.ts); the rows are then never read. */
  copy?: { pool: pg.Pool; query: CopyQuery };
}

/** The matching rows (counted first, for the audit entry; the cursor then reads them in its own snapshot). */
async function exportRows<R>(database: Database, query: TableQuery<R>): Promise<ExportRows<R>> {
  const total = (await database.pool.query<{ n: number }>(countSql(query))).rows[0]!.n;
  return { total, rows: cursorRows(database.pool, query), copy: { pool: database.pool, query } };
}

export function hostRows(database: Database, customerId: string, filter: HostFilter): Promise<ExportRows<HostExportRow>> {
  return exportRows(database, hostQuery(customerId, filter));
}

export function vmRows(database: Database, customerId: string, filter: VmFilter): Promise<ExportRows<VmExportRow>> {
  return exportRows(database, vmQuery(customerId, filter));
}

export function containerRows(database: Database, customerId: string, filter: ContainerFilter): Promise<ExportRows<ContainerExportRow>> {
  return exportRows(database, containerQuery(customerId, filter));
}

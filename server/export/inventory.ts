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
      { header: "Host", cell: (h) => h.name },
      { header: "Runs in VM", cell: (h) => h.vm?.name },
    ],
  },
  { id: "role", columns: [{ header: "Role", cell: (h) => ROLE_LABEL[h.role] }] },
  { id: "platform", columns: [{ header: "Platform", cell: (h) => h.platform }] },
  {
    id: "productVersion",
    columns: [
      { header: "Product", cell: (h) => h.productName },
      { header: "Product version", cell: (h) => h.productVersion },
    ],
  },
  {
    id: "cpuCores",
    columns: [
      { header: "CPU cores", cell: (h) => h.cpuCores },
      { header: "CPU sockets", cell: (h) => h.cpuSockets },
      { header: "CPU threads", cell: (h) => h.cpuThreads },
      { header: "CPU model", cell: (h) => h.cpuModel },
    ],
  },
  { id: "memoryMiB", columns: [{ header: "Memory (MiB)", cell: (h) => h.memoryMiB }] },
  {
    id: "cluster",
    columns: [
      { header: "Cluster", cell: (h) => h.cluster },
      { header: "Datacenter", cell: (h) => h.datacenter },
    ],
  },
  { id: "virtualMachines", columns: [{ header: "Virtual machines", cell: (h) => h._count.virtualMachines }] },
  { id: "containers", columns: [{ header: "Containers", cell: (h) => h._count.containers }] },
];

export const VM_EXPORT_COLUMNS: readonly ScreenColumn<VmExportRow>[] = [
  {
    id: "name",
    columns: [
      { header: "Virtual machine", cell: (v) => v.name },
      { header: "Template", cell: (v) => yesNo(v.template) },
      { header: "Hostname", cell: (v) => v.hostname },
      { header: "IP addresses", cell: (v) => list(v.ipAddresses) },
    ],
  },
  { id: "powerState", columns: [{ header: "Power", cell: (v) => POWER_LABEL[v.powerState] ?? v.powerState }] },
  { id: "vcpus", columns: [{ header: "vCPUs", cell: (v) => v.vcpus }] },
  { id: "memoryMiB", columns: [{ header: "Memory (MiB)", cell: (v) => v.memoryMiB }] },
  {
    id: "provisionedMiB",
    columns: [
      { header: "Provisioned (MiB)", cell: (v) => v.provisionedMiB },
      { header: "Used (MiB)", cell: (v) => v.usedMiB },
    ],
  },
  {
    id: "guestOsConfigured",
    columns: [
      { header: "Guest OS (configured)", cell: (v) => v.guestOsConfigured },
      { header: "Guest OS (reported)", cell: (v) => v.guestOsReported },
      { header: "Guest OS family", cell: (v) => v.guestOsFamily },
    ],
  },
  { id: "host", columns: [{ header: "Host", cell: (v) => v.host?.name }] },
  { id: "cluster", columns: [{ header: "Cluster", cell: (v) => v.cluster }] },
  { id: "snapshotCount", columns: [{ header: "Snapshots", cell: (v) => v.snapshotCount }] },
];

export const CONTAINER_EXPORT_COLUMNS: readonly ScreenColumn<ContainerExportRow>[] = [
  { id: "name", columns: [{ header: "Container", cell: (c) => c.name }] },
  { id: "image", columns: [{ header: "Image", cell: (c) => c.image }] },
  {
    id: "state",
    columns: [
      { header: "State", cell: (c) => c.state },
      { header: "Status", cell: (c) => c.status },
    ],
  },
  { id: "host", columns: [{ header: "Host", cell: (c) => c.host.name }] },
  { id: "runtime", columns: [{ header: "Runtime", cell: (c) => c.runtime }] },
  // Numbers (BigInt columns: exact up to 2^53, far above any limit); 0, "no limit", as an empty cell, as on screen.
  { id: "memoryLimitBytes", columns: [{ header: "Memory limit (bytes)", cell: (c) => (c.memoryLimitBytes > 0n ? Number(c.memoryLimitBytes) : null) }] },
  { id: "nanoCpus", columns: [{ header: "CPU limit (CPUs)", cell: (c) => (c.nanoCpus > 0n ? Number(c.nanoCpus) / 1e9 : null) }] },
  {
    id: "privileged",
    columns: [
      { header: "Privileged", cell: (c) => yesNo(c.privileged) },
      { header: "User", cell: (c) => c.user },
      { header: "Network mode", cell: (c) => c.networkMode },
      { header: "PID mode", cell: (c) => c.pidMode },
      { header: "Read-only root filesystem", cell: (c) => yesNo(c.readOnlyRootfs) },
    ],
  },
];

/** The rows an export streams, and how many there are (counted first, for the audit entry). */
export interface ExportRows<R> {
  total: number;
  rows: AsyncIterable<R> | Iterable<R>;
}

/** The matching rows (counted first, for the audit entry; the cursor then reads them in its own snapshot). */
async function exportRows<R>(database: Database, query: TableQuery<R>): Promise<ExportRows<R>> {
  const total = (await database.pool.query<{ n: number }>(countSql(query))).rows[0]!.n;
  return { total, rows: cursorRows(database.pool, query) };
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

/**
 * The inventory tables' exports: hosts, virtual machines and containers, with the filters, sort
 * and search of the customer page's tables (server/api/inventory-tables.ts, the same builders as
 * the tRPC procedures), read from Postgres in batches of BATCH rows with Prisma's cursor
 * pagination (keyset: each batch starts after the last row's place in the order, which ends with
 * the id, so nothing is skipped or repeated) and streamed out: memory holds one batch, whatever
 * the row count.
 *
 * Columns are keyed by the screen's column ids (the table components' TanStack ids); a screen
 * column may give several file columns (the name column shows the hostname and addresses too).
 */
import {
  CONTAINER_SELECT,
  containerOrderBy,
  containerWhere,
  FROM_PRISMA_ROLE,
  HOST_SELECT,
  hostOrderBy,
  hostWhere,
  VM_SELECT,
  vmOrderBy,
  vmWhere,
  type ContainerFilter,
  type HostFilter,
  type VmFilter,
} from "../api/inventory-tables";
import type { Database } from "../db/client";
import type { Prisma } from "../db/generated/client";
import type { ExportColumn } from "./csv";

/**
 * Rows read per query: large enough that the round trips do not dominate, small enough to keep
 * memory flat (two batches are held at most: the one streaming and the next, read meanwhile).
 */
export const BATCH = 5000;

/** A table column as the screen has it (its id) and the file columns it gives. */
export interface ScreenColumn<R> {
  id: string;
  columns: readonly ExportColumn<R>[];
}

/** The table changed under an export: the row a batch was to start after is gone. */
export const TABLE_CHANGED = "the table changed during the export (a collection replaced its rows): download it again";

/**
 * Every row, batch after batch: `read(after)` returns the BATCH rows after the row with that id in
 * the table's order (the first batch when null). The next batch is read while this one streams
 * out, so the database and the encoding work side by side. Stops reading when the consumer stops
 * (return()).
 *
 * A batch read after a row that a collection has since removed comes back empty (Prisma finds no
 * cursor): when a batch after a cursor is short, `exists(id)` tells whether that row is still there,
 * and if not the export fails (the download is reported as failed) instead of ending early as if
 * complete.
 */
export async function* inBatches<R extends { id: string }>(
  read: (after: string | null) => Promise<R[]>,
  exists: (id: string) => Promise<boolean>,
): AsyncGenerator<R> {
  let after: string | null = null;
  let next: Promise<R[]> | null = read(null);
  try {
    while (next) {
      const rows: R[] = await next;
      if (after !== null && rows.length < BATCH && !(await exists(after))) throw new Error(TABLE_CHANGED);
      after = rows.length === BATCH ? rows[rows.length - 1]!.id : null;
      next = after === null ? null : read(after);
      yield* rows;
    }
  } finally {
    // Stopped early: the batch read ahead is not wanted, and its failure is nobody's.
    next?.catch(() => {});
  }
}

/** Prisma's cursor pagination: the batch after this row (itself skipped), in the given order. */
const page = (after: string | null): { take: number; skip: number; cursor?: { id: string } } =>
  after === null ? { take: BATCH, skip: 0 } : { take: BATCH, skip: 1, cursor: { id: after } };

const yesNo = (value: boolean) => (value ? "yes" : "no");
const list = (values: readonly string[]) => values.join(", ");

const ROLE_LABEL = { hypervisor: "Hypervisor", "container-engine": "Container engine" } as const;
const POWER_LABEL: Record<string, string> = { poweredOn: "Powered on", poweredOff: "Powered off", suspended: "Suspended", paused: "Paused" };

export type HostExportRow = Prisma.HostGetPayload<{ select: typeof HOST_SELECT }>;
export type VmExportRow = Prisma.VirtualMachineGetPayload<{ select: typeof VM_SELECT }>;
export type ContainerExportRow = Prisma.ContainerGetPayload<{ select: typeof CONTAINER_SELECT }>;

export const HOST_EXPORT_COLUMNS: readonly ScreenColumn<HostExportRow>[] = [
  {
    id: "name",
    columns: [
      { header: "Host", cell: (h) => h.name },
      { header: "Runs in VM", cell: (h) => h.vm?.name },
    ],
  },
  { id: "role", columns: [{ header: "Role", cell: (h) => ROLE_LABEL[FROM_PRISMA_ROLE[h.role]] }] },
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

export async function hostRows(database: Database, customerId: string, filter: HostFilter): Promise<ExportRows<HostExportRow>> {
  const where = hostWhere(customerId, filter);
  const orderBy = hostOrderBy(filter);
  const total = await database.prisma.host.count({ where });
  const rows = inBatches(
    (after) => database.prisma.host.findMany({ where, orderBy, select: HOST_SELECT, ...page(after) }),
    (id) => database.prisma.host.count({ where: { id } }).then((n) => n > 0),
  );
  return { total, rows };
}

export async function vmRows(database: Database, customerId: string, filter: VmFilter): Promise<ExportRows<VmExportRow>> {
  const where = vmWhere(customerId, filter);
  const orderBy = vmOrderBy(filter);
  const total = await database.prisma.virtualMachine.count({ where });
  const rows = inBatches(
    (after) => database.prisma.virtualMachine.findMany({ where, orderBy, select: VM_SELECT, ...page(after) }),
    (id) => database.prisma.virtualMachine.count({ where: { id } }).then((n) => n > 0),
  );
  return { total, rows };
}

export async function containerRows(database: Database, customerId: string, filter: ContainerFilter): Promise<ExportRows<ContainerExportRow>> {
  const where = containerWhere(customerId, filter);
  const orderBy = containerOrderBy(filter);
  const total = await database.prisma.container.count({ where });
  const rows = inBatches(
    (after) => database.prisma.container.findMany({ where, orderBy, select: CONTAINER_SELECT, ...page(after) }),
    (id) => database.prisma.container.count({ where: { id } }).then((n) => n > 0),
  );
  return { total, rows };
}

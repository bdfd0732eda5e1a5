/**
 * The customer page's inventory tables (hosts, virtual machines, containers) as data: each table's
 * sortable columns, its filters, and ONE definition of its query in SQL (what a row holds, how a
 * filter becomes a WHERE, how a sort becomes an ORDER BY). Shared by the tRPC procedures
 * (routers/inventory.ts: one page, LIMIT/OFFSET) and the exports (server/export/inventory.ts: every
 * matching row through a server-side cursor), so a download holds exactly the rows the table pages
 * through, in the same order.
 *
 * Plain SQL over `pg` rather than Prisma: an export reads every row, and Prisma's turning rows into
 * objects ran at ~37k rows/s (bench/export.ts), a twentieth of what Postgres sends. Every value is a
 * bind parameter; column names come from the whitelists below, never from input.
 */
import { z } from "zod";
import { HOST_ROLES, POWER_STATES } from "../inventory/snapshot";

const direction = z.enum(["asc", "desc"]);

/** A host role, spelt "container-engine" everywhere (snapshot, database, analyses, this API, pages). */
export type HostRole = (typeof HOST_ROLES)[number];

/** A table's sort, search and filters (no page): what the procedure and the export both take. */
export function tableFilter<const C extends readonly [string, ...string[]], F extends z.ZodRawShape>(columns: C, filters: F) {
  return z.object({
    sort: z.object({ column: z.enum(columns), direction }).default({ column: columns[0], direction: "asc" } as never),
    search: z.string().trim().max(200).default(""),
    ...filters,
  });
}

export const HOST_COLUMNS = ["name", "role", "platform", "cpuCores", "memoryMiB", "productVersion", "cluster", "virtualMachines", "containers"] as const;
export const VM_COLUMNS = ["name", "powerState", "vcpus", "memoryMiB", "provisionedMiB", "guestOsConfigured", "host", "cluster", "snapshotCount"] as const;
export const CONTAINER_COLUMNS = ["name", "image", "state", "host", "runtime", "memoryLimitBytes", "privileged"] as const;

export const VM_OS_FAMILIES = ["linux", "windows", "other", "unknown"] as const;
export const CONTAINER_STATES = ["created", "running", "paused", "restarting", "removing", "exited", "dead", "unknown"] as const;

export const hostFilterSchema = tableFilter(HOST_COLUMNS, { role: z.enum(HOST_ROLES).optional() });
export const vmFilterSchema = tableFilter(VM_COLUMNS, {
  powerState: z.enum(POWER_STATES).optional(),
  osFamily: z.enum(VM_OS_FAMILIES).optional(),
  template: z.boolean().optional(),
});
export const containerFilterSchema = tableFilter(CONTAINER_COLUMNS, {
  state: z.enum(CONTAINER_STATES).optional(),
  privileged: z.boolean().optional(),
});
export type HostFilter = z.output<typeof hostFilterSchema>;
export type VmFilter = z.output<typeof vmFilterSchema>;
export type ContainerFilter = z.output<typeof containerFilterSchema>;

/** A table's query: what to select from where, the filter, the order; `values` are its bind parameters ($1 …). */
export interface TableQuery<R> {
  select: string;
  from: string;
  where: string;
  orderBy: string;
  values: unknown[];
  /** Narrowed by a filter or a search (else every row of the customer's: its count is its sources' kept total). */
  filtered: boolean;
  /** A row as `pg` gives it (column aliases below) made the row the procedure returns and the export reads. */
  row: (raw: Record<string, unknown>) => R;
}

/** Bind parameters, numbered as they are added. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * The customer's rows of a table (`alias`): by its sources' ids when the caller has them, so the
 * planner knows from the column's statistics how many rows that is and reads the largest
 * customer's first page along the sort's index but sorts a small customer's few rows (through the
 * source table it cannot tell, and read every container along the index for a customer with 900);
 * else through the source table.
 */
function ofCustomer(p: Params, alias: string, customerId: string, sourceIds: readonly string[] | undefined): string {
  return sourceIds
    ? `${alias}.source_id = ANY(${p.add(sourceIds)}::uuid[])`
    : `${alias}.source_id IN (SELECT id FROM source WHERE customer_id = ${p.add(customerId)}::uuid)`;
}

/** `contains`, case-insensitive, the search taken literally (% _ and \ escaped). */
const ilikePattern = (search: string) => `%${search.replace(/[\\%_]/g, "\\$&")}%`;

/**
 * `expression dir`, nullable columns with their nulls last either way; then the id, a total order,
 * so pages never skip or repeat a row. A column sorted through a relation (a VM's or container's
 * host name) keeps Postgres' default: nulls last ascending, first descending.
 */
function order(expression: string, dir: "asc" | "desc", nullsLast: boolean, id: string): string {
  return `${expression} ${dir === "asc" ? "ASC" : "DESC"}${nullsLast ? " NULLS LAST" : ""}, ${id} ASC`;
}

/** The page the procedure returns: LIMIT/OFFSET as bind parameters. */
export function pageSql<R>(query: TableQuery<R>, take: number, skip: number): { text: string; values: unknown[] } {
  const n = query.values.length;
  return {
    text: `SELECT ${query.select} FROM ${query.from} WHERE ${query.where} ORDER BY ${query.orderBy} LIMIT $${n + 1} OFFSET $${n + 2}`,
    values: [...query.values, take, skip],
  };
}

/** Every matching row in the table's order (the export's cursor). */
export function allSql<R>(query: TableQuery<R>): { text: string; values: unknown[] } {
  return { text: `SELECT ${query.select} FROM ${query.from} WHERE ${query.where} ORDER BY ${query.orderBy}`, values: query.values };
}

/** How many rows match. */
export function countSql<R>(query: TableQuery<R>): { text: string; values: unknown[] } {
  return { text: `SELECT count(*)::int AS n FROM ${query.from} WHERE ${query.where}`, values: query.values };
}

const str = (value: unknown) => value as string;
const strOrNull = (value: unknown) => (value ?? null) as string | null;
const num = (value: unknown) => value as number;
const numOrNull = (value: unknown) => (value ?? null) as number | null;

export interface HostRow {
  id: string;
  name: string;
  role: HostRole;
  platform: string;
  cpuModel: string | null;
  cpuSockets: number | null;
  cpuCores: number;
  cpuThreads: number | null;
  memoryMiB: number;
  productName: string | null;
  productVersion: string | null;
  cluster: string | null;
  datacenter: string | null;
  /** The VM this (container-engine) host runs in. */
  vm: { id: string; name: string } | null;
  vmLinkKey: string | null;
  _count: { virtualMachines: number; containers: number };
}

const HOST_ORDER: Record<HostFilter["sort"]["column"], { expression: string; nullable?: boolean }> = {
  name: { expression: "h.name" },
  role: { expression: "h.role" },
  platform: { expression: "h.platform" },
  cpuCores: { expression: "h.cpu_cores" },
  memoryMiB: { expression: "h.memory_mib" },
  productVersion: { expression: "h.product_version", nullable: true },
  cluster: { expression: "h.cluster", nullable: true },
  virtualMachines: { expression: "vm_count" },
  containers: { expression: "container_count" },
};

export function hostQuery(customerId: string, input: HostFilter, sourceIds?: readonly string[]): TableQuery<HostRow> {
  const p = new Params();
  const where = [ofCustomer(p, "h", customerId, sourceIds)];
  if (input.role) where.push(`h.role = ${p.add(input.role)}::host_role`);
  if (input.search) {
    const like = p.add(ilikePattern(input.search));
    where.push(`(h.name ILIKE ${like} OR h.cpu_model ILIKE ${like} OR h.cluster ILIKE ${like})`);
  }
  const sort = HOST_ORDER[input.sort.column];
  return {
    select:
      "h.id, h.name, h.role::text AS role, h.platform, h.cpu_model, h.cpu_sockets, h.cpu_cores, h.cpu_threads, h.memory_mib, " +
      "h.product_name, h.product_version, h.cluster, h.datacenter, hv.id AS vm_id, hv.name AS vm_name, h.vm_link_key, " +
      "(SELECT count(*) FROM virtual_machine cv WHERE cv.host_id = h.id)::int AS vm_count, " +
      "(SELECT count(*) FROM container cc WHERE cc.host_id = h.id)::int AS container_count",
    from: "host h LEFT JOIN virtual_machine hv ON hv.id = h.vm_id",
    where: where.join(" AND "),
    filtered: where.length > 1,
    orderBy: order(sort.expression, input.sort.direction, sort.nullable === true, "h.id"),
    values: p.values,
    row: (r) => ({
      id: str(r.id),
      name: str(r.name),
      role: r.role as HostRole,
      platform: str(r.platform),
      cpuModel: strOrNull(r.cpu_model),
      cpuSockets: numOrNull(r.cpu_sockets),
      cpuCores: num(r.cpu_cores),
      cpuThreads: numOrNull(r.cpu_threads),
      memoryMiB: num(r.memory_mib),
      productName: strOrNull(r.product_name),
      productVersion: strOrNull(r.product_version),
      cluster: strOrNull(r.cluster),
      datacenter: strOrNull(r.datacenter),
      vm: r.vm_id === null ? null : { id: str(r.vm_id), name: str(r.vm_name) },
      vmLinkKey: strOrNull(r.vm_link_key),
      _count: { virtualMachines: num(r.vm_count), containers: num(r.container_count) },
    }),
  };
}

export interface VmRow {
  id: string;
  name: string;
  powerState: (typeof POWER_STATES)[number];
  template: boolean;
  vcpus: number;
  memoryMiB: number;
  provisionedMiB: number | null;
  usedMiB: number | null;
  guestOsConfigured: string | null;
  guestOsReported: string | null;
  guestOsFamily: (typeof VM_OS_FAMILIES)[number];
  hostname: string | null;
  ipAddresses: string[];
  cluster: string | null;
  snapshotCount: number;
  toolsStatus: string | null;
  host: { id: string; name: string } | null;
}

const VM_ORDER: Record<VmFilter["sort"]["column"], { expression: string; nullable?: boolean }> = {
  name: { expression: "v.name" },
  powerState: { expression: "v.power_state" },
  vcpus: { expression: "v.vcpus" },
  memoryMiB: { expression: "v.memory_mib" },
  provisionedMiB: { expression: "v.provisioned_mib", nullable: true },
  guestOsConfigured: { expression: "v.guest_os_configured", nullable: true },
  host: { expression: "h.name" },
  cluster: { expression: "v.cluster", nullable: true },
  snapshotCount: { expression: "v.snapshot_count" },
};

export function vmQuery(customerId: string, input: VmFilter, sourceIds?: readonly string[]): TableQuery<VmRow> {
  const p = new Params();
  const where = [ofCustomer(p, "v", customerId, sourceIds)];
  if (input.powerState) where.push(`v.power_state = ${p.add(input.powerState)}::power_state`);
  if (input.osFamily) where.push(`v.guest_os_family = ${p.add(input.osFamily)}::os_family`);
  if (input.template !== undefined) where.push(`v.template = ${p.add(input.template)}`);
  if (input.search) {
    const like = p.add(ilikePattern(input.search));
    const exact = p.add(input.search);
    where.push(
      `(v.name ILIKE ${like} OR v.hostname ILIKE ${like} OR v.guest_os_configured ILIKE ${like} OR v.guest_os_reported ILIKE ${like} OR v.ip_addresses @> ARRAY[${exact}::text])`,
    );
  }
  const sort = VM_ORDER[input.sort.column];
  return {
    select:
      "v.id, v.name, v.power_state::text AS power_state, v.template, v.vcpus, v.memory_mib, v.provisioned_mib, v.used_mib, " +
      "v.guest_os_configured, v.guest_os_reported, v.guest_os_family::text AS guest_os_family, v.hostname, v.ip_addresses, " +
      "v.cluster, v.snapshot_count, v.tools_status, h.id AS host_id, h.name AS host_name",
    from: "virtual_machine v LEFT JOIN host h ON h.id = v.host_id",
    where: where.join(" AND "),
    filtered: where.length > 1,
    orderBy: order(sort.expression, input.sort.direction, sort.nullable === true, "v.id"),
    values: p.values,
    row: (r) => ({
      id: str(r.id),
      name: str(r.name),
      powerState: r.power_state as VmRow["powerState"],
      template: r.template as boolean,
      vcpus: num(r.vcpus),
      memoryMiB: num(r.memory_mib),
      provisionedMiB: numOrNull(r.provisioned_mib),
      usedMiB: numOrNull(r.used_mib),
      guestOsConfigured: strOrNull(r.guest_os_configured),
      guestOsReported: strOrNull(r.guest_os_reported),
      guestOsFamily: r.guest_os_family as VmRow["guestOsFamily"],
      hostname: strOrNull(r.hostname),
      ipAddresses: r.ip_addresses as string[],
      cluster: strOrNull(r.cluster),
      snapshotCount: num(r.snapshot_count),
      toolsStatus: strOrNull(r.tools_status),
      host: r.host_id === null ? null : { id: str(r.host_id), name: str(r.host_name) },
    }),
  };
}

/** What the table shows, nothing more: labels stay out (security review M6: a page of containers with 64 KiB labels each was 250 MiB). */
export interface ContainerRow {
  id: string;
  name: string;
  image: string;
  state: string;
  status: string | null;
  runtime: string | null;
  privileged: boolean;
  user: string | null;
  networkMode: string | null;
  pidMode: string | null;
  memoryLimitBytes: bigint;
  nanoCpus: bigint;
  readOnlyRootfs: boolean;
  imageId: string | null;
  host: { id: string; name: string };
}

const CONTAINER_ORDER: Record<ContainerFilter["sort"]["column"], { expression: string; nullable?: boolean }> = {
  name: { expression: "c.name" },
  image: { expression: "c.image" },
  state: { expression: "c.state" },
  host: { expression: "h.name" },
  runtime: { expression: "c.runtime", nullable: true },
  memoryLimitBytes: { expression: "c.memory_limit_bytes" },
  privileged: { expression: "c.privileged" },
};

export function containerQuery(customerId: string, input: ContainerFilter, sourceIds?: readonly string[]): TableQuery<ContainerRow> {
  const p = new Params();
  const where = [ofCustomer(p, "c", customerId, sourceIds)];
  if (input.state) where.push(`c.state = ${p.add(input.state)}`);
  if (input.privileged !== undefined) where.push(`c.privileged = ${p.add(input.privileged)}`);
  if (input.search) {
    const like = p.add(ilikePattern(input.search));
    where.push(`(c.name ILIKE ${like} OR c.image ILIKE ${like} OR h.name ILIKE ${like})`);
  }
  const sort = CONTAINER_ORDER[input.sort.column];
  return {
    select:
      "c.id, c.name, c.image, c.state, c.status, c.runtime, c.privileged, c.user_name, c.network_mode, c.pid_mode, " +
      "c.memory_limit_bytes::text AS memory_limit_bytes, c.nano_cpus::text AS nano_cpus, c.read_only_rootfs, c.image_id, h.id AS host_id, h.name AS host_name",
    from: "container c JOIN host h ON h.id = c.host_id",
    where: where.join(" AND "),
    filtered: where.length > 1,
    orderBy: order(sort.expression, input.sort.direction, sort.nullable === true, "c.id"),
    values: p.values,
    row: (r) => ({
      id: str(r.id),
      name: str(r.name),
      image: str(r.image),
      state: str(r.state),
      status: strOrNull(r.status),
      runtime: strOrNull(r.runtime),
      privileged: r.privileged as boolean,
      user: strOrNull(r.user_name),
      networkMode: strOrNull(r.network_mode),
      pidMode: strOrNull(r.pid_mode),
      memoryLimitBytes: BigInt(str(r.memory_limit_bytes)),
      nanoCpus: BigInt(str(r.nano_cpus)),
      readOnlyRootfs: r.read_only_rootfs as boolean,
      imageId: strOrNull(r.image_id),
      host: { id: str(r.host_id), name: str(r.host_name) },
    }),
  };
}

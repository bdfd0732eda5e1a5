/**
 * The customer page's inventory tables (hosts, virtual machines, containers) as data: each table's
 * sortable columns, its filters, how a filter becomes a Prisma `where`, how a sort becomes an
 * `orderBy`, and what a row holds. Shared by the tRPC procedures (routers/inventory.ts: one page)
 * and the exports (server/export/tables/: every matching row, streamed), so a download holds exactly
 * the rows the table pages through, in the same order.
 */
import { z } from "zod";
import type { Prisma } from "../db/generated/client";
import type { HostRole as PrismaHostRole } from "../db/generated/enums";
import { HOST_ROLES, POWER_STATES } from "../inventory/snapshot";

const direction = z.enum(["asc", "desc"]);

/** A table's sort, search and filters (no page): what the procedure and the export both take. */
export function tableFilter<const C extends readonly [string, ...string[]], F extends z.ZodRawShape>(columns: C, filters: F) {
  return z.object({
    sort: z.object({ column: z.enum(columns), direction }).default({ column: columns[0], direction: "asc" } as never),
    search: z.string().trim().max(200).default(""),
    ...filters,
  });
}

const contains = (search: string) => ({ contains: search, mode: "insensitive" as const });

/** Order by a scalar column; nullable columns put their nulls last either way. */
function scalarOrder(column: string, dir: "asc" | "desc", nullable: readonly string[]) {
  return { [column]: nullable.includes(column) ? { sort: dir, nulls: "last" as const } : dir };
}

type HostRole = (typeof HOST_ROLES)[number];
/**
 * A host role is spelt "container-engine" everywhere (snapshot, database, analyses, this API, pages);
 * only Prisma's enum member says container_engine, since an identifier cannot hold "-". Mapped here,
 * at the Prisma edge, both ways.
 */
const TO_PRISMA_ROLE: Record<HostRole, PrismaHostRole> = { hypervisor: "hypervisor", "container-engine": "container_engine" };
export const FROM_PRISMA_ROLE: Record<PrismaHostRole, HostRole> = { hypervisor: "hypervisor", container_engine: "container-engine" };

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

export function hostWhere(customerId: string, input: HostFilter): Prisma.HostWhereInput {
  return {
    source: { customerId },
    ...(input.role ? { role: TO_PRISMA_ROLE[input.role] } : {}),
    ...(input.search ? { OR: [{ name: contains(input.search) }, { cpuModel: contains(input.search) }, { cluster: contains(input.search) }] } : {}),
  };
}

/** The sort, then the id: a total order, so pages (and export batches) never skip or repeat a row. */
export function hostOrderBy({ sort }: HostFilter): Prisma.HostOrderByWithRelationInput[] {
  const { column, direction: dir } = sort;
  const order: Prisma.HostOrderByWithRelationInput =
    column === "virtualMachines" || column === "containers" ? { [column]: { _count: dir } } : scalarOrder(column, dir, ["productVersion", "cluster"]);
  return [order, { id: "asc" }];
}

export const HOST_SELECT = {
  id: true, name: true, role: true, platform: true, cpuModel: true, cpuSockets: true,
  cpuCores: true, cpuThreads: true, memoryMiB: true, productName: true, productVersion: true,
  cluster: true, datacenter: true, vm: { select: { id: true, name: true } }, vmLinkKey: true,
  _count: { select: { virtualMachines: true, containers: true } },
} as const satisfies Prisma.HostSelect;

export function vmWhere(customerId: string, input: VmFilter): Prisma.VirtualMachineWhereInput {
  return {
    source: { customerId },
    ...(input.powerState ? { powerState: input.powerState } : {}),
    ...(input.osFamily ? { guestOsFamily: input.osFamily } : {}),
    ...(input.template !== undefined ? { template: input.template } : {}),
    ...(input.search
      ? {
          OR: [
            { name: contains(input.search) },
            { hostname: contains(input.search) },
            { guestOsConfigured: contains(input.search) },
            { guestOsReported: contains(input.search) },
            { ipAddresses: { has: input.search } },
          ],
        }
      : {}),
  };
}

export function vmOrderBy({ sort }: VmFilter): Prisma.VirtualMachineOrderByWithRelationInput[] {
  const { column, direction: dir } = sort;
  const order: Prisma.VirtualMachineOrderByWithRelationInput =
    column === "host" ? { host: { name: dir } } : scalarOrder(column, dir, ["provisionedMiB", "guestOsConfigured", "cluster"]);
  return [order, { id: "asc" }];
}

export const VM_SELECT = {
  id: true, name: true, powerState: true, template: true, vcpus: true, memoryMiB: true,
  provisionedMiB: true, usedMiB: true, guestOsConfigured: true, guestOsReported: true,
  guestOsFamily: true, hostname: true, ipAddresses: true, cluster: true, snapshotCount: true,
  toolsStatus: true, host: { select: { id: true, name: true } },
} as const satisfies Prisma.VirtualMachineSelect;

export function containerWhere(customerId: string, input: ContainerFilter): Prisma.ContainerWhereInput {
  return {
    source: { customerId },
    ...(input.state ? { state: input.state } : {}),
    ...(input.privileged !== undefined ? { privileged: input.privileged } : {}),
    ...(input.search ? { OR: [{ name: contains(input.search) }, { image: contains(input.search) }, { host: { name: contains(input.search) } }] } : {}),
  };
}

export function containerOrderBy({ sort }: ContainerFilter): Prisma.ContainerOrderByWithRelationInput[] {
  const { column, direction: dir } = sort;
  const order: Prisma.ContainerOrderByWithRelationInput = column === "host" ? { host: { name: dir } } : scalarOrder(column, dir, ["runtime"]);
  return [order, { id: "asc" }];
}

/**
 * What the table shows, nothing more: labels stay out (security review M6: a page of containers
 * with 64 KiB labels each was 250 MiB).
 */
export const CONTAINER_SELECT = {
  id: true, name: true, image: true, state: true, status: true, runtime: true,
  privileged: true, user: true, networkMode: true, pidMode: true, memoryLimitBytes: true,
  nanoCpus: true, readOnlyRootfs: true, imageId: true, host: { select: { id: true, name: true } },
} as const satisfies Prisma.ContainerSelect;

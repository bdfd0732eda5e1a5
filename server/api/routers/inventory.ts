/**
 * The customer page's tables: hosts, virtual machines and containers, paginated, sorted and
 * filtered on the server. Sorting is by a whitelist of columns per table.
 */
import { z } from "zod";
import type { Prisma } from "../../db/generated/client";
import type { HostRole as PrismaHostRole } from "../../db/generated/enums";
import { HOST_ROLES, POWER_STATES } from "../../inventory/snapshot";
import { createTRPCRouter, customerProcedure } from "../trpc";

const direction = z.enum(["asc", "desc"]);

function tableInput<const C extends readonly [string, ...string[]], F extends z.ZodRawShape>(
  columns: C,
  filters: F,
) {
  return z.object({
    page: z.number().int().min(0).max(1_000_000).default(0),
    pageSize: z.number().int().min(1).max(200).default(25),
    sort: z.object({ column: z.enum(columns), direction }).default({ column: columns[0], direction: "asc" } as never),
    search: z.string().trim().max(200).default(""),
    ...filters,
  });
}

const page = (input: { page: number; pageSize: number }) => ({
  skip: input.page * input.pageSize,
  take: input.pageSize,
});

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
const FROM_PRISMA_ROLE: Record<PrismaHostRole, HostRole> = { hypervisor: "hypervisor", container_engine: "container-engine" };

const HOST_COLUMNS = ["name", "role", "platform", "cpuCores", "memoryMiB", "productVersion", "cluster", "virtualMachines", "containers"] as const;
const VM_COLUMNS = ["name", "powerState", "vcpus", "memoryMiB", "provisionedMiB", "guestOsConfigured", "host", "cluster", "snapshotCount"] as const;
const CONTAINER_COLUMNS = ["name", "image", "state", "host", "runtime", "memoryLimitBytes", "privileged"] as const;

export const inventoryRouter = createTRPCRouter({
  hosts: customerProcedure
    .input(tableInput(HOST_COLUMNS, { role: z.enum(HOST_ROLES).optional() }))
    .query(async ({ ctx, input }) => {
      const where: Prisma.HostWhereInput = {
        source: { customerId: input.customerId },
        ...(input.role ? { role: TO_PRISMA_ROLE[input.role] } : {}),
        ...(input.search
          ? { OR: [{ name: contains(input.search) }, { cpuModel: contains(input.search) }, { cluster: contains(input.search) }] }
          : {}),
      };
      const { column, direction: dir } = input.sort;
      const orderBy: Prisma.HostOrderByWithRelationInput =
        column === "virtualMachines" || column === "containers"
          ? { [column]: { _count: dir } }
          : scalarOrder(column, dir, ["productVersion", "cluster"]);
      const [rows, total] = await ctx.database.prisma.$transaction([
        ctx.database.prisma.host.findMany({
          where,
          orderBy: [orderBy, { id: "asc" }],
          ...page(input),
          select: {
            id: true, name: true, role: true, platform: true, cpuModel: true, cpuSockets: true,
            cpuCores: true, cpuThreads: true, memoryMiB: true, productName: true, productVersion: true,
            cluster: true, datacenter: true, vm: { select: { id: true, name: true } }, vmLinkKey: true,
            _count: { select: { virtualMachines: true, containers: true } },
          },
        }),
        ctx.database.prisma.host.count({ where }),
      ]);
      return { rows: rows.map((row) => ({ ...row, role: FROM_PRISMA_ROLE[row.role] })), total };
    }),

  virtualMachines: customerProcedure
    .input(
      tableInput(VM_COLUMNS, {
        powerState: z.enum(POWER_STATES).optional(),
        osFamily: z.enum(["linux", "windows", "other", "unknown"]).optional(),
        template: z.boolean().optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const where: Prisma.VirtualMachineWhereInput = {
        source: { customerId: input.customerId },
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
      const { column, direction: dir } = input.sort;
      const orderBy: Prisma.VirtualMachineOrderByWithRelationInput =
        column === "host"
          ? { host: { name: dir } }
          : scalarOrder(column, dir, ["provisionedMiB", "guestOsConfigured", "cluster"]);
      const [rows, total] = await ctx.database.prisma.$transaction([
        ctx.database.prisma.virtualMachine.findMany({
          where,
          orderBy: [orderBy, { id: "asc" }],
          ...page(input),
          select: {
            id: true, name: true, powerState: true, template: true, vcpus: true, memoryMiB: true,
            provisionedMiB: true, usedMiB: true, guestOsConfigured: true, guestOsReported: true,
            guestOsFamily: true, hostname: true, ipAddresses: true, cluster: true, snapshotCount: true,
            toolsStatus: true, host: { select: { name: true } },
          },
        }),
        ctx.database.prisma.virtualMachine.count({ where }),
      ]);
      return { rows, total };
    }),

  containers: customerProcedure
    .input(
      tableInput(CONTAINER_COLUMNS, {
        state: z.enum(["created", "running", "paused", "restarting", "removing", "exited", "dead", "unknown"]).optional(),
        privileged: z.boolean().optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const where: Prisma.ContainerWhereInput = {
        source: { customerId: input.customerId },
        ...(input.state ? { state: input.state } : {}),
        ...(input.privileged !== undefined ? { privileged: input.privileged } : {}),
        ...(input.search
          ? { OR: [{ name: contains(input.search) }, { image: contains(input.search) }, { host: { name: contains(input.search) } }] }
          : {}),
      };
      const { column, direction: dir } = input.sort;
      const orderBy: Prisma.ContainerOrderByWithRelationInput =
        column === "host" ? { host: { name: dir } } : scalarOrder(column, dir, ["runtime"]);
      const [rows, total] = await ctx.database.prisma.$transaction([
        ctx.database.prisma.container.findMany({
          where,
          orderBy: [orderBy, { id: "asc" }],
          ...page(input),
          // What the table shows, nothing more: labels stay out (security review M6: a page of
          // containers with 64 KiB labels each was 250 MiB).
          select: {
            id: true, name: true, image: true, state: true, status: true, runtime: true,
            privileged: true, user: true, networkMode: true, pidMode: true, memoryLimitBytes: true,
            nanoCpus: true, readOnlyRootfs: true, host: { select: { name: true } },
          },
        }),
        ctx.database.prisma.container.count({ where }),
      ]);
      return { rows, total };
    }),
});

export const TABLE_COLUMNS = { hosts: HOST_COLUMNS, virtualMachines: VM_COLUMNS, containers: CONTAINER_COLUMNS };

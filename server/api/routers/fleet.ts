import { collectionHealth } from "../../inventory/health";
import { fleetKpis } from "../../inventory/kpis";
import { listCustomers } from "../../inventory/overview";
import { removeDemoData } from "../../demo/seed";
import { adminProcedure, createTRPCRouter, viewerProcedure } from "../trpc";
import { scopeIds } from "./scope";

export const fleetRouter = createTRPCRouter({
  /** Customers with their host, VM and container counts and collection status. */
  overview: viewerProcedure.query(async ({ ctx }) => {
    const customers = await listCustomers(ctx.database, { customerIds: scopeIds(ctx.viewer.scope) });
    const total = (key: "hosts" | "virtualMachines" | "containers") =>
      customers.reduce((sum, c) => sum + c[key], 0);
    return {
      customers,
      totals: {
        customers: customers.length,
        hosts: total("hosts"),
        virtualMachines: total("virtualMachines"),
        containers: total("containers"),
      },
      hasDemoData: customers.some((c) => c.isDemo),
    };
  }),

  /** The overview's KPI tiles: inventory counts and vCPU:pCore (SQL), analysis figures (stored analyses), plans in progress. */
  kpis: viewerProcedure.query(async ({ ctx }) => fleetKpis(ctx.database, { customerIds: scopeIds(ctx.viewer.scope) })),

  /** Per customer in scope, its sources' collection health (ok, stale, failed, never), and the fleet's counts. */
  health: viewerProcedure.query(async ({ ctx }) => collectionHealth(ctx.database, { customerIds: scopeIds(ctx.viewer.scope) })),

  /** Deletes the demo customers and their inventory; the demo is not loaded again. */
  removeDemoData: adminProcedure.mutation(async ({ ctx }) => {
    const removed = await removeDemoData(ctx.database);
    await ctx.audit("demo-data-removed", { detail: { customers: removed } });
    return { removed };
  }),
});

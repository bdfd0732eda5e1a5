import { createCallerFactory, createTRPCRouter } from "./trpc";
import { customersRouter } from "./routers/customers";
import { fleetRouter } from "./routers/fleet";
import { inventoryRouter } from "./routers/inventory";
import { sourcesRouter } from "./routers/sources";

export const appRouter = createTRPCRouter({
  fleet: fleetRouter,
  customers: customersRouter,
  inventory: inventoryRouter,
  sources: sourcesRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side calls (tests, server components) with a context built by the caller. */
export const createCaller = createCallerFactory(appRouter);

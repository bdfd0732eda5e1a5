import { createCallerFactory, createTRPCRouter } from "./trpc";
import { accountRouter } from "./routers/account";
import { analysisRouter } from "./routers/analysis";
import { auditRouter } from "./routers/audit";
import { customersRouter } from "./routers/customers";
import { fleetRouter } from "./routers/fleet";
import { inventoryRouter } from "./routers/inventory";
import { plansRouter } from "./routers/plans";
import { searchRouter } from "./routers/search";
import { objectsRouter } from "./routers/objects";
import { reportRouter } from "./routers/report";
import { setupRouter } from "./routers/setup";
import { sourcesRouter } from "./routers/sources";
import { usersRouter } from "./routers/users";

export const appRouter = createTRPCRouter({
  fleet: fleetRouter,
  customers: customersRouter,
  inventory: inventoryRouter,
  analysis: analysisRouter,
  plans: plansRouter,
  objects: objectsRouter,
  sources: sourcesRouter,
  setup: setupRouter,
  account: accountRouter,
  users: usersRouter,
  audit: auditRouter,
  search: searchRouter,
  report: reportRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side calls (tests, server components) with a context built by the caller. */
export const createCaller = createCallerFactory(appRouter);

/**
 * What bench/api and bench/load share: a large fleet in a scratch embedded PostgreSQL that is kept
 * between runs (generated once: it takes minutes), the dashboard started on it as `npm start`
 * starts it (server/http/serve.ts on the production build in .next), API tokens to sign in with,
 * the dashboard's calls as the pages make them, and percentiles.
 *
 * The scratch data lives in --data-dir (default: $TMPDIR/fleetlens-bench-fleet-<vms>-<containers>),
 * never in the tests' databases; `--fresh` throws it away and generates it again.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import superjson from "superjson";
import type { AppRouter } from "../server/api/root";
import { createApiToken } from "../server/auth/tokens";
import { createUser } from "../server/auth/users";
import { generateFleetSnapshot } from "../server/collectors/demo/fleet";
import { connect, type Database } from "../server/db/client";
import { startEmbeddedPostgres } from "../server/db/embedded";
import { migrate } from "../server/db/migrate";
import { seedDemoFleet } from "../server/demo/seed";
import { recordCustomerTrend } from "../server/jobs/collect";
import { analyseCustomer } from "../server/analysis/stored";
import { WEB_PROCESS_FLAGS } from "../server/http/web-flags";
import { applySnapshot } from "../server/inventory/ingest";
import { arg } from "./lib";

export const BENCH_CUSTOMER = "Bench fleet";
const BENCH_USER = "bench@example.com";

export const seconds = (start: number) => ((performance.now() - start) / 1000).toFixed(1);

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface BenchFleet {
  url: string;
  dataDir: string;
  database: Database;
  customerId: string;
  counts: { customers: number; hosts: number; vms: number; containers: number };
  userId: string;
  stop(): Promise<void>;
}

/**
 * The scratch PostgreSQL with the fleet in it: the five demo customers (as a first start loads
 * them: measured use, guests, trend history) and one customer holding a generated fleet of `vms`
 * VMs and `containers` containers (bench/ingest's generator, ingested in bulk by applySnapshot).
 */
export async function openBenchFleet(log: (line: string) => void): Promise<BenchFleet> {
  const vms = arg("vms", 50_000);
  const containers = arg("containers", 500_000);
  const dirIndex = process.argv.indexOf("--data-dir");
  const dataDir = dirIndex >= 0 ? path.resolve(process.argv[dirIndex + 1]!) : path.join(os.tmpdir(), `fleetlens-bench-fleet-${vms}-${containers}`);
  if (process.argv.includes("--fresh")) await fs.rm(dataDir, { recursive: true, force: true });
  await fs.mkdir(dataDir, { recursive: true });
  await fs.chmod(dataDir, 0o755);
  const server = await startEmbeddedPostgres({ dir: dataDir });
  await migrate(server.url);
  const database = connect(server.url, { max: 4 });
  try {
    let customer = await database.prisma.customer.findFirst({ where: { name: BENCH_CUSTOMER } });
    if (!customer) {
      let t = performance.now();
      await seedDemoFleet(database);
      log(`demo fleet loaded in ${seconds(t)} s`);
      t = performance.now();
      const snapshot = generateFleetSnapshot({ seed: 19, vms, containers, collectedAt: new Date().toISOString() });
      log(`generated ${vms} VMs and ${containers} containers in ${seconds(t)} s`);
      const created = await database.prisma.customer.create({ data: { name: `${BENCH_CUSTOMER} (pending)` } });
      const source = await database.prisma.source.create({
        data: { customerId: created.id, kind: "demo", name: "Bench fleet", endpoint: "demo:bench", enabled: false },
      });
      t = performance.now();
      const { runId } = await applySnapshot(source.id, snapshot, { database });
      log(`ingested in ${seconds(t)} s`);
      t = performance.now();
      // What a collection does after its ingest: the customer's analysis and its trend point.
      await recordCustomerTrend(database, created.id, runId);
      log(`analysis and trend point after the ingest in ${seconds(t)} s`);
      await database.pool.query("VACUUM ANALYZE");
      // Named last: a run stopped half-way leaves a "(pending)" customer, and --fresh starts again.
      customer = await database.prisma.customer.update({ where: { id: created.id }, data: { name: BENCH_CUSTOMER } });
    }
    // Every customer's analysis stored, as the job after each ingest leaves it (a fleet made before
    // analyses were stored gets them now): page views read it, none computes it.
    const { rows: missing } = await database.pool.query<{ id: string; name: string }>(
      `SELECT c.id, c.name FROM customer c WHERE NOT EXISTS (SELECT 1 FROM customer_analysis a WHERE a.customer_id = c.id)`,
    );
    for (const c of missing) {
      const t = performance.now();
      await analyseCustomer(database, c.id);
      log(`analysis of ${c.name} computed and stored in ${seconds(t)} s`);
    }
    const user =
      (await database.prisma.user.findUnique({ where: { email: BENCH_USER } })) ??
      (await createUser(database, { email: BENCH_USER, name: "Bench", password: "bench-password-19", role: "admin", allCustomers: true }));
    const { rows } = await database.pool.query<{ customers: number; hosts: number; vms: number; containers: number }>(
      `SELECT (SELECT count(*) FROM customer)::int AS customers, (SELECT count(*) FROM host)::int AS hosts,
              (SELECT count(*) FROM virtual_machine)::int AS vms, (SELECT count(*) FROM container)::int AS containers`,
    );
    return {
      url: server.url,
      dataDir,
      database,
      customerId: customer.id,
      counts: rows[0]!,
      userId: user.id,
      async stop() {
        await database.close();
        await server.stop();
      },
    };
  } catch (error) {
    await database.close();
    await server.stop();
    throw error;
  }
}

/** One API token per client, as separate scripts or people would hold (a token's use is recorded on its row). */
export async function apiTokens(fleet: BenchFleet, count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) tokens.push((await createApiToken(fleet.database, fleet.userId, `bench ${i + 1}`)).token);
  return tokens;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export interface RunningDashboard {
  baseUrl: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * The dashboard process `npm start` runs (server/http/serve.ts: Next.js production server behind
 * the gate) on the scratch database. Not scripts/start.ts itself: it would rebuild .next whenever
 * a source file is newer than the build (always, in a checkout others edit), and start a
 * collection worker, whose work is not what is measured. Builds .next first when there is none.
 */
export async function startDashboard(fleet: BenchFleet, log: (line: string) => void): Promise<RunningDashboard> {
  // --app-dir: a copy of the checkout whose .next no other build rewrites during the measurement
  // (links to everything else): on a machine where others build the shared .next.
  const dirIndex = process.argv.indexOf("--app-dir");
  const appDir = dirIndex >= 0 ? path.resolve(process.argv[dirIndex + 1]!) : process.cwd();
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", DATABASE_URL: fleet.url, FLEETLENS_DATA_DIR: fleet.dataDir };
  if (!existsSync(path.join(appDir, ".next", "BUILD_ID"))) {
    log("no production build in .next: next build…");
    const build = spawn(process.execPath, [path.join("node_modules", "next", "dist", "bin", "next"), "build"], { stdio: "inherit", env, cwd: appDir });
    const code = await new Promise<number | null>((resolve) => build.once("exit", resolve));
    if (code !== 0) throw new Error(`next build failed (${code})`);
  }
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [...WEB_PROCESS_FLAGS, "--import", "tsx", path.join("server", "http", "serve.ts")], {
    env: { ...env, PORT: String(port), HOST: "127.0.0.1", FLEETLENS_URL: baseUrl },
    cwd: appDir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the dashboard exited (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) throw new Error(`the dashboard did not answer in 120 s:\n${output}`);
    if (await fetch(`${baseUrl}/api/health`).then((r) => r.ok, () => false)) break;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return {
    baseUrl,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** A tRPC client over HTTP (one request per call, no batching, so that each call is timed alone). */
export function apiClient(baseUrl: string, token: string) {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${baseUrl}/api/trpc`, transformer: superjson, headers: { authorization: `Bearer ${token}` } })],
  });
}
export type ApiClient = ReturnType<typeof apiClient>;

export interface PageCall {
  page: "overview" | "customer" | "customer tab";
  /** The procedure's path, e.g. fleet.overview. */
  path: string;
  input: unknown;
}

const table = (customerId: string, column: string, direction: "asc" | "desc") => ({
  customerId,
  page: 0,
  pageSize: 25,
  sort: { column, direction },
  search: "",
});

/**
 * The calls the fleet overview and the customer page make on first load (the header's account.me,
 * FleetOverview's four, CustomerView's customer, trends and Hosts table), and the first call of
 * each of the customer page's other tabs, with the inputs the components give.
 */
export function pageCalls(customerId: string): PageCall[] {
  return [
    { page: "overview", path: "account.me", input: undefined },
    { page: "overview", path: "fleet.overview", input: undefined },
    { page: "overview", path: "fleet.kpis", input: undefined },
    { page: "overview", path: "fleet.health", input: undefined },
    { page: "overview", path: "analysis.fleetTrends", input: { days: 90 } },
    { page: "customer", path: "customers.get", input: { customerId } },
    { page: "customer", path: "analysis.trends", input: { customerId, days: 90 } },
    { page: "customer", path: "inventory.hosts", input: table(customerId, "name", "asc") },
    { page: "customer tab", path: "inventory.virtualMachines", input: table(customerId, "name", "asc") },
    { page: "customer tab", path: "inventory.containers", input: table(customerId, "name", "asc") },
    { page: "customer tab", path: "analysis.guests", input: { customerId } },
    { page: "customer tab", path: "analysis.customer", input: { customerId } },
    { page: "customer tab", path: "analysis.utilisation", input: { customerId } },
    { page: "customer tab", path: "analysis.utilisationVms", input: table(customerId, "reclaimMemoryMiB", "desc") },
    { page: "customer tab", path: "analysis.findings", input: table(customerId, "severity", "asc") },
    { page: "customer tab", path: "analysis.verdicts", input: table(customerId, "ramMiB", "desc") },
    { page: "customer tab", path: "analysis.dependencies", input: { customerId } },
    { page: "customer tab", path: "plans.list", input: { customerId } },
  ];
}

/** Calls a procedure by its path (router.procedure): over HTTP with a client, or in-process with a server-side caller. */
export async function call(client: object, path: string, input: unknown, via: "http" | "caller" = "http"): Promise<unknown> {
  const [router, procedure] = path.split(".") as [string, string];
  const target = (client as Record<string, Record<string, unknown>>)[router]![procedure]!;
  if (via === "caller") return (target as (input: unknown) => Promise<unknown>)(input);
  return (target as { query(input: unknown): Promise<unknown> }).query(input);
}

export function describeError(error: unknown): string {
  // fetch's own errors say only "fetch failed": the reason is in their causes (ECONNRESET, "other side closed", a timeout).
  const causes: string[] = [];
  for (let cause = (error as { cause?: unknown } | null)?.cause; cause && causes.length < 4; cause = (cause as { cause?: unknown }).cause) {
    const code = (cause as { code?: string }).code;
    causes.push(cause instanceof Error ? `${cause.message}${code ? ` (${code})` : ""}` : String(cause));
  }
  const because = causes.length > 0 ? ` <- ${causes.join(" <- ")}` : "";
  if (error instanceof TRPCClientError) return `${(error.data as { code?: string } | undefined)?.code ?? "error"}: ${error.message}${because}`;
  return `${error instanceof Error ? error.message : String(error)}${because}`;
}

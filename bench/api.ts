/**
 * bench/api: the fleet overview's and the customer page's tRPC calls under concurrent clients,
 * each against the SQL the same call runs, replayed bare over pg, measured in the same run.
 *
 *   npm run bench:api                                     50k VMs, 500k containers, 20 clients
 *   npm run bench:api -- --vms 2000 --containers 20000 --clients 20 --rounds 10
 *
 * The fleet (bench/app.ts: the demo customers and one customer of the given size) is generated
 * once into a scratch embedded PostgreSQL kept in --data-dir and reused; --fresh regenerates it,
 * --prepare only generates it.
 * The dashboard runs as `npm start` runs it (Next.js production server, server/http/serve.ts) on
 * that database; every client signs in with an API token of its own and calls over HTTP.
 *
 * For each call: its first answer after the dashboard started (cold: nothing cached), one untimed
 * call per client at once (the server's code warmed for the burst), then --clients clients calling
 * it --rounds times each at once (p50, p95); then the reference: the statements the call sent to
 * PostgreSQL (recorded afterwards by running the same procedure in this process, sign-in excluded),
 * run by as many pg connections at once, each statement after the other. What the recording loaded
 * into this process (a customer's analysis: over 2 GB of heap for the largest) is dropped and
 * collected before the next call is timed: this process is every client, and its own collections
 * of that heap (seconds each) would otherwise count in the next calls' times.
 * Goal: API p95 <= 100 ms and <= 2x the SQL's p95.
 * The CPU each timed call cost is shown too, split between the dashboard's process, this process
 * (the clients: HTTP, gunzip, JSON and superjson of every answer) and PostgreSQL, from /proc: with
 * everything on one machine, the clients' share competes with the server for the same cores.
 *
 * The counts are kept at ingest (server/inventory/summary.ts) and the calls read those totals, so
 * the reference reads them too (it is what the call sends). For comparison, the columns "scratch"
 * replay the SQL the same figures took before they were kept, counted from every row, the same
 * way: fleet.overview's and customers.get's counts (listCustomers fromScratch), fleet.kpis' counts
 * (fleetCounts fromScratch), and the tables' page query without the customer's source ids with
 * count(*) for the total.
 */
import { availableParallelism } from "node:os";
import v8 from "node:v8";
import vm from "node:vm";
import pg from "pg";
import { createCaller } from "../server/api/root";
import { containerQuery, countSql, hostQuery, pageSql, vmQuery, type TableQuery } from "../server/api/inventory-tables";
import { createContext } from "../server/api/trpc";
import { forgetCachedAnalyses } from "../server/analysis/stored";
import type { Database } from "../server/db/client";
import { fleetCounts } from "../server/inventory/kpis";
import { listCustomers } from "../server/inventory/overview";
import { apiClient, apiTokens, call, describeError, openBenchFleet, pageCalls, percentile, startDashboard, type PageCall } from "./app";
import { arg, cpuMeter, timed } from "./lib";

const clients = arg("clients", 20);
const rounds = arg("rounds", 10);
const log = (line: string) => console.log(`[bench:api] ${line}`);

interface Statement {
  text: string;
  values?: unknown[];
}

/** Records what every pg client of this process sends while `task` runs (transaction control left out). */
async function recordStatements(task: () => Promise<unknown>): Promise<Statement[]> {
  const statements: Statement[] = [];
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const [first, second] = args;
    const text = typeof first === "string" ? first : (first as { text?: string } | undefined)?.text;
    const values = (typeof first === "object" && first && "values" in first ? (first as { values?: unknown[] }).values : undefined) ?? (Array.isArray(second) ? second : undefined);
    if (text && !/^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SET\s)/i.test(text)) statements.push({ text, values });
    return original.apply(this, args);
  } as typeof original;
  try {
    await task();
  } finally {
    proto.query = original;
  }
  return statements;
}

/** The SQL the same figures took counted from every row (before they were kept at ingest), where a call's figures now read kept totals. */
function fromScratch(database: Database, path: string, input: unknown): (() => Promise<unknown>) | null {
  const customerId = (input as { customerId?: string } | undefined)?.customerId ?? "";
  const table = async (query: TableQuery<unknown>) => {
    const { page, pageSize } = input as { page: number; pageSize: number };
    await database.pool.query(pageSql(query, pageSize, page * pageSize));
    await database.pool.query(countSql(query));
  };
  switch (path) {
    case "fleet.overview":
      return () => listCustomers(database, { customerIds: null }, { fromScratch: true });
    case "customers.get":
      return () => listCustomers(database, { customerIds: [customerId] }, { fromScratch: true });
    case "fleet.kpis":
      return () => fleetCounts(database, { customerIds: null }, { fromScratch: true });
    case "inventory.hosts":
      return () => table(hostQuery(customerId, input as Parameters<typeof hostQuery>[1]));
    case "inventory.virtualMachines":
      return () => table(vmQuery(customerId, input as Parameters<typeof vmQuery>[1]));
    case "inventory.containers":
      return () => table(containerQuery(customerId, input as Parameters<typeof containerQuery>[1]));
    default:
      return null;
  }
}

/** Each client runs the statements one after the other, `rounds` times; the time of each round. */
async function replay(reference: pg.Pool, statements: Statement[]): Promise<number[]> {
  const times: number[] = [];
  await concurrently(clients, async () => {
    const client = await reference.connect();
    try {
      for (let round = 0; round < rounds; round++) {
        const start = performance.now();
        for (const statement of statements) await client.query(statement.text, statement.values);
        times.push(performance.now() - start);
      }
    } finally {
      client.release();
    }
  });
  return times;
}

/** A full collection of this process's heap, now rather than while the next call is timed. */
function collectGarbage() {
  v8.setFlagsFromString("--expose-gc");
  (vm.runInNewContext("gc") as () => void)();
}

async function concurrently(count: number, task: (index: number) => Promise<void>) {
  await Promise.all(Array.from({ length: count }, (_, index) => task(index)));
}

async function main() {
  const fleet = await openBenchFleet(log);
  const { counts } = fleet;
  log(`fleet: ${counts.customers} customers, ${counts.hosts} hosts, ${counts.vms} VMs, ${counts.containers} containers (${fleet.dataDir})`);
  if (process.argv.includes("--prepare")) {
    await fleet.stop();
    return;
  }
  const tokens = await apiTokens(fleet, clients);
  const dashboard = await startDashboard(fleet, log);
  const reference = new pg.Pool({ connectionString: fleet.url, max: clients });
  const rows: string[][] = [];
  const failures: string[] = [];
  try {
    const api = tokens.map((token) => apiClient(dashboard.baseUrl, token));
    const context = await createContext({ headers: new Headers({ authorization: `Bearer ${tokens[0]}` }), database: fleet.database });
    const caller = createCaller(context);
    const calls = pageCalls(fleet.customerId);

    const measure = async ({ page, path }: PageCall, input: unknown) => {
      const [coldMs] = await timed(() => call(api[0]!, path, input));
      await concurrently(clients, (i) => call(api[i]!, path, input).then(() => undefined, () => undefined));

      const apiTimes: number[] = [];
      let errors = 0;
      const cpu = await cpuMeter(dashboard.pid);
      await concurrently(clients, async (i) => {
        for (let round = 0; round < rounds; round++) {
          const start = performance.now();
          try {
            await call(api[i]!, path, input);
            apiTimes.push(performance.now() - start);
          } catch (error) {
            errors++;
            if (failures.length < 10) failures.push(`${path}: ${describeError(error)}`);
          }
        }
      });
      const used = await cpu();
      const perCall = (ms: number) => (ms / (clients * rounds)).toFixed(1);
      // The statements the call sends once warm (what the measured calls sent), run bare.
      await call(caller, path, input, "caller");
      const statements = await recordStatements(() => call(caller, path, input, "caller"));
      forgetCachedAnalyses();
      collectGarbage();
      const sqlTimes = await replay(reference, statements);
      const scratch = fromScratch(fleet.database, path, input);
      const scratchTimes = scratch ? await replay(reference, await recordStatements(scratch)) : [];
      const apiP95 = percentile(apiTimes, 95);
      const sqlP95 = percentile(sqlTimes, 95);
      const met = apiP95 <= 100 && apiP95 <= 2 * sqlP95;
      rows.push([
        page,
        path,
        coldMs.toFixed(0),
        percentile(apiTimes, 50).toFixed(1),
        apiP95.toFixed(1),
        String(statements.length),
        percentile(sqlTimes, 50).toFixed(1),
        sqlP95.toFixed(1),
        (apiP95 / sqlP95).toFixed(2),
        scratch ? percentile(scratchTimes, 50).toFixed(1) : "",
        scratch ? percentile(scratchTimes, 95).toFixed(1) : "",
        perCall(used.process),
        perCall(used.self),
        perCall(used.postgres),
        errors ? `${errors} errors` : met ? "yes" : "no",
      ]);
      log(
        `${path}: API p95 ${apiP95.toFixed(1)} ms, SQL p95 ${sqlP95.toFixed(1)} ms` +
          (scratch ? `, from-scratch SQL p95 ${percentile(scratchTimes, 95).toFixed(1)} ms` : ""),
      );
    };
    for (const pageCall of calls) await measure(pageCall, pageCall.input);
  } finally {
    await reference.end();
    await dashboard.stop();
    await fleet.stop();
  }

  const header = ["page", "call", "cold ms", "API p50", "API p95", "stmts", "SQL p50", "SQL p95", "p95 ratio", "scratch p50", "scratch p95", "web CPU", "clients CPU", "pg CPU", "goal met"];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  console.log(
    `\nbench/api: ${counts.customers} customers, ${counts.hosts} hosts, ${counts.vms} VMs, ${counts.containers} containers; ` +
      `the customer page is the largest customer's; ${clients} clients x ${rounds} calls each, times in ms ` +
      `(goal: API p95 <= 100 ms and <= 2x SQL p95; "scratch": the same figures' SQL counted from every row, as before they were kept at ingest; ` +
      `"CPU": milliseconds of CPU per timed call used by the dashboard's process, by this process (the ${clients} clients) and by PostgreSQL, ` +
      `on ${availableParallelism()} cores)\n`,
  );
  for (const r of all) console.log(r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  "));
  if (failures.length > 0) console.log(`\nerrors:\n${failures.join("\n")}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

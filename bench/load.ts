/**
 * bench/load: signed-in clients using the dashboard at once for a while, over HTTP against the
 * running app, as people clicking through it would: each client opens the fleet overview (its
 * calls at once, as the page makes them), then a customer's page (a customer chosen at random,
 * the largest one half of the time) and one of its tabs, and starts again at once. 0 errors expected.
 *
 *   npm run bench:load                                    50 clients, 60 s, on bench/api's fleet
 *   npm run bench:load -- --clients 50 --seconds 60 --vms 2000 --containers 20000
 *
 * Uses bench/app.ts's scratch fleet (generated once, kept in --data-dir) and starts the dashboard
 * as `npm start` does (Next.js production server), or measures a dashboard already running with
 * `--url http://host:port --token flk_…` (one token for every client). Prints requests/s, p50/p95/p99
 * of every call and per page load, and the errors.
 */
import { apiClient, apiTokens, call, describeError, openBenchFleet, pageCalls, percentile, startDashboard, type ApiClient } from "./app";
import { arg } from "./lib";

const clients = arg("clients", 50);
const durationSeconds = arg("seconds", 60);
const log = (line: string) => console.log(`[bench:load] ${line}`);
const option = (name: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
};

async function main() {
  let baseUrl = option("url");
  let tokens: string[];
  let customerIds: string[];
  let largest: string;
  let cleanup = async () => {};
  if (baseUrl) {
    const token = option("token") ?? process.env.FLEETLENS_TOKEN;
    if (!token) throw new Error("--url needs --token flk_… (or FLEETLENS_TOKEN)");
    tokens = Array.from({ length: clients }, () => token);
    const overview = (await call(apiClient(baseUrl, token), "fleet.overview", undefined)) as { customers: { id: string; virtualMachines: number }[] };
    customerIds = overview.customers.map((c) => c.id);
    largest = [...overview.customers].sort((a, b) => b.virtualMachines - a.virtualMachines)[0]!.id;
  } else {
    const fleet = await openBenchFleet(log);
    log(`fleet: ${fleet.counts.customers} customers, ${fleet.counts.vms} VMs, ${fleet.counts.containers} containers (${fleet.dataDir})`);
    tokens = await apiTokens(fleet, clients);
    customerIds = (await fleet.database.prisma.customer.findMany({ select: { id: true } })).map((c) => c.id);
    largest = fleet.customerId;
    const dashboard = await startDashboard(fleet, log);
    baseUrl = dashboard.baseUrl;
    cleanup = async () => {
      await dashboard.stop();
      await fleet.stop();
    };
  }

  const times = new Map<string, number[]>();
  const pageTimes: number[] = [];
  const errors = new Map<string, number>();
  let requests = 0;
  const timedCall = async (client: ApiClient, path: string, input: unknown) => {
    const start = performance.now();
    try {
      await call(client, path, input);
      const list = times.get(path) ?? [];
      list.push(performance.now() - start);
      times.set(path, list);
    } catch (error) {
      const key = `${path}: ${describeError(error)}`;
      errors.set(key, (errors.get(key) ?? 0) + 1);
    } finally {
      requests++;
    }
  };
  const loadPage = async (client: ApiClient, calls: { path: string; input: unknown }[]) => {
    const start = performance.now();
    await Promise.all(calls.map((c) => timedCall(client, c.path, c.input)));
    pageTimes.push(performance.now() - start);
  };

  try {
    // Every customer's analysis once, before the clock starts (as after an ingest): the load test
    // measures page views, not the first computation (bench/api reports that as "cold").
    const warm = apiClient(baseUrl, tokens[0]!);
    for (const id of customerIds) for (const c of pageCalls(id)) await timedCall(warm, c.path, c.input);
    times.clear();
    requests = 0;
    errors.clear();

    log(`${clients} clients for ${durationSeconds} s against ${baseUrl}`);
    const started = performance.now();
    const deadline = started + durationSeconds * 1000;
    let random = 19;
    const next = (n: number) => {
      random = (random * 1103515245 + 12345) % 2147483648;
      // The high bits: this generator's low bits repeat with a short period (the tab chosen cycled
      // through a few tabs only; analysis.customer was never called).
      return Math.floor((random / 2147483648) * n);
    };
    await Promise.all(
      tokens.map(async (token) => {
        const client = apiClient(baseUrl, token);
        while (performance.now() < deadline) {
          const customerId = next(2) === 0 ? largest : customerIds[next(customerIds.length)]!;
          const calls = pageCalls(customerId);
          await loadPage(client, calls.filter((c) => c.page === "overview"));
          if (performance.now() >= deadline) break;
          await loadPage(client, calls.filter((c) => c.page === "customer"));
          if (performance.now() >= deadline) break;
          const tabs = calls.filter((c) => c.page === "customer tab");
          await loadPage(client, [tabs[next(tabs.length)]!]);
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const all = [...times.values()].flat();
    const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
    const row = (label: string, list: number[]) =>
      `${label.padEnd(28)} ${String(list.length).padStart(7)} ${percentile(list, 50).toFixed(0).padStart(7)} ${percentile(list, 95).toFixed(0).padStart(7)} ${percentile(list, 99).toFixed(0).padStart(7)}`;
    console.log(
      `\nbench/load: ${clients} signed-in clients for ${elapsed.toFixed(1)} s: ${requests} requests, ` +
        `${(requests / elapsed).toFixed(1)} requests/s, ${errorCount} errors; times in ms\n`,
    );
    console.log(`${"call".padEnd(28)} ${"count".padStart(7)} ${"p50".padStart(7)} ${"p95".padStart(7)} ${"p99".padStart(7)}`);
    console.log(row("every call", all));
    console.log(row("page load (calls at once)", pageTimes));
    for (const [path, list] of [...times.entries()].sort((a, b) => a[0].localeCompare(b[0]))) console.log(row(path, list));
    if (errorCount > 0) {
      console.log("\nerrors:");
      for (const [key, count] of errors) console.log(`  ${count} x ${key}`);
    }
    if (errorCount > 0) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

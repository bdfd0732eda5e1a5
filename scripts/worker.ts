/**
 * `npm run worker`: a collection worker on its own, on any machine that reaches the database.
 *
 *   DATABASE_URL=postgresql://… FLEETLENS_SECRET_KEY=… npm run worker
 *
 * FLEETLENS_SECRET_KEY must be the dashboard's (it decrypts the sources' passwords); the database
 * must have been migrated by `npm start`. Runs until SIGINT/SIGTERM, then ends its collections
 * (their runs fail as interrupted and are retried by another worker).
 *
 * Options: --no-schedule (do not queue due sources; another worker does), --poll <seconds>
 * (how often jobs are looked for, default 2).
 */
import { parseArgs } from "node:util";
import { configProblems, loadConfig } from "../server/config";
import { connect } from "../server/db/client";
import { startWorker } from "../server/jobs/worker";

const log = (line: string) => console.log(`[fleetlens] ${line}`);

async function main() {
  const { values } = parseArgs({
    options: { "no-schedule": { type: "boolean", default: false }, poll: { type: "string", default: "2" } },
  });
  const poll = Number(values.poll);
  if (!Number.isFinite(poll) || poll < 0.5) throw new Error("--poll takes seconds, at least 0.5");
  const problems = configProblems();
  for (const problem of problems) console.error(`[fleetlens] ${problem.message}`);
  if (problems.length > 0) process.exit(1);
  const config = loadConfig();
  const url = config.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set: a worker needs the dashboard's PostgreSQL");
  if (!config.FLEETLENS_SECRET_KEY) log("FLEETLENS_SECRET_KEY is not set: using this machine's .data/secret.key (it must be the dashboard's)");

  const database = connect(url, { max: 4 });
  const options = { url, log, scheduleMs: values["no-schedule"] ? 0 : 60_000, pollMs: poll * 1000 };
  const worker = await startWorker(database, { ...options, pollingSeconds: poll });
  log(`worker ready (${config.FLEETLENS_COLLECT_CONCURRENCY} collection(s) at once)`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log("worker stopping: ending its collections");
    await worker.stop().catch((error: Error) => log(`stopping: ${error.message}`));
    await database.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

main().catch((error: Error) => {
  console.error(`[fleetlens] worker: ${error.message}`);
  process.exit(1);
});

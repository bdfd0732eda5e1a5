/**
 * `npm start`: everything the dashboard needs, then the dashboard.
 *
 * 1. PostgreSQL: DATABASE_URL if set, else the embedded one under .data/postgres;
 * 2. migrations (prisma/migrations), under an advisory lock;
 * 3. the demo fleet on first start with an empty database (FLEETLENS_DEMO=off to skip);
 * 4. `next build` when there is no build or the sources are newer than it (not with --dev);
 * 5. the queue's schema (pg-boss, server/jobs/boss.ts), the dashboard (Next.js behind
 *    server/http/serve.ts) on PORT (3000) in a child process, and one collection worker
 *    (server/jobs/worker.ts: the schedule, and each collection in a process of its own; none with
 *    FLEETLENS_WORKERS=0),
 *    until SIGINT/SIGTERM, then a clean stop of all of them and of the embedded PostgreSQL.
 *
 * This process supervises: when the dashboard process or the embedded PostgreSQL dies (killed, out
 * of memory), it stops the rest and exits non-zero, so a service manager (Docker's restart policy,
 * systemd) starts Fleetlens again.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { configProblems, loadConfig, setting } from "../server/config";
import { moveKeyMaterialToSecret } from "../server/auth/source-credentials";
import { createFirstAdmin, password } from "../server/auth/users";
import { seedDemoFleet } from "../server/demo/seed";
import { connect } from "../server/db/client";
import { startEmbeddedPostgres, type RunningPostgres } from "../server/db/embedded";
import { dataDir } from "../server/db/paths";
import { migrate } from "../server/db/migrate";
import { startWorker, type Worker } from "../server/jobs/worker";
import { prepareQueues } from "../server/jobs/boss";
import { COLLECTION_TIMEOUT_MS } from "../server/jobs/collect";
import { WEB_PROCESS_FLAGS } from "../server/http/web-flags";

const dev = process.argv.includes("--dev");
const log = (line: string) => console.log(`[fleetlens] ${line}`);
const require = createRequire(import.meta.url);
const nextBin = require.resolve("next/dist/bin/next");
const serveEntry = path.join(import.meta.dirname, "..", "server", "http", "serve.ts");

function newestSourceTime(): number {
  let newest = 0;
  const walk = (entry: string) => {
    if (!existsSync(entry)) return;
    const stat = statSync(entry);
    if (stat.isDirectory()) {
      for (const child of readdirSync(entry)) if (child !== "generated") walk(path.join(entry, child));
    } else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const entry of ["app", "components", "lib", "server", "next.config.js", "package-lock.json", "postcss.config.mjs"]) {
    walk(entry);
  }
  return newest;
}

/** No build yet, or (outside production images, whose build is final) sources newer than it. */
function needsBuild(): boolean {
  const buildId = path.join(".next", "BUILD_ID");
  if (!existsSync(buildId)) return true;
  if (setting("NODE_ENV") === "production") return false;
  return statSync(buildId).mtimeMs < newestSourceTime();
}

function run(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [nextBin, ...args], { stdio: "inherit", env });
}

function serve(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [...WEB_PROCESS_FLAGS, "--import", "tsx", serveEntry, ...(dev ? ["--dev"] : [])], { stdio: "inherit", env });
}

const gone = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

async function main() {
  // Every environment variable first (server/config.ts): a bad one stops here, saying which and why.
  const problems = configProblems();
  for (const problem of problems) console.error(`[fleetlens] ${problem.message}`);
  if (problems.length > 0) process.exit(1);
  const config = loadConfig();
  const port = config.PORT;

  let embedded: RunningPostgres | undefined;
  let child: ChildProcess | undefined;
  let worker: Worker | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (child && !gone(child)) {
      const exited = new Promise((resolve) => child!.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    await worker?.stop().catch((error: Error) => log(`stopping the collection worker: ${error.message}`));
    await embedded?.stop();
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  try {
    let url = config.DATABASE_URL;
    if (url) {
      log("using the PostgreSQL in DATABASE_URL");
    } else {
      log(`DATABASE_URL is not set: starting the embedded PostgreSQL (${path.join(dataDir(), "postgres")})`);
      embedded = await startEmbeddedPostgres();
      url = embedded.url;
      embedded.onUnexpectedExit((reason) => {
        if (stopping) return;
        console.error(`[fleetlens] the embedded ${reason}: stopping Fleetlens (exit code 1) so that it is started again`);
        void stop(1);
      });
    }

    const { applied } = await migrate(url, { log });
    if (applied.length === 0) log("database schema is up to date");

    const database = connect(url, { max: 4 });
    // Key material and endpoint passwords saved in clear by earlier versions go into the secret.
    await moveKeyMaterialToSecret(database, log);
    if (config.FLEETLENS_DEMO !== "off") {
      if (await seedDemoFleet(database, { log })) log("loaded the demo fleet (remove it from the Fleet page)");
    }

    const adminEmail = config.FLEETLENS_ADMIN_EMAIL;
    const adminPassword = config.FLEETLENS_ADMIN_PASSWORD;
    if (adminEmail && adminPassword) {
      const checked = password.safeParse(adminPassword);
      if (!checked.success) throw new Error(`FLEETLENS_ADMIN_PASSWORD: ${checked.error.issues[0]?.message}`);
      const created = await createFirstAdmin(database, { email: adminEmail, name: "Administrator", password: adminPassword });
      if (created) log(`created the administrator ${adminEmail} (FLEETLENS_ADMIN_EMAIL)`);
    }
    const needsSetup = (await database.prisma.user.count()) === 0;

    const env = { ...process.env, DATABASE_URL: url, PORT: String(port), NEXT_TELEMETRY_DISABLED: "1" };
    if (!dev && needsBuild()) {
      log("building the dashboard (next build)…");
      const build = run(["build"], env);
      const code = await new Promise<number>((resolve) => build.once("exit", (c) => resolve(c ?? 1)));
      if (code !== 0) throw new Error(`next build failed (exit code ${code})`);
    }
    if (stopping) return;
    // The schema `pgboss` and its queues exist before "Collect now" sends (with or without a worker here).
    await prepareQueues(url, COLLECTION_TIMEOUT_MS);
    if (config.FLEETLENS_WORKERS === "0") log("FLEETLENS_WORKERS=0: this process runs no collections (start workers with npm run worker)");
    else worker = await startWorker(database, { url, log });
    child = serve(env);
    log(
      needsSetup
        ? `Fleetlens is starting: open http://localhost:${port}/setup to create the first administrator`
        : `Fleetlens is starting: open http://localhost:${port} and sign in`,
    );
    child.once("exit", (code, signal) => {
      if (stopping) return;
      console.error(
        `[fleetlens] the dashboard process ${signal ? `was killed (${signal})` : `exited with code ${code}`}: ` +
          "stopping Fleetlens (exit code 1) so that it is started again",
      );
      void stop(1);
    });
  } catch (error) {
    console.error(`[fleetlens] ${(error as Error).message}`);
    await stop(1);
  }
}

void main();

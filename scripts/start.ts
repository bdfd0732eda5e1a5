/**
 * `npm start`: everything the dashboard needs, then the dashboard.
 *
 * 1. PostgreSQL: DATABASE_URL if set, else the embedded one under .data/postgres;
 * 2. migrations (prisma/migrations), under an advisory lock;
 * 3. the demo fleet on first start with an empty database (FLEETLENS_DEMO=off to skip);
 * 4. `next build` when there is no build or the sources are newer than it (not with --dev);
 * 5. Next.js on PORT (3000), plus the collection scheduler, until SIGINT/SIGTERM, then a clean
 *    stop of Next.js and of the embedded PostgreSQL.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { createFirstAdmin, password } from "../server/auth/users";
import { seedDemoFleet } from "../server/collectors/demo/seed";
import { connect } from "../server/db/client";
import { startEmbeddedPostgres, type RunningPostgres } from "../server/db/embedded";
import { dataDir } from "../server/db/paths";
import { migrate } from "../server/db/migrate";
import { startScheduler } from "../server/jobs/scheduler";

const dev = process.argv.includes("--dev");
const port = Number(process.env.PORT ?? 3000);
const log = (line: string) => console.log(`[fleetlens] ${line}`);
const require = createRequire(import.meta.url);
const nextBin = require.resolve("next/dist/bin/next");

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
  if (process.env.NODE_ENV === "production") return false;
  return statSync(buildId).mtimeMs < newestSourceTime();
}

function run(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [nextBin, ...args], { stdio: "inherit", env });
}

async function main() {
  let embedded: RunningPostgres | undefined;
  let url = process.env.DATABASE_URL;
  if (url) {
    log("using the PostgreSQL in DATABASE_URL");
  } else {
    log(`DATABASE_URL is not set: starting the embedded PostgreSQL (${path.join(dataDir(), "postgres")})`);
    embedded = await startEmbeddedPostgres();
    url = embedded.url;
  }

  let child: ChildProcess | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child!.once("exit", resolve));
    }
    await embedded?.stop();
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  try {
    const { applied } = await migrate(url, { log });
    if (applied.length === 0) log("database schema is up to date");

    const database = connect(url, { max: 4 });
    if (process.env.FLEETLENS_DEMO !== "off") {
      if (await seedDemoFleet(database, { log })) log("loaded the demo fleet (remove it from the Fleet page)");
    }
    startScheduler(database, log);

    const adminEmail = process.env.FLEETLENS_ADMIN_EMAIL;
    const adminPassword = process.env.FLEETLENS_ADMIN_PASSWORD;
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
    child = run(dev ? ["dev", "-p", String(port)] : ["start", "-p", String(port)], env);
    log(
      needsSetup
        ? `Fleetlens is starting: open http://localhost:${port}/setup to create the first administrator`
        : `Fleetlens is starting: open http://localhost:${port} and sign in`,
    );
    child.once("exit", (code) => void stop(code ?? 0));
  } catch (error) {
    console.error(`[fleetlens] ${(error as Error).message}`);
    await stop(1);
  }
}

void main();

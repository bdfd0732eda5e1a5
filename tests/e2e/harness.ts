/**
 * Starts Fleetlens the way a user does (`scripts/start.ts`: embedded PostgreSQL in a fresh data
 * dir, migrations, demo fleet, `next build` when needed, `next start`) and Debian's Chromium.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { chromium, type Browser, type Page } from "playwright-core";

export const ADMIN = { email: "admin@example.com", password: "correct-horse-battery" };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export interface RunningApp {
  baseUrl: string;
  dataDir: string;
  /** The app's own database, as a connection URL. */
  databaseUrl: string;
  output(): string;
  /** The pid of the process the harness started (tsx running scripts/start.ts). */
  pid: number;
  /** Resolves with the exit code (null when killed by a signal) once the app's process has exited. */
  exited: Promise<number | null>;
  /** A client on the app's own (embedded) database, to compare pages with stored figures. */
  query<T extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  /** SIGTERM, as a service manager would; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * `withAdmin` (default true) creates the first administrator headless (FLEETLENS_ADMIN_*); without
 * it the first visitor meets the setup page.
 */
export async function startApp(
  options: { env?: Record<string, string>; port?: number; withAdmin?: boolean; dataDir?: string } = {},
): Promise<RunningApp> {
  const dataDir = options.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), "fleetlens-e2e-")));
  await fs.chmod(dataDir, 0o755);
  const port = options.port ?? (await freePort());
  const baseUrl = `http://127.0.0.1:${port}`;
  const admin = options.withAdmin === false ? {} : { FLEETLENS_ADMIN_EMAIL: ADMIN.email, FLEETLENS_ADMIN_PASSWORD: ADMIN.password };
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    FLEETLENS_DATA_DIR: dataDir,
    PORT: String(port),
    FLEETLENS_URL: baseUrl,
    ...admin,
    ...options.env,
  };
  delete childEnv.DATABASE_URL;
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const deadline = Date.now() + 9 * 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Fleetlens exited early (${child.exitCode}):\n${log}`);
    if (Date.now() > deadline) throw new Error(`Fleetlens did not answer in time:\n${log}`);
    const ok = await fetch(`${baseUrl}/api/health`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  const credentials = JSON.parse(await fs.readFile(path.join(dataDir, "postgres.json"), "utf8"));
  const pool = new pg.Pool({
    host: "127.0.0.1",
    port: credentials.port,
    user: credentials.user,
    password: credentials.password,
    database: credentials.database,
    max: 2,
  });
  // The app's PostgreSQL may be stopped or killed under an idle client (supervision tests).
  pool.on("error", () => {});
  const databaseUrl = `postgresql://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${credentials.port}/${credentials.database}`;
  return {
    baseUrl,
    dataDir,
    databaseUrl,
    output: () => log,
    pid: child.pid!,
    exited,
    query: async (sql, params) => (await pool.query(sql, params)).rows,
    async stop() {
      await pool.end();
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const code = await exited;
      return code;
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    // Playwright gives every launch a new, empty profile directory of its own.
  });
}

/** A page (1440×900 unless told) whose uncaught errors and console errors go into `errors`: the tests expect none. */
export async function watchedPage(browser: Browser, errors: string[], options: Parameters<Browser["newPage"]>[0] = {}): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, ...options });
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  return page;
}

/** Signs in through the sign-in page, as a person does, and waits for the Fleet page. */
export async function signIn(page: Page, baseUrl: string, email: string, password: string) {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { name: "Fleet", exact: true, level: 1 }).waitFor();
}

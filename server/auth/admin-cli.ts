/**
 * `npm run --silent admin -- <command>`: account rescue for when nobody can sign in.
 *
 *   unlock <email>           forget the account's failed sign-ins (every address may try again)
 *   reset-password <email>   set a new password, read from FLEETLENS_NEW_PASSWORD or stdin (never
 *                            from the command line); ends the user's sessions, revokes their API
 *                            tokens and forgets their failed sign-ins
 *
 * It works on the database Fleetlens uses: DATABASE_URL, else the embedded PostgreSQL whose
 * credentials are in .data/postgres.json (FLEETLENS_DATA_DIR), which must be running (start
 * Fleetlens first). Every change is in the audit log with "cli" as who did it.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { setting } from "../config";
import { connect, type Database } from "../db/client";
import { dataDir } from "../db/paths";
import { audit } from "./audit";
import { clearSignInFailures } from "./lockout";
import { email as emailSchema, password as passwordSchema, resetPassword } from "./users";

export const ADMIN_USAGE = `usage: npm run --silent admin -- <command> <email>

  unlock <email>           forget the account's failed sign-ins, so every address may sign in again
  reset-password <email>   set a new password, ending the user's sessions and revoking their API tokens;
                           the password is read from FLEETLENS_NEW_PASSWORD, else from stdin
                           (typed twice, hidden, on a terminal); never from the command line

Works on DATABASE_URL, else on the embedded PostgreSQL of the running Fleetlens (.data/postgres.json).`;

/** Wrong usage: exit code 2. */
export class AdminUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AdminUsageError";
  }
}

/** Could not do it (no database, no such user, a bad password): exit code 1. */
export class AdminCliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AdminCliError";
  }
}

export interface AdminCliIo {
  env: NodeJS.ProcessEnv;
  /** The new password, when FLEETLENS_NEW_PASSWORD is not set. */
  readPassword(prompt: string): Promise<string>;
}

interface Target {
  url: string;
  /** Where the database comes from, for messages. */
  where: string;
  embedded: boolean;
}

async function findDatabase(env: NodeJS.ProcessEnv): Promise<Target> {
  const url = setting("DATABASE_URL", env);
  if (url) return { url, where: "DATABASE_URL", embedded: false };
  const file = path.join(dataDir(), "postgres.json");
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new AdminCliError(
        `no database: DATABASE_URL is not set and there is no embedded PostgreSQL here (${file} is missing). ` +
          `Run this in the folder you start Fleetlens from, with the DATABASE_URL or FLEETLENS_DATA_DIR you start it with`,
      );
    }
    throw new AdminCliError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const credentials = JSON.parse(text) as { user?: string; password?: string; port?: number; database?: string };
  if (!credentials.user || !credentials.password || !credentials.port || !credentials.database) {
    throw new AdminCliError(`${file} does not hold the embedded PostgreSQL's user, password, port and database`);
  }
  return {
    url: `postgresql://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${credentials.port}/${encodeURIComponent(credentials.database)}`,
    where: `the embedded PostgreSQL on 127.0.0.1:${credentials.port} (${file})`,
    embedded: true,
  };
}

async function open(env: NodeJS.ProcessEnv): Promise<Database> {
  const target = await findDatabase(env);
  const database = connect(target.url, { max: 1 });
  try {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error("no answer in 15 seconds"), { code: "ETIMEDOUT" })), 15_000);
    });
    try {
      await Promise.race([database.pool.query(`SELECT 1 FROM "user" LIMIT 1`), timeout]);
    } finally {
      clearTimeout(timer);
    }
    return database;
  } catch (error) {
    await database.close().catch(() => {});
    const code = (error as { code?: string }).code;
    if (code === "42P01") {
      throw new AdminCliError(`${target.where} has no Fleetlens tables yet: start Fleetlens once so it creates them`);
    }
    if (target.embedded && (code === "ECONNREFUSED" || code === "ETIMEDOUT")) {
      throw new AdminCliError(
        `${target.where} is not running. Start Fleetlens first (npm start), then run this command again from ` +
          `another terminal while it runs`,
      );
    }
    throw new AdminCliError(`cannot reach the database (${target.where}): ${(error as Error).message}`);
  }
}

async function findUser(database: Database, address: string) {
  const parsed = emailSchema.safeParse(address.trim());
  if (!parsed.success) throw new AdminUsageError(`not an email address: ${address}`);
  const user = await database.prisma.user.findUnique({ where: { email: parsed.data }, select: { id: true, email: true } });
  if (!user) throw new AdminCliError(`no user with the email ${parsed.data}`);
  return user;
}

async function newPassword(io: AdminCliIo, email: string): Promise<string> {
  const given = setting("FLEETLENS_NEW_PASSWORD", io.env) ?? (await io.readPassword(`New password for ${email}: `));
  const parsed = passwordSchema.safeParse(given);
  if (!parsed.success) throw new AdminCliError(`the password was not set: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Runs one command; returns what to print. */
export async function runAdminCli(argv: string[], io: AdminCliIo): Promise<string> {
  const [command, target, ...rest] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") throw new AdminUsageError(ADMIN_USAGE);
  if (command !== "unlock" && command !== "reset-password") {
    throw new AdminUsageError(`unknown command ${command}\n\n${ADMIN_USAGE}`);
  }
  if (!target) throw new AdminUsageError(`${command} needs the user's email\n\n${ADMIN_USAGE}`);
  if (rest.length > 0) {
    throw new AdminUsageError(
      command === "reset-password"
        ? `reset-password takes only the email: the password comes from FLEETLENS_NEW_PASSWORD or stdin, never the command line`
        : `unlock takes only the email`,
    );
  }

  const database = await open(io.env);
  try {
    const user = await findUser(database, target);
    if (command === "unlock") {
      const failedSignIns = await clearSignInFailures(database, user.email);
      await audit(database, { actorEmail: "cli", action: "user-unlocked", target: user.email, detail: { failedSignIns } });
      return `Unlocked ${user.email}: forgot ${plural(failedSignIns, "failed sign-in")}; every address may sign in again.\n`;
    }
    const password = await newPassword(io, user.email);
    const ended = await resetPassword(database, user.id, password);
    const failedSignIns = await clearSignInFailures(database, user.email);
    await audit(database, { actorEmail: "cli", action: "user-password-set", target: user.email, detail: { ...ended, failedSignIns } });
    return (
      `Set a new password for ${user.email}: ended ${plural(ended.sessionsEnded, "session")}, ` +
      `revoked ${plural(ended.tokensRevoked, "API token")}, and forgot the failed sign-ins.\n`
    );
  } finally {
    await database.close();
  }
}

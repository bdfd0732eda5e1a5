/**
 * Every environment variable Fleetlens reads, declared and validated in one place (create-t3-app's
 * env.js). README.md's "Configuration" table lists exactly these (tests/unit/config.test.ts checks).
 *
 * - `setting(name, env?)` reads one variable, parsed: what the code that needs it calls. It takes
 *   an environment for tests (gateSettings(env), trustedOrigins(env), workerSettings(env), …);
 *   the default is process.env, read at call time;
 * - `configProblems(env?)` lists every bad value (and bad combination) as `<VAR>: <problem>`:
 *   scripts/start.ts calls it first and exits 1 with them, so a typo stops Fleetlens at start
 *   rather than at the first request that needs the value.
 *
 * An empty variable counts as unset. Nothing here reads files or the database.
 */
import { BlockList, isIP } from "node:net";
import { z } from "zod";

export type Env = Record<string, string | undefined>;

/** `<VAR>: <problem>`; `variable` and `problem` apart for callers that say it their way. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = "ConfigError";
  }
}

/** An optional variable: unset or empty gives undefined, else the value through `schema`. */
function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === "" ? undefined : value), schema.optional());
}

function withDefault<T extends z.ZodType>(schema: T, fallback: z.output<T>) {
  return optional(schema).transform((value) => value ?? fallback);
}

const positiveWholeNumber = z.string().transform((raw, ctx) => {
  const value = Number(raw);
  if (Number.isInteger(value) && value > 0) return value;
  ctx.addIssue({ code: "custom", message: `must be a positive whole number, not "${raw}"` });
  return z.NEVER;
});

const port = z.string().transform((raw, ctx) => {
  const value = Number(raw);
  if (Number.isInteger(value) && value > 0 && value < 65536) return value;
  ctx.addIssue({ code: "custom", message: `must be a port number (1 to 65535), not "${raw}"` });
  return z.NEVER;
});

/** Whether `value` is a URL with one of `protocols` ("https:"). */
function isUrl(value: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

const httpUrl = (example: string) =>
  z.string().refine((value) => isUrl(value, ["http:", "https:"]), {
    error: (issue) => `"${String(issue.input)}" is not a URL such as ${example}`,
  });

const databaseUrl = z.string().refine((value) => isUrl(value, ["postgres:", "postgresql:"]), {
  error: "is not a PostgreSQL URL such as postgresql://fleetlens:pw@db:5432/fleetlens",
});

/** 32 bytes as 64 hex digits or base64 (what secret-box.ts's parseKey takes). */
const key32 = z.string().refine(
  (value) => {
    const trimmed = value.trim();
    return /^[0-9a-fA-F]{64}$/.test(trimmed) || Buffer.from(trimmed, "base64").length === 32;
  },
  { error: "must be 32 bytes, as 64 hex digits or base64 (openssl rand -hex 32)" },
);

/** A comma-separated list, entries trimmed, empty ones dropped. */
const list = (each: (entry: string) => string | null) =>
  z.string().transform((raw, ctx) => {
    const entries = raw.split(",").map((entry) => entry.trim()).filter(Boolean);
    for (const entry of entries) {
      const problem = each(entry);
      if (problem) {
        ctx.addIssue({ code: "custom", message: problem });
        return z.NEVER;
      }
    }
    return entries;
  });

/** "10.0.0.0/8" or "192.168.1.10" (IPv4 or IPv6), else why not. */
function proxyEntryProblem(entry: string): string | null {
  const [address, bits, extra] = entry.split("/");
  const family = isIP(address ?? "");
  const prefix = bits === undefined ? undefined : Number(bits);
  const maxPrefix = family === 6 ? 128 : 32;
  const bad =
    family === 0 ||
    extra !== undefined ||
    (prefix !== undefined && (!Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix || bits === ""));
  return bad ? `"${entry}" is not an IP address or CIDR range` : null;
}

function originProblem(entry: string): string | null {
  try {
    new URL(entry);
    return null;
  } catch {
    return `"${entry}" is not a URL such as https://fleetlens.example.com`;
  }
}

/** The variables, in the README's order. */
export const variables = {
  DATABASE_URL: optional(databaseUrl),
  PORT: withDefault(port, 3000),
  HOST: optional(z.string()),
  NODE_ENV: optional(
    z.enum(["development", "production", "test"], { error: "must be development, production or test" }),
  ),
  FLEETLENS_SECRET_KEY: optional(key32),
  FLEETLENS_DATA_DIR: optional(z.string()),
  FLEETLENS_DEMO: withDefault(z.enum(["on", "off"], { error: 'must be "on" or "off"' }), "on"),
  FLEETLENS_URL: optional(httpUrl("https://fleetlens.example.com")),
  FLEETLENS_TRUSTED_ORIGINS: withDefault(list(originProblem), []),
  FLEETLENS_TRUSTED_PROXIES: withDefault(list(proxyEntryProblem), []),
  FLEETLENS_COLLECT_CONCURRENCY: withDefault(positiveWholeNumber, 2),
  FLEETLENS_COLLECT_MEMORY_MB: withDefault(positiveWholeNumber, 2048),
  FLEETLENS_WORKERS: withDefault(z.enum(["0", "1"], { error: 'must be 0 (this process runs no collections) or 1' }), "1"),
  FLEETLENS_MAX_SNAPSHOT_MB: withDefault(positiveWholeNumber, 256),
  FLEETLENS_ADMIN_EMAIL: optional(z.string().includes("@", { error: "is not an email address" })),
  FLEETLENS_ADMIN_PASSWORD: optional(z.string()),
  FLEETLENS_NEW_PASSWORD: optional(z.string()),
  FLEETLENS_AUTH_SECRET: optional(key32),
  FLEETLENS_OIDC_ISSUER: optional(httpUrl("https://id.example.com/realms/main")),
  FLEETLENS_OIDC_CLIENT_ID: optional(z.string()),
  FLEETLENS_OIDC_CLIENT_SECRET: optional(z.string()),
  FLEETLENS_OIDC_NAME: withDefault(z.string(), "single sign-on"),
  FLEETLENS_OIDC_DEFAULT_ROLE: withDefault(
    z.enum(["admin", "engineer", "viewer"], { error: "must be admin, engineer or viewer" }),
    "viewer",
  ),
};

export type Variable = keyof typeof variables;
export type Config = { [K in Variable]: z.output<(typeof variables)[K]> };

/** One variable, parsed; a bad value throws ConfigError (`<VAR>: <problem>`). */
export function setting<K extends Variable>(name: K, env: Env = process.env): Config[K] {
  const result = (variables[name] as unknown as z.ZodType<Config[K]>).safeParse(env[name]);
  if (!result.success) throw new ConfigError(name, result.error.issues[0]?.message ?? "is not valid");
  return result.data;
}

/** FLEETLENS_TRUSTED_PROXIES as a BlockList. */
export function trustedProxies(env: Env = process.env): BlockList {
  const blockList = new BlockList();
  for (const entry of setting("FLEETLENS_TRUSTED_PROXIES", env)) {
    const [address, bits] = entry.split("/") as [string, string | undefined];
    const type = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) blockList.addAddress(address, type);
    else blockList.addSubnet(address, Number(bits), type);
  }
  return blockList;
}

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  name: string;
}

/** Single sign-on when FLEETLENS_OIDC_ISSUER is set (and then its client id and secret are needed). */
export function oidcSettings(env: Env = process.env): OidcSettings | null {
  const issuer = setting("FLEETLENS_OIDC_ISSUER", env);
  if (!issuer) return null;
  const clientId = setting("FLEETLENS_OIDC_CLIENT_ID", env);
  const clientSecret = setting("FLEETLENS_OIDC_CLIENT_SECRET", env);
  if (!clientId || !clientSecret) {
    throw new ConfigError(
      "FLEETLENS_OIDC_ISSUER",
      "is set, so FLEETLENS_OIDC_CLIENT_ID and FLEETLENS_OIDC_CLIENT_SECRET are needed too",
    );
  }
  return { issuer: issuer.replace(/\/$/, ""), clientId, clientSecret, name: setting("FLEETLENS_OIDC_NAME", env) };
}

/** Every bad value and bad combination, in the README's order; empty when all is well. */
export function configProblems(env: Env = process.env): ConfigError[] {
  const problems: ConfigError[] = [];
  const attempt = (read: () => unknown) => {
    try {
      read();
    } catch (error) {
      if (error instanceof ConfigError) problems.push(error);
      else throw error;
    }
  };
  for (const name of Object.keys(variables) as Variable[]) attempt(() => setting(name, env));
  if (problems.length === 0) attempt(() => oidcSettings(env));
  return problems;
}

/** The whole configuration; throws the first problem. */
export function loadConfig(env: Env = process.env): Config {
  const [problem] = configProblems(env);
  if (problem) throw problem;
  return Object.fromEntries((Object.keys(variables) as Variable[]).map((name) => [name, setting(name, env)])) as Config;
}

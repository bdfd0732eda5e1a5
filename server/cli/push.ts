/**
 * `collect <kind> <endpoint> --push <url> --source <id> --token-env VAR [--every 1h]`: a remote
 * collector. It collects as `--json` would, pushes the snapshot to Fleetlens
 * (POST <url>/api/sources/<id>/snapshot, app/api/sources/[sourceId]/snapshot/route.ts) and prints
 * the run it queued. The API token is read only from the environment variable named by
 * --token-env, never from the command line (argv is visible to every user of the machine).
 *
 * With --every it repeats forever: a push that fails for a transient reason (no connection, a
 * time-out, 408, 429, 5xx) is retried with backoff until the next collection is due; a refusal
 * (400, 401, 403, 404, 409, 413, 415) and a failed collection are logged and the next one is
 * collected at its time. SIGTERM and SIGINT stop it cleanly (exit 0) between or during attempts.
 */
import { UsageError } from "./args";

export interface PushOptions {
  url: string;
  sourceId: string;
  tokenEnv: string;
  /** Milliseconds between collections; undefined: once. */
  everyMs?: number;
}

const PUSH_FLAGS = ["--push", "--source", "--token-env", "--every"] as const;

export const PUSH_USAGE =
  "usage: collect <kind> <endpoint> [options] --push <Fleetlens URL> --source <source id> --token-env <VARIABLE> [--every 1h]";

/** "90s", "15m", "1h", "1d" (or a bare number of seconds) → milliseconds; at least a minute. */
export function parseInterval(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/i.exec(text.trim());
  if (!match) throw new UsageError(`--every ${text}: say an interval such as 15m, 1h or 1d`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match[2] ?? "s").toLowerCase() as "s"];
  const ms = Number(match[1]) * unit;
  if (ms < 60_000) throw new UsageError(`--every ${text}: at least 1m between collections`);
  return ms;
}

/**
 * Takes the push flags out of `argv` (the rest goes to the kind's own parser); null when there is
 * no --push. A flag of a push without --push, or a push missing one, is a UsageError.
 */
export function splitPushArgs(argv: string[]): { push: PushOptions | null; rest: string[] } {
  const found: Partial<Record<(typeof PUSH_FLAGS)[number], string>> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if ((PUSH_FLAGS as readonly string[]).includes(flag)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag} needs a value\n${PUSH_USAGE}`);
      found[flag as (typeof PUSH_FLAGS)[number]] = value;
    } else {
      rest.push(arg);
    }
  }
  if (found["--push"] === undefined) {
    const stray = Object.keys(found)[0];
    if (stray) throw new UsageError(`${stray} goes with --push\n${PUSH_USAGE}`);
    return { push: null, rest };
  }
  if (rest.includes("--json")) throw new UsageError(`--json prints the snapshot, --push sends it: choose one\n${PUSH_USAGE}`);
  let url: URL;
  try {
    url = new URL(found["--push"]);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("not http(s)");
  } catch {
    throw new UsageError(`--push ${found["--push"]}: say Fleetlens' address, such as https://fleetlens.example.com\n${PUSH_USAGE}`);
  }
  const sourceId = found["--source"];
  if (!sourceId || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(sourceId)) {
    throw new UsageError(`--source: the source's id (a UUID, on the Sources page) is needed\n${PUSH_USAGE}`);
  }
  const tokenEnv = found["--token-env"];
  if (!tokenEnv || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(tokenEnv)) {
    throw new UsageError(`--token-env: name the environment variable that holds the API token (never the token itself)\n${PUSH_USAGE}`);
  }
  return {
    push: {
      url: url.toString().replace(/\/+$/, ""),
      sourceId: sourceId.toLowerCase(),
      tokenEnv,
      ...(found["--every"] !== undefined ? { everyMs: parseInterval(found["--every"]) } : {}),
    },
    rest,
  };
}

/** The token from the named variable; a UsageError when it is unset or does not look like one. */
export function tokenFrom(env: Record<string, string | undefined>, name: string): string {
  const token = env[name]?.trim();
  if (!token) throw new UsageError(`--token-env ${name}: the environment variable ${name} is not set (put the API token there)`);
  if (!token.startsWith("flk_")) throw new UsageError(`--token-env ${name}: ${name} does not hold a Fleetlens API token (they start with flk_)`);
  return token;
}

/** A push that failed; `transient` says whether trying again later may succeed. */
export class PushError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = "PushError";
  }
}

export interface PushAnswer {
  runId: string;
  poll: string;
}

/** One push of `body` (the snapshot as JSON text); resolves with the queued run or throws a PushError. */
export async function pushSnapshot(
  options: PushOptions,
  token: string,
  body: string,
  context: { fetch?: typeof fetch; signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<PushAnswer> {
  const target = `${options.url}/api/sources/${options.sourceId}/snapshot`;
  const signals = [AbortSignal.timeout(context.timeoutMs ?? 10 * 60_000), ...(context.signal ? [context.signal] : [])];
  let response: Response;
  try {
    response = await (context.fetch ?? fetch)(target, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body,
      signal: AbortSignal.any(signals),
      redirect: "error",
    });
  } catch (error) {
    if (context.signal?.aborted) throw error;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new PushError(`could not reach ${options.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, true);
  }
  const text = await response.text().catch(() => "");
  if (response.status === 202) {
    const answer = JSON.parse(text) as { runId: string; poll: string };
    return { runId: answer.runId, poll: new URL(answer.poll, `${options.url}/`).toString() };
  }
  const transient = response.status === 408 || response.status === 429 || response.status >= 500;
  const said = text.trim().slice(0, 2000) || response.statusText;
  throw new PushError(`${target} answered ${response.status}: ${said}`, transient, response.status);
}

export interface LoopContext {
  /** Collects and returns the snapshot as JSON text. */
  collect: (signal: AbortSignal) => Promise<string>;
  push: (body: string, signal: AbortSignal) => Promise<PushAnswer>;
  log: (line: string) => void;
  signal: AbortSignal;
  everyMs: number;
  /** First retry delay; doubled each time up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  now?: () => number;
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Collects and pushes every `everyMs` until `signal` aborts; never throws for a failed collection
 * or push (logged), retries transient push failures with backoff until the next collection is due.
 * Returns how many pushes succeeded.
 */
export async function pushLoop(context: LoopContext): Promise<number> {
  const { signal, log, everyMs } = context;
  const now = context.now ?? Date.now;
  const firstBackoff = context.backoffMs ?? 5_000;
  const maxBackoff = Math.min(context.maxBackoffMs ?? 5 * 60_000, everyMs);
  let pushed = 0;
  while (!signal.aborted) {
    const started = now();
    const due = started + everyMs;
    let body: string | null = null;
    try {
      body = await context.collect(signal);
    } catch (error) {
      if (signal.aborted) break;
      log(`collection failed: ${(error as Error).message}; next attempt in ${Math.round(everyMs / 60_000)} min`);
    }
    let delay = firstBackoff;
    while (body !== null && !signal.aborted) {
      try {
        const answer = await context.push(body, signal);
        pushed++;
        log(`pushed: run ${answer.runId} queued (${answer.poll})`);
        break;
      } catch (error) {
        if (signal.aborted) break;
        const transient = error instanceof PushError ? error.transient : true;
        if (!transient) {
          log(`push refused: ${(error as Error).message}; next collection at its time`);
          break;
        }
        if (now() + delay >= due) {
          log(`push failed: ${(error as Error).message}; giving up on this snapshot, a new one is collected at its time`);
          break;
        }
        log(`push failed: ${(error as Error).message}; retrying in ${delay < 1000 ? `${delay} ms` : `${Math.round(delay / 1000)} s`}`);
        await pause(delay, signal);
        delay = Math.min(delay * 2, maxBackoff);
      }
    }
    await pause(Math.max(0, due - now()), signal);
  }
  return pushed;
}

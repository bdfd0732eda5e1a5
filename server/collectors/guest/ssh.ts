/**
 * Runs the guest command set (commands.ts) inside one Linux guest over ssh (ssh2), read-only and
 * bounded: one connection per guest, the commands one after another on a few channels at a time
 * (sshd's MaxSessions is 10 by default), each with its own timeout and output cap.
 *
 * - Authentication: a private key (a string, or a key file) or a password.
 * - Host key: pinned ("SHA256:...", as `ssh-keygen -lf` prints it), explicitly insecure, or trust on
 *   first use: the fingerprint recorded for the guest (if any) must match, else `onNewHostKey`
 *   decides (and the caller records it). A recorded fingerprint that changed is always refused.
 * - Jump host: a second ssh connection, the target reached through it (direct-tcpip, forwardOut).
 * - sudo: commands marked `sudo: true` run as `sudo -n sh -c '<command>'` only when `options.sudo`
 *   is set and the user is not root; when sudo -n refuses (checked once per connection with
 *   `sudo -n true`), or sudo is not enabled, they run without it and their result's problem starts
 *   with "needs sudo".
 * - A command past its timeout is signalled (KILL) and its channel closed: "timed out after N s";
 *   it also runs under the guest's `timeout -s KILL` when there is one (see withGuestTimeout).
 *   Output past maxBytes is not kept: the channel is closed, truncated=true, "output cut at N".
 *   A command that exits non-zero keeps its output; its problem says the status and stderr's
 *   first line.
 * Commands are constants of the command set; nothing from the guest or the user is put into them.
 */
import fs from "node:fs";
import { Client, type ClientChannel, type ConnectConfig } from "ssh2";
import type { Readable } from "node:stream";
import { hostKeyFingerprint, isPrivateKeyArmour, normaliseHostKeyFingerprint, shellQuote } from "../ssh";
import { GuestAuthError, GuestConfigurationError, GuestConnectionError, GuestHostKeyError } from "./errors";
import type { CommandResult, GuestCommand } from "./facts";

export interface GuestTarget {
  user: string;
  host: string;
  port: number;
}

/** "user@host:port" (an IPv6 host in brackets). */
export function guestTargetLabel(target: GuestTarget): string {
  const host = target.host.includes(":") ? `[${target.host}]` : target.host;
  return `${target.user}@${host}:${target.port}`;
}

/** `ssh://user@host[:port]` (port 22 by default). No password, path or query. */
export function parseGuestTarget(text: string): GuestTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new GuestConfigurationError(`"${text}" is not an ssh URL (ssh://user@host[:port])`);
  }
  if (url.protocol !== "ssh:") throw new GuestConfigurationError(`"${text}" is not an ssh URL (ssh://user@host[:port])`);
  if (url.password) {
    throw new GuestConfigurationError(`${url.protocol}//${url.username}@${url.host}: no password in the URL (give it through an environment variable)`);
  }
  if ((url.pathname && url.pathname !== "/") || url.search || url.hash) {
    throw new GuestConfigurationError(`"${text}": an ssh target is ssh://user@host[:port], with no path or query`);
  }
  const user = decodeURIComponent(url.username);
  if (!user) throw new GuestConfigurationError(`"${text}" names no user (ssh://user@host[:port])`);
  if (!/^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$/.test(user)) throw new GuestConfigurationError(`"${user}" is not a user name`);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!host) throw new GuestConfigurationError(`"${text}" names no host`);
  const port = url.port ? Number(url.port) : 22;
  return { user, host, port };
}

export type GuestHostKeyPolicy =
  | { mode: "pinned"; fingerprint: string }
  | { mode: "insecure" }
  | {
      mode: "tofu";
      /** The fingerprint recorded for this guest, if any: then it must match. */
      known: string | null;
      /** A first-seen fingerprint: accept it (and record it) or not. */
      onNewHostKey: (fingerprint: string) => boolean | Promise<boolean>;
    };

export interface GuestAuth {
  /** Private key (PEM / OpenSSH armour). */
  privateKey?: string | null;
  keyFile?: string | null;
  passphrase?: string | null;
  password?: string | null;
}

export interface GuestJump {
  target: GuestTarget;
  hostKey: GuestHostKeyPolicy;
  /** The jump host's own credentials; the guest's when absent. */
  auth?: GuestAuth;
}

export interface GuestSshOptions {
  auth: GuestAuth;
  hostKey: GuestHostKeyPolicy;
  jump?: GuestJump | null;
  /** Use `sudo -n` for the commands that ask for it. */
  sudo?: boolean;
  /** Handshake and authentication, per connection (default 15 s). */
  connectTimeoutMs?: number;
  /** Commands running at once on the connection (default 4, at most 8). */
  channels?: number;
  signal?: AbortSignal;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
const STDERR_KEPT = 4096;

/** "1 MiB", "64 KiB", "100 bytes". */
function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`;

/** The first line of what a guest wrote on stderr, printable and short (it ends up in the findings). */
function firstLine(text: string): string {
  const line = text.split("\n").map((l) => l.trim()).find((l) => l.length > 0) ?? "";
  return line.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?").slice(0, 200);
}

function normalisePolicy(policy: GuestHostKeyPolicy, where: string): GuestHostKeyPolicy {
  if (policy.mode === "insecure") return policy;
  if (policy.mode === "pinned") {
    const fingerprint = normaliseHostKeyFingerprint(policy.fingerprint);
    if (!fingerprint) {
      throw new GuestConfigurationError(
        `the host key for ${where} must be a SHA-256 fingerprint as \`ssh-keygen -lf\` prints it (SHA256:<43 base64 characters>)`,
      );
    }
    return { mode: "pinned", fingerprint };
  }
  const known = policy.known ? normaliseHostKeyFingerprint(policy.known) : null;
  if (policy.known && !known) throw new GuestConfigurationError(`the host key recorded for ${where} is not a SHA-256 fingerprint`);
  return { ...policy, known };
}

function authConfig(auth: GuestAuth): { config: Partial<ConnectConfig>; method: string } {
  // A password is offered as "password" and, for servers that ask through PAM, as keyboard-interactive.
  if (auth.password) return { config: { password: auth.password, tryKeyboard: true }, method: "password" };
  if (auth.privateKey?.trim()) {
    if (!isPrivateKeyArmour(auth.privateKey)) {
      throw new GuestConfigurationError("the ssh key is not a private key (expected PEM / OpenSSH armour: -----BEGIN ... PRIVATE KEY-----)");
    }
    return { config: { privateKey: auth.privateKey, passphrase: auth.passphrase ?? undefined }, method: "key" };
  }
  if (auth.keyFile) {
    let key: string;
    try {
      key = fs.readFileSync(auth.keyFile, "utf8");
    } catch (error) {
      throw new GuestConfigurationError(`cannot read the ssh key file ${auth.keyFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    return { config: { privateKey: key, passphrase: auth.passphrase ?? undefined }, method: `key file ${auth.keyFile}` };
  }
  throw new GuestConfigurationError("no ssh credentials for the guest: a private key, a key file or a password");
}

/** One authenticated ssh connection (over `sock` when reached through a jump host). */
function openClient(
  target: GuestTarget,
  auth: GuestAuth,
  policy: GuestHostKeyPolicy,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  sock?: Readable,
): Promise<Client> {
  const where = guestTargetLabel(target);
  const hostPort = where.slice(target.user.length + 1);
  const checked = normalisePolicy(policy, hostPort);
  const { config: credentials, method } = authConfig(auth);
  const client = new Client();
  let refusal: GuestHostKeyError | null = null;

  const verify = (key: Buffer, decide: (ok: boolean) => void) => {
    const presented = hostKeyFingerprint(key);
    if (checked.mode === "insecure") return decide(true);
    const expected = checked.mode === "pinned" ? checked.fingerprint : checked.known;
    if (expected) {
      if (presented !== expected) {
        refusal = new GuestHostKeyError(`host key mismatch at ${hostPort}: expected ${expected}, got ${presented}`, expected, presented);
      }
      return decide(presented === expected);
    }
    if (checked.mode !== "tofu") return decide(false);
    Promise.resolve()
      .then(() => checked.onNewHostKey(presented))
      .then(
        (ok) => {
          if (!ok) refusal = new GuestHostKeyError(`host key ${presented} of ${hostPort} was not accepted on first use`, null, presented);
          decide(ok === true);
        },
        (error: unknown) => {
          refusal = new GuestHostKeyError(
            `host key ${presented} of ${hostPort} could not be recorded: ${(error as Error).message}`,
            null,
            presented,
          );
          decide(false);
        },
      );
  };

  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
      if (error) {
        client.end();
        client.destroy();
        reject(error);
      } else resolve(client);
    };
    const abort = () => finish(new GuestConnectionError(`cannot connect to ${hostPort} (aborted)`));
    const timer = setTimeout(() => finish(new GuestConnectionError(`cannot connect to ${hostPort} (timed out after ${seconds(timeoutMs)})`)), timeoutMs + 1000);
    if (signal?.aborted) return abort();
    signal?.addEventListener("abort", abort, { once: true });

    client.on("error", (error: Error & { level?: string; code?: string }) => {
      if (refusal) return finish(refusal);
      if (error.level === "client-authentication") {
        return finish(new GuestAuthError(`authentication failed for ${where} (${method} refused)`));
      }
      if (error.level === "client-timeout") {
        return finish(new GuestConnectionError(`cannot connect to ${hostPort} (timed out after ${seconds(timeoutMs)})`));
      }
      const reason = error.code ?? error.message;
      finish(new GuestConnectionError(`cannot connect to ${hostPort} (${reason})`, { cause: error }));
    });
    // keyboard-interactive: the password answers the prompts that hide what is typed (a PAM
    // "Password:"); a prompt that echoes is not a password's and gets nothing; a server that keeps
    // asking gets no answer after three rounds.
    let rounds = 0;
    client.on("keyboard-interactive", (_name, _instructions, _lang, prompts, answer) => {
      const password = auth.password ?? "";
      answer(++rounds > 3 || !password ? [] : prompts.map((p) => (p.echo ? "" : password)));
    });
    client.on("ready", () => finish(null));
    client.on("close", () => finish(new GuestConnectionError(`cannot connect to ${hostPort} (connection closed during the handshake)`)));
    try {
      client.connect({
        host: target.host,
        port: target.port,
        username: target.user,
        readyTimeout: timeoutMs,
        keepaliveInterval: 15_000,
        hostVerifier: verify,
        ...(sock ? { sock } : {}),
        ...credentials,
      });
    } catch (error) {
      // ssh2 parses the key synchronously: one it cannot read, or a wrong passphrase. Never its content.
      finish(new GuestConfigurationError(`cannot use the ssh ${method} for ${where}: ${(error as Error).message}`));
    }
  });
}

/** Connects to the target, through the jump host when there is one; `close` ends both. */
async function connect(target: GuestTarget, options: GuestSshOptions): Promise<{ client: Client; close: () => void }> {
  const timeout = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (!options.jump) {
    const client = await openClient(target, options.auth, options.hostKey, timeout, options.signal);
    return { client, close: () => client.end() };
  }
  const jump = await openClient(options.jump.target, options.jump.auth ?? options.auth, options.jump.hostKey, timeout, options.signal);
  const hostPort = guestTargetLabel(target).slice(target.user.length + 1);
  const through = guestTargetLabel(options.jump.target);
  try {
    const stream = await new Promise<ClientChannel>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new GuestConnectionError(`cannot connect to ${hostPort} through ${through} (timed out after ${seconds(timeout)})`)),
        timeout,
      );
      jump.forwardOut("127.0.0.1", 0, target.host, target.port, (error, channel) => {
        clearTimeout(timer);
        if (error) reject(new GuestConnectionError(`cannot connect to ${hostPort} through ${through} (${error.message})`));
        else resolve(channel);
      });
    });
    const client = await openClient(target, options.auth, options.hostKey, timeout, options.signal, stream);
    client.on("close", () => jump.end());
    return {
      client,
      close: () => {
        client.end();
        jump.end();
      },
    };
  } catch (error) {
    jump.end();
    throw error;
  }
}

/** Runs one command on its own channel; never rejects. */
function runOne(client: Client, command: GuestCommand, text: string): Promise<{ result: CommandResult; stderr: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let truncated = false;
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    let stderr = "";
    let channel: ClientChannel | null = null;
    let done = false;

    const stop = () => {
      if (!channel) return;
      try {
        // OpenSSH's sshd delivers it to the command's process group, except in root's sessions (then
        // the guest's own timeout does it: withGuestTimeout).
        channel.signal("KILL");
      } catch {
        // the channel is already gone
      }
      channel.close();
    };
    const finish = (problem: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (problem === null && exitSignal) problem = `killed by signal ${exitSignal}`;
      if (problem === null && exitCode !== null && exitCode !== 0) {
        const said = firstLine(stderr);
        problem = `exit status ${exitCode}${said ? `: ${said}` : ""}`;
      }
      if (problem === null && exitCode === null) problem = "ended without an exit status";
      resolve({ result: { id: command.id, stdout: Buffer.concat(chunks, bytes).toString("utf8"), exitCode, problem, truncated }, stderr });
    };
    // The command's time counts from its channel's opening (a busy server may be slow to open one:
    // that wait has a limit of its own, the same length).
    const expire = (why: string) => () => {
      stop();
      finish(why);
    };
    let timer = setTimeout(expire(`could not start within ${seconds(command.timeoutMs)}`), command.timeoutMs);

    try {
      client.exec(text, (error, ch) => {
        if (error) return finish(`could not start: ${error.message}`);
        if (done) {
          ch.close();
          return;
        }
        channel = ch;
        clearTimeout(timer);
        timer = setTimeout(expire(`timed out after ${seconds(command.timeoutMs)}`), command.timeoutMs);
        ch.on("data", (chunk: Buffer) => {
          if (done) return;
          const room = command.maxBytes - bytes;
          if (chunk.length > room) {
            if (room > 0) chunks.push(Buffer.from(chunk.subarray(0, room)));
            bytes += Math.max(room, 0);
            truncated = true;
            stop();
            finish(`output cut at ${formatBytes(command.maxBytes)}`);
            return;
          }
          chunks.push(chunk);
          bytes += chunk.length;
        });
        ch.stderr.on("data", (chunk: Buffer) => {
          if (stderr.length < STDERR_KEPT) stderr += chunk.toString("utf8").slice(0, STDERR_KEPT - stderr.length);
        });
        ch.on("exit", (code: number | null, signalName?: string) => {
          if (typeof code === "number") exitCode = code;
          else if (signalName) exitSignal = signalName;
        });
        ch.on("close", () => finish(null));
      });
    } catch (error) {
      finish(`could not start: ${(error as Error).message}`);
    }
  });
}

/**
 * The command as sent: under the guest's own `timeout -s KILL` (a second past ours) when it has a
 * working one, so a command that hangs is killed with everything it started even when sshd will
 * not deliver our signal (OpenSSH refuses "signal" requests for root sessions: "session signalling
 * requires privilege separation"). Made of the command's constant text and its constant timeout.
 */
export function withGuestTimeout(command: GuestCommand): string {
  const limit = Math.ceil(command.timeoutMs / 1000) + 1;
  const run = shellQuote(command.run);
  return (
    `if timeout -s KILL ${limit} true >/dev/null 2>&1; then exec timeout -s KILL ${limit} sh -c ${run}; ` +
    `else exec sh -c ${run}; fi`
  );
}

const SUDO_PROBE: GuestCommand = { id: "sudo-probe", run: "sudo -n true", timeoutMs: 10_000, maxBytes: 4096 };

/**
 * Runs `commands` inside the guest and returns one result per command, in their order. Throws a
 * GuestError when the guest cannot be reached (refused, unreachable, host key, authentication);
 * a command that fails is a result with a problem, never a throw.
 */
export async function runGuestCommands(
  target: GuestTarget,
  commands: readonly GuestCommand[],
  options: GuestSshOptions,
): Promise<CommandResult[]> {
  for (const command of commands) {
    if (!(Number.isInteger(command.timeoutMs) && command.timeoutMs > 0 && Number.isInteger(command.maxBytes) && command.maxBytes > 0)) {
      throw new GuestConfigurationError(`guest command ${command.id}: timeoutMs and maxBytes must be positive integers`);
    }
  }
  const { client, close } = await connect(target, options);
  let lost: string | null = null;
  client.on("close", () => (lost ??= "connection lost"));
  client.on("error", (error: Error) => (lost ??= `connection lost (${error.message})`));
  const abort = () => {
    lost ??= "aborted";
    close();
  };
  options.signal?.addEventListener("abort", abort, { once: true });
  try {
    // sudo: root needs none; otherwise ask once whether `sudo -n` works here.
    let sudoRefused: string | null = null;
    const wantsSudo = commands.some((c) => c.sudo) && target.user !== "root";
    if (wantsSudo && options.sudo) {
      const probe = await runOne(client, SUDO_PROBE, SUDO_PROBE.run);
      if (probe.result.exitCode !== 0) {
        const said = firstLine(probe.stderr) || probe.result.problem || "refused";
        sudoRefused = `needs sudo (sudo -n refused: ${said.replace(/^sudo: /, "")}): read without it, may be partial`;
      }
    }
    const results = new Array<CommandResult>(commands.length);
    let next = 0;
    const worker = async () => {
      while (next < commands.length) {
        const index = next++;
        const command = commands[index]!;
        if (lost) {
          results[index] = { id: command.id, stdout: "", exitCode: null, problem: lost, truncated: false };
          continue;
        }
        const useSudo = command.sudo === true && wantsSudo && options.sudo === true && sudoRefused === null;
        const guarded = withGuestTimeout(command);
        const text = useSudo ? `sudo -n sh -c ${shellQuote(guarded)}` : guarded;
        const { result } = await runOne(client, command, text);
        if (command.sudo && wantsSudo && !useSudo) {
          const why = sudoRefused ?? "needs sudo (not enabled for this source): read without it, may be partial";
          result.problem = result.problem ? `${why}; ${result.problem}` : why;
        }
        results[index] = result;
      }
    };
    const channels = Math.max(1, Math.min(options.channels ?? 4, 8));
    await Promise.all(Array.from({ length: Math.min(channels, commands.length) }, worker));
    if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new Error("aborted");
    return results;
  } finally {
    options.signal?.removeEventListener("abort", abort);
    close();
  }
}

/**
 * `collect guest ssh://user@host[:port]... (--key-file F | --password-env VAR)
 *  (--host-key SHA256:... | --insecure-host-key) [--sudo] [--jump ssh://user@jump[:port]
 *  [--jump-host-key SHA256:...]] [--concurrency N] [--json]`
 *
 * Guest discovery from the command line, without the server (a site visit): the facts of each guest,
 * as JSON with --json ({ collectedAt, guests, warnings }), else a line per guest. --host-key is given
 * once (every guest) or once per guest, in the order of the targets. The jump host's key is
 * --jump-host-key (or none checked with --insecure-host-key). The password is read from the
 * environment variable named, never from the command line.
 * Exit codes: 0 at least one guest read, 1 none could be, 2 wrong usage (thrown as UsageError).
 */
import fs from "node:fs";
import { parseCliArgs, UsageError } from "../../cli/args";
import { normaliseHostKeyFingerprint } from "../ssh";
import { collectGuests, type GuestCollection } from "./collect";
import { GuestConfigurationError } from "./errors";
import { guestTargetLabel, parseGuestTarget, type GuestAuth, type GuestHostKeyPolicy, type GuestJump, type GuestTarget } from "./ssh";

export const GUEST_USAGE =
  "usage: collect guest ssh://user@host[:port]... (--key-file FILE | --password-env VAR) " +
  "(--host-key SHA256:... | --insecure-host-key) [--sudo] [--jump ssh://user@host[:port] [--jump-host-key SHA256:...]] " +
  "[--concurrency N] [--json]";

export interface GuestCliRun {
  targets: GuestTarget[];
  auth: GuestAuth;
  hostKeys: GuestHostKeyPolicy[];
  jump: GuestJump | null;
  sudo: boolean;
  concurrency: number | undefined;
  json: boolean;
}

const usage = (message: string) => new UsageError(`${message}\n${GUEST_USAGE}`);

function target(text: string, what: string): GuestTarget {
  try {
    return parseGuestTarget(text);
  } catch (error) {
    if (error instanceof GuestConfigurationError) throw usage(`${what}: ${error.message}`);
    throw error;
  }
}

function pinned(text: string, flag: string): GuestHostKeyPolicy {
  const fingerprint = normaliseHostKeyFingerprint(text);
  if (!fingerprint) throw usage(`${flag} takes a SHA-256 fingerprint as \`ssh-keygen -lf\` prints it (SHA256:...), not "${text.slice(0, 80)}"`);
  return { mode: "pinned", fingerprint };
}

/** The command line read into what to collect; a UsageError for anything the usage does not allow. */
export function parseGuestCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): GuestCliRun {
  const args = argv[0] === "guest" ? argv.slice(1) : [...argv];
  const { positionals, values } = parseCliArgs(
    args,
    {
      "key-file": { type: "string" },
      "password-env": { type: "string" },
      "host-key": { type: "string", multiple: true },
      "insecure-host-key": { type: "boolean" },
      sudo: { type: "boolean" },
      jump: { type: "string" },
      "jump-host-key": { type: "string" },
      concurrency: { type: "string" },
      json: { type: "boolean" },
    },
    GUEST_USAGE,
  );
  if (positionals.length === 0) throw usage("name at least one guest");
  const targets = positionals.map((p) => target(p, "guest"));

  const keyFile = values["key-file"];
  const passwordEnv = values["password-env"];
  if ((keyFile === undefined) === (passwordEnv === undefined)) throw usage("give one of --key-file or --password-env");
  let auth: GuestAuth;
  if (keyFile !== undefined) {
    try {
      fs.accessSync(keyFile, fs.constants.R_OK);
    } catch {
      throw usage(`cannot read the key file ${keyFile}`);
    }
    auth = { keyFile };
  } else {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(passwordEnv!)) throw usage(`--password-env takes the name of an environment variable`);
    const password = env[passwordEnv!];
    if (!password) throw usage(`the environment variable ${passwordEnv} (--password-env) is not set`);
    auth = { password };
  }

  const pins = values["host-key"] ?? [];
  const insecure = values["insecure-host-key"] === true;
  if (pins.length > 0 && insecure) throw usage("--host-key and --insecure-host-key exclude each other");
  if (pins.length === 0 && !insecure) throw usage("give --host-key (pinned) or --insecure-host-key");
  if (pins.length > 1 && pins.length !== targets.length) {
    throw usage(`--host-key is given once for every guest or once per guest: ${pins.length} for ${targets.length} guests`);
  }
  const hostKeys: GuestHostKeyPolicy[] = insecure
    ? targets.map(() => ({ mode: "insecure" }))
    : targets.map((_, i) => pinned(pins.length === 1 ? pins[0]! : pins[i]!, "--host-key"));

  let jump: GuestJump | null = null;
  if (values.jump !== undefined) {
    const jumpKey = values["jump-host-key"];
    if (jumpKey === undefined && !insecure) throw usage("--jump needs --jump-host-key (or --insecure-host-key)");
    if (jumpKey !== undefined && insecure) throw usage("--jump-host-key and --insecure-host-key exclude each other");
    jump = {
      target: target(values.jump, "--jump"),
      hostKey: jumpKey === undefined ? { mode: "insecure" } : pinned(jumpKey, "--jump-host-key"),
    };
  } else if (values["jump-host-key"] !== undefined) {
    throw usage("--jump-host-key without --jump");
  }

  let concurrency: number | undefined;
  if (values.concurrency !== undefined) {
    concurrency = Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw usage("--concurrency must be an integer from 1 to 256");
  }
  return { targets, auth, hostKeys, jump, sudo: values.sudo === true, concurrency, json: values.json === true };
}

export interface GuestCliOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processOutput: GuestCliOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

function summary(collection: GuestCollection): string {
  const lines = [`guests at ${collection.collectedAt}: ${collection.guests.length} read, ${collection.warnings.length} warnings`];
  for (const g of collection.guests) {
    const os = g.os.prettyName ?? g.os.id ?? "unknown OS";
    const software = g.software.map((s) => s.name).join(", ") || "none recognised";
    lines.push(
      `  ${g.target}  ${g.hostname ?? "?"}  ${os}  ${g.processes.length} processes, ${g.listeners.length} listeners, ` +
        `${g.connections.length} connections; software: ${software}` +
        (g.unread.length ? `; not read: ${g.unread.length}` : ""),
    );
  }
  for (const warning of collection.warnings) lines.push(`  warning: ${warning}`);
  return `${lines.join("\n")}\n`;
}

/**
 * The `collect guest` command: reads the guests named in `argv` (with or without the leading
 * "guest") and prints them. Returns the exit code; throws UsageError (exit 2) for wrong usage.
 */
export async function guestCliMain(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  output: GuestCliOutput = processOutput,
  signal?: AbortSignal,
): Promise<number> {
  const run = parseGuestCli(argv, env);
  const policies = new Map(run.targets.map((t, i) => [guestTargetLabel(t), run.hostKeys[i]!]));
  const collection = await collectGuests(run.targets, {
    auth: run.auth,
    hostKey: (t) => policies.get(guestTargetLabel(t))!,
    jump: run.jump,
    sudo: run.sudo,
    concurrency: run.concurrency,
    signal,
  });
  if (run.json) output.stdout(`${JSON.stringify(collection, null, 2)}\n`);
  else output.stdout(summary(collection));
  if (collection.guests.length === 0) {
    output.stderr(`collect guest: no guest could be read\n`);
    return 1;
  }
  return 0;
}

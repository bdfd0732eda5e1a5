/**
 * `npm run --silent collect -- guest ssh://user@host[:port]... (--key-file F | --password-env VAR)
 *  (--host-key SHA256:... | --insecure-host-key) [--sudo] [--jump ssh://user@jump[:port]
 *  [--jump-host-key SHA256:...]] [--concurrency N] [--json]`
 *
 * Guest discovery from the command line, without the server (a site visit): a guest source made
 * from the arguments, collected as the server would, printed as the same snapshot (its `guests`)
 * that `npm run analyse` reads. --host-key is given once (every guest) or once per guest, in the
 * order of the targets. The jump host's key is --jump-host-key (or none checked with
 * --insecure-host-key). The key file is read here; the password is read from the environment
 * variable named, never from the command line.
 */
import fs from "node:fs";
import { parseCliArgs, UsageError } from "../../cli/args";
import { normaliseHostKeyFingerprint } from "../ssh";
import type { CliSourceParser } from "../types";
import { GuestConfigurationError } from "./errors";
import { guestTargetLabel, parseGuestTarget, type GuestTarget } from "./ssh";

export const GUEST_USAGE =
  "usage: collect guest ssh://user@host[:port]... (--key-file FILE | --password-env VAR) " +
  "(--host-key SHA256:... | --insecure-host-key) [--sudo] [--jump ssh://user@host[:port] [--jump-host-key SHA256:...]] " +
  "[--concurrency N] [--json]";

/** A private key file is a few KiB; anything much larger is not one. */
const KEY_FILE_MAX = 64 * 1024;

const usage = (message: string) => new UsageError(`${message}\n${GUEST_USAGE}`);

function target(text: string, what: string): GuestTarget {
  try {
    return parseGuestTarget(text);
  } catch (error) {
    if (error instanceof GuestConfigurationError) throw usage(`${what}: ${error.message}`);
    throw error;
  }
}

function pinned(text: string, flag: string): string {
  const fingerprint = normaliseHostKeyFingerprint(text);
  if (!fingerprint) throw usage(`${flag} takes a SHA-256 fingerprint as \`ssh-keygen -lf\` prints it (SHA256:...), not "${text.slice(0, 80)}"`);
  return fingerprint;
}

/** The command line read into a guest source; a UsageError for anything the usage does not allow. */
export const guestCliParser: CliSourceParser = (argv, env) => {
  const { positionals, values } = parseCliArgs(
    argv,
    {
      "key-file": { type: "string" },
      "password-env": { type: "string" },
      "host-key": { type: "string", multiple: true },
      "insecure-host-key": { type: "boolean" },
      sudo: { type: "boolean" },
      jump: { type: "string" },
      "jump-host-key": { type: "string" },
      concurrency: { type: "string" },
    },
    GUEST_USAGE,
  );
  if (positionals.length === 0) throw usage("name at least one guest");
  const targets = positionals.map((p) => target(p, "guest"));

  const keyFile = values["key-file"];
  const passwordEnv = values["password-env"];
  if ((keyFile === undefined) === (passwordEnv === undefined)) throw usage("give one of --key-file or --password-env");
  let secret: string;
  if (keyFile !== undefined) {
    try {
      if (fs.statSync(keyFile).size > KEY_FILE_MAX) throw usage(`${keyFile} is larger than a private key (${KEY_FILE_MAX / 1024} KiB)`);
      secret = fs.readFileSync(keyFile, "utf8");
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw usage(`cannot read the key file ${keyFile}`);
    }
    if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(secret)) throw usage(`${keyFile} holds no private key (PEM or OpenSSH armour)`);
  } else {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(passwordEnv!)) throw usage(`--password-env takes the name of an environment variable`);
    const password = env[passwordEnv!];
    if (!password) throw usage(`the environment variable ${passwordEnv} (--password-env) is not set`);
    if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(password)) throw usage(`${passwordEnv} holds a private key: give it with --key-file`);
    secret = password;
  }

  const pins = values["host-key"] ?? [];
  const insecure = values["insecure-host-key"] === true;
  if (pins.length > 0 && insecure) throw usage("--host-key and --insecure-host-key exclude each other");
  if (pins.length === 0 && !insecure) throw usage("give --host-key (pinned) or --insecure-host-key");
  if (pins.length > 1 && pins.length !== targets.length) {
    throw usage(`--host-key is given once for every guest or once per guest: ${pins.length} for ${targets.length} guests`);
  }
  const options: Record<string, unknown> = {};
  if (insecure) options.insecureHostKey = true;
  else if (pins.length === 1) options.hostKeys = pinned(pins[0]!, "--host-key");
  else {
    options.hostKeys = targets
      .map((t, i) => `${guestTargetLabel(t).slice(t.user.length + 1)}=${pinned(pins[i]!, "--host-key")}`)
      .join("\n");
  }

  if (values.jump !== undefined) {
    const jumpKey = values["jump-host-key"];
    if (jumpKey === undefined && !insecure) throw usage("--jump needs --jump-host-key (or --insecure-host-key)");
    if (jumpKey !== undefined && insecure) throw usage("--jump-host-key and --insecure-host-key exclude each other");
    options.jump = `ssh://${guestTargetLabel(target(values.jump, "--jump"))}`;
    if (jumpKey !== undefined) options.jumpHostKey = pinned(jumpKey, "--jump-host-key");
  } else if (values["jump-host-key"] !== undefined) {
    throw usage("--jump-host-key without --jump");
  }
  if (values.sudo === true) options.sudo = true;
  if (values.concurrency !== undefined) {
    const concurrency = Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw usage("--concurrency must be an integer from 1 to 256");
    options.concurrency = concurrency;
  }
  // Each guest as user@host:port: the endpoint's own grammar (source.ts), every target with its user.
  const endpoint = targets.map(guestTargetLabel).join(" ");
  return { kind: "guest", name: `guests (${targets.length})`, endpoint, username: targets[0]!.user, secret, options };
};

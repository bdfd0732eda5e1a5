/**
 * `npm run --silent collect -- libvirt <uri> [--timeout SECONDS] [--concurrency N] [--sample SECONDS]
 *  [--host-key SHA256:... | --insecure-host-key] [--key-file FILE] [--json]`:
 * a libvirt source from the command line. The URI defaults to LIBVIRT_DEFAULT_URI. Over ssh the key
 * comes from --key-file (or keyfile= in the URI), else the ssh agent (SSH_AUTH_SOCK).
 */
import { parseCliArgs, UsageError } from "../../cli/args";
import type { CliSourceParser } from "../types";
import { LibvirtConfigurationError } from "./errors";
import { normaliseHostKeyFingerprint } from "../ssh";
import { parseLibvirtUri } from "./uri";

export const LIBVIRT_USAGE =
  "usage: collect libvirt <qemu:///system | qemu+tcp://host/system | qemu+tls://host/system?pkipath=DIR | " +
  "qemu+ssh://user@host/system | test+unix:///path/node.xml?socket=PATH> [--timeout SECONDS] [--concurrency N] " +
  "[--sample SECONDS (between the two reads of measured use; 0: one read)] [--host-key SHA256:... | --insecure-host-key] [--key-file FILE] [--json]";

export const libvirtCliParser: CliSourceParser = (args, env) => {
  const parsed = parseCliArgs(
    args,
    {
      timeout: { type: "string" },
      concurrency: { type: "string" },
      sample: { type: "string" },
      "host-key": { type: "string" },
      "insecure-host-key": { type: "boolean" },
      "key-file": { type: "string" },
    },
    LIBVIRT_USAGE,
  );
  const { positionals, values } = parsed;
  const endpoint = positionals[0] ?? env.LIBVIRT_DEFAULT_URI;
  if (!endpoint || positionals.length > 1) throw new UsageError(LIBVIRT_USAGE);
  try {
    parseLibvirtUri(endpoint);
  } catch (error) {
    if (error instanceof LibvirtConfigurationError) throw new UsageError(`${error.message}\n${LIBVIRT_USAGE}`);
    throw error;
  }
  const options: Record<string, unknown> = {};
  const positive = (value: string, flag: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer\n${LIBVIRT_USAGE}`);
    return n;
  };
  if (values.timeout !== undefined) options.timeoutSeconds = positive(values.timeout, "--timeout");
  if (values.concurrency !== undefined) options.concurrency = positive(values.concurrency, "--concurrency");
  if (values.sample !== undefined) {
    const n = Number(values.sample);
    if (values.sample.trim() === "" || !Number.isFinite(n) || n < 0 || n > 300) {
      throw new UsageError(`--sample takes seconds from 0 to 300\n${LIBVIRT_USAGE}`);
    }
    options.statsSampleSeconds = n;
  }
  if (values["host-key"] !== undefined && values["insecure-host-key"]) {
    throw new UsageError(`--host-key and --insecure-host-key exclude each other\n${LIBVIRT_USAGE}`);
  }
  if (values["host-key"] !== undefined) {
    if (!normaliseHostKeyFingerprint(values["host-key"])) {
      throw new UsageError(`--host-key takes a SHA-256 fingerprint as \`ssh-keygen -lf\` prints it (SHA256:...)\n${LIBVIRT_USAGE}`);
    }
    options.hostKey = values["host-key"];
  }
  if (values["insecure-host-key"]) options.insecureHostKey = true;
  if (values["key-file"] !== undefined) options.keyFile = values["key-file"];
  return { kind: "libvirt", name: endpoint, endpoint, username: null, secret: null, options };
};

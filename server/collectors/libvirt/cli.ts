/**
 * `npm run --silent collect -- libvirt <uri> [--timeout SECONDS] [--concurrency N] [--json]`:
 * a libvirt source from the command line. The URI defaults to LIBVIRT_DEFAULT_URI.
 */
import { parseArgs } from "node:util";
import { UsageError, type CliSourceParser } from "../cli";
import { LibvirtConfigurationError } from "./errors";
import { parseLibvirtUri } from "./uri";

export const LIBVIRT_USAGE =
  "usage: collect libvirt <qemu:///system | qemu+tcp://host/system | qemu+tls://host/system?pkipath=DIR | " +
  "test+unix:///path/node.xml?socket=PATH> [--timeout SECONDS] [--concurrency N] [--json]";

export const libvirtCliParser: CliSourceParser = (args, env) => {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { timeout: { type: "string" }, concurrency: { type: "string" } },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${LIBVIRT_USAGE}`);
  }
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
  return { kind: "libvirt", name: endpoint, endpoint, username: null, secret: null, options };
};

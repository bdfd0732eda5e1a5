/**
 * Command-line use of the collectors: `npm run --silent collect -- <kind> <endpoint> [options]
 * [--json]`. Each kind turns its arguments into a CollectableSource; nothing touches a database,
 * so an engineer can collect at a customer's site and analyse later.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { CollectableSource, SourceKind } from "./index";
import { dockerCliParser } from "./docker/cli";
import { libvirtCliParser } from "./libvirt/cli";
import { vsphereCliParser } from "./vsphere/cli";

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** parseArgs with positionals; an unknown or malformed flag is a UsageError carrying `usage`. */
export function parseCliArgs<O extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: O,
  usage: string,
) {
  try {
    return parseArgs({ args, allowPositionals: true, strict: true, options });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${usage}`);
  }
}

/** Turns the arguments after `<kind>` into a source to collect. */
export type CliSourceParser = (args: string[], env: NodeJS.ProcessEnv) => CollectableSource;

const DEMO_USAGE = "usage: collect demo demo:<customer> [--seed N] [--vms N]";

const demo: CliSourceParser = (args) => {
  const { positionals, values } = parseCliArgs(args, { seed: { type: "string" }, vms: { type: "string" } }, DEMO_USAGE);
  const endpoint = positionals[0];
  if (!endpoint) throw new UsageError(DEMO_USAGE);
  const options: Record<string, unknown> = {};
  if (values.seed !== undefined) options.seed = Number(values.seed);
  if (values.vms !== undefined) options.vms = Number(values.vms);
  return { kind: "demo", name: endpoint, endpoint, username: null, secret: null, options };
};

/** One parser per kind that can be collected from the command line. */
export const cliParsers: Partial<Record<SourceKind, CliSourceParser>> = {
  demo,
  docker: dockerCliParser,
  libvirt: libvirtCliParser,
  vsphere: vsphereCliParser,
};

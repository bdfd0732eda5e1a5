/**
 * Command-line use of the collectors: `npm run --silent collect -- <kind> <endpoint> [options]
 * [--json]`. Each kind turns its arguments into a CollectableSource; nothing touches a database,
 * so an engineer can collect at a customer's site and analyse later.
 */
import { parseArgs } from "node:util";
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

/** Turns the arguments after `<kind>` into a source to collect. */
export type CliSourceParser = (args: string[], env: NodeJS.ProcessEnv) => CollectableSource;

const demo: CliSourceParser = (args) => {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { seed: { type: "string" }, vms: { type: "string" } },
  });
  const endpoint = positionals[0];
  if (!endpoint) throw new UsageError("usage: collect demo demo:<customer> [--seed N] [--vms N]");
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

/** `npm run --silent collect -- demo demo:<customer> [--seed N] [--vms N] [--json]`: a demo source from the command line. */
import { parseCliArgs, UsageError } from "../../cli/args";
import type { CliSourceParser } from "../types";

const DEMO_USAGE = "usage: collect demo demo:<customer> [--seed N] [--vms N]";

export const demoCliParser: CliSourceParser = (args) => {
  const { positionals, values } = parseCliArgs(args, { seed: { type: "string" }, vms: { type: "string" } }, DEMO_USAGE);
  const endpoint = positionals[0];
  if (!endpoint) throw new UsageError(DEMO_USAGE);
  const options: Record<string, unknown> = {};
  if (values.seed !== undefined) options.seed = Number(values.seed);
  if (values.vms !== undefined) options.vms = Number(values.vms);
  return { kind: "demo", name: endpoint, endpoint, username: null, secret: null, options };
};

/**
 * `npm run --silent collect -- rvtools <export.xlsx | folder of RVTools_tab*.csv | export.zip> [--json]`:
 * an RVTools export on this machine as a source. The endpoint is the export's absolute path.
 */
import { basename, resolve } from "node:path";
import { parseCliArgs, UsageError } from "../../cli/args";
import type { CliSourceParser } from "../types";

const USAGE = "usage: collect rvtools <export.xlsx | folder of RVTools_tab*.csv | export.zip> [--json]";

export const rvtoolsCliParser: CliSourceParser = (args) => {
  const { positionals } = parseCliArgs(args, {}, USAGE);
  const path = positionals[0];
  if (!path || positionals.length > 1) throw new UsageError(USAGE);
  const endpoint = resolve(path);
  return { kind: "rvtools", name: basename(endpoint), endpoint, username: null, secret: null, options: {} };
};

/**
 * npm run --silent analyse -- <snapshot.json>... [--json] [--customer NAME] [--tenant-label LABEL]
 *
 * The four analyses over snapshot files (what `npm run collect -- … --json` prints), no database.
 * Exit codes: 0 analysed, 1 a file could not be read or is not a snapshot, 2 wrong usage.
 */
import { UsageError } from "../server/cli/args";
import { runAnalyseCli } from "../server/analysis/cli";

runAnalyseCli(process.argv.slice(2)).then(
  (output) => process.stdout.write(output, () => process.exit(0)),
  (error: Error) => {
    console.error(`analyse: ${error.message}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);

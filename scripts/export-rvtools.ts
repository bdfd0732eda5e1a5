/**
 * npm run --silent export-rvtools -- <snapshot.json>... --out <file.xlsx> [--server NAME]...
 *
 * Snapshot files as one RVTools-shaped .xlsx (server/export/rvtools/cli.ts), no database.
 * Exit codes: 0 written, 1 a file could not be read or written, 2 wrong usage.
 */
import { UsageError } from "../server/cli/args";
import { runExportRvtoolsCli } from "../server/export/rvtools/cli";

runExportRvtoolsCli(process.argv.slice(2)).then(
  (output) => process.stdout.write(output, () => process.exit(0)),
  (error: Error) => {
    console.error(`export-rvtools: ${error.message}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);

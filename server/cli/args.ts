/**
 * Command-line arguments for the scripts (collect, analyse): `parseCliArgs` is node's parseArgs
 * with positionals, and a UsageError (exit code 2) for anything the usage line does not allow.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

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

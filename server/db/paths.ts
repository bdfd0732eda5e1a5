import path from "node:path";
import { setting } from "../config";

/** Where Fleetlens keeps local state (embedded Postgres, generated keys). Git-ignored. */
export function dataDir(): string {
  // A runtime location, not a build input: Turbopack must not trace it.
  return path.resolve(/*turbopackIgnore: true*/ setting("FLEETLENS_DATA_DIR") ?? path.join(process.cwd(), ".data"));
}

import path from "node:path";

/** Where Fleetlens keeps local state (embedded Postgres, generated keys). Git-ignored. */
export function dataDir(): string {
  // A runtime location, not a build input: Turbopack must not trace it.
  return path.resolve(/*turbopackIgnore: true*/ process.env.FLEETLENS_DATA_DIR ?? path.join(process.cwd(), ".data"));
}

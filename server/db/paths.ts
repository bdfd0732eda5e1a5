import path from "node:path";

/** Where Fleetlens keeps local state (embedded Postgres, generated keys). Git-ignored. */
export function dataDir(): string {
  return path.resolve(process.env.FLEETLENS_DATA_DIR ?? path.join(process.cwd(), ".data"));
}

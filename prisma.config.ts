// Prisma CLI configuration (Prisma 7).
//
// `prisma generate` needs no database and no engine, but the CLI still looks for a native schema
// engine binary and tries to download one, which fails offline. Pointing PRISMA_SCHEMA_ENGINE_BINARY
// at any existing executable satisfies that check: generate never runs it. Migrations are plain SQL
// in prisma/migrations applied by server/db/migrate.ts, not by `prisma migrate`.
import { defineConfig } from "prisma/config";

process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost/fleetlens" },
});

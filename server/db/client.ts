/**
 * One pg pool per process, shared by Prisma (through @prisma/adapter-pg) and by the bulk paths
 * (ingest's COPY, heavy aggregation in SQL) that need a raw connection.
 */
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { setting } from "../config";
import { PrismaClient } from "./generated/client";

export interface Database {
  pool: pg.Pool;
  prisma: PrismaClient;
  close(): Promise<void>;
}

export function connect(url: string, options: { max?: number } = {}): Database {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
  pool.on("error", () => {
    // An idle client lost its connection (server restart): the pool replaces it on next use.
  });
  // A checked-out client whose connection dies (a failover, pg_terminate_backend) emits "error"
  // besides failing its query; without a listener Node would end the whole process for it. The
  // query's own rejection reaches the caller (the run fails with it), and the pool discards the
  // client when it is released with that error.
  pool.on("connect", (client) => {
    client.on("error", () => undefined);
  });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    pool,
    prisma,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

const globalForDb = globalThis as unknown as { fleetlensDb?: Database };

/** The process-wide database, from DATABASE_URL (set by scripts/start.ts for the embedded one). */
export function db(): Database {
  if (!globalForDb.fleetlensDb) {
    const url = setting("DATABASE_URL");
    if (!url) throw new Error("DATABASE_URL is not set: start Fleetlens with `npm start`");
    globalForDb.fleetlensDb = connect(url);
  }
  return globalForDb.fleetlensDb;
}

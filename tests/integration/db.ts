import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { connect, type Database } from "../../server/db/client";
import { migrate } from "../../server/db/migrate";
import { prepareQueues } from "../../server/jobs/boss";
import { COLLECTION_TIMEOUT_MS } from "../../server/jobs/collect";

export interface TestDatabase extends Database {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** Runs SQL on the server's maintenance connection (the database the server URL names). */
export async function onServer<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject("postgresServerUrl") });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database on the test server; migrated (with the queue's schema, as `npm start` leaves it) unless told otherwise. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `fleetlens_test_${randomBytes(6).toString("hex")}`;
  await onServer((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = withDatabase(inject("postgresServerUrl"), name);
  if (options.migrate !== false) {
    await migrate(url);
    await prepareQueues(url, COLLECTION_TIMEOUT_MS);
  }
  const database = connect(url);
  return {
    ...database,
    url,
    name,
    async drop() {
      await database.close();
      await onServer((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** A new customer (uniquely named) with one Docker source called `name`; returns their ids. */
export async function createDockerSource(
  t: TestDatabase,
  name: string,
): Promise<{ customerId: string; sourceId: string }> {
  const customer = await t.prisma.customer.create({ data: { name: `c-${Date.now()}-${Math.random()}` } });
  const source = await t.prisma.source.create({
    data: { customerId: customer.id, kind: "docker", name, endpoint: "unix:///x" },
  });
  return { customerId: customer.id, sourceId: source.id };
}

/** Waits until a collection run has ended (succeeded or failed) and returns it. */
export async function settledRun(database: Database, runId: string, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await database.prisma.collectionRun.findUniqueOrThrow({ where: { id: runId } });
    if (run.status === "succeeded" || run.status === "failed") return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

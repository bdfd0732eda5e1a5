/**
 * The database connection cut during ingest (issue 19's fault list): the ingest's own backend is
 * terminated by PostgreSQL (pg_terminate_backend, as a failover or an administrator would) while it
 * writes a large snapshot. The ingest fails with the connection's error, the run is recorded as
 * failed with it, the inventory stored before is untouched (same rows, same ids), and the next
 * ingest on the same pool succeeds.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateFleetSnapshot } from "../../server/collectors/demo/fleet";
import { applySnapshot } from "../../server/inventory/ingest";
import { createTestDatabase, onServer, type TestDatabase } from "./db";

let t: TestDatabase;
let sourceId: string;

beforeAll(async () => {
  t = await createTestDatabase();
  const customer = await t.prisma.customer.create({ data: { name: "Initech" } });
  sourceId = (await t.prisma.source.create({ data: { customerId: customer.id, kind: "demo", name: "initech", endpoint: "demo:initech" } })).id;
});
afterAll(() => t.drop());

/** The stored inventory of the source as ids per table, to compare before and after. */
async function inventory() {
  const ids = async (table: string) =>
    (await t.pool.query<{ id: string }>(`SELECT id FROM ${table} WHERE source_id = $1 ORDER BY id`, [sourceId])).rows.map((r) => r.id);
  return { hosts: await ids("host"), vms: await ids("virtual_machine"), containers: await ids("container"), images: await ids("image") };
}

/** Terminates every backend of the test database that is inside a transaction writing rows, once one shows up. */
async function cutIngestWhenItWrites(deadline: number): Promise<number> {
  for (;;) {
    if (Date.now() > deadline) throw new Error("no ingest backend was seen writing");
    const killed = await onServer(async (client) => {
      const { rows } = await client.query<{ killed: boolean }>(
        `SELECT pg_terminate_backend(pid) AS killed
           FROM pg_stat_activity
          WHERE datname = $1 AND pid <> pg_backend_pid() AND state = 'active'
            AND xact_start IS NOT NULL AND query ~* '^\\s*(INSERT|COPY|UPDATE|DELETE|WITH)'`,
        [t.name],
      );
      return rows.filter((r) => r.killed).length;
    });
    if (killed > 0) return killed;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("the database connection cut during ingest", () => {
  it("fails the run with the connection's error, keeps the stored inventory, and the next ingest works", async () => {
    const first = await applySnapshot(sourceId, generateFleetSnapshot({ seed: 1, vms: 40, containers: 80 }), { database: t });
    const before = await inventory();
    expect(before.vms).toHaveLength(first.byKind.virtualMachines.added);
    expect(before.vms.length).toBeGreaterThan(0);

    // A much larger collection of the same fleet and more: long enough to be caught writing.
    const big = generateFleetSnapshot({ seed: 1, vms: 6_000, containers: 30_000 });
    const ingest = applySnapshot(sourceId, big, { database: t });
    const cut = cutIngestWhenItWrites(Date.now() + 60_000);
    const [outcome, killed] = await Promise.allSettled([ingest, cut]);
    expect(killed.status).toBe("fulfilled");
    expect(outcome.status).toBe("rejected");
    const error = (outcome as PromiseRejectedResult).reason as Error;
    expect(error.message).toMatch(/terminat|connection/i);

    // Nothing already stored is lost: the same rows with the same ids.
    expect(await inventory()).toEqual(before);
    const runs = await t.pool.query<{ status: string; error: string | null }>(
      `SELECT status, error FROM collection_run WHERE source_id = $1 ORDER BY started_at`,
      [sourceId],
    );
    expect(runs.rows.map((r) => r.status)).toEqual(["succeeded", "failed"]);
    expect(runs.rows[1]!.error).toMatch(/terminat|connection/i);

    // The pool threw the dead connection away: the next collection lands, keeping the ids of what persists.
    const again = await applySnapshot(sourceId, generateFleetSnapshot({ seed: 1, vms: 40, containers: 80 }), { database: t });
    expect(again.byKind.virtualMachines).toEqual({ added: 0, changed: 0, removed: 0 });
    expect(await inventory()).toEqual(before);
  }, 180_000);
});

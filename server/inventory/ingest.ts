/**
 * Ingest: the only writer of inventory. `applySnapshot` replaces a source's inventory with what a
 * snapshot holds, in one transaction:
 *
 * - objects are keyed by (source, external id) and keep their row ids across runs;
 * - each object's row is encoded once to COPY's text format and fingerprinted (SHA-1 of the row
 *   and its children), so an unchanged object costs no write at all;
 * - new objects are COPYed straight into their tables, changed ones COPYed into a staging table
 *   and applied with one UPDATE, vanished ones deleted with one DELETE per table;
 * - the source's totals are counted again (./summary.ts: what the overview and tiles read);
 * - the run is recorded with counts added/changed/removed and a metrics sample is appended;
 * - then, in a transaction of its own, the measured use (server/utilisation/store.ts).
 *
 * A snapshot that fails validation, or any failure while writing, rolls everything back and is
 * recorded as a failed run with its error: the previous inventory stays intact.
 */
import { createHash, randomUUID } from "node:crypto";
import type pg from "pg";
import { db, type Database } from "../db/client";
import { copyEncoded, encodeRow, encodeValue } from "./copy";
import { INT4_MAX, parseSnapshot, type ImageSnapshot, type Snapshot } from "./snapshot";
import {
  CONTAINER,
  CONTAINER_MOUNT,
  CONTAINER_PORT,
  HOST,
  IMAGE,
  IMAGE_LAYER,
  LAYER,
  VIRTUAL_DISK,
  VIRTUAL_MACHINE,
  type InventoryTable,
  type LayerIds,
} from "./tables";
import { writeGuests } from "./guests";
import { writeUtilisation } from "../utilisation/store";
import { linkEngineHostsToVms } from "./topology";
import { refreshInventorySummary } from "./summary";

export interface ApplyCounts {
  added: number;
  changed: number;
  removed: number;
}

export interface ApplyResult extends ApplyCounts {
  runId: string;
  durationMs: number;
  byKind: Record<"hosts" | "virtualMachines" | "containers" | "images", ApplyCounts>;
  /** Guests whose facts this run stored (guest discovery: kept per run, never replaced). */
  guests: number;
  /** Measured-use values this run stored (null when they could not be: the run says why). */
  samples: number | null;
}

export interface ApplyOptions {
  database?: Database;
  /** A run already created by the caller (e.g. a job that collected first); else one is created. */
  runId?: string;
  trigger?: string;
}

/** Creates a collection run in state "running" (committed at once, outside any transaction). */
export async function startRun(database: Database, sourceId: string, trigger = "manual") {
  const { rows } = await database.pool.query<{ id: string }>(
    `INSERT INTO collection_run (source_id, trigger) SELECT id, $2 FROM source WHERE id = $1 RETURNING id`,
    [sourceId, trigger],
  );
  if (!rows[0]) throw new Error(`source ${sourceId} does not exist`);
  return rows[0].id;
}

/** Advisory lock namespace ("FL") for ingests of one customer. */
const CUSTOMER_LOCK_CLASS = 0x464c;

/** Marks a run failed with its error; the inventory is not touched. */
export async function failRun(database: Database, runId: string, error: unknown) {
  await markRunFailed(database.pool, runId, error);
}

/**
 * Marks a run failed with its error, on any connection; with `onlyIfRunning`, only a run still
 * `running` (one its process did not record). Says whether the run was marked.
 */
export async function markRunFailed(
  queryable: Pick<pg.ClientBase, "query">,
  runId: string,
  error: unknown,
  options: { onlyIfRunning?: boolean } = {},
): Promise<boolean> {
  // Postgres text cannot hold NUL: an error quoting one must still be recorded.
  const message = (error instanceof Error ? error.message : String(error)).replaceAll("\0", "\\0");
  const { rowCount } = await queryable.query(
    `UPDATE collection_run
        SET status = 'failed', finished_at = now(), error = $2,
            duration_ms = (extract(epoch FROM now() - started_at) * 1000)::int
      WHERE id = $1${options.onlyIfRunning ? " AND status = 'running'" : ""}`,
    [runId, message.slice(0, 10_000)],
  );
  return (rowCount ?? 0) > 0;
}

export async function applySnapshot(
  sourceId: string,
  input: unknown,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const database = options.database ?? db();
  const started = performance.now();
  const runId = options.runId ?? (await startRun(database, sourceId, options.trigger));
  let client: pg.PoolClient | undefined;
  try {
    const snapshot = parseSnapshot(input);
    client = await database.pool.connect();
    await client.query("BEGIN");
    const source = await client.query<{ customer_id: string }>(
      `SELECT customer_id FROM source WHERE id = $1 FOR UPDATE`,
      [sourceId],
    );
    if (source.rowCount === 0) throw new Error(`source ${sourceId} does not exist`);
    const customerId = source.rows[0]!.customer_id;
    // One ingest per customer at a time: linking engine hosts to VMs touches every source of the
    // customer, so two ingests of its sources must not interleave (they could deadlock).
    await client.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [CUSTOMER_LOCK_CLASS, customerId]);

    const writer = new InventoryWriter(client, sourceId);
    const byKind = await writer.write(snapshot);
    const guests = await writeGuests(client, sourceId, runId, snapshot.guests, snapshot.hostKeys);
    await linkEngineHostsToVms(client, customerId);
    await refreshInventorySummary(client, customerId, sourceId);

    const total = Object.values(byKind).reduce(
      (sum, c) => ({
        added: sum.added + c.added,
        changed: sum.changed + c.changed,
        removed: sum.removed + c.removed,
      }),
      { added: 0, changed: 0, removed: 0 },
    );
    const durationMs = Math.round(performance.now() - started);
    await client.query(
      `UPDATE collection_run
          SET status = 'succeeded', finished_at = now(), duration_ms = $2,
              added = $3, changed = $4, removed = $5, warnings = $6, error = NULL
        WHERE id = $1`,
      [runId, durationMs, total.added, total.changed, total.removed, snapshot.warnings],
    );
    await insertMetricsSample(client, sourceId, runId, snapshot);
    // Measured use in the same transaction (under a savepoint): the run's success, which versions
    // the stored analysis (server/analysis/stored.ts), becomes visible with its samples, never before.
    const samples = await storeUtilisation(client, sourceId, runId, snapshot);
    await client.query("COMMIT");
    return { runId, durationMs, byKind, guests, samples, ...total };
  } catch (error) {
    if (client) await client.query("ROLLBACK").catch(() => undefined);
    await failRun(database, runId, error);
    throw error;
  } finally {
    client?.release();
  }
}

/**
 * Measured use goes in under a savepoint of the ingest's transaction: when it cannot be stored, the
 * run keeps its inventory and says so in its warnings.
 */
async function storeUtilisation(client: pg.PoolClient, sourceId: string, runId: string, snapshot: Snapshot) {
  try {
    return await writeUtilisation(client, sourceId, snapshot);
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).replaceAll("\0", "\\0");
    // Not caught: if this fails, the transaction is lost (its savepoint could not be restored) and
    // the run must fail, not COMMIT an aborted transaction (which Postgres turns into a ROLLBACK).
    await client.query(`UPDATE collection_run SET warnings = array_append(warnings, $2) WHERE id = $1`, [
      runId,
      `measured use not stored (the inventory is): ${message.slice(0, 2000)}`,
    ]);
    return null;
  }
}

async function insertMetricsSample(
  client: pg.PoolClient,
  sourceId: string,
  runId: string,
  snapshot: Snapshot,
) {
  const hypervisors = snapshot.hosts.filter((h) => h.role === "hypervisor");
  // Templates and powered-off VMs are inventory, not load (docs/domain.md#density).
  const load = snapshot.virtualMachines.filter((v) => v.powerState === "poweredOn" && !v.template);
  const sum = <T>(items: T[], value: (item: T) => number) =>
    items.reduce((total, item) => total + value(item), 0);
  // Each count is within int4 (the snapshot schema), their sum may not be: the int4 columns of
  // the sample saturate rather than fail the run.
  const int4Sum = <T>(items: T[], value: (item: T) => number) => Math.min(sum(items, value), INT4_MAX);
  await client.query(
    `INSERT INTO metrics_sample (source_id, run_id, collected_at, hosts, virtual_machines,
       vms_powered_on, containers, containers_running, images, physical_cores,
       physical_memory_mib, vcpus_powered_on, vm_memory_mib_powered_on)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      sourceId,
      runId,
      snapshot.collectedAt,
      snapshot.hosts.length,
      snapshot.virtualMachines.length,
      load.length,
      snapshot.containers.length,
      snapshot.containers.filter((c) => c.state === "running").length,
      snapshot.images.length,
      int4Sum(hypervisors, (h) => h.cpuCores),
      sum(hypervisors, (h) => h.memoryMiB),
      int4Sum(load, (v) => v.vcpus),
      sum(load, (v) => v.memoryMiB),
    ],
  );
}

interface Planned {
  /** externalId → row id, for every object in the snapshot. */
  ids: Map<string, string>;
  /** Row ids whose children must be (re)written: the added and the changed. */
  rewritten: Set<string>;
  counts: ApplyCounts;
  removedIds: string[];
}

class InventoryWriter {
  constructor(
    private readonly client: pg.PoolClient,
    private readonly sourceId: string,
  ) {}

  async write(snapshot: Snapshot): Promise<ApplyResult["byKind"]> {
    // Each table's columns, and how an object fills them: ./tables.ts.
    const hosts = await this.sync(HOST, snapshot.hosts, () => ({ context: undefined }));

    const hostId = (externalId: string | null) =>
      externalId === null ? null : (hosts.ids.get(externalId) ?? null);

    const vms = await this.sync(VIRTUAL_MACHINE, snapshot.virtualMachines, (v) => ({
      context: { hostId: hostId(v.hostExternalId) },
      children: v.disks,
    }));
    await this.replaceChildren(VIRTUAL_DISK, vms, snapshot.virtualMachines, (v) => v.disks, undefined);

    const layerIds = await this.syncLayers(snapshot.images);
    const images = await this.sync(IMAGE, snapshot.images, (i) => ({
      context: { hostId: hostId(i.hostExternalId)! },
      children: i.layers,
    }));
    await this.replaceChildren(IMAGE_LAYER, images, snapshot.images, (i) => i.layers, layerIds);

    const containers = await this.sync(CONTAINER, snapshot.containers, (c) => ({
      context: {
        hostId: hostId(c.hostExternalId)!,
        imageId: c.imageExternalId === null ? null : (images.ids.get(c.imageExternalId) ?? null),
      },
      children: [c.mounts, c.ports],
    }));
    await this.replaceChildren(CONTAINER_MOUNT, containers, snapshot.containers, (c) => c.mounts, undefined);
    await this.replaceChildren(CONTAINER_PORT, containers, snapshot.containers, (c) => c.ports, undefined);

    // Vanished objects go last, dependants first.
    await this.remove("container", containers.removedIds);
    await this.remove("image", images.removedIds);
    await this.remove("virtual_machine", vms.removedIds);
    await this.remove("host", hosts.removedIds);
    await this.client.query(
      `DELETE FROM layer l WHERE l.source_id = $1
         AND NOT EXISTS (SELECT 1 FROM image_layer il WHERE il.layer_id = l.id)`,
      [this.sourceId],
    );

    return {
      hosts: hosts.counts,
      virtualMachines: vms.counts,
      containers: containers.counts,
      images: images.counts,
    };
  }

  /**
   * Makes `table` hold exactly `items` for this source. Returns the ids of all items and which
   * were added or changed.
   */
  private async sync<T extends { externalId: string }, C>(
    table: InventoryTable<T, C>,
    items: T[],
    describe: (item: T) => { context: C; children?: unknown },
  ): Promise<Planned> {
    const existing = await this.client.query<{ external_id: string; id: string; fingerprint: string }>(
      `SELECT external_id, id::text AS id, fingerprint FROM "${table.name}" WHERE source_id = $1`,
      [this.sourceId],
    );
    const before = new Map(existing.rows.map((row) => [row.external_id, row]));
    const ids = new Map<string, string>();
    const rewritten = new Set<string>();
    const changed: string[] = [];
    let added = 0;
    const sourceId = this.sourceId;

    // New rows stream straight into COPY while they are encoded, so Node's encoding and
    // Postgres's inserting overlap; changed rows are kept for the staging table.
    function* newRows(): Generator<string> {
      for (const item of items) {
        const { context, children } = describe(item);
        const data = table.encode(item, context);
        const hash = createHash("sha1").update(data);
        if (children !== undefined) hash.update(JSON.stringify(children));
        const fingerprint = hash.digest("base64");
        const previous = before.get(item.externalId);
        const id = previous?.id ?? randomUUID();
        ids.set(item.externalId, id);
        if (previous?.fingerprint === fingerprint) continue;
        rewritten.add(id);
        const line = `${encodeRow([id, sourceId, item.externalId, fingerprint]).slice(0, -1)}\t${data}`;
        if (previous) {
          changed.push(line);
        } else {
          added++;
          yield line;
        }
      }
    }

    // table.keys: id, source_id, external_id, fingerprint.
    const allColumns = [...table.keys, ...table.written];
    await copyEncoded(this.client, table.name, allColumns, newRows());
    if (changed.length > 0) {
      const stage = `stage_${table.name}`;
      await this.client.query(
        `CREATE TEMP TABLE "${stage}" (LIKE "${table.name}" INCLUDING DEFAULTS) ON COMMIT DROP`,
      );
      await copyEncoded(this.client, stage, allColumns, changed);
      const assignments = ["fingerprint", ...table.written].map((c) => `"${c}" = s."${c}"`).join(", ");
      await this.client.query(
        `UPDATE "${table.name}" t SET ${assignments}, updated_at = now() FROM "${stage}" s WHERE t.id = s.id`,
      );
      await this.client.query(`DROP TABLE "${stage}"`);
    }

    const removedIds = [...before.values()]
      .filter((row) => !ids.has(row.external_id))
      .map((row) => row.id);
    return {
      ids,
      rewritten,
      removedIds,
      counts: { added, changed: changed.length, removed: removedIds.length },
    };
  }

  /**
   * Children of added or changed parents are deleted and written anew; a child table's key column
   * is its parent's id, and each child's position is its index among its parent's.
   */
  private async replaceChildren<T extends { externalId: string }, S, C>(
    table: InventoryTable<S, C>,
    parents: Planned,
    items: T[],
    children: (item: T) => readonly S[],
    context: C,
  ) {
    if (parents.rewritten.size === 0) return;
    const parentColumn = table.keys[0]!;
    if (parents.counts.changed > 0) {
      await this.client.query(`DELETE FROM "${table.name}" WHERE "${parentColumn}" = ANY($1::uuid[])`, [
        [...parents.rewritten],
      ]);
    }
    const lines = function* () {
      for (const item of items) {
        const parentId = parents.ids.get(item.externalId)!;
        if (!parents.rewritten.has(parentId)) continue;
        const parent = encodeValue(parentId);
        const list = children(item);
        for (let position = 0; position < list.length; position++) {
          yield `${parent}\t${table.encode(list[position]!, context, position)}`;
        }
      }
    };
    await copyEncoded(this.client, table.name, [parentColumn, ...table.written], lines());
  }

  /** Layers are per source, keyed by digest; returns digest → layer id for every image's layers. */
  private async syncLayers(images: ImageSnapshot[]): Promise<LayerIds> {
    const existing = await this.client.query<{ digest: string; id: string }>(
      `SELECT digest, id::text AS id FROM layer WHERE source_id = $1`,
      [this.sourceId],
    );
    const ids = new Map(existing.rows.map((row) => [row.digest, row.id]));
    const fresh: string[] = [];
    for (const image of images) {
      for (const layer of image.layers) {
        if (ids.has(layer.digest)) continue;
        const id = randomUUID();
        ids.set(layer.digest, id);
        // LAYER.keys: id, source_id.
        fresh.push(`${encodeRow([id, this.sourceId]).slice(0, -1)}\t${LAYER.encode(layer, undefined)}`);
      }
    }
    if (fresh.length > 0) {
      await copyEncoded(this.client, LAYER.name, [...LAYER.keys, ...LAYER.written], fresh);
    }
    return ids;
  }

  private async remove(table: string, ids: string[]) {
    if (ids.length === 0) return;
    await this.client.query(`DELETE FROM "${table}" WHERE id = ANY($1::uuid[])`, [ids]);
  }
}

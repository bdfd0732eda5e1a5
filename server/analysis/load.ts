/**
 * The dashboard's door to the analyses: a customer's stored inventory, read with one query per
 * table (children grouped by parent in one pass), in the same shapes the snapshot CLI builds, and the analysis
 * of it (computed and stored by ./stored.ts, which the pages read).
 */
import type { Database } from "../db/client";
import {
  CONTAINER,
  CONTAINER_MOUNT,
  CONTAINER_PORT,
  HOST,
  IMAGE,
  LAYER,
  VIRTUAL_DISK,
  VIRTUAL_MACHINE,
} from "../inventory/tables";
import type { Inventory, InventoryContainer, InventoryHost, InventoryImage, InventoryVirtualMachine } from "./inventory";
import { DEFAULT_PERIOD_DAYS, DEFAULT_TENANT_LABEL, linkGuests, type InventoryOptions } from "./inventory";
import { loadUse } from "../utilisation/query";
import type { GuestFacts } from "../collectors/guest/facts";
import { resolveParameters, type Parameters } from "./parameters";

export const PARAMETERS_SETTING = "analysis.parameters";

/** The stored inventory of these customers; objects carry their customer's id. */
export async function loadInventory(database: Database, customerIds: string[], options: InventoryOptions = {}): Promise<Inventory> {
  const asOf = options.asOf ?? new Date();
  const client = await database.pool.connect();
  try {
    // One snapshot of the data for all four reads, even while a collection lands.
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    // The data columns come from the column maps (server/inventory/tables.ts), already named as
    // the inventory's fields; here only the row's identity and its customer are added.
    const hosts = await client.query<Row>(
      `SELECT h.id AS key, s.customer_id AS customer,
              coalesce(nullif(s.options->>'tenantLabel', ''), $2) AS "tenantLabel",
              h.external_id AS "externalId", ${HOST.select("h")}
         FROM host h JOIN source s ON s.id = h.source_id
        WHERE s.customer_id = ANY($1::uuid[])
        ORDER BY h.id`,
      [customerIds, DEFAULT_TENANT_LABEL],
    );
    const inCustomers = "source_id IN (SELECT id FROM source WHERE customer_id = ANY($1::uuid[]))";
    // The snapshot's references (hostExternalId, imageExternalId) hold row ids, or null for VMs.
    const vms = await client.query<Row>(
      `SELECT v.id AS key, s.customer_id AS customer, v.external_id AS "externalId",
              NULL AS "hostExternalId", ${VIRTUAL_MACHINE.select("v")}
         FROM virtual_machine v JOIN source s ON s.id = v.source_id
        WHERE s.customer_id = ANY($1::uuid[]) ORDER BY v.id`,
      [customerIds],
    );
    const disks = await client.query<Row>(
      `SELECT d.vm_id AS parent, ${VIRTUAL_DISK.select("d")}
         FROM virtual_disk d JOIN virtual_machine v ON v.id = d.vm_id
        WHERE v.${inCustomers} ORDER BY d.vm_id, d.key`,
      [customerIds],
    );
    const containers = await client.query<Row>(
      `SELECT c.id AS key, s.customer_id AS customer, c.external_id AS "externalId",
              c.host_id AS "hostExternalId", c.image_id AS "imageExternalId", ${CONTAINER.select("c")}
         FROM container c JOIN source s ON s.id = c.source_id
        WHERE s.customer_id = ANY($1::uuid[]) ORDER BY c.id`,
      [customerIds],
    );
    const mounts = await client.query<Row>(
      `SELECT m.container_id AS parent, ${CONTAINER_MOUNT.select("m")}
         FROM container_mount m JOIN container c ON c.id = m.container_id
        WHERE c.${inCustomers} ORDER BY m.container_id, m.position`,
      [customerIds],
    );
    const ports = await client.query<Row>(
      `SELECT p.container_id AS parent, ${CONTAINER_PORT.select("p")}
         FROM container_port p JOIN container c ON c.id = p.container_id
        WHERE c.${inCustomers} ORDER BY p.container_id, p.position`,
      [customerIds],
    );
    const images = await client.query<Row>(
      `SELECT i.id AS key, s.customer_id AS customer, i.external_id AS "externalId",
              i.host_id AS "hostExternalId", ${IMAGE.select("i")}
         FROM image i JOIN source s ON s.id = i.source_id
        WHERE s.customer_id = ANY($1::uuid[]) ORDER BY i.id`,
      [customerIds],
    );
    const layers = await client.query<Row>(
      `SELECT il.image_id AS parent, ${LAYER.select("l")}
         FROM image_layer il JOIN image i ON i.id = il.image_id JOIN layer l ON l.id = il.layer_id
        WHERE i.${inCustomers} ORDER BY il.image_id, il.position`,
      [customerIds],
    );
    // Guest discovery: each guest's newest facts (a guest not reached by the last run keeps its
    // earlier ones, within the runs kept: server/inventory/guests.ts).
    const guests = await client.query<{ key: string; customer: string; facts: GuestFacts }>(
      `SELECT DISTINCT ON (g.source_id, g.target) g.id AS key, s.customer_id AS customer, g.facts
         FROM guest g JOIN source s ON s.id = g.source_id
        WHERE s.customer_id = ANY($1::uuid[])
        ORDER BY g.source_id, g.target, g.collected_at DESC`,
      [customerIds],
    );
    const use = await loadUse(client, customerIds, asOf, options.periodDays ?? DEFAULT_PERIOD_DAYS);
    await client.query("COMMIT");
    const inventory: Inventory = {
      use,
      asOf: asOf.toISOString(),
      hosts: objects<InventoryHost>(hosts.rows, HOST),
      virtualMachines: objects<InventoryVirtualMachine>(vms.rows, VIRTUAL_MACHINE, {
        disks: byParent(disks.rows, VIRTUAL_DISK),
      }),
      containers: objects<InventoryContainer>(containers.rows, CONTAINER, {
        mounts: byParent(mounts.rows, CONTAINER_MOUNT),
        ports: byParent(ports.rows, CONTAINER_PORT),
      }),
      images: objects<InventoryImage>(images.rows, IMAGE, { layers: byParent(layers.rows, LAYER) }),
      guests: guests.rows.map(({ key, customer, facts }) => ({ ...facts, key, customer, vmKey: null, vmMatch: null })),
    };
    linkGuests(inventory);
    return inventory;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** A row as selected: the inventory object's fields by name (see InventoryTable.select). */
type Row = Record<string, unknown>;
/** A column map's read step: stored values back into the inventory's (int8 → number, ...). */
type RowReader = { read(row: Row): Row };

/** Child rows grouped by their parent's id (the column "parent", dropped), in query order. */
function byParent(rows: Row[], table: RowReader): Map<unknown, Row[]> {
  const map = new Map<unknown, Row[]>();
  for (const { parent, ...row } of rows) {
    table.read(row);
    const list = map.get(parent);
    if (list) list.push(row);
    else map.set(parent, [row]);
  }
  return map;
}

/**
 * The rows, read back by their table's column map, with their children (by the row's key) as
 * arrays: the inventory's objects. The map's `satisfies ColumnsOf<...>` is what keeps the fields
 * complete; pg's rows are untyped.
 */
function objects<T>(rows: Row[], table: RowReader, children: Record<string, Map<unknown, Row[]>> = {}): T[] {
  const lists = Object.entries(children);
  for (const row of rows) {
    table.read(row);
    for (const [field, of] of lists) row[field] = of.get(row.key) ?? [];
  }
  return rows as T[];
}

/** The parameters in force: the defaults with the admin's stored overrides. */
export async function loadParameters(database: Database): Promise<Parameters> {
  const { rows } = await database.pool.query<{ value: unknown }>("SELECT value FROM app_setting WHERE key = $1", [PARAMETERS_SETTING]);
  return resolveParameters(rows[0]?.value ?? null);
}

/**
 * The analysis of one customer's stored inventory: stored after each ingest and read from there
 * (./stored.ts), recomputed only when the inventory or the parameters changed.
 */
export { customerAnalysis } from "./stored";

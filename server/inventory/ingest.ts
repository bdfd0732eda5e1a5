/**
 * Ingest: the only writer of inventory. `applySnapshot` replaces a source's inventory with what a
 * snapshot holds, in one transaction:
 *
 * - objects are keyed by (source, external id) and keep their row ids across runs;
 * - each object's row is encoded once to COPY's text format and fingerprinted (SHA-1 of the row
 *   and its children), so an unchanged object costs no write at all;
 * - new objects are COPYed straight into their tables, changed ones COPYed into a staging table
 *   and applied with one UPDATE, vanished ones deleted with one DELETE per table;
 * - the run is recorded with counts added/changed/removed and a metrics sample is appended.
 *
 * A snapshot that fails validation, or any failure while writing, rolls everything back and is
 * recorded as a failed run with its error: the previous inventory stays intact.
 */
import { createHash, randomUUID } from "node:crypto";
import type pg from "pg";
import { db, type Database } from "../db/client";
import { copyEncoded, copyRows, encodeRow, type CopyValue } from "./copy";
import {
  INT4_MAX,
  parseSnapshot,
  type ContainerSnapshot,
  type HostSnapshot,
  type ImageSnapshot,
  type Snapshot,
  type VirtualMachineSnapshot,
} from "./snapshot";
import { linkEngineHostsToVms } from "./topology";

export interface ApplyCounts {
  added: number;
  changed: number;
  removed: number;
}

export interface ApplyResult extends ApplyCounts {
  runId: string;
  durationMs: number;
  byKind: Record<"hosts" | "virtualMachines" | "containers" | "images", ApplyCounts>;
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
  // Postgres text cannot hold NUL: an error quoting one must still be recorded.
  const message = (error instanceof Error ? error.message : String(error)).replaceAll("\0", "\\0");
  await database.pool.query(
    `UPDATE collection_run
        SET status = 'failed', finished_at = now(), error = $2,
            duration_ms = (extract(epoch FROM now() - started_at) * 1000)::int
      WHERE id = $1`,
    [runId, message.slice(0, 10_000)],
  );
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
    await linkEngineHostsToVms(client, customerId);

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
    await client.query("COMMIT");
    return { runId, durationMs, byKind, ...total };
  } catch (error) {
    if (client) await client.query("ROLLBACK").catch(() => undefined);
    await failRun(database, runId, error);
    throw error;
  } finally {
    client?.release();
  }
}

async function insertMetricsSample(
  client: pg.PoolClient,
  sourceId: string,
  runId: string,
  snapshot: Snapshot,
) {
  const hypervisors = snapshot.hosts.filter((h) => h.role === "hypervisor");
  // Templates and powered-off VMs are inventory, not load (shared/domain.md, Density).
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

// ---------------------------------------------------------------------------------------------
// Table layouts: the data columns of each table, in COPY order, and how a snapshot object fills
// them. id, source_id, external_id and fingerprint come first in every inventory table.

const lower = (value: string | null) => value?.toLowerCase() ?? null;
const lowerAll = (values: string[]) => values.map((v) => v.toLowerCase());
const sortedLabels = (labels: Record<string, string>) =>
  Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const HOST_COLUMNS = [
  "name", "role", "platform", "vendor", "model", "cpu_model", "cpu_sockets", "cpu_cores",
  "cpu_threads", "cpu_mhz", "memory_mib", "os_name", "kernel_version", "product_name",
  "product_version", "product_build", "api_version", "datacenter", "cluster", "connection_state",
  "power_state", "hardware_uuid", "hostname", "ip_addresses", "mac_addresses", "runtimes",
  "default_runtime", "security_options", "cgroup_driver", "cgroup_version", "rootless",
  "memory_sharing", "memory_shared_mib",
] as const;

const hostValues = (h: HostSnapshot): CopyValue[] => [
  h.name, h.role, h.platform, h.vendor, h.model, h.cpuModel, h.cpuSockets, h.cpuCores,
  h.cpuThreads, h.cpuMhz, h.memoryMiB, h.osName, h.kernelVersion, h.productName,
  h.productVersion, h.productBuild, h.apiVersion, h.datacenter, h.cluster, h.connectionState,
  h.powerState, lower(h.hardwareUuid), h.hostname, h.ipAddresses, lowerAll(h.macAddresses),
  h.runtimes, h.defaultRuntime, h.securityOptions, h.cgroupDriver, h.cgroupVersion, h.rootless,
  h.memorySharing, h.memorySharedMiB,
];

const VM_COLUMNS = [
  "host_id", "name", "uuid", "instance_uuid", "power_state", "template", "vcpus",
  "cores_per_socket", "memory_mib", "memory_active_mib", "memory_ballooned_mib",
  "provisioned_mib", "used_mib", "guest_disk_capacity_mib", "guest_disk_free_mib",
  "guest_os_configured", "guest_os_reported", "guest_os_id", "guest_os_family", "hostname",
  "ip_addresses", "mac_addresses", "nic_count", "snapshot_count", "snapshot_oldest_at",
  "tools_status", "tools_version", "hardware_version", "datacenter", "cluster", "folder",
  "resource_pool", "annotation", "cbt_enabled", "consolidation_needed", "passthrough", "sriov",
  "usb_controller", "tpm", "cpu_hot_add", "memory_hot_add", "cpu_affinity", "rdm_disk",
  "shared_disk",
] as const;

const vmValues = (v: VirtualMachineSnapshot, hostId: string | null): CopyValue[] => [
  hostId, v.name, lower(v.uuid), lower(v.instanceUuid), v.powerState, v.template, v.vcpus,
  v.coresPerSocket, v.memoryMiB, v.memoryActiveMiB, v.memoryBalloonedMiB, v.provisionedMiB,
  v.usedMiB, v.guestDiskCapacityMiB, v.guestDiskFreeMiB, v.guestOsConfigured, v.guestOsReported,
  v.guestOsId, v.guestOsFamily, v.hostname, v.ipAddresses, lowerAll(v.macAddresses), v.nicCount,
  v.snapshotCount, v.snapshotOldestAt, v.toolsStatus, v.toolsVersion, v.hardwareVersion,
  v.datacenter, v.cluster, v.folder, v.resourcePool, v.annotation, v.cbtEnabled,
  v.consolidationNeeded, v.passthrough, v.sriov, v.usbController, v.tpm, v.cpuHotAdd,
  v.memoryHotAdd, v.cpuAffinity,
  v.disks.some((d) => d.rdm !== "none"),
  v.disks.some((d) => d.sharing !== "none"),
];

const DISK_COLUMNS = [
  "vm_id", "key", "label", "capacity_mib", "thin", "mode", "rdm", "sharing", "datastore", "path",
  "format",
] as const;

const CONTAINER_COLUMNS = [
  "host_id", "image_id", "name", "image", "state", "status", "created_at", "started_at",
  "runtime", "command", "privileged", "cap_add", "cap_drop", "user_name", "network_mode",
  "pid_mode", "ipc_mode", "uts_mode", "userns_mode", "security_options", "seccomp_profile",
  "apparmor_profile", "no_new_privileges", "read_only_rootfs", "memory_limit_bytes",
  "memory_reservation_bytes", "cpu_shares", "nano_cpus", "cpu_quota", "cpu_period",
  "cpuset_cpus", "pids_limit", "restart_policy", "health", "devices", "labels",
] as const;

const containerValues = (
  c: ContainerSnapshot,
  hostId: string,
  imageId: string | null,
): CopyValue[] => [
  hostId, imageId, c.name, c.image, c.state, c.status, c.createdAt, c.startedAt, c.runtime,
  c.command, c.privileged, c.capAdd, c.capDrop, c.user, c.networkMode, c.pidMode, c.ipcMode,
  c.utsMode, c.usernsMode, c.securityOptions, c.seccompProfile, c.apparmorProfile,
  c.noNewPrivileges, c.readOnlyRootfs, c.memoryLimitBytes, c.memoryReservationBytes,
  c.cpuShares, c.nanoCpus, c.cpuQuota, c.cpuPeriod, c.cpusetCpus, c.pidsLimit, c.restartPolicy,
  c.health, c.devices, sortedLabels(c.labels),
];

const MOUNT_COLUMNS = [
  "container_id", "position", "type", "source", "destination", "read_only", "propagation",
] as const;
const PORT_COLUMNS = [
  "container_id", "position", "container_port", "protocol", "host_ip", "host_port",
] as const;

const IMAGE_COLUMNS = [
  "host_id", "repo_tags", "repo_digests", "size_bytes", "created_at", "os", "architecture",
] as const;

const imageValues = (i: ImageSnapshot, hostId: string): CopyValue[] => [
  hostId, i.repoTags, i.repoDigests, i.sizeBytes, i.createdAt, i.os, i.architecture,
];

// ---------------------------------------------------------------------------------------------

interface Planned {
  /** externalId → row id, for every object in the snapshot. */
  ids: Map<string, string>;
  /** Row ids whose children must be (re)written: the added and the changed. */
  rewritten: Set<string>;
  counts: ApplyCounts;
  removedIds: string[];
}

const KEY_COLUMNS = ["id", "source_id", "external_id", "fingerprint"] as const;

class InventoryWriter {
  constructor(
    private readonly client: pg.PoolClient,
    private readonly sourceId: string,
  ) {}

  async write(snapshot: Snapshot): Promise<ApplyResult["byKind"]> {
    const hosts = await this.sync("host", HOST_COLUMNS, snapshot.hosts, (h) => ({
      values: hostValues(h),
    }));

    const hostId = (externalId: string | null) =>
      externalId === null ? null : (hosts.ids.get(externalId) ?? null);

    const vms = await this.sync("virtual_machine", VM_COLUMNS, snapshot.virtualMachines, (v) => ({
      values: vmValues(v, hostId(v.hostExternalId)),
      children: v.disks,
    }));
    await this.replaceChildren(
      "virtual_disk",
      "vm_id",
      DISK_COLUMNS,
      vms,
      snapshot.virtualMachines,
      (v) =>
        v.disks.map((d) => [
          d.key, d.label, d.capacityMiB, d.thin, d.mode, d.rdm, d.sharing, d.datastore, d.path,
          d.format,
        ]),
    );

    const layerIds = await this.syncLayers(snapshot.images);
    const images = await this.sync("image", IMAGE_COLUMNS, snapshot.images, (i) => ({
      values: imageValues(i, hostId(i.hostExternalId)!),
      children: i.layers,
    }));
    await this.replaceChildren(
      "image_layer",
      "image_id",
      ["image_id", "layer_id", "position"],
      images,
      snapshot.images,
      (i) => i.layers.map((layer, position) => [layerIds.get(layer.digest)!, position]),
    );

    const containers = await this.sync("container", CONTAINER_COLUMNS, snapshot.containers, (c) => ({
      values: containerValues(
        c,
        hostId(c.hostExternalId)!,
        c.imageExternalId === null ? null : (images.ids.get(c.imageExternalId) ?? null),
      ),
      children: [c.mounts, c.ports],
    }));
    await this.replaceChildren("container_mount", "container_id", MOUNT_COLUMNS, containers,
      snapshot.containers, (c) =>
        c.mounts.map((m, position) => [
          position, m.type, m.source, m.destination, m.readOnly, m.propagation,
        ]),
    );
    await this.replaceChildren("container_port", "container_id", PORT_COLUMNS, containers,
      snapshot.containers, (c) =>
        c.ports.map((p, position) => [position, p.containerPort, p.protocol, p.hostIp, p.hostPort]),
    );

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
  private async sync<T extends { externalId: string }>(
    table: string,
    columns: readonly string[],
    items: T[],
    describe: (item: T) => { values: CopyValue[]; children?: unknown },
  ): Promise<Planned> {
    const existing = await this.client.query<{ external_id: string; id: string; fingerprint: string }>(
      `SELECT external_id, id::text AS id, fingerprint FROM "${table}" WHERE source_id = $1`,
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
        const { values, children } = describe(item);
        const data = encodeRow(values);
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

    const allColumns = [...KEY_COLUMNS, ...columns];
    await copyEncoded(this.client, table, allColumns, newRows());
    if (changed.length > 0) {
      const stage = `stage_${table}`;
      await this.client.query(
        `CREATE TEMP TABLE "${stage}" (LIKE "${table}" INCLUDING DEFAULTS) ON COMMIT DROP`,
      );
      await copyEncoded(this.client, stage, allColumns, changed);
      const assignments = ["fingerprint", ...columns].map((c) => `"${c}" = s."${c}"`).join(", ");
      await this.client.query(
        `UPDATE "${table}" t SET ${assignments}, updated_at = now() FROM "${stage}" s WHERE t.id = s.id`,
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

  /** Children of added or changed parents are deleted and written anew; `columns` start with the parent's. */
  private async replaceChildren<T extends { externalId: string }>(
    table: string,
    parentColumn: string,
    columns: readonly string[],
    parents: Planned,
    items: T[],
    rows: (item: T) => CopyValue[][],
  ) {
    if (parents.rewritten.size === 0) return;
    if (parents.counts.changed > 0) {
      await this.client.query(`DELETE FROM "${table}" WHERE "${parentColumn}" = ANY($1::uuid[])`, [
        [...parents.rewritten],
      ]);
    }
    const lines = function* () {
      for (const item of items) {
        const parentId = parents.ids.get(item.externalId)!;
        if (!parents.rewritten.has(parentId)) continue;
        for (const row of rows(item)) yield [parentId, ...row];
      }
    };
    await copyRows(this.client, table, columns, lines());
  }

  /** Layers are per source, keyed by digest; returns digest → layer id for every image's layers. */
  private async syncLayers(images: ImageSnapshot[]): Promise<Map<string, string>> {
    const existing = await this.client.query<{ digest: string; id: string }>(
      `SELECT digest, id::text AS id FROM layer WHERE source_id = $1`,
      [this.sourceId],
    );
    const ids = new Map(existing.rows.map((row) => [row.digest, row.id]));
    const fresh: CopyValue[][] = [];
    for (const image of images) {
      for (const layer of image.layers) {
        if (ids.has(layer.digest)) continue;
        const id = randomUUID();
        ids.set(layer.digest, id);
        fresh.push([id, this.sourceId, layer.digest, layer.sizeBytes]);
      }
    }
    if (fresh.length > 0) {
      await copyRows(this.client, "layer", ["id", "source_id", "digest", "size_bytes"], fresh);
    }
    return ids;
  }

  private async remove(table: string, ids: string[]) {
    if (ids.length === 0) return;
    await this.client.query(`DELETE FROM "${table}" WHERE id = ANY($1::uuid[])`, [ids]);
  }
}

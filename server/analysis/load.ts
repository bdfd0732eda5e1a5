/**
 * The dashboard's door to the analyses: a customer's stored inventory, read with one query per
 * table (children grouped by parent in one pass), in the same shapes the snapshot CLI builds, and the analysis
 * of it, kept in memory until the customer's inventory or the parameters change.
 */
import type { Database } from "../db/client";
import { analyse, type Analysis } from "./index";
import type { Inventory, InventoryContainer, InventoryHost, InventoryImage, InventoryVirtualMachine, LinkKey } from "./inventory";
import { DEFAULT_TENANT_LABEL } from "./inventory";
import { resolveParameters, type Parameters } from "./parameters";

export const PARAMETERS_SETTING = "analysis.parameters";

const num = (v: string | number | null) => (v === null ? null : Number(v));
const iso = (v: Date | null) => (v === null ? null : v.toISOString());

/** The stored inventory of these customers; objects carry their customer's id. */
export async function loadInventory(database: Database, customerIds: string[]): Promise<Inventory> {
  const client = await database.pool.connect();
  try {
    // One snapshot of the data for all four reads, even while a collection lands.
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const hosts = await client.query(
      `SELECT h.*, s.customer_id, coalesce(nullif(s.options->>'tenantLabel', ''), $2) AS tenant_label
         FROM host h JOIN source s ON s.id = h.source_id
        WHERE s.customer_id = ANY($1::uuid[])
        ORDER BY h.id`,
      [customerIds, DEFAULT_TENANT_LABEL],
    );
    const inCustomers = "source_id IN (SELECT id FROM source WHERE customer_id = ANY($1::uuid[]))";
    const vms = await client.query(
      `SELECT v.*, s.customer_id FROM virtual_machine v JOIN source s ON s.id = v.source_id
        WHERE s.customer_id = ANY($1::uuid[]) ORDER BY v.id`,
      [customerIds],
    );
    const disks = await client.query(
      `SELECT d.vm_id AS parent, d.key, d.label, d.capacity_mib AS "capacityMiB", d.thin, d.mode, d.rdm, d.sharing,
              d.datastore, d.path, d.format
         FROM virtual_disk d JOIN virtual_machine v ON v.id = d.vm_id
        WHERE v.${inCustomers} ORDER BY d.vm_id, d.key`,
      [customerIds],
    );
    const containers = await client.query(
      `SELECT c.*, s.customer_id FROM container c JOIN source s ON s.id = c.source_id
        WHERE s.customer_id = ANY($1::uuid[]) ORDER BY c.id`,
      [customerIds],
    );
    const mounts = await client.query(
      `SELECT m.container_id AS parent, m.type, m.source, m.destination, m.read_only AS "readOnly", m.propagation
         FROM container_mount m JOIN container c ON c.id = m.container_id
        WHERE c.${inCustomers} ORDER BY m.container_id, m.position`,
      [customerIds],
    );
    const ports = await client.query(
      `SELECT p.container_id AS parent, p.container_port AS "containerPort", p.protocol, p.host_ip AS "hostIp", p.host_port AS "hostPort"
         FROM container_port p JOIN container c ON c.id = p.container_id
        WHERE c.${inCustomers} ORDER BY p.container_id, p.position`,
      [customerIds],
    );
    const images = await client.query(
      `SELECT i.*, s.customer_id FROM image i JOIN source s ON s.id = i.source_id
        WHERE s.customer_id = ANY($1::uuid[]) ORDER BY i.id`,
      [customerIds],
    );
    const layers = await client.query(
      `SELECT il.image_id AS parent, l.digest, l.size_bytes AS "sizeBytes"
         FROM image_layer il JOIN image i ON i.id = il.image_id JOIN layer l ON l.id = il.layer_id
        WHERE i.${inCustomers} ORDER BY il.image_id, il.position`,
      [customerIds],
    );
    await client.query("COMMIT");
    const disksOf = byParent(disks.rows);
    const mountsOf = byParent(mounts.rows);
    const portsOf = byParent(ports.rows);
    const layersOf = byParent(layers.rows);
    return {
      hosts: hosts.rows.map(toHost),
      virtualMachines: vms.rows.map((r) => toVm(r, disksOf.get(r.id) ?? [])),
      containers: containers.rows.map((r) => toContainer(r, mountsOf.get(r.id) ?? [], portsOf.get(r.id) ?? [])),
      images: images.rows.map((r) => toImage(r, layersOf.get(r.id) ?? [])),
    };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/* eslint-disable @typescript-eslint/no-explicit-any -- rows straight from pg, mapped field by field */

/** Child rows grouped by their parent's id (the column "parent", dropped), in query order. */
function byParent(rows: any[]): Map<string, any[]> {
  const map = new Map<string, any[]>();
  for (const { parent, ...row } of rows) {
    const list = map.get(parent);
    if (list) list.push(row);
    else map.set(parent, [row]);
  }
  return map;
}
function toHost(r: any): InventoryHost {
  return {
    key: r.id,
    customer: r.customer_id,
    tenantLabel: r.tenant_label,
    vmKey: r.vm_id,
    vmLinkKey: r.vm_link_key as LinkKey | null,
    externalId: r.external_id,
    name: r.name,
    role: r.role,
    platform: r.platform,
    vendor: r.vendor,
    model: r.model,
    cpuModel: r.cpu_model,
    cpuSockets: r.cpu_sockets,
    cpuCores: r.cpu_cores,
    cpuThreads: r.cpu_threads,
    cpuMhz: r.cpu_mhz,
    memoryMiB: r.memory_mib,
    osName: r.os_name,
    kernelVersion: r.kernel_version,
    productName: r.product_name,
    productVersion: r.product_version,
    productBuild: r.product_build,
    apiVersion: r.api_version,
    datacenter: r.datacenter,
    cluster: r.cluster,
    connectionState: r.connection_state,
    powerState: r.power_state,
    hardwareUuid: r.hardware_uuid,
    hostname: r.hostname,
    ipAddresses: r.ip_addresses,
    macAddresses: r.mac_addresses,
    runtimes: r.runtimes,
    defaultRuntime: r.default_runtime,
    securityOptions: r.security_options,
    cgroupDriver: r.cgroup_driver,
    cgroupVersion: r.cgroup_version,
    rootless: r.rootless,
    memorySharing: r.memory_sharing,
    memorySharedMiB: r.memory_shared_mib,
  };
}

function toVm(r: any, disks: any[]): InventoryVirtualMachine {
  return {
    key: r.id,
    customer: r.customer_id,
    hostKey: r.host_id,
    externalId: r.external_id,
    name: r.name,
    hostExternalId: null,
    uuid: r.uuid,
    instanceUuid: r.instance_uuid,
    powerState: r.power_state,
    template: r.template,
    vcpus: r.vcpus,
    coresPerSocket: r.cores_per_socket,
    memoryMiB: r.memory_mib,
    memoryActiveMiB: r.memory_active_mib,
    memoryBalloonedMiB: r.memory_ballooned_mib,
    provisionedMiB: r.provisioned_mib,
    usedMiB: r.used_mib,
    guestDiskCapacityMiB: r.guest_disk_capacity_mib,
    guestDiskFreeMiB: r.guest_disk_free_mib,
    guestOsConfigured: r.guest_os_configured,
    guestOsReported: r.guest_os_reported,
    guestOsId: r.guest_os_id,
    guestOsFamily: r.guest_os_family,
    hostname: r.hostname,
    ipAddresses: r.ip_addresses,
    macAddresses: r.mac_addresses,
    nicCount: r.nic_count,
    snapshotCount: r.snapshot_count,
    snapshotOldestAt: iso(r.snapshot_oldest_at),
    toolsStatus: r.tools_status,
    toolsVersion: r.tools_version,
    hardwareVersion: r.hardware_version,
    datacenter: r.datacenter,
    cluster: r.cluster,
    folder: r.folder,
    resourcePool: r.resource_pool,
    annotation: r.annotation,
    cbtEnabled: r.cbt_enabled,
    consolidationNeeded: r.consolidation_needed,
    passthrough: r.passthrough,
    sriov: r.sriov,
    usbController: r.usb_controller,
    tpm: r.tpm,
    cpuHotAdd: r.cpu_hot_add,
    memoryHotAdd: r.memory_hot_add,
    cpuAffinity: r.cpu_affinity,
    disks,
  };
}

function toContainer(r: any, mounts: any[], ports: any[]): InventoryContainer {
  return {
    key: r.id,
    customer: r.customer_id,
    hostKey: r.host_id,
    imageKey: r.image_id,
    externalId: r.external_id,
    name: r.name,
    hostExternalId: r.host_id,
    image: r.image,
    imageExternalId: r.image_id,
    state: r.state,
    status: r.status,
    createdAt: iso(r.created_at),
    startedAt: iso(r.started_at),
    runtime: r.runtime,
    command: r.command,
    privileged: r.privileged,
    capAdd: r.cap_add,
    capDrop: r.cap_drop,
    user: r.user_name,
    networkMode: r.network_mode,
    pidMode: r.pid_mode,
    ipcMode: r.ipc_mode,
    utsMode: r.uts_mode,
    usernsMode: r.userns_mode,
    securityOptions: r.security_options,
    seccompProfile: r.seccomp_profile,
    apparmorProfile: r.apparmor_profile,
    noNewPrivileges: r.no_new_privileges,
    readOnlyRootfs: r.read_only_rootfs,
    memoryLimitBytes: num(r.memory_limit_bytes)!,
    memoryReservationBytes: num(r.memory_reservation_bytes)!,
    cpuShares: r.cpu_shares,
    nanoCpus: num(r.nano_cpus)!,
    cpuQuota: num(r.cpu_quota)!,
    cpuPeriod: num(r.cpu_period)!,
    cpusetCpus: r.cpuset_cpus,
    pidsLimit: num(r.pids_limit),
    restartPolicy: r.restart_policy,
    health: r.health,
    mounts,
    ports,
    devices: r.devices,
    labels: r.labels ?? {},
  };
}

function toImage(r: any, layers: any[]): InventoryImage {
  return {
    key: r.id,
    customer: r.customer_id,
    hostKey: r.host_id,
    externalId: r.external_id,
    hostExternalId: r.host_id,
    repoTags: r.repo_tags,
    repoDigests: r.repo_digests,
    sizeBytes: num(r.size_bytes)!,
    createdAt: iso(r.created_at),
    os: r.os,
    architecture: r.architecture,
    layers: layers.map((l: { digest: string; sizeBytes: string }) => ({ digest: l.digest, sizeBytes: Number(l.sizeBytes) })),
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** The parameters in force: the defaults with the admin's stored overrides. */
export async function loadParameters(database: Database): Promise<Parameters> {
  const { rows } = await database.pool.query<{ value: unknown }>("SELECT value FROM app_setting WHERE key = $1", [PARAMETERS_SETTING]);
  return resolveParameters(rows[0]?.value ?? null);
}

/** What changes when a customer's inventory does: its sources and their last finished runs. */
async function inventoryVersion(database: Database, customerId: string): Promise<string> {
  const { rows } = await database.pool.query<{ version: string }>(
    `SELECT coalesce((SELECT string_agg(s.id::text || '@' || coalesce((SELECT max(r.finished_at)::text FROM collection_run r
                                                                       WHERE r.source_id = s.id AND r.status = 'succeeded'), '-'), ','
                                        ORDER BY s.id)
                        FROM source s WHERE s.customer_id = $1), '')
            || '|' || coalesce((SELECT md5(value::text) FROM app_setting WHERE key = $2), 'defaults') AS version`,
    [customerId, PARAMETERS_SETTING],
  );
  return rows[0]!.version;
}

interface Cached {
  version: string;
  analysis: Promise<{ analysis: Analysis; parameters: Parameters }>;
}

const cache = new Map<string, Cached>();
const CACHE_LIMIT = 64;

/** The analysis of one customer's stored inventory, recomputed only when it or the parameters changed. */
export async function customerAnalysis(database: Database, customerId: string): Promise<{ analysis: Analysis; parameters: Parameters }> {
  const version = await inventoryVersion(database, customerId);
  const hit = cache.get(customerId);
  if (hit && hit.version === version) return hit.analysis;
  const analysis = (async () => {
    const [inventory, parameters] = await Promise.all([loadInventory(database, [customerId]), loadParameters(database)]);
    return { analysis: analyse(inventory, parameters), parameters };
  })();
  cache.delete(customerId);
  cache.set(customerId, { version, analysis });
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  analysis.catch(() => cache.delete(customerId));
  return analysis;
}

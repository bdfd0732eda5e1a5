/**
 * The dashboard's door to the analyses: a customer's stored inventory, read with one query per
 * table (children aggregated in SQL), in the same shapes the snapshot CLI builds, and the analysis
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
    const vms = await client.query(
      `SELECT v.*, s.customer_id,
              coalesce((SELECT json_agg(json_build_object('key', d.key, 'label', d.label, 'capacityMiB', d.capacity_mib,
                         'thin', d.thin, 'mode', d.mode, 'rdm', d.rdm, 'sharing', d.sharing, 'datastore', d.datastore,
                         'path', d.path, 'format', d.format) ORDER BY d.key)
                          FROM virtual_disk d WHERE d.vm_id = v.id), '[]') AS disks
         FROM virtual_machine v JOIN source s ON s.id = v.source_id
        WHERE s.customer_id = ANY($1::uuid[])
        ORDER BY v.id`,
      [customerIds],
    );
    const containers = await client.query(
      `SELECT c.*, s.customer_id,
              coalesce((SELECT json_agg(json_build_object('type', m.type, 'source', m.source, 'destination', m.destination,
                         'readOnly', m.read_only, 'propagation', m.propagation) ORDER BY m.position)
                          FROM container_mount m WHERE m.container_id = c.id), '[]') AS mounts,
              coalesce((SELECT json_agg(json_build_object('containerPort', p.container_port, 'protocol', p.protocol,
                         'hostIp', p.host_ip, 'hostPort', p.host_port) ORDER BY p.position)
                          FROM container_port p WHERE p.container_id = c.id), '[]') AS ports
         FROM container c JOIN source s ON s.id = c.source_id
        WHERE s.customer_id = ANY($1::uuid[])
        ORDER BY c.id`,
      [customerIds],
    );
    const images = await client.query(
      `SELECT i.*, s.customer_id,
              coalesce((SELECT json_agg(json_build_object('digest', l.digest, 'sizeBytes', l.size_bytes) ORDER BY il.position)
                          FROM image_layer il JOIN layer l ON l.id = il.layer_id WHERE il.image_id = i.id), '[]') AS layers
         FROM image i JOIN source s ON s.id = i.source_id
        WHERE s.customer_id = ANY($1::uuid[])
        ORDER BY i.id`,
      [customerIds],
    );
    await client.query("COMMIT");
    return {
      hosts: hosts.rows.map(toHost),
      virtualMachines: vms.rows.map(toVm),
      containers: containers.rows.map(toContainer),
      images: images.rows.map(toImage),
    };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/* eslint-disable @typescript-eslint/no-explicit-any -- rows straight from pg, mapped field by field */
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
    memorySharing: r.memory_sharing,
    memorySharedMiB: r.memory_shared_mib,
  };
}

function toVm(r: any): InventoryVirtualMachine {
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
    disks: r.disks,
  };
}

function toContainer(r: any): InventoryContainer {
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
    mounts: r.mounts,
    ports: r.ports,
    devices: r.devices,
    labels: r.labels ?? {},
  };
}

function toImage(r: any): InventoryImage {
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
    layers: (r.layers as { digest: string; sizeBytes: string | number }[]).map((l) => ({ digest: l.digest, sizeBytes: Number(l.sizeBytes) })),
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
  const { rows } = await database.pool.query<{ version: string | null }>(
    `SELECT string_agg(s.id::text || '@' || coalesce((SELECT max(r.finished_at)::text FROM collection_run r
                                                        WHERE r.source_id = s.id AND r.status = 'succeeded'), '-'), ',' ORDER BY s.id) AS version
       FROM source s WHERE s.customer_id = $1`,
    [customerId],
  );
  const setting = await database.pool.query<{ hash: string }>("SELECT md5(value::text) AS hash FROM app_setting WHERE key = $1", [PARAMETERS_SETTING]);
  return `${rows[0]?.version ?? ""}|${setting.rows[0]?.hash ?? "defaults"}`;
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

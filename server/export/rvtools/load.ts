/**
 * A customer's stored inventory as the RVTools export's input: one ExportSource per source (per
 * vCenter of an imported RVTools export), each a Snapshot of what is stored (hosts, VMs with their
 * disks, guest filesystems, NICs and the rest of the snapshot contract), read with the column maps
 * of server/inventory/tables.ts in one REPEATABLE READ READ ONLY transaction, as the analyses'
 * loader (server/analysis/load.ts) reads them. Containers and images have no RVTools tab: they are
 * only counted (docs/domain.md, RVTools → Export).
 *
 * The vCenter a source's rows name (VI SDK Server / VI SDK UUID):
 * - vsphere: the host name of the source's endpoint (the vCenter or ESXi host it collects from, as
 *   RVTools names the server it was pointed at);
 * - rvtools: the vCenter scope its objects were imported under (their externalIds start with it:
 *   the VI SDK UUID, else the VI SDK Server, server/collectors/rvtools/normalise.ts), one export
 *   source per scope, so an export of several vCenters keeps them apart; a UUID scope becomes the
 *   VI SDK UUID (the importer scopes by it first) under a pseudo vCenter name; VM ID and VM UUID are
 *   the ones the import read (asImported), so the workbook uploaded again to that source changes no id;
 * - any other source, or nothing stored: the pseudo vCenter `fleetlens:<source name>`.
 * Two export sources never share a name or a UUID (their VMs would merge on import): a later one
 * (sources in name order) takes `fleetlens:<source name>`, numbered when needed (" (2)").
 */
import type { Database } from "../../db/client";
import {
  hostSnapshot,
  virtualDiskSnapshot,
  virtualMachineSnapshot,
  type HostSnapshot,
  type Snapshot,
  type VirtualDiskSnapshot,
  type VirtualMachineSnapshot,
} from "../../inventory/snapshot";
import { HOST, VIRTUAL_DISK, VIRTUAL_MACHINE } from "../../inventory/tables";
import { pseudoVcenterUuid, type ExportSource } from "./tabs";

/** One export source and where it came from. */
export interface StoredExportSource extends ExportSource {
  sourceId: string;
  sourceName: string;
  kind: string;
}

export interface CustomerExport {
  sources: StoredExportSource[];
  /** Per source: its containers and images, left out of the workbook (RVTools has no tab for them). */
  leftOut: { sourceId: string; sourceName: string; containers: number; images: number }[];
}

type Row = Record<string, unknown>;

/** The snapshot contract's fields of an object, and nothing else (the row's ids and links dropped). */
function picker<T>(keys: readonly string[]): (row: Row) => T {
  return (row) => {
    const out: Row = {};
    for (const key of keys) out[key] = row[key];
    return out as T;
  };
}
const pickHost = picker<HostSnapshot>(Object.keys(hostSnapshot.shape));
const pickVm = picker<VirtualMachineSnapshot>(Object.keys(virtualMachineSnapshot.shape));
const pickDisk = picker<VirtualDiskSnapshot>(Object.keys(virtualDiskSnapshot.shape));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The vCenter a vsphere source's endpoint names (its host name), or null. */
export function vcenterOfEndpoint(endpoint: string): string | null {
  try {
    const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, "");
    return host || null;
  } catch {
    return null;
  }
}

/**
 * The vCenter scope an RVTools import gave an object's externalId ("<scope>/vm/<uuid>",
 * "<scope>/host/<name>", ...); "" when it was imported without one.
 */
export function rvtoolsScope(externalId: string): string {
  // No scope first, then the shortest: a VM ID or name after the kind may itself hold "/vm/".
  const match = /^(?:(.*?)\/)??(?:host|vm|vm-id|vm-name)\//.exec(externalId);
  return match?.[1] ?? "";
}

/**
 * A VM an RVTools import stored, with the keys that import read: VM ID is the one its id was made
 * from ("<scope>/vm-id/<VM ID>"), else empty (the id was made from the VM UUID or the name, which
 * the importer uses again); a VM read without an SMBIOS UUID (whose VM UUID the importer took for
 * the BIOS UUID) gets its VM UUID back in that column. A re-import gives it the same id.
 */
export function asImported(vm: VirtualMachineSnapshot): VirtualMachineSnapshot {
  const match = /^(?:.*?\/)??(vm|vm-id|vm-name)\/([\s\S]*)$/.exec(vm.externalId);
  if (!match) return vm;
  const [, how, local] = match as unknown as [string, string, string];
  if (how === "vm-id") return { ...vm, externalId: local };
  if (how === "vm" && vm.instanceUuid === null && vm.uuid?.toLowerCase() === local) {
    return { ...vm, externalId: "", uuid: null, instanceUuid: vm.uuid };
  }
  return { ...vm, externalId: "" };
}

interface StoredSource {
  id: string;
  name: string;
  kind: string;
  endpoint: string;
  collectedAt: Date | null;
}

/** A source's objects as one snapshot, or one per vCenter scope (rvtools), with the vCenter they name. */
function exportSourcesOf(
  source: StoredSource,
  hosts: HostSnapshot[],
  vms: VirtualMachineSnapshot[],
  collectedAt: string,
): { server: string | null; uuid: string | null; snapshot: Snapshot }[] {
  const snapshot = (h: HostSnapshot[], v: VirtualMachineSnapshot[]): Snapshot => ({
    version: 1,
    collectedAt,
    hosts: h,
    virtualMachines: v,
    containers: [],
    images: [],
    guests: [],
    hostKeys: [],
    utilisation: [],
    warnings: [],
  });
  if (source.kind === "vsphere") return [{ server: vcenterOfEndpoint(source.endpoint), uuid: null, snapshot: snapshot(hosts, vms) }];
  if (source.kind !== "rvtools") return [{ server: null, uuid: null, snapshot: snapshot(hosts, vms) }];

  // One group per scope, first seen first; a VM goes with its host (the importer may join a VM to
  // a host of another vCenter by name when only one has that name).
  const groups = new Map<string, { hosts: HostSnapshot[]; vms: VirtualMachineSnapshot[] }>();
  const group = (scope: string) => {
    let g = groups.get(scope);
    if (!g) groups.set(scope, (g = { hosts: [], vms: [] }));
    return g;
  };
  const hostScope = new Map<string, string>();
  for (const h of hosts) {
    const scope = rvtoolsScope(h.externalId);
    hostScope.set(h.externalId, scope);
    group(scope).hosts.push(h);
  }
  for (const vm of vms) {
    const scope = (vm.hostExternalId !== null ? hostScope.get(vm.hostExternalId) : undefined) ?? rvtoolsScope(vm.externalId);
    group(scope).vms.push(asImported(vm));
  }
  return [...groups].map(([scope, g]) => ({
    server: scope === "" || UUID.test(scope) ? null : scope,
    uuid: UUID.test(scope) ? scope.toLowerCase() : null,
    snapshot: snapshot(g.hosts, g.vms),
  }));
}

/** Every source of the customer as export sources, each naming a distinct vCenter. */
export async function loadRvtoolsExport(database: Database, customerId: string, now: Date = new Date()): Promise<CustomerExport> {
  const client = await database.pool.connect();
  try {
    // One snapshot of the data for every read, even while a collection lands.
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const sources = await client.query<StoredSource>(
      `SELECT s.id, s.name, s.kind::text AS kind, s.endpoint,
              (SELECT max(r.finished_at) FROM collection_run r WHERE r.source_id = s.id AND r.status = 'succeeded') AS "collectedAt"
         FROM source s WHERE s.customer_id = $1 ORDER BY s.name, s.id`,
      [customerId],
    );
    const ids = sources.rows.map((s) => s.id);
    const hosts = await client.query<Row>(
      `SELECT h.source_id AS "sourceId", h.external_id AS "externalId", ${HOST.select("h")}
         FROM host h WHERE h.source_id = ANY($1::uuid[]) ORDER BY h.name, h.id`,
      [ids],
    );
    const vms = await client.query<Row>(
      `SELECT v.id AS key, v.source_id AS "sourceId", v.external_id AS "externalId",
              vh.external_id AS "hostExternalId", ${VIRTUAL_MACHINE.select("v")}
         FROM virtual_machine v LEFT JOIN host vh ON vh.id = v.host_id
        WHERE v.source_id = ANY($1::uuid[]) ORDER BY v.name, v.id`,
      [ids],
    );
    const disks = await client.query<Row>(
      `SELECT d.vm_id AS parent, ${VIRTUAL_DISK.select("d")}
         FROM virtual_disk d JOIN virtual_machine v ON v.id = d.vm_id
        WHERE v.source_id = ANY($1::uuid[]) ORDER BY d.vm_id, d.key`,
      [ids],
    );
    const counts = await client.query<{ sourceId: string; containers: number; images: number }>(
      `SELECT s.id AS "sourceId",
              (SELECT count(*) FROM container c WHERE c.source_id = s.id)::int AS containers,
              (SELECT count(*) FROM image i WHERE i.source_id = s.id)::int AS images
         FROM source s WHERE s.id = ANY($1::uuid[])`,
      [ids],
    );
    await client.query("COMMIT");

    const disksOf = new Map<unknown, VirtualDiskSnapshot[]>();
    for (const row of disks.rows) {
      VIRTUAL_DISK.read(row);
      const list = disksOf.get(row.parent);
      const disk = pickDisk(row);
      if (list) list.push(disk);
      else disksOf.set(row.parent, [disk]);
    }
    const hostsOf = new Map<unknown, HostSnapshot[]>();
    for (const row of hosts.rows) {
      HOST.read(row);
      const list = hostsOf.get(row.sourceId) ?? [];
      list.push(pickHost(row));
      hostsOf.set(row.sourceId, list);
    }
    const vmsOf = new Map<unknown, VirtualMachineSnapshot[]>();
    for (const row of vms.rows) {
      VIRTUAL_MACHINE.read(row);
      row.disks = disksOf.get(row.key) ?? [];
      const list = vmsOf.get(row.sourceId) ?? [];
      list.push(pickVm(row));
      vmsOf.set(row.sourceId, list);
    }

    const servers = new Set<string>();
    const uuids = new Set<string>();
    const out: StoredExportSource[] = [];
    for (const source of sources.rows) {
      const h = hostsOf.get(source.id) ?? [];
      const v = vmsOf.get(source.id) ?? [];
      if (h.length === 0 && v.length === 0) continue;
      const collectedAt = (source.collectedAt ?? now).toISOString();
      for (const part of exportSourcesOf(source, h, v, collectedAt)) {
        // The importer scopes rows by VI SDK UUID, else VI SDK Server: both must be unused.
        let server = part.server ?? `fleetlens:${source.name}`;
        const uuid = part.uuid !== null && !uuids.has(part.uuid) ? part.uuid : null;
        const taken = () => servers.has(server.toLowerCase()) || (uuid === null && uuids.has(pseudoVcenterUuid(server)));
        if (taken()) {
          server = `fleetlens:${source.name}`;
          for (let n = 2; taken(); n++) server = `fleetlens:${source.name} (${n})`;
        }
        servers.add(server.toLowerCase());
        uuids.add(uuid ?? pseudoVcenterUuid(server));
        out.push({ sourceId: source.id, sourceName: source.name, kind: source.kind, server, ...(uuid ? { uuid } : {}), snapshot: part.snapshot });
      }
    }
    const names = new Map(sources.rows.map((s) => [s.id, s.name]));
    return {
      sources: out,
      leftOut: counts.rows
        .filter((c) => c.containers > 0 || c.images > 0)
        .map((c) => ({ sourceId: c.sourceId, sourceName: names.get(c.sourceId)!, containers: c.containers, images: c.images })),
    };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/**
 * The inventory the analyses read: a customer's hosts, virtual machines, containers and images as
 * plain data, in the snapshot's shapes and units (MiB for memory and disk, bytes for images and
 * layers), each object with a key unique in the inventory and the customer it belongs to.
 *
 * Two doors lead here and nothing else differs: `inventoryFromSnapshots` (the analyse CLI, no
 * database) and `loadInventory` in ./load.ts (the dashboard, one query per table). The engine host →
 * VM link is computed by `linkEngineHosts` for snapshots and read from host.vm_id (set by the same
 * rules in SQL, server/inventory/topology.ts) for the database.
 */
import type { GuestFacts } from "../collectors/guest/facts";
import { observedPower } from "../utilisation/series";
import { statsFromSeries, type ObjectUse } from "../utilisation/stats";

/** The days of measured use read when the caller does not say (the parameter's default). */
export const DEFAULT_PERIOD_DAYS = 30;
import type {
  ContainerSnapshot,
  HostSnapshot,
  ImageSnapshot,
  Snapshot,
  VirtualMachineSnapshot,
} from "../inventory/snapshot";

export type LinkKey = "uuid" | "mac" | "hostname" | "ip";

export interface InventoryHost extends HostSnapshot {
  key: string;
  customer: string;
  /** The container label naming a container's tenant on this engine host. */
  tenantLabel: string;
  /** The VM this engine host runs in, and which key matched. */
  vmKey: string | null;
  vmLinkKey: LinkKey | null;
}

export interface InventoryVirtualMachine extends VirtualMachineSnapshot {
  key: string;
  customer: string;
  hostKey: string | null;
}

export interface InventoryContainer extends ContainerSnapshot {
  key: string;
  customer: string;
  hostKey: string;
  imageKey: string | null;
}

export interface InventoryImage extends ImageSnapshot {
  key: string;
  customer: string;
  hostKey: string;
}

/** How a guest was matched to its VM: DMI product UUID = BIOS UUID, a shared MAC, a shared IP. */
export type GuestMatchKey = "uuid" | "mac" | "ip";

/** What guest discovery read inside one guest (its newest run), and the VM it is, when one matches. */
export interface InventoryGuest extends GuestFacts {
  key: string;
  customer: string;
  vmKey: string | null;
  vmMatch: GuestMatchKey | null;
}

export interface Inventory {
  hosts: InventoryHost[];
  virtualMachines: InventoryVirtualMachine[];
  containers: InventoryContainer[];
  images: InventoryImage[];
  guests: InventoryGuest[];
  /** Measured use by object key (server/utilisation/stats.ts), over a period ending at `asOf`. */
  use?: Map<string, ObjectUse>;
  /** When the measured use's period ends (ISO): now for the dashboard, the newest snapshot for the CLI. */
  asOf?: string;
}

export interface InventoryOptions {
  /** The days of measured use read (the parameter utilisationPeriodDays). */
  periodDays?: number;
  asOf?: Date;
}

export const DEFAULT_TENANT_LABEL = "tenant";

export interface SnapshotInput {
  snapshot: Snapshot;
  /** Which customer the snapshot's objects belong to (the CLI: one, unless told otherwise). */
  customer: string;
  /** A prefix that keeps keys of different snapshots apart. */
  prefix: string;
  tenantLabel?: string;
}

/** Builds an inventory from collected snapshots, and links engine hosts to the VMs they run in. */
export function inventoryFromSnapshots(inputs: SnapshotInput[], options: InventoryOptions = {}): Inventory {
  const asOf = options.asOf ?? new Date(Math.max(0, ...inputs.map((i) => Date.parse(i.snapshot.collectedAt))));
  const use = new Map<string, ObjectUse>();
  const inventory: Inventory = { hosts: [], virtualMachines: [], containers: [], images: [], guests: [], use, asOf: asOf.toISOString() };
  for (const { snapshot, customer, prefix, tenantLabel } of inputs) {
    const key = (kind: string, id: string) => `${prefix}:${kind}:${id}`;
    const stats = statsFromSeries([...snapshot.utilisation, ...observedPower(snapshot)], asOf, options.periodDays ?? DEFAULT_PERIOD_DAYS);
    for (const [object, figures] of stats) {
      const [kind, ...id] = object.split(":");
      use.set(key(kind === "virtualMachine" ? "vm" : kind!, id.join(":")), figures);
    }
    for (const host of snapshot.hosts) {
      inventory.hosts.push({
        ...host,
        key: key("host", host.externalId),
        customer,
        tenantLabel: tenantLabel ?? DEFAULT_TENANT_LABEL,
        vmKey: null,
        vmLinkKey: null,
      });
    }
    for (const vm of snapshot.virtualMachines) {
      inventory.virtualMachines.push({
        ...vm,
        key: key("vm", vm.externalId),
        customer,
        hostKey: vm.hostExternalId === null ? null : key("host", vm.hostExternalId),
      });
    }
    for (const container of snapshot.containers) {
      inventory.containers.push({
        ...container,
        key: key("container", container.externalId),
        customer,
        hostKey: key("host", container.hostExternalId),
        imageKey: container.imageExternalId === null ? null : key("image", container.imageExternalId),
      });
    }
    for (const image of snapshot.images) {
      inventory.images.push({ ...image, key: key("image", image.externalId), customer, hostKey: key("host", image.hostExternalId) });
    }
    for (const guest of snapshot.guests) {
      inventory.guests.push({ ...guest, key: key("guest", guest.target), customer, vmKey: null, vmMatch: null });
    }
  }
  linkEngineHosts(inventory);
  linkGuests(inventory);
  return inventory;
}

const shortName = (name: string | null) => (name ? (name.toLowerCase().split(".")[0] ?? "") : "");
const normalMac = (mac: string) => mac.toLowerCase();
/** 127.x, ::1 and unspecified addresses say nothing about which machine it is. */
const usefulIp = (ip: string) => !/^(127\.|0\.0\.0\.0$|::1?$|localhost$)/i.test(ip);

/**
 * Links each container-engine host to the VM of the same customer it runs in: BIOS UUID equal to
 * the host's hardware UUID, then a shared MAC address, then the same short hostname, then a shared
 * IP address that only one VM reports. The first key that finds a VM wins; among several VMs the
 * lowest key.
 */
export function linkEngineHosts(inventory: Inventory): void {
  const vms = inventory.virtualMachines.filter((vm) => !vm.template);
  const index = (keysOf: (vm: InventoryVirtualMachine) => string[]) => {
    const map = new Map<string, InventoryVirtualMachine[]>();
    for (const vm of vms) {
      for (const k of new Set(keysOf(vm))) {
        if (!k) continue;
        const id = `${vm.customer}\u0000${k}`;
        const list = map.get(id);
        if (list) list.push(vm);
        else map.set(id, [vm]);
      }
    }
    return map;
  };
  const byKey: [LinkKey, Map<string, InventoryVirtualMachine[]>, (h: InventoryHost) => string[]][] = [
    ["uuid", index((vm) => (vm.uuid ? [vm.uuid.toLowerCase()] : [])), (h) => (h.hardwareUuid ? [h.hardwareUuid.toLowerCase()] : [])],
    ["mac", index((vm) => vm.macAddresses.map(normalMac)), (h) => h.macAddresses.map(normalMac)],
    ["hostname", index((vm) => [shortName(vm.hostname)]), (h) => [shortName(h.hostname)]],
    ["ip", index((vm) => vm.ipAddresses.filter(usefulIp)), (h) => h.ipAddresses.filter(usefulIp)],
  ];
  for (const host of inventory.hosts) {
    host.vmKey = null;
    host.vmLinkKey = null;
    if (host.role !== "container-engine") continue;
    for (const [linkKey, map, keysOf] of byKey) {
      const found = keysOf(host)
        .filter((k) => k !== "")
        // An IP address several VMs report (a bridge such as docker0's 172.17.0.1) says nothing.
        .flatMap((k) => {
          const vmsWithKey = map.get(`${host.customer}\u0000${k}`) ?? [];
          return linkKey === "ip" && vmsWithKey.length > 1 ? [] : vmsWithKey;
        });
      if (found.length === 0) continue;
      found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      host.vmKey = found[0]!.key;
      host.vmLinkKey = linkKey;
      break;
    }
  }
}

/**
 * The two ways SMBIOS UUIDs are read: as written, and with the first three fields byte-swapped
 * (SMBIOS before 2.6 stored them big-endian: an older VMware VM's guest reads its BIOS UUID
 * 4213d2b6-9f3e-... as b6d21342-3e9f-...). Lower case, without braces.
 */
export function uuidForms(uuid: string): string[] {
  const u = uuid.trim().toLowerCase().replace(/^\{|\}$/g, "");
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4}-[0-9a-f]{12})$/.exec(u);
  if (!m) return u ? [u] : [];
  const swap = (hex: string) => hex.match(/../g)!.reverse().join("");
  return [u, `${swap(m[1]!)}-${swap(m[2]!)}-${swap(m[3]!)}-${m[4]}`];
}

/** MACs as aa:bb:cc:dd:ee:ff, whatever separators the platform used. */
const normalMacAddress = (mac: string) => {
  const hex = mac.toLowerCase().replace(/[^0-9a-f]/g, "");
  return hex.length === 12 ? hex.match(/../g)!.join(":") : mac.toLowerCase();
};
/** A MAC every guest may show (loopback, unset). */
const usefulMac = (mac: string) => !/^(00:){5}00$/.test(mac);
const bareIp = (ip: string) => ip.replace(/\/\d+$/, "").toLowerCase();

/**
 * Links each guest to the VM of the same customer it is: the DMI product UUID equal to the VM's
 * BIOS UUID (either byte order), else a MAC address both report, else an IP address both report
 * that only one VM of the customer has. Templates are never guests. Among several VMs, the lowest key.
 */
export function linkGuests(inventory: Inventory): void {
  const vms = inventory.virtualMachines.filter((vm) => !vm.template);
  const index = (keysOf: (vm: InventoryVirtualMachine) => string[]) => {
    const map = new Map<string, InventoryVirtualMachine[]>();
    for (const vm of vms) {
      for (const k of new Set(keysOf(vm))) {
        const id = `${vm.customer}\u0000${k}`;
        const list = map.get(id);
        if (list) list.push(vm);
        else map.set(id, [vm]);
      }
    }
    return map;
  };
  const byKey: [GuestMatchKey, Map<string, InventoryVirtualMachine[]>, (g: InventoryGuest) => string[]][] = [
    ["uuid", index((vm) => (vm.uuid ? uuidForms(vm.uuid).slice(0, 1) : [])), (g) => (g.productUuid ? uuidForms(g.productUuid) : [])],
    ["mac", index((vm) => vm.macAddresses.map(normalMacAddress).filter(usefulMac)), (g) => g.macAddresses.map(normalMacAddress).filter(usefulMac)],
    ["ip", index((vm) => vm.ipAddresses.map(bareIp).filter(usefulIp)), (g) => g.ipAddresses.map(bareIp).filter(usefulIp)],
  ];
  for (const guest of inventory.guests) {
    guest.vmKey = null;
    guest.vmMatch = null;
    for (const [match, map, keysOf] of byKey) {
      const found = new Map<string, InventoryVirtualMachine>();
      for (const k of keysOf(guest)) {
        const withKey = map.get(`${guest.customer}\u0000${k}`) ?? [];
        // An address several VMs report (a NAT range reused per network) says nothing.
        if (match === "ip" && withKey.length > 1) continue;
        for (const vm of withKey) found.set(vm.key, vm);
      }
      if (found.size === 0) continue;
      guest.vmKey = [...found.keys()].sort()[0]!;
      guest.vmMatch = match;
      break;
    }
  }
}

/**
 * What guest discovery saw, per guest, as the customer page's Guests tab and the engineer's
 * defence of a verdict show it: each guest's newest facts in a row (the VM it was matched to, and by
 * which key; use measured against size; the runtimes and servers recognised with their versions;
 * what could not be read), and the coverage: how many of the customer's powered-on Linux VMs have
 * been looked inside, which is what turns "insufficient data" into a graded fit.
 */
import { diskOf } from "../collectors/guest/facts";
import type { GuestMatchKey, Inventory } from "./inventory";

export interface GuestRow {
  key: string;
  customer: string;
  target: string;
  hostname: string | null;
  os: string | null;
  kernel: string | null;
  vmKey: string | null;
  vmName: string | null;
  match: GuestMatchKey | null;
  collectedAt: string;
  uptimeSeconds: number | null;
  cpuCount: number | null;
  cpuBusyPercent: number | null;
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
  diskUsedMiB: number | null;
  diskTotalMiB: number | null;
  /** "postgresql 15", "nginx 1.22.1", "dockerd": what was recognised, servers first. */
  software: string[];
  processes: number;
  listeners: number;
  connections: number;
  units: number;
  packageCount: number | null;
  extraModules: string[];
  selinux: string | null;
  apparmor: string | null;
  /** What could not be read and why (needs sudo, timed out, tool missing). */
  unread: string[];
  warnings: string[];
}

export interface GuestDiscoveryResult {
  guests: GuestRow[];
  totals: {
    guests: number;
    /** Guests matched to an inventoried VM. */
    matched: number;
    /** Powered-on Linux VMs (not templates) of the customer, and how many have a guest. */
    linuxVms: number;
    linuxVmsDiscovered: number;
  };
}

const KIND_ORDER = { server: 0, "container-runtime": 1, runtime: 2 } as const;

export function analyseGuests(inventory: Inventory): GuestDiscoveryResult {
  const vmName = new Map(inventory.virtualMachines.map((v) => [v.key, v.name]));
  const guests: GuestRow[] = inventory.guests.map((g) => {
    const disk = diskOf(g);
    const software = [...g.software]
      .sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.name.localeCompare(b.name))
      .map((s) => (s.version ? `${s.name} ${s.version}` : s.name));
    return {
      key: g.key,
      customer: g.customer,
      target: g.target,
      hostname: g.hostname,
      os: g.os.prettyName ?? g.os.id,
      kernel: g.os.kernel,
      vmKey: g.vmKey,
      vmName: g.vmKey ? (vmName.get(g.vmKey) ?? null) : null,
      match: g.vmMatch,
      collectedAt: g.collectedAt,
      uptimeSeconds: g.uptimeSeconds,
      cpuCount: g.cpuCount,
      cpuBusyPercent: g.cpuBusyPercent,
      memoryUsedMiB: g.memory.usedMiB,
      memoryTotalMiB: g.memory.totalMiB,
      diskUsedMiB: disk.usedMiB,
      diskTotalMiB: disk.totalMiB,
      software,
      processes: g.processes.length,
      listeners: g.listeners.length,
      connections: g.connections.length,
      units: g.units.length,
      packageCount: g.packageCount,
      extraModules: g.extraModules,
      selinux: g.security.selinux,
      apparmor: g.security.apparmor,
      unread: g.unread,
      warnings: g.warnings,
    };
  });
  guests.sort((a, b) => (a.vmName ?? a.hostname ?? a.target).localeCompare(b.vmName ?? b.hostname ?? b.target) || a.target.localeCompare(b.target));
  const linux = inventory.virtualMachines.filter((v) => !v.template && v.powerState === "poweredOn" && v.guestOsFamily === "linux");
  const discovered = new Set(guests.map((g) => g.vmKey).filter((k): k is string => k !== null));
  return {
    guests,
    totals: {
      guests: guests.length,
      matched: guests.filter((g) => g.vmKey !== null).length,
      linuxVms: linux.length,
      linuxVmsDiscovered: linux.filter((v) => discovered.has(v.key)).length,
    },
  };
}

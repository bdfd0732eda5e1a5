/**
 * The RVTools columns the snapshot needs, per tab, as data: each canonical column with the header
 * names RVTools versions have written for it, its type and (for sizes) its unit. Adding a column or
 * an alias touches one line here. Headers are matched trimmed, case-insensitively, with runs of
 * white space as one space, by name or alias, never by position (docs/domain.md#tabs-and-columns).
 *
 * Sizes: every RVTools version counts in base-2 units; older versions label them "MB", 4.x "MiB"
 * (the values are the same MiB), so both names map to one column in MiB.
 */

export type ColumnType = "text" | "int" | "number" | "bool" | "date";
/** The unit a size column's values are in; the normaliser converts to MiB. */
export type SizeUnit = "KiB" | "MiB" | "GiB";

export interface ColumnSpec {
  /** The header names, the current RVTools name first, then older names (aliases). */
  names: readonly string[];
  type: ColumnType;
  unit?: SizeUnit;
  /**
   * A bad value refuses the import (RvtoolsInputError naming origin, tab, row and column) instead of
   * leaving the field null with a warning: the keys that decide which VM a row belongs to, and the
   * facts the snapshot requires of every VM (name, power state, vCPUs, memory).
   */
  strict?: boolean;
}

const text = (...names: string[]): ColumnSpec => ({ names, type: "text" });
const key = (...names: string[]): ColumnSpec => ({ names, type: "text", strict: true });
const int = (...names: string[]): ColumnSpec => ({ names, type: "int" });
const mib = (...names: string[]): ColumnSpec => ({ names, type: "number", unit: "MiB" });
const bool = (...names: string[]): ColumnSpec => ({ names, type: "bool" });
const date = (...names: string[]): ColumnSpec => ({ names, type: "date" });

/** The columns every VM tab repeats, by which its rows join the VM of vInfo. */
const vmKeys = {
  vm: key("VM"),
  vmId: key("VM ID"),
  vmUuid: key("VM UUID"),
  viSdkServer: key("VI SDK Server"),
  viSdkUuid: key("VI SDK UUID", "vCenter UUID"),
} as const;

export const TABS = {
  vInfo: {
    required: true,
    columns: {
      ...vmKeys,
      powerState: { ...text("Powerstate", "Power state"), strict: true },
      template: bool("Template"),
      dnsName: text("DNS Name"),
      consolidationNeeded: bool("Consolidation Needed"),
      cpus: { ...int("CPUs", "Num CPU"), strict: true },
      memory: { ...mib("Memory", "Memory MiB", "Memory MB"), strict: true },
      activeMemory: mib("Active Memory"),
      nics: int("NICs"),
      enableUuid: bool("EnableUUID", "disk.EnableUUID"),
      cbt: bool("CBT"),
      primaryIp: text("Primary IP Address"),
      resourcePool: text("Resource pool"),
      folder: text("Folder"),
      ftState: text("FT State"),
      provisioned: mib("Provisioned MiB", "Provisioned MB"),
      inUse: mib("In Use MiB", "In Use MB"),
      firmware: text("Firmware"),
      hwVersion: text("HW version", "HW Version"),
      annotation: text("Annotation"),
      datacenter: text("Datacenter"),
      cluster: text("Cluster"),
      host: text("Host"),
      osConfigured: text("OS according to the configuration file", "OS"),
      osTools: text("OS according to the VMware Tools"),
      smbiosUuid: text("SMBIOS UUID"),
    },
  },
  vCPU: {
    required: false,
    columns: {
      ...vmKeys,
      coresPerSocket: int("Cores p/s", "Cores per socket"),
      hotAdd: bool("Hot Add"),
      hotRemove: bool("Hot Remove"),
    },
  },
  vMemory: {
    required: false,
    columns: {
      ...vmKeys,
      ballooned: mib("Ballooned", "Ballooned MiB", "Ballooned MB"),
      active: mib("Active", "Active MiB", "Active MB"),
      hotAdd: bool("Hot Add"),
    },
  },
  vDisk: {
    required: false,
    columns: {
      ...vmKeys,
      // "Label" is the disk's label where "Disk" is missing; vDisk's "Path" is the VM's .vmx, not the disk.
      disk: text("Disk", "Label"),
      diskKey: text("Disk Key"),
      path: text("Disk Path"),
      capacity: mib("Capacity MiB", "Capacity MB"),
      raw: bool("Raw"),
      mode: text("Disk Mode"),
      sharing: text("Sharing mode"),
      thin: bool("Thin"),
      controller: text("Controller"),
      rawMode: text("Raw Comp. Mode", "Raw Com. Mode"),
    },
  },
  vPartition: {
    required: false,
    columns: {
      ...vmKeys,
      disk: text("Disk"),
      diskKey: text("Disk Key"),
      capacity: mib("Capacity MiB", "Capacity MB"),
      free: mib("Free MiB", "Free MB"),
    },
  },
  vNetwork: {
    required: false,
    columns: {
      ...vmKeys,
      mac: text("Mac Address", "MAC Address"),
      ipv4: text("IPv4 Address", "IP Address"),
      ipv6: text("IPv6 Address"),
    },
  },
  vSnapshot: {
    required: false,
    columns: {
      ...vmKeys,
      createdAt: date("Date / time", "Date/time", "Date"),
    },
  },
  vTools: {
    required: false,
    columns: {
      ...vmKeys,
      tools: text("Tools"),
      toolsVersion: text("Tools Version"),
    },
  },
  vHost: {
    required: false,
    columns: {
      host: key("Host"),
      viSdkServer: key("VI SDK Server"),
      viSdkUuid: key("VI SDK UUID", "vCenter UUID"),
      datacenter: text("Datacenter"),
      cluster: text("Cluster"),
      cpuModel: text("CPU Model"),
      mhz: int("Speed"),
      sockets: int("# CPU"),
      cores: int("# Cores"),
      htActive: bool("HT Active"),
      memory: mib("# Memory"),
      esxVersion: text("ESX Version"),
      vendor: text("Vendor"),
      model: text("Model"),
      uuid: text("UUID"),
    },
  },
  vCluster: {
    required: false,
    columns: {
      name: key("Name", "Cluster"),
      viSdkServer: key("VI SDK Server"),
      viSdkUuid: key("VI SDK UUID", "vCenter UUID"),
      drsEnabled: bool("DRS enabled"),
      dpmEnabled: bool("DPM enabled"),
    },
  },
  vDatastore: {
    required: false,
    columns: {
      name: text("Name"),
      capacity: mib("Capacity MiB", "Capacity MB"),
      free: mib("Free MiB", "Free MB"),
    },
  },
  vSource: {
    required: false,
    columns: {
      name: text("Name"),
      fullName: text("Fullname", "Full name"),
      apiVersion: text("API version"),
      viSdkUuid: text("VI SDK UUID", "vCenter UUID"),
    },
  },
  vHealth: {
    required: false,
    columns: {
      name: text("Name"),
      message: text("Message"),
      type: text("Message type"),
    },
  },
} as const satisfies Record<string, { required: boolean; columns: Record<string, ColumnSpec> }>;

export type TabName = keyof typeof TABS;
export type ColumnKey<T extends TabName> = keyof (typeof TABS)[T]["columns"] & string;

/** vInfo's columns around its custom-attribute columns: the attributes lie between these two. */
export const ATTRIBUTES_AFTER = "Annotation";
export const ATTRIBUTES_BEFORE = "Datacenter";

/** A header as matched: trimmed, runs of white space as one space, lower case. */
export function headerKey(header: string): string {
  return header.trim().replace(/\s+/g, " ").toLowerCase();
}

/** The tab of this name (case-insensitive, "vinfo" → "vInfo"), or null when the normaliser does not read it. */
export function tabOf(name: string): TabName | null {
  const wanted = name.trim().toLowerCase();
  for (const tab of Object.keys(TABS) as TabName[]) if (tab.toLowerCase() === wanted) return tab;
  return null;
}

/** Where each column of a tab is in this header: index by column key; a column not found is absent. */
export interface ColumnMap<T extends TabName> {
  index: Partial<Record<ColumnKey<T>, number>>;
  /** The header name as written, by column key (for messages). */
  written: Partial<Record<ColumnKey<T>, string>>;
  /** Column keys the header lacks. */
  missing: ColumnKey<T>[];
}

/**
 * vInfo's custom-attribute range: the columns after the first "Annotation" and before the last
 * "Datacenter" (an attribute may itself be called "Datacenter"); null without both, in order.
 */
function attributeRange(keys: readonly string[]): [number, number] | null {
  const start = keys.indexOf(headerKey(ATTRIBUTES_AFTER));
  const end = keys.lastIndexOf(headerKey(ATTRIBUTES_BEFORE));
  return start < 0 || end < 0 || end <= start + 1 ? null : [start, end];
}

/** In the attribute range, a header that RVTools also writes after the range: the attribute, not the column. */
function shadowedInRange(keys: readonly string[], range: [number, number] | null): Set<number> {
  const out = new Set<number>();
  if (!range) return out;
  const after = new Set(keys.slice(range[1]));
  for (let i = range[0] + 1; i < range[1]; i++) if (after.has(keys[i]!)) out.add(i);
  return out;
}

/**
 * Finds each column of the tab in the header by name or alias (first match of the first name that
 * matches). On vInfo, a custom attribute named like a column RVTools writes after the attributes
 * ("Cluster", "Host", "Datacenter") does not take that column's place: the column is the later one.
 */
export function mapColumns<T extends TabName>(tab: T, header: readonly string[]): ColumnMap<T> {
  const keys = header.map(headerKey);
  const skip = tab === "vInfo" ? shadowedInRange(keys, attributeRange(keys)) : new Set<number>();
  const positions = new Map<string, number>();
  keys.forEach((k, i) => {
    if (k !== "" && !positions.has(k) && !skip.has(i)) positions.set(k, i);
  });
  const map: ColumnMap<T> = { index: {}, written: {}, missing: [] };
  const columns = TABS[tab].columns as Record<string, ColumnSpec>;
  for (const [column, spec] of Object.entries(columns) as [ColumnKey<T>, ColumnSpec][]) {
    const found = spec.names.map((n) => positions.get(headerKey(n))).find((i) => i !== undefined);
    if (found === undefined) {
      map.missing.push(column);
    } else {
      map.index[column] = found;
      map.written[column] = header[found]!.trim();
    }
  }
  return map;
}

/**
 * vInfo's custom-attribute columns: those between "Annotation" and "Datacenter" that are no known
 * vInfo column, or are named like one RVTools writes again after them, as [index, name]. None when
 * either bound is missing or they are out of order.
 */
export function attributeColumns(header: readonly string[]): [number, string][] {
  const keys = header.map(headerKey);
  const range = attributeRange(keys);
  if (!range) return [];
  const shadowed = shadowedInRange(keys, range);
  const known = new Set(Object.values(TABS.vInfo.columns as Record<string, ColumnSpec>).flatMap((s) => s.names.map(headerKey)));
  const out: [number, string][] = [];
  for (let i = range[0] + 1; i < range[1]; i++) {
    const name = header[i]!.trim();
    if (name !== "" && (!known.has(keys[i]!) || shadowed.has(i))) out.push([i, name]);
  }
  return out;
}

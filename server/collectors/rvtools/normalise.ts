/**
 * RVTools tabs → the snapshot, incrementally: the builder takes the tabs in any order (a CSV folder
 * comes alphabetically, vInfo after vDisk), reads each row once and keeps only a record per VM, host
 * and cluster; `finish` joins them into the snapshot the vSphere collector would give for the same
 * VMs wherever RVTools has the fact, and a report of what was read, missing and joined.
 *
 *   const b = createRvtoolsBuilder();
 *   for await (const tab of tabs) await b.addTab(tab);
 *   const { snapshot, report } = b.finish();
 *
 * Rows join their VM on the vCenter (VI SDK UUID, else VI SDK Server) and the VM (VM ID, else VM
 * UUID); externalIds are scoped by the vCenter, so several vCenters in one export do not collide.
 * Units: sizes in MiB ("MB" columns of older versions hold MiB too), times as ISO-8601 (UTC).
 */
import { osFamilyOf } from "../../inventory/os-identity";
import { DISK_MODES, TEXT_MAX, type SnapshotInput } from "../../inventory/snapshot";
import {
  attributeColumns,
  mapColumns,
  tabOf,
  TABS,
  type ColumnKey,
  type ColumnMap,
  type ColumnSpec,
  type SizeUnit,
  type TabName,
} from "./columns";
import { RvtoolsInputError, type CellValue, type NumberFormat, type RvTab } from "./types";

type VirtualMachineInput = NonNullable<SnapshotInput["virtualMachines"]>[number];
type HostInput = NonNullable<SnapshotInput["hosts"]>[number];
type DiskInput = NonNullable<VirtualMachineInput["disks"]>[number];
type FilesystemInput = NonNullable<VirtualMachineInput["guestFilesystems"]>[number];

/** Tabs read for the report only (the snapshot has no datastore, vCenter or health object). */
const COUNTED_ONLY = new Set<string>(["vDatastore", "vSource", "vHealth"]);
/** The key columns' names: their absence from a tab other than vInfo changes how rows join, not a fact. */
const KEY_HEADERS = new Set(["VM", "VM ID", "VM UUID", "VI SDK Server", "VI SDK UUID", "Host", "Name"]);

/** The VM tabs whose rows join a vInfo VM (join coverage is reported for each). */
const VM_TABS = ["vCPU", "vMemory", "vDisk", "vPartition", "vNetwork", "vSnapshot", "vTools"] as const;
type VmTab = (typeof VM_TABS)[number];

export interface JoinCoverage {
  rows: number;
  joined: number;
}

export interface RvtoolsReport {
  /** Tabs read, in the order they came. */
  tabsRead: string[];
  /** Tabs the normaliser reads that the export does not have. */
  tabsMissing: string[];
  /** Tabs the export has that the normaliser does not read (vLicense, vPort, ...). */
  tabsIgnored: string[];
  /** Per tab read: the canonical names of the columns its header lacks. */
  columnsMissing: Record<string, string[]>;
  /** Per tab read: data rows (empty rows not counted). */
  rows: Record<string, number>;
  /** Per VM tab: rows that matched a vInfo VM; "vInfo→vHost": VMs whose Host is a vHost host. */
  joins: Record<string, JoinCoverage>;
  /** vInfo's custom-attribute columns (stored as each VM's attributes). */
  attributeColumns: string[];
  warnings: string[];
}

export interface RvtoolsResult {
  snapshot: SnapshotInput;
  report: RvtoolsReport;
}

export interface RvtoolsBuilderOptions {
  /** The snapshot's collectedAt (e.g. the export's creation time); now when not given. */
  collectedAt?: string;
  /**
   * A cancelled collection: checked every 1,000 rows of a tab (what it throws, addTab throws, the
   * tab's rows closed). The builder checks it where it reads the rows anyway, so a caller need not
   * wrap each tab's rows in a generator of its own (an async generator step per row).
   */
  signal?: AbortSignal;
}

// --- cells ------------------------------------------------------------------------------------

/** A cell whose value does not fit its column's type. */
class CellTypeError extends Error {}

const FACTOR: Record<SizeUnit, number> = { KiB: 1 / 1024, MiB: 1, GiB: 1024 };

function bounded(value: string, max = TEXT_MAX): string {
  const clean = value.includes("\0") ? value.replaceAll("\0", "") : value;
  return clean.length > max ? clean.slice(0, max) : clean;
}

/** Text, trimmed; "" as null. */
export function cellText(cell: CellValue): string | null {
  if (cell === null) return null;
  if (cell instanceof Date) return Number.isNaN(cell.getTime()) ? null : cell.toISOString();
  const value = String(cell).trim();
  return value === "" ? null : bounded(value);
}

/**
 * A number: xlsx numbers as they are; text with a "." decimal point, or a "," when there is no
 * "." (a CSV written under a comma-decimal locale). Groups of thousands only where the tab's
 * locale says how they are written (`numbers`, from a CSV's separator: RVTools 3.x writes
 * "16,384" in a comma-separated CSV): "comma-groups" reads "16,384" and "1,234.5"; "comma-decimal"
 * reads "16.384" and "16.384,5" as groups and "1,5" as 1.5. Without it (xlsx text, a
 * tab-separated CSV) "1,5" is 1.5 and "16,384" (three digits after one comma) is ambiguous and
 * refused; a value that fits no rule is refused, never guessed.
 */
export function cellNumber(cell: CellValue, numbers?: NumberFormat): number | null {
  if (cell === null) return null;
  if (typeof cell === "number") {
    if (!Number.isFinite(cell)) throw new CellTypeError(`${cell} is not a finite number`);
    return cell;
  }
  if (typeof cell !== "string") throw new CellTypeError(`${describe(cell)} is not a number`);
  const value = cell.trim();
  if (value === "") return null;
  if (numbers === "comma-decimal") {
    // "." groups thousands, "," is the decimal point.
    if (/^[-+]?\d{1,3}(\.\d{3})+(,\d+)?$/.test(value)) return Number(value.replaceAll(".", "").replace(",", "."));
    if (/^[-+]?\d+(,\d+)?$/.test(value)) return Number(value.replace(",", "."));
    if (/^[-+]?\d+\.\d+$/.test(value)) throw new CellTypeError(`"${short(value)}" has a "." in a comma-decimal file: not a number here`);
  } else if (numbers === "comma-groups") {
    if (isPlainDecimal(value)) return Number(value);
    if (/^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(value)) return Number(value.replaceAll(",", ""));
    if (value.includes(",")) throw new CellTypeError(`"${short(value)}" is not a number (a "," that does not group thousands)`);
  }
  if (isPlainDecimal(value)) return Number(value);
  // "16,384" where the locale is unknown: sixteen thousand or sixteen point three? Refused, not guessed.
  if (numbers === undefined && /^[-+]?\d{1,3}(,\d{3})+$/.test(value)) {
    throw new CellTypeError(`"${short(value)}" is ambiguous: thousands grouped by "," or a decimal comma`);
  }
  const normal = /^[-+]?\d+,\d+$/.test(value) ? value.replace(",", ".") : value;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(normal)) throw new CellTypeError(`"${short(value)}" is not a number`);
  return Number(normal);
}

/** Digits with at most one "." after the first (what RVTools writes): the number regular expression's commonest case, checked without it. */
function isPlainDecimal(value: string): boolean {
  let dot = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) continue;
    if (c !== 46 || dot || i === 0) return false;
    dot = true;
  }
  return true;
}

export function cellInt(cell: CellValue, numbers?: NumberFormat): number | null {
  const value = cellNumber(cell, numbers);
  if (value !== null && !Number.isInteger(value)) throw new CellTypeError(`${value} is not a whole number`);
  return value;
}

/** True/False in any case (RVTools writes "True"/"False", Excel TRUE/FALSE), 1/0, xlsx booleans. */
export function cellBool(cell: CellValue): boolean | null {
  if (cell === null) return null;
  // What RVTools writes, without trimming and lower-casing a copy.
  if (cell === "True") return true;
  if (cell === "False") return false;
  if (typeof cell === "boolean") return cell;
  if (typeof cell === "number") {
    if (cell === 1 || cell === 0) return cell === 1;
    throw new CellTypeError(`${cell} is not a boolean`);
  }
  if (typeof cell !== "string") throw new CellTypeError(`${describe(cell)} is not a boolean`);
  const value = cell.trim().toLowerCase();
  if (value === "") return null;
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new CellTypeError(`"${short(cell.trim())}" is not a boolean (True/False)`);
}

/** Days from Excel's day 0 (1899-12-30, the 1900 leap-year bug folded in) to 1970-01-01. */
const EXCEL_EPOCH_DAYS = 25569;
const DAY_MS = 86_400_000;

function fromExcelSerial(serial: number): string {
  // Serial 1 is 1900-01-01; before 1900-03-01 Excel counts a 29 February 1900 that did not exist.
  if (!(serial >= 1 && serial < 2_958_466)) throw new CellTypeError(`${serial} is not an Excel date`);
  const days = serial < 60 ? serial + 1 : serial;
  const ms = Math.round((days - EXCEL_EPOCH_DAYS) * DAY_MS);
  return new Date(ms).toISOString();
}

function isoOf(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): string | null {
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const date = new Date(ms);
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  if (h > 23 || mi > 59 || s > 59) return null;
  return date.toISOString();
}

/**
 * A date as an ISO-8601 string (UTC: RVTools writes the collecting machine's local time without a
 * zone, which is read as UTC). Accepts xlsx dates, Excel serial numbers (45714.537, or 45714,537 in
 * a comma-decimal CSV), ISO text ("2025-02-24 12:53:20", with T or a zone; "2025/02/24" too), "M/D/YYYY h:mm[:ss] [AM|PM]" (en-US; D/M when the
 * first number is above 12) and "D.M.YYYY H:mm[:ss]" (de-DE and others).
 */
export function cellDate(cell: CellValue): string | null {
  if (cell === null) return null;
  if (cell instanceof Date) {
    if (Number.isNaN(cell.getTime())) throw new CellTypeError("an invalid date");
    return cell.toISOString();
  }
  if (typeof cell === "number") return fromExcelSerial(cell);
  if (typeof cell !== "string") throw new CellTypeError(`${describe(cell)} is not a date`);
  const value = cell.trim();
  if (value === "") return null;
  if (/^\d+([.,]\d+)?$/.test(value)) return fromExcelSerial(Number(value.replace(",", ".")));
  let m = /^(\d{4})[-/](\d{2})[-/](\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(value);
  if (m) {
    if (m[7]) {
      const t = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4] ?? "00"}:${m[5] ?? "00"}:${m[6] ?? "00"}${m[7]}`);
      if (Number.isFinite(t)) return new Date(t).toISOString();
    } else {
      const iso = isoOf(+m[1]!, +m[2]!, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
      if (iso) return iso;
    }
    throw new CellTypeError(`"${short(value)}" is not a date`);
  }
  m = /^(\d{1,2})([/.])(\d{1,2})\2(\d{4})(?:,? (\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([AaPp][Mm]))?)?$/.exec(value);
  if (m) {
    const [a, b] = [+m[1]!, +m[3]!];
    // "." is day first (de-DE, nl, ...); "/" month first (en-US) unless the first cannot be a month.
    const [day, month] = m[2] === "." || a > 12 ? [a, b] : [b, a];
    let hour = +(m[5] ?? 0);
    const ampm = m[8]?.toLowerCase();
    if (ampm) {
      if (hour < 1 || hour > 12) throw new CellTypeError(`"${short(value)}" is not a date`);
      hour = (hour % 12) + (ampm === "pm" ? 12 : 0);
    }
    const iso = isoOf(+m[4]!, month, day, hour, +(m[6] ?? 0), +(m[7] ?? 0));
    if (iso) return iso;
  }
  throw new CellTypeError(`"${short(value)}" is not a date`);
}

function describe(cell: CellValue): string {
  return cell instanceof Date ? "a date" : typeof cell === "boolean" ? `the boolean ${cell}` : `"${short(String(cell))}"`;
}

function short(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}

function convert(spec: ColumnSpec, cell: CellValue, numbers?: NumberFormat): string | number | boolean | null {
  switch (spec.type) {
    case "text":
      return cellText(cell);
    case "int":
      return cellInt(cell, numbers);
    case "number": {
      const value = cellNumber(cell, numbers);
      if (value !== null && spec.unit && value < 0) throw new CellTypeError(`${value} is not a size`);
      return value === null || !spec.unit ? value : value * FACTOR[spec.unit];
    }
    case "bool":
      return cellBool(cell);
    case "date":
      return cellDate(cell);
  }
}

// --- rows -------------------------------------------------------------------------------------

const isEmptyCell = (c: CellValue) => c === null || (typeof c === "string" && c.trim() === "");

interface TypeProblem {
  count: number;
  first: string;
}

/** One tab's reading context: its columns, and the problems of its cells (bounded: counted per column). */
class TabReader<T extends TabName> {
  readonly columns: ColumnMap<T>;
  private readonly specs: Record<string, ColumnSpec>;

  constructor(
    readonly tab: T,
    readonly source: RvTab,
    private readonly problems: Map<string, TypeProblem>,
  ) {
    this.columns = mapColumns(tab, source.header);
    this.specs = TABS[tab].columns as Record<string, ColumnSpec>;
  }

  has(column: ColumnKey<T>): boolean {
    return this.columns.index[column] !== undefined;
  }

  /** The column's value in this row as its type; null when absent, empty, or (not strict) of the wrong type. */
  get(cells: CellValue[], row: number, column: ColumnKey<T>): string | number | boolean | null {
    const i = this.columns.index[column];
    if (i === undefined) return null;
    const spec = this.specs[column]!;
    try {
      return convert(spec, cells[i] ?? null, this.source.numbers);
    } catch (error) {
      if (!(error instanceof CellTypeError)) throw error;
      const name = this.columns.written[column]!;
      const where = `${this.source.origin}: ${this.source.name} row ${row} column "${name}"`;
      if (spec.strict) {
        throw new RvtoolsInputError(`${where}: ${error.message}`, {
          origin: this.source.origin,
          tab: this.source.name,
          row,
          column: name,
        });
      }
      const key = `${this.source.origin}\u0000${this.source.name}\u0000${name}`;
      const problem = this.problems.get(key);
      if (problem) problem.count++;
      else this.problems.set(key, { count: 1, first: `${where}: ${error.message}` });
      return null;
    }
  }

  text(cells: CellValue[], row: number, column: ColumnKey<T>): string | null {
    const i = this.columns.index[column];
    if (i === undefined) return null;
    const cell = cells[i];
    // A text column's text cell (every CSV key and name): cellText's own steps, without get's detour.
    if (typeof cell === "string" && this.specs[column]!.type === "text") {
      const value = cell.trim();
      return value === "" ? null : bounded(value);
    }
    return this.get(cells, row, column) as string | null;
  }

  num(cells: CellValue[], row: number, column: ColumnKey<T>): number | null {
    return this.get(cells, row, column) as number | null;
  }

  bool(cells: CellValue[], row: number, column: ColumnKey<T>): boolean | null {
    return this.get(cells, row, column) as boolean | null;
  }
}

// --- records ----------------------------------------------------------------------------------

/** What the other VM tabs say of one VM, kept until finish joins it with its vInfo row. */
interface VmParts {
  /** Rows read per tab (0: none). */
  rows: Record<VmTab, number>;
  // The lists are made by their first item (most VMs' records never need some of them).
  disks: DiskInput[] | null;
  filesystems: FilesystemInput[] | null;
  macs: string[] | null;
  ips: string[] | null;
  nics: number;
  snapshots: number;
  snapshotOldest: string | null;
  toolsStatus: string | null;
  toolsVersion: string | null;
  coresPerSocket: number | null;
  cpuHotAdd: boolean | null;
  cpuHotRemove: boolean | null;
  memoryHotAdd: boolean | null;
  ballooned: number | null;
  active: number | null;
}

interface VmInfo {
  scope: string;
  /** The vInfo Host value, resolved to a host in finish. */
  hostName: string | null;
  vmId: string | null;
  vmUuid: string | null;
  /** The VM column as read (vm.name is it bounded), VI SDK UUID and VI SDK Server (lower case): for altKeysOf. */
  rawName: string;
  sdkUuid: string | undefined;
  sdkServer: string | undefined;
  vm: VirtualMachineInput;
}

interface ClusterInfo {
  drsEnabled: boolean | null;
  dpmEnabled: boolean | null;
}

interface HostRecord {
  scope: string;
  host: HostInput;
}

const newParts = (): VmParts => ({
  // Every tab present from the start: one object shape for all VMs.
  rows: { vCPU: 0, vMemory: 0, vDisk: 0, vPartition: 0, vNetwork: 0, vSnapshot: 0, vTools: 0 },
  disks: null,
  filesystems: null,
  macs: null,
  ips: null,
  nics: 0,
  snapshots: 0,
  snapshotOldest: null,
  toolsStatus: null,
  toolsVersion: null,
  coresPerSocket: null,
  cpuHotAdd: null,
  cpuHotRemove: null,
  memoryHotAdd: null,
  ballooned: null,
  active: null,
});

/**
 * A host or cluster by vCenter and name; else (a tab trimmed of its vCenter columns, or the other tab
 * so trimmed) by name alone, when one vCenter only has that name.
 */
function byName<T>(map: Map<string, T>, scope: string, name: string): T | undefined {
  const lower = name.toLowerCase();
  const exact = map.get(`${scope}\u0000${lower}`);
  if (exact !== undefined) return exact;
  let names = nameIndexes.get(map) as Map<string, T | null> | undefined;
  if (!names) {
    names = new Map();
    for (const [key, value] of map) {
      const n = key.slice(key.indexOf("\u0000") + 1);
      names.set(n, names.has(n) ? null : value);
    }
    nameIndexes.set(map, names);
  }
  return names.get(lower) ?? undefined;
}

/** Per map of hosts or clusters (complete when first asked): its values by name, null when two vCenters share it. */
const nameIndexes = new WeakMap<Map<string, unknown>, Map<string, unknown>>();

/** Two records of one VM's rows (read under two keys): lists joined, counts added, the first fact kept. */
function mergeParts(a: VmParts, b: VmParts): VmParts {
  for (const tab of VM_TABS) a.rows[tab] += b.rows[tab];
  for (const disk of b.disks ?? []) {
    if (a.disks?.some((d) => d.key === disk.key)) disk.key = `${disk.key} (2)`.slice(0, 512);
    (a.disks ??= []).push(disk);
  }
  if (b.filesystems) (a.filesystems ??= []).push(...b.filesystems);
  if (b.macs) (a.macs ??= []).push(...b.macs);
  if (b.ips) (a.ips ??= []).push(...b.ips);
  a.nics += b.nics;
  a.snapshots += b.snapshots;
  if (b.snapshotOldest !== null && (a.snapshotOldest === null || b.snapshotOldest < a.snapshotOldest)) a.snapshotOldest = b.snapshotOldest;
  a.toolsStatus ??= b.toolsStatus;
  a.toolsVersion ??= b.toolsVersion;
  a.coresPerSocket ??= b.coresPerSocket;
  a.cpuHotAdd ??= b.cpuHotAdd;
  a.cpuHotRemove ??= b.cpuHotRemove;
  a.memoryHotAdd ??= b.memoryHotAdd;
  a.ballooned ??= b.ballooned;
  a.active ??= b.active;
  return a;
}

/** At most this many distinct values are shared (a column whose values do not repeat stops adding). */
const SHARED_MAX = 65_536;

/** The disk modes the snapshot knows; RVTools writes vSphere's names ("independent_persistent"). */
const KNOWN_DISK_MODES = new Set<string>(DISK_MODES);

/** "SCSI controller 0", "SATA controller 1", "NVME controller 0", "IDE 0" → the snapshot's bus. */
export function busOf(controller: string | null): string | null {
  if (!controller) return null;
  const match = /\b(scsi|sata|ide|nvme|usb)\b/i.exec(controller) ?? /^(scsi|sata|ide|nvme|usb)/i.exec(controller);
  return match ? match[1]!.toLowerCase() : null;
}

/** "[datastore1] vm/vm.vmdk" → "datastore1". */
function datastoreOfPath(path: string | null): string | null {
  const match = path ? /^\[([^\]]+)\]/.exec(path) : null;
  return match?.[1] ?? null;
}

/** RVTools writes "19" or "vmx-19"; the vSphere collector gives config.version "vmx-19". */
export function hardwareVersion(value: string | null): string | null {
  if (!value) return null;
  return /^\d+$/.test(value) ? `vmx-${value}` : value;
}

const LIST_SEPARATOR = /[,;\s]/;

/** The list without repeats, in first-seen order (a new array; most lists have one item). */
function distinct<T>(list: T[]): T[] {
  return list.length > 1 ? [...new Set(list)] : [...list];
}

/** IP lists in one cell: RVTools joins several addresses with ", " or "; " (or a line break). */
function splitList(value: string | null): string[] {
  if (!value) return [];
  return LIST_SEPARATOR.test(value) ? value.split(/[,;\s]+/).filter((v) => v !== "") : [value];
}

const POWER = new Map<string, VirtualMachineInput["powerState"]>([
  ["poweredon", "poweredOn"],
  ["poweredoff", "poweredOff"],
  ["suspended", "suspended"],
]);

/** The columns that scope a row to its vCenter (every tab of VMs, hosts or clusters has them). */
interface ScopeReader {
  text(cells: CellValue[], row: number, column: "viSdkUuid" | "viSdkServer"): string | null;
}

/** The columns that name a row's VM. */
interface VmKeyReader extends ScopeReader {
  text(cells: CellValue[], row: number, column: "viSdkUuid" | "viSdkServer" | "vm" | "vmId" | "vmUuid"): string | null;
}

// --- the builder ------------------------------------------------------------------------------

export interface RvtoolsBuilder {
  addTab(tab: RvTab): Promise<void>;
  finish(): RvtoolsResult;
}

export function createRvtoolsBuilder(options: RvtoolsBuilderOptions = {}): RvtoolsBuilder {
  const report: RvtoolsReport = {
    tabsRead: [],
    tabsMissing: [],
    tabsIgnored: [],
    columnsMissing: {},
    rows: {},
    joins: {},
    attributeColumns: [],
    warnings: [],
  };
  const problems = new Map<string, TypeProblem>();
  const infos = new Map<string, VmInfo>();
  const parts = new Map<string, VmParts>();
  const hosts = new Map<string, HostRecord>();
  const clusters = new Map<string, ClusterInfo>();
  const warnings: string[] = [];
  let duplicateVms = 0;
  let vmsWithoutKey = 0;
  let duplicateHosts = 0;
  let health = 0;
  let finished = false;
  /** Tabs begun (a tab's rows are counted when it ends). */
  const seen = new Set<TabName>();
  /** The custom-attribute columns of the vInfo tab being read. */
  let attributeCols: [number, string][] = [];
  let vmsByName = 0;

  /**
   * One copy of each value of the columns whose values repeat from row to row (datacenter, cluster,
   * folder, OS, disk label, tools version, ...): a 50,000-VM export keeps thousands of strings, not a
   * copy per row, and the reader's copies die young instead of being carried through the young
   * generation (the import's garbage collection time was most of its cost over the reader's).
   */
  const shared = new Map<string, string>();
  function share<T extends string | null | undefined>(value: T): T {
    if (value === null || value === undefined) return value;
    const known = shared.get(value);
    if (known !== undefined) return known as T;
    if (shared.size < SHARED_MAX) shared.set(value, value);
    return value;
  }

  /** busOf of each controller name met (a few per export), shared. */
  const buses = new Map<string, string | null>();
  function busOfController(controller: string | null): string | null {
    if (controller === null) return null;
    let bus = buses.get(controller);
    if (bus === undefined) {
      bus = share(busOf(controller));
      if (buses.size < SHARED_MAX) buses.set(controller, bus);
    }
    return bus;
  }

  const partsOf = (key: string) => {
    let p = parts.get(key);
    if (!p) parts.set(key, (p = newParts()));
    return p;
  };

  /**
   * Each vCenter scope's stand-in in the join keys ("0", "1", ...): a key is then a few characters
   * plus the VM's id, not a 36-character UUID plus it, which the per-row map look-ups hash and compare.
   */
  const scopeTags = new Map<string, string>();
  const tagOf = (scope: string) => {
    let tag = scopeTags.get(scope);
    if (tag === undefined) scopeTags.set(scope, (tag = String(scopeTags.size)));
    return tag;
  };

  /** The vCenter a row belongs to: VI SDK UUID, else VI SDK Server, else "" (one unnamed vCenter). */
  function scopeOf(r: ScopeReader, cells: CellValue[], row: number): string {
    return (r.text(cells, row, "viSdkUuid") ?? r.text(cells, row, "viSdkServer") ?? "").toLowerCase();
  }

  /**
   * A VM's join key: vCenter + VM ID, else VM UUID, else (a trimmed export without either) the VM
   * name, which is unique within a vCenter only when nobody reused one; null without any.
   */
  function keyOf(scope: string, id: string | null, uuid: string | null, name: string | null): string | null {
    if (id) return `${tagOf(scope)}\u0000id\u0000${id}`;
    if (uuid) return `${tagOf(scope)}\u0000uuid\u0000${uuid.toLowerCase()}`;
    if (name) return `${tagOf(scope)}\u0000name\u0000${name}`;
    return null;
  }

  /** A VM row's join key (keyOf), its scope read only when the row has a key. */
  function vmKeyOf(reader: VmKeyReader, cells: CellValue[], row: number): string | null {
    const id = reader.text(cells, row, "vmId");
    const uuid = id ? null : reader.text(cells, row, "vmUuid");
    const name = id || uuid ? null : reader.text(cells, row, "vm");
    return id || uuid || name ? keyOf(scopeOf(reader, cells, row), id, uuid, name) : null;
  }

  /**
   * The other keys a row of another tab may name this VM by, when that tab's header is trimmed
   * differently (no VI SDK UUID, no VM ID): every vCenter scope (UUID, server, none) × every VM key.
   */
  function altKeysOf(info: VmInfo): string[] {
    const altKeys: string[] = [];
    for (const scope of new Set(["", info.sdkUuid, info.sdkServer])) {
      if (scope === undefined) continue;
      const tag = tagOf(scope);
      if (info.vmId) altKeys.push(`${tag}\u0000id\u0000${info.vmId}`);
      if (info.vmUuid) altKeys.push(`${tag}\u0000uuid\u0000${info.vmUuid.toLowerCase()}`);
      altKeys.push(`${tag}\u0000name\u0000${info.rawName}`);
    }
    return altKeys;
  }

  function readInfo(r: TabReader<"vInfo">, cells: CellValue[], row: number) {
    const name = r.text(cells, row, "vm");
    if (!name) {
      throw new RvtoolsInputError(`${r.source.origin}: vInfo row ${row} has no VM name`, {
        origin: r.source.origin,
        tab: r.source.name,
        row,
        column: r.columns.written.vm ?? "VM",
      });
    }
    const vmId = r.text(cells, row, "vmId");
    const vmUuid = r.text(cells, row, "vmUuid");
    const sdkUuid = share(r.text(cells, row, "viSdkUuid")?.toLowerCase());
    const sdkServer = share(r.text(cells, row, "viSdkServer")?.toLowerCase());
    const scope = sdkUuid ?? sdkServer ?? "";
    const key = keyOf(scope, vmId, vmUuid, name);
    if (key === null) {
      vmsWithoutKey++;
      return;
    }
    if (key.includes("\u0000name\u0000")) vmsByName++;
    if (infos.has(key)) {
      duplicateVms++;
      return;
    }
    const power = r.text(cells, row, "powerState");
    const powerState = POWER.get((power ?? "").toLowerCase());
    if (power !== null && powerState === undefined) {
      throw new RvtoolsInputError(
        `${r.source.origin}: vInfo row ${row} column "${r.columns.written.powerState}": "${short(power)}" is not a power state (poweredOn, poweredOff, suspended)`,
        { origin: r.source.origin, tab: r.source.name, row, column: r.columns.written.powerState },
      );
    }
    const attributes: Record<string, string> = {};
    let n = 0;
    for (const [i, attribute] of attributeCols) {
      if (n >= 256) break;
      const value = cellText(cells[i] ?? null);
      if (value === null) continue;
      const attributeName = bounded(attribute, 512);
      if (Object.hasOwn(attributes, attributeName)) continue;
      attributes[attributeName] = share(value);
      n++;
    }
    const smbios = r.text(cells, row, "smbiosUuid");
    const osConfigured = share(r.text(cells, row, "osConfigured"));
    const osTools = share(r.text(cells, row, "osTools"));
    const ftState = r.text(cells, row, "ftState");
    const ip = r.text(cells, row, "primaryIp");
    const vm: VirtualMachineInput = {
      externalId: "",
      name: bounded(name, 512),
      // Migration-planner reads the BIOS UUID as SMBIOS UUID, else VM UUID; VM UUID is then the instance UUID.
      uuid: smbios ?? vmUuid,
      instanceUuid: smbios !== null ? vmUuid : null,
      powerState: powerState ?? "poweredOff",
      template: r.bool(cells, row, "template") ?? false,
      vcpus: r.num(cells, row, "cpus") ?? 0,
      memoryMiB: r.num(cells, row, "memory") ?? 0,
      memoryActiveMiB: r.num(cells, row, "activeMemory"),
      provisionedMiB: r.num(cells, row, "provisioned"),
      usedMiB: r.num(cells, row, "inUse"),
      guestOsConfigured: osConfigured,
      guestOsReported: osTools,
      // RVTools has no guest id column (only the two names); the family comes from the names.
      guestOsId: null,
      guestOsFamily: osFamilyOf({ guestOsReported: osTools, guestOsId: null, guestOsConfigured: osConfigured }),
      hostname: r.text(cells, row, "dnsName"),
      ipAddresses: splitList(ip),
      nicCount: r.num(cells, row, "nics"),
      hardwareVersion: share(hardwareVersion(r.text(cells, row, "hwVersion"))),
      datacenter: share(r.text(cells, row, "datacenter")),
      cluster: share(r.text(cells, row, "cluster")),
      folder: share(r.text(cells, row, "folder")),
      resourcePool: share(r.text(cells, row, "resourcePool")),
      annotation: r.text(cells, row, "annotation"),
      cbtEnabled: r.bool(cells, row, "cbt"),
      consolidationNeeded: r.bool(cells, row, "consolidationNeeded") ?? false,
      diskEnableUuid: r.bool(cells, row, "enableUuid") ?? false,
      faultTolerance: ftState !== null && ftState.toLowerCase() !== "notconfigured",
      attributes,
    };
    infos.set(key, { scope, hostName: share(r.text(cells, row, "host")), vmId, vmUuid, rawName: name, sdkUuid, sdkServer, vm });
  }

  function readVmTab(r: TabReader<VmTab>, cells: CellValue[], row: number) {
    const key = vmKeyOf(r as unknown as VmKeyReader, cells, row);
    if (key === null) return;
    const p = partsOf(key);
    p.rows[r.tab]++;
    switch (r.tab) {
      case "vCPU": {
        const c = r as TabReader<"vCPU">;
        p.coresPerSocket = c.num(cells, row, "coresPerSocket");
        p.cpuHotAdd = c.bool(cells, row, "hotAdd");
        p.cpuHotRemove = c.bool(cells, row, "hotRemove");
        break;
      }
      case "vMemory": {
        const m = r as TabReader<"vMemory">;
        p.ballooned = m.num(cells, row, "ballooned");
        p.active = m.num(cells, row, "active");
        p.memoryHotAdd = m.bool(cells, row, "hotAdd");
        break;
      }
      case "vDisk": {
        const d = r as TabReader<"vDisk">;
        const label = share(d.text(cells, row, "disk"));
        const path = d.text(cells, row, "path");
        const raw = d.bool(cells, row, "raw") ?? false;
        const rawMode = (d.text(cells, row, "rawMode") ?? "").toLowerCase();
        const mode = d.text(cells, row, "mode")?.toLowerCase() ?? null;
        const sharing = (d.text(cells, row, "sharing") ?? "").toLowerCase();
        let key = bounded(d.text(cells, row, "diskKey") ?? label ?? path ?? `row ${row}`, 512);
        if (p.disks?.some((x) => x.key === key)) key = bounded(`${key} (row ${row})`, 512);
        (p.disks ??= []).push({
          key: share(key),
          label,
          capacityMiB: d.num(cells, row, "capacity"),
          thin: raw ? null : d.bool(cells, row, "thin"),
          mode: mode === null ? "persistent" : KNOWN_DISK_MODES.has(mode) ? share(mode as DiskInput["mode"]) : "unknown",
          rdm: !raw ? "none" : rawMode.startsWith("virtual") ? "virtual" : "physical",
          sharing: sharing.includes("multiwriter") || sharing.includes("multi-writer") ? "multi-writer" : "none",
          datastore: share(datastoreOfPath(path)),
          path,
          format: raw ? "rdm" : null,
          // RVTools has no per-disk changed block tracking (vInfo's CBT is the VM's).
          cbtEnabled: null,
          bus: busOfController(d.text(cells, row, "controller")),
        });
        break;
      }
      case "vPartition": {
        const f = r as TabReader<"vPartition">;
        const path = share(f.text(cells, row, "disk"));
        if (!path) break;
        (p.filesystems ??= []).push({
          path,
          capacityMiB: f.num(cells, row, "capacity"),
          freeMiB: f.num(cells, row, "free"),
          diskKey: f.text(cells, row, "diskKey") === null ? null : bounded(f.text(cells, row, "diskKey")!, 512),
        });
        break;
      }
      case "vNetwork": {
        const n = r as TabReader<"vNetwork">;
        p.nics++;
        const mac = n.text(cells, row, "mac");
        if (mac) (p.macs ??= []).push(mac.toLowerCase());
        const ips = [...splitList(n.text(cells, row, "ipv4")), ...splitList(n.text(cells, row, "ipv6"))];
        if (ips.length > 0) (p.ips ??= []).push(...ips);
        break;
      }
      case "vSnapshot": {
        const s = r as TabReader<"vSnapshot">;
        p.snapshots++;
        const at = s.text(cells, row, "createdAt");
        if (at !== null && (p.snapshotOldest === null || at < p.snapshotOldest)) p.snapshotOldest = at;
        break;
      }
      case "vTools": {
        const t = r as TabReader<"vTools">;
        p.toolsStatus = share(t.text(cells, row, "tools"));
        p.toolsVersion = share(t.text(cells, row, "toolsVersion"));
        break;
      }
    }
  }

  function readHost(r: TabReader<"vHost">, cells: CellValue[], row: number) {
    const name = r.text(cells, row, "host");
    if (!name) return;
    const scope = scopeOf(r, cells, row);
    const key = `${scope}\u0000${name.toLowerCase()}`;
    if (hosts.has(key)) {
      duplicateHosts++;
      return;
    }
    const cores = r.num(cells, row, "cores");
    const ht = r.bool(cells, row, "htActive");
    const esx = r.text(cells, row, "esxVersion");
    hosts.set(key, {
      scope,
      host: {
        externalId: "",
        name: bounded(name, 512),
        role: "hypervisor",
        platform: "esxi",
        vendor: r.text(cells, row, "vendor"),
        model: r.text(cells, row, "model"),
        cpuModel: r.text(cells, row, "cpuModel"),
        cpuSockets: r.num(cells, row, "sockets"),
        cpuCores: cores ?? 0,
        cpuThreads: cores !== null && ht !== null ? (ht ? cores * 2 : cores) : null,
        cpuMhz: r.num(cells, row, "mhz"),
        memoryMiB: r.num(cells, row, "memory") ?? 0,
        // "VMware ESXi 8.0.2 build-22380479", as the vSphere collector's product fullName.
        osName: esx,
        productName: esx ? "VMware ESXi" : null,
        productVersion: esx ? (/\b(\d+\.\d+(?:\.\d+)?)\b/.exec(esx)?.[1] ?? null) : null,
        productBuild: esx ? (/build-(\d+)/i.exec(esx)?.[1] ?? null) : null,
        datacenter: r.text(cells, row, "datacenter"),
        cluster: r.text(cells, row, "cluster"),
        hardwareUuid: r.text(cells, row, "uuid"),
        hostname: name,
        memorySharing: "unknown",
      },
    });
  }

  function readCluster(r: TabReader<"vCluster">, cells: CellValue[], row: number) {
    const name = r.text(cells, row, "name");
    if (!name) return;
    clusters.set(`${scopeOf(r, cells, row)}\u0000${name.toLowerCase()}`, {
      drsEnabled: r.bool(cells, row, "drsEnabled"),
      dpmEnabled: r.bool(cells, row, "dpmEnabled"),
    });
  }

  /**
   * Rows keyed otherwise than their VM's vInfo row (a tab without VI SDK UUID or VM ID) join it by
   * one of its other keys, when that key names one VM only.
   */
  function rejoinParts() {
    const orphans = [...parts.keys()].filter((k) => !infos.has(k));
    if (orphans.length === 0) return;
    const alternatives = new Map<string, string | null>();
    for (const [key, info] of infos) {
      for (const alt of altKeysOf(info)) {
        const known = alternatives.get(alt);
        alternatives.set(alt, known === undefined || known === key ? key : null);
      }
    }
    for (const orphan of orphans) {
      const target = alternatives.get(orphan);
      if (!target) continue;
      const from = parts.get(orphan)!;
      parts.delete(orphan);
      const into = parts.get(target);
      parts.set(target, into ? mergeParts(into, from) : from);
    }
  }

  async function addTab(source: RvTab): Promise<void> {
    if (finished) throw new Error("the RVTools builder is finished");
    const tab = tabOf(source.name);
    if (tab === null) {
      report.tabsIgnored.push(source.name);
      // The rows are not needed; a streaming reader still has to be drained or closed.
      const iterator = source.rows[Symbol.asyncIterator]();
      await iterator.return?.();
      return;
    }
    if (report.rows[tab] !== undefined || seen.has(tab)) {
      // A second tab of a name (an xlsx and its CSVs in one zip) would count every disk, NIC and
      // snapshot twice: the first is read, the second skipped and said.
      warnings.push(`${source.origin}: a second ${tab} tab ("${source.name}"), skipped: the export has this tab already`);
      await source.rows[Symbol.asyncIterator]().return?.();
      return;
    }
    seen.add(tab);
    const r = new TabReader(tab, source, problems);
    report.tabsRead.push(source.name);
    report.columnsMissing[tab] = r.columns.missing.map((c) => (TABS[tab].columns as Record<string, ColumnSpec>)[c]!.names[0]!);
    if (tab === "vInfo") {
      attributeCols = attributeColumns(source.header);
      for (const [, name] of attributeCols) if (!report.attributeColumns.includes(name)) report.attributeColumns.push(name);
      if (!(r as TabReader<"vInfo">).has("vm")) {
        throw new RvtoolsInputError(`${source.origin}: the vInfo tab has no "VM" column: not an RVTools export`, {
          origin: source.origin,
          tab: source.name,
          column: "VM",
        });
      }
    }
    const isVmTab = (VM_TABS as readonly string[]).includes(tab);
    const keys = r as TabReader<"vInfo">;
    if (isVmTab && !keys.has("vmId") && !keys.has("vmUuid")) {
      warnings.push(`${source.origin}: ${source.name} has neither "VM ID" nor "VM UUID": its rows join their VMs by name`);
    }
    let rows = 0;
    let read = 0;
    const signal = options.signal;
    for await (const { row, cells } of source.rows) {
      if (signal && ++read % 1000 === 0) signal.throwIfAborted();
      if (cells.every(isEmptyCell)) continue;
      rows++;
      switch (tab) {
        case "vInfo":
          readInfo(r as TabReader<"vInfo">, cells, row);
          break;
        case "vHost":
          readHost(r as TabReader<"vHost">, cells, row);
          break;
        case "vCluster":
          readCluster(r as TabReader<"vCluster">, cells, row);
          break;
        case "vHealth":
          health++;
          break;
        case "vDatastore":
        case "vSource":
          // Read for the report only: the snapshot has no datastores or vCenter object.
          break;
        default:
          readVmTab(r as TabReader<VmTab>, cells, row);
      }
    }
    report.rows[tab] = (report.rows[tab] ?? 0) + rows;
  }

  function finish(): RvtoolsResult {
    if (finished) throw new Error("the RVTools builder is finished");
    finished = true;
    if (report.rows.vInfo === undefined) {
      throw new RvtoolsInputError("not an RVTools export: no vInfo tab", {});
    }
    for (const tab of Object.keys(TABS) as TabName[]) if (report.rows[tab] === undefined) report.tabsMissing.push(tab);

    // Hosts: from vHost, else (no vHost tab) from vInfo's Host column with their facts unknown.
    const hasHostTab = report.rows.vHost !== undefined;
    const hostList: HostInput[] = [];
    const hostIds = new Map<string, string>();
    const hostId = (scope: string, name: string) => (scope ? `${scope}/host/${name}` : `host/${name}`);
    for (const [key, h] of hosts) {
      const c = h.host.cluster ? byName(clusters, h.scope, h.host.cluster) : undefined;
      h.host.externalId = bounded(hostId(h.scope, h.host.name), 512);
      h.host.drsEnabled = c?.drsEnabled ?? null;
      h.host.dpmEnabled = c?.dpmEnabled ?? null;
      hostIds.set(key, h.host.externalId);
      hostList.push(h.host);
    }

    rejoinParts();
    const vms: VirtualMachineInput[] = [];
    const used = new Set<string>();
    let hostJoined = 0;
    let hostNamed = 0;
    let uuidCollisions = 0;
    for (const [key, info] of infos) {
      const vm = info.vm;
      // Stable across uploads: the instance UUID (VM UUID) in its vCenter, else the VM ID.
      const local = info.vmUuid
        ? `vm/${info.vmUuid.toLowerCase()}`
        : info.vmId
          ? `vm-id/${info.vmId}`
          : `vm-name/${vm.name}`;
      let id = bounded(info.scope ? `${info.scope}/${local}` : local, 512);
      if (used.has(id) && info.vmId) {
        uuidCollisions++;
        id = bounded(info.scope ? `${info.scope}/vm-id/${info.vmId}` : `vm-id/${info.vmId}`, 512);
      }
      if (used.has(id)) {
        duplicateVms++;
        continue;
      }
      used.add(id);
      vm.externalId = id;

      if (info.hostName) {
        hostNamed++;
        const hostKey = `${info.scope}\u0000${info.hostName.toLowerCase()}`;
        // From vHost: by name when the tabs differ in their vCenter columns; made from vInfo: this vCenter's only.
        let hid = hasHostTab ? byName(hostIds, info.scope, info.hostName) : hostIds.get(hostKey);
        if (hid === undefined && !hasHostTab) {
          const c = vm.cluster ? byName(clusters, info.scope, vm.cluster) : undefined;
          const host: HostInput = {
            externalId: bounded(hostId(info.scope, info.hostName), 512),
            name: bounded(info.hostName, 512),
            role: "hypervisor",
            platform: "esxi",
            // Not in vInfo: unknown; the schema requires a number (0, as the vSphere collector when unread).
            cpuCores: 0,
            memoryMiB: 0,
            datacenter: vm.datacenter ?? null,
            cluster: vm.cluster ?? null,
            hostname: info.hostName,
            memorySharing: "unknown",
            drsEnabled: c?.drsEnabled ?? null,
            dpmEnabled: c?.dpmEnabled ?? null,
          };
          hid = host.externalId;
          hostIds.set(hostKey, hid);
          hostList.push(host);
        }
        if (hid !== undefined) hostJoined++;
        vm.hostExternalId = hid ?? null;
      }

      const p = parts.get(key);
      if (p) {
        parts.delete(key);
        if (p.rows.vCPU) {
          vm.coresPerSocket = p.coresPerSocket;
          vm.cpuHotAdd = p.cpuHotAdd ?? false;
          vm.cpuHotRemove = p.cpuHotRemove ?? false;
        }
        if (p.rows.vMemory) {
          vm.memoryHotAdd = p.memoryHotAdd ?? false;
          vm.memoryBalloonedMiB = p.ballooned;
          if (p.active !== null) vm.memoryActiveMiB = p.active;
        }
        if (p.rows.vDisk) vm.disks = (p.disks ?? []).slice(0, 4096);
        if (p.rows.vPartition) {
          const fs = (p.filesystems ?? []).slice(0, 1024);
          vm.guestFilesystems = fs;
          vm.guestDiskCapacityMiB = fs.some((f) => f.capacityMiB != null) ? fs.reduce((s, f) => s + (f.capacityMiB ?? 0), 0) : null;
          vm.guestDiskFreeMiB = fs.some((f) => f.freeMiB != null) ? fs.reduce((s, f) => s + (f.freeMiB ?? 0), 0) : null;
        }
        if (p.rows.vNetwork) {
          vm.nicCount = p.nics;
          vm.macAddresses = distinct(p.macs ?? []);
          vm.ipAddresses = distinct(p.ips ? [...(vm.ipAddresses ?? []), ...p.ips] : (vm.ipAddresses ?? []));
        }
        if (p.rows.vSnapshot) {
          vm.snapshotCount = p.snapshots;
          vm.snapshotOldestAt = p.snapshotOldest;
        }
        if (p.rows.vTools) {
          vm.toolsStatus = p.toolsStatus;
          vm.toolsVersion = p.toolsVersion;
        }
        for (const tab of VM_TABS) {
          const n = p.rows[tab];
          if (n) (report.joins[tab] ??= { rows: 0, joined: 0 }).joined += n;
        }
      }
      vms.push(vm);
    }

    for (const tab of VM_TABS) {
      if (report.rows[tab] === undefined) continue;
      const coverage = (report.joins[tab] ??= { rows: 0, joined: 0 });
      coverage.rows = report.rows[tab];
      if (coverage.joined < coverage.rows) {
        report.warnings.push(`${tab}: ${coverage.joined}/${coverage.rows} rows joined a vInfo VM (the others are left out)`);
      }
    }
    if (hasHostTab) {
      report.joins["vInfo→vHost"] = { rows: hostNamed, joined: hostJoined };
      if (hostJoined < hostNamed) {
        report.warnings.push(
          `vInfo→vHost: ${hostJoined}/${hostNamed} VMs' hosts are vHost hosts (an anonymised export?); the others have no host`,
        );
      }
    } else if (hostNamed > 0) {
      report.warnings.push("no vHost tab: hosts come from vInfo's Host column, their CPUs and memory unknown (0)");
    }

    if (vmsWithoutKey > 0) {
      report.warnings.push(`vInfo: ${vmsWithoutKey} rows have neither a VM ID nor a VM UUID and are left out`);
    }
    if (vmsByName > 0) {
      report.warnings.push(`vInfo: ${vmsByName} VMs have neither a VM ID nor a VM UUID; their rows join by VM name`);
    }
    if (duplicateVms > 0) report.warnings.push(`vInfo: ${duplicateVms} rows repeat a VM already read and are left out`);
    if (uuidCollisions > 0) {
      report.warnings.push(`vInfo: ${uuidCollisions} VMs share a VM UUID with another VM of their vCenter; their ids use the VM ID`);
    }
    if (duplicateHosts > 0) report.warnings.push(`vHost: ${duplicateHosts} rows repeat a host already read and are left out`);
    if (health > 0) report.warnings.push(`vHealth: ${health} RVTools health messages (not imported)`);
    for (const problem of problems.values()) {
      report.warnings.push(`${problem.first}; the field is left empty${problem.count > 1 ? ` (and ${problem.count - 1} more rows of this column)` : ""}`);
    }
    report.warnings.push(...warnings);
    // What a partial export lacks, said where the snapshot's readers see it (its warnings).
    const lacking = report.tabsMissing.filter((t) => !COUNTED_ONLY.has(t));
    if (lacking.length > 0) report.warnings.push(`tabs not in the export (their facts are empty): ${lacking.join(", ")}`);
    for (const [tab, columns] of Object.entries(report.columnsMissing)) {
      if (COUNTED_ONLY.has(tab)) continue;
      const facts = tab === "vInfo" ? columns : columns.filter((c) => !KEY_HEADERS.has(c));
      if (facts.length > 0) report.warnings.push(`${tab} lacks the columns (their facts are empty): ${facts.join(", ")}`);
    }

    const snapshot: SnapshotInput = {
      collectedAt: options.collectedAt ?? new Date().toISOString(),
      hosts: hostList,
      virtualMachines: vms,
      containers: [],
      images: [],
      warnings: report.warnings.map((w) => bounded(w)),
    };
    return { snapshot, report };
  }

  return { addTab, finish };
}

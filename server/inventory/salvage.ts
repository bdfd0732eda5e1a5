/**
 * Salvage: what a collection does with the snapshot a collector gave before ingest sees it
 * (security review M5). Ingest validates strictly and refuses a whole snapshot for one bad object;
 * on a shared engine one tenant's container with a NUL in a label or a 70 KB label value would then
 * freeze the inventory of every tenant of that host. So each object is checked alone against its
 * schema, and one bad object costs that object, never the run:
 *
 * - NUL characters (which Postgres cannot store) are removed from every string, label keys too;
 * - strings and lists that are too long are cut to their limit, labels to LABEL_LIMITS (the labels
 *   the analyses read, tenant and Compose project, are kept first, then the smallest);
 * - an object still invalid after that (a wrong type, a count beyond int4, a bad enum) is dropped;
 * - between objects: of two with the same externalId the first is kept, of two disks with the
 *   same key in one VM the first is kept; a VM on a host not in the snapshot loses its host (the
 *   reference may be null), a container or image on such a host is dropped (it may not), and a
 *   container's reference to an image not in the snapshot is cleared.
 *
 * Each repair or drop is one warning in the snapshot's `warnings`, naming the object (kind, name,
 * externalId), the field path and why. What salvage cannot help (not an object, another version, a
 * bad collectedAt, an array that is not an array) is left as it is, for validation to refuse.
 * The input is never modified: repaired objects are copies. The objects kept are schema outputs,
 * marked as such (markValidated), so parseSnapshot does not validate them a second time.
 */
import { utilisationSeries } from "../utilisation/series";
import type { z } from "zod";
import { COMPOSE_PROJECT_LABEL, DEFAULT_TENANT_LABEL } from "../collectors/docker/normalise";
import {
  containerSnapshot,
  crossIssues,
  formatIssue,
  formatPath,
  hostSnapshot,
  imageSnapshot,
  LABEL_LIMITS,
  markValidated,
  OBJECT_ARRAYS,
  recordedHostKey,
  SNAPSHOT_VERSION,
  TEXT_MAX,
  virtualMachineSnapshot,
  type ObjectArray,
  type SnapshotObjects,
} from "./snapshot";
import { guestFacts } from "../collectors/guest/facts";

export interface SalvageOptions {
  /**
   * Labels kept first when a container's labels are over the limits: by default the tenant label
   * and the Compose project; a source with its own tenant label should name it here.
   */
  keepLabels?: readonly string[];
}

/** The labels to keep first for a source: its tenant label (option `tenantLabel`), "tenant", Compose's project. */
export function keepLabelsFor(options: Record<string, unknown> | null | undefined): string[] {
  const tenantLabel = options?.tenantLabel;
  const keep = [DEFAULT_TENANT_LABEL, COMPOSE_PROJECT_LABEL];
  return typeof tenantLabel === "string" && tenantLabel !== "" ? [tenantLabel, ...keep] : keep;
}

/** Salvage warnings kept in one snapshot; one more says how many were left out. */
export const MAX_SALVAGE_WARNINGS = 1000;
/** Repairs listed in one object's warning; the rest are counted. */
const MAX_NOTES = 5;
/**
 * How deep a bad object is copied to be repaired: the schema's deepest field is at depth 3
 * (containers[i].mounts[j].source). Deeper values are not any field's, and zod drops them.
 */
const COPY_DEPTH = 6;
/** Names are shortened to this in warnings. */
const NAME_SHOWN = 120;

const KIND: Record<ObjectArray, string> = {
  hosts: "host",
  virtualMachines: "virtual machine",
  containers: "container",
  images: "image",
};

type Plain = Record<string, unknown>;

const isPlain = (value: unknown): value is Plain =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const stripNul = (value: string) => (value.includes("\0") ? value.replaceAll("\0", "") : value);

/** The first `max` UTF-16 code units, without splitting a surrogate pair. */
function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  const code = value.charCodeAt(max - 1);
  return value.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** Shortens and cleans any text for a warning (which is itself `text`: ≤ 4096, no NUL). */
const shown = (value: string) => JSON.stringify(truncate(stripNul(value), NAME_SHOWN));

class Warnings {
  readonly list: string[] = [];
  private leftOut = 0;

  /** Adds a warning; `message` is only called while there is room. */
  add(message: () => string) {
    if (this.list.length < MAX_SALVAGE_WARNINGS) this.list.push(truncate(stripNul(message()), TEXT_MAX));
    else this.leftOut++;
  }

  all(): string[] {
    if (this.leftOut === 0) return this.list;
    return [...this.list, `${this.leftOut} more objects repaired or dropped (first ${MAX_SALVAGE_WARNINGS} listed)`];
  }
}

/** "container "web-1" (externalId c1)", from whatever of its name and id are strings. */
function describe(array: ObjectArray, item: unknown, index: number): string {
  const o = isPlain(item) ? item : {};
  const tags = Array.isArray(o.repoTags) ? (o.repoTags as unknown[]) : [];
  const name = typeof o.name === "string" ? o.name : typeof tags[0] === "string" ? tags[0] : null;
  const id = typeof o.externalId === "string" ? o.externalId : null;
  const parts = [KIND[array], name !== null ? shown(name) : `#${index}`];
  if (id !== null) parts.push(`(externalId ${shown(id)})`);
  return parts.join(" ");
}

/**
 * A copy of a bad object with NUL removed from every string and key, down to COPY_DEPTH; `cleaned`
 * collects the paths it changed. Keys are set as own properties (a "__proto__" key stays data).
 */
function cleanCopy(value: unknown, path: (string | number)[], cleaned: Set<string>): unknown {
  if (typeof value === "string") {
    if (!value.includes("\0")) return value;
    cleaned.add(formatPath(path));
    return stripNul(value);
  }
  if (path.length >= COPY_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item, index) => cleanCopy(item, [...path, index], cleaned));
  if (!isPlain(value)) return value;
  const entries: [string, unknown][] = [];
  const keys = new Set<string>();
  for (const [rawKey, item] of Object.entries(value)) {
    const key = stripNul(rawKey);
    if (key !== rawKey) cleaned.add(`${formatPath([...path, key])} (key)`);
    if (keys.has(key)) continue; // "a\0b" next to "ab": the first stays
    keys.add(key);
    entries.push([key, cleanCopy(item, [...path, key], cleaned)]);
  }
  return Object.fromEntries(entries);
}

/**
 * Cuts a container's labels (in a copy) to LABEL_LIMITS: labels that are not strings or whose key
 * is too long are dropped, values too long are truncated, and when there are too many or too
 * large ones in all, `keep` first, then the smallest. Says what it did, or undefined.
 */
function boundLabels(container: Plain, keep: ReadonlySet<string>): string | undefined {
  const labels = container.labels;
  if (!isPlain(labels)) return undefined;
  let notString = 0;
  let longKey = 0;
  let truncated = 0;
  let entries: [string, string][] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (typeof value !== "string") notString++;
    else if (key.length > LABEL_LIMITS.keyLength) longKey++;
    else if (value.length > LABEL_LIMITS.valueLength) {
      truncated++;
      entries.push([key, truncate(value, LABEL_LIMITS.valueLength)]);
    } else entries.push([key, value]);
  }
  const size = ([key, value]: [string, string]) => key.length + value.length;
  let over = 0;
  const total = entries.reduce((sum, entry) => sum + size(entry), 0);
  if (entries.length > LABEL_LIMITS.count || total > LABEL_LIMITS.totalLength) {
    const order = entries
      .map((entry, index) => ({ index, first: keep.has(entry[0]) ? 0 : 1, size: size(entry) }))
      .sort((a, b) => a.first - b.first || a.size - b.size || a.index - b.index);
    const kept = new Set<number>();
    let used = 0;
    for (const { index, size: bytes } of order) {
      if (kept.size >= LABEL_LIMITS.count) break;
      if (used + bytes > LABEL_LIMITS.totalLength) continue;
      kept.add(index);
      used += bytes;
    }
    over = entries.length - kept.size;
    entries = entries.filter((_, index) => kept.has(index));
  }
  if (notString + longKey + truncated + over === 0) return undefined;
  container.labels = Object.fromEntries(entries);
  const did = [
    notString && `dropped ${notString} not a string`,
    longKey && `dropped ${longKey} with a key over ${LABEL_LIMITS.keyLength} characters`,
    truncated && `truncated ${truncated} values to ${LABEL_LIMITS.valueLength} characters`,
    over && `dropped ${over} over ${LABEL_LIMITS.count} labels or ${LABEL_LIMITS.totalLength} characters in all`,
  ].filter(Boolean);
  return `labels cut to the limits: ${did.join(", ")}`;
}

/** The object holding the value at `path` in `root`, and its key there; undefined if none. */
function holder(root: Plain, path: readonly PropertyKey[]): [Plain | unknown[], string | number] | undefined {
  if (path.length === 0 || path.length >= COPY_DEPTH) return undefined; // beyond the copy: never modify the input
  let node: unknown = root;
  for (const key of path.slice(0, -1)) {
    if (typeof key === "symbol" || (!isPlain(node) && !Array.isArray(node))) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  const last = path.at(-1)!;
  if (typeof last === "symbol" || (!isPlain(node) && !Array.isArray(node))) return undefined;
  return [node, last];
}

/** Repairs the value an issue is about, if it can be: too long a string or list is cut. */
function repair(root: Plain, issue: z.core.$ZodIssue, notes: string[]): boolean {
  const at = holder(root, issue.path);
  if (!at) return false;
  const [node, key] = at;
  const value = (node as Record<string | number, unknown>)[key];
  const path = formatPath(issue.path);
  if (issue.code === "too_big" && typeof issue.maximum === "number") {
    if (issue.origin === "string" && typeof value === "string") {
      (node as Record<string | number, unknown>)[key] = truncate(value, issue.maximum);
      notes.push(`truncated ${path} from ${value.length} to ${issue.maximum} characters`);
      return true;
    }
    if (issue.origin === "array" && Array.isArray(value)) {
      (node as Record<string | number, unknown>)[key] = value.slice(0, issue.maximum);
      notes.push(`kept the first ${issue.maximum} of ${value.length} ${path}`);
      return true;
    }
  }
  if (issue.code === "invalid_key" && isPlain(node)) {
    delete node[key];
    notes.push(`dropped ${formatIssue(issue)}`);
    return true;
  }
  return false;
}

/**
 * An issue no repair can help: a wrong type, a number out of range, a string or list too short
 * (removing NUL and truncating never turn a value into another type or make it longer). An object
 * with one is dropped at once, without copying it.
 */
function beyondRepair(issue: z.core.$ZodIssue): boolean {
  switch (issue.code) {
    case "invalid_type":
    case "too_small":
    case "not_multiple_of":
      return true;
    case "too_big":
      return issue.origin !== "string" && issue.origin !== "array";
    default:
      return false;
  }
}

const listIssues = (issues: z.core.$ZodIssue[]) =>
  `${issues.slice(0, 3).map(formatIssue).join("; ")}${issues.length > 3 ? ` (and ${issues.length - 3} more)` : ""}`;

/** One object checked against its schema; repaired (with a warning) or dropped (with a warning). */
function salvageObject<T extends z.ZodType<object>>(
  array: ObjectArray,
  schema: T,
  item: unknown,
  index: number,
  keepLabels: ReadonlySet<string>,
  warnings: Warnings,
): z.output<T> | undefined {
  const first = schema.safeParse(item);
  if (first.success) return markValidated(first.data);
  const fatal = first.error.issues.filter(beyondRepair);
  if (!isPlain(item) || fatal.length > 0) {
    warnings.add(() => `dropped ${describe(array, item, index)}: ${listIssues(isPlain(item) ? fatal : first.error.issues)}`);
    return undefined;
  }
  const cleaned = new Set<string>();
  const copy = cleanCopy(item, [], cleaned) as Plain;
  const notes: string[] = [];
  if (cleaned.size > 0) {
    const more = cleaned.size > MAX_NOTES ? ` and ${cleaned.size - MAX_NOTES} more` : "";
    notes.push(`removed NUL characters from ${[...cleaned].slice(0, MAX_NOTES).join(", ")}${more}`);
  }
  if (array === "containers") {
    const labels = boundLabels(copy, keepLabels);
    if (labels) notes.push(labels);
  }
  const who = describe(array, copy, index);
  // Each round fixes what it can; a string cut to its maximum cannot be too long again, so a
  // third round only meets what cannot be repaired.
  for (let round = 0; round < 3; round++) {
    const result = schema.safeParse(copy);
    if (result.success) {
      const more = notes.length > MAX_NOTES ? ` (and ${notes.length - MAX_NOTES} more)` : "";
      if (notes.length > 0) warnings.add(() => `repaired ${who}: ${notes.slice(0, MAX_NOTES).join("; ")}${more}`);
      return markValidated(result.data);
    }
    const left = result.error.issues.filter((issue) => !repair(copy, issue, notes));
    if (left.length > 0) {
      warnings.add(() => `dropped ${who}: ${listIssues(left)}`);
      return undefined;
    }
  }
  warnings.add(() => `dropped ${who}: could not be repaired`);
  return undefined;
}

/**
 * Resolves the problems between objects (see the module's comment). Dropping an image can leave a
 * container's reference dangling, so this runs until nothing is left (two rounds at most).
 */
function resolveCrossIssues(objects: SnapshotObjects, warnings: Warnings) {
  for (let round = 0; round < 3; round++) {
    const issues = [...crossIssues(objects)];
    if (issues.length === 0) return;
    const dropped = new Map<ObjectArray, Set<number>>(OBJECT_ARRAYS.map((a) => [a, new Set<number>()]));
    const droppedDisks = new Map<number, Set<number>>();
    for (const issue of issues) {
      const item = objects[issue.array][issue.index]!;
      const who = describe(issue.array, item, issue.index);
      // The path within the object: indexes in the arrays change as objects are dropped.
      const why = `${formatPath(issue.path.slice(2))}: ${issue.message}`;
      switch (issue.problem) {
        case "duplicate-externalId":
          dropped.get(issue.array)!.add(issue.index);
          warnings.add(() => `dropped ${who}: ${why} (the first is kept)`);
          break;
        case "duplicate-disk-key": {
          const disks = droppedDisks.get(issue.index) ?? new Set<number>();
          disks.add(issue.disk!);
          droppedDisks.set(issue.index, disks);
          warnings.add(() => `repaired ${who}: dropped its disk ${why} (the first is kept)`);
          break;
        }
        case "unknown-host":
          if (issue.array === "virtualMachines") {
            objects.virtualMachines[issue.index]!.hostExternalId = null;
            warnings.add(() => `repaired ${who}: ${why}; host cleared`);
          } else {
            dropped.get(issue.array)!.add(issue.index);
            warnings.add(() => `dropped ${who}: ${why}`);
          }
          break;
        case "unknown-image":
          objects.containers[issue.index]!.imageExternalId = null;
          warnings.add(() => `repaired ${who}: ${why}; image cleared`);
          break;
      }
    }
    for (const [index, disks] of droppedDisks) {
      const vm = objects.virtualMachines[index]!;
      vm.disks = vm.disks.filter((_, disk) => !disks.has(disk));
    }
    const keep = <T>(array: ObjectArray, items: T[]) => {
      const gone = dropped.get(array)!;
      return gone.size === 0 ? items : items.filter((_, index) => !gone.has(index));
    };
    objects.hosts = keep("hosts", objects.hosts);
    objects.virtualMachines = keep("virtualMachines", objects.virtualMachines);
    objects.containers = keep("containers", objects.containers);
    objects.images = keep("images", objects.images);
  }
}

/**
 * The snapshot with each bad object repaired or dropped, and a warning for each appended to its
 * `warnings`; anything salvage cannot help is returned as it came, for validation to refuse.
 * Objects are returned as their schema outputs them (defaults filled, unknown fields dropped).
 */
export function salvageSnapshot(raw: unknown, options: SalvageOptions = {}): unknown {
  if (!isPlain(raw)) return raw;
  if (raw.version !== undefined && raw.version !== SNAPSHOT_VERSION) return raw;
  const keepLabels = new Set(options.keepLabels ?? keepLabelsFor(undefined));
  const warnings = new Warnings();

  const salvageArray = <T extends z.ZodType<object>>(array: ObjectArray, schema: T): z.output<T>[] | undefined => {
    const items = raw[array] ?? [];
    if (!Array.isArray(items)) return undefined;
    const kept: z.output<T>[] = [];
    items.forEach((item: unknown, index) => {
      const value = salvageObject(array, schema, item, index, keepLabels, warnings);
      if (value !== undefined) kept.push(value);
    });
    return kept;
  };
  const hosts = salvageArray("hosts", hostSnapshot);
  const virtualMachines = salvageArray("virtualMachines", virtualMachineSnapshot);
  const containers = salvageArray("containers", containerSnapshot);
  const images = salvageArray("images", imageSnapshot);

  const out: Plain = { ...raw };
  if (hosts && virtualMachines && containers && images) {
    const objects: SnapshotObjects = { hosts, virtualMachines, containers, images };
    resolveCrossIssues(objects, warnings);
    Object.assign(out, objects);
  } else {
    // Some array is not an array: validation refuses the snapshot whatever is done here.
    Object.assign(out, { hosts, virtualMachines, containers, images });
    for (const array of OBJECT_ARRAYS) if (out[array] === undefined) out[array] = raw[array];
  }

  // Guest discovery's facts come bounded from its own parsers: one that is still invalid is dropped
  // whole (a guest's facts are evidence, never half-trusted), naming the guest.
  for (const [array, schema, what] of [
    ["guests", guestFacts, "guest"],
    ["hostKeys", recordedHostKey, "host key"],
  ] as const) {
    const items = raw[array];
    if (!Array.isArray(items)) continue;
    const kept: unknown[] = [];
    items.forEach((item: unknown, index) => {
      const result = (schema as z.ZodType).safeParse(item);
      if (result.success) return void kept.push(markValidated(result.data as object));
      const o = isPlain(item) ? item : {};
      const name = typeof o.target === "string" ? o.target : typeof o.host === "string" ? o.host : null;
      warnings.add(() => `dropped ${what} ${name !== null ? shown(name) : `#${index}`}: ${listIssues(result.error.issues)}`);
    });
    out[array] = kept;
  }

  salvageUtilisation(raw.utilisation, out, warnings);

  const given = raw.warnings ?? [];
  if (!Array.isArray(given)) return out;
  const collected: string[] = [];
  let notText = 0;
  for (const warning of given as unknown[]) {
    if (typeof warning === "string") collected.push(truncate(stripNul(warning), TEXT_MAX));
    else notText++;
  }
  if (notText > 0) warnings.add(() => `dropped ${notText} collector warnings that were not text`);
  out.warnings = [...collected, ...warnings.all()];
  return out;
}

/**
 * Measured use is evidence, never the inventory: an invalid series, or one about an object the
 * snapshot does not hold, is dropped, and one warning says how many and why (a collector that got
 * every series wrong must not bury the other warnings under a million).
 */
function salvageUtilisation(series: unknown, out: Plain, warnings: Warnings) {
  if (!Array.isArray(series)) return;
  const known = {
    host: idsOf(out.hosts),
    virtualMachine: idsOf(out.virtualMachines),
    container: idsOf(out.containers),
  };
  const kept: unknown[] = [];
  let invalid = 0;
  let firstInvalid = "";
  let unknownObject = 0;
  series.forEach((item: unknown, index) => {
    const result = utilisationSeries.safeParse(item);
    if (!result.success) {
      if (invalid++ === 0) firstInvalid = `#${index}: ${listIssues(result.error.issues)}`;
      return;
    }
    const ids = known[result.data.object];
    if (ids !== null && !ids.has(result.data.externalId)) return void unknownObject++;
    kept.push(markValidated(result.data));
  });
  out.utilisation = kept;
  if (invalid > 0) warnings.add(() => `dropped ${invalid} invalid utilisation series (first ${firstInvalid})`);
  if (unknownObject > 0) warnings.add(() => `dropped ${unknownObject} utilisation series about objects not in the snapshot`);
}

/** The externalIds of an array of objects; null when it is not one (validation refuses it anyway). */
function idsOf(items: unknown): Set<string> | null {
  if (!Array.isArray(items)) return null;
  const ids = new Set<string>();
  for (const item of items) if (isPlain(item) && typeof item.externalId === "string") ids.add(item.externalId);
  return ids;
}

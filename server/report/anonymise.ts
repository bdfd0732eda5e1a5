/**
 * The anonymised report, for sharing with third parties: every name, host name, cluster, address
 * and id of the customer is replaced by an alias ("Customer A", "host-007", "vm-0142", "ip-0007",
 * "mac-0003", "uuid-0012"), wherever it appears in the report's text (names, reasons, plan and
 * wave names). The mapping is kept per customer in Postgres (anonymised_name), so the same original
 * gets the same alias in every report; it never leaves the server: no procedure or route returns it.
 *
 * What is replaced: the originals read from the customer's stored inventory (below), and any UUID,
 * MAC address or IPv4 address found in the report's text even when the inventory does not hold it.
 * Static text of the product (parameter labels and sources, rule titles, verdict and role labels)
 * is not customer data and is left as it is.
 */
import type { Database } from "../db/client";
import type { Report } from "./build";

export const ALIAS_KINDS = [
  "customer",
  "source",
  "datacenter",
  "cluster",
  "host",
  "hostname",
  "domain",
  "vm",
  "container",
  "image",
  "tenant",
  "person",
  "uuid",
  "mac",
  "ip",
] as const;
export type AliasKind = (typeof ALIAS_KINDS)[number];

export interface Original {
  kind: AliasKind;
  original: string;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");
/** 1 → A, 26 → Z, 27 → AA. */
function letters(n: number): string {
  let s = "";
  for (let k = n; k > 0; k = Math.floor((k - 1) / 26)) s = String.fromCharCode(65 + ((k - 1) % 26)) + s;
  return s;
}

const ALIAS: Record<AliasKind, (n: number) => string> = {
  customer: (n) => `Customer ${letters(n)}`,
  source: (n) => `source-${pad(n, 2)}`,
  datacenter: (n) => `datacenter-${pad(n, 2)}`,
  cluster: (n) => `cluster-${pad(n, 2)}`,
  host: (n) => `host-${pad(n, 3)}`,
  hostname: (n) => `hostname-${pad(n, 4)}`,
  domain: (n) => `domain-${pad(n, 2)}.example`,
  vm: (n) => `vm-${pad(n, 4)}`,
  container: (n) => `container-${pad(n, 4)}`,
  image: (n) => `image-${pad(n, 3)}`,
  tenant: (n) => `tenant-${pad(n, 2)}`,
  person: (n) => `person-${pad(n, 2)}`,
  uuid: (n) => `uuid-${pad(n, 4)}`,
  mac: (n) => `mac-${pad(n, 4)}`,
  ip: (n) => `ip-${pad(n, 4)}`,
};

/** When one text is an original of two kinds (a VM and the engine host inside it), the first kind here names it. */
const PRIORITY: AliasKind[] = ["customer", "host", "vm", "container", "hostname", "cluster", "datacenter", "source", "image", "tenant", "person", "domain", "uuid", "mac", "ip"];

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const MAC = "(?:[0-9a-f]{2}[:-]){5}[0-9a-f]{2}";
const IPV4 = "(?<![\\d.])(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(?![\\d.])";
const PATTERNS: { kind: "uuid" | "mac" | "ip"; re: RegExp }[] = [
  { kind: "uuid", re: new RegExp(`^${UUID}$`, "i") },
  { kind: "mac", re: new RegExp(`^${MAC}$`, "i") },
  { kind: "ip", re: new RegExp(`^${IPV4}$`) },
];
const ANY_PATTERN = new RegExp(`(?<![0-9a-f])${UUID}(?![0-9a-f])|(?<![0-9a-f:-])${MAC}(?![0-9a-f:-])|${IPV4}`, "gi");

/** Addresses and ids compare in one spelling: lower case, MACs with colons. */
export function normalise(kind: AliasKind, original: string): string {
  const trimmed = original.trim();
  if (kind === "uuid" || kind === "ip") return trimmed.toLowerCase();
  if (kind === "mac") return trimmed.toLowerCase().replaceAll("-", ":");
  return trimmed;
}

const key = (kind: AliasKind, original: string) => `${kind}\u0000${original}`;

/** An endpoint's host ("https://vc.acme.example/sdk" → vc.acme.example; "qemu+ssh://root@kvm1/system" → kvm1). */
function endpointHost(endpoint: string): string | null {
  try {
    const url = new URL(endpoint);
    return url.hostname.replace(/^\[|\]$/g, "") || null;
  } catch {
    return null;
  }
}

/** What a name-like text is: an address or id when it looks like one, else the kind given. */
function classify(kind: AliasKind, text: string): AliasKind {
  return PATTERNS.find((p) => p.re.test(text.trim()))?.kind ?? kind;
}

/**
 * Every name, host name, cluster, address and id of the customer's stored inventory and sources,
 * with the domains of its host names (acme.local of app1.acme.local): the originals to replace.
 */
export async function originalsOf(database: Database, customerId: string): Promise<Original[]> {
  const { rows } = await database.pool.query<{ kind: AliasKind; original: string | null }>(
    `WITH s AS (SELECT id, name, endpoint FROM source WHERE customer_id = $1),
          h AS (SELECT h.* FROM host h WHERE h.source_id IN (SELECT id FROM s)),
          v AS (SELECT v.* FROM virtual_machine v WHERE v.source_id IN (SELECT id FROM s)),
          c AS (SELECT c.* FROM container c WHERE c.source_id IN (SELECT id FROM s)),
          i AS (SELECT i.* FROM image i WHERE i.source_id IN (SELECT id FROM s))
     SELECT 'customer' AS kind, name AS original FROM customer WHERE id = $1
     UNION SELECT 'source', name FROM s
     UNION SELECT 'hostname', endpoint FROM s
     UNION SELECT 'host', name FROM h
     UNION SELECT 'hostname', hostname FROM h
     UNION SELECT 'cluster', cluster FROM h
     UNION SELECT 'datacenter', datacenter FROM h
     UNION SELECT 'uuid', hardware_uuid FROM h
     UNION SELECT 'ip', unnest(ip_addresses) FROM h
     UNION SELECT 'mac', unnest(mac_addresses) FROM h
     UNION SELECT 'vm', name FROM v
     UNION SELECT 'hostname', hostname FROM v
     UNION SELECT 'cluster', cluster FROM v
     UNION SELECT 'datacenter', datacenter FROM v
     UNION SELECT 'uuid', uuid FROM v
     UNION SELECT 'uuid', instance_uuid FROM v
     UNION SELECT 'ip', unnest(ip_addresses) FROM v
     UNION SELECT 'mac', unnest(mac_addresses) FROM v
     UNION SELECT 'container', ltrim(name, '/') FROM c
     UNION SELECT 'image', image FROM c
     UNION SELECT 'image', unnest(repo_tags) FROM i
     UNION SELECT 'hostname', g.target FROM guest g WHERE g.source_id IN (SELECT id FROM s)`,
    [customerId],
  );
  const out: Original[] = [];
  const seen = new Set<string>();
  const add = (kind: AliasKind, text: string | null) => {
    if (!text || !text.trim()) return;
    const k = classify(kind, text);
    const original = normalise(k, text);
    if (seen.has(key(k, original))) return;
    seen.add(key(k, original));
    out.push({ kind: k, original });
  };
  for (const row of rows) {
    // A source's endpoint is a URL: its host is the original, not the whole address.
    const text = row.kind === "hostname" && row.original?.includes("://") ? endpointHost(row.original) : row.original;
    add(row.kind, text);
    // The domain of a host name (two labels at least, not an address): acme.local of app1.acme.local.
    if (row.kind === "hostname" && text && classify("hostname", text) === "hostname") {
      const domain = text.trim().split(".").slice(1).join(".");
      if (domain.includes(".")) add("domain", domain);
    }
  }
  return out;
}

/**
 * The aliases of these originals, made (and stored) for those that have none yet. One writer per
 * customer at a time (an advisory lock), so two reports made at once agree; new ones are numbered
 * after the kind's existing aliases, in the originals' sorted order.
 */
export async function aliasesOf(database: Database, customerId: string, originals: Original[]): Promise<Map<string, string>> {
  const client = await database.pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended('anonymised_name:' || $1, 0))", [customerId]);
    const { rows } = await client.query<{ kind: AliasKind; original: string; alias: string }>(
      "SELECT kind, original, alias FROM anonymised_name WHERE customer_id = $1",
      [customerId],
    );
    const aliases = new Map(rows.map((r) => [key(r.kind, r.original), r.alias]));
    const taken = new Set(rows.map((r) => `${r.kind}\u0000${r.alias}`));
    const counts = new Map<AliasKind, number>();
    for (const r of rows) counts.set(r.kind, (counts.get(r.kind) ?? 0) + 1);
    const fresh = originals
      .filter((o) => !aliases.has(key(o.kind, o.original)))
      .sort((a, b) => a.kind.localeCompare(b.kind) || (a.original < b.original ? -1 : a.original > b.original ? 1 : 0));
    const added: { kind: string[]; original: string[]; alias: string[] } = { kind: [], original: [], alias: [] };
    for (const o of fresh) {
      if (aliases.has(key(o.kind, o.original))) continue;
      let n = (counts.get(o.kind) ?? 0) + 1;
      while (taken.has(`${o.kind}\u0000${ALIAS[o.kind](n)}`)) n++;
      const alias = ALIAS[o.kind](n);
      counts.set(o.kind, n);
      taken.add(`${o.kind}\u0000${alias}`);
      aliases.set(key(o.kind, o.original), alias);
      added.kind.push(o.kind);
      added.original.push(o.original);
      added.alias.push(alias);
    }
    if (added.kind.length) {
      await client.query(
        `INSERT INTO anonymised_name (customer_id, kind, original, alias)
         SELECT $1, k, o, a FROM unnest($2::text[], $3::text[], $4::text[]) AS t(k, o, a)`,
        [customerId, added.kind, added.original, added.alias],
      );
    }
    await client.query("COMMIT");
    return aliases;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** Report fields that hold the product's own words or dates, never the customer's: left as they are. */
const STATIC_FIELDS = new Set([
  "parameters",
  "osFootprints",
  "scoreFormula",
  "label",
  "title",
  "ruleId",
  "severity",
  "verdict",
  "role",
  "kind",
  "level",
  "status",
  "preparedAt",
  "dataAsOf",
  "lastCollectedAt",
  "asOf",
  "targetDate",
]);

/** Every string of a plain value, but those under STATIC_FIELDS, through `map`. */
function mapStrings<T>(value: T, map: (text: string) => string): T {
  if (typeof value === "string") return map(value) as T;
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, map)) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, STATIC_FIELDS.has(k) ? v : mapStrings(v, map)])) as T;
  }
  return value;
}

const WORD_CHAR = /[\p{L}\p{N}_]/u;
const isWord = (c: string | undefined) => c !== undefined && WORD_CHAR.test(c);

/**
 * The function that replaces every original (and any UUID, MAC or IPv4 address) in a text by its
 * alias. An original is replaced where it stands as a whole (not inside a longer word: "app1" is
 * not in "app10"), case-insensitively, the longest first ("app1.acme.local" before "app1"). Each
 * piece of text between word boundaries is looked up in a map, so a text costs the same whatever
 * the number of originals (one regular expression of 10,000 alternatives took 56 ms a string).
 */
export function replacer(originals: Original[], aliases: Map<string, string>): (text: string) => string {
  const rank = (kind: AliasKind) => PRIORITY.indexOf(kind);
  const literal = new Map<string, { alias: string; rank: number }>();
  for (const o of originals) {
    const alias = aliases.get(key(o.kind, o.original));
    if (!alias) continue;
    const k = o.original.toLowerCase();
    const had = literal.get(k);
    if (!had || rank(o.kind) < had.rank) literal.set(k, { alias, rank: rank(o.kind) });
  }
  const longest = Math.max(0, ...[...literal.keys()].map((k) => k.length));

  const names = (text: string): string => {
    const lower = text.toLowerCase();
    // Lower-casing that changes the length (a few non-Latin letters) would shift positions: compare per piece then.
    const piece = lower.length === text.length ? (from: number, to: number) => lower.slice(from, to) : (from: number, to: number) => text.slice(from, to).toLowerCase();
    const word = new Uint8Array(text.length + 1);
    for (let k = 0; k < text.length; k++) word[k] = isWord(text[k]) ? 1 : 0;
    let out = "";
    let copied = 0;
    let i = 0;
    while (i < text.length) {
      // An original starts where a word starts (or at a character that is no word's) ...
      if (i > 0 && word[i - 1] && word[i]) {
        i++;
        continue;
      }
      // ... and ends where a word ends: the longest such piece that is an original.
      let hit: { end: number; alias: string } | undefined;
      const limit = Math.min(text.length, i + longest);
      for (let end = limit; end > i; end--) {
        if (!word[end - 1] || word[end]) continue;
        const found = literal.get(piece(i, end));
        if (found) {
          hit = { end, alias: found.alias };
          break;
        }
      }
      if (hit) {
        out += text.slice(copied, i) + hit.alias;
        i = hit.end;
        copied = i;
        continue;
      }
      i++;
    }
    return out + text.slice(copied);
  };
  const addresses = (text: string): string =>
    text.replace(ANY_PATTERN, (match) => {
      const kind = PATTERNS.find((p) => p.re.test(match))?.kind;
      return (kind && aliases.get(key(kind, normalise(kind, match)))) ?? "[redacted]";
    });
  return (text) => addresses(names(text));
}

/** The UUIDs, MAC and IPv4 addresses in the report's text (outside STATIC_FIELDS). */
function addressesIn(report: Report): Original[] {
  const found: Original[] = [];
  mapStrings(report, (text) => {
    for (const match of text.matchAll(ANY_PATTERN)) {
      const kind = PATTERNS.find((p) => p.re.test(match[0]))?.kind;
      if (kind) found.push({ kind, original: normalise(kind, match[0]) });
    }
    return text;
  });
  return found;
}

/** The report with every original replaced by its alias (made and stored when new). */
export async function anonymiseReport(database: Database, customerId: string, report: Report): Promise<Report> {
  const originals = await originalsOf(database, customerId);
  // Free text of the plans: who owns a wave is a person's name.
  for (const plan of report.plans) {
    for (const wave of plan.waves) if (wave.owner.trim()) originals.push({ kind: "person", original: normalise("person", wave.owner) });
  }
  originals.push(...addressesIn(report));
  const unique = [...new Map(originals.map((o) => [key(o.kind, o.original), o])).values()];
  const aliases = await aliasesOf(database, customerId, unique);
  const replace = replacer(unique, aliases);
  return { ...mapStrings(report, replace), anonymised: true };
}

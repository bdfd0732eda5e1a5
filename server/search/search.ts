/**
 * Search across the fleet: customers, hosts, virtual machines, containers and images whose names,
 * hostnames, IP and MAC addresses, UUIDs, ids, tags or digests match the text, in the customers a
 * viewer may see. One parameterised SQL statement per kind (run side by side); each object once,
 * by its best match: equal before starting with before containing, then by name.
 *
 * - Text fields match case-insensitively anywhere (ILIKE with the user's % _ \ made literal); the
 *   name fields have pg_trgm GIN indexes (prisma/migrations/20261210000000_search_indexes).
 * - IP fields match exactly or by prefix, and only when the text is written as an address.
 * - MAC fields match on hex digits, both sides reduced the same way, so 00-50-56-AB-..,
 *   0050.56ab.... and 005056ab... find 00:50:56:ab:...
 * - A guest's hostname (guest discovery) finds the VM it was matched to by BIOS UUID or MAC.
 */
import { customerHref, objectHref, type ObjectKind } from "../../components/links";
import type { Database } from "../db/client";
import { escapeLike, ipPrefix, likePatterns, macDigits, MIN_CONTAINS, type MatchRank } from "./normalise";

export type SearchKind = "customer" | ObjectKind;

/** The kinds in the order results are shown, with their group headings. */
export const SEARCH_KINDS: readonly { kind: SearchKind; label: string }[] = [
  { kind: "customer", label: "Customers" },
  { kind: "host", label: "Hosts" },
  { kind: "vm", label: "Virtual machines" },
  { kind: "container", label: "Containers" },
  { kind: "image", label: "Images" },
];

export interface SearchHit {
  kind: SearchKind;
  id: string;
  name: string;
  /** The field that matched, as a person says it ("Name", "MAC", "BIOS UUID") ... */
  field: string;
  /** ... and its stored value. */
  value: string;
  rank: MatchRank;
  customerId: string;
  customerName: string;
  href: string;
}

export interface SearchGroup {
  kind: SearchKind;
  label: string;
  /** Every matching object of the kind in scope; `hits` holds the best `limit` of them. */
  total: number;
  hits: SearchHit[];
}

export interface SearchResult {
  total: number;
  groups: SearchGroup[];
}

// Parameters shared by every statement:
// $1 scope (uuid[], null: every customer), $2 text (lower case), $3 prefix pattern, $4 contains
// pattern, $5 IP (lower case, null: not an address), $6 IP prefix pattern, $7 MAC digits (null: not
// a MAC), $8 MAC contains pattern, $9 limit.
// Names every parameter with its type, so that a statement that uses only some of them is valid.
const PARAMS = `params AS (SELECT $2::text AS t, $3::text AS p, $4::text AS c, $5::text AS ip, $6::text AS ipp, $7::text AS mac, $8::text AS macc)`;
const SCOPE = `($1::uuid[] IS NULL OR s.customer_id = ANY($1::uuid[]))`;
const textRank = (value: string) => `CASE WHEN lower(${value}) = $2 THEN 0 WHEN lower(${value}) LIKE $3 THEN 1 ELSE 2 END`;
const ipValue = `split_part(lower(e.value), '/', 1)`;
const macValue = `regexp_replace(lower(e.value), '[^0-9a-f]', '', 'g')`;

type Field =
  | { type: "text"; label: string; column: string }
  | { type: "texts" | "ips" | "macs"; label: string; column: string };

interface KindSpec {
  kind: ObjectKind;
  table: string;
  name: string;
  /** The search text, exactly as its index in prisma/migrations/20261211000000_search_indexes. */
  searchText: string;
  fields: Field[];
  /** Extra branches (SELECT id, field, value, rank, field_order), with the same parameters. */
  extra?: (order: number) => string;
}

const SPECS: KindSpec[] = [
  {
    kind: "host",
    table: "host",
    name: "x.name",
    searchText: `fleetlens_search_text(ARRAY[x.name, x.hostname, x.hardware_uuid, x.external_id] || x.ip_addresses, x.mac_addresses)`,
    fields: [
      { type: "text", label: "Name", column: "x.name" },
      { type: "text", label: "Hostname", column: "x.hostname" },
      { type: "ips", label: "IP", column: "x.ip_addresses" },
      { type: "macs", label: "MAC", column: "x.mac_addresses" },
      { type: "text", label: "Hardware UUID", column: "x.hardware_uuid" },
      { type: "text", label: "External id", column: "x.external_id" },
    ],
  },
  {
    kind: "vm",
    table: "virtual_machine",
    name: "x.name",
    searchText: `fleetlens_search_text(ARRAY[x.name, x.hostname, x.uuid, x.instance_uuid, x.external_id] || x.ip_addresses, x.mac_addresses)`,
    fields: [
      { type: "text", label: "Name", column: "x.name" },
      { type: "text", label: "Guest hostname", column: "x.hostname" },
      { type: "ips", label: "IP", column: "x.ip_addresses" },
      { type: "macs", label: "MAC", column: "x.mac_addresses" },
      { type: "text", label: "BIOS UUID", column: "x.uuid" },
      { type: "text", label: "Instance UUID", column: "x.instance_uuid" },
      { type: "text", label: "External id", column: "x.external_id" },
    ],
    // Guest discovery's hostname, on the VM of the same customer it was matched to.
    extra: (order) => `
      SELECT x.id, 'Guest hostname (discovered)' AS field, g.hostname AS value, ${textRank("g.hostname")} AS rank, ${order} AS field_order
        FROM guest g
        JOIN source gs ON gs.id = g.source_id
        JOIN source s ON s.customer_id = gs.customer_id
        JOIN virtual_machine x ON x.source_id = s.id AND NOT x.template
             AND (lower(x.uuid) = lower(g.product_uuid) OR x.mac_addresses && g.mac_addresses)
       WHERE ($1::uuid[] IS NULL OR gs.customer_id = ANY($1::uuid[])) AND g.hostname ILIKE $4
         AND (length($2) >= ${MIN_CONTAINS} OR lower(g.hostname) = $2)`,
  },
  {
    kind: "container",
    table: "container",
    name: "x.name",
    searchText: `fleetlens_search_text(ARRAY[x.name, x.external_id], '{}'::text[])`,
    fields: [
      { type: "text", label: "Name", column: "x.name" },
      { type: "text", label: "Container id", column: "x.external_id" },
    ],
  },
  {
    kind: "image",
    table: "image",
    name: "coalesce(x.repo_tags[1], x.external_id)",
    searchText: `fleetlens_search_text(ARRAY[x.external_id] || x.repo_tags || x.repo_digests, '{}'::text[])`,
    fields: [
      { type: "texts", label: "Tag", column: "x.repo_tags" },
      { type: "texts", label: "Digest", column: "x.repo_digests" },
      { type: "text", label: "Image id", column: "x.external_id" },
    ],
  },
];

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** One field's matches among the candidates (`cand`, already in scope). */
function branch(field: Field, order: number): string {
  const head = (value: string, rank: string) => `SELECT x.id, ${quote(field.label)} AS field, ${value} AS value, ${rank} AS rank, ${order} AS field_order`;
  const elements = `FROM cand x CROSS JOIN LATERAL unnest(${field.column}) AS e(value)`;
  switch (field.type) {
    case "text":
      return `${head(field.column, textRank(field.column))} FROM cand x WHERE ${field.column} ILIKE $4`;
    case "texts":
      return `${head("e.value", textRank("e.value"))} ${elements} WHERE e.value ILIKE $4`;
    case "ips":
      return `${head("e.value", `CASE WHEN ${ipValue} = $5 THEN 0 ELSE 1 END`)} ${elements} WHERE $5::text IS NOT NULL AND ${ipValue} LIKE $6`;
    case "macs":
      return `${head("e.value", `CASE WHEN ${macValue} = $7 THEN 0 WHEN ${macValue} LIKE $7 || '%' THEN 1 ELSE 2 END`)} ${elements}
        WHERE $7::text IS NOT NULL AND ${macValue} LIKE $8`;
  }
}

/** A kind's table and search text (for tests that check its index serves it). */
export function searchTextOf(kind: ObjectKind): { table: string; searchText: string } {
  const spec = SPECS.find((s) => s.kind === kind)!;
  return { table: spec.table, searchText: spec.searchText };
}


/** A field equal to the text (lower case), for texts shorter than MIN_CONTAINS. */
function equalFilter(spec: KindSpec): string {
  return spec.fields
    .map((f) => f.type === "text" ? `lower(${f.column}) = $2` : f.type === "texts" ? `EXISTS (SELECT 1 FROM unnest(${f.column}) AS v(value) WHERE lower(v.value) = $2)` : null)
    .filter((f): f is string => f !== null)
    .join(" OR ");
}

/** The statement for one kind of object (exported for the benchmark's EXPLAIN). */
export function kindSql(kind: ObjectKind, short = false): string {
  const spec = SPECS.find((s) => s.kind === kind)!;
  const branches = spec.fields.map((field, i) => branch(field, i));
  if (spec.extra) branches.push(spec.extra(branches.length));
  // Candidates through the search-text index (the text, or a MAC's digits, anywhere in it); then
  // which of their fields matched, and how well.
  return `
    WITH ${PARAMS},
    cand AS MATERIALIZED (
      SELECT x.* FROM ${spec.table} x JOIN source s ON s.id = x.source_id
       WHERE ${SCOPE} AND (${short ? equalFilter(spec) : `${spec.searchText} LIKE $4 OR ${spec.searchText} LIKE $8`})),
    m AS (${branches.join("\n UNION ALL ")}),
    best AS (SELECT DISTINCT ON (id) id, field, value, rank FROM m ORDER BY id, rank, field_order)
    SELECT b.id, b.field, b.value, b.rank, ${spec.name} AS name, s.customer_id, c.name AS customer_name,
           count(*) OVER () AS total
      FROM best b JOIN ${spec.table} x ON x.id = b.id JOIN source s ON s.id = x.source_id JOIN customer c ON c.id = s.customer_id
     ORDER BY b.rank, lower(${spec.name}), x.id
     LIMIT $9`;
}

const CUSTOMER_SQL = `
  WITH ${PARAMS}
  SELECT c.id, 'Name' AS field, c.name AS value, ${textRank("c.name")} AS rank, c.name, c.id AS customer_id,
         c.name AS customer_name, count(*) OVER () AS total
    FROM customer c
   WHERE ($1::uuid[] IS NULL OR c.id = ANY($1::uuid[])) AND c.name ILIKE $4 AND (length($2) >= ${MIN_CONTAINS} OR lower(c.name) = $2)
   ORDER BY rank, lower(c.name), c.id
   LIMIT $9`;

interface Row {
  id: string;
  field: string;
  value: string;
  rank: number;
  name: string;
  customer_id: string;
  customer_name: string;
  total: string;
}

/** The parameters of every statement for a text (see the list above). */
export function searchParameters(q: string, customerIds: string[] | null, limit: number): unknown[] {
  const text = q.trim().toLowerCase();
  const { prefix, contains } = likePatterns(text);
  const ip = ipPrefix(text);
  const mac = macDigits(text);
  return [customerIds, text, prefix, contains, ip, ip === null ? null : `${escapeLike(ip)}%`, mac, mac === null ? null : `%${mac}%`, limit];
}

/**
 * Searches the customers `customerIds` names (null: every customer) for `q` (trimmed, not empty),
 * at most `limit` objects per kind.
 */
export async function searchFleet(database: Database, q: string, options: { customerIds: string[] | null; limit: number }): Promise<SearchResult> {
  const params = searchParameters(q, options.customerIds, options.limit);
  const short = q.trim().length < MIN_CONTAINS;
  const answers = await Promise.all(
    SEARCH_KINDS.map(({ kind }) => database.pool.query<Row>(kind === "customer" ? CUSTOMER_SQL : kindSql(kind, short), params)),
  );
  const groups = SEARCH_KINDS.map(({ kind, label }, i): SearchGroup => {
    const rows = answers[i]!.rows;
    return {
      kind,
      label,
      total: rows.length > 0 ? Number(rows[0]!.total) : 0,
      hits: rows.map((r) => ({
        kind,
        id: r.id,
        name: r.name,
        field: r.field,
        value: r.value,
        rank: r.rank as MatchRank,
        customerId: r.customer_id,
        customerName: r.customer_name,
        href: kind === "customer" ? customerHref(r.id) : objectHref(r.customer_id, kind, r.id),
      })),
    };
  });
  return { total: groups.reduce((sum, g) => sum + g.total, 0), groups };
}

-- Search across the fleet (server/search/search.ts). Each searched table gets one trigram GIN index
-- on its "search text": every searched field (names, hostnames, UUIDs, ids, IPs, tags, digests)
-- lower-cased and joined by spaces, then the MAC addresses reduced to their hex digits. A search
-- finds its candidate rows through it (LIKE '%text%'), then says which field matched; without it,
-- every row of the largest tables is read. pg_trgm ships with PostgreSQL (contrib: in the embedded
-- server, Debian's postgresql-15 and the official images) and is trusted: a database owner may
-- create it. Prisma's schema cannot name expression indexes, so schema.prisma does not list these
-- (tests/integration/schema.test.ts leaves expression indexes out; tests/integration/search.test.ts
-- checks that they are used).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- IMMUTABLE (array_to_string is STABLE only because of other element types' output functions;
-- text[] has no such dependency), so that an index may be built on it.
CREATE OR REPLACE FUNCTION fleetlens_search_text(fields text[], macs text[]) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT lower(array_to_string(fields, ' ')) || ' ' || regexp_replace(lower(array_to_string(macs, ' ')), '[^0-9a-f ]', '', 'g') $$;

CREATE INDEX IF NOT EXISTS "host_search_idx" ON "host" USING GIN (
  fleetlens_search_text(ARRAY["name", "hostname", "hardware_uuid", "external_id"] || "ip_addresses", "mac_addresses") gin_trgm_ops);
CREATE INDEX IF NOT EXISTS "virtual_machine_search_idx" ON "virtual_machine" USING GIN (
  fleetlens_search_text(ARRAY["name", "hostname", "uuid", "instance_uuid", "external_id"] || "ip_addresses", "mac_addresses") gin_trgm_ops);
CREATE INDEX IF NOT EXISTS "container_search_idx" ON "container" USING GIN (
  fleetlens_search_text(ARRAY["name", "external_id"], '{}'::text[]) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS "image_search_idx" ON "image" USING GIN (
  fleetlens_search_text(ARRAY["external_id"] || "repo_tags" || "repo_digests", '{}'::text[]) gin_trgm_ops);

/**
 * The column maps (server/inventory/tables.ts) against prisma/schema.prisma: every column of every
 * table ingest writes is in its map (or is a key column, or filled by the database), with the
 * schema's type; so a column added to the schema but not to the map, or the reverse, fails here.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { encodeRow } from "@/server/inventory/copy";
import { hostSnapshot } from "@/server/inventory/snapshot";
import { HOST, INVENTORY_TABLES, type SqlType } from "@/server/inventory/tables";

interface PrismaColumn {
  column: string;
  type: string;
}

/** The scalar columns of each model, by table name (@@map), with their Postgres types. */
function prismaTables(): Map<string, PrismaColumn[]> {
  const schema = fs.readFileSync(path.join(__dirname, "../../prisma/schema.prisma"), "utf8");
  const blocks = [...schema.matchAll(/^(model|enum) (\w+) \{\n([\s\S]*?)^\}/gm)];
  const mapped = (body: string, name: string) => /@@map\("([^"]+)"\)/.exec(body)?.[1] ?? name;
  const models = new Set(blocks.filter((b) => b[1] === "model").map((b) => b[2]!));
  const enums = new Map(blocks.filter((b) => b[1] === "enum").map((b) => [b[2]!, mapped(b[3]!, b[2]!)]));
  const scalar: Record<string, string> = {
    Int: "int4",
    BigInt: "int8",
    Float: "float8",
    Boolean: "bool",
    DateTime: "timestamptz",
    Json: "jsonb",
    String: "text",
    Bytes: "bytea",
  };
  const tables = new Map<string, PrismaColumn[]>();
  for (const [, kind, name, body] of blocks) {
    if (kind !== "model") continue;
    const columns: PrismaColumn[] = [];
    for (const line of body!.split("\n")) {
      const field = /^\s*(\w+)\s+(\w+)(\[\])?\??(.*)$/.exec(line);
      if (!field || line.trim().startsWith("//")) continue;
      const [, fieldName, type, list, rest] = field;
      if (models.has(type!)) continue; // a relation, not a column
      const base = type === "String" && rest!.includes("@db.Uuid") ? "uuid" : (enums.get(type!) ?? scalar[type!]);
      if (!base) throw new Error(`unknown Prisma type ${type} of ${name}.${fieldName}`);
      const column = /@map\("([^"]+)"\)/.exec(rest!)?.[1] ?? fieldName!;
      columns.push({ column, type: list ? `${base}[]` : base });
    }
    tables.set(mapped(body!, name!), columns);
  }
  return tables;
}

describe("inventory column maps", () => {
  const prisma = prismaTables();

  it("cover the tables ingest writes", () => {
    expect(INVENTORY_TABLES.map((t) => t.name).sort()).toEqual([
      "container", "container_mount", "container_port", "host", "image", "image_layer", "layer",
      "virtual_disk", "virtual_machine",
    ]);
  });

  for (const table of INVENTORY_TABLES) {
    it(`agree with the Prisma model of ${table.name}`, () => {
      const model = prisma.get(table.name);
      expect(model, `no Prisma model maps to ${table.name}`).toBeDefined();
      // Every column of the model is a key column, in the map, or filled by the database; no more.
      const listed = [...table.keys, ...table.columns.map((c) => c.column), ...table.filled];
      expect(new Set(listed).size, "a column listed twice").toBe(listed.length);
      expect([...listed].sort()).toEqual(model!.map((c) => c.column).sort());
      // And the map's types are the schema's: they say how values are encoded and read back.
      const types = new Map(model!.map((c) => [c.column, c.type]));
      for (const c of table.columns) expect(`${c.column} ${c.type}`).toBe(`${c.column} ${types.get(c.column) as SqlType}`);
    });
  }

  it("encode a row as COPY's text format, in the map's order", () => {
    const host = hostSnapshot.parse({
      externalId: "h1", name: "esx\t01", role: "hypervisor", platform: "esxi", cpuCores: 8, memoryMiB: 1024,
      hardwareUuid: "ABC-1", macAddresses: ["AA:BB"],
    });
    const values = HOST.columns
      .filter((c) => c.write !== null)
      .map((c) => c.write!(host, undefined, 0));
    expect(HOST.encode(host, undefined)).toBe(encodeRow(values));
    expect(HOST.encode(host, undefined)).toMatch(/^esx\\t01\thypervisor\tesxi\t/);
    expect(values).toContain("abc-1");
    expect(values).toContainEqual(["aa:bb"]);
    // vm_id and vm_link_key are the topology link's, not ingest's.
    expect(HOST.written).not.toContain("vm_id");
    expect(HOST.select("h")).toContain(`h."vm_id" AS "vmKey"`);
  });
});

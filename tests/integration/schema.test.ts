/**
 * The migrated database matches prisma/schema.prisma: every model, field, type, nullability, enum,
 * relation and index the client relies on exists in Postgres as Prisma would have created it.
 * The schema is read with Prisma's own parser (prisma-schema-wasm's DMMF); then every field of
 * every model is read back through the generated client.
 */
import fs from "node:fs";
import path from "node:path";
import wasm from "@prisma/prisma-schema-wasm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applySnapshot } from "../../server/inventory/ingest";
import { smallSnapshot } from "../fixtures/snapshots";
import { createTestDatabase, type TestDatabase } from "./db";

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: "scalar" | "object" | "enum" | "unsupported";
  isList: boolean;
  isRequired: boolean;
  type: string;
  nativeType?: [string, string[]] | null;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
interface DmmfIndex {
  model: string;
  type: "id" | "unique" | "normal" | "fulltext";
  dbName?: string | null;
  algorithm?: string;
  fields: { name: string; sortOrder?: "asc" | "desc" }[];
}
interface Dmmf {
  datamodel: {
    models: DmmfModel[];
    enums: { name: string; dbName: string | null; values: { name: string; dbName: string | null }[] }[];
    indexes: DmmfIndex[];
  };
}

const schema = fs.readFileSync(path.join(process.cwd(), "prisma", "schema.prisma"), "utf8");
const dmmf = JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema: [["schema.prisma", schema]] }))) as Dmmf;
const { models, enums, indexes } = dmmf.datamodel;
const table = (m: DmmfModel) => m.dbName ?? m.name;
const column = (f: DmmfField) => f.dbName ?? f.name;
const modelByName = new Map(models.map((m) => [m.name, m]));
const fieldOf = (model: DmmfModel, name: string) => model.fields.find((f) => f.name === name)!;

/** The Postgres type Prisma creates for a scalar field (information_schema udt_name). */
function expectedUdt(field: DmmfField): string {
  if (field.kind === "enum") return enums.find((e) => e.name === field.type)!.dbName ?? field.type;
  const native = field.nativeType?.[0];
  const base: Record<string, string> = {
    String: native === "Uuid" ? "uuid" : "text",
    Int: "int4",
    BigInt: "int8",
    Float: "float8",
    Boolean: "bool",
    DateTime: native === "Timestamptz" ? "timestamptz" : native === "Date" ? "date" : "timestamp",
    Json: "jsonb",
    Bytes: "bytea",
    Decimal: "numeric",
  };
  return base[field.type]!;
}

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

describe("migrated database matches schema.prisma", () => {
  it("has every table and column, with Prisma's types and nullability, and nothing else", async () => {
    const { rows } = await t.pool.query<{ table_name: string; column_name: string; udt_name: string; is_nullable: string }>(
      `SELECT table_name, column_name, udt_name, is_nullable FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
    );
    const actual = new Map(rows.map((r) => [`${r.table_name}.${r.column_name}`, r]));
    const expected = new Set<string>();
    for (const model of models) {
      for (const field of model.fields.filter((f) => f.kind === "scalar" || f.kind === "enum")) {
        const key = `${table(model)}.${column(field)}`;
        expected.add(key);
        const col = actual.get(key);
        expect(col, `${model.name}.${field.name} → column ${key}`).toBeDefined();
        const udt = expectedUdt(field);
        expect(col!.udt_name, `type of ${key}`).toBe(field.isList ? `_${udt}` : udt);
        // Prisma creates list columns nullable; other fields follow `?`.
        expect(col!.is_nullable, `nullability of ${key}`).toBe(field.isRequired && !field.isList ? "NO" : "YES");
      }
    }
    expect([...actual.keys()].filter((k) => !expected.has(k)), "columns the schema does not know").toEqual([]);
  });

  it("has every enum with its values", async () => {
    for (const e of enums) {
      const { rows } = await t.pool.query<{ label: string }>(
        `SELECT e.enumlabel AS label FROM pg_enum e JOIN pg_type ty ON ty.oid = e.enumtypid
          WHERE ty.typname = $1 ORDER BY e.enumsortorder`,
        [e.dbName ?? e.name],
      );
      expect(rows.map((r) => r.label), `enum ${e.name}`).toEqual(e.values.map((v) => v.dbName ?? v.name));
    }
  });

  it("has every relation as a foreign key with its ON DELETE action", async () => {
    const { rows } = await t.pool.query<{ src: string; cols: string[]; dst: string; dst_cols: string[]; on_delete: string }>(
      `SELECT (SELECT relname FROM pg_class WHERE oid = c.conrelid) AS src,
              (SELECT relname FROM pg_class WHERE oid = c.confrelid) AS dst,
              array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i)::text[] AS cols,
              array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                      JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i)::text[] AS dst_cols,
              c.confdeltype AS on_delete
         FROM pg_constraint c
        -- Ours only: pg-boss keeps its own tables (and their keys) in its own schema.
        WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace`,
    );
    const actions: Record<string, string> = { Cascade: "c", SetNull: "n", Restrict: "r", NoAction: "a", SetDefault: "d" };
    let relations = 0;
    for (const model of models) {
      for (const field of model.fields.filter((f) => f.kind === "object" && f.relationFromFields?.length)) {
        relations++;
        const target = modelByName.get(field.type)!;
        const cols = field.relationFromFields!.map((n) => column(fieldOf(model, n)));
        const dstCols = field.relationToFields!.map((n) => column(fieldOf(target, n)));
        const fk = rows.find((r) => r.src === table(model) && r.dst === table(target) && r.cols.join() === cols.join());
        expect(fk, `foreign key ${model.name}.${field.name}`).toBeDefined();
        expect(fk!.dst_cols).toEqual(dstCols);
        expect(fk!.on_delete, `ON DELETE of ${model.name}.${field.name}`).toBe(actions[field.relationOnDelete ?? "NoAction"]);
      }
    }
    expect(rows.length).toBe(relations);
  });

  it("has every id, unique and index, on the right columns in the right order", async () => {
    const { rows } = await t.pool.query<{ tbl: string; name: string; cols: string[]; uniq: boolean; prim: boolean; method: string; desc_flags: number[] }>(
      `SELECT t.relname AS tbl, ic.relname AS name, i.indisunique AS uniq, i.indisprimary AS prim,
              am.amname AS method,
              array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(n, o)
                      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS cols,
              array(SELECT (o & 1) FROM unnest(i.indoption) o)::int[] AS desc_flags
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
         JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace ns ON ns.oid = ic.relnamespace
        WHERE ns.nspname = 'public' AND t.relname <> '_prisma_migrations'
          -- Expression indexes (the search indexes): Prisma's schema cannot name them.
          AND i.indexprs IS NULL`,
    );
    for (const index of indexes) {
      const model = modelByName.get(index.model)!;
      const cols = index.fields.map((f) => column(fieldOf(model, f.name)));
      const found = rows.find((r) => r.tbl === table(model) && r.cols.join() === cols.join() &&
        (index.type === "id" ? r.prim : index.type === "unique" ? r.uniq && !r.prim : !r.uniq));
      const what = `${index.type} index on ${table(model)}(${cols.join(", ")})`;
      expect(found, what).toBeDefined();
      expect(found!.method, `method of ${what}`).toBe((index.algorithm ?? "BTree").toLowerCase());
      expect(found!.desc_flags, `sort order of ${what}`).toEqual(index.fields.map((f) => (f.sortOrder === "desc" ? 1 : 0)));
    }
    expect(rows.length, "indexes the schema does not know").toBe(indexes.length);
  });

  it("reads every field of every model through the generated client", async () => {
    const customer = await t.prisma.customer.create({ data: { name: "touch" } });
    const source = await t.prisma.source.create({
      data: { customerId: customer.id, kind: "vsphere", name: "vc", endpoint: "https://vc/sdk", secret: new Uint8Array([1, 2, 3]) },
    });
    await applySnapshot(source.id, smallSnapshot(), { database: t });
    await t.prisma.appSetting.create({ data: { key: "k", value: { a: 1 } } });
    const user = await t.prisma.user.create({ data: { id: "u1", name: "Ada", email: "ada@example.com", role: "engineer" } });
    await t.prisma.session.create({ data: { id: "s1", token: "t", expiresAt: new Date(), userId: user.id, ipAddress: "127.0.0.1", userAgent: "x" } });
    await t.prisma.account.create({ data: { id: "a1", accountId: "u1", providerId: "credential", userId: user.id, password: "hash" } });
    await t.prisma.verification.create({ data: { id: "v1", identifier: "i", value: "v", expiresAt: new Date() } });
    await t.prisma.rateLimit.create({ data: { id: "r1", key: "k", count: 1, lastRequest: BigInt(Date.now()) } });
    await t.prisma.signInFailure.create({ data: { email: user.email, address: "192.0.2.1", count: 1, lastAt: new Date() } });
    await t.prisma.signInAddress.create({ data: { userId: user.id, address: "192.0.2.1", lastAt: new Date() } });
    await t.prisma.customerAccess.create({ data: { userId: user.id, customerId: customer.id } });
    await t.prisma.apiToken.create({ data: { userId: user.id, name: "ci", prefix: "flk_abcd", hash: "h" } });
    await t.prisma.auditEvent.create({ data: { action: "test", actorId: user.id, actorEmail: user.email, target: "x", ip: "127.0.0.1" } });
    const guests = await t.prisma.source.create({
      data: { customerId: customer.id, kind: "guest", name: "guests", endpoint: "root@192.0.2.10", secret: new Uint8Array([1]) },
    });
    const run = await t.prisma.collectionRun.create({ data: { sourceId: guests.id, status: "succeeded" } });
    await t.prisma.guest.create({
      data: { sourceId: guests.id, runId: run.id, collectedAt: new Date(), target: "root@192.0.2.10:22", macAddresses: [], ipAddresses: ["192.0.2.10"], facts: {} },
    });
    await t.prisma.guestHostKey.create({ data: { sourceId: guests.id, host: "192.0.2.10:22", fingerprint: "SHA256:x" } });
    await t.prisma.customerTrend.create({
      data: {
        customerId: customer.id, hour: new Date("2026-12-01T10:00:00Z"), at: new Date("2026-12-01T10:12:00Z"),
        physicalHosts: 2, virtualMachines: 5, vmsPoweredOn: 4, containers: 3, physicalCores: 32, physicalMemoryMiB: 262144,
        vcpusPoweredOn: 16, vmMemoryMiBPoweredOn: 65536, vcpuPerCore: 0.5, vramPerPram: 0.25, ramUsedMiB: 40000, hostsMeasured: 2,
        ramWasteMiB: 1024, criticalFindings: 1, warningFindings: 2, postureScore: 80, scoredContainers: 3, candidates: 2, reclaimMemoryMiB: 2048,
      },
    });
    await t.prisma.customerAnalysis.create({
      data: { customerId: customer.id, inventoryVersion: "v", parametersHash: "h", format: "v8+gzip", computedAt: new Date(), computeMs: 1, bytes: 1, result: new Uint8Array([1]) },
    });

    await t.prisma.anonymisedName.create({ data: { customerId: customer.id, kind: "plan-test", original: "touch", alias: "plan-test-1" } });
    const plan = await t.prisma.migrationPlan.create({ data: { customerId: customer.id, name: "plan", createdBy: user.email } });
    const wave = await t.prisma.migrationWave.create({ data: { planId: plan.id, position: 0, name: "wave 1", targetDate: new Date("2027-01-15") } });
    await t.prisma.migrationWaveWorkload.create({
      data: { waveId: wave.id, planId: plan.id, kind: "vm", objectId: customer.id, objectName: "vm", target: "retire", reason: "unused", addedBy: user.email },
    });

    const delegates = t.prisma as unknown as Record<string, { findFirstOrThrow(args: unknown): Promise<Record<string, unknown>> }>;
    for (const model of models) {
      const select: Record<string, unknown> = {};
      for (const field of model.fields) select[field.name] = field.kind === "object" ? (field.isList ? { take: 1 } : true) : true;
      const delegate = delegates[model.name[0]!.toLowerCase() + model.name.slice(1)]!;
      const row = await delegate.findFirstOrThrow({ select });
      for (const field of model.fields.filter((f) => f.kind !== "object")) {
        expect(field.name in row, `${model.name}.${field.name} read back`).toBe(true);
        if (field.isRequired && !field.isList) expect(row[field.name], `${model.name}.${field.name}`).not.toBeNull();
      }
    }
  });
});

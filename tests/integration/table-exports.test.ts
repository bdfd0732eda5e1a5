/**
 * The table exports (GET /api/export/<customerId>/<table>, server/export/registry.ts) against real
 * Postgres, the route handler called directly: every table (verdicts, findings, hosts, vms,
 * containers, utilisation) in both formats (CSV read back with csv-parse, xlsx with the project's xlsx reader)
 * holds exactly the rows the table's tRPC procedure pages through, in its order, with the screen's
 * filters, sort and visible columns; the VM table is larger than an export batch (keyset batches
 * cross with ties and nulls in the sort column). A viewer gets 403, another customer 404, a bad
 * column, format or filter 400 naming it, and every export one audit entry.
 */
import fs from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createCaller } from "../../server/api/root";
import type { Viewer } from "../../server/api/trpc";
import { createApiToken } from "../../server/auth/tokens";
import { createUser } from "../../server/auth/users";
import { viewerForUser } from "../../server/auth/viewer";
import { readXlsx } from "../../server/collectors/rvtools/xlsx";
import { ZIP_LIMITS } from "../../server/collectors/rvtools/zip";
import type { Database } from "../../server/db/client";
import { vmFilterSchema, vmQuery } from "../../server/api/inventory-tables";
import { BATCH, cursorRows } from "../../server/export/inventory";
import { XLSX_CONTENT_TYPE } from "../../server/export/xlsx";
import { applySnapshot } from "../../server/inventory/ingest";
import type { SnapshotInput } from "../../server/inventory/snapshot";
import { smallSnapshot } from "../fixtures/snapshots";
import { createTestDatabase, type TestDatabase } from "./db";

const BASE = "http://localhost:3000";
const HOSTILE = "=cmd|' /C calc'!A0";
/** Twice an export batch: the powered-on ones (two in three) still take more than one batch. */
const VMS = 2 * BATCH;

let t: TestDatabase;
let dir: string;
let route: typeof import("../../app/api/export/[customerId]/[table]/route");
const ids: Record<string, string> = {};
const tokens: Record<string, string> = {};
let engineer: Viewer;

const setDb = (database: Database | undefined) => {
  (globalThis as unknown as { fleetlensDb?: Database }).fleetlensDb = database;
};

/** Many VMs with ties in the name, some without a host or cluster, powered on and off, a formula for a name. */
function fleet(): SnapshotInput {
  const base = smallSnapshot({ vms: VMS, containers: 12 });
  base.hosts = [...(base.hosts ?? []), { externalId: "host-2", name: "esx02.lab", role: "hypervisor", platform: "esxi", cpuCores: 32, memoryMiB: 524288 }];
  base.virtualMachines = (base.virtualMachines ?? []).map((vm, i) => ({
    ...vm,
    name: i === 7 ? HOSTILE : `app-${i % 900}`,
    powerState: i % 3 === 0 ? ("poweredOff" as const) : ("poweredOn" as const),
    hostExternalId: i % 5 === 0 ? undefined : i % 2 === 0 ? "host-2" : "host-1",
    cluster: i % 4 === 0 ? undefined : `cl-${i % 7}`,
    vcpus: 1 + (i % 8),
  }));
  return base;
}

beforeAll(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), "fleetlens-table-exports-"));
  vi.stubEnv("FLEETLENS_URL", BASE);
  vi.stubEnv("FLEETLENS_DATA_DIR", fs.mkdtempSync(path.join(os.tmpdir(), "fleetlens-table-exports-data-")));
  setDb(t);
  route = await import("../../app/api/export/[customerId]/[table]/route");
  ids.acme = (await t.prisma.customer.create({ data: { name: "Acme" } })).id;
  ids.other = (await t.prisma.customer.create({ data: { name: "Other" } })).id;
  const source = await t.prisma.source.create({ data: { customerId: ids.acme, kind: "demo", name: "acme", endpoint: "demo:acme" } });
  await applySnapshot(source.id, fleet(), { database: t });
  for (const role of ["engineer", "viewer"] as const) {
    const user = await createUser(t, { email: `${role}@example.com`, name: role, password: "long-enough-password", role, allCustomers: false, customerIds: [ids.acme] });
    ids[role] = user.id;
    tokens[role] = (await createApiToken(t, user.id, "export test")).token;
  }
  engineer = (await viewerForUser(t, ids.engineer!, "token"))!;
}, 120_000);

afterAll(async () => {
  setDb(undefined);
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
  await t.drop();
});

async function get(table: string, query: string, token = tokens.engineer!, customerId = ids.acme!) {
  return route.GET(new Request(`${BASE}/api/export/${customerId}/${table}?${query}`, { headers: { authorization: `Bearer ${token}` } }), {
    params: Promise.resolve({ customerId, table }),
  });
}

let n = 0;
/** A download's header and rows, every cell as text ("" for an empty one), whatever the format. */
async function readBack(response: Response, format: "csv" | "xlsx"): Promise<{ header: string[]; rows: string[][] }> {
  expect(response.status, await response.clone().text().then((s) => s.slice(0, 200))).toBe(200);
  if (format === "csv") {
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
    const records = parse(await response.text(), { bom: true, relax_column_count: false }) as string[][];
    return { header: records[0]!, rows: records.slice(1) };
  }
  expect(response.headers.get("content-type")).toBe(XLSX_CONTENT_TYPE);
  expect(response.headers.get("content-disposition")).toMatch(/\.xlsx"$/);
  const file = path.join(dir, `export-${++n}.xlsx`);
  await writeFile(file, Buffer.from(await response.arrayBuffer()));
  const book = await readXlsx(file, ZIP_LIMITS);
  try {
    const tab = book.tabs[0]!;
    const rows: string[][] = [];
    for await (const row of tab.rows) rows.push(tab.header.map((_, i) => (row.cells[i] === null || row.cells[i] === undefined ? "" : String(row.cells[i]))));
    return { header: tab.header, rows };
  } finally {
    await book.close();
  }
}

/** Every row of a procedure, page after page (200 a page, as the screen could), and its total. */
async function pageThrough<R>(call: (page: number) => Promise<{ rows: R[]; total: number }>): Promise<{ rows: R[]; total: number }> {
  const rows: R[] = [];
  let total = 0;
  for (let page = 0; ; page++) {
    const result = await call(page);
    total = result.total;
    rows.push(...result.rows);
    if (result.rows.length < 200) return { rows, total };
  }
}

const text = (value: unknown) => (value === null || value === undefined ? "" : String(value));

describe.each(["csv", "xlsx"] as const)("as %s", (format) => {
  it("vms: the procedure's rows in its order (filtered, sorted by a nullable column across batches), the chosen columns in the chosen order", async () => {
    const caller = createCaller({ database: t, viewer: engineer });
    for (const [sort, dir] of [
      ["cluster", "desc"],
      ["host", "asc"],
      ["name", "asc"],
    ] as const) {
      const expected = await pageThrough((page) =>
        caller.inventory.virtualMachines({ customerId: ids.acme!, page, pageSize: 200, sort: { column: sort, direction: dir }, powerState: "poweredOn" }),
      );
      expect(expected.total).toBeGreaterThan(BATCH);
      const { header, rows } = await readBack(await get("vms", `format=${format}&powerState=poweredOn&sort=${sort}&dir=${dir}&columns=cluster,name,host`), format);
      expect(header).toEqual(["Cluster", "Virtual machine", "Template", "Hostname", "IP addresses", "Host"]);
      expect(rows.length).toBe(expected.total);
      const name = (value: string) => (format === "csv" && value === HOSTILE ? `'${HOSTILE}` : value);
      expect(rows.map((r) => [r[0], r[1], r[4], r[5]])).toEqual(expected.rows.map((vm) => [text(vm.cluster), name(vm.name), vm.ipAddresses.join(", "), text(vm.host?.name)]));
    }
  });

  it("vms: search and a boolean filter; the formula-like name kept as text (neutralised in CSV, exact in xlsx)", async () => {
    const caller = createCaller({ database: t, viewer: engineer });
    const expected = await caller.inventory.virtualMachines({ customerId: ids.acme!, pageSize: 200, search: "cmd", template: false });
    const { header, rows } = await readBack(await get("vms", `format=${format}&search=cmd&template=false&columns=name,vcpus`), format);
    expect(header).toEqual(["Virtual machine", "Template", "Hostname", "IP addresses", "vCPUs"]);
    expect(rows).toHaveLength(expected.total);
    expect(expected.total).toBe(1);
    expect(rows[0]![0]).toBe(format === "csv" ? `'${HOSTILE}` : HOSTILE);
    expect(rows[0]![4]).toBe(String(expected.rows[0]!.vcpus));
  });

  it("hosts: sorted by their VM count, every column by default", async () => {
    const caller = createCaller({ database: t, viewer: engineer });
    const expected = await caller.inventory.hosts({ customerId: ids.acme!, pageSize: 200, sort: { column: "virtualMachines", direction: "desc" }, role: "hypervisor" });
    const { header, rows } = await readBack(await get("hosts", `format=${format}&sort=virtualMachines&dir=desc&role=hypervisor`), format);
    expect(header[0]).toBe("Host");
    expect(header).toContain("Virtual machines");
    expect(rows.map((r) => [r[0], r[header.indexOf("Virtual machines")]])).toEqual(expected.rows.map((h) => [h.name, String(h._count.virtualMachines)]));
  });

  it("containers: filtered by state, sorted by host", async () => {
    const caller = createCaller({ database: t, viewer: engineer });
    const all = await caller.inventory.containers({ customerId: ids.acme!, pageSize: 200 });
    const state = all.rows[0]!.state;
    const expected = await caller.inventory.containers({ customerId: ids.acme!, pageSize: 200, state: state as never, sort: { column: "host", direction: "desc" } });
    const { header, rows } = await readBack(await get("containers", `format=${format}&state=${state}&sort=host&dir=desc&columns=name,host,privileged`), format);
    expect(header).toEqual(["Container", "Host", "Privileged", "User", "Network mode", "PID mode", "Read-only root filesystem"]);
    expect(rows.map((r) => [r[0], r[1]])).toEqual(expected.rows.map((c) => [c.name, c.host.name]));
  });

  it("verdicts and findings: the procedures' totals and order, the visible columns", async () => {
    const caller = createCaller({ database: t, viewer: engineer });
    const verdicts = await pageThrough((page) => caller.analysis.verdicts({ customerId: ids.acme!, page, pageSize: 200, kind: "vm", sort: { column: "name", direction: "desc" } }));
    const v = await readBack(await get("verdicts", `format=${format}&kind=vm&sort=name&dir=desc&columns=name,verdict`), format);
    expect(v.header).toEqual(["Workload", "Verdict", "Why", "Evidence"]);
    expect(v.rows.length).toBe(verdicts.total);
    expect(v.rows.map((r) => r[0])).toEqual(verdicts.rows.map((r) => (format === "csv" && r.name === HOSTILE ? `'${HOSTILE}` : r.name)));

    const findings = await pageThrough((page) => caller.analysis.findings({ customerId: ids.acme!, page, pageSize: 200, severity: "warning" }));
    const f = await readBack(await get("findings", `format=${format}&severity=warning&columns=ruleId,severity`), format);
    expect(f.header).toEqual(["Rule", "Finding", "Severity"]);
    expect(f.rows.length).toBe(findings.total);
    expect(f.rows.map((r) => r[0])).toEqual(findings.rows.map((r) => r.ruleId));
  });
});

describe("utilisation", () => {
  it.each(["csv", "xlsx"] as const)("as %s: the Utilisation tab's VM table, its total and order, the shown columns", async (format) => {
    const caller = createCaller({ database: t, viewer: engineer });
    const expected = await pageThrough((page) =>
      caller.analysis.utilisationVms({ customerId: ids.acme!, page, pageSize: 200, status: "insufficient-data", search: "app-1", sort: { column: "name", direction: "desc" } }),
    );
    expect(expected.total).toBeGreaterThan(0);
    const { header, rows } = await readBack(await get("utilisation", `format=${format}&status=insufficient-data&search=app-1&sort=name&dir=desc&columns=status,name`), format);
    expect(header).toEqual(["Status", "Why", "Virtual machine", "Host", "Cluster"]);
    expect(rows.length).toBe(expected.total);
    expect(rows.map((r) => [r[0], r[2]])).toEqual(expected.rows.map((v) => ["Insufficient data", v.name]));
  });
});

describe("refusals", () => {
  it("a viewer gets 403, another customer 404, an unknown table 404, with no export audited", async () => {
    const before = await t.prisma.auditEvent.count({ where: { action: "export" } });
    for (const table of ["vms", "hosts", "containers", "verdicts", "findings"]) {
      expect((await get(table, "format=xlsx", tokens.viewer)).status, table).toBe(403);
      const other = await get(table, "format=xlsx", tokens.engineer, ids.other);
      expect(other.status, table).toBe(404);
      expect(await other.text()).toBe("no such customer");
    }
    const unknown = await get("guests", "");
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toMatch(/^no such table: verdicts, findings, hosts, vms, containers/);
    expect(await t.prisma.auditEvent.count({ where: { action: "export" } })).toBe(before);
  });

  it.each([
    ["vms", "columns=name,ramMiB", /^columns: no column "ramMiB" in virtual machines \(columns: name, powerState/],
    ["hosts", "columns=name,,role", /^columns: empty column name/],
    ["containers", "columns=name,name", /^columns: "name" given twice/],
    ["verdicts", "columns=", /^columns: empty column name/],
    ["vms", "format=xls", /^format: "xls" is not one of csv, xlsx/],
    ["vms", "template=maybe", /^invalid filter: template: /],
    ["vms", "sort=ramMiB", /^invalid filter: sort: /],
    ["containers", "privileged=1", /^invalid filter: privileged: /],
    ["findings", "dir=up", /^invalid filter: dir: /],
  ])("%s?%s is a 400 naming the problem, with no export audited", async (table, query, message) => {
    const before = await t.prisma.auditEvent.count({ where: { action: "export" } });
    const response = await get(table, query);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(message);
    expect(await t.prisma.auditEvent.count({ where: { action: "export" } })).toBe(before);
  });
});

describe("audit", () => {
  it("records each export before streaming: table, format, filters, columns, row count", async () => {
    const response = await get("vms", "format=xlsx&powerState=poweredOff&columns=name,host");
    const { rows } = await readBack(response, "xlsx");
    const [event] = await t.prisma.auditEvent.findMany({ where: { action: "export" }, orderBy: { at: "desc" }, take: 1 });
    expect(event).toMatchObject({
      actorId: ids.engineer,
      target: ids.acme,
      detail: { table: "vms", format: "xlsx", columns: ["name", "host"], rows: rows.length, filters: { powerState: "poweredOff", search: "", sort: { column: "name", direction: "asc" } } },
    });
    expect(rows.length).toBe(Math.ceil(VMS / 3));
  });
});

describe("a collection landing during an export", () => {
  // Last: it removes VMs.
  it("reads the table as it was when the export began: a VM removed meanwhile, read already or not yet, is neither lost nor repeated", async () => {
    const query = vmQuery(ids.acme!, vmFilterSchema.parse({}));
    const before = (await t.pool.query<{ id: string }>("SELECT v.id FROM virtual_machine v JOIN source s ON s.id = v.source_id WHERE s.customer_id = $1", [ids.acme!])).rows;
    const seen: string[] = [];
    let removed: string[] = [];
    for await (const row of cursorRows(t.pool, query, 100)) {
      seen.push(row.id);
      if (seen.length === 150) {
        // Mid-export (the second batch streaming), a collection removes a VM already exported and one not yet reached.
        const unseen = before.map((r) => r.id).find((id) => !seen.includes(id))!;
        removed = [seen[0]!, unseen];
        await t.prisma.virtualMachine.deleteMany({ where: { id: { in: removed } } });
      }
    }
    expect(removed).toHaveLength(2);
    expect(seen.length).toBe(before.length);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(removed));
    // And the next export sees the removal.
    const after: string[] = [];
    for await (const row of cursorRows(t.pool, query)) after.push(row.id);
    expect(after.length).toBe(before.length - 2);
    expect(after).not.toContain(removed[1]);
  });

  it("gives its connection back when the reader stops early or never starts", async () => {
    const query = vmQuery(ids.acme!, vmFilterSchema.parse({}));
    // More early stops than the pool has connections: a connection kept by any of them would stall the rest.
    for (let i = 0; i < 12; i++) {
      let n = 0;
      for await (const _ of cursorRows(t.pool, query, 10)) if (++n === 15) break;
      expect(n).toBe(15);
    }
    void cursorRows(t.pool, query); // never read: no connection taken
    expect(t.pool.totalCount - t.pool.idleCount).toBe(0);
    // The connections given back are clean (no transaction left open): a plain query works on each.
    expect((await t.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND datname = current_database()")).rows[0]!.n).toBe(0);
  });
});

/**
 * The customer report over real Postgres (server/report/): its figures are the analysis' figures
 * of the stored inventory, a viewer in scope reads it and another customer's viewer finds nothing,
 * each report is audited, and the anonymised variant holds none of the customer's names, host
 * names, clusters, IPs, MACs or UUIDs (read from the database, not from the report), with the same
 * aliases in every report and a mapping no answer carries.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../../server/api/root";
import type { Viewer } from "../../server/api/trpc";
import { applySnapshot } from "../../server/inventory/ingest";
import { DEFAULT_PARAMETERS, PARAMETER_SOURCES } from "../../server/analysis/parameters";
import { planSummaries } from "../../server/plans/summary";
import { replacer } from "../../server/report/anonymise";
import { smallSnapshot } from "../fixtures/snapshots";
import { createTestDatabase, type TestDatabase } from "./db";
import { refusal } from "./fixtures";

let t: TestDatabase;
let acme: string;
let globex: string;
const admin: Viewer = { id: "admin", role: "admin", scope: { kind: "all" } };
const as = (viewer: Viewer) => createCaller({ database: t, viewer });

/** A snapshot whose names say whose they are: every one of them must go in the anonymised report. */
function acmeSnapshot() {
  const snapshot = smallSnapshot({ vms: 5, containers: 4 });
  snapshot.hosts![0]!.name = "esx01.acme-corp.internal";
  snapshot.hosts![0]!.cluster = "acme-prod-cluster";
  snapshot.hosts![0]!.datacenter = "acme-dc-east";
  snapshot.hosts![0]!.hostname = "esx01.acme-corp.internal";
  snapshot.hosts![0]!.ipAddresses = ["192.168.40.11"];
  snapshot.hosts![0]!.macAddresses = ["00:50:56:9A:11:22"];
  snapshot.hosts![0]!.hardwareUuid = "30393150-3130-4d32-3230-333830344b31";
  snapshot.virtualMachines!.forEach((vm, i) => {
    if (i > 0) vm.name = `acme-payroll-${i}`;
    vm.hostname = `${vm.name}.acme-corp.internal`;
  });
  snapshot.containers!.forEach((c, i) => {
    c.name = `acme-billing-${i}`;
  });
  return snapshot;
}

beforeAll(async () => {
  t = await createTestDatabase();
  acme = (await as(admin).customers.create({ name: "Acme Corporation" })).id;
  const source = (await as(admin).sources.create({ customerId: acme, kind: "vsphere", name: "acme-vcenter", endpoint: "https://vc01.acme-corp.internal/sdk" })).id;
  await applySnapshot(source, acmeSnapshot(), { database: t });
  globex = (await as(admin).customers.create({ name: "Globex" })).id;
  const other = (await as(admin).sources.create({ customerId: globex, kind: "docker", name: "gx", endpoint: "unix:///gx.sock" })).id;
  await applySnapshot(other, smallSnapshot({ vms: 2, containers: 1 }), { database: t });
}, 120_000);
afterAll(async () => {
  await t.drop();
});

/** Every name, address and id of the customer as stored (the test's own reading, not the anonymiser's). */
async function storedOriginals(customerId: string): Promise<string[]> {
  const { rows } = await t.pool.query<{ v: string }>(
    `WITH s AS (SELECT id FROM source WHERE customer_id = $1)
     SELECT name AS v FROM customer WHERE id = $1
     UNION SELECT name FROM source WHERE customer_id = $1
     UNION SELECT unnest(ARRAY[name, hostname, cluster, datacenter, hardware_uuid] || ip_addresses || mac_addresses) FROM host WHERE source_id IN (SELECT id FROM s)
     UNION SELECT unnest(ARRAY[name, hostname, cluster, datacenter, uuid, instance_uuid] || ip_addresses || mac_addresses) FROM virtual_machine WHERE source_id IN (SELECT id FROM s)
     UNION SELECT name FROM container WHERE source_id IN (SELECT id FROM s)
     UNION SELECT id::text FROM host WHERE source_id IN (SELECT id FROM s)
     UNION SELECT id::text FROM virtual_machine WHERE source_id IN (SELECT id FROM s)
     UNION SELECT id::text FROM container WHERE source_id IN (SELECT id FROM s)
     UNION SELECT $1::text`,
    [customerId],
  );
  return rows.map((r) => r.v).filter((v): v is string => !!v);
}

/** Where an original shows in the text as a whole token (case-insensitive); "prod" inside "product" is no leak. */
function leaks(text: string, originals: string[]): string[] {
  const escape = (s: string) => s.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
  return originals.filter((o) => new RegExp(`(?<![A-Za-z0-9_])${escape(o)}(?![A-Za-z0-9_])`, "i").test(text));
}

describe("customer report", () => {
  it("gives the analysis' figures of the stored inventory, the parameters in force and when the data is from", async () => {
    const report = await as(admin).report.get({ customerId: acme });
    const summary = await as(admin).analysis.customer({ customerId: acme });
    const customer = await as(admin).customers.get({ customerId: acme });
    expect(report.customerName).toBe("Acme Corporation");
    expect(report.anonymised).toBe(false);
    expect(report.estate.virtualMachines).toBe(summary.density.totals!.virtualMachines);
    expect(report.estate.vcpusPoweredOn).toBe(summary.density.totals!.vcpusPoweredOn);
    expect(report.estate.physicalHosts).toBe(summary.density.totals!.physicalHosts);
    expect(report.estate.containers).toBe(customer.containers);
    expect(report.estate.hypervisors).toBe(customer.hypervisors);
    expect(report.density.vcpuPerCore).toBe(summary.density.totals!.vcpuPerCore);
    expect(report.waste.ramWasteMiB).toBe(Math.round(summary.waste.totals.ramWasteMiB));
    expect(report.isolation.score).toBe(summary.isolation.score);
    expect(report.verdicts.byVerdict).toEqual(summary.migration.byVerdict);
    // By role: every workload counted once, containers on their own row.
    const workloads = report.verdicts.byRole.reduce((s, r) => s + r.workloads, 0);
    const byVerdict = report.verdicts.byVerdict.reduce((s, v) => s + v.vms + v.containers, 0);
    expect(workloads).toBe(byVerdict);
    expect(report.verdicts.byRole.find((r) => r.role === "container")?.workloads).toBe(4);
    for (const row of report.verdicts.byRole) expect(Object.values(row.verdicts).reduce((s, n) => s + n, 0)).toBe(row.workloads);
    // The data is as of the source's last successful collection.
    const { rows } = await t.pool.query<{ at: Date }>(
      "SELECT max(finished_at) AS at FROM collection_run r JOIN source s ON s.id = r.source_id WHERE s.customer_id = $1 AND r.status = 'succeeded'",
      [acme],
    );
    expect(report.dataAsOf).toBe(rows[0]!.at.toISOString());
    expect(report.sources).toEqual([{ name: "acme-vcenter", kind: "vsphere", lastCollectedAt: rows[0]!.at.toISOString() }]);
    expect(Date.now() - Date.parse(report.preparedAt)).toBeLessThan(60_000);
    // Every scalar parameter with its source; one changed by an administrator says its default.
    expect(report.parameters.map((p) => p.key).sort()).toEqual(Object.keys(PARAMETER_SOURCES).sort());
    expect(report.parameters.every((p) => p.source.length > 0 && p.defaultValue === null)).toBe(true);
    await as(admin).analysis.setParameters({ targetVcpuPerCore: 4 });
    try {
      const changed = await as(admin).report.get({ customerId: acme });
      expect(changed.parameters.find((p) => p.key === "targetVcpuPerCore")).toMatchObject({ value: "4", defaultValue: String(DEFAULT_PARAMETERS.targetVcpuPerCore) });
      expect(changed.density.target.vcpuPerCore).toBe(4);
    } finally {
      await as(admin).analysis.resetParameters();
    }
  });

  it("is read by a viewer in scope, looks missing to another customer's viewer, and is audited", async () => {
    const viewer: Viewer = { id: "v", role: "viewer", scope: { kind: "some", customerIds: [acme] } };
    const outsider: Viewer = { id: "o", role: "viewer", scope: { kind: "some", customerIds: [globex] } };
    const before = await t.pool.query("SELECT count(*)::int AS n FROM audit_event WHERE action = 'report-generated' AND target = $1", [acme]);
    expect((await as(viewer).report.get({ customerId: acme })).customerName).toBe("Acme Corporation");
    expect(await refusal(as(outsider).report.get({ customerId: acme }))).toMatchObject({ code: "NOT_FOUND" });
    expect(await refusal(as(outsider).report.get({ customerId: acme, anonymised: true }))).toMatchObject({ code: "NOT_FOUND" });
    // A customer that does not exist reads the same as one out of scope.
    expect(await refusal(as(admin).report.get({ customerId: "00000000-0000-4000-8000-000000000000" }))).toMatchObject({ code: "NOT_FOUND" });
    const after = await t.pool.query("SELECT count(*)::int AS n, bool_or(detail->>'anonymised' = 'false') AS plain FROM audit_event WHERE action = 'report-generated' AND target = $1", [acme]);
    expect(after.rows[0].n).toBe(before.rows[0].n + 1);
    expect(after.rows[0].plain).toBe(true);
    // Nothing was aliased for the refused calls.
    expect((await t.pool.query("SELECT count(*)::int AS n FROM anonymised_name WHERE customer_id = $1", [acme])).rows[0].n).toBe(0);
  });

  it("anonymised: no original name, host name, cluster, IP, MAC or UUID of the customer is left", async () => {
    const plain = await as(admin).report.get({ customerId: acme });
    const anonymised = await as(admin).report.get({ customerId: acme, anonymised: true });
    expect(anonymised.anonymised).toBe(true);
    expect(anonymised.customerName).toBe("Customer A");
    const originals = await storedOriginals(acme);
    expect(originals).toEqual(expect.arrayContaining(["Acme Corporation", "acme-payroll-1", "192.168.40.11", "00:50:56:9a:11:22", "acme-prod-cluster"]));
    const text = JSON.stringify(anonymised);
    expect(leaks(text, originals)).toEqual([]);
    // Stricter still for the longer ones: not even inside another word.
    expect(originals.filter((o) => o.length >= 6 && text.toLowerCase().includes(o.toLowerCase()))).toEqual([]);
    // The plain report did hold them (a near miss: the test would see a leak).
    expect(leaks(JSON.stringify(plain), originals)).toEqual(expect.arrayContaining(["Acme Corporation", "acme-prod-cluster"]));
    // The aliases take the originals' places, and the figures stay.
    expect(anonymised.density.clusters.map((c) => c.cluster)).toEqual(["cluster-01"]);
    expect(anonymised.sources[0]!.name).toBe("source-01");
    expect(anonymised.estate).toEqual(plain.estate);
    expect(anonymised.verdicts.byVerdict).toEqual(plain.verdicts.byVerdict);
    expect(anonymised.parameters).toEqual(plain.parameters);
    expect(anonymised.verdicts.topMoves.length).toBeGreaterThan(0);
    for (const move of anonymised.verdicts.topMoves) expect(move.name).toMatch(/^(vm|container|host)-\d+$/);
    // The mapping is in Postgres, for this customer only, and no answer carries it.
    const { rows } = await t.pool.query<{ kind: string; original: string; alias: string }>("SELECT kind, original, alias FROM anonymised_name WHERE customer_id = $1", [acme]);
    expect(rows.find((r) => r.original === "192.168.40.11")?.alias).toMatch(/^ip-\d{4}$/);
    expect(rows.find((r) => r.original === "00:50:56:9a:11:22")?.alias).toMatch(/^mac-\d{4}$/);
    expect(rows.find((r) => r.kind === "customer")?.alias).toBe("Customer A");
    expect(text).not.toContain('"original"');
  });

  it("gives the same aliases in every report, and new originals new aliases", async () => {
    const first = await as(admin).report.get({ customerId: acme, anonymised: true });
    const before = (await t.pool.query("SELECT kind, original, alias FROM anonymised_name WHERE customer_id = $1 ORDER BY kind, original", [acme])).rows;
    const second = await as(admin).report.get({ customerId: acme, anonymised: true });
    const { preparedAt: _a, ...a } = first;
    const { preparedAt: _b, ...b } = second;
    expect(b).toEqual(a);
    // Two at once agree too (one writer per customer).
    const [x, y] = await Promise.all([as(admin).report.get({ customerId: acme, anonymised: true }), as(admin).report.get({ customerId: acme, anonymised: true })]);
    expect({ ...x, preparedAt: "" }).toEqual({ ...y, preparedAt: "" });
    const after = (await t.pool.query("SELECT kind, original, alias FROM anonymised_name WHERE customer_id = $1 ORDER BY kind, original", [acme])).rows;
    expect(after).toEqual(before);
    // Another customer's aliases start at their own beginning.
    const other = await as(admin).report.get({ customerId: globex, anonymised: true });
    expect(other.customerName).toBe("Customer A");
    expect(leaks(JSON.stringify(other), await storedOriginals(globex))).toEqual([]);
  });

  it("holds the plans' waves and savings as the plans compute them, their owners and names anonymised too", async () => {
    const empty = await as(admin).report.get({ customerId: acme });
    expect(empty.plans).toEqual([]);
    const { rows: [plan] } = await t.pool.query<{ id: string }>("INSERT INTO migration_plan (customer_id, name) VALUES ($1, 'Acme Corporation phase 1') RETURNING id", [acme]);
    const { rows: [wave] } = await t.pool.query<{ id: string }>(
      "INSERT INTO migration_wave (plan_id, position, name, owner, target_date, status) VALUES ($1, 0, 'acme-payroll first', 'Jane Roe', '2027-01-15', 'in_progress') RETURNING id",
      [plan!.id],
    );
    await t.pool.query(
      `INSERT INTO migration_wave_workload (wave_id, plan_id, kind, object_id, object_name, target)
       SELECT $1, $2, 'vm', v.id, v.name, 'container' FROM virtual_machine v JOIN source s ON s.id = v.source_id
        WHERE s.customer_id = $3 AND v.name IN ('acme-payroll-3', 'acme-payroll-4')`,
      [wave!.id, plan!.id, acme],
    );
    try {
      const report = await as(admin).report.get({ customerId: acme });
      const [summary] = await planSummaries(t, acme);
      expect(report.plans).toHaveLength(1);
      expect(report.plans[0]).toMatchObject({ name: "Acme Corporation phase 1", totals: summary!.totals, splitDependencies: summary!.splitDependencies });
      expect(report.plans[0]!.waves).toEqual([
        { name: "acme-payroll first", owner: "Jane Roe", targetDate: summary!.waves[0]!.targetDate, status: "in_progress", workloads: 2, totals: summary!.waves[0]!.totals },
      ]);
      expect(report.plans[0]!.totals.ramMiB).toBeGreaterThan(0);
      const anonymised = await as(admin).report.get({ customerId: acme, anonymised: true });
      expect(anonymised.plans[0]!.name).toBe("Customer A phase 1");
      expect(anonymised.plans[0]!.waves[0]!.owner).toMatch(/^person-\d+$/);
      expect(anonymised.plans[0]!.waves[0]!.status).toBe("in_progress");
      expect(anonymised.plans[0]!.totals).toEqual(report.plans[0]!.totals);
      expect(leaks(JSON.stringify(anonymised), [...(await storedOriginals(acme)), "Jane Roe"])).toEqual([]);
    } finally {
      await t.pool.query("DELETE FROM migration_plan WHERE id = $1", [plan!.id]);
    }
  });

  it("says when nothing has been collected yet, with empty figures rather than an error", async () => {
    const empty = (await as(admin).customers.create({ name: "Empty Ltd" })).id;
    const report = await as(admin).report.get({ customerId: empty });
    expect(report).toMatchObject({ customerName: "Empty Ltd", dataAsOf: null, sources: [], plans: [] });
    expect(report.estate.virtualMachines).toBe(0);
    expect(report.isolation.score).toBeNull();
    expect(report.verdicts.byRole).toEqual([]);
    const anonymised = await as(admin).report.get({ customerId: empty, anonymised: true });
    expect(anonymised.customerName).toBe("Customer A");
    expect(JSON.stringify(anonymised)).not.toContain("Empty Ltd");
  });

  it("replaces names inside free text, whole names only, longest first, and any address or id it meets", () => {
    const originals = [
      { kind: "vm" as const, original: "app1" },
      { kind: "hostname" as const, original: "app1.acme.local" },
      { kind: "customer" as const, original: "Acme" },
    ];
    const aliases = new Map([
      ["vm\u0000app1", "vm-0001"],
      ["hostname\u0000app1.acme.local", "hostname-0001"],
      ["customer\u0000Acme", "Customer A"],
      ["ip\u000010.1.2.3", "ip-0001"],
      ["uuid\u0000421a0000-1111-2222-3333-444455556666", "uuid-0001"],
    ]);
    const replace = replacer(originals, aliases);
    expect(replace("app1.acme.local talks to APP1 of Acme at 10.1.2.3 (421A0000-1111-2222-3333-444455556666)")).toBe(
      "hostname-0001 talks to vm-0001 of Customer A at ip-0001 (uuid-0001)",
    );
    // Not inside another word, and a version is not an address.
    expect(replace("app10 and Acmes run 1.2.3")).toBe("app10 and Acmes run 1.2.3");
    // An address with no alias is never shown as it is.
    expect(replace("from 10.9.9.9")).toBe("from [redacted]");
  });
});

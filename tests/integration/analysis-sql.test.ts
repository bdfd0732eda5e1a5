/**
 * The density and waste figures the dashboard shows (computed in TypeScript by analyse() over the
 * inventory loadInventory() reads) against an independent computation of the same figures in SQL,
 * written from the definitions in the doc comments of server/analysis/density.ts and waste.ts, over
 * the whole demo fleet. Only the model input (the default OS footprint table) is shared with the
 * code; every figure is computed here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_CUSTOMERS } from "../../server/collectors/demo/fleet";
import { seedDemoFleet } from "../../server/demo/seed";
import { customerAnalysis, loadInventory } from "../../server/analysis/load";
import { linkEngineHosts } from "../../server/analysis/inventory";
import { DEFAULT_OS_FOOTPRINTS } from "../../server/analysis/parameters";
import { createTestDatabase, type TestDatabase } from "./db";

const TARGET_VCPU_PER_CORE = 6;
const TARGET_VRAM_PER_PRAM = 1;

let t: TestDatabase;
let customers: { id: string; name: string }[];

beforeAll(async () => {
  t = await createTestDatabase();
  expect(await seedDemoFleet(t)).toBe(true);
  customers = await t.prisma.customer.findMany({ orderBy: { name: "asc" }, select: { id: true, name: true } });
});

afterAll(async () => {
  await t?.drop();
});

type Row = Record<string, unknown>;

async function sql<T = Row>(text: string, values: unknown[]): Promise<T[]> {
  return (await t.pool.query(text, values)).rows as T[];
}

/** The customer's rows of one inventory table. */
const OF_CUSTOMER = (table: string, alias: string) =>
  `SELECT ${alias}.* FROM ${table} ${alias} JOIN source s ON s.id = ${alias}.source_id WHERE s.customer_id = $1`;

/**
 * Density figures per physical host (hypervisors, and engine hosts in no known VM) and for the
 * customer (every VM and container of the customer, placed or not). Ratios rounded to 2 decimals
 * the way the code does (half up on the double), null when the denominator is 0.
 */
const DENSITY_SQL = `
WITH h AS (${OF_CUSTOMER("host", "h")}),
     vm AS (${OF_CUSTOMER("virtual_machine", "v")}),
     ct AS (${OF_CUSTOMER("container", "c")}),
     engine_vm AS (SELECT DISTINCT vm_id FROM h WHERE vm_id IS NOT NULL),
     physical AS (SELECT id, cpu_cores, memory_mib FROM h WHERE role = 'hypervisor' OR vm_id IS NULL),
     vm_figures AS (
       SELECT vm.*,
              (NOT template AND power_state = 'poweredOn') AS is_on,
              (NOT template AND power_state IN ('poweredOff', 'suspended')) AS is_off
         FROM vm),
     ct_placed AS (
       -- An engine host's containers land on the hypervisor of the VM it runs in (host.vm_id),
       -- or on the engine host itself when it is in no known VM.
       SELECT ct.*, CASE WHEN e.role = 'hypervisor' OR e.vm_id IS NULL THEN e.id ELSE ev.host_id END AS physical_id
         FROM ct JOIN h e ON e.id = ct.host_id LEFT JOIN vm ev ON ev.id = e.vm_id),
     vm_agg AS (
       SELECT host_id AS physical_id, GROUPING(host_id) AS total,
              count(*) AS virtual_machines,
              count(*) FILTER (WHERE is_on) AS vms_on,
              count(*) FILTER (WHERE is_off) AS vms_off,
              count(*) FILTER (WHERE template) AS templates,
              coalesce(sum(vcpus) FILTER (WHERE is_on), 0) AS vcpus_on,
              coalesce(sum(memory_mib) FILTER (WHERE is_on), 0) AS vm_memory_on,
              count(*) FILTER (WHERE is_on AND id NOT IN (SELECT vm_id FROM engine_vm)) AS vm_workloads
         FROM vm_figures GROUP BY GROUPING SETS ((host_id), ())),
     ct_agg AS (
       SELECT physical_id, GROUPING(physical_id) AS total,
              count(*) AS containers,
              count(*) FILTER (WHERE state = 'running') AS running,
              count(*) FILTER (WHERE memory_limit_bytes = 0) AS unbounded,
              coalesce(sum(memory_limit_bytes::numeric / 1048576) FILTER (WHERE memory_limit_bytes <> 0), 0)::float8 AS limit_mib
         FROM ct_placed GROUP BY GROUPING SETS ((physical_id), ())),
     -- The customer: its physical hosts, and every VM and container it has, placed on one or not
     -- (the grand-total rows of the grouping sets).
     vm_all AS (SELECT * FROM vm_agg WHERE total = 1),
     ct_all AS (SELECT * FROM ct_agg WHERE total = 1),
     per_host AS (
       SELECT p.id, 1::bigint AS physical_hosts, p.cpu_cores::bigint AS cores, p.memory_mib AS memory,
              v.virtual_machines, v.vms_on, v.vms_off, v.templates, v.vcpus_on, v.vm_memory_on, v.vm_workloads,
              c.containers, c.running, c.unbounded, c.limit_mib
         FROM physical p
         LEFT JOIN vm_agg v ON v.total = 0 AND v.physical_id = p.id
         LEFT JOIN ct_agg c ON c.total = 0 AND c.physical_id = p.id
       UNION ALL
       SELECT NULL::uuid, (SELECT count(*) FROM physical), (SELECT coalesce(sum(cpu_cores), 0) FROM physical),
              (SELECT coalesce(sum(memory_mib), 0) FROM physical),
              v.virtual_machines, v.vms_on, v.vms_off, v.templates, v.vcpus_on, v.vm_memory_on, v.vm_workloads,
              c.containers, c.running, c.unbounded, c.limit_mib
         FROM (SELECT 1) one LEFT JOIN vm_all v ON true LEFT JOIN ct_all c ON true),
     filled AS (
       SELECT id, physical_hosts, cores, memory,
              coalesce(virtual_machines, 0) AS virtual_machines, coalesce(vms_on, 0) AS vms_on,
              coalesce(vms_off, 0) AS vms_off, coalesce(templates, 0) AS templates,
              coalesce(vcpus_on, 0) AS vcpus_on, coalesce(vm_memory_on, 0) AS vm_memory_on,
              coalesce(containers, 0) AS containers, coalesce(running, 0) AS running,
              coalesce(unbounded, 0) AS unbounded, coalesce(limit_mib, 0) AS limit_mib,
              coalesce(vm_workloads, 0) + coalesce(running, 0) AS workloads
         FROM per_host),
     rows AS (
       SELECT *,
              CASE WHEN cores > 0 THEN floor(vcpus_on::float8 / cores * 100 + 0.5) / 100 END AS vcpu_per_core,
              CASE WHEN memory > 0 THEN floor(vm_memory_on::float8 / memory * 100 + 0.5) / 100 END AS vram_per_pram,
              CASE WHEN physical_hosts > 0 THEN floor(workloads::float8 / physical_hosts * 100 + 0.5) / 100 END AS consolidation
         FROM filled r),
     flagged AS (
       SELECT *, (coalesce(vcpu_per_core > $2, false) OR coalesce(vram_per_pram > $3, false)) AS over_target FROM rows)
SELECT id,
       physical_hosts::int AS "physicalHosts",
       CASE WHEN id IS NULL THEN (SELECT count(*) FROM flagged f WHERE f.id IS NOT NULL AND f.over_target)
            ELSE over_target::int END::int AS "hostsOverTarget",
       cores::int AS "physicalCores", memory::float8 AS "physicalMemoryMiB",
       virtual_machines::int AS "virtualMachines", vms_on::int AS "vmsPoweredOn", vms_off::int AS "vmsPoweredOff",
       templates::int AS templates, vcpus_on::int AS "vcpusPoweredOn", vm_memory_on::float8 AS "vmMemoryMiBPoweredOn",
       containers::int AS containers, running::int AS "containersRunning", unbounded::int AS "containersUnbounded",
       limit_mib::float8 AS "containerMemoryLimitMiB", workloads::int AS workloads,
       vcpu_per_core AS "vcpuPerCore", vram_per_pram AS "vramPerPram", consolidation
  FROM flagged`;

/**
 * OS copies per customer and OS label over non-template VMs, with page sharing spread per host over
 * the OS groups in proportion to their RAM copies there, capped at the group's duplicate. Figures per
 * group rounded to 2 decimals, as the code shows them.
 */
const WASTE_SQL = `
WITH fp(ord, label, pattern, ram, disk) AS (SELECT * FROM unnest($2::int[], $3::text[], $4::text[], $5::float8[], $6::float8[])),
     h AS (${OF_CUSTOMER("host", "h")}),
     vm AS (SELECT v.* FROM (${OF_CUSTOMER("virtual_machine", "v")}) v WHERE NOT v.template),
     matched AS (
       SELECT vm.id, vm.host_id, vm.power_state, vm.memory_mib, vm.provisioned_mib, m.label, m.ram, m.disk
         FROM vm
         LEFT JOIN LATERAL (
           -- The first text (reported, id, configured) that matches any pattern; in it, the first pattern.
           SELECT fp.label, fp.ram, fp.disk
             FROM unnest(ARRAY[vm.guest_os_reported, vm.guest_os_id, vm.guest_os_configured]) WITH ORDINALITY AS txt(value, n)
             JOIN fp ON txt.value ~* fp.pattern
            ORDER BY txt.n, fp.ord
            LIMIT 1) m ON true),
     copies AS (
       SELECT id, host_id, label, power_state,
              ram, disk,
              CASE WHEN power_state = 'poweredOn' THEN least(ram, memory_mib) ELSE 0 END AS ram_copy,
              CASE WHEN provisioned_mib IS NULL THEN disk ELSE least(disk, provisioned_mib) END AS disk_copy
         FROM matched WHERE label IS NOT NULL),
     sharing AS (
       SELECT id, memory_shared_mib FROM h
        WHERE memory_sharing IN ('tps', 'ksm') AND memory_shared_mib IS NOT NULL),
     host_group AS (
       SELECT c.host_id, c.label, sum(c.ram_copy) AS ram
         FROM copies c JOIN sharing s ON s.id = c.host_id
        WHERE c.ram_copy > 0
        GROUP BY c.host_id, c.label),
     host_total AS (
       SELECT hg.host_id, sum(hg.ram) AS total, least(s.memory_shared_mib, sum(hg.ram)) AS shared
         FROM host_group hg JOIN sharing s ON s.id = hg.host_id
        GROUP BY hg.host_id, s.memory_shared_mib),
     group_shared AS (
       SELECT hg.label, sum(ht.shared * hg.ram / ht.total) AS shared
         FROM host_group hg JOIN host_total ht ON ht.host_id = hg.host_id
        GROUP BY hg.label),
     groups AS (
       SELECT label, count(*) AS vms, count(*) FILTER (WHERE power_state = 'poweredOn') AS powered_on,
              sum(ram_copy) - max(ram_copy) AS ram_dup, sum(disk_copy) - max(disk_copy) AS disk_waste,
              count(*) FILTER (WHERE power_state = 'poweredOn' AND ram_copy < ram) AS ram_capped,
              count(*) FILTER (WHERE disk_copy < disk) AS disk_capped
         FROM copies GROUP BY label)
SELECT g.label AS os, g.vms::int AS "virtualMachines", g.powered_on::int AS "poweredOn",
       round(g.ram_dup::numeric, 2)::float8 AS "ramDuplicateMiB",
       round(least(g.ram_dup, coalesce(gs.shared, 0))::numeric, 2)::float8 AS "ramSharedMiB",
       round((g.ram_dup - least(g.ram_dup, coalesce(gs.shared, 0)))::numeric, 2)::float8 AS "ramWasteMiB",
       round(g.disk_waste::numeric, 2)::float8 AS "diskWasteMiB",
       g.ram_capped::int AS ram_capped, g.disk_capped::int AS disk_capped,
       (SELECT count(*) FROM matched)::int AS counted,
       (SELECT count(*) FROM matched WHERE label IS NULL)::int AS unknown
  FROM groups g LEFT JOIN group_shared gs ON gs.label = g.label
 ORDER BY g.label`;

/** Layer sharing per engine host, and the same image (by identity) on several hosts of the customer. */
const IMAGES_SQL = `
WITH img AS (${OF_CUSTOMER("image", "i")}),
     img_layer AS (
       SELECT i.id AS image_id, i.host_id, l.digest, l.size_bytes, x.position
         FROM img i JOIN image_layer x ON x.image_id = i.id JOIN layer l ON l.id = x.layer_id),
     bare AS (SELECT * FROM img WHERE NOT EXISTS (SELECT 1 FROM image_layer x WHERE x.image_id = img.id)),
     host_digest AS (
       SELECT host_id, digest, min(size_bytes) AS size_bytes, count(DISTINCT size_bytes) AS sizes
         FROM img_layer GROUP BY host_id, digest),
     identity AS (
       SELECT i.id, i.host_id, i.size_bytes,
              coalesce('digest:' || nullif((SELECT split_part(d.value, '@', 2)
                                               FROM unnest(i.repo_digests) WITH ORDINALITY AS d(value, n)
                                              WHERE strpos(d.value, '@') > 0 ORDER BY d.n LIMIT 1), ''),
                       'layers:' || (SELECT string_agg(il.digest, ',' ORDER BY il.position) FROM img_layer il WHERE il.image_id = i.id),
                       'id:' || i.external_id) AS identity
         FROM img i),
     same_image AS (
       SELECT identity, count(DISTINCT host_id) AS hosts, count(*) AS images,
              (array_agg(size_bytes ORDER BY id))[1] AS first_size, min(size_bytes) AS min_size, max(size_bytes) AS max_size
         FROM identity GROUP BY identity)
SELECT (coalesce((SELECT sum(size_bytes) FROM img_layer), 0) + coalesce((SELECT sum(size_bytes) FROM bare), 0))::text AS unshared,
       (coalesce((SELECT sum(size_bytes) FROM host_digest), 0) + coalesce((SELECT sum(size_bytes) FROM bare), 0))::text AS stored,
       coalesce((SELECT sum((hosts - 1) * first_size) FROM same_image WHERE hosts > 1), 0)::text AS cross_host,
       (SELECT count(*) FROM same_image WHERE hosts > 1)::int AS duplicated_images,
       (SELECT count(*) FROM same_image WHERE hosts > 1 AND min_size <> max_size)::int AS groups_with_different_sizes,
       (SELECT count(*) FROM same_image WHERE images <> hosts)::int AS groups_twice_on_a_host,
       (SELECT count(*) FROM host_digest WHERE sizes > 1)::int AS digests_with_different_sizes,
       (SELECT count(*) FROM img)::int AS images`;

const DENSITY_FIGURES = [
  "physicalHosts",
  "hostsOverTarget",
  "physicalCores",
  "physicalMemoryMiB",
  "virtualMachines",
  "vmsPoweredOn",
  "vmsPoweredOff",
  "templates",
  "vcpusPoweredOn",
  "vmMemoryMiBPoweredOn",
  "containers",
  "containersRunning",
  "containersUnbounded",
  "containerMemoryLimitMiB",
  "workloads",
  "vcpuPerCore",
  "vramPerPram",
  "consolidation",
] as const;

const WASTE_FIGURES = ["ramDuplicateMiB", "ramSharedMiB", "ramWasteMiB", "diskWasteMiB"] as const;

/** Same value: exact for counts, 1e-6 relative for sums of floats, `tolerance` for rounded figures. */
function same(sqlValue: unknown, tsValue: unknown, tolerance = 0): boolean {
  if (sqlValue === null || tsValue === null || sqlValue === undefined || tsValue === undefined) return sqlValue == tsValue;
  const a = Number(sqlValue);
  const b = Number(tsValue);
  return Math.abs(a - b) <= Math.max(tolerance, 1e-6 * Math.max(1, Math.abs(a)));
}

describe("analysis figures against SQL", () => {
  it("the demo fleet's density and waste totals equal an independent SQL computation of the same figures", async () => {
    expect(customers.map((c) => c.name)).toEqual(DEMO_CUSTOMERS.map((c) => c.name).sort());
    const mismatches: string[] = [];
    const notes: string[] = [];
    const summary: Record<string, Row> = {};
    const footprints = [
      DEFAULT_OS_FOOTPRINTS.map((_, i) => i),
      DEFAULT_OS_FOOTPRINTS.map((f) => f.label),
      DEFAULT_OS_FOOTPRINTS.map((f) => f.match),
      DEFAULT_OS_FOOTPRINTS.map((f) => f.ramMiB),
      DEFAULT_OS_FOOTPRINTS.map((f) => f.diskMiB),
    ];

    for (const customer of customers) {
      const { analysis } = await customerAnalysis(t, customer.id);
      const differs = (what: string, sqlValue: unknown, tsValue: unknown) =>
        mismatches.push(`${customer.name}: ${what}: SQL ${String(sqlValue)} vs TS ${String(tsValue)}`);

      // Density, per physical host and for the customer.
      const density = await sql(DENSITY_SQL, [customer.id, TARGET_VCPU_PER_CORE, TARGET_VRAM_PER_PRAM]);
      const customerRow = density.find((r) => r.id === null)!;
      const hostRows = density.filter((r) => r.id !== null);
      const tsCustomer = analysis.density.customers;
      if (tsCustomer.length !== 1) differs("density customers", 1, tsCustomer.length);
      for (const figure of DENSITY_FIGURES) {
        if (!same(customerRow[figure], tsCustomer[0]?.[figure])) differs(`density.${figure}`, customerRow[figure], tsCustomer[0]?.[figure]);
      }
      const tsHosts = new Map(analysis.density.hosts.map((h) => [h.hostKey, h]));
      const sqlHostIds = hostRows.map((r) => String(r.id)).sort();
      const tsHostIds = [...tsHosts.keys()].sort();
      if (JSON.stringify(sqlHostIds) !== JSON.stringify(tsHostIds)) differs("density physical host ids", sqlHostIds.join(","), tsHostIds.join(","));
      for (const row of hostRows) {
        const ts = tsHosts.get(String(row.id));
        if (!ts) continue;
        for (const figure of DENSITY_FIGURES) {
          if (!same(row[figure], ts[figure])) differs(`density host ${ts.hostName}.${figure}`, row[figure], ts[figure]);
        }
        if (Boolean(row.hostsOverTarget) !== ts.overTarget) differs(`density host ${ts.hostName}.overTarget`, row.hostsOverTarget, ts.overTarget);
      }

      // Waste: OS copies per OS label, and the totals.
      const byOs = await sql(WASTE_SQL, [customer.id, ...footprints]);
      const tsByOs = new Map(analysis.waste.byOs.map((o) => [o.os, o]));
      const sqlLabels = byOs.map((r) => String(r.os)).sort();
      const tsLabels = [...tsByOs.keys()].sort();
      if (JSON.stringify(sqlLabels) !== JSON.stringify(tsLabels)) differs("waste OS labels", sqlLabels.join(","), tsLabels.join(","));
      for (const row of byOs) {
        const ts = tsByOs.get(String(row.os));
        if (!ts) continue;
        if (ts.customer !== customer.id) differs(`waste ${ts.os}.customer`, customer.id, ts.customer);
        for (const figure of ["virtualMachines", "poweredOn"] as const) {
          if (!same(row[figure], ts[figure])) differs(`waste ${ts.os}.${figure}`, row[figure], ts[figure]);
        }
        for (const figure of WASTE_FIGURES) {
          if (!same(row[figure], ts[figure], 0.01)) differs(`waste ${ts.os}.${figure}`, row[figure], ts[figure]);
        }
      }
      const totals = analysis.waste.totals;
      const sumOf = (figure: (typeof WASTE_FIGURES)[number]) => Math.round(byOs.reduce((a, r) => a + Number(r[figure]), 0) * 100) / 100;
      const vmCount = await sql<{ counted: number; unknown: number }>(
        `SELECT count(*)::int AS counted, count(*) FILTER (WHERE NOT EXISTS (
                  SELECT 1 FROM unnest(ARRAY[v.guest_os_reported, v.guest_os_id, v.guest_os_configured]) txt(value)
                    JOIN unnest($2::text[]) p(pattern) ON txt.value ~* p.pattern))::int AS unknown
           FROM virtual_machine v JOIN source s ON s.id = v.source_id
          WHERE s.customer_id = $1 AND NOT v.template`,
        [customer.id, footprints[2]],
      );
      const sqlTotals: Row = {
        nonTemplateVms: vmCount[0]!.counted,
        unknownOs: vmCount[0]!.unknown,
        ramDuplicateMiB: sumOf("ramDuplicateMiB"),
        ramSharedMiB: sumOf("ramSharedMiB"),
        ramWasteMiB: sumOf("ramWasteMiB"),
        diskWasteMiB: sumOf("diskWasteMiB"),
      };
      if (byOs.length > 0 && (byOs[0]!.counted !== vmCount[0]!.counted || byOs[0]!.unknown !== vmCount[0]!.unknown)) {
        differs("waste VM counts (two SQL ways)", `${String(byOs[0]!.counted)}/${String(byOs[0]!.unknown)}`, `${vmCount[0]!.counted}/${vmCount[0]!.unknown}`);
      }
      if (!same(sqlTotals.nonTemplateVms, totals.virtualMachines)) differs("waste.totals.virtualMachines", sqlTotals.nonTemplateVms, totals.virtualMachines);
      if (!same(sqlTotals.unknownOs, totals.unknownOs)) differs("waste.totals.unknownOs", sqlTotals.unknownOs, totals.unknownOs);
      for (const figure of WASTE_FIGURES) {
        if (!same(sqlTotals[figure], totals[figure], 0.01)) differs(`waste.totals.${figure}`, sqlTotals[figure], totals[figure]);
      }

      // Images: layer sharing per host, and the same image on several hosts.
      const [images] = await sql(IMAGES_SQL, [customer.id]);
      const unshared = Number(images!.unshared);
      const stored = Number(images!.stored);
      const layerFigures: [keyof typeof totals, number][] = [
        ["imageBytesUnshared", unshared],
        ["imageBytesStored", stored],
        ["layerSharingSavedBytes", unshared - stored],
        ["crossHostDuplicateBytes", Number(images!.cross_host)],
      ];
      for (const [figure, value] of layerFigures) {
        if (value !== totals[figure]) differs(`waste.totals.${figure}`, value, totals[figure]);
      }
      if (images!.groups_with_different_sizes !== 0) notes.push(`${customer.name}: ${String(images!.groups_with_different_sizes)} duplicated image(s) with different sizes per host`);
      if (images!.groups_twice_on_a_host !== 0) notes.push(`${customer.name}: ${String(images!.groups_twice_on_a_host)} image identity(ies) more than once on one host`);
      if (images!.digests_with_different_sizes !== 0) notes.push(`${customer.name}: a layer digest with two sizes on one host`);

      const [engines] = await sql(
        `SELECT count(*) FILTER (WHERE h.vm_id IS NOT NULL)::int AS in_vms, count(*) FILTER (WHERE h.vm_id IS NULL)::int AS bare_metal
           FROM host h JOIN source s ON s.id = h.source_id WHERE s.customer_id = $1 AND h.role = 'container-engine'`,
        [customer.id],
      );
      summary[customer.name] = {
        engineHostsInVms: engines!.in_vms,
        bareMetalEngineHosts: engines!.bare_metal,
        ...Object.fromEntries(DENSITY_FIGURES.map((f) => [f, customerRow[f]])),
        ...sqlTotals,
        ...Object.fromEntries(layerFigures),
        /** Copies where the VM's own memory or provisioned disk caps the footprint. */
        ramCopiesCapped: byOs.reduce((a, r) => a + Number(r.ram_capped), 0),
        diskCopiesCapped: byOs.reduce((a, r) => a + Number(r.disk_capped), 0),
        duplicatedImages: images!.duplicated_images,
        images: images!.images,
        osGroups: byOs.length,
      };
    }

    // The SQL figures per customer, shown when something differs or looks odd in the data.
    if (mismatches.length > 0 || notes.length > 0) console.info(JSON.stringify({ summary, notes }, null, 1));
    expect(mismatches).toEqual([]);

    // The comparison is not vacuous: every demo customer has load, and the fleet has page sharing,
    // shared layers, images on several hosts, containers inside VMs and hosts over target.
    const all = Object.values(summary);
    expect(all).toHaveLength(DEMO_CUSTOMERS.length);
    for (const s of all) {
      expect(s.vmsPoweredOn).toBeGreaterThan(0);
      expect(s.physicalHosts).toBeGreaterThan(0);
      expect(s.ramDuplicateMiB).toBeGreaterThan(0);
      expect(s.diskWasteMiB).toBeGreaterThan(0);
    }
    expect(all.some((s) => Number(s.ramSharedMiB) > 0)).toBe(true);
    expect(all.some((s) => Number(s.layerSharingSavedBytes) > 0)).toBe(true);
    expect(all.some((s) => Number(s.crossHostDuplicateBytes) > 0)).toBe(true);
    expect(all.some((s) => Number(s.containersRunning) > 0 && Number(s.containersUnbounded) > 0)).toBe(true);
    expect(all.some((s) => Number(s.vmsPoweredOff) > 0 && Number(s.templates) > 0)).toBe(true);
    expect(all.some((s) => Number(s.engineHostsInVms) > 0)).toBe(true);
    expect(all.some((s) => Number(s.hostsOverTarget) > 0)).toBe(true);
  });

  it("links engine hosts to VMs in TypeScript (the analyse CLI) exactly as SQL does at ingest", async () => {
    let linked = 0;
    for (const customer of customers) {
      const inventory = await loadInventory(t, [customer.id]);
      const stored = inventory.hosts.map((h) => [h.name, h.vmKey, h.vmLinkKey]);
      linkEngineHosts(inventory);
      expect(inventory.hosts.map((h) => [h.name, h.vmKey, h.vmLinkKey])).toEqual(stored);
      linked += inventory.hosts.filter((h) => h.vmKey !== null).length;
    }
    expect(linked).toBeGreaterThan(10);
  });
});

/**
 * The footprint patterns and the never-Linux list read alike in PostgreSQL (`~*`, as the SQL check
 * of the waste figures, analysis-sql.test.ts, matches them) and in JavaScript (footprintOf): the same
 * OS texts give the same family and the same row, on a real PostgreSQL. A `\b` in a pattern (a word
 * boundary in JavaScript, a backspace in PostgreSQL) or a class PostgreSQL folds differently shows here.
 */
import { describe, expect, it } from "vitest";
import { OS_TABLE, type OsDef } from "../../server/collectors/demo/catalogue";
import { Rng } from "../../server/collectors/demo/random";
import { compileFootprints, DEFAULT_OS_FOOTPRINTS, footprintOf } from "../../server/analysis/parameters";
import { familyOfText, LINUX_MATCH, NEVER_LINUX, osFamilyOf, WINDOWS_MATCH } from "../../server/inventory/os-identity";
import { onServer } from "./db";

/** footprintOf and osFamilyOf written in SQL from their doc comments. */
const FOOTPRINT_SQL = `
WITH fp(ord, label, family, pattern) AS (SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[])),
     never(pattern) AS (SELECT unnest($5::text[])),
     vm(n, reported, id, configured) AS (SELECT * FROM unnest($6::int[], $7::text[], $8::text[], $9::text[])),
     txt AS (
       SELECT vm.n, t.value, t.k,
              EXISTS (SELECT 1 FROM never WHERE t.value ~* never.pattern) AS not_linux,
              CASE WHEN EXISTS (SELECT 1 FROM never WHERE t.value ~* never.pattern) THEN 'other'
                   WHEN t.value ~* $10 THEN 'windows'
                   WHEN t.value ~* $11 THEN 'linux' END AS family
         FROM vm, unnest(ARRAY[vm.reported, vm.id, vm.configured]) WITH ORDINALITY AS t(value, k)
        WHERE t.value IS NOT NULL),
     vm_family AS (SELECT DISTINCT ON (n) n, family FROM txt WHERE family IS NOT NULL ORDER BY n, k)
SELECT vm.n, coalesce(vf.family, 'unknown') AS family, m.label
  FROM vm
  LEFT JOIN vm_family vf ON vf.n = vm.n
  LEFT JOIN LATERAL (
    SELECT fp.label FROM txt JOIN fp ON txt.value ~* fp.pattern
     WHERE txt.n = vm.n AND (vf.family IS NULL OR fp.family = vf.family) AND NOT (txt.not_linux AND fp.family = 'linux')
     ORDER BY txt.k, fp.ord LIMIT 1) m ON true
 ORDER BY vm.n`;

type Texts = [string | null, string | null, string | null];

/** Guests as vSphere, libvirt and the guest tools name them: the demo catalogue's, and the hard cases. */
function corpus(): Texts[] {
  const cases: Texts[] = [
    ["Oracle Solaris 11 (64-bit)", "solaris11_64Guest", "Oracle Solaris 11 (64-bit)"],
    [null, "http://oracle.com/solaris/11", null],
    ["Oracle Linux Server 9.3", "oracleLinux9_64Guest", "Oracle Linux 9 (64-bit)"],
    [null, "http://oracle.com/ol/9.2", null],
    ["Red Hat Enterprise Linux 9.4 (Plow)", "solaris11_64Guest", "Oracle Solaris 11 (64-bit)"],
    ["Oracle Solaris 11.4", "oracleLinux9_64Guest", "Oracle Linux 9 (64-bit)"],
    [null, "darwin20_64Guest", "Apple macOS 11 (64-bit)"],
    [null, "vmkernel8Guest", "VMware ESXi 8.0 or later"],
    ["OpenBSD 7.4", "otherGuest64", "Other (64-bit)"],
    [null, "http://nixos.org/nixos/23.05", null],
    ["IBM OS/2 Warp 4", "os2Guest", null],
    [null, "dosGuest", "MS-DOS"],
    [null, "http://suse.com/sle/15.5", null],
    ["SUSE Linux Enterprise Server 15 SP5", "sles15_64Guest", "SUSE Linux Enterprise 15 (64-bit)"],
    [null, "sles12_64Guest", "SUSE Linux Enterprise 12 (64-bit)"],
    ["Ubuntu 22.10", "ubuntu64Guest", "Ubuntu Linux (64-bit)"],
    [null, "http://ubuntu.com/ubuntu/24.04", "Ubuntu 24.04 LTS"],
    ["Microsoft Windows 11 Enterprise", "windows11_64Guest", null],
    [null, "windows9_64Guest", "Microsoft Windows 10 (64-bit)"],
    ["Microsoft Windows Server 2012 R2 Datacenter", "windows8Server64Guest", null],
    [null, "windows8Server64Guest", "Microsoft Windows Server 2012 (64-bit)"],
    [null, "windows2022srvNext_64Guest", "Microsoft Windows Server 2025 (64-bit)"],
    [null, "winNetStandardGuest", "Microsoft Windows Server 2003 Standard (32-bit)"],
    ["Microsoft Windows Server 2019 Standard", "otherLinux64Guest", "Other Linux (64-bit)"],
    [null, "rockylinux_64Guest", "Rocky Linux (64-bit)"],
    ["Rocky Linux 8.10 (Green Obsidian)", null, "http://rockylinux.org/rocky/8"],
    [null, "otherGuest64", "Other (64-bit)"],
    [null, null, null],
  ];
  // Every OS of the demo catalogue (drawn until each has come up; weights are 2 % and more).
  const rng = new Rng("os-footprints-sql");
  const demo = new Map<string, OsDef>();
  for (let i = 0; i < 2000; i++) {
    const os = OS_TABLE.draw(rng);
    demo.set(os.key, os);
  }
  for (const os of demo.values()) {
    cases.push([os.reported, os.vsphereId, os.vsphereName], [null, os.osinfoId, os.osinfoName], [null, os.vsphereId, os.vsphereName]);
    if (os.legacy) cases.push([null, os.legacy.id, os.legacy.name]);
  }
  // Each text alone, in each place.
  const single = cases.flatMap((c) => c.filter((t): t is string => t !== null));
  for (const t of new Set(single)) cases.push([t, null, null], [null, t, null], [null, null, t]);
  return cases;
}

describe("OS footprints in PostgreSQL", () => {
  it("every OS text gives the same family and footprint row in SQL as in TypeScript", async () => {
    const cases = corpus();
    const rows = await onServer(async (client) =>
      (
        await client.query<{ n: number; family: string; label: string | null }>(FOOTPRINT_SQL, [
          DEFAULT_OS_FOOTPRINTS.map((_, i) => i),
          DEFAULT_OS_FOOTPRINTS.map((f) => f.label),
          DEFAULT_OS_FOOTPRINTS.map((f) => f.family),
          DEFAULT_OS_FOOTPRINTS.map((f) => f.match),
          NEVER_LINUX.map((n) => n.match),
          cases.map((_, i) => i),
          cases.map((c) => c[0]),
          cases.map((c) => c[1]),
          cases.map((c) => c[2]),
          WINDOWS_MATCH,
          LINUX_MATCH,
        ])
      ).rows,
    );
    const footprints = compileFootprints(DEFAULT_OS_FOOTPRINTS);
    const mismatches: string[] = [];
    for (const row of rows) {
      const [reported, id, configured] = cases[row.n]!;
      const vm = { guestOsReported: reported, guestOsId: id, guestOsConfigured: configured };
      const ts = { family: osFamilyOf(vm), label: footprintOf(vm, footprints)?.label ?? null };
      if (ts.family !== row.family || ts.label !== row.label) {
        mismatches.push(`${JSON.stringify(cases[row.n])}: SQL ${row.family}/${String(row.label)} vs TS ${ts.family}/${String(ts.label)}`);
      }
    }
    expect(rows).toHaveLength(cases.length);
    expect(mismatches).toEqual([]);
    // Not vacuous: the corpus covers every row, a guest of each family, and Solaris with no row.
    const labels = new Set(rows.map((r) => r.label));
    for (const f of DEFAULT_OS_FOOTPRINTS) expect(labels, f.label).toContain(f.label);
    expect(new Set(rows.map((r) => r.family))).toEqual(new Set(["linux", "windows", "other", "unknown"]));
    const solaris = cases.findIndex((c) => c[0] === "Oracle Solaris 11 (64-bit)");
    expect(rows.find((r) => r.n === solaris)).toMatchObject({ family: "other", label: null });
  });

  it("each never-Linux, Windows and Linux pattern matches the same texts in SQL as in TypeScript", async () => {
    const texts = [...new Set(corpus().flatMap((c) => c.filter((t): t is string => t !== null)))];
    const rows = await onServer(async (client) =>
      (
        await client.query<{ value: string; family: string | null }>(
          `SELECT t.value,
                  CASE WHEN EXISTS (SELECT 1 FROM unnest($2::text[]) p(pattern) WHERE t.value ~* p.pattern) THEN 'other'
                       WHEN t.value ~* $3 THEN 'windows' WHEN t.value ~* $4 THEN 'linux' END AS family
             FROM unnest($1::text[]) t(value)`,
          [texts, NEVER_LINUX.map((n) => n.match), WINDOWS_MATCH, LINUX_MATCH],
        )
      ).rows,
    );
    expect(rows.map((r) => [r.value, r.family])).toEqual(texts.map((t) => [t, familyOfText(t)]));
  });
});

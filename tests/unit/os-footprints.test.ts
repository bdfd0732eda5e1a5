/**
 * OS footprints from osinfo-db, and non-Linux never Linux (issue 14).
 *
 * The expected figures are osinfo-db's own, transcribed here from each file's <resources> <minimum>
 * (x86_64, else "all"; bytes) independently of the footprint table, so a row that drifts from its
 * entry fails. Every case that matches comes with a near miss that must not.
 */
import { describe, expect, it } from "vitest";
import { compileFootprints, DEFAULT_OS_FOOTPRINTS, DEFAULT_PARAMETERS, footprintOf, parametersSchema, resolveParameters, type OsFootprint } from "@/server/analysis/parameters";
import { VM_RULES, type VmContext } from "@/server/analysis/rules";
import type { InventoryVirtualMachine } from "@/server/analysis/inventory";
import { guestOsFromLibosinfo } from "@/server/collectors/libvirt/normalise";
import { guestOsFamily } from "@/server/collectors/vsphere/normalise";
import {
  familyOfText,
  libosinfoFamily,
  LINUX_MATCH,
  NEVER_LINUX,
  neverLinux,
  osFamilyOf,
  WINDOWS_MATCH,
} from "@/server/inventory/os-identity";

const FOOTPRINTS = compileFootprints(DEFAULT_OS_FOOTPRINTS);
const MiB = 1024 ** 2;

/** osinfo-db data/os/<file>: minimum RAM and storage in bytes, as the file says (read 2026-12). */
const OSINFO_MINIMUM: Record<string, { file: string; ram: number; storage: number }> = {
  "Windows Server 2025": { file: "microsoft.com/win-2k25.xml.in", ram: 536870912, storage: 34359738368 },
  "Windows Server 2022": { file: "microsoft.com/win-2k22.xml.in", ram: 536870912, storage: 34359738368 },
  "Windows Server 2019": { file: "microsoft.com/win-2k19.xml.in", ram: 536870912, storage: 34359738368 },
  "Windows Server 2016": { file: "microsoft.com/win-2k16.xml.in", ram: 536870912, storage: 34359738368 },
  "Windows Server 2012 R2": { file: "microsoft.com/win-2k12r2.xml.in", ram: 536870912, storage: 34359738368 },
  "Windows Server 2012": { file: "microsoft.com/win-2k12.xml.in", ram: 536870912, storage: 34359738368 },
  "Windows 11": { file: "microsoft.com/win-11.xml.in", ram: 4294967296, storage: 68719476736 },
  "Windows 10": { file: "microsoft.com/win-10.xml.in", ram: 2147483648, storage: 21474836480 },
  "RHEL 9": { file: "redhat.com/rhel-9.0.xml.in", ram: 1610612736, storage: 10737418240 },
  "RHEL 8": { file: "redhat.com/rhel-8.0.xml.in", ram: 1610612736, storage: 10737418240 },
  "Rocky Linux 9": { file: "rockylinux.org/rocky-9.xml.in", ram: 1610612736, storage: 10737418240 },
  "Rocky Linux 8": { file: "rockylinux.org/rocky-8.xml.in", ram: 1610612736, storage: 10737418240 },
  "Ubuntu 24.04": { file: "ubuntu.com/ubuntu-24.04.xml.in", ram: 3221225472, storage: 21474836480 },
  "Ubuntu 22.04": { file: "ubuntu.com/ubuntu-22.04.xml.in", ram: 2147483648, storage: 10737418240 },
  "Ubuntu 20.04": { file: "ubuntu.com/ubuntu-20.04.xml.in", ram: 2147483648, storage: 5368709120 },
  "Debian 12": { file: "debian.org/debian-12.xml.in", ram: 1073741824, storage: 10737418240 },
  "Debian 11": { file: "debian.org/debian-11.xml.in", ram: 1073741824, storage: 10737418240 },
  "SLES 15": { file: "suse.com/sle-15.xml.in", ram: 536870912, storage: 1074151424 },
};

const texts = (reported: string | null, id: string | null = null, configured: string | null = null) => ({
  guestOsReported: reported,
  guestOsId: id,
  guestOsConfigured: configured,
});
const labelOf = (reported: string | null, id: string | null = null, configured: string | null = null) =>
  footprintOf(texts(reported, id, configured), FOOTPRINTS)?.label ?? null;

describe("each footprint row is osinfo-db's entry for its OS", () => {
  it.each(Object.entries(OSINFO_MINIMUM))("%s: minimum RAM and storage of %o", (label, entry) => {
    const row = DEFAULT_OS_FOOTPRINTS.find((f) => f.label === label);
    expect(row, label).toBeDefined();
    expect(row!.ramMiB).toBe(entry.ram / MiB);
    expect(row!.diskMiB).toBe(entry.storage / MiB);
    expect(row!.source).toContain(`data/os/${entry.file}`);
    expect(row!.osinfoId).not.toBeNull();
    expect(row!.deviation).toBeNull();
  });

  it("a row without an entry of its own says where it differs, and why", () => {
    const own = new Set(Object.keys(OSINFO_MINIMUM));
    const others = DEFAULT_OS_FOOTPRINTS.filter((f) => !own.has(f.label));
    expect(others.map((f) => f.label)).toEqual(["Windows (other)", "Rocky Linux (version not known)", "Ubuntu (other)", "Linux (other)", "FreeBSD"]);
    for (const f of others) {
      expect(f.deviation?.length ?? 0, f.label).toBeGreaterThan(40);
      expect(f.source, f.label).toMatch(/osinfo-db.*data\/os\/.*\.xml\.in/);
    }
  });

  it("every pattern reads the same in PostgreSQL: no \\b, no lookbehind, and it compiles", () => {
    const patterns = [...DEFAULT_OS_FOOTPRINTS.map((f) => f.match), ...NEVER_LINUX.map((n) => n.match), LINUX_MATCH, WINDOWS_MATCH];
    for (const p of patterns) {
      expect(p, p).not.toMatch(/\\b|\\B|\(\?<[=!]/);
      expect(() => new RegExp(p, "i")).not.toThrow();
    }
  });
});

describe("footprintOf", () => {
  // [reported, guest id, configured, expected row]: each match followed by its near miss.
  it.each<[string | null, string | null, string | null, string | null]>([
    ["Ubuntu 22.04.4 LTS", "ubuntu64Guest", "Ubuntu Linux (64-bit)", "Ubuntu 22.04"],
    ["Ubuntu 22.10", "ubuntu64Guest", "Ubuntu Linux (64-bit)", "Ubuntu (other)"],
    [null, "http://ubuntu.com/ubuntu/24.04", "Ubuntu 24.04 LTS", "Ubuntu 24.04"],
    [null, "http://ubuntu.com/ubuntu/24.10", null, "Ubuntu (other)"],
    ["Ubuntu 20.04.6 LTS", null, null, "Ubuntu 20.04"],
    [null, "ubuntu64Guest", "Ubuntu Linux (64-bit)", "Ubuntu (other)"],
    ["Debian GNU/Linux 12 (bookworm)", "debian12_64Guest", null, "Debian 12"],
    [null, "debian11_64Guest", "Debian GNU/Linux 11 (64-bit)", "Debian 11"],
    [null, "debian10_64Guest", "Debian GNU/Linux 10 (64-bit)", "Linux (other)"],
    ["SUSE Linux Enterprise Server 15 SP5", "sles15_64Guest", "SUSE Linux Enterprise 15 (64-bit)", "SLES 15"],
    [null, "http://suse.com/sle/15.5", null, "SLES 15"],
    [null, "sles12_64Guest", "SUSE Linux Enterprise 12 (64-bit)", "Linux (other)"],
    ["Red Hat Enterprise Linux 9.4 (Plow)", "rhel9_64Guest", null, "RHEL 9"],
    [null, "rhel7_64Guest", "Red Hat Enterprise Linux 7 (64-bit)", "Linux (other)"],
    ["Rocky Linux 9.4 (Blue Onyx)", "rockylinux_64Guest", null, "Rocky Linux 9"],
    ["Rocky Linux 8.10 (Green Obsidian)", null, null, "Rocky Linux 8"],
    [null, "rockylinux_64Guest", "Rocky Linux (64-bit)", "Rocky Linux (version not known)"],
    ["Microsoft Windows 11 Enterprise", "windows11_64Guest", null, "Windows 11"],
    [null, "windows9_64Guest", "Microsoft Windows 10 (64-bit)", "Windows 10"],
    [null, "windows9Server64Guest", "Microsoft Windows Server 2016 or later (64-bit)", "Windows Server 2016"],
    ["Microsoft Windows Server 2012 R2 Datacenter", "windows8Server64Guest", null, "Windows Server 2012 R2"],
    [null, "http://microsoft.com/win/2k12r2", null, "Windows Server 2012 R2"],
    [null, "windows8Server64Guest", "Microsoft Windows Server 2012 (64-bit)", "Windows Server 2012"],
    [null, "windows2022srvNext_64Guest", "Microsoft Windows Server 2025 (64-bit)", "Windows Server 2025"],
    [null, "winNetStandardGuest", "Microsoft Windows Server 2003 Standard (32-bit)", "Windows (other)"],
    // Never Linux: Solaris (which says "Oracle"), the BSDs, macOS ("darwin" ends in "win"), ESXi.
    ["Oracle Solaris 11 (64-bit)", "solaris11_64Guest", "Oracle Solaris 11 (64-bit)", null],
    [null, "http://oracle.com/solaris/11", null, null],
    ["Oracle Linux Server 9.3", "oracleLinux9_64Guest", "Oracle Linux 9 (64-bit)", "Linux (other)"],
    [null, "http://oracle.com/ol/9.2", null, "Linux (other)"],
    ["FreeBSD 13.2-RELEASE-p4", "freebsd13_64Guest", "FreeBSD 13 (64-bit)", "FreeBSD"],
    ["OpenBSD 7.4", "otherGuest64", "Other (64-bit)", null],
    [null, "darwin20_64Guest", "Apple macOS 11 (64-bit)", null],
    [null, "vmkernel8Guest", "VMware ESXi 8.0 or later", null],
    [null, "otherGuest64", "Other (64-bit)", null],
  ])("%s / %s / %s → %s", (reported, id, configured, expected) => {
    expect(labelOf(reported, id, configured)).toBe(expected);
  });

  it("believes the guest tools first: a guest configured as Solaris but running RHEL is RHEL, and the reverse is no Linux", () => {
    expect(labelOf("Red Hat Enterprise Linux 9.4 (Plow)", "solaris11_64Guest", "Oracle Solaris 11 (64-bit)")).toBe("RHEL 9");
    expect(labelOf("Oracle Solaris 11.4", "oracleLinux9_64Guest", "Oracle Linux 9 (64-bit)")).toBeNull();
  });

  it("a guest whose family is known takes a row of that family only", () => {
    // The tools say Windows; "Other Linux" configured does not make it Linux (other).
    expect(labelOf("Microsoft Windows Server 2019 Standard", "otherLinux64Guest", "Other Linux (64-bit)")).toBe("Windows Server 2019");
    expect(labelOf(null, "otherLinux64Guest", "Other Linux (64-bit)")).toBe("Linux (other)");
  });

  it("gives a non-Linux OS no Linux row even when an override's Linux row matches it", () => {
    const override: OsFootprint[] = [
      { label: "Oracle (any)", family: "linux", match: "oracle|solaris|bsd|darwin", ramMiB: 1024, diskMiB: 10240, source: "an admin", osinfoId: null, deviation: null },
    ];
    const rows = compileFootprints(override);
    expect(footprintOf(texts("Oracle Solaris 11 (64-bit)", "solaris11_64Guest"), rows)).toBeNull();
    expect(footprintOf(texts(null, "freebsd13_64Guest", "FreeBSD 13 (64-bit)"), rows)).toBeNull();
    expect(footprintOf(texts(null, "darwin20_64Guest"), rows)).toBeNull();
    // Near miss: Oracle Linux takes it.
    expect(footprintOf(texts("Oracle Linux Server 9.3"), rows)?.label).toBe("Oracle (any)");
  });
});

describe("the not-linux rule names the OS", () => {
  const rule = VM_RULES.find((r) => r.id === "not-linux")!;
  const vm = (reported: string | null, id: string | null, configured: string | null, family: InventoryVirtualMachine["guestOsFamily"]) =>
    ({ ...texts(reported, id, configured), guestOsFamily: family, name: "x", key: "k", customer: "c" }) as unknown as InventoryVirtualMachine;
  const run = (v: InventoryVirtualMachine) =>
    rule.test(v, { parameters: DEFAULT_PARAMETERS, footprint: footprintOf(v, FOOTPRINTS), host: null, engineHost: null, diskAttachmentCounts: new Map() } as unknown as VmContext);

  it.each<[string | null, string | null, string | null, InventoryVirtualMachine["guestOsFamily"], string | false]>([
    ["Oracle Solaris 11 (64-bit)", "solaris11_64Guest", "Oracle Solaris 11 (64-bit)", "other", "Oracle Solaris 11 (64-bit)"],
    // A collector of old that called Solaris Linux: the OS texts overrule it.
    [null, "http://oracle.com/solaris/11", "Solaris 11", "linux", "Solaris 11"],
    ["Oracle Linux Server 9.3", "oracleLinux9_64Guest", null, "linux", false],
    [null, "freebsd13_64Guest", "FreeBSD 13 (64-bit)", "other", "FreeBSD"],
    [null, "darwin20_64Guest", "Apple macOS 11 (64-bit)", "other", "Apple macOS 11 (64-bit)"],
    ["Microsoft Windows Server 2022 Datacenter", "windows2019srvNext_64Guest", null, "windows", "Windows Server 2022"],
    // Nothing says which OS: not "not Linux" but unknown (another rule says so).
    [null, "otherGuest64", "Other (64-bit)", "unknown", false],
  ])("%s / %s / %s (%s) → %s", (reported, id, configured, family, expected) => {
    expect(run(vm(reported, id, configured, family))).toBe(expected);
  });
});

describe("os-identity: the family a text says", () => {
  it.each<[string, ReturnType<typeof familyOfText>]>([
    ["Oracle Solaris 11 (64-bit)", "other"],
    ["Oracle Linux 9 (64-bit)", "linux"],
    ["solaris10_64Guest", "other"],
    ["sles15_64Guest", "linux"],
    ["darwin20_64Guest", "other"],
    ["windows9_64Guest", "windows"],
    ["FreeBSD 14.0", "other"],
    ["NetBSD 9.3", "other"],
    ["Debian GNU/Hurd", "other"],
    ["Debian GNU/Linux 12", "linux"],
    ["MS-DOS 6.22", "other"],
    ["dosGuest", "other"],
    ["VMware Photon OS (64-bit)", "linux"],
    ["IBM OS/2 Warp 4", "other"],
    ["http://nixos.org/nixos/23.05", "linux"],
    ["Other (64-bit)", null],
    ["otherGuest64", null],
  ])("%s → %s", (text, family) => {
    expect(familyOfText(text)).toBe(family);
  });

  it("names the never-Linux OS", () => {
    expect(neverLinux("Oracle Solaris 11 (64-bit)")).toBe("Solaris");
    expect(neverLinux("Oracle Linux 9")).toBeNull();
    expect(neverLinux("vmkernel7Guest")).toBe("VMware ESXi");
  });

  it("takes the first text that names a family, then says unknown", () => {
    expect(osFamilyOf(texts("Ubuntu 22.04.3 LTS (64-bit)", "otherGuest64", "Other (64-bit)"))).toBe("linux");
    expect(osFamilyOf(texts(null, "otherGuest64", "Other (64-bit)"))).toBe("unknown");
    expect(osFamilyOf(texts(null, null, "Oracle Solaris 10 (64-bit)"))).toBe("other");
  });

  it.each<[string, ReturnType<typeof libosinfoFamily>]>([
    ["http://suse.com/sle/15", "linux"],
    ["http://suse.com/sle/15.5", "linux"],
    ["http://suse.com/sles/12.5", "linux"],
    ["http://oracle.com/solaris/11", "other"],
    ["http://oracle.com/ol/9.2", "linux"],
    ["http://sun.com/opensolaris/2009.06", "other"],
    ["http://freedos.org/freedos/1.2", "other"],
    ["http://microsoft.com/msdos/6.22", "other"],
    ["http://microsoft.com/win/2k22", "windows"],
    ["http://apple.com/macosx/10.7", "other"],
    ["http://nixos.org/nixos/23.05", "linux"],
    ["http://libosinfo.org/linux/2022", "linux"],
    ["http://libosinfo.org/unknown", null],
    ["http://example.org/someos/1", null],
  ])("libosinfo %s → %s", (id, family) => {
    expect(libosinfoFamily(id)).toBe(family);
  });
});

describe("collectors", () => {
  it.each<[string | null, string, string]>([
    ["http://suse.com/sle/15.5", "SUSE Linux Enterprise 15.5", "linux"],
    ["http://suse.com/sles/12.5", "SUSE Linux Enterprise Server 12.5", "linux"],
    ["http://oracle.com/solaris/11", "Solaris 11", "other"],
    ["http://oracle.com/ol/9.2", "Oracle Linux 9.2", "linux"],
    ["http://nixos.org/nixos/23.05", "nixos.org/nixos/23.05", "linux"],
    ["http://openbsd.org/openbsd/7.4", "OpenBSD 7.4", "other"],
    ["http://libosinfo.org/unknown", "libosinfo.org/unknown", "unknown"],
  ])("libvirt: %s is %s, %s", (id, name, family) => {
    expect(guestOsFromLibosinfo(id)).toEqual({ id, name, family });
  });

  it.each<[string | null, string | null, string | null, string]>([
    ["solaris11_64Guest", null, "Oracle Solaris 11 (64-bit)", "other"],
    ["otherGuest64", "Oracle Solaris 11.4", "Other (64-bit)", "other"],
    ["otherGuest64", "Ubuntu 22.04.3 LTS (64-bit)", "Other (64-bit)", "linux"],
    ["otherGuest64", null, "Other (64-bit)", "unknown"],
    ["oracleLinux9_64Guest", null, "Oracle Linux 9 (64-bit)", "linux"],
    ["darwin20_64Guest", null, null, "other"],
  ])("vSphere: %s, tools %s, configured %s → %s", (id, reported, configured, family) => {
    expect(guestOsFamily(id, reported, configured)).toBe(family);
  });
});

describe("stored overrides", () => {
  it("a footprint table stored before rows carried osinfoId and deviation still applies", () => {
    const stored = { osFootprints: [{ label: "RHEL 9", family: "linux", match: "rhel", ramMiB: 2048, diskMiB: 20480, source: "an admin" }] };
    const resolved = resolveParameters(stored);
    expect(resolved.osFootprints).toEqual([{ ...stored.osFootprints[0], osinfoId: null, deviation: null }]);
  });

  it("refuses a pattern that is not a regular expression, saying so", () => {
    const result = parametersSchema.safeParse({ ...DEFAULT_PARAMETERS, osFootprints: [{ ...DEFAULT_OS_FOOTPRINTS[0], match: "(" }] });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain("not a valid regular expression");
  });
});

describe("waste: VMs without a footprint are said by the OS they name", () => {
  it("counts Solaris and a guest of unknown OS apart, naming each, and never as Linux waste", async () => {
    const { analyseWaste } = await import("@/server/analysis/waste");
    const base = { template: false, powerState: "poweredOn", memoryMiB: 4096, provisionedMiB: 40960, hostKey: null, customer: "c" };
    const vms = [
      { ...base, key: "a", name: "a", ...texts("Oracle Solaris 11 (64-bit)", "solaris11_64Guest", "Oracle Solaris 11 (64-bit)") },
      { ...base, key: "b", name: "b", ...texts(null, "solaris11_64Guest", "Oracle Solaris 11 (64-bit)") },
      { ...base, key: "c", name: "c", ...texts(null, "otherGuest64", null) },
      { ...base, key: "d", name: "d", ...texts("Oracle Linux Server 9.3", null, null) },
      { ...base, key: "e", name: "e", ...texts("Oracle Linux Server 9.3", null, null) },
    ];
    const w = analyseWaste({ virtualMachines: vms, hosts: [], images: [], containers: [] } as unknown as Parameters<typeof analyseWaste>[0], DEFAULT_PARAMETERS);
    expect(w.totals.unknownOs).toBe(3);
    expect(w.totals.noFootprint).toEqual([
      { os: "Oracle Solaris 11 (64-bit)", virtualMachines: 2 },
      { os: "otherGuest64", virtualMachines: 1 },
    ]);
    // Near miss: the two Oracle Linux guests are one Linux group, one copy duplicated.
    expect(w.byOs.map((o) => [o.os, o.family, o.virtualMachines])).toEqual([["Linux (other)", "linux", 2]]);
  });
});

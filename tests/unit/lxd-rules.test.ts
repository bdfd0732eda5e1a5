/**
 * The LXD rules (server/analysis/rules/lxd.ts) against LXD's documents: each key as LXD documents it,
 * with LXD's own examples where it gives one (raw.idmap "both 1000 1000", a disk device "source=/path"
 * with "readonly"), a case where the rule fires and a near miss where it is silent. System containers
 * are built from the snapshot contract as the lxd collector fills it (/work/prompts/s10-lxd-shape.md:
 * devices "<type>:<what>", disk devices with a host path as bind mounts, user.* keys as labels).
 */
import { describe, expect, it } from "vitest";
import type { InventoryContainer, InventoryHost } from "../../server/analysis/inventory";
import { analyseIsolation } from "../../server/analysis/isolation";
import { DEFAULT_PARAMETERS } from "../../server/analysis/parameters";
import { evaluate, LXD_RULES, RULES_BY_ID, type LxdContext } from "../../server/analysis/rules";
import { containerSnapshot, hostSnapshot } from "../../server/inventory/snapshot";

const GIB = 1024 ** 3;

function lxdHost(over: Partial<InventoryHost> = {}): InventoryHost {
  return {
    ...hostSnapshot.parse({ externalId: "lxd-1", name: "lxd01", role: "container-engine", platform: "lxd", cpuCores: 16, memoryMiB: 65536, runtimes: ["lxc"] }),
    key: "s:host:lxd-1",
    customer: "acme",
    tenantLabel: "tenant",
    vmKey: null,
    vmLinkKey: null,
    ...over,
  };
}

let serial = 0;
/** An unprivileged system container with LXD's defaults (security.* unset), running. */
function system(over: Partial<InventoryContainer> = {}): InventoryContainer {
  const id = over.externalId ?? `c${++serial}`;
  return {
    ...containerSnapshot.parse({
      externalId: id,
      name: over.name ?? id,
      hostExternalId: "lxd-1",
      image: "Debian bookworm",
      state: "running",
      runtime: "lxc",
      usernsMode: "shared",
      systemContainer: true,
      project: "default",
      profiles: ["default"],
      memoryLimitBytes: 2 * GIB,
      nanoCpus: 2e9,
      networkMode: "bridged:lxdbr0",
    }),
    key: `s:container:${id}`,
    customer: "acme",
    hostKey: "s:host:lxd-1",
    imageKey: null,
    ...over,
  };
}

const ctx = (over: Partial<LxdContext> = {}): LxdContext => ({ host: lxdHost(), tenantsOnHost: [], sharedIdmapWith: [], ...over });
const fired = (c: InventoryContainer, context: LxdContext = ctx()) => evaluate(LXD_RULES, c, context).map((f) => f.ruleId);
const details = (ruleId: string, c: InventoryContainer, context: LxdContext = ctx()) =>
  evaluate(LXD_RULES, c, context).filter((f) => f.ruleId === ruleId).map((f) => f.detail);
const disk = (source: string, destination: string, readOnly = false) => ({ type: "bind" as const, source, destination, readOnly, propagation: null });

interface Case {
  rule: string;
  why: string;
  over: Partial<InventoryContainer>;
  context?: Partial<LxdContext>;
  fires: boolean;
}

const CASES: Case[] = [
  { rule: "LXD-security.privileged", why: "security.privileged true", over: { privileged: true, usernsMode: "host" }, fires: true },
  { rule: "LXD-security.privileged", why: "near miss: security.privileged \"false\" (unprivileged, LXD's default)", over: { privileged: false }, fires: false },
  { rule: "LXD-security.nesting", why: "security.nesting true", over: { nesting: true }, fires: true },
  { rule: "LXD-security.nesting", why: "near miss: security.nesting false with syscall interception (another way to run nested workloads)", over: { securityOptions: ["security.syscalls.intercept.mknod=true"] }, fires: false },
  { rule: "LXD-raw.lxc", why: "raw.lxc lxc.apparmor.profile=unconfined", over: { rawLxc: "lxc.apparmor.profile=unconfined" }, fires: true },
  { rule: "LXD-raw.lxc", why: "near miss: raw.lxc with only a comment and blank lines", over: { rawLxc: "# nothing here\n\n" }, fires: false },
  { rule: "LXD-raw.idmap", why: "raw.idmap \"both 1000 1000\" (LXD's example)", over: { rawIdmap: "both 1000 1000" }, fires: true },
  { rule: "LXD-raw.idmap", why: "near miss: raw.idmap on a privileged container (no idmap applies: the privileged rule says it)", over: { rawIdmap: "both 1000 1000", privileged: true }, fires: false },
  { rule: "LXD-security.idmap.isolated", why: "not isolated, next to another unprivileged container", over: {}, context: { sharedIdmapWith: ["web"] }, fires: true },
  { rule: "LXD-security.idmap.isolated", why: "near miss: security.idmap.isolated true", over: { idmapIsolated: true, usernsMode: "isolated" }, context: { sharedIdmapWith: ["web"] }, fires: false },
  { rule: "LXD-security.idmap.isolated", why: "near miss: alone on its host (nothing shared)", over: {}, context: { sharedIdmapWith: [] }, fires: false },
  { rule: "LXD-disk.source", why: "disk source=/srv/data path=/data (writable)", over: { mounts: [disk("/srv/data", "/data")] }, fires: true },
  { rule: "LXD-disk.source", why: "near miss: the same disk with readonly=true", over: { mounts: [disk("/srv/data", "/data", true)] }, fires: false },
  { rule: "LXD-disk.source", why: "near miss: a pool volume (pool=default source=data)", over: { mounts: [{ type: "volume", source: "default/data", destination: "/data", readOnly: false, propagation: null }] }, fires: false },
  { rule: "LXD-disk.source.readonly", why: "disk source=/etc/ssl/certs readonly=true", over: { mounts: [disk("/etc/ssl/certs", "/etc/ssl/certs", true)] }, fires: true },
  { rule: "LXD-disk.source.readonly", why: "near miss: writable (the other rule's)", over: { mounts: [disk("/etc/ssl/certs", "/etc/ssl/certs")] }, fires: false },
  { rule: "LXD-devices", why: "unix-char /dev/fuse", over: { devices: ["unix-char:/dev/fuse"] }, fires: true },
  { rule: "LXD-devices", why: "gpu (all GPUs)", over: { devices: ["gpu:all"] }, fires: true },
  { rule: "LXD-devices", why: "usb 0781:5567", over: { devices: ["usb:0781:5567"] }, fires: true },
  { rule: "LXD-devices", why: "near miss: a proxy device (a port, not a host device)", over: { ports: [{ containerPort: 80, protocol: "tcp", hostIp: "0.0.0.0", hostPort: 8080 }] }, fires: false },
];

describe("LXD rules", () => {
  it("an unprivileged system container with LXD's defaults, alone on its host, sets off no LXD rule", () => {
    expect(fired(system())).toEqual([]);
  });

  it.each(CASES.map((c) => ({ ...c, verb: c.fires ? "fires on" : "is silent on" })))("$rule $verb $why", ({ rule, over, context, fires }) => {
    const ids = fired(system(over), ctx(context));
    if (fires) expect(ids).toContain(rule);
    else expect(ids).not.toContain(rule);
  });

  it("every LXD rule has a firing case and a near miss here, a source with a version and the LXD section", () => {
    for (const rule of LXD_RULES) {
      expect(CASES.some((c) => c.rule === rule.id && c.fires), rule.id).toBe(true);
      expect(CASES.some((c) => c.rule === rule.id && !c.fires), rule.id).toBe(true);
      expect(rule.source.version, rule.id).toMatch(/canonical\/lxd/);
      expect(rule.source.doc).toBe("docs/domain.md#lxd-system-containers");
      expect(rule.id.startsWith("LXD-")).toBe(true);
      expect(RULES_BY_ID.get(rule.id)?.source).toContain(rule.upstreamId!);
    }
  });

  it("says what fired: nesting with privileged, each writable host path (system directories named), raw.lxc's lines", () => {
    expect(details("LXD-security.nesting", system({ nesting: true, privileged: true }))).toEqual(["with security.privileged: root access to the host"]);
    expect(details("LXD-security.nesting", system({ nesting: true }))).toEqual([null]);
    expect(details("LXD-disk.source", system({ mounts: [disk("/etc/", "/host-etc"), disk("/srv/www", "/var/www"), disk("/srv/ro", "/ro", true)] }))).toEqual([
      "/etc -> /host-etc (a host system directory)",
      "/srv/www -> /var/www",
    ]);
    expect(details("LXD-raw.lxc", system({ rawLxc: "lxc.apparmor.profile=unconfined\nlxc.cap.drop=\n" }))).toEqual(["lxc.apparmor.profile=unconfined; lxc.cap.drop="]);
  });
});

describe("isolation of system containers", () => {
  const inventory = (containers: InventoryContainer[], host = lxdHost()) => ({ hosts: [host], virtualMachines: [], containers, images: [], guests: [] });

  it("runs the LXD rules, not the CIS Docker ones, on system containers; levels: privileged vs user-namespaced", () => {
    const result = analyseIsolation(inventory([system({ name: "priv", privileged: true, usernsMode: "host" }), system({ name: "plain", idmapIsolated: true, usernsMode: "isolated" })]), DEFAULT_PARAMETERS);
    const byName = new Map(result.containers.map((c) => [c.key, c]));
    const ids = [...byName.values()].flatMap((c) => c.findings.map((f) => f.ruleId));
    expect(ids.some((id) => id.startsWith("CIS-Docker-"))).toBe(false);
    expect(ids).toContain("LXD-security.privileged");
    expect(result.levels["privileged-container"]).toBe(1);
    expect(result.levels["user-namespaced"]).toBe(1);
  });

  it("shared idmaps: two unprivileged non-isolated containers both fire; an isolated or privileged neighbour does not count", () => {
    const a = system({ name: "a" });
    const b = system({ name: "b" });
    const isolated = system({ name: "iso", idmapIsolated: true, usernsMode: "isolated" });
    const priv = system({ name: "priv", privileged: true, usernsMode: "host" });
    const result = analyseIsolation(inventory([a, b, isolated, priv]), DEFAULT_PARAMETERS);
    const shared = result.findings.filter((f) => f.ruleId === "LXD-security.idmap.isolated");
    expect(shared.map((f) => [f.objectName, f.detail])).toEqual([
      ["a", "with b"],
      ["b", "with a"],
    ]);
    // Near miss: one of them alone with the isolated and privileged ones.
    expect(analyseIsolation(inventory([a, isolated, priv]), DEFAULT_PARAMETERS).findings.filter((f) => f.ruleId === "LXD-security.idmap.isolated")).toEqual([]);
  });

  it("tenants sharing one kernel: by project, or by the tenant label (user.tenant), as for application containers", () => {
    const byProject = analyseIsolation(inventory([system({ name: "shop", project: "shop" }), system({ name: "bank", project: "bank", idmapIsolated: true })]), DEFAULT_PARAMETERS);
    const tenancy = byProject.findings.filter((f) => f.ruleId === "tenants-share-kernel");
    expect(tenancy.map((f) => f.detail)).toEqual(["project bank, project shop", "project bank, project shop"]);
    expect(byProject.hosts[0]!.tenants).toEqual(["project bank", "project shop"]);

    // The label wins over the project: two projects of one tenant are one tenant.
    const oneTenant = analyseIsolation(
      inventory([system({ name: "web", project: "web", labels: { tenant: "acme" } }), system({ name: "db", project: "db", labels: { tenant: "acme" } })]),
      DEFAULT_PARAMETERS,
    );
    expect(oneTenant.findings.filter((f) => f.ruleId === "tenants-share-kernel")).toEqual([]);

    // Near miss: every container in the default project.
    expect(analyseIsolation(inventory([system(), system()]), DEFAULT_PARAMETERS).findings.filter((f) => f.ruleId === "tenants-share-kernel")).toEqual([]);

    // A system container and a Docker container of another tenant on one host share its kernel too.
    const docker = { ...system({ name: "app", labels: { tenant: "globex" } }), systemContainer: false, project: null };
    const mixed = analyseIsolation(inventory([system({ name: "sys", labels: { tenant: "acme" } }), docker]), DEFAULT_PARAMETERS);
    expect(mixed.findings.filter((f) => f.ruleId === "tenants-share-kernel").map((f) => f.objectName).sort()).toEqual(["app", "sys"]);
  });

  it("a stopped system container keeps its findings apart, unscored, saying why", () => {
    const result = analyseIsolation(inventory([system({ name: "off", state: "exited", privileged: true })]), DEFAULT_PARAMETERS);
    expect(result.scoredContainers).toBe(0);
    expect(result.findings).toEqual([]);
    expect(result.containers[0]!.findings.map((f) => f.ruleId)).toContain("LXD-security.privileged");
    expect(result.containers[0]!.unscoredReason).toBe("exited, not running: only running containers are scored");
  });
});

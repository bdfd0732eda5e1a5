/**
 * LXD in the analyses over real Postgres: the answers recorded from the real LXD 5.0.2 peer
 * (tests/fixtures/lxd/, tests/peers/lxd.sh) normalised by the lxd collector and ingested by
 * applySnapshot into an `lxd` source, and a guest source's facts for its VM v1 (matched by its
 * volatile.uuid as DMI product UUID), read back by loadInventory and served by the analysis router:
 * - the system containers get LXD's rules (privileged, nesting, raw.lxc, raw.idmap, host path, device)
 *   and not CIS Docker's; tenants (user.tenant, else the project) share the kernel finding;
 * - the VM v1, whose guest runs four services under systemd and needs no kernel of its own, gets
 *   "to-system-container" in the verdicts table, with its evidence and the guest-kernel saving;
 * - instances from one image on one host are counted in waste.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../../server/api/root";
import type { Viewer } from "../../server/api/trpc";
import { customerAnalysis, loadInventory } from "../../server/analysis/load";
import { guestFacts, type GuestListener, type GuestProcess } from "../../server/collectors/guest/facts";
import { detectSoftware } from "../../server/collectors/guest/software";
import { imagesDocument, instancesDocument, projectsDocument, resourcesDocument, serverDocument, storagePoolsDocument } from "../../server/collectors/lxd/api";
import { normaliseLxd } from "../../server/collectors/lxd/normalise";
import { applySnapshot } from "../../server/inventory/ingest";
import { createTestDatabase, type TestDatabase } from "./db";

const FIXTURES = path.join(import.meta.dirname, "../fixtures/lxd");
const recorded = <T>(file: string, schema: { parse(v: unknown): T }): T =>
  schema.parse((JSON.parse(fs.readFileSync(path.join(FIXTURES, file), "utf8")) as { metadata: unknown }).metadata);

let t: TestDatabase;
let customerId: string;
const admin: Viewer = { id: "admin", role: "admin", scope: { kind: "all" } };
const as = (viewer: Viewer) => createCaller({ database: t, viewer });

const instances = recorded("instances.json", instancesDocument);
const v1Uuid = instances.find((i) => i.name === "v1")!.expanded_config["volatile.uuid"]!;

/** The guest of v1: Debian 12 under systemd (pid 1), four services listening beyond loopback, sshd and cron. */
function v1Guest() {
  let pid = 200;
  const proc = (name: string, command: string, at = pid++): GuestProcess => ({ pid: at, name, user: "root", rssMiB: 30, cpuPercent: 0.1, command });
  const listen = (port: number, p: GuestProcess): GuestListener => ({ protocol: "tcp", address: "0.0.0.0", port, process: p.name, pid: p.pid });
  const sshd = proc("sshd", "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups");
  const apps = ["billing", "reports", "mailer", "scheduler"].map((n) => proc(n, `/opt/${n}/bin/${n} --serve`));
  const processes = [proc("systemd", "/sbin/init", 1), sshd, proc("cron", "/usr/sbin/cron -f"), ...apps];
  const listeners = [listen(22, sshd), ...apps.map((p, i) => listen(9000 + i, p))];
  const units = ["ssh.service", "cron.service", ...apps.map((p) => `${p.name}.service`)];
  return guestFacts.parse({
    target: "root@10.9.0.11:22",
    collectedAt: "2026-12-06T08:05:00.000Z",
    productUuid: v1Uuid,
    os: { id: "debian", versionId: "12", prettyName: "Debian GNU/Linux 12 (bookworm)", kernel: "6.1.0-28-amd64" },
    memory: { totalMiB: 980, availableMiB: 600, usedMiB: 380 },
    filesystems: [{ mountPoint: "/", fsType: "ext4", device: "/dev/sda2", sizeMiB: 9000, freeMiB: 6000 }],
    security: {},
    processes,
    listeners,
    units,
    software: detectSoftware({ processes, units, listeners }),
  });
}

beforeAll(async () => {
  t = await createTestDatabase();
  customerId = (await as(admin).customers.create({ name: "Lxd Co" })).id;
  const lxd = await t.prisma.source.create({ data: { customerId, kind: "lxd", name: "lxd01", endpoint: "unix:///var/lib/lxd/unix.socket" } });
  const server = recorded("server.json", serverDocument);
  const snapshot = normaliseLxd({
    collectedAt: "2026-12-06T08:00:00.000Z",
    server,
    cluster: null,
    hosts: [{ name: server.environment!.server_name!, member: null, resources: recorded("resources.json", resourcesDocument) }],
    projects: recorded("projects.json", projectsDocument),
    instances,
    images: recorded("images.json", imagesDocument),
    storagePools: recorded("storage-pools.json", storagePoolsDocument),
  });
  await applySnapshot(lxd.id, snapshot, { database: t });
  const guests = await t.prisma.source.create({ data: { customerId, kind: "guest", name: "guests", endpoint: "inventory", username: "root" } });
  await applySnapshot(guests.id, { collectedAt: "2026-12-06T08:05:00.000Z", guests: [v1Guest()] }, { database: t });
});
afterAll(async () => {
  await t.drop();
});

describe("LXD through loadInventory and the analysis router", () => {
  it("loads the system containers with their LXD facts, and v1 matched to its guest", async () => {
    const inventory = await loadInventory(t, [customerId]);
    const byName = new Map(inventory.containers.map((c) => [c.name, c]));
    expect([...byName.keys()].sort()).toEqual(["c-isolated", "c-priv", "c-spare", "c-web", "cb"]);
    expect(byName.get("c-priv")).toMatchObject({ systemContainer: true, privileged: true, nesting: true, rawLxc: "lxc.mount.auto = proc:rw sys:rw" });
    expect(byName.get("cb")).toMatchObject({ project: "tenant-b", labels: { tenant: "beta" } });
    const v1 = inventory.virtualMachines.find((v) => v.name === "v1")!;
    expect(inventory.guests.map((g) => [g.vmKey, g.vmMatch])).toEqual([[v1.key, "uuid"]]);
  });

  it("the verdicts table shows v1 moving to a system container, with its evidence and the guest kernel's saving", async () => {
    const { rows } = await as(admin).analysis.verdicts({ customerId, verdict: "to-system-container", pageSize: 50 });
    expect(rows.map((r) => [r.name, r.kind, r.verdict])).toEqual([["v1", "vm", "to-system-container"]]);
    const v1 = rows[0]!;
    expect(v1.verdictLabel).toBe("Move to a system container");
    expect(v1.reason).toMatch(/it needs its whole OS \(4 services managed by its init\), no kernel of its own/);
    expect(v1.evidence.map((e) => e.field)).toContain("guest-many-services");
    // Not running (LXD VMs cannot start on this machine: the peer defines it stopped): no RAM shed, the kernel package is.
    expect([v1.ramMiB, v1.diskMiB]).toEqual([0, 391]);
    const evidence = v1.evidence.map((e) => `${e.field}: ${e.value}`);
    expect(evidence).toEqual(expect.arrayContaining(["services: 4 services", "init: 6 running service units", "kernel: 6.1.0-28-amd64"]));
    // The near miss beside it: no other workload gets the verdict, and the containers keep theirs.
    const all = await as(admin).analysis.verdicts({ customerId, pageSize: 50 });
    expect(all.rows.filter((r) => r.verdict === "to-system-container")).toHaveLength(1);
  });

  it("the system containers get LXD's rules, not CIS Docker's; the running one is in the findings table with the tenancy finding", async () => {
    // Only c-web runs on the peer: the findings table scores running containers, the others are kept apart with theirs.
    const { rows } = await as(admin).analysis.findings({ customerId, pageSize: 200 });
    expect(rows.some((f) => f.ruleId.startsWith("CIS-Docker-"))).toBe(false);
    // Tenants on lxd01: acme (user.tenant), beta (user.tenant, project tenant-b), and c-spare's project default (no label).
    // It shares the default idmap with the two other unprivileged, non-isolated ones; its tenancy sends it to Kata, which lxd01 does not offer.
    expect(rows.filter((f) => f.name === "c-web").map((f) => [f.ruleId, f.detail])).toEqual([
      ["tenants-share-kernel", "acme, beta, project default"],
      ["kata-runtime-missing", null],
      ["LXD-security.idmap.isolated", "with c-spare, cb"],
    ]);

    const { analysis } = await customerAnalysis(t, customerId);
    const keyOf = new Map((await loadInventory(t, [customerId])).containers.map((c) => [c.key, c.name]));
    const ids = (name: string) => analysis.isolation.containers.find((c) => keyOf.get(c.key) === name)!.findings.map((f) => f.ruleId).sort();
    expect(ids("c-priv")).toEqual(["LXD-devices", "LXD-disk.source.readonly", "LXD-raw.lxc", "LXD-security.nesting", "LXD-security.privileged", "tenants-share-kernel"]);
    // raw.idmap and a writable host path; isolated, so no shared idmap; no tenant label, so its project (default) is its tenant.
    expect(ids("c-isolated")).toEqual(["LXD-disk.source", "LXD-raw.idmap", "tenants-share-kernel"]);
    // c-spare and cb share the default idmap (c-web too: three unprivileged, non-isolated).
    expect(ids("c-spare")).toEqual(["LXD-security.idmap.isolated", "tenants-share-kernel"]);
    const stopped = analysis.isolation.containers.find((c) => keyOf.get(c.key) === "c-priv")!;
    expect([stopped.scored, stopped.level, stopped.unscoredReason]).toEqual([false, "privileged-container", "exited, not running: only running containers are scored"]);
  });

  it("a system container's page shows its LXD configuration and says LXD's rules read it; a Docker container's page has none of it", async () => {
    const id = (await t.pool.query<{ id: string }>(`SELECT id FROM container WHERE name = 'c-priv'`)).rows[0]!.id;
    const page = await as(admin).objects.container({ customerId, id });
    const value = (label: string) => page.properties.find((p) => p.label === label)?.value;
    expect(page.systemContainer).toBe(true);
    expect([value("System container"), value("Privileged"), value("Nesting (security.nesting)"), value("Isolated idmap (security.idmap.isolated)")]).toEqual([true, true, true, false]);
    expect([value("raw.lxc"), value("Project"), value("Profiles"), value("Root disk's storage driver")]).toEqual(["lxc.mount.auto = proc:rw sys:rw", "default", ["default"], "dir"]);
    const isolated = (await t.pool.query<{ id: string }>(`SELECT id FROM container WHERE name = 'c-isolated'`)).rows[0]!.id;
    const other = await as(admin).objects.container({ customerId, id: isolated });
    expect([other.properties.find((p) => p.label === "raw.idmap")?.value, other.properties.find((p) => p.label === "Profiles")?.value]).toEqual(["both 1000 1000", ["default", "tools"]]);
    // Its LXD host's page: the local disks /1.0/resources reported (one 256 GiB disk recorded).
    const host = await as(admin).objects.host({ customerId, id: page.topology.engineHost.id });
    expect(host.properties.find((p) => p.label === "Local disks")).toEqual({ label: "Local disks", value: 262_144, unit: "MiB" });
  });

  it("counts the system containers sharing the one image in waste", async () => {
    const summary = await as(admin).analysis.customer({ customerId });
    expect(summary.waste.totals.systemContainersSharingImages).toBe(5);
    expect(summary.waste.imageInstances).toHaveLength(1);
  });
});

/**
 * The vsphere collector against vcsim (govmomi's simulator, built from Debian's source by
 * tests/peers/vcsim): a vCenter with a varied inventory and a standalone ESXi, compared object by
 * object with the launcher's manifest; TLS, wrong password, session expiry, logout, the CLI; and
 * once end to end into a test database.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { CollectableSource } from "../../server/collectors";
import { moRefXml, type VsphereClient } from "../../server/collectors/vsphere/client";
import { collectInventory, collectVsphere, connectSource } from "../../server/collectors/vsphere/collector";
import { VsphereConnectionError, VsphereLoginError, VsphereTlsError } from "../../server/collectors/vsphere/errors";
import { toSnapshot } from "../../server/collectors/vsphere/normalise";
import { child } from "../../server/collectors/vsphere/xml";
import { encryptSecret } from "../../server/auth/secret-box";
import { parseSnapshot, type Snapshot } from "../../server/inventory/snapshot";
import { collectSource } from "../../server/jobs/collect";
import { expectedHost, expectedIdentity, expectedVm, type ManifestIdentity } from "../fixtures/vsphere/manifest";
import { createTestDatabase, type TestDatabase } from "./db";
import { buildVcsim, freePort, startVcsim, stopVcsim, type Peer } from "./vcsim";

const run = promisify(execFile);
const root = path.join(import.meta.dirname, "../..");
const PASSWORD = "vcsim-Pa55word";

let vc: Peer;
let esx: Peer;

beforeAll(async () => {
  await buildVcsim(); // once, before two starts
  [vc, esx] = await Promise.all([
    // 2 datacenters × (2 clusters of 2 hosts + 1 standalone host) × 4 VMs: 24 VMs on 10 hosts.
    startVcsim(PASSWORD, ["-dc", "2", "-cluster", "2", "-host", "2", "-standalone-host", "1", "-vm", "4", "-pool", "1", "-ds", "2"]),
    startVcsim(PASSWORD, ["-esx", "-vm", "8"]),
  ]);
}, 900_000);

afterAll(async () => {
  for (const peer of [vc, esx]) if (peer) await stopVcsim(peer);
});

const source = (peer: Peer, options: Record<string, unknown> = { fingerprint: peer.manifest.fingerprint }, secret = PASSWORD) =>
  ({
    kind: "vsphere",
    name: "vcsim",
    endpoint: `https://127.0.0.1:${peer.port}/sdk`,
    username: peer.manifest.username,
    secret,
    options,
  }) satisfies CollectableSource;

const signal = () => AbortSignal.timeout(120_000);
/** The start of the deploy and clone events a vCenter collection reads for its templates (templateEventDays 30). */
const eventsSince = (s: Snapshot) => new Date(Date.parse(s.collectedAt) - 30 * 86_400_000).toISOString();
const collect = async (peer: Peer, options?: Record<string, unknown>) =>
  parseSnapshot(await collectVsphere(source(peer, options), { signal: signal() }));

/** The sessions the server holds now (SessionManager.sessionList, read in the admin's session). */
async function sessionKeys(admin: VsphereClient): Promise<string[]> {
  const { sessionManager, propertyCollector } = admin.content;
  const response = await admin.call(
    "RetrievePropertiesEx",
    propertyCollector,
    `<specSet><propSet><type>SessionManager</type><pathSet>sessionList</pathSet></propSet>` +
      `<objectSet>${moRefXml("obj", sessionManager)}</objectSet></specSet><options/>`,
  );
  const list = child(child(child(child(response, "returnval"), "objects"), "propSet"), "val");
  return (list?.children ?? []).map((s) => child(s, "key")?.text ?? "");
}

describe("vsphere collector against vcsim (vCenter)", () => {
  let snapshot: Snapshot;
  beforeAll(async () => {
    snapshot = await collect(vc);
  });

  it("collects every host and VM the launcher created, and nothing else", () => {
    expect(vc.manifest.virtualMachines).toHaveLength(24);
    expect(snapshot.virtualMachines.map((v) => v.externalId).sort()).toEqual(vc.manifest.virtualMachines.map((v) => v.moref).sort());
    expect(snapshot.hosts.map((h) => h.externalId).sort()).toEqual(vc.manifest.hosts.map((h) => h.moref).sort());
    expect(snapshot.warnings).toEqual([]);
  });

  it("gives every VM's fields as created: sizes, guest OS, power state, snapshots, disks, devices, placement", () => {
    for (const m of vc.manifest.virtualMachines) {
      expect(snapshot.virtualMachines.find((v) => v.externalId === m.moref), m.name).toEqual(expectedVm(m, eventsSince(snapshot)));
    }
  });

  it("gives every host's hardware, version, state, datacenter and cluster", () => {
    for (const m of vc.manifest.hosts) {
      expect(snapshot.hosts.find((h) => h.externalId === m.moref), m.name).toMatchObject(expectedHost(m));
    }
    expect(snapshot.hosts.some((h) => h.connectionState === "notResponding")).toBe(true);
  });

  it("reads clusters with DRS and HA, datastores, datacenters and resource pools", async () => {
    const client = await connectSource(source(vc), signal());
    try {
      await client.login();
      const inventory = await collectInventory(client);
      const clusters = inventory.computeResources.filter((c) => c.isCluster);
      expect(clusters.map((c) => [c.ref.value, c.name, c.drsEnabled, c.haEnabled]).sort()).toEqual(
        (vc.manifest.clusters ?? []).map((c) => [c.moref, c.name, c.drsEnabled, c.haEnabled]).sort(),
      );
      expect(new Set(clusters.map((c) => `${c.drsEnabled}/${c.haEnabled}`)).size).toBeGreaterThan(1);
      expect(inventory.datastores.map((d) => [d.ref.value, d.name, d.type, d.capacityMiB]).sort()).toEqual(
        vc.manifest.datastores.map((d) => [d.moref, d.name, d.type, d.capacityBytes / 2 ** 20]).sort(),
      );
      expect(inventory.datacenters.map((d) => d.name).sort()).toEqual(vc.manifest.datacenters.map((d) => d.name).sort());
      expect(inventory.resourcePools.map((p) => p.ref.value).sort()).toEqual(vc.manifest.resourcePools.map((p) => p.moref).sort());
      expect(parseSnapshot(toSnapshot(inventory, new Date().toISOString())).virtualMachines).toHaveLength(24);
    } finally {
      await client.logout();
      client.close();
    }
  });

  it("has the varied inventory the analyses need", () => {
    const vms = snapshot.virtualMachines;
    expect(new Set(vms.map((v) => v.powerState))).toEqual(new Set(["poweredOn", "poweredOff", "suspended"]));
    expect(vms.filter((v) => v.template).length).toBeGreaterThan(1);
    expect(new Set(vms.map((v) => v.guestOsFamily))).toEqual(new Set(["linux", "windows", "other"]));
    expect(new Set(vms.map((v) => v.datacenter)).size).toBe(2);
    expect(new Set(vms.map((v) => v.cluster)).size).toBe(5); // 4 clusters and the standalone hosts
    expect(new Set(vms.map((v) => v.memoryMiB)).size).toBeGreaterThan(3);
    expect(vms.filter((v) => v.snapshotCount > 0).length).toBeGreaterThan(3);
  });
});

describe("vsphere collector against vcsim: what each VM is (-identities)", () => {
  let ids: Peer;
  let identities: ManifestIdentity[];
  let snapshot: Snapshot;
  beforeAll(async () => {
    ids = await startVcsim(PASSWORD, ["-dc", "1", "-cluster", "1", "-host", "2", "-standalone-host", "0", "-vm", "2", "-identities"]);
    identities = JSON.parse(fs.readFileSync(path.join(ids.dir, "manifest.json.identities.json"), "utf8")) as ManifestIdentity[];
    snapshot = await collect(ids);
  }, 900_000);
  afterAll(async () => {
    if (ids) await stopVcsim(ids);
  });

  it("gives every identity VM its product, managedBy, guest ids, template flag, annotation and named custom attributes", () => {
    expect(identities.length).toBe(18);
    expect(snapshot.warnings).toEqual([]);
    for (const m of identities) {
      expect(snapshot.virtualMachines.find((v) => v.externalId === m.moref), m.name).toMatchObject(expectedIdentity(m));
    }
  });

  it("covers each kind of evidence, and leaves the plain VMs without any", () => {
    const byName = new Map(snapshot.virtualMachines.map((v) => [v.name, v]));
    expect(byName.get("vcsa-01")!.product).toMatchObject({ name: "VMware vCenter Server Appliance", vendor: "VMware Inc." });
    expect(byName.get("vCLS-1f2a6c3e-7b1d-4c2e-9a8f-0d3b5e7c9a11")!.managedBy).toEqual({ extensionKey: "com.vmware.vim.eam", type: "cluster-agent" });
    expect(byName.get("esxi-nested-01")!.guestOsId).toBe("vmkernel7Guest");
    expect(byName.get("tpl-rhel9")!.template).toBe(true);
    expect(byName.get("tkg-wl01-control-plane-7xk2p")!.attributes).toEqual({ "cluster.x-k8s.io/cluster-name": "tkg-wl01", "cluster.x-k8s.io/control-plane": "true" });
    const plain = ids.manifest.virtualMachines.filter((m) => !identities.some((i) => i.moref === m.moref));
    expect(plain).toHaveLength(2);
    for (const m of plain) expect(snapshot.virtualMachines.find((v) => v.externalId === m.moref), m.name).toEqual(expectedVm(m, eventsSince(snapshot)));
  });
});

describe("vsphere collector against vcsim (standalone ESXi)", () => {
  it("collects the host and its VMs", async () => {
    const snapshot = await collect(esx, { insecure: true });
    expect(esx.manifest.apiType).toBe("HostAgent");
    expect(snapshot.hosts).toHaveLength(1);
    expect(snapshot.hosts[0]).toMatchObject(expectedHost(esx.manifest.hosts[0]!));
    expect(snapshot.virtualMachines).toHaveLength(8);
    for (const m of esx.manifest.virtualMachines) {
      expect(snapshot.virtualMachines.find((v) => v.externalId === m.moref), m.name).toEqual(expectedVm(m));
    }
  });
});

describe("vsphere collector: trust, credentials, sessions", () => {
  it("refuses vcsim's self-signed certificate unless pinned, and shows its fingerprint", async () => {
    const error = await collectVsphere(source(vc, {}), { signal: signal() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VsphereTlsError);
    expect(error).toMatchObject({ fingerprint: vc.manifest.fingerprint });
    const wrong = await collectVsphere(source(vc, { fingerprint: esx.manifest.fingerprint.replace(/^../, "00") }), { signal: signal() }).catch(
      (e: unknown) => e,
    );
    expect((wrong as Error).message).toMatch(/does not match the pinned fingerprint/);
  });

  it("reports a wrong password without showing it", async () => {
    const error = await collectVsphere(source(vc, undefined, "not-the-Password"), { signal: signal() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VsphereLoginError);
    expect(String((error as Error).message)).not.toContain("not-the-Password");
  });

  it("says when the host is unreachable", async () => {
    const port = await freePort();
    const unreachable = { ...source(vc), endpoint: `https://127.0.0.1:${port}/sdk` };
    await expect(collectVsphere(unreachable, { signal: signal() })).rejects.toThrow(VsphereConnectionError);
  });

  it("logs in again once when its session is ended mid-run, and logs out at the end", async () => {
    const admin = await connectSource(source(vc), signal());
    const client = await connectSource(source(vc), signal());
    try {
      await admin.login();
      await client.login();
      const first = client.sessionKey!;
      expect(await sessionKeys(admin)).toContain(first);
      // The administrator ends the collector's session, as an expiry would.
      await admin.call("TerminateSession", admin.content.sessionManager, `<sessionId>${first}</sessionId>`);
      const inventory = await client.withSession(() => collectInventory(client));
      expect(client.logins).toBe(2);
      expect(inventory.virtualMachines).toHaveLength(24);
      const second = client.sessionKey!;
      expect(second).not.toBe(first);
      expect(await client.logout()).toBe(true);
      expect(await sessionKeys(admin)).toEqual([admin.sessionKey]);

      // A whole collection leaves no session behind either.
      await collectVsphere(source(vc), { signal: signal() });
      expect(await sessionKeys(admin)).toEqual([admin.sessionKey]);
    } finally {
      await admin.logout();
      admin.close();
      client.close();
    }
  });

  it("stops when cancelled", async () => {
    const controller = new AbortController();
    const running = collectVsphere(source(vc), { signal: controller.signal });
    controller.abort(new Error("cancelled"));
    await expect(running).rejects.toThrow("cancelled");
  });
});

describe("collect CLI: vsphere", () => {
  const cli = (args: string[]) =>
    run(path.join(root, "node_modules/.bin/tsx"), [path.join(root, "scripts/collect.ts"), "vsphere", ...args], {
      cwd: root,
      env: { ...process.env, VCSIM_PASSWORD: PASSWORD },
      timeout: 120_000,
      maxBuffer: 256 * 1024 * 1024, // a week of performance history is several MB of JSON
    });

  it("prints the snapshot as JSON, in the shape of the other collectors", async () => {
    const endpoint = `https://127.0.0.1:${vc.port}/sdk`;
    const { stdout } = await cli([endpoint, "--user", vc.manifest.username, "--password-env", "VCSIM_PASSWORD", "--fingerprint", vc.manifest.fingerprint, "--json"]);
    const printed = parseSnapshot(JSON.parse(stdout));
    expect(Object.keys(JSON.parse(stdout))).toEqual(["kind", "version", "collectedAt", "hosts", "virtualMachines", "containers", "images", "guests", "hostKeys", "utilisation", "warnings"]);
    expect(printed.guests).toEqual([]);
    expect(printed.virtualMachines).toHaveLength(24);
    expect(printed.hosts).toHaveLength(10);
    // Measured use: quick stats (20 s) and a week of 30-minute history for every host and powered-on VM.
    const on = printed.virtualMachines.filter((v) => v.powerState === "poweredOn" && !v.template).map((v) => v.externalId);
    const withHistory = (object: string) =>
      new Set(printed.utilisation.filter((u) => u.object === object && u.intervalSeconds === 1800).map((u) => u.externalId));
    expect([...withHistory("virtualMachine")].sort()).toEqual(on.sort());
    expect(withHistory("host").size).toBe(10);
    // Quick stats of the connected hosts and their powered-on VMs (the launcher leaves one host not responding).
    const connected = new Set(vc.manifest.hosts.filter((h) => h.connectionState === "connected").map((h) => h.moref));
    const onConnected = vc.manifest.virtualMachines.filter((v) => on.includes(v.moref) && connected.has(v.host)).length;
    expect(connected.size).toBe(9);
    expect(printed.utilisation.filter((u) => u.intervalSeconds === 20 && u.metric === "cpu.usage.mhz").length).toBe(connected.size + onConnected);
  });

  it("fails with the certificate's fingerprint when neither --fingerprint nor --insecure is given", async () => {
    const error = (await cli([`https://127.0.0.1:${vc.port}/sdk`, "--user", "u", "--password-env", "VCSIM_PASSWORD"]).catch(
      (e: unknown) => e,
    )) as { code: number; stderr: string };
    expect(error.code).toBe(1);
    expect(error.stderr).toContain(vc.manifest.fingerprint);
    expect(error.stderr).not.toContain(PASSWORD);
  });
});

describe("vsphere end to end: vcsim → collectSource → database", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    vi.stubEnv("FLEETLENS_SECRET_KEY", "5e".repeat(32));
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.drop();
    vi.unstubAllEnvs();
  });

  it("stores the collected inventory, and keeps it when a later run fails", async () => {
    const customer = await t.prisma.customer.create({ data: { name: "vSphere customer" } });
    const src = await t.prisma.source.create({
      data: {
        customerId: customer.id,
        kind: "vsphere",
        name: "vcsim",
        endpoint: `https://127.0.0.1:${vc.port}/sdk`,
        username: vc.manifest.username,
        secret: new Uint8Array(encryptSecret(PASSWORD)),
        options: { fingerprint: vc.manifest.fingerprint },
      },
    });
    const result = await collectSource(src.id, { database: t });
    expect(result.byKind.virtualMachines.added).toBe(24);
    expect(result.byKind.hosts.added).toBe(10);

    const template = vc.manifest.virtualMachines.find((v) => v.template)!;
    const stored = await t.prisma.virtualMachine.findFirstOrThrow({
      where: { sourceId: src.id, externalId: template.moref },
      include: { host: true, disks: { orderBy: { key: "asc" } } },
    });
    expect(stored).toMatchObject({
      name: template.name,
      template: true,
      powerState: "poweredOff",
      vcpus: template.cpus,
      memoryMiB: template.memoryMB,
      guestOsId: template.guestId,
      folder: template.folder,
      datacenter: template.datacenter,
    });
    expect(stored.host?.externalId).toBe(template.host);
    expect(stored.disks).toHaveLength(template.disks.length);
    const rdm = vc.manifest.virtualMachines.find((v) => v.disks.some((d) => d.compatibility))!;
    expect((await t.prisma.virtualMachine.findFirstOrThrow({ where: { sourceId: src.id, externalId: rdm.moref } })).rdmDisk).toBe(true);
    expect(await t.prisma.virtualDisk.count({ where: { vm: { sourceId: src.id } } })).toBe(
      vc.manifest.virtualMachines.reduce((n, v) => n + v.disks.length, 0),
    );

    // A wrong password later: the run fails with a clear error, the inventory stays.
    await t.prisma.source.update({ where: { id: src.id }, data: { secret: new Uint8Array(encryptSecret("wrong-password")) } });
    await expect(collectSource(src.id, { database: t })).rejects.toThrow(VsphereLoginError);
    const runs = await t.prisma.collectionRun.findMany({ where: { sourceId: src.id }, orderBy: { startedAt: "asc" } });
    expect(runs.map((r) => r.status)).toEqual(["succeeded", "failed"]);
    expect(runs[1]!.error).toMatch(/refused: wrong user name or password \(InvalidLogin\)/);
    expect(await t.prisma.virtualMachine.count({ where: { sourceId: src.id } })).toBe(24);
    expect(await t.prisma.host.count({ where: { sourceId: src.id } })).toBe(10);
  });
});

/**
 * The libvirt collector against a real libvirtd (tests/peers/libvirtd.sh: unprivileged, libvirt's
 * test driver serving tests/fixtures/libvirt/node.xml) over a unix socket and TCP, compared field
 * by field with the fixture; a daemon that requires SASL, a daemon that is down or goes away
 * mid-collection, an unknown procedure, and the CLI.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CollectableSource } from "../../server/collectors";
import { collectLibvirt, connectLibvirt } from "../../server/collectors/libvirt/collector";
import {
  LibvirtAuthError,
  LibvirtConnectionError,
  LibvirtRemoteError,
} from "../../server/collectors/libvirt/errors";
import { parseLibvirtUri } from "../../server/collectors/libvirt/uri";
import { applySnapshot } from "../../server/inventory/ingest";
import { parseSnapshot, type Snapshot, type VirtualMachineSnapshot } from "../../server/inventory/snapshot";
import { createTestDatabase } from "./db";

const run = promisify(execFile);
const root = path.join(import.meta.dirname, "../..");
const script = path.join(root, "tests/peers/libvirtd.sh");

interface Peer {
  dir: string;
  unixUri: string;
  tcpUri: string;
  tlsUri: string;
  sessionUri: string | null;
}

async function startPeer(env: Record<string, string> = {}): Promise<Peer> {
  const { stdout } = await run("bash", [script, "start"], { timeout: 900_000, env: { ...process.env, ...env } });
  const dir = stdout.trim();
  const read = (name: string) => fs.readFileSync(path.join(dir, name), "utf8").trim();
  return { dir, unixUri: read("unix-uri"), tcpUri: read("tcp-uri"), tlsUri: read("tls-uri"),
    sessionUri: fs.existsSync(path.join(dir, "session-uri")) ? read("session-uri") : null,
  };
}

const stopPeer = (peer: Peer | undefined) => (peer ? run("bash", [script, "stop", peer.dir]) : Promise.resolve());

const source = (endpoint: string, options: Record<string, unknown> = {}): CollectableSource => ({
  kind: "libvirt",
  name: endpoint,
  endpoint,
  username: null,
  secret: null,
  options,
});

const collect = async (endpoint: string) =>
  parseSnapshot(await collectLibvirt(source(endpoint), { signal: new AbortController().signal }));

let peer: Peer;
let saslPeer: Peer;

beforeAll(async () => {
  peer = await startPeer({ LIBVIRTD_SESSION_DOMAIN: "1" });
  saslPeer = await startPeer({ LIBVIRTD_AUTH_TCP: "sasl" });
}, 900_000);

afterAll(async () => {
  await Promise.all([stopPeer(peer), stopPeer(saslPeer)]);
});

/** What tests/fixtures/libvirt/node.xml says, in snapshot terms. */
const disk = (key: string, label: string, path: string, format: string, extra: object = {}) => ({
  key,
  label,
  capacityMiB: null, // the test driver has no block stats: capacity unknown, never 0
  thin: format === "qcow2" ? true : null,
  mode: "persistent",
  rdm: "none",
  sharing: "none",
  datastore: null,
  path,
  format,
  cbtEnabled: null, // libvirt has no per-disk change tracking flag
  bus: label.split(" ")[1] ?? null, // the label is "<type> <bus>"
  ...extra,
});

const FLAGS = {
  passthrough: false,
  sriov: false,
  usbController: false,
  tpm: false,
  cpuHotAdd: false,
  memoryHotAdd: false,
  cpuAffinity: false,
};

const EXPECTED: Record<string, Partial<VirtualMachineSnapshot>> = {
  "debian-paused": {
    uuid: "6f1b2c3d-0004-4a5b-8c7d-9e0f1a2b3c04",
    powerState: "paused",
    vcpus: 1,
    coresPerSocket: null,
    memoryMiB: 2048,
    memoryBalloonedMiB: 0,
    guestOsId: "http://debian.org/debian/12",
    guestOsConfigured: "Debian 12",
    guestOsFamily: "linux",
    hardwareVersion: "pc-i440fx-7.2",
    annotation: null,
    macAddresses: ["52:54:00:aa:00:04"],
    nicCount: 1,
    ...FLAGS,
    disks: [disk("vda", "network virtio", "rbd://pool/debian-paused", "raw")] as VirtualMachineSnapshot["disks"],
  },
  "gpu-cluster-node": {
    uuid: "6f1b2c3d-0005-4a5b-8c7d-9e0f1a2b3c05",
    powerState: "poweredOn",
    vcpus: 8,
    coresPerSocket: null,
    memoryMiB: 16384,
    memoryBalloonedMiB: 0,
    guestOsId: "http://rockylinux.org/rocky/9",
    guestOsConfigured: "Rocky Linux 9",
    guestOsFamily: "linux",
    hardwareVersion: "pc-q35-7.2",
    annotation: null,
    macAddresses: ["52:54:00:aa:00:05"],
    nicCount: 1,
    ...FLAGS,
    passthrough: true,
    disks: [
      disk("vda", "file virtio", "/var/lib/libvirt/images/gpu-root.qcow2", "qcow2"),
      disk("vdb", "block virtio", "/dev/mapper/cluster-quorum", "raw", { sharing: "multi-writer" }),
    ] as VirtualMachineSnapshot["disks"],
  },
  "legacy-appliance": {
    uuid: "6f1b2c3d-0006-4a5b-8c7d-9e0f1a2b3c06",
    powerState: "poweredOff",
    vcpus: 1,
    coresPerSocket: null,
    memoryMiB: 512,
    memoryBalloonedMiB: 0,
    guestOsId: null,
    guestOsConfigured: null,
    guestOsFamily: "unknown",
    hardwareVersion: null,
    annotation: null,
    macAddresses: [],
    nicCount: 0,
    ...FLAGS,
    disks: [],
  },
  "rhel-db": {
    uuid: "6f1b2c3d-0002-4a5b-8c7d-9e0f1a2b3c02",
    powerState: "poweredOn",
    vcpus: 4,
    coresPerSocket: 4,
    memoryMiB: 8192,
    memoryBalloonedMiB: 2048,
    guestOsId: "http://redhat.com/rhel/9.2",
    guestOsConfigured: "Red Hat Enterprise Linux 9.2",
    guestOsFamily: "linux",
    hardwareVersion: "pc-q35-rhel9.2.0",
    annotation: null,
    macAddresses: ["52:54:00:aa:00:02", "52:54:00:aa:00:12"],
    nicCount: 2,
    ...FLAGS,
    cpuHotAdd: true,
    memoryHotAdd: true,
    cpuAffinity: true,
    disks: [
      disk("vda", "file virtio", "/var/lib/libvirt/images/rhel-db-root.img", "raw"),
      disk("vdb", "block virtio", "/dev/vg0/rhel-db-data", "raw"),
    ] as VirtualMachineSnapshot["disks"],
  },
  "ubuntu-web": {
    uuid: "6f1b2c3d-0001-4a5b-8c7d-9e0f1a2b3c01",
    powerState: "poweredOn",
    vcpus: 2,
    coresPerSocket: 2,
    memoryMiB: 4096,
    memoryBalloonedMiB: 0,
    guestOsId: "http://ubuntu.com/ubuntu/22.04",
    guestOsConfigured: "Ubuntu 22.04",
    guestOsFamily: "linux",
    hardwareVersion: "pc-q35-7.2",
    // <title>, <description> and <metadata> (OpenStack Nova's, libosinfo's read as the OS).
    title: "Web frontend",
    annotation: "nginx + node, customer portal",
    attributes: {
      "nova:instance/nova:package@version": "27.1.0",
      "nova:instance/nova:name": "portal-web-1",
      "nova:instance/nova:flavor@name": "m1.medium",
      "nova:instance/nova:flavor/nova:memory": "4096",
      "nova:instance/nova:flavor/nova:vcpus": "2",
      "nova:instance/nova:owner/nova:user": "portal",
      "nova:instance/nova:owner/nova:user@uuid": "5e2f0c1a",
      "nova:instance/nova:owner/nova:project": "customer-a",
      "nova:instance/nova:owner/nova:project@uuid": "9a7c3b21",
    },
    macAddresses: ["52:54:00:aa:00:01"],
    nicCount: 1,
    ...FLAGS,
    disks: [disk("vda", "file virtio", "/var/lib/libvirt/images/ubuntu-web.qcow2", "qcow2")] as VirtualMachineSnapshot["disks"],
  },
  "win-ad": {
    uuid: "6f1b2c3d-0003-4a5b-8c7d-9e0f1a2b3c03",
    powerState: "poweredOff",
    vcpus: 4,
    coresPerSocket: null,
    memoryMiB: 8192,
    memoryBalloonedMiB: 0,
    guestOsId: "http://microsoft.com/win/2k22",
    guestOsConfigured: "Windows Server 2022",
    guestOsFamily: "windows",
    hardwareVersion: "pc-q35-7.2",
    title: null,
    annotation: "Domain controller",
    attributes: {},
    macAddresses: ["52:54:00:aa:00:03"],
    nicCount: 1,
    ...FLAGS,
    usbController: true,
    tpm: true,
    disks: [disk("sda", "file sata", "/var/lib/libvirt/images/win-ad.qcow2", "qcow2")] as VirtualMachineSnapshot["disks"],
  },
};

function checkSnapshot(snapshot: Snapshot) {
  expect(snapshot.hosts).toHaveLength(1);
  const host = snapshot.hosts[0]!;
  expect(host).toMatchObject({
    role: "hypervisor",
    platform: "other", // the test driver; "kvm" for QEMU
    productName: "TEST",
    cpuModel: "x86_64",
    cpuSockets: 2,
    cpuCores: 16,
    cpuThreads: 32,
    cpuMhz: 2600,
    memoryMiB: 131072,
    connectionState: "connected",
  });
  expect(host.name).toBe(host.hostname);
  expect(host.apiVersion).toMatch(/^\d+\.\d+\.\d+$/);
  expect(snapshot.virtualMachines.map((vm) => vm.name)).toEqual(Object.keys(EXPECTED));
  for (const vm of snapshot.virtualMachines) {
    const expected = EXPECTED[vm.name]!;
    expect(vm, vm.name).toMatchObject({ ...expected, externalId: expected.uuid, hostExternalId: host.externalId });
    expect(vm.disks, vm.name).toEqual(expected.disks);
  }
  // The test driver has no node memory stats or parameters: measured use says so, once.
  expect(snapshot.warnings).toEqual([
    "measured use: the libvirt driver does not support NODE_GET_MEMORY_PARAMETERS, NODE_GET_MEMORY_STATS: what those calls give is left out of this collection",
  ]);
}

describe("libvirt collector against libvirtd (test driver)", () => {
  it("collects the node and its six domains over the unix socket, field by field", async () => {
    checkSnapshot(await collect(peer.unixUri));
  });

  it("collects the same over TCP", async () => {
    const [overTcp, overUnix] = await Promise.all([collect(peer.tcpUri), collect(peer.unixUri)]);
    checkSnapshot(overTcp);
    expect({ ...overTcp, collectedAt: null }).toEqual({ ...overUnix, collectedAt: null });
  });

  it("collects the same over TLS with a client certificate (after the daemon's check byte)", async () => {
    checkSnapshot(await collect(peer.tlsUri));
  });

  it("says which TLS file is missing, and refuses a server its CA did not sign", async () => {
    const empty = path.join(peer.dir, "no-pki");
    fs.mkdirSync(empty, { recursive: true });
    const missing = await collect(peer.tlsUri.replace(/pkipath=[^&]*/, `pkipath=${empty}`)).catch((e: unknown) => e);
    expect((missing as Error).message).toMatch(/cannot read .*no-pki\/cacert.pem for libvirt TLS/);

    const otherCa = path.join(peer.dir, "other-ca");
    fs.mkdirSync(otherCa, { recursive: true });
    for (const file of ["clientcert.pem", "clientkey.pem"]) {
      fs.copyFileSync(path.join(peer.dir, "pki", file), path.join(otherCa, file));
    }
    fs.copyFileSync(path.join(peer.dir, "pki", "clientcert.pem"), path.join(otherCa, "cacert.pem"));
    const untrusted = await collect(peer.tlsUri.replace(/pkipath=[^&]*/, `pkipath=${otherCa}`)).catch((e: unknown) => e);
    expect(untrusted).toBeInstanceOf(LibvirtConnectionError);
    expect((untrusted as Error).message).toMatch(/cannot connect to libvirt at 127\.0\.0\.1:\d+/);
  });

  it("collects a real QEMU domain under qemu:///session, with disk sizes from the domain stats", async () => {
    const snapshot = await collect(peer.sessionUri!);
    const host = snapshot.hosts[0]!;
    expect(host).toMatchObject({ platform: "kvm", productName: "QEMU/KVM", role: "hypervisor" });
    expect(host.productVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(host.cpuCores).toBeGreaterThan(0);
    expect(host.memoryMiB).toBeGreaterThan(0);
    expect(snapshot.virtualMachines).toHaveLength(1);
    const vm = snapshot.virtualMachines[0]!;
    expect(vm).toMatchObject({
      externalId: "7a2e9c41-5b3d-4f6e-8a1b-2c3d4e5f6a71",
      uuid: "7a2e9c41-5b3d-4f6e-8a1b-2c3d4e5f6a71",
      name: "session-alpine",
      hostExternalId: host.externalId,
      powerState: "poweredOn",
      vcpus: 1,
      memoryMiB: 256,
      memoryBalloonedMiB: 0,
      provisionedMiB: 1024,
      guestOsId: "http://alpinelinux.org/alpinelinux/3.18",
      guestOsConfigured: "Alpine Linux 3.18",
      guestOsFamily: "linux",
      title: "Real session domain",
      annotation: null,
      macAddresses: ["52:54:00:bb:00:01"],
      nicCount: 1,
      usbController: true, // QEMU adds a USB controller to a "pc" machine
      passthrough: false,
      tpm: false,
    });
    expect(vm.hardwareVersion).toMatch(/^pc-i440fx-/); // "pc" expanded by QEMU
    expect(vm.usedMiB).toBeGreaterThan(0); // the qcow2 file's size on disk
    expect(vm.usedMiB).toBeLessThan(16);
    expect(vm.disks).toEqual([
      {
        key: "vda",
        label: "file virtio",
        capacityMiB: 1024,
        thin: true,
        mode: "persistent",
        rdm: "none",
        sharing: "none",
        datastore: null,
        path: path.join(peer.dir, "images/session-alpine.qcow2"),
        format: "qcow2",
        cbtEnabled: null,
        bus: "virtio",
      },
    ]);
    expect(snapshot.warnings).toEqual([]);
  });

  it("stores what it collected: the paused domain as paused, disks of unknown capacity as NULL", async () => {
    const t = await createTestDatabase();
    try {
      const customer = await t.prisma.customer.create({ data: { name: "libvirt customer" } });
      const stored = await t.prisma.source.create({
        data: { customerId: customer.id, kind: "libvirt", name: "test driver", endpoint: peer.unixUri },
      });
      await applySnapshot(stored.id, await collect(peer.unixUri), { database: t });
      const vms = await t.prisma.virtualMachine.findMany({
        where: { sourceId: stored.id },
        include: { disks: true },
        orderBy: { name: "asc" },
      });
      expect(Object.fromEntries(vms.map((vm) => [vm.name, vm.powerState]))).toEqual(
        Object.fromEntries(Object.entries(EXPECTED).map(([name, vm]) => [name, vm.powerState])),
      );
      expect(vms.find((vm) => vm.name === "debian-paused")!.powerState).toBe("paused");
      const disks = vms.flatMap((vm) => vm.disks);
      expect(disks.length).toBeGreaterThan(0);
      expect(disks.map((d) => d.capacityMiB)).toEqual(disks.map(() => null));
      const { rows } = await t.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM virtual_disk WHERE capacity_mib IS NULL`,
      );
      expect(rows[0]!.n).toBe(disks.length);
    } finally {
      await t.drop();
    }
  });

  it("says plainly that SASL is not supported yet, without touching the inventory", async () => {
    const error = await collect(saslPeer.tcpUri).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LibvirtAuthError);
    expect((error as Error).message).toMatch(/requires SASL authentication on this socket: not supported yet, use tls/);
    // The unix socket of the same daemon (auth none) still works.
    expect((await collect(saslPeer.unixUri)).virtualMachines).toHaveLength(6);
  });

  it("reports a daemon that is down", async () => {
    const missing = path.join(peer.dir, "run/libvirt/nothing-here");
    const error = await collect(`test+unix:///default?socket=${missing}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LibvirtConnectionError);
    expect((error as Error).message).toMatch(/cannot connect to libvirt at .*nothing-here.*ENOENT.*is the libvirt daemon running/);

    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const refused = await collect(`test+tcp://127.0.0.1:${closed}/default`).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LibvirtConnectionError);
    expect((refused as Error).message).toMatch(/ECONNREFUSED/);
  });

  it("reports an unknown procedure as the daemon's error, and the connection stays usable", async () => {
    const conn = await connectLibvirt(parseLibvirtUri(peer.unixUri), { timeoutMs: 10_000 });
    try {
      const error = await conn.rpc.call(99_999, "PROCEDURE_99999").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LibvirtRemoteError);
      expect((error as LibvirtRemoteError).unsupported).toBe(true);
      expect(await conn.hostname()).toBeTruthy();
    } finally {
      await conn.close();
      conn.rpc.destroy();
    }
  });

  it("reports a daemon that goes away mid-collection", async () => {
    const doomed = await startPeer();
    let stopped = false;
    try {
      const conn = await connectLibvirt(parseLibvirtUri(doomed.unixUri), { timeoutMs: 10_000 });
      expect((await conn.listAllDomains()).length).toBe(6);
      await stopPeer(doomed);
      stopped = true;
      const error = await conn.nodeInfo().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LibvirtConnectionError);
      expect((error as Error).message).toMatch(/NODE_GET_INFO: .*closed the connection|NODE_GET_INFO: .*ECONNRESET|EPIPE/);
      conn.rpc.destroy();
    } finally {
      if (!stopped) await stopPeer(doomed);
    }
  });

  it("prints the snapshot from the CLI (--json) in the other collectors' shape", async () => {
    const { stdout } = await run("npm", ["run", "--silent", "collect", "--", "libvirt", peer.tcpUri, "--json"], {
      cwd: root,
      timeout: 120_000,
    });
    checkSnapshot(parseSnapshot(JSON.parse(stdout)));
  });
});

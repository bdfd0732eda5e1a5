/**
 * The lxd collector's normalisation on answers recorded from a real LXD 5.0.2
 * (tests/fixtures/lxd/, recorded from tests/peers/lxd.sh by tests/fixtures/lxd/record.sh), plus
 * variations of those documents for what one standalone peer cannot show (a cluster, cloud-init
 * keys, GPUs and USB devices, proxy ranges), and the command line's parser.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { UsageError } from "@/server/cli/args";
import {
  clusterDocument,
  imagesDocument,
  instancesDocument,
  projectsDocument,
  resourcesDocument,
  serverDocument,
  storagePoolsDocument,
  type InstanceDocument,
  type ResourcesDocument,
} from "@/server/collectors/lxd/api";
import { lxdCliParser } from "@/server/collectors/lxd/cli";
import { normalisePem, parseLxdEndpoint } from "@/server/collectors/lxd/client";
import { lxdOptions, lxdTlsPolicy } from "@/server/collectors/lxd/collector";
import {
  hostDevices,
  lxdTime,
  normaliseLxd,
  parseByteSize,
  parseCpuAllowance,
  parseCpuLimit,
  proxyPorts,
  userLabels,
  type LxdDocuments,
} from "@/server/collectors/lxd/normalise";
import { parseSnapshot, type Snapshot } from "@/server/inventory/snapshot";

const FIXTURES = path.resolve(__dirname, "../fixtures/lxd");
const recorded = <T extends z.ZodType>(file: string, schema: T): z.output<T> => {
  const answer = JSON.parse(fs.readFileSync(path.join(FIXTURES, file), "utf8")) as { type: string; metadata: unknown };
  expect(answer.type).toBe("sync");
  return schema.parse(answer.metadata);
};

const server = recorded("server.json", serverDocument);
const resources = recorded("resources.json", resourcesDocument);
const instances = recorded("instances.json", instancesDocument);
const images = recorded("images.json", imagesDocument);
const projects = recorded("projects.json", projectsDocument);
const storagePools = recorded("storage-pools.json", storagePoolsDocument);
const raw = (name: string) => {
  const all = (JSON.parse(fs.readFileSync(path.join(FIXTURES, "instances.json"), "utf8")) as { metadata: Record<string, unknown>[] }).metadata;
  return all.find((i) => i.name === name)!;
};

function documents(over: Partial<LxdDocuments> = {}): LxdDocuments {
  return {
    collectedAt: "2026-12-06T08:00:00.000Z",
    server,
    cluster: null,
    hosts: [{ name: server.environment!.server_name!, member: null, resources }],
    projects,
    instances,
    images,
    storagePools,
    ...over,
  };
}
const snapshotOf = (over: Partial<LxdDocuments> = {}): Snapshot => parseSnapshot(normaliseLxd(documents(over)));
const container = (s: Snapshot, name: string) => {
  const found = s.containers.find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
};
const instance = (name: string): InstanceDocument => instances.find((i) => i.name === name)!;

describe("lxd normalisation of recorded answers", () => {
  const snapshot = snapshotOf();

  it("reads the recorded peer: one host, every container instance a system container, the VM a virtual machine", () => {
    expect(cluster()).toEqual({ enabled: false, server_name: "" });
    expect(snapshot.hosts).toHaveLength(1);
    const containerNames = instances.filter((i) => i.type === "container").map((i) => i.name).sort();
    const vmNames = instances.filter((i) => i.type === "virtual-machine").map((i) => i.name).sort();
    expect(containerNames).toEqual(["c-isolated", "c-priv", "c-spare", "c-web", "cb"]);
    expect(vmNames).toEqual(["v1"]);
    expect(snapshot.containers.map((c) => c.name).sort()).toEqual(containerNames);
    expect(snapshot.virtualMachines.map((v) => v.name)).toEqual(vmNames);
    expect(snapshot.containers.every((c) => c.systemContainer && c.runtime === "lxc")).toBe(true);
    // The root disks are on the peer's one pool, a dir pool.
    expect(storagePools.map((p) => [p.name, p.driver])).toEqual([["default", "dir"]]);
    expect(snapshot.containers.every((c) => c.storageDriver === "dir")).toBe(true);
    expect(snapshot.warnings).toEqual([]);
  });

  it("describes the host from /1.0 and /1.0/resources", () => {
    const [host] = snapshot.hosts;
    const env = server.environment!;
    const sockets = resources.cpu.sockets!;
    expect(host).toMatchObject({
      externalId: env.server_name,
      role: "container-engine",
      platform: "lxd",
      productName: "LXD",
      productVersion: env.server_version,
      apiVersion: server.api_version,
      kernelVersion: env.kernel_version,
      osName: `${env.os_name} ${env.os_version}`,
      cpuSockets: sockets.length,
      cpuCores: sockets.reduce((n, s) => n + s.cores!.length, 0),
      memoryMiB: resources.memory.total / 1024 / 1024,
      runtimes: ["lxc"],
      cgroupVersion: env.lxc_features["cgroup2"] === "true" ? "2" : "1",
      cluster: null,
      // The recorded host has one 256 GiB virtio disk.
      localDiskMiB: 262_144,
    });
  });

  it("counts the host's local disks without removable ones, and says nothing when LXD lists none", () => {
    const disk = (size: number, removable = false) => ({ id: "d", size, removable });
    const on = (storage: ResourcesDocument["storage"]) =>
      snapshotOf({ hosts: [{ name: server.environment!.server_name!, member: null, resources: { ...resources, storage } }] }).hosts[0]!.localDiskMiB;
    expect(on({ disks: [disk(100 * 1024 ** 3), disk(50 * 1024 ** 3), disk(32 * 1024 ** 3, true)] })).toBe(150 * 1024);
    expect(on({ disks: [] })).toBeNull();
    expect(on(null)).toBeNull();
  });

  it("names Incus as Incus, and LXD as LXD", () => {
    expect(server.environment!.server).toBe("lxd");
    const incus = { ...server, environment: { ...server.environment!, server: "incus" } };
    expect(snapshotOf({ server: incus }).hosts[0]!.productName).toBe("Incus");
    expect(snapshot.hosts[0]!.productName).toBe("LXD");
  });

  it("reads each container's isolation settings from its expanded config", () => {
    const priv = container(snapshot, "c-priv");
    expect(priv).toMatchObject({
      privileged: true,
      nesting: true,
      usernsMode: "host",
      idmapIsolated: false,
      rawLxc: "lxc.mount.auto = proc:rw sys:rw",
      cpusetCpus: "0-1",
      nanoCpus: 0,
      devices: ["unix-char:/dev/zero"],
      labels: { tenant: "acme" },
      project: "default",
    });
    expect(priv.mounts).toEqual([
      { type: "bind", source: "/srv/lxd-peer/share", destination: "/mnt/share", readOnly: true, propagation: null },
    ]);
    const isolated = container(snapshot, "c-isolated");
    expect(isolated).toMatchObject({
      privileged: false,
      nesting: false,
      idmapIsolated: true,
      usernsMode: "isolated",
      rawIdmap: "both 1000 1000",
      rawLxc: null,
      cpuQuota: 25_000,
      cpuPeriod: 100_000,
      pidsLimit: 200,
      profiles: ["default", "tools"],
      // From the tools profile: its disk device and its user.role key.
      labels: { role: "tools" },
    });
    expect(isolated.mounts.map((m) => [m.type, m.source, m.destination, m.readOnly])).toEqual([["bind", "/srv/lxd-peer/tools", "/opt/tools", false]]);
    // Near misses: a plain container has none of it.
    const spare = container(snapshot, "c-spare");
    expect(spare).toMatchObject({
      privileged: false,
      nesting: false,
      idmapIsolated: false,
      usernsMode: "shared",
      rawLxc: null,
      rawIdmap: null,
      mounts: [],
      ports: [],
      devices: [],
      labels: {},
      memoryLimitBytes: 0,
      nanoCpus: 0,
      cpusetCpus: null,
      networkMode: "none",
    });
  });

  it("reads limits, state, snapshots, proxy ports, the project and the image used", () => {
    const web = container(snapshot, "c-web");
    expect(web).toMatchObject({
      state: "running",
      status: "Running",
      memoryLimitBytes: 256 * 1024 * 1024,
      nanoCpus: 2e9,
      snapshotCount: instance("c-web").snapshots.length,
      labels: { tenant: "acme" },
    });
    expect(web.snapshotCount).toBe(2);
    expect(web.startedAt).toBe(lxdTime(instance("c-web").last_used_at));
    expect(web.ports).toHaveLength(1);
    expect(web.ports[0]).toMatchObject({ containerPort: 80, protocol: "tcp", hostIp: "127.0.0.1" });
    expect(String(web.ports[0]!.hostPort)).toBe(instance("c-web").expanded_devices.web!.listen!.split(":").pop());
    expect(container(snapshot, "c-spare")).toMatchObject({ state: "exited", startedAt: null });
    expect(container(snapshot, "cb")).toMatchObject({ project: "tenant-b", externalId: "tenant-b/cb", labels: { tenant: "beta" } });
    const [image] = snapshot.images;
    expect(image!.externalId).toBe(images[0]!.fingerprint);
    expect(image!.repoTags).toEqual(["busybox"]);
    expect(image!.sizeBytes).toBe(images[0]!.size);
    expect(snapshot.containers.every((c) => c.imageExternalId === image!.externalId)).toBe(true);
  });

  it("reads the VM definition as LXD reports it: stopped, its limits, its UUID and MAC", () => {
    const [vm] = snapshot.virtualMachines;
    expect(vm).toMatchObject({
      externalId: "default/v1",
      hostExternalId: snapshot.hosts[0]!.externalId,
      powerState: "poweredOff",
      vcpus: 2,
      memoryMiB: 1024,
      uuid: instance("v1").expanded_config["volatile.uuid"],
      macAddresses: ["00:16:3e:aa:bb:cc"],
      attributes: { tenant: "acme" },
      tags: ["project/default", "profile/default"],
    });
    expect(vm!.disks).toEqual([expect.objectContaining({ key: "root", datastore: "default", capacityMiB: null })]);
  });

  it("takes LXD's defaults for a VM without limits, and a percentage of the host's memory", () => {
    const bare = { ...instance("v1"), expanded_config: { "limits.memory": "50%" } };
    const s = snapshotOf({ instances: [bare] });
    expect(s.virtualMachines[0]).toMatchObject({ vcpus: 1, memoryMiB: resources.memory.total / 2 / 1024 / 1024 });
    const none = snapshotOf({ instances: [{ ...instance("v1"), expanded_config: {} }] });
    expect(none.virtualMachines[0]).toMatchObject({ vcpus: 1, memoryMiB: 1024, uuid: null });
  });

  it("never reads cloud-init payloads into labels", () => {
    const config = { ...instance("c-web").expanded_config, "user.user-data": "#cloud-config\npassword: s3cret", "user.vendor-data": "x", "user.owner": "ops" };
    const s = snapshotOf({ instances: [{ ...instance("c-web"), expanded_config: config }] });
    expect(container(s, "c-web").labels).toEqual({ tenant: "acme", owner: "ops" });
    expect(JSON.stringify(s)).not.toContain("s3cret");
  });

  it("takes the storage driver from the root disk's pool, and none where the pool is not listed", () => {
    const onZfs = { ...instance("c-web"), expanded_devices: { ...instance("c-web").expanded_devices, root: { type: "disk", path: "/", pool: "fast" } } };
    const s = snapshotOf({ instances: [onZfs, instance("c-spare")], storagePools: [...storagePools, { name: "fast", driver: "zfs" }] });
    expect(container(s, "c-web").storageDriver).toBe("zfs");
    expect(container(s, "c-spare").storageDriver).toBe("dir");
    expect(container(snapshotOf({ storagePools: [] }), "c-spare").storageDriver).toBeNull();
  });

  it("reads LXD's booleans as LXD does, and a false setting as false", () => {
    const with_ = (config: Record<string, string>) =>
      container(snapshotOf({ instances: [{ ...instance("c-spare"), expanded_config: { ...instance("c-spare").expanded_config, ...config } }] }), "c-spare");
    expect(with_({ "security.privileged": "1" }).privileged).toBe(true);
    expect(with_({ "security.privileged": "false" }).privileged).toBe(false);
    expect(with_({ "security.nesting": "no" }).nesting).toBe(false);
    expect(with_({ "security.idmap.isolated": "yes" }).idmapIsolated).toBe(true);
    expect(with_({ "raw.lxc": "" }).rawLxc).toBeNull();
  });

  it("splits a cluster into its members, each with its instances and the images they use", () => {
    const members = [
      { server_name: "node1", url: "https://10.0.0.1:8443", status: "Online", message: "Fully operational", architecture: "x86_64" },
      { server_name: "node2", url: "https://10.0.0.2:8443", status: "Online", message: "Fully operational", architecture: "x86_64" },
    ];
    const placed = instances.map((i) => ({ ...i, location: i.name === "c-web" ? "node2" : i.name === "cb" ? "node9" : "node1" }));
    const s = parseSnapshot(
      normaliseLxd(
        documents({
          cluster: "lxd.example",
          hosts: members.map((member) => ({ name: member.server_name, member, resources })),
          instances: placed,
        }),
      ),
    );
    expect(s.hosts.map((h) => [h.externalId, h.cluster, h.connectionState, h.ipAddresses])).toEqual([
      ["node1", "lxd.example", "Online", ["10.0.0.1"]],
      ["node2", "lxd.example", "Online", ["10.0.0.2"]],
    ]);
    expect(container(s, "c-web").hostExternalId).toBe("node2");
    expect(container(s, "c-priv").hostExternalId).toBe("node1");
    const fp = images[0]!.fingerprint;
    expect(s.images.map((i) => [i.externalId, i.hostExternalId]).sort()).toEqual([
      [`node1:${fp}`, "node1"],
      [`node2:${fp}`, "node2"],
    ]);
    expect(container(s, "c-web").imageExternalId).toBe(`node2:${fp}`);
    // An instance on a member the cluster does not list is skipped, and said.
    expect(s.containers.find((c) => c.name === "cb")).toBeUndefined();
    expect(s.warnings).toEqual([expect.stringContaining("tenant-b/cb")]);
  });

  it("refuses malformed documents, naming the field", () => {
    const broken = [{ ...raw("c-web"), expanded_config: "limits.cpu=2" }];
    const parsed = instancesDocument.safeParse(broken);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.path).toEqual([0, "expanded_config"]);
    expect(imagesDocument.safeParse([{ ...images[0], fingerprint: "not-a-fingerprint" }]).success).toBe(false);
    expect(resourcesDocument.safeParse({ cpu: {} }).success).toBe(false);
    // The recorded documents themselves parse (near miss).
    expect(instancesDocument.safeParse([raw("c-web")]).success).toBe(true);
  });
});

function cluster() {
  return recorded("cluster.json", clusterDocument);
}

describe("lxd value parsing", () => {
  it("reads sizes as LXD writes them", () => {
    expect(parseByteSize("256MiB")).toBe(268_435_456);
    expect(parseByteSize("1GB")).toBe(1e9);
    expect(parseByteSize("1073741824")).toBe(1_073_741_824);
    expect(parseByteSize("1.5GiB")).toBe(1_610_612_736);
    expect(parseByteSize("50%", 8e9)).toBe(4e9);
    expect(parseByteSize("50%")).toBeNull();
    expect(parseByteSize("256 mb")).toBeNull();
    expect(parseByteSize(undefined)).toBeNull();
  });

  it("tells a CPU count from a CPU set, and reads an allowance", () => {
    expect(parseCpuLimit("2")).toEqual({ cpus: 2, set: null });
    expect(parseCpuLimit("0-1")).toEqual({ cpus: 2, set: "0-1" });
    expect(parseCpuLimit("0-3,8")).toEqual({ cpus: 5, set: "0-3,8" });
    expect(parseCpuLimit("1,3")).toEqual({ cpus: 2, set: "1,3" });
    expect(parseCpuLimit("two")).toBeNull();
    expect(parseCpuAllowance("25ms/100ms")).toEqual({ quota: 25_000, period: 100_000 });
    expect(parseCpuAllowance("50%")).toBeNull();
  });

  it("reads LXD's zero times as unknown", () => {
    expect(lxdTime("0001-01-01T00:00:00Z")).toBeNull();
    expect(lxdTime("1970-01-01T00:00:00Z")).toBeNull();
    expect(lxdTime("2026-12-06T07:18:13.00630621Z")).toBe("2026-12-06T07:18:13.006Z");
  });

  it("reads proxy devices as ports: ranges pairwise or onto one port, unix sockets left out", () => {
    expect(
      proxyPorts({
        a: { type: "proxy", listen: "tcp:0.0.0.0:8080-8081", connect: "tcp:127.0.0.1:80-81" },
        b: { type: "proxy", listen: "udp:[::]:53", connect: "udp:127.0.0.1:5353" },
        c: { type: "proxy", listen: "tcp:0.0.0.0:9000,9001", connect: "tcp:127.0.0.1:9000" },
        d: { type: "proxy", listen: "unix:/run/app.sock", connect: "unix:/run/app.sock" },
        e: { type: "disk", source: "/srv", path: "/srv" },
      }),
    ).toEqual([
      { containerPort: 80, protocol: "tcp", hostIp: "0.0.0.0", hostPort: 8080 },
      { containerPort: 81, protocol: "tcp", hostIp: "0.0.0.0", hostPort: 8081 },
      { containerPort: 5353, protocol: "udp", hostIp: "::", hostPort: 53 },
      { containerPort: 9000, protocol: "tcp", hostIp: "0.0.0.0", hostPort: 9000 },
      { containerPort: 9000, protocol: "tcp", hostIp: "0.0.0.0", hostPort: 9001 },
    ]);
  });

  it("names every kind of device passed in, and no NIC or disk", () => {
    expect(
      hostDevices({
        gpu0: { type: "gpu", id: "0" },
        gpu1: { type: "gpu" },
        gpu2: { type: "gpu", gputype: "mdev", pci: "0000:01:00.0" },
        sdb: { type: "unix-block", source: "/dev/sdb" },
        tpm: { type: "tpm", path: "/dev/tpm0" },
        usb: { type: "usb", vendorid: "0403", productid: "6001" },
        eth0: { type: "nic", nictype: "bridged", parent: "lxdbr0" },
        data: { type: "disk", source: "/srv", path: "/srv" },
      }),
    ).toEqual(["gpu:physical:0", "gpu:physical:all", "gpu:mdev:0000:01:00.0", "unix-block:/dev/sdb", "tpm:/dev/tpm0", "usb:0403:6001"]);
  });

  it("keeps user.* keys as labels without their prefix, and nothing else", () => {
    expect(userLabels({ "user.tenant": "acme", "user.meta-data": "x", "limits.cpu": "2", "users.x": "y" })).toEqual({ tenant: "acme" });
  });

  it("re-wraps PEM that lost its line breaks, and leaves other text alone", () => {
    const pem = fs.readFileSync(path.join(FIXTURES, "server.json"), "utf8");
    const certificate = (JSON.parse(pem) as { metadata: { environment: { certificate: string } } }).metadata.environment.certificate;
    expect(normalisePem(certificate.replace(/\n/g, " "))).toBe(certificate);
    expect(normalisePem("not pem")).toBe("not pem");
  });
});

const ENV = {} as NodeJS.ProcessEnv;

describe("lxd endpoint, options and command line", () => {
  it("accepts the unix socket and https, and nothing else", () => {
    expect(parseLxdEndpoint("unix:///var/snap/lxd/common/lxd/unix.socket")).toMatchObject({ kind: "unix", socketPath: "/var/snap/lxd/common/lxd/unix.socket" });
    expect(parseLxdEndpoint("https://lxd.example")).toMatchObject({ kind: "https", where: "lxd.example:8443" });
    expect(parseLxdEndpoint("https://10.0.0.1:9443/")).toMatchObject({ kind: "https", where: "10.0.0.1:9443" });
    expect(() => parseLxdEndpoint("http://lxd.example:8443")).toThrow(/https or its unix socket/);
    expect(() => parseLxdEndpoint("unix://relative.sock")).toThrow(/absolute path/);
    expect(() => parseLxdEndpoint("https://lxd.example:8443/1.0")).toThrow(/without a path/);
  });

  it("pins a well-formed fingerprint and refuses a malformed one", () => {
    const fp = "40:68:21:08:61:04:E5:C5:9C:90:AA:30:C8:E9:3C:F4:1B:AE:BA:25:0C:04:C2:2A:CB:CF:69:D0:05:D1:F5:48";
    expect(lxdTlsPolicy({ fingerprint: fp.toLowerCase().replace(/:/g, "") })).toEqual({ mode: "fingerprint", sha256: fp });
    expect(() => lxdTlsPolicy({ fingerprint: fp.slice(3) })).toThrow(/SHA-256/);
    expect(lxdTlsPolicy({})).toEqual({ mode: "verify" });
    expect(lxdOptions.safeParse({ clientCert: "/etc/lxd/client.crt" }).success).toBe(false);
  });

  it("parses the collect command line", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lxd-cli-"));
    const cert = path.join(dir, "client.crt");
    const key = path.join(dir, "client.key");
    fs.writeFileSync(cert, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    fs.writeFileSync(key, "-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n");
    try {
      expect(lxdCliParser(["unix:///run/lxd.socket"], ENV)).toEqual({
        kind: "lxd",
        name: "unix:///run/lxd.socket",
        endpoint: "unix:///run/lxd.socket",
        username: null,
        secret: null,
        options: {},
      });
      const fp = "ab".repeat(32);
      const https = lxdCliParser(["https://lxd:8443", "--tls-cert", cert, "--tls-key", key, "--fingerprint", fp, "--tenant-label", "customer"], ENV);
      expect(https.options).toEqual({ clientCert: fs.readFileSync(cert, "utf8"), fingerprint: fp, tenantLabel: "customer" });
      expect(https.secret).toBe(fs.readFileSync(key, "utf8"));
      expect(() => lxdCliParser(["https://lxd:8443", "--tls-cert", cert], ENV)).toThrow(UsageError);
      expect(() => lxdCliParser(["https://lxd:8443", "--fingerprint", "abc"], ENV)).toThrow(/SHA-256/);
      expect(() => lxdCliParser(["unix:///run/lxd.socket", "--fingerprint", fp], ENV)).toThrow(/https/);
      expect(() => lxdCliParser(["tcp://lxd:8443"], ENV)).toThrow(UsageError);
      expect(() => lxdCliParser([], ENV)).toThrow(UsageError);
      expect(() => lxdCliParser(["https://lxd:8443", "--tls-cert", path.join(dir, "missing"), "--tls-key", key], ENV)).toThrow(/ENOENT/);
      expect(() => lxdCliParser(["unix:///run/lxd.socket", "--insecure"], ENV)).toThrow(UsageError);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

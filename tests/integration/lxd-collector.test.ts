/**
 * The lxd collector against a real LXD 5.0.2 (tests/peers/lxd.sh: its own LXD_DIR, a dir pool,
 * https on loopback with a trusted client certificate, instances of varied config in two projects).
 * Every instance's facts are checked against what the API itself reports for it, over the unix
 * socket and over https with the pinned certificate; a wrong pin, a missing client certificate and
 * a malformed answer (from a pass-through in front of the real socket) fail clearly; a collection
 * lands in Postgres, and a second one after an instance is deleted removes it and keeps the others'
 * ids. Nothing here mocks LXD.
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadInventory } from "../../server/analysis/load";
import { encryptSecret } from "../../server/auth/secret-box";
import type { CollectableSource } from "../../server/collectors";
import { collectLxd } from "../../server/collectors/lxd/collector";
import { collectSource } from "../../server/jobs/collect";
import { parseSnapshot, type ContainerSnapshot, type Snapshot } from "../../server/inventory/snapshot";
import { createTestDatabase, type TestDatabase } from "./db";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "../..");
const MiB = 1024 * 1024;

let peer: Record<string, string>;
let socketPath: string;
let cert: string;
let key: string;
let scratch: string;
const closers: (() => Promise<unknown>)[] = [];

const lxc = (...args: string[]) =>
  run("lxc", args, { env: { ...process.env, LXD_DIR: path.join(peer.DIR!, "var"), LXD_CONF: path.join(peer.DIR!, "client") } });

/** GET on the real socket, as LXD answers it: the reference the collector's facts are checked against. */
function api<T>(urlPath: string, socket = socketPath): Promise<T> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath: socket, path: urlPath, host: "lxd" }, (res) => {
        const parts: Buffer[] = [];
        res.on("data", (c: Buffer) => parts.push(c));
        res.on("end", () => resolve((JSON.parse(Buffer.concat(parts).toString("utf8")) as { metadata: T }).metadata));
      })
      .on("error", reject);
  });
}

const source = (endpoint: string, options: Record<string, unknown> = {}, secret: string | null = null): CollectableSource => ({
  kind: "lxd",
  name: "lxd peer",
  endpoint,
  username: null,
  secret,
  options,
});
const collect = async (endpoint: string, options: Record<string, unknown> = {}, secret: string | null = null): Promise<Snapshot> =>
  parseSnapshot(await collectLxd(source(endpoint, options, secret), { signal: AbortSignal.timeout(60_000) }));
const collectError = (endpoint: string, options: Record<string, unknown> = {}, secret: string | null = null) =>
  collectLxd(source(endpoint, options, secret), { signal: AbortSignal.timeout(60_000) }).then(
    () => {
      throw new Error("the collection should have failed");
    },
    (error: Error) => error,
  );
const https = () => ({ options: { clientCert: cert, fingerprint: peer.FINGERPRINT! }, secret: key });

const byName = (snapshot: Snapshot, name: string): ContainerSnapshot => {
  const found = snapshot.containers.find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name} in the snapshot`);
  return found;
};

interface ApiInstance {
  name: string;
  type: string;
  status: string;
  project: string;
  profiles: string[];
  expanded_config: Record<string, string>;
  expanded_devices: Record<string, Record<string, string>>;
  snapshots: { name: string }[] | null;
}

/** Collects through a pass-through in front of the real socket that rewrites answers; returns the error. */
async function throughPassThrough(name: string, rewrite: (url: string, body: string) => string): Promise<Error> {
  const front = path.join(scratch, name);
  const proxy = http.createServer((req, res) => {
    http
      .get({ socketPath, path: req.url, host: "lxd" }, (answer) => {
        const parts: Buffer[] = [];
        answer.on("data", (c: Buffer) => parts.push(c));
        answer.on("end", () => {
          const body = rewrite(req.url ?? "", Buffer.concat(parts).toString("utf8"));
          res.writeHead(answer.statusCode ?? 500, { "content-type": "application/json" }).end(body);
        });
      })
      .on("error", () => res.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(front, resolve));
  try {
    return await collectError(`unix://${front}`);
  } finally {
    proxy.close();
  }
}

beforeAll(async () => {
  const started = await run("bash", [path.join(ROOT, "tests/peers/lxd.sh"), "start"], { cwd: ROOT });
  peer = Object.fromEntries(
    started.stdout
      .trim()
      .split("\n")
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
  closers.push(() => run("bash", [path.join(ROOT, "tests/peers/lxd.sh"), "stop", peer.DIR!], { cwd: ROOT }));
  socketPath = peer.SOCKET!.replace(/^unix:\/\//, "");
  cert = await fs.readFile(peer.CLIENT_CERT!, "utf8");
  key = await fs.readFile(peer.CLIENT_KEY!, "utf8");
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "lxd-test-"));
  closers.push(() => fs.rm(scratch, { recursive: true, force: true }));
}, 180_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch((e: unknown) => console.error(e));
}, 120_000);

describe("the lxd collector against LXD 5.0.2", () => {
  let overSocket: Snapshot;
  beforeAll(async () => {
    overSocket = await collect(peer.SOCKET!);
  }, 60_000);

  it("reports every instance as the API does: containers as system containers, the VM as a VM", async () => {
    const instances = await api<ApiInstance[]>("/1.0/instances?recursion=2&all-projects=true");
    const pools = await api<{ name: string; driver: string }[]>("/1.0/storage-pools?recursion=1");
    expect(pools.map((p) => p.driver)).toEqual(["dir"]);
    expect(instances.map((i) => i.name).sort()).toEqual(["c-isolated", "c-priv", "c-spare", "c-web", "cb", "v1"]);
    expect(overSocket.containers.map((c) => c.externalId).sort()).toEqual(
      instances.filter((i) => i.type === "container").map((i) => `${i.project}/${i.name}`).sort(),
    );
    for (const i of instances.filter((x) => x.type === "container")) {
      const c = byName(overSocket, i.name);
      const config = i.expanded_config;
      expect(c, i.name).toMatchObject({
        systemContainer: true,
        status: i.status,
        state: i.status === "Running" ? "running" : "exited",
        privileged: config["security.privileged"] === "true",
        nesting: config["security.nesting"] === "true",
        idmapIsolated: config["security.idmap.isolated"] === "true",
        rawLxc: config["raw.lxc"] ?? null,
        rawIdmap: config["raw.idmap"] ?? null,
        project: i.project,
        profiles: i.profiles,
        snapshotCount: (i.snapshots ?? []).length,
        imageExternalId: config["volatile.base_image"],
        storageDriver: pools.find((p) => p.name === i.expanded_devices.root?.pool)?.driver,
        labels: Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith("user.")).map(([k, v]) => [k.slice(5), v])),
      });
      const hostPathDisks = Object.values(i.expanded_devices).filter((d) => d.type === "disk" && d.path !== "/" && d.source?.startsWith("/"));
      expect(c.mounts.map((m) => [m.type, m.source, m.destination]).sort(), i.name).toEqual(
        hostPathDisks.map((d) => ["bind", d.source, d.path]).sort(),
      );
    }
  });

  it("reads the settings the peer made, and none where it made none", () => {
    expect(byName(overSocket, "c-web")).toMatchObject({ state: "running", memoryLimitBytes: 256 * MiB, nanoCpus: 2e9, snapshotCount: 2 });
    expect(byName(overSocket, "c-web").ports).toEqual([{ containerPort: 80, protocol: "tcp", hostIp: "127.0.0.1", hostPort: Number(peer.PROXY_PORT) }]);
    expect(byName(overSocket, "c-priv")).toMatchObject({ privileged: true, nesting: true, usernsMode: "host", cpusetCpus: "0-1", devices: ["unix-char:/dev/zero"] });
    expect(byName(overSocket, "c-priv").mounts).toEqual([
      { type: "bind", source: path.join(peer.DIR!, "share"), destination: "/mnt/share", readOnly: true, propagation: null },
    ]);
    expect(byName(overSocket, "c-isolated")).toMatchObject({ idmapIsolated: true, usernsMode: "isolated", cpuQuota: 25_000, cpuPeriod: 100_000, pidsLimit: 200 });
    expect(byName(overSocket, "cb")).toMatchObject({ project: "tenant-b", labels: { tenant: "beta" } });
    expect(byName(overSocket, "c-spare")).toMatchObject({ privileged: false, nesting: false, usernsMode: "shared", mounts: [], devices: [], labels: {}, memoryLimitBytes: 0 });
  });

  it("reports the host, the image and the VM definition LXD refuses to run here", async () => {
    const server = await api<{ environment: { server_name: string; server_version: string } }>("/1.0");
    const resources = await api<{ storage: { disks: { size: number; removable: boolean }[] } }>("/1.0/resources");
    const fixed = resources.storage.disks.filter((d) => !d.removable);
    expect(overSocket.hosts).toEqual([
      expect.objectContaining({
        externalId: server.environment.server_name,
        role: "container-engine",
        platform: "lxd",
        productVersion: server.environment.server_version,
        localDiskMiB: fixed.length > 0 ? fixed.reduce((n, d) => n + d.size, 0) / 1024 / 1024 : null,
      }),
    ]);
    const images = await api<{ fingerprint: string; size: number }[]>("/1.0/images?recursion=1");
    expect(overSocket.images.map((i) => [i.externalId, i.sizeBytes, i.repoTags])).toEqual([[peer.IMAGE, images[0]!.size, ["busybox"]]]);
    // LXD will not create a VM on a machine that cannot run one, and says why (which part is missing
    // depends on the machine: vhost_vsock on one, /dev/kvm on another).
    if (peer.VM_REFUSED) expect(peer.VM_REFUSED).toMatch(/virtual-machine.*not supported on this server: \S/);
    const vm = await api<ApiInstance>("/1.0/instances/v1?recursion=1");
    expect(vm).toMatchObject({ type: "virtual-machine", status: "Stopped" });
    expect(overSocket.virtualMachines).toEqual([
      expect.objectContaining({ externalId: "default/v1", powerState: "poweredOff", vcpus: 2, memoryMiB: 1024, uuid: vm.expanded_config["volatile.uuid"] }),
    ]);
  });

  it("collects the same over https with the client certificate and the pinned server certificate", async () => {
    const { options, secret } = https();
    const overHttps = await collect(peer.HTTPS!, options, secret);
    expect({ ...overHttps, collectedAt: null }).toEqual({ ...overSocket, collectedAt: null });
    // The pin in another spelling is the same pin.
    const lower = peer.FINGERPRINT!.replace(/:/g, "").toLowerCase();
    expect((await collect(peer.HTTPS!, { ...options, fingerprint: lower }, secret)).containers).toHaveLength(5);
  });

  it("refuses a server whose certificate is not the pinned one, and says which it presented", async () => {
    const { options, secret } = https();
    const wrong = "AB:".repeat(31) + "AB";
    const error = await collectError(peer.HTTPS!, { ...options, fingerprint: wrong }, secret);
    expect(error.name).toBe("LxdTlsError");
    expect(error.message).toBe(
      `TLS certificate of ${new URL(peer.HTTPS!).host} does not match the pinned fingerprint: expected ${wrong}, the server presented ${peer.FINGERPRINT}`,
    );
    // Without a pin, the self-signed certificate is not trusted, and its fingerprint is offered.
    const unpinned = await collectError(peer.HTTPS!, { clientCert: cert }, secret);
    expect(unpinned.message).toMatch(/is not trusted/);
    expect(unpinned.message).toContain(peer.FINGERPRINT!);
  });

  it("says so when the server does not trust the client, or the certificate comes without its key", async () => {
    const error = await collectError(peer.HTTPS!, { fingerprint: peer.FINGERPRINT! });
    expect(error.message).toMatch(/does not trust this client \(auth "untrusted"\).*lxc config trust add/);
    const other = await run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path.join(scratch, "o.key"), "-out", path.join(scratch, "o.crt"), "-days", "1", "-subj", "/CN=stranger"]).then(async () => ({
      cert: await fs.readFile(path.join(scratch, "o.crt"), "utf8"),
      key: await fs.readFile(path.join(scratch, "o.key"), "utf8"),
    }));
    const stranger = await collectError(peer.HTTPS!, { fingerprint: peer.FINGERPRINT!, clientCert: other.cert }, other.key);
    expect(stranger.message).toMatch(/does not trust this client/);
    expect((await collectError(peer.HTTPS!, { fingerprint: peer.FINGERPRINT!, clientCert: cert })).message).toMatch(/needs its private key/);
    expect((await collectError(`unix://${scratch}/absent.sock`)).message).toMatch(/cannot reach LXD at .*absent\.sock: no such socket \(ENOENT\)/);
  });

  it("fails clearly on a malformed answer, naming the field", async () => {
    // Pass-throughs in front of the real socket, each breaking one document of the real answers.
    const notJson = await throughPassThrough("html.sock", (url, body) => (url === "/1.0/cluster" ? "<html>not LXD</html>" : body));
    expect(notJson.message).toBe(`GET /1.0/cluster: the answer from ${path.join(scratch, "html.sock")} is not JSON (HTTP 200)`);
    const malformed = await throughPassThrough("config.sock", (url, body) => {
      if (!url.startsWith("/1.0/instances")) return body;
      const doc = JSON.parse(body) as { metadata: { name: string; expanded_config: unknown }[] };
      doc.metadata.find((i) => i.name === "c-priv")!.expanded_config = "security.privileged=true";
      return JSON.stringify(doc);
    });
    expect(malformed.name).toBe("LxdProtocolError");
    expect(malformed.message).toMatch(/^GET \/1\.0\/instances\?recursion=2&all-projects=true: malformed answer from .*config\.sock: metadata\.\d+\.expanded_config: /);
  });
});

describe("a one-member LXD cluster (LXD_PEER_CLUSTER=1)", () => {
  let dir: string;
  let clustered: Snapshot;
  beforeAll(async () => {
    const started = await run("bash", [path.join(ROOT, "tests/peers/lxd.sh"), "start"], { cwd: ROOT, env: { ...process.env, LXD_PEER_CLUSTER: "1" } });
    dir = /^DIR=(.*)$/m.exec(started.stdout)![1]!;
    closers.push(() => run("bash", [path.join(ROOT, "tests/peers/lxd.sh"), "stop", dir], { cwd: ROOT }));
    clustered = await collect(/^SOCKET=(.*)$/m.exec(started.stdout)![1]!);
  }, 180_000);

  it("makes each member a host (from /1.0/cluster/members) and places instances and images on their member", async () => {
    const socket = path.join(dir, "var/unix.socket");
    const members = await api<{ server_name: string; status: string }[]>("/1.0/cluster/members?recursion=1", socket);
    expect(members.map((m) => m.server_name)).toEqual(["node1"]);
    expect(clustered.hosts.map((h) => [h.externalId, h.connectionState, h.platform])).toEqual([["node1", members[0]!.status, "lxd"]]);
    const instances = await api<{ name: string; location: string }[]>("/1.0/instances?recursion=1&all-projects=true", socket);
    expect(instances.every((i) => i.location === "node1")).toBe(true);
    expect(clustered.containers).toHaveLength(5);
    expect(clustered.containers.every((c) => c.hostExternalId === "node1")).toBe(true);
    expect(clustered.virtualMachines.map((v) => v.hostExternalId)).toEqual(["node1"]);
    const [image] = clustered.images;
    expect(image!.externalId).toMatch(/^node1:[0-9a-f]{64}$/);
    expect(clustered.containers.every((c) => c.imageExternalId === image!.externalId)).toBe(true);
    expect(clustered.warnings).toEqual([]);
  });
});

describe("collect lxd <endpoint> (command line)", () => {
  const cli = (...args: string[]) =>
    run("npm", ["run", "--silent", "collect", "--", "lxd", ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: "postgresql://nobody:nothing@127.0.0.1:1/none" },
    });

  it("prints the snapshot as JSON over https, and fails with exit code 1 on a wrong pin", async () => {
    const { stdout } = await cli(peer.HTTPS!, "--tls-cert", peer.CLIENT_CERT!, "--tls-key", peer.CLIENT_KEY!, "--fingerprint", peer.FINGERPRINT!, "--json");
    const printed = JSON.parse(stdout) as { kind: string; containers: { name: string }[]; virtualMachines: unknown[]; hosts: unknown[] };
    expect(printed.kind).toBe("lxd");
    expect(printed.containers.map((c) => c.name).sort()).toEqual(["c-isolated", "c-priv", "c-spare", "c-web", "cb"]);
    expect(printed.virtualMachines).toHaveLength(1);
    const failed = await cli(peer.HTTPS!, "--tls-cert", peer.CLIENT_CERT!, "--tls-key", peer.CLIENT_KEY!, "--fingerprint", "00".repeat(32)).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain("does not match the pinned fingerprint");
  });
});

describe("from LXD into the database", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
    closers.push(() => t.drop());
  });

  it("stores what was collected, and a second collection after an instance is deleted removes it and keeps the others' ids", async () => {
    const customer = await t.prisma.customer.create({ data: { name: "lxd customer" } });
    const stored = await t.prisma.source.create({
      data: {
        customerId: customer.id,
        kind: "lxd",
        name: "lxd peer",
        endpoint: peer.HTTPS!,
        options: { clientCert: cert, fingerprint: peer.FINGERPRINT!, tenantLabel: "tenant" },
        secret: new Uint8Array(encryptSecret(key)),
      },
    });
    const first = await collectSource(stored.id, { database: t });
    expect(first.byKind.hosts.added).toBe(1);
    expect(first.byKind.containers.added).toBe(5);
    expect(first.byKind.virtualMachines.added).toBe(1);
    expect(first.byKind.images.added).toBe(1);

    const priv = await t.prisma.container.findFirstOrThrow({ where: { sourceId: stored.id, name: "c-priv" }, include: { mounts: true, host: true, imageRecord: true } });
    expect(priv).toMatchObject({
      externalId: "default/c-priv",
      systemContainer: true,
      privileged: true,
      nesting: true,
      idmapIsolated: false,
      rawLxc: "lxc.mount.auto = proc:rw sys:rw",
      project: "default",
      profiles: ["default"],
      devices: ["unix-char:/dev/zero"],
      labels: { tenant: "acme" },
    });
    expect(priv.mounts.map((m) => [m.type, m.source, m.destination, m.readOnly])).toEqual([["bind", path.join(peer.DIR!, "share"), "/mnt/share", true]]);
    expect(priv.host).toMatchObject({ platform: "lxd", role: "container_engine", productName: "LXD" });
    // The host's local disks are stored as read (the host page shows them).
    const resources = await api<{ storage: { disks: { size: number; removable: boolean }[] } }>("/1.0/resources");
    const disks = resources.storage.disks.filter((d) => !d.removable).reduce((n, d) => n + d.size, 0);
    expect(priv.host.localDiskMiB).toBe(disks > 0 ? disks / 1024 / 1024 : null);
    expect(priv.imageRecord?.externalId).toBe(peer.IMAGE);
    expect(await t.prisma.container.findFirstOrThrow({ where: { sourceId: stored.id, name: "c-web" } })).toMatchObject({ snapshotCount: 2, memoryLimitBytes: BigInt(256 * MiB) });
    expect(await t.prisma.container.findFirstOrThrow({ where: { sourceId: stored.id, name: "c-isolated" } })).toMatchObject({ idmapIsolated: true, rawIdmap: "both 1000 1000" });
    const vm = await t.prisma.virtualMachine.findFirstOrThrow({ where: { sourceId: stored.id } });
    expect(vm).toMatchObject({ name: "v1", vcpus: 2, memoryMiB: 1024, hostId: priv.hostId });

    // The analyses read the same facts back.
    const inventory = await loadInventory(t, [customer.id]);
    const loaded = inventory.containers.find((c) => c.name === "cb")!;
    expect(loaded).toMatchObject({ systemContainer: true, project: "tenant-b", labels: { tenant: "beta" }, snapshotCount: 0, profiles: ["default"] });
    expect(inventory.hosts[0]).toMatchObject({ platform: "lxd", tenantLabel: "tenant" });

    const before = new Map((await t.prisma.container.findMany({ where: { sourceId: stored.id } })).map((c) => [c.externalId, c.id]));
    await lxc("delete", "c-spare");
    const second = await collectSource(stored.id, { database: t });
    expect(second.byKind.containers).toMatchObject({ added: 0, removed: 1 });
    const after = await t.prisma.container.findMany({ where: { sourceId: stored.id } });
    expect(after.map((c) => c.externalId).sort()).toEqual([...before.keys()].filter((id) => id !== "default/c-spare").sort());
    for (const c of after) expect(c.id).toBe(before.get(c.externalId));
  });
});

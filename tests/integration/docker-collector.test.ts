/**
 * The docker collector against a real Engine API: Podman's Docker-compatible service started by
 * tests/peers/podman.sh (shared/peers.md), with containers made here, one per isolation setting,
 * each field asserted. Faults the peer cannot be asked for (a container removed between list and
 * inspect at the right moment, malformed JSON, an old API version, TLS) come from a pass-through
 * proxy or a TLS terminator in front of the same real service; nothing here mocks the engine.
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { promisify } from "node:util";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containerDocument } from "../../server/collectors/docker/api";
import { collectDocker } from "../../server/collectors/docker/collector";
import { normaliseContainer } from "../../server/collectors/docker/normalise";
import type { CollectableSource } from "../../server/collectors";
import { collectSource } from "../../server/jobs/collect";
import { parseSnapshot, type ContainerSnapshot, type Snapshot } from "../../server/inventory/snapshot";
import { createTestDatabase, type TestDatabase } from "./db";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "../..");
const MiB = 1024 * 1024;

let socket: string;
let peerDir: string;
let tcpUrl: string;
let docker: Docker;
let scratch: string;
const closers: (() => Promise<unknown>)[] = [];

const podmanEnv = () => ({
  ...process.env,
  CONTAINERS_CONF: path.join(peerDir, "containers.conf"),
  CONTAINERS_STORAGE_CONF: path.join(peerDir, "storage.conf"),
});
/** The podman CLI on the peer's storage: for what the Docker API cannot ask (--runtime kata). */
const podman = (...args: string[]) => run("podman", args, { env: podmanEnv() });

function source(endpoint: string, options: Record<string, unknown> = {}, secret: string | null = null): CollectableSource {
  return { kind: "docker", name: "podman", endpoint, username: null, secret, options };
}

async function collect(endpoint: string, options: Record<string, unknown> = {}, secret: string | null = null): Promise<Snapshot> {
  return parseSnapshot(await collectDocker(source(endpoint, options, secret), { signal: AbortSignal.timeout(60_000) }));
}

async function collectError(endpoint: string, options: Record<string, unknown> = {}, secret: string | null = null) {
  return collectDocker(source(endpoint, options, secret), { signal: AbortSignal.timeout(60_000) }).then(
    () => {
      throw new Error("the collection should have failed");
    },
    (error: Error) => error,
  );
}

const byName = (snapshot: Snapshot, name: string): ContainerSnapshot => {
  const found = snapshot.containers.find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name} in the snapshot`);
  return found;
};

const ids: Record<string, string> = {};
const imageIds: Record<string, string> = {};

async function create(name: string, spec: Docker.ContainerCreateOptions, start = true) {
  const container = await docker.createContainer({ name, ...spec });
  ids[name] = container.id;
  if (start) await container.start();
  return container;
}

beforeAll(async () => {
  const started = await run("bash", [path.join(ROOT, "tests/peers/podman.sh"), "start"], { cwd: ROOT });
  socket = started.stdout.trim().split("\n").pop()!;
  peerDir = path.dirname(socket);
  tcpUrl = (await fs.readFile(path.join(peerDir, "tcp-url"), "utf8")).trim();
  closers.push(() => run("bash", [path.join(ROOT, "tests/peers/podman.sh"), "stop", socket]));
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "fleetlens-docker-it-"));
  closers.push(() => fs.rm(scratch, { recursive: true, force: true }));
  // host: undefined, or dockerode would follow a DOCKER_HOST of the environment.
  docker = new Docker({ socketPath: socket, host: undefined, version: "v1.41" });

  for (const image of ["localhost/busybox:latest", "localhost/fleetlens-app:1", "localhost/fleetlens-tools:1"]) {
    imageIds[image] = (await docker.getImage(image).inspect()).Id;
  }

  // Unprivileged, confined and limited, every knob set (most of CIS 5.x satisfied).
  await create("web", {
    Image: "localhost/fleetlens-app:1",
    Cmd: ["sleep", "3600"],
    User: "1000:1000",
    Labels: {
      tenant: "acme",
      "com.example.customer": "globex",
      "com.docker.compose.project": "shop",
      "com.docker.compose.service": "web",
    },
    HostConfig: {
      NetworkMode: "none",
      CapAdd: ["NET_ADMIN"],
      CapDrop: ["MKNOD"],
      ReadonlyRootfs: true,
      Memory: 64 * MiB,
      MemoryReservation: 32 * MiB,
      NanoCpus: 500_000_000,
      CpuShares: 512,
      CpusetCpus: "0",
      PidsLimit: 100,
      SecurityOpt: ["no-new-privileges", "seccomp=unconfined"],
      Binds: ["/etc:/host-etc:ro", "fleetlens-data:/data"],
      Tmpfs: { "/run": "rw,size=1m" },
      RestartPolicy: { Name: "unless-stopped" },
    },
  });
  // Privileged, in every host namespace, with the engine's socket and a host system dir mounted.
  await create("agent", {
    Image: "localhost/busybox:latest",
    Cmd: ["sleep", "3600"],
    HostConfig: {
      Privileged: true,
      NetworkMode: "host",
      PidMode: "host",
      UTSMode: "host",
      IpcMode: "host",
      UsernsMode: "host",
      Binds: [`${socket}:/var/run/docker.sock`, "/usr:/host/usr:ro"],
    },
  });
  // Created, never started (no bridge networking here): published ports, a device, CPU quota.
  await create(
    "edge",
    {
      Image: "localhost/fleetlens-app:1",
      ExposedPorts: { "80/tcp": {}, "5353/udp": {}, "9000/tcp": {} },
      HostConfig: {
        PortBindings: {
          "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }],
          "5353/udp": [{ HostIp: "", HostPort: "5353" }],
        },
        RestartPolicy: { Name: "on-failure", MaximumRetryCount: 3 },
        Devices: [{ PathOnHost: "/dev/null", PathInContainer: "/dev/xnull", CgroupPermissions: "rwm" }],
        CpuQuota: 50_000,
        CpuPeriod: 100_000,
        Mounts: [{ Type: "tmpfs", Source: "", Target: "/scratch" }],
      },
    },
    false,
  );
  // Ran and exited.
  const done = await create("done", { Image: "localhost/busybox:latest", Cmd: ["true"], HostConfig: { NetworkMode: "none" } });
  await done.wait();
  // A runtime named kata (runc underneath, see peers.md): only the podman CLI can choose it.
  const kata = await podman("--runtime", "kata", "create", "--network", "none", "--name", "kata", "localhost/busybox:latest", "sleep", "3600");
  ids.kata = kata.stdout.trim();
  await podman("start", "kata");
  // A health check that has run once (no systemd timers here: run it by hand).
  await create("checked", {
    Image: "localhost/busybox:latest",
    Cmd: ["sleep", "3600"],
    Healthcheck: { Test: ["CMD-SHELL", "true"], Interval: 60_000_000_000 },
    HostConfig: { NetworkMode: "none" },
  });
  await podman("healthcheck", "run", "checked");
  // Paused.
  const frozen = await create("frozen", { Image: "localhost/busybox:latest", Cmd: ["sleep", "3600"], HostConfig: { NetworkMode: "none" } });
  await frozen.pause();
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
});

describe("collecting Podman's Docker-compatible API over its unix socket", () => {
  let snapshot: Snapshot;
  beforeAll(async () => {
    snapshot = await collect(`unix://${socket}`);
  });

  it("finds the engine host with its identity, runtimes, security options and cgroups", async () => {
    const info = await docker.info();
    expect(snapshot.hosts).toHaveLength(1);
    expect(snapshot.hosts[0]).toEqual({
      // Podman's /info ID changes on every call: the engine is its host name and storage root.
      externalId: `podman:${os.hostname()}:${info.DockerRootDir}`,
      name: os.hostname(),
      role: "container-engine",
      platform: "podman",
      vendor: null,
      model: null,
      cpuModel: null,
      cpuSockets: null,
      cpuCores: os.cpus().length,
      cpuThreads: os.cpus().length,
      cpuMhz: null,
      memoryMiB: os.totalmem() / MiB,
      osName: "debian 12",
      kernelVersion: os.release(),
      productName: "Podman",
      productVersion: "4.3.1",
      productBuild: null,
      apiVersion: "1.41",
      datacenter: null,
      cluster: null,
      connectionState: null,
      powerState: null,
      hardwareUuid: null,
      hostname: os.hostname(),
      ipAddresses: [],
      macAddresses: [],
      // Podman lists the runtimes it knows of, installed or not (peers.md); kata is ours.
      runtimes: expect.arrayContaining(["kata", "runc"]),
      defaultRuntime: "runc",
      securityOptions: ["name=seccomp,profile=default"],
      cgroupDriver: "cgroupfs",
      cgroupVersion: "1",
      // The peer's Podman runs as root: neither Rootless nor "name=rootless" in its /info.
      rootless: false,
      memorySharing: "unknown",
      memorySharedMiB: null,
      drsEnabled: null,
      dpmEnabled: null,
      // Not in the Engine API, and the source does not say it.
      daemonNoNewPrivileges: null,
      bootedAt: null,
      // The Engine API does not list the host's disks.
      localDiskMiB: null,
    });
    expect(snapshot.warnings).toEqual([]);
  });

  it("lists every container in every state", () => {
    expect(snapshot.containers.map((c) => [c.name, c.state]).sort()).toEqual([
      ["agent", "running"],
      ["checked", "running"],
      ["done", "exited"],
      ["edge", "created"],
      ["frozen", "paused"],
      ["kata", "running"],
      ["web", "running"],
    ]);
    for (const c of snapshot.containers) {
      expect(c.externalId).toBe(ids[c.name]);
      expect(c.hostExternalId).toBe(snapshot.hosts[0]!.externalId);
    }
  });

  it("reads a confined, limited container field by field", () => {
    const web = byName(snapshot, "web");
    expect(web).toEqual({
      externalId: ids.web,
      name: "web",
      hostExternalId: snapshot.hosts[0]!.externalId,
      image: "localhost/fleetlens-app:1",
      imageExternalId: imageIds["localhost/fleetlens-app:1"],
      state: "running",
      status: expect.stringMatching(/^Up /),
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      runtime: "runc",
      command: "sleep 3600",
      privileged: false,
      capAdd: ["NET_ADMIN"],
      capDrop: ["MKNOD"],
      user: "1000:1000",
      networkMode: "none",
      pidMode: "private",
      // Podman's compatible API says "shareable" whatever the mode (peers.md).
      ipcMode: "shareable",
      utsMode: "private",
      usernsMode: null,
      securityOptions: ["no-new-privileges", "seccomp=unconfined"],
      seccompProfile: "unconfined",
      apparmorProfile: null,
      noNewPrivileges: true,
      readOnlyRootfs: true,
      memoryLimitBytes: 64 * MiB,
      memoryReservationBytes: 32 * MiB,
      cpuShares: 512,
      nanoCpus: 500_000_000,
      // Podman turns NanoCpus into a CFS quota and period.
      cpuQuota: 50_000,
      cpuPeriod: 100_000,
      cpusetCpus: "0",
      pidsLimit: 100,
      restartPolicy: "unless-stopped",
      health: null,
      mounts: [
        { type: "volume", source: "fleetlens-data", destination: "/data", readOnly: false, propagation: "rprivate" },
        { type: "bind", source: "/etc", destination: "/host-etc", readOnly: true, propagation: "rprivate" },
        { type: "tmpfs", source: null, destination: "/run", readOnly: false, propagation: null },
        // A read-only root gets Podman's writable /tmp and /var/tmp.
        { type: "tmpfs", source: null, destination: "/tmp", readOnly: false, propagation: null },
        { type: "tmpfs", source: null, destination: "/var/tmp", readOnly: false, propagation: null },
      ],
      ports: [],
      devices: [],
      labels: {
        tenant: "acme",
        "com.example.customer": "globex",
        "com.docker.compose.project": "shop",
        "com.docker.compose.service": "web",
        // Labels of the image come with the container's, verbatim.
        "io.buildah.version": expect.any(String),
        "org.opencontainers.image.title": "fleetlens-app",
      },
      links: [],
      // An application container: none of LXD's system-container facts.
      systemContainer: false,
      nesting: false,
      idmapIsolated: false,
      rawLxc: null,
      rawIdmap: null,
      project: null,
      profiles: [],
      snapshotCount: 0,
      storageDriver: null,
    });
  });

  it("reads a privileged container in the host's namespaces with the engine socket mounted", () => {
    expect(byName(snapshot, "agent")).toMatchObject({
      image: "localhost/busybox:latest",
      imageExternalId: imageIds["localhost/busybox:latest"],
      state: "running",
      runtime: "runc",
      privileged: true,
      user: null,
      networkMode: "host",
      pidMode: "host",
      utsMode: "host",
      ipcMode: "shareable",
      // As root without a user namespace, Podman reports the host's as "".
      usernsMode: null,
      seccompProfile: "unconfined",
      noNewPrivileges: false,
      readOnlyRootfs: false,
      memoryLimitBytes: 0,
      nanoCpus: 0,
      cpuQuota: 0,
      // pids_limit = 0 in the peer's containers.conf: unlimited, kept as the API says.
      pidsLimit: 0,
      restartPolicy: "no",
      mounts: [
        { type: "bind", source: "/usr", destination: "/host/usr", readOnly: true, propagation: "rprivate" },
        { type: "bind", source: socket, destination: "/var/run/docker.sock", readOnly: false, propagation: "rprivate" },
      ],
      labels: {},
    });
  });

  it("reads a created container's published and exposed ports, device, CPU quota and tmpfs mount", () => {
    expect(byName(snapshot, "edge")).toMatchObject({
      state: "created",
      status: "Created",
      startedAt: null,
      networkMode: "bridge",
      restartPolicy: "on-failure:3",
      cpuQuota: 50_000,
      cpuPeriod: 100_000,
      devices: ["/dev/null:/dev/xnull"],
      ports: [
        { containerPort: 80, protocol: "tcp", hostIp: "127.0.0.1", hostPort: 8080 },
        { containerPort: 5353, protocol: "udp", hostIp: null, hostPort: 5353 },
        { containerPort: 9000, protocol: "tcp", hostIp: null, hostPort: null },
      ],
      mounts: [{ type: "tmpfs", source: null, destination: "/scratch", readOnly: false, propagation: null }],
      command: "sleep 3600",
    });
  });

  it("reads the real runtime from Podman's own inspect, health, and the exited and paused states", () => {
    expect(byName(snapshot, "kata")).toMatchObject({ runtime: "kata", state: "running", networkMode: "none" });
    expect(byName(snapshot, "checked")).toMatchObject({ health: "healthy", state: "running" });
    expect(byName(snapshot, "done")).toMatchObject({ state: "exited", status: expect.stringMatching(/^Exited \(0\)/), command: "true" });
    expect(byName(snapshot, "frozen")).toMatchObject({ state: "paused" });
  });

  it("lists the images with tags, sizes and their layers, the base layer shared", async () => {
    expect(snapshot.images.map((i) => i.repoTags).sort()).toEqual([
      ["localhost/busybox:latest"],
      ["localhost/fleetlens-app:1"],
      ["localhost/fleetlens-tools:1"],
    ]);
    for (const image of snapshot.images) {
      const inspected = await docker.getImage(image.externalId).inspect();
      expect(image).toMatchObject({
        externalId: inspected.Id,
        hostExternalId: snapshot.hosts[0]!.externalId,
        sizeBytes: inspected.Size,
        os: "linux",
        architecture: os.arch() === "x64" ? "amd64" : os.arch(),
        repoDigests: [expect.stringMatching(/@sha256:[0-9a-f]{64}$/)],
        createdAt: expect.stringMatching(/^\d{4}-/),
      });
      expect(image.layers.map((l) => l.digest)).toEqual(inspected.RootFS.Layers);
      expect(image.layers.every((l) => l.sizeBytes > 0)).toBe(true);
    }
    const layers = (tag: string) => snapshot.images.find((i) => i.repoTags.includes(tag))!.layers;
    const base = layers("localhost/busybox:latest");
    const app = layers("localhost/fleetlens-app:1");
    expect(base).toHaveLength(1);
    expect(app).toHaveLength(3);
    expect(layers("localhost/fleetlens-tools:1")).toHaveLength(2);
    // Every image starts with busybox's layer, of the same size wherever it appears.
    for (const image of snapshot.images) expect(image.layers[0]).toEqual(base[0]);
    // The 64 KiB blob the app's Containerfile writes is in its third layer.
    expect(app[2]!.sizeBytes).toBeGreaterThanOrEqual(64 * 1024);
    expect(base[0]!.sizeBytes).toBeGreaterThan(1_000_000);
  });

  it("reads Podman's own inspect exactly as its Docker-compatible one, but for the runtime", async () => {
    const imageIdSet = new Set(snapshot.images.map((i) => i.externalId));
    for (const c of snapshot.containers) {
      const compat = containerDocument.parse(await docker.getContainer(c.externalId).inspect());
      const fromCompat = normaliseContainer(compat, { hostExternalId: c.hostExternalId, imageIds: imageIdSet });
      const { status: _status, command: _command, runtime, ...collected } = parseSnapshot({
        collectedAt: snapshot.collectedAt,
        hosts: snapshot.hosts,
        images: snapshot.images,
        containers: [fromCompat],
      }).containers[0]!;
      const { status: _s, command: _c, runtime: realRuntime, ...expected } = c;
      expect(collected).toEqual(expected);
      expect(runtime).toBe("oci");
      expect(realRuntime).toBe(c.name === "kata" ? "kata" : "runc");
    }
  });

  it("collects the same inventory over tcp", async () => {
    const overTcp = await collect(tcpUrl);
    expect(overTcp.hosts[0]!.externalId).toBe(snapshot.hosts[0]!.externalId);
    const strip = (s: Snapshot) => s.containers.map(({ status: _s, ...c }) => c).sort((a, b) => a.name.localeCompare(b.name));
    expect(strip(overTcp)).toEqual(strip(snapshot));
    expect(overTcp.images).toEqual(snapshot.images);
  });
});

/**
 * A pass-through proxy on a unix socket in front of the real service. `transform` sees each
 * answer and may replace it (or act, e.g. remove a container) before the client gets it.
 */
type Answer = { status: number; body: Buffer; headers: http.OutgoingHttpHeaders };
async function startProxy(transform: (url: string, answer: Answer) => Promise<Partial<Answer> | void>) {
  const proxySocket = path.join(scratch, `proxy-${Math.random().toString(36).slice(2)}.sock`);
  // Per-object requests (inspects, histories) in flight: what the concurrency option bounds.
  const stats = { inFlight: 0, maxInFlight: 0, requests: 0 };
  const server = http.createServer((req, res) => {
    const perObject = /\/(containers|images)\/[^/?]+\/(json|history)/.test(req.url ?? "");
    stats.requests += 1;
    if (perObject) {
      stats.inFlight += 1;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      res.on("close", () => (stats.inFlight -= 1));
    }
    const upstream = http.request(
      { socketPath: socket, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (c: Buffer) => chunks.push(c));
        answer.on("end", async () => {
          const headers: http.OutgoingHttpHeaders = { ...answer.headers };
          for (const h of ["content-length", "transfer-encoding", "connection", "keep-alive"]) delete headers[h];
          const original: Answer = { status: answer.statusCode ?? 502, body: Buffer.concat(chunks), headers };
          const out = { ...original, ...(await transform(req.url ?? "", original)) };
          res.writeHead(out.status, { ...out.headers, "Content-Length": out.body.length });
          res.end(out.body);
        });
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(proxySocket, resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return { endpoint: `unix://${proxySocket}`, stats };
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe("bad input", () => {
  it("skips a container removed between list and inspect, with a warning, and keeps the rest", async () => {
    const doomed = await create("doomed", { Image: "localhost/busybox:latest", Cmd: ["sleep", "3600"], HostConfig: { NetworkMode: "none" } });
    const proxy = await startProxy(async (url) => {
      if (/\/containers\/json\?/.test(url)) await doomed.remove({ force: true });
    });
    const snapshot = await collect(proxy.endpoint);
    expect(snapshot.containers.map((c) => c.name)).not.toContain("doomed");
    expect(snapshot.containers).toHaveLength(7);
    expect(snapshot.warnings).toEqual([
      `container doomed (${ids.doomed!.slice(0, 12)}) was removed between list and inspect: skipped`,
    ]);
  });

  it("keeps at most `concurrency` inspects in flight (8 by default)", async () => {
    const proxy = await startProxy(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    await collect(proxy.endpoint);
    expect(proxy.stats.maxInFlight).toBeLessThanOrEqual(8);
    expect(proxy.stats.maxInFlight).toBeGreaterThan(1);
    const narrow = await startProxy(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    await collect(narrow.endpoint, { concurrency: 2 });
    expect(narrow.stats.maxInFlight).toBeLessThanOrEqual(2);
  });

  it("fails on malformed JSON, naming the endpoint and the request", async () => {
    const proxy = await startProxy(async (url, { body }) => {
      if (url.endsWith("/info")) return { body: body.subarray(0, Math.floor(body.length / 2)) };
    });
    const error = await collectError(proxy.endpoint);
    expect(error.message).toMatch(
      new RegExp(`^docker ${proxy.endpoint}: GET /info failed: the engine sent malformed JSON \\(\\d+ bytes that do not parse\\)$`),
    );
  });

  it("fails on a document of the wrong shape, naming the field", async () => {
    const proxy = await startProxy(async (url) => {
      if (/\/containers\/json\?/.test(url)) return { body: json({ not: "a list" }) };
    });
    expect((await collectError(proxy.endpoint)).message).toMatch(
      /^docker unix:\/\/.*: GET \/containers\/json failed: unexpected document \(\(document\): .*expected array/,
    );
  });

  it("refuses an engine whose API is older than 1.40", async () => {
    // The engine says its API version in /_ping's headers (the docker CLI negotiates the same way).
    const proxy = await startProxy(async (url, { headers }) => {
      if (url === "/_ping") return { headers: { ...headers, "api-version": "1.38", server: "Docker/18.09.9 (linux)" } };
    });
    expect((await collectError(proxy.endpoint)).message).toBe(
      `docker ${proxy.endpoint}: unsupported API version 1.38 (Docker/18.09.9 (linux)): Fleetlens needs Engine API 1.40 (Docker 19.03) or newer`,
    );
  });

  it("fails the whole collection when an inspect fails for another reason than 404", async () => {
    const proxy = await startProxy(async (url) => {
      if (url.includes(`/containers/${ids.web}/json`)) return { status: 500, body: json({ message: "storage is on fire" }) };
    });
    expect((await collectError(proxy.endpoint)).message).toBe(
      `docker ${proxy.endpoint}: GET /libpod/containers/${ids.web!.slice(0, 12)}/json failed: HTTP 500: server error - storage is on fire`,
    );
  });

  it("says what is wrong with an unreachable endpoint", async () => {
    expect((await collectError(`unix://${scratch}/absent.sock`)).message).toBe(
      `docker unix://${scratch}/absent.sock: GET /_ping failed: no socket there (connect ENOENT ${scratch}/absent.sock)`,
    );
    const closed = await freePort();
    expect((await collectError(`tcp://127.0.0.1:${closed}`)).message).toBe(
      `docker tcp://127.0.0.1:${closed}: GET /_ping failed: connection refused (connect ECONNREFUSED 127.0.0.1:${closed})`,
    );
    expect((await collectError("ssh://admin@docker01")).message).toMatch(/^docker ssh:\/\/docker01: ssh endpoints are not supported yet/);
  });

  it("stops when its signal is aborted", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("time is up")), 5);
    const error = await collectDocker(source(`unix://${socket}`), { signal: controller.signal }).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toBe(`docker unix://${socket}: collection aborted (time is up)`);
  });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("tcp with TLS and client certificates", () => {
  let endpoint: string;
  let files: Record<"ca" | "cert" | "key" | "otherCa", string>;

  beforeAll(async () => {
    const dir = path.join(scratch, "tls");
    await fs.mkdir(dir);
    const ssl = (...args: string[]) => run("openssl", args, { cwd: dir });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    await ssl("req", "-x509", ...ec, "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2", "-subj", "/CN=fleetlens test CA");
    await ssl("req", "-x509", ...ec, "-keyout", "other-ca-key.pem", "-out", "other-ca.pem", "-days", "2", "-subj", "/CN=someone else");
    await fs.writeFile(path.join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    await fs.writeFile(path.join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
    for (const who of ["server", "client"]) {
      await ssl("req", ...ec, "-keyout", `${who}-key.pem`, "-out", `${who}.csr`, "-subj", `/CN=${who}`);
      await ssl("x509", "-req", "-in", `${who}.csr`, "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
        "-out", `${who}.pem`, "-days", "2", "-extfile", `${who}.ext`);
    }
    const read = (f: string) => fs.readFile(path.join(dir, f), "utf8");
    // dockerd --tlsverify in front of the engine: TLS, client certificate required.
    const server = tls.createServer(
      { key: await read("server-key.pem"), cert: await read("server.pem"), ca: await read("ca.pem"), requestCert: true, rejectUnauthorized: true },
      (client) => {
        const engine = net.connect(socket);
        client.pipe(engine).pipe(client);
        const end = () => {
          client.destroy();
          engine.destroy();
        };
        client.on("error", end);
        engine.on("error", end);
      },
    );
    server.on("tlsClientError", () => undefined);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    endpoint = `tcp://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    files = {
      ca: path.join(dir, "ca.pem"),
      cert: path.join(dir, "client.pem"),
      key: path.join(dir, "client-key.pem"),
      otherCa: path.join(dir, "other-ca.pem"),
    };
  });

  it("collects with the CA, client certificate and key given as files", async () => {
    const snapshot = await collect(endpoint, { tlsCa: files.ca, tlsCert: files.cert, tlsKey: files.key });
    expect(snapshot.containers.length).toBeGreaterThanOrEqual(7);
    expect(snapshot.hosts[0]!.platform).toBe("podman");
  });

  it("collects with PEM text, the key being the source's (encrypted at rest) secret", async () => {
    const pem = (f: string) => fs.readFile(f, "utf8");
    const snapshot = await collect(endpoint, { tlsCa: await pem(files.ca), tlsCert: await pem(files.cert) }, await pem(files.key));
    expect(snapshot.containers.length).toBeGreaterThanOrEqual(7);
  });

  it("fails clearly on an engine certificate signed by another CA, without key material in the message", async () => {
    const key = await fs.readFile(files.key, "utf8");
    const error = await collectError(endpoint, { tlsCa: files.otherCa, tlsCert: files.cert }, key);
    expect(error.message).toMatch(new RegExp(`^docker ${endpoint}: GET /_ping failed: TLS failed: .*certificate`));
    for (const line of key.split("\n").filter((l) => l.length > 8)) expect(error.message).not.toContain(line);
    expect(JSON.stringify(error)).not.toContain("PRIVATE KEY");
  });

  it("fails clearly when the engine wants a client certificate and gets none", async () => {
    const error = await collectError(endpoint, { tlsCa: files.ca });
    expect(error.message).toMatch(new RegExp(`^docker ${endpoint}: GET /_ping failed: (TLS failed: .*certificate required|.*(reset|hang up|closed))`));
  });

  it("fails clearly when plain HTTP meets a TLS port", async () => {
    expect((await collectError(endpoint)).message).toMatch(new RegExp(`^docker ${endpoint}: GET /_ping failed: `));
  });
});

describe("collect docker <endpoint> (command line)", () => {
  const cli = (...args: string[]) =>
    run("npm", ["run", "--silent", "collect", "--", "docker", ...args], {
      cwd: ROOT,
      // No database is touched: a database URL that cannot work changes nothing.
      env: { ...process.env, DATABASE_URL: "postgresql://nobody:nothing@127.0.0.1:1/none" },
    });

  it("prints the snapshot as JSON with --json", async () => {
    const { stdout } = await cli(`unix://${socket}`, "--json", "--tenant-label", "com.example.customer");
    const printed = JSON.parse(stdout) as Record<string, unknown[]>;
    expect(Object.keys(printed)).toEqual(expect.arrayContaining(["hosts", "virtualMachines", "containers", "images"]));
    expect(printed.hosts).toHaveLength(1);
    expect(printed.virtualMachines).toEqual([]);
    expect((printed.containers as { name: string }[]).map((c) => c.name)).toEqual(expect.arrayContaining(["web", "agent", "kata"]));
    expect(printed.images).toHaveLength(3);
  });

  it("prints a short summary without --json, and fails with exit code 1 and the reason", async () => {
    const { stdout } = await cli(`unix://${socket}`);
    expect(stdout).toMatch(new RegExp(`^docker unix://${socket} at `));
    expect(stdout).toMatch(/containers\s+\d+\s+\d+ running/);
    expect(stdout).toMatch(/images\s+3\s+4 distinct layers/);
    const failed = await cli(`unix://${scratch}/absent.sock`).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain(`collect: docker unix://${scratch}/absent.sock: GET /_ping failed: no socket there`);
  });
});

describe("from Podman into the database", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
    closers.push(() => t.drop());
  });

  it("stores what was collected, and a failed collection loses nothing", async () => {
    const customer = await t.prisma.customer.create({ data: { name: "podman customer" } });
    const stored = await t.prisma.source.create({
      data: { customerId: customer.id, kind: "docker", name: "podman", endpoint: `unix://${socket}`, options: { tenantLabel: "com.example.customer" } },
    });
    const result = await collectSource(stored.id, { database: t });
    expect(result.byKind.hosts.added).toBe(1);
    expect(result.byKind.containers.added).toBeGreaterThanOrEqual(7);
    expect(result.byKind.images.added).toBe(3);

    const web = await t.prisma.container.findFirstOrThrow({
      where: { sourceId: stored.id, name: "web" },
      include: { mounts: { orderBy: { position: "asc" } }, imageRecord: true, host: true },
    });
    expect(web).toMatchObject({
      externalId: ids.web,
      state: "running",
      runtime: "runc",
      privileged: false,
      capAdd: ["NET_ADMIN"],
      capDrop: ["MKNOD"],
      user: "1000:1000",
      seccompProfile: "unconfined",
      noNewPrivileges: true,
      readOnlyRootfs: true,
      memoryLimitBytes: BigInt(64 * MiB),
      pidsLimit: 100n,
      labels: expect.objectContaining({ "com.example.customer": "globex", tenant: "acme" }),
    });
    expect(web.mounts.map((m) => [m.type, m.source, m.destination, m.readOnly])).toEqual([
      ["volume", "fleetlens-data", "/data", false],
      ["bind", "/etc", "/host-etc", true],
      ["tmpfs", null, "/run", false],
      ["tmpfs", null, "/tmp", false],
      ["tmpfs", null, "/var/tmp", false],
    ]);
    expect(web.imageRecord?.repoTags).toEqual(["localhost/fleetlens-app:1"]);
    expect(web.host).toMatchObject({ platform: "podman", role: "container_engine", productName: "Podman", cgroupDriver: "cgroupfs", rootless: false });
    const kata = await t.prisma.container.findFirstOrThrow({ where: { sourceId: stored.id, name: "kata" } });
    expect(kata.runtime).toBe("kata");
    // Layers are stored once and shared: busybox's base is in all three images.
    const layers = await t.prisma.layer.findMany({ where: { sourceId: stored.id }, include: { images: true } });
    expect(layers).toHaveLength(4);
    expect(Math.max(...layers.map((l) => l.images.length))).toBe(3);

    const before = await t.prisma.container.count({ where: { sourceId: stored.id } });
    await t.prisma.source.update({ where: { id: stored.id }, data: { endpoint: `unix://${scratch}/gone.sock` } });
    await expect(collectSource(stored.id, { database: t })).rejects.toThrow(/no socket there/);
    const runs = await t.prisma.collectionRun.findMany({ where: { sourceId: stored.id }, orderBy: { startedAt: "asc" } });
    expect(runs.map((r) => r.status)).toEqual(["succeeded", "failed"]);
    expect(runs[1]!.error).toBe(`docker unix://${scratch}/gone.sock: GET /_ping failed: no socket there (connect ENOENT ${scratch}/gone.sock)`);
    expect(await t.prisma.container.count({ where: { sourceId: stored.id } })).toBe(before);
    expect(await t.prisma.image.count({ where: { sourceId: stored.id } })).toBe(3);
  });

  it("collects an engine where a tenant made a hostile container: that container is cut down, with a warning, and the run succeeds", async () => {
    // What any tenant with access to the engine's API can do: 300 labels, one of 70 KB, a NUL.
    const labels: Record<string, string> = { tenant: "mallory", big: "x".repeat(70_000), "nul\u0000key": "a\u0000b" };
    for (let i = 0; i < 300; i++) labels[`l${i}`] = String(i);
    const hostile = await create("hostile", { Image: "localhost/busybox:latest", Cmd: ["true"], Labels: labels, HostConfig: { NetworkMode: "none" } }, false);
    try {
      const customer = await t.prisma.customer.create({ data: { name: "shared engine" } });
      const stored = await t.prisma.source.create({
        data: { customerId: customer.id, kind: "docker", name: "shared", endpoint: `unix://${socket}` },
      });
      const result = await collectSource(stored.id, { database: t });
      expect(result.byKind.containers.added).toBeGreaterThanOrEqual(8);
      const row = await t.prisma.container.findFirstOrThrow({ where: { sourceId: stored.id, name: "hostile" } });
      const kept = row.labels as Record<string, string>;
      expect(kept.tenant).toBe("mallory");
      expect(Object.keys(kept).length).toBeLessThanOrEqual(256);
      expect(JSON.stringify(kept)).not.toContain("\\u0000");
      expect((kept.big ?? "").length).toBeLessThanOrEqual(4096);
      const run = await t.prisma.collectionRun.findFirstOrThrow({ where: { sourceId: stored.id } });
      expect(run.status).toBe("succeeded");
      expect(run.warnings.join("\n")).toMatch(/hostile/);
    } finally {
      await hostile.remove({ force: true });
    }
  });
});

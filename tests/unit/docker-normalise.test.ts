/**
 * The Docker collector's pure parts on genuine Docker Engine 27 documents (tests/fixtures/docker):
 * what Podman cannot show (runtime kata, IpcMode host, AppArmor, userns, health, GPU requests).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  containerDocument,
  imageDocument,
  imageHistoryDocument,
  libpodImageDocument,
  infoDocument,
  libpodContainerDocument,
  versionDocument,
  type ContainerDocument,
} from "../../server/collectors/docker/api";
import { dockerCliParser } from "../../server/collectors/docker/cli";
import {
  dockerSourceOptions,
  DockerEndpointError,
  engineConnection,
  parseEndpoint,
  redact,
  tlsMaterial,
} from "../../server/collectors/docker/endpoint";
import {
  composeProject,
  containerState,
  containerTenant,
  layerSizes,
  normaliseContainer,
  normaliseHost,
  normaliseImage,
  imageHealthcheck,
  fromLibpodImage,
  fromLibpod,
  parseApiVersion,
  pingFacts,
  securityProfile,
  timestamp,
} from "../../server/collectors/docker/normalise";
import { UsageError } from "../../server/cli/args";
import { parseSnapshot } from "../../server/inventory/snapshot";

const fixture = (name: string): unknown =>
  JSON.parse(fs.readFileSync(path.join(__dirname, "../fixtures/docker", name), "utf8"));

const version = versionDocument.parse(fixture("version-docker27.json"));
const info = infoDocument.parse(fixture("info-docker27.json"));
const kata = containerDocument.parse(fixture("container-kata.json"));
const ipcHost = containerDocument.parse(fixture("container-ipc-host.json"));
const nginx = imageDocument.parse(fixture("image-nginx.json"));
const nginxHistory = imageHistoryDocument.parse(fixture("image-nginx-history.json"));

const HOST = "4b1a6f0e-7c2d-4d5e-9a61-2f3e8c9b0d17";
const NGINX_ID = "sha256:3b25b682ea82b2db3cc4fd48db818be788ee3f902ac7378090cf2624ec2442df";
const context = { hostExternalId: HOST, imageIds: new Set([NGINX_ID]) };
const dockerEngine = { podman: false, apiVersion: "1.47", version };

/** A copy of a fixture with HostConfig/Config/State fields replaced. */
function variant(
  doc: ContainerDocument,
  change: { HostConfig?: object; Config?: object; State?: object; [key: string]: unknown },
): ContainerDocument {
  const { HostConfig, Config, State, ...rest } = change;
  return containerDocument.parse({
    ...structuredClone(doc),
    ...rest,
    HostConfig: { ...doc.HostConfig, ...HostConfig },
    Config: { ...doc.Config, ...Config },
    State: { ...doc.State, ...State },
  });
}

describe("engine host from /info and /version (Docker 27)", () => {
  it("reads every host fact the API gives", () => {
    expect(normaliseHost(info, dockerEngine, { ipAddresses: ["10.20.0.15"] })).toEqual({
      externalId: HOST,
      name: "docker01.lab.example",
      role: "container-engine",
      platform: "docker",
      cpuCores: 8,
      cpuThreads: 8,
      memoryMiB: 33652056064 / 1048576,
      osName: "Ubuntu 22.04.5 LTS",
      kernelVersion: "5.15.0-122-generic",
      productName: "Docker Engine",
      productVersion: "27.3.1",
      productBuild: "41ca978",
      apiVersion: "1.47",
      hardwareUuid: null,
      hostname: "docker01.lab.example",
      ipAddresses: ["10.20.0.15"],
      macAddresses: [],
      runtimes: ["io.containerd.runc.v2", "kata", "runc"],
      defaultRuntime: "runc",
      securityOptions: ["name=apparmor", "name=seccomp,profile=builtin", "name=userns", "name=cgroupns"],
      cgroupDriver: "systemd",
      cgroupVersion: "2",
      // userns-remap is on, but the daemon runs as root.
      rootless: false,
    });
  });

  it("tells a rootless Docker engine by its security option name=rootless", () => {
    // What `dockerd-rootless.sh` reports: rootless in SecurityOptions, a data root in the user's home.
    const rootlessInfo = infoDocument.parse({
      ...(fixture("info-docker27.json") as object),
      DockerRootDir: "/home/ada/.local/share/docker",
      SecurityOptions: ["name=seccomp,profile=builtin", "name=rootless", "name=cgroupns"],
    });
    const host = normaliseHost(rootlessInfo, dockerEngine);
    expect(host).toMatchObject({
      platform: "docker",
      rootless: true,
      securityOptions: ["name=seccomp,profile=builtin", "name=rootless", "name=cgroupns"],
    });
    expect(parseSnapshot({ collectedAt: "2026-01-02T03:04:05Z", hosts: [host] }).hosts[0]!.rootless).toBe(true);
  });

  it("tells Podman by its /_ping headers, as the docker CLI negotiates", () => {
    expect(pingFacts({ "api-version": "1.41", "libpod-api-version": "4.3.1", server: "Libpod/4.3.1 (linux)" })).toEqual({
      apiVersion: "1.41",
      podman: true,
      server: "Libpod/4.3.1 (linux)",
    });
    expect(pingFacts({ "api-version": "1.47", server: "Docker/27.3.1 (linux)", ostype: "linux" })).toEqual({
      apiVersion: "1.47",
      podman: false,
      server: "Docker/27.3.1 (linux)",
    });
    expect(pingFacts({}).apiVersion).toBeNull();
  });

  it("adds rootless and the swarm address for Podman, and keys it on name and storage root", () => {
    const podmanInfo = infoDocument.parse({
      ...(fixture("info-docker27.json") as object),
      ID: "0f6e1c52-9b1e-4c43-a8a4-d1e9b7a1b0c2",
      OperatingSystem: "debian",
      OSVersion: "12",
      Rootless: true,
      SecurityOptions: ["name=seccomp,profile=default"],
      Swarm: { NodeAddr: "10.20.0.16", LocalNodeState: "active" },
      ServerVersion: "4.3.1",
    });
    const host = normaliseHost(podmanInfo, { podman: true, apiVersion: "1.41" });
    expect(host).toMatchObject({
      // Podman's /info ID is new on every call.
      externalId: "podman:docker01.lab.example:/var/lib/docker",
      platform: "podman",
      productName: "Podman",
      productVersion: "4.3.1",
      productBuild: null,
      apiVersion: "1.41",
      osName: "debian 12",
      securityOptions: ["name=seccomp,profile=default", "name=rootless"],
      rootless: true,
      ipAddresses: ["10.20.0.16"],
    });
    // Rootful Podman says neither.
    const rootful = infoDocument.parse({ ...(podmanInfo as object), Rootless: false });
    expect(normaliseHost(rootful, { podman: true, apiVersion: "1.41" }).rootless).toBe(false);
  });
});

describe("containers from genuine Docker inspect documents", () => {
  it("a Kata container: runtime, health, limits, user, read-only root, compose labels", () => {
    const container = normaliseContainer(kata, {
      ...context,
      listEntry: {
        Id: kata.Id,
        Names: ["/shop-web-1"],
        Image: "nginx:1.27",
        ImageID: NGINX_ID,
        State: "running",
        Status: "Up 41 hours (healthy)",
      },
    });
    expect(container).toEqual({
      externalId: "8f2d6c1e4b7a9d3f5e0c2b8a6d4f1e3c7b9a5d2e8f6c4a1b3d7e9f0c2a4b6d8e",
      name: "shop-web-1",
      hostExternalId: HOST,
      image: "nginx:1.27",
      imageExternalId: NGINX_ID,
      state: "running",
      status: "Up 41 hours (healthy)",
      createdAt: "2024-11-02T14:20:31.482Z",
      startedAt: "2024-11-02T14:20:32.913Z",
      runtime: "kata",
      command: '/docker-entrypoint.sh nginx -g "daemon off;"',
      privileged: false,
      capAdd: ["NET_BIND_SERVICE"],
      capDrop: ["ALL"],
      user: "101:101",
      networkMode: "shop_default",
      pidMode: null,
      ipcMode: "private",
      utsMode: null,
      usernsMode: null,
      securityOptions: ["no-new-privileges:true"],
      seccompProfile: "default",
      apparmorProfile: "docker-default",
      noNewPrivileges: true,
      readOnlyRootfs: true,
      memoryLimitBytes: 268435456,
      memoryReservationBytes: 134217728,
      cpuShares: 512,
      nanoCpus: 500000000,
      cpuQuota: 0,
      cpuPeriod: 0,
      cpusetCpus: "0-1",
      pidsLimit: 200,
      restartPolicy: "unless-stopped",
      health: "healthy",
      mounts: [
        { type: "volume", source: "shop_static", destination: "/usr/share/nginx/html", readOnly: true, propagation: null },
        { type: "tmpfs", source: null, destination: "/var/cache/nginx", readOnly: false, propagation: null },
      ],
      ports: [
        { containerPort: 80, protocol: "tcp", hostIp: "0.0.0.0", hostPort: 8080 },
        { containerPort: 80, protocol: "tcp", hostIp: "::", hostPort: 8080 },
      ],
      devices: [],
      labels: (fixture("container-kata.json") as { Config: { Labels: Record<string, string> } }).Config.Labels,
      links: [],
    });
    // Env (which holds secrets) is dropped when the document is read.
    expect(JSON.stringify(kata)).not.toContain("hunter2");
  });

  it("an exited privileged agent sharing every host namespace, with docker.sock and host paths mounted", () => {
    const container = normaliseContainer(ipcHost, context);
    expect(container).toEqual({
      externalId: "c41e9a7b3d5f1e8c2a6b4d0f9e7c5a3b1d8f6e4c2a0b9d7f5e3c1a8b6d4f2e0c",
      name: "node-agent",
      hostExternalId: HOST,
      image: "registry.example.com/ops/node-agent:2.4.1",
      // Its image is not in the snapshot: no dangling reference.
      imageExternalId: null,
      state: "exited",
      status: null,
      createdAt: "2024-10-28T08:03:12.117Z",
      startedAt: "2024-10-28T08:03:13.004Z",
      runtime: "runc",
      command: "/usr/local/bin/node-agent --collect --listen=:9100",
      privileged: true,
      capAdd: ["SYS_ADMIN", "SYS_PTRACE"],
      capDrop: [],
      user: null,
      networkMode: "host",
      pidMode: "host",
      ipcMode: "host",
      utsMode: "host",
      usernsMode: "host",
      securityOptions: ["seccomp=unconfined", "apparmor=unconfined", "label=disable"],
      seccompProfile: "unconfined",
      apparmorProfile: "unconfined",
      noNewPrivileges: false,
      readOnlyRootfs: false,
      memoryLimitBytes: 0,
      memoryReservationBytes: 0,
      cpuShares: 0,
      nanoCpus: 0,
      cpuQuota: 0,
      cpuPeriod: 0,
      cpusetCpus: null,
      pidsLimit: null,
      restartPolicy: "on-failure:3",
      health: null,
      mounts: [
        { type: "tmpfs", source: null, destination: "/cache", readOnly: false, propagation: null },
        { type: "bind", source: "/", destination: "/host", readOnly: true, propagation: "rslave" },
        { type: "bind", source: "/etc", destination: "/host-etc", readOnly: false, propagation: "rprivate" },
        { type: "tmpfs", source: null, destination: "/run", readOnly: false, propagation: null },
        { type: "bind", source: "/var/run/docker.sock", destination: "/var/run/docker.sock", readOnly: false, propagation: "rprivate" },
      ],
      ports: [{ containerPort: 9100, protocol: "tcp", hostIp: null, hostPort: null }],
      devices: ["/dev/fuse:/dev/fuse:rwm", "/dev/kvm:/dev/kvm:rw", "request=nvidia:all:gpu"],
      labels: {
        "org.opencontainers.image.source": "https://git.example.com/ops/node-agent",
        "org.opencontainers.image.version": "2.4.1",
      },
      links: [],
    });
  });

  it("keeps HostConfig.Links (--link, which Kata does not support) as the engine gives them", () => {
    const linked = variant(kata, { HostConfig: { Links: ["/shop-db:/shop-web-1/db"] } });
    expect(normaliseContainer(linked, context).links).toEqual(["/shop-db:/shop-web-1/db"]);
    expect(normaliseContainer(variant(kata, { HostConfig: { Links: null } }), context).links).toEqual([]);
  });

  it("keeps the PIDs limit as the API says it, and empty users and modes as null", () => {
    for (const limit of [null, 0, -1, 4096]) {
      expect(normaliseContainer(variant(kata, { HostConfig: { PidsLimit: limit } }), context).pidsLimit).toBe(limit);
    }
    const empty = normaliseContainer(
      variant(kata, { Config: { User: "" }, HostConfig: { IpcMode: "", NetworkMode: "", CpusetCpus: "" } }),
      context,
    );
    expect(empty).toMatchObject({ user: null, ipcMode: null, networkMode: null, cpusetCpus: null });
    expect(normaliseContainer(variant(kata, { Config: { User: "0" } }), context).user).toBe("0");
  });

  it("reads a stopped container's ports from its port bindings, with the host port when one is fixed", () => {
    const stopped = variant(kata, {
      NetworkSettings: { Ports: {} },
      State: { Status: "created", StartedAt: "0001-01-01T00:00:00Z", Health: null },
      HostConfig: {
        PortBindings: {
          "80/tcp": [{ HostIp: "", HostPort: "" }],
          "53/udp": [{ HostIp: "127.0.0.1", HostPort: "5353" }],
        },
      },
    });
    const container = normaliseContainer(stopped, context);
    expect(container).toMatchObject({ state: "created", startedAt: null, health: null });
    expect(container.ports).toEqual([
      { containerPort: 53, protocol: "udp", hostIp: "127.0.0.1", hostPort: 5353 },
      { containerPort: 80, protocol: "tcp", hostIp: null, hostPort: null },
    ]);
  });

  it("prefers the runtime the caller knows (Podman's libpod inspect) over HostConfig.Runtime", () => {
    const oci = variant(kata, { HostConfig: { Runtime: "oci" } });
    expect(normaliseContainer(oci, { ...context, runtime: "kata" }).runtime).toBe("kata");
    expect(normaliseContainer(oci, { ...context, runtime: null }).runtime).toBe("oci");
  });

  it("takes Podman's command line from the list (its Path and Args repeat a one-word command)", () => {
    const doc = variant(kata, { Path: "true", Args: ["true"] });
    const listEntry = { Id: kata.Id, Command: "true" };
    expect(normaliseContainer(doc, { ...context, listEntry, podman: true }).command).toBe("true");
    expect(normaliseContainer(doc, { ...context, listEntry }).command).toBe("true true");
  });

  it("keys a Docker engine without an ID on its name", () => {
    expect(normaliseHost(infoDocument.parse({ ...(fixture("info-docker27.json") as object), ID: "" }), dockerEngine).externalId).toBe(
      "name:docker01.lab.example",
    );
  });

  it("reads Podman's own inspect as its Docker-compatible one, with the real runtime", () => {
    const libpod = libpodContainerDocument.parse({
      ...structuredClone(fixture("container-kata.json") as object),
      Name: "shop-web-1",
      Image: "3b25b682ea82b2db3cc4fd48db818be788ee3f902ac7378090cf2624ec2442df",
      OCIRuntime: "kata",
      HostConfig: { ...kata.HostConfig, Runtime: "oci", CapAdd: ["CAP_NET_BIND_SERVICE"], CapDrop: ["CAP_ALL"] },
    });
    const { doc, runtime } = fromLibpod(libpod);
    expect(runtime).toBe("kata");
    expect(normaliseContainer(doc, { ...context, runtime })).toEqual(normaliseContainer(kata, context));
  });

  it("maps Podman's state words to Docker's, and anything else to unknown", () => {
    expect(["running", "exited", "configured", "stopped", "stopping", "weird", null].map(containerState)).toEqual([
      "running",
      "exited",
      "created",
      "exited",
      "running",
      "unknown",
      "unknown",
    ]);
  });

  it("every normalised container and image passes the snapshot contract", () => {
    const image = normaliseImage(nginx, nginxHistory, HOST).image;
    const snapshot = parseSnapshot({
      collectedAt: "2024-11-04T09:12:44.537Z",
      hosts: [normaliseHost(info, dockerEngine)],
      containers: [normaliseContainer(kata, context), normaliseContainer(ipcHost, context)],
      images: [image],
    });
    expect(snapshot.containers).toHaveLength(2);
    expect(snapshot.images[0]!.layers).toHaveLength(7);
  });
});

describe("SecurityOpt", () => {
  it.each([
    [[], false, "default", false],
    [["seccomp=unconfined"], false, "unconfined", false],
    [["seccomp:unconfined"], false, "unconfined", false],
    [["seccomp=builtin"], false, "default", false],
    [['seccomp={"defaultAction":"SCMP_ACT_ERRNO","syscalls":[]}'], false, "custom", false],
    [["seccomp=/etc/docker/seccomp/strict.json"], false, "/etc/docker/seccomp/strict.json", false],
    [["seccomp=localhost/profile.json", "no-new-privileges"], false, "localhost/profile.json", true],
    [["no-new-privileges:true"], false, "default", true],
    [["no-new-privileges=true"], false, "default", true],
    [["no-new-privileges:false"], false, "default", false],
    // A privileged container runs without seccomp whatever SecurityOpt says.
    [[], true, "unconfined", false],
  ] as const)("%j privileged=%s → seccomp %s, no-new-privileges %s", (options, privileged, seccomp, nnp) => {
    const profile = securityProfile(options, privileged);
    expect(profile.seccompProfile).toBe(seccomp);
    expect(profile.noNewPrivileges).toBe(nnp);
  });

  it("takes AppArmor from SecurityOpt first, then from the profile the engine applied", () => {
    expect(securityProfile(["apparmor=my-profile"], false, "docker-default").apparmorProfile).toBe("my-profile");
    expect(securityProfile(["apparmor:unconfined"], false, "").apparmorProfile).toBe("unconfined");
    expect(securityProfile([], false, "docker-default").apparmorProfile).toBe("docker-default");
    expect(securityProfile([], false, "").apparmorProfile).toBeNull();
  });
});

describe("tenant and compose project labels", () => {
  const labels = { "com.docker.compose.project": "shop", tenant: "acme", "com.example.customer": "globex" };
  it("reads the tenant from the configured label, the default being 'tenant'", () => {
    expect(containerTenant({ labels })).toBe("acme");
    expect(containerTenant({ labels }, "com.example.customer")).toBe("globex");
    expect(containerTenant({ labels }, "missing")).toBeNull();
    expect(composeProject({ labels })).toBe("shop");
    expect(composeProject({ labels: {} })).toBeNull();
  });
  it("takes the tenant label from the source options", () => {
    expect(dockerSourceOptions.parse({}).tenantLabel).toBe("tenant");
    expect(dockerSourceOptions.parse({ tenantLabel: "com.example.customer" }).tenantLabel).toBe("com.example.customer");
    expect(() => dockerSourceOptions.parse({ tenantLabel: "" })).toThrow();
  });
});

describe("layers and their sizes", () => {
  it("gives each of nginx's 7 layers the size of the build step that made it", () => {
    const { image, warning } = normaliseImage(nginx, nginxHistory, HOST);
    expect(warning).toBeNull();
    expect(image).toMatchObject({
      externalId: NGINX_ID,
      hostExternalId: HOST,
      repoTags: ["nginx:1.27", "nginx:1.27.2"],
      repoDigests: ["nginx@sha256:28402db69fec7c17e179ea87882667f1e054391138f77ffaf0c3eb388efc3ffb"],
      sizeBytes: 187627988,
      createdAt: "2024-10-21T18:03:12.000Z",
      os: "linux",
      architecture: "amd64",
    });
    expect(image.layers!.map((l) => l.sizeBytes)).toEqual([74781242, 112834811, 1620, 2125, 389, 3018, 4783]);
    expect(image.layers!.map((l) => l.digest)).toEqual(nginx.RootFS!.Layers);
    expect(image.layers!.reduce((sum, l) => sum + l.sizeBytes, 0)).toBe(nginx.Size);
    // nginx has no HEALTHCHECK: its Config has no Healthcheck (docker-bench 4.6 prints <nil>).
    expect(image.healthcheck).toBe(false);
  });

  it("tells an image's HEALTHCHECK (CIS 4.6) from Docker's Config and Podman's own inspect, and says unknown without either", () => {
    const test = { Test: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"] };
    expect(imageHealthcheck({ ...nginx, Config: { Healthcheck: test } })).toBe(true);
    expect(imageHealthcheck({ ...nginx, Config: { Healthcheck: null } })).toBe(false);
    expect(imageHealthcheck({ ...nginx, Config: null })).toBeNull();
    const { Config: _config, ...bare } = nginx;
    const libpod = libpodImageDocument.parse({ ...bare, Id: NGINX_ID.replace(/^sha256:/, ""), Healthcheck: test });
    expect(fromLibpodImage(libpod)).toMatchObject({ Id: NGINX_ID, Config: { Healthcheck: test } });
    expect(imageHealthcheck(fromLibpodImage(libpod))).toBe(true);
    // Podman's inspect has no Healthcheck key for an image without one.
    expect(imageHealthcheck(fromLibpodImage(libpodImageDocument.parse({ ...bare, Id: NGINX_ID })))).toBe(false);
  });

  const step = (CreatedBy: string, Size: number) => ({ CreatedBy, Size, Id: "<missing>", Created: 0, Comment: "" });
  const newestFirst = (...steps: ReturnType<typeof step>[]) => steps.reverse();

  it("places an empty layer when only one placement is possible", () => {
    // RUN true made an empty layer between two real ones; ENV made none.
    const history = newestFirst(
      step("/bin/sh -c #(nop) ADD file:abc in /", 100),
      step("ENV A=b", 0),
      step("RUN /bin/sh -c true # buildkit", 0),
      step("COPY app /app # buildkit", 7),
    );
    expect(layerSizes(["sha256:a", "sha256:b", "sha256:c"], history)).toEqual({
      layers: [
        { digest: "sha256:a", sizeBytes: 100 },
        { digest: "sha256:b", sizeBytes: 0 },
        { digest: "sha256:c", sizeBytes: 7 },
      ],
      problem: null,
    });
  });

  it("leaves the sizes unknown (no layers, a warning) when the empty layer could be in two places", () => {
    const history = newestFirst(
      step("RUN /bin/sh -c true # buildkit", 0),
      step("COPY a /a # buildkit", 5),
      step("RUN /bin/sh -c mkdir -p /x # buildkit", 0),
      step("COPY b /b # buildkit", 9),
    );
    const result = layerSizes(["sha256:1", "sha256:2", "sha256:3"], history);
    expect(result.layers).toEqual([]);
    expect(result.problem).toMatch(/empty layers/);
    const image = normaliseImage(
      imageDocument.parse({ Id: "sha256:f00", RepoTags: ["<none>:<none>"], Size: 14, RootFS: { Layers: ["sha256:1", "sha256:2", "sha256:3"] } }),
      history,
      HOST,
    );
    expect(image.image).toMatchObject({ repoTags: [], layers: [] });
    expect(image.warning).toMatch(/image sha256:f00: layer sizes unknown/);
  });

  it("refuses counts that cannot agree", () => {
    expect(layerSizes(["sha256:1"], newestFirst(step("COPY a /a", 5), step("COPY b /b", 6))).problem).toMatch(
      /1 layers but 2 sized/,
    );
  });
});

describe("API versions and times", () => {
  it("parses versions and Go's zero time", () => {
    expect(parseApiVersion("1.41")).toEqual([1, 41]);
    expect(parseApiVersion("v1.47")).toEqual([1, 47]);
    expect(parseApiVersion("4.3.1")).toBeNull();
    expect(timestamp("0001-01-01T00:00:00Z")).toBeNull();
    expect(timestamp("2024-11-02T14:20:31.482913574Z")).toBe("2024-11-02T14:20:31.482Z");
    expect(timestamp(1729533792)).toBe("2024-10-21T18:03:12.000Z");
    expect(timestamp("garbage")).toBeNull();
  });
});

describe("endpoints", () => {
  it("understands unix, tcp and https endpoints", () => {
    expect(parseEndpoint("unix:///var/run/docker.sock", false)).toEqual({
      kind: "unix",
      socketPath: "/var/run/docker.sock",
      display: "unix:///var/run/docker.sock",
    });
    expect(parseEndpoint("/run/podman/podman.sock", false)).toMatchObject({ kind: "unix", socketPath: "/run/podman/podman.sock" });
    expect(parseEndpoint("tcp://10.0.0.5:2375", false)).toMatchObject({ kind: "tcp", host: "10.0.0.5", port: 2375, tls: false });
    expect(parseEndpoint("tcp://docker01", true)).toMatchObject({ host: "docker01", port: 2376, tls: true });
    expect(parseEndpoint("https://[::1]:2376", false)).toMatchObject({ host: "::1", port: 2376, tls: true });
  });

  it("refuses ssh for now, and what is not an endpoint, with a reason", () => {
    expect(() => parseEndpoint("ssh://admin@docker01", false)).toThrow(/ssh endpoints are not supported yet.*ssh -L/);
    expect(() => parseEndpoint("npipe:////./pipe/docker_engine", false)).toThrow(DockerEndpointError);
    expect(() => parseEndpoint("docker01:2375", false)).toThrow(/unknown scheme/);
    expect(() => parseEndpoint("not a url", false)).toThrow(/not a Docker endpoint/);
    expect(() => parseEndpoint("http://h:1", true)).toThrow(/cannot use TLS/);
  });

  it("takes certificates as PEM text or file, the key from the secret or a file, and never both halves missing", () => {
    const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
    const options = (o: object) => dockerSourceOptions.parse(o);
    expect(tlsMaterial(options({}), null)).toBeNull();
    expect(tlsMaterial(options({ tlsCert: cert }), key)).toEqual({ cert, key });
    expect(() => tlsMaterial(options({ tlsCert: cert }), null)).toThrow(/needs its key/);
    expect(() => tlsMaterial(options({ tlsKey: "/etc/docker/key.pem" }), null)).toThrow(/needs its key and the key its certificate/);
    expect(() => tlsMaterial(options({ tlsCa: "/nonexistent/ca.pem" }), null)).toThrow(/cannot read the TLS CA file \/nonexistent\/ca.pem \(ENOENT\)/);
    expect(() => tlsMaterial(options({ tlsCert: cert, tlsKey: "/nonexistent/key.pem" }), null)).toThrow(/cannot read the TLS client key file \/nonexistent\/key.pem \(ENOENT\)/);
    expect(() => engineConnection("unix:///x.sock", options({ tlsCa: cert }), null)).toThrow(/tcp:\/\/ endpoints only/);
    const connection = engineConnection("tcp://127.0.0.1:2376", options({ tlsCa: cert, tlsCert: cert }), key);
    expect(connection.modemOptions).toMatchObject({ protocol: "https", host: "127.0.0.1", port: 2376, socketPath: undefined, key });
  });

  it("refuses a private key pasted into the tlsKey option (options are not secret), and a secret that is not a key", () => {
    const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const options = (o: object) => dockerSourceOptions.parse(o);
    for (const armour of ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"]) {
      const key = `-----BEGIN ${armour}-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END ${armour}-----\n`;
      const refused = (() => {
        try {
          tlsMaterial(options({ tlsCert: cert, tlsKey: key }), null);
          return null;
        } catch (error) {
          return error as Error;
        }
      })();
      expect(refused).toBeInstanceOf(DockerEndpointError);
      expect(refused!.message).toMatch(/tlsKey option takes a file path only: paste the TLS client key into the source's secret/);
      expect(refused!.message).not.toContain("MIIEvQ");
    }
    // A secret that is not PEM is never read as a file name (it would be repeated in the message).
    expect(() => tlsMaterial(options({ tlsCert: cert }), "hunter2-password")).toThrow(/secret is not a PEM private key/);
    expect(() => tlsMaterial(options({ tlsCert: cert }), "hunter2-password")).not.toThrow(/hunter2/);
  });

  it("ignores DOCKER_HOST and DOCKER_CERT_PATH: only the source says where to go", () => {
    const connection = engineConnection("unix:///tmp/x.sock", dockerSourceOptions.parse({}), null);
    expect(connection.modemOptions).toMatchObject({ socketPath: "/tmp/x.sock", host: undefined, protocol: "http", key: undefined });
  });

  it("redacts key material from messages", () => {
    const key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC\n-----END PRIVATE KEY-----\n";
    const message = redact(`bad key ${key} and MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC again`, [key]);
    expect(message).not.toContain("MIIEvQ");
    expect(message).toContain("[PEM redacted]");
  });
});

describe("collect docker (command line)", () => {
  const noEnv = {} as NodeJS.ProcessEnv;
  it("turns arguments into a docker source", () => {
    expect(
      dockerCliParser(
        ["tcp://10.0.0.5:2376", "--tls-ca", "ca.pem", "--tls-cert", "cert.pem", "--tls-key", "key.pem", "--tenant-label", "customer"],
        noEnv,
      ),
    ).toEqual({
      kind: "docker",
      name: "tcp://10.0.0.5:2376",
      endpoint: "tcp://10.0.0.5:2376",
      username: null,
      secret: null,
      options: { tlsCa: "ca.pem", tlsCert: "cert.pem", tlsKey: "key.pem", tenantLabel: "customer" },
    });
    expect(dockerCliParser([], { ...noEnv, DOCKER_HOST: "unix:///run/docker.sock" }).endpoint).toBe("unix:///run/docker.sock");
    expect(() => dockerCliParser([], noEnv)).toThrow(UsageError);
    expect(() => dockerCliParser(["a", "b"], noEnv)).toThrow(UsageError);
    expect(() => dockerCliParser(["a", "--bogus"], noEnv)).toThrow(UsageError);
    expect(() => dockerCliParser(["a", "--concurrency", "0"], noEnv)).toThrow(UsageError);
  });

  it("takes the daemon's no-new-privileges setting, which the Engine API does not tell (CIS 5.26)", () => {
    expect(dockerCliParser(["unix:///run/docker.sock", "--daemon-no-new-privileges"], noEnv).options).toEqual({ daemonNoNewPrivileges: true });
    expect(dockerCliParser(["unix:///run/docker.sock"], noEnv).options).toEqual({});
  });
});

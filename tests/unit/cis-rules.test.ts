/**
 * The container rules against docker-bench-security v1.6.1 (tests/5_container_runtime.sh and
 * 4_container_images.sh): for each check, what docker-bench warns on, and a near miss it passes.
 * Containers are built from the snapshot contract, as the collector gives them.
 */
import { describe, expect, it } from "vitest";
import type { InventoryContainer, InventoryHost, InventoryImage } from "../../server/analysis/inventory";
import { analyseIsolation } from "../../server/analysis/isolation";
import { DEFAULT_PARAMETERS } from "../../server/analysis/parameters";
import { CONTAINER_RULES, evaluate, type ContainerContext } from "../../server/analysis/rules";
import { containerSnapshot, hostSnapshot, imageSnapshot } from "../../server/inventory/snapshot";

const MIB = 1024 * 1024;

function host(over: Partial<InventoryHost> = {}): InventoryHost {
  return {
    ...hostSnapshot.parse({
      externalId: "engine-1",
      name: "docker01",
      role: "container-engine",
      platform: "docker",
      cpuCores: 8,
      memoryMiB: 32768,
      runtimes: ["runc"],
      securityOptions: ["name=apparmor", "name=seccomp,profile=builtin"],
    }),
    key: "s:host:engine-1",
    customer: "acme",
    tenantLabel: "tenant",
    vmKey: null,
    vmLinkKey: null,
    ...over,
  };
}

/** A hardened running container: docker-bench passes every section-5 check on it. */
function container(over: Partial<InventoryContainer> = {}): InventoryContainer {
  return {
    ...containerSnapshot.parse({
      externalId: "c-1",
      name: "web",
      hostExternalId: "engine-1",
      image: "app:1",
      state: "running",
      runtime: "runc",
      user: "app",
      networkMode: "bridge",
      securityOptions: ["no-new-privileges", "apparmor=docker-default"],
      apparmorProfile: "docker-default",
      seccompProfile: "default",
      noNewPrivileges: true,
      readOnlyRootfs: true,
      memoryLimitBytes: 256 * MIB,
      cpuShares: 512,
      pidsLimit: 100,
      health: "healthy",
    }),
    key: "s:container:c-1",
    customer: "acme",
    hostKey: "s:host:engine-1",
    imageKey: null,
    ...over,
  };
}

function image(healthcheck: boolean | null): InventoryImage {
  return {
    ...imageSnapshot.parse({ externalId: "sha256:img", hostExternalId: "engine-1", repoTags: ["app:1"], sizeBytes: 1, healthcheck }),
    key: "s:image:img",
    customer: "acme",
    hostKey: "s:host:engine-1",
  };
}

const ctx = (over: Partial<ContainerContext> = {}): ContainerContext => ({ host: host(), tenantsOnHost: [], image: null, ...over });
const fired = (c: InventoryContainer, context: ContainerContext = ctx()) => evaluate(CONTAINER_RULES, c, context).map((f) => f.ruleId);
const detail = (ruleId: string, c: InventoryContainer, context: ContainerContext = ctx()) =>
  evaluate(CONTAINER_RULES, c, context).find((f) => f.ruleId === ruleId)?.detail;
const bind = (source: string, destination: string, readOnly = false, propagation: string | null = "rprivate") =>
  ({ type: "bind" as const, source, destination, readOnly, propagation });

interface Case {
  rule: string;
  why: string;
  over: Partial<InventoryContainer>;
  context?: Partial<ContainerContext>;
  fires: boolean;
}

const CASES: Case[] = [
  // 5.4: CapAdd less Docker's 14 defaults, with or without CAP_, any case.
  { rule: "CIS-Docker-5.4", why: "SYS_ADMIN added", over: { capAdd: ["SYS_ADMIN"] }, fires: true },
  { rule: "CIS-Docker-5.4", why: "ALL added", over: { capAdd: ["ALL"] }, fires: true },
  { rule: "CIS-Docker-5.4", why: "near miss: --cap-drop ALL --cap-add NET_BIND_SERVICE", over: { capDrop: ["ALL"], capAdd: ["NET_BIND_SERVICE"] }, fires: false },
  { rule: "CIS-Docker-5.4", why: "near miss: cap_chown (a default, lower case with CAP_)", over: { capAdd: ["cap_chown"] }, fires: false },
  // 5.5
  { rule: "CIS-Docker-5.5", why: "privileged", over: { privileged: true }, fires: true },
  { rule: "CIS-Docker-5.5", why: "near miss: every capability but not privileged", over: { capAdd: ["ALL"] }, fires: false },
  // 5.6: read-write, source or destination, whole path.
  { rule: "CIS-Docker-5.6", why: "-v /etc:/host/etc (rw)", over: { mounts: [bind("/etc", "/host/etc")] }, fires: true },
  { rule: "CIS-Docker-5.6", why: "a volume mounted at /usr (destination)", over: { mounts: [{ type: "volume", source: "data", destination: "/usr", readOnly: false, propagation: null }] }, fires: true },
  { rule: "CIS-Docker-5.6", why: "near miss: -v /etc:/host/etc:ro", over: { mounts: [bind("/etc", "/host/etc", true)] }, fires: false },
  { rule: "CIS-Docker-5.6", why: "near miss: -v /:/rootfs:ro,rslave", over: { mounts: [bind("/", "/rootfs", true, "rslave")] }, fires: false },
  { rule: "CIS-Docker-5.6", why: "near miss: /etc/nginx is not /etc", over: { mounts: [bind("/srv/conf", "/etc/nginx")] }, fires: false },
  // 5.8 and 5.14: published ports.
  { rule: "CIS-Docker-5.8", why: "host port 80", over: { ports: [{ containerPort: 80, protocol: "tcp", hostIp: "127.0.0.1", hostPort: 80 }] }, fires: true },
  { rule: "CIS-Docker-5.8", why: "near miss: host port 1025", over: { ports: [{ containerPort: 80, protocol: "tcp", hostIp: "127.0.0.1", hostPort: 1025 }] }, fires: false },
  { rule: "CIS-Docker-5.8", why: "near miss: container port 80 not published", over: { ports: [{ containerPort: 80, protocol: "tcp", hostIp: null, hostPort: null }] }, fires: false },
  { rule: "CIS-Docker-5.14", why: "0.0.0.0:8080", over: { ports: [{ containerPort: 80, protocol: "tcp", hostIp: "0.0.0.0", hostPort: 8080 }] }, fires: true },
  { rule: "CIS-Docker-5.14", why: "near miss: 10.0.0.5:8080", over: { ports: [{ containerPort: 80, protocol: "tcp", hostIp: "10.0.0.5", hostPort: 8080 }] }, fires: false },
  // 5.15: MaximumRetryCount > 5.
  { rule: "CIS-Docker-5.15", why: "on-failure:10", over: { restartPolicy: "on-failure:10" }, fires: true },
  { rule: "CIS-Docker-5.15", why: "near miss: on-failure:5", over: { restartPolicy: "on-failure:5" }, fires: false },
  { rule: "CIS-Docker-5.15", why: "near miss: always (no retry count)", over: { restartPolicy: "always" }, fires: false },
  // 5.18: HostConfig.Devices, not GPU requests.
  { rule: "CIS-Docker-5.18", why: "--device /dev/fuse", over: { devices: ["/dev/fuse:/dev/fuse:rwm"] }, fires: true },
  { rule: "CIS-Docker-5.18", why: "near miss: --gpus all only", over: { devices: ["request=nvidia:all:gpu"] }, fires: false },
  // 5.20
  { rule: "CIS-Docker-5.20", why: "rshared bind", over: { mounts: [bind("/mnt", "/mnt", false, "rshared")] }, fires: true },
  { rule: "CIS-Docker-5.20", why: "near miss: rslave bind", over: { mounts: [bind("/mnt", "/mnt", false, "rslave")] }, fires: false },
  // 5.22: SecurityOpt, not privileged.
  { rule: "CIS-Docker-5.22", why: "seccomp=unconfined", over: { securityOptions: ["seccomp=unconfined"], seccompProfile: "unconfined" }, fires: true },
  { rule: "CIS-Docker-5.22", why: "seccomp:unconfined (old syntax)", over: { securityOptions: ["seccomp:unconfined"] }, fires: true },
  { rule: "CIS-Docker-5.22", why: "near miss: privileged (runs unconfined, but that is 5.5)", over: { privileged: true, seccompProfile: "unconfined" }, fires: false },
  // 5.12: shares and NanoCpus both 0.
  { rule: "CIS-Docker-5.12", why: "no shares, no cpus", over: { cpuShares: 0, nanoCpus: 0 }, fires: true },
  { rule: "CIS-Docker-5.12", why: "near miss: --cpu-shares 1024 set explicitly", over: { cpuShares: 1024 }, fires: false },
  { rule: "CIS-Docker-5.12", why: "near miss: --cpus 0.5", over: { cpuShares: 0, nanoCpus: 500_000_000 }, fires: false },
  // 5.26: container or daemon.
  { rule: "CIS-Docker-5.26", why: "neither container nor daemon", over: { securityOptions: ["apparmor=docker-default"], noNewPrivileges: false }, fires: true },
  { rule: "CIS-Docker-5.26", why: "near miss: the daemon runs with --no-new-privileges", over: { securityOptions: [], noNewPrivileges: false }, context: { host: host({ daemonNoNewPrivileges: true }) }, fires: false },
  // 5.27
  { rule: "CIS-Docker-5.27", why: "no health check", over: { health: null }, fires: true },
  { rule: "CIS-Docker-5.27", why: "near miss: unhealthy is a health check", over: { health: "unhealthy" }, fires: false },
  // 5.2 and 5.3, "if applicable".
  { rule: "CIS-Docker-5.2", why: "unconfined on an AppArmor host", over: { apparmorProfile: "unconfined" }, fires: true },
  { rule: "CIS-Docker-5.2", why: "near miss: no profile on a host without AppArmor", over: { apparmorProfile: null }, context: { host: host({ securityOptions: ["name=selinux"] }) }, fires: false },
  { rule: "CIS-Docker-5.3", why: "no security options on an SELinux host", over: { securityOptions: [], noNewPrivileges: false }, context: { host: host({ securityOptions: ["name=selinux"] }) }, fires: true },
  { rule: "CIS-Docker-5.3", why: "near miss: label=type:svirt_apache_t", over: { securityOptions: ["label=type:svirt_apache_t"] }, context: { host: host({ securityOptions: ["name=selinux"] }) }, fires: false },
  // 5.31: UsernsMode contains host.
  { rule: "CIS-Docker-5.31", why: "--userns=host", over: { usernsMode: "host" }, fires: true },
  { rule: "CIS-Docker-5.31", why: "near miss: keep-id", over: { usernsMode: "keep-id" }, fires: false },
  // 5.32: docker.sock anywhere in the mounts.
  { rule: "CIS-Docker-5.32", why: "/var/run/docker.sock", over: { mounts: [bind("/var/run/docker.sock", "/var/run/docker.sock", true)] }, fires: true },
  { rule: "CIS-Docker-5.32", why: "Docker Desktop's /run/docker.sock.raw", over: { mounts: [bind("/run/docker.sock.raw", "/var/run/docker.sock")] }, fires: true },
  { rule: "CIS-Docker-5.32", why: "near miss: /var/run/dockerd.pid", over: { mounts: [bind("/var/run/dockerd.pid", "/dockerd.pid", true)] }, fires: false },
  // 4.1
  { rule: "CIS-Docker-4.1", why: "User empty", over: { user: null }, fires: true },
  { rule: "CIS-Docker-4.1", why: "near miss: 1000:1000", over: { user: "1000:1000" }, fires: false },
  // 4.6: the image's HEALTHCHECK.
  { rule: "CIS-Docker-4.6", why: "image without HEALTHCHECK", over: {}, context: { image: image(false) }, fires: true },
  { rule: "CIS-Docker-4.6", why: "near miss: image with HEALTHCHECK", over: {}, context: { image: image(true) }, fires: false },
  { rule: "CIS-Docker-4.6", why: "near miss: not known (insufficient data, silent)", over: {}, context: { image: image(null) }, fires: false },
  // Namespaces.
  { rule: "CIS-Docker-5.16", why: "--pid=host", over: { pidMode: "host" }, fires: true },
  { rule: "CIS-Docker-5.16", why: "near miss: --pid=container:db", over: { pidMode: "container:db" }, fires: false },
  { rule: "CIS-Docker-5.17", why: "--ipc=host", over: { ipcMode: "host" }, fires: true },
  { rule: "CIS-Docker-5.17", why: "near miss: --ipc=shareable", over: { ipcMode: "shareable" }, fires: false },
  { rule: "CIS-Docker-5.21", why: "--uts=host", over: { utsMode: "host" }, fires: true },
  { rule: "CIS-Docker-5.21", why: "near miss: UTSMode empty (private)", over: { utsMode: "" }, fires: false },
  // Resources and the root filesystem: HostConfig.Memory 0, ReadonlyRootfs false.
  { rule: "CIS-Docker-5.11", why: "HostConfig.Memory 0 (no limit)", over: { memoryLimitBytes: 0 }, fires: true },
  { rule: "CIS-Docker-5.11", why: "near miss: Memory 1 byte", over: { memoryLimitBytes: 1 }, fires: false },
  { rule: "CIS-Docker-5.13", why: "ReadonlyRootfs false", over: { readOnlyRootfs: false }, fires: true },
  { rule: "CIS-Docker-5.13", why: "near miss: read-only root with a writable tmpfs", over: { mounts: [{ type: "tmpfs", source: null, destination: "/tmp", readOnly: false, propagation: null }] }, fires: false },
  { rule: "CIS-Docker-5.10", why: "--net=host", over: { networkMode: "host" }, fires: true },
  { rule: "CIS-Docker-5.10", why: "near miss: --net=container:db", over: { networkMode: "container:db" }, fires: false },
  { rule: "CIS-Docker-5.29", why: "PidsLimit -1", over: { pidsLimit: -1 }, fires: true },
  { rule: "CIS-Docker-5.29", why: "near miss: PidsLimit 1", over: { pidsLimit: 1 }, fires: false },
];

describe("CIS Docker Benchmark as docker-bench-security v1.6.1 checks it", () => {
  it("passes the hardened container on every rule", () => {
    expect(fired(container())).toEqual([]);
  });

  it("has a case where each check warns and a near miss where it passes", () => {
    const checks = CONTAINER_RULES.filter((r) => r.id.startsWith("CIS-Docker-")).map((r) => r.id).sort();
    expect([...new Set(CASES.filter((k) => k.fires).map((k) => k.rule))].sort()).toEqual(checks);
    expect([...new Set(CASES.filter((k) => !k.fires).map((k) => k.rule))].sort()).toEqual(checks);
  });

  it.each(CASES)("$rule: $why", ({ rule, over, context, fires }) => {
    expect(fired(container(over), ctx(context)).includes(rule)).toBe(fires);
  });

  it("says what fired: the added capabilities only, each sensitive path once", () => {
    expect(detail("CIS-Docker-5.4", container({ capAdd: ["CAP_NET_BIND_SERVICE", "sys_admin", "NET_ADMIN"] }))).toBe("SYS_ADMIN, NET_ADMIN");
    expect(detail("CIS-Docker-5.6", container({ mounts: [bind("/etc", "/etc"), bind("/etc/", "/host")] }))).toBe("/etc");
  });

  it("carries the upstream id, the source with its version and a deviation where it differs", () => {
    for (const rule of CONTAINER_RULES.filter((r) => r.id.startsWith("CIS-Docker-"))) {
      expect(rule.id).toBe(`CIS-Docker-${rule.upstreamId}`);
      expect(rule.source.version).toContain("docker-bench-security v1.6.1");
      expect(rule.source.url).toMatch(/docker-bench-security\/blob\/v1\.6\.1\/tests\/[45]_container_(runtime|images)\.sh$/);
    }
    const deviating = CONTAINER_RULES.filter((r) => r.deviation !== null).map((r) => r.id);
    expect(deviating).toEqual(expect.arrayContaining(["CIS-Docker-5.32", "CIS-Docker-4.1", "CIS-Docker-4.6", "CIS-Docker-5.2", "CIS-Docker-5.3"]));
    expect(deviating).not.toContain("CIS-Docker-5.4");
  });
});

describe("only running containers are scored, as docker-bench checks them", () => {
  const inventory = (containers: InventoryContainer[]) => ({ hosts: [host()], virtualMachines: [], containers, images: [], guests: [] });

  it("shows an exited privileged container apart, with its findings and the reason, out of the score", () => {
    const running = container();
    const exited = container({ externalId: "c-2", key: "s:container:c-2", name: "agent", state: "exited", privileged: true });
    const result = analyseIsolation(inventory([running, exited]), DEFAULT_PARAMETERS);
    const posture = result.containers.find((c) => c.key === exited.key)!;
    expect(posture.scored).toBe(false);
    expect(posture.unscoredReason).toMatch(/^exited, not running/);
    expect(posture.findings.map((f) => f.ruleId)).toContain("CIS-Docker-5.5");
    expect(result.findings.map((f) => f.ruleId)).not.toContain("CIS-Docker-5.5");
    expect(result.score).toBe(100);
    expect(result.scoredContainers).toBe(1);
    expect(result.hosts[0]!.findingsBySeverity.critical).toBe(0);
  });

  it("has no score when nothing runs", () => {
    const result = analyseIsolation(inventory([container({ state: "created" })]), DEFAULT_PARAMETERS);
    expect(result.score).toBeNull();
    expect(result.hosts[0]!.score).toBeNull();
  });
});

/**
 * The container rules on real containers: Podman's Docker-compatible service (tests/peers/podman.sh)
 * runs a hardened container and exposed ones, the docker collector reads them, and the isolation
 * and migration analyses judge them as docker-bench-security v1.6.1 and Kata's limitations do.
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CollectableSource } from "../../server/collectors";
import { collectDocker } from "../../server/collectors/docker/collector";
import { analyse, type Analysis } from "../../server/analysis";
import { inventoryFromSnapshots } from "../../server/analysis/inventory";
import { DEFAULT_PARAMETERS } from "../../server/analysis/parameters";
import { parseSnapshot, type Snapshot } from "../../server/inventory/snapshot";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "../..");
const MiB = 1024 * 1024;

let socket: string;
let docker: Docker;
let snapshot: Snapshot;
let analysis: Analysis;
const closers: (() => Promise<unknown>)[] = [];

const source = (options: Record<string, unknown> = {}): CollectableSource => ({
  kind: "docker",
  name: "podman",
  endpoint: `unix://${socket}`,
  username: null,
  secret: null,
  options,
});

/** Limited, non-root, no-new-privileges: what a hardened container looks like. */
const limits = { Memory: 64 * MiB, CpuShares: 512, PidsLimit: 100, NetworkMode: "none", SecurityOpt: ["no-new-privileges"] };

async function create(name: string, spec: Docker.ContainerCreateOptions, start = true) {
  const container = await docker.createContainer({ name, Image: "localhost/busybox:latest", Cmd: ["sleep", "3600"], ...spec });
  if (start) await container.start();
}

const verdict = (name: string) => {
  const found = analysis.migration.verdicts.find((v) => v.kind === "container" && v.name === name);
  if (!found) throw new Error(`no verdict for ${name}`);
  return found;
};
const ruleIds = (name: string) => {
  const key = verdict(name).key;
  return analysis.isolation.containers.find((c) => c.key === key)!.findings.map((f) => f.ruleId);
};

beforeAll(async () => {
  const started = await run("bash", [path.join(ROOT, "tests/peers/podman.sh"), "start"], { cwd: ROOT });
  socket = started.stdout.trim().split("\n").pop()!;
  const dir = path.dirname(socket);
  closers.push(() => run("bash", [path.join(ROOT, "tests/peers/podman.sh"), "stop", socket]));
  // An image with a HEALTHCHECK (Docker format: OCI images drop it), next to busybox without one.
  await fs.mkdir(path.join(dir, "hc"), { recursive: true });
  await fs.writeFile(path.join(dir, "hc", "Containerfile"), 'FROM localhost/busybox:latest\nHEALTHCHECK --interval=30s CMD true\nCMD ["sleep", "3600"]\n');
  const env = { ...process.env, CONTAINERS_CONF: path.join(dir, "containers.conf"), CONTAINERS_STORAGE_CONF: path.join(dir, "storage.conf") };
  await run("podman", ["build", "--quiet", "--format", "docker", "--network=none", "-t", "localhost/fleetlens-hc:1", path.join(dir, "hc")], { env });
  docker = new Docker({ socketPath: socket, host: undefined, version: "v1.41" });

  await create("hardened", {
    Image: "localhost/fleetlens-hc:1",
    User: "1000:1000",
    HostConfig: { ...limits, CapDrop: ["ALL"], CapAdd: ["NET_BIND_SERVICE"], ReadonlyRootfs: true, Binds: ["/etc:/host-etc:ro"] },
  });
  await create("exposed", { User: "1000:1000", HostConfig: { ...limits, CapAdd: ["SYS_ADMIN"], Binds: ["/etc:/host-etc"] } });
  await create("privileged", { HostConfig: { ...limits, Privileged: true } });
  await create("devices", { HostConfig: { ...limits, CapAdd: ["SYS_ADMIN"], Binds: ["/dev/null:/dev/host-null"] } });
  await create("sidecar", { HostConfig: { ...limits, CapAdd: ["SYS_PTRACE"], PidMode: "container:hardened" } });
  await create("stopped", { HostConfig: { ...limits, Privileged: true } }, false);

  snapshot = parseSnapshot(await collectDocker(source({ daemonNoNewPrivileges: true }), { signal: AbortSignal.timeout(60_000) }));
  analysis = analyse(inventoryFromSnapshots([{ snapshot, customer: "acme", prefix: "p" }]), DEFAULT_PARAMETERS);
}, 240_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
});

describe("hardened and exposed containers on a real Podman", () => {
  it("collects what the rules read: the image's HEALTHCHECK (Podman's own inspect), the daemon's setting from the source", () => {
    const images = new Map(snapshot.images.map((i) => [i.repoTags[0], i.healthcheck]));
    expect(images.get("localhost/fleetlens-hc:1")).toBe(true);
    expect(images.get("localhost/busybox:latest")).toBe(false);
    expect(snapshot.hosts[0]!.daemonNoNewPrivileges).toBe(true);
    expect(snapshot.containers.find((c) => c.name === "sidecar")!.pidMode).toMatch(/^container:/);
  });

  it("passes the hardened container on 5.4 and 5.6 and leaves it where it is", () => {
    expect(ruleIds("hardened")).not.toEqual(expect.arrayContaining(["CIS-Docker-5.4"]));
    expect(ruleIds("hardened")).not.toContain("CIS-Docker-5.6");
    expect(ruleIds("hardened")).not.toContain("CIS-Docker-4.6");
    // Nothing at all: its image's HEALTHCHECK gives it a State.Health (5.27), it is not root, limited, read-only.
    expect(ruleIds("hardened")).toEqual([]);
    expect(verdict("hardened").verdict).toBe("stay");
  });

  it("sends the exposed container to Kata for SYS_ADMIN and a read-write /etc", () => {
    expect(ruleIds("exposed")).toEqual(expect.arrayContaining(["CIS-Docker-5.4", "CIS-Docker-5.6", "CIS-Docker-4.6"]));
    // All of docker-bench's findings, in the catalogue's order: rw /etc (5.6), SYS_ADMIN (5.4), no State.Health (5.27),
    // busybox has no HEALTHCHECK (4.6), writable root (5.13). Not 4.1 (user 1000), 5.11/5.12/5.29 (limits set), 5.26 (the
    // daemon sets no-new-privileges), 5.2/5.3 (the engine's /info lists only seccomp: no AppArmor or SELinux to use).
    expect(ruleIds("exposed")).toEqual(["CIS-Docker-5.6", "CIS-Docker-5.4", "CIS-Docker-5.27", "CIS-Docker-4.6", "CIS-Docker-5.13"]);
    expect(verdict("exposed").verdict).toBe("to-kata");
    // The engine offers a runtime "kata": kata-qemu's default configuration, 320 MiB and 250m per pod at kata-deploy 4.1.0.
    expect(verdict("exposed").saving).toEqual({ ramMiB: -320, diskMiB: 0, cpuMillis: -250 });
  });

  it("runs the privileged container in Kata (guest devices), keeps host devices and --pid=container: out", () => {
    expect(verdict("privileged").verdict).toBe("to-kata");
    expect(verdict("privileged").findings.map((f) => f.ruleId)).toContain("kata-privileged-guest");
    // Podman runs it seccomp-unconfined, yet docker-bench's 5.22 reads SecurityOpt only: being privileged is 5.5's finding.
    expect(snapshot.containers.find((c) => c.name === "privileged")).toMatchObject({ seccompProfile: "unconfined", privileged: true });
    expect(ruleIds("privileged")).toEqual(["CIS-Docker-5.5", "CIS-Docker-5.27", "CIS-Docker-4.1", "CIS-Docker-4.6", "CIS-Docker-5.13"]);
    expect(verdict("devices").verdict).toBe("stay");
    expect(verdict("devices").findings.map((f) => f.ruleId)).toContain("kata-host-devices");
    expect(verdict("sidecar").verdict).toBe("stay");
    expect(verdict("sidecar").findings.map((f) => f.ruleId)).toContain("kata-pid-container");
  });

  it("shows the stopped container apart, unscored, and does not count 5.26 where the daemon sets no-new-privileges", () => {
    const stopped = analysis.isolation.containers.find((c) => c.key === verdict("stopped").key)!;
    expect(stopped.scored).toBe(false);
    expect(verdict("stopped").reason).toMatch(/^Not assessed/);
    expect(analysis.isolation.scoredContainers).toBe(5);
    expect(analysis.isolation.findings.map((f) => f.ruleId)).not.toContain("CIS-Docker-5.26");
  });
});

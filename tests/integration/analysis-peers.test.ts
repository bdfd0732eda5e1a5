/**
 * One end-to-end check per verdict kind on data collected from the real peers, never a hand-written
 * snapshot: vcsim (tests/peers/vcsim, a standalone ESXi with 10 VMs), libvirtd (tests/peers/libvirtd.sh:
 * the test driver's fixture domains, and one real QEMU domain under qemu:///session) and Podman
 * (tests/peers/podman.sh, containers made here with `podman run` flags).
 *
 *   VM → "to-container"    session-alpine (real QEMU domain, Alpine, running), ubuntu-web (test driver)
 *   VM → "to-kata"         ha-host_VM9 (vcsim: SR-IOV NIC, Ubuntu 22.04, running)
 *   VM → "stay-vm"         win-ad (not Linux), gpu-cluster-node (passthrough, shared disk),
 *                          ha-host_VM8 (vcsim: PCI passthrough)
 *   container → "to-kata"  netadmin (--cap-add NET_ADMIN: exposed, no Kata blocker; Podman is a warning)
 *   container → "stay"     hostnet (--network host: exposed, but Kata cannot), plain (confined and
 *                          limited: nothing crosses the kernel), in-kata (already in the kata runtime)
 *   VM role                rhel-db a database server by its name (a candidate), legacy-appliance no
 *                          appliance (near miss) and of unknown OS: every peer VM's role, fit and evidence
 *                          (configuration only: "insufficient data", a VM that stays: "no fit")
 *
 * Each is checked along both doors: the analyse CLI over the snapshot files (in process, and once as
 * `npm run analyse` in a child process), and the dashboard's customerAnalysis over the same
 * snapshots ingested by applySnapshot under one customer. Both must give the same verdicts.
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CollectableSource } from "../../server/collectors";
import { collectDocker } from "../../server/collectors/docker/collector";
import { collectLibvirt } from "../../server/collectors/libvirt/collector";
import { collectVsphere } from "../../server/collectors/vsphere/collector";
import { jsonReport, runAnalyseCli } from "../../server/analysis/cli";
import { inventoryFromSnapshots } from "../../server/analysis/inventory";
import { customerAnalysis, loadInventory } from "../../server/analysis/load";
import { DEFAULT_PARAMETERS } from "../../server/analysis/parameters";
import { applySnapshot } from "../../server/inventory/ingest";
import { parseSnapshot, type Snapshot } from "../../server/inventory/snapshot";
import { createTestDatabase, type TestDatabase } from "./db";
import { buildVcsim, startVcsim, stopVcsim, type Peer } from "./vcsim";

const run = promisify(execFile);
const root = path.join(import.meta.dirname, "../..");
const LIBVIRTD = path.join(root, "tests/peers/libvirtd.sh");
const PODMAN = path.join(root, "tests/peers/podman.sh");
const VCSIM_PASSWORD = "vcsim-Pa55word";
const MiB = 1024 * 1024;
// Kata's per-pod overhead at kata-deploy 4.1.0 (the default release): kata-qemu's RuntimeClass podFixed is 320Mi and
// 250m (160Mi up to 3.32, a6645950). A VM's target host is not chosen, so kata-deploy's default shim, kata-qemu; the
// Podman peer offers a runtime named "kata", which is kata-qemu's default configuration too (server/analysis/kata-overhead.ts).
const KATA_RELEASE = "4.1.0";
const KATA_MIB = 320;
const KATA_CPU = 250;

type Report = ReturnType<typeof jsonReport>;
type Row = Report["verdicts"][number];
// Everything a verdict says but its host (the dashboard's row names the host by its stored name).
type Compared = Omit<Row, "host">;

// What was started, so that afterAll stops exactly that (even if another peer failed to start).
let vcsim: Peer | undefined;
let libvirt: { dir: string; unixUri: string; sessionUri: string } | undefined;
let podman: { socket: string; dir: string } | undefined;
let scratch: string | undefined;
let t: TestDatabase | undefined;

async function startEsx() {
  // A standalone ESXi with 10 VMs: the launcher gives the 10th (index 9) an SR-IOV NIC and the 9th a
  // PCI passthrough device (tests/peers/vcsim/main.go).
  vcsim = await startVcsim(VCSIM_PASSWORD, ["-esx", "-vm", "10"]);
}

async function startLibvirtd() {
  // LIBVIRTD_SESSION_DOMAIN=1: also one real QEMU domain under qemu:///session of the same daemon.
  const { stdout } = await run("bash", [LIBVIRTD, "start"], {
    timeout: 900_000,
    env: { ...process.env, LIBVIRTD_SESSION_DOMAIN: "1" },
  });
  const dir = stdout.trim();
  const read = async (name: string) => (await fs.readFile(path.join(dir, name), "utf8")).trim();
  libvirt = { dir, unixUri: "", sessionUri: "" };
  libvirt.unixUri = await read("unix-uri");
  libvirt.sessionUri = await read("session-uri");
}

const podmanCli = (...args: string[]) =>
  run("podman", args, {
    timeout: 120_000,
    env: { ...process.env, CONTAINERS_CONF: path.join(podman!.dir, "containers.conf"), CONTAINERS_STORAGE_CONF: path.join(podman!.dir, "storage.conf") },
  });

async function startPodman() {
  const { stdout } = await run("bash", [PODMAN, "start"], { cwd: root, timeout: 900_000 });
  const socket = stdout.trim().split("\n").pop()!;
  podman = { socket, dir: path.dirname(socket) };
  // Confined and limited: no network, memory and PIDs limits, read-only root, not root.
  const confined = ["--memory", "64m", "--pids-limit", "100", "--read-only", "--user", "1000:1000"];
  const image = ["localhost/busybox:latest", "sleep", "3600"];
  await podmanCli("run", "-d", "--name", "netadmin", "--network", "none", "--cap-add", "NET_ADMIN", ...confined, ...image);
  await podmanCli("run", "-d", "--name", "hostnet", "--network", "host", ...confined, ...image);
  await podmanCli("run", "-d", "--name", "plain", "--network", "none", ...confined, ...image);
  // The peer's "kata" runtime (runc underneath): exposed the same way, but already in Kata.
  await podmanCli("--runtime", "kata", "run", "-d", "--name", "in-kata", "--network", "none", "--cap-add", "NET_ADMIN", ...confined, ...image);
}

const signal = () => AbortSignal.timeout(120_000);
const sources = {
  vsphere: (): CollectableSource => ({
    kind: "vsphere",
    name: "vcsim",
    endpoint: `https://127.0.0.1:${vcsim!.port}/sdk`,
    username: "fleetlens",
    secret: VCSIM_PASSWORD,
    options: { fingerprint: vcsim!.manifest.fingerprint },
  }),
  libvirt: (): CollectableSource => ({ kind: "libvirt", name: "libvirtd", endpoint: libvirt!.unixUri, username: null, secret: null, options: {} }),
  session: (): CollectableSource => ({ kind: "libvirt", name: "qemu-session", endpoint: libvirt!.sessionUri, username: null, secret: null, options: {} }),
  docker: (): CollectableSource => ({ kind: "docker", name: "podman", endpoint: `unix://${podman!.socket}`, username: null, secret: null, options: {} }),
};
type SourceName = keyof typeof sources;

const snapshots = {} as Record<SourceName, Snapshot>;
const files: string[] = [];
let cli: Report;
let dashboard: Compared[];
let customerId: string;

beforeAll(async () => {
  await buildVcsim();
  const started = await Promise.allSettled([startEsx(), startLibvirtd(), startPodman()]);
  for (const s of started) if (s.status === "rejected") throw s.reason;

  // Collected by the real collectors, as `npm run collect -- … --json` would print them.
  const [vs, lv, session, docker] = await Promise.all([
    collectVsphere(sources.vsphere(), { signal: signal() }),
    collectLibvirt(sources.libvirt(), { signal: signal() }),
    collectLibvirt(sources.session(), { signal: signal() }),
    collectDocker(sources.docker(), { signal: signal() }),
  ]);
  Object.assign(snapshots, { vsphere: parseSnapshot(vs), libvirt: parseSnapshot(lv), session: parseSnapshot(session), docker: parseSnapshot(docker) });

  // (a) The CLI door: the snapshots as files.
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "fleetlens-analysis-peers-"));
  for (const name of Object.keys(sources) as SourceName[]) {
    const file = path.join(scratch, `${name}.json`);
    await fs.writeFile(file, `${JSON.stringify(snapshots[name], null, 2)}\n`);
    files.push(file);
  }
  cli = JSON.parse(await runAnalyseCli([...files, "--json"])) as Report;

  // (b) The dashboard door: the same snapshots ingested under one customer, one source each.
  t = await createTestDatabase();
  const customer = await t.prisma.customer.create({ data: { name: "Peers customer" } });
  customerId = customer.id;
  for (const name of Object.keys(sources) as SourceName[]) {
    const s = sources[name]();
    const source = await t.prisma.source.create({ data: { customerId, kind: s.kind, name: s.name, endpoint: s.endpoint } });
    await applySnapshot(source.id, snapshots[name], { database: t });
  }
  const { analysis } = await customerAnalysis(t, customerId);
  dashboard = analysis.migration.verdicts.map((v) => ({
    name: v.name,
    kind: v.kind,
    verdict: v.verdict,
    role: v.role,
    roleLabel: v.roleLabel,
    roleEvidence: v.roleEvidence,
    fit: v.fit,
    fitLabel: v.fitLabel,
    evidence: v.evidence,
    ruleIds: v.ruleIds,
    reason: v.reason,
    saving: v.saving,
  }));
}, 900_000);

afterAll(async () => {
  const stops: Promise<unknown>[] = [];
  if (vcsim) stops.push(stopVcsim(vcsim));
  if (libvirt) stops.push(run("bash", [LIBVIRTD, "stop", libvirt.dir]));
  if (podman) stops.push(run("bash", [PODMAN, "stop", podman.socket], { timeout: 300_000 }));
  if (scratch) stops.push(fs.rm(scratch, { recursive: true, force: true }));
  if (t) stops.push(t.drop());
  await Promise.allSettled(stops);
}, 600_000);

/** The one verdict of that name along each door. */
function verdicts(name: string): { cli: Compared; dashboard: Compared } {
  const fromCli = cli.verdicts.filter((v) => v.name === name);
  const fromDashboard = dashboard.filter((v) => v.name === name);
  expect(fromCli, `${name} in the CLI's verdicts`).toHaveLength(1);
  expect(fromDashboard, `${name} in the dashboard's verdicts`).toHaveLength(1);
  const { host: _host, ...row } = fromCli[0]!;
  return { cli: row, dashboard: fromDashboard[0]! };
}

type Expected = Pick<Compared, "kind" | "verdict" | "role" | "fit" | "ruleIds" | "saving"> & { reason?: string | RegExp };

/** Checks the verdict, the role and fit it rests on, its rule ids (in order) and its saving, the same along both doors. */
function expectVerdict(name: string, expected: Expected) {
  const both = verdicts(name);
  for (const [door, v] of Object.entries(both)) {
    expect(v.kind, `${name} (${door})`).toBe(expected.kind);
    expect(v.verdict, `${name} (${door})`).toBe(expected.verdict);
    expect(v.role, `${name} (${door})`).toBe(expected.role);
    expect(v.fit, `${name} (${door})`).toBe(expected.fit);
    expect(v.ruleIds, `${name} (${door})`).toEqual(expected.ruleIds);
    expect(v.saving, `${name} (${door})`).toEqual(expected.saving);
    if (typeof expected.reason === "string") expect(v.reason, `${name} (${door})`).toBe(expected.reason);
    else if (expected.reason) expect(v.reason, `${name} (${door})`).toMatch(expected.reason);
  }
  expect(both.dashboard).toEqual(both.cli);
}

const vm = (source: SourceName, name: string) => {
  const found = snapshots[source].virtualMachines.find((v) => v.name === name);
  if (!found) throw new Error(`no VM ${name} collected from ${source}`);
  return found;
};
const container = (name: string) => {
  const found = snapshots.docker.containers.find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name} collected from podman`);
  return found;
};

describe("verdicts on collected data, along the CLI and the dashboard", () => {
  it("collected what the checks rely on, and both doors give the same verdict for every object", () => {
    expect(snapshots.vsphere.virtualMachines).toHaveLength(10);
    expect(snapshots.libvirt.virtualMachines).toHaveLength(6);
    expect(snapshots.session.virtualMachines).toHaveLength(1);
    expect(snapshots.docker.containers.map((c) => [c.name, c.state]).sort()).toEqual([
      ["hostnet", "running"],
      ["in-kata", "running"],
      ["netadmin", "running"],
      ["plain", "running"],
    ]);
    const byName = (list: Compared[]) => [...list].sort((a, b) => a.name.localeCompare(b.name) || a.kind.localeCompare(b.kind));
    const cliRows = cli.verdicts.map(({ host: _host, ...row }) => row);
    // Every VM but the template (ha-host_VM7) and every container.
    expect(cliRows).toHaveLength(9 + 6 + 1 + 4);
    expect(byName(dashboard)).toEqual(byName(cliRows));
  });

  it("VM → container: the real QEMU domain (Alpine, running), saving its OS copy capped by what it has", () => {
    expect(vm("session", "session-alpine")).toMatchObject({
      powerState: "poweredOn",
      memoryMiB: 256,
      provisionedMiB: 1024,
      guestOsId: "http://alpinelinux.org/alpinelinux/3.18",
      passthrough: false,
      sriov: false,
      usbController: true,
      hostname: null,
      ipAddresses: [],
    });
    expectVerdict("session-alpine", {
      kind: "vm",
      verdict: "to-container",
      role: "general",
      fit: "insufficient-data",
      // Warnings only: work to do, the verdict stands.
      // Forklift d42511bb: Alpine is not on MTV's list (a warning); no hostname or IP, whatever the power state.
      ruleIds: ["vmware.os.unsupported", "vmware.usb_controller.detected", "vmware.hostname.empty", "vmware.vm_missing_ip.detected"],
      reason: "Candidate for a container (a general workload; needs guest discovery), after: Guest OS not supported by MTV; USB controller; Empty hostname; No IP address.",
      // "Linux (other)" footprint 1024 MiB RAM / 10 GiB disk (osinfo-db rhel-7.0), capped by the VM's 256 MiB and 1 GiB.
      saving: { ramMiB: 256, diskMiB: 1024, cpuMillis: 0 },
    });
  });

  it("VM → kata: vcsim's VM with an SR-IOV NIC, saving its OS copy net of Kata's overhead", () => {
    expect(vm("vsphere", "ha-host_VM9")).toMatchObject({
      sriov: true,
      passthrough: false,
      powerState: "poweredOn",
      memoryMiB: 8192,
      provisionedMiB: 24576,
      guestOsReported: "Ubuntu 22.04.3 LTS (64-bit)",
      guestOsFamily: "linux", // configured "Other": VMware Tools' Ubuntu is believed first (os-identity.ts)
      hostname: "ha-host-vm9.lab.example",
    });
    expectVerdict("ha-host_VM9", {
      kind: "vm",
      verdict: "to-kata",
      role: "general",
      fit: "insufficient-data",
      // Its disk has no scsi0:0.ctkEnabled (vcsim's extraConfig lists none): Forklift's per-disk CBT warning too.
      ruleIds: [
        "vmware.os.unsupported",
        "vmware.device.sriov.detected",
        "vmware.changed_block_tracking.disabled",
        "vmware.changed_block_tracking.disk.disabled",
        "vmware.cpu_memory.hotplug.enabled",
        "vmware.vm.name.invalid",
        "vmware.snapshot.detected",
        "multiple-nics",
      ],
      reason: "Candidate for Kata Containers (a general workload; needs guest discovery): SR-IOV device.",
      // Ubuntu 22.04 footprint (osinfo-db ubuntu-22.04): 2048 MiB RAM less kata-qemu's 320 MiB, 10 GiB disk, 250m CPU overhead.
      saving: { ramMiB: 2048 - KATA_MIB, diskMiB: 10 * 1024, cpuMillis: -KATA_CPU },
    });
    expect(DEFAULT_PARAMETERS.kataDeployRelease).toBe(KATA_RELEASE);
  });

  it("VM → vm: Windows (not Linux), PCI passthrough on libvirt and on vcsim; no saving", () => {
    const none = { ramMiB: 0, diskMiB: 0, cpuMillis: 0 };
    expect(vm("libvirt", "win-ad")).toMatchObject({ guestOsFamily: "windows", guestOsId: "http://microsoft.com/win/2k22", tpm: true });
    expectVerdict("win-ad", {
      kind: "vm",
      verdict: "stay-vm",
      role: "general",
      fit: "no-fit",
      // disk-capacity-unknown: the test driver has no block stats, so the collector says null.
      // A vTPM is Forklift's warning (its data is not transferred), no longer a reason to stay.
      ruleIds: ["not-linux", "vmware.tpm.detected", "vmware.usb_controller.detected", "vmware.hostname.empty", "vmware.vm_missing_ip.detected", "disk-capacity-unknown"],
      reason: "Stays a VM (a general workload): Guest OS is not Linux.",
      saving: none,
    });

    expect(vm("libvirt", "gpu-cluster-node")).toMatchObject({ passthrough: true, guestOsFamily: "linux", powerState: "poweredOn" });
    expectVerdict("gpu-cluster-node", {
      kind: "vm",
      verdict: "stay-vm",
      role: "general",
      fit: "no-fit",
      // Its shareable disk is attached to this domain only: not shared as Forklift counts it (one file, several VMs).
      ruleIds: ["vmware.passthrough_device.detected", "vmware.os.unsupported", "vmware.hostname.empty", "vmware.vm_missing_ip.detected", "disk-capacity-unknown"],
      reason: "Stays a VM (a general workload): Passthrough device.",
      saving: none,
    });

    // A Linux guest whose only blocker is the passed-through GPU.
    expect(vm("vsphere", "ha-host_VM8")).toMatchObject({ passthrough: true, sriov: false, guestOsReported: "Alpine Linux 3.18 (64-bit)", powerState: "poweredOn" });
    expectVerdict("ha-host_VM8", {
      kind: "vm",
      verdict: "stay-vm",
      role: "general",
      fit: "no-fit",
      // The launcher attaches the first VM's disk file to this one too (tests/peers/vcsim/forklift.go): shared.
      ruleIds: [
        "vmware.passthrough_device.detected",
        "vmware.os.unsupported",
        "vmware.disk.shared.detected",
        "vmware.changed_block_tracking.disk.disabled",
        "vmware.vm.name.invalid",
      ],
      reason: "Stays a VM (a general workload): Passthrough device; Shared disk.",
      saving: none,
    });
  });

  it("VM → vm: vcsim's Windows 10 VM is a desktop (client OS) and stays; Windows Server 2016 (near miss) is no desktop", () => {
    const none = { ramMiB: 0, diskMiB: 0, cpuMillis: 0 };
    expect(vm("vsphere", "ha-host_VM4")).toMatchObject({ guestOsId: "windows9_64Guest", guestOsReported: "Microsoft Windows 10 Enterprise (64-bit)" });
    const desktop = verdicts("ha-host_VM4");
    for (const v of [desktop.cli, desktop.dashboard]) expect(v).toMatchObject({ role: "desktop", verdict: "stay-vm", fit: "no-fit", saving: none });
    expect(desktop.cli.reason).toMatch(/^Stays a VM: a desktop \(guestOsId windows9_64Guest\); desktops stay with their VDI platform\.$/);

    // windows9Server64Guest is Windows Server 2016: a server OS, so a general workload (kept a VM by not-linux).
    expect(vm("vsphere", "ha-host_VM1")).toMatchObject({ guestOsId: "windows9Server64Guest" });
    const server = verdicts("ha-host_VM1");
    for (const v of [server.cli, server.dashboard]) expect(v).toMatchObject({ role: "general", verdict: "stay-vm", fit: "no-fit", saving: none });
    expect(server.cli.ruleIds).toContain("not-linux");
  });

  it("VM → container: the test driver's Ubuntu domain, whose disk size libvirt does not report, moves with that to check", () => {
    const ubuntu = vm("libvirt", "ubuntu-web");
    expect(ubuntu).toMatchObject({ guestOsFamily: "linux", powerState: "poweredOn", passthrough: false, provisionedMiB: null });
    expect(ubuntu.disks.map((d) => d.capacityMiB)).toEqual([null]);
    expectVerdict("ubuntu-web", {
      kind: "vm",
      verdict: "to-container",
      role: "general",
      fit: "insufficient-data",
      ruleIds: ["vmware.os.unsupported", "vmware.hostname.empty", "vmware.vm_missing_ip.detected", "disk-capacity-unknown"],
      reason: "Candidate for a container (a general workload; needs guest discovery), after: Guest OS not supported by MTV; Empty hostname; No IP address; Disk capacity unknown.",
      // Ubuntu 22.04 footprint (osinfo-db ubuntu-22.04), 2 GiB RAM (the domain has more) and 10 GiB disk (nothing provisioned known to cap it).
      saving: { ramMiB: Math.min(2048, ubuntu.memoryMiB), diskMiB: 10 * 1024, cpuMillis: 0 },
    });
  });

  it("VM roles from libvirt's side: a database server by its name, and a near miss whose name says appliance", () => {
    const rhel = vm("libvirt", "rhel-db");
    expect(rhel).toMatchObject({ guestOsId: "http://redhat.com/rhel/9.2", powerState: "poweredOn", memoryMiB: 8192, product: null, attributes: {} });
    expectVerdict("rhel-db", {
      kind: "vm",
      verdict: "to-container",
      // The "db" name token is the only sign (weak): a database server, a candidate like a general workload.
      role: "database",
      fit: "insufficient-data",
      // RHEL 9 is on MTV's list: no os.unsupported. cpuset 0-3 is CPU affinity, maxMemory slots memory hot-plug
      // (Forklift d42511bb); the block device's size is unknown; the role adds Migrate to Containers' A1L-APP-2.
      ruleIds: [
        "vmware.cpu_affinity.detected",
        "vmware.cpu_memory.hotplug.enabled",
        "vmware.hostname.empty",
        "vmware.vm_missing_ip.detected",
        "disk-capacity-unknown",
        "database-in-guest",
        "multiple-nics",
      ],
      reason: /^Candidate for a container \(a database server; needs guest discovery\), after: /,
      // RHEL 9 footprint (osinfo-db rhel-9.0): 1.5 GiB RAM, 10 GiB disk.
      saving: { ramMiB: 1536, diskMiB: 10 * 1024, cpuMillis: 0 },
    });
    expect(verdicts("rhel-db").cli.roleEvidence).toEqual([expect.objectContaining({ field: "name", value: "rhel-db", strength: "weak", ruleId: "name-database" })]);

    // "appliance" in a name is no vendor appliance (no OVF product, not an appliance's usual name): with no OS
    // known at all, a general workload kept as a VM for want of evidence, not a misfit.
    expect(vm("libvirt", "legacy-appliance")).toMatchObject({ guestOsId: null, guestOsFamily: "unknown", product: null, powerState: "poweredOff" });
    expectVerdict("legacy-appliance", {
      kind: "vm",
      verdict: "stay-vm",
      role: "general",
      fit: "insufficient-data",
      ruleIds: ["guest-os-unknown", "vmware.hostname.empty", "vmware.vm_missing_ip.detected"],
      reason: "Stays a VM (a general workload): Guest OS unknown.",
      saving: { ramMiB: 0, diskMiB: 0, cpuMillis: 0 },
    });
    expect(verdicts("legacy-appliance").cli.roleEvidence).toEqual([expect.objectContaining({ field: "guestOsId", strength: "missing" })]);
  });

  it("container → kata: --cap-add NET_ADMIN is exposed, Podman is a warning not a blocker; costs Kata's overhead", () => {
    expect(container("netadmin")).toMatchObject({
      capAdd: ["NET_ADMIN"],
      networkMode: "none",
      runtime: "runc",
      user: "1000:1000",
      readOnlyRootfs: true,
      memoryLimitBytes: 64 * MiB,
      pidsLimit: 100,
    });
    expectVerdict("netadmin", {
      kind: "container",
      verdict: "to-kata",
      role: null,
      fit: null,
      // docker-bench v1.6.1 order: 5.4 NET_ADMIN is not a default capability; 5.27 no State.Health and 4.6 the imported
      // busybox image has no HEALTHCHECK (both only running containers); 5.12 no CPU shares; 5.26 no no-new-privileges.
      ruleIds: ["CIS-Docker-5.4", "CIS-Docker-5.27", "CIS-Docker-4.6", "CIS-Docker-5.12", "CIS-Docker-5.26", "kata-podman"],
      // The peer's runtime "kata" is kata-qemu's default configuration: 320 MiB per pod at kata-deploy 4.1.0.
      reason: `Moves to Kata Containers: Capabilities added beyond Docker's defaults; its own guest kernel would isolate it (kata-qemu, ${KATA_MIB} MiB per pod).`,
      saving: { ramMiB: -KATA_MIB, diskMiB: 0, cpuMillis: -KATA_CPU },
    });
    // The peer lists a "kata" runtime: Kata counts as installed.
    expect(snapshots.docker.hosts[0]!.runtimes).toContain("kata");
  });

  it("container → stay: host network is exposed but Kata cannot run it", () => {
    expect(container("hostnet")).toMatchObject({ networkMode: "host", capAdd: [], privileged: false });
    expectVerdict("hostnet", {
      kind: "container",
      verdict: "stay",
      role: null,
      fit: null,
      ruleIds: ["CIS-Docker-5.10", "CIS-Docker-5.27", "CIS-Docker-4.6", "CIS-Docker-5.12", "CIS-Docker-5.26", "kata-host-network", "kata-podman"],
      reason: "Exposed (Host network namespace), but Kata would not run it: Kata: host network not supported.",
      saving: { ramMiB: 0, diskMiB: 0, cpuMillis: 0 },
    });
  });

  it("container → stay: a confined, limited, non-root container has nothing that crosses the shared kernel", () => {
    expect(container("plain")).toMatchObject({
      networkMode: "none",
      capAdd: [],
      privileged: false,
      user: "1000:1000",
      readOnlyRootfs: true,
      memoryLimitBytes: 64 * MiB,
      pidsLimit: 100,
      seccompProfile: "default",
      health: null,
    });
    expect(snapshots.docker.images.find((i) => i.repoTags.includes("localhost/busybox:latest"))?.healthcheck).toBe(false);
    expectVerdict("plain", {
      kind: "container",
      verdict: "stay",
      role: null,
      fit: null,
      // Kata's limits are not checked for a container that would not move there.
      ruleIds: ["CIS-Docker-5.27", "CIS-Docker-4.6", "CIS-Docker-5.12", "CIS-Docker-5.26"],
      reason: "Stays: nothing it does crosses the shared kernel.",
      saving: { ramMiB: 0, diskMiB: 0, cpuMillis: 0 },
    });
  });

  it("container → stay: exposed the same way, but in the kata runtime already", () => {
    expect(container("in-kata")).toMatchObject({ runtime: "kata", capAdd: ["NET_ADMIN"] });
    expectVerdict("in-kata", {
      kind: "container",
      verdict: "stay",
      role: null,
      fit: null,
      ruleIds: ["CIS-Docker-5.4", "CIS-Docker-5.27", "CIS-Docker-4.6", "CIS-Docker-5.12", "CIS-Docker-5.26"],
      reason: "Stays: it runs in Kata Containers already, with its own guest kernel.",
      saving: { ramMiB: 0, diskMiB: 0, cpuMillis: 0 },
    });
  });

  it("totals: the same along both doors, counting what the verdicts above say", async () => {
    const { analysis } = await customerAnalysis(t!, customerId);
    expect(analysis.migration.totals).toEqual(cli.migration);
    expect(cli.migration.verdicts["to-kata"]).toBe(2); // ha-host_VM9 and netadmin
    // vcsim's 10: the FreeBSD template (VM7) listed apart, a Windows 10 desktop (VM4), 8 general; libvirt's 6: rhel-db a
    // database server, 5 general; the QEMU session's Alpine, general. Candidates: the general workloads and the database.
    expect(cli.migration.roles).toEqual({
      template: 1,
      system: 0,
      "nested-hypervisor": 0,
      appliance: 0,
      "kubernetes-node": 0,
      "container-host": 0,
      desktop: 1,
      database: 1,
      general: 8 + 5 + 1,
    });
    expect(cli.migration.candidates).toBe(15);
    expect(cli.templates.map((x) => x.name)).toEqual(["ha-host_VM7"]);
    expect(cli.migration.kataOverheadMiB).toBe(2 * KATA_MIB);
  });
});

describe("findings in analyse --json", () => {
  it("carry the upstream id, the source with its version and address, and where Fleetlens deliberately differs", () => {
    const finding = (name: string, ruleId: string) => {
      const found = cli.findings.filter((f) => f.name === name && f.ruleId === ruleId);
      expect(found.length, `${ruleId} on ${name}`).toBeGreaterThan(0);
      return found[0]!;
    };
    // Forklift at the pinned commit: a shared disk file is its warning; Fleetlens keeps the VM (the deviation says why).
    expect(finding("ha-host_VM8", "vmware.disk.shared.detected")).toMatchObject({
      upstreamId: "vmware.disk.shared.detected",
      severity: "warning",
      source: expect.stringContaining("kubev2v/forklift main d42511bb"),
      sourceUrl: "https://github.com/kubev2v/forklift/tree/main/validation/policies/io/konveyor/forklift/vmware",
      deviation: expect.stringMatching(/^Forklift migrates the VM with a warning/),
    });
    // Exactly as Forklift says it: no deviation.
    expect(finding("ha-host_VM9", "vmware.snapshot.detected")).toMatchObject({ upstreamId: "vmware.snapshot.detected", deviation: null });
    // docker-bench v1.6.1's number, from its own script.
    expect(finding("netadmin", "CIS-Docker-5.4")).toMatchObject({
      upstreamId: "5.4",
      source: expect.stringContaining("docker-bench-security v1.6.1"),
      sourceUrl: "https://github.com/docker/docker-bench-security/blob/v1.6.1/tests/5_container_runtime.sh",
      deviation: null,
    });
    expect(finding("netadmin", "CIS-Docker-4.6")).toMatchObject({
      upstreamId: "4.6",
      sourceUrl: "https://github.com/docker/docker-bench-security/blob/v1.6.1/tests/4_container_images.sh",
    });
    expect(finding("hostnet", "kata-host-network")).toMatchObject({ sourceUrl: "https://github.com/kata-containers/kata-containers/blob/main/docs/Limitations.md" });
    // Every finding of a rule that mirrors an upstream one names its source's address.
    for (const f of cli.findings.filter((x) => x.upstreamId !== null)) expect(f.sourceUrl, `${f.ruleId} on ${f.name}`).toMatch(/^https:\/\//);
  });
});

describe("engine host → VM link", () => {
  it("links the Podman host to no VM: no peer shares its uuid, MAC, hostname or IP (no match is made up)", async () => {
    const engine = snapshots.docker.hosts[0]!;
    expect(engine.role).toBe("container-engine");
    const vms = (["vsphere", "libvirt", "session"] as const).flatMap((s) => snapshots[s].virtualMachines);
    const short = (h: string | null) => (h ? h.toLowerCase().split(".")[0] : null);
    const natural =
      (engine.hardwareUuid !== null && vms.some((v) => v.uuid?.toLowerCase() === engine.hardwareUuid!.toLowerCase())) ||
      engine.macAddresses.some((m) => vms.some((v) => v.macAddresses.map((x) => x.toLowerCase()).includes(m.toLowerCase()))) ||
      (short(engine.hostname) !== null && vms.some((v) => short(v.hostname) === short(engine.hostname))) ||
      engine.ipAddresses.some((ip) => !/^(127\.|::1$)/.test(ip) && vms.some((v) => v.ipAddresses.includes(ip)));
    // The peers give no natural match on this machine; if one ever appears this test must say which.
    expect(natural, `engine host ${engine.hostname} unexpectedly matches a collected VM`).toBe(false);

    const fromFiles = inventoryFromSnapshots(
      (Object.keys(sources) as SourceName[]).map((name, i) => ({ snapshot: snapshots[name], customer: "customer", prefix: String(i) })),
    );
    const stored = await loadInventory(t!, [customerId]);
    for (const inventory of [fromFiles, stored]) {
      const engines = inventory.hosts.filter((h) => h.role === "container-engine");
      expect(engines).toHaveLength(1);
      expect(engines[0]).toMatchObject({ vmKey: null, vmLinkKey: null });
    }
    expect(cli.verdicts.filter((v) => v.ruleIds.includes("container-host"))).toEqual([]);
    expect(dashboard.filter((v) => v.ruleIds.includes("container-host"))).toEqual([]);
  });
});

describe("npm run analyse", () => {
  it("prints the same report from the snapshot files in a child process", async () => {
    const { stdout } = await run("npm", ["run", "--silent", "analyse", "--", ...files, "--json"], {
      cwd: root,
      timeout: 300_000,
      maxBuffer: 64 * MiB,
    });
    expect(JSON.parse(stdout)).toEqual(cli);
  }, 300_000);
});

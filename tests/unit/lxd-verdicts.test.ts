/**
 * Verdicts with the system container (LXD, Incus) as a target (docs/domain.md#lxd-system-containers):
 * a VM whose guest discovery says it needs its whole OS (more services than guestMaxServices, run by
 * its init) but no kernel of its own moves to a system container, shedding only its guest kernel; every
 * near miss keeps the verdict it had. Exposed system containers go to Kata, or stay saying a VM isolates
 * them. Then what a plan counts for the new target.
 */
import { describe, expect, it } from "vitest";
import { guestFacts, type GuestFacts, type GuestListener, type GuestProcess } from "@/server/collectors/guest/facts";
import { detectSoftware } from "@/server/collectors/guest/software";
import { inventoryFromSnapshots, type Inventory } from "@/server/analysis/inventory";
import { analyseIsolation } from "@/server/analysis/isolation";
import { VERDICT_LABEL } from "@/server/analysis/labels";
import { analyseMigration, type Verdict } from "@/server/analysis/migration";
import { compileFootprints, DEFAULT_PARAMETERS, PARAMETER_SOURCES, type Parameters } from "@/server/analysis/parameters";
import { parseSnapshot, type SnapshotInput } from "@/server/inventory/snapshot";
import { workloadFigures } from "@/server/plans/figures";
import { TARGET_LABEL, TARGETS_OF, targetOfVerdict } from "@/server/plans/labels";

const AT = "2026-12-05T12:30:00.000Z";
const P = DEFAULT_PARAMETERS;
const GIB = 1024 ** 3;

let nextPid = 100;
const proc = (name: string, command = name, pid = nextPid++): GuestProcess => ({ pid, name, user: "root", rssMiB: 20, cpuPercent: 0, command });
const listen = (port: number, p: GuestProcess): GuestListener => ({ protocol: "tcp", address: "0.0.0.0", port, process: p.name, pid: p.pid });

/** A Debian 12 guest whose init (systemd, pid 1) runs `n` services listening beyond loopback, plus sshd and cron. */
function guest(n: number, over: { units?: string[]; extraModules?: string[]; init?: string; productUuid?: string } = {}): GuestFacts {
  const init = proc(over.init ?? "systemd", over.init === undefined ? "/sbin/init" : `/sbin/${over.init}`, 1);
  const sshd = proc("sshd", "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups");
  const apps = Array.from({ length: n }, (_, i) => proc(`app${i}`, `/opt/app${i}/bin/app${i} --serve`));
  const processes = [init, sshd, proc("cron", "/usr/sbin/cron -f"), ...apps];
  const listeners = [listen(22, sshd), ...apps.map((p, i) => listen(8080 + i, p))];
  const units = over.units ?? ["ssh.service", "cron.service", ...apps.map((_, i) => `app${i}.service`)];
  return guestFacts.parse({
    target: "root@10.0.0.21:22",
    collectedAt: AT,
    productUuid: over.productUuid ?? "4221cccc-0000-0000-0000-000000000001",
    os: { id: "debian", versionId: "12", prettyName: "Debian GNU/Linux 12 (bookworm)", kernel: "6.1.0-28-amd64" },
    ipAddresses: ["10.0.0.21/24"],
    memory: { totalMiB: 7900, availableMiB: 6900, usedMiB: 1000 },
    filesystems: [{ mountPoint: "/", fsType: "ext4", device: "/dev/sda1", sizeMiB: 40960, freeMiB: 30720 }],
    security: {},
    extraModules: over.extraModules ?? [],
    processes,
    listeners,
    units,
    software: detectSoftware({ processes, units, listeners }),
  });
}

type VmInput = NonNullable<SnapshotInput["virtualMachines"]>[number];
type ContainerInput = NonNullable<SnapshotInput["containers"]>[number];

const vm = (over: Partial<VmInput> = {}): VmInput => ({
  externalId: "vm-1",
  name: "app01",
  hostExternalId: "esx1",
  uuid: "4221cccc-0000-0000-0000-000000000001",
  powerState: "poweredOn",
  vcpus: 4,
  memoryMiB: 8192,
  provisionedMiB: 40960,
  guestOsReported: "Debian GNU/Linux 12 (64-bit)",
  guestOsFamily: "linux",
  hostname: "app01",
  ipAddresses: ["10.0.0.21"],
  ...over,
});

function inventory(vms: VmInput[], guests: GuestFacts[], containers: ContainerInput[] = []): Inventory {
  const snapshot = parseSnapshot({
    collectedAt: AT,
    hosts: [
      { externalId: "esx1", name: "esx1", role: "hypervisor", platform: "esxi", cpuCores: 16, memoryMiB: 131072, cluster: "c1" },
      { externalId: "lxd01", name: "lxd01", role: "container-engine", platform: "lxd", cpuCores: 8, memoryMiB: 32768, runtimes: ["lxc"] },
    ],
    virtualMachines: vms,
    containers,
    guests,
  });
  return inventoryFromSnapshots([{ snapshot, customer: "acme", prefix: "s" }]);
}

const verdictsOf = (inv: Inventory, parameters: Parameters = P) => analyseMigration(inv, parameters, analyseIsolation(inv, parameters).containers);
const only = (inv: Inventory, parameters: Parameters = P): Verdict => verdictsOf(inv, parameters).verdicts.find((v) => v.kind === "vm")!;

describe("a VM that needs its whole OS but no kernel of its own", () => {
  it("moves to a system container: its 4 services (more than 3) stay together under its init; the guest kernel's RAM and package are saved", () => {
    const v = only(inventory([vm()], [guest(4)]));
    expect(v.verdict).toBe("to-system-container");
    expect(v.reason).toMatch(/^Moves to a system container \(a general workload; guest discovery\): it needs its whole OS \(4 services managed by its init\), no kernel of its own/);
    // The guest kernel: min(130 MiB, 8 GiB) RAM, min(391 MiB, 40 GiB) disk; the userland stays.
    expect(v.saving).toEqual({ ramMiB: 130, diskMiB: 391, cpuMillis: 0 });
    expect(v.ruleIds).toContain("guest-many-services");
    const fields = v.evidence.map((e) => `${e.field}: ${e.value}`);
    expect(fields).toEqual(expect.arrayContaining(["services: 4 services", "init: 6 running service units", "kernel: 6.1.0-28-amd64", "saving: 130 MiB RAM, 391 MiB disk"]));
    // The measured container saving (the whole userland's) is not this verdict's.
    expect(v.evidence.some((e) => e.field === "memory.usedMiB")).toBe(false);
    expect(VERDICT_LABEL[v.verdict]).toBe("Move to a system container");
  });

  it("takes the parameters in force, capped by what the VM has; powered off sheds no RAM", () => {
    const parameters = { ...P, guestKernelRamMiB: 300, guestKernelDiskMiB: 600 };
    expect(only(inventory([vm({ memoryMiB: 256, provisionedMiB: 500 })], [guest(4)]), parameters).saving).toEqual({ ramMiB: 256, diskMiB: 500, cpuMillis: 0 });
    expect(only(inventory([vm({ powerState: "poweredOff" })], [guest(4)])).saving).toEqual({ ramMiB: 0, diskMiB: 391, cpuMillis: 0 });
  });

  it("another init than systemd (no units listed) counts when it is pid 1", () => {
    expect(only(inventory([vm()], [guest(4, { units: [], init: "openrc-init" })])).verdict).toBe("to-system-container");
  });

  it("near miss: 3 services (at guestMaxServices) is one container's worth: a container", () => {
    const v = only(inventory([vm()], [guest(3)]));
    expect(v.verdict).toBe("to-container");
    expect(v.saving.ramMiB).toBeGreaterThan(130);
  });

  it("near miss: kernel modules of its own need an own kernel: Kata, not the host's kernel", () => {
    const v = only(inventory([vm()], [guest(4, { extraModules: ["zfs", "spl"] })]));
    expect(v.verdict).toBe("to-kata");
    expect(v.ruleIds).toContain("guest-kernel-modules");
  });

  it("near miss: services not run by an init (no units, pid 1 a shell script): split into containers", () => {
    const v = only(inventory([vm()], [guest(4, { units: [], init: "start.sh" })]));
    expect(v.verdict).toBe("to-container");
    expect(v.reason).toContain("Many unrelated services");
  });

  it("near miss: a Windows VM stays a VM whatever runs in it", () => {
    const v = only(inventory([vm({ guestOsReported: "Microsoft Windows Server 2022 (64-bit)", guestOsFamily: "windows" })], [guest(4)]));
    expect(v.verdict).toBe("stay-vm");
  });

  it("without guest discovery nothing is guessed: the container candidate, insufficient data, run guest discovery", () => {
    const v = only(inventory([vm()], []));
    expect(v.verdict).toBe("to-container");
    expect(v.fit).toBe("insufficient-data");
    expect(v.evidence).toContainEqual(expect.objectContaining({ source: "guest discovery", strength: "missing", note: expect.stringContaining("needs guest discovery") }));
  });

  it("the totals count it as a move and sum its saving", () => {
    const inv = inventory([vm(), vm({ externalId: "vm-2", name: "app02", uuid: "4221cccc-0000-0000-0000-000000000002", ipAddresses: ["10.0.0.22"], hostname: "app02" })], [guest(4)]);
    const { totals, verdicts } = verdictsOf(inv);
    expect(totals.verdicts["to-system-container"]).toBe(1);
    expect(totals.verdicts["to-container"]).toBe(1);
    const container = verdicts.find((v) => v.verdict === "to-container")!;
    expect(totals.ramSavedMiB).toBe(130 + container.saving.ramMiB);
    expect(totals.diskSavedMiB).toBe(391 + container.saving.diskMiB);
  });

  it("the parameters say where their defaults come from", () => {
    expect(PARAMETER_SOURCES.guestKernelRamMiB.source).toContain("kata-deploy 4.1.0");
    expect(PARAMETER_SOURCES.guestKernelDiskMiB.source).toContain("linux-image-6.1.0-52-amd64 6.1.180-1, Installed-Size 400,047 KiB");
  });
});

describe("system containers that need isolation", () => {
  const system = (id: string, over: Partial<ContainerInput> = {}): ContainerInput => ({
    externalId: id,
    name: id,
    hostExternalId: "lxd01",
    image: "Debian bookworm",
    state: "running",
    runtime: "lxc",
    systemContainer: true,
    project: "default",
    usernsMode: "shared",
    memoryLimitBytes: 2 * GIB,
    ...over,
  });
  const containerVerdicts = (containers: ContainerInput[]) => new Map(verdictsOf(inventory([], [], containers)).verdicts.map((v) => [v.name, v]));

  it("a privileged system container moves to Kata (its own guest kernel), saying an LXD VM from the image would do too", () => {
    const v = containerVerdicts([system("priv", { privileged: true, usernsMode: "host", idmapIsolated: false })]).get("priv")!;
    expect(v.verdict).toBe("to-kata");
    expect(v.reason).toContain("Privileged system container");
    expect(v.reason).toContain("an LXD virtual machine from the same image");
    expect(v.evidence).toContainEqual(expect.objectContaining({ field: "type", value: "system container" }));
    expect(v.saving.ramMiB).toBeLessThan(0);
  });

  it("different tenants (projects) on one kernel: both move to Kata", () => {
    const v = containerVerdicts([system("shop", { project: "shop", idmapIsolated: true }), system("bank", { project: "bank", idmapIsolated: true })]);
    expect([v.get("shop")!.verdict, v.get("bank")!.verdict]).toEqual(["to-kata", "to-kata"]);
    expect(v.get("shop")!.tenant).toBe("project shop");
  });

  it("privileged with a host device passed in: Kata cannot take it, so it stays, and the reason says a VM of its own isolates it", () => {
    const v = containerVerdicts([system("dev", { privileged: true, usernsMode: "host", devices: ["unix-char:/dev/fuse"] })]).get("dev")!;
    expect(v.verdict).toBe("stay");
    expect(v.ruleIds).toContain("kata-host-devices");
    expect(v.reason).toContain("Isolation requires a VM of its own: an LXD virtual machine from the same image.");
  });

  it("near miss: an unprivileged, idmap-isolated system container alone in its project stays", () => {
    const v = containerVerdicts([system("plain", { idmapIsolated: true, usernsMode: "isolated" })]).get("plain")!;
    expect(v.verdict).toBe("stay");
    expect(v.reason).toBe("Stays: nothing it does crosses the shared kernel.");
  });
});

describe("plans: the system-container target", () => {
  it("a VM's verdict to-system-container stands for the target system-container; a container cannot have it", () => {
    expect(targetOfVerdict("to-system-container")).toBe("system-container");
    expect(TARGET_LABEL["system-container"]).toBe("System container (LXD, Incus)");
    expect(TARGETS_OF.vm).toContain("system-container");
    expect(TARGETS_OF.container).not.toContain("system-container");
  });

  it("frees the verdict's guest kernel saving, or the parameters' when the verdict was another (a reason overrides it); the cluster keeps the rest", () => {
    const inv = inventory([vm()], [guest(4)]);
    const moved = only(inv);
    const plan = { hosts: inv.hosts, vms: new Map(inv.virtualMachines.map((x) => [x.key, x])), containers: new Map() };
    const footprints = compileFootprints(P.osFootprints);
    const f = workloadFigures({ kind: "vm", objectId: moved.key, target: "system-container" }, plan, moved, P, footprints);
    expect(f).toMatchObject({ vcpus: 0, ramMiB: 130, diskMiB: 391, kataOverheadMiB: 0, cluster: "c1", leaves: { vcpus: 0, memoryMiB: 130 }, gone: false });
    expect(f.basis).toContain("the verdict's saving");
    // Near miss: the same VM whose verdict was a container (3 services), planned as a system container anyway.
    const three = only(inventory([vm()], [guest(3)]));
    const g = workloadFigures({ kind: "vm", objectId: three.key, target: "system-container" }, plan, three, { ...P, guestKernelRamMiB: 200 }, footprints);
    expect(g).toMatchObject({ ramMiB: 200, diskMiB: 391 });
    expect(g.basis).toContain("the parameters' guest kernel figures");
  });
});

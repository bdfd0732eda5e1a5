/**
 * Kata Containers' limitations (docs/Limitations.md at main) and kata-deploy's per-pod overhead:
 * what keeps a container out of Kata, with a near miss for each, and the overhead by class and
 * release, chosen from the runtimes the host offers.
 */
import { describe, expect, it } from "vitest";
import type { InventoryContainer, InventoryHost } from "../../server/analysis/inventory";
import { analyseIsolation } from "../../server/analysis/isolation";
import { kataOverheadFor, parseRelease } from "../../server/analysis/kata-overhead";
import { analyseMigration } from "../../server/analysis/migration";
import { DEFAULT_PARAMETERS, parametersSchema } from "../../server/analysis/parameters";
import { evaluate, KATA_RULES } from "../../server/analysis/rules";
import { containerSnapshot, hostSnapshot } from "../../server/inventory/snapshot";

const MIB = 1024 * 1024;

function host(over: Partial<InventoryHost> = {}): InventoryHost {
  return {
    ...hostSnapshot.parse({ externalId: "engine-1", name: "docker01", role: "container-engine", platform: "docker", cpuCores: 8, memoryMiB: 32768, runtimes: ["io.containerd.kata.v2", "runc"] }),
    key: "s:host:engine-1",
    customer: "acme",
    tenantLabel: "tenant",
    vmKey: null,
    vmLinkKey: null,
    ...over,
  };
}

function container(over: Partial<InventoryContainer> = {}): InventoryContainer {
  return {
    ...containerSnapshot.parse({
      externalId: over.externalId ?? "c-1",
      name: "web",
      hostExternalId: "engine-1",
      image: "app:1",
      state: "running",
      runtime: "runc",
      user: "app",
      networkMode: "bridge",
      securityOptions: ["no-new-privileges"],
      noNewPrivileges: true,
      readOnlyRootfs: true,
      memoryLimitBytes: 256 * MIB,
      cpuShares: 512,
      pidsLimit: 100,
      health: "healthy",
    }),
    key: `s:container:${over.externalId ?? "c-1"}`,
    customer: "acme",
    hostKey: "s:host:engine-1",
    imageKey: null,
    ...over,
  };
}

const bind = (source: string, destination: string) => ({ type: "bind" as const, source, destination, readOnly: false, propagation: null });
const fired = (c: InventoryContainer, h: InventoryHost = host()) => evaluate(KATA_RULES, c, { host: h }).map((f) => `${f.ruleId}/${f.severity}`);

const CASES: { rule: string; why: string; over: Partial<InventoryContainer>; fires: boolean }[] = [
  { rule: "kata-host-devices/critical", why: "--device /dev/kvm", over: { devices: ["/dev/kvm:/dev/kvm:rw"] }, fires: true },
  { rule: "kata-host-devices/critical", why: "-v /dev:/dev (binds under /dev come from the guest)", over: { mounts: [bind("/dev", "/dev")] }, fires: true },
  { rule: "kata-host-devices/critical", why: "-v /dev/ttyUSB0:/dev/ttyUSB0", over: { mounts: [bind("/dev/ttyUSB0", "/dev/ttyUSB0")] }, fires: true },
  { rule: "kata-host-devices/critical", why: "near miss: privileged alone", over: { privileged: true }, fires: false },
  { rule: "kata-host-devices/critical", why: "near miss: --gpus all (GPU passthrough is supported)", over: { devices: ["request=nvidia:all:gpu"] }, fires: false },
  { rule: "kata-host-devices/critical", why: "near miss: /devdata is not under /dev", over: { mounts: [bind("/devdata", "/data")] }, fires: false },
  { rule: "kata-privileged-guest/info", why: "privileged runs with the guest's devices", over: { privileged: true }, fires: true },
  { rule: "kata-gpu/info", why: "--gpus all", over: { devices: ["request=nvidia:all:gpu"] }, fires: true },
  { rule: "kata-proc-mount/critical", why: "bind onto /proc/vmstat", over: { mounts: [bind("/srv/vmstat", "/proc/vmstat")] }, fires: true },
  { rule: "kata-proc-mount/critical", why: "near miss: bind onto /proc/meminfo (allowed, LXCFS-style)", over: { mounts: [bind("/var/lib/lxcfs/proc/meminfo", "/proc/meminfo")] }, fires: false },
  { rule: "kata-proc-mount/critical", why: "near miss: a bind from host /proc to /host/proc", over: { mounts: [bind("/proc", "/host/proc")] }, fires: false },
  { rule: "kata-pid-container/critical", why: "--pid=container:app", over: { pidMode: "container:app" }, fires: true },
  { rule: "kata-pid-container/critical", why: "near miss: private PID namespace", over: { pidMode: null }, fires: false },
  { rule: "kata-ipc-container/critical", why: "--ipc=container:app", over: { ipcMode: "container:app" }, fires: true },
  { rule: "kata-ipc-container/critical", why: "near miss: --ipc=shareable (Podman's default)", over: { ipcMode: "shareable" }, fires: false },
  { rule: "kata-link/critical", why: "--link db", over: { links: ["/db:/web/db"] }, fires: true },
  { rule: "kata-link/critical", why: "near miss: no links", over: { links: [] }, fires: false },
  { rule: "kata-host-network/critical", why: "--net=host", over: { networkMode: "host" }, fires: true },
  { rule: "kata-container-network/critical", why: "--net=container:db", over: { networkMode: "container:db" }, fires: true },
  { rule: "kata-container-network/critical", why: "near miss: a user-defined network", over: { networkMode: "shop_default" }, fires: false },
];

describe("Kata Containers limitations", () => {
  it("lets a plain container through with nothing to say", () => {
    expect(fired(container())).toEqual([]);
  });

  it.each(CASES)("$rule: $why", ({ rule, over, fires }) => {
    expect(fired(container(over)).includes(rule)).toBe(fires);
  });

  it("no longer limits --security-opt (that text left Limitations.md in 2022)", () => {
    expect(KATA_RULES.map((r) => r.id)).not.toContain("kata-security-options");
    expect(fired(container({ securityOptions: ["label=disable", "apparmor=unconfined"] }))).toEqual([]);
  });
});

describe("Kata overhead per pod, by runtime class and kata-deploy release", () => {
  const release = (r: string) => ({ kataDeployRelease: r });
  it.each([
    { why: "kata-qemu from 4.0", runtimes: ["kata-qemu"], r: "4.1.0", gpu: false, cls: "kata-qemu", mib: 320 },
    { why: "kata-qemu up to 3.32", runtimes: ["kata-qemu"], r: "3.32.0", gpu: false, cls: "kata-qemu", mib: 160 },
    { why: "io.containerd.kata.v2 is QEMU's default configuration", runtimes: ["io.containerd.kata.v2"], r: "4.1.0", gpu: false, cls: "kata-qemu", mib: 320 },
    { why: "the lightest the host offers: clh over qemu", runtimes: ["kata-qemu", "kata-clh", "runc"], r: "4.1.0", gpu: false, cls: "kata-clh", mib: 130 },
    { why: "firecracker", runtimes: ["kata-fc"], r: "4.0.0", gpu: false, cls: "kata-fc", mib: 130 },
    { why: "dragonball", runtimes: ["kata-dragonball"], r: "3.20.0", gpu: false, cls: "kata-dragonball", mib: 130 },
    { why: "not a confidential class for an ordinary workload", runtimes: ["kata-qemu-tdx", "kata-qemu"], r: "4.1.0", gpu: false, cls: "kata-qemu", mib: 320 },
    { why: "no Kata runtime on the host: kata-deploy's default", runtimes: ["runc"], r: "4.1.0", gpu: false, cls: "kata-qemu", mib: 320 },
    { why: "a GPU workload: the GPU class", runtimes: ["kata-clh"], r: "4.1.0", gpu: true, cls: "kata-qemu-nvidia-gpu", mib: 10240 },
  ])("$why", ({ runtimes, r, gpu, cls, mib }) => {
    const o = kataOverheadFor({ runtimes, defaultRuntime: "runc" }, release(r), { gpu });
    expect([o.runtimeClass, o.memoryMiB]).toEqual([cls, mib]);
    expect(o.source).toContain(`kata-deploy ${r} RuntimeClass ${cls}`);
  });

  it("refuses a release that is no version, in the parameters too", () => {
    expect(() => parseRelease("latest")).toThrow(/not a version/);
    expect(parametersSchema.safeParse({ ...DEFAULT_PARAMETERS, kataDeployRelease: "latest" }).success).toBe(false);
    expect(DEFAULT_PARAMETERS.kataDeployRelease).toBe("4.1.0");
  });
});

describe("verdicts of the review's probes (c01 ... c20)", () => {
  const verdictOf = (c: InventoryContainer, h: InventoryHost = host()) => {
    const inventory = { hosts: [h], virtualMachines: [], containers: [c], images: [], guests: [] };
    const isolation = analyseIsolation(inventory, DEFAULT_PARAMETERS);
    return analyseMigration(inventory, DEFAULT_PARAMETERS, isolation.containers).verdicts[0]!;
  };
  it.each([
    { probe: "c01 --cap-drop ALL --cap-add NET_BIND_SERVICE", over: { capDrop: ["ALL"], capAdd: ["NET_BIND_SERVICE"] }, verdict: "stay" },
    { probe: "c04 -v /etc:/host/etc:ro", over: { mounts: [{ ...bind("/etc", "/host/etc"), readOnly: true }] }, verdict: "stay" },
    { probe: "c12 --privileged", over: { privileged: true }, verdict: "to-kata" },
    { probe: "c16 --pid=container: + SYS_PTRACE", over: { pidMode: "container:app", capAdd: ["SYS_PTRACE"] }, verdict: "stay" },
    { probe: "c17 bind onto /proc/vmstat + SYS_ADMIN", over: { mounts: [bind("/srv/v", "/proc/vmstat")], capAdd: ["SYS_ADMIN"] }, verdict: "stay" },
    { probe: "c18 -v /dev:/dev", over: { mounts: [bind("/dev", "/dev")] }, verdict: "stay" },
    { probe: "c19 --gpus all + SYS_ADMIN", over: { devices: ["request=nvidia:all:gpu"], capAdd: ["SYS_ADMIN"] }, verdict: "to-kata" },
    { probe: "c20 exited + privileged (not assessed)", over: { state: "exited" as const, privileged: true }, verdict: "stay" },
  ])("$probe → $verdict", ({ over, verdict }) => {
    expect(verdictOf(container(over)).verdict).toBe(verdict);
  });

  it("costs the class the host offers: a privileged container on a kata-clh host 130 MiB, a GPU one 10 GiB", () => {
    const clh = host({ runtimes: ["kata-clh", "runc"] });
    expect(verdictOf(container({ privileged: true }), clh).saving.ramMiB).toBe(-130);
    expect(verdictOf(container({ devices: ["request=nvidia:all:gpu"], capAdd: ["SYS_ADMIN"] }), clh).saving.ramMiB).toBe(-10240);
  });
});

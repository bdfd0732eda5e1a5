/**
 * Figures of the analyses, each expected value worked out by hand from the inputs: density,
 * duplication waste, host packing, engine host → VM linking, OS footprints and parameters.
 */
import { describe, expect, it } from "vitest";
import { analyseDensity } from "@/server/analysis/density";
import { analyse } from "@/server/analysis/index";
import { inventoryFromSnapshots, type Inventory, type InventoryHost } from "@/server/analysis/inventory";
import { hostsNeeded } from "@/server/analysis/migration";
import {
  compileFootprints,
  DEFAULT_OS_FOOTPRINTS,
  DEFAULT_PARAMETERS,
  footprintOf,
  resolveParameters,
  type Parameters,
} from "@/server/analysis/parameters";
import { analyseWaste } from "@/server/analysis/waste";
import { hostSnapshot, parseSnapshot, type SnapshotInput } from "@/server/inventory/snapshot";

const MIB = 1024 * 1024;
const P = DEFAULT_PARAMETERS;
const AT = "2026-11-01T10:00:00.000Z";
const RHEL = DEFAULT_OS_FOOTPRINTS.find((f) => f.label === "RHEL 9")!;
const UBUNTU = DEFAULT_OS_FOOTPRINTS.find((f) => f.label === "Ubuntu 22.04")!;

type HostInput = NonNullable<SnapshotInput["hosts"]>[number];
type VmInput = NonNullable<SnapshotInput["virtualMachines"]>[number];
type ContainerInput = NonNullable<SnapshotInput["containers"]>[number];
type ImageInput = NonNullable<SnapshotInput["images"]>[number];

const hypervisor = (id: string, over: Partial<HostInput> = {}): HostInput => ({
  externalId: id,
  name: id,
  role: "hypervisor",
  platform: "esxi",
  cpuCores: 8,
  memoryMiB: 65536,
  cluster: "c1",
  ...over,
});

const engine = (id: string, over: Partial<HostInput> = {}): HostInput => ({
  externalId: id,
  name: id,
  role: "container-engine",
  platform: "docker",
  cpuCores: 4,
  memoryMiB: 16384,
  runtimes: ["runc"],
  ...over,
});

const rhel = (id: string, over: Partial<VmInput> = {}): VmInput => ({
  externalId: id,
  name: id,
  hostExternalId: "h1",
  powerState: "poweredOn",
  vcpus: 2,
  memoryMiB: 4096,
  provisionedMiB: 40960,
  guestOsReported: "Red Hat Enterprise Linux 9.4 (Plow)",
  guestOsFamily: "linux",
  ...over,
});

const ubuntu = (id: string, over: Partial<VmInput> = {}): VmInput =>
  rhel(id, { guestOsReported: "Ubuntu 22.04.4 LTS", ...over });

const ctr = (id: string, hostExternalId: string, over: Partial<ContainerInput> = {}): ContainerInput => ({
  externalId: id,
  name: id,
  hostExternalId,
  image: "nginx:1.27",
  state: "running",
  ...over,
});

interface Part {
  snapshot: SnapshotInput;
  customer?: string;
}

const snap = (over: Omit<SnapshotInput, "collectedAt">): SnapshotInput => ({ collectedAt: AT, ...over });

function inventoryOf(...parts: Part[]): Inventory {
  return inventoryFromSnapshots(
    parts.map((p, i) => ({ snapshot: parseSnapshot(p.snapshot), customer: p.customer ?? "acme", prefix: `p${i}` })),
  );
}

const withParameters = (over: Partial<Parameters>): Parameters => ({ ...DEFAULT_PARAMETERS, ...over });

// ---------------------------------------------------------------------------------------------

describe("density", () => {
  // h1: 8 cores, 64 GiB. VMs: on1 (4 vCPU, 8 GiB), on2 (2, 4 GiB), off1, susp1, a template.
  // dockvm (on, 4 vCPU, 8 GiB) runs engine e1 (3 containers). e2 is a bare-metal engine (1 running).
  const inventory = inventoryOf(
    {
      snapshot: snap({
        hosts: [hypervisor("h1")],
        virtualMachines: [
          rhel("on1", { vcpus: 4, memoryMiB: 8192 }),
          rhel("on2", { vcpus: 2, memoryMiB: 4096 }),
          rhel("off1", { powerState: "poweredOff", vcpus: 16, memoryMiB: 32768 }),
          rhel("susp1", { powerState: "suspended", vcpus: 8, memoryMiB: 8192 }),
          rhel("tpl", { template: true, powerState: "poweredOff", vcpus: 4, memoryMiB: 4096 }),
          rhel("dockvm", { vcpus: 4, memoryMiB: 8192, uuid: "4221AAAA-0000-0000-0000-0000000000E1" }),
        ],
      }),
    },
    {
      snapshot: snap({
        hosts: [engine("e1", { hardwareUuid: "4221aaaa-0000-0000-0000-0000000000e1" }), engine("e2", { cpuCores: 4, memoryMiB: 16384 })],
        containers: [
          ctr("c1", "e1", { memoryLimitBytes: 256 * MIB }),
          ctr("c2", "e1", { memoryLimitBytes: 0 }),
          ctr("c3", "e1", { state: "exited", memoryLimitBytes: 512 * MIB }),
          ctr("c4", "e2", { memoryLimitBytes: 0 }),
        ],
      }),
    },
  );
  const density = analyseDensity(inventory, P);
  const h1 = density.hosts.find((h) => h.hostName === "h1")!;
  const e2 = density.hosts.find((h) => h.hostName === "e2")!;

  it("counts powered-on VMs only in the ratios; templates and powered-off/suspended apart", () => {
    const vcpus = 4 + 2 + 4; // on1, on2, dockvm
    const memory = 8192 + 4096 + 8192;
    expect(h1).toMatchObject({ virtualMachines: 6, vmsPoweredOn: 3, vmsPoweredOff: 2, templates: 1, vcpusPoweredOn: vcpus, vmMemoryMiBPoweredOn: memory });
    expect(h1.vcpuPerCore).toBeCloseTo(vcpus / 8, 2);
    expect(h1.vramPerPram).toBeCloseTo(memory / 65536, 2);
  });

  it("adds the containers of an engine host inside a VM to that VM's hypervisor, unbounded counted apart", () => {
    expect(h1).toMatchObject({ containers: 3, containersRunning: 2, containersUnbounded: 1, containerMemoryLimitMiB: 256 + 512 });
    // Workloads: on1, on2 (dockvm is a container host, not a workload) + 2 running containers.
    expect(h1.workloads).toBe(4);
    expect(h1.consolidation).toBe(4);
    expect(density.hosts.map((h) => h.hostName)).not.toContain("e1");
  });

  it("counts a bare-metal engine host as a physical host of its own", () => {
    expect(e2).toMatchObject({ role: "container-engine", physicalHosts: 1, physicalCores: 4, physicalMemoryMiB: 16384, containers: 1, containersUnbounded: 1, workloads: 1 });
    expect(e2.cluster).toBe("e2 (standalone)");
    expect(e2.vcpuPerCore).toBe(0);
  });

  it("sums the fleet and the customer over the physical hosts", () => {
    const fleet = density.fleet;
    expect(fleet).toMatchObject({ physicalHosts: 2, physicalCores: 8 + 4, physicalMemoryMiB: 65536 + 16384, containers: 4, containersUnbounded: 2, workloads: 5, virtualMachines: 6, templates: 1 });
    expect(fleet.consolidation).toBeCloseTo(5 / 2, 2);
    expect(fleet.vcpuPerCore).toBeCloseTo(10 / 12, 2);
    expect(density.customers).toHaveLength(1);
    expect(density.customers[0]).toMatchObject({ customer: "acme", physicalHosts: 2, workloads: 5 });
  });

  it("gives null ratios where there is nothing to divide by", () => {
    const empty = analyseDensity(inventoryOf({ snapshot: snap({ hosts: [hypervisor("h1", { cpuCores: 0, memoryMiB: 0 })] }) }), P);
    expect(empty.hosts[0]).toMatchObject({ vcpuPerCore: null, vramPerPram: null, consolidation: 0 });
    expect(analyseDensity(inventoryOf({ snapshot: snap({}) }), P).fleet).toMatchObject({ vcpuPerCore: null, vramPerPram: null, consolidation: null });
  });

  it("counts VMs on no known host in the customer and fleet totals", () => {
    const d = analyseDensity(inventoryOf({ snapshot: snap({ hosts: [hypervisor("h1")], virtualMachines: [rhel("lost", { hostExternalId: null, vcpus: 3 })] }) }), P);
    expect(d.hosts[0]!.virtualMachines).toBe(0);
    expect(d.fleet).toMatchObject({ virtualMachines: 1, vmsPoweredOn: 1, vcpusPoweredOn: 3, workloads: 1, physicalHosts: 1 });
  });

  const overTarget = (cores: number, memoryMiB: number, vcpus: number, vmMemoryMiB: number) => {
    const d = analyseDensity(
      inventoryOf({ snapshot: snap({ hosts: [hypervisor("h1", { cpuCores: cores, memoryMiB })], virtualMachines: [rhel("big", { vcpus, memoryMiB: vmMemoryMiB })] }) }),
      P,
    );
    return { host: d.hosts[0]!.overTarget, fleet: d.fleet.hostsOverTarget };
  };

  it.each([
    { what: "vCPU:pCore just above 6 (49 on 8 cores)", cores: 8, memoryMiB: 65536, vcpus: 49, vmMemoryMiB: 1024, over: true },
    { what: "vCPU:pCore equal to 6 (48 on 8 cores)", cores: 8, memoryMiB: 65536, vcpus: 48, vmMemoryMiB: 1024, over: false },
    { what: "vRAM:pRAM just above 1 (1,040 on 1,024 MiB)", cores: 64, memoryMiB: 1024, vcpus: 1, vmMemoryMiB: 1040, over: true },
    { what: "vRAM:pRAM equal to 1", cores: 64, memoryMiB: 1024, vcpus: 1, vmMemoryMiB: 1024, over: false },
  ])("flags a host over target: $what → $over", ({ cores, memoryMiB, vcpus, vmMemoryMiB, over }) => {
    expect(overTarget(cores, memoryMiB, vcpus, vmMemoryMiB)).toEqual({ host: over, fleet: over ? 1 : 0 });
  });

  it("a higher target moves the line", () => {
    const d = analyseDensity(
      inventoryOf({ snapshot: snap({ hosts: [hypervisor("h1", { cpuCores: 8 })], virtualMachines: [rhel("big", { vcpus: 49, memoryMiB: 1024 })] }) }),
      withParameters({ targetVcpuPerCore: 8 }),
    );
    expect(d.hosts[0]!.overTarget).toBe(false);
    expect(d.target).toEqual({ vcpuPerCore: 8, vramPerPram: 1 });
  });

  it("a host whose vRAM:pRAM is above 1.0 by less than 0.005 is flagged over target", () => {
    // 256 MiB more configured than the 256 GiB host has: 262,400 / 262,144 = 1.00098 > 1.
    expect(overTarget(64, 262144, 1, 262400)).toEqual({ host: true, fleet: 1 });
  });
});

// ---------------------------------------------------------------------------------------------

describe("waste", () => {
  const byOs = (w: ReturnType<typeof analyseWaste>, os: string, customer = "acme") => w.byOs.find((o) => o.os === os && o.customer === customer)!;

  it("N copies of one OS duplicate N-1 footprints of RAM and disk", () => {
    const w = analyseWaste(
      inventoryOf({ snapshot: snap({ hosts: [hypervisor("h1")], virtualMachines: [rhel("a"), rhel("b"), rhel("c"), ubuntu("u1"), rhel("t", { template: true })] }) }),
      P,
    );
    expect(byOs(w, "RHEL 9")).toMatchObject({ virtualMachines: 3, poweredOn: 3, ramDuplicateMiB: 2 * RHEL.ramMiB, ramSharedMiB: 0, ramWasteMiB: 2 * RHEL.ramMiB, diskWasteMiB: 2 * RHEL.diskMiB });
    expect(byOs(w, "Ubuntu 22.04")).toMatchObject({ virtualMachines: 1, ramDuplicateMiB: 0, diskWasteMiB: 0 });
    expect(w.totals).toMatchObject({ virtualMachines: 4, unknownOs: 0, ramWasteMiB: 2 * RHEL.ramMiB, diskWasteMiB: 2 * RHEL.diskMiB });
  });

  it("counts duplicates per customer: customers never share a kernel", () => {
    const w = analyseWaste(
      inventoryOf(
        { snapshot: snap({ hosts: [hypervisor("h1")], virtualMachines: [rhel("a"), rhel("b")] }), customer: "acme" },
        { snapshot: snap({ hosts: [hypervisor("h1")], virtualMachines: [rhel("a")] }), customer: "globex" },
      ),
      P,
    );
    expect(byOs(w, "RHEL 9", "acme")).toMatchObject({ virtualMachines: 2, ramDuplicateMiB: RHEL.ramMiB, diskWasteMiB: RHEL.diskMiB });
    expect(byOs(w, "RHEL 9", "globex")).toMatchObject({ virtualMachines: 1, ramDuplicateMiB: 0, diskWasteMiB: 0 });
  });

  it("counts disk but not RAM for powered-off VMs", () => {
    const w = analyseWaste(inventoryOf({ snapshot: snap({ hosts: [hypervisor("h1")], virtualMachines: [rhel("on"), rhel("off", { powerState: "poweredOff" })] }) }), P);
    // RAM copies: 1,536 and 0 → the largest is kept, nothing duplicated. Disk: 2 copies → 1.
    expect(byOs(w, "RHEL 9")).toMatchObject({ virtualMachines: 2, poweredOn: 1, ramDuplicateMiB: 0, diskWasteMiB: RHEL.diskMiB });
  });

  it("caps a copy by the VM's memory and provisioned storage; the largest copy is kept", () => {
    const w = analyseWaste(
      inventoryOf({ snapshot: snap({ hosts: [hypervisor("h1")], virtualMachines: [rhel("small", { memoryMiB: 1024, provisionedMiB: 4096 }), rhel("big", { memoryMiB: 8192, provisionedMiB: 81920 })] }) }),
      P,
    );
    // small: min(1536, 1024) = 1024 RAM, min(10240, 4096) = 4096 disk; big: 1536, 10240.
    expect(byOs(w, "RHEL 9")).toMatchObject({ ramDuplicateMiB: 1024, diskWasteMiB: 4096 });
  });

  it("takes the footprint's disk when provisioned storage is unknown", () => {
    const w = analyseWaste(inventoryOf({ snapshot: snap({ hosts: [hypervisor("h1")], virtualMachines: [rhel("a", { provisionedMiB: null }), rhel("b", { provisionedMiB: null })] }) }), P);
    expect(byOs(w, "RHEL 9").diskWasteMiB).toBe(RHEL.diskMiB);
  });

  it("nets the page sharing the hypervisor reports, capped by the duplicate", () => {
    const three = [rhel("a"), rhel("b"), rhel("c")];
    const shared = (memorySharing: "tps" | "ksm" | "none" | "unknown", memorySharedMiB: number | null) =>
      byOs(analyseWaste(inventoryOf({ snapshot: snap({ hosts: [hypervisor("h1", { memorySharing, memorySharedMiB })], virtualMachines: three }) }), P), "RHEL 9");
    const duplicate = 2 * RHEL.ramMiB;
    expect(shared("tps", 1000)).toMatchObject({ ramDuplicateMiB: duplicate, ramSharedMiB: 1000, ramWasteMiB: duplicate - 1000 });
    expect(shared("ksm", 1000)).toMatchObject({ ramSharedMiB: 1000 });
    // More shared than the duplicate: capped by it, nothing left as waste.
    expect(shared("tps", 100000)).toMatchObject({ ramSharedMiB: duplicate, ramWasteMiB: 0 });
    // No sharing, or sharing not known to be on: the figure is ignored.
    expect(shared("none", 1000)).toMatchObject({ ramSharedMiB: 0, ramWasteMiB: duplicate });
    expect(shared("unknown", 1000)).toMatchObject({ ramSharedMiB: 0 });
    expect(shared("tps", null)).toMatchObject({ ramSharedMiB: 0 });
  });

  it("spreads a host's shared pages over its OS groups in proportion to their footprint there", () => {
    const w = analyseWaste(
      inventoryOf({
        snapshot: snap({
          hosts: [hypervisor("h1", { memorySharing: "tps", memorySharedMiB: 1000 }), hypervisor("h2")],
          virtualMachines: [rhel("r1"), rhel("r2"), ubuntu("u1"), ubuntu("u2"), rhel("r3", { hostExternalId: "h2" }), rhel("r4", { powerState: "poweredOff" })],
        }),
      }),
      P,
    );
    // On h1, powered on: RHEL 2 × 1,536 = 3,072; Ubuntu 2 × 2,048 = 4,096; total 7,168.
    const total = 2 * RHEL.ramMiB + 2 * UBUNTU.ramMiB;
    const rhelShare = (1000 * 2 * RHEL.ramMiB) / total;
    const ubuntuShare = (1000 * 2 * UBUNTU.ramMiB) / total;
    const rhelGroup = byOs(w, "RHEL 9");
    const ubuntuGroup = byOs(w, "Ubuntu 22.04");
    // RHEL: r1, r2, r3 on → 2 duplicates of RAM; r4 off adds disk only.
    expect(rhelGroup.ramDuplicateMiB).toBe(2 * RHEL.ramMiB);
    expect(rhelGroup.ramSharedMiB).toBeCloseTo(rhelShare, 2);
    expect(rhelGroup.diskWasteMiB).toBe(3 * RHEL.diskMiB);
    expect(ubuntuGroup.ramDuplicateMiB).toBe(UBUNTU.ramMiB);
    expect(ubuntuGroup.ramSharedMiB).toBeCloseTo(ubuntuShare, 2);
    expect(w.totals.ramSharedMiB).toBeCloseTo(1000, 1);
  });

  it("counts VMs whose OS matches no footprint apart", () => {
    const w = analyseWaste(inventoryOf({ snapshot: snap({ hosts: [hypervisor("h1")], virtualMachines: [rhel("a"), rhel("x", { guestOsReported: "Plan 9", guestOsFamily: "unknown" })] }) }), P);
    expect(w.totals).toMatchObject({ virtualMachines: 2, unknownOs: 1 });
  });

  const image = (id: string, hostExternalId: string, over: Partial<ImageInput> = {}): ImageInput => ({
    externalId: id,
    hostExternalId,
    repoTags: [`${id}:latest`],
    sizeBytes: 0,
    ...over,
  });

  it("measures what layer sharing saves on each host, never across hosts", () => {
    const w = analyseWaste(
      inventoryOf({
        snapshot: snap({
          hosts: [engine("e1"), engine("e2")],
          images: [
            image("a", "e1", { sizeBytes: 150, layers: [{ digest: "sha256:l1", sizeBytes: 100 }, { digest: "sha256:l2", sizeBytes: 50 }] }),
            image("b", "e1", { sizeBytes: 130, layers: [{ digest: "sha256:l1", sizeBytes: 100 }, { digest: "sha256:l3", sizeBytes: 30 }] }),
            image("c", "e1", { sizeBytes: 70 }),
            image("d", "e2", { sizeBytes: 100, layers: [{ digest: "sha256:l1", sizeBytes: 100 }] }),
          ],
        }),
      }),
      P,
    );
    const unshared = 150 + 130 + 70 + 100;
    const stored = 100 + 50 + 30 + 70 + 100;
    expect(w.totals).toMatchObject({ imageBytesUnshared: unshared, imageBytesStored: stored, layerSharingSavedBytes: unshared - stored });
  });

  it("finds the same image on several hosts of a customer by registry digest, then id", () => {
    const w = analyseWaste(
      inventoryOf(
        {
          snapshot: snap({
            hosts: [engine("e1"), engine("e2"), engine("e3")],
            images: [
              image("sha256:aaa", "e1", { repoTags: ["nginx:1.27"], repoDigests: ["nginx@sha256:d1"], sizeBytes: 1000 }),
              image("sha256:bbb", "e2", { repoTags: ["nginx:stable"], repoDigests: ["docker.io/library/nginx@sha256:d1"], sizeBytes: 1000 }),
              image("sha256:ccc", "e3", { repoDigests: ["nginx@sha256:d1"], sizeBytes: 1000 }),
              image("sha256:lonely", "e1", { sizeBytes: 5000 }),
            ],
          }),
        },
        { snapshot: snap({ hosts: [engine("e9")], images: [image("sha256:aaa", "e9", { repoDigests: ["nginx@sha256:d1"], sizeBytes: 1000 })] }), customer: "globex" },
        // Same customer, another file: the same image id (no digest) on a fourth host.
        { snapshot: snap({ hosts: [engine("e4")], images: [image("sha256:lonely", "e4", { sizeBytes: 5000 })] }) },
      ),
      P,
    );
    expect(w.images).toEqual([
      { image: "sha256:lonely:latest", imageId: "sha256:lonely", imageKey: expect.any(String), customer: "acme", hosts: 2, sizeBytes: 5000, duplicateBytes: 5000 },
      { image: "nginx:1.27", imageId: "sha256:aaa", imageKey: expect.any(String), customer: "acme", hosts: 3, sizeBytes: 1000, duplicateBytes: 2 * 1000 },
    ]);
    expect(w.totals.crossHostDuplicateBytes).toBe(5000 + 2000);
  });
});

// ---------------------------------------------------------------------------------------------

describe("hostsNeeded", () => {
  const host = (cpuCores: number, memoryMiB: number, i: number): InventoryHost => ({
    ...hostSnapshot.parse({ externalId: `h${i}`, name: `h${i}`, role: "hypervisor", platform: "esxi", cpuCores, memoryMiB }),
    key: `k:h${i}`,
    customer: "acme",
    tenantLabel: "tenant",
    vmKey: null,
    vmLinkKey: null,
  });
  // Capacity at 6:1 and 1.0: 96 vCPU / 256 GiB, 48 / 128 GiB, 24 / 64 GiB.
  const hosts = [host(4, 65536, 3), host(16, 262144, 1), host(8, 131072, 2)];

  it.each([
    { demand: { vcpus: 0, memoryMiB: 0 }, expected: 0, why: "no demand" },
    { demand: { vcpus: 90, memoryMiB: 200000 }, expected: 1, why: "fits the largest host" },
    { demand: { vcpus: 100, memoryMiB: 200000 }, expected: 2, why: "96 vCPU on the largest is short" },
    { demand: { vcpus: 10, memoryMiB: 300000 }, expected: 2, why: "262,144 MiB on the largest is short" },
    { demand: { vcpus: 150, memoryMiB: 1 }, expected: 3, why: "96 + 48 = 144 vCPU short" },
    { demand: { vcpus: 1000, memoryMiB: 1 }, expected: 3, why: "more than all: every host" },
  ])("$why → $expected", ({ demand, expected }) => {
    expect(hostsNeeded(demand, hosts, P)).toBe(expected);
    expect(hostsNeeded(demand, [...hosts].reverse(), P)).toBe(expected);
  });

  it("uses the target ratios", () => {
    // At 3:1: 48 + 24 + 12 vCPU.
    expect(hostsNeeded({ vcpus: 60, memoryMiB: 1 }, hosts, withParameters({ targetVcpuPerCore: 3 }))).toBe(2);
    // At 0.5 vRAM: 131,072 MiB on the largest.
    expect(hostsNeeded({ vcpus: 1, memoryMiB: 140000 }, hosts, withParameters({ targetVramPerPram: 0.5 }))).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------

describe("linkEngineHosts", () => {
  const vms: VmInput[] = [
    rhel("vm-u", { uuid: "4221AAAA-0000-0000-0000-00000000000A" }),
    rhel("vm-m", { macAddresses: ["00:50:56:AA:BB:CC"] }),
    rhel("vm-h", { hostname: "docker01.lab.example" }),
    rhel("vm-i", { ipAddresses: ["10.1.2.3", "127.0.0.1"] }),
    rhel("vm-t", { template: true, powerState: "poweredOff", uuid: "4221tttt" }),
  ];
  const engines: HostInput[] = [
    engine("all", { hardwareUuid: "4221aaaa-0000-0000-0000-00000000000a", macAddresses: ["00:50:56:aa:bb:cc"], hostname: "DOCKER01", ipAddresses: ["10.1.2.3"] }),
    engine("mac-host-ip", { macAddresses: ["00:50:56:aa:bb:cc"], hostname: "docker01", ipAddresses: ["10.1.2.3"] }),
    engine("host-ip", { hostname: "docker01.other.domain", ipAddresses: ["10.1.2.3"] }),
    engine("ip", { ipAddresses: ["10.1.2.3"] }),
    engine("wrong-uuid-ip", { hardwareUuid: "ffff", ipAddresses: ["10.1.2.3"] }),
    engine("loopback", { ipAddresses: ["127.0.0.1"] }),
    engine("template", { hardwareUuid: "4221TTTT" }),
  ];
  const link = (inventory: Inventory, name: string) => {
    const h = inventory.hosts.find((x) => x.name === name)!;
    return [h.vmKey, h.vmLinkKey];
  };

  it.each([
    { engine: "all", vm: "p0:vm:vm-u", key: "uuid" },
    { engine: "mac-host-ip", vm: "p0:vm:vm-m", key: "mac" },
    { engine: "host-ip", vm: "p0:vm:vm-h", key: "hostname" },
    { engine: "ip", vm: "p0:vm:vm-i", key: "ip" },
    { engine: "wrong-uuid-ip", vm: "p0:vm:vm-i", key: "ip" },
    { engine: "loopback", vm: null, key: null },
    { engine: "template", vm: null, key: null },
  ])("$engine → $vm by $key (uuid > mac > hostname > ip)", ({ engine: name, vm, key }) => {
    const inventory = inventoryOf({ snapshot: snap({ hosts: [hypervisor("h1")], virtualMachines: vms }) }, { snapshot: snap({ hosts: engines }) });
    expect(link(inventory, name)).toEqual([vm, key]);
  });

  it("links only within one customer", () => {
    const inventory = inventoryOf({ snapshot: snap({ hosts: [hypervisor("h1")], virtualMachines: vms }), customer: "acme" }, { snapshot: snap({ hosts: engines }), customer: "globex" });
    expect(inventory.hosts.filter((h) => h.vmKey !== null)).toEqual([]);
  });

  it("never links a hypervisor, and picks the lowest key among several VMs", () => {
    const inventory = inventoryOf({
      snapshot: snap({
        hosts: [hypervisor("h1", { hostname: "twin" }), engine("e", { hostname: "twin.lab" })],
        virtualMachines: [rhel("vm-b", { hostname: "twin" }), rhel("vm-a", { hostname: "TWIN.example" })],
      }),
    });
    expect(link(inventory, "h1")).toEqual([null, null]);
    expect(link(inventory, "e")).toEqual(["p0:vm:vm-a", "hostname"]);
  });
});

// ---------------------------------------------------------------------------------------------

describe("footprintOf", () => {
  const footprints = compileFootprints(DEFAULT_OS_FOOTPRINTS);
  const os = (guestOsReported: string | null, guestOsId: string | null, guestOsConfigured: string | null) =>
    footprintOf({ guestOsReported, guestOsId, guestOsConfigured }, footprints)?.label ?? null;

  it.each([
    { reported: "Ubuntu 22.04.4 LTS", id: "rhel9_64Guest", configured: "Red Hat Enterprise Linux 8 (64-bit)", expected: "Ubuntu 22.04", why: "the reported OS first" },
    { reported: null, id: "rhel9_64Guest", configured: "Red Hat Enterprise Linux 8 (64-bit)", expected: "RHEL 9", why: "then guestOsId" },
    { reported: "Plan 9", id: null, configured: "Red Hat Enterprise Linux 8 (64-bit)", expected: "RHEL 8", why: "an unmatched report falls through" },
    { reported: "", id: "", configured: "Ubuntu Linux (64-bit)", expected: "Ubuntu (other)", why: "empty texts are skipped" },
    { reported: "Microsoft Windows Server 2022 Datacenter", id: null, configured: null, expected: "Windows Server 2022", why: "the first matching row wins" },
    { reported: null, id: "windows2019srv_64Guest", configured: null, expected: "Windows Server 2019", why: "vSphere guest id of 2019" },
    { reported: null, id: "windows2019srvNext_64Guest", configured: null, expected: "Windows Server 2022", why: "vSphere guest id of 2022" },
    { reported: null, id: "http://ubuntu.com/ubuntu/20.04", configured: null, expected: "Ubuntu 20.04", why: "libosinfo id" },
    { reported: null, id: null, configured: null, expected: null, why: "nothing known" },
  ])("$why: $expected", ({ reported, id, configured, expected }) => {
    expect(os(reported, id, configured)).toBe(expected);
  });

  it("a macOS guest (vSphere guestId darwin…) is not taken for Windows", () => {
    // "darwin19_64Guest" contains "win", which the "Windows (other)" row matches.
    const found = footprintOf({ guestOsReported: "Apple macOS 10.15 (64-bit)", guestOsId: "darwin19_64Guest", guestOsConfigured: "Apple macOS 10.15 (64-bit)" }, footprints);
    expect(found?.family).not.toBe("windows");
  });
});

// ---------------------------------------------------------------------------------------------

describe("resolveParameters", () => {
  it("gives the defaults without an override", () => {
    expect(resolveParameters(null)).toEqual(DEFAULT_PARAMETERS);
    expect(resolveParameters(undefined)).toEqual(DEFAULT_PARAMETERS);
  });

  it("merges a partial override over the defaults", () => {
    const p = resolveParameters({ targetVcpuPerCore: 4, windowsContainerHosts: true });
    expect(p).toEqual({ ...DEFAULT_PARAMETERS, targetVcpuPerCore: 4, windowsContainerHosts: true });
    expect(p.osFootprints).toHaveLength(DEFAULT_OS_FOOTPRINTS.length);
  });

  it("drops keys it does not know", () => {
    expect(resolveParameters({ kataDeployRelease: "3.32.0", nonsense: 1 })).toEqual({ ...DEFAULT_PARAMETERS, kataDeployRelease: "3.32.0" });
  });

  it("keeps the rest of an override stored before kataDeployRelease replaced the fixed Kata overhead", () => {
    const p = resolveParameters({ targetVcpuPerCore: 4, kataOverheadMemoryMiB: 130, kataOverheadCpuMillis: 250 });
    expect(p).toEqual({ ...DEFAULT_PARAMETERS, targetVcpuPerCore: 4 });
    expect(p).not.toHaveProperty("kataOverheadMemoryMiB");
  });

  it.each([
    { why: "a negative target", stored: { targetVcpuPerCore: -1, kataDeployRelease: "3.32.0" } },
    { why: "a release that is not a version", stored: { kataDeployRelease: "latest" } },
    { why: "a wrong type", stored: { windowsContainerHosts: "yes" } },
    { why: "an invalid regular expression", stored: { osFootprints: [{ label: "x", family: "linux", match: "(", ramMiB: 1, diskMiB: 1, source: "" }] } },
    { why: "a fraction of disks", stored: { maxDisks: 1.5 } },
  ])("ignores an override that does not validate, as a whole: $why", ({ stored }) => {
    expect(resolveParameters(stored)).toEqual(DEFAULT_PARAMETERS);
  });

  it("a valid footprint override changes the waste figures", () => {
    const p = resolveParameters({ osFootprints: [{ label: "Any Linux", family: "linux", match: "linux", ramMiB: 100, diskMiB: 1000, source: "test" }] });
    const w = analyse(inventoryOf({ snapshot: snap({ hosts: [hypervisor("h1")], virtualMachines: [rhel("a"), rhel("b")] }) }), p).waste;
    expect(w.byOs).toHaveLength(1);
    expect(w.byOs[0]).toMatchObject({ os: "Any Linux", ramDuplicateMiB: 100, diskWasteMiB: 1000 });
  });
});

/**
 * LXD hosts in density and waste, figures worked out by hand: system containers are workloads on
 * their host, LXD VMs are VMs of it, and N system containers from one image on one host are the
 * layer-sharing analogue (docs/domain.md#lxd-system-containers). Snapshots as the lxd collector
 * gives them (/work/prompts/s10-lxd-shape.md): host role container-engine, platform lxd; images with
 * their fingerprint as repoDigests "sha256:<fingerprint>" and no layers.
 */
import { describe, expect, it } from "vitest";
import { analyseDensity } from "@/server/analysis/density";
import { inventoryFromSnapshots, type Inventory } from "@/server/analysis/inventory";
import { DEFAULT_PARAMETERS } from "@/server/analysis/parameters";
import { analyseWaste, imageIdentity } from "@/server/analysis/waste";
import { parseSnapshot, type SnapshotInput } from "@/server/inventory/snapshot";

const GIB = 1024 ** 3;
const MB = 1_000_000;
const AT = "2026-11-01T10:00:00.000Z";
const DEBIAN = "8f1a3c5d7e9b0a2c4e6f8a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d";
const ALPINE = "1b3d5f7a9c0e2a4c6e8a0b2d4f6a8c0e1b3d5f7a9c0e2a4c6e8a0b2d4f6a8c0e";

type ContainerInput = NonNullable<SnapshotInput["containers"]>[number];

const system = (id: string, over: Partial<ContainerInput> = {}): ContainerInput => ({
  externalId: id,
  name: id,
  hostExternalId: "lxd01",
  image: "Debian bookworm",
  imageExternalId: DEBIAN,
  state: "running",
  runtime: "lxc",
  systemContainer: true,
  project: "default",
  memoryLimitBytes: 2 * GIB,
  ...over,
});

function lxdSnapshot(containers: ContainerInput[], member = "lxd01"): SnapshotInput {
  return {
    collectedAt: AT,
    hosts: [{ externalId: member, name: member, role: "container-engine", platform: "lxd", cpuCores: 8, memoryMiB: 32768, runtimes: ["lxc", "qemu"] }],
    virtualMachines: [
      { externalId: `${member}-vm`, name: "vm1", hostExternalId: member, powerState: "poweredOn", vcpus: 2, memoryMiB: 4096, guestOsConfigured: "Debian 12", guestOsFamily: "linux" },
      { externalId: `${member}-vm-off`, name: "vm2", hostExternalId: member, powerState: "poweredOff", vcpus: 1, memoryMiB: 1024 },
    ],
    containers: containers.map((c) => ({ ...c, hostExternalId: member })),
    images: [
      { externalId: DEBIAN, hostExternalId: member, repoTags: ["debian/12"], repoDigests: [`sha256:${DEBIAN}`], sizeBytes: 120 * MB, os: "Debian" },
      { externalId: ALPINE, hostExternalId: member, repoTags: ["alpine/3.20"], repoDigests: [`sha256:${ALPINE}`], sizeBytes: 3 * MB, os: "Alpine" },
    ],
  };
}

const inventoryOf = (...snapshots: SnapshotInput[]): Inventory =>
  inventoryFromSnapshots(snapshots.map((s, i) => ({ snapshot: parseSnapshot(s), customer: "acme", prefix: `p${i}` })));

describe("density of an LXD host", () => {
  it("counts running system containers as workloads on their host, and its LXD VMs as its VMs", () => {
    const inventory = inventoryOf(lxdSnapshot([system("a"), system("b"), system("c", { state: "exited" })]));
    const { hosts, fleet } = analyseDensity(inventory, DEFAULT_PARAMETERS);
    expect(hosts).toHaveLength(1);
    const host = hosts[0]!;
    expect(host).toMatchObject({ platform: "lxd", physicalHosts: 1, containers: 3, containersRunning: 2, virtualMachines: 2, vmsPoweredOn: 1, vmsPoweredOff: 1 });
    // Workloads: 2 running system containers + 1 powered-on VM; one physical host.
    expect(host.workloads).toBe(3);
    expect(host.consolidation).toBe(3);
    // vCPU:pCore counts the powered-on VM only: 2 / 8.
    expect(host.vcpuPerCore).toBe(0.25);
    // Three limits of 2 GiB each, none unbounded.
    expect(host.containerMemoryLimitMiB).toBe(3 * 2048);
    expect(host.containersUnbounded).toBe(0);
    expect(fleet.workloads).toBe(3);
  });
});

describe("waste: instances sharing one LXD image", () => {
  it("N system containers from one image on one host: N-1 copies on a dir pool; one instance per image is no sharing", () => {
    const inventory = inventoryOf(lxdSnapshot([system("a"), system("b"), system("c", { state: "exited" }), system("d", { imageExternalId: ALPINE })]));
    const { imageInstances, totals } = analyseWaste(inventory, DEFAULT_PARAMETERS);
    expect(imageInstances).toEqual([
      expect.objectContaining({ image: "debian/12", imageId: DEBIAN, instances: 3, sizeBytes: 120 * MB, copyBytesOnDir: 2 * 120 * MB }),
    ]);
    expect(totals.systemContainersSharingImages).toBe(3);
    expect(totals.imageInstanceCopyBytes).toBe(240 * MB);
    // An image without layers is stored as one unit: nothing of layer sharing is claimed for it.
    expect(totals.layerSharingSavedBytes).toBe(0);
    expect(totals.imageBytesStored).toBe(123 * MB);
  });

  it("near misses: an application container on the same image id, and a system container whose image is not listed, are not counted", () => {
    const inventory = inventoryOf(
      lxdSnapshot([system("a"), system("docker", { systemContainer: false, project: null }), system("gone", { imageExternalId: null, image: "deleted image" })]),
    );
    const { imageInstances, totals } = analyseWaste(inventory, DEFAULT_PARAMETERS);
    expect(imageInstances).toEqual([]);
    expect(totals.imageInstanceCopyBytes).toBe(0);
  });

  it("the same image on two cluster members is one image by its fingerprint (ids \"<member>:<fingerprint>\" differ), stored twice", () => {
    const member = (name: string): SnapshotInput => {
      const s = lxdSnapshot([system(`${name}-a`, { imageExternalId: `${name}:${DEBIAN}` })], name);
      return { ...s, images: s.images!.map((i) => ({ ...i, externalId: `${name}:${i.externalId}` })) };
    };
    const inventory = inventoryOf(member("m1"), member("m2"));
    const { images } = analyseWaste(inventory, DEFAULT_PARAMETERS);
    // Both members hold both images: each is one image on two hosts, one copy too many.
    expect(images.map((i) => [i.image, i.hosts, i.duplicateBytes])).toEqual([
      ["debian/12", 2, 120 * MB],
      ["alpine/3.20", 2, 3 * MB],
    ]);
    // Docker's digests keep their "repo@sha256:" form.
    expect(imageIdentity({ externalId: "sha256:abc", repoDigests: ["nginx@sha256:0123"], layers: [] })).toBe("digest:sha256:0123");
    expect(imageIdentity({ externalId: `m1:${DEBIAN}`, repoDigests: [`sha256:${DEBIAN}`], layers: [] })).toBe(`digest:sha256:${DEBIAN}`);
    // Near miss: a digest that is no fingerprint is not taken as one.
    expect(imageIdentity({ externalId: "x", repoDigests: ["sha256:not-hex"], layers: [] })).toBe("id:x");
  });
});

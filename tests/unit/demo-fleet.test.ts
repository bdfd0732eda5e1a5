import { describe, expect, it } from "vitest";
import {
  DEMO_CUSTOMERS,
  generateCustomerSnapshot,
  generateFleetSnapshot,
} from "@/server/collectors/demo/fleet";
import { parseSnapshot, type Snapshot } from "@/server/inventory/snapshot";

const customers = DEMO_CUSTOMERS.map((c) => ({ ...c, snapshot: parseSnapshot(generateCustomerSnapshot(c.key)) }));
const allVms = customers.flatMap((c) => c.snapshot.virtualMachines);

const share = <T>(items: T[], test: (item: T) => boolean) => items.filter(test).length / items.length;
const engineHosts = (s: Snapshot) => s.hosts.filter((h) => h.role === "container-engine");

function tenantsPerHost(s: Snapshot): Map<string, Set<string>> {
  const tenants = new Map<string, Set<string>>();
  for (const c of s.containers) {
    const tenant = c.labels.tenant;
    if (!tenant) continue;
    const set = tenants.get(c.hostExternalId) ?? new Set<string>();
    set.add(tenant);
    tenants.set(c.hostExternalId, set);
  }
  return tenants;
}

describe("demo fleet: determinism and options", () => {
  it("gives deep-equal output for the same inputs", () => {
    expect(generateCustomerSnapshot("northwind", { seed: 7 })).toEqual(generateCustomerSnapshot("northwind", { seed: 7 }));
    expect(generateFleetSnapshot({ vms: 300, containers: 2000 })).toEqual(generateFleetSnapshot({ vms: 300, containers: 2000 }));
  });

  it("gives different output for different seeds", () => {
    const a = generateCustomerSnapshot("globex", { seed: 1 });
    const b = generateCustomerSnapshot("globex", { seed: 2 });
    expect(a.virtualMachines?.map((v) => v.uuid)).not.toEqual(b.virtualMachines?.map((v) => v.uuid));
    expect(a.containers?.map((c) => c.externalId)).not.toEqual(b.containers?.map((c) => c.externalId));
  });

  it("defaults collectedAt to a fixed date and keeps every time at or before it", () => {
    expect(generateCustomerSnapshot("acme").collectedAt).toBe("2026-01-01T00:00:00.000Z");
    const collectedAt = "2025-06-30T12:00:00.000Z";
    const s = parseSnapshot(generateCustomerSnapshot("initech", { collectedAt }));
    expect(s.collectedAt).toBe(collectedAt);
    const times = [
      ...s.virtualMachines.map((v) => v.snapshotOldestAt),
      ...s.containers.flatMap((c) => [c.createdAt, c.startedAt]),
      ...s.images.map((i) => i.createdAt),
    ].filter((t): t is string => t !== null);
    expect(times.length).toBeGreaterThan(100);
    expect(times.every((t) => Date.parse(t) <= Date.parse(collectedAt))).toBe(true);
  });

  it("honours the vms option exactly", () => {
    for (const vms of [0, 1, 37, 333]) {
      const s = parseSnapshot(generateCustomerSnapshot("northwind", { vms }));
      expect(s.virtualMachines).toHaveLength(vms);
    }
  });

  it("honours containersPerEngine, 0 meaning no engines", () => {
    const none = parseSnapshot(generateCustomerSnapshot("initech", { containersPerEngine: 0 }));
    expect(none.containers).toHaveLength(0);
    expect(engineHosts(none)).toHaveLength(0);
    const dense = parseSnapshot(generateCustomerSnapshot("initech", { containersPerEngine: 100 }));
    const perEngine = dense.containers.length / engineHosts(dense).length;
    expect(perEngine).toBeGreaterThan(70);
    expect(perEngine).toBeLessThan(130);
  });

  it("rejects unknown customers and bad counts", () => {
    expect(() => generateCustomerSnapshot("nobody")).toThrow(RangeError);
    expect(() => generateCustomerSnapshot("acme", { vms: -1 })).toThrow(RangeError);
    expect(() => generateCustomerSnapshot("acme", { collectedAt: "yesterday" })).toThrow(RangeError);
    expect(() => generateFleetSnapshot({ vms: 0, containers: 10 })).toThrow(RangeError);
    expect(() => generateFleetSnapshot({ vms: 10, containers: 1.5 })).toThrow(RangeError);
  });
});

describe("demo fleet: customers", () => {
  it("has 4-5 customers with distinct keys and differently sized estates", () => {
    expect(DEMO_CUSTOMERS.length).toBeGreaterThanOrEqual(4);
    expect(DEMO_CUSTOMERS.length).toBeLessThanOrEqual(5);
    expect(new Set(DEMO_CUSTOMERS.map((c) => c.key)).size).toBe(DEMO_CUSTOMERS.length);
    const sizes = customers.map((c) => c.snapshot.virtualMachines.length);
    expect(Math.min(...sizes)).toBeLessThanOrEqual(20);
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(60);
    // One customer is mostly containers.
    expect(customers.some((c) => c.snapshot.containers.length > 10 * c.snapshot.virtualMachines.length)).toBe(true);
  });

  it("prefixes every externalId with the customer key, so customers never collide", () => {
    const ids = new Set<string>();
    let count = 0;
    for (const { key, snapshot } of customers) {
      for (const item of [...snapshot.hosts, ...snapshot.virtualMachines, ...snapshot.containers, ...snapshot.images]) {
        expect(item.externalId.startsWith(`${key}:`)).toBe(true);
        ids.add(item.externalId);
        count++;
      }
    }
    expect(ids.size).toBe(count);
  });

  it("mixes guest OSes, power states and templates in the intended proportions", () => {
    expect(share(allVms, (v) => v.guestOsFamily === "windows")).toBeGreaterThan(0.17);
    expect(share(allVms, (v) => v.guestOsFamily === "windows")).toBeLessThan(0.33);
    expect(share(allVms, (v) => v.guestOsFamily === "linux")).toBeGreaterThan(0.6);
    const live = allVms.filter((v) => !v.template);
    expect(share(live, (v) => v.powerState === "poweredOff")).toBeGreaterThan(0.04);
    expect(share(live, (v) => v.powerState === "poweredOff")).toBeLessThan(0.14);
    for (const { snapshot } of customers) expect(snapshot.virtualMachines.some((v) => v.template)).toBe(true);
    expect(share(allVms, (v) => v.snapshotCount > 0)).toBeGreaterThan(0.04);
    expect(allVms.some((v) => v.guestOsId?.startsWith("http://"))).toBe(true);
    expect(allVms.some((v) => v.guestOsId?.endsWith("Guest"))).toBe(true);
    expect(allVms.some((v) => v.tpm && v.guestOsReported?.includes("2022"))).toBe(true);
  });

  it("keeps disk figures consistent: provisioned is the sum of disks, used below it", () => {
    for (const v of allVms) {
      expect(v.disks.length).toBeGreaterThanOrEqual(1);
      expect(v.provisionedMiB).toBe(v.disks.reduce((a, d) => a + (d.capacityMiB ?? 0), 0));
      expect(v.usedMiB).toBeLessThan(v.provisionedMiB ?? 0);
      if (v.guestDiskFreeMiB !== null) expect(v.guestDiskFreeMiB).toBeLessThan(v.guestDiskCapacityMiB ?? 0);
    }
  });

  it("sizes clusters to a plausible vCPU:pCore overcommit", () => {
    for (const { snapshot } of customers) {
      const vcpus = new Map<string, number>();
      for (const v of snapshot.virtualMachines) {
        if (v.powerState !== "poweredOn" || v.template || !v.hostExternalId) continue;
        vcpus.set(v.hostExternalId, (vcpus.get(v.hostExternalId) ?? 0) + v.vcpus);
      }
      const clusters = new Map<string, { vcpus: number; cores: number }>();
      for (const h of snapshot.hosts.filter((h) => h.role === "hypervisor" && h.cluster)) {
        const c = clusters.get(h.cluster ?? "") ?? { vcpus: 0, cores: 0 };
        c.vcpus += vcpus.get(h.externalId) ?? 0;
        c.cores += h.cpuCores;
        clusters.set(h.cluster ?? "", c);
      }
      expect(clusters.size).toBeGreaterThan(0);
      for (const c of clusters.values()) {
        expect(c.vcpus / c.cores).toBeGreaterThan(1.5);
        expect(c.vcpus / c.cores).toBeLessThan(6.5);
      }
    }
  });

  it("links every engine host to exactly one VM by uuid, MACs and hostname", () => {
    for (const { snapshot } of customers) {
      const engines = engineHosts(snapshot);
      expect(engines.length).toBeGreaterThan(0);
      for (const host of engines) {
        const vms = snapshot.virtualMachines.filter((v) => v.uuid === host.hardwareUuid);
        expect(vms).toHaveLength(1);
        expect(vms[0]?.hostname).toBe(host.hostname);
        expect(vms[0]?.macAddresses).toEqual(host.macAddresses);
        expect(vms[0]?.guestOsFamily).toBe("linux");
        expect(vms[0]?.powerState).toBe("poweredOn");
      }
    }
  });

  it("gives every customer the isolation findings that matter", () => {
    for (const { key, snapshot } of customers) {
      const containers = snapshot.containers;
      const hosts = new Map(snapshot.hosts.map((h) => [h.externalId, h]));
      expect(containers.some((c) => c.privileged), key).toBe(true);
      expect(containers.some((c) => c.memoryLimitBytes === 0), key).toBe(true);
      expect(containers.some((c) => c.mounts.some((m) => m.destination === "/var/run/docker.sock")), key).toBe(true);
      expect([...tenantsPerHost(snapshot).values()].some((t) => t.size >= 2), key).toBe(true);
      const kata = containers.filter((c) => c.runtime?.includes("kata"));
      expect(kata.length, key).toBeGreaterThan(0);
      for (const c of kata) expect(hosts.get(c.hostExternalId)?.runtimes).toContain(c.runtime);
    }
  });

  it("spreads container security settings in plausible proportions", () => {
    const containers = customers.flatMap((c) => c.snapshot.containers);
    const root = (user: string | null) => user === null || user === "" || user === "0" || user === "root";
    expect(share(containers, (c) => root(c.user))).toBeGreaterThan(0.15);
    expect(share(containers, (c) => root(c.user))).toBeLessThan(0.5);
    expect(share(containers, (c) => c.memoryLimitBytes === 0)).toBeGreaterThan(0.3);
    expect(share(containers, (c) => c.memoryLimitBytes === 0)).toBeLessThan(0.7);
    expect(share(containers, (c) => c.privileged)).toBeLessThan(0.06);
    expect(share(containers, (c) => c.state === "running")).toBeGreaterThan(0.8);
    expect(containers.some((c) => c.state === "exited")).toBe(true);
    expect(containers.some((c) => c.networkMode === "host")).toBe(true);
    expect(containers.some((c) => c.pidMode === "host")).toBe(true);
    expect(containers.some((c) => c.seccompProfile === "unconfined")).toBe(true);
    expect(containers.some((c) => c.capAdd.includes("SYS_ADMIN") || c.capAdd.includes("NET_ADMIN"))).toBe(true);
    expect(containers.some((c) => c.mounts.some((m) => m.type === "bind" && ["/", "/etc", "/proc", "/sys"].includes(m.source ?? "")))).toBe(true);
    expect(containers.some((c) => c.noNewPrivileges)).toBe(true);
    expect(containers.some((c) => c.readOnlyRootfs)).toBe(true);
    expect(containers.some((c) => c.nanoCpus > 0 || c.cpuShares > 0)).toBe(true);
    expect(containers.some((c) => (c.pidsLimit ?? 0) > 0)).toBe(true);
  });

  it("builds images from shared layers, sized as the sum of their layers", () => {
    const images = customers.flatMap((c) => c.snapshot.images);
    const refsByLayer = new Map<string, Set<string>>();
    for (const image of images) {
      expect(image.sizeBytes).toBe(image.layers.reduce((a, l) => a + l.sizeBytes, 0));
      for (const layer of image.layers) {
        expect(layer.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        const refs = refsByLayer.get(layer.digest) ?? new Set<string>();
        refs.add(image.repoTags.join());
        refsByLayer.set(layer.digest, refs);
      }
    }
    // A base layer (debian, alpine) under several different images.
    expect(Math.max(...[...refsByLayer.values()].map((r) => r.size))).toBeGreaterThanOrEqual(5);
    // The same image on several hosts of one customer.
    const initech = customers.find((c) => c.key === "initech")?.snapshot;
    const hostsPerTag = new Map<string, number>();
    for (const image of initech?.images ?? []) hostsPerTag.set(image.repoTags.join(), (hostsPerTag.get(image.repoTags.join()) ?? 0) + 1);
    expect(Math.max(...hostsPerTag.values())).toBeGreaterThanOrEqual(2);
  });

  it("keeps images per engine host bounded", () => {
    for (const { snapshot } of customers) {
      const perHost = new Map<string, number>();
      for (const image of snapshot.images) perHost.set(image.hostExternalId, (perHost.get(image.hostExternalId) ?? 0) + 1);
      for (const n of perHost.values()) expect(n).toBeLessThanOrEqual(50);
    }
  });
});

describe("demo fleet: benchmark fleet", () => {
  it("gives exactly the VMs and containers asked for, and passes the contract", () => {
    const s = parseSnapshot(generateFleetSnapshot({ vms: 2000, containers: 20_000 }));
    expect(s.virtualMachines).toHaveLength(2000);
    expect(s.containers).toHaveLength(20_000);
    const engines = engineHosts(s);
    expect(engines.length).toBeGreaterThan(300);
    const uuids = new Set(s.virtualMachines.map((v) => v.uuid));
    expect(engines.every((h) => h.hardwareUuid !== null && uuids.has(h.hardwareUuid))).toBe(true);
  });

  it("handles tiny fleets and fleets without containers", () => {
    const tiny = parseSnapshot(generateFleetSnapshot({ vms: 1, containers: 50 }));
    expect(tiny.virtualMachines).toHaveLength(1);
    expect(tiny.containers).toHaveLength(50);
    const vmsOnly = parseSnapshot(generateFleetSnapshot({ vms: 10, containers: 0 }));
    expect(vmsOnly.virtualMachines).toHaveLength(10);
    expect(vmsOnly.containers).toHaveLength(0);
    expect(engineHosts(vmsOnly)).toHaveLength(0);
  });
});

describe("demo fleet: what each VM is", () => {
  const vms = generateCustomerSnapshot("northwind").virtualMachines ?? [];

  it("has vendor appliances with their OVF product, vCLS system VMs managed by ESX Agent Manager, and custom attributes", () => {
    const appliances = vms.filter((v) => v.product);
    expect(appliances.length).toBeGreaterThan(0);
    for (const v of appliances) expect(v.product).toMatchObject({ name: expect.any(String), vendor: expect.any(String) });
    const vcls = vms.filter((v) => v.managedBy);
    expect(vcls.length).toBeGreaterThan(0);
    for (const v of vcls) {
      expect(v).toMatchObject({ managedBy: { extensionKey: "com.vmware.vim.eam", type: "cluster-agent" }, vcpus: 1, memoryMiB: 128, guestOsId: "vmwarePhoton64Guest" });
      expect(v.name).toMatch(/^vCLS-/);
    }
    // Near miss: a template is never given custom attributes or a product here.
    expect(vms.filter((v) => v.template && (v.product || Object.keys(v.attributes ?? {}).length))).toEqual([]);
    expect(vms.some((v) => Object.keys(v.attributes ?? {}).length > 0)).toBe(true);
  });

  it("is deterministic and gives libvirt domains titles, never vSphere product fields", () => {
    expect(generateCustomerSnapshot("globex").virtualMachines).toEqual(generateCustomerSnapshot("globex").virtualMachines);
    const kvm = (generateCustomerSnapshot("globex").virtualMachines ?? []).filter((v) => v.instanceUuid == null);
    expect(kvm.some((v) => v.title)).toBe(true);
    expect(kvm.filter((v) => v.managedBy)).toEqual([]);
  });
});

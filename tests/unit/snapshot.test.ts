import { describe, expect, it } from "vitest";
import { parseSnapshot, SnapshotValidationError } from "@/server/inventory/snapshot";
import { smallSnapshot } from "../fixtures/snapshots";

describe("snapshot validation", () => {
  it("fills defaults: unknown facts are null, flags false, lists empty", () => {
    const snapshot = parseSnapshot(smallSnapshot());
    const vm = snapshot.virtualMachines[0]!;
    expect(vm.template).toBe(false);
    expect(vm.toolsStatus).toBeNull();
    expect(vm.snapshotCount).toBe(0);
    expect(snapshot.containers[0]!.pidsLimit).toBeNull();
    expect(snapshot.containers[0]!.capDrop).toEqual([]);
    expect(snapshot.hosts[0]!.memorySharing).toBe("unknown");
    expect(snapshot.hosts.map((h) => h.rootless)).toEqual([false, false]);
  });

  it("keeps a disk's unknown capacity null, never 0, and refuses a negative one", () => {
    const input = smallSnapshot();
    input.virtualMachines![0]!.disks = [{ key: "vda" }, { key: "vdb", capacityMiB: null }, { key: "vdc", capacityMiB: 0 }];
    const disks = parseSnapshot(input).virtualMachines[0]!.disks;
    expect(disks.map((d) => [d.key, d.capacityMiB])).toEqual([["vda", null], ["vdb", null], ["vdc", 0]]);

    input.virtualMachines![0]!.disks = [{ key: "vda", capacityMiB: -1 }];
    expect(() => parseSnapshot(input)).toThrow(/virtualMachines\.0\.disks\.0\.capacityMiB/);
  });

  it("knows the paused power state apart from suspended", () => {
    const input = smallSnapshot();
    input.virtualMachines![0]!.powerState = "paused";
    input.virtualMachines![1]!.powerState = "suspended";
    expect(parseSnapshot(input).virtualMachines.map((v) => v.powerState)).toEqual(["paused", "suspended", "poweredOn"]);

    (input.virtualMachines![0] as { powerState: string }).powerState = "hibernating";
    expect(() => parseSnapshot(input)).toThrow(/virtualMachines\.0\.powerState/);
  });

  it("keeps a host's rootless flag, and refuses one that is not a boolean", () => {
    const input = smallSnapshot();
    input.hosts![1]!.rootless = true;
    expect(parseSnapshot(input).hosts.map((h) => h.rootless)).toEqual([false, true]);

    (input.hosts![1] as { rootless: unknown }).rootless = "yes";
    expect(() => parseSnapshot(input)).toThrow(/hosts\.1\.rootless/);
  });

  it("names the bad path", () => {
    const bad = smallSnapshot() as unknown as { containers: Record<string, unknown>[] };
    bad.containers[2]!.state = "sleeping";
    expect(() => parseSnapshot(bad)).toThrow(SnapshotValidationError);
    expect(() => parseSnapshot(bad)).toThrow(/containers\.2\.state/);
  });

  it("rejects duplicate external ids and dangling references", () => {
    const dup = smallSnapshot();
    dup.virtualMachines!.push({ ...dup.virtualMachines![0]! });
    expect(() => parseSnapshot(dup)).toThrow(/virtualMachines\.3\.externalId: duplicate externalId "vm-0"/);

    const dangling = smallSnapshot();
    dangling.containers![1]!.imageExternalId = "sha256:missing";
    expect(() => parseSnapshot(dangling)).toThrow(/containers\.1\.imageExternalId/);
  });

  it("is not fooled by wrong types in a malformed API answer", () => {
    expect(() => parseSnapshot({ collectedAt: "yesterday" })).toThrow(/collectedAt/);
    expect(() => parseSnapshot(null)).toThrow(SnapshotValidationError);
    expect(() => parseSnapshot({ ...smallSnapshot(), hosts: "nope" })).toThrow(/hosts/);
  });
});

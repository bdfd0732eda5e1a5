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

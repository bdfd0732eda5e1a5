import { describe, expect, it } from "vitest";
import {
  INT4_MAX,
  LABEL_LIMITS,
  MAX_CROSS_ISSUES,
  MAX_INVALID_ELEMENTS,
  MAX_ISSUES_PER_ELEMENT,
  parseSnapshot,
  SnapshotValidationError,
} from "@/server/inventory/snapshot";
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

/** The error parseSnapshot throws for this input (fails the test if it does not throw). */
function refusal(input: unknown): SnapshotValidationError {
  try {
    parseSnapshot(input);
  } catch (error) {
    if (error instanceof SnapshotValidationError) return error;
    throw error;
  }
  throw new Error("the snapshot was accepted");
}

describe("snapshot bounds (security review M5, M6)", () => {
  it("bounds counts stored in int4 columns to int4, naming the field", () => {
    const input = smallSnapshot();
    input.virtualMachines![0]!.vcpus = INT4_MAX;
    input.virtualMachines![1]!.snapshotCount = INT4_MAX;
    input.containers![0]!.cpuShares = INT4_MAX;
    // cpuPeriod is a bigint column: a larger (safe) integer is fine there.
    input.containers![1]!.cpuPeriod = 2 ** 40;
    expect(parseSnapshot(input).virtualMachines[0]!.vcpus).toBe(INT4_MAX);

    input.virtualMachines![0]!.vcpus = 2 ** 31;
    expect(refusal(input).message).toMatch(/virtualMachines\.0\.vcpus: Too big: expected number to be <=2147483647/);
    input.virtualMachines![0]!.vcpus = 4;
    input.virtualMachines![1]!.snapshotCount = 2 ** 31;
    expect(refusal(input).message).toMatch(/virtualMachines\.1\.snapshotCount: Too big/);
    input.virtualMachines![1]!.snapshotCount = 0;
    input.containers![0]!.cpuShares = 2 ** 40;
    expect(refusal(input).message).toMatch(/containers\.0\.cpuShares: Too big/);
    input.containers![0]!.cpuShares = 0;
    input.hosts![0]!.cpuCores = 2 ** 31;
    expect(refusal(input).message).toMatch(/hosts\.0\.cpuCores: Too big/);
  });

  it("refuses NUL in any string with the path, label keys and values included", () => {
    const cases: [(s: ReturnType<typeof smallSnapshot>) => void, RegExp][] = [
      [(s) => void (s.containers![0]!.name = "we\0b"), /containers\.0\.name: must not contain NUL/],
      [(s) => void (s.virtualMachines![2]!.annotation = "\0"), /virtualMachines\.2\.annotation: must not contain NUL/],
      [(s) => void (s.hosts![0]!.ipAddresses = ["10.0.0.1", "10.\0"]), /hosts\.0\.ipAddresses\.1: must not contain NUL/],
      [(s) => void (s.containers![1]!.labels = { "a\0b": "x" }), /containers\.1\.labels\."a\\u0000b": label key must not contain NUL/],
      [(s) => void (s.containers![1]!.labels = { tenant: "ac\0me" }), /containers\.1\.labels\.tenant: must not contain NUL/],
      [(s) => void (s.virtualMachines![0]!.disks = [{ key: "vd\0a" }]), /virtualMachines\.0\.disks\.0\.key: must not contain NUL/],
      [(s) => void (s.warnings = ["fine", "not\0fine"]), /warnings\.1: must not contain NUL/],
    ];
    for (const [spoil, path] of cases) {
      const input = smallSnapshot();
      spoil(input);
      const error = refusal(input);
      expect(error.message).toMatch(path);
      // The message itself holds no NUL: it is stored in the run's error (Postgres text).
      expect(error.message).not.toContain("\0");
    }
  });

  it("bounds container labels: count, key and value length, total size", () => {
    const withLabels = (labels: Record<string, string>) => {
      const input = smallSnapshot({ containers: 1 });
      input.containers![0]!.labels = labels;
      return input;
    };
    const many = (n: number, value = "v") => Object.fromEntries(Array.from({ length: n }, (_, i) => [`l${i}`, value]));
    expect(Object.keys(parseSnapshot(withLabels(many(LABEL_LIMITS.count))).containers[0]!.labels)).toHaveLength(256);
    expect(refusal(withLabels(many(LABEL_LIMITS.count + 1))).message).toMatch(/containers\.0\.labels: too many labels: at most 256/);
    expect(refusal(withLabels({ big: "x".repeat(LABEL_LIMITS.valueLength + 1) })).message).toMatch(
      /containers\.0\.labels\.big: Too big: expected string to have <=4096 characters/,
    );
    expect(refusal(withLabels({ ["k".repeat(LABEL_LIMITS.keyLength + 1)]: "v" })).message).toMatch(
      /containers\.0\.labels\.k+…: label key longer than 512 characters/,
    );
    // 16 values of 4,096 characters are each fine, together over 64 KiB.
    expect(refusal(withLabels(many(16, "x".repeat(LABEL_LIMITS.valueLength)))).message).toMatch(
      /containers\.0\.labels: labels too large/,
    );
    expect(parseSnapshot(withLabels(many(15, "x".repeat(LABEL_LIMITS.valueLength)))).containers).toHaveLength(1);
  });

  it("refuses a disk key twice in one VM, naming the second (the table's unique key)", () => {
    const input = smallSnapshot();
    input.virtualMachines![2]!.disks = [{ key: "2000" }, { key: "2000", capacityMiB: 1 }];
    expect(refusal(input).message).toMatch(/virtualMachines\.2\.disks\.1\.key: duplicate disk key "2000"/);
  });
});

describe("validation cost is bounded (security review L7)", () => {
  it("stops after the first invalid objects of a million, reporting a bounded number of issues", () => {
    const containers = Array.from({ length: 1_000_000 }, (_, i) => ({ externalId: `c${i}`, name: 1 }));
    const error = refusal({ collectedAt: "2026-01-01T00:00:00Z", containers });
    expect(error.issues.length).toBeGreaterThan(0);
    expect(error.issues.length).toBeLessThanOrEqual(MAX_INVALID_ELEMENTS * MAX_ISSUES_PER_ELEMENT);
    expect(new Set(error.issues.map((i) => i.path[1])).size).toBe(MAX_INVALID_ELEMENTS);
    expect(error.message).toMatch(/^invalid snapshot: containers\.0\.name: Invalid input: expected string, received number/);
    expect(error.message).toContain(`stopped after ${MAX_INVALID_ELEMENTS} invalid objects, ${MAX_INVALID_ELEMENTS} of 1000000 checked`);
  }, 60_000);

  it("bounds the issues between objects too: 100,000 duplicate ids", () => {
    const input = smallSnapshot({ containers: 1 });
    input.containers = Array.from({ length: 100_000 }, () => input.containers![0]!);
    const error = refusal(input);
    expect(error.issues).toHaveLength(MAX_CROSS_ISSUES);
    expect(error.message).toMatch(/containers\.1\.externalId: duplicate externalId "c0"/);
  }, 60_000);

  it("counts a container's labels before checking them: a million bad labels are one issue", () => {
    const input = smallSnapshot({ containers: 1 });
    input.containers![0]!.labels = Object.fromEntries(Array.from({ length: 1_000_000 }, (_, i) => [`k${i}`, i])) as never;
    const error = refusal(input);
    expect(error.issues).toHaveLength(1);
    expect(error.message).toMatch(/containers\.0\.labels: too many labels/);
  }, 60_000);
});

import { describe, expect, it } from "vitest";
import { MAX_SALVAGE_WARNINGS, salvageSnapshot } from "@/server/inventory/salvage";
import {
  LABEL_LIMITS,
  parseSnapshot,
  SnapshotValidationError,
  type Snapshot,
  type SnapshotInput,
} from "@/server/inventory/snapshot";
import { smallSnapshot } from "../fixtures/snapshots";

/**
 * Salvaged, then validated strictly as ingest does: salvage's output must always pass. Cloned, so
 * that parseSnapshot checks every object again instead of taking salvage's as validated.
 */
function salvaged(input: unknown): Snapshot {
  return parseSnapshot(structuredClone(salvageSnapshot(input)));
}

const warningsAbout = (snapshot: Snapshot, word: string) => snapshot.warnings.filter((w) => w.includes(word));

describe("salvageSnapshot", () => {
  it("leaves a valid snapshot as validation gives it, without warnings", () => {
    const input = smallSnapshot();
    input.warnings = ["container x vanished"];
    expect(salvaged(input)).toEqual(parseSnapshot(input));
  });

  it("hands its objects to parseSnapshot as validated: they are not parsed again", () => {
    const out = salvageSnapshot(smallSnapshot()) as Snapshot;
    const parsed = parseSnapshot(out);
    expect(parsed.containers[0]).toBe(out.containers[0]);
    expect(parsed.virtualMachines[0]).toBe(out.virtualMachines[0]);
  });

  it("never modifies its input", () => {
    const input = smallSnapshot() as SnapshotInput & { containers: { labels: Record<string, string> }[] };
    input.containers[0]!.labels["a\0b"] = "c\0d";
    input.containers[1]!.labels.big = "x".repeat(70_000);
    input.virtualMachines![0]!.vcpus = 2 ** 31;
    const before = structuredClone(input);
    salvageSnapshot(input);
    expect(input).toEqual(before);
  });

  it("removes NUL from every string, label keys included, and says where", () => {
    const input = smallSnapshot();
    input.containers![0]!.name = "we\0b-0";
    input.containers![0]!.labels = { "ten\0ant": "ac\0me", "com.docker.compose.project": "shop" };
    input.hosts![1]!.ipAddresses = ["10.0.0.\u00009"];
    input.warnings = ["from the\0 collector"];
    const snapshot = salvaged(input);
    expect(snapshot.containers[0]!.name).toBe("web-0");
    expect(snapshot.containers[0]!.labels).toEqual({ tenant: "acme", "com.docker.compose.project": "shop" });
    expect(snapshot.hosts[1]!.ipAddresses).toEqual(["10.0.0.9"]);
    expect(snapshot.warnings[0]).toBe("from the collector");
    expect(warningsAbout(snapshot, '"c0"')).toEqual([
      'repaired container "web-0" (externalId "c0"): removed NUL characters from name, labels.tenant (key), labels.tenant',
    ]);
    expect(warningsAbout(snapshot, "engine-1")[0]).toMatch(/^repaired host "docker01" .*ipAddresses\.0/);
  });

  it("truncates a 70 KB label value and an oversized annotation, naming the object and field", () => {
    const input = smallSnapshot();
    input.containers![1]!.labels = { tenant: "globex", note: "x".repeat(70_000) };
    input.virtualMachines![2]!.annotation = "y".repeat(10_000_000);
    const snapshot = salvaged(input);
    expect(snapshot.containers[1]!.labels.note).toHaveLength(LABEL_LIMITS.valueLength);
    expect(snapshot.containers[1]!.labels.tenant).toBe("globex");
    expect(snapshot.virtualMachines[2]!.annotation).toHaveLength(4096);
    expect(warningsAbout(snapshot, '"c1"')).toEqual([
      'repaired container "web-1" (externalId "c1"): labels cut to the limits: truncated 1 values to 4096 characters',
    ]);
    expect(warningsAbout(snapshot, '"vm-2"')).toEqual([
      'repaired virtual machine "app-2" (externalId "vm-2"): truncated annotation from 10000000 to 4096 characters',
    ]);
  });

  it("does not split a surrogate pair when it truncates", () => {
    const input = smallSnapshot({ containers: 1 });
    input.containers![0]!.labels = { emoji: `${"a".repeat(LABEL_LIMITS.valueLength - 1)}😀😀` };
    const value = salvaged(input).containers[0]!.labels.emoji!;
    expect(value).toBe("a".repeat(LABEL_LIMITS.valueLength - 1));
  });

  it("cuts a label bomb to the limits, keeping the labels the analyses read, one warning for the container", () => {
    const input = smallSnapshot({ containers: 2 });
    const bomb: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) bomb[`bomb.${i}`] = "z".repeat(1024 + i);
    input.containers![0]!.labels = { ...bomb, team: "red", tenant: "acme", "com.docker.compose.project": "shop" };
    const snapshot = salvaged(input);
    const labels = snapshot.containers[0]!.labels;
    const size = Object.entries(labels).reduce((n, [k, v]) => n + k.length + v.length, 0);
    expect(Object.keys(labels).length).toBeLessThanOrEqual(LABEL_LIMITS.count);
    expect(size).toBeLessThanOrEqual(LABEL_LIMITS.totalLength);
    expect(labels).toMatchObject({ tenant: "acme", "com.docker.compose.project": "shop", team: "red" });
    // The smallest of the rest are kept first.
    expect(labels["bomb.0"]).toBeDefined();
    expect(labels["bomb.999"]).toBeUndefined();
    expect(warningsAbout(snapshot, '"c0"')).toHaveLength(1);
    expect(warningsAbout(snapshot, '"c0"')[0]).toMatch(/^repaired container "web-0" \(externalId "c0"\): labels cut to the limits: dropped \d+ over 256 labels/);
    expect(snapshot.containers[1]!.labels).toEqual({ tenant: "globex", "com.docker.compose.project": "shop" });
  });

  it("keeps a source's own tenant label first when told", () => {
    const input = smallSnapshot({ containers: 1 });
    const labels: Record<string, string> = { "customer.name": "a".repeat(4000) };
    for (let i = 0; i < 300; i++) labels[`l${i}`] = "b";
    input.containers![0]!.labels = labels;
    const kept = parseSnapshot(salvageSnapshot(input, { keepLabels: ["customer.name"] })).containers[0]!.labels;
    expect(kept["customer.name"]).toHaveLength(4000);
    const dropped = salvaged(input).containers[0]!.labels;
    expect(dropped["customer.name"]).toBeUndefined();
  });

  it("drops the one object that cannot be repaired (an int beyond int4, a bad enum), naming it and the field", () => {
    const input = smallSnapshot({ vms: 4, containers: 4 });
    input.virtualMachines![1]!.vcpus = 2 ** 31;
    (input.containers![2] as { state: string }).state = "sleeping";
    input.containers![3]!.cpuShares = 2 ** 40;
    const snapshot = salvaged(input);
    expect(snapshot.virtualMachines.map((v) => v.externalId)).toEqual(["vm-0", "vm-2", "vm-3"]);
    expect(snapshot.containers.map((c) => c.externalId)).toEqual(["c0", "c1"]);
    expect(snapshot.warnings).toEqual([
      'dropped virtual machine "app-1" (externalId "vm-1"): vcpus: Too big: expected number to be <=2147483647',
      'dropped container "web-2" (externalId "c2"): state: Invalid option: expected one of "created"|"running"|"paused"|"restarting"|"removing"|"exited"|"dead"|"unknown"',
      'dropped container "web-3" (externalId "c3"): cpuShares: Too big: expected number to be <=2147483647',
    ]);
  });

  it("keeps the first of a duplicate disk key and of a duplicate externalId", () => {
    const input = smallSnapshot();
    input.virtualMachines![2]!.disks = [{ key: "2000", capacityMiB: 1 }, { key: "2000", capacityMiB: 2 }, { key: "2001" }];
    input.containers!.push({ ...input.containers![0]!, name: "impostor" });
    const snapshot = salvaged(input);
    expect(snapshot.virtualMachines[2]!.disks.map((d) => [d.key, d.capacityMiB])).toEqual([["2000", 1], ["2001", null]]);
    expect(snapshot.containers.map((c) => c.name)).toEqual(["web-0", "web-1", "web-2", "web-3"]);
    expect(snapshot.warnings).toEqual([
      'dropped container "impostor" (externalId "c0"): externalId: duplicate externalId "c0" (the first is kept)',
      'repaired virtual machine "app-2" (externalId "vm-2"): dropped its disk disks.1.key: duplicate disk key "2000" in this VM (the first is kept)',
    ]);
  });

  it("clears a VM's reference to a dropped host, drops what must have one, and clears references to dropped images", () => {
    const input = smallSnapshot({ vms: 2, containers: 2 });
    input.hosts![0]!.cpuCores = -1; // esx01: dropped
    input.images![0]!.hostExternalId = "engine-gone"; // img1: dropped, so containers lose their image
    input.containers![1]!.hostExternalId = "engine-gone";
    const snapshot = salvaged(input);
    expect(snapshot.hosts.map((h) => h.externalId)).toEqual(["engine-1"]);
    expect(snapshot.virtualMachines.map((v) => v.hostExternalId)).toEqual([null, null]);
    expect(snapshot.images.map((i) => i.externalId)).toEqual(["sha256:img2"]);
    expect(snapshot.containers.map((c) => [c.externalId, c.imageExternalId])).toEqual([["c0", null]]);
    expect(snapshot.warnings).toEqual([
      'dropped host "esx01.lab" (externalId "host-1"): cpuCores: Too small: expected number to be >=0',
      'repaired virtual machine "docker01" (externalId "vm-0"): hostExternalId: no host with externalId "host-1" in this snapshot; host cleared',
      'repaired virtual machine "app-1" (externalId "vm-1"): hostExternalId: no host with externalId "host-1" in this snapshot; host cleared',
      'dropped container "web-1" (externalId "c1"): hostExternalId: no host with externalId "engine-gone" in this snapshot',
      'dropped image "nginx:1.27" (externalId "sha256:img1"): hostExternalId: no host with externalId "engine-gone" in this snapshot',
      'repaired container "web-0" (externalId "c0"): imageExternalId: no image with externalId "sha256:img1" in this snapshot; image cleared',
    ]);
  });

  it("keeps the first entries of a list that is too long", () => {
    const input = smallSnapshot({ vms: 1 });
    input.virtualMachines![0]!.ipAddresses = Array.from({ length: 10_001 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
    const snapshot = salvaged(input);
    expect(snapshot.virtualMachines[0]!.ipAddresses).toHaveLength(10_000);
    expect(snapshot.warnings).toEqual([
      'repaired virtual machine "docker01" (externalId "vm-0"): kept the first 10000 of 10001 ipAddresses',
    ]);
  });

  it("bounds its own warnings", () => {
    const input = smallSnapshot({ containers: 0 });
    input.containers = Array.from({ length: MAX_SALVAGE_WARNINGS + 500 }, (_, i) => ({ externalId: `bad${i}` }) as never);
    const snapshot = salvaged(input);
    expect(snapshot.containers).toEqual([]);
    expect(snapshot.warnings).toHaveLength(MAX_SALVAGE_WARNINGS + 1);
    expect(snapshot.warnings.at(-1)).toBe(`500 more objects repaired or dropped (first ${MAX_SALVAGE_WARNINGS} listed)`);
  });

  it("leaves what it cannot help for validation to refuse", () => {
    for (const input of [null, "snapshot", [], { ...smallSnapshot(), version: 2 }, { ...smallSnapshot(), hosts: "nope" }, { collectedAt: "yesterday" }]) {
      expect(() => salvaged(input)).toThrow(SnapshotValidationError);
    }
    expect(salvageSnapshot("snapshot")).toBe("snapshot");
    const wrongVersion = { ...smallSnapshot(), version: 2 };
    expect(salvageSnapshot(wrongVersion)).toBe(wrongVersion);
  });

  it("drops a guest whose facts are invalid (a compromised guest's NUL, a negative size) naming it, keeps the others and their first-use keys", () => {
    const guest = (target: string, extra: Record<string, unknown> = {}) => ({
      target,
      collectedAt: "2026-12-05T10:00:00Z",
      os: {},
      memory: {},
      security: {},
      ...extra,
    });
    const out = salvaged({
      ...smallSnapshot(),
      guests: [
        guest("root@10.0.0.1:22", { hostname: "web\u0000evil" }),
        guest("root@10.0.0.2:22", { memory: { totalMiB: -5 } }),
        guest("root@10.0.0.3:22", { hostname: "db01" }),
        "not a guest",
      ],
      hostKeys: [
        { host: "10.0.0.3:22", fingerprint: "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s" },
        { host: "10.0.0.4:22", fingerprint: "MD5:aa:bb" },
      ],
    });
    expect(out.guests.map((g) => g.target)).toEqual(["root@10.0.0.3:22"]);
    expect(out.guests[0]!.hostname).toBe("db01");
    expect(out.hostKeys.map((k) => k.host)).toEqual(["10.0.0.3:22"]);
    expect(warningsAbout(out, "dropped guest")).toEqual([
      expect.stringMatching(/^dropped guest "root@10\.0\.0\.1:22": hostname: must not contain NUL/),
      expect.stringMatching(/^dropped guest "root@10\.0\.0\.2:22": memory\.totalMiB: /),
      expect.stringMatching(/^dropped guest #3: /),
    ]);
    expect(warningsAbout(out, "dropped host key")).toEqual([expect.stringMatching(/^dropped host key "10\.0\.0\.4:22": fingerprint: /)]);
    // The inventory beside them is untouched.
    expect(out.virtualMachines).toEqual(parseSnapshot(smallSnapshot()).virtualMachines);
  });
});

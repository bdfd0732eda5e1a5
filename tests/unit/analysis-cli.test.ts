/**
 * The analyse CLI over snapshot files in a temporary folder: the --json shape, linking an engine
 * snapshot to the VM of a hypervisor snapshot across files, errors that name the file, usage.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAnalyseCli } from "@/server/analysis/cli";
import { UsageError } from "@/server/cli/args";
import type { SnapshotInput } from "@/server/inventory/snapshot";

const AT = "2026-11-01T10:00:00.000Z";
const MIB = 1024 * 1024;

const hypervisorSnapshot: SnapshotInput = {
  collectedAt: AT,
  hosts: [{ externalId: "esx-1", name: "esx01", role: "hypervisor", platform: "esxi", cpuCores: 32, memoryMiB: 524288, cluster: "prod" }],
  virtualMachines: [
    {
      externalId: "vm-1",
      name: "web01",
      hostExternalId: "esx-1",
      uuid: "4221bbbb-0000-0000-0000-000000000001",
      powerState: "poweredOn",
      vcpus: 2,
      memoryMiB: 8192,
      provisionedMiB: 81920,
      guestOsReported: "Red Hat Enterprise Linux 9.4 (Plow)",
      guestOsFamily: "linux",
      hostname: "web01.lab",
      ipAddresses: ["10.0.0.11"],
      nicCount: 1,
      disks: [{ key: "2000", capacityMiB: 81920, datastore: "ds1" }],
    },
    {
      externalId: "vm-2",
      name: "win01",
      hostExternalId: "esx-1",
      uuid: "4221bbbb-0000-0000-0000-000000000002",
      powerState: "poweredOn",
      vcpus: 4,
      memoryMiB: 16384,
      guestOsReported: "Microsoft Windows Server 2022 (64-bit)",
      guestOsFamily: "windows",
      hostname: "win01",
      ipAddresses: ["10.0.0.12"],
      nicCount: 1,
      disks: [{ key: "2000", capacityMiB: 81920, datastore: "ds1" }],
    },
    {
      externalId: "vm-3",
      name: "docker01",
      hostExternalId: "esx-1",
      uuid: "4221AAAA-0000-0000-0000-000000000001",
      powerState: "poweredOn",
      vcpus: 4,
      memoryMiB: 16384,
      guestOsReported: "Ubuntu 22.04.4 LTS",
      guestOsFamily: "linux",
      hostname: "docker01.lab",
      ipAddresses: ["10.0.0.13"],
      nicCount: 1,
      disks: [{ key: "2000", capacityMiB: 81920, datastore: "ds1" }],
    },
  ],
};

const engineSnapshot: SnapshotInput = {
  collectedAt: AT,
  hosts: [
    {
      externalId: "engine-1",
      name: "docker01",
      role: "container-engine",
      platform: "docker",
      cpuCores: 4,
      memoryMiB: 16384,
      hardwareUuid: "4221aaaa-0000-0000-0000-000000000001",
      runtimes: ["runc", "kata"],
    },
  ],
  containers: [
    {
      externalId: "c-1",
      name: "app",
      hostExternalId: "engine-1",
      image: "app:1",
      state: "running",
      user: "app",
      capAdd: ["NET_ADMIN"],
      memoryLimitBytes: 512 * MIB,
      labels: { team: "blue" },
    },
    {
      externalId: "c-2",
      name: "infra",
      hostExternalId: "engine-1",
      image: "nginx:1.27",
      state: "running",
      user: "nginx",
      memoryLimitBytes: 256 * MIB,
      labels: { team: "red" },
    },
  ],
};

interface JsonReport {
  verdicts: { name: string; kind: string; verdict: string; ruleIds: string[]; reason: string; host: string | null; saving: { ramMiB: number; diskMiB: number; cpuMillis: number } }[];
  findings: { ruleId: string; severity: string; name: string; kind: string; detail: string | null }[];
  density: { physicalHosts: number; containers: number; workloads: number };
  migration: { verdicts: Record<string, number> };
}

let dir = "";
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fleetlens-analyse-"));
  await writeFile(file("vcenter.json"), JSON.stringify(hypervisorSnapshot));
  await writeFile(file("docker.json"), JSON.stringify(engineSnapshot));
  await writeFile(file("malformed.json"), "{ not json");
  await writeFile(file("invalid.json"), JSON.stringify({ collectedAt: "yesterday" }));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const json = async (...args: string[]) => JSON.parse(await runAnalyseCli([...args, "--json"])) as JsonReport;

describe("analyse CLI", () => {
  it("--json lists verdicts (name, kind, verdict, ruleIds) and findings (ruleId, severity, name)", async () => {
    const report = await json(file("vcenter.json"));
    expect(report.verdicts.map((v) => v.name)).toEqual(["web01", "win01", "docker01"]);
    for (const v of report.verdicts) {
      expect(Object.keys(v)).toEqual(expect.arrayContaining(["name", "kind", "verdict", "ruleIds"]));
      expect(Array.isArray(v.ruleIds)).toBe(true);
    }
    expect(report.verdicts.find((v) => v.name === "web01")).toMatchObject({ kind: "vm", verdict: "to-container", ruleIds: [], host: "esx01" });
    expect(report.verdicts.find((v) => v.name === "win01")).toMatchObject({ kind: "vm", verdict: "stay-vm" });
    // Alone, the hypervisor file says nothing of Docker in docker01: an Ubuntu VM that can move.
    expect(report.verdicts.find((v) => v.name === "docker01")).toMatchObject({ verdict: "to-container" });
    expect(report.findings).toContainEqual(expect.objectContaining({ ruleId: "not-linux", severity: "critical", name: "win01", kind: "vm" }));
    for (const f of report.findings) expect(Object.keys(f)).toEqual(expect.arrayContaining(["ruleId", "severity", "name"]));
  });

  it("links an engine snapshot's host to the VM of a hypervisor snapshot across files", async () => {
    const report = await json(file("vcenter.json"), file("docker.json"));
    const docker01 = report.verdicts.find((v) => v.kind === "vm" && v.name === "docker01")!;
    expect(docker01.verdict).toBe("stay-vm");
    expect(docker01.ruleIds).toContain("container-host");
    expect(report.findings).toContainEqual(expect.objectContaining({ ruleId: "container-host", severity: "critical", name: "docker01" }));
    // The engine host runs in a VM: not a physical host; its containers land on esx01.
    expect(report.density).toMatchObject({ physicalHosts: 1, containers: 2 });
    // Workloads: web01, win01 (docker01 is a container host) + 2 running containers.
    expect(report.density.workloads).toBe(4);
    expect(report.verdicts.find((v) => v.name === "app")).toMatchObject({ kind: "container", verdict: "to-kata", host: "docker01" });
    expect(report.verdicts.find((v) => v.name === "infra")).toMatchObject({ kind: "container", verdict: "stay" });
    expect(report.migration.verdicts).toEqual({ "to-container": 1, "to-system-container": 0, "to-kata": 1, "stay-vm": 2, stay: 1 });
  });

  it("reads the engine file alone as a bare-metal engine host", async () => {
    const report = await json(file("docker.json"));
    expect(report.density.physicalHosts).toBe(1);
    expect(report.verdicts.map((v) => v.kind)).toEqual(["container", "container"]);
  });

  it("--tenant-label names the label that tells tenants apart", async () => {
    const without = await json(file("docker.json"));
    expect(without.findings.map((f) => f.ruleId)).not.toContain("tenants-share-kernel");
    const withLabel = await json(file("docker.json"), "--tenant-label", "team");
    const tenancy = withLabel.findings.filter((f) => f.ruleId === "tenants-share-kernel");
    expect(tenancy.map((f) => f.name).sort()).toEqual(["app", "infra"]);
    expect(tenancy[0]!.detail).toBe("blue, red");
    // Now infra is exposed too, and moves to Kata.
    expect(withLabel.verdicts.find((v) => v.name === "infra")!.verdict).toBe("to-kata");
  });

  it("the text summary gives the verdict counts", async () => {
    const text = await runAnalyseCli([file("vcenter.json"), file("docker.json")]);
    expect(text).toContain("Migration verdicts");
    expect(text).toMatch(/Move to a container\s+1\n/);
    expect(text).toMatch(/Move to Kata Containers\s+1\n/);
    expect(text).toMatch(/Stay a VM\s+2\n/);
    expect(text).toMatch(/Stay as it is\s+1\n/);
    expect(text).toMatch(/physical hosts 1 /);
  });

  it.each([
    { what: "a missing file", name: "missing.json", message: /no such file/ },
    { what: "malformed JSON", name: "malformed.json", message: /malformed\.json: / },
    { what: "an invalid snapshot", name: "invalid.json", message: /invalid snapshot: .*collectedAt/ },
  ])("rejects $what with an Error naming the file", async ({ name, message }) => {
    const path = file(name);
    const run = runAnalyseCli([file("vcenter.json"), path]);
    await expect(run).rejects.toThrow(path);
    await expect(runAnalyseCli([path])).rejects.toThrow(message);
    await expect(runAnalyseCli([path])).rejects.not.toBeInstanceOf(UsageError);
  });

  it("without a snapshot file, or with an unknown flag, throws a UsageError", async () => {
    await expect(runAnalyseCli([])).rejects.toBeInstanceOf(UsageError);
    await expect(runAnalyseCli(["--json"])).rejects.toThrow(/usage: analyse/);
    await expect(runAnalyseCli([file("vcenter.json"), "--nonsense"])).rejects.toBeInstanceOf(UsageError);
  });
});

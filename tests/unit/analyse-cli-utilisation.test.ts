/**
 * The analyse CLI over a snapshot carrying measured use (collect at a site, analyse later): the
 * summary says what was measured and what can be reclaimed; --json carries each VM's status and
 * figures by name; a snapshot without series says the evidence is missing.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAnalyseCli } from "@/server/analysis/cli";
import type { SnapshotInput } from "@/server/inventory/snapshot";

let dir: string;
const file = (name: string) => path.join(dir, name);
const AT = "2026-12-01T00:00:00.000Z";
const week = (value: number) => ({ intervalSeconds: 1800, start: new Date(Date.parse(AT) - 335 * 1800_000).toISOString(), values: Array.from({ length: 336 }, () => value) });

function site(measured: boolean): SnapshotInput {
  return {
    collectedAt: AT,
    hosts: [{ externalId: "host-1", name: "esx01", role: "hypervisor", platform: "esxi", cpuCores: 16, cpuMhz: 2500, memoryMiB: 262_144, cluster: "prod" }],
    virtualMachines: [
      { externalId: "vm-1", name: "quiet01", hostExternalId: "host-1", powerState: "poweredOn", vcpus: 2, memoryMiB: 4096 },
      { externalId: "vm-2", name: "big01", hostExternalId: "host-1", powerState: "poweredOn", vcpus: 8, memoryMiB: 32_768 },
    ],
    utilisation: measured
      ? [
          { object: "virtualMachine", externalId: "vm-1", metric: "cpu.usage.mhz", ...week(40) },
          { object: "virtualMachine", externalId: "vm-2", metric: "cpu.usage.pct", ...week(12) },
          { object: "virtualMachine", externalId: "vm-2", metric: "mem.active.mib", ...week(4000) },
        ]
      : [],
  };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "analyse-use-"));
  await writeFile(file("measured.json"), JSON.stringify(site(true)));
  await writeFile(file("bare.json"), JSON.stringify(site(false)));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("analyse with measured use", () => {
  it("the summary: measured VMs, statuses and what is reclaimable", async () => {
    const text = await runAnalyseCli([file("measured.json")]);
    expect(text).toMatch(/^Measured use\n {2}2 of 2 powered-on VMs measured over 30 days: 1 idle, 1 oversized, 0 undersized; 0 off for long, 0 old snapshots$/m);
    // quiet01 whole (2 vCPUs, 4 GiB); big01: 8 × 12 % × 1.3 = 1.25 → 2 vCPUs (6 back), 4000 × 1.3 = 5200 → 6 GiB (26 back).
    expect(text).toMatch(/^ {2}reclaimable from measured use: 8 vCPUs, 30\.0 GiB RAM, 0\.0 GiB disk; 0 hosts freed; 0 clusters failing N\+1$/m);
  });

  it("--json: each VM by name with its status, reason and suggested size", async () => {
    const report = JSON.parse(await runAnalyseCli([file("measured.json"), "--json"]));
    const byName = Object.fromEntries(report.utilisation.vms.map((v: { name: string }) => [v.name, v]));
    expect(byName.quiet01).toMatchObject({ status: "idle", reclaimVcpus: 2, reclaimMemoryMiB: 4096 });
    expect(byName.big01).toMatchObject({ status: "oversized", suggestedVcpus: 2, suggestedMemoryMiB: 6144 });
    expect(byName.big01.findings).toEqual([{ ruleId: "util-oversized-vm", severity: "info", detail: expect.stringContaining("→ 2 vCPUs, 6.0 GiB") }]);
    expect(report.findings.some((f: { ruleId: string }) => f.ruleId === "util-idle-vm")).toBe(true);
    expect(report.utilisation.asOf).toBe(AT);
  });

  it("says the evidence is missing without series", async () => {
    const text = await runAnalyseCli([file("bare.json")]);
    expect(text).toMatch(/^ {2}none measured: 2 powered-on VMs without measured use \(insufficient data: collect from vCenter or libvirt\)$/m);
  });
});

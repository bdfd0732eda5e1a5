/**
 * The analyse CLI over a vSphere snapshot and a guest snapshot of the same VM, as an engineer saves
 * them at a customer's site: the guest's facts are built from real recorded outputs of the guest
 * command set (tests/fixtures/guest/: the processes, listeners and connections recorded while
 * PostgreSQL 15 and Podman's API service ran, the rest of the same Debian 12 machine recorded minutes
 * before), matched to the VM by its MAC address, and the VM is graded from them.
 */
import fs from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAnalyseCli } from "@/server/analysis/cli";
import { isOsService } from "@/server/analysis/rules/guest";
import { GUEST_COMMANDS } from "@/server/collectors/guest/commands";
import type { GuestFacts } from "@/server/collectors/guest/facts";
import { factsFromResults } from "@/server/collectors/guest/parse";
import type { SnapshotInput } from "@/server/inventory/snapshot";

const FIXTURES = path.join(import.meta.dirname, "../fixtures/guest");
const AT = "2026-12-05T12:34:51.000Z";
const SERVERS = ["processes", "listeners", "connections"];

/** A recorded output without its "# recorded ..." header. */
function recorded(dir: string, id: string): string {
  const text = fs.readFileSync(path.join(FIXTURES, dir, `${id}.txt`), "utf8");
  return text.slice(text.indexOf("\n") + 1);
}

const facts: GuestFacts = factsFromResults(
  "root@192.0.2.2:22",
  GUEST_COMMANDS.map((c) => ({ id: c.id, stdout: recorded(SERVERS.includes(c.id) ? "debian12-servers" : "debian12", c.id), exitCode: 0, problem: null, truncated: false })),
  AT,
);

const vsphere: SnapshotInput = {
  collectedAt: AT,
  hosts: [{ externalId: "esx-1", name: "esx01", role: "hypervisor", platform: "esxi", cpuCores: 32, memoryMiB: 524288, cluster: "prod" }],
  virtualMachines: [
    {
      externalId: "vm-7",
      name: "app07",
      hostExternalId: "esx-1",
      uuid: "4221eeee-0000-0000-0000-000000000007",
      powerState: "poweredOn",
      vcpus: 2,
      memoryMiB: 4096,
      provisionedMiB: 307200,
      guestOsId: "debian12_64Guest",
      guestOsReported: "Debian GNU/Linux 12 (64-bit)",
      guestOsFamily: "linux",
      hostname: "app07",
      // The recorded machine's eth0.
      macAddresses: ["02:FC:00:00:00:01"],
      ipAddresses: ["192.0.2.2"],
      nicCount: 1,
      disks: [{ key: "2000", capacityMiB: 307200, datastore: "ds1" }],
    },
  ],
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "fleetlens-analyse-guest-"));
  await writeFile(path.join(dir, "vsphere.json"), JSON.stringify(vsphere));
  await writeFile(path.join(dir, "guests.json"), JSON.stringify({ collectedAt: AT, guests: [facts] }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("analyse <vsphere.json> <guests.json>", () => {
  it("the recorded guest is what the test says it is", () => {
    expect(facts.software.map((s) => `${s.kind}:${s.name}${s.version ? ` ${s.version}` : ""}`)).toEqual(
      expect.arrayContaining(["server:postgresql 15", "container-runtime:podman"]),
    );
    expect(facts.memory.usedMiB).toBeGreaterThan(0);
    expect(facts.filesystems.length).toBeGreaterThan(0);
  });

  it("grades the VM from the guest: a database server needing minimal work, its saving measured", async () => {
    const report = JSON.parse(await runAnalyseCli([path.join(dir, "vsphere.json"), path.join(dir, "guests.json"), "--json"]));
    const v = report.verdicts.find((x: { name: string }) => x.name === "app07");
    expect(v).toMatchObject({ verdict: "to-container", role: "database", fit: "minimal-work", fitLabel: "Needs minimal work" });
    // Podman's API service with no container (no conmon) does not make it a container host.
    expect(v.ruleIds).toEqual(["vmware.os.unsupported", "guest-stateful-server"]);
    expect(v.reason).toBe("Moves to a container (a database server; guest discovery: Needs minimal work), after: Guest OS not supported by MTV; Stateful server in the guest.");
    expect(v.evidence).toContainEqual(
      expect.objectContaining({ source: "guest discovery", field: "software", value: "postgresql 15", strength: "strong", note: expect.stringContaining("listening on tcp 127.0.0.1:38995") }),
    );
    expect(v.evidence).toContainEqual(expect.objectContaining({ field: "guest", note: expect.stringContaining("a MAC address both report; runs Debian GNU/Linux 12 (bookworm)") }));

    // RAM: the workload is what the guest uses less its OS services' RSS; the saving is the rest of the 4 GiB (whole MiB).
    const osMiB = facts.processes.filter((p) => isOsService(p) && p.rssMiB !== null).reduce((s, p) => s + p.rssMiB!, 0);
    const workload = facts.memory.usedMiB! - osMiB;
    expect(workload).toBeGreaterThan(0);
    expect(v.saving.ramMiB).toBe(Math.round(4096 - workload));
    // Disk: what the filesystems hold, less Debian 12's OS copy (10 GiB), is kept; the rest of the 300 GiB is saved.
    const used = facts.filesystems.reduce((s, f) => s + f.sizeMiB - f.freeMiB, 0);
    expect(v.saving.diskMiB).toBe(Math.round(307200 - (used - 10240)));
    const memory = v.evidence.find((e: { field: string }) => e.field === "memory.usedMiB");
    expect(memory.value).toBe(`measured: ${Math.round(facts.memory.usedMiB!).toLocaleString("en-US")} MiB used of ${Math.round(facts.memory.totalMiB!).toLocaleString("en-US")} MiB`);
    expect(report.migration.vmRamSavedMiB).toBe(Math.round(4096 - workload));
  });

  it("the same vSphere snapshot alone: a candidate, needs guest discovery, the footprint's saving", async () => {
    const report = JSON.parse(await runAnalyseCli([path.join(dir, "vsphere.json"), "--json"]));
    const v = report.verdicts.find((x: { name: string }) => x.name === "app07");
    expect(v).toMatchObject({ verdict: "to-container", role: "general", fit: "insufficient-data", saving: { ramMiB: 1024, diskMiB: 10240, cpuMillis: 0 } });
    expect(v.reason).toMatch(/needs guest discovery/);
  });
});

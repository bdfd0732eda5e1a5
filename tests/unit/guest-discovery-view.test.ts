/**
 * The Guests tab's rows and coverage (server/analysis/guests.ts), from facts built out of real
 * recorded outputs of the guest command set (tests/fixtures/guest/: a Debian 12 machine running
 * PostgreSQL 15 and Podman's API service): the VM each guest is, use against size, the software
 * recognised, what was not read; and how many powered-on Linux VMs guest discovery has covered.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { analyse } from "@/server/analysis";
import { analyseGuests } from "@/server/analysis/guests";
import { inventoryFromSnapshots } from "@/server/analysis/inventory";
import { DEFAULT_PARAMETERS } from "@/server/analysis/parameters";
import { GUEST_COMMANDS } from "@/server/collectors/guest/commands";
import { diskOf } from "@/server/collectors/guest/facts";
import { factsFromResults } from "@/server/collectors/guest/parse";
import { parseSnapshot } from "@/server/inventory/snapshot";

const FIXTURES = path.join(import.meta.dirname, "../fixtures/guest");
const recorded = (dir: string, id: string) => {
  const text = fs.readFileSync(path.join(FIXTURES, dir, `${id}.txt`), "utf8");
  return text.slice(text.indexOf("\n") + 1);
};
const SERVERS = ["processes", "listeners", "connections"];
const AT = "2026-12-05T12:34:51.000Z";

const guestOf = (target: string, drop: string[] = []) =>
  factsFromResults(
    target,
    GUEST_COMMANDS.map((c) =>
      drop.includes(c.id)
        ? { id: c.id, stdout: "", exitCode: null, problem: "timed out after 5 s", truncated: false }
        : { id: c.id, stdout: recorded(SERVERS.includes(c.id) ? "debian12-servers" : "debian12", c.id), exitCode: 0, problem: null, truncated: false },
    ),
    AT,
  );

const vm = (externalId: string, extra: Record<string, unknown>) => ({
  externalId,
  name: externalId,
  powerState: "poweredOn",
  vcpus: 2,
  memoryMiB: 4096,
  guestOsFamily: "linux",
  ...extra,
});

describe("guest discovery's view of a customer", () => {
  const matched = guestOf("root@192.0.2.2:22");
  // The same machine reached by another name with its MAC reads hidden (not matched), and a read that timed out.
  const unmatched = { ...guestOf("root@198.51.100.9:22", ["meminfo"]), macAddresses: [], ipAddresses: ["198.51.100.9"], productUuid: null };
  const hypervisor = parseSnapshot({
    collectedAt: AT,
    virtualMachines: [
      vm("app07", { macAddresses: ["02:fc:00:00:00:01"] }),
      vm("app08", { ipAddresses: ["10.0.0.8"] }),
      vm("win01", { guestOsFamily: "windows" }),
      vm("off01", { powerState: "poweredOff" }),
      vm("tmpl", { template: true }),
    ],
  });
  const guests = parseSnapshot({ collectedAt: AT, guests: [unmatched, matched] });
  const inventory = inventoryFromSnapshots([
    { snapshot: hypervisor, customer: "acme", prefix: "kvm" },
    { snapshot: guests, customer: "acme", prefix: "ssh" },
  ]);

  it("gives each guest's row: its VM and the key that matched, use against size, software servers first, what was not read", () => {
    const view = analyseGuests(inventory);
    expect(view.guests.map((g) => [g.target, g.vmName, g.match])).toEqual([
      // Sorted by VM (or hostname): app07 before the unmatched guest's hostname.
      ["root@192.0.2.2:22", "app07", "mac"],
      ["root@198.51.100.9:22", null, null],
    ]);
    const row = view.guests[0]!;
    expect(row.os).toBe(matched.os.prettyName);
    expect(row.memoryTotalMiB).toBe(matched.memory.totalMiB);
    expect(row.memoryUsedMiB).toBeGreaterThan(0);
    expect(row.memoryUsedMiB!).toBeLessThan(row.memoryTotalMiB!);
    expect(row.diskUsedMiB).toBe(diskOf(matched).usedMiB);
    expect(row.software[0]).toMatch(/^postgresql 15/);
    expect(row.software).toContain("podman");
    expect(row.processes).toBe(matched.processes.length);
    expect(row.listeners).toBe(matched.listeners.length);
    // The guest whose memory read timed out says so, and has no figure rather than a 0.
    const other = view.guests[1]!;
    expect(other.memoryUsedMiB).toBeNull();
    expect(other.unread).toContain("memory: timed out after 5 s");
  });

  it("counts coverage over powered-on Linux VMs only (not Windows, powered-off VMs or templates)", () => {
    expect(analyseGuests(inventory).totals).toEqual({ guests: 2, matched: 1, linuxVms: 2, linuxVmsDiscovered: 1 });
    // The dashboard's analysis carries it.
    expect(analyse(inventory, DEFAULT_PARAMETERS).guests.totals.linuxVmsDiscovered).toBe(1);
    // Without guests: nothing discovered, the Linux VMs still counted.
    const bare = inventoryFromSnapshots([{ snapshot: hypervisor, customer: "acme", prefix: "kvm" }]);
    expect(analyseGuests(bare)).toEqual({ guests: [], totals: { guests: 0, matched: 0, linuxVms: 2, linuxVmsDiscovered: 0 } });
  });
});

/**
 * A `guest` source collected by the server, end to end, against the real sshd peer on loopback
 * (tests/peers/sshd.sh: this machine is the guest) and real Postgres:
 * - its targets come from the endpoint and from the customer's inventory (the powered-on Linux VMs
 *   of its other sources; a Windows, a powered-off VM and a template are not tried);
 * - the guest's facts are stored with the run (history: every run's rows kept) and matched to the
 *   inventoried VM it is (this machine's MAC address reported by a VM of another source);
 * - its host key is trusted on first use, recorded, and then enforced: a changed key fails the run
 *   and nothing stored is lost; a refused password fails it too, with a clear error.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadInventory } from "../../server/analysis/load";
import { encryptSecret } from "../../server/auth/secret-box";
import { applySnapshot } from "../../server/inventory/ingest";
import { collectSource } from "../../server/jobs/collect";
import { createTestDatabase, type TestDatabase } from "./db";

const run = promisify(execFile);
const root = path.join(import.meta.dirname, "../..");
const sshd = path.join(root, "tests/peers/sshd.sh");

let t: TestDatabase;
let dir: string | undefined;
let port: number;
let fingerprint: string;
let clientKey: string;
let customerId: string;
/** This machine's MAC addresses (the guest reports them; a VM of another source does too). */
let macs: string[];
/** An address on eth0's network where nothing answers: an inventoried VM that cannot be reached. */
const SILENT_IP = "192.0.2.77";

beforeAll(async () => {
  dir = (await run("bash", [sshd, "start", "--password"], { timeout: 900_000 })).stdout.trim();
  const read = (name: string) => fs.readFileSync(path.join(dir!, name), "utf8").trim();
  port = Number(read("port"));
  fingerprint = read("host-fingerprint");
  clientKey = fs.readFileSync(path.join(dir, "client_key"), "utf8");
  macs = fs
    .readdirSync("/sys/class/net")
    .filter((nic) => nic !== "lo")
    .map((nic) => fs.readFileSync(`/sys/class/net/${nic}/address`, "utf8").trim())
    .filter((mac) => mac !== "00:00:00:00:00:00");
  t = await createTestDatabase();
  customerId = (await t.prisma.customer.create({ data: { name: "Guest Co" } })).id;
  // The hypervisor's view of the customer's VMs (a libvirt source): one is this machine.
  const hypervisor = await t.prisma.source.create({ data: { customerId, kind: "libvirt", name: "kvm01", endpoint: "qemu:///system" } });
  const vm = (externalId: string, extra: Record<string, unknown>) => ({
    externalId,
    name: externalId,
    powerState: "poweredOn",
    vcpus: 2,
    memoryMiB: 4096,
    guestOsFamily: "linux",
    ...extra,
  });
  await applySnapshot(
    hypervisor.id,
    {
      collectedAt: new Date().toISOString(),
      virtualMachines: [
        vm("this-machine", { macAddresses: macs.map((m) => m.toUpperCase()), ipAddresses: ["127.0.0.1"] }),
        vm("silent", { ipAddresses: ["fe80::1", SILENT_IP] }),
        vm("windows", { guestOsFamily: "windows", ipAddresses: ["192.0.2.78"] }),
        vm("off", { powerState: "poweredOff", ipAddresses: ["192.0.2.79"] }),
        vm("template", { template: true, ipAddresses: ["192.0.2.80"] }),
        vm("no-address", { ipAddresses: [] }),
      ],
    },
    { database: t },
  );
}, 900_000);

afterAll(async () => {
  await t?.drop();
  if (dir) await run("bash", [sshd, "stop", dir]);
});

const guestSource = (name: string, secret: string, options: Record<string, unknown>) =>
  t.prisma.source.create({
    data: {
      customerId,
      kind: "guest",
      name,
      // The inventory's Linux VMs, and this machine by its loopback address and the peer's port.
      endpoint: `inventory, 127.0.0.1:${port}`,
      username: "root",
      secret: new Uint8Array(encryptSecret(secret)),
      // Generous command limits: this machine is shared by the other test suites (a loaded 2-core box).
      options: { connectTimeoutSeconds: 3, commandTimeoutSeconds: 60, ...options },
    },
  });

const storedGuests = (sourceId: string) =>
  t.pool.query<{ run_id: string; target: string; memory_total_mib: number | null; disk_used_mib: number | null }>(
    `SELECT run_id, target, memory_total_mib, disk_used_mib FROM guest WHERE source_id = $1 ORDER BY collected_at`,
    [sourceId],
  );

describe("a guest source collected by the server", () => {
  it("reads the endpoint's guest and the inventory's, trusts the host key on first use, stores the facts and matches the VM", async () => {
    const source = await guestSource("tofu", clientKey, { trustOnFirstUse: true });
    const result = await collectSource(source.id, { database: t });
    expect(result.guests).toBe(1);
    const firstRun = await t.prisma.collectionRun.findUniqueOrThrow({ where: { id: result.runId } });
    expect(firstRun.status).toBe("succeeded");
    // The inventory's reachable Linux VM was tried at its usable address; the others were not.
    expect(firstRun.warnings.some((w) => w.startsWith(`root@${SILENT_IP}:22: `))).toBe(true);
    expect(firstRun.warnings).toContain(
      // "this-machine" reports loopback only, "no-address" nothing.
      "inventory: 2 powered-on Linux VMs report no usable IP address: not reached (install guest tools, or name them)",
    );
    for (const ip of ["192.0.2.78", "192.0.2.79", "192.0.2.80"]) expect(firstRun.warnings.join("\n")).not.toContain(ip);

    const keys = await t.prisma.guestHostKey.findMany({ where: { sourceId: source.id } });
    expect(keys.map((k) => [k.host, k.fingerprint])).toEqual([[`127.0.0.1:${port}`, fingerprint]]);
    const rows = (await storedGuests(source.id)).rows;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.target).toBe(`root@127.0.0.1:${port}`);
    expect(rows[0]!.memory_total_mib).toBeGreaterThan(0);
    expect(rows[0]!.disk_used_mib).toBeGreaterThan(0);

    // The analyses' inventory: the guest is the VM whose MAC it shares (the UUID is not readable here).
    const inventory = await loadInventory(t, [customerId]);
    const thisMachine = inventory.virtualMachines.find((v) => v.name === "this-machine")!;
    expect(inventory.guests).toHaveLength(1);
    expect(inventory.guests[0]).toMatchObject({ vmKey: thisMachine.key, vmMatch: "mac", customer: customerId });
    expect(inventory.guests[0]!.processes.length).toBeGreaterThan(0);

    // A second run: the recorded key is enforced (and matches); both runs' guests are kept.
    const second = await collectSource(source.id, { database: t });
    expect(second.guests).toBe(1);
    expect(new Set((await storedGuests(source.id)).rows.map((r) => r.run_id))).toEqual(new Set([result.runId, second.runId]));
    const newest = await loadInventory(t, [customerId]);
    expect(newest.guests).toHaveLength(1);
    expect(newest.guests[0]!.collectedAt >= inventory.guests[0]!.collectedAt).toBe(true);

    // The key changes (another host behind the address): refused; the run fails; nothing stored is lost.
    await t.prisma.guestHostKey.update({
      where: { sourceId_host: { sourceId: source.id, host: `127.0.0.1:${port}` } },
      data: { fingerprint: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
    });
    await expect(collectSource(source.id, { database: t })).rejects.toThrow(
      new RegExp(`no guest could be read \\(2 tried\\): .*root@127\\.0\\.0\\.1:${port}: host key mismatch at 127\\.0\\.0\\.1:${port}: expected SHA256:A{43}, got ${fingerprint.replace(/[+/]/g, "\\$&")}`),
    );
    expect((await storedGuests(source.id)).rows).toHaveLength(2);
    expect((await t.prisma.guestHostKey.findFirstOrThrow({ where: { sourceId: source.id } })).fingerprint).toMatch(/^SHA256:A{43}$/);
    expect((await loadInventory(t, [customerId])).guests).toHaveLength(1);
  }, 300_000);

  it("pins a host key: the right one reads the guest, a wrong one fails the run naming both keys", async () => {
    const pinned = await guestSource("pinned", clientKey, { hostKeys: `127.0.0.1:${port}=${fingerprint}` });
    const ok = await collectSource(pinned.id, { database: t });
    expect(ok.guests).toBe(1);
    // Pinned: nothing is recorded.
    expect(await t.prisma.guestHostKey.count({ where: { sourceId: pinned.id } })).toBe(0);

    const wrong = await guestSource("wrong pin", clientKey, { hostKeys: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
    await expect(collectSource(wrong.id, { database: t })).rejects.toThrow(/host key mismatch at 127\.0\.0\.1:\d+: expected SHA256:A{43}, got SHA256:/);
    const failed = await t.prisma.collectionRun.findFirstOrThrow({ where: { sourceId: wrong.id } });
    expect(failed.status).toBe("failed");
  }, 300_000);

  it("fails a run whose password is refused, saying so without the password", async () => {
    const source = await guestSource("wrong password", "not-the-password", { insecureHostKey: true });
    const error = await collectSource(source.id, { database: t }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(new RegExp(`root@127\\.0\\.0\\.1:${port}: authentication failed for root@127\\.0\\.0\\.1:${port} \\(password refused\\)`));
    expect((error as Error).message).not.toContain("not-the-password");
    expect((await storedGuests(source.id)).rows).toHaveLength(0);
  }, 300_000);
});

/**
 * The demo fleet's guest discovery (server/collectors/demo/guests.ts): each demo customer's snapshot
 * carries guest facts that pass the contract, match their VMs, cover some but not all of the powered-on
 * Linux VMs, make every guest fit rule fire somewhere, draw dependency groups, and are deterministic.
 */
import { describe, expect, it } from "vitest";
import { analyseDependencies } from "@/server/analysis/dependencies";
import { analyseGuests } from "@/server/analysis/guests";
import { inventoryFromSnapshots } from "@/server/analysis/inventory";
import { analyseMigration } from "@/server/analysis/migration";
import { DEFAULT_PARAMETERS } from "@/server/analysis/parameters";
import { evaluate, GUEST_RULES } from "@/server/analysis/rules";
import { containerProcesses } from "@/server/analysis/rules/guest";
import { DEMO_CUSTOMERS, generateCustomerSnapshot, generateFleetSnapshot } from "@/server/collectors/demo/fleet";
import { guestFacts } from "@/server/collectors/guest/facts";
import { detectSoftware } from "@/server/collectors/guest/software";
import { parseSnapshot } from "@/server/inventory/snapshot";

const customers = DEMO_CUSTOMERS.map((c) => {
  const snapshot = parseSnapshot(generateCustomerSnapshot(c.key));
  const inventory = inventoryFromSnapshots([{ snapshot, customer: c.key, prefix: c.key }]);
  return { ...c, snapshot, inventory };
});

/** The VMs guest discovery could read in the demo: powered-on Linux VMs with an address, not appliances. */
const eligible = (s: (typeof customers)[number]["snapshot"]) =>
  s.virtualMachines.filter((v) => !v.template && v.powerState === "poweredOn" && v.guestOsFamily === "linux" && v.ipAddresses.length > 0 && !v.product && !v.managedBy);

describe("demo guests: contract and matching", () => {
  it("gives every demo customer guests that pass the facts' schema", () => {
    for (const { key, snapshot } of customers) {
      expect(snapshot.guests.length, key).toBeGreaterThan(0);
      for (const g of snapshot.guests) expect(guestFacts.safeParse(g).success).toBe(true);
      // One guest per VM, each reached at its own address.
      expect(new Set(snapshot.guests.map((g) => g.target)).size, key).toBe(snapshot.guests.length);
      expect(snapshot.guests.every((g) => Date.parse(g.collectedAt) <= Date.parse(snapshot.collectedAt)), key).toBe(true);
    }
  });

  it("matches each guest to its own VM: by DMI product UUID, or by MAC when the UUID was not readable", () => {
    for (const { key, inventory } of customers) {
      const vms = new Map(inventory.virtualMachines.map((v) => [v.key, v]));
      // A customer with enough guests has one matched to no VM: its physical backup server.
      const unmatched = inventory.guests.filter((g) => g.vmKey === null);
      expect(unmatched.map((g) => g.hostname?.split("-").slice(1, 3).join("-")), key).toEqual(inventory.guests.length > 10 ? ["bkp-phys"] : []);
      for (const g of inventory.guests.filter((x) => x.vmKey !== null)) {
        const vm = vms.get(g.vmKey!)!;
        expect(g.ipAddresses).toContain(vm.ipAddresses[0]);
        expect(vm.guestOsFamily).toBe("linux");
        expect(vm.powerState).toBe("poweredOn");
        if (g.productUuid !== null) {
          expect(g.productUuid).toBe(vm.uuid);
          expect(g.vmMatch).toBe("uuid");
        } else {
          expect(g.vmMatch).toBe("mac");
          expect(g.unread.some((u) => /^DMI product UUID: needs sudo/.test(u))).toBe(true);
        }
        expect(g.memory.totalMiB).toBeLessThanOrEqual(vm.memoryMiB);
        expect(g.memory.usedMiB).toBeLessThan(g.memory.totalMiB!);
        expect(g.cpuCount).toBe(vm.vcpus);
      }
    }
    // Some guests were read without sudo, most with it.
    const all = customers.flatMap((c) => c.inventory.guests);
    const noSudo = all.filter((g) => g.productUuid === null);
    expect(noSudo.length).toBeGreaterThan(0);
    expect(noSudo.length).toBeLessThan(all.length / 4);
    for (const g of noSudo) expect(g.listeners.every((l) => l.process === null) && g.cronJobs === null).toBe(true);
  });

  it("reads 40-60% of the VMs it could, so coverage and insufficient data stay visible", () => {
    for (const { key, snapshot, inventory } of customers) {
      const could = eligible(snapshot).length;
      const { totals } = analyseGuests(inventory);
      expect(totals.matched / could, key).toBeGreaterThanOrEqual(0.4);
      expect(totals.matched / could, key).toBeLessThanOrEqual(0.6);
      expect(totals.guests - totals.matched, key).toBeLessThanOrEqual(1);
      expect(totals.linuxVmsDiscovered, key).toBe(totals.matched);
      expect(totals.linuxVmsDiscovered, key).toBeLessThan(totals.linuxVms);
      // Candidates without a guest stay "insufficient data"; those with one are graded.
      const vmVerdicts = analyseMigration(inventory, DEFAULT_PARAMETERS, []).verdicts.filter((v) => v.kind === "vm");
      expect(vmVerdicts.some((v) => v.fit === "insufficient-data"), key).toBe(true);
      const read = new Set(inventory.guests.map((g) => g.vmKey));
      const graded = vmVerdicts.filter((v) => read.has(v.key));
      expect(graded, key).toHaveLength(totals.matched);
      expect(graded.every((v) => v.fit !== "insufficient-data"), key).toBe(true);
    }
  });

  it("recognises software as the collector would, from what was read", () => {
    for (const { snapshot } of customers) {
      for (const g of snapshot.guests) {
        expect(g.software).toEqual(detectSoftware({ processes: g.processes, units: g.units, listeners: g.listeners }));
      }
    }
    const names = new Set(customers.flatMap((c) => c.snapshot.guests.flatMap((g) => g.software.map((s) => s.name))));
    for (const name of ["nginx", "postgresql", "redis", "java", "tomcat", "dockerd"]) expect(names).toContain(name);
  });
});

describe("demo guests: what the analyses find", () => {
  it("makes every guest fit rule fire at least once across the demo customers, and on a guest of its kind", () => {
    const fired = new Map<string, string[]>();
    for (const { key, inventory } of customers) {
      for (const guest of inventory.guests) {
        for (const f of evaluate(GUEST_RULES, { key: guest.key, name: guest.hostname ?? guest.target, customer: key, guest }, { parameters: DEFAULT_PARAMETERS })) {
          fired.set(f.ruleId, [...(fired.get(f.ruleId) ?? []), guest.hostname ?? ""]);
        }
      }
    }
    for (const rule of GUEST_RULES) expect(fired.get(rule.id)?.length ?? 0, rule.id).toBeGreaterThan(0);
    // Container hosts are the engine hosts (their containers listed as processes), not any VM.
    expect(fired.get("guest-container-runtime")!.every((h) => /-(docker|podman)-\d+\./.test(h))).toBe(true);
    // Not every guest is a special case: most guests are graded good, excellent or with a stateful server only.
    const all = customers.flatMap((c) => c.inventory.guests);
    const special = new Set([...fired.entries()].filter(([id]) => id !== "guest-stateful-server" && id !== "guest-bound-address").flatMap(([, hosts]) => hosts));
    expect(special.size).toBeLessThan(all.length / 2);
  });

  it("lists a shim per running container on a Docker host, near misses of the raw-device and capability rules kept", () => {
    const initech = customers.find((c) => c.key === "initech")!;
    const docker = initech.inventory.guests.find((g) => g.software.some((s) => s.name === "dockerd"));
    expect(docker).toBeDefined();
    const engine = initech.inventory.hosts.find((h) => h.role === "container-engine" && h.hardwareUuid === docker!.productUuid);
    if (engine) {
      const running = initech.inventory.containers.filter((c) => c.hostKey === engine.key && c.state === "running").length;
      expect(containerProcesses(docker!).length).toBe(Math.min(running, 120));
    }
    // multipathd holding a device is the OS's: the rule leaves it out.
    const all = customers.flatMap((c) => c.inventory.guests);
    const osOnly = all.find((g) => g.rawDevices.length > 0 && g.rawDevices.every((d) => d.process === "multipathd"));
    expect(osOnly).toBeDefined();
    const raw = GUEST_RULES.find((r) => r.id === "guest-raw-device")!;
    expect(raw.test({ key: "k", name: "n", customer: "c", guest: osOnly! }, { parameters: DEFAULT_PARAMETERS })).toBe(false);
    // chronyd's SYS_TIME (the OS's) and a Node app's NET_BIND_SERVICE (a container's default) are not extra capabilities.
    const privileged = GUEST_RULES.find((r) => r.id === "guest-privileged-process")!;
    const nearMiss = all.filter((g) => g.privileged.length > 0 && g.privileged.every((p) => p.process === "chronyd" || p.process === "node"));
    expect(nearMiss.some((g) => g.privileged.some((p) => p.process === "chronyd"))).toBe(true);
    expect(nearMiss.some((g) => g.privileged.some((p) => p.process === "node"))).toBe(true);
    for (const g of nearMiss) expect(privileged.test({ key: "k", name: "n", customer: "c", guest: g }, { parameters: DEFAULT_PARAMETERS })).toBe(false);
    const vpn = all.filter((g) => g.privileged.some((p) => p.process === "openvpn"));
    expect(vpn.length).toBeGreaterThan(0);
    for (const g of vpn) expect(privileged.test({ key: "k", name: "n", customer: "c", guest: g }, { parameters: DEFAULT_PARAMETERS })).toMatch(/openvpn \(uid 65534\): NET_ADMIN/);
  });

  it("draws dependency groups: load balancer → web → app → database, cache and queue, and public APIs on 443", () => {
    for (const key of ["northwind", "blueharbor", "globex"]) {
      const { inventory } = customers.find((c) => c.key === key)!;
      const deps = analyseDependencies(inventory);
      const big = deps.groups.filter((g) => g.members.length >= 4);
      expect(big.length, key).toBeGreaterThanOrEqual(2);
      const ports = new Set(deps.edges.map((e) => e.port));
      for (const port of [80, 5432, 6379]) expect(ports, `${key} ${port}`).toContain(port);
      expect(deps.nodes.some((n) => n.kind === "outside" && n.scope === "public"), key).toBe(true);
      expect(deps.edges.filter((e) => e.to.startsWith("outside:")).every((e) => e.port === 443), key).toBe(true);
      expect(deps.notes, key).toEqual([]);
    }
  });
});

describe("demo guests: determinism and options", () => {
  it("gives the same guests for the same seed, other guests for another seed", () => {
    expect(generateCustomerSnapshot("globex", { seed: 3 }).guests).toEqual(generateCustomerSnapshot("globex", { seed: 3 }).guests);
    const a = generateCustomerSnapshot("globex", { seed: 3 }).guests!.map((g) => g.target);
    const b = generateCustomerSnapshot("globex", { seed: 4 }).guests!.map((g) => g.target);
    expect(a).not.toEqual(b);
  });

  it("keeps the fleet itself as it was: guests come from a stream of their own", () => {
    const withGuests = generateCustomerSnapshot("northwind");
    expect(withGuests.virtualMachines!.length).toBe(140);
    // The bench fleet has none, whatever its size.
    expect(generateFleetSnapshot({ vms: 300, containers: 2000 }).guests).toEqual([]);
  });

  it("honours the vms option, small and at the demo's limit", () => {
    for (const vms of [1, 12, 2000]) {
      const s = parseSnapshot(generateCustomerSnapshot("blueharbor", { vms }));
      const could = eligible(s).length;
      const onVms = s.guests.filter((g) => !g.hostname?.includes("-bkp-phys-"));
      expect(onVms.length).toBeLessThanOrEqual(Math.max(1, Math.ceil(could * 0.6)));
      if (could >= 5) expect(onVms.length).toBeGreaterThanOrEqual(Math.floor(could * 0.4));
    }
    // 2,000 VMs now carry a week of measured use each (about 3 s to generate and validate here).
  }, 60_000);
});

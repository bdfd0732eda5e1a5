/**
 * A guest source's settings read as the collector reads them: the endpoint's targets (inventory,
 * hosts, host:port, user@host, ssh:// URLs, IPv4 ranges and their limits), the host-key choice, the
 * address an inventoried VM is reached at; and how a guest is matched to its VM (DMI UUID in either
 * byte order, MAC in any notation, an IP only one VM has).
 */
import { describe, expect, it } from "vitest";
import { inventoryFromSnapshots, uuidForms } from "../../server/analysis/inventory";
import { guestFacts, type GuestFactsInput } from "../../server/collectors/guest/facts";
import { addressOf, collectGuestSource, guestOptions, hostKeyChoice, MAX_GUEST_TARGETS, parseGuestEndpoint } from "../../server/collectors/guest/source";
import { parseSnapshot } from "../../server/inventory/snapshot";

const FP = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";
const FP2 = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

describe("a guest source's endpoint", () => {
  it("reads inventory, hosts, ports, users, IPv6 and ssh URLs, in order", () => {
    const read = parseGuestEndpoint("inventory, db01.example.com:2222\nops@10.0.0.9 [fd00::7]:2200 fd00::8 ssh://svc@app01", "root", 2022);
    expect(read.inventory).toBe(true);
    expect(read.targets).toEqual([
      { user: "root", host: "db01.example.com", port: 2222 },
      { user: "ops", host: "10.0.0.9", port: 2022 },
      { user: "root", host: "fd00::7", port: 2200 },
      { user: "root", host: "fd00::8", port: 2022 },
      { user: "svc", host: "app01", port: 2022 },
    ]);
  });

  it("expands an IPv4 range without its network and broadcast addresses; /31 and /32 keep theirs", () => {
    const range = parseGuestEndpoint("10.1.2.3/29", "root");
    expect(range.targets.map((t) => t.host)).toEqual(["10.1.2.1", "10.1.2.2", "10.1.2.3", "10.1.2.4", "10.1.2.5", "10.1.2.6"]);
    expect(range.ranges).toHaveLength(1);
    expect(parseGuestEndpoint("10.1.2.2/31", "root").targets.map((t) => t.host)).toEqual(["10.1.2.2", "10.1.2.3"]);
    expect(parseGuestEndpoint("10.1.2.9/32", "root").targets.map((t) => t.host)).toEqual(["10.1.2.9"]);
    expect(parseGuestEndpoint("10.16.0.0/20", "root").targets).toHaveLength(4094);
  });

  it("refuses what it cannot read, naming the entry", () => {
    expect(() => parseGuestEndpoint(" , ", "root")).toThrow("name the guests: inventory, hosts, addresses or IPv4 ranges");
    expect(() => parseGuestEndpoint("10.0.0.0/19", "root")).toThrow(`"10.0.0.0/19" is wider than /20: name smaller ranges`);
    expect(() => parseGuestEndpoint("fd00::/120", "root")).toThrow(`"fd00::/120" is not an IPv4 range (a.b.c.d/nn)`);
    expect(() => parseGuestEndpoint("10.0.0.300/30", "root")).toThrow(/is not an IPv4 range/);
    expect(() => parseGuestEndpoint("host:99999", "root")).toThrow(`"host:99999": the port must be 1 to 65535`);
    expect(() => parseGuestEndpoint("-oProxyCommand=x@h", "root")).toThrow(/is not a user name/);
    // A password in a target is refused without being repeated.
    expect(() => parseGuestEndpoint("ops:Canary-4@db01", "root")).toThrow(/^db01: no password in the endpoint \(give it in the secret\)$/);
    expect(() => parseGuestEndpoint("bad_host!", "root")).toThrow(/is not a host/);
    // Two /20s are more guests than one source may read.
    expect(() => parseGuestEndpoint("10.0.0.0/20 10.0.16.0/20", "root")).toThrow(`more than ${MAX_GUEST_TARGETS} guests in one source: split it`);
  });
});

describe("a guest source's host keys", () => {
  const options = (o: Record<string, unknown>) => guestOptions.parse(o);
  it("pins one key for every guest, or per host, or trusts on first use, or accepts any", () => {
    expect(hostKeyChoice(options({ hostKeys: FP }))).toMatchObject({ all: FP, trustOnFirstUse: false, insecure: false });
    const pairs = hostKeyChoice(options({ hostKeys: `db01:2222=${FP}, [fd00::7]:22=${FP2}\n10.0.0.9=${FP}` })).pairs;
    expect([...pairs]).toEqual([
      ["db01:2222", FP],
      ["fd00::7:22", FP2],
      ["10.0.0.9", FP],
    ]);
    expect(hostKeyChoice(options({ trustOnFirstUse: true, hostKeys: `db01=${FP}` })).trustOnFirstUse).toBe(true);
    expect(hostKeyChoice(options({ insecureHostKey: true })).insecure).toBe(true);
  });

  it("refuses no choice, two keys for every guest, any key with pins, and a jump host without its key", () => {
    expect(guestOptions.safeParse({}).error?.issues[0]?.message).toMatch(/^choose how guests' ssh host keys are checked/);
    expect(guestOptions.safeParse({ hostKeys: `${FP} ${FP2}` }).error?.issues[0]?.message).toMatch(/^more than one host key is given for every guest/);
    expect(guestOptions.safeParse({ hostKeys: FP, insecureHostKey: true }).error?.issues[0]?.message).toMatch(/excludes pinned host keys/);
    expect(guestOptions.safeParse({ hostKeys: FP, jump: "ssh://j@bastion" }).error?.issues[0]).toMatchObject({ path: ["jump"] });
    expect(guestOptions.safeParse({ hostKeys: FP, jump: "j@bastion", jumpHostKey: FP }).error?.issues[0]).toMatchObject({ path: ["jump"] });
    expect(guestOptions.safeParse({ hostKeys: FP, jump: "ssh://j@bastion", jumpHostKey: FP }).success).toBe(true);
  });
});

describe("the address an inventoried VM is reached at", () => {
  it.each([
    [["fe80::1", "10.0.0.5", "fd00::5"], "10.0.0.5"],
    [["127.0.0.1", "fd00::5/64"], "fd00::5"],
    [["169.254.1.1", "10.0.0.5/24"], "10.0.0.5"],
    [["127.0.0.1", "::1", "fe80::2", "0.0.0.0"], null],
    [["not-an-ip"], null],
  ])("%j → %s", (ips, expected) => {
    expect(addressOf(ips)).toBe(expected);
  });
});

describe("collecting a guest source that cannot start", () => {
  const signal = new AbortController().signal;
  const source = { kind: "guest" as const, name: "g", endpoint: "inventory", username: "root", secret: "pw", options: { trustOnFirstUse: true } };
  it("says there is nothing to read when the inventory gives no guest, and what is missing", async () => {
    await expect(collectGuestSource(source, { signal, known: { vms: [] } })).rejects.toThrow(
      "no guest to read: the endpoint names none, and the inventory gave none",
    );
    await expect(collectGuestSource({ ...source, username: null }, { signal })).rejects.toThrow("the source names no ssh user");
    await expect(collectGuestSource({ ...source, secret: null }, { signal })).rejects.toThrow("the source has no ssh private key or password");
    await expect(collectGuestSource({ ...source, options: {} }, { signal })).rejects.toThrow(/^invalid guest option hostKeys: choose how/);
  });
});

const facts = (input: Partial<GuestFactsInput>): GuestFactsInput => ({
  target: "root@10.0.0.1:22",
  collectedAt: "2026-12-05T10:00:00Z",
  os: {},
  memory: {},
  security: {},
  ...input,
});

describe("matching a guest to its VM", () => {
  it("reads a DMI UUID in both byte orders", () => {
    expect(uuidForms("{4213D2B6-9F3E-1A2B-8C7D-0123456789AB}")).toEqual([
      "4213d2b6-9f3e-1a2b-8c7d-0123456789ab",
      "b6d21342-3e9f-2b1a-8c7d-0123456789ab",
    ]);
    expect(uuidForms("not-a-uuid")).toEqual(["not-a-uuid"]);
  });

  it("matches by UUID first (either order), then MAC (any notation), then an IP only one VM reports", () => {
    const vm = (externalId: string, extra: Record<string, unknown>) => ({ externalId, name: externalId, powerState: "poweredOn", vcpus: 1, memoryMiB: 1024, ...extra });
    const hypervisor = parseSnapshot({
      collectedAt: "2026-12-05T09:00:00Z",
      virtualMachines: [
        vm("by-uuid", { uuid: "4213d2b6-9f3e-1a2b-8c7d-0123456789ab", macAddresses: ["00:50:56:00:00:01"] }),
        vm("by-mac", { macAddresses: ["00-50-56-AA-BB-CC"], ipAddresses: ["10.0.0.2"] }),
        vm("shared-ip-1", { ipAddresses: ["10.0.0.9"] }),
        vm("shared-ip-2", { ipAddresses: ["10.0.0.9"] }),
        vm("by-ip", { ipAddresses: ["10.0.0.3/24"] }),
        vm("a-template", { template: true, uuid: "11111111-2222-3333-4444-555555555555" }),
      ],
    });
    const guests = parseSnapshot({
      collectedAt: "2026-12-05T10:00:00Z",
      guests: [
        // The byte-swapped UUID an older VMware VM's guest reads; its MAC names another VM, but UUID wins.
        guestFacts.parse(facts({ target: "root@a:22", productUuid: "B6D21342-3E9F-2B1A-8C7D-0123456789AB", macAddresses: ["00:50:56:aa:bb:cc"] })),
        guestFacts.parse(facts({ target: "root@b:22", macAddresses: ["00:00:00:00:00:00", "00:50:56:aa:bb:cc"] })),
        guestFacts.parse(facts({ target: "root@c:22", ipAddresses: ["10.0.0.9", "10.0.0.3"] })),
        guestFacts.parse(facts({ target: "root@d:22", ipAddresses: ["10.0.0.9"] })),
        guestFacts.parse(facts({ target: "root@e:22", productUuid: "11111111-2222-3333-4444-555555555555" })),
      ],
    });
    const inventory = inventoryFromSnapshots([
      { snapshot: hypervisor, customer: "c1", prefix: "kvm" },
      { snapshot: guests, customer: "c1", prefix: "ssh" },
    ]);
    const matched = Object.fromEntries(inventory.guests.map((g) => [g.target, [g.vmKey, g.vmMatch]]));
    expect(matched).toEqual({
      "root@a:22": ["kvm:vm:by-uuid", "uuid"],
      "root@b:22": ["kvm:vm:by-mac", "mac"],
      // 10.0.0.9 is reported by two VMs: it says nothing; 10.0.0.3 is by-ip's alone.
      "root@c:22": ["kvm:vm:by-ip", "ip"],
      "root@d:22": [null, null],
      // A template is never a running guest.
      "root@e:22": [null, null],
    });
    // Another customer's VM is never matched.
    const other = inventoryFromSnapshots([
      { snapshot: hypervisor, customer: "c1", prefix: "kvm" },
      { snapshot: guests, customer: "c2", prefix: "ssh" },
    ]);
    expect(other.guests.every((g) => g.vmKey === null)).toBe(true);
  });
});

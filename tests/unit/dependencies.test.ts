/**
 * The dependency graph from guest discovery's connections: direction from listeners, addresses
 * resolved to the customer's VMs (or not, when shared), outside endpoints private or public,
 * loopback dropped, a connection both ends read counted once, groups as connected components,
 * and the edge limit.
 */
import { describe, expect, it } from "vitest";
import type { GuestConnection, GuestFactsInput, GuestListener } from "@/server/collectors/guest/facts";
import { addressScope, analyseDependencies, DEPENDENCY_EDGE_LIMIT, type DependencyResult } from "@/server/analysis/dependencies";
import { analyse } from "@/server/analysis/index";
import { inventoryFromSnapshots, type Inventory } from "@/server/analysis/inventory";
import { DEFAULT_PARAMETERS } from "@/server/analysis/parameters";
import { parseSnapshot, type SnapshotInput } from "@/server/inventory/snapshot";

const AT = "2026-11-01T10:00:00.000Z";

type VmInput = NonNullable<SnapshotInput["virtualMachines"]>[number];
const vm = (id: string, ips: string[], over: Partial<VmInput> = {}): VmInput => ({
  externalId: id,
  name: id,
  hostExternalId: null,
  powerState: "poweredOn",
  vcpus: 2,
  memoryMiB: 4096,
  ipAddresses: ips,
  macAddresses: [],
  ...over,
});

const conn = (local: string, remote: string, process: string | null = null, protocol: "tcp" | "udp" = "tcp"): GuestConnection => {
  const [la, lp] = split(local);
  const [ra, rp] = split(remote);
  return { protocol, localAddress: la, localPort: lp, remoteAddress: ra, remotePort: rp, process, pid: process ? 100 : null };
};
const listen = (address: string, port: number, process: string | null = null): GuestListener => ({
  protocol: "tcp",
  address,
  port,
  process,
  pid: process ? 100 : null,
});
function split(text: string): [string, number] {
  const i = text.lastIndexOf(":");
  return [text.slice(0, i).replace(/^\[|\]$/g, ""), Number(text.slice(i + 1))];
}

const guest = (target: string, ips: string[], connections: GuestConnection[], listeners: GuestListener[] = []): GuestFactsInput => ({
  target,
  collectedAt: AT,
  hostname: target.split("@")[1]!.split(":")[0]!,
  ipAddresses: ips,
  os: {},
  memory: {},
  security: {},
  connections,
  listeners,
});

function inventoryOf(vms: VmInput[], guests: GuestFactsInput[], customer = "acme", more: { customer: string; vms: VmInput[]; guests: GuestFactsInput[] }[] = []): Inventory {
  const snap = (v: VmInput[], g: GuestFactsInput[]) =>
    parseSnapshot({ version: 1, collectedAt: AT, hosts: [], virtualMachines: v, containers: [], images: [], guests: g });
  return inventoryFromSnapshots([
    { snapshot: snap(vms, guests), customer, prefix: customer },
    ...more.map((m) => ({ snapshot: snap(m.vms, m.guests), customer: m.customer, prefix: m.customer })),
  ]);
}

const edge = (r: DependencyResult, from: string, to: string, port: number) => r.edges.find((e) => e.from === from && e.to === to && e.port === port);
const K = (id: string) => `acme:vm:${id}`;

describe("analyseDependencies", () => {
  it("two guests talking both ways: each a client of the other's service, one connection counted once though both ends read it", () => {
    const web = guest(
      "root@web:22",
      ["10.0.0.10"],
      [conn("10.0.0.10:45000", "10.0.0.20:5432", "java"), conn("10.0.0.10:8080", "10.0.0.20:51000", "java")],
      [listen("0.0.0.0", 8080, "java")],
    );
    const db = guest(
      "root@db:22",
      ["10.0.0.20"],
      [conn("10.0.0.20:5432", "10.0.0.10:45000", "postgres"), conn("10.0.0.20:51000", "10.0.0.10:8080", "curl")],
      [listen("10.0.0.20", 5432, "postgres")],
    );
    const r = analyseDependencies(inventoryOf([vm("web", ["10.0.0.10"]), vm("db", ["10.0.0.20"])], [web, db]));
    expect(r.guests).toBe(2);
    expect(r.edges).toHaveLength(2);
    const toDb = edge(r, K("web"), K("db"), 5432)!;
    expect(toDb).toMatchObject({ protocol: "tcp", connections: 1, clientProcesses: ["java"], serverProcesses: ["postgres"] });
    const toWeb = edge(r, K("db"), K("web"), 8080)!;
    expect(toWeb).toMatchObject({ connections: 1, clientProcesses: ["curl"], serverProcesses: ["java"] });
    expect(r.nodes.map((n) => [n.key, n.kind, n.discovered])).toEqual([
      [K("db"), "vm", true],
      [K("web"), "vm", true],
    ]);
    expect(r.groups).toEqual([{ id: 1, customer: "acme", members: [K("db"), K("web")] }]);
    expect(toDb.group).toBe(1);
  });

  it("several client connections to one service aggregate into one edge with their count", () => {
    const app = guest("root@app:22", ["10.0.0.10"], [
      conn("10.0.0.10:40001", "10.0.0.20:5432", "python3"),
      conn("10.0.0.10:40002", "10.0.0.20:5432", "python3"),
      conn("10.0.0.10:40003", "10.0.0.20:5432", "psql"),
    ]);
    const r = analyseDependencies(inventoryOf([vm("app", ["10.0.0.10"]), vm("db", ["10.0.0.20"])], [app]));
    expect(r.edges).toHaveLength(1);
    expect(r.edges[0]).toMatchObject({ from: K("app"), to: K("db"), port: 5432, connections: 3, clientProcesses: ["psql", "python3"], serverProcesses: [] });
    // The server side was not discovered: it is a node all the same, in the same group.
    expect(r.nodes.find((n) => n.key === K("db"))).toMatchObject({ kind: "vm", discovered: false, group: 1 });
  });

  it("a listener decides the direction: the guest that listens on the local port serves, whatever the port numbers", () => {
    // A service on a high port (9000) with a client on a low source port (the client side's 800).
    const svc = guest("root@svc:22", ["10.0.0.30"], [conn("10.0.0.30:9000", "10.0.0.40:800", "minio")], [listen("::", 9000, "minio")]);
    const r = analyseDependencies(inventoryOf([vm("svc", ["10.0.0.30"]), vm("cli", ["10.0.0.40"])], [svc]));
    expect(r.edges).toEqual([expect.objectContaining({ from: K("cli"), to: K("svc"), port: 9000, serverProcesses: ["minio"] })]);
  });

  it("near miss: a listener on another address or protocol does not make the guest the server", () => {
    const g = guest(
      "root@g:22",
      ["10.0.0.30", "10.0.1.30"],
      [conn("10.0.0.30:9000", "10.0.0.40:800", "x")],
      [listen("10.0.1.30", 9000), { ...listen("0.0.0.0", 9000), protocol: "udp" }],
    );
    const r = analyseDependencies(inventoryOf([vm("g", ["10.0.0.30"]), vm("cli", ["10.0.0.40"])], [g]));
    expect(r.edges).toEqual([expect.objectContaining({ from: K("g"), to: K("cli"), port: 800, clientProcesses: ["x"] })]);
  });

  it("a server whose listeners were not read: its client's view decides, no edge to the client's ephemeral port", () => {
    // db01 read its connections but not its listeners; app01's were read, and it does not listen on
    // 45000: it is the client. The connection is one, from app01 to db01 on 5432.
    const app = guest("root@app:22", ["10.0.0.10"], [conn("10.0.0.10:45000", "10.0.0.20:5432", "java")], [listen("0.0.0.0", 8080)]);
    const db = guest("root@db:22", ["10.0.0.20"], [conn("10.0.0.20:5432", "10.0.0.10:45000", "postgres")]);
    const r = analyseDependencies(inventoryOf([vm("app", ["10.0.0.10"]), vm("db", ["10.0.0.20"])], [app, db]));
    expect(r.edges).toEqual([
      expect.objectContaining({ from: K("app"), to: K("db"), port: 5432, connections: 1, clientProcesses: ["java"], serverProcesses: ["postgres"] }),
    ]);
    // Near miss: neither end's listeners read. Each end's view alone calls itself the client, and
    // nothing says which is right: both edges stay (the ports say which is likely).
    const blind = analyseDependencies(inventoryOf([vm("app", ["10.0.0.10"]), vm("db", ["10.0.0.20"])], [{ ...app, listeners: [] }, db]));
    expect(blind.edges.map((e) => [e.from, e.to, e.port])).toEqual([
      [K("app"), K("db"), 5432],
      [K("db"), K("app"), 45000],
    ]);
  });

  it("a client that saw only ports: the server's listener, read in the server, decides", () => {
    // The client connects from port 80 (a source port below 1024) to the server's 9000: from the
    // client alone, 9000 is the service port anyway; from the server's listener too. One edge.
    const cli = guest("root@cli:22", ["10.0.0.40"], [conn("10.0.0.40:9000", "10.0.0.30:80", "agent")]);
    const srv = guest("root@srv:22", ["10.0.0.30"], [conn("10.0.0.30:80", "10.0.0.40:9000", "nginx")], [listen("0.0.0.0", 80, "nginx")]);
    const r = analyseDependencies(inventoryOf([vm("cli", ["10.0.0.40"]), vm("srv", ["10.0.0.30"])], [cli, srv]));
    expect(r.edges).toEqual([expect.objectContaining({ from: K("cli"), to: K("srv"), port: 80, connections: 1, clientProcesses: ["agent"], serverProcesses: ["nginx"] })]);
  });

  it("an address several VMs report resolves to none: an outside endpoint marked shared", () => {
    const g = guest("root@a:22", ["10.0.0.10"], [conn("10.0.0.10:40000", "192.168.122.1:53", "systemd-resolved")]);
    const r = analyseDependencies(
      inventoryOf([vm("a", ["10.0.0.10"]), vm("b", ["192.168.122.1"]), vm("c", ["192.168.122.1"])], [g]),
    );
    expect(r.edges).toEqual([expect.objectContaining({ from: K("a"), to: "outside:192.168.122.1", port: 53 })]);
    expect(r.nodes.find((n) => n.key === "outside:192.168.122.1")).toMatchObject({ kind: "outside", scope: "private", shared: true, group: null });
    // Near miss: one VM reporting it resolves.
    const one = analyseDependencies(inventoryOf([vm("a", ["10.0.0.10"]), vm("b", ["192.168.122.1"])], [g]));
    expect(one.edges[0]!.to).toBe(K("b"));
  });

  it("a guest's own addresses resolve to it (no VM matched: the guest's key), and another customer's VM never does", () => {
    const a = guest("root@a:22", ["10.0.0.10"], [conn("10.0.0.10:40000", "10.0.0.99:443", "curl")]);
    const b = guest("root@b:22", ["10.0.0.99"], []);
    const r = analyseDependencies(inventoryOf([], [a, b], "acme", [{ customer: "globex", vms: [vm("x", ["10.0.0.10"])], guests: [] }]));
    expect(r.edges).toEqual([expect.objectContaining({ from: "acme:guest:root@a:22", to: "acme:guest:root@b:22", port: 443 })]);
    expect(r.nodes.filter((n) => n.kind === "guest").map((n) => n.name)).toEqual(["a", "b"]);
    expect(r.nodes.every((n) => n.customer === "acme")).toBe(true);
  });

  it("outside endpoints: RFC 1918, shared, link-local and ULA are private, others public; an unknown IPv6 keeps its address", () => {
    const g = guest("root@a:22", ["10.0.0.10", "2001:db8::10"], [
      conn("10.0.0.10:40000", "172.16.5.5:389", "sssd"),
      conn("10.0.0.10:40001", "93.184.216.34:443", "curl"),
      conn("10.0.0.10:40002", "[::ffff:8.8.8.8]:53", "dig"),
      conn("[2001:db8::10]:40003", "[fd12:3456::1]:5432", "psql"),
      conn("[2001:db8::10]:40004", "[2606:4700::1111]:443", "curl"),
      // A lying guest: not an address at all. An outside endpoint, never claimed public, never a VM.
      conn("10.0.0.10:40005", "not-an-address:80", "x"),
    ]);
    const r = analyseDependencies(inventoryOf([vm("a", ["10.0.0.10"])], [g]));
    const scope = Object.fromEntries(r.nodes.filter((n) => n.kind === "outside").map((n) => [n.address, n.scope]));
    expect(scope).toEqual({
      "172.16.5.5": "private",
      "93.184.216.34": "public",
      "8.8.8.8": "public",
      "fd12:3456::1": "private",
      "2606:4700::1111": "public",
      "not-an-address": "private",
    });
    // Outside endpoints join no group: the guest is alone in its own.
    expect(r.groups).toEqual([{ id: 1, customer: "acme", members: [K("a")] }]);
    expect(r.edges.every((e) => e.group === 1)).toBe(true);
  });

  it("addressScope: the edges of each private range", () => {
    expect(addressScope("172.15.255.255")).toBe("public");
    expect(addressScope("172.31.255.255")).toBe("private");
    expect(addressScope("172.32.0.1")).toBe("public");
    expect(addressScope("100.64.0.1")).toBe("private");
    expect(addressScope("100.128.0.1")).toBe("public");
    expect(addressScope("192.169.0.1")).toBe("public");
    expect(addressScope("169.254.1.1")).toBe("private");
    expect(addressScope("fe80::1%eth0")).toBe("private");
    expect(addressScope("fec0::1")).toBe("public");
    expect(addressScope("not-an-address")).toBe("private");
  });

  it("loopback, unspecified and the guest's own address are left out, and the notes say how many", () => {
    const g = guest("root@a:22", ["10.0.0.10"], [
      conn("127.0.0.1:40000", "127.0.0.1:5432", "psql"),
      conn("[::1]:40001", "[::1]:6379", "redis-cli"),
      conn("[::ffff:127.0.0.1]:40002", "[::ffff:127.0.0.1]:8080", "curl"),
      conn("10.0.0.10:40003", "10.0.0.10:8080", "curl"),
      conn("10.0.0.10:40004", "0.0.0.0:80", null),
    ]);
    const r = analyseDependencies(inventoryOf([vm("a", ["10.0.0.10"])], [g]));
    expect(r.edges).toEqual([]);
    expect(r.notes).toEqual([
      "4 loopback connection(s) left out (a guest talking to itself)",
      "1 connection(s) to the guest's own address left out",
    ]);
    // The guest is still a node of its own, with its group.
    expect(r.nodes).toEqual([expect.objectContaining({ key: K("a"), discovered: true, group: 1 })]);
  });

  it("groups: connected components of workloads, the largest first", () => {
    const guests = [
      guest("root@a:22", ["10.0.0.1"], [conn("10.0.0.1:40000", "10.0.0.2:80")]),
      guest("root@b:22", ["10.0.0.2"], [conn("10.0.0.2:40000", "10.0.0.3:5432")]),
      guest("root@d:22", ["10.0.0.4"], [conn("10.0.0.4:40000", "10.0.0.5:6379"), conn("10.0.0.4:40001", "1.1.1.1:53")]),
      guest("root@f:22", ["10.0.0.6"], [conn("10.0.0.6:40000", "1.1.1.1:53")]),
    ];
    const vms = ["a", "b", "c", "d", "e", "f"].map((id, i) => vm(id, [`10.0.0.${i + 1}`]));
    const r = analyseDependencies(inventoryOf(vms, guests));
    expect(r.groups.map((g) => g.members)).toEqual([[K("a"), K("b"), K("c")], [K("d"), K("e")], [K("f")]]);
    expect(edge(r, K("b"), K("c"), 5432)!.group).toBe(1);
    expect(edge(r, K("d"), "outside:1.1.1.1", 53)!.group).toBe(2);
    expect(edge(r, K("f"), "outside:1.1.1.1", 53)!.group).toBe(3);
    // A shared outside endpoint does not join d and f: one node, two edges.
    expect(r.nodes.filter((n) => n.key === "outside:1.1.1.1")).toHaveLength(1);
  });

  it("a VM read twice (two guest sources): its newest read counts, once", () => {
    const older = { ...guest("root@10.0.0.10:22", ["10.0.0.10"], [conn("10.0.0.10:40000", "8.8.8.8:53", "old")]), collectedAt: "2026-10-01T10:00:00.000Z" };
    const newer = guest("admin@a:22", ["10.0.0.10"], [conn("10.0.0.10:40001", "8.8.8.8:53", "new")]);
    const r = analyseDependencies(inventoryOf([vm("a", ["10.0.0.10"])], [older, newer]));
    expect(r.edges).toEqual([expect.objectContaining({ from: K("a"), to: "outside:8.8.8.8", connections: 1, clientProcesses: ["new"] })]);
    expect(r.notes).toEqual(["1 older read(s) of a VM read twice left out (its newest read counts)"]);
    // Near miss: two guests matched to no VM are two workloads, both counted.
    const apart = analyseDependencies(inventoryOf([], [older, { ...newer, ipAddresses: ["10.0.0.11"] }]));
    expect(apart.edges.map((e) => e.clientProcesses)).toEqual([["new"], ["old"]]);
    expect(apart.notes).toEqual([]);
  });

  it("two customers (the analyse CLI): each its own nodes, groups and outside endpoints", () => {
    const a = guest("root@a:22", ["10.0.0.1"], [conn("10.0.0.1:40000", "8.8.8.8:53", "dig"), conn("127.0.0.1:1", "127.0.0.1:2")]);
    const b = guest("root@b:22", ["10.0.0.1"], [conn("10.0.0.1:40000", "8.8.8.8:53", "dig")]);
    const r = analyseDependencies(inventoryOf([vm("a", ["10.0.0.1"])], [a], "acme", [{ customer: "globex", vms: [vm("b", ["10.0.0.1"])], guests: [b] }]));
    expect(r.nodes.map((n) => [n.customer, n.key])).toEqual([
      ["acme", "outside:8.8.8.8"],
      ["acme", K("a")],
      ["globex", "outside:8.8.8.8"],
      ["globex", "globex:vm:b"],
    ]);
    expect(r.edges.map((e) => [e.customer, e.from, e.to, e.group])).toEqual([
      ["acme", K("a"), "outside:8.8.8.8", 1],
      ["globex", "globex:vm:b", "outside:8.8.8.8", 1],
    ]);
    expect(r.groups.map((g) => [g.customer, g.id])).toEqual([["acme", 1], ["globex", 1]]);
  });

  it("no guests: nothing, and no notes", () => {
    const r = analyseDependencies(inventoryOf([vm("a", ["10.0.0.1"])], []));
    expect(r).toEqual({ guests: 0, nodes: [], edges: [], groups: [], notes: [] });
  });

  it("a guest with thousands of peers: edges past the limit are cut, the most connections kept, with a note", () => {
    const many: GuestConnection[] = [];
    for (let i = 0; i < 9_999; i++) many.push(conn(`10.0.0.1:${40000 + (i % 20000)}`, `203.0.${i >> 8}.${i & 255}:443`, "x"));
    const inputs = [0, 1, 2].map((n) =>
      guest(`root@g${n}:22`, [`10.0.0.${n + 1}`], many.map((c) => ({ ...c, localAddress: `10.0.0.${n + 1}`, remotePort: 443 + n }))),
    );
    inputs[0]!.connections!.push(conn("10.0.0.1:1", "10.0.0.2:80", "x"));
    const vms = [0, 1, 2].map((n) => vm(`g${n}`, [`10.0.0.${n + 1}`]));
    const r = analyseDependencies(inventoryOf(vms, inputs));
    expect(r.edges).toHaveLength(DEPENDENCY_EDGE_LIMIT);
    expect(r.notes[0]).toBe(`9998 of 29998 dependencies left out (the ${DEPENDENCY_EDGE_LIMIT} with the most connections are kept)`);
    // The edge between two workloads had one connection, as most: cut or kept, the VMs stay nodes.
    expect(r.nodes.filter((n) => n.kind === "vm")).toHaveLength(3);
    // Every edge's endpoints are nodes.
    const keys = new Set(r.nodes.map((n) => n.key));
    expect(r.edges.every((e) => keys.has(e.from) && keys.has(e.to))).toBe(true);
  });

  it("is part of the analysis", () => {
    const g = guest("root@a:22", ["10.0.0.1"], [conn("10.0.0.1:40000", "10.0.0.2:80", "curl")]);
    const a = analyse(inventoryOf([vm("a", ["10.0.0.1"]), vm("b", ["10.0.0.2"])], [g]), DEFAULT_PARAMETERS);
    expect(a.dependencies.edges).toEqual([expect.objectContaining({ from: K("a"), to: K("b"), port: 80 })]);
  });
});

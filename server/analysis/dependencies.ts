/**
 * Dependencies (issue 16): the established connections guest discovery read inside each guest,
 * turned into a per-customer graph of who talks to whom on which port, and its connected
 * components: the workloads that talk to each other and so move together in a migration wave.
 *
 * Pure, like every analysis. Per connection read in a guest:
 * - Direction: the guest serves when its local port is one of its listeners (same protocol, the
 *   listener on that address or on any address). Else, when the peer is a guest that read the
 *   same connection, the peer's listeners decide (it serves by one, or, its listeners read, it
 *   does not listen there and so is the client). Else the remote port is the service port and
 *   the guest is the client.
 * - The remote address resolves to an inventoried workload of the same customer: a VM reporting
 *   it, or a discovered guest reporting it (its VM when it is matched to one). An address several
 *   workloads report (a NAT range reused per network, a floating address) resolves to none.
 *   Unresolved addresses are "outside" endpoints, kept with their address and marked private
 *   (RFC 1918, RFC 6598 shared, link-local, IPv6 ULA) or public. Loopback and unspecified peers
 *   are dropped; so is a guest talking to one of its own addresses.
 * - A connection both guests read (the client's and the server's view) counts once: connections
 *   are counted by their 4-tuple.
 * Edges aggregate connections by (from, to, port, protocol); nodes are the workloads (VM keys,
 * else guest keys for guests matched to no VM) and the outside endpoints ("outside:<address>").
 */
import { isIP } from "node:net";
import type { Inventory, InventoryGuest } from "./inventory";

/** Edges kept per customer; past it the smallest are cut and a note says how many. */
export const DEPENDENCY_EDGE_LIMIT = 20_000;
/** Process names kept per side of an edge. */
const PROCESS_LIMIT = 8;

export type DependencyNodeKind = "vm" | "guest" | "outside";
export type AddressScope = "private" | "public";

export interface DependencyNode {
  /** A VM key, a guest key (a guest matched to no VM), or "outside:<address>" (unique within a customer). */
  key: string;
  kind: DependencyNodeKind;
  customer: string;
  /** The VM's name, the guest's hostname (else its target), or the outside address. */
  name: string;
  /** Outside endpoints: the address, its scope, and whether several workloads report it. */
  address: string | null;
  scope: AddressScope | null;
  shared: boolean;
  /** Guest discovery read this workload (its own connections are in the graph). */
  discovered: boolean;
  /** The group (connected component of workloads) it belongs to; null for outside endpoints. */
  group: number | null;
}

export interface DependencyEdge {
  customer: string;
  /** The client's node key. */
  from: string;
  /** The server's node key. */
  to: string;
  /** The service port (the server's). */
  port: number;
  protocol: "tcp" | "udp";
  /** Process names seen on the client and on the server side (sorted, at most 8 each). */
  clientProcesses: string[];
  serverProcesses: string[];
  /** Distinct connections (a connection both ends read counts once). */
  connections: number;
  /** The group of its workload end(s). */
  group: number | null;
}

export interface DependencyGroup {
  /** 1, 2, …: the largest group first, per customer. */
  id: number;
  customer: string;
  /** Workload node keys (VMs, unmatched guests), sorted. */
  members: string[];
}

export interface DependencyResult {
  /** Guests read by guest discovery. */
  guests: number;
  nodes: DependencyNode[];
  edges: DependencyEdge[];
  groups: DependencyGroup[];
  /** What was left out or cut, in words. */
  notes: string[];
}

/** Without brackets, zone or prefix length, lower case; IPv4-mapped IPv6 as IPv4. */
export function normaliseAddress(address: string): string {
  let a = address.trim().toLowerCase().replace(/^\[|\]$/g, "");
  a = a.replace(/%.*$/, "").replace(/\/\d+$/, "");
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a)?.[1];
  return mapped !== undefined && isIP(mapped) === 4 ? mapped : a;
}

/** Loopback or unspecified: says nothing about another machine. */
export function isLoopbackOrUnspecified(address: string): boolean {
  const a = normaliseAddress(address);
  return a === "" || a === "*" || a === "localhost" || /^127\./.test(a) || a === "0.0.0.0" || a === "::" || a === "::1";
}

/** Private: RFC 1918, RFC 6598 shared (100.64/10), link-local (169.254/16, fe80::/10), IPv6 ULA (fc00::/7). */
export function addressScope(address: string): AddressScope {
  const a = normaliseAddress(address);
  if (isIP(a) === 4) {
    const [x, y] = a.split(".").map(Number) as [number, number];
    if (x === 10) return "private";
    if (x === 172 && y >= 16 && y <= 31) return "private";
    if (x === 192 && y === 168) return "private";
    if (x === 100 && y >= 64 && y <= 127) return "private";
    if (x === 169 && y === 254) return "private";
    return "public";
  }
  if (isIP(a) === 6) {
    if (/^f[cd][0-9a-f]{0,2}:/.test(a)) return "private";
    if (/^fe[89ab][0-9a-f]?:/.test(a)) return "private";
    return "public";
  }
  // Not an address at all (garbage from a lying guest): not claimed to be public.
  return "private";
}

const ANY_ADDRESS = new Set(["0.0.0.0", "::", "*", ""]);

/** The guest serves this connection: one of its listeners has its protocol and local port, on its address or any. */
function serves(listenerIndex: Map<string, Set<string>>, protocol: string, localAddress: string, localPort: number): boolean {
  const addresses = listenerIndex.get(`${protocol}/${localPort}`);
  if (!addresses) return false;
  for (const a of addresses) if (ANY_ADDRESS.has(a) || a === localAddress) return true;
  return false;
}

/** One connection by its two ends, the same from either end. */
function connectionId(protocol: string, a: string, aPort: number, b: string, bPort: number): string {
  const one = `${a} ${aPort}`;
  const two = `${b} ${bPort}`;
  return one < two ? `${protocol} ${one} ${two}` : `${protocol} ${two} ${one}`;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface EdgeBuild {
  customer: string;
  from: string;
  to: string;
  port: number;
  protocol: "tcp" | "udp";
  clientProcesses: Set<string>;
  serverProcesses: Set<string>;
  tuples: Set<string>;
  /** Connections only this view can read (the other end is not a discovered guest). */
  single: number;
}

export function analyseDependencies(inventory: Inventory): DependencyResult {
  const notes: string[] = [];
  // One customer's nodes at a time: an outside address is one node per customer.
  let nodes = new Map<string, DependencyNode>();
  const allNodes: DependencyNode[] = [];
  const vmName = new Map(inventory.virtualMachines.map((vm) => [vm.key, vm.name] as const));
  const customers = [...new Set(inventory.guests.map((g) => g.customer))].sort(cmp);

  const workloadNode = (key: string, customer: string, guest: InventoryGuest | null): DependencyNode => {
    let node = nodes.get(key);
    if (!node) {
      const isVm = vmName.has(key);
      node = {
        key,
        kind: isVm ? "vm" : "guest",
        customer,
        name: isVm ? vmName.get(key)! : (guest?.hostname ?? guest?.target ?? key),
        address: null,
        scope: null,
        shared: false,
        discovered: false,
        group: null,
      };
      nodes.set(key, node);
    }
    if (guest) node.discovered = true;
    return node;
  };

  // Addresses repeat (every connection to the same server): each is normalised once.
  const normalised = new Map<string, string>();
  const normal = (address: string) => {
    let a = normalised.get(address);
    if (a === undefined) {
      a = normaliseAddress(address);
      if (normalised.size < 1_000_000) normalised.set(address, a);
    }
    return a;
  };

  const allEdges: DependencyEdge[] = [];
  const allGroups: DependencyGroup[] = [];
  let loopback = 0;
  let self = 0;

  for (const customer of customers) {
    nodes = new Map<string, DependencyNode>();
    // Notes name the customer only when the inventory holds several (the analyse CLI).
    const who = customers.length > 1 ? `${customer}: ` : "";
    // A VM read by several guest sources (or under two addresses) counts once: its newest read.
    const newest = new Map<string, InventoryGuest>();
    for (const g of inventory.guests) {
      if (g.customer !== customer) continue;
      const id = g.vmKey ?? g.key;
      const seen = newest.get(id);
      if (!seen || g.collectedAt > seen.collectedAt || (g.collectedAt === seen.collectedAt && g.key < seen.key)) newest.set(id, g);
    }
    const guests = [...newest.values()];
    if (guests.length < inventory.guests.filter((g) => g.customer === customer).length) {
      notes.push(`${who}${inventory.guests.filter((g) => g.customer === customer).length - guests.length} older read(s) of a VM read twice left out (its newest read counts)`);
    }
    // Address → the workloads reporting it (VMs by their inventory addresses, guests by their own).
    const byAddress = new Map<string, Set<string>>();
    const claim = (address: string, key: string) => {
      const a = normal(address);
      if (isLoopbackOrUnspecified(a)) return;
      const set = byAddress.get(a);
      if (set) set.add(key);
      else byAddress.set(a, new Set([key]));
    };
    for (const vm of inventory.virtualMachines) {
      if (vm.customer !== customer || vm.template) continue;
      for (const ip of vm.ipAddresses) claim(ip, vm.key);
    }
    const guestNode = (g: InventoryGuest) => g.vmKey ?? g.key;
    for (const g of guests) for (const ip of g.ipAddresses) claim(ip, guestNode(g));
    const resolve = (address: string): { key: string; shared: boolean } | null => {
      const set = byAddress.get(address);
      if (!set) return null;
      if (set.size === 1) return { key: [...set][0]!, shared: false };
      return { key: "", shared: true };
    };

    const edges = new Map<string, EdgeBuild>();
    const addEdge = (
      from: string,
      to: string,
      port: number,
      protocol: "tcp" | "udp",
      /** The connection's ends, when the other end may read it too (null: only this view can). */
      tuple: string | null,
      clientProcess: string | null,
      serverProcess: string | null,
    ) => {
      const id = `${from}\u0000${to}\u0000${protocol}\u0000${port}`;
      let edge = edges.get(id);
      if (!edge) {
        edge = { customer, from, to, port, protocol, clientProcesses: new Set(), serverProcesses: new Set(), tuples: new Set(), single: 0 };
        edges.set(id, edge);
      }
      if (tuple === null) edge.single += 1;
      else edge.tuples.add(tuple);
      if (clientProcess && edge.clientProcesses.size < PROCESS_LIMIT * 4) edge.clientProcesses.add(clientProcess);
      if (serverProcess && edge.serverProcesses.size < PROCESS_LIMIT * 4) edge.serverProcesses.add(serverProcess);
    };

    // Every discovered workload is a node (named from its guest) before any connection names it.
    for (const g of guests) workloadNode(guestNode(g), customer, g);
    const sorted = [...guests].sort((a, b) => cmp(a.key, b.key));
    // Workloads whose guest's listeners were read (an SSH server at least: a read list is never
    // empty), and each guest's listeners by protocol and port.
    const listenersRead = new Set(guests.filter((g) => g.listeners.length > 0).map(guestNode));
    const listenerIndexes = new Map<InventoryGuest, Map<string, Set<string>>>();
    for (const guest of sorted) {
      const index = new Map<string, Set<string>>();
      for (const l of guest.listeners) {
        const id = `${l.protocol}/${l.port}`;
        const set = index.get(id) ?? new Set<string>();
        set.add(normal(l.address));
        index.set(id, set);
      }
      listenerIndexes.set(guest, index);
    }
    const discovered = (key: string) => nodes.get(key)?.discovered === true;

    // Pass 1: for the peers whose listeners were not read, which end serves each connection they
    // may have read too, as a guest whose listeners were read says: it serves by a listener, or it
    // does not listen on its end and so is the client.
    const servedBy = new Map<string, string>();
    for (const guest of sorted) {
      if (guest.listeners.length === 0) continue;
      const index = listenerIndexes.get(guest)!;
      for (const c of guest.connections) {
        const remoteAddress = normal(c.remoteAddress);
        const peer = resolve(remoteAddress);
        if (!peer || peer.shared || !discovered(peer.key) || listenersRead.has(peer.key)) continue;
        const localAddress = normal(c.localAddress);
        const id = connectionId(c.protocol, localAddress, c.localPort, remoteAddress, c.remotePort);
        const local = `${localAddress} ${c.localPort}`;
        servedBy.set(id, serves(index, c.protocol, localAddress, c.localPort) ? local : `${remoteAddress} ${c.remotePort}`);
      }
    }

    for (const guest of sorted) {
      const local = workloadNode(guestNode(guest), customer, guest);
      const index = listenerIndexes.get(guest)!;
      const ownListeners = guest.listeners.length > 0;
      for (const c of guest.connections) {
        const localAddress = normal(c.localAddress);
        const remoteAddress = normal(c.remoteAddress);
        if (isLoopbackOrUnspecified(remoteAddress) || isLoopbackOrUnspecified(localAddress)) {
          loopback += 1;
          continue;
        }
        const resolved = resolve(remoteAddress);
        let remoteKey: string;
        if (resolved && !resolved.shared) {
          remoteKey = resolved.key;
          if (remoteKey === local.key) {
            self += 1;
            continue;
          }
          workloadNode(remoteKey, customer, null);
        } else {
          remoteKey = `outside:${remoteAddress}`;
          if (!nodes.has(remoteKey)) {
            nodes.set(remoteKey, {
              key: remoteKey,
              kind: "outside",
              customer,
              name: remoteAddress,
              address: remoteAddress,
              scope: addressScope(remoteAddress),
              shared: resolved?.shared ?? false,
              discovered: false,
              group: null,
            });
          }
        }
        // A connection whose other end is a discovered guest may be read twice: counted by its ends.
        const both = discovered(remoteKey) ? connectionId(c.protocol, localAddress, c.localPort, remoteAddress, c.remotePort) : null;
        const server = ownListeners
          ? serves(index, c.protocol, localAddress, c.localPort)
          : both !== null && servedBy.get(both) === `${localAddress} ${c.localPort}`;
        if (server) addEdge(remoteKey, local.key, c.localPort, c.protocol, both, null, c.process);
        else addEdge(local.key, remoteKey, c.remotePort, c.protocol, both, c.process, null);
      }
    }

    let built = [...edges.values()].map(
      (e): DependencyEdge => ({
        customer,
        from: e.from,
        to: e.to,
        port: e.port,
        protocol: e.protocol,
        clientProcesses: [...e.clientProcesses].sort(cmp).slice(0, PROCESS_LIMIT),
        serverProcesses: [...e.serverProcesses].sort(cmp).slice(0, PROCESS_LIMIT),
        connections: e.tuples.size + e.single,
        group: null,
      }),
    );
    // Most connections first; ties in a stable order.
    built.sort((a, b) => b.connections - a.connections || cmp(a.from, b.from) || cmp(a.to, b.to) || a.port - b.port || cmp(a.protocol, b.protocol));
    if (built.length > DEPENDENCY_EDGE_LIMIT) {
      notes.push(
        `${who}${built.length - DEPENDENCY_EDGE_LIMIT} of ${built.length} dependencies left out (the ${DEPENDENCY_EDGE_LIMIT} with the most connections are kept)`,
      );
      built = built.slice(0, DEPENDENCY_EDGE_LIMIT);
    }

    // Groups: connected components of workloads over the edges between workloads (an outside
    // endpoint, a DNS resolver on the Internet, joins nobody).
    const parent = new Map<string, string>();
    const find = (k: string): string => {
      let root = k;
      while (parent.get(root) !== root) root = parent.get(root)!;
      let at = k;
      while (at !== root) {
        const next = parent.get(at)!;
        parent.set(at, root);
        at = next;
      }
      return root;
    };
    const workloads = [...nodes.values()].filter((n) => n.kind !== "outside");
    for (const n of workloads) parent.set(n.key, n.key);
    for (const e of built) {
      if (!parent.has(e.from) || !parent.has(e.to)) continue;
      const a = find(e.from);
      const b = find(e.to);
      if (a !== b) parent.set(a < b ? b : a, a < b ? a : b);
    }
    const components = new Map<string, string[]>();
    for (const n of workloads) {
      const root = find(n.key);
      const list = components.get(root) ?? [];
      list.push(n.key);
      components.set(root, list);
    }
    const groups = [...components.values()]
      .map((members) => members.sort(cmp))
      .sort((a, b) => b.length - a.length || cmp(a[0]!, b[0]!));
    groups.forEach((members, i) => {
      const id = i + 1;
      allGroups.push({ id, customer, members });
      for (const k of members) nodes.get(k)!.group = id;
    });
    for (const e of built) e.group = nodes.get(e.from)?.group ?? nodes.get(e.to)?.group ?? null;
    allEdges.push(...built);
    // Nodes an edge still names (an outside endpoint whose edges were all cut goes too).
    const named = new Set(built.flatMap((e) => [e.from, e.to]));
    allNodes.push(...[...nodes.values()].filter((n) => n.kind !== "outside" || named.has(n.key)));
  }

  const keptNodes = allNodes.sort((a, b) => cmp(a.customer, b.customer) || cmp(a.kind, b.kind) || cmp(a.name, b.name) || cmp(a.key, b.key));
  if (loopback > 0) notes.push(`${loopback} loopback connection(s) left out (a guest talking to itself)`);
  if (self > 0) notes.push(`${self} connection(s) to the guest's own address left out`);
  return { guests: inventory.guests.length, nodes: keptNodes, edges: allEdges, groups: allGroups, notes };
}

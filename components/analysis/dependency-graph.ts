/**
 * The dependency graph's picture: which nodes to draw (workloads first, then the outside
 * endpoints with the most connections, up to a limit), the links between them (one per direction
 * and pair, carrying every port), and where each node sits (d3-force, run to rest at once with
 * its fixed random source, so the same graph is laid out the same way every time).
 */
import { forceCollide, forceLink, forceManyBody, forceSimulation, forceX, forceY, type SimulationNodeDatum } from "d3-force";
import type { DependencyEdge, DependencyNode } from "@/server/analysis/dependencies";

/** Nodes drawn at most: past it, outside endpoints with the fewest connections are left to the table. */
export const GRAPH_NODE_LIMIT = 120;
export const NODE_RADIUS = 14;

export interface GraphNode extends SimulationNodeDatum {
  key: string;
  name: string;
  kind: DependencyNode["kind"];
  scope: DependencyNode["scope"];
  shared: boolean;
  discovered: boolean;
  group: number | null;
  /** Connections in and out. */
  connections: number;
  x: number;
  y: number;
}

export interface GraphLink {
  id: string;
  from: string;
  to: string;
  /** "5432", or "udp/53" for UDP; sorted. */
  ports: string[];
  connections: number;
}

export interface GraphLayout {
  nodes: GraphNode[];
  links: GraphLink[];
  /** Nodes of the graph not drawn (the table lists their edges). */
  hidden: number;
  /** The drawing's bounds, for the viewBox. */
  box: { x: number; y: number; width: number; height: number };
}

export const portLabel = (e: Pick<DependencyEdge, "port" | "protocol">) => (e.protocol === "tcp" ? String(e.port) : `${e.protocol}/${e.port}`);

export function layoutGraph(nodes: DependencyNode[], edges: DependencyEdge[], limit = GRAPH_NODE_LIMIT): GraphLayout {
  const connections = new Map<string, number>();
  for (const e of edges) {
    connections.set(e.from, (connections.get(e.from) ?? 0) + e.connections);
    connections.set(e.to, (connections.get(e.to) ?? 0) + e.connections);
  }
  const ranked = [...nodes].sort(
    (a, b) =>
      Number(a.kind === "outside") - Number(b.kind === "outside") ||
      (connections.get(b.key) ?? 0) - (connections.get(a.key) ?? 0) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const kept = ranked.slice(0, limit);
  const keys = new Set(kept.map((n) => n.key));

  const links = new Map<string, GraphLink>();
  for (const e of edges) {
    if (!keys.has(e.from) || !keys.has(e.to)) continue;
    const id = `${e.from}\u0000${e.to}`;
    const link = links.get(id) ?? { id, from: e.from, to: e.to, ports: [], connections: 0 };
    const label = portLabel(e);
    if (!link.ports.includes(label)) link.ports.push(label);
    link.connections += e.connections;
    links.set(id, link);
  }
  for (const link of links.values()) link.ports.sort((a, b) => (parseInt(a.replace(/^\D+/, ""), 10) || 0) - (parseInt(b.replace(/^\D+/, ""), 10) || 0));

  const graphNodes: GraphNode[] = kept.map((n, i) => {
    // Start on a circle in rank order: with d3's fixed random source, the layout is reproducible.
    const angle = (2 * Math.PI * i) / Math.max(1, kept.length);
    const radius = 40 + 12 * Math.sqrt(kept.length);
    return {
      key: n.key,
      name: n.name,
      kind: n.kind,
      scope: n.scope,
      shared: n.shared,
      discovered: n.discovered,
      group: n.group,
      connections: connections.get(n.key) ?? 0,
      x: 2 * radius * Math.cos(angle),
      y: radius * Math.sin(angle),
    };
  });
  const simLinks = [...links.values()].map((l) => ({ source: l.from, target: l.to }));
  const simulation = forceSimulation<GraphNode>(graphNodes)
    .force("link", forceLink<GraphNode, { source: string | GraphNode; target: string | GraphNode }>(simLinks).id((d) => d.key).distance(110))
    .force("charge", forceManyBody<GraphNode>().strength(-420))
    // Pulled harder vertically than horizontally: the picture is a wide band, as the page is.
    .force("x", forceX<GraphNode>(0).strength(0.025))
    .force("y", forceY<GraphNode>(0).strength(0.14))
    .force("collide", forceCollide<GraphNode>(NODE_RADIUS * 2.4))
    .stop();
  const ticks = Math.ceil(Math.log(simulation.alphaMin()) / Math.log(1 - simulation.alphaDecay()));
  simulation.tick(ticks);

  const pad = NODE_RADIUS * 6;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const n of graphNodes) {
    minX = Math.min(minX, n.x);
    minY = Math.min(minY, n.y);
    maxX = Math.max(maxX, n.x);
    maxY = Math.max(maxY, n.y);
  }
  const box =
    graphNodes.length === 0
      ? { x: -100, y: -100, width: 200, height: 200 }
      : { x: minX - pad, y: minY - pad, width: maxX - minX + 2 * pad, height: maxY - minY + 2 * pad };
  return { nodes: graphNodes, links: [...links.values()], hidden: nodes.length - kept.length, box };
}

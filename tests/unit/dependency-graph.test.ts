/**
 * The dependency graph's picture (components/analysis/dependency-graph.ts): which nodes are drawn
 * under the limit, one link per direction and pair carrying every port, and a layout that is the
 * same every time and never NaN.
 */
import { describe, expect, it } from "vitest";
import { layoutGraph } from "@/components/analysis/dependency-graph";
import type { DependencyEdge, DependencyNode } from "@/server/analysis/dependencies";

const node = (key: string, kind: DependencyNode["kind"] = "vm"): DependencyNode => ({
  key,
  kind,
  customer: "c",
  name: key,
  address: kind === "outside" ? key : null,
  scope: kind === "outside" ? "public" : null,
  shared: false,
  discovered: kind !== "outside",
  group: kind === "outside" ? null : 1,
});
const edge = (from: string, to: string, port: number, connections = 1, protocol: "tcp" | "udp" = "tcp"): DependencyEdge => ({
  customer: "c",
  from,
  to,
  port,
  protocol,
  clientProcesses: [],
  serverProcesses: [],
  connections,
  group: 1,
});

describe("layoutGraph", () => {
  it("one link per direction and pair, its ports sorted by number, UDP named", () => {
    const layout = layoutGraph(
      [node("a"), node("b")],
      [edge("a", "b", 8080), edge("a", "b", 443), edge("a", "b", 53, 2, "udp"), edge("b", "a", 5432, 3)],
    );
    expect(layout.links.map((l) => [l.from, l.to, l.ports, l.connections])).toEqual([
      ["a", "b", ["udp/53", "443", "8080"], 4],
      ["b", "a", ["5432"], 3],
    ]);
    expect(layout.hidden).toBe(0);
  });

  it("past the limit, outside endpoints with the fewest connections are left out, workloads never first", () => {
    const nodes = [node("a"), node("b"), node("x", "outside"), node("y", "outside"), node("z", "outside")];
    const edges = [edge("a", "b", 80), edge("a", "x", 443, 5), edge("a", "y", 443, 1), edge("b", "z", 443, 3)];
    const layout = layoutGraph(nodes, edges, 4);
    expect(layout.nodes.map((n) => n.key).sort()).toEqual(["a", "b", "x", "z"]);
    expect(layout.hidden).toBe(1);
    // Links only between drawn nodes.
    expect(layout.links.some((l) => l.to === "y")).toBe(false);
  });

  it("lays out the same graph the same way, every position finite and apart", () => {
    const nodes = Array.from({ length: 30 }, (_, i) => node(`n${i}`));
    const edges = nodes.slice(1).map((n, i) => edge(`n${i % 5}`, n.key, 5432));
    const one = layoutGraph(nodes, edges);
    const two = layoutGraph(nodes, edges);
    expect(one.nodes.map((n) => [n.x, n.y])).toEqual(two.nodes.map((n) => [n.x, n.y]));
    for (const n of one.nodes) expect(Number.isFinite(n.x) && Number.isFinite(n.y)).toBe(true);
    for (const [i, a] of one.nodes.entries()) {
      for (const b of one.nodes.slice(i + 1)) expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeGreaterThan(10);
    }
    expect(one.box.width).toBeGreaterThan(0);
  });

  it("nothing to draw: an empty layout with a box", () => {
    const layout = layoutGraph([], []);
    expect(layout).toMatchObject({ nodes: [], links: [], hidden: 0 });
    expect(layout.box.width).toBeGreaterThan(0);
  });
});

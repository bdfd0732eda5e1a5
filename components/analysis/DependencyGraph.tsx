"use client";
/**
 * The dependency graph as SVG: workloads as circles coloured by group (dashed when guest
 * discovery did not read them), outside endpoints as squares (amber public, grey private), arrows
 * from client to server labelled with the server's ports. Each node is a tab stop: focusing or
 * hovering it keeps its own links bright and says them in words (aria-label and the line below).
 */
import { useMemo, useState } from "react";
import type { DependencyEdge, DependencyNode } from "@/server/analysis/dependencies";
import { pluralize } from "../format";
import { cx } from "../ui/cx";
import { layoutGraph, NODE_RADIUS, type GraphLink, type GraphNode } from "./dependency-graph";

/** Group colours (Tailwind 600s), cycling. */
const GROUP_COLOURS = ["#2563eb", "#0d9488", "#7c3aed", "#db2777", "#ea580c", "#65a30d", "#0891b2", "#ca8a04"];
const groupColour = (group: number | null) => (group === null ? "#64748b" : GROUP_COLOURS[(group - 1) % GROUP_COLOURS.length]!);

const short = (name: string, max = 22) => (name.length > max ? `${name.slice(0, max - 1)}…` : name);

export function DependencyGraph({ nodes, edges, label }: { nodes: DependencyNode[]; edges: DependencyEdge[]; label: string }) {
  const layout = useMemo(() => layoutGraph(nodes, edges), [nodes, edges]);
  const [active, setActive] = useState<string | null>(null);
  const byKey = useMemo(() => new Map(layout.nodes.map((n) => [n.key, n] as const)), [layout.nodes]);

  const describe = (node: GraphNode) => {
    const out = layout.links.filter((l) => l.from === node.key).map((l) => `${byKey.get(l.to)?.name ?? l.to} on ${l.ports.join(", ")}`);
    const into = layout.links.filter((l) => l.to === node.key).map((l) => `${byKey.get(l.from)?.name ?? l.from} on ${l.ports.join(", ")}`);
    const kind = node.kind === "outside" ? `outside endpoint, ${node.scope ?? "private"}` : node.group !== null ? `group ${node.group}` : "workload";
    const parts = [`${node.name} (${kind})`];
    if (out.length > 0) parts.push(`talks to ${out.join("; ")}`);
    if (into.length > 0) parts.push(`is used by ${into.join("; ")}`);
    return parts.join(": ");
  };

  if (layout.nodes.length === 0) {
    return <p className="px-4 py-6 text-sm text-slate-600 dark:text-slate-400">No connection between workloads or to outside was read.</p>;
  }
  const activeNode = active ? byKey.get(active) : undefined;
  const lit = (link: GraphLink) => active === null || link.from === active || link.to === active;
  const litNode = (key: string) =>
    active === null || key === active || layout.links.some((l) => (l.from === active && l.to === key) || (l.to === active && l.from === key));

  return (
    <figure className="px-2 pt-2 pb-3" aria-label={label}>
      <svg
        role="group"
        aria-label={`${label}: ${pluralize(layout.nodes.length, "node")}, ${pluralize(layout.links.length, "link")}`}
        viewBox={`${layout.box.x} ${layout.box.y} ${layout.box.width} ${layout.box.height}`}
        preserveAspectRatio="xMidYMid meet"
        className="h-[28rem] w-full"
        data-dependency-graph
        onMouseLeave={() => setActive(null)}
      >
        <defs>
          <marker id="dependency-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#64748b" />
          </marker>
        </defs>
        <g>
          {layout.links.map((link) => (
            <LinkPath key={link.id} link={link} from={byKey.get(link.from)!} to={byKey.get(link.to)!} dim={!lit(link)} />
          ))}
        </g>
        <g>
          {layout.nodes.map((node) => (
            <g
              key={node.key}
              transform={`translate(${node.x} ${node.y})`}
              tabIndex={0}
              role="img"
              aria-label={describe(node)}
              data-node={node.kind}
              data-node-name={node.name}
              className="cursor-default outline-none [&:focus-visible>.ring]:opacity-100"
              opacity={litNode(node.key) ? 1 : 0.25}
              onFocus={() => setActive(node.key)}
              onBlur={() => setActive((a) => (a === node.key ? null : a))}
              onMouseEnter={() => setActive(node.key)}
              onKeyDown={(event) => {
                if (event.key === "Escape") (event.currentTarget as SVGGElement).blur();
              }}
            >
              <circle className="ring" r={NODE_RADIUS + 5} fill="none" stroke="#2563eb" strokeWidth={2.5} opacity={0} />
              {node.kind === "outside" ? (
                <rect
                  x={-NODE_RADIUS + 2}
                  y={-NODE_RADIUS + 2}
                  width={2 * NODE_RADIUS - 4}
                  height={2 * NODE_RADIUS - 4}
                  rx={4}
                  fill={node.scope === "public" ? "#fef3c7" : "#f1f5f9"}
                  stroke={node.scope === "public" ? "#d97706" : "#94a3b8"}
                  strokeWidth={1.5}
                />
              ) : (
                <circle
                  r={NODE_RADIUS}
                  fill={groupColour(node.group)}
                  fillOpacity={node.discovered ? 0.9 : 0.25}
                  stroke={groupColour(node.group)}
                  strokeWidth={2}
                  strokeDasharray={node.discovered ? undefined : "4 3"}
                />
              )}
              <text
                y={NODE_RADIUS + 14}
                textAnchor="middle"
                fontSize={12}
                fill="#0f172a"
                stroke="#ffffff"
                strokeWidth={3}
                paintOrder="stroke"
                className={node.kind === "outside" ? "font-mono" : undefined}
              >
                {short(node.name)}
              </text>
            </g>
          ))}
        </g>
      </svg>
      <figcaption className="mt-1 px-2 text-xs text-slate-600 dark:text-slate-400" aria-live="polite">
        {activeNode ? describe(activeNode) : `${pluralize(layout.nodes.length, "node")} and ${pluralize(layout.links.length, "link")}.`}
        {layout.hidden > 0 && (
          <span className={cx("ml-1")}>
            {pluralize(layout.hidden, "outside endpoint")} with the fewest connections not drawn; the table lists them.
          </span>
        )}
      </figcaption>
    </figure>
  );
}

/** A slightly bent arrow (so A→B and B→A stay apart), ending at the target's edge, its ports at the middle. */
function LinkPath({ link, from, to, dim }: { link: GraphLink; from: GraphNode; to: GraphNode; dim: boolean }) {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const length = Math.hypot(dx, dy) || 1;
  const bend = Math.min(24, length * 0.12);
  const cx = (from.x + to.x) / 2 - (dy / length) * bend;
  const cy = (from.y + to.y) / 2 + (dx / length) * bend;
  // End at the target's edge, along the line from the control point.
  const ex = to.x - cx;
  const ey = to.y - cy;
  const el = Math.hypot(ex, ey) || 1;
  const endX = to.x - (ex / el) * (NODE_RADIUS + 3);
  const endY = to.y - (ey / el) * (NODE_RADIUS + 3);
  // The label on the curve's middle (a quadratic Bézier at t = 0.5).
  const lx = 0.25 * from.x + 0.5 * cx + 0.25 * to.x;
  const ly = 0.25 * from.y + 0.5 * cy + 0.25 * to.y;
  const text = link.ports.length > 3 ? `${link.ports.slice(0, 3).join(", ")}, …` : link.ports.join(", ");
  return (
    <g opacity={dim ? 0.15 : 1} data-link={`${from.name} ${to.name}`}>
      <path
        d={`M ${from.x} ${from.y} Q ${cx} ${cy} ${endX} ${endY}`}
        fill="none"
        stroke="#94a3b8"
        strokeWidth={Math.min(4, 1.2 + Math.log10(link.connections + 1))}
        markerEnd="url(#dependency-arrow)"
      />
      <text x={lx} y={ly - 3} textAnchor="middle" fontSize={11} fill="#334155" stroke="#ffffff" strokeWidth={3} paintOrder="stroke">
        {text}
      </text>
    </g>
  );
}

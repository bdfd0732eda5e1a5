"use client";
/**
 * The Dependencies tab: who talks to whom inside the customer, from guest discovery's established
 * connections. A graph (workloads and outside endpoints, links labelled with their ports) and the
 * table of the same edges, filtered together by group (the workloads that move together).
 */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useMemo, useState } from "react";
import { useTRPC } from "@/lib/trpc";
import type { RouterOutputs } from "../api-types";
import { formatCount, formatRowRange, MISSING, pluralize } from "../format";
import { SearchInput } from "../tables/SearchInput";
import { Badge } from "../ui/Badge";
import { Button, buttonClasses } from "../ui/Button";
import { Card, StatCard } from "../ui/Card";
import { EmptyState } from "../ui/EmptyState";
import { QueryError } from "../ui/ErrorMessage";
import { selectClasses } from "../ui/Field";
import { Notice } from "../ui/Notice";
import { LoadingBlock } from "../ui/Spinner";
import { cx, focusRing } from "../ui/cx";
import { DependencyGraph } from "./DependencyGraph";
import { ExportLink, FigureTable, numClass, RowHeader, Section, tdClass, Th, thClass, useCanExport } from "./parts";
import { ObjectNameLink } from "../objects/ObjectNameLink";

export type Dependencies = RouterOutputs["analysis"]["dependencies"];
type Edge = Dependencies["edges"][number];
type Node = Dependencies["nodes"][number];

const PAGE_SIZE = 25;

type SortColumn = "from" | "to" | "port" | "connections" | "group";
type Sort = { column: SortColumn; direction: "asc" | "desc" };
const DEFAULT_DIRECTION: Record<SortColumn, "asc" | "desc"> = { from: "asc", to: "asc", port: "asc", connections: "desc", group: "asc" };

/** The edges in the table's order; ties keep the analysis's order (most connections first). */
function sortEdges(edges: Edge[], sort: Sort, byKey: Map<string, Node>): Edge[] {
  const name = (key: string) => byKey.get(key)?.name ?? key;
  const value = (e: Edge): string | number => {
    switch (sort.column) {
      case "from":
        return name(e.from);
      case "to":
        return name(e.to);
      case "port":
        return e.port;
      case "connections":
        return e.connections;
      case "group":
        return e.group ?? Number.MAX_SAFE_INTEGER;
    }
  };
  const sign = sort.direction === "asc" ? 1 : -1;
  return edges
    .map((e, i) => ({ e, i, v: value(e) }))
    .sort((a, b) => {
      const c = typeof a.v === "number" && typeof b.v === "number" ? a.v - b.v : String(a.v).localeCompare(String(b.v), "en", { numeric: true });
      return c !== 0 ? sign * c : a.i - b.i;
    })
    .map((x) => x.e);
}

function SortTh({
  column,
  label,
  right,
  sort,
  onSort,
}: {
  column: SortColumn;
  label: string;
  right: boolean;
  sort: Sort;
  onSort: (column: SortColumn) => void;
}) {
  const active = sort.column === column;
  return (
    <th
      scope="col"
      aria-sort={active ? (sort.direction === "asc" ? "ascending" : "descending") : "none"}
      className={cx(thClass, right ? "text-right" : "text-left")}
    >
      <button
        type="button"
        onClick={() => onSort(column)}
        title={`Sort by ${label.toLowerCase()}`}
        className={cx(
          "-mx-1 inline-flex items-center gap-1 rounded px-1 py-0.5 hover:bg-slate-200/70 dark:hover:bg-slate-700/70 hover:text-slate-900 dark:hover:text-slate-100",
          right && "flex-row-reverse",
          active && "text-slate-900 dark:text-slate-100",
          focusRing,
        )}
      >
        <span>{label}</span>
        <span aria-hidden="true" className={active ? undefined : "invisible"}>
          {sort.direction === "asc" ? "▲" : "▼"}
        </span>
      </button>
    </th>
  );
}

export function DependenciesPanel({ customerId, customerName }: { customerId: string; customerName: string }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.analysis.dependencies.queryOptions({ customerId }));
  if (query.isPending) return <LoadingBlock label="Reading dependencies…" />;
  if (query.error && !query.data) return <QueryError title="Could not load the dependencies" query={query} />;
  const data = query.data!;
  if (data.guests === 0) {
    return (
      <Card>
        <EmptyState
          title="No guest discovery yet"
          action={
            <Link href="/sources" className={buttonClasses("primary")}>
              Add a source
            </Link>
          }
        >
          No guest discovery yet: add a Linux guests (ssh) source to see who talks to whom.
        </EmptyState>
      </Card>
    );
  }
  return <DependencyView data={data} customerId={customerId} customerName={customerName} />;
}

function DependencyView({ data, customerId, customerName }: { data: Dependencies; customerId: string; customerName: string }) {
  const [group, setGroup] = useState<number | null>(null);
  const [search, setSearch] = useState("");
  const [page, setPage] = useState(0);
  const [sort, setSort] = useState<Sort>({ column: "connections", direction: "desc" });
  const canExport = useCanExport();
  const groupId = useId();

  const byKey = useMemo(() => new Map(data.nodes.map((n) => [n.key, n] as const)), [data.nodes]);
  const moving = data.groups.filter((g) => g.members.length > 1);
  const workloads = data.nodes.filter((n) => n.kind !== "outside");
  const outside = data.nodes.length - workloads.length;

  const inGroup = useMemo(() => (group === null ? data.edges : data.edges.filter((e) => e.group === group)), [data.edges, group]);
  const graphNodes = useMemo(() => {
    if (group === null) return data.nodes;
    const keys = new Set(inGroup.flatMap((e) => [e.from, e.to]));
    return data.nodes.filter((n) => n.group === group || keys.has(n.key));
  }, [data.nodes, group, inGroup]);

  const needle = search.toLowerCase();
  const rows = useMemo(() => {
    if (!needle) return inGroup;
    return inGroup.filter((e) => {
      const text = [byKey.get(e.from)?.name, byKey.get(e.to)?.name, String(e.port), e.protocol, ...e.clientProcesses, ...e.serverProcesses]
        .join(" ")
        .toLowerCase();
      return text.includes(needle);
    });
  }, [inGroup, needle, byKey]);
  const sortedRows = useMemo(() => sortEdges(rows, sort, byKey), [rows, sort, byKey]);
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  const current = Math.min(page, pages - 1);
  const shown = sortedRows.slice(current * PAGE_SIZE, (current + 1) * PAGE_SIZE);
  const sortBy = (column: SortColumn) => {
    setSort((s) => ({ column, direction: s.column === column ? (s.direction === "asc" ? "desc" : "asc") : DEFAULT_DIRECTION[column] }));
    setPage(0);
  };
  const header = (column: SortColumn, label: string, right = false) => (
    <SortTh column={column} label={label} right={right} sort={sort} onSort={sortBy} />
  );

  const groupLabel = (id: number) => {
    const g = data.groups.find((x) => x.id === id);
    return g ? `Group ${id} (${pluralize(g.members.length, "workload")})` : `Group ${id}`;
  };

  return (
    <div className="space-y-6">
      <dl className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <StatCard label="Guests read" value={formatCount(data.guests)} detail="by guest discovery (ssh)" />
        <StatCard
          label="Workloads"
          value={formatCount(workloads.length)}
          detail={`${formatCount(workloads.filter((n) => n.discovered).length)} read, the others named by a peer`}
        />
        <StatCard label="Dependencies" value={formatCount(data.edges.length)} detail={`${pluralize(outside, "outside endpoint")}`} />
        <StatCard
          label="Move together"
          value={formatCount(moving.length)}
          detail={`${pluralize(moving.length, "group")} of workloads that talk to each other`}
        />
      </dl>

      {data.notes.length > 0 && (
        <Notice tone="info">
          <p className="font-medium">Left out</p>
          <ul className="list-disc pl-5">
            {data.notes.map((note) => (
              <li key={note}>{note}</li>
            ))}
          </ul>
        </Notice>
      )}

      <div className="flex flex-wrap items-end gap-3">
        <div className="text-sm">
          <label htmlFor={groupId} className="mb-1 block text-xs font-medium text-slate-600 dark:text-slate-400">
            Group
          </label>
          <select
            id={groupId}
            className={cx(selectClasses, "w-64")}
            value={group === null ? "" : String(group)}
            onChange={(event) => {
              setGroup(event.target.value === "" ? null : Number(event.target.value));
              setPage(0);
            }}
          >
            <option value="">All groups</option>
            {data.groups.map((g) => (
              <option key={g.id} value={g.id}>
                {groupLabel(g.id)}
              </option>
            ))}
          </select>
        </div>
      </div>

      <Section
        id="dependency-graph-heading"
        title="Who talks to whom"
        description="Workloads (circles, coloured by group; dashed: not read by guest discovery, seen as a peer) and outside endpoints (squares: amber public, grey private). Arrows go from client to server, labelled with the server's ports. Tab to a node to see its links."
      >
        <DependencyGraph nodes={graphNodes} edges={inGroup} label={`Dependency graph of ${customerName}`} />
      </Section>

      <Section
        id="dependency-table-heading"
        title="Dependencies"
        description="Each client, server and port, with the processes seen on both ends and the connections counted (a connection both ends read counts once)."
        actions={
          canExport ? <ExportLink href={`/api/export/${encodeURIComponent(customerId)}/dependencies`} /> : undefined
        }
      >
        <div className="flex flex-wrap items-center justify-between gap-3 px-3 py-2">
          <SearchInput
            label="Search dependencies"
            placeholder="Search workload, address, port, process"
            value={search}
            onSearch={(value) => {
              setSearch(value);
              setPage(0);
            }}
            className="w-80"
          />
          <p className="text-xs text-slate-600 dark:text-slate-400" aria-live="polite">
            {formatRowRange(current, PAGE_SIZE, rows.length)}
          </p>
        </div>
        {rows.length === 0 ? (
          <EmptyState title={inGroup.length === 0 ? "No connections read" : "No dependencies match the search"}>
            {inGroup.length === 0
              ? "The guests read had no established connection to another machine at the time."
              : undefined}
          </EmptyState>
        ) : (
          <FigureTable
            caption={`Dependencies of ${customerName}`}
            captionHidden
            head={
              <>
                {header("from", "From")}
                {header("to", "To")}
                {header("port", "Port", true)}
                <Th>Protocol</Th>
                <Th>Processes</Th>
                {header("connections", "Connections", true)}
                {header("group", "Group", true)}
              </>
            }
          >
            {shown.map((e) => (
              <EdgeRow key={`${e.from} ${e.to} ${e.protocol} ${e.port}`} edge={e} from={byKey.get(e.from)} to={byKey.get(e.to)} />
            ))}
          </FigureTable>
        )}
        {pages > 1 && (
          <div className="flex items-center justify-end gap-2 border-t border-slate-200 dark:border-slate-700 px-3 py-2">
            <Button variant="secondary" size="sm" disabled={current === 0} onClick={() => setPage(current - 1)}>
              Previous
            </Button>
            <span className="text-xs text-slate-600 dark:text-slate-400">
              Page {formatCount(current + 1)} of {formatCount(pages)}
            </span>
            <Button variant="secondary" size="sm" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>
              Next
            </Button>
          </div>
        )}
      </Section>
    </div>
  );
}

function Endpoint({ node, fallback }: { node: Node | undefined; fallback: string }) {
  if (!node) return <>{fallback}</>;
  if (node.kind === "outside") {
    return (
      <span className="inline-flex flex-wrap items-center gap-1.5">
        <span className="font-mono text-xs">{node.name}</span>
        <Badge tone={node.scope === "public" ? "amber" : "neutral"}>{node.scope === "public" ? "public" : "private"}</Badge>
        {node.shared && <Badge tone="neutral">several VMs</Badge>}
      </span>
    );
  }
  return (
    <span>
      {node.kind === "vm" ? <ObjectNameLink kind="vm" id={node.key}>{node.name}</ObjectNameLink> : node.name}
      {!node.discovered && <span className="ml-1.5 text-xs text-slate-500 dark:text-slate-400">(not read)</span>}
    </span>
  );
}

function EdgeRow({ edge, from, to }: { edge: Edge; from: Node | undefined; to: Node | undefined }) {
  const processes = (list: string[]) => (list.length > 0 ? list.join(", ") : "?");
  return (
    <tr data-dependency={`${from?.name ?? edge.from} ${to?.name ?? edge.to} ${edge.port}`}>
      <RowHeader>
        <Endpoint node={from} fallback={edge.from} />
      </RowHeader>
      <td className={tdClass}>
        <Endpoint node={to} fallback={edge.to} />
      </td>
      <td className={numClass}>{edge.port}</td>
      <td className={cx(tdClass, "uppercase")}>{edge.protocol}</td>
      <td className={cx(tdClass, "text-xs text-slate-700 dark:text-slate-300")}>
        {edge.clientProcesses.length === 0 && edge.serverProcesses.length === 0 ? (
          <span className="text-slate-400 dark:text-slate-500">{MISSING}</span>
        ) : (
          <>
            {processes(edge.clientProcesses)} <span aria-label="to">→</span> {processes(edge.serverProcesses)}
          </>
        )}
      </td>
      <td className={numClass}>{formatCount(edge.connections)}</td>
      <td className={numClass}>{edge.group ?? MISSING}</td>
    </tr>
  );
}

/**
 * The dependency table as CSV: the customer page's Dependencies tab, one row per client, server,
 * port and protocol, the endpoints by name (an outside endpoint by its address and scope).
 */
import type { DependencyEdge, DependencyNode, DependencyResult } from "../analysis/dependencies";
import type { CsvColumn } from "./csv";

export interface DependencyCsvRow {
  edge: DependencyEdge;
  from: DependencyNode | undefined;
  to: DependencyNode | undefined;
}

/** The edges with their endpoints, in the analysis's order (most connections first). */
export function dependencyCsvRows(result: DependencyResult): DependencyCsvRow[] {
  const byKey = new Map(result.nodes.map((n) => [n.key, n] as const));
  return result.edges.map((edge) => ({ edge, from: byKey.get(edge.from), to: byKey.get(edge.to) }));
}

const name = (node: DependencyNode | undefined, key: string) => node?.name ?? key;
const kind = (node: DependencyNode | undefined) =>
  !node ? "" : node.kind === "outside" ? `outside (${node.scope ?? "private"}${node.shared ? ", several VMs" : ""})` : node.kind === "vm" ? "virtual machine" : "guest";

export const DEPENDENCY_CSV_COLUMNS: readonly CsvColumn<DependencyCsvRow>[] = [
  { header: "From", cell: (r) => name(r.from, r.edge.from) },
  { header: "From kind", cell: (r) => kind(r.from) },
  { header: "To", cell: (r) => name(r.to, r.edge.to) },
  { header: "To kind", cell: (r) => kind(r.to) },
  { header: "Port", cell: (r) => r.edge.port },
  { header: "Protocol", cell: (r) => r.edge.protocol },
  { header: "Client processes", cell: (r) => r.edge.clientProcesses.join(", ") },
  { header: "Server processes", cell: (r) => r.edge.serverProcesses.join(", ") },
  { header: "Connections", cell: (r) => r.edge.connections },
  { header: "Group", cell: (r) => r.edge.group },
];

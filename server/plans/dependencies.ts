/**
 * Dependencies a plan splits: guest discovery's connections (server/analysis/dependencies.ts)
 * between two workloads that sit in different waves of the plan, or one in the plan and the other
 * not. Each flag carries the connection as evidence: service port, protocol, the processes seen on
 * both sides, how many connections were read. Outside endpoints (addresses no workload reports)
 * are not workloads of the plan and are not flagged.
 */
import type { DependencyResult } from "../analysis/dependencies";

export interface SplitDependency {
  /** The client and the server (the one listening on the port). */
  client: { key: string; name: string; waveId: string | null; waveName: string | null };
  server: { key: string; name: string; waveId: string | null; waveName: string | null };
  port: number;
  protocol: "tcp" | "udp";
  clientProcesses: string[];
  serverProcesses: string[];
  connections: number;
  /** "different waves", or one end outside the plan. */
  split: "waves" | "outside-plan";
  /** One sentence: who talks to whom, on what, and where each sits. */
  evidence: string;
}

export function splitDependencies(dependencies: DependencyResult, waveOf: ReadonlyMap<string, { waveId: string; waveName: string }>): SplitDependency[] {
  const nodes = new Map(dependencies.nodes.map((n) => [n.key, n]));
  const flags: SplitDependency[] = [];
  for (const e of dependencies.edges) {
    const from = nodes.get(e.from);
    const to = nodes.get(e.to);
    if (!from || !to || from.kind === "outside" || to.kind === "outside") continue;
    const a = waveOf.get(e.from) ?? null;
    const b = waveOf.get(e.to) ?? null;
    if (!a && !b) continue;
    if (a && b && a.waveId === b.waveId) continue;
    const where = (w: typeof a) => (w ? `wave ${w.waveName}` : "not in the plan");
    const procs = (p: string[]) => (p.length ? ` (${p.join(", ")})` : "");
    flags.push({
      client: { key: e.from, name: from.name, waveId: a?.waveId ?? null, waveName: a?.waveName ?? null },
      server: { key: e.to, name: to.name, waveId: b?.waveId ?? null, waveName: b?.waveName ?? null },
      port: e.port,
      protocol: e.protocol,
      clientProcesses: e.clientProcesses,
      serverProcesses: e.serverProcesses,
      connections: e.connections,
      split: a && b ? "waves" : "outside-plan",
      evidence:
        `${from.name}${procs(e.clientProcesses)} connects to ${to.name}${procs(e.serverProcesses)} on ${e.protocol} ${e.port} ` +
        `(${e.connections} connection${e.connections === 1 ? "" : "s"} read by guest discovery); ${from.name}: ${where(a)}, ${to.name}: ${where(b)}`,
    });
  }
  return flags.sort((x, y) => x.client.name.localeCompare(y.client.name) || x.server.name.localeCompare(y.server.name) || x.port - y.port);
}

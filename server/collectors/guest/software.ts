/**
 * Runtimes and servers recognised inside a guest, from its processes, running units and listeners, as
 * a table of matchers (SOFTWARE_MATCHERS). A process matches by its program, not by a word anywhere in
 * its command line: the process name (comm) or the base name of its first word must be the server's
 * own program (`postgres`, not `pg_dump` nor `/opt/backup-postgres.sh`; `mysqld`, not the `mysql`
 * client; `dockerd`, not `docker ps`). Servers that run inside a JVM (Tomcat, Elasticsearch) are a
 * `java` program with the server's main class or home property in its arguments. A running unit of the
 * server's name counts too; a listener on the server's usual port counts only when ss could not show
 * the listener's process (without root), and says so.
 */
import type { GuestListener, GuestProcess, GuestSoftware } from "./facts";
import { GUEST_LIMITS } from "./facts";

export interface SoftwareMatcher {
  kind: GuestSoftware["kind"];
  name: string;
  /** The program: tested on the process name (comm) and on the base name of the command's first word. */
  program?: RegExp;
  /** With `program`: the arguments must match too (a JVM server's main class). */
  args?: RegExp;
  /** With `program`: a process whose arguments match this is not this software (CRI-O's conmon is not Podman's). */
  unlessArgs?: RegExp;
  /** Running systemd units. */
  unit?: RegExp;
  /** Usual ports: evidence only for a listener whose process is unknown. */
  ports?: readonly number[];
  /** The version, from a command line (an install path, a versioned program name). */
  version?: (command: string, program: string) => string | null;
}

const fromPath = (pattern: RegExp) => (command: string) => pattern.exec(command)?.[1] ?? null;
const JAVA = /^java$/;

export const SOFTWARE_MATCHERS: readonly SoftwareMatcher[] = [
  // Servers inside a JVM first, so their java process is named by them as well as by the runtime.
  {
    kind: "server",
    name: "tomcat",
    program: JAVA,
    args: /org\.apache\.catalina\.startup\.Bootstrap|-Dcatalina\.(home|base)=/,
    unit: /^tomcat\d*(@.*)?\.service$/,
    version: fromPath(/tomcat-?(\d+(?:\.\d+)*)/i),
  },
  {
    kind: "server",
    name: "elasticsearch",
    program: JAVA,
    args: /org\.elasticsearch\.bootstrap\.Elasticsearch|org\.opensearch\.bootstrap\.OpenSearch|-Des\.path\.home=/,
    unit: /^(elasticsearch|opensearch)\.service$/,
    ports: [9200, 9300],
    version: fromPath(/(?:elasticsearch|opensearch)-(\d+\.\d+(?:\.\d+)?)/),
  },
  {
    kind: "server",
    name: "postgresql",
    program: /^(postgres|postmaster)$/,
    unit: /^postgresql(@.+)?\.service$/,
    ports: [5432],
    version: fromPath(/postgres(?:ql)?[-/](\d+(?:\.\d+)?)\//),
  },
  { kind: "server", name: "mysql", program: /^(mysqld|mariadbd)$/, unit: /^(mysql|mysqld|mariadb)(@.+)?\.service$/, ports: [3306] },
  { kind: "server", name: "mongodb", program: /^(mongod|mongos)$/, unit: /^mongod\.service$/, ports: [27017] },
  { kind: "server", name: "redis", program: /^(redis-server|valkey-server)$/, unit: /^(redis|redis-server|valkey)(@.+)?\.service$/, ports: [6379] },
  { kind: "server", name: "nginx", program: /^nginx$/, unit: /^nginx\.service$/ },
  { kind: "server", name: "apache", program: /^(apache2|httpd)$/, unit: /^(apache2|httpd)\.service$/ },
  { kind: "server", name: "haproxy", program: /^haproxy$/, unit: /^haproxy\.service$/ },
  // Container runtimes.
  { kind: "container-runtime", name: "dockerd", program: /^dockerd$/, unit: /^docker\.service$/ },
  { kind: "container-runtime", name: "containerd", program: /^(containerd|containerd-shim.*)$/, unit: /^containerd\.service$/ },
  // Podman has no daemon: a host running its containers shows a conmon per container (the API service
  // runs only when asked for). CRI-O runs conmon too, with its exit and attach directories under
  // /var/run/crio near the start of the command line (kept: the facts cut it at 1 KiB, and Podman's
  // own --exit-command /usr/bin/podman comes at about 1 KiB, so may be cut).
  {
    kind: "container-runtime",
    name: "podman",
    program: /^(podman|conmon)$/,
    unlessArgs: /\/crio(\/|\s|$)/,
    unit: /^podman\.service$/,
  },
  { kind: "container-runtime", name: "kubelet", program: /^(kubelet|k3s-server|k3s-agent)$/, unit: /^(kubelet|k3s|k3s-agent|rke2-server|rke2-agent)\.service$/ },
  // Runtimes.
  { kind: "runtime", name: "java", program: JAVA, version: fromPath(/\/(?:java|jdk|jre|openjdk)-?(\d+(?:\.\d+)*)/) },
  {
    kind: "runtime",
    name: "python",
    program: /^python(\d+(\.\d+)?)?$/,
    // python3.11 > a path's python3.11 or pyenv's versions/3.11.7 > python3.
    version: (command, program) =>
      /^python(\d+\.\d+)$/.exec(program)?.[1] ??
      fromPath(/python(\d\.\d+)/)(command) ??
      fromPath(/\/versions\/(\d+\.\d+(?:\.\d+)?)\//)(command) ??
      /^python(\d+)$/.exec(program)?.[1] ??
      null,
  },
  { kind: "runtime", name: "node", program: /^(node|nodejs)$/, version: fromPath(/node-?v(\d+\.\d+\.\d+)/) },
  {
    kind: "runtime",
    name: "php",
    program: /^(php|php-fpm|php-cgi|php-fpm\d+(\.\d+)?|php\d+(\.\d+)?)$/,
    unit: /^php(\d+(\.\d+)?)?-fpm\.service$/,
    version: (command, program) => /(\d+\.\d+)/.exec(program)?.[1] ?? fromPath(/\/php\/?(\d+\.\d+)\//)(command),
  },
  { kind: "runtime", name: "dotnet", program: /^dotnet$/, version: fromPath(/Microsoft\.NETCore\.App\/(\d+\.\d+\.\d+)/) },
];

/** The program a command line runs: the base name of its first word ("postgres: checkpointer" → postgres; a kernel thread "[kworker/0:1]" keeps its name). */
export function programOf(command: string): string {
  const kernelThread = /^\[([^\]]*)\]$/.exec(command.trim());
  if (kernelThread) return kernelThread[1]!;
  const first = (command.trim().split(/\s+/)[0] ?? "").replace(/^\[|\]$/g, "").replace(/:$/, "");
  return first.slice(first.lastIndexOf("/") + 1);
}

function matchesProgram(matcher: SoftwareMatcher, process: GuestProcess): string | null {
  if (!matcher.program) return null;
  const program = programOf(process.command);
  const hit = [process.name, program].find((candidate) => matcher.program!.test(candidate));
  if (hit === undefined) return null;
  if (matcher.args && !matcher.args.test(process.command)) return null;
  if (matcher.unlessArgs?.test(process.command)) return null;
  return hit;
}

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export interface SoftwareInput {
  processes: readonly GuestProcess[];
  units: readonly string[];
  listeners: readonly GuestListener[];
}

/** Each matcher that something matched, once, with what gave it away. */
export function detectSoftware({ processes, units, listeners }: SoftwareInput): GuestSoftware[] {
  const found: GuestSoftware[] = [];
  for (const matcher of SOFTWARE_MATCHERS) {
    const evidence: string[] = [];
    let version: string | null = null;
    const hits = processes.filter((p) => matchesProgram(matcher, p) !== null);
    if (hits.length > 0) {
      const first = hits[0]!;
      const more = hits.length > 1 ? ` and ${hits.length - 1} more` : "";
      evidence.push(`process ${first.name} (pid ${first.pid})${more}: ${cut(first.command, 160)}`);
      for (const hit of hits) {
        version ??= matcher.version?.(hit.command, programOf(hit.command)) ?? null;
      }
      const pids = new Set(hits.map((p) => p.pid));
      const listening = listeners.filter((l) => l.pid !== null && pids.has(l.pid));
      if (listening.length > 0) {
        evidence.push(`listening on ${listening.slice(0, 4).map((l) => `${l.protocol} ${l.address}:${l.port}`).join(", ")}`);
      }
    }
    const unitHits = matcher.unit ? units.filter((u) => matcher.unit!.test(u)) : [];
    if (unitHits.length > 0) evidence.push(`unit ${unitHits.slice(0, 3).join(", ")} running`);
    if (hits.length === 0 && unitHits.length === 0 && matcher.ports) {
      const anonymous = listeners.filter((l) => l.process === null && matcher.ports!.includes(l.port));
      if (anonymous.length > 0) {
        const l = anonymous[0]!;
        evidence.push(`${l.protocol} port ${l.port} listening on ${l.address} (its process not shown: without root)`);
      }
    }
    if (evidence.length === 0) continue;
    found.push({ kind: matcher.kind, name: matcher.name, version: version ? cut(version, 64) : null, evidence: cut(evidence.join("; "), 512) });
    if (found.length >= GUEST_LIMITS.software) break;
  }
  return found;
}

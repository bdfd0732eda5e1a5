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
    name: "kafka",
    program: JAVA,
    args: /(^|\s)kafka\.Kafka(\s|$)/,
    unit: /^kafka\.service$/,
    ports: [9092],
    version: fromPath(/kafka_\d+\.\d+-(\d+\.\d+(?:\.\d+)?)/),
  },
  {
    kind: "server",
    name: "cassandra",
    program: JAVA,
    args: /org\.apache\.cassandra\.service\.CassandraDaemon/,
    unit: /^cassandra\.service$/,
    ports: [9042],
  },
  {
    kind: "server",
    name: "postgresql",
    program: /^(postgres|postmaster)$/,
    unit: /^postgresql(@.+)?\.service$/,
    ports: [5432],
    // The install path (/usr/lib/postgresql/15/bin, /usr/pgsql-15/bin), or a process title's cluster
    // name where Debian's "15/main" is the default ("postgres: 15/main: checkpointer").
    version: (command) => fromPath(/(?:postgres(?:ql)?|pgsql)[-/](\d+(?:\.\d+)?)\//)(command) ?? fromPath(/^postgres: (\d+(?:\.\d+)?)\/[^\s:/]+: /)(command),
  },
  { kind: "server", name: "mysql", program: /^(mysqld|mariadbd)$/, unit: /^(mysql|mysqld|mariadb)(@.+)?\.service$/, ports: [3306] },
  { kind: "server", name: "mongodb", program: /^(mongod|mongos)$/, unit: /^mongod\.service$/, ports: [27017] },
  { kind: "server", name: "redis", program: /^(redis-server|valkey-server)$/, unit: /^(redis|redis-server|valkey)(@.+)?\.service$/, ports: [6379] },
  // RabbitMQ runs in the Erlang VM (beam.smp) booted with its own application.
  {
    kind: "server",
    name: "rabbitmq",
    program: /^beam(\.smp)?$/,
    args: /(^|\s)-s rabbit(\s|$)|rabbitmq/,
    unit: /^rabbitmq-server\.service$/,
    ports: [5672],
  },
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
  { kind: "container-runtime", name: "cri-o", program: /^crio$/, unit: /^crio\.service$/ },
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

/**
 * Each matcher that something matched, with what gave it away: one entry per version read, since a
 * guest may run two at once (pg_upgradecluster leaves the old cluster running; two JDKs). The
 * evidence leads with a process of that version. Processes of no readable version (a server's workers,
 * a program started by its bare name) count with the first version's entry, and so do units and ports;
 * a version that is another's start ("3" of python3 beside python3.11's "3.11") joins the longer one.
 */
export function detectSoftware({ processes, units, listeners }: SoftwareInput): GuestSoftware[] {
  const found: GuestSoftware[] = [];
  for (const matcher of SOFTWARE_MATCHERS) {
    const hits = processes.filter((p) => matchesProgram(matcher, p) !== null);
    const byVersion = new Map<string | null, GuestProcess[]>();
    for (const hit of hits) {
      const version = matcher.version?.(hit.command, programOf(hit.command)) ?? null;
      byVersion.set(version, [...(byVersion.get(version) ?? []), hit]);
    }
    const versions = [...byVersion.keys()].filter((v): v is string => v !== null);
    for (const short of versions) {
      const longer = versions.find((v) => v !== short && byVersion.has(v) && v.startsWith(`${short}.`));
      if (longer === undefined || !byVersion.has(short)) continue;
      byVersion.set(longer, [...byVersion.get(longer)!, ...byVersion.get(short)!]);
      byVersion.delete(short);
    }
    const kept = versions.filter((v) => byVersion.has(v));
    const groups: { version: string | null; hits: GuestProcess[] }[] =
      kept.length === 0 ? [{ version: null, hits }] : kept.map((version) => ({ version, hits: byVersion.get(version)! }));
    const unversioned = kept.length === 0 ? [] : (byVersion.get(null) ?? []);
    const unitHits = matcher.unit ? units.filter((u) => matcher.unit!.test(u)) : [];
    groups.forEach((group, index) => {
      const first = index === 0;
      const evidence = processEvidence(first ? [...group.hits, ...unversioned] : group.hits, listeners);
      if (first && unitHits.length > 0) evidence.push(`unit ${unitHits.slice(0, 3).join(", ")} running`);
      if (first && hits.length === 0 && unitHits.length === 0 && matcher.ports) {
        const anonymous = listeners.filter((l) => l.process === null && matcher.ports!.includes(l.port));
        if (anonymous.length > 0) {
          const l = anonymous[0]!;
          evidence.push(`${l.protocol} port ${l.port} listening on ${l.address} (its process not shown: without root)`);
        }
      }
      if (evidence.length === 0 || found.length >= GUEST_LIMITS.software) return;
      found.push({
        kind: matcher.kind,
        name: matcher.name,
        version: group.version ? cut(group.version, 64) : null,
        evidence: cut(evidence.join("; "), 512),
      });
    });
    if (found.length >= GUEST_LIMITS.software) break;
  }
  return found;
}

/** "process <name> (pid N) and M more: <command>; listening on ...": the first process leads. */
function processEvidence(hits: readonly GuestProcess[], listeners: readonly GuestListener[]): string[] {
  if (hits.length === 0) return [];
  const first = hits[0]!;
  const more = hits.length > 1 ? ` and ${hits.length - 1} more` : "";
  const evidence = [`process ${first.name} (pid ${first.pid})${more}: ${cut(first.command, 160)}`];
  const pids = new Set(hits.map((p) => p.pid));
  const listening = listeners.filter((l) => l.pid !== null && pids.has(l.pid));
  if (listening.length > 0) {
    evidence.push(`listening on ${listening.slice(0, 4).map((l) => `${l.protocol} ${l.address}:${l.port}`).join(", ")}`);
  }
  return evidence;
}

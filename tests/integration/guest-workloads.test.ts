/**
 * Guest discovery against real workloads: this machine is the guest, reached over the sshd peer
 * (tests/peers/sshd.sh) as root with a key, while the test runs, on free ports:
 * - Debian's PostgreSQL 15 (tests/peers/postgres15.sh: its own cluster in a temp dir, as the
 *   unprivileged `postgres` user, on 127.0.0.1 only), with a client connection of the test held open;
 * - Debian's nginx with its own config file in a temp dir (master as root, worker as www-data) on
 *   127.0.0.1;
 * - Podman (tests/peers/podman.sh: `podman system service`) and a container started with it (conmon
 *   and the container's process on the host);
 * - listeners on one address and on all: a python http.server bound to 127.0.0.2 only (loopback has all
 *   of 127/8), and two bare sockets that serve nothing, bound to 0.0.0.0 and to :: with IPv4 too (the
 *   test holds an IPv4 connection to the latter);
 * - a second SSH session to the guest (OpenSSH's client), beside the collection's own.
 * collectGuests reads it all once; each test asserts the facts against what was started (pids, ports,
 * users, addresses). Everything is stopped by its PID in afterAll, even after a failure (other tests
 * run postgres too: nothing is stopped by name).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectGuests } from "../../server/collectors/guest/collect";
import { GUEST_COMMANDS } from "../../server/collectors/guest/commands";
import type { GuestFacts } from "../../server/collectors/guest/facts";
import { detectSoftware } from "../../server/collectors/guest/software";

const run = promisify(execFile);
const root = path.join(import.meta.dirname, "../..");
const peers = path.join(root, "tests/peers");

/** Stops, last started first; each runs even when an earlier one failed. */
const closers: (() => Promise<unknown>)[] = [];

let sshPort: number;
let fingerprint: string;
let clientKey: string;
let scratch: string;

let pgDir: string;
let pgPort: number;
let postmasterPid: number;
let client: pg.Client | undefined;
let backendPid: number;
let clientPort: number;

let nginx: ChildProcess;
let nginxPort: number;

let podmanDir: string;
let container: string;
let containerPid: number;
let conmonPid: number;
let servicePid: number;

let oneAddress: ChildProcess;
let oneAddressPort: number;
let allV4: ChildProcess;
let allV4Port: number;
let dualStack: ChildProcess;
let dualStackPort: number;
/** The test's IPv4 connection to the :: listener, held open during the collection. */
let dualStackClientPort: number;

/** Another SSH session to the guest, open during the collection (OpenSSH's client running `cat`). */
let otherSession: ChildProcess;

/** A loop device over a file in the scratch folder, held open by a python process (raw device access). */
let loopDevice: string;
let rawHolder: ChildProcess;
/** `sleep` as nobody with two ambient capabilities (as systemd's AmbientCapabilities gives a service). */
let capable: ChildProcess;

let facts: GuestFacts;
let warnings: string[];

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

const answers = (port: number, host: string) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, host);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

async function waitForPort(port: number, host: string, child: ChildProcess, what: string) {
  for (let i = 0; i < 200; i++) {
    if (await answers(port, host)) return;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not answer on ${host}:${port}`);
}

/** A child of the test, stopped by its PID (TERM, then KILL after 5 s) when the file ends. */
function started(child: ChildProcess): ChildProcess {
  closers.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  });
  return child;
}

/** A socket that listens and holds the connections it accepts, reading nothing: nothing is served on it. */
const BARE_LISTENER = [
  "import socket, sys",
  "family = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET",
  "s = socket.socket(family)",
  "if family == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)",
  "s.bind((sys.argv[1], int(sys.argv[2])))",
  "s.listen(4)",
  "held = []",
  "while True: held.append(s.accept()[0])",
].join("\n");

async function startSshd() {
  const dir = (await run("bash", [path.join(peers, "sshd.sh"), "start"], { timeout: 900_000 })).stdout.trim();
  closers.push(() => run("bash", [path.join(peers, "sshd.sh"), "stop", dir]));
  sshPort = Number(fs.readFileSync(path.join(dir, "port"), "utf8"));
  fingerprint = fs.readFileSync(path.join(dir, "host-fingerprint"), "utf8").trim();
  clientKey = fs.readFileSync(path.join(dir, "client_key"), "utf8");
  // `cat` ends when the session closes (no terminal: it gets end of file, not a hangup).
  otherSession = started(
    spawn(
      "ssh",
      [
        ...["-i", path.join(dir, "client_key"), "-p", String(sshPort), "-o", "BatchMode=yes", "-o", "LogLevel=ERROR"],
        ...["-o", `UserKnownHostsFile=${path.join(dir, "known_hosts")}`, "-o", "StrictHostKeyChecking=no"],
        "root@127.0.0.1",
        "echo ready; exec cat",
      ],
      { stdio: ["pipe", "pipe", "ignore"] },
    ),
  );
  await new Promise<void>((resolve, reject) => {
    otherSession.stdout!.once("data", () => resolve());
    otherSession.once("exit", (code) => reject(new Error(`the other ssh session ended (${code})`)));
  });
}

async function startPostgres() {
  const [url, dir] = (await run("bash", [path.join(peers, "postgres15.sh"), "start"], { timeout: 900_000 })).stdout.trim().split(" ");
  pgDir = dir!;
  closers.push(() => run("bash", [path.join(peers, "postgres15.sh"), "stop", pgDir]));
  pgPort = Number(new URL(url!).port);
  // postmaster.pid: the postmaster's PID on its first line.
  postmasterPid = Number(fs.readFileSync(path.join(pgDir, "data/postmaster.pid"), "utf8").split("\n")[0]);
  client = new pg.Client({ connectionString: url });
  await client.connect();
  closers.push(() => client!.end());
  backendPid = Number((await client.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid);
  clientPort = Number((await client.query<{ port: number }>("select inet_client_port() as port")).rows[0]!.port);
}

async function startNginx() {
  await run("bash", [path.join(root, "scripts/install-test-deps.sh"), "nginx"], { timeout: 900_000 });
  nginxPort = await freePort();
  const dir = path.join(scratch, "nginx");
  fs.mkdirSync(path.join(dir, "www"), { recursive: true });
  fs.writeFileSync(path.join(dir, "www/index.html"), "fleetlens guest test\n");
  // Everything nginx writes under the temp dir; -e for the error log it opens before reading this.
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${dir}/${t};`).join("\n");
  fs.writeFileSync(
    path.join(dir, "nginx.conf"),
    [
      "user www-data;",
      "worker_processes 1;",
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log;`,
      "events { worker_connections 64; }",
      "http {",
      "  access_log off;",
      temp,
      `  server { listen 127.0.0.1:${nginxPort}; root ${dir}/www; }`,
      "}",
      "",
    ].join("\n"),
  );
  fs.chmodSync(dir, 0o755);
  nginx = started(
    spawn("/usr/sbin/nginx", ["-p", dir, "-e", `${dir}/error.log`, "-c", `${dir}/nginx.conf`, "-g", "daemon off;"], { stdio: "ignore" }),
  );
  await waitForPort(nginxPort, "127.0.0.1", nginx, "nginx");
}

async function startPodman() {
  const socket = (await run("bash", [path.join(peers, "podman.sh"), "start"], { timeout: 900_000 })).stdout.trim().split("\n").pop()!;
  podmanDir = path.dirname(socket);
  closers.push(() => run("bash", [path.join(peers, "podman.sh"), "stop", podmanDir]));
  servicePid = Number(fs.readFileSync(path.join(podmanDir, "podman.pid"), "utf8"));
  const env = {
    ...process.env,
    CONTAINERS_CONF: path.join(podmanDir, "containers.conf"),
    CONTAINERS_STORAGE_CONF: path.join(podmanDir, "storage.conf"),
  };
  container = `fleetlens-guest-${randomBytes(4).toString("hex")}`;
  await run("podman", ["run", "-d", "--name", container, "localhost/fleetlens-app:1", "sleep", "3600"], { env });
  const inspected = (await run("podman", ["inspect", "-f", "{{.State.Pid}} {{.State.ConmonPid}}", container], { env })).stdout.trim();
  [containerPid, conmonPid] = inspected.split(" ").map(Number) as [number, number];
}

async function startListeners() {
  const empty = path.join(scratch, "empty");
  fs.mkdirSync(empty);
  oneAddressPort = await freePort();
  oneAddress = started(
    spawn("/usr/bin/python3", ["-m", "http.server", String(oneAddressPort), "--bind", "127.0.0.2", "--directory", empty], { stdio: "ignore" }),
  );
  allV4Port = await freePort();
  allV4 = started(spawn("/usr/bin/python3", ["-c", BARE_LISTENER, "0.0.0.0", String(allV4Port)], { stdio: "ignore" }));
  dualStackPort = await freePort();
  dualStack = started(spawn("/usr/bin/python3", ["-c", BARE_LISTENER, "::", String(dualStackPort)], { stdio: "ignore" }));
  await waitForPort(oneAddressPort, "127.0.0.2", oneAddress, "http.server on 127.0.0.2");
  await waitForPort(allV4Port, "127.0.0.1", allV4, "the 0.0.0.0 listener");
  await waitForPort(dualStackPort, "::1", dualStack, "the :: listener");
  const socket = net.connect(dualStackPort, "127.0.0.1");
  closers.push(async () => socket.destroy());
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  dualStackClientPort = socket.localPort!;
}

async function startRawHolder() {
  const image = path.join(scratch, "raw.img");
  fs.writeFileSync(image, Buffer.alloc(1024 * 1024));
  loopDevice = (await run("losetup", ["--find", "--show", image])).stdout.trim();
  closers.push(() => run("losetup", ["--detach", loopDevice]));
  rawHolder = started(
    spawn("/usr/bin/python3", ["-c", "import sys, time\nf = open(sys.argv[1], 'rb')\nprint('open', flush=True)\ntime.sleep(3600)", loopDevice], {
      stdio: ["ignore", "pipe", "ignore"],
    }),
  );
  capable = started(
    spawn(
      "setpriv",
      ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=+net_admin,+sys_time", "--ambient-caps=+net_admin,+sys_time", "sleep", "3600"],
      { stdio: "ignore" },
    ),
  );
  await new Promise<void>((resolve, reject) => {
    rawHolder.stdout!.once("data", () => resolve());
    rawHolder.once("exit", (code) => reject(new Error(`the raw device holder exited (${code})`)));
  });
}

beforeAll(async () => {
  scratch = fs.mkdtempSync("/tmp/fleetlens-guest-workloads-");
  fs.chmodSync(scratch, 0o755);
  closers.push(async () => fs.rmSync(scratch, { recursive: true, force: true }));
  await startSshd();
  await Promise.all([startPostgres(), startNginx(), startPodman(), startListeners(), startRawHolder()]);
  const collection = await collectGuests([{ user: "root", host: "127.0.0.1", port: sshPort }], {
    auth: { privateKey: clientKey },
    hostKey: { mode: "pinned", fingerprint },
    // The command set as it is, with 4 times its timeouts: on this 2-core machine loaded by other
    // tests, opening a channel alone took seconds and `cat /etc/machine-id` timed out at 5 s. What is
    // asserted here is what the guest runs, not timing (guest-ssh.test.ts tests the timeouts).
    commands: GUEST_COMMANDS.map((command) => ({ ...command, timeoutMs: command.timeoutMs * 4 })),
  });
  warnings = collection.warnings;
  facts = collection.guests[0]!;
  if (process.env.FLEETLENS_GUEST_FACTS) fs.writeFileSync(process.env.FLEETLENS_GUEST_FACTS, JSON.stringify(facts, null, 2));
}, 600_000);

afterAll(async () => {
  const problems: unknown[] = [];
  for (const close of closers.reverse()) {
    try {
      await close();
    } catch (error) {
      problems.push(error);
    }
  }
  if (problems.length > 0) throw new AggregateError(problems, "stopping what the test started");
}, 120_000);

const processOf = (pid: number) => facts.processes.find((p) => p.pid === pid);
const softwareNamed = (name: string) => facts.software.find((s) => s.name === name);

describe("guest discovery of the workloads the test started", () => {
  it("reads the guest without warnings", () => {
    expect(warnings).toEqual([]);
    expect(facts.target).toBe(`root@127.0.0.1:${sshPort}`);
    expect(facts.warnings).toEqual([]);
    // Every command answered (a timeout is said here first, not as a missing process later).
    expect(facts.unread.filter((u) => /timed out|: not run$/.test(u))).toEqual([]);
  });

  it("PostgreSQL: its postmaster as postgres, its listener, the software with its version and evidence", () => {
    const postmaster = processOf(postmasterPid);
    expect(postmaster).toMatchObject({ name: "postgres", user: "postgres" });
    expect(postmaster!.command).toMatch(new RegExp(`^/usr/lib/postgresql/15/bin/postgres -D ${pgDir}/data -c listen_addresses=127\\.0\\.0\\.1 -c port=${pgPort} `));
    // Its backend for the test's client is a postgres process of the same user.
    expect(processOf(backendPid)).toMatchObject({ name: "postgres", user: "postgres" });
    expect(facts.listeners).toContainEqual({ protocol: "tcp", address: "127.0.0.1", port: pgPort, process: "postgres", pid: postmasterPid });
    expect(facts.listeners.filter((l) => l.port === pgPort)).toHaveLength(1);
    // The suite's own PostgreSQL (embedded, or the server DATABASE_URL names) runs on this guest too:
    // the entry of version 15 leads with a process of version 15.
    const postgresql = facts.software.find((s) => s.name === "postgresql" && s.version === "15");
    expect(postgresql).toMatchObject({ kind: "server" });
    expect(postgresql!.evidence).toMatch(/^process postgres \(pid \d+\)( and \d+ more)?: \/usr\/lib\/postgresql\/15\/bin\/postgres -D /);
    expect(postgresql!.evidence).toContain(`tcp 127.0.0.1:${pgPort}`);
  });

  it("the test's client connection to PostgreSQL: both ends, with their ports and processes", () => {
    expect(facts.connections).toContainEqual({
      protocol: "tcp",
      localAddress: "127.0.0.1",
      localPort: clientPort,
      remoteAddress: "127.0.0.1",
      remotePort: pgPort,
      process: "node",
      pid: process.pid,
    });
    expect(facts.connections).toContainEqual({
      protocol: "tcp",
      localAddress: "127.0.0.1",
      localPort: pgPort,
      remoteAddress: "127.0.0.1",
      remotePort: clientPort,
      process: "postgres",
      pid: backendPid,
    });
  });

  it("nginx: master as root, worker as www-data, its listener, the software", () => {
    expect(processOf(nginx.pid!)).toMatchObject({ name: "nginx", user: "root" });
    expect(processOf(nginx.pid!)!.command).toMatch(/^nginx: master process \/usr\/sbin\/nginx -p /);
    const workers = facts.processes.filter((p) => p.name === "nginx" && p.user === "www-data" && p.command === "nginx: worker process");
    expect(workers.length).toBeGreaterThanOrEqual(1);
    const listener = facts.listeners.find((l) => l.port === nginxPort);
    expect(listener).toMatchObject({ protocol: "tcp", address: "127.0.0.1", process: "nginx" });
    expect([nginx.pid, ...workers.map((w) => w.pid)]).toContain(listener!.pid);
    const found = softwareNamed("nginx");
    expect(found).toMatchObject({ kind: "server" });
    expect(found!.evidence).toMatch(/^process nginx \(pid \d+\)/);
    expect(found!.evidence).toContain(`tcp 127.0.0.1:${nginxPort}`);
  });

  it("Podman: the service process, the container's conmon and process, the container runtime", () => {
    expect(processOf(servicePid)).toMatchObject({ name: "podman", user: "root" });
    expect(processOf(servicePid)!.command).toBe(`podman system service --time=0 unix://${podmanDir}/podman.sock`);
    const conmon = processOf(conmonPid);
    expect(conmon).toMatchObject({ name: "conmon", user: "root" });
    expect(conmon!.command).toContain(` -n ${container} `);
    expect(processOf(containerPid)).toMatchObject({ name: "sleep", user: "root", command: "sleep 3600" });
    const podman = softwareNamed("podman");
    expect(podman).toMatchObject({ kind: "container-runtime" });
    expect(podman!.evidence).toMatch(/^process podman \(pid \d+\)/);
    // Podman has no daemon: without its API service (run only when asked for), the container's conmon
    // still names it.
    const withoutService = detectSoftware({ processes: facts.processes.filter((p) => p.name !== "podman"), units: [], listeners: [] });
    expect(withoutService.find((s) => s.name === "podman")).toMatchObject({ kind: "container-runtime" });
    expect(withoutService.find((s) => s.name === "podman")!.evidence).toMatch(/^process conmon \(pid \d+\)/);
  });

  it("a process holding a loop device open itself: raw device access, named by its process", () => {
    expect(facts.rawDevices).toContainEqual({ pid: rawHolder.pid, process: "python3", device: loopDevice });
    // PostgreSQL, nginx and Podman hold no device: only the holder is listed.
    expect(facts.rawDevices.filter((d) => d.device === loopDevice)).toHaveLength(1);
  });

  it("a process of nobody holding capabilities: its uid and capabilities, named by its process; root's processes are not listed", () => {
    expect(facts.privileged).toContainEqual({ pid: capable.pid, process: "sleep", uid: 65534, capabilities: ["NET_ADMIN", "SYS_TIME"] });
    expect(facts.privileged.some((p) => p.pid === postmasterPid)).toBe(false);
    expect(facts.privileged.every((p) => p.uid !== 0)).toBe(true);
  });

  it("tells a listener on one address from listeners on all addresses", () => {
    expect(facts.listeners).toContainEqual({ protocol: "tcp", address: "127.0.0.2", port: oneAddressPort, process: "python3", pid: oneAddress.pid });
    expect(facts.listeners).toContainEqual({ protocol: "tcp", address: "0.0.0.0", port: allV4Port, process: "python3", pid: allV4.pid });
    // ss writes an IPv6 socket that takes IPv4 too as "*" (old ss wrote 0.0.0.0 so): any address.
    expect(facts.listeners).toContainEqual({ protocol: "tcp", address: "*", port: dualStackPort, process: "python3", pid: dualStack.pid });
    expect(processOf(oneAddress.pid!)!.command).toContain(`http.server ${oneAddressPort} --bind 127.0.0.2`);
  });

  it("the collection's own SSH session is left out of the connections; another session to the guest is not", () => {
    const other = facts.connections.find((c) => c.process === "ssh" && c.pid === otherSession.pid);
    expect(other).toMatchObject({ localAddress: "127.0.0.1", remoteAddress: "127.0.0.1", remotePort: sshPort });
    const served = facts.connections.filter((c) => c.localPort === sshPort);
    expect(served).toEqual([
      { protocol: "tcp", localAddress: "127.0.0.1", localPort: sshPort, remoteAddress: "127.0.0.1", remotePort: other!.localPort, process: "sshd", pid: expect.any(Number) },
    ]);
    // Seen from this side, the collector's end of its session is still a connection of the test's node.
    expect(facts.connections.some((c) => c.pid === process.pid && c.remotePort === sshPort)).toBe(true);
  });

  it("an IPv4 connection accepted by an IPv6 socket has its IPv4 addresses (ss shows them as ::ffff:127.0.0.1)", () => {
    expect(facts.connections).toContainEqual({
      protocol: "tcp",
      localAddress: "127.0.0.1",
      localPort: dualStackPort,
      remoteAddress: "127.0.0.1",
      remotePort: dualStackClientPort,
      process: "python3",
      pid: dualStack.pid,
    });
    expect(facts.connections).toContainEqual({
      protocol: "tcp",
      localAddress: "127.0.0.1",
      localPort: dualStackClientPort,
      remoteAddress: "127.0.0.1",
      remotePort: dualStackPort,
      process: "node",
      pid: process.pid,
    });
    expect(JSON.stringify(facts.connections)).not.toContain("::ffff:");
  });
});

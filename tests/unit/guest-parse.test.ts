/**
 * The guest command set's parsers (server/collectors/guest/parse.ts) on real outputs recorded on this
 * Debian 12 machine (tests/fixtures/guest/: as root, as nobody, busybox only; see record.ts), with a
 * python http.server on 127.0.0.1:47811 (pid 14635), a UDP socket on [::1]:47812 (pid 14636) and a
 * client connected to it (pid 14683) whose command line carried --password=hunter2 and
 * MYSQL_ROOT_PASSWORD=s3cret; and on hostile outputs built here (binary, NUL bytes, a line of 1 MB,
 * negative numbers, ports over 65535, lists over the limits, lying values). Never a throw; always
 * facts the schema accepts.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { GUEST_COMMANDS, GUEST_COMMAND_IDS, type GuestCommandId } from "../../server/collectors/guest/commands";
import { GUEST_LIMITS, guestFacts, type CommandResult } from "../../server/collectors/guest/facts";
import {
  capabilityNames,
  factsFromResults,
  GUEST_PARSERS,
  parseModules,
  parseProcesses,
  parseSecurity,
  splitAddressPort,
} from "../../server/collectors/guest/parse";

const FIXTURES = path.join(import.meta.dirname, "../fixtures/guest");
const AT = "2026-12-05T12:30:00.000Z";

/** A fixture's stdout: the file without its "# recorded ..." header line. */
function fixture(dir: string, file: string): string {
  const text = fs.readFileSync(path.join(FIXTURES, dir, file), "utf8");
  expect(text.startsWith("# recorded ")).toBe(true);
  return text.slice(text.indexOf("\n") + 1);
}
const ok = (id: string, stdout: string, more: Partial<CommandResult> = {}): CommandResult => ({
  id,
  stdout,
  exitCode: 0,
  problem: null,
  truncated: false,
  ...more,
});
/** All commands' results from a fixture folder; `variant` picks e.g. `<id>.nonroot.txt` where it exists. */
function fixtureResults(dir: string, variant?: string): CommandResult[] {
  return GUEST_COMMANDS.map((command) => {
    const special = variant ? `${command.id}.${variant}.txt` : null;
    const file = special && fs.existsSync(path.join(FIXTURES, dir, special)) ? special : `${command.id}.txt`;
    return ok(command.id, fixture(dir, file));
  });
}

describe("recorded on this Debian 12 machine, as root", () => {
  const facts = factsFromResults("root@127.0.0.1:22", fixtureResults("debian12"), AT);

  it("reads identity and OS as the machine had them", () => {
    expect(guestFacts.parse(facts)).toEqual(facts);
    expect(facts.os).toEqual({
      id: "debian",
      versionId: "12",
      prettyName: "Debian GNU/Linux 12 (bookworm)",
      kernel: "6.18.44-fc-v1272",
      architecture: "x86_64",
    });
    expect(facts.hostname).toBe("vm");
    expect(facts.machineId).toBe("3d1219c7c4c5404aaa1f6d2a48adfda4");
    // A firecracker VM: no DMI at all, which is not "needs sudo".
    expect(facts.productUuid).toBeNull();
    expect(facts.unread).toContain("DMI product UUID: the guest has no DMI (/sys/class/dmi)");
    // Loopback and its zero MAC left out; eth0 and the two ifb devices kept.
    expect(facts.macAddresses).toEqual(["5a:8c:0c:24:9a:1d", "42:db:79:3e:55:f6", "02:fc:00:00:00:01"]);
    // 127.0.0.1, ::1 and fe80:: left out.
    expect(facts.ipAddresses).toEqual(["192.0.2.2", "fd00::2"]);
  });

  it("reads use: CPUs, busy share from the two samples, memory, the one disk", () => {
    expect(facts.cpuCount).toBe(2);
    // (161 user + 44 system) of 205 jiffies, no idle between the samples: the machine was busy recording.
    expect(facts.cpuBusyPercent).toBe(100);
    expect(facts.memory.totalMiB).toBeCloseTo(24683748 / 1024, 1);
    expect(facts.memory.availableMiB).toBeCloseTo(23178108 / 1024, 1);
    expect(facts.memory.usedMiB).toBeCloseTo((24683748 - 23178108) / 1024, 1);
    expect(facts.uptimeSeconds).toBeGreaterThan(0);
    // devtmpfs, tmpfs, the 4 KiB sandbox mount of unknown type stays (it is not a known pseudo type).
    expect(facts.filesystems.find((f) => f.mountPoint === "/")).toMatchObject({ fsType: "ext4", device: "/dev/vda" });
    expect(facts.filesystems.map((f) => f.fsType)).not.toContain("tmpfs");
    expect(facts.filesystems.map((f) => f.fsType)).not.toContain("devtmpfs");
  });

  it("reads the processes, with the client's secrets redacted and our own ps left out", () => {
    expect(facts.processes.length).toBeGreaterThan(80);
    const server = facts.processes.find((p) => p.pid === 14635)!;
    expect(server).toMatchObject({ name: "python3", user: "root" });
    expect(server.command).toBe("/root/.pyenv/versions/3.11.7/bin/python3 -m http.server 47811 --bind 127.0.0.1");
    expect(server.rssMiB).toBeCloseTo(21236 / 1024, 2);
    const client = facts.processes.find((p) => p.pid === 14683)!;
    expect(client.command).toContain("--password=[redacted] MYSQL_ROOT_PASSWORD=[redacted]");
    expect(JSON.stringify(facts)).not.toContain("hunter2");
    expect(JSON.stringify(facts)).not.toContain("s3cret");
    expect(facts.processes.some((p) => p.command.includes("FLEETLENS") || p.command.startsWith("ps -eo"))).toBe(false);
    expect(facts.processes.find((p) => p.pid === 2)).toMatchObject({ name: "kthreadd", command: "[kthreadd]", rssMiB: 0 });
  });

  it("reads listeners and connections with their processes", () => {
    expect(facts.listeners).toEqual([
      { protocol: "udp", address: "::1", port: 47812, process: "python3", pid: 14636 },
      { protocol: "tcp", address: "127.0.0.1", port: 47811, process: "python3", pid: 14635 },
      { protocol: "tcp", address: "0.0.0.0", port: 2024, process: null, pid: null },
    ]);
    expect(facts.connections).toEqual([
      { protocol: "tcp", localAddress: "127.0.0.1", localPort: 48812, remoteAddress: "127.0.0.1", remotePort: 47811, process: "python3", pid: 14683 },
      { protocol: "tcp", localAddress: "127.0.0.1", localPort: 47811, remoteAddress: "127.0.0.1", remotePort: 48812, process: "python3", pid: 14635 },
    ]);
    expect(facts.unread.some((u) => u.startsWith("listening sockets: the process of 1 of 3 not shown"))).toBe(true);
  });

  it("reads configuration: no systemd here, dpkg's packages, cron, no modules, no LSM", () => {
    expect(facts.units).toEqual([]);
    expect(facts.unread).toContain("running units: systemd is not running on the guest");
    expect(facts.packageCount).toBe(811);
    // /etc/cron.d/e2scrub_all has 2 jobs; apt-compat, dpkg, man-db daily; man-db weekly.
    expect(facts.cronJobs).toBe(6);
    expect(facts.extraModules).toEqual([]);
    expect(facts.unread).toContain("kernel modules: /proc/modules absent (a kernel without loadable modules)");
    expect(facts.security).toEqual({ selinux: "disabled", apparmor: "disabled" });
    expect(facts.software.find((s) => s.name === "python")).toMatchObject({ kind: "runtime", version: "3.11.7" });
    expect(facts.software.find((s) => s.name === "python")!.evidence).toContain("listening on udp ::1:47812, tcp 127.0.0.1:47811");
    expect(facts.warnings).toEqual([]);
  });
});

describe("recorded as nobody (no sudo)", () => {
  const facts = factsFromResults("nobody@127.0.0.1:22", fixtureResults("debian12", "nonroot"), AT);
  it("keeps the sockets, says their processes were not shown", () => {
    expect(facts.listeners.map((l) => [l.protocol, l.address, l.port, l.pid])).toEqual([
      ["udp", "::1", 47812, null],
      ["tcp", "127.0.0.1", 47811, null],
      ["tcp", "0.0.0.0", 2024, null],
    ]);
    expect(facts.connections).toHaveLength(2);
    expect(facts.unread.filter((u) => u.includes("not shown (ss shows other users' processes only to root"))).toHaveLength(2);
    // Without a process, a listener on a server's port would count, with words; python's are not such ports.
    expect(facts.software.map((s) => s.name)).toEqual(["python", "node"]);
  });
});

describe("raw devices", () => {
  it("a process holding a loop device open (recorded): pid and device, named from the process list", () => {
    const stdout = fixture("debian12", "devices.loop.txt");
    expect(GUEST_PARSERS.devices(stdout, ok("devices", stdout)).facts.rawDevices).toEqual([{ pid: 12081, process: null, device: "/dev/loop0" }]);
    const facts = factsFromResults(
      "t",
      [ok("devices", stdout), ok("processes", fixture("debian12", "processes.txt").replace(/^(\s*)1(\s)/m, "$112081$2"))],
      AT,
    );
    // The recording's pid 1 renumbered to the holder's pid: the holder is named by the process list.
    const holder = facts.processes.find((p) => p.pid === 12081);
    expect(holder?.name).toBeTruthy();
    expect(facts.rawDevices).toEqual([{ pid: 12081, process: holder!.name, device: "/dev/loop0" }]);
    // Nothing held open (recorded as root with no loop device), and busybox's find: said, not guessed.
    expect(factsFromResults("t", [ok("devices", fixture("debian12", "devices.txt"))], AT).rawDevices).toEqual([]);
    const busybox = factsFromResults("t", [ok("devices", fixture("busybox", "devices.txt"))], AT);
    expect(busybox.rawDevices).toEqual([]);
    expect(busybox.unread).toContain("raw devices: GNU find (-lname, -printf) not on the guest");
  });

  it("ignores what is not a holder line, and each process and device once", () => {
    const stdout = "/proc/42/fd /dev/sdb\n/proc/42/fd /dev/sdb\n/proc/x/fd /dev/sdc\n/proc/43/fd /dev/sd c\ngarbage\n/proc/44/fd /dev/mapper/vg-data\n";
    expect(GUEST_PARSERS.devices(stdout, ok("devices", stdout)).facts.rawDevices).toEqual([
      { pid: 42, process: null, device: "/dev/sdb" },
      { pid: 44, process: null, device: "/dev/mapper/vg-data" },
    ]);
  });
});

describe("process capabilities", () => {
  it("names a CapEff mask's capabilities by bit", () => {
    expect(capabilityNames("0000000002001000")).toEqual(["NET_ADMIN", "SYS_TIME"]);
    expect(capabilityNames("000001ffffffffff")).toHaveLength(41);
    expect(capabilityNames("0")).toEqual([]);
    expect(capabilityNames("8000000000000000")).toEqual(["CAP_63"]);
  });

  it("lists the processes of users other than root that hold capabilities (recorded: nobody with two ambient ones)", () => {
    const stdout = fixture("debian12", "capabilities.ambient.txt");
    const privileged = GUEST_PARSERS.capabilities(stdout, ok("capabilities", stdout)).facts.privileged!;
    expect(privileged.length).toBeGreaterThan(0);
    for (const p of privileged) expect(p).toMatchObject({ uid: 65534, capabilities: ["NET_ADMIN", "SYS_TIME"] });
    // Root holds every capability and is not listed; without such a process, none (root and busybox alike).
    for (const [dir, file] of [["debian12", "capabilities.txt"], ["busybox", "capabilities.txt"]] as const) {
      const plain = fixture(dir, file);
      expect(GUEST_PARSERS.capabilities(plain, ok("capabilities", plain)).facts.privileged, dir).toEqual([]);
    }
  });

  it("ignores garbage and a mask that is not hex", () => {
    const stdout = "/proc/9/status:Uid:\t1000\t1000\t1000\t1000\n/proc/9/status:CapEff:\tzzzz\n/proc/x/status:Uid:\t5\nnonsense\n/proc/10/status:Uid:\t1000\n/proc/10/status:CapEff:\t0000000000001000\n";
    expect(GUEST_PARSERS.capabilities(stdout, ok("capabilities", stdout)).facts.privileged).toEqual([
      { pid: 10, process: null, uid: 1000, capabilities: ["NET_ADMIN"] },
    ]);
  });
});

describe("fallbacks recorded on this machine", () => {
  it("busybox ps: sizes with their suffix, no CPU share", () => {
    const part = parseProcesses(fixture("debian12", "processes.busybox.txt"), ok("processes", ""));
    const init = part.facts.processes!.find((p) => p.pid === 1)!;
    expect(init.rssMiB).toBe(12);
    expect(init.cpuPercent).toBeNull();
    expect(init.name).toBe("process_api");
    expect(part.facts.processes!.length).toBeGreaterThan(80);
    expect(part.unread).toContain("processes: CPU share not read (busybox ps)");
  });

  it("netstat (net-tools) with processes", () => {
    const facts = factsFromResults(
      "t",
      [ok("listeners", fixture("debian12", "listeners.netstat.txt")), ok("connections", fixture("debian12", "connections.netstat.txt"))],
      AT,
    );
    expect(facts.listeners).toEqual([
      { protocol: "tcp", address: "127.0.0.1", port: 47811, process: "python3", pid: 14635 },
      { protocol: "tcp", address: "0.0.0.0", port: 2024, process: null, pid: null },
      { protocol: "udp", address: "::1", port: 47812, process: "python3", pid: 14636 },
    ]);
    expect(facts.connections.map((c) => [c.localPort, c.remotePort, c.pid])).toEqual([
      [48812, 47811, 14683],
      [47811, 48812, 14635],
    ]);
  });

  it("a busybox-only guest: what it has is read, what it lacks is named", () => {
    const facts = factsFromResults("root@alpine", fixtureResults("busybox"), AT);
    expect(facts.os.id).toBe("debian");
    expect(facts.processes.length).toBeGreaterThan(80);
    expect(facts.listeners.map((l) => l.port).sort()).toEqual([2024, 47811, 47812]);
    expect(facts.listeners.every((l) => l.process === null)).toBe(true);
    expect(facts.filesystems.find((f) => f.mountPoint === "/")?.fsType).toBe("ext4");
    expect(facts.macAddresses).toContain("02:fc:00:00:00:01");
    expect(facts.ipAddresses).toContain("192.0.2.2");
    expect(facts.unread).toContain("running units: the guest has no systemctl");
    expect(facts.unread).toContain("processes: CPU share not read (busybox ps)");
    expect(facts.cpuCount).toBe(2);
    // busybox's rpm applet answers "rpm 0".
    expect(facts.packageCount).toBeNull();
    expect(facts.unread).toContain("package count: rpm listed no packages");
  });
});

// ---- hostile ----------------------------------------------------------------------------------

/** Deterministic bytes (xorshift) as a latin1 string: binary garbage. */
function garbage(length: number, seed: number): string {
  let x = seed;
  const out: string[] = [];
  for (let i = 0; i < length; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.push(String.fromCharCode((x >>> 0) % 256));
  }
  return out.join("");
}

const HOSTILE: Record<string, string> = {
  empty: "",
  binary: garbage(200_000, 7),
  nul: "\0".repeat(1000) + "\nID=\0debian\ncpus 2\0\n",
  longLine: "x".repeat(1_000_000),
  longLineNewlines: `${"y".repeat(1_000_000)}\n`.repeat(3),
  negative: "cpus -4\ncpu  -1 -2 -3 -4 -5 -6 -7 -8\ncpu  -9 -9 -9 -9 -9 -9 -9 -9\nMemTotal: -5 kB\n-12.5 3\n",
  hugeNumbers: `cpus 99999999999999999999\nMemTotal: 999999999999999999999999 kB\n${"9".repeat(400)} 1\ndpkg 99999999999\n`,
  ports: "tcp LISTEN 0 5 127.0.0.1:70000 0.0.0.0:*\ntcp LISTEN 0 5 127.0.0.1:-1 0.0.0.0:*\ntcp LISTEN 0 5 :22 0.0.0.0:*\n",
  markers: "FLEETLENS-PART\nFLEETLENS-NO-SS\nFLEETLENS-NETSTAT\nFLEETLENS-BUSYBOX-PS\nFLEETLENS-NOT-PERMITTED\n",
  shellish: "$(reboot)\n`rm -rf /`\n; shutdown -h now\n",
  unicode: "ID=\u202edebian\nPRETTY_NAME=\"\ud83d\ude00 \u0007bell\"\n",
};

describe("hostile outputs", () => {
  it.each(Object.entries(HOSTILE))("no parser throws on %s, and the facts are valid", (_, stdout) => {
    for (const id of GUEST_COMMAND_IDS) {
      for (const truncated of [false, true]) {
        expect(() => GUEST_PARSERS[id](stdout, ok(id, stdout, { truncated }))).not.toThrow();
      }
    }
    const facts = factsFromResults("x", GUEST_COMMAND_IDS.map((id) => ok(id, stdout)), AT);
    expect(guestFacts.safeParse(facts).success).toBe(true);
    expect(facts.cpuCount === null || facts.cpuCount > 0).toBe(true);
    expect(facts.listeners.every((l) => l.port <= 65535)).toBe(true);
  });

  it("every parser stays fast on 8 MiB of garbage", () => {
    const stdout = garbage(8 << 20, 11);
    const started = performance.now();
    factsFromResults("x", GUEST_COMMAND_IDS.map((id) => ok(id, stdout)), AT);
    // ~1 s on this 2-core machine.
    expect(performance.now() - started).toBeLessThan(10_000);
  }, 60_000);

  it("ports over 65535 and bad addresses are left out with a warning", () => {
    const facts = factsFromResults("x", [ok("listeners", HOSTILE.ports!)], AT);
    expect(facts.listeners).toEqual([]);
    expect(facts.warnings).toContain("listening sockets: 3 line(s) not understood (a port over 65535, a bad address), left out");
  });

  it("lists over the limits are cut, saying so", () => {
    const ps = Array.from({ length: 5000 }, (_, i) => `${i + 1} root 100 0.0 /usr/bin/worker --n ${i}`).join("\n");
    const ss = Array.from({ length: 2500 }, (_, i) => `tcp LISTEN 0 5 10.0.${i >> 8}.${i & 255}:80 0.0.0.0:*`).join("\n");
    const facts = factsFromResults("x", [ok("processes", `${ps}\n`), ok("listeners", ss)], AT);
    expect(facts.processes).toHaveLength(GUEST_LIMITS.processes);
    expect(facts.listeners).toHaveLength(GUEST_LIMITS.listeners);
    expect(facts.warnings).toContain("processes: 5000 reported, the first 4000 kept");
    expect(facts.warnings).toContain("listeners: 2500 reported, the first 2000 kept");
  });

  it("a lying guest's values are bounded or refused", () => {
    const facts = factsFromResults(
      "x",
      [
        ok("meminfo", "MemTotal: 1000 kB\nMemAvailable: 5000 kB\n"),
        ok("cpu", "cpus 2\ncpu  500 0 500 1000 0 0 0 0\ncpu  100 0 100 100 0 0 0 0\n"),
        ok("machine-id", "not-a-machine-id\n"),
        ok("product-uuid", "00000000-0000-0000-0000-000000000000\n"),
        ok("uptime", "-5 3\n"),
        ok("hostname", "evil host\n"),
      ],
      AT,
    );
    expect(facts.memory).toEqual({ totalMiB: 0.98, availableMiB: 0.98, usedMiB: 0 });
    expect(facts.cpuBusyPercent).toBeNull();
    expect(facts.warnings).toContain("CPU: the two /proc/stat samples do not make a share of busy time");
    expect(facts.machineId).toBeNull();
    expect(facts.productUuid).toBeNull();
    expect(facts.warnings.some((w) => w.includes("is a placeholder"))).toBe(true);
    expect(facts.uptimeSeconds).toBeNull();
    expect(facts.hostname).toBeNull();
  });

  it("a truncated output's partial last line is not read", () => {
    const stdout = "1 root 100 0.0 /usr/sbin/sshd -D\n2 root 100 0.0 /usr/bin/postg";
    const facts = factsFromResults("x", [ok("processes", stdout, { truncated: true, problem: "output cut at 8 MiB" })], AT);
    expect(facts.processes.map((p) => p.name)).toEqual(["sshd"]);
    expect(facts.warnings).toContain("processes: output cut at 8 MiB");
  });

  it("a missing, timed out or refused command is in unread, the others are read", () => {
    const results = [
      ok("os-release", "ID=alpine\nVERSION_ID=3.19.1\n"),
      ok("listeners", "", { exitCode: null, problem: "timed out after 10 s" }),
      ok("product-uuid", "FLEETLENS-NOT-PERMITTED\n"),
      ok("cron", "count 3 /etc/crontab\nFLEETLENS-NOT-PERMITTED /var/spool/cron/crontabs\n"),
      ok("units", "", { exitCode: 1 }),
      ok("unknown-command", "whatever"),
      ok("os-release", "ID=debian\n"),
    ];
    const facts = factsFromResults("x", results, AT);
    expect(facts.os.id).toBe("alpine");
    expect(facts.unread).toContain("listening sockets: timed out after 10 s");
    expect(facts.unread).toContain("DMI product UUID: needs sudo (readable by root only)");
    expect(facts.unread).toContain("cron jobs: /var/spool/cron/crontabs not read (needs sudo)");
    expect(facts.cronJobs).toBe(3);
    expect(facts.unread).toContain("running units: exited 1 with no output");
    expect(facts.unread).toContain("kernel: not run");
  });

  it("the runner's 'needs sudo' on a command read without it is unread, and its output still read", () => {
    const problem = "needs sudo (not enabled for this source): read without it, may be partial";
    const facts = factsFromResults("x", [ok("listeners", fixture("debian12", "listeners.nonroot.txt"), { problem })], AT);
    expect(facts.listeners).toHaveLength(3);
    expect(facts.unread).toContain(`listening sockets: ${problem}`);
    expect(facts.warnings).toEqual([]);
  });

  it("reads a busy systemd guest's units and a real UUID", () => {
    const units = [
      "  nginx.service        loaded active running A high performance web server and a reverse proxy server",
      "postgresql@15-main.service loaded active running PostgreSQL Cluster 15-main",
      "ssh.service loaded active running OpenBSD Secure Shell server",
    ].join("\n");
    const facts = factsFromResults(
      "x",
      [ok("units", units), ok("product-uuid", "4C4C4544-0042-3510-8052-B7C04F4D3232\n")],
      AT,
    );
    expect(facts.units).toEqual(["nginx.service", "postgresql@15-main.service", "ssh.service"]);
    expect(facts.productUuid).toBe("4c4c4544-0042-3510-8052-b7c04f4d3232");
    expect(facts.software.map((s) => s.name)).toEqual(["postgresql", "nginx"]);
  });
});

describe("pieces", () => {
  it.each([
    ["0.0.0.0:22", { address: "0.0.0.0", port: 22 }],
    ["[::]:22", { address: "::", port: 22 }],
    [":::22", { address: "::", port: 22 }],
    ["*:68", { address: "*", port: 68 }],
    ["127.0.0.53%lo:53", { address: "127.0.0.53%lo", port: 53 }],
    ["[fe80::1%eth0]:123", { address: "fe80::1%eth0", port: 123 }],
    ["0.0.0.0:*", { address: "0.0.0.0", port: 0 }],
    // An IPv4 peer of an IPv6 socket, as ss and netstat write it: its IPv4 address.
    ["[::ffff:127.0.0.1]:5432", { address: "127.0.0.1", port: 5432 }],
    ["::ffff:10.0.0.5:5432", { address: "10.0.0.5", port: 5432 }],
    ["[::FFFF:192.0.2.1]:80", { address: "192.0.2.1", port: 80 }],
    // Near misses: not an IPv4 address after ::ffff:, another prefix, the hexadecimal form.
    ["[::ffff:300.1.1.1]:80", { address: "::ffff:300.1.1.1", port: 80 }],
    ["[64:ff9b::10.0.0.5]:80", { address: "64:ff9b::10.0.0.5", port: 80 }],
    ["[::ffff:7f00:1]:80", { address: "::ffff:7f00:1", port: 80 }],
    ["[::1:ffff:10.0.0.5]:80", { address: "::1:ffff:10.0.0.5", port: 80 }],
    ["1.2.3.4:65536", null],
    ["1.2.3.4:", null],
    [":80", null],
    ["nocolon", null],
  ] as const)("splitAddressPort(%s)", (text, expected) => {
    expect(splitAddressPort(text)).toEqual(expected);
  });

  it("extra kernel modules: taint flags O, P, E, F and the third-party families; in-tree ones not", () => {
    // Lines in /proc/modules' format (name size refcount deps state address [flags]); this machine's
    // kernel has no loadable modules, so these are written here.
    const modules = [
      "nvidia_uvm 1363968 0 - Live 0x0000000000000000 (POE)",
      "vboxdrv 696320 2 vboxnetadp,vboxnetflt, Live 0x0000000000000000 (OE)",
      "zfs 4218880 6 - Live 0x0000000000000000 (PO)",
      "spl 135168 1 zfs, Live 0x0000000000000000",
      "mydriver 16384 0 - Live 0x0000000000000000 (F)",
      "r8188eu 446464 0 - Live 0x0000000000000000 (C)",
      "ext4 1003520 1 - Live 0x0000000000000000",
      "kvm_intel 401408 0 - Live 0x0000000000000000",
      "virtio_net 61440 0 - Live 0x0000000000000000",
      "garbage line",
    ].join("\n");
    expect(parseModules(modules, ok("modules", modules)).facts.extraModules).toEqual([
      "nvidia_uvm",
      "vboxdrv",
      "zfs",
      "spl",
      "mydriver",
    ]);
  });

  it.each([
    ["selinux 1\napparmor Y\n", { selinux: "enforcing", apparmor: "enabled" }],
    ["selinux 0\napparmor N\n", { selinux: "permissive", apparmor: "disabled" }],
    ["selinux Enforcing\napparmor absent\n", { selinux: "enforcing", apparmor: "disabled" }],
    ["selinux Disabled\n", { selinux: "disabled" }],
    ["selinux maybe\napparmor ?\n", { selinux: null, apparmor: null }],
  ] as const)("security %j", (stdout, expected) => {
    expect(parseSecurity(stdout, ok("security", stdout)).facts.security).toEqual(expected);
  });

  it("knows a parser for every command and a command for every parser", () => {
    expect(Object.keys(GUEST_PARSERS).sort()).toEqual([...GUEST_COMMAND_IDS].sort());
    expect(GUEST_COMMANDS.map((c) => c.id as GuestCommandId).sort()).toEqual([...GUEST_COMMAND_IDS].sort());
  });
});

describe("recorded while PostgreSQL 15, Podman's service, a Java program and psql ran", () => {
  const results = ["processes", "listeners", "connections"].map((id) => ok(id, fixture("debian12-servers", `${id}.txt`)));
  const facts = factsFromResults("root@127.0.0.1:22", results, AT);
  const byName = (name: string) => facts.software.find((s) => s.name === name);

  it("recognises the server, the container runtime and the runtime, with their evidence", () => {
    expect(byName("postgresql")).toEqual({
      kind: "server",
      name: "postgresql",
      version: "15",
      evidence:
        "process postgres (pid 4668) and 6 more: /usr/lib/postgresql/15/bin/postgres -D /tmp/fleetlens-pg15-FUkVJ5/data -c listen_addresses=127.0.0.1 -c port=38995 -c unix_socket_directories=; listening on tcp 127.0.0.1:38995",
    });
    expect(byName("podman")).toMatchObject({ kind: "container-runtime", evidence: expect.stringContaining("listening on tcp 127.0.0.1:51195") });
    expect(byName("java")).toMatchObject({ kind: "runtime", evidence: expect.stringContaining("java /tmp/javasleep/Sleep.java") });
    // psql is PostgreSQL's client: not a second server, nor counted among the server's processes.
    expect(facts.software.filter((s) => s.name === "postgresql")).toHaveLength(1);
  });

  it("the client's connection URL keeps its user, not its password", () => {
    const psql = facts.processes.find((p) => p.pid === 5813)!;
    expect(psql.command).toBe("/usr/lib/postgresql/15/bin/psql postgresql://fleetlens:[redacted]@127.0.0.1:38995/postgres -c select pg_sleep(600)");
    expect(JSON.stringify(facts)).not.toContain("H8IYYNn9XSEStV77NgyQBJF9");
  });

  it("the connection between psql and its backend, both ends", () => {
    expect(facts.connections).toEqual([
      { protocol: "tcp", localAddress: "127.0.0.1", localPort: 38995, remoteAddress: "127.0.0.1", remotePort: 50238, process: "postgres", pid: 5825 },
      { protocol: "tcp", localAddress: "127.0.0.1", localPort: 50238, remoteAddress: "127.0.0.1", remotePort: 38995, process: "psql", pid: 5813 },
    ]);
  });
});

describe("the collection's own SSH session", () => {
  // Recorded on this machine through the sshd peer as a user with sudo -n: the command's shell, sh,
  // sudo, the shell sshd started, sshd's user and privileged processes, sshd's listener (31680); the
  // test's ssh client (31860) on the same machine; another user's session (31735) left alone.
  const SS = [
    "FLEETLENS-SELF 31867 31866 31865 31864 31862 31680",
    'tcp   0      0               127.0.0.1:48560          127.0.0.1:43371 users:(("ssh",pid=31860,fd=3))',
    'tcp   0      36              127.0.0.1:43371          127.0.0.1:48560 users:(("sshd",pid=31864,fd=4),("sshd",pid=31862,fd=4))',
    'tcp   0      0               127.0.0.1:43371          127.0.0.1:48550 users:(("sshd",pid=31735,fd=4))',
    'tcp   0      0               127.0.0.1:41000          10.0.0.7:5432 users:(("node",pid=31866,fd=9))',
    "",
  ].join("\n");
  const ports = (stdout: string) => factsFromResults("x", [ok("connections", stdout)], AT).connections.map((c) => `${c.process} ${c.localPort}>${c.remotePort}`);

  it("leaves out the connection held by an SSH server among the command's ancestors", () => {
    expect(ports(SS)).toEqual(["ssh 48560>43371", "sshd 43371>48550", "node 41000>5432"]);
  });

  it("keeps another session's sshd, and an ancestor's connection that is not an SSH server's", () => {
    const facts = factsFromResults("x", [ok("connections", SS)], AT);
    expect(facts.connections.find((c) => c.pid === 31735)).toMatchObject({ process: "sshd", localPort: 43371 });
    expect(facts.connections.find((c) => c.pid === 31866)).toMatchObject({ process: "node", remoteAddress: "10.0.0.7" });
    expect(facts.warnings).toEqual([]);
  });

  it("netstat's title of the session (sshd: user@notty) is recognised too", () => {
    const netstat = [
      "FLEETLENS-SELF 900 812",
      "FLEETLENS-NETSTAT",
      "Active Internet connections (w/o servers)",
      "Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name",
      "tcp        0      0 10.0.0.5:22             10.0.0.9:50412          ESTABLISHED 812/sshd: root@nott",
      "tcp        0      0 10.0.0.5:22             10.0.0.8:40000          ESTABLISHED 700/sshd: ops@notty",
      "",
    ].join("\n");
    expect(ports(netstat)).toEqual(["sshd: ops@notty 22>40000"]);
  });

  it("without the line (an older recording), or with a line that is not one, nothing is left out", () => {
    expect(ports(SS.replace(/^FLEETLENS-SELF.*\n/, ""))).toHaveLength(4);
    const tooMany = `FLEETLENS-SELF ${Array.from({ length: 65 }, (_, i) => 31800 + i).join(" ")}`;
    expect(ports(SS.replace(/^FLEETLENS-SELF.*$/m, tooMany))).toHaveLength(4);
    expect(ports(SS.replace(/^FLEETLENS-SELF.*$/m, "FLEETLENS-SELF 31864x 31862"))).toHaveLength(4);
    // pid 1 is never ours (an init holding sockets for socket-activated sshd).
    expect(ports(SS.replace(/^FLEETLENS-SELF.*$/m, "FLEETLENS-SELF 1"))).toHaveLength(4);
  });
});

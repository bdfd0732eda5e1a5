/**
 * bench/libvirt: the libvirt collector's full inventory of a node with 100 domains, against one
 * `virsh` process running the equivalent chained commands (hostname; version; nodeinfo;
 * capabilities; sysinfo; list --all; domstats; dominfo + dumpxml per domain), measured in the
 * same run against the same daemon, over the unix socket and over TCP.
 *
 *   npm run bench:libvirt                    100 domains, 5 rounds
 *   npm run bench:libvirt -- --domains 500 --rounds 3
 *
 * The daemon is libvirtd with the test driver started by tests/peers/libvirtd.sh (shared/peers.md)
 * from a node XML written here: domains varied like tests/fixtures/libvirt/node.xml. Prints a table
 * of medians; the ratio is collector time ÷ virsh time (goal: ≤ 0.5×).
 *
 * Figures (2 cores, Debian 12, libvirt 9.0, 100 domains, 5 rounds, medians; the collector's time
 * includes validating the snapshot):
 *   unix  virsh 231 ms, collector 73 ms (0.32×)
 *   tcp   virsh 239 ms, collector 65 ms (0.27×)
 *   tls   virsh 253 ms, collector 98 ms (0.39×; one call in flight at a time over TLS, as
 *         libvirtd 9.0 leaves pipelined calls unread in its TLS buffer, see rpc.ts maxInFlight)
 * The collector pipelines the calls on one connection (32 domains' info+XML in flight); virsh
 * sends one call at a time.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { collectLibvirt } from "../server/collectors/libvirt/collector";
import { parseSnapshot } from "../server/inventory/snapshot";
import { arg, median, timed } from "./lib";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "..");
const PEER = path.join(ROOT, "tests/peers/libvirtd.sh");

const domains = arg("domains", 100);
const rounds = arg("rounds", 5);

const OS_IDS = [
  "http://ubuntu.com/ubuntu/22.04",
  "http://redhat.com/rhel/9.2",
  "http://microsoft.com/win/2k22",
  "http://debian.org/debian/12",
  null,
];

function nodeXml(count: number): string {
  const out = [
    "<node>",
    "<cpu><nodes>2</nodes><sockets>1</sockets><cores>16</cores><threads>2</threads><active>64</active><mhz>2400</mhz><model>x86_64</model></cpu>",
    "<memory>536870912</memory>",
  ];
  for (let i = 0; i < count; i++) {
    const n = String(i).padStart(4, "0");
    const osId = OS_IDS[i % OS_IDS.length];
    const runstate = [1, 1, 5, 3][i % 4];
    out.push(`<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
  <name>bench-${n}</name><uuid>00000000-0000-4000-8000-00000000${n}</uuid>
  ${osId ? `<metadata><libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'><libosinfo:os id='${osId}'/></libosinfo:libosinfo></metadata>` : ""}
  <memory unit='MiB'>${1024 * (1 + (i % 8))}</memory><vcpu>${1 + (i % 8)}</vcpu>
  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/images/bench-${n}.qcow2'/><target dev='vda' bus='virtio'/></disk>
    ${i % 3 === 0 ? `<disk type='block' device='disk'><driver name='qemu' type='raw'/><source dev='/dev/vg/bench-${n}'/><target dev='vdb' bus='virtio'/>${i % 9 === 0 ? "<shareable/>" : ""}</disk>` : ""}
    <interface type='network'><mac address='52:54:00:00:${n.slice(0, 2)}:${n.slice(2)}'/><source network='default'/><model type='virtio'/></interface>
    ${i % 10 === 0 ? "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>" : ""}
  </devices>
  <test:runstate>${runstate}</test:runstate>
</domain>`);
  }
  out.push("</node>");
  return out.join("\n");
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fleetlens-bench-libvirt-"));
  const xmlFile = path.join(tmp, "node.xml");
  fs.writeFileSync(xmlFile, nodeXml(domains));
  const started = await run("bash", [PEER, "start", xmlFile], { cwd: ROOT, maxBuffer: 1 << 20 });
  const dir = started.stdout.trim().split("\n").pop()!;
  const read = (name: string) => fs.readFileSync(path.join(dir, name), "utf8").trim();
  const uris = { unix: read("unix-uri"), tcp: read("tcp-uri"), tls: read("tls-uri") };
  try {
    const names = Array.from({ length: domains }, (_, i) => `bench-${String(i).padStart(4, "0")}`);
    const chained = [
      "hostname",
      "version",
      "nodeinfo",
      "capabilities",
      "sysinfo",
      "list --all --uuid",
      "domstats --state --block",
      ...names.flatMap((name) => [`dominfo ${name}`, `dumpxml ${name}`]),
    ].join(" ; ");
    // sysinfo is not implemented by the test driver: virsh reports it and goes on.
    const virsh = async (uri: string) => {
      const result = await run("virsh", ["-q", "-c", uri, chained], { maxBuffer: 256 << 20 }).catch(
        (error: { stdout?: string }) => ({ stdout: error.stdout ?? "" }),
      );
      return result.stdout.length;
    };
    const collector = async (uri: string) => {
      const snapshot = parseSnapshot(
        await collectLibvirt(
          { kind: "libvirt", name: "bench", endpoint: uri, username: null, secret: null, options: {} },
          { signal: AbortSignal.timeout(600_000) },
        ),
      );
      return snapshot.virtualMachines.length;
    };

    const rows: [string, string, string, string][] = [["what", "median ms", "min ms", "ratio to virsh (goal <= 0.5x)"]];
    for (const [transport, uri] of Object.entries(uris)) {
      const bytes = await virsh(uri); // warm-up
      const seen = await collector(uri);
      if (seen !== domains) throw new Error(`expected ${domains} domains, the collector saw ${seen}`);
      const virshTimes: number[] = [];
      const collectorTimes: number[] = [];
      for (let r = 0; r < rounds; r++) {
        virshTimes.push((await timed(() => virsh(uri)))[0]);
        collectorTimes.push((await timed(() => collector(uri)))[0]);
      }
      const virshMs = median(virshTimes);
      rows.push([`virsh, chained commands (${transport})`, virshMs.toFixed(0), Math.min(...virshTimes).toFixed(0), `1.00x  ${bytes} bytes of output`]);
      rows.push([
        `collectLibvirt (${transport})`,
        median(collectorTimes).toFixed(0),
        Math.min(...collectorTimes).toFixed(0),
        `${(median(collectorTimes) / virshMs).toFixed(2)}x  ${seen} domains`,
      ]);
    }
    const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
    console.log(`\n${rounds} rounds, ${domains} domains (libvirtd ${"test driver"})\n`);
    for (const row of rows) {
      console.log(row.map((cell, c) => (c === 0 || c === 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "));
    }
  } finally {
    await run("bash", [PEER, "stop", dir]);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  console.error(`bench:libvirt: ${error.message}`);
  process.exit(1);
});

/**
 * bench/vsphere: the vsphere collector's total time (connect, login, view, every property
 * collection, parsing, normalising, logout) against one bare RetrievePropertiesEx of the same VM
 * properties (request sent, whole answer received, nothing parsed), in the same run, against vcsim.
 *
 *   npm run bench:vsphere                5,000 VMs (5 clusters of 4 hosts, 1,000 VMs per cluster)
 *   npm run bench:vsphere -- --vms 1000  1,000 VMs
 *   npm run bench:vsphere -- --rounds 7
 *
 * Goal: collector ≤ 1.5 × bare call. Also shows what parsing the VM answer costs with this
 * collector's XML reader and with fast-xml-parser, which it does not use (see xml.ts).
 */
import { execFileSync } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { XMLParser } from "fast-xml-parser";
import type { CollectableSource } from "../server/collectors";
import { moRefXml, propertyFilterXml, VsphereClient } from "../server/collectors/vsphere/client";
import { collectVsphere } from "../server/collectors/vsphere/collector";
import { VIRTUAL_MACHINE } from "../server/collectors/vsphere/properties";
import { parseXml } from "../server/collectors/vsphere/xml";
import { arg, median, timed } from "./lib";

const vms = arg("vms", 5000);
const rounds = arg("rounds", 5);
const clusters = 5;
const script = path.join(import.meta.dirname, "../tests/peers/vcsim/vcsim.sh");
const password = "bench-password";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(3)} s`;

async function main() {
  const port = await freePort();
  const started = performance.now();
  const dir = execFileSync(
    "bash",
    [script, "start", String(port), password, "-dc", "1", "-cluster", String(clusters), "-host", "4",
      "-standalone-host", "0", "-pool", "0", "-vm", String(Math.ceil(vms / clusters))],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  ).trim();
  const startSeconds = (performance.now() - started) / 1000;
  const source: CollectableSource = {
    kind: "vsphere",
    name: "bench",
    endpoint: `https://127.0.0.1:${port}/sdk`,
    username: "fleetlens",
    secret: password,
    // The inventory only, as the bare call reads it: no PerformanceManager history (performance.ts).
    options: { insecure: true, performanceDays: 0 },
  };
  const signal = AbortSignal.timeout(30 * 60 * 1000);

  try {
    // The reference: one RetrievePropertiesEx of the collector's VM properties, answer read whole.
    const client = await VsphereClient.connect({
      url: new URL(source.endpoint),
      tls: { mode: "insecure" },
      requestTimeoutMs: 600_000,
      signal,
      username: "fleetlens",
      password,
    });
    await client.login();
    const view = await client.createContainerView([VIRTUAL_MACHINE.type]);
    const body =
      moRefXml("_this", client.content.propertyCollector) + propertyFilterXml(view, VIRTUAL_MACHINE);

    const bare: number[] = [];
    const collector: number[] = [];
    let answer = "";
    let collected = { hosts: 0, vms: 0 };
    // Alternate, after one warm-up of each, so both see the same machine state.
    for (let round = 0; round <= rounds; round++) {
      const [bareMs, raw] = await timed(() => client.transport.request("RetrievePropertiesEx", body));
      const [collectMs, snapshot] = await timed(() => collectVsphere(source, { signal }));
      if (round === 0) {
        answer = raw.text;
        collected = { hosts: snapshot.hosts?.length ?? 0, vms: snapshot.virtualMachines?.length ?? 0 };
        continue;
      }
      bare.push(bareMs);
      collector.push(collectMs);
    }
    await client.destroyView(view);
    await client.logout();
    client.close();

    const objects = (text: string) => {
      let n = 0;
      parseXml(text, (e, depth) => depth === 5 && e.name === "objects" && ++n > 0);
      return n;
    };
    const own: number[] = [];
    for (let i = 0; i < 3; i++) own.push((await timed(async () => objects(answer)))[0]);
    const fxp = (await timed(async () => new XMLParser({ ignoreAttributes: false, parseTagValue: false }).parse(answer)))[0];

    const ratio = median(collector) / median(bare);
    const mb = Buffer.byteLength(answer) / 1e6;
    const rows: [string, string, string][] = [
      ["bare RetrievePropertiesEx (VM properties)", seconds(median(bare)), seconds(Math.min(...bare))],
      ["collector total (connect → snapshot → logout)", seconds(median(collector)), seconds(Math.min(...collector))],
      ["ratio collector / bare (goal ≤ 1.5×)", `${ratio.toFixed(2)}×`, `${(Math.min(...collector) / Math.min(...bare)).toFixed(2)}×`],
      ["parse the VM answer: own XML reader", seconds(median(own)), seconds(Math.min(...own))],
      ["parse the VM answer: fast-xml-parser", seconds(fxp), "(1 run)"],
    ];
    console.log(
      `bench/vsphere: vcsim with ${collected.vms} VMs on ${collected.hosts} hosts (${clusters} clusters), ` +
        `started in ${startSeconds.toFixed(1)} s; VM answer ${mb.toFixed(1)} MB; ${rounds} rounds after a warm-up`,
    );
    console.log(`${"".padEnd(48)} ${"median".padStart(9)} ${"min".padStart(9)}`);
    for (const [what, med, min] of rows) console.log(`${what.padEnd(48)} ${med.padStart(9)} ${min.padStart(9)}`);
    if (ratio > 1.5) process.exitCode = 1;
  } finally {
    execFileSync("bash", [script, "stop", dir], { stdio: "inherit" });
  }
}

main().catch((error: Error) => {
  console.error(`bench/vsphere: ${error.message}`);
  process.exit(1);
});

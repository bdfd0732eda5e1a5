/**
 * bench/validate: what validating a snapshot costs, against JSON.parse of the same snapshot's text
 * measured in the same run (the least any consumer of a collected snapshot pays).
 *
 *   npx tsx bench/validate.ts                         100k containers (8 labels each), 10k VMs
 *   npx tsx bench/validate.ts --containers 20000 --vms 2000
 *   npx tsx bench/validate.ts --bad 1000000           and refusing that many invalid containers
 *
 * Rows: JSON.parse (reference), parseSnapshot (what applySnapshot runs), salvageSnapshot (what a
 * collection runs before ingest), and with --bad the refusal of a snapshot whose containers are
 * all invalid: time, issues reported, RSS growth.
 */
import { generateFleetSnapshot } from "../server/collectors/demo/fleet";
import { salvageSnapshot } from "../server/inventory/salvage";
import { parseSnapshot, SnapshotValidationError } from "../server/inventory/snapshot";
import { arg, median } from "./lib";

const vms = arg("vms", 10_000);
const containers = arg("containers", 100_000);
const bad = arg("bad", 0);
const runs = arg("runs", 5);

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

function validText(): string {
  const snapshot = generateFleetSnapshot({ seed: 7, vms, containers });
  // Fresh objects (the demo fleet shares records), each container with a realistic set of labels.
  const plain = JSON.parse(JSON.stringify(snapshot)) as { containers: { labels: Record<string, string> }[] };
  plain.containers.forEach((c, i) => {
    c.labels = {
      ...c.labels,
      "org.opencontainers.image.source": `https://git.example/app/${i % 97}`,
      "org.opencontainers.image.version": `1.${i % 13}.${i % 7}`,
      "org.opencontainers.image.revision": "0123456789abcdef0123456789abcdef01234567",
      "com.docker.compose.service": `svc-${i % 31}`,
      "com.docker.compose.config-hash": "c0ffee".repeat(10),
      maintainer: "ops@example.com",
      "traefik.http.routers.web.rule": `Host(\`app${i}.example\`)`,
      "traefik.enable": "true",
    };
  });
  return JSON.stringify(plain);
}

function time(task: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    task();
    times.push(performance.now() - start);
  }
  return median(times);
}

function main() {
  const text = validText();
  const rows: [string, string, string][] = [];
  const reference = time(() => JSON.parse(text));
  rows.push(["JSON.parse (reference)", fmt(reference), "1.00"]);
  const input = JSON.parse(text) as unknown;
  const parse = time(() => parseSnapshot(input));
  rows.push(["parseSnapshot", fmt(parse), (parse / reference).toFixed(2)]);
  const salvage = time(() => salvageSnapshot(input));
  rows.push(["salvageSnapshot", fmt(salvage), (salvage / reference).toFixed(2)]);

  console.log(`valid snapshot: ${fmt(vms)} VMs, ${fmt(containers)} containers, ${fmt(text.length / 2 ** 20)} MiB of JSON; median of ${runs} runs`);
  console.log(`${"step".padEnd(26)} ${"ms".padStart(8)}  × JSON.parse`);
  for (const [step, ms, ratio] of rows) console.log(`${step.padEnd(26)} ${ms.padStart(8)}  ${ratio}`);

  if (bad > 0) {
    const hostile = {
      collectedAt: "2026-01-01T00:00:00Z",
      containers: Array.from({ length: bad }, (_, i) => ({ externalId: `c${i}`, name: 1 })),
    };
    const rss = process.memoryUsage().rss;
    const start = performance.now();
    let issues = 0;
    let message = "";
    try {
      parseSnapshot(hostile);
    } catch (error) {
      if (!(error instanceof SnapshotValidationError)) throw error;
      issues = error.issues.length;
      message = error.message;
    }
    const ms = performance.now() - start;
    const grown = (process.memoryUsage().rss - rss) / 2 ** 20;
    console.log(`\n${fmt(bad)} invalid containers: refused in ${fmt(ms)} ms, ${fmt(issues)} issues kept, RSS +${fmt(grown)} MiB`);
    console.log(`  ${message.slice(0, 300)}`);

    const salvageStart = performance.now();
    const salvaged = salvageSnapshot(hostile) as { containers: unknown[]; warnings: string[] };
    console.log(
      `salvaged in ${fmt(performance.now() - salvageStart)} ms: ${fmt(salvaged.containers.length)} containers kept, ${fmt(salvaged.warnings.length)} warnings`,
    );
  }
}

main();

/**
 * bench/docker: the docker collector's full inventory of an engine with 200 containers, against
 * what an engineer runs today over the same API: `docker ps -a` plus one `docker inspect` of all
 * the ids (the docker CLI, two processes), measured in the same run on the same engine.
 *
 *   npm run bench:docker                      200 containers, 5 rounds
 *   npm run bench:docker -- --containers 500 --rounds 3
 *
 * The engine is Podman's Docker-compatible API started by tests/peers/podman.sh (shared/peers.md).
 * Half the containers run, half are only created; they vary in limits, capabilities, mounts and
 * labels. Prints a table of medians; the ratio is collector time ÷ CLI time (goal: ≤ 1×). The
 * collector does more than the CLI pair: /info (0.15-0.3 s of Podman's CPU: it runs conmon and
 * the runtimes for their versions) and every image's inspect and history.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";
import { collectDocker } from "../server/collectors/docker/collector";
import { parseSnapshot } from "../server/inventory/snapshot";
import { arg, median, timed } from "./lib";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "..");
const PEER = path.join(ROOT, "tests/peers/podman.sh");

const containers = arg("containers", 200);
const rounds = arg("rounds", 5);

async function populate(docker: Docker, count: number) {
  const images = ["localhost/busybox:latest", "localhost/fleetlens-app:1", "localhost/fleetlens-tools:1"];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const container = await docker.createContainer({
        name: `bench-${String(i).padStart(4, "0")}`,
        Image: images[i % images.length]!,
        Cmd: ["sleep", "36000"],
        User: i % 3 === 0 ? "1000" : "",
        Labels: { tenant: `tenant-${i % 4}`, "com.docker.compose.project": `stack-${i % 10}`, "com.docker.compose.service": "svc" },
        HostConfig: {
          NetworkMode: "none",
          Memory: i % 2 === 0 ? 64 * 1024 * 1024 : 0,
          PidsLimit: i % 5 === 0 ? 100 : 0,
          CapAdd: i % 7 === 0 ? ["NET_ADMIN"] : [],
          ReadonlyRootfs: i % 4 === 0,
          SecurityOpt: i % 6 === 0 ? ["no-new-privileges"] : [],
          Binds: i % 8 === 0 ? ["/etc:/host-etc:ro"] : [],
        },
      });
      if (i % 2 === 0) await container.start();
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

async function main() {
  const started = await run("bash", [PEER, "start"], { cwd: ROOT, maxBuffer: 1 << 20 });
  const socket = started.stdout.trim().split("\n").pop()!;
  const endpoint = `unix://${socket}`;
  try {
    const docker = new Docker({ socketPath: socket, host: undefined, version: "v1.41" });
    const setup = performance.now();
    await populate(docker, containers);
    console.log(`engine: Podman's Docker API on ${endpoint}; ${containers} containers made in ${((performance.now() - setup) / 1000).toFixed(1)} s`);

    const env = { ...process.env, DOCKER_HOST: endpoint };
    const cli = async () => {
      const ps = await run("docker", ["ps", "-a", "-q", "--no-trunc"], { env, maxBuffer: 64 << 20 });
      const ids = ps.stdout.split("\n").filter(Boolean);
      const inspect = await run("docker", ["inspect", ...ids], { env, maxBuffer: 256 << 20 });
      return { ids: ids.length, bytes: inspect.stdout.length };
    };
    const collector = async (options: Record<string, unknown> = {}) => {
      const snapshot = parseSnapshot(
        await collectDocker(
          { kind: "docker", name: "bench", endpoint, username: null, secret: null, options },
          { signal: AbortSignal.timeout(600_000) },
        ),
      );
      return { containers: snapshot.containers.length, images: snapshot.images.length };
    };

    // Warm both up once (CLI binary in the page cache, tsx transforms, engine caches).
    const warm = await cli();
    const warmSnapshot = await collector();
    if (warm.ids !== containers || warmSnapshot.containers !== containers) {
      throw new Error(`expected ${containers} containers, CLI saw ${warm.ids}, collector ${warmSnapshot.containers}`);
    }
    // The default, then other bounds on the requests in flight, for the record.
    const variants: [string, Record<string, unknown>][] = [
      ["collectDocker (default: 8 inspects in flight)", {}],
      ...[1, 2].map((n): [string, Record<string, unknown>] => [`collectDocker, concurrency ${n}`, { concurrency: n }]),
    ];
    const cliTimes: number[] = [];
    const times = variants.map(() => [] as number[]);
    for (let r = 0; r < rounds; r++) {
      cliTimes.push((await timed(cli))[0]);
      for (const [v, [, options]] of variants.entries()) times[v]!.push((await timed(() => collector(options)))[0]);
    }
    const cliMs = median(cliTimes);
    const rows: [string, string, string, string][] = [
      ["what", "median ms", "min ms", "ratio to CLI (goal <= 1x)"],
      ["docker ps -a + docker inspect (CLI)", cliMs.toFixed(0), Math.min(...cliTimes).toFixed(0), `1.00x  ${warm.ids} containers`],
      ...variants.map(([label], v): [string, string, string, string] => [
        label,
        median(times[v]!).toFixed(0),
        Math.min(...times[v]!).toFixed(0),
        `${(median(times[v]!) / cliMs).toFixed(2)}x${v === 0 ? `  ${warmSnapshot.containers} containers, ${warmSnapshot.images} images, host` : ""}`,
      ]),
    ];
    const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
    console.log(`\n${rounds} rounds, ${containers} containers (half running)\n`);
    for (const row of rows) {
      console.log(row.map((cell, c) => (c === 0 || c === 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "));
    }
  } finally {
    await run("bash", [PEER, "stop", socket]);
  }
}

main().catch((error: Error) => {
  console.error(`bench:docker: ${error.message}`);
  process.exit(1);
});

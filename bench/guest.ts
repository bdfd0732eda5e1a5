/**
 * bench/guest: guest discovery of many guests (issue 16): collectGuests (one ssh2 connection per
 * guest, the default concurrency) against a plain shell loop that runs, for each guest in turn,
 * each command of GUEST_COMMANDS as its own `ssh -p PORT -i KEY ... user@127.0.0.1 '<command>'`
 * (as a script would), measured in the same run against the same daemons.
 *
 *   npm run bench:guest                      50 guests, 1 run
 *   npm run bench:guest -- --guests 10 --runs 3
 *
 * The guests are sshd daemons on loopback, each started by tests/peers/sshd.sh with `--password`
 * (a user of its own, /bin/sh, not root: root's shell start-up here would dominate), each with its
 * own port, host key and user. The collector pins each guest's host key and logs in with one key
 * (the first daemon's client key, added to every daemon's authorized_keys); the loop uses each
 * daemon's own client key and no host key checking. No sudo: the commands that want root report
 * "not permitted" in both. If not all daemons start, the bench goes on with those that did and says
 * so. Every daemon is stopped at the end, also on error, Ctrl-C or SIGTERM.
 *
 * Prints each run's wall times, the median of each, and the ratio collector ÷ loop (goal: ≤ 0.5×).
 * The `cpu` command sleeps 1 s, so the loop takes at least 1 s per guest.
 *
 * Figures (2 cores, Debian 12, OpenSSH 9.2, 19 commands, 1 run; one `ssh` to loopback costs ~0.25 s):
 *   10 guests: ssh loop 60.2 s, collectGuests 5.7 s (0.09×)
 *   50 guests: ssh loop 292.3 s, collectGuests 27.1 s (0.09×); the 50 daemons started in 45 s
 */
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { collectGuests, DEFAULT_GUEST_CONCURRENCY } from "../server/collectors/guest/collect";
import { GUEST_COMMANDS } from "../server/collectors/guest/commands";
import type { GuestTarget } from "../server/collectors/guest/ssh";
import { shellQuote } from "../server/collectors/ssh";
import { arg, median, timed } from "./lib";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "..");
const PEER = path.join(ROOT, "tests/peers/sshd.sh");

const wanted = arg("guests", 50);
const runs = arg("runs", 1);
/** Daemons started at once (each start runs three ssh-keygen and a useradd). */
const START_AT_ONCE = 4;

interface Guest {
  dir: string;
  port: number;
  user: string;
  fingerprint: string;
  key: string;
}

/** Directories of the daemons started so far: stopped at the end whatever happens. */
const started: string[] = [];
let stopping: Promise<void> | null = null;
/** The ssh loop's bash while it runs: killed (by its pid) when the bench is stopped. */
let loopChild: ReturnType<typeof spawn> | null = null;

function stopAll(): Promise<void> {
  stopping ??= (async () => {
    if (loopChild?.exitCode === null) loopChild.kill("SIGTERM");
    const dirs = started.splice(0);
    for (let i = 0; i < dirs.length; i += 8) {
      await Promise.all(dirs.slice(i, i + 8).map((dir) => run("bash", [PEER, "stop", dir]).catch(() => undefined)));
    }
  })();
  return stopping;
}

async function startOne(): Promise<Guest> {
  const out = await run("bash", [PEER, "start", "--password"], { cwd: ROOT, maxBuffer: 1 << 20, timeout: 900_000 });
  const dir = out.stdout.trim().split("\n").pop()!;
  started.push(dir);
  // Ctrl-C while this one was starting: it is stopped with the others.
  if (stopping) throw new Error("interrupted");
  const read = (name: string) => fs.readFileSync(path.join(dir, name), "utf8").trim();
  return { dir, port: Number(read("port")), user: read("password-user"), fingerprint: read("host-fingerprint"), key: path.join(dir, "client_key") };
}

/** Up to `count` daemons, a few at a time; stops at the first that fails to start. */
async function startGuests(count: number): Promise<{ guests: Guest[]; failure: string | null }> {
  const guests: Guest[] = [];
  let failure: string | null = null;
  while (guests.length < count && !failure) {
    const batch = Math.min(START_AT_ONCE, count - guests.length);
    const results = await Promise.allSettled(Array.from({ length: batch }, () => startOne()));
    for (const result of results) {
      if (result.status === "fulfilled") guests.push(result.value);
      else failure ??= String((result.reason as { stderr?: string; message?: string }).stderr || (result.reason as Error).message).trim();
    }
    if (stopping) throw new Error("interrupted");
  }
  return { guests, failure };
}

/** The reference: one ssh per command per guest, in turn, from a bash script. */
function loopScript(guests: Guest[], outFile: string): string {
  const lines = ["fails=0"];
  for (const guest of guests) {
    for (const command of GUEST_COMMANDS) {
      lines.push(
        `ssh -p ${guest.port} -i ${shellQuote(guest.key)} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null ` +
          `-o BatchMode=yes -o LogLevel=ERROR ${guest.user}@127.0.0.1 ${shellQuote(command.run)} >>${shellQuote(outFile)} 2>/dev/null ` +
          `|| { [ $? -ne 255 ] || fails=$((fails+1)); }`,
      );
    }
  }
  lines.push('echo "$fails"');
  return lines.join("\n") + "\n";
}

function bash(scriptFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [scriptFile], { stdio: ["ignore", "pipe", "inherit"] });
    loopChild = child;
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve(stdout.trim()) : reject(new Error(`the ssh loop exited ${code}`))));
  });
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fleetlens-bench-guest-"));
  try {
    const startedAt = performance.now();
    const { guests, failure } = await startGuests(wanted);
    const startMs = performance.now() - startedAt;
    if (failure) console.log(`${guests.length} of ${wanted} sshd daemons started; the next one failed: ${failure.split("\n")[0]}`);
    if (guests.length === 0) throw new Error("no sshd daemon started");
    console.log(`${guests.length} sshd daemons on 127.0.0.1 started in ${(startMs / 1000).toFixed(1)} s`);

    // One key for the collector: the first daemon's client key, accepted by every daemon.
    const publicKey = fs.readFileSync(`${guests[0]!.key}.pub`, "utf8");
    for (const guest of guests.slice(1)) fs.appendFileSync(path.join(guest.dir, "authorized_keys"), publicKey);
    const privateKey = fs.readFileSync(guests[0]!.key, "utf8");
    const fingerprints = new Map(guests.map((g) => [g.port, g.fingerprint]));
    const targets: GuestTarget[] = guests.map((g) => ({ user: g.user, host: "127.0.0.1", port: g.port }));

    const collector = async () => {
      const collection = await collectGuests(targets, {
        auth: { privateKey },
        hostKey: (target) => ({ mode: "pinned", fingerprint: fingerprints.get(target.port)! }),
      });
      if (collection.guests.length !== guests.length) {
        throw new Error(`the collector read ${collection.guests.length} of ${guests.length} guests: ${collection.warnings.slice(0, 3).join("; ")}`);
      }
      return collection;
    };
    const outFile = path.join(tmp, "loop.out");
    const scriptFile = path.join(tmp, "loop.sh");
    fs.writeFileSync(scriptFile, loopScript(guests, outFile));
    const loop = async () => {
      fs.writeFileSync(outFile, "");
      const fails = Number(await bash(scriptFile));
      if (fails) throw new Error(`the ssh loop could not connect ${fails} times`);
      return fs.statSync(outFile).size;
    };

    const collectorTimes: number[] = [];
    const loopTimes: number[] = [];
    let loopBytes = 0;
    let guestWarnings = 0;
    const runCollector = async () => {
      const [ms, collection] = await timed(collector);
      collectorTimes.push(ms);
      guestWarnings = collection.guests.reduce((n, g) => n + g.warnings.length, 0);
      return ms;
    };
    const runLoop = async () => {
      const [ms, bytes] = await timed(loop);
      loopTimes.push(ms);
      loopBytes = bytes;
      return ms;
    };
    const commands = GUEST_COMMANDS.length;
    console.log(`${commands} commands per guest; collector concurrency ${DEFAULT_GUEST_CONCURRENCY}; loop: ${guests.length * commands} ssh processes in turn\n`);
    for (let r = 0; r < runs; r++) {
      // The order alternates so neither always runs first.
      const order = r % 2 === 0 ? [runCollector, runLoop] : [runLoop, runCollector];
      for (const step of order) await step();
      const c = collectorTimes[r]!;
      const l = loopTimes[r]!;
      console.log(`run ${r + 1}: collectGuests ${(c / 1000).toFixed(2)} s, ssh loop ${(l / 1000).toFixed(2)} s (${(c / l).toFixed(2)}x)`);
    }
    const c = median(collectorTimes);
    const l = median(loopTimes);
    console.log(
      `\n${guests.length} guests, ${runs} run${runs === 1 ? "" : "s"} (medians):\n` +
        `  ssh loop       ${(l / 1000).toFixed(2)} s  1.00x  ${loopBytes} bytes of output\n` +
        `  collectGuests  ${(c / 1000).toFixed(2)} s  ${(c / l).toFixed(2)}x  ${guests.length} guests read, ${guestWarnings} warnings in their facts\n` +
        `  goal: <= 0.5x  ${c / l <= 0.5 ? "met" : "NOT met"}`,
    );
  } finally {
    await stopAll();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`bench:guest: ${signal}, stopping the daemons`);
    void stopAll().finally(() => process.exit(130));
  });
}

main().catch(async (error: Error) => {
  await stopAll();
  console.error(`bench:guest: ${error.message}`);
  process.exit(1);
});

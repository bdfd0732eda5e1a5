/**
 * Guest discovery's ssh runner against a real sshd on loopback (tests/peers/sshd.sh, started with
 * --sudo: a password user whose sudo wants its password, a user with sudo NOPASSWD): this machine is
 * the guest. Asserts against what the test
 * started: a python http.server on a free port appears with its listener and process; host key
 * pinning, trust on first use and a changed key; a refused key or password; a command that hangs
 * (killed, the next one still runs); one that prints 100 MB (cut at maxBytes, quickly, memory
 * bounded); a server that never answers (connect timeout); a jump host; sudo -n used, refused, or
 * not enabled. Then many guests (a failing one a warning, concurrency) and the CLI.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectGuests, type GuestCollection } from "../../server/collectors/guest/collect";
import { parseSnapshot } from "../../server/inventory/snapshot";
import { GUEST_COMMANDS } from "../../server/collectors/guest/commands";
import { GuestAuthError, GuestConnectionError, GuestHostKeyError } from "../../server/collectors/guest/errors";
import { guestFacts, type CommandResult, type GuestCommand } from "../../server/collectors/guest/facts";
import { runGuestCommands, type GuestSshOptions, type GuestTarget } from "../../server/collectors/guest/ssh";

const run = promisify(execFile);
const root = path.join(import.meta.dirname, "../..");
const sshd = path.join(root, "tests/peers/sshd.sh");

let dir: string | undefined;
let port: number;
let fingerprint: string;
let clientKey: string;
let otherKey: string;
let passwordUser: string;
/** May run anything with sudo -n; the password user may use sudo only with its password. */
let sudoUser: string;
let password: string;
let http: ChildProcess | undefined;
let httpPort: number;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

const answers = (p: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(p, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

beforeAll(async () => {
  dir = (await run("bash", [sshd, "start", "--sudo"], { timeout: 900_000 })).stdout.trim();
  const read = (name: string) => fs.readFileSync(path.join(dir!, name), "utf8").trim();
  port = Number(read("port"));
  fingerprint = read("host-fingerprint");
  clientKey = fs.readFileSync(path.join(dir, "client_key"), "utf8");
  otherKey = fs.readFileSync(path.join(dir, "other_key"), "utf8");
  passwordUser = read("password-user");
  sudoUser = read("sudo-user");
  password = read("password");
  httpPort = await freePort();
  http = spawn("/usr/bin/python3", ["-m", "http.server", String(httpPort), "--bind", "127.0.0.1"], {
    cwd: dir,
    stdio: "ignore",
  });
  for (let i = 0; i < 200 && !(await answers(httpPort)); i++) await new Promise((r) => setTimeout(r, 50));
}, 900_000);

afterAll(async () => {
  if (http?.pid) process.kill(http.pid);
  if (dir) await run("bash", [sshd, "stop", dir]);
});

const rootAt = (): GuestTarget => ({ user: "root", host: "127.0.0.1", port });
const keyed = (extra: Partial<GuestSshOptions> = {}): GuestSshOptions => ({
  auth: { privateKey: clientKey },
  hostKey: { mode: "pinned", fingerprint },
  ...extra,
});
const byId = (results: CommandResult[]) => new Map(results.map((r) => [r.id, r]));
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("should have failed");
    },
    (e: unknown) => e as Error,
  );
const cmd = (id: string, runText: string, timeoutMs = 10_000, maxBytes = 1024 * 1024): GuestCommand => ({
  id,
  run: runText,
  timeoutMs,
  maxBytes,
});

/** Processes on this machine (the guest) whose command line is exactly `args`. */
async function processesRunning(args: string): Promise<number> {
  const { stdout } = await run("ps", ["-eo", "args="]);
  return stdout.split("\n").filter((line) => line.trim() === args).length;
}

describe("guest ssh runner", () => {
  it("runs the whole command set as root with a key file and a pinned key: the http.server the test started is in the listeners and processes", async () => {
    const results = await runGuestCommands(rootAt(), GUEST_COMMANDS, {
      auth: { keyFile: path.join(dir!, "client_key") },
      hostKey: { mode: "pinned", fingerprint: `256 ${fingerprint} fleetlens-test-host (ED25519)` },
    });
    expect(results.map((r) => r.id)).toEqual(GUEST_COMMANDS.map((c) => c.id));
    for (const result of results) {
      expect(result.truncated, result.id).toBe(false);
      expect(result.exitCode, result.id).toBe(0);
    }
    const got = byId(results);
    // root needs no sudo: ss names the process behind every socket.
    const listener = got
      .get("listeners")!
      .stdout.split("\n")
      .find((line) => line.includes(`127.0.0.1:${httpPort} `));
    expect(listener).toMatch(new RegExp(`users:\\(\\("python3",pid=${http!.pid},`));
    expect(got.get("listeners")!.problem).toBeNull();
    expect(got.get("processes")!.stdout).toMatch(new RegExp(`^\\s*${http!.pid}\\s+root\\s.*http\\.server ${httpPort} --bind 127\\.0\\.0\\.1$`, "m"));
    expect(got.get("hostname")!.stdout.trim()).toBe(fs.readFileSync("/proc/sys/kernel/hostname", "utf8").trim());
    expect(got.get("machine-id")!.stdout).toContain(fs.readFileSync("/etc/machine-id", "utf8").trim());
  });

  it("logs in with a password; without root, what needs sudo says so when sudo -n is refused", async () => {
    const commands = GUEST_COMMANDS.filter((c) => c.id === "listeners" || c.id === "kernel");
    const results = byId(
      await runGuestCommands({ user: passwordUser, host: "127.0.0.1", port }, commands, {
        auth: { password },
        hostKey: { mode: "pinned", fingerprint },
        sudo: true,
      }),
    );
    expect(results.get("kernel")!.problem).toBeNull();
    expect(results.get("listeners")!.problem).toBe("needs sudo (sudo -n refused: a password is required): read without it, may be partial");
    // Read without sudo: the socket is listed, root's process behind it is not.
    const line = results.get("listeners")!.stdout.split("\n").find((l) => l.includes(`127.0.0.1:${httpPort} `));
    expect(line).toBeDefined();
    expect(line).not.toContain("python3");

    const notEnabled = byId(
      await runGuestCommands({ user: passwordUser, host: "127.0.0.1", port }, commands, { auth: { password }, hostKey: { mode: "insecure" } }),
    );
    expect(notEnabled.get("listeners")!.problem).toMatch(/^needs sudo \(not enabled for this source\)/);
  });

  it("uses sudo -n for what needs it when the source allows it and the user may: root's process behind the socket is named", async () => {
    const commands = GUEST_COMMANDS.filter((c) => c.id === "listeners" || c.id === "kernel");
    const results = byId(await runGuestCommands({ user: sudoUser, host: "127.0.0.1", port }, commands, keyed({ sudo: true })));
    expect(results.get("listeners")!.problem).toBeNull();
    const line = results.get("listeners")!.stdout.split("\n").find((l) => l.includes(`127.0.0.1:${httpPort} `));
    expect(line).toMatch(new RegExp(`users:\\(\\("python3",pid=${http!.pid},`));
    // Only the commands that ask for it run under sudo.
    const [who] = await runGuestCommands({ user: sudoUser, host: "127.0.0.1", port }, [cmd("who", "id -un")], keyed({ sudo: true }));
    expect(who!.stdout).toBe(`${sudoUser}\n`);
    const [asRoot] = await runGuestCommands(
      { user: sudoUser, host: "127.0.0.1", port },
      [{ ...cmd("who", "id -un"), sudo: true }],
      keyed({ sudo: true }),
    );
    expect(asRoot!.stdout).toBe("root\n");
  });

  it("gives up connecting to a server that never answers after the connect timeout", async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const quiet = (silent.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const error = await failure(
        runGuestCommands({ user: "root", host: "127.0.0.1", port: quiet }, GUEST_COMMANDS, keyed({ connectTimeoutMs: 500 })),
      );
      expect(error).toBeInstanceOf(GuestConnectionError);
      expect(error.message).toBe(`cannot connect to 127.0.0.1:${quiet} (timed out after 0.5 s)`);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      silent.close();
    }
  });

  it("refuses a host key that is not the pinned one, naming both", async () => {
    const wrong = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const error = await failure(runGuestCommands(rootAt(), GUEST_COMMANDS, keyed({ hostKey: { mode: "pinned", fingerprint: wrong } })));
    expect(error).toBeInstanceOf(GuestHostKeyError);
    expect(error.message).toBe(`host key mismatch at 127.0.0.1:${port}: expected ${wrong}, got ${fingerprint}`);
    expect((error as GuestHostKeyError).presented).toBe(fingerprint);
  });

  it("trusts on first use through the callback, then enforces what was recorded", async () => {
    const seen: string[] = [];
    const commands = [cmd("echo", "echo hello")];
    const first = await runGuestCommands(rootAt(), commands, {
      auth: { privateKey: clientKey },
      hostKey: { mode: "tofu", known: null, onNewHostKey: (fp) => (seen.push(fp), true) },
    });
    expect(seen).toEqual([fingerprint]);
    expect(first[0]!.stdout).toBe("hello\n");

    const declined = await failure(
      runGuestCommands(rootAt(), commands, {
        auth: { privateKey: clientKey },
        hostKey: { mode: "tofu", known: null, onNewHostKey: async () => false },
      }),
    );
    expect(declined).toBeInstanceOf(GuestHostKeyError);
    expect(declined.message).toBe(`host key ${fingerprint} of 127.0.0.1:${port} was not accepted on first use`);

    const recorded = "SHA256:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    let asked = false;
    const changed = await failure(
      runGuestCommands(rootAt(), commands, {
        auth: { privateKey: clientKey },
        hostKey: { mode: "tofu", known: recorded, onNewHostKey: () => (asked = true) },
      }),
    );
    expect(asked).toBe(false);
    expect(changed.message).toBe(`host key mismatch at 127.0.0.1:${port}: expected ${recorded}, got ${fingerprint}`);
  });

  it("says authentication failed for a key, a password or a user the server refuses, without the secret", async () => {
    const where = `root@127.0.0.1:${port}`;
    const key = await failure(runGuestCommands(rootAt(), GUEST_COMMANDS, keyed({ auth: { privateKey: otherKey } })));
    expect(key).toBeInstanceOf(GuestAuthError);
    expect(key.message).toBe(`authentication failed for ${where} (key refused)`);
    const wrongPassword = await failure(
      runGuestCommands({ user: passwordUser, host: "127.0.0.1", port }, GUEST_COMMANDS, keyed({ auth: { password: `${password}x` } })),
    );
    expect(wrongPassword).toBeInstanceOf(GuestAuthError);
    expect(wrongPassword.message).toBe(`authentication failed for ${passwordUser}@127.0.0.1:${port} (password refused)`);
    expect(wrongPassword.message).not.toContain(password);
    // root takes no password at all here.
    const rootPassword = await failure(runGuestCommands(rootAt(), GUEST_COMMANDS, keyed({ auth: { password } })));
    expect(rootPassword.message).toBe(`authentication failed for ${where} (password refused)`);
  });

  it("says it cannot connect to a port nobody listens on, with the errno", async () => {
    const closed = await freePort();
    const error = await failure(runGuestCommands({ user: "root", host: "127.0.0.1", port: closed }, GUEST_COMMANDS, keyed()));
    expect(error).toBeInstanceOf(GuestConnectionError);
    expect(error.message).toBe(`cannot connect to 127.0.0.1:${closed} (ECONNREFUSED)`);
  });

  it("gives up on a command that hangs (killed on the guest), and the next command still runs", async () => {
    // A duration of this run's own, so what is left is this run's.
    const hang = `sleep ${(30 + Math.random()).toFixed(6)}`;
    const started = Date.now();
    const results = await runGuestCommands(rootAt(), [cmd("hang", hang, 1000), cmd("next", "echo after")], keyed({ channels: 1 }));
    const elapsed = Date.now() - started;
    expect(results[0]).toEqual({ id: "hang", stdout: "", exitCode: null, problem: "timed out after 1 s", truncated: false });
    expect(results[1]).toEqual({ id: "next", stdout: "after\n", exitCode: 0, problem: null, truncated: false });
    expect(elapsed).toBeLessThan(5000);
    // Killed on the guest (sshd refuses signals in root's sessions: the guest's own timeout did it).
    await expect.poll(() => processesRunning(hang), { timeout: 5000 }).toBe(0);
  });

  it("cuts a command printing 100 MB at maxBytes, quickly and with bounded memory", async () => {
    const flood = "head -c 100000000 /dev/zero | tr '\\0' a";
    const maxBytes = 1024 * 1024;
    let peak = process.memoryUsage().rss;
    const before = peak;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const started = Date.now();
    const results = await runGuestCommands(rootAt(), [cmd("flood", flood, 30_000, maxBytes), cmd("next", "echo after")], keyed());
    const elapsed = Date.now() - started;
    clearInterval(sampler);
    const [cut, next] = results;
    expect(cut!.truncated).toBe(true);
    expect(cut!.problem).toBe("output cut at 1 MiB");
    expect(cut!.stdout.length).toBe(maxBytes);
    expect(/^a+$/.test(cut!.stdout)).toBe(true);
    expect(next!.stdout).toBe("after\n");
    expect(elapsed).toBeLessThan(3000);
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
    await expect.poll(() => processesRunning("head -c 100000000 /dev/zero"), { timeout: 5000 }).toBe(0);
  });

  it("reaches the guest through a jump host (the same sshd forwarding to itself), and names the jump when the guest is not there", async () => {
    const jump = { target: rootAt(), hostKey: { mode: "pinned", fingerprint } as const };
    const results = await runGuestCommands(rootAt(), [cmd("who", "echo $SSH_CONNECTION")], keyed({ jump }));
    // Seen from the guest, the connection comes from the jump host (127.0.0.1), not straight from the test.
    expect(results[0]!.stdout).toMatch(new RegExp(`^127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 ${port}\\n$`));
    const closed = await freePort();
    const error = await failure(runGuestCommands({ user: "root", host: "127.0.0.1", port: closed }, GUEST_COMMANDS, keyed({ jump })));
    expect(error).toBeInstanceOf(GuestConnectionError);
    expect(error.message).toMatch(new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${closed} through root@127\\.0\\.0\\.1:${port} \\(.+\\)$`));
    const wrongJumpKey = await failure(
      runGuestCommands(rootAt(), GUEST_COMMANDS, keyed({ jump: { ...jump, hostKey: { mode: "pinned", fingerprint: `SHA256:${"C".repeat(43)}` } } })),
    );
    expect(wrongJumpKey).toBeInstanceOf(GuestHostKeyError);
  });

  it("keeps a failing command's output and says its status and stderr", async () => {
    const [result] = await runGuestCommands(rootAt(), [cmd("fails", "echo partial; echo 'no such thing' >&2; exit 3")], keyed());
    expect(result).toEqual({ id: "fails", stdout: "partial\n", exitCode: 3, problem: "exit status 3: no such thing", truncated: false });
  });
});

describe("guest collection over many guests", () => {
  it("reads every guest it can, with the facts of what the test started; a guest that fails is a warning naming it", async () => {
    const closed = await freePort();
    const collection = await collectGuests(
      [rootAt(), { user: passwordUser, host: "127.0.0.1", port }, { user: "root", host: "127.0.0.1", port: closed }],
      // The peer's authorized_keys is every user's: its password user takes the client key too.
      { auth: { privateKey: clientKey }, hostKey: { mode: "pinned", fingerprint } },
    );
    expect(collection.warnings).toEqual([`root@127.0.0.1:${closed}: cannot connect to 127.0.0.1:${closed} (ECONNREFUSED)`]);
    expect(collection.guests.map((g) => g.target)).toEqual([`root@127.0.0.1:${port}`, `${passwordUser}@127.0.0.1:${port}`]);
    const [asRoot, asUser] = collection.guests;
    expect(asRoot!.listeners).toContainEqual({ protocol: "tcp", address: "127.0.0.1", port: httpPort, process: "python3", pid: http!.pid });
    const process = asRoot!.processes.find((p) => p.pid === http!.pid);
    expect(process).toMatchObject({ name: "python3", user: "root" });
    expect(process!.command).toContain(`http.server ${httpPort} --bind 127.0.0.1`);
    expect(asRoot!.hostname).toBe(fs.readFileSync("/proc/sys/kernel/hostname", "utf8").trim());
    // Without root and without sudo: the socket is there, whose it is is not, and the facts say why.
    expect(asUser!.listeners.find((l) => l.port === httpPort)).toMatchObject({ address: "127.0.0.1", process: null, pid: null });
    expect([...asUser!.unread, ...asUser!.warnings].join("\n")).toMatch(/needs sudo \(not enabled for this source\)/);
  });

  it("a guest whose every command prints random bytes (one of them 100 MB) still gives valid, bounded facts", async () => {
    const hostile = GUEST_COMMANDS.map((c) =>
      c.id === "processes"
        ? { ...c, run: "head -c 100000000 /dev/urandom", maxBytes: 1024 * 1024 }
        : { ...c, run: "head -c 300000 /dev/urandom; printf '\\0\\033[2J\\n'", maxBytes: 64 * 1024 },
    );
    const started = Date.now();
    const collection = await collectGuests([rootAt()], { auth: { privateKey: clientKey }, hostKey: { mode: "pinned", fingerprint }, commands: hostile });
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(collection.warnings).toEqual([]);
    const [guest] = collection.guests;
    expect(guestFacts.safeParse(guest).success).toBe(true);
    expect(guest!.warnings.some((w) => /output cut at 1 MiB/.test(w))).toBe(true);
    expect(JSON.stringify(guest)).not.toContain("\\u0000");
  });

  it("reads guests concurrently up to the limit", async () => {
    const guests = [rootAt(), { user: passwordUser, host: "127.0.0.1", port }];
    const options = {
      auth: { privateKey: clientKey },
      hostKey: { mode: "pinned", fingerprint } as const,
      commands: [cmd("wait", "sleep 1; echo done", 5000)],
    };
    const timed = async (concurrency: number) => {
      const started = Date.now();
      const collection: GuestCollection = await collectGuests(guests, { ...options, concurrency });
      expect(collection.guests).toHaveLength(2);
      expect(collection.warnings).toEqual([]);
      return Date.now() - started;
    };
    const one = await timed(1);
    const two = await timed(2);
    expect(one).toBeGreaterThanOrEqual(2000);
    expect(two).toBeLessThan(one - 700);
  });

  it("the collect CLI prints the guest snapshot as JSON with a key file, and as lines with a password from the environment", async () => {
    const cli = (args: string[], env: Record<string, string> = {}) =>
      run(path.join(root, "node_modules/.bin/tsx"), [path.join(root, "scripts/collect.ts"), "guest", ...args], {
        env: { ...process.env, ...env },
        timeout: 120_000,
      }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
    const json = await cli([`ssh://root@127.0.0.1:${port}`, "--key-file", path.join(dir!, "client_key"), "--host-key", fingerprint, "--json"]);
    expect(json.stderr).toBe("");
    expect(json.code).toBe(0);
    // The snapshot `npm run analyse` reads: no inventory of its own, the guest's facts.
    const printed = parseSnapshot(JSON.parse(json.stdout));
    expect(printed.virtualMachines).toEqual([]);
    expect(printed.warnings).toEqual([]);
    expect(printed.guests[0]!.target).toBe(`root@127.0.0.1:${port}`);
    expect(printed.guests[0]!.listeners.find((l) => l.port === httpPort)?.process).toBe("python3");

    const closed = await freePort();
    const lines = await cli(
      [`ssh://${passwordUser}@127.0.0.1:${port}`, `ssh://root@127.0.0.1:${closed}`, "--password-env", "GUEST_PW", "--insecure-host-key"],
      { GUEST_PW: password },
    );
    expect(lines.code).toBe(0);
    expect(lines.stdout).toMatch(/^ {2}guests +1 /m);
    expect(lines.stdout).toMatch(new RegExp(`^  guest ${passwordUser}@127\\.0\\.0\\.1:${port}  \\S+  .+ \\d+ processes, \\d+ listeners`, "m"));
    expect(lines.stdout).toContain(`  warning: root@127.0.0.1:${closed}: cannot connect to 127.0.0.1:${closed} (ECONNREFUSED)`);
    expect(lines.stdout + lines.stderr).not.toContain(password);

    const none = await cli([`ssh://root@127.0.0.1:${port}`, "--password-env", "GUEST_PW", "--insecure-host-key"], { GUEST_PW: "wrong" });
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(
      `collect: no guest could be read (1 tried): root@127.0.0.1:${port}: authentication failed for root@127.0.0.1:${port} (password refused)\n`,
    );
  }, 300_000);
});

describe("a server that asks for the password through PAM (keyboard-interactive only)", () => {
  let kbd: string | undefined;
  beforeAll(async () => {
    kbd = (await run("bash", [sshd, "start", "--keyboard-interactive"], { timeout: 900_000 })).stdout.trim();
  }, 900_000);
  afterAll(async () => {
    if (kbd) await run("bash", [sshd, "stop", kbd]);
  });

  it("logs in with the password answering PAM's prompt, and a wrong one is refused", async () => {
    const read = (name: string) => fs.readFileSync(path.join(kbd!, name), "utf8").trim();
    const target = { user: read("password-user"), host: "127.0.0.1", port: Number(read("port")) };
    const echo = cmd("echo", "id -un");
    const results = await runGuestCommands(target, [echo], { auth: { password: read("password") }, hostKey: { mode: "pinned", fingerprint: read("host-fingerprint") } });
    expect(results[0]).toMatchObject({ stdout: `${target.user}\n`, exitCode: 0, problem: null });
    // Plain password authentication is off on this server: only keyboard-interactive let it in.
    expect(fs.readFileSync(path.join(kbd!, "sshd.log"), "utf8")).toMatch(/Accepted keyboard-interactive\/pam for fleetlens-/);
    const refused = await failure(runGuestCommands(target, [echo], { auth: { password: "wrong" }, hostKey: { mode: "insecure" } }));
    expect(refused).toBeInstanceOf(GuestAuthError);
    expect((refused as Error).message).toBe(`authentication failed for ${target.user}@127.0.0.1:${target.port} (password refused)`);
  }, 120_000);
});

/**
 * The `collect guest` command line: what it accepts (targets, credentials, host keys once or per
 * guest, a jump host), made into the guest source the server would collect, and, in words, what it
 * refuses; a password never read from the command line nor echoed. The real CLI run against a
 * loopback port nobody listens on: exit 1, the guest named.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../server/cli/args";
import { guestCliParser } from "../../server/collectors/guest/cli";
import { parseGuestEndpoint } from "../../server/collectors/guest/source";
import { parseGuestTarget } from "../../server/collectors/guest/ssh";

const FP = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";
const FP2 = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a real key\n-----END OPENSSH PRIVATE KEY-----\n";
let tmp: string;
let keyFile: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "guest-cli-"));
  keyFile = path.join(tmp, "key");
  fs.writeFileSync(keyFile, KEY);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const usageOf = (argv: string[], env: Record<string, string> = {}) => {
  try {
    guestCliParser(argv, env as NodeJS.ProcessEnv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).toMatch(/\nusage: collect guest /);
    return message.split("\n")[0]!;
  }
  throw new Error(`accepted: ${argv.join(" ")}`);
};

describe("collect guest command line", () => {
  it("reads targets, a key file and one pinned key for every guest into a guest source", () => {
    const source = guestCliParser(["ssh://root@10.0.0.5", "ssh://ops@[fd00::7]:2222", "--key-file", keyFile, "--host-key", `256 ${FP} root@x (ED25519)`], {} as NodeJS.ProcessEnv);
    expect(source).toEqual({
      kind: "guest",
      name: "guests (2)",
      endpoint: "root@10.0.0.5:22 ops@[fd00::7]:2222",
      username: "root",
      secret: KEY,
      options: { hostKeys: FP },
    });
    // The endpoint reads back as the targets given, each with its own user.
    expect(parseGuestEndpoint(source.endpoint, "nobody").targets).toEqual([
      { user: "root", host: "10.0.0.5", port: 22 },
      { user: "ops", host: "fd00::7", port: 2222 },
    ]);
  });

  it("takes one pinned key per guest in order, the password from the environment, a jump host and sudo", () => {
    const source = guestCliParser(
      [
        "ssh://a@h1", "ssh://b@h2:2200",
        "--host-key", FP, "--host-key", FP2,
        "--password-env", "GUEST_PASSWORD",
        "--jump", "ssh://bastion@jump.example:2022", "--jump-host-key", FP2,
        "--sudo", "--concurrency", "3",
      ],
      { GUEST_PASSWORD: "s3cret" } as unknown as NodeJS.ProcessEnv,
    );
    expect(source.secret).toBe("s3cret");
    expect(source.options).toEqual({
      hostKeys: `h1:22=${FP}\nh2:2200=${FP2}`,
      jump: "ssh://bastion@jump.example:2022",
      jumpHostKey: FP2,
      sudo: true,
      concurrency: 3,
    });

    const insecure = guestCliParser(["ssh://a@h1", "--key-file", keyFile, "--insecure-host-key", "--jump", "ssh://j@h0"], {} as NodeJS.ProcessEnv);
    expect(insecure.options).toEqual({ insecureHostKey: true, jump: "ssh://j@h0:22" });
  });

  it("refuses what the usage does not allow, saying what is wrong", () => {
    const key = ["--key-file", keyFile];
    const pin = ["--host-key", FP];
    const t = "ssh://root@h";
    expect(usageOf([...key, ...pin])).toBe("name at least one guest");
    expect(usageOf(["http://root@h", ...key, ...pin])).toBe(`guest: "http://root@h" is not an ssh URL (ssh://user@host[:port])`);
    expect(usageOf(["ssh://h", ...key, ...pin])).toBe(`guest: "ssh://h" names no user (ssh://user@host[:port])`);
    expect(usageOf(["ssh://root@h/var", ...key, ...pin])).toMatch(/with no path or query$/);
    expect(usageOf([t, ...pin])).toBe("give one of --key-file or --password-env");
    expect(usageOf([t, ...key, "--password-env", "P", ...pin], { P: "x" })).toBe("give one of --key-file or --password-env");
    expect(usageOf([t, "--key-file", path.join(tmp, "missing"), ...pin])).toBe(`cannot read the key file ${path.join(tmp, "missing")}`);
    expect(usageOf([t, "--password-env", "NOPE", ...pin])).toBe("the environment variable NOPE (--password-env) is not set");
    expect(usageOf([t, "--password-env", "A=B", ...pin])).toBe("--password-env takes the name of an environment variable");
    expect(usageOf([t, "--password-env", "K", ...pin], { K: KEY })).toBe("K holds a private key: give it with --key-file");
    fs.writeFileSync(path.join(tmp, "not-a-key"), "hello");
    expect(usageOf([t, "--key-file", path.join(tmp, "not-a-key"), ...pin])).toBe(`${path.join(tmp, "not-a-key")} holds no private key (PEM or OpenSSH armour)`);
    expect(usageOf([t, ...key])).toBe("give --host-key (pinned) or --insecure-host-key");
    expect(usageOf([t, ...key, ...pin, "--insecure-host-key"])).toBe("--host-key and --insecure-host-key exclude each other");
    expect(usageOf([t, ...key, "--host-key", "MD5:aa:bb"])).toMatch(/^--host-key takes a SHA-256 fingerprint/);
    expect(usageOf([t, "ssh://a@b", "ssh://c@d", ...key, ...pin, "--host-key", FP2])).toBe(
      "--host-key is given once for every guest or once per guest: 2 for 3 guests",
    );
    expect(usageOf([t, ...key, ...pin, "--jump", "ssh://j@h0"])).toBe("--jump needs --jump-host-key (or --insecure-host-key)");
    expect(usageOf([t, ...key, ...pin, "--jump-host-key", FP])).toBe("--jump-host-key without --jump");
    expect(usageOf([t, ...key, ...pin, "--jump", "j@h0", "--jump-host-key", FP])).toMatch(/^--jump: "j@h0" is not an ssh URL/);
    expect(usageOf([t, ...key, ...pin, "--concurrency", "0"])).toBe("--concurrency must be an integer from 1 to 256");
    expect(usageOf([t, ...key, ...pin, "--concurrency", "two"])).toBe("--concurrency must be an integer from 1 to 256");
    expect(usageOf([t, ...key, ...pin, "--password", "x"])).toMatch(/Unknown option '--password'/);
  });

  it("never takes a password in a URL, nor repeats it", () => {
    const message = usageOf(["ssh://root:hunter2@h", "--key-file", keyFile, "--host-key", FP]);
    expect(message).toBe("guest: ssh://root@h: no password in the URL (give it through an environment variable)");
    expect(message).not.toContain("hunter2");
  });

  it("parses ssh targets: default port, IPv6, a user with dots and dashes; refuses a user that is not a name", () => {
    expect(parseGuestTarget("ssh://svc.backup-1@db01.example.com")).toEqual({ user: "svc.backup-1", host: "db01.example.com", port: 22 });
    expect(parseGuestTarget("ssh://root@[::1]:2222")).toEqual({ user: "root", host: "::1", port: 2222 });
    expect(() => parseGuestTarget("ssh://-oProxyCommand=x@h")).toThrow(/is not a user name/);
    expect(() => parseGuestTarget("ssh://root@h:99999")).toThrow(/not an ssh URL/);
  });

  it("exits 1 naming the guest when none can be read (a loopback port nobody listens on), never echoing the password", async () => {
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const root = path.join(import.meta.dirname, "../..");
    const failed = await promisify(execFile)(
      path.join(root, "node_modules/.bin/tsx"),
      [path.join(root, "scripts/collect.ts"), "guest", `ssh://root@127.0.0.1:${port}`, "--password-env", "PW", "--insecure-host-key", "--json"],
      { env: { ...process.env, PW: "pw-value" }, timeout: 60_000 },
    ).then(
      () => null,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toBe("");
    expect(failed?.stderr).toBe(
      `collect: no guest could be read (1 tried): root@127.0.0.1:${port}: cannot connect to 127.0.0.1:${port} (ECONNREFUSED)\n`,
    );
  }, 60_000);
});

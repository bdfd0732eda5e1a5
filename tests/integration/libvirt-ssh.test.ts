/**
 * The libvirt collector over ssh (test+ssh://): a real sshd on loopback (tests/peers/sshd.sh) in
 * front of the test libvirtd (tests/peers/libvirtd.sh). The same snapshot as over the unix socket,
 * with the key from the source's secret or a key file; host key pinning (a wrong pin, no pin); a key
 * or user the server refuses; the remote proxy's complaint when it cannot reach the daemon.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CollectableSource } from "../../server/collectors";
import { collectLibvirt } from "../../server/collectors/libvirt/collector";
import { LibvirtAuthError, LibvirtConnectionError, LibvirtHostKeyError } from "../../server/collectors/libvirt/errors";
import { parseSnapshot } from "../../server/inventory/snapshot";

const run = promisify(execFile);
const root = path.join(import.meta.dirname, "../..");
const libvirtd = path.join(root, "tests/peers/libvirtd.sh");
const sshd = path.join(root, "tests/peers/sshd.sh");

let libvirtDir: string | undefined;
let sshDir: string | undefined;
let unixUri: string;
let sshUri: string; // test+ssh://root@127.0.0.1:PORT/DIR/node.xml?socket=DIR/run/libvirt/libvirt-sock
let port: number;
let fingerprint: string;
let clientKey: string;
let otherKey: string;

beforeAll(async () => {
  libvirtDir = (await run("bash", [libvirtd, "start"], { timeout: 900_000 })).stdout.trim();
  sshDir = (await run("bash", [sshd, "start"], { timeout: 900_000 })).stdout.trim();
  const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), "utf8").trim();
  unixUri = read(libvirtDir, "unix-uri");
  port = Number(read(sshDir, "port"));
  fingerprint = read(sshDir, "host-fingerprint");
  clientKey = fs.readFileSync(path.join(sshDir, "client_key"), "utf8");
  otherKey = fs.readFileSync(path.join(sshDir, "other_key"), "utf8");
  sshUri = `test+ssh://root@127.0.0.1:${port}${libvirtDir}/node.xml?socket=${libvirtDir}/run/libvirt/libvirt-sock`;
}, 900_000);

afterAll(async () => {
  await Promise.all([
    libvirtDir ? run("bash", [libvirtd, "stop", libvirtDir]) : null,
    sshDir ? run("bash", [sshd, "stop", sshDir]) : null,
  ]);
});

const source = (endpoint: string, secret: string | null, options: Record<string, unknown> = {}): CollectableSource => ({
  kind: "libvirt",
  name: endpoint,
  endpoint,
  username: null,
  secret,
  options,
});

const collect = async (endpoint: string, secret: string | null, options: Record<string, unknown> = {}) =>
  parseSnapshot(await collectLibvirt(source(endpoint, secret, options), { signal: new AbortController().signal }));

const failure = (endpoint: string, secret: string | null, options: Record<string, unknown> = {}) =>
  collect(endpoint, secret, options).then(
    () => {
      throw new Error("the collection should have failed");
    },
    (e: unknown) => e as Error,
  );

describe("libvirt collector over ssh", () => {
  it("collects the six fixture domains with the key from the source's secret, as over the unix socket", async () => {
    const [overSsh, overUnix] = await Promise.all([
      collect(sshUri, clientKey, { hostKey: fingerprint }),
      collect(unixUri, null),
    ]);
    expect(overSsh.virtualMachines.map((vm) => vm.name)).toEqual([
      "debian-paused",
      "gpu-cluster-node",
      "legacy-appliance",
      "rhel-db",
      "ubuntu-web",
      "win-ad",
    ]);
    expect(overSsh.hosts).toHaveLength(1);
    // The test driver has no node memory stats or parameters: measured use says so, once.
    expect(overSsh.warnings).toEqual([
      "measured use: the libvirt driver does not support NODE_GET_MEMORY_PARAMETERS, NODE_GET_MEMORY_STATS: what those calls give is left out of this collection",
    ]);
    expect({ ...overSsh, collectedAt: null }).toEqual({ ...overUnix, collectedAt: null });
  });

  it("takes the key from keyfile= in the URI, with netcat named explicitly, and a whole `ssh-keygen -lf` line as the pin", async () => {
    const keyfile = path.join(sshDir!, "client_key");
    const snapshot = await collect(`${sshUri}&proxy=netcat&keyfile=${keyfile}`, null, {
      hostKey: `256 ${fingerprint} fleetlens-test-host (ED25519)`,
    });
    expect(snapshot.virtualMachines).toHaveLength(6);
  });

  it("accepts any host key only when told to (insecureHostKey)", async () => {
    expect((await collect(sshUri, clientKey, { insecureHostKey: true })).virtualMachines).toHaveLength(6);
  });

  it("refuses a host key that is not the pinned one, showing the server's fingerprint", async () => {
    const wrong = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const error = await failure(sshUri, clientKey, { hostKey: wrong });
    expect(error).toBeInstanceOf(LibvirtHostKeyError);
    expect((error as LibvirtHostKeyError).fingerprint).toBe(fingerprint);
    expect(error.message).toBe(
      `ssh host key of 127.0.0.1:${port} does not match the pinned fingerprint: expected ${wrong}, the server presented ${fingerprint}`,
    );
  });

  it("refuses an unpinned host key, saying how to pin it", async () => {
    const error = await failure(sshUri, clientKey);
    expect(error).toBeInstanceOf(LibvirtHostKeyError);
    expect(error.message).toContain(`no "hostKey" is pinned. Its fingerprint is ${fingerprint}`);
    expect(error.message).toMatch(/"insecureHostKey": true/);
  });

  it("reports a key or a user the server refuses as an authentication error, without the key", async () => {
    const keyBody = (pem: string) => pem.split("\n").slice(1, -2).join("");
    const refusedKey = await failure(sshUri, otherKey, { hostKey: fingerprint });
    expect(refusedKey).toBeInstanceOf(LibvirtAuthError);
    expect(refusedKey.message).toBe(
      `ssh to root@127.0.0.1:${port} refused the private key from the source's secret (publickey): is the key in that user's authorized_keys?`,
    );
    const unknownUser = await failure(sshUri.replace("root@", "nosuchuser@"), clientKey, { hostKey: fingerprint });
    expect(unknownUser).toBeInstanceOf(LibvirtAuthError);
    expect(unknownUser.message).toMatch(/^ssh to nosuchuser@127\.0\.0\.1:\d+ refused the private key/);
    for (const error of [refusedKey, unknownUser]) {
      expect(error.message).not.toContain(keyBody(otherKey).slice(0, 40));
      expect(error.message).not.toContain(keyBody(clientKey).slice(0, 40));
      expect(error.message).not.toMatch(/PRIVATE KEY/);
    }
  });

  it("runs virt-ssh-helper when no socket is given, and reports what it says when it cannot reach a daemon", async () => {
    // The host's virt-ssh-helper (libvirt-daemon) picks the system's socket by itself; this test
    // daemon has none there, so the helper's own complaint must reach the user.
    const helper = await run("sh", ["-c", "command -v virt-ssh-helper"]).then(
      () => true,
      () => false,
    );
    const error = await failure(sshUri.replace(/\?socket=.*$/, "?proxy=native"), clientKey, { hostKey: fingerprint });
    expect(error).toBeInstanceOf(LibvirtConnectionError);
    expect(error.message).toMatch(/the libvirt proxy on 127\.0\.0\.1 exited with status \d+/);
    if (helper) expect(error.message).toMatch(/virt-ssh-helper: cannot connect to '.*libvirt-sock/);
  });

  it("collects over ssh from the CLI with --key-file and --host-key", async () => {
    const { stdout } = await run(
      "npm",
      ["run", "--silent", "collect", "--", "libvirt", sshUri, "--key-file", path.join(sshDir!, "client_key"), "--host-key", fingerprint, "--json"],
      { cwd: root, timeout: 120_000 },
    );
    expect(parseSnapshot(JSON.parse(stdout)).virtualMachines).toHaveLength(6);
  });

  it("reports an ssh server that is not there", async () => {
    const closed = sshUri.replace(`:${port}/`, ":1/");
    const error = await failure(closed, clientKey, { hostKey: fingerprint });
    expect(error).toBeInstanceOf(LibvirtConnectionError);
    expect(error.message).toMatch(/cannot connect to libvirt over ssh at root@127\.0\.0\.1:1 .*ECONNREFUSED.*is sshd running/);
  });
});

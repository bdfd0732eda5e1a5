/**
 * The libvirt ssh transport's pieces that need no ssh server: URI parameters, host key
 * fingerprints and the pinning policy, the choice of key or agent, and the command run on the host
 * (executed here with a local shell, with and without virt-ssh-helper on the PATH).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../server/cli/args";
import { libvirtCliParser } from "../../server/collectors/libvirt/cli";
import { sourceOptions, sshCredentials } from "../../server/collectors/libvirt/collector";
import { LibvirtConfigurationError } from "../../server/collectors/libvirt/errors";
import { hostKeyPolicy, remoteCommand, sshAuth } from "../../server/collectors/libvirt/ssh";
import { hostKeyFingerprint, normaliseHostKeyFingerprint, shellQuote } from "../../server/collectors/ssh";
import { parseLibvirtUri } from "../../server/collectors/libvirt/uri";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
const FP = "SHA256:wE+EHKOJ9j5MOhYrPVufNZcq7T4QYBP1qHyfCClCRzQ";
/** An environment with only these variables. */
const envOf = (vars: Record<string, string> = {}) => vars as unknown as NodeJS.ProcessEnv;

describe("qemu+ssh URIs", () => {
  it("reads user, host, port and the client-side parameters, and opens the URI without the ssh part", () => {
    const target = parseLibvirtUri("qemu+ssh://admin@kvm01:2222/system?keyfile=/k/id&proxy=netcat&netcat=/bin/nc&socket=/s");
    expect(target).toMatchObject({
      transport: "ssh",
      driver: "qemu",
      host: "kvm01",
      port: 2222,
      user: "admin",
      keyfile: "/k/id",
      proxy: "netcat",
      netcat: "/bin/nc",
      socket: "/s",
      name: "qemu:///system",
    });
    expect(parseLibvirtUri("qemu+ssh://kvm01/session?mode=legacy&foo=1")).toMatchObject({
      port: 22,
      user: null,
      proxy: null,
      name: "qemu:///session?foo=1",
    });
    expect(parseLibvirtUri("qemu+libssh2://u@h/system").transport).toBe("ssh");
  });
});

describe("host key fingerprints", () => {
  it("computes SHA256 of the key blob as ssh-keygen prints it (unpadded base64)", () => {
    const blob = Buffer.from("abc");
    const expected = createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
    expect(hostKeyFingerprint(blob)).toBe(`SHA256:${expected}`);
    expect(hostKeyFingerprint(blob)).not.toMatch(/=/);
  });

  it("accepts a bare fingerprint, one with padding, and a whole `ssh-keygen -lf` line", () => {
    expect(normaliseHostKeyFingerprint(FP)).toBe(FP);
    expect(normaliseHostKeyFingerprint(`${FP}=`)).toBe(FP);
    expect(normaliseHostKeyFingerprint(`256 ${FP} root@kvm01 (ED25519)`)).toBe(FP);
    expect(normaliseHostKeyFingerprint("SHA256:short")).toBeNull();
    expect(normaliseHostKeyFingerprint("AB:CD:EF")).toBeNull();
    expect(normaliseHostKeyFingerprint(FP.slice("SHA256:".length))).toBeNull();
  });

  it("requires a pin or an explicit insecureHostKey, not both", () => {
    expect(hostKeyPolicy({ hostKey: ` ${FP} ` })).toEqual({ mode: "pinned", fingerprint: FP });
    expect(hostKeyPolicy({ insecureHostKey: true })).toEqual({ mode: "insecure" });
    // Neither: nothing matches, so the connection is refused with the server's fingerprint.
    expect(hostKeyPolicy({})).toEqual({ mode: "pinned", fingerprint: "" });
    expect(() => hostKeyPolicy({ hostKey: FP, insecureHostKey: true })).toThrow(/choose one/);
    expect(() => hostKeyPolicy({ hostKey: "MD5:aa:bb" })).toThrow(LibvirtConfigurationError);
  });

  it("takes hostKey, insecureHostKey and keyFile as source options, the secret as the key", () => {
    const source = {
      kind: "libvirt" as const,
      name: "kvm01",
      endpoint: "qemu+ssh://kvm01/system",
      username: "ops",
      secret: KEY,
      options: { hostKey: FP, keyFile: "/k" },
    };
    expect(sshCredentials(source, sourceOptions(source))).toEqual({
      privateKey: KEY,
      keyFile: "/k",
      username: "ops",
      hostKey: FP,
      insecureHostKey: false,
    });
    expect(() => sourceOptions({ ...source, options: { insecureHostKey: "yes" } })).toThrow(/invalid libvirt option insecureHostKey/);
  });
});

describe("libvirt CLI parser, ssh flags", () => {
  it("takes --host-key, --insecure-host-key and --key-file as source options", () => {
    expect(libvirtCliParser(["qemu+ssh://u@kvm01/system", "--host-key", FP, "--key-file", "/k"], envOf()).options).toEqual({
      hostKey: FP,
      keyFile: "/k",
    });
    expect(libvirtCliParser(["qemu+ssh://u@kvm01/system", "--insecure-host-key"], envOf()).options).toEqual({ insecureHostKey: true });
    expect(() => libvirtCliParser(["qemu+ssh://h/system", "--host-key", FP, "--insecure-host-key"], envOf())).toThrow(/exclude each other/);
    expect(() => libvirtCliParser(["qemu+ssh://h/system", "--host-key", "AB:CD"], envOf())).toThrow(UsageError);
  });
});

describe("ssh authentication", () => {
  const target = (uri = "qemu+ssh://u@h/system") => parseLibvirtUri(uri);
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetlens-ssh-unit-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("prefers the secret, then keyfile= in the URI, then the keyFile option, then the agent", () => {
    const uriKey = path.join(dir, "uri-key");
    const optionKey = path.join(dir, "option-key");
    fs.writeFileSync(uriKey, "uri key");
    fs.writeFileSync(optionKey, "option key");
    const env = envOf({ SSH_AUTH_SOCK: "/agent.sock" });
    expect(sshAuth(target(`qemu+ssh://u@h/system?keyfile=${uriKey}`), { privateKey: KEY, keyFile: optionKey }, env)).toMatchObject({
      privateKey: KEY,
      method: "the private key from the source's secret",
    });
    expect(sshAuth(target(`qemu+ssh://u@h/system?keyfile=${uriKey}`), { keyFile: optionKey }, env)).toMatchObject({ privateKey: "uri key" });
    expect(sshAuth(target(), { keyFile: optionKey }, env)).toMatchObject({ privateKey: "option key" });
    expect(sshAuth(target(), { privateKey: "  " }, env)).toEqual({ agent: "/agent.sock", method: "the ssh agent at /agent.sock" });
  });

  it("says what is missing, without repeating a secret that is not a key", () => {
    expect(() => sshAuth(target(), {}, envOf())).toThrow(/no ssh key for qemu\+ssh: give the private key as the source's secret/);
    const notAKey = "hunter2-password";
    const error = (() => {
      try {
        sshAuth(target(), { privateKey: notAKey }, envOf());
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(LibvirtConfigurationError);
    expect(error!.message).toMatch(/not an ssh private key/);
    expect(error!.message).not.toContain(notAKey);
    expect(() => sshAuth(target("qemu+ssh://u@h/system?keyfile=/nonexistent/key"), {}, envOf())).toThrow(
      /cannot read the ssh key file \/nonexistent\/key/,
    );
  });
});

describe("the command run on the host", () => {
  it("runs virt-ssh-helper with the URI without the ssh part, else nc to the read-only socket", () => {
    const auto = remoteCommand(parseLibvirtUri("qemu+ssh://u@h/system"));
    expect(auto).toMatch(/^sh -c '/);
    expect(auto).toContain(`exec virt-ssh-helper -r '\\''qemu:///system'\\''`);
    expect(auto).toContain("/run/libvirt/virtqemud-sock-ro");
    expect(auto).toContain("/run/libvirt/libvirt-sock-ro");
    expect(auto).toMatch(/exec nc -U/);
    expect(remoteCommand(parseLibvirtUri("qemu+ssh://u@h/system?proxy=native"))).toBe(`exec virt-ssh-helper -r 'qemu:///system'`);
    const netcat = remoteCommand(parseLibvirtUri("qemu+ssh://u@h/system?proxy=netcat&netcat=/opt/nc"));
    expect(netcat).not.toContain("virt-ssh-helper");
    expect(netcat).toContain("/opt/nc");
    // An explicit socket: netcat to it (virt-ssh-helper cannot be told a socket).
    const socket = remoteCommand(parseLibvirtUri("test+ssh://u@h/srv/node.xml?socket=/tmp/it's/sock"));
    expect(socket).not.toContain("virt-ssh-helper");
    expect(() => remoteCommand(parseLibvirtUri("qemu+ssh://u@h/system?proxy=ext"))).toThrow(/proxy "ext" is not supported/);
  });

  it("quotes for the shell", () => {
    expect(shellQuote("a b'c")).toBe(`'a b'\\''c'`);
  });

  const nc = ["/usr/bin/nc", "/bin/nc"].find((p) => fs.existsSync(p));

  /** Runs the command with a local shell: PATH = DIR/bin, XDG_RUNTIME_DIR = DIR/run. */
  async function runRemote(command: string, dir: string, input: string): Promise<{ out: string; err: string; code: number | null }> {
    const child = spawn("/bin/sh", ["-c", command], {
      env: envOf({ PATH: path.join(dir, "bin"), XDG_RUNTIME_DIR: path.join(dir, "run"), HOME: dir }),
    });
    child.stdin.on("error", () => undefined); // a command that exits without reading its input
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("\n")) child.stdin.end();
    });
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.stdin.write(input);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    return { out, err, code };
  }

  it.skipIf(!nc)("falls back to nc -U on the user's session socket when the host has no virt-ssh-helper", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetlens-ssh-cmd-"));
    try {
      fs.mkdirSync(path.join(dir, "bin"));
      fs.symlinkSync("/bin/sh", path.join(dir, "bin/sh"));
      fs.mkdirSync(path.join(dir, "run/libvirt"), { recursive: true });
      fs.symlinkSync(nc!, path.join(dir, "bin/nc"));
      const server = net.createServer((socket) => socket.on("data", (data) => socket.end(`echo:${data.toString()}`)));
      await new Promise<void>((resolve) => server.listen(path.join(dir, "run/libvirt/libvirt-sock"), resolve));
      try {
        const command = remoteCommand(parseLibvirtUri("qemu+ssh://u@h/session"));
        const { out } = await runRemote(command, dir, "ping\n");
        expect(out).toBe("echo:ping\n");
      } finally {
        server.close();
      }
      // No socket at all: said on stderr, non-zero exit.
      fs.rmSync(path.join(dir, "run/libvirt/libvirt-sock"), { force: true });
      const missing = await runRemote(remoteCommand(parseLibvirtUri("qemu+ssh://u@h/session")), dir, "");
      expect(missing.code).toBe(1);
      expect(missing.err).toMatch(/no libvirt socket on this host: .*libvirt-sock/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("prefers virt-ssh-helper when the host has it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetlens-ssh-cmd-"));
    try {
      fs.mkdirSync(path.join(dir, "bin"));
      fs.symlinkSync("/bin/sh", path.join(dir, "bin/sh"));
      fs.writeFileSync(path.join(dir, "bin/virt-ssh-helper"), `#!/bin/sh\necho "helper $*"\n`, { mode: 0o755 });
      const { out, code } = await runRemote(remoteCommand(parseLibvirtUri("qemu+ssh://u@h/system")), dir, "");
      expect(code).toBe(0);
      expect(out).toBe("helper -r qemu:///system\n");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Credentials live in a source's encrypted secret and username only (security report H3, M3): a
 * private key pasted into an option and a password in an endpoint are refused, endpoints and
 * options are listed to administrators only, the audit log never holds them, and what an earlier
 * version stored is moved into the secret at start (moveKeyMaterialToSecret).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createCaller } from "../../server/api/root";
import type { Viewer } from "../../server/api/trpc";
import { audit } from "../../server/auth/audit";
import { decryptSecret, encryptSecret } from "../../server/auth/secret-box";
import { moveKeyMaterialToSecret } from "../../server/auth/source-credentials";
import { dockerSourceOptions, tlsMaterial } from "../../server/collectors/docker/endpoint";
import { createTestDatabase, type TestDatabase } from "./db";
import { refusal } from "./fixtures";

let t: TestDatabase;
const ids: Record<string, string> = {};

const admin: Viewer = { id: "admin", email: "admin@example.com", role: "admin", scope: { kind: "all" } };
const as = (viewer: Viewer) => createCaller({ database: t, viewer });
const acmeAs = (role: Viewer["role"]): Viewer => ({ id: role, email: `${role}@example.com`, role, scope: { kind: "some", customerIds: [ids.acme!] } });

const CANARY = "CANARYTLSKEYLINE01";
const PEM_KEY = `-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC${CANARY}\n-----END PRIVATE KEY-----\n`;
const CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----\n";
const ENDPOINT_PASSWORD = "CANARY-endpoint-PW-9911";
/** A pinned vCenter certificate: a SHA-256 fingerprint of the shape the vsphere options require. */
const PINNED = `AB:CD:EF:${"00:".repeat(28)}11`;

beforeAll(async () => {
  vi.stubEnv("FLEETLENS_SECRET_KEY", "11".repeat(32));
  t = await createTestDatabase();
  ids.acme = (await as(admin).customers.create({ name: "Acme" })).id;
  ids.globex = (await as(admin).customers.create({ name: "Globex" })).id;
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await t.drop();
});

describe("a private key in a source option (H3)", () => {
  it("is refused on create and update, with the way to store it instead, and nothing is stored", async () => {
    const before = await t.prisma.source.count();
    for (const [kind, endpoint, options] of [
      ["docker", "tcp://docker01.acme.example:2376", { tlsCa: CERT, tlsCert: CERT, tlsKey: PEM_KEY }],
      ["docker", "tcp://docker01.acme.example:2376", { tlsCert: CERT, tlsKey: PEM_KEY.replaceAll("PRIVATE KEY", "RSA PRIVATE KEY") }],
      ["libvirt", "qemu+ssh://root@kvm01.acme.example/system", { keyFile: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----" }],
      ["libvirt", "qemu+ssh://root@kvm01.acme.example/system", { hostKey: "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none" }],
    ] as const) {
      const refused = await refusal(as(admin).sources.create({ customerId: ids.acme!, kind, name: `k-${Math.random()}`, endpoint, options }));
      expect(refused?.code, JSON.stringify(options)).toBe("BAD_REQUEST");
      expect(refused!.message).toMatch(/holds a private key.*“Password or token” field.*stored encrypted/);
      expect(refused!.message).not.toContain(CANARY);
    }
    expect(await t.prisma.source.count()).toBe(before);

    const { id } = await as(admin).sources.create({
      customerId: ids.acme!, kind: "docker", name: "docker-tls", endpoint: "tcp://docker01.acme.example:2376",
      options: { tlsCa: CERT, tlsCert: CERT, tlsKey: "/etc/fleetlens/docker-key.pem" }, secret: null,
    });
    const update = await refusal(as(admin).sources.update({ id, options: { tlsCert: CERT, tlsKey: PEM_KEY } }));
    expect(update?.code).toBe("BAD_REQUEST");
    const stored = await t.prisma.source.findUniqueOrThrow({ where: { id } });
    expect(JSON.stringify(stored.options)).not.toContain("PRIVATE KEY");
    // The key goes into the secret instead: accepted, encrypted, and the collector takes it from there.
    await as(admin).sources.update({ id, options: { tlsCa: CERT, tlsCert: CERT }, secret: PEM_KEY });
    const withSecret = await t.prisma.source.findUniqueOrThrow({ where: { id } });
    expect(Buffer.from(withSecret.secret!).toString("latin1")).not.toContain(CANARY);
    expect(tlsMaterial(dockerSourceOptions.parse(withSecret.options), decryptSecret(withSecret.secret!))?.key).toBe(PEM_KEY);
  });
});

describe("sources.list (H3)", () => {
  it("shows endpoints, user names and options to administrators only; viewers and engineers get name, kind, status and runs", async () => {
    const { id } = await as(admin).sources.create({
      customerId: ids.acme!, kind: "vsphere", name: "vc-acme", endpoint: "https://vc.acme.example/sdk",
      username: "svc-fleetlens@vsphere.local", options: { fingerprint: PINNED }, secret: "Hunter2-very-secret",
    });
    const adminRow = (await as(admin).sources.list({ customerId: ids.acme! })).find((s) => s.id === id)!;
    expect(adminRow.connection).toEqual({
      endpoint: "https://vc.acme.example/sdk", username: "svc-fleetlens@vsphere.local", options: { fingerprint: PINNED },
    });
    for (const role of ["viewer", "engineer"] as const) {
      const listed = await as(acmeAs(role)).sources.list({});
      const row = listed.find((s) => s.id === id)!;
      expect(row, role).toMatchObject({ name: "vc-acme", kind: "vsphere", customerName: "Acme", connection: null });
      expect(row.status).toBeTruthy();
      const text = JSON.stringify(listed);
      for (const hidden of ["vc.acme.example", "svc-fleetlens", "AB:CD:EF", "tcp://docker01", "/etc/fleetlens", "CERTIFICATE", "Hunter2"]) {
        expect(text, `${role} sees ${hidden}`).not.toContain(hidden);
      }
      // Runs stay readable.
      expect(await as(acmeAs(role)).sources.runs({ sourceId: id })).toEqual([]);
    }
  });
});

describe("credentials in a source endpoint (M3)", () => {
  it("refuses a password in any kind's endpoint, and a user name in a vSphere endpoint, without repeating the password", async () => {
    const before = await t.prisma.source.count();
    for (const [kind, endpoint, hint] of [
      ["vsphere", `https://svc:${ENDPOINT_PASSWORD}@127.0.0.1:9/sdk`, "https://127.0.0.1:9/sdk"],
      ["vsphere", `https://svc%40corp:${encodeURIComponent("p@ss/word")}@vc.example/sdk`, "https://vc.example/sdk"],
      ["docker", `tcp://admin:${ENDPOINT_PASSWORD}@docker01.example:2376`, "tcp://docker01.example:2376"],
      ["libvirt", `qemu+ssh://root:${ENDPOINT_PASSWORD}@kvm01.example/system`, "qemu+ssh://kvm01.example/system"],
    ] as const) {
      const refused = await refusal(as(admin).sources.create({ customerId: ids.acme!, kind, name: `e-${Math.random()}`, endpoint }));
      expect(refused?.code, endpoint).toBe("BAD_REQUEST");
      expect(refused!.message).toContain(`give the endpoint without it (${hint})`);
      expect(refused!.message).toMatch(/user name in the Username field and the password in the “Password or token” field/);
      expect(refused!.message).not.toContain(ENDPOINT_PASSWORD);
    }
    const userOnly = await refusal(as(admin).sources.create({ customerId: ids.acme!, kind: "vsphere", name: "vc-user", endpoint: "https://svc@vc.example/sdk" }));
    expect(userOnly?.message).toMatch(/carries a user name.*Username field/);
    expect(await t.prisma.source.count()).toBe(before);

    // An ssh user in a libvirt URI is how virsh names it: accepted.
    const ssh = await as(admin).sources.create({ customerId: ids.acme!, kind: "libvirt", name: "kvm-ssh", endpoint: "qemu+ssh://root@kvm01.example/system" });
    const update = await refusal(as(admin).sources.update({ id: ssh.id, endpoint: `qemu+ssh://root:${ENDPOINT_PASSWORD}@kvm01.example/system` }));
    expect(update?.code).toBe("BAD_REQUEST");
    expect((await t.prisma.source.findUniqueOrThrow({ where: { id: ssh.id } })).endpoint).toBe("qemu+ssh://root@kvm01.example/system");
    expect(JSON.stringify(await t.prisma.auditEvent.findMany())).not.toContain(ENDPOINT_PASSWORD);
  });

  it("never writes an endpoint's password or a private key into the audit log", async () => {
    // A source stored with credentials by an earlier version, then deleted: the entry has the endpoint without them.
    const old = await t.prisma.source.create({
      data: { customerId: ids.acme!, kind: "vsphere", name: "vc-old", endpoint: `https://svc:${ENDPOINT_PASSWORD}@vc-old.example/sdk` },
    });
    await as(admin).sources.delete({ id: old.id });
    const deleted = await t.prisma.auditEvent.findFirstOrThrow({ where: { action: "source-deleted", target: "vc-old" } });
    expect(deleted.detail).toMatchObject({ endpoint: "https://vc-old.example/sdk" });
    // Whatever a caller passes.
    await audit(t, { action: "test-entry", target: "x\u0000y", detail: { endpoint: `tcp://a:${ENDPOINT_PASSWORD}@h:1`, nested: [{ key: PEM_KEY }], search: "a\u0000b" } });
    const entry = await t.prisma.auditEvent.findFirstOrThrow({ where: { action: "test-entry" } });
    const text = JSON.stringify(entry);
    expect(text).not.toContain(ENDPOINT_PASSWORD);
    expect(text).not.toContain(CANARY);
    expect(entry.detail).toMatchObject({ endpoint: "tcp://h:1", nested: [{ key: "[private key removed]\n" }] });
    expect(JSON.stringify(await t.prisma.auditEvent.findMany())).not.toContain(ENDPOINT_PASSWORD);
  });
});

describe("moveKeyMaterialToSecret: credentials stored by an earlier version", () => {
  it("moves them into the encrypted secret (or takes them out), logs which source, and changes nothing the second time", async () => {
    const create = (name: string, data: { kind: "docker" | "vsphere" | "libvirt"; endpoint: string; username?: string; secret?: string; options?: Record<string, string> }) =>
      t.prisma.source.create({
        data: {
          customerId: ids.globex!, name, kind: data.kind, endpoint: data.endpoint, username: data.username ?? null,
          secret: data.secret ? new Uint8Array(encryptSecret(data.secret)) : null, options: data.options ?? {},
        },
      });
    const keyNoSecret = await create("dk-tlskey", { kind: "docker", endpoint: "tcp://dk.example:2376", options: { tlsCa: CERT, tlsCert: CERT, tlsKey: PEM_KEY, tenantLabel: "customer" } });
    const keyAndSecret = await create("dk-both", { kind: "docker", endpoint: "tcp://dk2.example:2376", secret: "the-stored-secret", options: { tlsCert: CERT, tlsKey: PEM_KEY } });
    const vcCredentials = await create("vc-userinfo", { kind: "vsphere", endpoint: `https://svc%40corp:${ENDPOINT_PASSWORD}@127.0.0.1:9/sdk` });
    const vcBoth = await create("vc-both", { kind: "vsphere", endpoint: `https://other:${ENDPOINT_PASSWORD}@vc2.example/sdk`, username: "kept@vsphere.local", secret: "kept-password" });
    const clean = await create("kvm-clean", { kind: "libvirt", endpoint: "qemu+ssh://root@kvm.example/system", options: { keyFile: "/etc/fleetlens/id_ed25519" } });
    const cleanBefore = await t.prisma.source.findUniqueOrThrow({ where: { id: clean.id } });
    await t.prisma.auditEvent.create({
      data: { action: "source-created", target: "vc-userinfo", detail: { sourceId: vcCredentials.id, endpoint: `https://svc:${ENDPOINT_PASSWORD}@127.0.0.1:9/sdk` } },
    });

    const lines: string[] = [];
    const result = await moveKeyMaterialToSecret(t, (line) => lines.push(line));
    expect(result).toEqual({ sources: 4, auditEntries: 1 });
    const log = lines.join("\n");
    expect(log).not.toContain(CANARY);
    expect(log).not.toContain(ENDPOINT_PASSWORD);
    expect(log).not.toContain("the-stored-secret");

    const moved = await t.prisma.source.findUniqueOrThrow({ where: { id: keyNoSecret.id } });
    expect(moved.options).toEqual({ tlsCa: CERT, tlsCert: CERT, tenantLabel: "customer" });
    expect(decryptSecret(moved.secret!)).toBe(PEM_KEY);
    // The docker collector now takes the key from the secret.
    expect(tlsMaterial(dockerSourceOptions.parse(moved.options), decryptSecret(moved.secret!))).toEqual({ ca: CERT, cert: CERT, key: PEM_KEY });
    expect(log).toMatch(/source "dk-tlskey" of Globex .*moved the private key in option tlsKey into the source's encrypted secret/);

    const removed = await t.prisma.source.findUniqueOrThrow({ where: { id: keyAndSecret.id } });
    expect(removed.options).toEqual({ tlsCert: CERT });
    expect(decryptSecret(removed.secret!)).toBe("the-stored-secret");
    expect(log).toMatch(/source "dk-both" of Globex .*removed the private key in option tlsKey .*enter the key again/);

    const vc = await t.prisma.source.findUniqueOrThrow({ where: { id: vcCredentials.id } });
    expect(vc).toMatchObject({ endpoint: "https://127.0.0.1:9/sdk", username: "svc@corp" });
    expect(decryptSecret(vc.secret!)).toBe(ENDPOINT_PASSWORD);
    expect(log).toMatch(/source "vc-userinfo" of Globex .*now https:\/\/127\.0\.0\.1:9\/sdk; moved the user name into the Username field and the password into the source's encrypted secret/);

    const both = await t.prisma.source.findUniqueOrThrow({ where: { id: vcBoth.id } });
    expect(both).toMatchObject({ endpoint: "https://vc2.example/sdk", username: "kept@vsphere.local" });
    expect(decryptSecret(both.secret!)).toBe("kept-password");
    expect(log).toMatch(/source "vc-both" of Globex .*dropped the user name .* and the password \(the source has a secret already/);

    expect(await t.prisma.source.findUniqueOrThrow({ where: { id: clean.id } })).toEqual(cleanBefore);
    expect(log).not.toContain("kvm-clean");
    const entry = await t.prisma.auditEvent.findFirstOrThrow({ where: { action: "source-created", target: "vc-userinfo" } });
    expect(entry.detail).toMatchObject({ endpoint: "https://127.0.0.1:9/sdk" });

    // Once moved, nothing is left: the next start changes and logs nothing.
    const again: string[] = [];
    expect(await moveKeyMaterialToSecret(t, (line) => again.push(line))).toEqual({ sources: 0, auditEntries: 0 });
    expect(again).toEqual([]);
    const everything = JSON.stringify(await t.prisma.source.findMany({ select: { endpoint: true, options: true, username: true } }));
    expect(everything).not.toContain("PRIVATE KEY");
    expect(everything).not.toContain(ENDPOINT_PASSWORD);
  });
});

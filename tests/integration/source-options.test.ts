/**
 * A source's options are checked against its kind's schema (server/collectors/<kind>/index.ts) when
 * the source is saved: a bad one is a 400 naming the option, on create and on update, and nothing
 * is stored. Options the kind does not define are kept, as before.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createCaller } from "../../server/api/root";
import type { Viewer } from "../../server/api/trpc";
import { createTestDatabase, type TestDatabase } from "./db";
import { refusal } from "./fixtures";

let t: TestDatabase;
let customerId: string;

const admin: Viewer = { id: "admin", email: "admin@example.com", role: "admin", scope: { kind: "all" } };
const caller = () => createCaller({ database: t, viewer: admin });

beforeAll(async () => {
  vi.stubEnv("FLEETLENS_SECRET_KEY", "11".repeat(32));
  t = await createTestDatabase();
  customerId = (await caller().customers.create({ name: "Acme" })).id;
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await t.drop();
});

describe("source options checked when saved", () => {
  const bad = [
    ["demo", "demo:northwind", { vms: 5000 }, /invalid demo option vms:/],
    ["vsphere", "https://vc.acme.example/sdk", { fingerprint: "AB:CD" }, /invalid vsphere option fingerprint: .*SHA-256/],
    ["vsphere", "https://vc.acme.example/sdk", { insecure: true, fingerprint: "AA".repeat(32) }, /invalid vsphere option fingerprint: choose one/],
    ["docker", "tcp://docker01.acme.example:2376", { tenantLabel: "" }, /invalid docker option tenantLabel:/],
    ["docker", "tcp://docker01.acme.example:2376", { concurrency: "8" }, /invalid docker option concurrency:/],
    ["libvirt", "qemu+ssh://kvm01.acme.example/system", { hostKey: "AB:CD" }, /invalid libvirt option hostKey: .*SHA-256/],
  ] as const;

  it("refuses a bad option on create, naming it, and stores nothing", async () => {
    const before = await t.prisma.source.count();
    for (const [kind, endpoint, options, message] of bad) {
      const refused = await refusal(caller().sources.create({ customerId, kind, name: `${kind}-${Math.random()}`, endpoint, options }));
      expect(refused?.code, `${kind} ${JSON.stringify(options)}`).toBe("BAD_REQUEST");
      expect(refused!.message).toMatch(message);
    }
    expect(await t.prisma.source.count()).toBe(before);
  });

  it("refuses a bad option on update, against the stored source's kind, and keeps the stored options", async () => {
    for (const [kind, endpoint, options, message] of bad) {
      const { id } = await caller().sources.create({ customerId, kind, name: `ok-${kind}-${Math.random()}`, endpoint });
      const refused = await refusal(caller().sources.update({ id, options }));
      expect(refused?.code, `${kind} ${JSON.stringify(options)}`).toBe("BAD_REQUEST");
      expect(refused!.message).toMatch(message);
      expect((await t.prisma.source.findUniqueOrThrow({ where: { id } })).options).toEqual({});
    }
  });

  it("saves good options as given, with keys the kind does not define, and any option of a kind without a collector", async () => {
    const saved = [
      ["demo", "demo:acme", { seed: 7, vms: 20 }],
      ["vsphere", "https://vc.acme.example/sdk", { fingerprint: "ab:".repeat(31) + "ab", seed: 7 }],
      ["docker", "unix:///var/run/docker.sock", { tenantLabel: "com.acme.tenant" }],
      ["libvirt", "qemu+ssh://kvm01.acme.example/system", { insecureHostKey: true }],
      ["rvtools", "export.xlsx", { anything: "goes", n: 3 }],
    ] as const;
    for (const [kind, endpoint, options] of saved) {
      const { id } = (await caller().sources.create({ customerId, kind, name: `good-${kind}`, endpoint, options }))!;
      expect((await t.prisma.source.findUniqueOrThrow({ where: { id } })).options).toEqual(options);
    }
  });
});

describe("a guest source when saved", () => {
  const create = (endpoint: string, options: Record<string, string | number | boolean>) =>
    caller().sources.create({ customerId, kind: "guest", name: `guests-${Math.random()}`, endpoint, username: "root", options });

  it("is saved with its targets, a host-key choice and a password or key as the secret", async () => {
    const saved = await caller().sources.create({
      customerId,
      kind: "guest",
      name: "guests",
      endpoint: "inventory, 10.20.30.0/28, ops@db01.acme.example:2222",
      username: "root",
      secret: "a-password",
      options: { trustOnFirstUse: true, sudo: true, concurrency: "4" },
    });
    const stored = await t.prisma.source.findUniqueOrThrow({ where: { id: saved.id } });
    expect(stored.options).toEqual({ trustOnFirstUse: true, sudo: true, concurrency: "4" });
    expect(stored.secret).not.toBeNull();
  });

  it("refuses what could not work, naming it, never repeating a password, and stores nothing", async () => {
    const before = await t.prisma.source.count();
    const cases = [
      ["inventory", {}, /invalid guest option hostKeys: choose how guests' ssh host keys are checked/],
      ["10.0.0.0/16", { trustOnFirstUse: true }, /^invalid guest endpoint: "10\.0\.0\.0\/16" is wider than \/20/],
      ["db01, bad_host!", { trustOnFirstUse: true }, /^"db01, bad_host!" is not a guest endpoint/],
      ["db01 under_score", { trustOnFirstUse: true }, /^invalid guest endpoint: "under_score" is not a host name or address/],
      ["inventory, ops:Canary-5@db01", { trustOnFirstUse: true }, /the endpoint carries a password .*\(inventory, ops@db01\)/],
    ] as const;
    for (const [endpoint, options, message] of cases) {
      const refused = await refusal(create(endpoint, options));
      expect(refused?.code, endpoint).toBe("BAD_REQUEST");
      expect(refused!.message, endpoint).toMatch(message);
      expect(refused!.message).not.toContain("Canary-5");
    }
    expect(await t.prisma.source.count()).toBe(before);
  });
});

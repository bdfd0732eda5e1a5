/**
 * Search across the fleet (search.query) against real Postgres: every field finds its object,
 * results rank equal before prefix before substring, a viewer of one customer never sees another's
 * objects (even on an exact match), the user's % and _ are literal, and bad input is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customerHref, objectHref } from "../../components/links";
import { createCaller } from "../../server/api/root";
import type { Viewer } from "../../server/api/trpc";
import type { GuestFactsInput } from "../../server/collectors/guest/facts";
import { applySnapshot } from "../../server/inventory/ingest";
import type { SnapshotInput } from "../../server/inventory/snapshot";
import { searchTextOf, type SearchKind, type SearchResult } from "../../server/search/search";
import { refusal } from "./fixtures";
import { createTestDatabase, type TestDatabase } from "./db";

let t: TestDatabase;
const ids: Record<string, string> = {};
const admin: Viewer = { id: "admin", role: "admin", scope: { kind: "all" } };
const acmeViewer = (): Viewer => ({ id: "v", role: "viewer", scope: { kind: "some", customerIds: [ids.acme!] } });
const search = (q: string, viewer: Viewer = admin, limit?: number) => createCaller({ database: t, viewer }).search.query({ q, limit });
const group = (r: SearchResult, kind: SearchKind) => r.groups.find((g) => g.kind === kind)!;
const names = (r: SearchResult, kind: SearchKind) => group(r, kind).hits.map((h) => h.name);

const AT = "2026-11-01T10:00:00.000Z";
const CONTAINER_ID = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";

function estate(prefix: string, mac: string): SnapshotInput {
  const vm = (externalId: string, name: string, extra: Record<string, unknown> = {}) => ({
    externalId, name, hostExternalId: "esx", powerState: "poweredOn" as const, vcpus: 2, memoryMiB: 4096, ...extra,
  });
  return {
    collectedAt: AT,
    hosts: [
      {
        externalId: `${prefix}-host-ext-7`, name: `${prefix}-esx-alpha`, role: "hypervisor", platform: "esxi", cpuCores: 16, memoryMiB: 65536,
        hostname: `${prefix}-esx-alpha.mgmt.example`, ipAddresses: ["192.168.10.5"], macAddresses: ["AA:BB:CC:00:11:22"],
        hardwareUuid: `${prefix === "acme" ? "1111" : "2222"}aaaa-0000-0000-0000-00000000abcd`,
      },
      { externalId: "esx", name: `${prefix}-esx-beta`, role: "hypervisor", platform: "esxi", cpuCores: 16, memoryMiB: 65536 },
      { externalId: "engine", name: `${prefix}-docker`, role: "container-engine", platform: "docker", cpuCores: 4, memoryMiB: 8192 },
    ],
    virtualMachines: [
      vm("vm-1", "web01", {
        hostname: `web01.${prefix}.local`, macAddresses: [mac], ipAddresses: ["10.1.2.3", "fe80::1/64"],
        uuid: `4221dead-0000-0000-0000-${prefix === "acme" ? "000000000001" : "000000000002"}`, instanceUuid: `5001beef-0000-0000-0000-${prefix === "acme" ? "000000000001" : "000000000002"}`,
      }),
      vm("vm-2", "web010", { ipAddresses: ["10.1.2.30"] }),
      vm("vm-3", "prod-web01-old"),
      vm("vm-4", "100%_done"),
      vm("vm-5", "1000-done"),
      vm("vm-6", `${prefix}-only-vm`),
      vm("vm-7", "db"),
    ],
    images: [
      {
        externalId: `sha256:feed${prefix}0000`, hostExternalId: "engine", repoTags: [`registry.${prefix}/shop/api:2.1`],
        repoDigests: [`registry.${prefix}/shop/api@sha256:abcd${prefix}`], sizeBytes: 10, layers: [],
      },
    ],
    containers: [
      {
        externalId: CONTAINER_ID, name: `${prefix}-redis-cache`, hostExternalId: "engine", image: `registry.${prefix}/shop/api:2.1`,
        imageExternalId: `sha256:feed${prefix}0000`, state: "running", labels: {}, mounts: [], ports: [],
      },
    ],
  };
}

const guest: GuestFactsInput = {
  target: "root@10.1.2.3:22",
  collectedAt: AT,
  productUuid: "4221DEAD-0000-0000-0000-000000000001",
  hostname: "db-primary.internal",
  ipAddresses: ["10.1.2.3"],
  os: { id: "debian", versionId: "12" },
  memory: {},
  security: {},
};

beforeAll(async () => {
  t = await createTestDatabase();
  for (const [key, name, mac] of [["acme", "Acme", "00:50:56:9A:BC:01"], ["globex", "Globex", "00:50:56:9a:bc:99"]] as const) {
    ids[key] = (await t.prisma.customer.create({ data: { name } })).id;
    const source = await t.prisma.source.create({ data: { customerId: ids[key]!, kind: "vsphere", name: "vc", endpoint: `https://vc.${key}/sdk` } });
    await applySnapshot(source.id, estate(key, mac), { database: t });
  }
  const guests = await t.prisma.source.create({ data: { customerId: ids.acme!, kind: "guest", name: "ssh", endpoint: "ssh" } });
  await applySnapshot(guests.id, { collectedAt: AT, guests: [guest] }, { database: t });
  for (const [key, name] of [["acmeWeb01", "web01"], ["acmeWeb010", "web010"], ["acmeOld", "prod-web01-old"], ["acmeDone", "100%_done"]] as const) {
    ids[key] = (await t.prisma.virtualMachine.findFirstOrThrow({ where: { name, source: { customerId: ids.acme! } } })).id;
  }
  ids.globexWeb01 = (await t.prisma.virtualMachine.findFirstOrThrow({ where: { name: "web01", source: { customerId: ids.globex! } } })).id;
});

afterAll(async () => {
  await t.drop();
});

describe("each field finds its object", () => {
  const viewer = () => acmeViewer();
  it.each([
    ["vm", "web01.acme.local", "web01", "Guest hostname", "web01.acme.local"],
    ["vm", "4221DEAD-0000-0000-0000-000000000001", "web01", "BIOS UUID", "4221dead-0000-0000-0000-000000000001"],
    ["vm", "5001beef", "web01", "Instance UUID", "5001beef-0000-0000-0000-000000000001"],
    ["vm", "10.1.2.3", "web01", "IP", "10.1.2.3"],
    ["vm", "fe80::1", "web01", "IP", "fe80::1/64"],
    ["vm", "00:50:56:9a:bc:01", "web01", "MAC", "00:50:56:9a:bc:01"],
    ["vm", "db-primary", "web01", "Guest hostname (discovered)", "db-primary.internal"],
    ["vm", "acme-only-vm", "acme-only-vm", "Name", "acme-only-vm"],
    ["host", "acme-esx-alpha.mgmt", "acme-esx-alpha", "Hostname", "acme-esx-alpha.mgmt.example"],
    ["host", "192.168.10.5", "acme-esx-alpha", "IP", "192.168.10.5"],
    ["host", "AA-BB-CC-00-11-22", "acme-esx-alpha", "MAC", "aa:bb:cc:00:11:22"],
    ["host", "1111aaaa", "acme-esx-alpha", "Hardware UUID", "1111aaaa-0000-0000-0000-00000000abcd"],
    ["host", "acme-host-ext-7", "acme-esx-alpha", "External id", "acme-host-ext-7"],
    ["container", "acme-redis", "acme-redis-cache", "Name", "acme-redis-cache"],
    ["container", CONTAINER_ID.slice(0, 12), "acme-redis-cache", "Container id", CONTAINER_ID],
    ["image", "shop/api", "registry.acme/shop/api:2.1", "Tag", "registry.acme/shop/api:2.1"],
    ["image", "sha256:abcdacme", "registry.acme/shop/api:2.1", "Digest", "registry.acme/shop/api@sha256:abcdacme"],
    ["image", "sha256:feedacme", "registry.acme/shop/api:2.1", "Image id", "sha256:feedacme0000"],
    ["customer", "acm", "Acme", "Name", "Acme"],
  ] as const)("%s by %s", async (kind, q, name, field, value) => {
    const result = await search(q, viewer());
    const hit = group(result, kind).hits.find((h) => h.name === name);
    expect(hit, JSON.stringify(result.groups.map((g) => [g.kind, g.hits.map((h) => `${h.name} ${h.field}`)]))).toMatchObject({ field, value, customerName: "Acme" });
    expect(hit!.href).toBe(kind === "customer" ? customerHref(ids.acme!) : objectHref(ids.acme!, kind, hit!.id));
    expect(group(result, kind).total).toBeGreaterThanOrEqual(1);
  });

  it("finds a MAC in every common spelling, exact or by its start", async () => {
    for (const q of ["00-50-56-9A-BC-01", "0050.569a.bc01", "0050569ABC01", "00:50:56:9a:bc:01"]) {
      const hit = group(await search(q, acmeViewer()), "vm").hits[0];
      expect([q, hit?.name, hit?.field, hit?.rank]).toEqual([q, "web01", "MAC", 0]);
    }
    const prefix = group(await search("00-50-56-9a", acmeViewer()), "vm").hits;
    expect(prefix.map((h) => [h.name, h.field, h.rank])).toEqual([["web01", "MAC", 1]]);
  });

  it("matches an IP exactly or by prefix, never inside an address", async () => {
    const exact = group(await search("10.1.2.3", acmeViewer()), "vm").hits;
    expect(exact.map((h) => [h.name, h.value, h.rank])).toEqual([["web01", "10.1.2.3", 0], ["web010", "10.1.2.30", 1]]);
    expect(names(await search("10.1.2.", acmeViewer()), "vm").sort()).toEqual(["web01", "web010"]);
    expect(names(await search("1.2.3", acmeViewer()), "vm")).toEqual([]);
  });

  it("shows each object once, by its best match", async () => {
    // web01 matches by name (equal) and by its guest hostname (starts with): once, as its name.
    const hits = group(await search("web01", acmeViewer()), "vm").hits.filter((h) => h.id === ids.acmeWeb01);
    expect(hits.map((h) => [h.field, h.rank])).toEqual([["Name", 0]]);
  });
});

describe("ranking", () => {
  it("puts equal before starting with before containing, then by name", async () => {
    const hits = group(await search("WEB01", acmeViewer()), "vm").hits;
    expect(hits.map((h) => [h.name, h.rank])).toEqual([["web01", 0], ["web010", 1], ["prod-web01-old", 2]]);
  });

  it("keeps the best `limit` per kind and counts them all", async () => {
    const result = await search("web01", acmeViewer(), 2);
    expect(names(result, "vm")).toEqual(["web01", "web010"]);
    expect(group(result, "vm").total).toBe(3);
    expect(result.total).toBe(result.groups.reduce((sum, g) => sum + g.total, 0));
  });
});

describe("scope", () => {
  it("never shows a viewer of Acme what Globex has, even on an exact match", async () => {
    for (const q of ["globex-only-vm", "Globex", "00:50:56:9a:bc:99", "2222aaaa-0000-0000-0000-00000000abcd", "web01.globex.local", "sha256:feedglobex0000"]) {
      const result = await search(q, acmeViewer());
      expect([q, result.total]).toEqual([q, 0]);
    }
    const shared = await search("web01", acmeViewer());
    expect(new Set(shared.groups.flatMap((g) => g.hits.map((h) => h.customerId)))).toEqual(new Set([ids.acme]));
  });

  it("shows an administrator both customers' objects", async () => {
    const result = await search("web01", admin, 50);
    const exact = group(result, "vm").hits.filter((h) => h.rank === 0);
    expect(exact.map((h) => h.id).sort()).toEqual([ids.acmeWeb01, ids.globexWeb01].sort());
    expect(group(await search("00-50-56-9a-bc-99", admin), "vm").hits.map((h) => h.customerName)).toEqual(["Globex"]);
  });

  it("finds nothing for a viewer whose scope is empty", async () => {
    const result = await search("web01", { id: "n", role: "viewer", scope: { kind: "some", customerIds: [] } });
    expect(result.total).toBe(0);
  });
});

describe("the user's text is literal", () => {
  it("treats % and _ as characters, not wildcards", async () => {
    expect(names(await search("100%", acmeViewer()), "vm")).toEqual(["100%_done"]);
    expect(names(await search("0%_d", acmeViewer()), "vm")).toEqual(["100%_done"]);
    expect(names(await search("%_d", acmeViewer()), "vm")).toEqual(["100%_done"]);
    expect(names(await search("___", acmeViewer()), "vm")).toEqual([]);
    expect((await search("%%%", acmeViewer())).total).toBe(0);
    expect((await search("\\\\\\", acmeViewer())).total).toBe(0);
  });

  it("finds only equal fields for a text of one or two characters", async () => {
    const result = await search("DB", acmeViewer());
    expect(result.groups.flatMap((g) => g.hits.map((h) => [h.name, h.field, h.rank]))).toEqual([["db", "Name", 0]]);
    expect((await search("%", acmeViewer())).total).toBe(0);
    expect((await search("we", acmeViewer())).total).toBe(0);
  });

  it("survives quotes and SQL in the text", async () => {
    expect((await search("'; DROP TABLE host; --", acmeViewer())).total).toBe(0);
    expect(await t.prisma.host.count()).toBe(6);
  });
});

describe("the search indexes", () => {
  it("serve each kind's search text as its statement spells it", async () => {
    const client = await t.pool.connect();
    try {
      await client.query("BEGIN");
      // Tiny tables are cheaper to read whole; forbid that to see whether the index can serve.
      await client.query("SET LOCAL enable_seqscan = off");
      for (const [kind, index] of [["host", "host_search_idx"], ["vm", "virtual_machine_search_idx"], ["container", "container_search_idx"], ["image", "image_search_idx"]] as const) {
        const { table, searchText } = searchTextOf(kind);
        const { rows } = await client.query<{ "QUERY PLAN": string }>(`EXPLAIN SELECT x.id FROM ${table} x WHERE ${searchText} LIKE $1`, ["%web01%"]);
        expect([kind, rows.some((r) => r["QUERY PLAN"].includes(index))]).toEqual([kind, true]);
      }
    } finally {
      await client.query("ROLLBACK");
      client.release();
    }
  });
});

describe("bad input", () => {
  it("refuses empty, too long and control-character text, and limits out of range", async () => {
    const v = acmeViewer();
    expect((await refusal(search("x".repeat(201), v)))?.code).toBe("BAD_REQUEST");
    expect((await refusal(search("   ", v)))?.code).toBe("BAD_REQUEST");
    expect((await refusal(search("web\u000001", v)))?.code).toBe("BAD_REQUEST");
    expect((await refusal(search("web\n01", v)))?.code).toBe("BAD_REQUEST");
    expect((await refusal(search("web01", v, 51)))?.code).toBe("BAD_REQUEST");
    expect((await refusal(search("web01", v, 0)))?.code).toBe("BAD_REQUEST");
    // 200 characters (after trimming) is allowed.
    expect((await search(` ${"x".repeat(200)} `, v)).total).toBe(0);
  });

  it("refuses a caller who is not signed in", async () => {
    const call = createCaller({ database: t, viewer: null }).search.query({ q: "web01" });
    expect((await refusal(call))?.code).toBe("UNAUTHORIZED");
  });
});

/**
 * analysis.dependencies over real Postgres: VMs from one source, guests from a guest source, both
 * ingested by applySnapshot and read back by loadInventory; the graph resolves the guests to
 * their VMs, and a viewer of another customer is told the customer does not exist.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../../server/api/root";
import type { Viewer } from "../../server/api/trpc";
import { applySnapshot } from "../../server/inventory/ingest";
import { dependencyGuestSnapshot, dependencyVmSnapshot, DEPENDENCY_ROWS } from "../fixtures/dependencies";
import { createTestDatabase, type TestDatabase } from "./db";

let t: TestDatabase;
let customerId: string;
let otherId: string;
const admin: Viewer = { id: "admin", role: "admin", scope: { kind: "all" } };
const as = (viewer: Viewer) => createCaller({ database: t, viewer });

beforeAll(async () => {
  t = await createTestDatabase();
  customerId = (await as(admin).customers.create({ name: "Shop" })).id;
  otherId = (await as(admin).customers.create({ name: "Other" })).id;
  const vc = (await as(admin).sources.create({ customerId, kind: "vsphere", name: "vc", endpoint: "https://vc.shop.example/sdk" })).id;
  await applySnapshot(vc, dependencyVmSnapshot(), { database: t });
}, 120_000);
afterAll(async () => {
  await t?.drop();
});

describe("analysis.dependencies", () => {
  it("is empty before guest discovery", async () => {
    const r = await as(admin).analysis.dependencies({ customerId });
    expect(r).toEqual({ guests: 0, nodes: [], edges: [], groups: [], notes: [] });
  });

  it("after a guest run: who talks to whom, by VM name, and the groups", async () => {
    const source = await t.prisma.source.create({ data: { customerId, kind: "guest", name: "guests", endpoint: "inventory", username: "root" } });
    await applySnapshot(source.id, dependencyGuestSnapshot(), { database: t });
    const r = await as(admin).analysis.dependencies({ customerId });
    expect(r.guests).toBe(4);
    const name = new Map(r.nodes.map((n) => [n.key, n.name]));
    const rows = r.edges
      .map((e) => ({ from: name.get(e.from), to: name.get(e.to), port: e.port, connections: e.connections }))
      .sort((a, b) => `${a.from} ${a.to}`.localeCompare(`${b.from} ${b.to}`));
    expect(rows).toEqual([...DEPENDENCY_ROWS]);
    // The guests are their VMs (matched by DMI UUID): VM nodes, discovered.
    expect(r.nodes.filter((n) => n.kind === "vm").map((n) => [n.name, n.discovered])).toEqual([
      ["app01", true],
      ["batch01", true],
      ["db01", true],
      ["web01", true],
    ]);
    const db = r.edges.find((e) => e.port === 5432)!;
    expect(db).toMatchObject({ clientProcesses: ["java"], serverProcesses: ["postgres"] });
    expect(r.groups.map((g) => g.members.map((k) => name.get(k)).sort())).toEqual([["app01", "db01", "web01"], ["batch01"]]);
    expect(r.notes).toEqual(["1 loopback connection(s) left out (a guest talking to itself)"]);
  });

  it("refuses a viewer of another customer as if the customer did not exist", async () => {
    const viewer: Viewer = { id: "v", role: "viewer", scope: { kind: "some", customerIds: [otherId] } };
    await expect(as(viewer).analysis.dependencies({ customerId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await as(viewer).analysis.dependencies({ customerId: otherId })).edges).toEqual([]);
  });
});

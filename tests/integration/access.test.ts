/**
 * Nobody sees a customer they do not belong to. Every procedure of the root router is called as
 * five callers: anonymous, a viewer of another customer, a viewer of the right customer, an
 * engineer and an administrator. What each may do follows from the procedure's access tag; a
 * procedure without a tag, or without a sample input here, fails this test. Every answer given to
 * the viewer of the other customer is searched for the right customer's data, and every answer to
 * a non-administrator for how a source is reached (its endpoint). The CSV export route is called
 * as the same callers: exports are for engineers and administrators, in their scope.
 */
import type { AnyTRPCProcedure } from "@trpc/server";
import superjson from "superjson";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { appRouter, createCaller } from "../../server/api/root";
import type { Access, Viewer } from "../../server/api/trpc";
import { createApiToken } from "../../server/auth/tokens";
import { createUser } from "../../server/auth/users";
import { applySnapshot } from "../../server/inventory/ingest";
import { smallSnapshot } from "../fixtures/snapshots";
import { createTestDatabase, type TestDatabase } from "./db";

let t: TestDatabase;
const ids: Record<string, string> = {};

type Persona = "anonymous" | "otherViewer" | "viewer" | "engineer" | "admin";
const PERSONAS: Persona[] = ["anonymous", "otherViewer", "viewer", "engineer", "admin"];

function viewerFor(persona: Persona): Viewer | null {
  switch (persona) {
    case "anonymous":
      return null;
    case "otherViewer":
      return { id: ids.otherViewer!, role: "viewer", scope: { kind: "some", customerIds: [ids.globex!] } };
    case "viewer":
      return { id: ids.viewer!, role: "viewer", scope: { kind: "some", customerIds: [ids.acme!] } };
    case "engineer":
      return { id: ids.engineer!, role: "engineer", scope: { kind: "some", customerIds: [ids.acme!] } };
    case "admin":
      return { id: ids.admin!, role: "admin", scope: { kind: "all" } };
  }
}

/** A valid input for every procedure, aimed at Acme's data. New procedures need one here. */
const sampleInputs = (): Record<string, () => unknown> => ({
  "fleet.overview": () => undefined,
  "fleet.removeDemoData": () => undefined,
  "fleet.kpis": () => undefined,
  "fleet.health": () => undefined,
  "customers.list": () => undefined,
  "customers.get": () => ({ customerId: ids.acme }),
  "customers.create": () => ({ name: `New ${Math.random()}` }),
  "customers.delete": () => ({ customerId: ids.acme }),
  "inventory.hosts": () => ({ customerId: ids.acme }),
  "inventory.virtualMachines": () => ({ customerId: ids.acme }),
  "inventory.containers": () => ({ customerId: ids.acme }),
  "analysis.customer": () => ({ customerId: ids.acme }),
  "analysis.verdicts": () => ({ customerId: ids.acme, kind: "vm" }),
  "analysis.findings": () => ({ customerId: ids.acme, severity: "critical" }),
  "analysis.dependencies": () => ({ customerId: ids.acme }),
  "analysis.guests": () => ({ customerId: ids.acme }),
  "analysis.utilisation": () => ({ customerId: ids.acme }),
  "analysis.utilisationVms": () => ({ customerId: ids.acme, status: "insufficient-data" }),
  "analysis.list": () => ({ customerId: ids.acme, list: "isolationHosts" }),
  "analysis.utilisationHistory": () => ({ customerId: ids.acme, objectKind: "virtualMachine", objectKey: ids.acmeVm }),
  "objects.host": () => ({ customerId: ids.acme, id: ids.acmeHost }),
  "objects.vm": () => ({ customerId: ids.acme, id: ids.acmeVm }),
  "objects.container": () => ({ customerId: ids.acme, id: ids.acmeContainer }),
  "objects.image": () => ({ customerId: ids.acme, id: ids.acmeImage }),
  "analysis.fleet": () => undefined,
  "analysis.trends": () => ({ customerId: ids.acme }),
  "analysis.fleetTrends": () => undefined,
  "analysis.rules": () => undefined,
  "analysis.parameters": () => undefined,
  "analysis.setParameters": () => ({ targetVcpuPerCore: 5 }),
  "analysis.resetParameters": () => undefined,
  "sources.list": () => ({ customerId: ids.acme }),
  "sources.kinds": () => undefined,
  "sources.create": () => ({ customerId: ids.acme, kind: "docker", name: `d-${Math.random()}`, endpoint: "unix:///x.sock" }),
  "sources.update": () => ({ id: ids.acmeSource, intervalSeconds: 600 }),
  "sources.delete": () => ({ id: ids.acmeSource }),
  "sources.collectNow": () => ({ id: ids.acmeSource }),
  "sources.runs": () => ({ sourceId: ids.acmeSource }),
  "sources.cancelRun": () => ({ sourceId: ids.acmeSource, runId: "00000000-0000-4000-8000-000000000000" }),
  "setup.status": () => undefined,
  "setup.createFirstAdmin": () => ({ email: "late@example.com", name: "Late", password: "long-enough-password" }),
  "account.me": () => undefined,
  "account.apiTokens": () => undefined,
  "account.createApiToken": () => ({ name: "script" }),
  "account.revokeApiToken": () => ({ id: "00000000-0000-4000-8000-000000000000" }),
  "users.list": () => undefined,
  "users.create": () => ({ email: `u${Math.random()}@example.com`.replace("0.", ""), name: "U", password: "long-enough-password", role: "viewer", allCustomers: false, customerIds: [] }),
  "users.update": () => ({ id: ids.spare, role: "engineer" }),
  "users.setPassword": () => ({ id: ids.spare, password: "another-long-password" }),
  "users.unlock": () => ({ id: ids.spare }),
  "users.delete": () => ({ id: ids.spare }),
  "audit.list": () => undefined,
  // Acme's name: the viewer of Globex gets nothing of Acme's, even on an exact match.
  "search.query": () => ({ q: "Acme" }),
  // Every signed-in user in scope reads the report (it shows what the dashboard shows them).
  "report.get": () => ({ customerId: ids.acme }),
  "plans.list": () => ({ customerId: ids.acme }),
  "plans.get": () => ({ customerId: ids.acme, planId: ids.acmePlan }),
  "plans.create": () => ({ customerId: ids.acme, name: `Plan ${Math.random()}` }),
  "plans.update": () => ({ customerId: ids.acme, planId: ids.acmePlan, notes: "checked" }),
  "plans.delete": () => ({ customerId: ids.acme, planId: ids.acmeSparePlan }),
  "plans.addWave": () => ({ customerId: ids.acme, planId: ids.acmePlan, name: "Wave" }),
  "plans.updateWave": () => ({ customerId: ids.acme, waveId: ids.acmeWave, owner: "Ops" }),
  "plans.moveWave": () => ({ customerId: ids.acme, waveId: ids.acmeWave, position: 1 }),
  "plans.deleteWave": () => ({ customerId: ids.acme, waveId: ids.acmeSpareWave }),
  "plans.addWorkloads": () => ({ customerId: ids.acme, waveId: ids.acmeWave, workloads: [{ kind: "vm", objectId: ids.acmeVm, target: "retire", reason: "unused" }] }),
  "plans.updateWorkload": () => ({ customerId: ids.acme, workloadId: ids.acmeWorkload, target: "retire", reason: "unused" }),
  "plans.moveWorkloads": () => ({ customerId: ids.acme, workloadIds: [ids.acmeWorkload], waveId: ids.acmeWave }),
  "plans.removeWorkloads": () => ({ customerId: ids.acme, workloadIds: [ids.acmeSpareWorkload] }),
});

/** Procedures whose sample changes or removes what the other samples need: run last, admin only. */
const DESTRUCTIVE = ["sources.delete", "users.delete", "customers.delete"];
const order = (path: string) => DESTRUCTIVE.indexOf(path) + 1;

/** Domain answers that are not refusals: the call was allowed and said no for its own reason. */
const DOMAIN_ERRORS: Record<string, string> = {
  "setup.createFirstAdmin": "FORBIDDEN", // set up already, for everyone
  "account.revokeApiToken": "NOT_FOUND", // no such token of this user
  // The engineer's call removed it, or added it already: the administrator's finds it gone or there.
  "plans.delete": "NOT_FOUND",
  "plans.deleteWave": "NOT_FOUND",
  "plans.removeWorkloads": "NOT_FOUND",
  "plans.addWorkloads": "BAD_REQUEST",
  "sources.cancelRun": "CONFLICT", // no such run queued: allowed, nothing to cancel
};

function expected(access: Access, persona: Persona): "ok" | "UNAUTHORIZED" | "FORBIDDEN" | "NOT_FOUND" {
  if (access === "public") return "ok";
  if (persona === "anonymous") return "UNAUTHORIZED";
  if (access === "viewer") return "ok";
  if (access === "customer") return persona === "otherViewer" ? "NOT_FOUND" : "ok";
  if (access === "engineer") return persona === "engineer" || persona === "admin" ? "ok" : "FORBIDDEN";
  return persona === "admin" ? "ok" : "FORBIDDEN";
}

/** Viewer procedures that take the id of something a customer owns: out of scope reads as missing. */
const SCOPED_BY_ID = new Set(["sources.runs"]);

beforeAll(async () => {
  t = await createTestDatabase();
  for (const name of ["Acme", "Globex"]) {
    ids[name.toLowerCase()] = (await t.prisma.customer.create({ data: { name } })).id;
  }
  const acmeSource = await t.prisma.source.create({
    data: { customerId: ids.acme!, kind: "demo", name: "acme-demo", endpoint: "demo:acme" },
  });
  ids.acmeSource = acmeSource.id;
  await applySnapshot(acmeSource.id, smallSnapshot(), { database: t });
  ids.acmeVm = (await t.prisma.virtualMachine.findFirstOrThrow({ where: { sourceId: acmeSource.id } })).id;
  ids.acmeHost = (await t.prisma.host.findFirstOrThrow({ where: { sourceId: acmeSource.id } })).id;
  ids.acmeContainer = (await t.prisma.container.findFirstOrThrow({ where: { sourceId: acmeSource.id } })).id;
  ids.acmeImage = (await t.prisma.image.findFirstOrThrow({ where: { sourceId: acmeSource.id } })).id;
  // Migration plans: one to change, one to delete; a wave to change, one to delete; two workloads.
  ids.acmePlan = (await t.prisma.migrationPlan.create({ data: { customerId: ids.acme!, name: "Plan" } })).id;
  ids.acmeSparePlan = (await t.prisma.migrationPlan.create({ data: { customerId: ids.acme!, name: "Spare plan" } })).id;
  ids.acmeWave = (await t.prisma.migrationWave.create({ data: { planId: ids.acmePlan, position: 0, name: "Wave 1" } })).id;
  ids.acmeSpareWave = (await t.prisma.migrationWave.create({ data: { planId: ids.acmePlan, position: 1, name: "Wave 2" } })).id;
  const planned = (kind: string, objectId: string) => ({ waveId: ids.acmeWave!, planId: ids.acmePlan!, kind, objectId, objectName: kind, target: "stay" as const });
  ids.acmeWorkload = (await t.prisma.migrationWaveWorkload.create({ data: planned("container", ids.acmeContainer) })).id;
  ids.acmeSpareWorkload = (await t.prisma.migrationWaveWorkload.create({ data: planned("container", ids.acmeImage) })).id;
  const globexSource = await t.prisma.source.create({
    data: { customerId: ids.globex!, kind: "docker", name: "globex-docker", endpoint: "unix:///globex.sock" },
  });
  const globex = smallSnapshot();
  globex.virtualMachines = globex.virtualMachines!.map((v) => ({ ...v, name: `gx-${v.name}` }));
  globex.hosts = globex.hosts!.map((h) => ({ ...h, name: `gx-${h.name}` }));
  await applySnapshot(globexSource.id, globex, { database: t });
  for (const [persona, role] of [["admin", "admin"], ["engineer", "engineer"], ["viewer", "viewer"], ["otherViewer", "viewer"], ["spare", "viewer"]] as const) {
    ids[persona] = (
      await createUser(t, { email: `${persona.toLowerCase()}@example.com`, name: persona, password: "long-enough-password", role, allCustomers: role === "admin", customerIds: [] })
    ).id;
  }
});

afterAll(async () => {
  await t.drop();
});

describe("every procedure, as every kind of caller", () => {
  const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, AnyTRPCProcedure>);

  it("has an access tag and a sample input for every procedure", () => {
    const samples = sampleInputs();
    const missing = procedures.filter(([, p]) => !(p._def.meta as { access?: Access } | undefined)?.access).map(([path]) => path);
    expect(missing, "procedures built without an access-tagged builder").toEqual([]);
    expect(procedures.map(([path]) => path).filter((path) => !samples[path]), "add a sample input here").toEqual([]);
    expect(procedures.length).toBeGreaterThanOrEqual(36);
  });

  it("allows and refuses exactly what each caller's role and scope allow, and leaks nothing", async () => {
    const samples = sampleInputs();
    const acme = await t.prisma.customer.findUniqueOrThrow({ where: { id: ids.acme! } });
    const acmeMarkers = [acme.name, ids.acme!, ids.acmeSource!, "esx01.lab", "demo:acme"];
    const ordered = [...procedures].sort(([a], [b]) => order(a) - order(b));
    let refusals = 0;
    let calls = 0;
    const mismatches: string[] = [];

    for (const [path, procedure] of ordered) {
      const access = (procedure._def.meta as { access: Access }).access;
      for (const persona of PERSONAS) {
        const caller = createCaller({ database: t, viewer: viewerFor(persona) }) as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>;
        const [group, name] = path.split(".") as [string, string];
        let want = expected(access, persona);
        if (want === "ok" && persona === "otherViewer" && SCOPED_BY_ID.has(path)) want = "NOT_FOUND";
        let got: string;
        let result: unknown;
        calls++;
        try {
          result = await caller[group]![name]!(samples[path]!());
          got = "ok";
        } catch (error) {
          got = (error as { code?: string }).code ?? String(error);
          if (got === DOMAIN_ERRORS[path] && want === "ok") got = "ok";
        }
        if (got !== "ok") refusals++;
        if (got !== want) mismatches.push(`${path} as ${persona}: expected ${want}, got ${got}`);
        // Endpoints (and options, user names) are for those who manage sources.
        if (persona !== "admin" && got === "ok" && superjson.stringify(result ?? null).includes("demo:acme")) {
          mismatches.push(`${path} as ${persona} shows a source's endpoint`);
        }
        if (persona === "otherViewer" && got === "ok") {
          const text = superjson.stringify(result ?? null);
          for (const marker of acmeMarkers) {
            if (text.includes(marker)) mismatches.push(`${path} as otherViewer leaked "${marker}"`);
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
    console.log(`access: ${procedures.length} procedures, ${calls} calls, ${refusals} refusals`);
    expect(refusals).toBeGreaterThan(procedures.length);
  });
});

describe("the CSV export route, as every kind of caller", () => {
  type RoutePersona = Persona | "otherEngineer";
  const exportRoute = () => import("../../app/api/export/[customerId]/[table]/route");
  // Customers of their own: the procedures' samples delete Acme.
  const route: Record<string, string> = {};

  beforeAll(async () => {
    for (const name of ["Initech", "Umbrella"]) route[name] = (await t.prisma.customer.create({ data: { name } })).id;
    const source = await t.prisma.source.create({ data: { customerId: route.Initech!, kind: "demo", name: "initech-demo", endpoint: "demo:initech" } });
    await applySnapshot(source.id, smallSnapshot(), { database: t });
    // The route reads the process-wide database and, without a token, better-auth's session.
    (globalThis as unknown as { fleetlensDb?: unknown }).fleetlensDb = t;
    vi.stubEnv("FLEETLENS_URL", "http://localhost:3000");
    vi.stubEnv("FLEETLENS_DATA_DIR", fs.mkdtempSync(path.join(os.tmpdir(), "fleetlens-access-")));
  });
  afterAll(() => {
    (globalThis as unknown as { fleetlensDb?: unknown }).fleetlensDb = undefined;
    vi.unstubAllEnvs();
  });

  it("exports to engineers and administrators in scope; viewers read, they do not export", async () => {
    const { GET } = await exportRoute();
    const callers: Array<[RoutePersona, "viewer" | "engineer" | "admin" | null, string[]]> = [
      ["anonymous", null, []],
      ["otherViewer", "viewer", [route.Umbrella!]],
      ["viewer", "viewer", [route.Initech!]],
      ["otherEngineer", "engineer", [route.Umbrella!]],
      ["engineer", "engineer", [route.Initech!]],
      ["admin", "admin", []],
    ];
    const seen: string[] = [];
    for (const [persona, role, customerIds] of callers) {
      let headers: Record<string, string> = {};
      if (role) {
        const user = await createUser(t, { email: `route-${persona.toLowerCase()}@example.com`, name: persona, password: "long-enough-password", role, allCustomers: role === "admin", customerIds });
        headers = { authorization: `Bearer ${(await createApiToken(t, user.id, "access test")).token}` };
      }
      for (const table of ["verdicts", "findings"]) {
        const response = await GET(new Request(`http://localhost:3000/api/export/${route.Initech}/${table}`, { headers }), {
          params: Promise.resolve({ customerId: route.Initech!, table }),
        });
        const body = await response.text();
        if (response.status !== 200) expect(body, `${persona} ${table}`).not.toMatch(/Initech|esx01/);
        else expect(body).toMatch(table === "verdicts" ? /app-1/ : /esx01\.lab|app-1|docker01/);
        seen.push(`${persona} ${table}: ${response.status}${response.status === 403 ? ` ${body}` : ""}`);
      }
    }
    const refusal = "exports are for engineers and administrators: ask an administrator for the engineer role";
    expect(seen).toEqual([
      "anonymous verdicts: 401",
      "anonymous findings: 401",
      `otherViewer verdicts: 403 ${refusal}`,
      `otherViewer findings: 403 ${refusal}`,
      `viewer verdicts: 403 ${refusal}`,
      `viewer findings: 403 ${refusal}`,
      "otherEngineer verdicts: 404",
      "otherEngineer findings: 404",
      "engineer verdicts: 200",
      "engineer findings: 200",
      "admin verdicts: 200",
      "admin findings: 200",
    ]);
  });
});

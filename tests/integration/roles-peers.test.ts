/**
 * What each VM is, end to end on a real peer: vcsim started with `-identities` (the 18 VMs of
 * tests/peers/vcsim/identities.go: vendor appliances with their OVF product, a vCLS VM managed by
 * ESX Agent Manager, a nested ESXi, TKG/OpenShift/k3s Kubernetes nodes, a template, a VDI desktop,
 * database servers and a general Linux VM), collected by `npm run collect -- vsphere … --json` into
 * a snapshot file, then judged along both doors:
 *
 *   CLI        `npm run --silent analyse -- <file> --json`, spawned for real;
 *   dashboard  the same file ingested into embedded Postgres (applySnapshot), analysed by the SQL
 *              loader (customerAnalysis) and served by the tRPC analysis router (verdicts, customer).
 *
 * For every identity VM, by the role the launcher's manifest gives it: the role, its verdict and fit,
 * and the field (and role rule) that decided it; templates listed apart and out of candidate counts
 * and savings; both doors alike. Near misses: the launcher's one plain VM, RHEL 7, renamed through
 * the SOAP API to an appliance's name ("vcsa-02") stays a general workload (its configured OS sets the
 * name aside); haproxy-lb-01's product names Cluster API, yet it is an appliance, not a Kubernetes node.
 *
 * The launcher's forklift() gives VMs Forklift facts by their index in name order (a shared disk on
 * every sixth from the third): with one plain VM (-vm 1), pg-prod-01 has none that keeps it a VM.
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../../server/api/root";
import type { Viewer } from "../../server/api/trpc";
import type { jsonReport } from "../../server/analysis/cli";
import { CANDIDATE_ROLES, FIT_LABEL, ROLE_LABEL, ROLE_VALUES, type Fit, type Role, type VerdictValue } from "../../server/analysis/labels";
import { customerAnalysis } from "../../server/analysis/load";
import type { MigrationResult } from "../../server/analysis/migration";
import type { CollectableSource } from "../../server/collectors";
import { moRefXml, readMoRef, type MoRef } from "../../server/collectors/vsphere/client";
import { connectSource } from "../../server/collectors/vsphere/collector";
import { child } from "../../server/collectors/vsphere/xml";
import { applySnapshot } from "../../server/inventory/ingest";
import { parseSnapshot, type Snapshot } from "../../server/inventory/snapshot";
import type { ManifestIdentity } from "../fixtures/vsphere/manifest";
import { createTestDatabase, type TestDatabase } from "./db";
import { buildVcsim, startVcsim, stopVcsim, type Peer } from "./vcsim";

const run = promisify(execFile);
const root = path.join(import.meta.dirname, "../..");
const PASSWORD = "vcsim-Pa55word";
const PASSWORD_ENV = "FLEETLENS_ROLES_PEERS_PASSWORD";
/** The near miss: the plain RHEL 7 VM renamed as a vCenter appliance would be named. */
const NEAR_MISS = "vcsa-02";

type Report = ReturnType<typeof jsonReport>;
type Row = Report["verdicts"][number];

/**
 * What decided each identity VM's role (its first piece of evidence): the field, the role rule that
 * read it (null: a general workload rests on its guest OS, no rule), and how much it weighs; then
 * the verdict and fit its role gives. The role itself is the manifest's (identities.go).
 */
const EXPECTED: Record<string, { field: string; ruleId: string | null; strength: string; verdict: VerdictValue; fit: Fit }> = {
  "vcsa-01": { field: "product", ruleId: "product-vcenter", strength: "strong", verdict: "stay-vm", fit: "no-fit" },
  "nsx-mgr-01": { field: "product", ruleId: "product-nsx", strength: "strong", verdict: "stay-vm", fit: "no-fit" },
  "vrops-01": { field: "product", ruleId: "product-aria-operations", strength: "strong", verdict: "stay-vm", fit: "no-fit" },
  "loginsight-01": { field: "product", ruleId: "product-log-insight", strength: "strong", verdict: "stay-vm", fit: "no-fit" },
  "uag-01": { field: "product", ruleId: "product-uag", strength: "strong", verdict: "stay-vm", fit: "no-fit" },
  "haproxy-lb-01": { field: "product", ruleId: "product-haproxy", strength: "strong", verdict: "stay-vm", fit: "no-fit" },
  "vCLS-1f2a6c3e-7b1d-4c2e-9a8f-0d3b5e7c9a11": { field: "managedBy", ruleId: "managed-by", strength: "strong", verdict: "stay-vm", fit: "no-fit" },
  "esxi-nested-01": { field: "guestOsId", ruleId: "guest-vmkernel", strength: "strong", verdict: "stay-vm", fit: "no-fit" },
  // Cluster API's machines: the custom attributes (moderate) outweigh the machine name (weak).
  "tkg-wl01-control-plane-7xk2p": { field: "attributes", ruleId: "attribute-kubernetes", strength: "moderate", verdict: "stay-vm", fit: "no-fit" },
  "tkg-wl01-md-0-5c7d9b8f6-qz4lm": { field: "attributes", ruleId: "attribute-kubernetes", strength: "moderate", verdict: "stay-vm", fit: "no-fit" },
  // OpenShift's: the tools report RHCOS (moderate), the installer's name is weak.
  "ocp-7h2kd-master-0": { field: "guestOsReported", ruleId: "tools-kubernetes-os", strength: "moderate", verdict: "stay-vm", fit: "no-fit" },
  "ocp-7h2kd-worker-0-x9c2v": { field: "guestOsReported", ruleId: "tools-kubernetes-os", strength: "moderate", verdict: "stay-vm", fit: "no-fit" },
  // Its annotation says "k3s agent": k3s's own word for a worker node (docs.k3s.io/architecture), the name agrees.
  "rancher-k3s-node-01": { field: "annotation", ruleId: "annotation-kubernetes", strength: "moderate", verdict: "stay-vm", fit: "no-fit" },
  "tpl-rhel9": { field: "template", ruleId: "template", strength: "strong", verdict: "stay-vm", fit: "no-fit" },
  "vdi-win11-001": { field: "guestOsId", ruleId: "guest-client-windows", strength: "moderate", verdict: "stay-vm", fit: "no-fit" },
  // A candidate by role, kept a VM by its OS (Windows): no fit.
  "sql-prod-01": { field: "annotation", ruleId: "annotation-database", strength: "moderate", verdict: "stay-vm", fit: "no-fit" },
  // Candidates on configuration only: insufficient data until guest discovery.
  "pg-prod-01": { field: "annotation", ruleId: "annotation-database", strength: "moderate", verdict: "to-container", fit: "insufficient-data" },
  "web-01": { field: "guestOsId", ruleId: null, strength: "moderate", verdict: "to-container", fit: "insufficient-data" },
};

/** What a non-candidate's reason says, by role (server/analysis/migration.ts roleReason), around "(field value)". */
const REASON: Partial<Record<Role, [string, string]>> = {
  appliance: ["Stays a VM: a vendor appliance (", "); its vendor ships, upgrades and supports it as a VM."],
  system: ["Stays a VM: a system VM its solution deploys and manages (", ")."],
  "nested-hypervisor": ["Stays a VM: a nested hypervisor (", "); it runs VMs of its own."],
  desktop: ["Stays a VM: a desktop (", "); desktops stay with their VDI platform."],
  "kubernetes-node": [
    "Stays a container host, a Kubernetes node (",
    "): its pods are the workloads, not the VM; its containers are not collected: collect its container engine to judge them.",
  ],
};

let peer: Peer | undefined;
let scratch: string | undefined;
let t: TestDatabase | undefined;
let identities: ManifestIdentity[];
let plainMoref: string;
let snapshot: Snapshot;
let cli: Report;
let dashboard: MigrationResult;
let customerId: string;
const admin: Viewer = { id: "admin", role: "admin", scope: { kind: "all" } };
const caller = () => createCaller({ database: t!, viewer: admin });

const vsphereSource = () =>
  ({
    kind: "vsphere",
    name: "vcsim-identities",
    endpoint: `https://127.0.0.1:${peer!.port}/sdk`,
    username: peer!.manifest.username,
    secret: PASSWORD,
    options: { fingerprint: peer!.manifest.fingerprint },
  }) satisfies CollectableSource;

/** Renames a VM as an administrator would (Rename_Task), and waits for the task to finish. */
async function renameVm(moref: string, name: string): Promise<void> {
  const client = await connectSource(vsphereSource(), AbortSignal.timeout(60_000));
  try {
    await client.login();
    const response = await client.call("Rename_Task", { type: "VirtualMachine", value: moref }, `<newName>${name}</newName>`);
    const task = readMoRef(child(response, "returnval"));
    if (!task) throw new Error("Rename_Task returned no task");
    for (let i = 0; i < 300; i++) {
      const state = await taskState(client, task);
      if (state === "success") return;
      if (state === "error") throw new Error(`renaming ${moref} to ${name} failed`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`renaming ${moref} to ${name} did not finish in 30 s`);
  } finally {
    await client.logout();
    client.close();
  }
}

async function taskState(client: Awaited<ReturnType<typeof connectSource>>, task: MoRef): Promise<string | undefined> {
  const response = await client.call(
    "RetrievePropertiesEx",
    client.content.propertyCollector,
    `<specSet><propSet><type>Task</type><pathSet>info.state</pathSet></propSet>` +
      `<objectSet>${moRefXml("obj", task)}</objectSet></specSet><options/>`,
  );
  return child(child(child(child(response, "returnval"), "objects"), "propSet"), "val")?.text;
}

beforeAll(async () => {
  await buildVcsim();
  peer = await startVcsim(PASSWORD, ["-dc", "1", "-cluster", "1", "-host", "2", "-standalone-host", "0", "-vm", "1", "-identities"]);
  identities = JSON.parse(await fs.readFile(path.join(peer.dir, "manifest.json.identities.json"), "utf8")) as ManifestIdentity[];

  // The one plain VM of the varied inventory (RHEL 7, the first of the launcher's guests), renamed.
  const plain = peer.manifest.virtualMachines.filter((m) => !identities.some((i) => i.moref === m.moref));
  expect(plain.map((m) => m.guestId)).toEqual(["rhel7_64Guest"]);
  plainMoref = plain[0]!.moref;
  await renameVm(plainMoref, NEAR_MISS);

  // Collected as an engineer does at a site: the collect CLI prints the snapshot file.
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "fleetlens-roles-peers-"));
  const file = path.join(scratch, "vcsim.json");
  const collected = await run(
    "npm",
    ["run", "--silent", "collect", "--", "vsphere", vsphereSource().endpoint, "--user", peer.manifest.username,
      "--password-env", PASSWORD_ENV, "--fingerprint", peer.manifest.fingerprint, "--json"],
    { cwd: root, env: { ...process.env, [PASSWORD_ENV]: PASSWORD }, timeout: 300_000, maxBuffer: 64 * 2 ** 20 },
  );
  await fs.writeFile(file, collected.stdout);
  snapshot = parseSnapshot(JSON.parse(collected.stdout));

  // (1) The CLI door, spawned for real.
  const analysed = await run("npm", ["run", "--silent", "analyse", "--", file, "--json"], { cwd: root, timeout: 300_000, maxBuffer: 64 * 2 ** 20 });
  cli = JSON.parse(analysed.stdout) as Report;

  // (2) The dashboard door: the same file ingested under a customer, analysed from Postgres.
  t = await createTestDatabase();
  customerId = (await caller().customers.create({ name: "Identities" })).id;
  const s = vsphereSource();
  const sourceId = (await caller().sources.create({ customerId, kind: "vsphere", name: s.name, endpoint: s.endpoint, username: s.username, options: s.options }))
    .id;
  await applySnapshot(sourceId, JSON.parse(await fs.readFile(file, "utf8")), { database: t });
  dashboard = (await customerAnalysis(t, customerId)).analysis.migration;
}, 900_000);

afterAll(async () => {
  const stops: Promise<unknown>[] = [];
  if (peer) stops.push(stopVcsim(peer));
  if (scratch) stops.push(fs.rm(scratch, { recursive: true, force: true }));
  if (t) stops.push(t.drop());
  await Promise.allSettled(stops);
}, 120_000);

/** The dashboard's verdict in the CLI's --json shape. */
function asRow(v: MigrationResult["verdicts"][number]): Row {
  return {
    name: v.name,
    kind: v.kind,
    verdict: v.verdict,
    role: v.role,
    roleLabel: v.roleLabel,
    roleEvidence: v.roleEvidence,
    fit: v.fit,
    fitLabel: v.fitLabel,
    evidence: v.evidence,
    ruleIds: v.ruleIds,
    reason: v.reason,
    host: v.hostName,
    saving: v.saving,
  };
}

/** The fields the dashboard's verdict table and the CLI both give, as plain values. */
const pick = (r: { name: string; verdict: string; reason: string; host: string | null; role: string | null; roleLabel: string | null; fit: string | null; fitLabel: string | null; ramMiB: number; diskMiB: number }) => ({
  name: r.name,
  verdict: r.verdict,
  reason: r.reason,
  host: r.host,
  role: r.role,
  roleLabel: r.roleLabel,
  fit: r.fit,
  fitLabel: r.fitLabel,
  ramMiB: r.ramMiB,
  diskMiB: r.diskMiB,
});

/** The one verdict of that name along each door, after checking they are the same. */
function verdictOf(name: string): Row {
  const fromCli = cli.verdicts.filter((v) => v.name === name);
  const fromDashboard = dashboard.verdicts.filter((v) => v.name === name).map(asRow);
  expect(fromCli, `${name} in the CLI's verdicts`).toHaveLength(1);
  expect(fromDashboard, `${name} in the dashboard's verdicts`).toHaveLength(1);
  expect(fromDashboard[0], `${name}: the dashboard as the CLI`).toEqual(fromCli[0]);
  return fromCli[0]!;
}

describe("what each VM is, on vcsim -identities, along the CLI and the dashboard", () => {
  it("collected the 18 identity VMs and the renamed plain VM, and has an expectation for each identity", () => {
    expect(identities).toHaveLength(18);
    expect(Object.keys(EXPECTED).sort()).toEqual(identities.map((i) => i.name).sort());
    for (const i of identities) expect(ROLE_VALUES, `${i.name}: the manifest's role is one of ours`).toContain(i.role);
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.virtualMachines.map((v) => v.name).sort()).toEqual([...identities.map((i) => i.name), NEAR_MISS].sort());
    expect(snapshot.virtualMachines.find((v) => v.externalId === plainMoref)!.name).toBe(NEAR_MISS);
  });

  it("gives every identity VM the manifest's role, decided by the field that carries its evidence, and its role's verdict and fit", () => {
    for (const identity of identities.filter((i) => i.role !== "template")) {
      const expected = EXPECTED[identity.name]!;
      const v = verdictOf(identity.name);
      const role = identity.role as Role;
      const decisive = v.roleEvidence[0]!;
      expect([v.kind, v.role, v.roleLabel], identity.name).toEqual(["vm", role, ROLE_LABEL[role]]);
      expect(decisive, identity.name).toMatchObject({ field: expected.field, ruleId: expected.ruleId, strength: expected.strength, supports: role });
      expect([v.verdict, v.fit, v.fitLabel], identity.name).toEqual([expected.verdict, expected.fit, FIT_LABEL[expected.fit]]);

      const reason = REASON[role];
      if (reason) {
        // Not a candidate: stays whatever its findings, saves nothing, and says what it rests on.
        expect(v.reason, identity.name).toBe(`${reason[0]}${decisive.field} ${decisive.value}${reason[1]}`);
        expect(v.saving, identity.name).toEqual({ ramMiB: 0, diskMiB: 0, cpuMillis: 0 });
        expect(v.evidence, identity.name).toEqual(v.roleEvidence);
      }
    }
  });

  it("names each appliance's product and vendor as its evidence", () => {
    const appliances = identities.filter((i) => i.role === "appliance");
    expect(appliances).toHaveLength(6);
    for (const a of appliances) {
      const decisive = verdictOf(a.name).roleEvidence[0]!;
      expect(a.product, a.name).not.toBeNull();
      expect(decisive.source, a.name).toBe("configuration");
      expect(decisive.value, a.name).toContain(a.product!.vendor);
      expect(decisive.value, a.name).toContain(a.product!.name);
    }
  });

  it("reads the vCLS VM's managing solution, the nested ESXi's guest id and the Kubernetes nodes' conventions as given", () => {
    expect(verdictOf("vCLS-1f2a6c3e-7b1d-4c2e-9a8f-0d3b5e7c9a11").roleEvidence[0]!.value).toBe("com.vmware.vim.eam (cluster-agent)");
    expect(verdictOf("esxi-nested-01").roleEvidence[0]!.value).toBe("vmkernel7Guest");
    // The API lists custom values in its order, Postgres (jsonb) in its own: both doors read them sorted,
    // so the evidence shown is the same whatever order the launcher's fields were created in.
    for (const name of ["tkg-wl01-control-plane-7xk2p", "tkg-wl01-md-0-5c7d9b8f6-qz4lm"]) {
      const v = verdictOf(name);
      expect(v.roleEvidence[0]!.value, name).toBe("cluster.x-k8s.io/cluster-name=tkg-wl01");
      // The machine name agrees, as weaker evidence listed after.
      expect(v.roleEvidence.find((e) => e.field === "name"), name).toMatchObject({ ruleId: "name-cluster-api", supports: "kubernetes-node", strength: "weak" });
    }
    expect(verdictOf("rancher-k3s-node-01").roleEvidence.map((e) => [e.field, e.ruleId, e.strength])).toEqual([
      ["annotation", "annotation-kubernetes", "moderate"],
      ["name", "name-kubernetes", "weak"],
    ]);
    for (const name of ["ocp-7h2kd-master-0", "ocp-7h2kd-worker-0-x9c2v"]) {
      expect(verdictOf(name).roleEvidence.map((e) => [e.field, e.ruleId]), name).toEqual([
        ["guestOsReported", "tools-kubernetes-os"],
        ["name", "name-openshift"],
      ]);
    }
  });

  it("candidates rest on configuration only: insufficient data, guest discovery not collected", () => {
    for (const name of ["pg-prod-01", "web-01"]) {
      const v = verdictOf(name);
      expect(v.reason, name).toMatch(/^Candidate for a container \(a (database server|general workload); needs guest discovery\)/);
      expect(v.evidence.at(-1), name).toEqual({
        source: "guest discovery",
        field: "processes, listeners, packages",
        value: "not collected",
        strength: "missing",
        supports: null,
        ruleId: null,
        note: "needs guest discovery: from the configuration alone, fit cannot be graded",
      });
      expect(v.evidence.slice(0, -1), name).toEqual(v.roleEvidence);
      expect(v.saving.ramMiB, name).toBeGreaterThan(0);
    }
    expect(verdictOf("web-01").reason).toMatch(/a general workload/);
    expect(verdictOf("pg-prod-01").reason).toMatch(/a database server/);
    // A database server on Windows is a candidate by role, kept a VM by its OS.
    expect(verdictOf("sql-prod-01").reason).toBe("Stays a VM (a database server): Guest OS is not Linux.");
  });

  it("lists the template apart: no verdict, out of candidate counts and savings", async () => {
    const template = identities.find((i) => i.role === "template")!;
    expect(template.name).toBe("tpl-rhel9");
    expect(cli.verdicts.map((v) => v.name)).not.toContain(template.name);
    expect(dashboard.verdicts.map((v) => v.name)).not.toContain(template.name);
    expect(cli.templates).toEqual([
      { name: template.name, host: expect.any(String), os: "RHEL 9", roleEvidence: [expect.objectContaining({ field: "template", ruleId: "template", strength: "strong" })] },
    ]);
    expect(dashboard.templates.map((x) => ({ name: x.name, host: x.hostName, os: x.os, roleEvidence: x.roleEvidence }))).toEqual(cli.templates);

    const vms = identities.length + 1;
    const totals = cli.migration;
    expect(totals.templates).toBe(1);
    expect(totals.roles.template).toBe(1);
    expect(Object.values(totals.verdicts).reduce((a, b) => a + b, 0)).toBe(vms - 1);
    const candidates = cli.verdicts.filter((v) => v.role !== null && CANDIDATE_ROLES.includes(v.role)).map((v) => v.name).sort();
    expect(candidates).toEqual([NEAR_MISS, "pg-prod-01", "sql-prod-01", "web-01"].sort());
    expect(totals.candidates).toBe(candidates.length);
    // Savings are the movers' only.
    const moving = cli.verdicts.filter((v) => v.verdict === "to-container" || v.verdict === "to-kata");
    expect(moving.map((v) => v.name).sort()).toEqual(["pg-prod-01", "web-01"]);
    expect(totals.ramSavedMiB).toBe(moving.reduce((s, v) => s + v.saving.ramMiB, 0));
    expect(totals.diskSavedMiB).toBe(moving.reduce((s, v) => s + v.saving.diskMiB, 0));

    // The dashboard's figures: the same totals, and the template in neither its table nor its chart.
    // As the wire carries them (JSON: the in-process -0 of "no container cost" is 0).
    const summary = await caller().analysis.customer({ customerId });
    expect(JSON.parse(JSON.stringify(summary.migration.totals))).toEqual(totals);
    expect(JSON.parse(JSON.stringify(dashboard.totals))).toEqual(totals);
    expect(summary.migration.byVerdict.reduce((s, b) => s + b.vms, 0)).toBe(vms - 1);
    expect((await caller().analysis.verdicts({ customerId, search: template.name })).total).toBe(0);
  });

  it("the dashboard's verdict table shows what the CLI says, for every VM", async () => {
    const { rows, total } = await caller().analysis.verdicts({ customerId, kind: "vm", pageSize: 200 });
    expect(total).toBe(identities.length - 1 + 1); // every identity VM but the template, and the renamed plain VM
    const byName = <T extends { name: string }>(list: T[]) => [...list].sort((a, b) => a.name.localeCompare(b.name));
    // The table's evidence rows leave out the rule id (server/analysis/views.ts EvidenceRow).
    const shown = (list: Row["evidence"]) => list.map(({ ruleId: _ruleId, ...e }) => e);
    expect(
      byName(rows).map((r) => ({ ...pick(r), roleEvidence: r.roleEvidence, evidence: r.evidence })),
    ).toEqual(
      byName(cli.verdicts).map((v) => ({
        ...pick({ ...v, ramMiB: Math.round(v.saving.ramMiB), diskMiB: Math.round(v.saving.diskMiB) }),
        roleEvidence: shown(v.roleEvidence),
        evidence: shown(v.evidence),
      })),
    );
    expect(byName(dashboard.verdicts.map(asRow))).toEqual(byName(cli.verdicts));
  });

  it("the dashboard's role filter gives each role's VMs as the manifest has them, and no template", async () => {
    for (const role of ROLE_VALUES) {
      const { rows } = await caller().analysis.verdicts({ customerId, role, pageSize: 200 });
      const expected = identities.filter((i) => i.role === role && role !== "template").map((i) => i.name);
      if (role === "general") expected.push(NEAR_MISS);
      expect(rows.map((r) => r.name).sort(), role).toEqual(expected.sort());
    }
  });

  it("near miss: a plain RHEL 7 VM named like a vCenter appliance stays a general workload, the name set aside", () => {
    const v = verdictOf(NEAR_MISS);
    expect([v.role, v.fit]).toEqual(["general", "no-fit"]);
    expect(v.roleEvidence[0]).toMatchObject({ field: "guestOsId", value: "rhel7_64Guest", supports: "general", ruleId: null });
    expect(v.roleEvidence).toContainEqual(
      expect.objectContaining({ field: "name", value: NEAR_MISS, ruleId: "name-vcenter", supports: "appliance", strength: "weak", note: expect.stringMatching(/set aside: the configured guest OS \(rhel7_64Guest\)/) }),
    );
    // It stays a VM for its Forklift finding (the launcher shares its disk with other VMs), as a general workload.
    expect(v.verdict).toBe("stay-vm");
    expect(v.reason).toBe("Stays a VM (a general workload): Shared disk.");
    expect(v.ruleIds).toContain("vmware.disk.shared.detected");
  });

  it("near miss: haproxy-lb-01's product names Cluster API, yet it is an appliance and nothing says Kubernetes node", () => {
    const v = verdictOf("haproxy-lb-01");
    expect(v.roleEvidence[0]!.value).toMatch(/Cluster API/);
    expect(v.role).toBe("appliance");
    expect(v.roleEvidence.filter((e) => e.supports === "kubernetes-node")).toEqual([]);
    // And nsx-mgr-01 runs Ubuntu, a general-purpose OS: its product decides, its name agrees.
    expect(verdictOf("nsx-mgr-01").roleEvidence.map((e) => [e.field, e.ruleId, e.supports])).toEqual([
      ["product", "product-nsx", "appliance"],
      ["name", "name-nsx", "appliance"],
    ]);
  });
});

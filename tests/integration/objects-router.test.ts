/**
 * The object pages' router over real Postgres: each kind (host, VM, container, image) gives its
 * place in the topology as stored (hypervisor → VM → the engine host it is → containers → image and
 * its shared layers), the same verdict and findings as the customer's tables, and its collection
 * history; another customer's object, a customer out of the viewer's scope, an object of another
 * kind and a malformed id are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../../server/api/root";
import type { Viewer } from "../../server/api/trpc";
import { applySnapshot } from "../../server/inventory/ingest";
import { smallSnapshot } from "../fixtures/snapshots";
import { refusal } from "./fixtures";
import { createTestDatabase, type TestDatabase } from "./db";

let t: TestDatabase;
let acme: string;
let globex: string;
let acmeSource: string;
const admin: Viewer = { id: "admin", role: "admin", scope: { kind: "all" } };
const as = (viewer: Viewer) => createCaller({ database: t, viewer });
const snapshot = smallSnapshot({ vms: 3, containers: 3 });

async function idOf(table: "host" | "virtual_machine" | "container", customerId: string, name: string): Promise<string> {
  const { rows } = await t.pool.query<{ id: string }>(
    `SELECT o.id FROM "${table}" o JOIN source s ON s.id = o.source_id WHERE s.customer_id = $1 AND o.name = $2`,
    [customerId, name],
  );
  expect(rows).toHaveLength(1);
  return rows[0]!.id;
}
async function imageId(customerId: string, tag: string): Promise<string> {
  const { rows } = await t.pool.query<{ id: string }>(
    `SELECT i.id FROM image i JOIN source s ON s.id = i.source_id WHERE s.customer_id = $1 AND $2 = ANY(i.repo_tags)`,
    [customerId, tag],
  );
  return rows[0]!.id;
}

beforeAll(async () => {
  t = await createTestDatabase();
  acme = (await as(admin).customers.create({ name: "Acme" })).id;
  globex = (await as(admin).customers.create({ name: "Globex" })).id;
  acmeSource = (await as(admin).sources.create({ customerId: acme, kind: "vsphere", name: "vc", endpoint: "https://vc.acme.example/sdk" })).id;
  const globexSource = (await as(admin).sources.create({ customerId: globex, kind: "vsphere", name: "vc", endpoint: "https://vc.globex.example/sdk" })).id;
  await applySnapshot(acmeSource, snapshot, { database: t });
  await applySnapshot(globexSource, smallSnapshot({ vms: 2, containers: 1 }), { database: t });
});
afterAll(async () => {
  await t.drop();
});

describe("objects router", () => {
  it("a hypervisor host lists the VMs on it, its breadcrumbs, density and the run that added it", async () => {
    const id = await idOf("host", acme, "esx01.lab");
    const host = await as(admin).objects.host({ customerId: acme, id });
    const onIt = snapshot.virtualMachines!.filter((v) => v.hostExternalId === "host-1").map((v) => v.name).sort();
    expect(host.topology.virtualMachines.map((v) => v.name).sort()).toEqual(onIt);
    expect(host.topology.vm).toBeNull();
    expect(host.role).toBe("hypervisor");
    expect(host.breadcrumbs).toEqual([
      { kind: "customer", id: acme, name: "Acme" },
      { kind: "cluster", id: null, name: "prod" },
      { kind: "host", id, name: "esx01.lab" },
    ]);
    const summary = await as(admin).analysis.customer({ customerId: acme });
    const density = summary.density.hosts.rows.find((h) => h.key === id)!;
    expect(host.density?.vcpusPoweredOn).toBe(density.vcpusPoweredOn);
    expect(host.properties.find((p) => p.label === "CPU cores")?.value).toBe(64);
    expect(host.properties.find((p) => p.label === "Memory")).toEqual({ label: "Memory", value: 1048576, unit: "MiB" });
    const [run] = await as(admin).sources.runs({ sourceId: acmeSource });
    expect(host.history.source.name).toBe("vc");
    expect(host.history.addedBy?.id).toBe(run?.id);
    expect(host.history.lastCollected?.id).toBe(run?.id);
  });

  it("an engine host is the VM it runs in, under that VM's hypervisor, with its containers and images", async () => {
    const id = await idOf("host", acme, "docker01");
    const vmId = await idOf("virtual_machine", acme, "docker01");
    const hypervisor = await idOf("host", acme, "esx01.lab");
    const engine = await as(admin).objects.host({ customerId: acme, id });
    expect(engine.role).toBe("container-engine");
    expect(engine.topology.vm).toMatchObject({ id: vmId, name: "docker01", host: { id: hypervisor, name: "esx01.lab" } });
    expect(engine.topology.vmLinkKey).toBe("uuid");
    expect(engine.topology.containers.map((c) => c.name)).toEqual(["web-0", "web-1", "web-2"]);
    expect(engine.topology.images.map((i) => i.name).sort()).toEqual(["app:1", "nginx:1.27"]);
    expect(engine.breadcrumbs.map((c) => `${c.kind}:${c.name}`)).toEqual(["customer:Acme", "cluster:prod", "host:esx01.lab", "vm:docker01", "host:docker01"]);
    expect(engine.posture?.containers).toBe(3);
  });

  it("a VM gives its hypervisor, the engine host it is with that host's containers, and the verdict and findings of the tables", async () => {
    const id = await idOf("virtual_machine", acme, "docker01");
    const vm = await as(admin).objects.vm({ customerId: acme, id });
    expect(vm.topology.host?.name).toBe("esx01.lab");
    expect(vm.topology.engineHosts.map((h) => h.name)).toEqual(["docker01"]);
    expect(vm.topology.engineHosts[0]!.containers.map((c) => c.name)).toEqual(["web-0", "web-1", "web-2"]);
    expect(vm.breadcrumbs.map((c) => `${c.kind}:${c.name}`)).toEqual(["customer:Acme", "cluster:prod", "host:esx01.lab", "vm:docker01"]);
    const verdicts = await as(admin).analysis.verdicts({ customerId: acme, kind: "vm", pageSize: 200 });
    expect(vm.verdict).toEqual(verdicts.rows.find((r) => r.key === id));
    expect(vm.verdict?.role).toBe("container-host");
    // The verdicts table's host column links to the hypervisor's page: the row carries its id.
    expect(vm.verdict?.hostKey).toBe(vm.topology.host?.id);
    // No guest source: the page says guest discovery is missing.
    expect(vm.guest).toBeNull();
    expect(vm.guestDiscoveryMissing).toBe(true);
    expect(vm.disks.map((d) => d.key)).toEqual(["2000"]);
  });

  it("a VM's findings are the findings table's rows for it (the RDM disk of app-1)", async () => {
    const id = await idOf("virtual_machine", acme, "app-1");
    const vm = await as(admin).objects.vm({ customerId: acme, id });
    const all = await as(admin).analysis.findings({ customerId: acme, kind: "vm", pageSize: 200 });
    const mine = all.rows.filter((r) => r.key.startsWith(`${id}:`));
    expect(mine.length).toBeGreaterThan(0);
    expect(vm.findings).toEqual(mine);
    expect(vm.properties.find((p) => p.label === "Raw device mapping")?.value).toBe(true);
    const other = await as(admin).objects.vm({ customerId: acme, id: await idOf("virtual_machine", acme, "app-2") });
    expect(other.findings.some((f) => f.ruleId === mine[0]!.ruleId && mine[0]!.ruleId.includes("rdm"))).toBe(false);
  });

  it("a container gives its engine host, the VM that host is, the hypervisor and its image; verdict and posture", async () => {
    const id = await idOf("container", acme, "web-0");
    const c = await as(admin).objects.container({ customerId: acme, id });
    expect(c.topology.engineHost.name).toBe("docker01");
    expect(c.topology.vm?.name).toBe("docker01");
    expect(c.topology.hypervisor?.name).toBe("esx01.lab");
    expect(c.topology.image).toMatchObject({ id: await imageId(acme, "nginx:1.27"), name: "nginx:1.27" });
    expect(c.breadcrumbs.map((b) => `${b.kind}:${b.name}`)).toEqual([
      "customer:Acme", "cluster:prod", "host:esx01.lab", "vm:docker01", "host:docker01", "container:web-0",
    ]);
    const verdicts = await as(admin).analysis.verdicts({ customerId: acme, kind: "container", pageSize: 200 });
    expect(c.verdict).toEqual(verdicts.rows.find((r) => r.key === id));
    expect(c.properties.find((p) => p.label === "Privileged")?.value).toBe(true);
    expect(c.findings.length).toBeGreaterThan(0);
    const findings = await as(admin).analysis.findings({ customerId: acme, kind: "container", pageSize: 200 });
    expect(c.findings).toEqual(findings.rows.filter((r) => r.key.startsWith(`${id}:`)));
    expect(c.posture?.scored).toBe(true);
    expect(c.mounts[0]).toMatchObject({ destination: "/var/run/docker.sock" });
    expect(c.ports[0]).toMatchObject({ containerPort: 80, hostPort: 8080 });
  });

  it("an image gives the containers using it, its layers, and which other images share them", async () => {
    const nginx = await imageId(acme, "nginx:1.27");
    const app = await imageId(acme, "app:1");
    const image = await as(admin).objects.image({ customerId: acme, id: nginx });
    expect(image.name).toBe("nginx:1.27");
    expect(image.topology.engineHost.name).toBe("docker01");
    expect(image.topology.containers.map((c) => c.name)).toEqual(["web-0", "web-1", "web-2"]);
    expect(image.topology.layers.map((l) => l.digest)).toEqual(["sha256:base", "sha256:nginx"]);
    expect(image.topology.layers[0]!.sharedWith).toEqual([{ id: app, name: "app:1", hostName: "docker01", sameHost: true }]);
    expect(image.topology.layers[1]!.sharedWith).toEqual([]);
    expect(image.topology.sharedImages).toEqual([{ id: app, name: "app:1", hostName: "docker01", sameHost: true, layers: 1, bytes: 20 }]);
    // Another customer's image with the same layer digests is not "shared": out of this customer.
    const appImage = await as(admin).objects.image({ customerId: acme, id: app });
    expect(appImage.topology.containers).toEqual([]);
    expect(appImage.topology.sharedImages.map((s) => s.name)).toEqual(["nginx:1.27"]);
    expect(image.breadcrumbs.at(-1)).toEqual({ kind: "image", id: nginx, name: "nginx:1.27" });
  });

  it("refuses another customer's object, an object of another kind, and a customer out of scope, as NOT_FOUND", async () => {
    const globexHost = await idOf("host", globex, "esx01.lab");
    const globexVm = await idOf("virtual_machine", globex, "docker01");
    const globexContainer = await idOf("container", globex, "web-0");
    const globexImage = await imageId(globex, "nginx:1.27");
    expect(await refusal(as(admin).objects.host({ customerId: acme, id: globexHost }))).toMatchObject({ code: "NOT_FOUND" });
    expect(await refusal(as(admin).objects.vm({ customerId: acme, id: globexVm }))).toMatchObject({ code: "NOT_FOUND" });
    expect(await refusal(as(admin).objects.container({ customerId: acme, id: globexContainer }))).toMatchObject({ code: "NOT_FOUND" });
    expect(await refusal(as(admin).objects.image({ customerId: acme, id: globexImage }))).toMatchObject({ code: "NOT_FOUND" });
    // The near miss: the same ids under their own customer are found.
    expect((await as(admin).objects.host({ customerId: globex, id: globexHost })).customer.name).toBe("Globex");
    // A VM's id is no host.
    const acmeVm = await idOf("virtual_machine", acme, "docker01");
    expect(await refusal(as(admin).objects.host({ customerId: acme, id: acmeVm }))).toMatchObject({ code: "NOT_FOUND" });

    const globexViewer: Viewer = { id: "gv", role: "viewer", scope: { kind: "some", customerIds: [globex] } };
    const acmeViewer: Viewer = { id: "av", role: "viewer", scope: { kind: "some", customerIds: [acme] } };
    expect(await refusal(as(globexViewer).objects.vm({ customerId: acme, id: acmeVm }))).toMatchObject({ code: "NOT_FOUND" });
    expect((await as(acmeViewer).objects.vm({ customerId: acme, id: acmeVm })).name).toBe("docker01");
  });

  it("refuses an id that is no uuid as BAD_REQUEST", async () => {
    for (const id of ["nope", "", "1; DROP TABLE host"]) {
      expect(await refusal(as(admin).objects.host({ customerId: acme, id }))).toMatchObject({ code: "BAD_REQUEST" });
    }
    expect(await refusal(as(admin).objects.image({ customerId: "acme", id: await imageId(acme, "app:1") }))).toMatchObject({ code: "BAD_REQUEST" });
    // Nothing was lost.
    expect((await as(admin).objects.host({ customerId: acme, id: await idOf("host", acme, "esx01.lab") })).name).toBe("esx01.lab");
  });
});

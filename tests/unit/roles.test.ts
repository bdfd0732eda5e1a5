import { describe, expect, it } from "vitest";
import type { InventoryHost, InventoryVirtualMachine } from "../../server/analysis/inventory";
import { classifyVm } from "../../server/analysis/roles";
import { ROLE_RULES } from "../../server/analysis/roles/rules";

const vm = (over: Partial<InventoryVirtualMachine>): InventoryVirtualMachine =>
  ({
    key: "vm", customer: "c", hostKey: null, externalId: "vm", name: "app-01", template: false, guestOsId: "ubuntu64Guest",
    guestOsConfigured: null, guestOsReported: null, guestOsFamily: "linux", product: null, managedBy: null, annotation: null,
    title: null, folder: null, tags: [], attributes: {}, ...over,
  }) as InventoryVirtualMachine;
const engine = { name: "docker-01", platform: "docker" } as InventoryHost;

describe("classifyVm", () => {
  it.each([
    ["template flag", vm({ template: true, product: { name: "vCenter Server", vendor: "VMware", version: null, fullVersion: null, productUrl: null, vendorUrl: null } }), null, "template"],
    ["vCLS managedBy", vm({ name: "vCLS-1234", managedBy: { extensionKey: "com.vmware.vim.eam", type: "cluster-agent" } }), null, "system"],
    ["managedBy beats a database name", vm({ name: "db-01", managedBy: { extensionKey: "com.example.backup", type: null } }), null, "system"],
    ["VM Service VM with a Cluster API name", vm({ name: "tkc-md-0-abcde-fghij", managedBy: { extensionKey: "com.vmware.vcenter.wcp", type: "VirtualMachine" } }), null, "kubernetes-node"],
    ["nested ESXi", vm({ name: "lab-01", guestOsId: "vmkernel8Guest" }), null, "nested-hypervisor"],
    ["vCSA product", vm({ name: "vc01", guestOsId: "vmwarePhoton64Guest", product: { name: "VMware vCenter Server", vendor: "VMware Inc.", version: "8.0", fullVersion: null, productUrl: null, vendorUrl: null } }), null, "appliance"],
    ["near miss: vcsa-test on Ubuntu, no product", vm({ name: "vcsa-test" }), null, "general"],
    ["vcsa name on Photon, no product", vm({ name: "vcsa-01", guestOsId: "vmwarePhoton64Guest" }), null, "appliance"],
    ["Cluster API control plane", vm({ name: "prod-control-plane-x7k2p" }), null, "kubernetes-node"],
    ["OpenShift master", vm({ name: "ocp-7x2kq-master-0", guestOsId: "rhel8_64Guest" }), null, "kubernetes-node"],
    ["near miss: control plane name on Windows", vm({ name: "prod-control-plane-x7k2p", guestOsId: "windows2019srv_64Guest" }), null, "general"],
    ["engine linked", vm({ name: "app-01" }), engine, "container-host"],
    ["engine linked, Kubernetes name", vm({ name: "k8s-worker-1" }), engine, "kubernetes-node"],
    ["Windows 10 desktop", vm({ name: "pc-01", guestOsId: "windows9_64Guest" }), null, "desktop"],
    ["near miss: Windows Server 2016 is not a desktop", vm({ name: "pc-01", guestOsId: "windows9Server64Guest" }), null, "general"],
    ["database by name", vm({ name: "nw-db-01" }), null, "database"],
    ["near miss: dbx is not db", vm({ name: "dbx-01" }), null, "general"],
    ["k3s agent annotation", vm({ name: "edge-07", annotation: "k3s agent, Rancher-provisioned" }), null, "kubernetes-node"],
    ["near miss: k3s lab notes", vm({ name: "edge-07", annotation: "k3s lab notes" }), null, "general"],
    ["near miss: Jenkins agent", vm({ name: "edge-07", annotation: "Jenkins agent" }), null, "general"],
    // libvirt's <title>: a display name, read by each name rule's title twin (weak, set aside by a contradicting OS).
    ["database by title", vm({ name: "vm-0042", guestOsId: "http://redhat.com/rhel/9.4", title: "Billing PostgreSQL primary" }), null, "database"],
    ["near miss: title with db inside a word (dbx, mydbtools)", vm({ name: "vm-0042", guestOsId: "http://redhat.com/rhel/9.4", title: "dbx mydbtools sandbox" }), null, "general"],
    ["Cluster API machine by title", vm({ name: "vm-0043", guestOsId: "http://ubuntu.com/ubuntu/22.04", title: "k8s-prod-control-plane-x7k2p" }), null, "kubernetes-node"],
    ["near miss: Cluster API title on Windows", vm({ name: "vm-0043", guestOsId: "http://microsoft.com/win/2k22", guestOsFamily: "windows", title: "k8s-prod-control-plane-x7k2p" }), null, "general"],
    ["near miss: vcsa title on Ubuntu", vm({ name: "vm-0044", guestOsId: "http://ubuntu.com/ubuntu/22.04", title: "vcsa-lab" }), null, "general"],
    ["desktop by title", vm({ name: "vm-0045", guestOsId: null, guestOsFamily: "unknown", title: "Finance VDI 07" }), null, "desktop"],
    ["Windows 11 libosinfo id over a database title", vm({ name: "vm-0046", guestOsId: "http://microsoft.com/win/11", guestOsFamily: "windows", title: "sql-tools" }), null, "desktop"],
  ] as const)("%s", (_label, machine, engineHost, role) => {
    const decision = classifyVm(machine, { engineHost });
    expect(decision.role).toBe(role);
    expect(decision.evidence.length).toBeGreaterThan(0);
  });

  it("gives the same evidence whatever order the custom attributes come in (vSphere by field key, jsonb its own)", () => {
    const entries: [string, string][] = [
      ["cluster.x-k8s.io/deployment-name", "wl01-md-0"],
      ["cluster.x-k8s.io/cluster-name", "wl01"],
    ];
    const a = classifyVm(vm({ name: "node-a", attributes: Object.fromEntries(entries) }), { engineHost: null });
    const b = classifyVm(vm({ name: "node-a", attributes: Object.fromEntries([...entries].reverse()) }), { engineHost: null });
    expect(a.role).toBe("kubernetes-node");
    expect(b.evidence).toEqual(a.evidence);
  });

  it.each([
    ["name-database", "title-database"],
    ["name-cluster-api", "title-cluster-api"],
    ["name-vcenter", "title-vcenter"],
  ])("gives name rule %s a title twin %s, as weak, after the name when both agree", (nameRule, titleRule) => {
    const machine = {
      "name-database": vm({ name: "pg-01", title: "pg-01" }),
      "name-cluster-api": vm({ name: "prod-control-plane-x7k2p", title: "prod-control-plane-x7k2p" }),
      "name-vcenter": vm({ name: "vcsa-01", guestOsId: "vmwarePhoton64Guest", title: "vcsa-01" }),
    }[nameRule]!;
    const evidence = classifyVm(machine, { engineHost: null }).evidence;
    expect(evidence.map((e) => [e.field, e.ruleId, e.strength])).toEqual([
      ["name", nameRule, "weak"],
      ["title", titleRule, "weak"],
    ]);
  });

  it("has one title twin per name rule, ids unique, a deviation where the name rule follows an upstream convention", () => {
    const names = ROLE_RULES.filter((r) => r.field === "name");
    const titles = ROLE_RULES.filter((r) => r.field === "title");
    expect(titles.map((r) => r.id)).toEqual(names.map((r) => r.id.replace(/^name-/, "title-")));
    expect(new Set(ROLE_RULES.map((r) => r.id)).size).toBe(ROLE_RULES.length);
    for (const [i, t] of titles.entries()) {
      const n = names[i]!;
      expect([t.role, t.strength, t.pattern, t.expectedOs, t.source], t.id).toEqual([n.role, n.strength, n.pattern, n.expectedOs, n.source]);
      if (n.source.name === "ours") expect(t.deviation, t.id).toBe(n.deviation);
      else expect(t.deviation, t.id).toMatch(/libvirt's <title>/);
    }
  });

  it("sets a contradicted title aside, kept as evidence, and rests a general workload on its OS", () => {
    const decision = classifyVm(vm({ name: "vm-0044", guestOsId: "http://ubuntu.com/ubuntu/22.04", title: "vcsa-lab" }), { engineHost: null });
    expect(decision.evidence[0]).toMatchObject({ field: "guestOsId", supports: "general", ruleId: null });
    expect(decision.evidence.find((e) => e.field === "title")).toMatchObject({ ruleId: "title-vcenter", supports: "appliance", note: expect.stringMatching(/set aside/) });
  });

  it("a title weighs as a name: a moderate annotation for another role wins over it", () => {
    const decision = classifyVm(vm({ name: "vm-0047", title: "db-07", annotation: "k3s agent" }), { engineHost: null });
    expect(decision.role).toBe("kubernetes-node");
    expect(decision.evidence.map((e) => [e.field, e.supports])).toEqual([
      ["annotation", "kubernetes-node"],
      ["title", "database"],
    ]);
  });

  it("keeps a contradicted name as evidence, set aside", () => {
    const decision = classifyVm(vm({ name: "vcsa-test" }), { engineHost: null });
    const name = decision.evidence.find((e) => e.field === "name");
    expect(name?.supports).toBe("appliance");
    expect(name?.note).toMatch(/set aside/);
  });
});

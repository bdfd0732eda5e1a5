import { describe, expect, it } from "vitest";
import type { InventoryHost, InventoryVirtualMachine } from "../../server/analysis/inventory";
import { classifyVm } from "../../server/analysis/roles";

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

  it("keeps a contradicted name as evidence, set aside", () => {
    const decision = classifyVm(vm({ name: "vcsa-test" }), { engineHost: null });
    const name = decision.evidence.find((e) => e.field === "name");
    expect(name?.supports).toBe("appliance");
    expect(name?.note).toMatch(/set aside/);
  });
});

/**
 * What each target frees (server/plans/figures.ts), the hosts freed by packing what remains, and
 * the Forklift Plan of a wave (server/plans/export.ts): from small inventories whose figures are
 * read back from the inventory, the footprint table and kata-deploy's classes, not restated.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { InventoryContainer, InventoryHost, InventoryVirtualMachine } from "@/server/analysis/inventory";
import { kataOverheadFor } from "@/server/analysis/kata-overhead";
import type { Verdict } from "@/server/analysis/migration";
import { compileFootprints, DEFAULT_PARAMETERS, footprintOf } from "@/server/analysis/parameters";
import { clusterLoads, hostsFreedBy, workloadFigures, type PlanInventory } from "@/server/plans/figures";
import { forkliftPlan, kubernetesName } from "@/server/plans/export";
import type { PlanView, WaveView, WorkloadView } from "@/server/plans/views";

const parameters = DEFAULT_PARAMETERS;
const footprints = compileFootprints(parameters.osFootprints);

const host = (key: string, cores: number, memoryMiB: number, extra: Partial<InventoryHost> = {}) =>
  ({ key, name: key, customer: "c", role: "hypervisor", platform: "esxi", cpuCores: cores, memoryMiB, cluster: "prod", runtimes: [], defaultRuntime: null, ...extra }) as unknown as InventoryHost;
const vm = (key: string, extra: Partial<InventoryVirtualMachine> = {}) =>
  ({ key, name: key, customer: "c", hostKey: "h1", powerState: "poweredOn", template: false, vcpus: 4, memoryMiB: 8192, provisionedMiB: 51200, usedMiB: 30720,
     guestOsReported: "Ubuntu 22.04", guestOsConfigured: null, guestOsId: "ubuntu64Guest", guestOsFamily: "linux", ...extra }) as unknown as InventoryVirtualMachine;
const container = (key: string, extra: Partial<InventoryContainer> = {}) =>
  ({ key, name: key, customer: "c", hostKey: "e1", state: "running", runtime: "runc", memoryLimitBytes: 512 * 1024 ** 2, nanoCpus: 1.5e9, ...extra }) as unknown as InventoryContainer;

function inventory(): PlanInventory {
  const hosts = [host("h1", 8, 16384), host("h2", 8, 16384), host("h3", 8, 16384), host("e1", 4, 8192, { role: "container-engine", runtimes: ["runc", "kata-clh"], cluster: null })];
  const vms = [vm("a"), vm("b"), vm("c", { hostKey: "h2" }), vm("off", { powerState: "poweredOff", hostKey: "h3" }), vm("t", { template: true })];
  return { hosts, vms: new Map(vms.map((v) => [v.key, v])), containers: new Map([container("web"), container("stopped", { state: "exited" })].map((c) => [c.key, c])) };
}

describe("what each target frees", () => {
  const inv = inventory();
  const figures = (kind: "vm" | "container", objectId: string, target: Parameters<typeof workloadFigures>[0]["target"], verdict?: Verdict) =>
    workloadFigures({ kind, objectId, target }, inv, verdict, parameters, footprints);

  it("retire: a VM's vCPUs and RAM when on and its used disk; off, only its disk", () => {
    expect(figures("vm", "a", "retire")).toMatchObject({ vcpus: 4, ramMiB: 8192, diskMiB: 30720, leaves: { vcpus: 4, memoryMiB: 8192 }, cluster: "prod" });
    expect(figures("vm", "off", "retire")).toMatchObject({ vcpus: 0, ramMiB: 0, diskMiB: 30720 });
    expect(figures("vm", "a", "retire").basis).toMatch(/used on the datastore/);
  });

  it("stay frees nothing; KubeVirt frees nothing net but its share leaves the cluster", () => {
    expect(figures("vm", "a", "stay")).toMatchObject({ vcpus: 0, ramMiB: 0, diskMiB: 0, leaves: { vcpus: 0, memoryMiB: 0 } });
    expect(figures("vm", "a", "kubevirt")).toMatchObject({ vcpus: 0, ramMiB: 0, diskMiB: 0, leaves: { vcpus: 4, memoryMiB: 8192 } });
  });

  it("container without a moving verdict: the OS footprint's copy; Kata: less the default class's overhead", () => {
    const footprint = footprintOf(inv.vms.get("a")!, footprints)!;
    const kata = kataOverheadFor(null, parameters);
    const asContainer = figures("vm", "a", "container");
    expect(asContainer).toMatchObject({ vcpus: 0, ramMiB: Math.round(footprint.ramMiB), diskMiB: Math.round(footprint.diskMiB), kataOverheadMiB: 0 });
    expect(asContainer.basis).toContain(footprint.label);
    const asKata = figures("vm", "a", "kata");
    expect(asKata).toMatchObject({ ramMiB: Math.round(footprint.ramMiB - kata.memoryMiB), vcpus: -kata.cpuMillis / 1000, kataOverheadMiB: kata.memoryMiB });
    // Powered off: no overhead, no RAM saved.
    expect(figures("vm", "off", "kata")).toMatchObject({ ramMiB: 0, kataOverheadMiB: 0, vcpus: 0 });
  });

  it("a moving verdict's own saving is used (a to-kata verdict's overhead taken back for a container target)", () => {
    const kata = kataOverheadFor(null, parameters);
    const verdict = { verdict: "to-kata", saving: { ramMiB: 3000 - kata.memoryMiB, diskMiB: 7000, cpuMillis: -kata.cpuMillis }, evidence: [] } as unknown as Verdict;
    expect(figures("vm", "a", "container", verdict)).toMatchObject({ ramMiB: 3000, diskMiB: 7000, vcpus: 0 });
    expect(figures("vm", "a", "kata", verdict)).toMatchObject({ ramMiB: 3000 - kata.memoryMiB, diskMiB: 7000, kataOverheadMiB: kata.memoryMiB });
  });

  it("containers: retire frees the limits when running; Kata costs the class the engine host offers", () => {
    expect(figures("container", "web", "retire")).toMatchObject({ vcpus: 1.5, ramMiB: 512 });
    expect(figures("container", "stopped", "retire")).toMatchObject({ vcpus: 0, ramMiB: 0 });
    const offered = kataOverheadFor(inv.hosts.find((h) => h.key === "e1")!, parameters);
    expect(offered.runtimeClass).toBe("kata-clh");
    expect(figures("container", "web", "kata")).toMatchObject({ ramMiB: -offered.memoryMiB, kataOverheadMiB: offered.memoryMiB });
  });

  it("a workload gone from the inventory counts nothing and says so", () => {
    expect(figures("vm", "nope", "retire")).toMatchObject({ gone: true, vcpus: 0, ramMiB: 0, diskMiB: 0 });
  });
});

describe("hosts freed", () => {
  it("packs what remains in each cluster at the target ratios; templates and VMs that are off are no load", () => {
    const inv = inventory();
    const loads = clusterLoads(inv);
    expect(loads.get("prod")!.now).toEqual({ vcpus: 12, memoryMiB: 3 * 8192 });
    const retire = ["a", "b", "c"].map((k) => workloadFigures({ kind: "vm", objectId: k, target: "retire" }, inv, undefined, parameters, footprints));
    const all = hostsFreedBy(retire, loads, parameters);
    const needNow = Math.max(Math.ceil(12 / (8 * parameters.targetVcpuPerCore)), Math.ceil((3 * 8192) / (16384 * parameters.targetVramPerPram)));
    expect(all.clusters).toEqual([expect.objectContaining({ cluster: "prod", hosts: 3, neededNow: needNow, neededAfter: 0, hostsFreed: needNow })]);
    // Nothing leaving: nothing freed, no cluster listed.
    expect(hostsFreedBy([], loads, parameters)).toEqual({ hostsFreed: 0, clusters: [] });
  });
});

describe("the Forklift Plan of a wave", () => {
  const workload = (name: string, target: WorkloadView["target"], externalId: string | null, kind: "vm" | "container" = "vm") =>
    ({ name, kind, target, externalId, present: true }) as unknown as WorkloadView;
  const wave = { name: "Wave: One", position: 0, owner: "Ada", targetDate: "2027-01-31", workloads: [workload("app01", "kubevirt", "vm-42"), workload("db01", "container", "vm-43"), workload("web", "kata", null, "container")] } as unknown as WaveView;
  const plan = { name: "Q1 Moves!", waves: [wave] } as unknown as PlanView;

  it("lists only the wave's KubeVirt VMs by their vSphere id and name, with documented placeholders", () => {
    const { yaml, vms } = forkliftPlan(plan, wave);
    expect(vms).toBe(1);
    const manifest = parse(yaml) as { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, unknown> };
    expect(manifest).toMatchObject({ apiVersion: "forklift.konveyor.io/v1beta1", kind: "Plan", metadata: { name: "q1-moves-wave-one" } });
    expect(manifest.spec.vms).toEqual([{ id: "vm-42", name: "app01" }]);
    expect(manifest.spec).toMatchObject({ provider: { source: { name: "REPLACE-vsphere-provider" }, destination: { name: "host" } }, map: { network: {}, storage: {} }, targetNamespace: "REPLACE-target-namespace" });
    expect(yaml.split("\n").filter((l) => l.startsWith("#")).join("\n")).toMatch(/spec\.provider\.source\.name[\s\S]*spec\.map\.network[\s\S]*spec\.targetNamespace/);
  });

  it("makes Kubernetes names of anything", () => {
    expect(kubernetesName("--Ünïcode  wave__1--")).toBe("n-code-wave-1");
    expect(kubernetesName("!!!")).toBe("plan");
    expect(kubernetesName("x".repeat(100))).toHaveLength(63);
  });
});

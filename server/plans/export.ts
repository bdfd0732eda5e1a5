/**
 * A plan's waves as files: one row per workload (CSV or xlsx through the shared export columns,
 * server/export/csv.ts ExportColumn), and a wave's VMs whose target is KubeVirt as a Forklift `Plan`
 * manifest, the resource that executes such moves (forklift.konveyor.io/v1beta1, kubev2v/forklift
 * pkg/apis/forklift/v1beta1/plan.go: spec.provider {source, destination}, spec.map {network, storage},
 * spec.targetNamespace, spec.vms [{id, name}]: ref.Ref, the VM's id in the source provider's
 * inventory, for vSphere its managed object id "vm-42").
 */
import { stringify } from "yaml";
import type { ExportColumn } from "../export/csv";
import type { PlanView, WaveView, WorkloadView } from "./views";

export interface WaveExportRow {
  plan: PlanView;
  wave: WaveView;
  workload: WorkloadView;
}

/** The columns of the waves export, in the field's words (README "Migration plans"). */
export const WAVE_COLUMNS: readonly ExportColumn<WaveExportRow>[] = [
  { header: "Plan", cell: (r) => r.plan.name },
  { header: "Wave", cell: (r) => r.wave.name },
  { header: "Wave position", cell: (r) => r.wave.position + 1 },
  { header: "Status", cell: (r) => r.wave.statusLabel },
  { header: "Owner", cell: (r) => r.wave.owner },
  { header: "Target date", cell: (r) => r.wave.targetDate },
  { header: "Workload", cell: (r) => r.workload.name },
  { header: "Kind", cell: (r) => (r.workload.kind === "vm" ? "VM" : "container") },
  { header: "Host", cell: (r) => r.workload.host },
  { header: "Cluster", cell: (r) => r.workload.cluster },
  { header: "Verdict", cell: (r) => r.workload.verdictLabel ?? (r.workload.present ? "no verdict" : "no longer in the inventory") },
  { header: "Target", cell: (r) => r.workload.targetLabel },
  { header: "Reason", cell: (r) => r.workload.reason },
  { header: "vCPUs freed", cell: (r) => r.workload.figures.vcpus },
  { header: "RAM freed (MiB)", cell: (r) => r.workload.figures.ramMiB },
  { header: "Disk freed (MiB)", cell: (r) => r.workload.figures.diskMiB },
  { header: "Kata overhead (MiB)", cell: (r) => r.workload.figures.kataOverheadMiB },
  { header: "Where the figures come from", cell: (r) => r.workload.figures.basis },
];

export function waveExportRows(plan: PlanView): WaveExportRow[] {
  return plan.waves.flatMap((wave) => wave.workloads.map((workload) => ({ plan, wave, workload })));
}

/** A Kubernetes name: lower case alphanumerics and '-', at most 63, starting and ending alphanumeric. */
export function kubernetesName(text: string): string {
  const name = text.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63).replace(/-+$/, "");
  return name || "plan";
}

const FORKLIFT_PLACEHOLDERS = {
  namespace: "openshift-mtv",
  source: "REPLACE-vsphere-provider",
  destination: "host",
  network: "REPLACE-network-map",
  storage: "REPLACE-storage-map",
  targetNamespace: "REPLACE-target-namespace",
};

/**
 * The Forklift Plan for one wave's VMs whose target is KubeVirt (the ones still in the inventory
 * with a source id). The provider, the maps and the target namespace are the cluster's own: the
 * manifest names placeholders (REPLACE-...) and the comment at its top says what to put there.
 */
export function forkliftPlan(plan: PlanView, wave: WaveView): { yaml: string; vms: number } {
  const vms = wave.workloads.filter((w) => w.kind === "vm" && w.target === "kubevirt" && w.present && w.externalId);
  const p = FORKLIFT_PLACEHOLDERS;
  const manifest = {
    apiVersion: "forklift.konveyor.io/v1beta1",
    kind: "Plan",
    metadata: {
      name: kubernetesName(`${plan.name}-${wave.name}`),
      namespace: p.namespace,
      annotations: { "fleetlens/plan": plan.name, "fleetlens/wave": wave.name, ...(wave.targetDate ? { "fleetlens/target-date": wave.targetDate } : {}) },
    },
    spec: {
      description: `${plan.name}, wave ${wave.position + 1}: ${wave.name}${wave.owner ? ` (owner ${wave.owner})` : ""}`,
      warm: false,
      targetNamespace: p.targetNamespace,
      provider: {
        source: { name: p.source, namespace: p.namespace },
        destination: { name: p.destination, namespace: p.namespace },
      },
      map: {
        network: { name: p.network, namespace: p.namespace },
        storage: { name: p.storage, namespace: p.namespace },
      },
      vms: vms.map((w) => ({ id: w.externalId!, name: w.name })),
    },
  };
  const header = [
    `# Forklift migration plan for ${plan.name}, wave "${wave.name}": ${vms.length} VM${vms.length === 1 ? "" : "s"} rehosted to KubeVirt.`,
    "# Before applying (kubectl apply -f), replace the placeholders with your cluster's:",
    `#   spec.provider.source.name   ${p.source}: the vSphere Provider these VMs are in (vm ids are its managed object ids)`,
    `#   spec.provider.destination   ${p.destination}: the OpenShift/KubeVirt Provider (the local cluster is "host")`,
    `#   spec.map.network / storage  ${p.network} / ${p.storage}: NetworkMap and StorageMap for the source's networks and datastores`,
    `#   spec.targetNamespace        ${p.targetNamespace}: where the VMs are created`,
    `#   metadata.namespace          ${p.namespace}: the namespace Forklift (MTV) runs in`,
    "# Fields: https://github.com/kubev2v/forklift/blob/main/pkg/apis/forklift/v1beta1/plan.go",
  ];
  return { yaml: `${header.map((l) => l.replace(/[\r\n]+/g, " ")).join("\n")}\n${stringify(manifest, { lineWidth: 0 })}`, vms: vms.length };
}

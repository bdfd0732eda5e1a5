/**
 * What each VM is: the role rules, as data. A rule reads one field of the VM (or the engine host
 * linked to it), says which role a match points to and how much it weighs: the classifier
 * (./classify.ts) takes the role of the strongest evidence. Names are the weakest evidence, and a
 * name rule that knows which guest OS its product runs on is contradicted by a VM configured with
 * another. Facts and sources: docs/domain.md#roles. To add a rule, add an entry here; to add a field
 * a rule may read, add it to FIELDS.
 */
import type { GuestFacts } from "../../collectors/guest/facts";
import type { InventoryHost, InventoryVirtualMachine } from "../inventory";
import { containerProcesses, MFIT_RULES, STATEFUL_SERVERS } from "../rules/guest";
import type { EvidenceSource, Role, Strength } from "../labels";
import type { Source } from "../rules/sources";

export const ROLES_DOC = "docs/domain.md#roles";

const VSPHERE_API: Source = {
  name: "vSphere Web Services API, VirtualMachineConfigInfo (template, guestId, vAppConfig.product, managedBy, annotation)",
  version: "8.0",
  url: "https://developer.broadcom.com/xapis/vsphere-web-services-api/latest/vim.vm.ConfigInfo.html",
  doc: ROLES_DOC,
};
const VCLS: Source = {
  name: "vSphere Cluster Services (vCLS): agent VMs managed by the ESX Agent Manager (managedBy com.vmware.vim.eam, type cluster-agent)",
  version: "vSphere 7.0 U1+",
  url: "https://knowledge.broadcom.com/external/article?legacyId=80472",
  doc: ROLES_DOC,
};
const VM_OPERATOR: Source = {
  name: "vm-operator (vSphere Supervisor VM Service): ManagedByExtensionKey com.vmware.vcenter.wcp, type VirtualMachine",
  version: "main",
  url: "https://github.com/vmware-tanzu/vm-operator",
  doc: ROLES_DOC,
};
const VMWARE_APPLIANCES: Source = {
  name: "VMware appliances' OVF product sections and guest OS (vCSA, NSX, Aria Operations, Log Insight, SRM, vSphere Replication, UAG)",
  version: "vSphere 7/8, NSX 4, Aria 8",
  url: "https://techdocs.broadcom.com/us/en/vmware-cis/vsphere.html",
  doc: ROLES_DOC,
};
const CLUSTER_API: Source = {
  name: "Cluster API naming (KubeadmControlPlane <cluster>-control-plane-<5>, MachineDeployment <cluster>-md-<n>-<hash>-<5>; CAPV names the VM after the Machine)",
  version: "v1.x templates",
  url: "https://github.com/kubernetes-sigs/cluster-api-provider-vsphere/tree/main/templates",
  doc: ROLES_DOC,
};
const OPENSHIFT: Source = {
  name: "OpenShift installer on vSphere (VMs <infraID>-master-<n> / <infraID>-worker-..., tag category openshift-<infraID>, RHCOS guest)",
  version: "4.x",
  url: "https://github.com/openshift/installer/tree/master/pkg/asset/machines/vsphere",
  doc: ROLES_DOC,
};
const KVM_LIBOSINFO: Source = {
  name: "libosinfo osinfo-db (OS ids: http://microsoft.com/win/10 ...)",
  version: "main",
  url: "https://gitlab.com/libosinfo/osinfo-db",
  doc: ROLES_DOC,
};
const OURS: Source = { name: "ours", version: null, url: null, doc: ROLES_DOC };

/** The fields a role rule may read: where each is read, and its values as text (none: the field is empty). */
export interface RoleContext {
  /** The container-engine host linked to this VM (server/analysis/inventory.ts linkEngineHosts), if any. */
  engineHost: InventoryHost | null;
  /** What guest discovery read inside this VM (its newest guest matched to it), if any. */
  guest?: GuestFacts | null;
}

/** A guest's software of some names, as "name version". */
const softwareNamed = (guest: GuestFacts | null | undefined, names: readonly string[]) =>
  (guest?.software ?? []).filter((s) => names.includes(s.name)).map((s) => (s.version ? `${s.name} ${s.version}` : s.name));

export const FIELDS = {
  template: { source: "configuration", read: (vm) => (vm.template ? ["template"] : []) },
  managedBy: {
    source: "configuration",
    read: (vm) => (vm.managedBy ? [vm.managedBy.type ? `${vm.managedBy.extensionKey} (${vm.managedBy.type})` : vm.managedBy.extensionKey] : []),
  },
  product: {
    source: "configuration",
    // "vendor | name | version": a rule's pattern sees both, the value shown names the product.
    read: (vm) => {
      const p = vm.product;
      if (!p || (!p.name && !p.vendor)) return [];
      return [[p.vendor ?? "", p.name ?? "", p.fullVersion ?? p.version ?? ""].join(" | ")];
    },
  },
  guestOsId: { source: "configuration", read: (vm) => (vm.guestOsId ? [vm.guestOsId] : []) },
  guestOsConfigured: { source: "configuration", read: (vm) => (vm.guestOsConfigured ? [vm.guestOsConfigured] : []) },
  guestOsReported: { source: "guest tools", read: (vm) => (vm.guestOsReported ? [vm.guestOsReported] : []) },
  annotation: { source: "configuration", read: (vm) => (vm.annotation ? [vm.annotation] : []) },
  title: { source: "configuration", read: (vm) => (vm.title ? [vm.title] : []) },
  folder: { source: "configuration", read: (vm) => (vm.folder ? [vm.folder] : []) },
  tags: { source: "configuration", read: (vm) => vm.tags },
  // Sorted: the API's order of custom values is not Postgres's (jsonb), and the first match is the evidence shown.
  attributes: { source: "configuration", read: (vm) => Object.entries(vm.attributes).map(([k, v]) => `${k}=${v}`).sort() },
  engineHost: {
    source: "container engine",
    read: (_vm, ctx) => (ctx.engineHost ? [`${ctx.engineHost.name} (${ctx.engineHost.platform})`] : []),
  },
  // Guest discovery (server/collectors/guest/): what runs inside, read over SSH.
  guestKubelet: { source: "guest discovery", read: (_vm, ctx) => softwareNamed(ctx.guest, ["kubelet"]) },
  guestContainers: {
    source: "guest discovery",
    // A runtime counts with containers running (a containerd shim or Podman's conmon each): an idle engine does not make a container host.
    read: (_vm, ctx) => {
      if (!ctx.guest) return [];
      const runtimes = softwareNamed(ctx.guest, ["dockerd", "containerd", "podman"]);
      const containers = containerProcesses(ctx.guest).length;
      return runtimes.length > 0 && containers > 0 ? [`${runtimes.join(", ")} with ${containers} container process${containers === 1 ? "" : "es"}`] : [];
    },
  },
  guestDatabase: { source: "guest discovery", read: (_vm, ctx) => softwareNamed(ctx.guest, STATEFUL_SERVERS) },
  name: { source: "name", read: (vm) => [vm.name] },
} satisfies Record<string, { source: EvidenceSource; read: (vm: InventoryVirtualMachine, ctx: RoleContext) => string[] }>;

export type RoleField = keyof typeof FIELDS;

export interface RoleRule {
  /** Stable: "managed-by", "product-vcenter", "name-cluster-api". */
  id: string;
  role: Role;
  /** What the rule recognises, in plain words ("VMware vCenter Server Appliance"). */
  label: string;
  field: RoleField;
  /** A value of the field that matches (any, for a list field); null: any value present. */
  pattern: RegExp | null;
  strength: Exclude<Strength, "missing">;
  /**
   * For a name rule: the guest OS ids or names its product is shipped with. A VM configured with a
   * known other OS contradicts the name (a "vcsa-test" on Ubuntu is not a vCenter appliance).
   */
  expectedOs?: RegExp;
  /** A role the chosen role gives way to when that role has evidence too (a VM Service VM that is a Kubernetes node). */
  refinedBy?: Role;
  source: Source;
  /** Where we deliberately read more or less than the source says, and why; null when we follow it. */
  deviation: string | null;
}

/** A name token: the word between separators (nw-vcsa-01, vcsa.example.com), case-insensitive. */
const token = (alternatives: string) => new RegExp(`(?:^|[^a-z])(?:${alternatives})(?:[^a-z]|$)`, "i");

/** VMware's Photon OS based appliances as vSphere configures them: Photon, or "Other 3.x/4.x/5.x Linux". */
const PHOTON = /photon|^other\d?x?linux|^otherlinux|other .*linux/i;

/** Known vendor appliances: the product name in the OVF product section (and annotation), the VM names they get, their guest OS. */
const APPLIANCES: { id: string; label: string; product: string; names: string; os: RegExp | undefined }[] = [
  { id: "vcenter", label: "VMware vCenter Server Appliance", product: "vCenter Server", names: "vcsa|vcenter|vcs", os: PHOTON },
  { id: "nsx", label: "VMware NSX Manager, Edge or Controller", product: "NSX", names: "nsx|nsxt|nsxv|nsx-?(?:mgr|manager|edge|ctrl|controller)", os: /ubuntu|photon|other.*linux/i },
  { id: "aria-operations", label: "VMware Aria Operations (vRealize Operations)", product: "(?:vRealize|Aria) Operations(?! for Logs)|vROps", names: "vrops|aria-?ops", os: PHOTON },
  { id: "log-insight", label: "VMware Aria Operations for Logs (vRealize Log Insight)", product: "Log Insight|Operations for Logs", names: "vrli|loginsight|log-?insight", os: PHOTON },
  { id: "srm", label: "VMware Site Recovery Manager appliance", product: "Site Recovery Manager", names: "srm", os: PHOTON },
  { id: "vsphere-replication", label: "VMware vSphere Replication appliance", product: "vSphere Replication", names: "vrms|vsphere-?replication", os: PHOTON },
  { id: "uag", label: "VMware Unified Access Gateway", product: "Unified Access Gateway", names: "uag", os: PHOTON },
  { id: "haproxy", label: "Cluster API HAProxy load balancer appliance", product: "HAProxy", names: "haproxy", os: PHOTON },
];

const DATABASE_PRODUCTS =
  "MySQL|MariaDB|PostgreSQL|Postgres|Oracle Database|SQL Server|MongoDB|Redis|Cassandra|Elasticsearch|OpenSearch|Db2|Couchbase|Neo4j|ClickHouse|CockroachDB|TimescaleDB|InfluxDB|SAP HANA";
const ROLE_KEYS = "role|function|purpose|application|app|service|workload|server ?type";

const FIELD_RULES: readonly RoleRule[] = [
  // Templates: not workloads.
  { id: "template", role: "template", label: "vSphere template", field: "template", pattern: null, strength: "strong", source: VSPHERE_API, deviation: null },

  // Solution-managed system VMs: the managing solution owns their lifecycle.
  {
    id: "managed-by-vm-service",
    role: "system",
    label: "VM Service VM (vSphere Supervisor)",
    field: "managedBy",
    pattern: /^com\.vmware\.vcenter\.wcp\b/,
    strength: "strong",
    refinedBy: "kubernetes-node",
    source: VM_OPERATOR,
    deviation: null,
  },
  { id: "managed-by", role: "system", label: "managed by a vSphere solution", field: "managedBy", pattern: null, strength: "strong", source: VCLS, deviation: null },
  { id: "folder-vcls", role: "system", label: "vCLS folder", field: "folder", pattern: /(?:^|\/)vCLS$/, strength: "moderate", source: VCLS, deviation: null },
  { id: "annotation-vcls", role: "system", label: "vCLS agent annotation", field: "annotation", pattern: /vSphere Cluster Service/i, strength: "moderate", source: VCLS, deviation: null },
  { id: "name-vcls", role: "system", label: "vCLS agent name", field: "name", pattern: /^vCLS[-\s(]/i, strength: "weak", source: VCLS, deviation: null },

  // Nested hypervisors.
  { id: "guest-vmkernel", role: "nested-hypervisor", label: "ESXi guest (vmkernel)", field: "guestOsId", pattern: /^vmkernel\d*Guest$/i, strength: "strong", source: VSPHERE_API, deviation: null },
  { id: "os-esxi", role: "nested-hypervisor", label: "ESXi guest", field: "guestOsConfigured", pattern: /VMware ESXi?\b/i, strength: "moderate", source: VSPHERE_API, deviation: null },
  { id: "tools-esxi", role: "nested-hypervisor", label: "ESXi guest (tools)", field: "guestOsReported", pattern: /VMware ESXi?\b/i, strength: "moderate", source: VSPHERE_API, deviation: null },
  {
    id: "name-esxi",
    role: "nested-hypervisor",
    label: "ESXi host name",
    field: "name",
    pattern: token("esxi?|nested-?esxi?"),
    strength: "weak",
    expectedOs: /vmkernel|esx|^other/i,
    source: OURS,
    deviation: null,
  },

  // Vendor appliances: known products first (strong), then any product with a vendor (moderate).
  { id: "product-database", role: "database", label: "database product", field: "product", pattern: new RegExp(`\\b(?:${DATABASE_PRODUCTS})\\b`, "i"), strength: "strong", source: VSPHERE_API, deviation: null },
  ...APPLIANCES.flatMap(({ id, label, product, names, os }): RoleRule[] => [
    {
      id: `product-${id}`,
      role: "appliance",
      label,
      field: "product",
      pattern: new RegExp(`\\|[^|]*\\b(?:${product})`, "i"),
      strength: "strong",
      source: VMWARE_APPLIANCES,
      deviation: null,
    },
    { id: `annotation-${id}`, role: "appliance", label, field: "annotation", pattern: new RegExp(`\\b(?:${product})\\b`, "i"), strength: "moderate", source: VMWARE_APPLIANCES, deviation: null },
    { id: `name-${id}`, role: "appliance", label, field: "name", pattern: token(names), strength: "weak", expectedOs: os, source: VMWARE_APPLIANCES, deviation: null },
  ]),
  {
    id: "product-vendor",
    role: "appliance",
    label: "OVF product with a vendor",
    field: "product",
    pattern: /^[^|\s][^|]*\|\s*[^|\s]/,
    strength: "moderate",
    source: VSPHERE_API,
    deviation:
      "vSphere does not say a VM is an appliance: a product section with a vendor and a name is the sign an OVF appliance carries; an in-house OVF that fills both is taken for an appliance (moderate evidence, so a stronger sign overrules it).",
  },

  // Kubernetes nodes (container hosts whose pods are the workloads).
  { id: "tag-openshift", role: "kubernetes-node", label: "OpenShift installer tag", field: "tags", pattern: /^openshift-[a-z0-9-]+\//i, strength: "moderate", source: OPENSHIFT, deviation: null },
  {
    id: "attribute-kubernetes",
    role: "kubernetes-node",
    label: "Kubernetes attribute",
    field: "attributes",
    pattern: /^(?:[^=]*(?:kubernetes|k8s|openshift|cluster-api|capi|tkg|rancher|k3s|rke2)[^=]*=.+|(?:role|function|purpose|app|application|service)=.*\b(?:kubernetes|k8s|openshift|k3s|rke2|tkg)\b.*)$/i,
    strength: "moderate",
    source: OURS,
    deviation: null,
  },
  {
    id: "annotation-kubernetes",
    role: "kubernetes-node",
    label: "Kubernetes node annotation",
    field: "annotation",
    pattern: /\b(?:kubernetes|k8s|openshift|cluster api|capi|capv|tkg|rancher|k3s|rke2)\b[^.\n]*\b(?:node|control[- ]plane|worker|master|machine)\b|\b(?:node|control[- ]plane|worker|machine)\b[^.\n]*\b(?:kubernetes|k8s|openshift|cluster api|tkg)\b|\b(?:k3s|rke2)[ -](?:server|agent)\b/i,
    strength: "moderate",
    source: CLUSTER_API,
    deviation: null,
  },
  { id: "tools-kubernetes-os", role: "kubernetes-node", label: "Kubernetes node OS (RHCOS, Talos)", field: "guestOsReported", pattern: /Red Hat Enterprise Linux CoreOS|\bRHCOS\b|Talos/i, strength: "moderate", source: OPENSHIFT, deviation: null },
  {
    id: "name-cluster-api",
    role: "kubernetes-node",
    label: "Cluster API machine name",
    field: "name",
    pattern: /^[a-z0-9][a-z0-9.-]*-(?:control-plane-[a-z0-9]{5}|md-\d+-[a-z0-9]+-[a-z0-9]{5})$/i,
    strength: "weak",
    expectedOs: /linux|ubuntu|photon|rhel|centos|rocky|alma|flatcar|debian|sles|other/i,
    source: CLUSTER_API,
    deviation: null,
  },
  {
    id: "name-openshift",
    role: "kubernetes-node",
    label: "OpenShift installer machine name",
    field: "name",
    pattern: /^[a-z0-9][a-z0-9-]*-[a-z0-9]{5}-(?:master-\d+|worker-[a-z0-9-]+|bootstrap)$/i,
    strength: "weak",
    expectedOs: /linux|rhel|coreos|fedora|other/i,
    source: OPENSHIFT,
    deviation: null,
  },
  {
    id: "name-kubernetes",
    role: "kubernetes-node",
    label: "Kubernetes node name (k8s/k3s/rke2/tkg/ocp)",
    field: "name",
    pattern: token("(?:k8s|kube|kubernetes|k3s|rke2?|tkg|ocp|okd|openshift)-?(?:master|worker|node|server|agent|cp|control-?plane|controlplane|infra)\\d*"),
    strength: "weak",
    expectedOs: /linux|ubuntu|photon|rhel|centos|rocky|alma|flatcar|debian|sles|coreos|other/i,
    source: OURS,
    deviation: null,
  },

  // Container hosts: a container engine collected inside the VM.
  {
    id: "engine-linked",
    role: "container-host",
    label: "container engine linked to this VM",
    field: "engineHost",
    pattern: null,
    strength: "strong",
    refinedBy: "kubernetes-node",
    source: OURS,
    deviation: null,
  },

  // Container hosts and Kubernetes nodes read in the guest: the strongest evidence there is.
  {
    id: "guest-kubelet",
    role: "kubernetes-node",
    label: "kubelet running in the guest",
    field: "guestKubelet",
    pattern: null,
    strength: "strong",
    source: OURS,
    deviation: null,
  },
  {
    id: "guest-container-runtime",
    role: "container-host",
    label: "container runtime with running containers in the guest",
    field: "guestContainers",
    pattern: null,
    strength: "strong",
    refinedBy: "kubernetes-node",
    source: MFIT_RULES,
    deviation:
      "Migrate to Containers' A1L-APP-3 reads Docker running on the VM; we read containerd and Podman too, and only with containers running (a shim or conmon each): an idle engine does not make a container host.",
  },

  // Desktops: a client OS (VDI).
  {
    id: "guest-client-windows",
    role: "desktop",
    label: "Windows client OS",
    field: "guestOsId",
    pattern: /^(?:windows(?:7|8|9|11)(?:_64)?Guest|winXP\w*Guest|winVista\w*Guest|win2000Pro\w*Guest|win(?:95|98|Me)Guest|http:\/\/microsoft\.com\/win\/(?:xp|vista|7|8|8\.1|10|11))$/i,
    strength: "moderate",
    source: KVM_LIBOSINFO,
    deviation: null,
  },
  { id: "os-client-windows", role: "desktop", label: "Windows client OS", field: "guestOsConfigured", pattern: /^Microsoft Windows (?:XP|Vista|7|8(?:\.1)?|10|11)\b/i, strength: "moderate", source: VSPHERE_API, deviation: null },
  { id: "tools-client-windows", role: "desktop", label: "Windows client OS (tools)", field: "guestOsReported", pattern: /^Microsoft Windows (?:XP|Vista|7|8(?:\.1)?|10|11)\b/i, strength: "moderate", source: VSPHERE_API, deviation: null },
  { id: "tag-vdi", role: "desktop", label: "VDI tag", field: "tags", pattern: /(?:^|\/)(?:VDI|Horizon|Citrix|Desktops?)$/i, strength: "moderate", source: OURS, deviation: null },
  { id: "attribute-vdi", role: "desktop", label: "VDI attribute", field: "attributes", pattern: new RegExp(`^(?:${ROLE_KEYS})=.*\\b(?:VDI|desktop|Horizon|Citrix)\\b`, "i"), strength: "moderate", source: OURS, deviation: null },
  { id: "name-vdi", role: "desktop", label: "desktop name", field: "name", pattern: token("vdi|desktop|wks|workstation"), strength: "weak", source: OURS, deviation: null },

  // Database servers.
  {
    id: "guest-database",
    role: "database",
    label: "database server running in the guest",
    field: "guestDatabase",
    pattern: null,
    // Moderate: a product's own database (an appliance's bundled PostgreSQL) runs as one too, and the appliance's evidence must win.
    strength: "moderate",
    source: MFIT_RULES,
    deviation: null,
  },
  { id: "tag-database", role: "database", label: "database tag", field: "tags", pattern: new RegExp(`(?:^|/)(?:databases?|db|${DATABASE_PRODUCTS})$`, "i"), strength: "moderate", source: OURS, deviation: null },
  {
    id: "attribute-database",
    role: "database",
    label: "database attribute",
    field: "attributes",
    pattern: new RegExp(`^(?:${ROLE_KEYS})=.*\\b(?:databases?|db|dbms|${DATABASE_PRODUCTS})\\b`, "i"),
    strength: "moderate",
    source: OURS,
    deviation: null,
  },
  {
    id: "annotation-database",
    role: "database",
    label: "database annotation",
    field: "annotation",
    pattern: new RegExp(`\\b(?:database|${DATABASE_PRODUCTS})\\b`, "i"),
    strength: "moderate",
    source: OURS,
    deviation: null,
  },
  {
    id: "name-database",
    role: "database",
    label: "database name",
    field: "name",
    pattern: token("db\\d*|sql\\d*|mssql|mysql|mariadb|postgres(?:ql)?|pg\\d*|pgsql|oracle|ora\\d*|mongo(?:db)?|redis|cassandra|elastic(?:search)?"),
    strength: "weak",
    source: OURS,
    deviation: null,
  },
];

/**
 * libvirt's <title>: the domain's short display name, set by an administrator (virsh desc --title,
 * virt-manager's "Title"). It is a name like the domain's <name>, so each name rule has a title twin
 * (`title-<id>`), as weak, set aside by a contradicting guest OS alike. Listed after the name rules:
 * when both agree, the name is the evidence shown first.
 */
const TITLE_RULES: readonly RoleRule[] = FIELD_RULES.filter((r) => r.field === "name").map((r) => ({
  ...r,
  id: `title-${r.id.replace(/^name-/, "")}`,
  label: `${r.label} (in the title)`,
  field: "title",
  deviation:
    r.source === OURS
      ? r.deviation
      : `${r.source.name.split(" (")[0]} names the VM itself; we also read libvirt's <title> (libvirt.org/formatdomain.html#general-metadata), an administrator's display name for the domain, with the same pattern and weight.`,
}));

export const ROLE_RULES: readonly RoleRule[] = [...FIELD_RULES, ...TITLE_RULES];

/**
 * What the demo's VMs are, with the fields the real APIs fill: a share of the monitoring VMs on
 * vSphere are vendor appliances (Aria Operations, Log Insight: their OVF product, as
 * config.vAppConfig.product gives it, on VMware Photon OS), the firewalls are vendor appliances
 * (FortiGate-VM, PA-VM), one VM per vSphere 7+ cluster is a vCLS system VM (managedBy ESX Agent
 * Manager, "cluster-agent"), some vSphere VMs carry custom attributes (Owner, Cost center), and
 * libvirt domains a <title>. Drawn from a stream of their own, so the rest of the fleet is the same
 * as before; the VM count does not change (VMs are given identities, none are added).
 */
import { TEAMS } from "./catalogue";
import type { VmInput } from "./model";
import { Rng } from "./random";

type Product = NonNullable<VmInput["product"]>;

const product = (name: string, vendor: string, version: string, build: string, vendorUrl: string): Product => ({
  name,
  vendor,
  version,
  fullVersion: `${version} build-${build}`,
  productUrl: null,
  vendorUrl,
});

const MONITORING_APPLIANCES: Product[] = [
  product("vRealize Operations Manager Appliance", "VMware Inc.", "8.10.2.21178503", "21178503", "http://www.vmware.com"),
  product("VMware vRealize Log Insight", "VMware Inc.", "8.10.2", "21145187", "http://www.vmware.com"),
];

const FIREWALLS: Product[] = [
  product("FortiGate-VM64", "Fortinet Inc.", "7.2.8", "1639", "https://www.fortinet.com"),
  product("PA-VM", "Palo Alto Networks", "10.2.9", "h1", "https://www.paloaltonetworks.com"),
];

const VCLS_ANNOTATION =
  "vSphere Cluster Service VM is deployed from an OVA with a minimal installed profile of PhotonOS. " +
  "vSphere Cluster Service manages the resources, power state and availability of these VMs.";

const PHOTON = { guestOsId: "vmwarePhoton64Guest", guestOsConfigured: "VMware Photon OS (64-bit)", guestOsFamily: "linux" } as const;

/** The name's role fragment: "nw-mon-03" → "mon". */
const fragment = (name: string) => /-([a-z]+)-\d+(?:_old)?$/.exec(name)?.[1] ?? null;

/** Gives identities in place; `esxiMajor` says each vSphere cluster's ESXi major version (vCLS came with 7.0 U1). */
export function giveIdentities(seedText: string, vms: VmInput[], esxiMajor: (cluster: string) => number | null) {
  const rng = new Rng(`${seedText}|identities`);
  const vclsDone = new Set<string>();
  for (const vm of vms) {
    const esxi = vm.instanceUuid != null;
    const role = fragment(vm.name);
    if (!esxi) {
      // libvirt: virt-manager and OpenStack set a <title>; the demo gives one to some domains.
      if (!vm.template && rng.chance(0.3)) vm.title = `${role ?? "vm"} ${vm.name.split("-").at(-1)}`;
      continue;
    }
    if (role === "fw") {
      vm.product = rng.pick(FIREWALLS);
    } else if (role === "mon" && rng.chance(0.5)) {
      vm.product = rng.pick(MONITORING_APPLIANCES);
      Object.assign(vm, PHOTON, { guestOsReported: vm.guestOsReported ? "VMware Photon OS (64-bit)" : null });
    } else if (
      role === "batch" &&
      vm.cluster &&
      !vclsDone.has(vm.cluster) &&
      (esxiMajor(vm.cluster) ?? 0) >= 7 &&
      vm.powerState === "poweredOn"
    ) {
      vclsDone.add(vm.cluster);
      const uuid = vm.instanceUuid ?? vm.uuid ?? vm.externalId;
      Object.assign(vm, PHOTON, {
        name: `vCLS-${uuid}`,
        guestOsReported: "VMware Photon OS (64-bit)",
        vcpus: 1,
        coresPerSocket: 1,
        memoryMiB: 128,
        annotation: VCLS_ANNOTATION,
        managedBy: { extensionKey: "com.vmware.vim.eam", type: "cluster-agent" },
        folder: vm.folder ? vm.folder.replace(/\/vm\/.*$/, "/vm/vCLS") : null,
      });
      continue;
    }
    if (!vm.template && rng.chance(0.4)) {
      vm.attributes = { Owner: rng.pick(TEAMS), "Cost center": `CC-${rng.int(1000, 9999)}` };
    }
  }
}

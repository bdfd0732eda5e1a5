/**
 * Duplication waste.
 *
 * VMs: every VM carries its own OS. Per OS (family and version, from the footprint table of
 * parameters.ts), N copies duplicate N-1 footprints: RAM counts powered-on VMs only (one OS copy
 * each, never more than the VM's memory), disk counts every VM but templates (never more than what
 * the VM has provisioned). The copy kept is the largest. RAM is then netted of the page sharing the
 * hypervisor reports (TPS, KSM): each host's shared MiB is spread over the OS groups of its
 * powered-on VMs in proportion to their footprint there, never more than a group's duplicate.
 *
 * Containers: on each engine host, the bytes its images would take if each stored its own copy of
 * every layer, against the distinct layers it stores: the difference is what sharing saves
 * already. Across hosts, the same image (same image id) on N hosts of a customer stores N-1
 * copies too many.
 *
 * LXD system containers: an LXD image is one rootfs, no layers; the analogue of layer sharing is N
 * instances created from one image on one host (docs/domain.md#lxd-system-containers). On a storage
 * pool with optimised image storage (every driver but dir) they share one copy; on dir each holds
 * its own unpacked copy: N-1 copies beyond the one an optimised pool keeps.
 */
import { osNameOf } from "../inventory/os-identity";
import type { Inventory, InventoryVirtualMachine } from "./inventory";
import { compileFootprints, footprintOf, type CompiledFootprint, type Parameters } from "./parameters";

export interface OsWaste {
  customer: string;
  os: string;
  family: string;
  /** VMs (not templates) with this OS, and how many are powered on. */
  virtualMachines: number;
  poweredOn: number;
  footprintRamMiB: number;
  footprintDiskMiB: number;
  /** RAM of the duplicate copies before page sharing, the part sharing recovers, and what remains. */
  ramDuplicateMiB: number;
  ramSharedMiB: number;
  ramWasteMiB: number;
  diskWasteMiB: number;
  source: string;
}

export interface ImageDuplication {
  image: string;
  imageId: string;
  /** The row id of the first copy listed (its page: components/links.ts). */
  imageKey: string;
  customer: string;
  hosts: number;
  sizeBytes: number;
  duplicateBytes: number;
}

/** An LXD image and the system containers created from it on one host (their volatile.base_image). */
export interface ImageInstances {
  image: string;
  imageId: string;
  imageKey: string;
  customer: string;
  hostKey: string;
  /** System containers on the host created from the image. */
  instances: number;
  /** The image's size as LXD reports it (the compressed image: a lower bound of one unpacked copy). */
  sizeBytes: number;
  /** (instances - 1) × size: the copies a dir pool holds beyond the one a copy-on-write pool shares. */
  copyBytesOnDir: number;
}

export interface WasteTotals {
  virtualMachines: number;
  /** VMs whose OS matched no footprint (not counted as waste). */
  unknownOs: number;
  /**
   * Those VMs by the OS they name (tools, else configured, else id), "unknown" when none: an OS
   * named but without figures (Solaris: osinfo-db gives none) is said, not guessed or taken as Linux.
   */
  noFootprint: { os: string; virtualMachines: number }[];
  ramDuplicateMiB: number;
  ramSharedMiB: number;
  ramWasteMiB: number;
  diskWasteMiB: number;
  /** Image bytes if every image on a host stored its own layers, and as stored. */
  imageBytesUnshared: number;
  imageBytesStored: number;
  layerSharingSavedBytes: number;
  /** Bytes of the same image stored on more than one host. */
  crossHostDuplicateBytes: number;
  /** System containers created from an image another system container on its host shares. */
  systemContainersSharingImages: number;
  /** Sum of ImageInstances.copyBytesOnDir. */
  imageInstanceCopyBytes: number;
}

export interface WasteResult {
  byOs: OsWaste[];
  images: ImageDuplication[];
  /** LXD images with more than one system container created from them on one host, most copies first. */
  imageInstances: ImageInstances[];
  totals: WasteTotals;
}

interface VmCopy {
  vm: InventoryVirtualMachine;
  footprint: CompiledFootprint;
  ramMiB: number;
  diskMiB: number;
}

/** One OS copy of this VM: RAM when powered on (capped by its memory), disk (capped by what it has). */
export function osCopyOf(vm: InventoryVirtualMachine, footprint: CompiledFootprint) {
  return {
    ramMiB: vm.powerState === "poweredOn" ? Math.min(footprint.ramMiB, vm.memoryMiB) : 0,
    diskMiB: vm.provisionedMiB !== null ? Math.min(footprint.diskMiB, vm.provisionedMiB) : footprint.diskMiB,
  };
}

export function analyseWaste(inventory: Inventory, parameters: Parameters): WasteResult {
  const footprints = compileFootprints(parameters.osFootprints);
  const groups = new Map<string, { footprint: CompiledFootprint; copies: VmCopy[] }>();
  let unknownOs = 0;
  const noFootprint = new Map<string, number>();
  let counted = 0;
  for (const vm of inventory.virtualMachines) {
    if (vm.template) continue;
    counted++;
    const footprint = footprintOf(vm, footprints);
    if (!footprint) {
      unknownOs++;
      const os = osNameOf(vm) ?? "unknown";
      noFootprint.set(os, (noFootprint.get(os) ?? 0) + 1);
      continue;
    }
    // Copies are duplicates within one customer: customers never share a kernel.
    const id = `${vm.customer}\u0000${footprint.label}`;
    const group = groups.get(id) ?? { footprint, copies: [] };
    groups.set(id, group);
    group.copies.push({ vm, footprint, ...osCopyOf(vm, footprint) });
  }

  // Page sharing per host, spread over the OS groups of its powered-on VMs.
  const sharedByGroup = new Map<string, number>();
  const hostShare = new Map(
    inventory.hosts
      .filter((h) => (h.memorySharing === "tps" || h.memorySharing === "ksm") && h.memorySharedMiB !== null)
      .map((h) => [h.key, h.memorySharedMiB!]),
  );
  const ramByHostGroup = new Map<string, Map<string, number>>();
  for (const [label, group] of groups) {
    for (const copy of group.copies) {
      if (copy.ramMiB === 0 || !copy.vm.hostKey || !hostShare.has(copy.vm.hostKey)) continue;
      const perGroup = ramByHostGroup.get(copy.vm.hostKey) ?? new Map<string, number>();
      ramByHostGroup.set(copy.vm.hostKey, perGroup);
      perGroup.set(label, (perGroup.get(label) ?? 0) + copy.ramMiB);
    }
  }
  for (const [hostKey, perGroup] of ramByHostGroup) {
    const total = [...perGroup.values()].reduce((a, b) => a + b, 0);
    const shared = Math.min(hostShare.get(hostKey)!, total);
    for (const [label, ram] of perGroup) sharedByGroup.set(label, (sharedByGroup.get(label) ?? 0) + (shared * ram) / total);
  }

  const byOs: OsWaste[] = [];
  for (const [id, { footprint, copies }] of groups) {
    const ram = copies.map((c) => c.ramMiB);
    const disk = copies.map((c) => c.diskMiB);
    const ramDuplicateMiB = sum(ram) - max(ram);
    const diskWasteMiB = sum(disk) - max(disk);
    const ramSharedMiB = Math.min(ramDuplicateMiB, sharedByGroup.get(id) ?? 0);
    byOs.push({
      customer: copies[0]!.vm.customer,
      os: footprint.label,
      family: footprint.family,
      virtualMachines: copies.length,
      poweredOn: copies.filter((c) => c.vm.powerState === "poweredOn").length,
      footprintRamMiB: footprint.ramMiB,
      footprintDiskMiB: footprint.diskMiB,
      ramDuplicateMiB: round(ramDuplicateMiB),
      ramSharedMiB: round(ramSharedMiB),
      ramWasteMiB: round(ramDuplicateMiB - ramSharedMiB),
      diskWasteMiB: round(diskWasteMiB),
      source: footprint.source,
    });
  }
  byOs.sort((a, b) => a.customer.localeCompare(b.customer) || b.ramWasteMiB + b.diskWasteMiB - (a.ramWasteMiB + a.diskWasteMiB) || a.os.localeCompare(b.os));

  // Layers shared on each host.
  let unshared = 0;
  let stored = 0;
  const imagesByHost = new Map<string, typeof inventory.images>();
  for (const image of inventory.images) {
    const list = imagesByHost.get(image.hostKey) ?? [];
    imagesByHost.set(image.hostKey, list);
    list.push(image);
  }
  for (const images of imagesByHost.values()) {
    const distinct = new Map<string, number>();
    for (const image of images) {
      if (image.layers.length === 0) {
        unshared += image.sizeBytes;
        stored += image.sizeBytes;
        continue;
      }
      for (const layer of image.layers) {
        unshared += layer.sizeBytes;
        distinct.set(layer.digest, layer.sizeBytes);
      }
    }
    stored += sum([...distinct.values()]);
  }

  // The same image on several hosts of one customer.
  const sameImage = new Map<string, ImageDuplication>();
  const hostsOf = new Map<string, Set<string>>();
  for (const image of inventory.images) {
    const id = `${image.customer}\u0000${imageIdentity(image)}`;
    const hosts = hostsOf.get(id) ?? new Set<string>();
    hostsOf.set(id, hosts.add(image.hostKey));
    const entry = sameImage.get(id);
    if (entry) entry.hosts = hosts.size;
    else
      sameImage.set(id, {
        image: image.repoTags[0] ?? image.repoDigests[0] ?? image.externalId,
        imageId: image.externalId,
        imageKey: image.key,
        customer: image.customer,
        hosts: 1,
        sizeBytes: image.sizeBytes,
        duplicateBytes: 0,
      });
  }
  // System containers created from one image on one host (the layer-sharing analogue).
  const imageOf = new Map(inventory.images.map((i) => [i.key, i]));
  const instancesOf = new Map<string, number>();
  for (const c of inventory.containers) {
    if (!c.systemContainer || c.imageKey === null || !imageOf.has(c.imageKey)) continue;
    instancesOf.set(c.imageKey, (instancesOf.get(c.imageKey) ?? 0) + 1);
  }
  const imageInstances: ImageInstances[] = [...instancesOf]
    .filter(([, n]) => n > 1)
    .map(([key, instances]) => {
      const image = imageOf.get(key)!;
      return {
        image: image.repoTags[0] ?? image.externalId,
        imageId: image.externalId,
        imageKey: key,
        customer: image.customer,
        hostKey: image.hostKey,
        instances,
        sizeBytes: image.sizeBytes,
        copyBytesOnDir: (instances - 1) * image.sizeBytes,
      };
    })
    .sort((a, b) => b.copyBytesOnDir - a.copyBytesOnDir || a.image.localeCompare(b.image));

  const images = [...sameImage.values()].filter((i) => i.hosts > 1);
  for (const i of images) i.duplicateBytes = (i.hosts - 1) * i.sizeBytes;
  images.sort((a, b) => b.duplicateBytes - a.duplicateBytes || a.image.localeCompare(b.image));

  return {
    byOs,
    images,
    imageInstances,
    totals: {
      virtualMachines: counted,
      unknownOs,
      noFootprint: [...noFootprint].map(([os, virtualMachines]) => ({ os, virtualMachines })).sort((a, b) => b.virtualMachines - a.virtualMachines || a.os.localeCompare(b.os)),
      ramDuplicateMiB: round(sum(byOs.map((o) => o.ramDuplicateMiB))),
      ramSharedMiB: round(sum(byOs.map((o) => o.ramSharedMiB))),
      ramWasteMiB: round(sum(byOs.map((o) => o.ramWasteMiB))),
      diskWasteMiB: round(sum(byOs.map((o) => o.diskWasteMiB))),
      imageBytesUnshared: unshared,
      imageBytesStored: stored,
      layerSharingSavedBytes: unshared - stored,
      crossHostDuplicateBytes: sum(images.map((i) => i.duplicateBytes)),
      systemContainersSharingImages: sum(imageInstances.map((i) => i.instances)),
      imageInstanceCopyBytes: sum(imageInstances.map((i) => i.copyBytesOnDir)),
    },
  };
}

/**
 * What makes two images on different hosts the same image: its registry digest, else its layer
 * chain, else its id (Docker's image id is the digest of its config, the same on every host). An
 * LXD image's digest is its fingerprint, "sha256:<fingerprint>" without a repository (its id on a
 * cluster member is "<member>:<fingerprint>").
 */
export function imageIdentity(image: { externalId: string; repoDigests: string[]; layers: { digest: string }[] }): string {
  const digest = image.repoDigests.map((d) => (d.includes("@") ? d.split("@")[1] : /^sha256:[0-9a-f]+$/.test(d) ? d : undefined)).find((d) => d !== undefined);
  if (digest) return `digest:${digest}`;
  if (image.layers.length > 0) return `layers:${image.layers.map((l) => l.digest).join(",")}`;
  return `id:${image.externalId}`;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const max = (values: number[]) => values.reduce((a, b) => Math.max(a, b), 0);
const round = (n: number) => Math.round(n * 100) / 100;

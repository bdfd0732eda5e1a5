/**
 * One object's page: a host, a virtual machine, a container or an image of one customer. Each
 * answer holds the object's stored properties (in the field's words), its place in the topology
 * (host → VM → engine host → container, and an image's layers shared with other images), the
 * breadcrumbs, and what the analyses say of it (role and evidence, findings, verdict with reasons
 * and saving, guest discovery, measured use), taken from the customer's cached analysis
 * (server/analysis/load.ts) and the table rows built from it (server/analysis/views.ts), never
 * recomputed here. An object of another customer, or of a customer out of scope, is NOT_FOUND.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Database } from "../../db/client";
import type { Analysis } from "../../analysis";
import { customerAnalysis } from "../../analysis/load";
import { ISOLATION_LEVEL_LABEL } from "../../analysis/isolation";
import { findingFilterSchema, findingList, verdictRowOf } from "../../analysis/views";
import { createTRPCRouter, customerProcedure } from "../trpc";

const objectInput = z.object({ id: z.uuid() });

/** One stored property as the page shows it; `unit` tells the page how to format the value. */
export interface ObjectProperty {
  label: string;
  value: string | number | boolean | string[] | null;
  unit?: "MiB" | "bytes" | "date";
}

export type CrumbKind = "customer" | "cluster" | "host" | "vm" | "container" | "image";
/** A step of the breadcrumbs; `id` null for a step without a page of its own (a cluster). */
export interface Crumb {
  kind: CrumbKind;
  id: string | null;
  name: string;
}

/** A collection run of the object's source, as the history lists it. */
export interface RunRef {
  id: string;
  startedAt: Date;
  finishedAt: Date | null;
  trigger: string;
}

const notFound = (what: string) => new TRPCError({ code: "NOT_FOUND", message: `no such ${what}` });

const prop = (label: string, value: ObjectProperty["value"] | Date | undefined, unit?: ObjectProperty["unit"]): ObjectProperty => {
  const v = value instanceof Date ? value.toISOString() : (value ?? null);
  return unit ? { label, value: v, unit } : { label, value: v };
};

const num = (v: bigint | null | undefined) => (v === null || v === undefined ? null : Number(v));

/** An image's name: its first tag, else its id without the algorithm, shortened. */
export function imageName(image: { repoTags: string[]; externalId: string }): string {
  return image.repoTags[0] ?? image.externalId.replace(/^sha256:/, "").slice(0, 12);
}

/**
 * Where the object came from and when: its source, first seen and last changed (stored by ingest),
 * the runs whose ingest wrote those times (a run's ingest falls between its start and its end), and
 * the source's newest successful collection.
 */
async function historyOf(
  database: Database,
  object: { sourceId: string; firstSeenAt: Date; updatedAt: Date; source: { id: string; name: string; kind: string } },
) {
  const source = { id: object.source.id, name: object.source.name, kind: object.source.kind };
  const select = { id: true, startedAt: true, finishedAt: true, trigger: true } as const;
  const runAt = (at: Date) =>
    database.prisma.collectionRun.findFirst({
      where: { sourceId: object.sourceId, status: "succeeded", startedAt: { lte: at }, finishedAt: { gte: at } },
      orderBy: { startedAt: "desc" },
      select,
    });
  const [addedBy, changedBy, lastCollected] = await Promise.all([
    runAt(object.firstSeenAt),
    runAt(object.updatedAt),
    database.prisma.collectionRun.findFirst({ where: { sourceId: object.sourceId, status: "succeeded" }, orderBy: { finishedAt: "desc" }, select }),
  ]);
  return {
    source,
    firstSeenAt: object.firstSeenAt,
    updatedAt: object.updatedAt,
    addedBy: addedBy as RunRef | null,
    changedBy: changedBy as RunRef | null,
    lastCollected: lastCollected as RunRef | null,
  };
}

/** The object's findings, as the findings table shows them. */
function findingsOf(analysis: Analysis, key: string) {
  const list = findingList(analysis, findingFilterSchema.parse({}), key);
  return list.slice(0, list.total);
}

/** The object's verdict, as the verdicts table shows it (null: no verdict, e.g. a template). */
function verdictOf(analysis: Analysis, key: string) {
  return verdictRowOf(analysis, key);
}

const customerCrumb = (customer: { id: string; name: string }): Crumb => ({ kind: "customer", id: customer.id, name: customer.name });

/** customer → cluster? → hypervisor host, for a host or a VM's host. */
function hostCrumbs(customer: { id: string; name: string }, host: { id: string; name: string; cluster: string | null }): Crumb[] {
  return [customerCrumb(customer), ...(host.cluster ? [{ kind: "cluster" as const, id: null, name: host.cluster }] : []), { kind: "host", id: host.id, name: host.name }];
}

type CrumbVm = { id: string; name: string; cluster: string | null; host: { id: string; name: string; cluster: string | null } | null };

/** customer → (hypervisor host, else the VM's cluster) → VM. */
function vmCrumbs(customer: { id: string; name: string }, vm: CrumbVm): Crumb[] {
  const above = vm.host ? hostCrumbs(customer, vm.host) : [customerCrumb(customer), ...(vm.cluster ? [{ kind: "cluster" as const, id: null, name: vm.cluster }] : [])];
  return [...above, { kind: "vm", id: vm.id, name: vm.name }];
}

/** The crumbs down to an engine host: through the VM it is and that VM's hypervisor when linked. */
function engineCrumbs(customer: { id: string; name: string }, engine: { id: string; name: string; cluster: string | null; vm: CrumbVm | null }): Crumb[] {
  if (!engine.vm) return hostCrumbs(customer, engine);
  return [...vmCrumbs(customer, engine.vm), { kind: "host", id: engine.id, name: engine.name }];
}

/** The object, if its source is the customer's (the scope check: another customer's id is not found). */
const ofCustomer = (input: { id: string; customerId: string }) => ({ id: input.id, source: { customerId: input.customerId } });

/** The object's source, for its history, and the customer, for its crumbs: read with the object. */
const sourceWithCustomer = { select: { id: true, name: true, kind: true, customer: { select: { id: true, name: true } } } } as const;

const ROLE_WORDS = { hypervisor: "hypervisor", container_engine: "container-engine" } as const;

const linkedVm = {
  select: {
    id: true,
    name: true,
    cluster: true,
    powerState: true,
    host: { select: { id: true, name: true, cluster: true } },
  },
} as const;

export const objectsRouter = createTRPCRouter({
  /** A hypervisor or container-engine host: its VMs, the VM it is, its containers and images. */
  host: customerProcedure.input(objectInput).query(async ({ ctx, input }) => {
    const host = await ctx.database.prisma.host.findFirst({
      where: ofCustomer(input),
      include: {
        source: sourceWithCustomer,
        vm: linkedVm,
        virtualMachines: {
          select: { id: true, name: true, powerState: true, template: true, vcpus: true, memoryMiB: true, guestOsConfigured: true },
          orderBy: [{ name: "asc" }, { id: "asc" }],
        },
        containers: { select: { id: true, name: true, state: true, image: true, imageId: true }, orderBy: [{ name: "asc" }, { id: "asc" }] },
        images: { select: { id: true, repoTags: true, externalId: true, sizeBytes: true }, orderBy: [{ id: "asc" }] },
      },
    });
    if (!host) throw notFound("host");
    const customer = host.source.customer;
    const { analysis } = await customerAnalysis(ctx.database, input.customerId);
    const role = ROLE_WORDS[host.role];
    return {
      kind: "host" as const,
      id: host.id,
      name: host.name,
      customer,
      role,
      properties: [
        prop("Role", role),
        prop("Platform", host.platform),
        prop("Product", [host.productName, host.productVersion].filter(Boolean).join(" ") || null),
        prop("Build", host.productBuild),
        prop("API version", host.apiVersion),
        prop("Vendor", host.vendor),
        prop("Model", host.model),
        prop("CPU model", host.cpuModel),
        prop("CPU sockets", host.cpuSockets),
        prop("CPU cores", host.cpuCores),
        prop("CPU threads", host.cpuThreads),
        prop("CPU MHz", host.cpuMhz),
        prop("Memory", host.memoryMiB, "MiB"),
        prop("Memory sharing", host.memorySharing),
        prop("Memory shared", host.memorySharedMiB, "MiB"),
        prop("Operating system", host.osName),
        prop("Kernel", host.kernelVersion),
        prop("Datacenter", host.datacenter),
        prop("Cluster", host.cluster),
        prop("DRS", host.drsEnabled),
        prop("DPM", host.dpmEnabled),
        prop("Connection state", host.connectionState),
        prop("Power state", host.powerState),
        prop("Hardware UUID", host.hardwareUuid),
        prop("Hostname", host.hostname),
        prop("IP addresses", host.ipAddresses),
        prop("MAC addresses", host.macAddresses),
        prop("Runtimes", host.runtimes),
        prop("Default runtime", host.defaultRuntime),
        prop("Security options", host.securityOptions),
        prop("Cgroup driver", host.cgroupDriver),
        prop("Cgroup version", host.cgroupVersion),
        prop("Rootless", host.role === "container_engine" ? host.rootless : null),
        prop("Daemon no-new-privileges", host.daemonNoNewPrivileges),
        prop("Booted", host.bootedAt, "date"),
        prop("Local disks", host.localDiskMiB, "MiB"),
      ],
      breadcrumbs: engineCrumbs(customer, host),
      topology: {
        /** The VM this engine host is (matched by uuid, MAC or hostname), and that VM's hypervisor. */
        vm: host.vm ? { id: host.vm.id, name: host.vm.name, powerState: host.vm.powerState, host: host.vm.host ? { id: host.vm.host.id, name: host.vm.host.name } : null } : null,
        vmLinkKey: host.vmLinkKey,
        virtualMachines: host.virtualMachines,
        containers: host.containers,
        images: host.images.map((i) => ({ id: i.id, name: imageName(i), sizeBytes: Number(i.sizeBytes) })),
      },
      density: analysis.density.hosts.find((h) => h.hostKey === host.id) ?? null,
      use: analysis.utilisation.hosts.find((h) => h.hostKey === host.id) ?? null,
      posture: analysis.isolation.hosts.find((h) => h.hostKey === host.id) ?? null,
      findings: findingsOf(analysis, host.id),
      history: await historyOf(ctx.database, host),
    };
  }),

  /** A virtual machine: its hypervisor, the engine host it is and that host's containers; role, verdict, guest, use. */
  vm: customerProcedure.input(objectInput).query(async ({ ctx, input }) => {
    const vm = await ctx.database.prisma.virtualMachine.findFirst({
      where: ofCustomer(input),
      include: {
        source: sourceWithCustomer,
        host: { select: { id: true, name: true, cluster: true } },
        disks: { orderBy: { key: "asc" } },
        engineHosts: {
          select: {
            id: true,
            name: true,
            vmLinkKey: true,
            platform: true,
            containers: { select: { id: true, name: true, state: true, image: true, imageId: true }, orderBy: [{ name: "asc" }, { id: "asc" }] },
          },
          orderBy: { name: "asc" },
        },
      },
    });
    if (!vm) throw notFound("virtual machine");
    const customer = vm.source.customer;
    const { analysis } = await customerAnalysis(ctx.database, input.customerId);
    const template = analysis.migration.templates.find((t) => t.key === vm.id) ?? null;
    const guest = analysis.guests.guests.find((g) => g.vmKey === vm.id) ?? null;
    return {
      kind: "vm" as const,
      id: vm.id,
      name: vm.name,
      customer,
      properties: [
        prop("Power state", vm.powerState),
        prop("Template", vm.template),
        prop("vCPUs", vm.vcpus),
        prop("Cores per socket", vm.coresPerSocket),
        prop("Memory", vm.memoryMiB, "MiB"),
        prop("Active memory", vm.memoryActiveMiB, "MiB"),
        prop("Ballooned memory", vm.memoryBalloonedMiB, "MiB"),
        prop("Provisioned", vm.provisionedMiB, "MiB"),
        prop("Used", vm.usedMiB, "MiB"),
        prop("Guest OS (configured)", vm.guestOsConfigured),
        prop("Guest OS (reported)", vm.guestOsReported),
        prop("Guest OS id", vm.guestOsId),
        prop("OS family", vm.guestOsFamily),
        prop("Hostname", vm.hostname),
        prop("IP addresses", vm.ipAddresses),
        prop("MAC addresses", vm.macAddresses),
        prop("UUID", vm.uuid),
        prop("Instance UUID", vm.instanceUuid),
        prop("Datacenter", vm.datacenter),
        prop("Cluster", vm.cluster),
        prop("Folder", vm.folder),
        prop("Resource pool", vm.resourcePool),
        prop("Title", vm.title),
        prop("Annotation", vm.annotation),
        prop("Tags", vm.tags),
        prop("Tools status", vm.toolsStatus),
        prop("Tools version", vm.toolsVersion),
        prop("Hardware version", vm.hardwareVersion),
        prop("Snapshots", vm.snapshotCount),
        prop("Oldest snapshot", vm.snapshotOldestAt, "date"),
        prop("Snapshot size", vm.snapshotSizeMiB, "MiB"),
        prop("Booted", vm.bootedAt, "date"),
        prop("Template last used", vm.template ? vm.templateLastUsedAt : null, "date"),
        prop("Changed block tracking", vm.cbtEnabled),
        prop("Consolidation needed", vm.consolidationNeeded),
        prop("PCI passthrough", vm.passthrough),
        prop("SR-IOV", vm.sriov),
        prop("USB controller", vm.usbController),
        prop("vTPM", vm.tpm),
        prop("CPU hot add", vm.cpuHotAdd),
        prop("Memory hot add", vm.memoryHotAdd),
        prop("CPU affinity", vm.cpuAffinity),
        prop("Raw device mapping", vm.rdmDisk),
        prop("Shared disk", vm.sharedDisk),
        prop("Fault tolerance", vm.faultTolerance),
      ],
      disks: vm.disks.map((d) => ({ key: d.key, label: d.label, capacityMiB: d.capacityMiB, thin: d.thin, mode: d.mode, rdm: d.rdm, sharing: d.sharing, datastore: d.datastore })),
      breadcrumbs: vmCrumbs(customer, vm),
      topology: {
        host: vm.host ? { id: vm.host.id, name: vm.host.name, cluster: vm.host.cluster } : null,
        /** The container-engine hosts this VM is (the topology link), with their containers. */
        engineHosts: vm.engineHosts,
      },
      verdict: verdictOf(analysis, vm.id),
      /** A template is no workload: no verdict, its role's evidence here. */
      template: template ? { roleEvidence: template.roleEvidence } : null,
      findings: findingsOf(analysis, vm.id),
      guest,
      /** A Linux VM (not a template) guest discovery has not read: its fit rests on configuration alone. */
      guestDiscoveryMissing: guest === null && vm.guestOsFamily === "linux" && !vm.template,
      use: (() => {
        const use = analysis.utilisation.vms.find((v) => v.vmKey === vm.id);
        if (!use) return null;
        const { findings: _findings, ...rest } = use;
        return rest;
      })(),
      history: await historyOf(ctx.database, vm),
    };
  }),

  /** A container: its engine host, the VM that host is and its hypervisor, its image; verdict and posture. */
  container: customerProcedure.input(objectInput).query(async ({ ctx, input }) => {
    const container = await ctx.database.prisma.container.findFirst({
      where: ofCustomer(input),
      include: {
        source: sourceWithCustomer,
        host: { select: { id: true, name: true, cluster: true, platform: true, vmLinkKey: true, vm: linkedVm } },
        imageRecord: { select: { id: true, repoTags: true, externalId: true, sizeBytes: true } },
        mounts: { orderBy: { position: "asc" } },
        ports: { orderBy: { position: "asc" } },
      },
    });
    if (!container) throw notFound("container");
    const customer = container.source.customer;
    const { analysis } = await customerAnalysis(ctx.database, input.customerId);
    const posture = analysis.isolation.containers.find((c) => c.key === container.id) ?? null;
    const c = container;
    const engine = c.host;
    return {
      kind: "container" as const,
      id: c.id,
      name: c.name,
      customer,
      properties: [
        prop("Image", c.image),
        prop("State", c.state),
        prop("Status", c.status),
        prop("Created", c.createdAt, "date"),
        prop("Started", c.startedAt, "date"),
        prop("Runtime", c.runtime),
        prop("Command", c.command),
        prop("Privileged", c.privileged),
        prop("User", c.user),
        prop("Capabilities added", c.capAdd),
        prop("Capabilities dropped", c.capDrop),
        prop("Network mode", c.networkMode),
        prop("PID mode", c.pidMode),
        prop("IPC mode", c.ipcMode),
        prop("UTS mode", c.utsMode),
        prop("User namespace mode", c.usernsMode),
        prop("Security options", c.securityOptions),
        prop("Seccomp profile", c.seccompProfile),
        prop("AppArmor profile", c.apparmorProfile),
        prop("No new privileges", c.noNewPrivileges),
        prop("Read-only root filesystem", c.readOnlyRootfs),
        prop("Memory limit", num(c.memoryLimitBytes) || null, "bytes"),
        prop("Memory reservation", num(c.memoryReservationBytes) || null, "bytes"),
        prop("CPUs", c.nanoCpus > 0n ? Number(c.nanoCpus) / 1e9 : null),
        prop("CPU shares", c.cpuShares || null),
        prop("CPU set", c.cpusetCpus),
        prop("PIDs limit", num(c.pidsLimit)),
        prop("Restart policy", c.restartPolicy),
        prop("Health", c.health),
        prop("Devices", c.devices),
        prop("Links", c.links),
        prop("Labels", Object.entries((c.labels ?? {}) as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`)),
        // An LXD/Incus system container: the configuration its own rules read (LXD's security documentation).
        ...(c.systemContainer
          ? [
              prop("System container", true),
              prop("Project", c.project),
              prop("Profiles", c.profiles),
              prop("Nesting (security.nesting)", c.nesting),
              prop("Isolated idmap (security.idmap.isolated)", c.idmapIsolated),
              prop("raw.lxc", c.rawLxc),
              prop("raw.idmap", c.rawIdmap),
              prop("Root disk's storage driver", c.storageDriver),
              prop("Snapshots", c.snapshotCount),
            ]
          : []),
      ],
      /** LXD/Incus system container: its posture is read by LXD's rules, not the CIS Docker Benchmark's. */
      systemContainer: c.systemContainer,
      mounts: c.mounts.map((m) => ({ type: m.type, source: m.source, destination: m.destination, readOnly: m.readOnly })),
      ports: c.ports.map((p) => ({ containerPort: p.containerPort, protocol: p.protocol, hostIp: p.hostIp, hostPort: p.hostPort })),
      breadcrumbs: [...engineCrumbs(customer, engine), { kind: "container" as const, id: c.id, name: c.name }],
      topology: {
        engineHost: { id: engine.id, name: engine.name, platform: engine.platform, vmLinkKey: engine.vmLinkKey },
        vm: engine.vm ? { id: engine.vm.id, name: engine.vm.name, powerState: engine.vm.powerState } : null,
        hypervisor: engine.vm?.host ? { id: engine.vm.host.id, name: engine.vm.host.name } : null,
        image: c.imageRecord ? { id: c.imageRecord.id, name: imageName(c.imageRecord), sizeBytes: Number(c.imageRecord.sizeBytes) } : null,
      },
      verdict: verdictOf(analysis, c.id),
      posture: posture
        ? { level: posture.level, levelLabel: ISOLATION_LEVEL_LABEL[posture.level], score: posture.score, scored: posture.scored, unscoredReason: posture.unscoredReason, tenant: posture.tenant }
        : null,
      findings: findingsOf(analysis, c.id),
      history: await historyOf(ctx.database, c),
    };
  }),

  /** An image: its engine host, the containers using it, its layers and the other images that share each. */
  image: customerProcedure.input(objectInput).query(async ({ ctx, input }) => {
    const image = await ctx.database.prisma.image.findFirst({
      where: ofCustomer(input),
      include: {
        source: sourceWithCustomer,
        host: { select: { id: true, name: true, cluster: true, vm: linkedVm } },
        containers: { select: { id: true, name: true, state: true }, orderBy: [{ name: "asc" }, { id: "asc" }] },
      },
    });
    if (!image) throw notFound("image");
    const customer = image.source.customer;
    // Each layer with the customer's other images holding the same digest (on this engine: shared
    // storage; on another engine: a second copy of the same bytes).
    const { rows: layers } = await ctx.database.pool.query<{
      position: number;
      digest: string;
      size_bytes: string;
      shared: { id: string; repoTags: string[]; externalId: string; hostId: string; hostName: string }[];
    }>(
      `SELECT il.position, l.digest, l.size_bytes::text,
              coalesce(json_agg(json_build_object('id', i2.id, 'repoTags', i2.repo_tags, 'externalId', i2.external_id,
                                                  'hostId', h2.id, 'hostName', h2.name) ORDER BY h2.name, i2.id)
                         FILTER (WHERE i2.id IS NOT NULL), '[]') AS shared
         FROM image_layer il
         JOIN layer l ON l.id = il.layer_id
         LEFT JOIN (layer l2 JOIN source s2 ON s2.id = l2.source_id AND s2.customer_id = $2
                    JOIN image_layer il2 ON il2.layer_id = l2.id
                    JOIN image i2 ON i2.id = il2.image_id
                    JOIN host h2 ON h2.id = i2.host_id)
                ON l2.digest = l.digest AND i2.id <> il.image_id
        WHERE il.image_id = $1
        GROUP BY il.position, l.digest, l.size_bytes
        ORDER BY il.position`,
      [image.id, input.customerId],
    );
    const name = imageName(image);
    const duplication = (await customerAnalysis(ctx.database, input.customerId)).analysis.waste.images.find(
      (d) => d.imageId === image.externalId,
    );
    const sharedImages = new Map<string, { id: string; name: string; hostName: string; sameHost: boolean; layers: number; bytes: number }>();
    for (const layer of layers) {
      for (const other of layer.shared) {
        const entry = sharedImages.get(other.id) ?? { id: other.id, name: imageName(other), hostName: other.hostName, sameHost: other.hostId === image.hostId, layers: 0, bytes: 0 };
        entry.layers++;
        entry.bytes += Number(layer.size_bytes);
        sharedImages.set(other.id, entry);
      }
    }
    return {
      kind: "image" as const,
      id: image.id,
      name,
      customer,
      properties: [
        prop("Id", image.externalId),
        prop("Tags", image.repoTags),
        prop("Digests", image.repoDigests),
        prop("Size", Number(image.sizeBytes), "bytes"),
        prop("Created", image.createdAt, "date"),
        prop("OS", image.os),
        prop("Architecture", image.architecture),
        prop("Health check", image.healthcheck),
      ],
      breadcrumbs: [...engineCrumbs(customer, image.host), { kind: "image" as const, id: image.id, name }],
      topology: {
        engineHost: { id: image.host.id, name: image.host.name },
        containers: image.containers,
        layers: layers.map((l) => ({
          position: l.position,
          digest: l.digest,
          sizeBytes: Number(l.size_bytes),
          sharedWith: l.shared.map((o) => ({ id: o.id, name: imageName(o), hostName: o.hostName, sameHost: o.hostId === image.hostId })),
        })),
        /** The other images holding any of its layers, most bytes in common first. */
        sharedImages: [...sharedImages.values()].sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name)),
      },
      /** The same image stored on more than one engine host (waste analysis), if it is. */
      duplication: duplication ? { hosts: duplication.hosts, duplicateBytes: duplication.duplicateBytes } : null,
      history: await historyOf(ctx.database, image),
    };
  }),
});

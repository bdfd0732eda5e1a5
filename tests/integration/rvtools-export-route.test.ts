/**
 * The RVTools workbook route (GET /api/export/<customerId>/rvtools) against real Postgres: a
 * customer with a vSphere source (the vSphere collector's normalised fixture), a libvirt-like
 * source and a docker host is exported by an engineer; the workbook, read back through
 * openRvtoolsExport and the importer's builder, gives the same VMs (name, UUID, vCPUs, memory,
 * disks, power state, host) and hosts, each source under its own vCenter; containers are left out
 * and counted in the audit entry. The six kinds of caller; a formula-looking VM name stays a text
 * cell; nothing is left in the temporary directory after a download or a cancelled one; an RVTools
 * import of the export exports again under the same vCenter UUIDs.
 */
import { mkdir, mkdtemp, readdir, readlink, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import yauzl from "yauzl";
import { createApiToken } from "../../server/auth/tokens";
import { createUser } from "../../server/auth/users";
import { createRvtoolsBuilder } from "../../server/collectors/rvtools/normalise";
import { openRvtoolsExport } from "../../server/collectors/rvtools/read";
import { readObjectContent, type ObjectContent } from "../../server/collectors/vsphere/client";
import {
  emptyInventory,
  readComputeResource,
  readDatacenter,
  readDatastore,
  readFolder,
  readHost,
  readResourcePool,
  readVirtualMachine,
  toSnapshot,
  type VsphereInventory,
} from "../../server/collectors/vsphere/normalise";
import { parseXml } from "../../server/collectors/vsphere/xml";
import { rvtoolsFilename, rvtoolsWorkbookResponse, TEMP_PREFIX, XLSX_CONTENT_TYPE } from "../../server/export/rvtools/download";
import { asImported, loadRvtoolsExport, rvtoolsScope, vcenterOfEndpoint } from "../../server/export/rvtools/load";
import { pseudoVcenterUuid } from "../../server/export/rvtools/tabs";
import { applySnapshot } from "../../server/inventory/ingest";
import { parseSnapshot, type Snapshot, type SnapshotInput } from "../../server/inventory/snapshot";
import { smallSnapshot } from "../fixtures/snapshots";
import { fixture } from "../fixtures/vsphere/replay";
import { createTestDatabase, type TestDatabase } from "./db";

const route = () => import("../../app/api/export/[customerId]/rvtools/route");

let t: TestDatabase;
let dir: string;
const ids: Record<string, string> = {};
const HOSTILE = '=HYPERLINK("http://x","y")';

function vsphereSnapshot(): Snapshot {
  const about = { name: "", fullName: "", version: "", build: "", apiType: "VirtualCenter", apiVersion: "6.5", instanceUuid: null };
  const inventory: VsphereInventory = emptyInventory(about);
  const read: [string, (i: VsphereInventory, o: ObjectContent) => void][] = [
    ["retrieve-datacenters.xml", readDatacenter],
    ["retrieve-folders.xml", readFolder],
    ["retrieve-compute-resources.xml", readComputeResource],
    ["retrieve-resource-pools.xml", readResourcePool],
    ["retrieve-hosts.xml", readHost],
    ["retrieve-datastores.xml", readDatastore],
    ["retrieve-vms-page1.xml", readVirtualMachine],
    ["retrieve-vms-page2.xml", readVirtualMachine],
  ];
  for (const [file, reader] of read) {
    const returnval = parseXml(fixture(file)).children[0]!.children[0]!.children[0]!;
    for (const object of returnval.children.filter((c) => c.name === "objects").map(readObjectContent)) reader(inventory, object);
  }
  return parseSnapshot(toSnapshot(inventory, "2026-01-02T03:04:05.000Z"));
}

/** Two KVM hosts; a paused VM without a BIOS UUID and with virtio and SCSI disks; a VM with a formula for a name. */
function libvirtSnapshot(): Snapshot {
  return parseSnapshot({
    collectedAt: "2026-03-04T05:06:07.000Z",
    hosts: [
      { externalId: "kvm1", name: "kvm1.lab", role: "hypervisor", platform: "kvm", cpuCores: 16, cpuThreads: 32, cpuSockets: 2, memoryMiB: 65536, productName: "QEMU/KVM", productVersion: "8.2.2" },
      { externalId: "kvm2", name: "kvm2.lab", role: "hypervisor", platform: "kvm", cpuCores: 8, memoryMiB: 32768 },
    ],
    virtualMachines: [
      {
        externalId: "5a5a5a5a-0000-1111-2222-333344445555",
        name: "db01",
        hostExternalId: "kvm1",
        instanceUuid: "5a5a5a5a-0000-1111-2222-333344445555",
        powerState: "paused",
        vcpus: 6,
        coresPerSocket: 3,
        memoryMiB: 12288,
        macAddresses: ["52:54:00:aa:bb:cc"],
        ipAddresses: ["10.0.0.5"],
        disks: [
          { key: "vda", label: "vda", capacityMiB: 20480, thin: true, path: "/var/lib/libvirt/images/db01.qcow2", format: "qcow2", bus: "virtio" },
          { key: "sda", label: "sda", capacityMiB: 1024, path: "/dev/mapper/lun1", bus: "scsi" },
        ],
        guestFilesystems: [{ path: "/", capacityMiB: 20000, freeMiB: 5000, diskKey: "vda" }],
        guestDiskCapacityMiB: 20000,
        guestDiskFreeMiB: 5000,
      },
      {
        externalId: "6b6b6b6b-0000-1111-2222-333344445555",
        name: HOSTILE,
        hostExternalId: "kvm2",
        uuid: "6b6b6b6b-0000-1111-2222-333344445555",
        powerState: "poweredOff",
        vcpus: 1,
        memoryMiB: 512,
        annotation: "@SUM(1+1)",
        disks: [{ key: "vdb", capacityMiB: null, bus: "virtio" }],
      },
    ],
  });
}

/** A docker host that is no VM of this customer: its engine host, containers and images. */
function dockerSnapshot(): SnapshotInput {
  const small = smallSnapshot();
  return { ...small, hosts: small.hosts!.filter((h) => h.role === "container-engine"), virtualMachines: [] };
}

async function addSource(customerId: string, kind: "vsphere" | "libvirt" | "docker" | "rvtools", name: string, endpoint: string, snapshot: unknown) {
  const source = await t.prisma.source.create({ data: { customerId, kind, name, endpoint } });
  await applySnapshot(source.id, snapshot, { database: t });
  return source.id;
}

/** An API token of a new user with this role and these customers. */
async function bearer(label: string, role: "viewer" | "engineer" | "admin", customerIds: string[]): Promise<Record<string, string>> {
  const user = await createUser(t, { email: `${label.toLowerCase()}@example.com`, name: label, password: "long-enough-password", role, allCustomers: role === "admin", customerIds });
  return { authorization: `Bearer ${(await createApiToken(t, user.id, "rvtools export test")).token}` };
}

async function get(customerId: string, headers: Record<string, string>): Promise<Response> {
  const { GET } = await route();
  return GET(new Request(`http://localhost:3000/api/export/${customerId}/rvtools`, { headers }), { params: Promise.resolve({ customerId }) });
}

/** The workbook read back through the reader and the importer's builder. */
async function importWorkbook(bytes: Buffer, name: string): Promise<Snapshot> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  const opened = await openRvtoolsExport(file);
  try {
    const builder = createRvtoolsBuilder({ collectedAt: "2026-12-01T00:00:00.000Z" });
    for (const tab of opened.tabs) await builder.addTab(tab);
    return parseSnapshot(builder.finish().snapshot);
  } finally {
    await opened.close();
  }
}

function unzip(buffer: Buffer): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      const out = new Map<string, string>();
      zip.on("entry", (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e) return reject(e);
          const parts: Buffer[] = [];
          stream.on("data", (c: Buffer) => parts.push(c));
          stream.on("end", () => {
            out.set(entry.fileName, Buffer.concat(parts).toString("utf8"));
            zip.readEntry();
          });
        });
      });
      zip.on("end", () => resolve(out));
      zip.on("error", reject);
      zip.readEntry();
    });
  });
}

/** What the round trip must keep of a VM, comparable across snapshots (UUIDs lower case, disks by key). */
function vmFacts(s: Snapshot) {
  const hosts = new Map(s.hosts.map((h) => [h.externalId, h.name]));
  return s.virtualMachines
    .map((vm) => ({
      name: vm.name,
      // The importer reads SMBIOS UUID as the BIOS UUID, VM UUID as the instance UUID; a VM without a BIOS UUID gets its instance UUID.
      uuid: (vm.uuid ?? vm.instanceUuid)?.toLowerCase() ?? null,
      powerState: vm.powerState === "paused" ? "suspended" : vm.powerState,
      vcpus: vm.vcpus,
      memoryMiB: vm.memoryMiB,
      disks: vm.disks.map((d) => ({ key: d.key, capacityMiB: d.capacityMiB })).sort((a, b) => a.key.localeCompare(b.key)),
      host: vm.hostExternalId ? (hosts.get(vm.hostExternalId) ?? null) : null,
    }))
    .sort((a, b) => `${a.name}\u0000${a.uuid}`.localeCompare(`${b.name}\u0000${b.uuid}`));
}

function hostFacts(hosts: Snapshot["hosts"]) {
  return hosts.map((h) => ({ name: h.name, cpuCores: h.cpuCores, memoryMiB: h.memoryMiB })).sort((a, b) => a.name.localeCompare(b.name));
}

/** The exports' directories left in the temporary directory. */
const leftovers = async () => (await readdir(os.tmpdir())).filter((n) => n.startsWith(TEMP_PREFIX));

/** The exports' files this process still holds open (Linux: /proc/self/fd), deleted or not. */
async function openExports(): Promise<string[]> {
  const fds = await readdir("/proc/self/fd");
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => "")));
  return targets.filter((target) => target.includes(`/${TEMP_PREFIX}`));
}

let vsphere: Snapshot;
let libvirt: Snapshot;

beforeAll(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), "rvtools-export-route-test-"));
  // The route reads the process-wide database and, without a token, better-auth's session.
  (globalThis as unknown as { fleetlensDb?: unknown }).fleetlensDb = t;
  vi.stubEnv("FLEETLENS_URL", "http://localhost:3000");
  await mkdir(path.join(dir, "data"));
  vi.stubEnv("FLEETLENS_DATA_DIR", path.join(dir, "data"));
  for (const name of ["Initech", "Umbrella"]) ids[name] = (await t.prisma.customer.create({ data: { name } })).id;
  vsphere = vsphereSnapshot();
  libvirt = libvirtSnapshot();
  ids.vsphere = await addSource(ids.Initech!, "vsphere", "vc-prod", "https://vcenter01.lab.example/sdk", vsphere);
  ids.libvirt = await addSource(ids.Initech!, "libvirt", "kvm-lab", "qemu+ssh://root@kvm1.lab/system", libvirt);
  ids.docker = await addSource(ids.Initech!, "docker", "docker01", "tcp://docker01.lab:2376", dockerSnapshot());
  await addSource(ids.Umbrella!, "libvirt", "umbrella-kvm", "qemu:///system", libvirtSnapshot());
});

afterAll(async () => {
  (globalThis as unknown as { fleetlensDb?: unknown }).fleetlensDb = undefined;
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
  await t?.drop();
});

describe("the RVTools export route", () => {
  it("answers every kind of caller as the CSV export does", async () => {
    const callers: Array<[string, "viewer" | "engineer" | "admin" | null, string[]]> = [
      ["anonymous", null, []],
      ["otherViewer", "viewer", [ids.Umbrella!]],
      ["viewer", "viewer", [ids.Initech!]],
      ["otherEngineer", "engineer", [ids.Umbrella!]],
      ["engineer", "engineer", [ids.Initech!]],
      ["admin", "admin", []],
    ];
    const seen: string[] = [];
    for (const [persona, role, customerIds] of callers) {
      const headers = role ? await bearer(`persona-${persona}`, role, customerIds) : {};
      const response = await get(ids.Initech!, headers);
      const body = Buffer.from(await response.arrayBuffer());
      if (response.status !== 200) {
        expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
        expect(body.toString("utf8"), persona).not.toMatch(/Initech|kvm1|esx/);
      } else {
        expect(response.headers.get("content-type")).toBe(XLSX_CONTENT_TYPE);
        expect(body.subarray(0, 2).toString("latin1")).toBe("PK");
      }
      seen.push(`${persona}: ${response.status}`);
    }
    expect(seen).toEqual([
      "anonymous: 401",
      "otherViewer: 403",
      "viewer: 403",
      "otherEngineer: 404",
      "engineer: 200",
      "admin: 200",
    ]);
    // An invalid token, a malformed id and an unknown customer.
    expect((await get(ids.Initech!, { authorization: "Bearer fl_not-a-token" })).status).toBe(401);
    const admin = await bearer("admin-404", "admin", []);
    expect((await get("not-a-uuid", admin)).status).toBe(404);
    expect((await get("00000000-0000-4000-8000-000000000000", admin)).status).toBe(404);
  });

  it("gives an engineer every VM and host of the customer, each source under its vCenter, back through the importer", async () => {
    const before = await t.prisma.auditEvent.count({ where: { action: "export" } });
    const response = await get(ids.Initech!, await bearer("roundtrip-engineer", "engineer", [ids.Initech!]));
    expect(response.status).toBe(200);
    const disposition = response.headers.get("content-disposition")!;
    expect(disposition).toMatch(/^attachment; filename="initech-rvtools-\d{4}-\d{2}-\d{2}\.xlsx"$/);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(Number(response.headers.get("content-length"))).toBe(bytes.length);

    const imported = await importWorkbook(bytes, "initech.xlsx");
    // The docker source's containers and images are left out; its engine host is a vHost row.
    expect(imported.containers).toEqual([]);
    const original: Snapshot = { ...vsphere, hosts: [...vsphere.hosts, ...libvirt.hosts], virtualMachines: [...vsphere.virtualMachines, ...libvirt.virtualMachines] };
    expect(imported.virtualMachines).toHaveLength(original.virtualMachines.length);
    expect(vmFacts(imported)).toEqual(vmFacts(original));
    expect(hostFacts(imported.hosts)).toEqual(hostFacts([...original.hosts, ...parseSnapshot(dockerSnapshot()).hosts]));

    // The importer scopes every object by its vCenter (the VI SDK UUID): the vSphere source's by
    // vcenter01.lab.example, the others' by their pseudo vCenters.
    const scopes = new Map<string, Set<string>>();
    for (const vm of imported.virtualMachines) {
      const scope = rvtoolsScope(vm.externalId);
      scopes.set(scope, (scopes.get(scope) ?? new Set()).add(vm.name));
    }
    expect(scopes.get(pseudoVcenterUuid("vcenter01.lab.example"))).toEqual(new Set(vsphere.virtualMachines.map((v) => v.name)));
    expect(scopes.get(pseudoVcenterUuid("fleetlens:kvm-lab"))).toEqual(new Set(["db01", HOSTILE]));
    const dockerHost = imported.hosts.find((h) => h.name === "docker01")!;
    expect(rvtoolsScope(dockerHost.externalId)).toBe(pseudoVcenterUuid("fleetlens:docker01"));

    const audits = await t.prisma.auditEvent.findMany({ where: { action: "export" }, orderBy: { at: "asc" } });
    expect(audits).toHaveLength(before + 1);
    const entry = audits.at(-1)!;
    expect(entry.target).toBe(ids.Initech);
    const detail = entry.detail as Record<string, unknown>;
    expect(detail).toMatchObject({ table: "rvtools", containersLeftOut: 4, imagesLeftOut: 2, bytes: bytes.length });
    expect((detail.rows as Record<string, number>).vInfo).toBe(original.virtualMachines.length);
    expect(detail.sources).toEqual([
      { source: "docker01", server: "fleetlens:docker01", virtualMachines: 0, hosts: 1 },
      { source: "kvm-lab", server: "fleetlens:kvm-lab", virtualMachines: 2, hosts: 2 },
      { source: "vc-prod", server: "vcenter01.lab.example", virtualMachines: vsphere.virtualMachines.length, hosts: vsphere.hosts.length },
    ]);
  });

  it("writes a formula-looking VM name as a text cell, never a formula", async () => {
    const response = await get(ids.Initech!, await bearer("formula-engineer", "engineer", [ids.Initech!]));
    const parts = await unzip(Buffer.from(await response.arrayBuffer()));
    const sheets = [...parts].filter(([name]) => name.startsWith("xl/worksheets/"));
    expect(sheets.length).toBe(12);
    for (const [name, xml] of sheets) expect(xml, name).not.toMatch(/<f[ >]/);
    // vInfo (sheet 1): the name is an inline string, XML-escaped, exactly as stored.
    const escaped = HOSTILE.replace(/"/g, "&quot;");
    expect(parts.get("xl/worksheets/sheet1.xml")).toContain(`t="inlineStr"><is><t>${escaped}</t></is></c>`);
    expect(parts.get("xl/worksheets/sheet1.xml")).toContain('t="inlineStr"><is><t>@SUM(1+1)</t></is></c>');
  });

  it("leaves nothing in the temporary directory and no file open after a download, or a cancelled one", async () => {
    const headers = await bearer("tmp-engineer", "engineer", [ids.Initech!]);
    // Another run's directories (none in a quiet test run) are not this test's.
    const before = await leftovers();
    const done = await get(ids.Initech!, headers);
    // Removed as soon as it is open: its data is read through the handle.
    expect(await leftovers()).toEqual(before);
    expect(await openExports()).toHaveLength(1);
    await done.arrayBuffer();
    expect(await leftovers()).toEqual(before);
    expect(await openExports()).toEqual([]);
    const cancelled = await get(ids.Initech!, headers);
    const reader = cancelled.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    expect(await openExports()).toHaveLength(1);
    await reader.cancel();
    expect(await leftovers()).toEqual(before);
    expect(await openExports()).toEqual([]);
  });
});

describe("the workbook download", () => {
  it("leaves nothing behind when the step before sending (the audit) fails", async () => {
    const before = await leftovers();
    const { sources } = await loadRvtoolsExport(t, ids.Initech!);
    await expect(
      rvtoolsWorkbookResponse(sources, {
        createdAt: new Date(),
        filename: "x.xlsx",
        beforeSending: async () => {
          throw new Error("audit unavailable");
        },
      }),
    ).rejects.toThrow("audit unavailable");
    expect(await leftovers()).toEqual(before);
    expect(await openExports()).toEqual([]);
  });

  it("names the file after the customer, safely", () => {
    expect(rvtoolsFilename("Société Générale / \"Ops\"", new Date("2026-12-05T23:59:00Z"))).toBe("societe-generale-ops-rvtools-2026-12-05.xlsx");
    expect(rvtoolsFilename("数据", new Date("2026-12-05T00:00:00Z"))).toBe("customer-rvtools-2026-12-05.xlsx");
  });
});

/** A snapshot's objects in a comparable order, UUIDs and MACs lower case (as stored). */
function normalised(s: Snapshot) {
  const byId = <T extends { externalId: string }>(a: T, b: T) => (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0);
  return {
    hosts: s.hosts
      .map((h) => ({ ...h, hardwareUuid: h.hardwareUuid?.toLowerCase() ?? null, macAddresses: h.macAddresses.map((m) => m.toLowerCase()) }))
      .sort(byId),
    virtualMachines: s.virtualMachines
      .map((vm) => ({
        ...vm,
        uuid: vm.uuid?.toLowerCase() ?? null,
        instanceUuid: vm.instanceUuid?.toLowerCase() ?? null,
        macAddresses: vm.macAddresses.map((m) => m.toLowerCase()),
        disks: [...vm.disks].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
      }))
      .sort(byId),
    containers: s.containers,
    images: s.images,
  };
}

describe("the stored inventory as snapshots", () => {
  it("gives each source back as the snapshot it ingested, every field of the contract", async () => {
    const { sources, leftOut } = await loadRvtoolsExport(t, ids.Initech!);
    for (const [name, original] of [["vc-prod", vsphere], ["kvm-lab", libvirt]] as const) {
      const loaded = sources.find((s) => s.sourceName === name)!.snapshot;
      expect(Object.keys(loaded.virtualMachines[0]!).sort(), name).toEqual(Object.keys(original.virtualMachines[0]!).sort());
      expect(normalised(loaded), name).toEqual(normalised(original));
    }
    // The docker source: its engine host only; its containers and images counted.
    const docker = sources.find((s) => s.sourceName === "docker01")!.snapshot;
    expect(docker.hosts.map((h) => h.name)).toEqual(["docker01"]);
    expect(leftOut).toEqual([{ sourceId: ids.docker, sourceName: "docker01", containers: 4, images: 2 }]);
  });
});

describe("the vCenters of stored sources", () => {
  it("names a vSphere source's vCenter by its endpoint", () => {
    expect(vcenterOfEndpoint("https://vcenter01.lab.example/sdk")).toBe("vcenter01.lab.example");
    expect(vcenterOfEndpoint("https://[fd00::1]:8443/sdk")).toBe("fd00::1");
    expect(vcenterOfEndpoint("not a url")).toBeNull();
  });

  it("reads an RVTools import's vCenter scope and the VM keys it read from the ids it made", () => {
    expect(rvtoolsScope("host/esx01")).toBe("");
    expect(rvtoolsScope("vc1.lab/host/esx01")).toBe("vc1.lab");
    expect(rvtoolsScope("vc1.lab/vm-id/vm-12")).toBe("vc1.lab");
    expect(rvtoolsScope("vm-name/a/vm/b")).toBe("");
    const vm = libvirt.virtualMachines[1]!;
    expect(asImported({ ...vm, externalId: "vc1.lab/vm-id/vm-12" })).toMatchObject({ externalId: "vm-12", uuid: vm.uuid, instanceUuid: null });
    expect(asImported({ ...vm, externalId: "vm-name/web/1" })).toMatchObject({ externalId: "", uuid: vm.uuid });
    // Read from VM UUID alone (no SMBIOS UUID): the importer made it the BIOS UUID; it goes back to VM UUID.
    expect(asImported({ ...vm, externalId: `u/vm/${vm.uuid}`, instanceUuid: null })).toMatchObject({ externalId: "", uuid: null, instanceUuid: vm.uuid });
    expect(asImported({ ...vm, externalId: `u/vm/${vm.uuid}`, instanceUuid: vm.uuid })).toMatchObject({ externalId: "", uuid: vm.uuid, instanceUuid: vm.uuid });
    expect(asImported({ ...vm, externalId: "no-scope-here" }).externalId).toBe("no-scope-here");
  });

  it("exports an RVTools import of the workbook under the vCenters it was imported from, and its VMs keep their ids", async () => {
    const response = await get(ids.Initech!, await bearer("reimport-engineer", "engineer", [ids.Initech!]));
    const first = await importWorkbook(Buffer.from(await response.arrayBuffer()), "first.xlsx");
    const customer = (await t.prisma.customer.create({ data: { name: "Imported" } })).id;
    await addSource(customer, "rvtools", "initech-upload", "initech.xlsx", first);
    // A second vSphere source of the same vCenter: its rows must not merge with the first's.
    await addSource(customer, "vsphere", "vc-again", "https://vcenter01.lab.example/sdk", vsphere);

    const loaded = await loadRvtoolsExport(t, customer);
    // Imported under the VI SDK UUIDs: written back under the same ones, one export source per vCenter.
    const upload = loaded.sources.filter((s) => s.sourceName === "initech-upload");
    expect(upload.map((s) => `${s.uuid} ${s.snapshot.virtualMachines.length} ${s.snapshot.hosts.length}`).sort()).toEqual(
      [
        `${pseudoVcenterUuid("fleetlens:docker01")} 0 1`,
        `${pseudoVcenterUuid("fleetlens:kvm-lab")} 2 2`,
        `${pseudoVcenterUuid("vcenter01.lab.example")} ${vsphere.virtualMachines.length} ${vsphere.hosts.length}`,
      ].sort(),
    );
    expect(upload.map((s) => s.server).sort()).toEqual(["fleetlens:initech-upload", "fleetlens:initech-upload (2)", "fleetlens:initech-upload (3)"]);
    // The vSphere source would name vcenter01.lab.example, whose UUID the upload already holds.
    const again = loaded.sources.filter((s) => s.sourceName === "vc-again");
    expect(again.map((s) => [s.server, s.uuid])).toEqual([["fleetlens:vc-again", undefined]]);
    expect(loaded.leftOut).toEqual([]);
    // Read back, the upload's VMs get the ids they were stored under: a second upload of this
    // workbook would change nothing.
    const admin = await bearer("reimport-admin", "admin", []);
    const second = await importWorkbook(Buffer.from(await (await get(customer, admin)).arrayBuffer()), "second.xlsx");
    const stored = new Set(first.virtualMachines.map((v) => v.externalId));
    const ids2 = new Set(second.virtualMachines.map((v) => v.externalId));
    expect(first.virtualMachines.filter((v) => !ids2.has(v.externalId)).map((v) => v.externalId)).toEqual([]);
    expect(second.virtualMachines.filter((v) => stored.has(v.externalId))).toHaveLength(first.virtualMachines.length);
    expect(second.virtualMachines).toHaveLength(2 * first.virtualMachines.length - 2);
  });
});

/**
 * What each libvirt domain is, end to end on a real peer: libvirtd (tests/peers/libvirtd.sh,
 * unprivileged, libvirt's test driver) serves domains defined in domain XML, running, each carrying
 * one kind of evidence libvirt has: the libosinfo id in <metadata>
 * (guestOsId), the <description> (the annotation), the <title> (a display name, read by the name
 * rules' title twins), and other <metadata> children (attributes, in evidence only where a rule reads
 * them). Collected by the real collector's CLI (`npm run collect -- libvirt <uri> --json`) into a
 * snapshot file, analysed by `npm run --silent analyse -- <file> --json`, both spawned for real; per
 * domain: role, verdict, fit and the field (and rule) of the first evidence.
 * Near misses: a plain domain whose title has a database word inside another word ("Redistribution"),
 * and a vCenter-like title on an Ubuntu id (set aside: the vCSA runs Photon), both general workloads.
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { jsonReport } from "../../server/analysis/cli";
import { FIT_LABEL, ROLE_LABEL, type Fit, type Role, type VerdictValue } from "../../server/analysis/labels";
import { parseSnapshot, type Snapshot } from "../../server/inventory/snapshot";

const run = promisify(execFile);
const root = path.join(import.meta.dirname, "../..");
const LIBVIRTD = path.join(root, "tests/peers/libvirtd.sh");

type Report = ReturnType<typeof jsonReport>;
type Row = Report["verdicts"][number];

const LIBOSINFO = (id: string) =>
  `<libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'><libosinfo:os id='${id}'/></libosinfo:libosinfo>`;

/** OpenStack Nova's instance metadata, as nova-compute writes it (nova/virt/libvirt/config.py LibvirtConfigGuestMetaNova*). */
const NOVA = `<nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.1'>
  <nova:package version='27.1.0'/>
  <nova:name>prod-cp-1</nova:name>
  <nova:flavor name='m1.large'><nova:memory>8192</nova:memory><nova:vcpus>4</nova:vcpus></nova:flavor>
  <nova:owner><nova:user uuid='5e2f0c1a'>ops</nova:user><nova:project uuid='9a7c3b21'>platform</nova:project></nova:owner>
</nova:instance>`;
/** KubeVirt's, as virt-launcher writes it (kubevirt/kubevirt pkg/virt-launcher/virtwrap/api/schema.go, Metadata: <kubevirt xmlns="http://kubevirt.io">). */
const KUBEVIRT = `<kubevirt xmlns='http://kubevirt.io'><uid>3f1c9a2e-6b7d-4e8f-9a0b-1c2d3e4f5a6b</uid><graceperiod><deletionGracePeriodSeconds>30</deletionGracePeriodSeconds></graceperiod></kubevirt>`;
/** An in-house element naming the Kubernetes cluster a machine belongs to: a key the attribute-kubernetes rule reads. */
const IN_HOUSE = `<fleet:k8s xmlns:fleet='https://example.com/xmlns/fleet/1.0'><fleet:cluster>prod</fleet:cluster></fleet:k8s>`;

interface Domain {
  name: string;
  title?: string;
  description?: string;
  metadata: string[];
}

const DOMAINS: Domain[] = [
  { name: "lv-win11", metadata: [LIBOSINFO("http://microsoft.com/win/11")] },
  { name: "lv-billing-01", description: "PostgreSQL 15 primary", metadata: [LIBOSINFO("http://debian.org/debian/12")] },
  { name: "lv-node-07", title: "k8s-prod-control-plane-x7k2p", metadata: [LIBOSINFO("http://ubuntu.com/ubuntu/22.04"), NOVA] },
  { name: "lv-node-08", metadata: [LIBOSINFO("http://ubuntu.com/ubuntu/22.04"), IN_HOUSE] },
  { name: "lv-app-01", metadata: [LIBOSINFO("http://rockylinux.org/rocky/9"), KUBEVIRT] },
  // Near misses.
  { name: "lv-app-02", title: "Redistribution cache", metadata: [LIBOSINFO("http://rockylinux.org/rocky/9")] },
  { name: "lv-app-03", title: "vcsa-lab", metadata: [LIBOSINFO("http://ubuntu.com/ubuntu/22.04")] },
];

/** What decides each domain (its first evidence: field, rule, weight), and the verdict and fit its role gives. */
const EXPECTED: Record<string, { role: Role; field: string; ruleId: string | null; strength: string; verdict: VerdictValue; fit: Fit }> = {
  "lv-win11": { role: "desktop", field: "guestOsId", ruleId: "guest-client-windows", strength: "moderate", verdict: "stay-vm", fit: "no-fit" },
  "lv-billing-01": { role: "database", field: "annotation", ruleId: "annotation-database", strength: "moderate", verdict: "to-container", fit: "insufficient-data" },
  "lv-node-07": { role: "kubernetes-node", field: "title", ruleId: "title-cluster-api", strength: "weak", verdict: "stay-vm", fit: "no-fit" },
  "lv-node-08": { role: "kubernetes-node", field: "attributes", ruleId: "attribute-kubernetes", strength: "moderate", verdict: "stay-vm", fit: "no-fit" },
  "lv-app-01": { role: "general", field: "guestOsId", ruleId: null, strength: "moderate", verdict: "to-container", fit: "insufficient-data" },
  "lv-app-02": { role: "general", field: "guestOsId", ruleId: null, strength: "moderate", verdict: "to-container", fit: "insufficient-data" },
  "lv-app-03": { role: "general", field: "guestOsId", ruleId: null, strength: "moderate", verdict: "to-container", fit: "insufficient-data" },
};

function domainXml(d: Domain, i: number): string {
  const esc = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;");
  return `<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
  <name>${d.name}</name>
  ${d.title ? `<title>${esc(d.title)}</title>` : ""}
  ${d.description ? `<description>${esc(d.description)}</description>` : ""}
  <metadata>${d.metadata.join("\n")}</metadata>
  <memory unit='KiB'>4194304</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/${d.name}.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:bb:01:${String(i + 10).padStart(2, "0")}'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
  </devices>
  <test:runstate>1</test:runstate>
</domain>`;
}

let peerDir: string | undefined;
let scratch: string | undefined;
let snapshot: Snapshot;
let report: Report;

beforeAll(async () => {
  // The domains in a node file the test driver serves (the driver keeps what virsh defines for that
  // one connection only, so a define would not outlive it; its node file is how it is given domains).
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "fleetlens-roles-libvirt-"));
  const node = path.join(scratch, "node.xml");
  await fs.writeFile(
    node,
    `<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>8</cores><threads>2</threads><active>16</active><mhz>2600</mhz><model>x86_64</model></cpu>` +
      `<memory>67108864</memory>${DOMAINS.map(domainXml).join("\n")}</node>`,
  );
  const { stdout } = await run("bash", [LIBVIRTD, "start", node], { timeout: 900_000 });
  peerDir = stdout.trim();
  const uri = (await fs.readFile(path.join(peerDir, "unix-uri"), "utf8")).trim();
  // libvirt's own client sees them as defined, running.
  const listed = await run("virsh", ["-q", "-c", uri, "list", "--name"], { timeout: 60_000 });
  expect(listed.stdout.split("\n").filter(Boolean).sort()).toEqual(DOMAINS.map((d) => d.name).sort());

  const collected = await run("npm", ["run", "--silent", "collect", "--", "libvirt", uri, "--json"], {
    cwd: root,
    timeout: 300_000,
    maxBuffer: 64 * 2 ** 20,
  });
  const file = path.join(scratch, "libvirt.json");
  await fs.writeFile(file, collected.stdout);
  snapshot = parseSnapshot(JSON.parse(collected.stdout));

  const analysed = await run("npm", ["run", "--silent", "analyse", "--", file, "--json"], { cwd: root, timeout: 300_000, maxBuffer: 64 * 2 ** 20 });
  report = JSON.parse(analysed.stdout) as Report;
}, 900_000);

afterAll(async () => {
  const stops: Promise<unknown>[] = [];
  if (peerDir) stops.push(run("bash", [LIBVIRTD, "stop", peerDir]));
  if (scratch) stops.push(fs.rm(scratch, { recursive: true, force: true }));
  await Promise.allSettled(stops);
}, 120_000);

const verdictOf = (name: string): Row => {
  const rows = report.verdicts.filter((v) => v.name === name);
  expect(rows, name).toHaveLength(1);
  return rows[0]!;
};
const vmOf = (name: string) => snapshot.virtualMachines.find((v) => v.name === name)!;

describe("what each libvirt domain is, on a real libvirtd, through the collect and analyse CLIs", () => {
  it("collects each defined domain's libosinfo id, title, description and other metadata as given", () => {
    for (const d of DOMAINS) expect(vmOf(d.name), d.name).toBeDefined();
    expect(vmOf("lv-win11")).toMatchObject({ guestOsId: "http://microsoft.com/win/11", guestOsFamily: "windows", title: null, annotation: null, attributes: {} });
    expect(vmOf("lv-billing-01")).toMatchObject({ guestOsId: "http://debian.org/debian/12", guestOsFamily: "linux", annotation: "PostgreSQL 15 primary" });
    expect(vmOf("lv-node-07")).toMatchObject({ title: "k8s-prod-control-plane-x7k2p", guestOsFamily: "linux" });
    expect(vmOf("lv-node-07").attributes).toMatchObject({ "nova:instance/nova:name": "prod-cp-1", "nova:instance/nova:flavor@name": "m1.large" });
    expect(vmOf("lv-node-08").attributes).toEqual({ "fleet:k8s/fleet:cluster": "prod" });
    expect(vmOf("lv-app-01").attributes).toMatchObject({ "kubevirt/uid": "3f1c9a2e-6b7d-4e8f-9a0b-1c2d3e4f5a6b" });
    expect(vmOf("lv-app-02").title).toBe("Redistribution cache");
  });

  it.each(Object.entries(EXPECTED))("%s: role, verdict, fit and the field its first evidence is read from", (name, e) => {
    const v = verdictOf(name);
    expect([v.kind, v.role, v.roleLabel], name).toEqual(["vm", e.role, ROLE_LABEL[e.role]]);
    expect(v.roleEvidence[0], name).toMatchObject({ field: e.field, ruleId: e.ruleId, strength: e.strength, supports: e.role });
    expect([v.verdict, v.fit, v.fitLabel], name).toEqual([e.verdict, e.fit, FIT_LABEL[e.fit]]);
    if (e.fit === "insufficient-data") {
      // A candidate on configuration only: the last evidence says guest discovery is missing.
      expect(v.evidence.at(-1), name).toMatchObject({ source: "guest discovery", strength: "missing", value: "not collected" });
      expect(v.reason, name).toMatch(/^Candidate for a container \(a (database server|general workload); needs guest discovery\)/);
    }
  });

  it("shows the value each decisive field carries: the libosinfo id, the description, the title, the metadata key", () => {
    expect(verdictOf("lv-win11").roleEvidence[0]!.value).toBe("http://microsoft.com/win/11");
    expect(verdictOf("lv-billing-01").roleEvidence[0]!.value).toBe("PostgreSQL 15 primary");
    expect(verdictOf("lv-node-07").roleEvidence[0]!.value).toBe("k8s-prod-control-plane-x7k2p");
    expect(verdictOf("lv-node-08").roleEvidence[0]!.value).toBe("fleet:k8s/fleet:cluster=prod");
    expect(verdictOf("lv-app-01").roleEvidence[0]!.value).toBe("http://rockylinux.org/rocky/9");
  });

  it("metadata is evidence only where a rule reads it: Nova's and KubeVirt's elements are not", () => {
    for (const name of ["lv-node-07", "lv-app-01"]) {
      expect(Object.keys(vmOf(name).attributes).length, name).toBeGreaterThan(0);
      expect(verdictOf(name).roleEvidence.filter((e) => e.field === "attributes"), name).toEqual([]);
    }
    // A KubeVirt VM runs on Kubernetes; it is not a Kubernetes node.
    expect(verdictOf("lv-app-01").roleEvidence).toHaveLength(1);
  });

  it("near misses: a database word inside another word in the title, a vCenter title on Ubuntu", () => {
    expect(verdictOf("lv-app-02").roleEvidence).toHaveLength(1);
    const vcsa = verdictOf("lv-app-03").roleEvidence;
    expect(vcsa.map((e) => [e.field, e.ruleId, e.supports])).toEqual([
      ["guestOsId", null, "general"],
      ["title", "title-vcenter", "appliance"],
    ]);
    expect(vcsa[1]!.note).toMatch(/set aside: the configured guest OS \(http:\/\/ubuntu\.com\/ubuntu\/22\.04\)/);
  });
});

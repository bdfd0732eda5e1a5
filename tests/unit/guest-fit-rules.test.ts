/**
 * The guest fit rules (server/analysis/rules/guest.ts), table-driven: each fires on facts made for it
 * and stays silent on a near miss, from a tidy guest on which none fires. Software is recognised from
 * the processes, units and listeners by software.ts, as collection does. Then what a matched guest does
 * to a VM's verdict, role and saving (server/analysis/migration.ts), and that a VM without one is
 * graded as before.
 */
import { describe, expect, it } from "vitest";
import { guestFacts, type GuestFacts, type GuestFactsInput, type GuestListener, type GuestProcess } from "@/server/collectors/guest/facts";
import { detectSoftware } from "@/server/collectors/guest/software";
import { inventoryFromSnapshots } from "@/server/analysis/inventory";
import { analyseMigration, type Verdict } from "@/server/analysis/migration";
import { DEFAULT_PARAMETERS, type Parameters } from "@/server/analysis/parameters";
import { ALL_RULES, CONTAINER_RULES, evaluate, GUEST_RULES, KATA_RULES, RULES_BY_ID, VM_RULES, worstFit } from "@/server/analysis/rules";
import { bindsOneInterface, OS_SERVICE_PROCESSES, servicesOf } from "@/server/analysis/rules/guest";
import { parseSnapshot, type SnapshotInput } from "@/server/inventory/snapshot";

const AT = "2026-12-05T12:30:00.000Z";

let nextPid = 100;
const proc = (name: string, command = name, more: Partial<GuestProcess> = {}): GuestProcess => ({
  pid: nextPid++,
  name,
  user: "root",
  rssMiB: 10,
  cpuPercent: 0,
  command,
  ...more,
});
const listen = (address: string, port: number, process: GuestProcess | null, protocol: "tcp" | "udp" = "tcp"): GuestListener => ({
  protocol,
  address,
  port,
  process: process?.name ?? null,
  pid: process?.pid ?? null,
});

/** A tidy RHEL 9 guest: init, sshd on any address, cron; no rule fires on it. */
function facts(over: Partial<GuestFactsInput> & { processes?: GuestProcess[]; listeners?: GuestListener[]; units?: string[] } = {}): GuestFacts {
  const sshd = proc("sshd", "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups");
  const processes = [proc("systemd", "/sbin/init"), sshd, proc("cron", "/usr/sbin/cron -f"), ...(over.processes ?? [])];
  const listeners = [listen("0.0.0.0", 22, sshd), listen("::", 22, sshd), ...(over.listeners ?? [])];
  const units = over.units ?? ["ssh.service", "cron.service"];
  return guestFacts.parse({
    target: "root@10.0.0.21:22",
    collectedAt: AT,
    productUuid: "4221cccc-0000-0000-0000-000000000001",
    os: { id: "rhel", versionId: "9.4", prettyName: "Red Hat Enterprise Linux 9.4 (Plow)" },
    ipAddresses: ["10.0.0.21/24"],
    memory: { totalMiB: 7900, availableMiB: 6900, usedMiB: 1000 },
    filesystems: [{ mountPoint: "/", fsType: "ext4", device: "/dev/sda1", sizeMiB: 40960, freeMiB: 30720 }],
    security: {},
    ...over,
    processes,
    listeners,
    units,
    software: over.software ?? detectSoftware({ processes, units, listeners }),
  });
}

const P = DEFAULT_PARAMETERS;
const idsOf = (f: GuestFacts, parameters: Parameters = P) =>
  evaluate(GUEST_RULES, { key: "vm", name: "vm", customer: "acme", guest: f }, { parameters }).map((x) => x.ruleId).sort();

const postgres = () => {
  const pg = proc("postgres", "/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main -c config_file=/etc/postgresql/15/main/postgresql.conf");
  return { processes: [pg, proc("postgres", "postgres: 15/main: checkpointer")], listeners: [listen("0.0.0.0", 5432, pg)] };
};
const dockerd = proc("dockerd", "/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock");
const containerd = proc("containerd", "/usr/bin/containerd");
const shim = () => proc("containerd-shim", "/usr/bin/containerd-shim-runc-v2 -namespace moby -id 4f1c -address /run/containerd/containerd.sock");

interface Case {
  rule: string;
  fires: boolean;
  input: string;
  facts: () => GuestFacts;
  parameters?: Parameters;
  /** Other rules the input sets off too (the listing must match exactly). */
  also?: string[];
}
const fire = (rule: string, input: string, f: () => GuestFacts, also?: string[]): Case => ({ rule, fires: true, input, facts: f, also });
const silent = (rule: string, input: string, f: () => GuestFacts, also?: string[]): Case => ({ rule, fires: false, input, facts: f, also });

function services(n: number): { processes: GuestProcess[]; listeners: GuestListener[] } {
  const processes = Array.from({ length: n }, (_, i) => proc(`app${i}`, `/opt/app${i}/bin/app${i} --serve`));
  return { processes, listeners: processes.map((p, i) => listen("0.0.0.0", 8080 + i, p)) };
}

const CASES: Case[] = [
  fire("guest-container-runtime", "dockerd, containerd and a container's shim", () => facts({ processes: [dockerd, containerd, shim()] })),
  fire("guest-container-runtime", "kubelet, no container yet", () => facts({ processes: [proc("kubelet", "/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml")] })),
  fire("guest-container-runtime", "Podman's conmon (a container)", () =>
    facts({ processes: [proc("conmon", "/usr/bin/conmon --api-version 1 -c 9a1f -u 9a1f -r /usr/bin/crun -b /var/lib/containers/storage/overlay-containers/9a1f/userdata")] }),
  ),
  silent("guest-container-runtime", "dockerd and containerd, no container running", () => facts({ processes: [dockerd, containerd] })),
  silent("guest-container-runtime", "Podman's API service alone", () => facts({ processes: [proc("podman", "/usr/bin/podman system service --time=0")] })),
  silent("guest-container-runtime", "the docker client, no daemon", () => facts({ processes: [proc("docker", "docker ps -a")] })),

  fire("guest-desktop-session", "Xorg and gnome-shell", () => facts({ processes: [proc("Xorg", "/usr/lib/xorg/Xorg vt2 -displayfd 3"), proc("gnome-shell", "/usr/bin/gnome-shell")] })),
  fire("guest-desktop-session", "display-manager.service running", () => facts({ units: ["ssh.service", "display-manager.service"] })),
  silent("guest-desktop-session", "an editor on xorg.conf, xauth", () => facts({ processes: [proc("vim", "vim /etc/X11/xorg.conf"), proc("xauth", "xauth list")] })),
  silent("guest-desktop-session", "a unit named like a display manager's helper", () => facts({ units: ["ssh.service", "gdm-prime.service"] })),

  fire("guest-kernel-modules", "zfs and spl loaded", () => facts({ extraModules: ["zfs", "spl"] })),
  silent("guest-kernel-modules", "no extra module", () => facts({ extraModules: [] })),

  fire("guest-privileged-process", "a service as nobody with NET_ADMIN and SYS_TIME", () =>
    facts({ privileged: [{ pid: 700, process: "vpnd", uid: 65534, capabilities: ["NET_ADMIN", "SYS_TIME"] }] }),
  ),
  silent("guest-privileged-process", "systemd-timesyncd's SYS_TIME as ps names it (comm cut at 15: systemd-timesyn)", () =>
    facts({ privileged: [{ pid: 703, process: "systemd-timesyn", uid: 997, capabilities: ["SYS_TIME"] }] }),
  ),
  silent("guest-privileged-process", "chronyd's SYS_TIME (the OS's own)", () => facts({ privileged: [{ pid: 701, process: "chronyd", uid: 101, capabilities: ["SYS_TIME"] }] })),
  silent("guest-privileged-process", "a web server as www-data with NET_BIND_SERVICE (a container's default)", () =>
    facts({ privileged: [{ pid: 702, process: "caddy", uid: 33, capabilities: ["NET_BIND_SERVICE"] }] }),
  ),

  fire("guest-raw-device", "a database process on a raw volume", () => facts({ rawDevices: [{ pid: 900, process: "oracle", device: "/dev/mapper/vg-ora" }] })),
  fire("guest-raw-device", "a holder the process list did not name", () => facts({ rawDevices: [{ pid: 901, process: null, device: "/dev/loop0" }] })),
  silent("guest-raw-device", "multipathd and lvm holding the disks", () =>
    facts({ rawDevices: [{ pid: 300, process: "multipathd", device: "/dev/sdb" }, { pid: 301, process: "dmeventd", device: "/dev/dm-0" }] }),
  ),
  silent("guest-raw-device", "no device held", () => facts({ rawDevices: [] })),

  fire("guest-many-services", "four programs listening beyond loopback", () => facts(services(4))),
  fire("guest-many-services", "two at a threshold of one", () => facts(services(2)), undefined),
  silent("guest-many-services", "three: at the threshold", () => facts(services(3))),
  silent("guest-many-services", "five, two of them on loopback only", () => {
    const s = services(5);
    return facts({ processes: s.processes, listeners: s.listeners.map((l, i) => (i < 2 ? { ...l, address: "127.0.0.1" } : l)) });
  }),
  silent("guest-many-services", "three apps and the OS's own: sshd, chronyd, rpcbind, systemd-resolved", () => {
    const own = ["chronyd", "rpcbind", "systemd-resolved"].map((n) => proc(n, `/usr/sbin/${n}`));
    const apps = services(3);
    return facts({ processes: [...own, ...apps.processes], listeners: [...own.map((p, i) => listen("0.0.0.0", 100 + i, p, "udp")), ...apps.listeners] });
  }),

  fire("guest-stateful-server", "PostgreSQL 15", () => facts(postgres())),
  fire("guest-stateful-server", "redis-server on loopback", () => {
    const redis = proc("redis-server", "/usr/bin/redis-server 127.0.0.1:6379");
    return facts({ processes: [redis], listeners: [listen("127.0.0.1", 6379, redis)] });
  }),
  silent("guest-stateful-server", "nginx and the psql client", () =>
    facts({ processes: [proc("nginx", "nginx: master process /usr/sbin/nginx"), proc("psql", "/usr/lib/postgresql/15/bin/psql -h db01")] }),
  ),
  fire("guest-stateful-server", "a Kafka broker (a queue)", () =>
    facts({ processes: [proc("java", "java -cp /opt/kafka_2.13-3.7.0/libs/* kafka.Kafka /opt/kafka/config/server.properties")] }),
  ),
  silent("guest-stateful-server", "a Kafka command-line tool", () => facts({ processes: [proc("java", "java -cp /opt/kafka/libs/* kafka.admin.TopicCommand --list")] })),
  silent("guest-stateful-server", "a backup script named after postgres", () => facts({ processes: [proc("backup-postgres", "/bin/sh /opt/backup-postgres.sh")] })),

  fire("guest-bound-address", "PostgreSQL on 10.0.0.21", () => {
    const pg = postgres();
    return facts({ ...pg, listeners: [listen("10.0.0.21", 5432, pg.processes[0]!)] });
  }, ["guest-stateful-server"]),
  fire("guest-bound-address", "a listener on an IPv6 global address", () => facts({ listeners: [listen("fd00::2", 8443, null)] })),
  silent("guest-bound-address", "listeners on 0.0.0.0, ::, *, 127.0.0.2, ::1, ::ffff:127.0.0.1", () =>
    facts({ listeners: ["0.0.0.0", "::", "*", "127.0.0.2", "::1", "::ffff:127.0.0.1"].map((a, i) => listen(a, 9000 + i, null)) }),
  ),
];
// The threshold case: two services at guestMaxServices 1.
CASES.find((c) => c.input === "two at a threshold of one")!.parameters = { ...P, guestMaxServices: 1 };

describe("guest fit rules", () => {
  it("the tidy guest sets off none", () => {
    expect(idsOf(facts())).toEqual([]);
  });

  it.each(CASES.map((c) => ({ ...c, verb: c.fires ? "fires on" : "is silent on" })))("$rule $verb $input", ({ rule, fires, facts: f, parameters, also }) => {
    const ids = idsOf(f(), parameters);
    expect(ids).toEqual([...(fires ? [rule] : []), ...(also ?? [])].sort());
  });

  it("every guest rule has a case where it fires and a near miss where it is silent", () => {
    const ids = GUEST_RULES.map((r) => r.id).sort();
    expect([...new Set(CASES.filter((c) => c.fires).map((c) => c.rule))].sort()).toEqual(ids);
    expect([...new Set(CASES.filter((c) => !c.fires).map((c) => c.rule))].sort()).toEqual(ids);
  });

  it("every guest rule is data like the others: unique id, title, text, source, fit, and in the catalogue", () => {
    const all = [...CONTAINER_RULES, ...VM_RULES, ...GUEST_RULES, ...KATA_RULES].map((r) => r.id);
    expect(new Set(all).size).toBe(all.length);
    for (const rule of GUEST_RULES) {
      expect(rule.id).toMatch(/^guest-[a-z-]+$/);
      expect(rule.title.length, rule.id).toBeGreaterThan(0);
      expect(rule.text.length, rule.id).toBeGreaterThan(0);
      expect(rule.source.doc).toBe("docs/domain.md#guest-discovery-fit-from-evidence");
      // An upstream id comes with upstream's address; our own rules say so.
      if (rule.upstreamId?.startsWith("A")) expect(rule.source.url).toMatch(/^https:\/\/cloud\.google\.com\/migrate\//);
      if (rule.upstreamId?.startsWith("CIS-Docker-")) expect(rule.source.url).toMatch(/^https:\/\/github\.com\/docker\/docker-bench-security\//);
      expect(RULES_BY_ID.get(rule.id)?.title).toBe(rule.title);
      expect(ALL_RULES.some((r) => r.id === rule.id)).toBe(true);
      for (const id of rule.supersedes) expect(VM_RULES.some((r) => r.id === id), `${rule.id} supersedes ${id}`).toBe(true);
    }
    expect(GUEST_RULES.filter((r) => r.upstreamId !== null).map((r) => r.upstreamId).sort()).toEqual(["A1L-APP-2", "A1L-APP-3", "A1L-NET-1", "CIS-Docker-5.4"]);
  });

  it("details say what was seen", () => {
    const f = facts({ ...postgres(), extraModules: ["zfs", "spl"] });
    const findings = evaluate(GUEST_RULES, { key: "vm", name: "vm", customer: "acme", guest: f }, { parameters: P });
    expect(Object.fromEntries(findings.map((x) => [x.ruleId, x.detail]))).toEqual({ "guest-kernel-modules": "zfs, spl", "guest-stateful-server": "postgresql 15" });
    const many = evaluate(GUEST_RULES, { key: "vm", name: "vm", customer: "acme", guest: facts(services(4)) }, { parameters: P });
    expect(many[0]!.detail).toBe("4 services: app0, app1, app2, app3");
  });

  it("a server's workers and its listeners count as one service; a JVM server by its main class", () => {
    const pg = postgres();
    const es = proc("java", "/usr/share/elasticsearch/jdk/bin/java -Xms1g -Des.path.home=/usr/share/elasticsearch org.elasticsearch.bootstrap.Elasticsearch");
    const f = facts({ processes: [...pg.processes, es], listeners: [...pg.listeners, listen("::", 5432, pg.processes[0]!), listen("0.0.0.0", 9200, es)] });
    expect(servicesOf(f)).toEqual(["elasticsearch", "postgresql"]);
  });

  it("bound addresses: brackets and zones are read; hostile text is not an address of any", () => {
    expect(bindsOneInterface("[fe80::1%eth0]")).toBe(true);
    expect(bindsOneInterface("[::]")).toBe(false);
    expect(bindsOneInterface("127.255.0.1")).toBe(false);
    expect(bindsOneInterface("0.0.0.0; rm -rf /")).toBe(true);
  });

  it("worst fit: the worst level set, excellent when none", () => {
    expect(worstFit([])).toBe("excellent");
    expect(worstFit(["good", "minimal-work", "good"])).toBe("minimal-work");
    expect(worstFit(["moderate-work", "insufficient-data"])).toBe("moderate-work");
    expect(worstFit(["no-fit", "major-work"])).toBe("no-fit");
  });

  it("the OS's own services are data, with no duplicates", () => {
    expect(new Set(OS_SERVICE_PROCESSES).size).toBe(OS_SERVICE_PROCESSES.length);
    expect(OS_SERVICE_PROCESSES).toEqual(expect.arrayContaining(["systemd", "sshd", "chronyd", "vmtoolsd", "qemu-ga"]));
  });
});

// ---------------------------------------------------------------------------------------------
// Verdicts: a vSphere snapshot and a guest snapshot of the same VM.
// ---------------------------------------------------------------------------------------------

const VM: Record<string, unknown> = {
  externalId: "vm-1",
  name: "app01",
  hostExternalId: "esx-1",
  uuid: "4221cccc-0000-0000-0000-000000000001",
  powerState: "poweredOn",
  vcpus: 4,
  memoryMiB: 8192,
  provisionedMiB: 102400,
  guestOsId: "rhel9_64Guest",
  guestOsReported: "Red Hat Enterprise Linux 9 (64-bit)",
  guestOsFamily: "linux",
  hostname: "app01",
  ipAddresses: ["10.0.0.21"],
  nicCount: 1,
  disks: [{ key: "2000", capacityMiB: 102400, datastore: "ds1" }],
};

function migrate(guests: GuestFacts[], vm: Record<string, unknown> = {}, parameters: Parameters = P) {
  const hypervisor: SnapshotInput = {
    collectedAt: AT,
    hosts: [{ externalId: "esx-1", name: "esx01", role: "hypervisor", platform: "esxi", cpuCores: 32, memoryMiB: 524288, cluster: "prod" }],
    virtualMachines: [{ ...VM, ...vm } as NonNullable<SnapshotInput["virtualMachines"]>[number]],
  };
  const inventory = inventoryFromSnapshots([
    { snapshot: parseSnapshot(hypervisor), customer: "acme", prefix: "0" },
    { snapshot: parseSnapshot({ collectedAt: AT, guests }), customer: "acme", prefix: "1" },
  ]);
  return analyseMigration(inventory, parameters, []);
}
const verdictOf = (guests: GuestFacts[], vm?: Record<string, unknown>, parameters?: Parameters): Verdict => migrate(guests, vm, parameters).verdicts[0]!;

describe("a VM with a matched guest", () => {
  it("without a guest: as before, insufficient data and the footprint's saving", () => {
    const v = verdictOf([]);
    expect(v).toMatchObject({ verdict: "to-container", fit: "insufficient-data", saving: { ramMiB: 1536, diskMiB: 10240, cpuMillis: 0 } });
    expect(v.reason).toBe("Candidate for a container (a general workload; needs guest discovery): nothing in its configuration is in the way.");
    expect(v.evidence.at(-1)).toMatchObject({ source: "guest discovery", strength: "missing" });
  });

  it("a guest of another VM (no key matches) leaves it as before", () => {
    const other = facts({ productUuid: "4221dddd-0000-0000-0000-000000000009", ipAddresses: ["10.9.9.9"], macAddresses: [] });
    expect(verdictOf([other]).fit).toBe("insufficient-data");
  });

  it("a tidy guest: excellent fit, the reason says guest discovery, savings measured", () => {
    const v = verdictOf([facts()]);
    expect(v).toMatchObject({ verdict: "to-container", fit: "excellent", role: "general" });
    expect(v.reason).toBe("Moves to a container (a general workload; guest discovery: Excellent fit): nothing in its configuration or in the guest is in the way.");
    // RAM: 1,000 MiB used less the OS's services' RSS (systemd, sshd, cron: 10 MiB each) = 970 MiB of workload.
    // Disk: 10,240 MiB used less RHEL 9's OS copy (10,240 MiB) = 0 of data kept: all 102,400 provisioned saved.
    expect(v.saving).toEqual({ ramMiB: 8192 - 970, diskMiB: 102400, cpuMillis: 0 });
    const memory = v.evidence.find((e) => e.field === "memory.usedMiB")!;
    expect(memory).toMatchObject({ source: "guest discovery", strength: "strong", value: "measured: 1,000 MiB used of 7,900 MiB" });
    expect(memory.note).toContain("1,000 MiB used less 30 MiB resident in the OS's own services (systemd, sshd, cron) = 970 MiB");
    expect(memory.note).toContain("RAM saved: 8,192 MiB allocated - 970 MiB = 7,222 MiB");
    expect(v.evidence.find((e) => e.field === "filesystems")).toMatchObject({ strength: "strong", value: "measured: 10,240 MiB used on 1 filesystem" });
    expect(v.evidence.find((e) => e.field === "guest")).toMatchObject({ value: `root@10.0.0.21:22, ${AT}`, note: expect.stringContaining("DMI product UUID") });
  });

  it("PostgreSQL in the guest: a database server, needs minimal work, the name's guess superseded", () => {
    const v = verdictOf([facts(postgres())], { name: "db-app01" });
    expect(v).toMatchObject({ verdict: "to-container", fit: "minimal-work", role: "database" });
    expect(v.ruleIds).toEqual(["guest-stateful-server"]);
    expect(v.reason).toBe("Moves to a container (a database server; guest discovery: Needs minimal work), after: Stateful server in the guest.");
    expect(v.evidence).toContainEqual(
      expect.objectContaining({ source: "guest discovery", field: "software", value: "postgresql 15", strength: "strong", note: expect.stringContaining("listening on tcp 0.0.0.0:5432") }),
    );
    expect(v.roleEvidence[0]).toMatchObject({ source: "guest discovery", field: "guestDatabase", value: "postgresql 15", ruleId: "guest-database" });
  });

  it("an appliance's bundled PostgreSQL does not outweigh the appliance's own evidence", () => {
    const v = verdictOf([facts(postgres())], { product: { name: "Orchestrator Appliance", vendor: "Example Corp", version: "8.2" } });
    expect(v).toMatchObject({ verdict: "stay-vm", role: "appliance", fit: "no-fit" });
    expect(v.roleEvidence.find((e) => e.ruleId === "guest-database")).toMatchObject({ source: "guest discovery", supports: "database" });
  });

  it("the name says database, the guest runs none: the name's guess is dropped", () => {
    const v = verdictOf([facts()], { name: "db-app01" });
    expect(v.ruleIds).not.toContain("database-in-guest");
    expect(v.fit).toBe("excellent");
  });

  it("containers running in the guest: a container host, stays, no saving", () => {
    const v = verdictOf([facts({ processes: [dockerd, containerd, shim(), shim()] })]);
    expect(v).toMatchObject({ verdict: "stay-vm", role: "container-host", fit: "no-fit", saving: { ramMiB: 0, diskMiB: 0, cpuMillis: 0 } });
    expect(v.roleEvidence[0]).toMatchObject({ source: "guest discovery", strength: "strong", field: "guestContainers", value: "dockerd, containerd with 2 container processes" });
    expect(v.ruleIds).toContain("guest-container-runtime");
  });

  it("kubelet in the guest: a Kubernetes node", () => {
    const v = verdictOf([facts({ processes: [proc("kubelet", "/usr/bin/kubelet"), containerd, shim()] })]);
    expect(v).toMatchObject({ verdict: "stay-vm", role: "kubernetes-node" });
  });

  it("dockerd with no container: not a container host, graded as a workload", () => {
    const v = verdictOf([facts({ processes: [dockerd, containerd] })]);
    expect(v).toMatchObject({ verdict: "to-container", role: "general", fit: "excellent" });
  });

  it("a desktop session: stays a VM, no fit, said from the guest", () => {
    const v = verdictOf([facts({ processes: [proc("Xorg", "/usr/lib/xorg/Xorg :0")] })]);
    expect(v).toMatchObject({ verdict: "stay-vm", fit: "no-fit" });
    expect(v.reason).toBe("Stays a VM (a general workload; guest discovery): Desktop session in the guest.");
  });

  it("kernel modules of its own: Kata, major work, Kata's overhead off the measured saving", () => {
    const v = verdictOf([facts({ extraModules: ["nvidia"] })]);
    expect(v).toMatchObject({ verdict: "to-kata", fit: "major-work" });
    expect(v.reason).toBe("Moves to Kata Containers (a general workload; guest discovery: Needs major work): Kernel modules of its own.");
    expect(v.saving.ramMiB).toBe(8192 - 970 - 320);
  });

  it("the worst level wins: a stateful server listening on one address needs minimal work", () => {
    const pg = postgres();
    const v = verdictOf([facts({ ...pg, listeners: [listen("10.0.0.21", 5432, pg.processes[0]!)] })]);
    expect(v.fit).toBe("minimal-work");
    expect(v.reason).toContain("after: Stateful server in the guest; Listens on one interface's address.");
  });

  it("the newest guest of the VM is the one read", () => {
    const older = facts({ ...postgres(), collectedAt: "2026-12-01T00:00:00.000Z", target: "root@old:22" });
    const v = verdictOf([facts(), older]);
    expect(v.fit).toBe("excellent");
    expect(v.evidence.find((e) => e.field === "guest")!.value).toBe(`root@10.0.0.21:22, ${AT}`);
  });

  it("powered off: no RAM saved; disk as measured", () => {
    expect(verdictOf([facts()], { powerState: "poweredOff" }).saving).toEqual({ ramMiB: 0, diskMiB: 102400, cpuMillis: 0 });
  });

  it("the disk saving keeps the workload's data: used less the OS copy, never below 0 nor above the provisioned size", () => {
    const big = facts({
      filesystems: [
        { mountPoint: "/", fsType: "ext4", device: "/dev/sda1", sizeMiB: 40960, freeMiB: 20480 },
        { mountPoint: "/var/lib/data", fsType: "xfs", device: "/dev/sdb", sizeMiB: 61440, freeMiB: 1440 },
        // Not the VM's disk: left out.
        { mountPoint: "/mnt/share", fsType: "nfs4", device: "nas:/export", sizeMiB: 1e6, freeMiB: 0 },
      ],
    });
    // Used 20,480 + 60,000 = 80,480; less RHEL 9's 10,240 = 70,240 kept; 102,400 - 70,240 = 32,160 saved.
    expect(verdictOf([big]).saving.diskMiB).toBe(32160);
    const full = facts({ filesystems: [{ mountPoint: "/", fsType: "ext4", device: "/dev/sda1", sizeMiB: 204800, freeMiB: 0 }] });
    expect(verdictOf([full]).saving.diskMiB).toBe(0);
    // A thin disk: the datastore holds 90,000 MiB of the 102,400 provisioned; 90,000 - 70,240 = 19,760 saved.
    const thin = verdictOf([big], { usedMiB: 90000 });
    expect(thin.saving.diskMiB).toBe(19760);
    expect(thin.evidence.find((e) => e.field === "filesystems")?.note).toMatch(/disk saved: 90,000 MiB in use on the datastore - 70,240 MiB = 19,760 MiB$/);
  });

  it("what the guest did not give: said as missing, the footprint's figure used instead", () => {
    const partial = facts({ memory: { totalMiB: null, availableMiB: null, usedMiB: null }, filesystems: [], unread: ["processes' users: needs sudo"] });
    const v = verdictOf([partial]);
    expect(v.saving).toEqual({ ramMiB: 1536, diskMiB: 10240, cpuMillis: 0 });
    expect(v.evidence).toContainEqual(expect.objectContaining({ field: "memory.usedMiB", strength: "missing" }));
    expect(v.evidence).toContainEqual(expect.objectContaining({ field: "filesystems", strength: "missing" }));
    expect(v.evidence).toContainEqual(expect.objectContaining({ field: "unread", value: "processes' users: needs sudo", strength: "missing" }));
  });

  it("a guest using more than the VM has saves no RAM (never negative)", () => {
    const hungry = facts({ memory: { totalMiB: 16000, availableMiB: 0, usedMiB: 16000 } });
    expect(verdictOf([hungry]).saving.ramMiB).toBe(0);
  });

  it("an OS the VM's tools do not report is read from the guest's os-release", () => {
    const v = verdictOf([facts()], { guestOsId: null, guestOsReported: null, guestOsFamily: "unknown" });
    expect(v).toMatchObject({ verdict: "to-container", os: "RHEL 9", fit: "excellent" });
    // Without the guest, nobody names the OS: insufficient data.
    expect(verdictOf([], { guestOsId: null, guestOsReported: null, guestOsFamily: "unknown" })).toMatchObject({ verdict: "stay-vm", fit: "insufficient-data" });
  });

  it("many services: moderate work to split first, at the parameter's threshold", () => {
    expect(verdictOf([facts(services(4))]).fit).toBe("moderate-work");
    expect(verdictOf([facts(services(4))], {}, { ...P, guestMaxServices: 4 }).fit).toBe("excellent");
  });
});

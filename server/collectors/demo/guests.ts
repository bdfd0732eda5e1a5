/**
 * Guest discovery for the demo fleet (issue 16): what the guest collector (server/collectors/guest/)
 * would have read inside a share of each demo customer's powered-on Linux VMs, so that the Guests and
 * Dependencies tabs and the graded fit have something to show on first start, while the rest of the
 * Linux VMs stay "insufficient data" (the coverage figure is the point of the tab).
 *
 * Deterministic: a stream of its own (`<customer>|<seed>|guests`), drawn after the fleet is built, so
 * the rest of the fleet is what it was. Only customers' snapshots get guests; the benchmark fleet
 * (generateFleetSnapshot) does not.
 *
 * What each guest reads follows its VM: the DMI product UUID is the VM's uuid, its MACs and IPs, the
 * OS and kernel of the VM's guest OS, MemTotal a little below the configured memory (as engine hosts
 * report it, containers.ts), its disks as filesystems; the OS's own processes, units and listeners
 * per distribution; the workload by the VM's role (web: nginx or Apache with PHP; load balancers:
 * HAProxy; app: Tomcat, a Spring Boot jar, Node, gunicorn or .NET; db: the engine its annotation
 * names; cache: Redis or memcached; mq: RabbitMQ or Kafka; ci: Jenkins; mon: a Prometheus stack; file:
 * Samba and NFS; batch: Celery workers; engine hosts: dockerd or Podman with a shim or conmon per
 * running container). Established connections follow application stacks (load balancer → web → app
 * → database, cache, queue; some app → public APIs on 443), so the Dependencies tab shows groups.
 * Software is what software.ts's detectSoftware recognises in those processes, as the real collector
 * would. A few guests were read without sudo (no product UUID: matched by MAC; listeners without
 * their process; "needs sudo" in unread), and across a customer with enough guests each guest fit
 * rule (analysis/rules/guest.ts) fires somewhere: a container host, a desktop session, ZFS or NVIDIA
 * modules, a raw device, an OpenVPN server keeping NET_ADMIN as nobody (chronyd's SYS_TIME and a Node
 * app's NET_BIND_SERVICE beside it, the rule's near misses), a monitoring VM of many services,
 * databases, a listener on one address; and
 * one guest is matched to no VM (a physical backup server the hypervisors do not know).
 */
import type { GuestConnection, GuestFacts, GuestFilesystem, GuestListener, GuestPrivilegedProcess, GuestProcess, GuestRawDevice } from "../guest/facts";
import { detectSoftware } from "../guest/software";
import type { Role } from "./catalogue";
import type { Profile } from "./customers";
import type { ContainerInput, HostInput, VmInput, VmPlan } from "./model";
import { DAY_MS, Rng } from "./random";

/** Share of the eligible VMs (powered-on Linux VMs reporting an address, not appliances) read. */
const SHARE = { min: 0.42, max: 0.58 } as const;
/** Share of guests read without sudo. */
const NO_SUDO = 0.12;
/** A customer with at least this many guests gets every guest fit rule to fire somewhere. */
const EVERY_RULE_FROM = 10;
/** Shims or conmons listed per engine host at most (the rest of its containers are not listed). */
const MAX_CONTAINER_PROCESSES = 120;
/** The collector's own account on the guests. */
const SSH_USER = "fleetlens";

/** Public addresses app servers talk to on 443 (payment, mail, package and monitoring SaaS). */
const PUBLIC_APIS = ["93.184.216.34", "140.82.121.4", "151.101.1.69", "104.18.32.7", "52.85.132.99", "35.186.224.25"];

export interface GuestVm {
  plan: VmPlan;
  vm: VmInput;
}

interface Distro {
  id: string;
  versionId: string;
  deb: boolean;
  rootFs: string;
  rootDevice: (disk: string) => string;
  packages: [number, number];
  sshUnit: string;
  cron: { name: string; unit: string; command: string };
  time: { name: string; user: string; unit: string; command: string };
  dbus: { name: string; unit: string; command: string };
  web: { user: string; apache: string; apacheUnit: string; php: string | null };
  java: string;
}

const DEB_BASE = {
  deb: true,
  sshUnit: "ssh.service",
  cron: { name: "cron", unit: "cron.service", command: "/usr/sbin/cron -f" },
  dbus: { name: "dbus-daemon", unit: "dbus.service", command: "@dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only" },
  java: "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
};
const RPM_BASE = {
  deb: false,
  sshUnit: "sshd.service",
  cron: { name: "crond", unit: "crond.service", command: "/usr/sbin/crond -n" },
  time: { name: "chronyd", user: "chrony", unit: "chronyd.service", command: "/usr/sbin/chronyd -F 2" },
  dbus: { name: "dbus-broker", unit: "dbus-broker.service", command: "dbus-broker --log 4 --controller 9 --machine-id 0 --max-bytes 536870912 --max-fds 4096 --max-matches 131072 --audit" },
  web: { user: "apache", apache: "/usr/sbin/httpd -DFOREGROUND", apacheUnit: "httpd.service", php: null },
  java: "/usr/lib/jvm/java-17-openjdk-17.0.11.0.9-2.el9.x86_64/bin/java",
};
const TIMESYNCD = { name: "systemd-timesyn", user: "systemd-timesync", unit: "systemd-timesyncd.service", command: "/lib/systemd/systemd-timesyncd" };
const lvm = (vg: string) => (disk: string) => (disk === "" ? `/dev/mapper/${vg}-root` : `/dev/mapper/${vg}-root`);

const DISTROS: Record<string, Distro> = {
  rhel9: { ...RPM_BASE, id: "rhel", versionId: "9.4", rootFs: "xfs", rootDevice: lvm("rhel"), packages: [420, 780] },
  rhel8: { ...RPM_BASE, id: "rhel", versionId: "8.10", rootFs: "xfs", rootDevice: lvm("rhel"), packages: [450, 820], java: "/usr/lib/jvm/java-11-openjdk-11.0.23.0.9-3.el8.x86_64/bin/java" },
  rocky9: { ...RPM_BASE, id: "rocky", versionId: "9.4", rootFs: "xfs", rootDevice: lvm("rl"), packages: [400, 720] },
  ubuntu2204: {
    ...DEB_BASE,
    id: "ubuntu",
    versionId: "22.04",
    rootFs: "ext4",
    rootDevice: () => "/dev/mapper/ubuntu--vg-ubuntu--lv",
    packages: [580, 900],
    time: TIMESYNCD,
    web: { user: "www-data", apache: "/usr/sbin/apache2 -k start", apacheUnit: "apache2.service", php: "8.1" },
  },
  ubuntu2004: {
    ...DEB_BASE,
    id: "ubuntu",
    versionId: "20.04",
    rootFs: "ext4",
    rootDevice: () => "/dev/mapper/ubuntu--vg-ubuntu--lv",
    packages: [560, 880],
    time: TIMESYNCD,
    web: { user: "www-data", apache: "/usr/sbin/apache2 -k start", apacheUnit: "apache2.service", php: "7.4" },
    java: "/usr/lib/jvm/java-11-openjdk-amd64/bin/java",
  },
  debian12: {
    ...DEB_BASE,
    id: "debian",
    versionId: "12",
    rootFs: "ext4",
    rootDevice: (disk) => `/dev/${disk}1`,
    packages: [380, 650],
    time: TIMESYNCD,
    web: { user: "www-data", apache: "/usr/sbin/apache2 -k start", apacheUnit: "apache2.service", php: "8.2" },
  },
  sles15: {
    ...RPM_BASE,
    id: "sles",
    versionId: "15.5",
    rootFs: "btrfs",
    rootDevice: (disk) => `/dev/${disk}2`,
    packages: [900, 1400],
    cron: { name: "cron", unit: "cron.service", command: "/usr/sbin/cron -n" },
    dbus: DEB_BASE.dbus,
    web: { user: "wwwrun", apache: "/usr/sbin/httpd-prefork -DSYSCONFIG -DFOREGROUND", apacheUnit: "apache2.service", php: null },
  },
};

/** What a guest is given beyond its role's workload, so that every guest rule fires somewhere. */
interface Traits {
  sudo: boolean;
  desktop: boolean;
  zfs: boolean;
  nvidia: boolean;
  rawDevice: boolean;
  boundAddress: boolean;
  manyServices: boolean;
  /** An OpenVPN server for remote administration: a process of user nobody holding NET_ADMIN. */
  vpn: boolean;
}

/** A server side: what listens where, for the flows that reach it. */
interface Service {
  port: number;
  process: string;
}

/** One established connection, read from either end (the ends' guests read the same 4-tuple). */
interface Flow {
  client: VmInput;
  server: VmInput | null;
  serverAddress: string;
  clientPort: number;
  port: number;
  clientProcess: string;
}

interface Draft {
  vm: VmInput;
  role: Role;
  distro: Distro;
  kernel: string | null;
  traits: Traits;
  processes: GuestProcess[];
  units: string[];
  listeners: GuestListener[];
  rawDevices: GuestRawDevice[];
  privileged: GuestPrivilegedProcess[];
  extraModules: string[];
  filesystems: GuestFilesystem[];
  extraAddresses: string[];
  extraMacs: string[];
  cronJobs: number;
  nextPid: number;
  /** Resident memory the workload's processes share, MiB (spread over them at the end). */
  workloadMiB: number;
}

const ip = (vm: VmInput) => vm.ipAddresses?.[0] ?? "";

/**
 * Guest facts for a share of a customer's powered-on Linux VMs. `pairs` are the VMs with their
 * plans (role, OS); `hosts` and `containers` say which are engine hosts and what runs in them.
 */
export function buildGuests(
  seedText: string,
  profile: Pick<Profile, "prefix" | "domain" | "octet">,
  collectedAt: string,
  pairs: readonly GuestVm[],
  hosts: readonly HostInput[],
  containers: readonly ContainerInput[],
): GuestFacts[] {
  const rng = new Rng(`${seedText}|guests`);
  const baseMs = Date.parse(collectedAt);
  const eligible = pairs.filter(
    ({ plan, vm }) =>
      !vm.template &&
      vm.powerState === "poweredOn" &&
      vm.guestOsFamily === "linux" &&
      (vm.ipAddresses?.length ?? 0) > 0 &&
      !vm.product &&
      !vm.managedBy &&
      DISTROS[plan.os.key] !== undefined,
  );
  if (eligible.length === 0) return [];

  // Which are read: a share of them, an engine host among them when there is one.
  const count = Math.max(1, Math.round(eligible.length * rng.range(SHARE.min, SHARE.max)));
  const chosen = new Set(rng.sample(eligible, count));
  const engines = eligible.filter((p) => p.plan.role === "docker" || p.plan.role === "podman");
  if (engines.length > 0 && ![...chosen].some((p) => engines.includes(p))) {
    const drop = [...chosen].find((p) => p.plan.role !== "docker" && p.plan.role !== "podman");
    if (drop) chosen.delete(drop);
    chosen.add(rng.pick(engines));
  }
  const read = eligible.filter((p) => chosen.has(p));

  // Application stacks over every Linux VM with an address (read or not): who talks to whom.
  const stackOf = planStacks(rng, pairs);
  const running = new Map<string, ContainerInput[]>();
  for (const c of containers) {
    if (c.state !== "running") continue;
    const list = running.get(c.hostExternalId) ?? [];
    list.push(c);
    running.set(c.hostExternalId, list);
  }
  const engineOf = new Map(hosts.filter((h) => h.role === "container-engine" && h.hardwareUuid).map((h) => [h.hardwareUuid!, h]));
  const monitored = rng.chance(0.6);

  const drafts = read.map(({ plan, vm }): Draft => {
    const traits: Traits = {
      sudo: !rng.chance(NO_SUDO),
      desktop: false,
      zfs: plan.role === "file" && rng.chance(0.4),
      nvidia: vm.passthrough === true && rng.chance(0.8),
      rawDevice: (vm.disks ?? []).some((d) => d.rdm !== "none"),
      boundAddress: false,
      manyServices: false,
      vpn: plan.role === "proxy" && rng.chance(0.3),
    };
    return {
      vm,
      role: plan.role,
      distro: DISTROS[plan.os.key]!,
      kernel: plan.os.kernel,
      traits,
      processes: [],
      units: [],
      listeners: [],
      rawDevices: [],
      privileged: [],
      extraModules: [],
      filesystems: [],
      extraAddresses: [],
      extraMacs: [],
      cronJobs: rng.int(0, 4),
      nextPid: rng.int(380, 900),
      workloadMiB: 0,
    };
  });
  guaranteeTraits(rng, drafts);

  // Services first (the flows need each server's port), then the flows, then each guest's facts.
  const services = new Map<VmInput, Service>();
  for (const { plan, vm } of pairs) {
    const service = serviceOf(rng, plan.role, vm);
    if (service) services.set(vm, service);
  }
  const flows = planFlows(rng, stackOf, services);
  const flowsOf = new Map<VmInput, Flow[]>();
  for (const f of flows) {
    for (const end of [f.client, f.server]) {
      if (!end) continue;
      const list = flowsOf.get(end) ?? [];
      list.push(f);
      flowsOf.set(end, list);
    }
  }

  const guests = drafts.map((d) => {
    osProcesses(rng, d, monitored);
    workload(rng, d, services.get(d.vm) ?? null, engineOf.get(d.vm.uuid ?? ""), running, monitored);
    addTraits(rng, d);
    return finish(rng, d, baseMs, flowsOf.get(d.vm) ?? []);
  });
  if (drafts.length >= EVERY_RULE_FROM) guests.push(physicalBackupServer(rng, profile, baseMs, monitored));
  return guests;
}

/**
 * A guest matched to no VM, as the Guests tab flags it: the customer's physical backup server, listed
 * among the guest source's targets but in no hypervisor's inventory (its UUID, MACs and address are
 * its own). Bareos's director and storage daemon, the storage daemon writing to a disk of its own.
 */
function physicalBackupServer(rng: Rng, profile: Pick<Profile, "prefix" | "domain" | "octet">, baseMs: number, monitored: boolean): GuestFacts {
  const name = `${profile.prefix}-bkp-phys-01`;
  const uuid = `4c4c4544-00${rng.int(10, 99)}-4410-8${rng.int(100, 999)}-b${rng.int(1000000, 9999999)}c04f`;
  const vm: VmInput = {
    externalId: `${name}|physical`,
    name,
    uuid,
    // Not null: a physical server's disks are sd*, as vSphere's are (filesystemsOf).
    instanceUuid: "physical",
    powerState: "poweredOn",
    vcpus: 16,
    memoryMiB: 65_536,
    hostname: `${name}.${profile.domain}`,
    ipAddresses: [`10.${profile.octet}.250.10`],
    macAddresses: ["b4:96:91:4c:10:2a", "b4:96:91:4c:10:2b"],
    guestOsReported: "Debian GNU/Linux 12 (bookworm)",
    disks: [
      { key: "sda", capacityMiB: 480 * 1024, rdm: "none", sharing: "none" },
      { key: "sdb", capacityMiB: 16 * 1024 * 1024, rdm: "none", sharing: "none" },
    ],
  };
  const d: Draft = {
    vm,
    role: "backup",
    distro: DISTROS.debian12!,
    kernel: "6.1.0-25-amd64",
    traits: { sudo: true, desktop: false, zfs: false, nvidia: false, rawDevice: true, boundAddress: false, manyServices: false, vpn: false },
    processes: [],
    units: [],
    listeners: [],
    rawDevices: [],
    privileged: [],
    extraModules: [],
    filesystems: [],
    extraAddresses: [],
    extraMacs: [],
    cronJobs: rng.int(2, 6),
    nextPid: rng.int(600, 900),
    workloadMiB: 0,
  };
  osProcesses(rng, d, monitored);
  const director = proc(d, "bareos-dir", "bareos", 0, rng.range(0, 2), "/usr/sbin/bareos-dir -f");
  listen(d, "tcp", "*", 9101, director);
  d.units.push("bareos-dir.service");
  d.workloadMiB = vm.memoryMiB * rng.range(0.1, 0.2);
  addTraits(rng, d);
  return finish(rng, d, baseMs, []);
}

/** At least one guest per rule in a customer with enough guests, on a guest whose role suits it. */
function guaranteeTraits(rng: Rng, drafts: Draft[]) {
  const plain = drafts.filter((d) => d.role !== "docker" && d.role !== "podman");
  const find = (test: (d: Draft) => boolean) => plain.find(test) ?? null;
  for (const d of plain) {
    if (["batch", "ci"].includes(d.role) && rng.chance(0.08)) d.traits.desktop = true;
    if (["cache", "proxy"].includes(d.role) && rng.chance(0.4)) d.traits.boundAddress = true;
    if (d.role === "app" && rng.chance(0.05)) d.traits.manyServices = true;
  }
  if (plain.length > 0 && !drafts.some((d) => d.traits.sudo)) drafts[0]!.traits.sudo = true;
  if (drafts.length >= 5 && drafts.every((d) => d.traits.sudo)) {
    const d = find((x) => x.role === "web" || x.role === "app") ?? find(() => true);
    if (d) d.traits.sudo = false;
  }
  if (drafts.length < EVERY_RULE_FROM || plain.length === 0) return;
  const free = (d: Draft) => !d.traits.desktop && !d.traits.zfs && !d.traits.rawDevice && !d.traits.manyServices && !d.traits.vpn;
  const give = (has: (d: Draft) => boolean, prefer: (d: Draft) => boolean, set: (d: Draft) => void) => {
    if (plain.some(has)) return;
    set(find((x) => prefer(x) && free(x)) ?? find(free) ?? rng.pick(plain));
  };
  give((d) => d.traits.desktop, (d) => ["batch", "ci"].includes(d.role), (d) => (d.traits.desktop = true));
  give((d) => d.traits.zfs || d.traits.nvidia, (d) => d.role === "file", (d) => (d.traits.zfs = true));
  give(
    (d) => d.traits.rawDevice && d.traits.sudo,
    (d) => ["db", "file"].includes(d.role),
    (d) => {
      d.traits.rawDevice = true;
      d.traits.sudo = true;
    },
  );
  give((d) => d.traits.boundAddress, (d) => ["cache", "proxy", "db"].includes(d.role), (d) => (d.traits.boundAddress = true));
  give((d) => d.traits.manyServices || d.role === "mon", (d) => d.role === "app", (d) => (d.traits.manyServices = true));
  give((d) => d.traits.vpn, (d) => d.role === "proxy", (d) => (d.traits.vpn = true));
}

// ---- stacks and flows -----------------------------------------------------------------------------

const STACK_ROLES: readonly Role[] = ["proxy", "web", "app", "db", "cache", "mq", "batch"];

/** Each web/app/db/... Linux VM with an address in one application stack; about 3 app servers a stack. */
function planStacks(rng: Rng, pairs: readonly GuestVm[]): Map<number, Map<Role, VmInput[]>> {
  const members = pairs.filter(
    ({ plan, vm }) => !vm.template && vm.powerState === "poweredOn" && vm.guestOsFamily === "linux" && (vm.ipAddresses?.length ?? 0) > 0 && STACK_ROLES.includes(plan.role),
  );
  const apps = members.filter((p) => p.plan.role === "app").length;
  const count = Math.max(1, Math.round(apps / 3));
  const stacks = new Map<number, Map<Role, VmInput[]>>();
  const byRole = new Map<Role, GuestVm[]>();
  for (const p of members) byRole.set(p.plan.role, [...(byRole.get(p.plan.role) ?? []), p]);
  for (const [role, list] of byRole) {
    // Round robin from a random start: every stack gets its share of each tier.
    const start = rng.int(0, count - 1);
    list.forEach((p, i) => {
      const id = (start + i) % count;
      const stack = stacks.get(id) ?? new Map<Role, VmInput[]>();
      stack.set(role, [...(stack.get(role) ?? []), p.vm]);
      stacks.set(id, stack);
    });
  }
  return stacks;
}

function planFlows(rng: Rng, stacks: Map<number, Map<Role, VmInput[]>>, services: Map<VmInput, Service>): Flow[] {
  const flows: Flow[] = [];
  const usedPorts = new Map<VmInput, Set<number>>();
  const ephemeral = (client: VmInput) => {
    const used = usedPorts.get(client) ?? new Set<number>();
    usedPorts.set(client, used);
    let port = rng.int(32768, 60999);
    while (used.has(port)) port = port === 60999 ? 32768 : port + 1;
    used.add(port);
    return port;
  };
  const connect = (client: VmInput, server: VmInput, clientProcess: string, n: number) => {
    const service = services.get(server);
    if (!service || client === server) return;
    for (let i = 0; i < n; i++) {
      flows.push({ client, server, serverAddress: ip(server), clientPort: ephemeral(client), port: service.port, clientProcess });
    }
  };
  for (const stack of stacks.values()) {
    const of = (role: Role) => stack.get(role) ?? [];
    const front = of("web").length > 0 ? of("web") : of("app");
    for (const lb of of("proxy")) for (const web of front) connect(lb, web, services.get(lb)?.process ?? "haproxy", rng.int(1, 4));
    for (const web of of("web")) {
      for (const app of of("app")) if (rng.chance(0.8)) connect(web, app, services.get(web)?.process ?? "nginx", rng.int(1, 6));
    }
    for (const app of [...of("app"), ...of("batch")]) {
      const client = services.get(app)?.process ?? "python3";
      for (const db of of("db")) if (rng.chance(0.85)) connect(app, db, client, rng.int(2, 10));
      for (const cache of of("cache")) if (rng.chance(0.7)) connect(app, cache, client, rng.int(1, 4));
      for (const mq of of("mq")) if (rng.chance(0.6)) connect(app, mq, client, rng.int(1, 3));
      if (rng.chance(0.35)) {
        const address = rng.pick(PUBLIC_APIS);
        for (let i = rng.int(1, 3); i > 0; i--) {
          flows.push({ client: app, server: null, serverAddress: address, clientPort: ephemeral(app), port: 443, clientProcess: client });
        }
      }
    }
  }
  return flows;
}

/** The service a VM of this role offers to the others (its port and process), if any. */
function serviceOf(rng: Rng, role: Role, vm: VmInput): Service | null {
  switch (role) {
    case "proxy":
      return { port: 80, process: rng.chance(0.6) ? "haproxy" : "nginx" };
    case "web":
      return { port: 80, process: rng.chance(0.7) ? "nginx" : "apache" };
    case "app": {
      const kind = rng.pick(["tomcat", "tomcat", "spring", "spring", "node", "gunicorn", "dotnet"] as const);
      const port = { tomcat: 8080, spring: 8080, node: 3000, gunicorn: 8000, dotnet: 5000 }[kind];
      return { port, process: { tomcat: "java", spring: "java", node: "node", gunicorn: "python3.11", dotnet: "dotnet" }[kind] };
    }
    case "db": {
      const engine = /^(PostgreSQL|MySQL|MariaDB|MongoDB)/.exec(vm.annotation ?? "")?.[1] ?? "PostgreSQL";
      return {
        PostgreSQL: { port: 5432, process: "postgres" },
        MySQL: { port: 3306, process: "mysqld" },
        MariaDB: { port: 3306, process: "mariadbd" },
        MongoDB: { port: 27017, process: "mongod" },
      }[engine]!;
    }
    case "cache":
      return rng.chance(0.8) ? { port: 6379, process: "redis-server" } : { port: 11211, process: "memcached" };
    case "mq":
      return rng.chance(0.6) ? { port: 5672, process: "beam.smp" } : { port: 9092, process: "java" };
    default:
      return null;
  }
}

// ---- processes --------------------------------------------------------------------------------------

function proc(d: Draft, name: string, user: string | null, rssMiB: number, cpuPercent: number, command: string, pid?: number): GuestProcess {
  const p: GuestProcess = { pid: pid ?? d.nextPid, name, user, rssMiB: Math.round(rssMiB * 10) / 10, cpuPercent: Math.round(cpuPercent * 10) / 10, command };
  if (pid === undefined) d.nextPid += 1 + (d.nextPid % 7);
  d.processes.push(p);
  return p;
}

function listen(d: Draft, protocol: "tcp" | "udp", address: string, port: number, p: GuestProcess | null) {
  d.listeners.push({ protocol, address, port, process: p?.name ?? null, pid: p?.pid ?? null });
}

function osProcesses(rng: Rng, d: Draft, monitored: boolean) {
  const { distro, vm } = d;
  const esxi = vm.instanceUuid != null;
  proc(d, "systemd", "root", rng.range(9, 14), 0.1, distro.deb ? "/sbin/init" : "/usr/lib/systemd/systemd --switched-root --system --deserialize 31", 1);
  const threads = ["kthreadd", "rcu_preempt", "ksoftirqd/0", "kworker/0:1-events", "kswapd0", "khugepaged", "kcompactd0"];
  threads.forEach((t, i) => proc(d, t, "root", 0, 0, `[${t}]`, 2 + i * 3));
  proc(d, "systemd-journal", "root", rng.range(18, 90), 0.1, distro.deb ? "/lib/systemd/systemd-journald" : "/usr/lib/systemd/systemd-journald");
  proc(d, "systemd-udevd", "root", rng.range(6, 12), 0, distro.deb ? "/lib/systemd/systemd-udevd" : "/usr/lib/systemd/systemd-udevd");
  proc(d, distro.dbus.name, distro.deb ? "messagebus" : "dbus", rng.range(3, 6), 0, distro.dbus.command);
  proc(d, "systemd-logind", "root", rng.range(5, 8), 0, distro.deb ? "/lib/systemd/systemd-logind" : "/usr/lib/systemd/systemd-logind");
  const time = proc(d, distro.time.name, distro.time.user, rng.range(2, 5), 0, distro.time.command);
  if (distro.time.name === "chronyd") {
    // chronyd drops root for its user, keeping SYS_TIME: the OS's own, left out by the rule.
    d.privileged.push({ pid: time.pid, process: time.name, uid: 992, capabilities: ["SYS_TIME"] });
    listen(d, "udp", "127.0.0.1", 323, time);
    listen(d, "udp", "::1", 323, time);
  }
  proc(d, distro.cron.name, "root", rng.range(2, 4), 0, distro.cron.command);
  proc(d, "rsyslogd", "syslog", rng.range(4, 9), 0, "/usr/sbin/rsyslogd -n -iNONE");
  if (!distro.deb) {
    proc(d, "auditd", "root", rng.range(3, 6), 0, "/sbin/auditd");
    proc(d, "NetworkManager", "root", rng.range(14, 22), 0, "/usr/sbin/NetworkManager --no-daemon");
    proc(d, "polkitd", "polkitd", rng.range(18, 26), 0, "/usr/lib/polkit-1/polkitd --no-debug");
    proc(d, "irqbalance", "root", rng.range(2, 4), 0, "/usr/sbin/irqbalance --foreground");
  }
  if (distro.id === "ubuntu") {
    const resolved = proc(d, "systemd-resolve", "systemd-resolve", rng.range(10, 14), 0, "/lib/systemd/systemd-resolved");
    listen(d, "udp", "127.0.0.53", 53, resolved);
    listen(d, "tcp", "127.0.0.53", 53, resolved);
    proc(d, "systemd-network", "systemd-network", rng.range(6, 9), 0, "/lib/systemd/systemd-networkd");
  }
  proc(d, esxi ? "vmtoolsd" : "qemu-ga", "root", esxi ? rng.range(6, 10) : rng.range(2, 4), 0.1, esxi ? "/usr/bin/vmtoolsd" : "/usr/bin/qemu-ga");
  proc(d, "agetty", "root", 2, 0, "/sbin/agetty -o -p -- \\u --noclear tty1 linux");
  const sshd = proc(d, "sshd", "root", rng.range(6, 9), 0, "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups");
  listen(d, "tcp", "0.0.0.0", 22, sshd);
  listen(d, "tcp", "::", 22, sshd);
  // The collector's own session, as ps lists it.
  proc(d, "sshd", "root", rng.range(9, 11), 0, `sshd: ${SSH_USER} [priv]`);
  proc(d, "sshd", SSH_USER, rng.range(5, 7), 0, `sshd: ${SSH_USER}@notty`);
  if (monitored) {
    const exporter = proc(d, "node_exporter", "node_exporter", rng.range(14, 24), rng.range(0, 0.5), "/usr/local/bin/node_exporter --collector.systemd --web.listen-address=:9100");
    listen(d, "tcp", "*", 9100, exporter);
    d.units.push("node_exporter.service");
  }
  d.units.push(
    "systemd-journald.service", "systemd-udevd.service", "systemd-logind.service", distro.dbus.unit, distro.time.unit, distro.cron.unit,
    "rsyslog.service", distro.sshUnit, "getty@tty1.service", esxi ? "vmtoolsd.service" : "qemu-guest-agent.service",
  );
  if (!distro.deb) d.units.push("auditd.service", "NetworkManager.service", "polkit.service", "irqbalance.service");
  if (distro.id === "ubuntu") d.units.push("systemd-resolved.service", "systemd-networkd.service");
  d.units.push(`user@${rng.int(1000, 1010)}.service`);
}

/** Adds the role's workload: its processes, units, listeners, and the memory they hold. */
function workload(
  rng: Rng,
  d: Draft,
  service: Service | null,
  engine: HostInput | undefined,
  running: Map<string, ContainerInput[]>,
  monitored: boolean,
) {
  const { distro, vm } = d;
  const mem = vm.memoryMiB;
  const own = ip(vm);
  const any = (p: GuestProcess, port: number, v6 = true) => {
    listen(d, "tcp", "0.0.0.0", port, p);
    if (v6) listen(d, "tcp", "::", port, p);
  };
  switch (d.role) {
    case "proxy": {
      const address = d.traits.boundAddress ? own : "0.0.0.0";
      if (service?.process === "nginx") {
        const master = nginx(rng, d, 2);
        listen(d, "tcp", address, 80, master);
        listen(d, "tcp", address, 443, master);
      } else {
        proc(d, "haproxy", "root", rng.range(8, 12), 0, "/usr/sbin/haproxy -Ws -f /etc/haproxy/haproxy.cfg -p /run/haproxy.pid -S /run/haproxy-master.sock");
        const worker = proc(d, "haproxy", "haproxy", rng.range(30, 90), rng.range(1, 12), "/usr/sbin/haproxy -Ws -f /etc/haproxy/haproxy.cfg -p /run/haproxy.pid -S /run/haproxy-master.sock");
        listen(d, "tcp", address, 80, worker);
        listen(d, "tcp", address, 443, worker);
        listen(d, "tcp", "127.0.0.1", 8404, worker);
        d.units.push("haproxy.service");
      }
      d.workloadMiB = mem * rng.range(0.05, 0.15);
      break;
    }
    case "web": {
      if (service?.process === "apache") {
        const apacheName = distro.deb ? "apache2" : "httpd";
        const master = proc(d, apacheName, "root", rng.range(8, 14), 0, distro.web.apache);
        for (let i = 0; i < 4; i++) proc(d, apacheName, distro.web.user, rng.range(10, 25), rng.range(0, 3), distro.web.apache);
        any(master, 80);
        any(master, 443);
        const phpUnit = distro.web.php ? `php${distro.web.php}-fpm.service` : "php-fpm.service";
        const conf = distro.web.php ? `/etc/php/${distro.web.php}/fpm/php-fpm.conf` : "/etc/php-fpm.conf";
        const phpName = distro.web.php ? `php-fpm${distro.web.php}` : "php-fpm";
        const fpm = proc(d, phpName, "root", rng.range(20, 30), 0, `php-fpm: master process (${conf})`);
        for (let i = 0; i < 5; i++) proc(d, phpName, distro.web.user, rng.range(30, 80), rng.range(0, 6), "php-fpm: pool www");
        listen(d, "tcp", "127.0.0.1", 9000, fpm);
        d.units.push(distro.web.apacheUnit, phpUnit);
      } else {
        const master = nginx(rng, d, Math.min(4, vm.vcpus));
        any(master, 80);
        any(master, 443);
      }
      d.workloadMiB = mem * rng.range(0.06, 0.25);
      break;
    }
    case "app": {
      const port = service?.port ?? 8080;
      const jvmHeap = Math.max(512, Math.round((mem * 0.5) / 256) * 256);
      let main: GuestProcess;
      if (service?.process === "java" && port === 8080 && rng.chance(0.5)) {
        const home = "/opt/apache-tomcat-9.0.89";
        main = proc(d, "java", "tomcat", 0, rng.range(2, 40), `${distro.java} -Djava.util.logging.config.file=${home}/conf/logging.properties -Xms${jvmHeap}m -Xmx${jvmHeap}m -Dcatalina.base=${home} -Dcatalina.home=${home} -Djava.io.tmpdir=${home}/temp org.apache.catalina.startup.Bootstrap start`);
        d.units.push("tomcat.service");
      } else if (service?.process === "java") {
        const app = rng.pick(["orders", "inventory", "billing", "customers", "catalog"]);
        main = proc(d, "java", app, 0, rng.range(2, 40), `${distro.java} -Xms${jvmHeap}m -Xmx${jvmHeap}m -jar /opt/${app}/${app}-service.jar --spring.profiles.active=prod --spring.datasource.password=[redacted]`);
        d.units.push(`${app}.service`);
      } else if (service?.process === "node") {
        main = proc(d, "node", "portal", 0, rng.range(1, 25), "/opt/node-v20.15.1-linux-x64/bin/node /srv/portal/dist/server.js");
        // setcap cap_net_bind_service on node (to bind 443 one day): within a container's defaults.
        d.privileged.push({ pid: main.pid, process: "node", uid: 1001, capabilities: ["NET_BIND_SERVICE"] });
        d.units.push("portal.service");
      } else if (service?.process === "dotnet") {
        main = proc(d, "dotnet", "claims", 0, rng.range(1, 25), "/usr/bin/dotnet /opt/claims/Claims.Api.dll --urls http://0.0.0.0:5000");
        d.units.push("claims-api.service");
      } else {
        const cmd = "/opt/billing/venv/bin/python3.11 /opt/billing/venv/bin/gunicorn --workers 4 --bind 0.0.0.0:8000 billing.wsgi:application";
        main = proc(d, "python3.11", "billing", 0, rng.range(0, 3), cmd);
        for (let i = 0; i < 4; i++) proc(d, "python3.11", "billing", 0, rng.range(1, 12), cmd);
        d.units.push("billing.service");
      }
      if (main.name === "python3.11") listen(d, "tcp", "0.0.0.0", port, main);
      else listen(d, "tcp", "*", port, main);
      d.workloadMiB = mem * rng.range(0.3, 0.7);
      break;
    }
    case "db":
      database(rng, d, service?.process ?? "postgres", monitored);
      d.workloadMiB = mem * rng.range(0.55, 0.9);
      break;
    case "cache": {
      if (service?.process === "memcached") {
        const m = proc(d, "memcached", "memcache", 0, rng.range(0, 5), `/usr/bin/memcached -m ${Math.round(mem * 0.6)} -p 11211 -u memcache -l 0.0.0.0`);
        listen(d, "tcp", "0.0.0.0", 11211, m);
        d.units.push("memcached.service");
      } else {
        const bound = d.traits.boundAddress;
        const r = proc(d, "redis-server", "redis", 0, rng.range(0, 8), `/usr/bin/redis-server ${bound ? "127.0.0.1" : "*"}:6379`);
        if (bound) {
          listen(d, "tcp", "127.0.0.1", 6379, r);
          listen(d, "tcp", own, 6379, r);
        } else {
          listen(d, "tcp", "0.0.0.0", 6379, r);
          listen(d, "tcp", "::", 6379, r);
        }
        d.units.push(distro.deb ? "redis-server.service" : "redis.service");
      }
      d.workloadMiB = mem * rng.range(0.3, 0.8);
      break;
    }
    case "mq": {
      if (service?.process === "beam.smp") {
        const epmd = proc(d, "epmd", "rabbitmq", 1, 0, "/usr/lib/erlang/erts-13.2.2.5/bin/epmd -daemon");
        listen(d, "tcp", "0.0.0.0", 4369, epmd);
        const beam = proc(d, "beam.smp", "rabbitmq", 0, rng.range(1, 15), "/usr/lib/erlang/erts-13.2.2.5/bin/beam.smp -W w -MBas ageffcbf -MHas ageffcbf -MBlmbcs 512 -MHlmbcs 512 -MMmcs 30 -P 1048576 -t 5000000 -stbt db -zdbbl 128000 -sbwt none -- -root /usr/lib/erlang -bindir /usr/lib/erlang/erts-13.2.2.5/bin -progname erl -- -home /var/lib/rabbitmq -- -pa  -noshell -noinput -s rabbit boot -boot start_sasl");
        listen(d, "tcp", "*", 5672, beam);
        listen(d, "tcp", "*", 15672, beam);
        listen(d, "tcp", "0.0.0.0", 25672, beam);
        d.units.push("rabbitmq-server.service");
      } else {
        const k = proc(d, "java", "kafka", 0, rng.range(2, 20), `${distro.java} -Xmx1G -Xms1G -server -XX:+UseG1GC -Dkafka.logs.dir=/opt/kafka/logs -cp /opt/kafka_2.13-3.7.0/bin/../libs/* kafka.Kafka /opt/kafka/config/kraft/server.properties`);
        listen(d, "tcp", "*", 9092, k);
        listen(d, "tcp", "*", 9093, k);
        d.units.push("kafka.service");
      }
      d.workloadMiB = mem * rng.range(0.3, 0.6);
      break;
    }
    case "ci": {
      const j = proc(d, "java", "jenkins", 0, rng.range(1, 30), "/usr/bin/java -Djava.awt.headless=true -jar /usr/share/java/jenkins.war --webroot=/var/cache/jenkins/war --httpPort=8080");
      listen(d, "tcp", "*", 8080, j);
      d.units.push("jenkins.service");
      d.cronJobs += rng.int(1, 3);
      d.workloadMiB = mem * rng.range(0.3, 0.6);
      break;
    }
    case "mon": {
      const stack: [string, string, number, string][] = [
        ["prometheus", "prometheus", 9090, "/usr/local/bin/prometheus --config.file=/etc/prometheus/prometheus.yml --storage.tsdb.path=/var/lib/prometheus --storage.tsdb.retention.time=30d"],
        ["grafana", "grafana", 3000, "/usr/share/grafana/bin/grafana server --config=/etc/grafana/grafana.ini --homepath=/usr/share/grafana"],
        ["alertmanager", "alertmanager", 9093, "/usr/local/bin/alertmanager --config.file=/etc/alertmanager/alertmanager.yml --storage.path=/var/lib/alertmanager"],
        ["loki", "loki", 3100, "/usr/local/bin/loki -config.file=/etc/loki/config.yml"],
      ];
      for (const [name, user, port, command] of stack) {
        const p = proc(d, name, user, 0, rng.range(0.5, 10), command);
        listen(d, "tcp", "*", port, p);
        d.units.push(name === "grafana" ? "grafana-server.service" : `${name}.service`);
      }
      d.workloadMiB = mem * rng.range(0.35, 0.65);
      break;
    }
    case "file": {
      const smbd = proc(d, "smbd", "root", 0, rng.range(0, 3), "/usr/sbin/smbd --foreground --no-process-group");
      any(smbd, 445);
      any(smbd, 139, false);
      proc(d, "nfsd", "root", 0, 0, "[nfsd]");
      const mountd = proc(d, "rpc.mountd", "root", 0, 0, "/usr/sbin/rpc.mountd");
      listen(d, "tcp", "0.0.0.0", 20048, mountd);
      listen(d, "tcp", "0.0.0.0", 2049, null);
      d.units.push(distro.deb ? "smbd.service" : "smb.service", "nfs-server.service", "nfs-mountd.service");
      d.workloadMiB = mem * rng.range(0.1, 0.3);
      break;
    }
    case "batch": {
      const cmd = "/opt/etl/venv/bin/python3 /opt/etl/venv/bin/celery -A etl worker --loglevel=INFO --concurrency=4";
      for (let i = 0; i < 5; i++) proc(d, "python3", "etl", 0, rng.range(0, 60), cmd);
      d.units.push("etl-worker.service");
      d.cronJobs += rng.int(6, 24);
      d.workloadMiB = mem * rng.range(0.2, 0.6);
      break;
    }
    case "docker":
    case "podman":
      containerRuntime(rng, d, engine, engine ? (running.get(engine.externalId) ?? []) : []);
      break;
    default:
      d.workloadMiB = mem * rng.range(0.1, 0.3);
  }
}

function nginx(rng: Rng, d: Draft, workers: number): GuestProcess {
  const master = proc(d, "nginx", "root", rng.range(2, 4), 0, "nginx: master process /usr/sbin/nginx -g daemon on; master_process on;");
  for (let i = 0; i < workers; i++) proc(d, "nginx", d.distro.deb ? "www-data" : "nginx", rng.range(6, 20), rng.range(0, 4), "nginx: worker process");
  d.units.push("nginx.service");
  return master;
}

function database(rng: Rng, d: Draft, engine: string, monitored: boolean) {
  const { distro, vm } = d;
  const bound = d.traits.boundAddress;
  if (engine === "postgres") {
    const version = /PostgreSQL (\d+)/.exec(vm.annotation ?? "")?.[1] ?? "16";
    const deb = distro.deb;
    const main = proc(
      d,
      "postgres",
      "postgres",
      0,
      rng.range(0, 2),
      deb
        ? `/usr/lib/postgresql/${version}/bin/postgres -D /var/lib/postgresql/${version}/main -c config_file=/etc/postgresql/${version}/main/postgresql.conf`
        : `/usr/pgsql-${version}/bin/postgres -D /var/lib/pgsql/${version}/data/`,
    );
    const title = deb ? `postgres: ${version}/main: ` : "postgres: ";
    for (const w of ["checkpointer", "background writer", "walwriter", "autovacuum launcher", "logical replication launcher"]) {
      proc(d, "postgres", "postgres", 0, rng.range(0, 1), `${title}${w}`);
    }
    listen(d, "tcp", bound ? ip(vm) : "0.0.0.0", 5432, main);
    if (!bound) listen(d, "tcp", "::", 5432, main);
    listen(d, "tcp", "127.0.0.1", 5432, main);
    d.units.push(deb ? `postgresql@${version}-main.service` : `postgresql-${version}.service`);
    if (monitored) {
      const exporter = proc(d, "postgres_export", "postgres", rng.range(12, 20), 0, "/usr/local/bin/postgres_exporter --web.listen-address=:9187");
      listen(d, "tcp", "*", 9187, exporter);
      d.units.push("postgres_exporter.service");
    }
  } else if (engine === "mongod") {
    const m = proc(d, "mongod", "mongod", 0, rng.range(1, 15), "/usr/bin/mongod --config /etc/mongod.conf");
    listen(d, "tcp", "127.0.0.1", 27017, m);
    listen(d, "tcp", ip(vm), 27017, m);
    d.units.push("mongod.service");
  } else {
    const m = proc(d, engine, "mysql", 0, rng.range(1, 25), `/usr/sbin/${engine}`);
    listen(d, "tcp", bound ? ip(vm) : "*", 3306, m);
    if (engine === "mysqld") listen(d, "tcp", "*", 33060, m);
    d.units.push(engine === "mysqld" ? (distro.deb ? "mysql.service" : "mysqld.service") : "mariadb.service");
  }
}

function containerRuntime(rng: Rng, d: Draft, engine: HostInput | undefined, containers: readonly ContainerInput[]) {
  const podman = engine?.platform === "podman" || d.role === "podman";
  const listed = containers.slice(0, MAX_CONTAINER_PROCESSES);
  if (podman) {
    for (const c of listed) {
      const id = c.externalId.slice(c.externalId.indexOf(":") + 1);
      proc(d, "conmon", "root", rng.range(0.5, 1.5), 0, `/usr/bin/conmon --api-version 1 -c ${id} -u ${id} -r /usr/bin/crun -b /var/lib/containers/storage/overlay-containers/${id}/userdata -p /run/containers/storage/overlay-containers/${id}/userdata/pidfile -n ${c.name} --exit-dir /run/libpod/exits`);
    }
  } else {
    const containerd = proc(d, "containerd", "root", rng.range(40, 70), rng.range(0.2, 2), "/usr/bin/containerd");
    proc(d, "dockerd", "root", rng.range(70, 160), rng.range(0.5, 4), "/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock");
    listen(d, "tcp", "127.0.0.1", rng.int(33000, 46000), containerd);
    for (const c of listed) {
      const id = c.externalId.slice(c.externalId.indexOf(":") + 1);
      proc(d, "containerd-shim", "root", rng.range(8, 14), 0, `/usr/bin/containerd-shim-runc-v2 -namespace moby -id ${id} -address /run/containerd/containerd.sock`);
    }
    d.units.push("containerd.service", "docker.service");
    d.extraAddresses.push("172.17.0.1");
    d.extraMacs.push(`02:42:${rng.int(16, 255).toString(16)}:${rng.int(16, 255).toString(16)}:${rng.int(16, 255).toString(16)}:${rng.int(16, 255).toString(16)}`);
  }
  // The containers' own memory: what their engine's limits and use suggest.
  d.workloadMiB = d.vm.memoryMiB * Math.min(0.85, 0.2 + containers.length * 0.01);
}

/** The traits' processes, units, modules and devices on top of the workload. */
function addTraits(rng: Rng, d: Draft) {
  const { traits } = d;
  if (traits.desktop) {
    proc(d, "gdm3", "root", rng.range(6, 9), 0, "/usr/sbin/gdm3");
    proc(d, "Xorg", "jdoe", rng.range(60, 120), rng.range(0.5, 3), "/usr/lib/xorg/Xorg vt2 -displayfd 3 -auth /run/user/1000/gdm/Xauthority -nolisten tcp -background none -noreset -keeptty -novtswitch -verbose 3");
    proc(d, "gnome-shell", "jdoe", rng.range(180, 320), rng.range(0.5, 6), "/usr/bin/gnome-shell");
    d.units.push("gdm.service");
  }
  if (traits.zfs) {
    d.extraModules.push("zfs", "spl", "zavl", "znvpair", "zcommon", "zunicode", "zzstd", "icp", "zlua");
    proc(d, "zed", "root", rng.range(2, 4), 0, "/usr/sbin/zed -F");
    d.units.push("zfs-zed.service");
  }
  if (traits.nvidia) {
    d.extraModules.push("nvidia", "nvidia_uvm", "nvidia_modeset", "nvidia_drm");
    proc(d, "nvidia-persiste", "nvidia-persistenced", rng.range(1, 2), 0, "/usr/bin/nvidia-persistenced --user nvidia-persistenced --no-persistence-mode --verbose");
  }
  if (traits.rawDevice && traits.sudo) {
    const holder = d.processes.find((p) => p.name === "mysqld" || p.name === "mariadbd") ?? proc(d, "bareos-sd", "bareos", rng.range(20, 40), 0, "/usr/sbin/bareos-sd -f");
    d.rawDevices.push({ pid: holder.pid, process: holder.name, device: holder.name === "bareos-sd" ? "/dev/sdc" : "/dev/sdb" });
    if (holder.name === "bareos-sd") {
      listen(d, "tcp", "*", 9103, holder);
      d.units.push("bareos-sd.service");
    }
  }
  if (traits.manyServices && d.role !== "mon") {
    const nginxMaster = d.processes.some((p) => p.name === "nginx") ? null : nginx(rng, d, 2);
    if (nginxMaster) listen(d, "tcp", "0.0.0.0", 80, nginxMaster);
    const redis = proc(d, "redis-server", "redis", 0, rng.range(0, 4), "/usr/bin/redis-server *:6379");
    listen(d, "tcp", "0.0.0.0", 6379, redis);
    const pg = proc(d, "postgres", "postgres", 0, rng.range(0, 3), "/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main -c config_file=/etc/postgresql/15/main/postgresql.conf");
    listen(d, "tcp", "0.0.0.0", 5432, pg);
    const memcached = proc(d, "memcached", "memcache", 0, rng.range(0, 2), "/usr/bin/memcached -m 512 -p 11211 -u memcache -l 0.0.0.0");
    listen(d, "tcp", "0.0.0.0", 11211, memcached);
    d.units.push("redis-server.service", "postgresql@15-main.service", "memcached.service");
  }
  // A service bound to the guest's own address (its role's listener, else the first on any address).
  if (traits.boundAddress && !d.listeners.some((l) => l.address === ip(d.vm))) {
    const l = d.listeners.find((x) => x.address === "0.0.0.0" && x.process !== "sshd" && x.pid !== null);
    if (l) l.address = ip(d.vm);
  }
  if (traits.vpn) {
    const vpn = proc(d, "openvpn", "nobody", rng.range(6, 10), rng.range(0, 1), "/usr/sbin/openvpn --status /run/openvpn-server/status-admin.log --status-version 2 --suppress-timestamps --config admin.conf");
    listen(d, "udp", "0.0.0.0", 1194, vpn);
    // OpenVPN 2.6 keeps NET_ADMIN when it drops root for --user nobody (routes, data channel offload).
    d.privileged.push({ pid: vpn.pid, process: "openvpn", uid: 65534, capabilities: ["NET_ADMIN"] });
    d.units.push("openvpn-server@admin.service");
  }
    // Near miss of the raw-device rule: multipath holds the disks for the OS, not for the workload.
  if (traits.sudo && !d.distro.deb && rng.chance(0.2)) {
    const m = proc(d, "multipathd", "root", rng.range(10, 20), 0, "/sbin/multipathd -d -s");
    d.rawDevices.push({ pid: m.pid, process: "multipathd", device: "/dev/dm-0" });
    d.units.push("multipathd.service");
  }
}

// ---- facts ------------------------------------------------------------------------------------------

function finish(rng: Rng, d: Draft, baseMs: number, flows: readonly Flow[]): GuestFacts {
  const { vm, distro, traits } = d;
  const sudo = traits.sudo;
  const memTotal = Math.round(vm.memoryMiB * 0.975);
  // Spread the workload's memory over its processes (RSS 0 so far), the rest counts as the kernel's.
  const osMiB = d.processes.reduce((sum, p) => sum + (p.rssMiB ?? 0), 0);
  const heavy = d.processes.filter((p) => p.rssMiB === 0 && !p.command.startsWith("["));
  const workload = Math.max(0, Math.min(d.workloadMiB, memTotal * 0.85 - osMiB));
  heavy.forEach((p, i) => {
    const share = i === 0 ? 0.6 : 0.4 / Math.max(1, heavy.length - 1);
    p.rssMiB = Math.round(Math.max(1, workload * (heavy.length === 1 ? 1 : share)) * 10) / 10;
  });
  const rss = d.processes.reduce((sum, p) => sum + (p.rssMiB ?? 0), 0);
  // Used (MemTotal - MemAvailable): the processes' resident memory and the kernel's own.
  const used = Math.min(Math.round(memTotal * 0.95), Math.round(rss + memTotal * rng.range(0.02, 0.05) + 60));
  d.units.sort();
  d.processes.sort((a, b) => a.pid - b.pid);

  const processByName = new Map(d.processes.map((p) => [p.name, p]));
  const connections: GuestConnection[] = [];
  const me = ip(vm);
  for (const f of flows) {
    if (f.client === vm) {
      const p = processByName.get(f.clientProcess) ?? processByName.get(clientProgram(d)) ?? null;
      connections.push({ protocol: "tcp", localAddress: me, localPort: f.clientPort, remoteAddress: f.serverAddress, remotePort: f.port, process: p?.name ?? null, pid: p?.pid ?? null });
    } else {
      // A server's connection belongs to the process listening on its port.
      const l = d.listeners.find((x) => x.port === f.port && x.pid !== null);
      connections.push({ protocol: "tcp", localAddress: me, localPort: f.port, remoteAddress: ip(f.client), remotePort: f.clientPort, process: l?.process ?? null, pid: l?.pid ?? null });
    }
  }

  const unread: string[] = [];
  let listeners = d.listeners;
  let connectionsRead = connections;
  if (!sudo) {
    // Without sudo, ss shows no other user's process, and root-only reads are refused.
    const refused = "needs sudo (not enabled for this source): read without it, may be partial";
    const anonymous = <T extends { process: string | null; pid: number | null }>(list: T[]) => list.map((x) => ({ ...x, process: null, pid: null }));
    listeners = anonymous(d.listeners);
    connectionsRead = anonymous(connections);
    unread.push(`DMI product UUID: ${refused}`, "DMI product UUID: needs sudo (readable by root only)");
    unread.push(`listening sockets: ${refused}`);
    if (listeners.length > 0) unread.push(`listening sockets: the process of ${listeners.length} of ${listeners.length} not shown (ss shows other users' processes only to root; kernel sockets have none)`);
    unread.push(`established connections: ${refused}`);
    if (connectionsRead.length > 0) unread.push(`established connections: the process of ${connectionsRead.length} of ${connectionsRead.length} not shown (ss shows other users' processes only to root; kernel sockets have none)`);
    unread.push(`cron jobs: ${refused}`, `cron jobs: ${distro.deb ? "/var/spool/cron/crontabs" : "/var/spool/cron"} not read (needs sudo)`);
    unread.push(`raw devices: ${refused}`);
  } else {
    const kernel = listeners.filter((l) => l.pid === null).length;
    if (kernel > 0) unread.push(`listening sockets: the process of ${kernel} of ${listeners.length} not shown (ss shows other users' processes only to root; kernel sockets have none)`);
  }

  // Recognised from what was read, as the collector does (without sudo, listeners lack their process).
  const software = detectSoftware({ processes: d.processes, units: d.units, listeners });

  const machineRng = new Rng(`${vm.uuid ?? vm.externalId}|machine-id`);
  const machineId = Array.from({ length: 4 }, () => machineRng.u32().toString(16).padStart(8, "0")).join("");
  const busy = { db: [8, 45], app: [4, 40], web: [2, 20], batch: [15, 80], ci: [3, 60], docker: [10, 55], podman: [10, 55] } as Record<string, [number, number]>;
  const [lo, hi] = busy[d.role] ?? [1, 15];
  const target = `${SSH_USER}@${me}:22`;

  return {
    target,
    collectedAt: new Date(baseMs - rng.int(5, 55) * 60_000).toISOString(),
    machineId,
    productUuid: sudo ? (vm.uuid ?? null) : null,
    hostname: vm.hostname ?? vm.name,
    macAddresses: [...(vm.macAddresses ?? []).map((m) => m.toLowerCase()), ...d.extraMacs],
    ipAddresses: [...(vm.ipAddresses ?? []), ...d.extraAddresses],
    os: {
      id: distro.id,
      versionId: distro.versionId,
      prettyName: vm.guestOsReported ?? null,
      kernel: d.kernel,
      architecture: "x86_64",
    },
    uptimeSeconds: Math.round(rng.range(2, 400) * (DAY_MS / 1000)),
    cpuCount: vm.vcpus,
    cpuBusyPercent: Math.round(rng.range(lo, hi) * 10) / 10,
    memory: { totalMiB: memTotal, availableMiB: memTotal - used, usedMiB: used },
    filesystems: filesystemsOf(rng, d),
    processes: d.processes,
    listeners,
    connections: connectionsRead,
    units: d.units,
    packageCount: rng.int(distro.packages[0], distro.packages[1]),
    software,
    cronJobs: sudo ? d.cronJobs : null,
    extraModules: d.extraModules,
    rawDevices: d.rawDevices,
    privileged: d.privileged,
    security: {
      selinux: distro.deb || distro.id === "sles" ? null : rng.chance(0.8) ? "enforcing" : "permissive",
      apparmor: distro.deb || distro.id === "sles" ? "enabled" : null,
    },
    unread,
    warnings: [],
  };
}

/** The process a guest's outgoing connections come from when the flow's process is not its own. */
function clientProgram(d: Draft): string {
  return d.processes.find((p) => ["java", "node", "python3.11", "python3", "dotnet", "nginx", "haproxy", "apache2", "httpd"].includes(p.name))?.name ?? "";
}

/** The VM's disks as df lists them: the OS disk as / (and /boot), each data disk mounted for the role. */
function filesystemsOf(rng: Rng, d: Draft): GuestFilesystem[] {
  const { vm, distro, role } = d;
  const disks = vm.disks ?? [];
  const kvm = vm.instanceUuid == null;
  const dev = (i: number) => (kvm ? `vd${String.fromCharCode(97 + i)}` : `sd${String.fromCharCode(97 + i)}`);
  const freeShare = vm.guestDiskCapacityMiB && vm.guestDiskFreeMiB !== null && vm.guestDiskFreeMiB !== undefined ? vm.guestDiskFreeMiB / vm.guestDiskCapacityMiB : rng.range(0.2, 0.7);
  const list: GuestFilesystem[] = [];
  const fs = (mountPoint: string, fsType: string, device: string, sizeMiB: number, free: number) =>
    list.push({ mountPoint, fsType, device, sizeMiB: Math.round(sizeMiB), freeMiB: Math.round(Math.max(0, Math.min(sizeMiB, sizeMiB * free))) });
  const osDisk = disks[0]?.capacityMiB ?? 40 * 1024;
  const boot = 1024;
  fs("/", distro.rootFs, distro.rootDevice(dev(0)), osDisk - boot - 64, Math.min(0.9, freeShare * rng.range(0.9, 1.3)));
  fs("/boot", distro.rootFs === "btrfs" ? "ext4" : distro.rootFs, `/dev/${dev(0)}${distro.rootFs === "btrfs" ? "1" : distro.deb && distro.id === "debian" ? "2" : "1"}`, boot, rng.range(0.6, 0.8));
  const mounts: Partial<Record<Role, string>> = {
    db: /MySQL|MariaDB/.test(vm.annotation ?? "") ? "/var/lib/mysql" : /MongoDB/.test(vm.annotation ?? "") ? "/var/lib/mongodb" : "/var/lib/pgsql",
    file: "/srv/shares",
    mq: "/var/lib/rabbitmq",
    docker: "/var/lib/docker",
    podman: "/var/lib/containers",
    ci: "/var/lib/jenkins",
    mon: "/var/lib/prometheus",
    backup: "/var/lib/bareos/storage",
  };
  disks.slice(1).forEach((disk, i) => {
    if (disk.rdm !== "none" || disk.sharing !== "none") return;
    const mountPoint = i === 0 ? (mounts[role] ?? "/data") : `/data${mounts[role] ? (i === 1 ? "" : i) : i + 1}`;
    if (d.traits.zfs && i === 0) fs(mountPoint, "zfs", `tank/${mountPoint.split("/").at(-1)}`, (disk.capacityMiB ?? 0) * 0.96, freeShare);
    else fs(mountPoint, distro.rootFs === "btrfs" ? "xfs" : distro.rootFs, `/dev/${dev(i + 1)}1`, (disk.capacityMiB ?? 0) - 8, freeShare * rng.range(0.8, 1.2));
  });
  return list;
}

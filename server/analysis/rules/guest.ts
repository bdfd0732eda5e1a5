/**
 * Container fit from guest discovery (issue 16): rules over what was read inside a VM (GuestFacts,
 * server/collectors/guest/facts.ts), anchored on Google Migrate to Containers' fit assessment rules
 * (mfit: rule ids such as A1L-APP-2, docs/domain.md#guest-discovery-fit-from-evidence). Each rule
 * says, beyond the shape every rule has (./rule.ts), the fit level it sets (`fit`: the verdict's fit
 * is the worst level of the rules that fired) and which configuration rules its evidence supersedes
 * (`supersedes`: a database read in the guest replaces the guess from the VM's name).
 *
 * Only what the facts carry is read: software recognised from processes and units (software.ts),
 * listeners, extra kernel modules, processes and units of a desktop session. The facts do not carry a
 * process's capabilities or the devices it opens, so privileged operations are not judged here.
 */
import { programOf, SOFTWARE_MATCHERS } from "../../collectors/guest/software";
import type { GuestFacts, GuestListener, GuestProcess } from "../../collectors/guest/facts";
import type { Fit } from "../labels";
import { FIT_VALUES } from "../labels";
import type { Parameters } from "../parameters";
import type { Rule } from "./rule";
import { DEFAULT_CAPABILITIES } from "./cis";
import { CIS, DOMAIN, ours, type Source } from "./sources";

/** What a guest rule reads: the guest's facts, named after the VM it is (findings are the VM's). */
export interface GuestSubject {
  key: string;
  name: string;
  customer: string;
  guest: GuestFacts;
}

export interface GuestContext {
  parameters: Parameters;
}

export interface GuestRule extends Rule<GuestSubject, GuestContext> {
  /** The fit level a finding of this rule sets (Migrate to Containers' levels, labels.ts). */
  fit: Exclude<Fit, "insufficient-data">;
  /** Configuration rules (vm.ts) whose guess this rule's evidence replaces, when a guest is read. */
  supersedes: readonly string[];
}

/**
 * Migrate to Containers' fit assessment rules (mfit), the reference page of the tool's rules with their
 * ids, descriptions and fit levels, as published for Migrate for Anthos and GKE 1.8 (read from its
 * Japanese rendering, the one the search index holds; the English page has the same table).
 */
export const MFIT_RULES: Source = {
  name: "Migrate to Containers fit assessment rules (mfit)",
  version: "Migrate for Anthos and GKE 1.8",
  url: "https://cloud.google.com/migrate/anthos/docs/fit-assessment-rules",
  doc: DOMAIN.guestFit,
};

/** Migrate to Containers' planning guide: what is "not a good fit" (special kernel drivers, specific hardware). */
export const MIGRATE_TO_CONTAINERS_PLANNING: Source = {
  name: "Migrate to Containers planning best practices (Not a good fit)",
  version: null,
  url: "https://cloud.google.com/migrate/containers/docs/planning-best-practices",
  doc: DOMAIN.guestFit,
};

/**
 * The guest OS's own services: processes every Linux server runs whatever its workload (init, logging,
 * time, SSH, the hypervisor's agent, ...). A container leaves them behind (the node runs its own), so
 * their memory is not the workload's, and they are not among the services that make a VM "many
 * services". Ours: the processes a minimal Debian 12, Ubuntu 22.04/24.04, RHEL/Rocky 9 or SLES 15 server
 * install runs after boot (their default-enabled systemd units), plus the hypervisors' guest agents.
 */
export const OS_SERVICE_PROCESSES: readonly string[] = [
  "systemd", "init", "systemd-journald", "systemd-logind", "systemd-udevd", "systemd-resolved", "systemd-networkd",
  "systemd-timesyncd", "systemd-oomd", "systemd-userdbd", "(sd-pam)", "dbus-daemon", "dbus-broker", "dbus-broker-launch",
  "rsyslogd", "syslog-ng", "journalbeat", "cron", "crond", "atd", "anacron", "chronyd", "ntpd", "ntpsec", "agetty", "login",
  "sshd", "polkitd", "NetworkManager", "wpa_supplicant", "dhclient", "dhcpcd", "udisksd", "snapd", "multipathd",
  "irqbalance", "auditd", "tuned", "firewalld", "unattended-upgr", "packagekitd", "accounts-daemon", "ModemManager",
  "upowerd", "rngd", "haveged", "smartd", "lvmetad", "dmeventd", "gssproxy", "rpcbind", "sssd", "sssd_be", "sssd_nss",
  "sssd_pam", "master", "qmgr", "pickup", "exim4", "postfix", "vmtoolsd", "VGAuthService", "vmware-vmblock-", "qemu-ga",
  "hv_kvp_daemon", "hv_vss_daemon", "waagent", "google_guest_ag", "amazon-ssm-agen", "cloud-init", "networkd-dispat",
  "bash", "sh", "sudo", "su",
  // The kernel cuts a process's name (comm) to 15 characters: what ps shows for the longer ones above.
  "systemd-journal", "systemd-timesyn", "systemd-network", "systemd-resolve", "dbus-broker-lau",
];
const OS_SERVICES = new Set(OS_SERVICE_PROCESSES);
export const isOsService = (process: Pick<GuestProcess, "name">) => OS_SERVICES.has(process.name);

/**
 * Servers that keep state a container must not lose: Migrate to Containers' database list (A1L-APP-2:
 * mysqld, postgres, mongodb, redis-server, cassandra, elasticsearch), and the message queues the
 * issue names beside them (Kafka's and RabbitMQ's logs and queues live on disk too).
 */
export const STATEFUL_SERVERS: readonly string[] = ["postgresql", "mysql", "mongodb", "redis", "cassandra", "elasticsearch", "kafka", "rabbitmq"];

/** Addresses that bind no one interface: any address, and loopback (reachable inside the pod only). */
export function bindsOneInterface(address: string): boolean {
  const a = address.toLowerCase().replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  if (a === "" || a === "*" || a === "0.0.0.0" || a === "::" || a === "::0") return false;
  if (/^127\./.test(a) || a === "::1" || /^::ffff:127\./.test(a) || a === "localhost") return false;
  return true;
}

/** The guest's own addresses that say which interface a listener is on (not loopback, not link-local). */
function interfaceAddresses(guest: GuestFacts): string[] {
  return [...new Set(guest.ipAddresses.map((ip) => ip.replace(/\/\d+$/, "").toLowerCase()))].filter((ip) => bindsOneInterface(ip) && !/^fe80:/.test(ip));
}

/** The container processes of a guest's runtimes: a containerd shim or Podman's conmon per container (or pod). */
export function containerProcesses(guest: GuestFacts): GuestProcess[] {
  return guest.processes.filter((p) => /^containerd-shim/.test(p.name) || /^containerd-shim/.test(programOf(p.command)) || p.name === "conmon" || programOf(p.command) === "conmon");
}

/** The server a process is (software.ts's matchers of kind server), else null. */
function serverOf(process: GuestProcess): string | null {
  const program = programOf(process.command);
  for (const m of SOFTWARE_MATCHERS) {
    if (m.kind !== "server" || !m.program) continue;
    if (!m.program.test(process.name) && !m.program.test(program)) continue;
    if (m.args && !m.args.test(process.command)) continue;
    return m.name;
  }
  return null;
}

/**
 * The services a guest offers: each recognised server, and each other program that listens on a port
 * beyond loopback, less the OS's own services (sshd, chronyd, ...). A server's workers count once.
 */
export function servicesOf(guest: GuestFacts): string[] {
  const byPid = new Map(guest.processes.map((p) => [p.pid, p]));
  const services = new Set(guest.software.filter((s) => s.kind === "server").map((s) => s.name));
  for (const l of guest.listeners) {
    if (l.process === null || /^127\.|^::1$|^::ffff:127\./.test(l.address)) continue;
    const process = (l.pid !== null ? byPid.get(l.pid) : undefined) ?? { name: l.process, command: l.process };
    if (OS_SERVICES.has(process.name) || OS_SERVICES.has(l.process)) continue;
    services.add(serverOf(process as GuestProcess) ?? l.process);
  }
  return [...services].sort();
}

/** The OS's own storage daemons: they hold devices for the host's sake, not the workload's. */
const STORAGE_DAEMONS = /^(multipathd|lvm|lvmetad|lvmpolld|dmeventd|mdadm|mdmon|smartd|iscsid|iscsiuio|systemd-udevd|udevd|blkmapd|qemu-ga)$/;

/** X servers, Wayland compositors, desktop shells and display managers: a desktop session, not a service. */
const GUI_PROCESS = /^(Xorg|X|Xwayland|Xvnc|Xtigervnc|Xvfb|gnome-shell|gnome-session-b?|gdm|gdm3|gdm-session-wor|lightdm|sddm|kwin_x11|kwin_wayland|plasmashell|xfce4-session|xfwm4|mate-session|cinnamon|lxsession)$/;
const GUI_UNIT = /^(display-manager|gdm|gdm3|lightdm|sddm|xdm|lxdm)\.service$/;

const listenerText = (l: GuestListener) => `${l.protocol} ${l.address}:${l.port}${l.process ? ` (${l.process})` : ""}`;
const list = (items: readonly string[], max = 5) => (items.length > max ? `${items.slice(0, max).join(", ")} and ${items.length - max} more` : items.join(", "));

export const GUEST_RULES: readonly GuestRule[] = [
  {
    id: "guest-container-runtime",
    title: "Runs containers (guest discovery)",
    severity: "critical",
    appliesTo: "vm",
    text: "A container runtime with running containers, or a kubelet, runs in the guest: the VM is a container host or Kubernetes node, its containers are the workloads; nesting them in a container is not supported.",
    source: MFIT_RULES,
    upstreamId: "A1L-APP-3",
    sourceNote: "Docker running on the VM; nesting Docker in a container is not supported",
    effect: "vm",
    exposes: false,
    deviation:
      "Upstream grades a VM running Docker as fit and advises running its containers directly on GKE; we keep the VM as what it is (a container host or Kubernetes node, roles/rules.ts) and judge its containers once its engine is collected. Upstream reads Docker only; we read containerd, Podman (its conmon per container) and kubelet too, and an engine with no container running does not fire.",
    fit: "no-fit",
    supersedes: [],
    test: ({ guest }) => {
      const kubelet = guest.software.find((s) => s.name === "kubelet");
      if (kubelet) return `kubelet running${kubelet.version ? ` ${kubelet.version}` : ""}`;
      const runtimes = guest.software.filter((s) => s.kind === "container-runtime").map((s) => s.name);
      const containers = containerProcesses(guest);
      if (runtimes.length === 0 || containers.length === 0) return false;
      return `${runtimes.join(", ")} with ${containers.length} container process${containers.length === 1 ? "" : "es"} (${containers[0]!.name})`;
    },
  },
  {
    id: "guest-desktop-session",
    title: "Desktop session in the guest",
    severity: "critical",
    appliesTo: "vm",
    text: "An X server, Wayland compositor, desktop shell or display manager runs: a desktop (someone's session), not a service; it stays a VM.",
    source: ours(DOMAIN.guestFit),
    upstreamId: null,
    sourceNote: "processes Xorg, Xwayland, gnome-shell, gdm, lightdm, sddm, ...; units display-manager, gdm, lightdm, sddm",
    effect: "vm",
    exposes: false,
    deviation: null,
    fit: "no-fit",
    supersedes: [],
    test: ({ guest }) => {
      const processes = [...new Set(guest.processes.filter((p) => GUI_PROCESS.test(p.name) || GUI_PROCESS.test(programOf(p.command))).map((p) => p.name))];
      const units = guest.units.filter((u) => GUI_UNIT.test(u));
      const seen = [...processes.map((p) => `process ${p}`), ...units.map((u) => `unit ${u}`)];
      return seen.length > 0 ? list(seen) : false;
    },
  },
  {
    id: "guest-kernel-modules",
    title: "Kernel modules of its own",
    severity: "warning",
    appliesTo: "vm",
    text: "The guest loads kernel modules a stock kernel does not have (out of tree, unsigned, or known third-party drivers): a container cannot load modules into the node's shared kernel; Kata's own guest kernel could carry them, at the cost of building it.",
    source: MIGRATE_TO_CONTAINERS_PLANNING,
    upstreamId: null,
    sourceNote: "not a good fit: VMs with special kernel drivers; read from /proc/modules taint flags and known third-party modules",
    effect: "kata",
    exposes: false,
    deviation:
      "Upstream calls such a VM not a good fit for a container (stays a VM); we send it to Kata Containers with major work, since a Kata guest kernel built with the module runs it in its own kernel.",
    fit: "major-work",
    supersedes: [],
    test: ({ guest }) => (guest.extraModules.length > 0 ? list(guest.extraModules, 8) : false),
  },
  {
    id: "guest-raw-device",
    title: "Raw device access",
    severity: "warning",
    appliesTo: "vm",
    text: "A workload process holds a disk, volume or the machine's memory open itself, not through a filesystem (a database on a raw volume, a backup or forensic agent): a container sees no host disks; the device must be passed through (privileged, or Kata's block device passthrough), so it stays a VM until that is designed.",
    source: MIGRATE_TO_CONTAINERS_PLANNING,
    upstreamId: null,
    sourceNote: "not a good fit: \"dependencies on specific hardware\"; read from /proc/<pid>/fd links to /dev disks, md, dm and loop volumes, /dev/mem",
    effect: "vm",
    exposes: false,
    deviation: "The OS's own storage daemons (multipathd, lvm, dmeventd, mdadm, smartd, iscsid, udevd) holding devices are left out: they stay with the host, not with the workload.",
    fit: "no-fit",
    supersedes: [],
    test: ({ guest }) => {
      const held = guest.rawDevices.filter((d) => !(d.process && (OS_SERVICES.has(d.process) || STORAGE_DAEMONS.test(d.process))));
      return held.length > 0 ? list([...new Set(held.map((d) => `${d.device} (${d.process ?? `pid ${d.pid}`})`))]) : false;
    },
  },
  {
    id: "guest-privileged-process",
    title: "Process with extra capabilities",
    severity: "warning",
    appliesTo: "vm",
    text: "A workload process runs as a user other than root yet holds Linux capabilities beyond a container's defaults (granted by file capabilities or systemd's AmbientCapabilities): in a container they must be added (CapAdd), which on a shared kernel is what CIS Docker 5.4 warns of; Kata confines them to the pod's own kernel.",
    source: { ...CIS, doc: DOMAIN.guestFit },
    upstreamId: "CIS-Docker-5.4",
    sourceNote: "capabilities beyond Docker's 14 defaults (moby oci/caps/defaults.go), read from /proc/<pid>/status CapEff of processes whose user is not root",
    effect: "kata",
    exposes: false,
    deviation:
      "docker-bench 5.4 reads a running container's CapAdd; here the process is still in a VM, so what it holds is what its container would need added. Root's processes hold every capability and say nothing of what they need: they are not judged. The OS's own services (chronyd's SYS_TIME, systemd-networkd's NET_ADMIN) are left out.",
    fit: "moderate-work",
    supersedes: [],
    test: ({ guest }) => {
      const extra = guest.privileged
        .filter((p) => !(p.process && OS_SERVICES.has(p.process)))
        .map((p) => ({ p, caps: p.capabilities.filter((c) => !DEFAULT_CAPABILITIES.includes(c)) }))
        .filter(({ caps }) => caps.length > 0);
      return extra.length > 0 ? list([...new Set(extra.map(({ p, caps }) => `${p.process ?? `pid ${p.pid}`} (uid ${p.uid}): ${caps.join(", ")}`))]) : false;
    },
  },
  {
    id: "guest-many-services",
    title: "Many unrelated services",
    severity: "warning",
    appliesTo: "vm",
    text: "The guest offers more services than one container should hold (recognised servers and other programs listening beyond loopback, less the OS's own): split it into one container per service first.",
    source: ours(DOMAIN.guestFit),
    upstreamId: null,
    sourceNote: "threshold guestMaxServices in parameters",
    effect: null,
    exposes: false,
    deviation:
      "Migrate to Containers has no such rule: it moves a whole VM into one system container (a multi-tier stack such as LAMP is a good fit there); a container per service is the target here, so past the threshold the split is work.",
    fit: "moderate-work",
    supersedes: [],
    test: ({ guest }, ctx) => {
      const services = servicesOf(guest);
      return services.length > ctx.parameters.guestMaxServices ? `${services.length} services: ${list(services, 8)}` : false;
    },
  },
  {
    id: "guest-stateful-server",
    title: "Stateful server in the guest",
    severity: "warning",
    appliesTo: "vm",
    text: "A database, cache, search or queue server runs in the guest: its data needs a persistent volume and a backup plan before it moves (or a managed service).",
    source: MFIT_RULES,
    upstreamId: "A1L-APP-2",
    sourceNote: "database running in the VM: mysqld, postgres, mongodb, redis-server, cassandra, elasticsearch",
    effect: null,
    exposes: false,
    deviation: "Also message queues (Kafka, RabbitMQ), which upstream's database list does not name: their queues are state on disk as a database's are.",
    fit: "minimal-work",
    supersedes: ["database-in-guest"],
    test: ({ guest }) => {
      const found = guest.software.filter((s) => s.kind === "server" && STATEFUL_SERVERS.includes(s.name)).map((s) => (s.version ? `${s.name} ${s.version}` : s.name));
      return found.length > 0 ? [...new Set(found)].join(", ") : false;
    },
  },
  {
    id: "guest-bound-address",
    title: "Listens on one interface's address",
    severity: "warning",
    appliesTo: "vm",
    text: "A service listens on one specific address (not any address nor loopback): in a pod its address changes, so map its network (listen on any address, or a Service for that port) before it moves.",
    source: MFIT_RULES,
    upstreamId: "A1L-NET-1",
    sourceNote: "listener on an IP other than 0.0.0.0, * or loopback: bound to a specific network interface",
    effect: null,
    exposes: false,
    deviation: null,
    fit: "good",
    supersedes: ["multiple-nics"],
    test: ({ guest }) => {
      const bound = guest.listeners.filter((l) => bindsOneInterface(l.address));
      if (bound.length === 0) return false;
      const addresses = interfaceAddresses(guest);
      return `${list(bound.map(listenerText), 4)}${addresses.length > 1 ? ` (of ${addresses.length} addresses)` : ""}`;
    },
  },
];

/** The fit the findings of guest rules set: the worst level among them; "excellent" when none fired. */
export function worstFit(levels: readonly Fit[]): Fit {
  const graded = levels.filter((f) => f !== "insufficient-data");
  return graded.reduce<Fit>((worst, f) => (FIT_VALUES.indexOf(f) > FIT_VALUES.indexOf(worst) ? f : worst), "excellent");
}

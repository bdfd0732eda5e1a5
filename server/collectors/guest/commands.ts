/**
 * The read-only command set of guest discovery (issue 16), as data. Each `run` is a constant POSIX sh
 * snippet (Debian/Ubuntu/RHEL, and busybox on Alpine where noted): nothing from the guest, the user or
 * the source is ever put into it. A tool that is missing, or a read that is refused, is said on stdout
 * as one line `FLEETLENS-<WHAT>` (e.g. `FLEETLENS-NO-SS`, `FLEETLENS-NOT-PERMITTED`) so the parser
 * (parse.ts) can tell "absent" from "empty" and name what could not be read.
 *
 * Commands with `sudo: true` read something only root may read (the DMI product UUID, other users'
 * sockets and crontabs); the runner retries them with `sudo -n` when the source allows it.
 *
 * Outputs are parsed by parse.ts; everything is run with LC_ALL=C so numbers and headers are the
 * C locale's. Shell text is written in plain strings (not template literals) so `${...}` of the shell
 * never meets TypeScript's interpolation.
 */
import type { GuestCommand } from "./facts";

export const GUEST_COMMAND_IDS = [
  "os-release",
  "kernel",
  "uptime",
  "machine-id",
  "product-uuid",
  "hostname",
  "links",
  "addresses",
  "cpu",
  "meminfo",
  "filesystems",
  "processes",
  "listeners",
  "connections",
  "units",
  "packages",
  "cron",
  "modules",
  "devices",
  "capabilities",
  "security",
] as const;

export type GuestCommandId = (typeof GUEST_COMMAND_IDS)[number];

const MiB = 1024 * 1024;

/** The separator line between two parts of one command's output. */
export const PART = "FLEETLENS-PART";

/** `tool args`, or the marker `FLEETLENS-NO-<TOOL>` when the tool is not on the PATH. */
const ifTool = (tool: string, run: string, marker: string) =>
  "if command -v " + tool + " >/dev/null 2>&1; then " + run + "; else echo " + marker + "; fi";

const C = "LC_ALL=C; export LC_ALL; ";

export const GUEST_COMMANDS: readonly GuestCommand<GuestCommandId>[] = [
  {
    id: "os-release",
    run: "cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null || echo FLEETLENS-NO-OS-RELEASE",
    timeoutMs: 5000,
    maxBytes: MiB,
  },
  { id: "kernel", run: "uname -srm", timeoutMs: 5000, maxBytes: MiB },
  { id: "uptime", run: "cat /proc/uptime", timeoutMs: 5000, maxBytes: MiB },
  {
    id: "machine-id",
    run: "cat /etc/machine-id 2>/dev/null || cat /var/lib/dbus/machine-id 2>/dev/null || echo FLEETLENS-NO-MACHINE-ID",
    timeoutMs: 5000,
    maxBytes: MiB,
  },
  {
    // Mode 0400 root: without root, "not permitted".
    id: "product-uuid",
    run:
      "f=/sys/class/dmi/id/product_uuid; cat $f 2>/dev/null || " +
      "{ if [ -e $f ]; then echo FLEETLENS-NOT-PERMITTED; else echo FLEETLENS-NO-DMI; fi; }",
    timeoutMs: 5000,
    maxBytes: MiB,
    sudo: true,
  },
  { id: "hostname", run: "uname -n", timeoutMs: 5000, maxBytes: MiB },
  {
    // `ip -o link` (iproute2 and busybox); without ip, /sys/class/net/<if>/address after a marker.
    id: "links",
    run:
      C +
      "if command -v ip >/dev/null 2>&1 && ip -o link show 2>/dev/null; then :; else echo FLEETLENS-SYSFS; " +
      'for d in /sys/class/net/*; do [ -r "$d/address" ] && printf \'%s %s\\n\' "${d##*/}" "$(cat "$d/address")"; done; fi',
    timeoutMs: 5000,
    maxBytes: MiB,
  },
  {
    id: "addresses",
    run: C + ifTool("ip", "ip -o addr show", "FLEETLENS-NO-IP"),
    timeoutMs: 5000,
    maxBytes: MiB,
  },
  {
    // CPUs online (per-CPU lines of /proc/stat), then the total line twice, a second apart.
    id: "cpu",
    run: "printf 'cpus %s\\n' \"$(grep -c '^cpu[0-9]' /proc/stat)\"; head -n 1 /proc/stat; sleep 1; head -n 1 /proc/stat",
    timeoutMs: 6000,
    maxBytes: MiB,
  },
  { id: "meminfo", run: "cat /proc/meminfo", timeoutMs: 5000, maxBytes: MiB },
  {
    // df -P -k (POSIX, busybox too) for sizes; /proc/mounts for each mount's type (busybox df may lack -T).
    // A hung network mount is why the timeout is longer.
    id: "filesystems",
    run: C + "df -P -k 2>/dev/null; echo " + PART + "; cat /proc/mounts",
    timeoutMs: 15000,
    maxBytes: MiB,
  },
  {
    // Two listings joined by pid: the columns that have no spaces then the command line (last, so the
    // rest of the line), and each process's name (comm, last too: a name may hold spaces).
    // busybox ps (no -e, no pcpu): `ps -o pid,user,rss,args` after a marker.
    id: "processes",
    run:
      C +
      "if ps -eo pid=,user:32=,rss=,pcpu=,args= 2>/dev/null; then echo " +
      PART +
      "; ps -eo pid=,comm= 2>/dev/null; else echo FLEETLENS-BUSYBOX-PS; ps -o pid,user,rss,args; fi",
    timeoutMs: 15000,
    maxBytes: 8 * MiB,
  },
  {
    // Without root the process column is empty (only one's own processes are shown). Without ss
    // (Alpine without iproute2): netstat after a marker (busybox netstat may lack -p: no processes).
    id: "listeners",
    run:
      C +
      "if command -v ss >/dev/null 2>&1; then ss -H -tulpn; elif command -v netstat >/dev/null 2>&1; then " +
      "echo FLEETLENS-NETSTAT; netstat -tulnp 2>/dev/null || netstat -tuln; else echo FLEETLENS-NO-SS; fi",
    timeoutMs: 10000,
    maxBytes: 8 * MiB,
    sudo: true,
  },
  {
    // First `FLEETLENS-SELF <pid>...`: this shell and its ancestors (64 at most), up to the sshd that
    // holds the collection's own connection (sudo and timeout in between keep the chain), so the parser
    // can leave that connection out: it is the collector, not the guest's workload.
    id: "connections",
    run:
      C +
      "p=$$; n=0; printf FLEETLENS-SELF; " +
      "while [ \"$p\" -gt 1 ] && [ $n -lt 64 ]; do printf ' %s' \"$p\"; n=$((n+1)); q=0; " +
      "while read -r k v; do if [ \"$k\" = PPid: ]; then q=$v; break; fi; done < /proc/$p/status; p=$q; done 2>/dev/null; echo; " +
      "if command -v ss >/dev/null 2>&1; then ss -H -tunp state established; elif command -v netstat >/dev/null 2>&1; then " +
      "echo FLEETLENS-NETSTAT; netstat -tunp 2>/dev/null || netstat -tun; else echo FLEETLENS-NO-SS; fi",
    timeoutMs: 10000,
    maxBytes: 8 * MiB,
    sudo: true,
  },
  {
    id: "units",
    run:
      C +
      ifTool(
        "systemctl",
        "systemctl list-units --type=service --state=running --no-legend --plain --no-pager 2>/dev/null || echo FLEETLENS-NO-SYSTEMD",
        "FLEETLENS-NO-SYSTEMCTL",
      ),
    timeoutMs: 10000,
    maxBytes: MiB,
  },
  {
    // Installed packages of whichever manager exists: "<manager> <count>" (apk before rpm: busybox may have an rpm applet).
    id: "packages",
    run:
      C +
      "if command -v dpkg-query >/dev/null 2>&1; then printf 'dpkg %s\\n' \"$(dpkg-query -W -f='${db:Status-Abbrev}\\n' 2>/dev/null | grep -c '^ii')\"; " +
      "elif command -v apk >/dev/null 2>&1; then printf 'apk %s\\n' \"$(apk info 2>/dev/null | wc -l)\"; " +
      "elif command -v rpm >/dev/null 2>&1; then printf 'rpm %s\\n' \"$(rpm -qa 2>/dev/null | wc -l)\"; " +
      "else echo FLEETLENS-NO-PACKAGE-MANAGER; fi",
    timeoutMs: 20000,
    maxBytes: MiB,
  },
  {
    // Counted on the guest (crontabs may hold secrets; their text never leaves it): "count <n> <file>"
    // per crontab (lines that are not blank, comments, VAR=value, nor the lines running
    // /etc/cron.{hourly,...} by run-parts: those scripts count one by one), "count 1 <file>" per executable
    // in /etc/cron.{hourly,daily,weekly,monthly}; users' crontabs need root ("FLEETLENS-NOT-PERMITTED <dir>").
    id: "cron",
    run:
      "for f in /etc/crontab /etc/cron.d/* /var/spool/cron/crontabs/* /var/spool/cron/*; do " +
      '[ -f "$f" ] || continue; ' +
      'if [ -r "$f" ]; then printf \'count %s %s\\n\' "$(grep -Ev \'^[[:space:]]*(#|$|[A-Za-z_][A-Za-z0-9_]*[[:space:]]*=)\' "$f" | ' +
      'grep -Ecv \'run-parts|/etc/cron\\.(hourly|daily|weekly|monthly)\')" "$f"; ' +
      'else echo "FLEETLENS-NOT-PERMITTED $f"; fi; done; ' +
      'for d in /var/spool/cron/crontabs /var/spool/cron; do [ -d "$d" ] && [ ! -r "$d" ] && echo "FLEETLENS-NOT-PERMITTED $d"; done; ' +
      'for f in /etc/cron.hourly/* /etc/cron.daily/* /etc/cron.weekly/* /etc/cron.monthly/*; do ' +
      '[ -f "$f" ] && [ -x "$f" ] && echo "count 1 $f"; done; true',
    timeoutMs: 10000,
    maxBytes: MiB,
    sudo: true,
  },
  {
    id: "modules",
    run: "cat /proc/modules 2>/dev/null || echo FLEETLENS-NO-MODULES",
    timeoutMs: 5000,
    maxBytes: MiB,
  },
  {
    // Processes holding a disk, a partition, a device-mapper, md or loop volume, or the machine's memory open
    // themselves (raw device access: databases on raw volumes, backup agents, forensic tools): each
    // "/proc/<pid>/fd /dev/<device>". GNU find's -lname/-printf; others say FLEETLENS-NO-FIND-PRINTF.
    // Other users' descriptors need root (sudo).
    id: "devices",
    run:
      C +
      "if find /proc/self/fd -maxdepth 0 -printf '' >/dev/null 2>&1; then " +
      "find /proc/[0-9]*/fd -mindepth 1 -maxdepth 1 -lname '/dev/*' -printf '%h %l\\n' 2>/dev/null | " +
      "grep -E ' /dev/(sd[a-z]+[0-9]*|vd[a-z]+[0-9]*|xvd[a-z]+[0-9]*|hd[a-z]+[0-9]*|nvme[0-9]+n[0-9]+(p[0-9]+)?|dm-[0-9]+|md[0-9]+|loop[0-9]+|mapper/[^ ]+|mem|kmem|port)$' | " +
      "sort -u | head -n 2000; else echo FLEETLENS-NO-FIND-PRINTF; fi",
    timeoutMs: 10000,
    maxBytes: MiB,
    sudo: true,
  },
  {
    // Each process's user and effective capabilities (/proc/<pid>/status is readable by every user):
    // "/proc/<pid>/status:Uid:\t<real>\t<effective>..." and "/proc/<pid>/status:CapEff:\t<hex>".
    id: "capabilities",
    run: C + "grep -H -E '^(Uid|CapEff):' /proc/[0-9]*/status 2>/dev/null | head -n 40000",
    timeoutMs: 10000,
    maxBytes: 4 * MiB,
  },
  {
    // "selinux <0|1|disabled|absent>", "apparmor <Y|N|absent>".
    id: "security",
    run:
      "if [ -r /sys/fs/selinux/enforce ]; then printf 'selinux %s\\n' \"$(cat /sys/fs/selinux/enforce)\"; " +
      "elif command -v getenforce >/dev/null 2>&1; then printf 'selinux %s\\n' \"$(getenforce)\"; else echo 'selinux absent'; fi; " +
      "if [ -r /sys/module/apparmor/parameters/enabled ]; then printf 'apparmor %s\\n' \"$(cat /sys/module/apparmor/parameters/enabled)\"; " +
      "else echo 'apparmor absent'; fi",
    timeoutMs: 5000,
    maxBytes: MiB,
  },
];

export function guestCommand(id: GuestCommandId): GuestCommand<GuestCommandId> {
  const command = GUEST_COMMANDS.find((c) => c.id === id);
  if (!command) throw new Error(`no guest command ${id}`);
  return command;
}

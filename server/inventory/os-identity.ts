/**
 * What OS a guest runs, from the words the hypervisors give: the name the guest tools report
 * (VMware Tools' guest.guestFullName), the guest id (vSphere's VirtualMachineGuestOsIdentifier, or a
 * libosinfo id such as "http://ubuntu.com/ubuntu/22.04") and the configured name. Shared by the
 * collectors (each VM's guestOsFamily) and the analyses (which footprint an OS copy costs), so both
 * say the same thing about the same words. docs/domain.md#os-footprints.
 *
 * Every pattern here is matched case-insensitively by JavaScript and by PostgreSQL (`~*`), so it uses
 * only what both read alike: no `\b` (a backspace in PostgreSQL), no lookbehind; a word start is
 * written `(^|[^a-z])`.
 */

export type OsFamily = "linux" | "windows" | "other" | "unknown";

/**
 * Operating systems that are never Linux, whatever else their names contain: "Oracle Solaris 11"
 * is not Oracle Linux, "FreeBSD" not a Linux distribution, "Apple macOS" (darwin) not either.
 * A text that matches one of these is never given a Linux footprint or the linux family.
 */
export const NEVER_LINUX: readonly { name: string; match: string }[] = [
  { name: "Solaris", match: "solaris|sunos|opensolaris|illumos|openindiana|omnios|smartos" },
  { name: "FreeBSD", match: "freebsd" },
  { name: "OpenBSD", match: "openbsd" },
  { name: "NetBSD", match: "netbsd" },
  { name: "DragonFly BSD", match: "dragonfly" },
  { name: "macOS", match: "darwin|mac ?os|apple\\.com/" },
  { name: "VMware ESXi", match: "vmkernel|esxi" },
  { name: "NetWare", match: "netware" },
  { name: "OS/2", match: "(^|[^a-z])os/2([^0-9]|$)|(^|[^a-z])os2guest|ecomstation" },
  { name: "DOS", match: "ms-?dos|freedos|(^|[^a-z])dosguest" },
  { name: "SCO UnixWare/OpenServer", match: "unixware|openserver" },
  { name: "AIX", match: "(^|[^a-z])aix([^a-z]|$)" },
  { name: "HP-UX", match: "hp-?ux" },
  { name: "Haiku", match: "haiku" },
  { name: "GNU Hurd", match: "hurd" },
];

/** Windows, by vSphere id ("windows9Server64Guest", "winNetStandardGuest"), libosinfo id or name. */
export const WINDOWS_MATCH = "(^|[^a-z])win";

/**
 * Linux, by name or id: the word, or a distribution's name or vSphere/libosinfo id prefix (vim25
 * VirtualMachineGuestOsIdentifier; libosinfo ids of osinfo-db's family "linux").
 */
export const LINUX_MATCH = [
  "linux", "ubuntu", "debian", "rhel", "red ?hat", "centos", "fedora", "rocky", "almalinux", "suse", "(^|[^a-z])sle[sdm]?([^a-z]|$)",
  "oracle\\.com/oe?l/", "asianux", "coreos", "photon", "mandrake", "mandriva", "mageia", "(^|[^a-z])nld",
  "(^|[^a-z])oes", "sjds", "amazon", "miracle", "kylin", "pardus", "fusionos", "prolinux", "alpine", "archlinux", "gentoo",
  "slackware", "nixos", "cirros", "endlessos\\.com/", "silverblue", "univention", "pureos", "system76\\.com/", "trisquel",
  "hyperbola", "elementary\\.io/", "android-x86", "gnome\\.org/", "openeuler",
].join("|");

const compile = (match: string) => new RegExp(match, "i");
const NEVER_LINUX_COMPILED = NEVER_LINUX.map((n) => ({ name: n.name, pattern: compile(n.match) }));
const WINDOWS = compile(WINDOWS_MATCH);
const LINUX = compile(LINUX_MATCH);

/** The never-Linux OS this text names ("Solaris" for "Oracle Solaris 11 (64-bit)"), or null. */
export function neverLinux(text: string | null): string | null {
  if (!text) return null;
  return NEVER_LINUX_COMPILED.find((n) => n.pattern.test(text))?.name ?? null;
}

/** The family one text says, or null when it says none ("Other (64-bit)", "otherGuest64"). */
export function familyOfText(text: string | null): Exclude<OsFamily, "unknown"> | null {
  if (!text) return null;
  if (neverLinux(text)) return "other";
  if (WINDOWS.test(text)) return "windows";
  if (LINUX.test(text)) return "linux";
  return null;
}

export interface GuestOsTexts {
  /** What the guest tools report: the truth of a running guest. */
  guestOsReported: string | null;
  /** vSphere guest id or libosinfo id. */
  guestOsId: string | null;
  /** What the VM is configured as. */
  guestOsConfigured: string | null;
}

/** The texts in the order they are believed: the guest tools first, then the id, then the configuration. */
export const osTexts = (vm: GuestOsTexts): (string | null)[] => [vm.guestOsReported, vm.guestOsId, vm.guestOsConfigured];

/** The family of a guest: the first text, in that order, that says one; "unknown" when none does. */
export function osFamilyOf(vm: GuestOsTexts): OsFamily {
  for (const text of osTexts(vm)) {
    const family = familyOfText(text);
    if (family) return family;
  }
  return "unknown";
}

/** The OS a guest runs, named for people: the reported name, else the configured one, else the id. */
export function osNameOf(vm: GuestOsTexts): string | null {
  return vm.guestOsReported ?? vm.guestOsConfigured ?? vm.guestOsId;
}

// ------------------------------------------------------------------------------- libosinfo ids

/** libosinfo id prefixes of osinfo-db entries whose `<family>` is not linux (freedos.org says "linux" there, wrongly). */
const LIBOSINFO_NOT_LINUX: [RegExp, string][] = [
  [/^http:\/\/(oracle\.com|sun\.com)\/(open)?solaris\//, "Solaris"],
  [/^http:\/\/freebsd\.org\//, "FreeBSD"],
  [/^http:\/\/openbsd\.org\//, "OpenBSD"],
  [/^http:\/\/netbsd\.org\//, "NetBSD"],
  [/^http:\/\/dragonflybsd\.org\//, "DragonFly BSD"],
  [/^http:\/\/apple\.com\//, "macOS"],
  [/^http:\/\/microsoft\.com\/msdos\//, "MS-DOS"],
  [/^http:\/\/freedos\.org\//, "FreeDOS"],
  [/^http:\/\/novell\.com\/netware\//, "NetWare"],
  [/^http:\/\/haiku-os\.org\//, "Haiku"],
  [/^http:\/\/guix\.gnu\.org\/guix\/hurd/, "GNU Hurd"],
];

/** The family of a libosinfo id, as osinfo-db's entry for it says (`<family>`): null for an id it does not know. */
export function libosinfoFamily(id: string): Exclude<OsFamily, "unknown"> | null {
  if (LIBOSINFO_NOT_LINUX.some(([pattern]) => pattern.test(id))) return "other";
  if (/^http:\/\/microsoft\.com\/win(nt)?\//.test(id)) return "windows";
  if (id === "http://libosinfo.org/unknown") return null;
  return familyOfText(id);
}

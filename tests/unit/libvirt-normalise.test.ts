/** Domain XML, capabilities and sysinfo to the snapshot; libvirt URIs; the CLI parser. */
import { describe, expect, it } from "vitest";
import { libvirtCliParser } from "../../server/collectors/libvirt/cli";
import { LibvirtConfigurationError, LibvirtProtocolError } from "../../server/collectors/libvirt/errors";
import {
  formatVersion,
  guestOsFromLibosinfo,
  parseCapabilities,
  parseDomainXml,
  parseSysinfo,
  powerState,
  toSnapshot,
  type LibvirtInventory,
} from "../../server/collectors/libvirt/normalise";
import { localSocketCandidates, parseLibvirtUri } from "../../server/collectors/libvirt/uri";
import { UsageError } from "../../server/cli/args";
import { parseSnapshot } from "../../server/inventory/snapshot";

const env = (vars: Record<string, string>) => vars as unknown as NodeJS.ProcessEnv;

/** A qemu domain as `virsh dumpxml` prints it (sanitised). */
const QEMU_DOMAIN = `<domain type='kvm' id='3'>
  <name>sql01</name>
  <uuid>0c2d1a4e-7f4b-4d7e-9a51-3f9b2c6f1e21</uuid>
  <title>SQL Server</title>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
      <libosinfo:os id="http://microsoft.com/win/2k19"/>
    </libosinfo:libosinfo>
  </metadata>
  <maxMemory slots='16' unit='KiB'>67108864</maxMemory>
  <memory unit='KiB'>16777216</memory>
  <currentMemory unit='KiB'>12582912</currentMemory>
  <vcpu placement='static' current='4'>8</vcpu>
  <cputune><vcpupin vcpu='0' cpuset='2'/></cputune>
  <os><type arch='x86_64' machine='pc-q35-8.2'>hvm</type><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader></os>
  <cpu mode='host-passthrough'><topology sockets='1' dies='1' cores='4' threads='2'/></cpu>
  <devices>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source pool='ssd' volume='sql01.qcow2'/>
      <target dev='sda' bus='scsi'/>
    </disk>
    <disk type='block' device='lun'>
      <driver name='qemu' type='raw'/>
      <source dev='/dev/disk/by-id/wwn-0x5000'/>
      <target dev='sdb' bus='scsi'/>
      <shareable/>
    </disk>
    <disk type='file' device='cdrom'><target dev='sdc' bus='sata'/><readonly/></disk>
    <controller type='usb' index='0' model='none'/>
    <interface type='hostdev' managed='yes'>
      <mac address='52:54:00:0A:0B:0C'/>
      <source><address type='pci' domain='0x0000' bus='0x5e' slot='0x10' function='0x2'/></source>
    </interface>
    <interface type='network'>
      <mac address='52:54:00:00:00:01'/><source network='default'/><model type='virtio'/>
    </interface>
    <hostdev mode='subsystem' type='usb' managed='yes'>
      <source><vendor id='0x0529'/><product id='0x0001'/></source>
    </hostdev>
    <tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>
  </devices>
</domain>`;

describe("domain XML", () => {
  it("reads everything the snapshot and the analyses need", () => {
    const d = parseDomainXml(QEMU_DOMAIN);
    expect(d).toMatchObject({
      type: "kvm",
      name: "sql01",
      uuid: "0c2d1a4e-7f4b-4d7e-9a51-3f9b2c6f1e21",
      title: "SQL Server",
      description: null,
      vcpus: 8,
      vcpusCurrent: 4,
      vcpuPlacementPinned: true,
      coresPerSocket: 4,
      memoryMiB: 16384,
      currentMemoryMiB: 12288,
      maxMemoryMiB: 65536,
      osType: "hvm",
      osArch: "x86_64",
      osMachine: "pc-q35-8.2",
      libosinfoId: "http://microsoft.com/win/2k19",
      usbController: false,
      tpm: true,
      tpmModel: "tpm-crb",
    });
    expect(d.disks).toEqual([
      { type: "volume", device: "disk", target: "sda", bus: "scsi", source: "ssd/sql01.qcow2", pool: "ssd", format: "qcow2", shareable: false, readonly: false, transient: false },
      { type: "block", device: "lun", target: "sdb", bus: "scsi", source: "/dev/disk/by-id/wwn-0x5000", pool: null, format: "raw", shareable: true, readonly: false, transient: false },
      { type: "file", device: "cdrom", target: "sdc", bus: "sata", source: null, pool: null, format: null, shareable: false, readonly: true, transient: false },
    ]);
    expect(d.nics).toEqual([
      { type: "hostdev", mac: "52:54:00:0a:0b:0c", network: null, bridge: null, model: null },
      { type: "network", mac: "52:54:00:00:00:01", network: "default", bridge: null, model: "virtio" },
    ]);
    expect(d.hostdevs).toEqual([{ type: "usb", mode: "subsystem", address: "0x0529:0x0001" }]);
  });

  it("says plainly when the XML is malformed or not a domain", () => {
    expect(() => parseDomainXml("<domain><name>x</name>")).toThrow(LibvirtProtocolError);
    expect(() => parseDomainXml("<domain><name>x</name>")).toThrow(/malformed XML in the domain XML/);
    expect(() => parseDomainXml("<network><name>x</name></network>")).toThrow(/no <domain> element/);
  });

  it("maps libosinfo ids to a name and a family", () => {
    expect(guestOsFromLibosinfo("http://ubuntu.com/ubuntu/22.04")).toEqual({ id: "http://ubuntu.com/ubuntu/22.04", name: "Ubuntu 22.04", family: "linux" });
    expect(guestOsFromLibosinfo("http://redhat.com/rhel/9.2").name).toBe("Red Hat Enterprise Linux 9.2");
    expect(guestOsFromLibosinfo("http://microsoft.com/win/2k22")).toMatchObject({ name: "Windows Server 2022", family: "windows" });
    expect(guestOsFromLibosinfo("http://microsoft.com/win/11")).toMatchObject({ name: "Windows 11", family: "windows" });
    expect(guestOsFromLibosinfo("http://freebsd.org/freebsd/14.0")).toMatchObject({ name: "FreeBSD 14.0", family: "other" });
    expect(guestOsFromLibosinfo(null)).toEqual({ id: null, name: null, family: "unknown" });
  });

  it("maps virDomainState to power states and libvirt versions to text", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(powerState)).toEqual([
      "poweredOff", "poweredOn", "poweredOn", "paused", "poweredOn", "poweredOff", "poweredOff", "suspended",
    ]);
    expect(formatVersion(9000000)).toBe("9.0.0");
    expect(formatVersion(7002001)).toBe("7.2.1");
    expect(formatVersion(0)).toBeNull();
  });
});

describe("host XML", () => {
  it("reads capabilities (host uuid, CPU model, NUMA cells) and sysinfo", () => {
    const caps = parseCapabilities(`<capabilities><host><uuid>4c4c4544-0042-3510-8057-b4c04f4e3732</uuid>
      <cpu><arch>x86_64</arch><model>Cascadelake-Server</model><vendor>Intel</vendor></cpu>
      <topology><cells num='2'><cell id='0'/><cell id='1'/></cells></topology></host></capabilities>`);
    expect(caps).toEqual({
      uuid: "4c4c4544-0042-3510-8057-b4c04f4e3732",
      arch: "x86_64",
      cpuModel: "Cascadelake-Server",
      cpuVendor: "Intel",
      numaCells: 2,
    });
    const sys = parseSysinfo(`<sysinfo type='smbios'><system><entry name='manufacturer'>Dell Inc.</entry>
      <entry name='product'>PowerEdge R740</entry><entry name='uuid'>4c4c4544-0042-3510-8057-b4c04f4e3732</entry></system>
      <processor><entry name='version'>Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz</entry></processor></sysinfo>`);
    expect(sys).toEqual({
      vendor: "Dell Inc.",
      product: "PowerEdge R740",
      uuid: "4c4c4544-0042-3510-8057-b4c04f4e3732",
      processor: "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz",
    });
  });
});

describe("toSnapshot", () => {
  const inventory: LibvirtInventory = {
    uri: "qemu+tls://kvm01/system",
    hostname: "kvm01.example",
    hypervisorType: "QEMU",
    hypervisorVersion: 8002002,
    libVersion: 10000000,
    node: { model: "x86_64", memoryKiB: 268435456, cpus: 80, mhz: 2100, nodes: 2, sockets: 1, cores: 20, threads: 2 },
    capabilities: { uuid: "host-uuid", arch: "x86_64", cpuModel: "Cascadelake-Server", cpuVendor: "Intel", numaCells: 2 },
    sysinfo: { vendor: "Dell Inc.", product: "PowerEdge R740", uuid: "smbios-uuid", processor: null },
    domains: [
      {
        info: { state: 1, maxMemKiB: 16777216, memoryKiB: 12582912, vcpus: 4, cpuTimeNs: 0n },
        xml: parseDomainXml(QEMU_DOMAIN),
        stats: new Map<string, number | bigint | string | boolean>([
          ["block.count", 2],
          ["block.0.name", "sda"],
          ["block.0.capacity", 107374182400n],
          ["block.0.allocation", 21474836480n],
          ["block.1.name", "sdb"],
          ["block.1.capacity", 53687091200n],
        ]),
      },
    ],
    warnings: [],
  };

  it("produces a valid snapshot with the host and its VMs", () => {
    const snapshot = parseSnapshot(toSnapshot(inventory, new Date("2026-01-02T03:04:05Z")));
    expect(snapshot.hosts[0]).toMatchObject({
      externalId: "host-uuid",
      name: "kvm01.example",
      role: "hypervisor",
      platform: "kvm",
      vendor: "Dell Inc.",
      model: "PowerEdge R740",
      cpuModel: "Cascadelake-Server",
      cpuSockets: 2,
      cpuCores: 40,
      cpuThreads: 80,
      cpuMhz: 2100,
      memoryMiB: 262144,
      productName: "QEMU/KVM",
      productVersion: "8.2.2",
      apiVersion: "10.0.0",
      hardwareUuid: "smbios-uuid",
    });
    const vm = snapshot.virtualMachines[0]!;
    expect(vm).toMatchObject({
      externalId: "0c2d1a4e-7f4b-4d7e-9a51-3f9b2c6f1e21",
      hostExternalId: "host-uuid",
      powerState: "poweredOn",
      vcpus: 4,
      coresPerSocket: 4,
      memoryMiB: 16384,
      memoryBalloonedMiB: 4096,
      provisionedMiB: 150 * 1024,
      usedMiB: 20 * 1024,
      guestOsConfigured: "Windows Server 2019",
      guestOsFamily: "windows",
      macAddresses: ["52:54:00:0a:0b:0c", "52:54:00:00:00:01"],
      nicCount: 2,
      hardwareVersion: "pc-q35-8.2",
      title: "SQL Server",
      annotation: null,
      attributes: {},
      passthrough: true,
      sriov: true,
      usbController: true,
      tpm: true,
      cpuHotAdd: true,
      memoryHotAdd: true,
      cpuAffinity: true,
    });
    expect(vm.disks).toEqual([
      { key: "sda", label: "volume scsi", capacityMiB: 102400, thin: true, mode: "persistent", rdm: "none", sharing: "none", datastore: "ssd", path: "ssd/sql01.qcow2", format: "qcow2", cbtEnabled: null, bus: "scsi" },
      { key: "sdb", label: "block scsi", capacityMiB: 51200, thin: null, mode: "persistent", rdm: "physical", sharing: "multi-writer", datastore: null, path: "/dev/disk/by-id/wwn-0x5000", format: "raw", cbtEnabled: null, bus: "scsi" },
    ]);
  });

  it("gives a paused domain as paused and a disk without block stats an unknown (null) capacity", () => {
    const domain = inventory.domains[0]!;
    const paused: LibvirtInventory = {
      ...inventory,
      domains: [{ ...domain, info: { ...domain.info!, state: 3 }, stats: null }],
    };
    const snapshot = parseSnapshot(toSnapshot(paused, new Date("2026-01-02T03:04:05Z")));
    const vm = snapshot.virtualMachines[0]!;
    expect(vm.powerState).toBe("paused");
    expect(vm.disks.map((d) => [d.key, d.capacityMiB])).toEqual([["sda", null], ["sdb", null]]);
    expect(vm).toMatchObject({ provisionedMiB: null, usedMiB: null });
  });
});

describe("libvirt URIs", () => {
  it("parses the forms users write", () => {
    expect(parseLibvirtUri("qemu:///system")).toMatchObject({ driver: "qemu", transport: "unix", host: null, name: "qemu:///system", socket: null });
    expect(parseLibvirtUri("qemu+tcp://kvm01/system")).toMatchObject({ transport: "tcp", host: "kvm01", port: 16509, name: "qemu:///system" });
    expect(parseLibvirtUri("qemu://kvm01/system")).toMatchObject({ transport: "tls", port: 16514 });
    expect(parseLibvirtUri("qemu+tls://kvm01:1234/system?pkipath=/etc/pki/x&no_verify=1")).toMatchObject({
      transport: "tls", port: 1234, pkipath: "/etc/pki/x", noVerify: true, name: "qemu:///system",
    });
    expect(parseLibvirtUri("qemu+ssh://admin@kvm01/system?keyfile=/k")).toMatchObject({ transport: "ssh", user: "admin", port: 22, keyfile: "/k" });
    expect(parseLibvirtUri("test+unix:///tmp/n.xml?socket=/tmp/s")).toMatchObject({ transport: "unix", socket: "/tmp/s", name: "test:///tmp/n.xml" });
    expect(parseLibvirtUri("qemu+tcp://[::1]:16509/system?foo=bar")).toMatchObject({ host: "::1", name: "qemu:///system?foo=bar" });
    expect(() => parseLibvirtUri("kvm01")).toThrow(LibvirtConfigurationError);
    expect(() => parseLibvirtUri("qemu+carrier://kvm01/system")).toThrow(/transport "carrier" is not supported/);
  });

  it("prefers the modular daemon's read-only socket, then libvirtd's", () => {
    expect(localSocketCandidates(parseLibvirtUri("qemu:///system"))).toEqual([
      "/run/libvirt/virtqemud-sock-ro", "/run/libvirt/libvirt-sock-ro", "/var/run/libvirt/libvirt-sock-ro",
    ]);
    expect(localSocketCandidates(parseLibvirtUri("qemu:///session"), env({ XDG_RUNTIME_DIR: "/run/user/1000" }))).toEqual([
      "/run/user/1000/libvirt/virtqemud-sock", "/run/user/1000/libvirt/libvirt-sock",
    ]);
  });
});

describe("libvirt CLI parser", () => {
  it("takes a URI (or LIBVIRT_DEFAULT_URI) and options", () => {
    expect(libvirtCliParser(["qemu+tcp://kvm01/system", "--timeout", "30"], env({}))).toEqual({
      kind: "libvirt", name: "qemu+tcp://kvm01/system", endpoint: "qemu+tcp://kvm01/system", username: null, secret: null, options: { timeoutSeconds: 30 },
    });
    expect(libvirtCliParser([], env({ LIBVIRT_DEFAULT_URI: "qemu:///system" })).endpoint).toBe("qemu:///system");
    expect(() => libvirtCliParser([], env({}))).toThrow(UsageError);
    expect(() => libvirtCliParser(["kvm01"], env({}))).toThrow(/not a libvirt URI/);
    expect(() => libvirtCliParser(["qemu:///system", "--concurrency", "0"], env({}))).toThrow(/positive integer/);
  });
});

describe("domain identity: title, description, metadata", () => {
  const domain = (inner: string) => `<domain type='kvm'><name>d</name><uuid>u-1</uuid>${inner}</domain>`;
  it("keeps the title and the description apart (the description is the annotation)", () => {
    const xml = parseDomainXml(domain("<title>ocp-7h2kd-master-0</title><description>OpenShift control plane\nowner: platform</description>"));
    expect(xml).toMatchObject({ title: "ocp-7h2kd-master-0", description: "OpenShift control plane\nowner: platform", metadata: {} });
  });

  it.each([
    [
      "KubeVirt's launcher metadata",
      "<kubevirt xmlns='http://kubevirt.io'><uid>1f2e</uid><graceperiod><deletionGracePeriodSeconds>30</deletionGracePeriodSeconds></graceperiod></kubevirt>",
      { "kubevirt/uid": "1f2e", "kubevirt/graceperiod/deletionGracePeriodSeconds": "30" },
    ],
    [
      "repeated elements keep the first, libosinfo and xmlns left out",
      "<libosinfo:libosinfo xmlns:libosinfo='x'><libosinfo:os id='http://debian.org/debian/12'/></libosinfo:libosinfo><app:tag xmlns:app='y'>a</app:tag><app:tag xmlns:app='y'>b</app:tag>",
      { "app:tag": "a" },
    ],
    // Near miss: an empty <metadata/> and metadata with only libosinfo give no attributes.
    ["empty metadata", "", {}],
  ])("metadata: %s", (_, inner, expected) => {
    expect(parseDomainXml(domain(`<metadata>${inner}</metadata>`)).metadata).toEqual(expected);
  });

  it("bounds metadata: at most 256 entries and 4,096 characters a value, so a hostile domain still collects", () => {
    const many = Array.from({ length: 300 }, (_, i) => `<e${i}>${i === 0 ? "v".repeat(5000) : i}</e${i}>`).join("");
    const metadata = parseDomainXml(domain(`<metadata><x:big xmlns:x='z'>${many}</x:big></metadata>`)).metadata;
    expect(Object.keys(metadata)).toHaveLength(256);
    expect(metadata["x:big/e0"]).toHaveLength(4096);
  });
});

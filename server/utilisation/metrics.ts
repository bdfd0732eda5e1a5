/**
 * The measured-use metrics a snapshot may carry, in the product's units (MiB, %, KiB/s), with
 * what each one is on each platform: the collectors convert their counters to these.
 *
 * Names follow vSphere's counter names (group.counter) with the unit last, so that an engineer can
 * say which counter a figure comes from. `objects` says which objects a metric is read for.
 */
export const UTILISATION_OBJECTS = ["host", "virtualMachine", "container"] as const;
export type UtilisationObject = (typeof UTILISATION_OBJECTS)[number];

export interface MetricDefinition {
  unit: "%" | "MHz" | "MiB" | "KiB/s" | "state";
  objects: readonly UtilisationObject[];
  /** What it is, and where each collector reads it. */
  description: string;
}

export const METRICS = {
  "cpu.usage.pct": {
    unit: "%",
    objects: ["host", "virtualMachine", "container"],
    description:
      "CPU used, in % of the object's CPU: a VM's vCPUs, a host's cores, a container's CPU limit (else all of its host's cores). " +
      "vSphere: cpu.usage.average (quickStats: overallCpuUsage over the VM's vCPUs × the host's core MHz); " +
      "libvirt: cpu.time between two reads over vcpus × the interval; Docker: stats?stream=false's cpu_stats against its precpu_stats as the docker CLI computes it " +
      "(cpu delta ÷ system delta × online CPUs); Podman (which sends no precpu_stats, and whose system_cpu_usage is CPU used, not the host's time): two reads a second apart, over their read times.",
  },
  "cpu.usage.mhz": {
    unit: "MHz",
    objects: ["host", "virtualMachine"],
    description: "CPU used in MHz. vSphere: cpu.usagemhz.average; quickStats.overallCpuUsage.",
  },
  "cpu.ready.pct": {
    unit: "%",
    objects: ["virtualMachine"],
    description:
      "Time a vCPU was ready to run but not scheduled, in % of the interval per vCPU. vSphere: cpu.ready.summation (ms) ÷ (interval × 1000 × vCPUs) × 100.",
  },
  "mem.active.mib": {
    unit: "MiB",
    objects: ["host", "virtualMachine"],
    description:
      "Memory the guest touched recently (vSphere's estimate of what it needs). vSphere: mem.active.average; quickStats.guestMemoryUsage.",
  },
  "mem.consumed.mib": {
    unit: "MiB",
    objects: ["host", "virtualMachine", "container"],
    description:
      "Host memory the object holds. vSphere: mem.consumed.average, quickStats.hostMemoryUsage (VM) and overallMemoryUsage (host); " +
      "libvirt: balloon.rss of the QEMU process (VM), total − free − buffers − cached of the node's memory stats (host); Docker/Podman: memory usage less the inactive page cache (cgroup v1 total_inactive_file, v2 inactive_file), as the docker CLI counts it.",
  },
  "mem.guest.used.mib": {
    unit: "MiB",
    objects: ["virtualMachine"],
    description:
      "Memory the guest OS itself reports in use (libvirt balloon.available − balloon.usable, from the guest's virtio balloon driver).",
  },
  "mem.ballooned.mib": {
    unit: "MiB",
    objects: ["virtualMachine"],
    description: "Memory the balloon driver took back. vSphere: mem.vmmemctl.average, quickStats.balloonedMemory; libvirt: maximum − balloon.current.",
  },
  "mem.swapped.mib": {
    unit: "MiB",
    objects: ["virtualMachine"],
    description: "Guest memory the hypervisor swapped out. vSphere: mem.swapped.average, quickStats.swappedMemory; libvirt: balloon.swap_out.",
  },
  "mem.overhead.mib": {
    unit: "MiB",
    objects: ["virtualMachine"],
    description: "Host memory the VM's virtualisation itself costs (its monitor, page tables, devices). vSphere: quickStats.consumedOverheadMemory.",
  },
  "disk.read.kibps": {
    unit: "KiB/s",
    objects: ["host", "virtualMachine", "container"],
    description: "Disk reads. vSphere: disk.read.average; libvirt: block.*.rd.bytes between two reads; Docker/Podman: blkio read bytes since start ÷ uptime (an average over the container's life).",
  },
  "disk.write.kibps": {
    unit: "KiB/s",
    objects: ["host", "virtualMachine", "container"],
    description: "Disk writes. vSphere: disk.write.average; libvirt: block.*.wr.bytes between two reads; Docker/Podman: blkio write bytes since start ÷ uptime (an average over the container's life).",
  },
  "net.rx.kibps": {
    unit: "KiB/s",
    objects: ["host", "virtualMachine", "container"],
    description: "Network received. vSphere: net.received.average; libvirt: net.*.rx.bytes between two reads; Docker/Podman: rx_bytes since start ÷ uptime (an average over the container's life).",
  },
  "net.tx.kibps": {
    unit: "KiB/s",
    objects: ["host", "virtualMachine", "container"],
    description: "Network sent. vSphere: net.transmitted.average; libvirt: net.*.tx.bytes between two reads; Docker/Podman: tx_bytes since start ÷ uptime (an average over the container's life).",
  },
  "power.on": {
    unit: "state",
    objects: ["virtualMachine"],
    description:
      "1 when the VM was powered on at the collection, 0 otherwise: written by ingest for every VM of every snapshot, so that 'powered off for N days' rests on what was seen.",
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as [MetricName, ...MetricName[]];

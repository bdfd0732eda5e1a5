/**
 * What one Kata Containers pod costs on top of its workload: kata-deploy's RuntimeClass
 * `overhead.podFixed`, by runtime class and kata-deploy release (docs/domain.md#kata-containers).
 *
 * Where the figures are: up to 3.2x `tools/packaging/kata-deploy/runtimeclasses/kata-<shim>.yaml`,
 * from 3.25 `tools/packaging/kata-deploy/helm-chart/kata-deploy/templates/runtimeclasses.yaml`
 * (kata-deploy.runtimeClassConfigs). kata-qemu went from 160Mi to 320Mi in 4.0.0 (a6645950,
 * 2026-06-24: QEMU's RSS on aarch64 exceeded 160Mi; applied to every architecture).
 *
 * The class is chosen from the runtimes the engine host offers (its /info Runtimes): the lightest
 * general-purpose one it has, or, for a workload that needs a GPU, a GPU class. A host that offers
 * no Kata runtime yet gets kata-deploy's default shim, kata-qemu. The answer says which class, which
 * release and why, so the figure can be checked.
 *
 * podFixed is Kubernetes accounting; with Docker and io.containerd.kata.v2 nothing is reserved, but
 * the VMM's memory is used all the same, so the same figure is what moving a container costs.
 */
import type { InventoryHost } from "./inventory";
import { DOMAIN } from "./rules/sources";

export interface KataRuntimeClass {
  /** kata-deploy's RuntimeClass name. */
  name: string;
  /** What the engine's runtime names look like for it (Docker/containerd runtime names are free text). */
  match: RegExp;
  kind: "general" | "confidential" | "gpu" | "remote";
  /** podFixed memory (MiB) and CPU (millicores) up to 3.32.x, and from 4.0.0. */
  before4: { memoryMiB: number; cpuMillis: number };
  from4: { memoryMiB: number; cpuMillis: number };
}

const small = { memoryMiB: 130, cpuMillis: 250 };

/**
 * kata-deploy's runtime classes, most specific pattern first (a name is matched against them in this
 * order). Values from the review of kata-deploy at 3.20.0, 3.32.0, 4.0.0 and 4.1.0
 * (shared/reviews/rules-fidelity.md §4.1).
 */
export const KATA_RUNTIME_CLASSES: readonly KataRuntimeClass[] = [
  { name: "kata-qemu-nvidia-gpu", match: /nvidia-gpu|gpu/i, kind: "gpu", before4: { memoryMiB: 10240, cpuMillis: 1000 }, from4: { memoryMiB: 10240, cpuMillis: 1000 } },
  { name: "kata-qemu-snp", match: /snp/i, kind: "confidential", before4: { memoryMiB: 2048, cpuMillis: 1000 }, from4: { memoryMiB: 2048, cpuMillis: 1000 } },
  { name: "kata-qemu-tdx", match: /tdx/i, kind: "confidential", before4: { memoryMiB: 2048, cpuMillis: 1000 }, from4: { memoryMiB: 2048, cpuMillis: 1000 } },
  { name: "kata-qemu-se", match: /qemu-se\b/i, kind: "confidential", before4: { memoryMiB: 1024, cpuMillis: 1000 }, from4: { memoryMiB: 1024, cpuMillis: 1000 } },
  { name: "kata-qemu-coco-dev", match: /coco/i, kind: "confidential", before4: { memoryMiB: 160, cpuMillis: 250 }, from4: { memoryMiB: 160, cpuMillis: 250 } },
  { name: "kata-remote", match: /remote/i, kind: "remote", before4: { memoryMiB: 120, cpuMillis: 250 }, from4: { memoryMiB: 120, cpuMillis: 250 } },
  { name: "kata-clh", match: /clh|cloud-hypervisor/i, kind: "general", before4: small, from4: small },
  { name: "kata-fc", match: /\bfc\b|firecracker/i, kind: "general", before4: small, from4: small },
  { name: "kata-dragonball", match: /dragonball/i, kind: "general", before4: small, from4: small },
  { name: "kata-stratovirt", match: /stratovirt/i, kind: "general", before4: small, from4: small },
  // kata-qemu, and a runtime named only "kata" or io.containerd.kata.v2: the default configuration is QEMU's.
  { name: "kata-qemu", match: /kata/i, kind: "general", before4: { memoryMiB: 160, cpuMillis: 250 }, from4: { memoryMiB: 320, cpuMillis: 250 } },
];

const KATA_QEMU = KATA_RUNTIME_CLASSES.find((c) => c.name === "kata-qemu")!;
const GPU = KATA_RUNTIME_CLASSES.find((c) => c.kind === "gpu")!;

export const KATA_DEPLOY_SOURCE =
  "https://github.com/kata-containers/kata-containers/blob/main/tools/packaging/kata-deploy/helm-chart/kata-deploy/templates/runtimeclasses.yaml";

export interface KataOverhead {
  runtimeClass: string;
  release: string;
  memoryMiB: number;
  cpuMillis: number;
  /** Which runtime of the host it stands for, or why none was. */
  chosenFrom: string | null;
  /** One line: class, release, figures, why this class; and where the figures are. */
  source: string;
}

/** "4.1.0" → [4, 1, 0]; a bad release is refused (the parameters' schema checks the same). */
export function parseRelease(release: string): [number, number, number] {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(release.trim());
  if (!match) throw new Error(`kata-deploy release "${release}" is not a version such as 4.1.0`);
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

/** The runtime class a runtime name stands for, or null when it is no Kata runtime. */
export function runtimeClassOf(runtime: string): KataRuntimeClass | null {
  if (!/kata/i.test(runtime)) return null;
  return KATA_RUNTIME_CLASSES.find((c) => c.match.test(runtime)) ?? KATA_QEMU;
}

/**
 * The per-pod overhead of moving a workload to Kata on this host (null: not known, e.g. a VM whose
 * target host is not chosen): a GPU class when it needs a GPU, else the lightest general-purpose
 * class the host offers; kata-qemu when it offers none.
 */
export function kataOverheadFor(
  host: Pick<InventoryHost, "runtimes" | "defaultRuntime"> | null,
  parameters: { kataDeployRelease: string },
  options: { gpu?: boolean } = {},
): KataOverhead {
  const release = parameters.kataDeployRelease;
  const [major] = parseRelease(release);
  const offered = (host?.runtimes ?? [])
    .map((runtime) => ({ runtime, cls: runtimeClassOf(runtime) }))
    .filter((o): o is { runtime: string; cls: KataRuntimeClass } => o.cls !== null);
  const figures = (cls: KataRuntimeClass) => (major >= 4 ? cls.from4 : cls.before4);
  let chosen: { cls: KataRuntimeClass; runtime: string | null; why: string };
  if (options.gpu) {
    const gpu = offered.find((o) => o.cls.kind === "gpu");
    chosen = gpu
      ? { cls: gpu.cls, runtime: gpu.runtime, why: `the host's GPU runtime ${gpu.runtime}` }
      : { cls: GPU, runtime: null, why: "needs a GPU; the host offers no Kata GPU runtime, so kata-deploy's GPU class" };
  } else {
    const general = offered
      .filter((o) => o.cls.kind === "general")
      .sort((a, b) => figures(a.cls).memoryMiB - figures(b.cls).memoryMiB || a.runtime.localeCompare(b.runtime));
    const best = general[0];
    chosen = best
      ? { cls: best.cls, runtime: best.runtime, why: `the lightest Kata runtime the host offers, ${best.runtime}` }
      : {
          cls: KATA_QEMU,
          runtime: null,
          why: host === null ? "target host not known: kata-deploy's default shim" : "the host offers no Kata runtime yet: kata-deploy's default shim",
        };
  }
  const { memoryMiB, cpuMillis } = figures(chosen.cls);
  return {
    runtimeClass: chosen.cls.name,
    release,
    memoryMiB,
    cpuMillis,
    chosenFrom: chosen.runtime,
    source: `kata-deploy ${release} RuntimeClass ${chosen.cls.name} overhead.podFixed ${memoryMiB}Mi / ${cpuMillis}m (${chosen.why}); ${KATA_DEPLOY_SOURCE}; ${DOMAIN.kata}`,
  };
}

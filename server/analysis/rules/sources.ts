/**
 * Where rules and model parameters come from: each source with its version and address, and the
 * docs/domain.md section that holds the facts taken from it. The rule table and the CSV cite these.
 */
export interface Source {
  name: string;
  /** The version the rules follow, when the source has one. */
  version: string | null;
  url: string | null;
  /** The section of docs/domain.md with the facts used: "docs/domain.md#kata-containers". */
  doc: string;
}

/** The sections of docs/domain.md that rules and parameters cite (GitHub heading anchors). */
export const DOMAIN = {
  density: "docs/domain.md#density",
  footprints: "docs/domain.md#os-footprints",
  memorySharing: "docs/domain.md#memory-sharing",
  isolation: "docs/domain.md#isolation-posture",
  kata: "docs/domain.md#kata-containers",
  forklift: "docs/domain.md#migration-blockers",
  containerFit: "docs/domain.md#container-fit",
  guestFit: "docs/domain.md#guest-discovery-fit-from-evidence",
  verdicts: "docs/domain.md#verdicts",
  utilisation: "docs/domain.md#measured-use",
  lxd: "docs/domain.md#lxd-system-containers",
} as const;

/**
 * The CIS Docker Benchmark as docker-bench-security v1.6.1 checks it (its numbering: 5.1 swarm mode,
 * 5.4 capabilities ... 5.32 docker.sock; off by one against docker-bench's v1.6.0 tag and CIS <= 1.5
 * tools). Section 5 reads running containers (tests/5_container_runtime.sh), section 4 images.
 */
export const CIS: Source = {
  name: "CIS Docker Benchmark",
  version: "v1.6.0 as docker-bench-security v1.6.1 checks it",
  url: "https://github.com/docker/docker-bench-security/blob/v1.6.1/tests/5_container_runtime.sh",
  doc: DOMAIN.isolation,
};

export const CIS_IMAGES: Source = {
  ...CIS,
  url: "https://github.com/docker/docker-bench-security/blob/v1.6.1/tests/4_container_images.sh",
};

/** The upstream commit the Forklift rules and their tests follow (RULES_VERSION 5 there). */
export const FORKLIFT_VERSION = "kubev2v/forklift main d42511bb (2026-08-21), rules version 5";

export const FORKLIFT: Source = {
  name: "Forklift (MTV) VMware validation",
  version: FORKLIFT_VERSION,
  url: "https://github.com/kubev2v/forklift/tree/main/validation/policies/io/konveyor/forklift/vmware",
  doc: DOMAIN.forklift,
};

export const MIGRATE_TO_CONTAINERS: Source = {
  name: "Migrate to Containers fit assessment",
  version: null,
  url: "https://cloud.google.com/migrate/containers/docs",
  doc: DOMAIN.containerFit,
};

export const KATA: Source = {
  name: "Kata Containers Limitations",
  version: "main at 7c6ba40c (2026-08-22; releases 3.32 to 4.1)",
  url: "https://github.com/kata-containers/kata-containers/blob/main/docs/Limitations.md",
  doc: DOMAIN.kata,
};

export const ENGINE_API: Source = {
  name: "Docker Engine API, GET /info (Runtimes)",
  version: null,
  url: "https://docs.docker.com/reference/api/engine/",
  doc: DOMAIN.kata,
};

/** Our own rules: the facts and reasoning behind them are in the section named. */
export const ours = (doc: string): Source => ({ name: "ours", version: null, url: null, doc });

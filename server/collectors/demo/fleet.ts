/**
 * The demo fleet: deterministic, seeded snapshots that look like what the collectors bring back from
 * a customer's vCenter or libvirt hosts and the container engines running in their VMs.
 *
 * Same inputs, same output: randomness comes from an sfc32 stream seeded by (customer key, seed), and
 * every time is relative to `collectedAt` (no Math.random, no clock). Proportions follow
 * docs/domain.md where it gives figures (cited inline); the rest are demo assumptions, chosen so
 * that each analysis (density, duplication, isolation, migration) finds something.
 *
 * To keep a million containers small, records share constant strings, arrays and objects (labels,
 * mounts, ports, image layers): treat the output as read-only. `parseSnapshot` returns fresh copies.
 *
 * This file is the generator's entry; the rest of the folder, in the order it is used: customers.ts
 * (the estates), random.ts (seeded randomness, identifiers), catalogue.ts (OSes, sizes, hardware),
 * model.ts (shared shapes), planning.ts, hypervisors.ts (hosts and VMs), images.ts, services.ts and
 * containers.ts (engine hosts and their containers), guests.ts (guest discovery in a share of the
 * customers' Linux VMs; not in the benchmark fleet), utilisation.ts (measured use, boot times and
 * snapshot sizes; not in the benchmark fleet either).
 */
import { SNAPSHOT_VERSION, type SnapshotInput } from "../../inventory/snapshot";
import { addLeftoverImages, engineHost, fillEngine, newEngine } from "./containers";
import { customerContainerCounts, fleetProfile, type Profile, PROFILES, splitExactly } from "./customers";
import { buildHypervisor, buildVm } from "./hypervisors";
import { buildGuests } from "./guests";
import { giveIdentities } from "./identities";
import { buildCatalogue } from "./images";
import {
  type BuildParams,
  type ContainerInput,
  type Context,
  type ImageInput,
  timePool,
  type VmInput,
  type VmPlan,
} from "./model";
import { chooseEngines, markTemplates, placeOnHosts, planClusters, sizeVm } from "./planning";
import { Rng } from "./random";
import { measureUse } from "./utilisation";

export { DEMO_CUSTOMERS, type DemoCustomer } from "./customers";

export interface FleetOptions {
  seed?: number;
  vms?: number;
  containersPerEngine?: number;
}

const DEFAULT_SEED = 1;
const DEFAULT_COLLECTED_AT = "2026-01-01T00:00:00.000Z";

/**
 * Snapshot (SnapshotInput from snapshot.ts) for one customer's demo source, deterministic in (customer key,
 * options). `measuredAt` (default collectedAt, not before it) is when its measured use was read.
 */
export function generateCustomerSnapshot(
  customerKey: string,
  options: FleetOptions & { collectedAt?: string; measuredAt?: string } = {},
): SnapshotInput {
  const profile = PROFILES.find((p) => p.customer.key === customerKey);
  if (!profile) throw new RangeError(`unknown demo customer "${customerKey}"`);
  const perEngine = checkCount("containersPerEngine", options.containersPerEngine ?? profile.containersPerEngine);
  return buildSnapshot(profile, {
    seed: options.seed ?? DEFAULT_SEED,
    vms: checkCount("vms", options.vms ?? profile.vms),
    collectedAt: options.collectedAt ?? DEFAULT_COLLECTED_AT,
    containerCounts: (candidates, rng) => customerContainerCounts(profile, perEngine, candidates, rng),
    guests: true,
    measuredUse: true,
    measuredAt: options.measuredAt,
  });
}

/**
 * The fleet for benchmarks: one big snapshot with exactly `vms` VMs and exactly `containers`
 * containers, spread over engine hosts (about 40 containers each) that run in its Linux VMs.
 */
export function generateFleetSnapshot(options: {
  seed?: number;
  vms: number;
  containers: number;
  collectedAt?: string;
}): SnapshotInput {
  const vms = checkCount("vms", options.vms);
  const containers = checkCount("containers", options.containers);
  if (containers > 0 && vms === 0) throw new RangeError("containers need at least one VM to run an engine in");
  return buildSnapshot(fleetProfile(vms), {
    seed: options.seed ?? DEFAULT_SEED,
    vms,
    collectedAt: options.collectedAt ?? DEFAULT_COLLECTED_AT,
    containerCounts: (candidates, rng) => splitExactly(containers, candidates, rng),
  });
}

function checkCount(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer`);
  return value;
}

function buildSnapshot(profile: Profile, params: BuildParams): SnapshotInput {
  const baseMs = Date.parse(params.collectedAt);
  if (!Number.isFinite(params.seed)) throw new RangeError("seed must be a finite number");
  if (Number.isNaN(baseMs)) throw new RangeError(`collectedAt is not a date: "${params.collectedAt}"`);
  const rng = new Rng(`${profile.customer.key}|${params.seed}`);
  const ctx: Context = {
    profile,
    rng,
    salt: rng.u32(),
    baseMs,
    times: timePool(baseMs),
    catalogue: buildCatalogue(`registry.${profile.domain}`, baseMs),
    nameCounts: new Map(),
    hostCount: 0,
    containerCount: 0,
  };

  const clusters = planClusters(ctx, params.vms);
  const plans = clusters.flatMap((c) => c.vms);
  markTemplates(ctx, plans);
  const engines = chooseEngines(ctx, plans, params.containerCounts);
  for (const plan of plans) sizeVm(ctx, plan);
  for (const cluster of clusters) placeOnHosts(ctx, cluster);

  const vmByPlan = new Map<VmPlan, VmInput>();
  const virtualMachines = plans.map((plan, ordinal) => {
    const vm = buildVm(ctx, plan, ordinal);
    vmByPlan.set(plan, vm);
    return vm;
  });
  const esxiMajor = new Map(clusters.map((c) => [c.name, c.esxi?.major ?? null]));
  giveIdentities(`${profile.customer.key}|${params.seed}`, virtualMachines, (name) => esxiMajor.get(name) ?? null);
  const hosts = clusters.flatMap((c) => c.hosts.map((h) => buildHypervisor(ctx, h)));
  const containers: ContainerInput[] = [];
  const images: ImageInput[] = [];
  engines.forEach(({ plan, containers: count }, index) => {
    const vm = vmByPlan.get(plan);
    if (!vm) throw new Error("engine VM was not built");
    const engine = newEngine(ctx, plan, vm, index === 0);
    hosts.push(engineHost(engine, plan, vm));
    fillEngine(ctx, engine, count, containers);
    addLeftoverImages(ctx, engine);
    for (const image of engine.images.values()) images.push(image);
  });

  const guests = params.guests
    ? buildGuests(`${profile.customer.key}|${params.seed}`, profile, params.collectedAt, plans.map((plan) => ({ plan, vm: vmByPlan.get(plan)! })), hosts, containers)
    : [];

  const measuredAt = params.measuredAt ?? params.collectedAt;
  if (!(Date.parse(measuredAt) >= baseMs)) throw new RangeError(`measuredAt must be a date not before collectedAt: "${measuredAt}"`);
  const utilisation = params.measuredUse
    ? measureUse({
        seedText: `${profile.customer.key}|${params.seed}`,
        baseMs,
        measuredAt,
        pairs: plans.map((plan) => ({ plan, vm: vmByPlan.get(plan)! })),
        hosts,
        containers,
        guests,
      })
    : [];

  return { version: SNAPSHOT_VERSION, collectedAt: params.collectedAt, hosts, virtualMachines, containers, images, guests, utilisation, warnings: [] };
}

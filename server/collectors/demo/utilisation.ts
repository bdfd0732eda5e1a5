/**
 * Measured use for the demo fleet (issue 17): what a vCenter's performance manager and quick stats,
 * and a container engine's one-shot stats, would give for a demo customer's estate, so that the
 * dashboard and the utilisation rules (idle, oversized, undersized, old snapshots, hosts that could
 * be emptied) have realistic and varied evidence.
 *
 * - Every powered-on VM and every hypervisor host: 7 days of 30-minute values (vSphere's "past week"
 *   rollup, 336 values) ending at the last half hour at or before the measuring time, for
 *   cpu.usage.pct, cpu.usage.mhz, mem.consumed.mib, and for VMs cpu.ready.pct and mem.active.mib;
 *   plus the quick-stat values of the same metrics (intervalSeconds 20, start = the measuring time).
 * - Every running container: one value of cpu.usage.pct (of its CPU limit, else of its engine host's
 *   CPUs) and mem.consumed.mib (intervalSeconds 1, as a one-shot stats call), a share of what its
 *   engine VM uses at that moment.
 * - Every VM but templates: a daily power.on observation over the POWER_HISTORY_DAYS before the
 *   fleet's day, as the demo source's daily collections would have recorded them, so that "powered
 *   off for N days" has evidence on first start.
 * - Snapshot fields: bootedAt of powered-on VMs (from the guest's uptime where guest discovery read
 *   the VM), of hypervisor hosts and of engine hosts (their VM's); snapshotSizeMiB where a VM has
 *   snapshots, growing with the age of the oldest one; memoryActiveMiB of vSphere VMs from the same
 *   model as the series (at the start of the day, so it changes once a day, as the other times do).
 *
 * Each VM draws a load profile from its role and, where a guest was read, its services (a guest
 * running a database, cache or queue server is a database): databases busier with steady memory;
 * general VMs low with a daily cycle and a weekend dip; batch and backup VMs busy at night; some VMs
 * idle, some oversized, a few undersized (saturated, with CPU ready), a few with gaps (nulls). A
 * customer with at least MIX_FROM VMs running has at least one of each. A host's values are the sum of
 * its VMs' plus the hypervisor's overhead, never above its capacity: where the VMs would ask for more,
 * they get a share (and wait: CPU ready rises), as on a contended host.
 *
 * Deterministic: parameters come from streams of their own (`<customer>|<seed>|use...`), so the rest
 * of the fleet is what it was; each value is a function of its object, metric and time slot, so two
 * collections whose windows overlap agree on the values they share.
 */
import type { GuestFacts } from "../guest/facts";
import type { MetricName } from "../../utilisation/metrics";
import type { UtilisationSeriesInput } from "../../utilisation/series";
import type { Role } from "./catalogue";
import type { ContainerInput, HostInput, VmInput, VmPlan } from "./model";
import { DAY_MS, Rng } from "./random";

/** vSphere's past-week rollup: 30-minute values, 7 days of them. */
export const HISTORY_INTERVAL_S = 1800;
export const HISTORY_VALUES = 7 * 48;
/** vSphere's real-time interval, which quick stats are read at. */
export const QUICK_INTERVAL_S = 20;
/** A one-shot container stats call compares two reads about a second apart. */
export const CONTAINER_INTERVAL_S = 1;
/** Days of power observations the demo source's own daily collections would have made before its day. */
export const POWER_HISTORY_DAYS = 60;
/** A customer with at least this many powered-on VMs has idle, oversized, undersized and gapped VMs. */
export const MIX_FROM = 8;

const HOUR_MS = 3_600_000;
const SLOT_MS = HISTORY_INTERVAL_S * 1000;

export interface MeasuredVm {
  plan: VmPlan;
  vm: VmInput;
}

export interface MeasureInput {
  /** `<customer key>|<seed>`: the fleet's seed text. */
  seedText: string;
  /** The start of the fleet's day: object times (boots, snapshots) are relative to it. */
  baseMs: number;
  /** When the use was measured (the snapshot's collectedAt): quick stats, and the history's end. */
  measuredAt: string;
  pairs: readonly MeasuredVm[];
  hosts: readonly HostInput[];
  containers: readonly ContainerInput[];
  guests: readonly GuestFacts[];
}

type Kind = "idle" | "oversized" | "general" | "database" | "batch" | "steady" | "engine" | "undersized";

/** A VM's load model: CPU in % of its vCPUs, memory in shares of its configured memory. */
interface Load {
  kind: Kind;
  key: number;
  /** Off-hours CPU, and what a weekday's peak adds, around `peakHour` (UTC) with `width` hours. */
  base: number;
  swing: number;
  peakHour: number;
  width: number;
  /** Share of the swing (and half of the base) left on Saturdays and Sundays. */
  weekend: number;
  /** CPU added from `nightStart` for three hours (batch jobs, backups). */
  night: number;
  nightStart: number;
  /** Relative noise per value. */
  noise: number;
  /** CPU ready at rest, % per vCPU. */
  ready: number;
  active: number;
  activeSwing: number;
  consumed: number;
  /** Absolute 30-minute slots without values (stats lost), first and last included. */
  gap: [number, number] | null;
}

interface VmUse {
  vm: VmInput;
  load: Load;
  bootMs: number;
  /** Underlying values per history slot (before gaps), and at the quick-stat time (index HISTORY_VALUES). */
  cpuPct: Float64Array;
  ready: Float64Array;
  active: Float64Array;
  consumed: Float64Array;
  mhz: Float64Array;
}

const DATABASE_SOFTWARE = new Set(["postgresql", "mysql", "mongodb", "cassandra", "elasticsearch", "redis", "memcached", "rabbitmq", "kafka"]);
const STEADY_ROLES: readonly Role[] = ["fw", "dc", "mon"];
const UNDERSIZE_ROLES: readonly Role[] = ["app", "db", "sql", "batch", "ci", "web", "iis"];

/** Adds bootedAt, snapshotSizeMiB (and vSphere memoryActiveMiB) to the fleet's objects; returns its measured use. */
export function measureUse(input: MeasureInput): UtilisationSeriesInput[] {
  const measuredMs = Date.parse(input.measuredAt);
  if (Number.isNaN(measuredMs)) throw new RangeError(`measuredAt is not a date: "${input.measuredAt}"`);
  const endSlot = Math.floor(measuredMs / SLOT_MS);
  const firstSlot = endSlot - HISTORY_VALUES + 1;
  const historyStart = new Date(firstSlot * SLOT_MS).toISOString();
  const quickSlot = Math.floor(measuredMs / (QUICK_INTERVAL_S * 1000));

  const daySlot = Math.floor(input.baseMs / SLOT_MS);
  const guestOf = guestsByVm(input.guests, input.pairs);
  const rng = new Rng(`${input.seedText}|use`);

  // Snapshots and boots of every VM; profiles of the powered-on ones.
  for (const { vm } of input.pairs) snapshotSize(input.seedText, input.baseMs, vm);
  const running = input.pairs.filter(({ vm }) => vm.powerState === "poweredOn" && !vm.template);
  const hostById = new Map(input.hosts.map((h) => [h.externalId, h]));
  const coreMhzOf = (vm: VmInput) => hostById.get(vm.hostExternalId ?? "")?.cpuMhz ?? 2400;
  const loads = new Map<VmInput, Load>();
  for (const pair of running) loads.set(pair.vm, drawLoad(input.seedText, rng, pair, coreMhzOf(pair.vm), guestOf.get(pair.vm), daySlot));
  // vCPUs running per core on each host: an undersized VM is placed where its host has room for it.
  const density = new Map<string, number>();
  for (const { vm } of running) density.set(vm.hostExternalId ?? "", (density.get(vm.hostExternalId ?? "") ?? 0) + vm.vcpus);
  for (const h of input.hosts) density.set(h.externalId, (density.get(h.externalId) ?? 0) / Math.max(1, h.cpuCores));
  const roomy = (vm: VmInput) => (density.get(vm.hostExternalId ?? "") ?? Infinity) <= 3;
  guaranteeMix(input.seedText, rng, running, loads, guestOf, roomy, coreMhzOf, daySlot);

  const uses: VmUse[] = running.map((pair) => {
    const load = loads.get(pair.vm)!;
    const bootMs = bootOf(input.seedText, input.baseMs, pair.vm, guestOf.get(pair.vm));
    pair.vm.bootedAt = new Date(bootMs).toISOString();
    return vmUse(pair.vm, load, bootMs, coreMhzOf(pair.vm), firstSlot, measuredMs, quickSlot);
  });
  for (const use of uses) {
    if (use.vm.memoryActiveMiB !== undefined && use.vm.memoryActiveMiB !== null) {
      // vSphere's memoryActiveMiB is a quick stat: the model's value at the start of the fleet's day.
      use.vm.memoryActiveMiB = Math.round(activeAt(use.load, use.vm.memoryMiB, cycle(use.load, input.baseMs), 0, 0));
    }
  }

  const series: UtilisationSeriesInput[] = [];
  const hostSeries = hypervisorUse(input, uses, firstSlot, historyStart, measuredMs);

  for (const use of uses) {
    const id = use.vm.externalId;
    const history = (metric: MetricName, values: Float64Array, round: (v: number) => number) => {
      const out: (number | null)[] = new Array(HISTORY_VALUES);
      for (let i = 0; i < HISTORY_VALUES; i++) out[i] = missing(use, firstSlot + i) ? null : round(values[i]!);
      series.push({ object: "virtualMachine", externalId: id, metric, intervalSeconds: HISTORY_INTERVAL_S, start: historyStart, values: out });
    };
    const quick = (metric: MetricName, values: Float64Array, round: (v: number) => number) =>
      series.push({ object: "virtualMachine", externalId: id, metric, intervalSeconds: QUICK_INTERVAL_S, start: input.measuredAt, values: [round(values[HISTORY_VALUES]!)] });
    for (const emit of [history, quick]) {
      emit("cpu.usage.pct", use.cpuPct, r2);
      emit("cpu.usage.mhz", use.mhz, Math.round);
      emit("cpu.ready.pct", use.ready, r2);
      emit("mem.active.mib", use.active, Math.round);
      emit("mem.consumed.mib", use.consumed, Math.round);
    }
  }
  series.push(...hostSeries);
  series.push(...containerUse(input, uses));
  for (const { vm } of input.pairs) if (!vm.template) series.push(powerHistory(input.seedText, input.baseMs, vm));
  return series;
}

/**
 * The power states the demo source's daily collections would have observed in the POWER_HISTORY_DAYS
 * before its day (ingest observes each collection's own, power.on at intervalSeconds 1): on every day
 * for a VM that is on; for one that is off, off since long before, or since a day in that window.
 */
function powerHistory(seedText: string, baseMs: number, vm: VmInput): UtilisationSeriesInput {
  const start = baseMs - POWER_HISTORY_DAYS * DAY_MS;
  const values = new Array<number>(POWER_HISTORY_DAYS).fill(1);
  if (vm.powerState !== "poweredOn") {
    const r = new Rng(`${seedText}|use|${vm.externalId}|power`);
    const offDays = r.chance(0.55) ? POWER_HISTORY_DAYS : r.int(1, POWER_HISTORY_DAYS - 5);
    values.fill(0, POWER_HISTORY_DAYS - offDays);
  }
  return { object: "virtualMachine", externalId: vm.externalId, metric: "power.on", intervalSeconds: 86_400, start: new Date(start).toISOString(), values };
}

const r2 = (v: number) => Math.round(v * 100) / 100;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** No value: a gap of lost stats, or the half hour the VM rebooted in. */
function missing(use: VmUse, slot: number): boolean {
  const gap = use.load.gap;
  if (gap && slot >= gap[0] && slot <= gap[1]) return true;
  return slot * SLOT_MS >= use.bootMs && (slot - 1) * SLOT_MS < use.bootMs;
}

/** Guests by the VM they were read in: DMI product UUID, else a MAC (as the guest matcher does, simplified). */
function guestsByVm(guests: readonly GuestFacts[], pairs: readonly MeasuredVm[]): Map<VmInput, GuestFacts> {
  const byUuid = new Map<string, GuestFacts>();
  const byMac = new Map<string, GuestFacts>();
  for (const g of guests) {
    if (g.productUuid) byUuid.set(g.productUuid.toLowerCase(), g);
    for (const m of g.macAddresses) byMac.set(m.toLowerCase(), g);
  }
  const out = new Map<VmInput, GuestFacts>();
  for (const { vm } of pairs) {
    const g = (vm.uuid ? byUuid.get(vm.uuid.toLowerCase()) : undefined) ?? (vm.macAddresses ?? []).map((m) => byMac.get(m.toLowerCase())).find((x) => x);
    if (g) out.set(vm, g);
  }
  return out;
}

function kindOf(plan: VmPlan, guest: GuestFacts | undefined): Kind {
  const role = plan.role;
  if (role === "docker" || role === "podman") return "engine";
  if (role === "db" || role === "sql" || role === "cache" || role === "mq") return "database";
  if (guest?.software.some((s) => DATABASE_SOFTWARE.has(s.name))) return "database";
  if (role === "batch" || role === "backup") return "batch";
  if (STEADY_ROLES.includes(role)) return "steady";
  return "general";
}

/** A VM of a disaster-recovery site: a standby. */
const standby = (vm: VmInput) => vm.datacenter?.endsWith("-DR") === true;

/** The profile of one powered-on VM: its kind from the customer's stream, its figures from its own. */
function drawLoad(seedText: string, rng: Rng, pair: MeasuredVm, coreMhz: number, guest: GuestFacts | undefined, daySlot: number): Load {
  const { plan, vm } = pair;
  let kind = kindOf(plan, guest);
  const roll = rng.next();
  if (kind === "general" || kind === "steady") {
    const idle = plan.role === "legacy" ? 0.5 : 0.1;
    const big = vm.vcpus >= 4 || vm.memoryMiB >= 16_384;
    if (roll < idle) kind = "idle";
    else if (roll < idle + (big ? 0.3 : 0.15)) kind = "oversized";
  }
  if (UNDERSIZE_ROLES.includes(plan.role) && !standby(vm) && kind !== "idle" && kind !== "oversized" && roll > 0.975) kind = "undersized";
  const gapped = rng.chance(0.04);
  return figures(seedText, vm, coreMhz, kind, guest, gapped, daySlot);
}

/** At least one idle, oversized, undersized and gapped VM in a customer with MIX_FROM VMs running. */
function guaranteeMix(
  seedText: string,
  rng: Rng,
  running: readonly MeasuredVm[],
  loads: Map<VmInput, Load>,
  guestOf: Map<VmInput, GuestFacts>,
  roomy: (vm: VmInput) => boolean,
  coreMhzOf: (vm: VmInput) => number,
  daySlot: number,
) {
  if (running.length < MIX_FROM) return;
  const redraw = (p: MeasuredVm, kind: Kind, gapped: boolean) =>
    loads.set(p.vm, figures(seedText, p.vm, coreMhzOf(p.vm), kind, guestOf.get(p.vm), gapped, daySlot));
  const natural = (p: MeasuredVm) => kindOf(p.plan, guestOf.get(p.vm));
  const general = (p: MeasuredVm) => natural(p) === "general" || natural(p) === "steady";
  const convert = (kind: Kind, fits: (p: MeasuredVm) => boolean) => {
    if (running.some((p) => loads.get(p.vm)!.kind === kind && fits(p))) return;
    const candidates = running.filter((p) => fits(p) && !["idle", "oversized", "undersized"].includes(loads.get(p.vm)!.kind));
    if (candidates.length > 0) {
      const p = rng.pick(candidates);
      redraw(p, kind, loads.get(p.vm)!.gap !== null);
    }
  };
  convert("idle", general);
  convert("oversized", (p) => general(p) && p.vm.vcpus >= 2);
  const undersizable = (p: MeasuredVm) => natural(p) !== "engine" && !standby(p.vm) && p.vm.vcpus <= 4;
  // On a host with room: on a crowded one, contention would cap it below the threshold.
  convert("undersized", running.some((p) => undersizable(p) && roomy(p.vm)) ? (p) => undersizable(p) && roomy(p.vm) : undersizable);
  if (![...loads.values()].some((l) => l.gap)) {
    const candidates = running.filter((p) => natural(p) !== "engine");
    if (candidates.length > 0) {
      const p = rng.pick(candidates);
      redraw(p, loads.get(p.vm)!.kind, true);
    }
  }
}

/** A VM's figures for its kind, from a stream of its own. */
function figures(seedText: string, vm: VmInput, coreMhz: number, kind: Kind, guest: GuestFacts | undefined, gapped: boolean, daySlot: number): Load {
  const r = new Rng(`${seedText}|use|${vm.externalId}|${kind}`);
  const key = r.u32();
  const common = {
    kind,
    key,
    peakHour: r.range(9, 15),
    width: r.range(2.5, 4.5),
    night: 0,
    nightStart: 1,
    noise: r.range(0.08, 0.25),
    ready: r.range(0.1, 1.2),
    activeSwing: r.range(0.1, 0.35),
  };
  let load: Omit<Load, "gap">;
  switch (kind) {
    case "idle":
      // Under 2 % of its vCPUs and, as Aria Operations reads idle, under 100 MHz most of the time.
      load = { ...common, base: Math.min(r.range(0.2, 0.8), (r.range(15, 60) / Math.max(1, vm.vcpus * coreMhz)) * 100), swing: r.range(0, 0.4), weekend: 0.9, noise: r.range(0.1, 0.3), ready: r.range(0.02, 0.3), active: r.range(0.02, 0.08), consumed: r.range(0.2, 0.5) };
      break;
    case "oversized":
      load = { ...common, base: r.range(1, 3.5), swing: r.range(3, 11), weekend: r.range(0.3, 0.6), active: r.range(0.05, 0.2), activeSwing: r.range(0.05, 0.2), consumed: r.range(0.35, 0.7) };
      break;
    case "general":
      load = { ...common, base: r.range(1, 5), swing: r.range(2, 16), weekend: r.range(0.2, 0.5), active: r.range(0.15, 0.5), consumed: r.range(0.55, 0.95) };
      break;
    case "database":
      load = { ...common, base: r.range(4, 14), swing: r.range(6, 20), weekend: r.range(0.75, 0.95), noise: r.range(0.05, 0.15), active: r.range(0.5, 0.8), activeSwing: r.range(0.02, 0.08), consumed: r.range(0.93, 0.99) };
      break;
    case "batch":
      load = { ...common, base: r.range(1, 5), swing: r.range(0, 5), weekend: 1, night: r.range(30, 70), nightStart: r.pick([0, 1, 2, 22, 23]), noise: r.range(0.1, 0.3), active: r.range(0.2, 0.5), activeSwing: r.range(0.3, 0.6), consumed: r.range(0.6, 0.95) };
      break;
    case "steady":
      load = { ...common, base: r.range(2, 8), swing: r.range(1, 5), weekend: 0.9, noise: r.range(0.05, 0.15), active: r.range(0.2, 0.5), consumed: r.range(0.6, 0.9) };
      break;
    case "engine":
      load = { ...common, base: r.range(4, 12), swing: r.range(4, 16), weekend: r.range(0.6, 0.8), active: r.range(0.35, 0.65), consumed: r.range(0.75, 0.95) };
      break;
    case "undersized":
      load = { ...common, base: r.range(60, 72), swing: r.range(25, 35), weekend: r.range(0.7, 0.9), noise: r.range(0.04, 0.1), ready: r.range(6, 12), active: r.range(0.75, 0.92), activeSwing: r.range(0.02, 0.06), consumed: r.range(0.97, 1) };
      break;
  }
  // A disaster-recovery site's VMs are standbys (replicas, warm spares): little CPU, little memory
  // touched, so its hosts are the ones packing could empty.
  if (standby(vm) && kind !== "undersized") {
    load.base *= 0.25;
    load.swing *= 0.2;
    load.night *= 0.2;
    load.active *= 0.5;
    load.consumed = Math.min(load.consumed, r.range(0.2, 0.4));
    return withGap(r, load, gapped, daySlot);
  }
  // Where the guest was read, active memory follows what it uses (active is what it touched lately).
  const usedMiB = guest?.memory.usedMiB;
  if (usedMiB && vm.memoryMiB > 0 && kind !== "idle" && kind !== "oversized" && kind !== "undersized") {
    load.active = clamp((usedMiB / vm.memoryMiB) * r.range(0.55, 0.9), 0.03, 0.92);
    load.consumed = Math.max(load.consumed, Math.min(1, load.active * 1.3));
  }
  return withGap(r, load, gapped, daySlot);
}

/** Consumed memory above the active memory's peak (what a VM touched since boot is more than what it touches now); the gap. */
function withGap(r: Rng, load: Omit<Load, "gap">, gapped: boolean, daySlot: number): Load {
  load.consumed = Math.max(load.consumed, Math.min(1, load.active * (1 + load.activeSwing) * 1.1));
  if (!gapped) return { ...load, gap: null };
  // Fixed in time (before the fleet's day), so that the weeks of two collections that day agree.
  const length = r.int(4, 40);
  const first = r.int(daySlot - HISTORY_VALUES + 60, daySlot - length - 2);
  return { ...load, gap: [first, first + length - 1] };
}

interface Cycle {
  day: number;
  weekend: boolean;
  night: boolean;
}

/** The daily shape at a time: 0 at night, 1 at the peak hour of a weekday; the weekend keeps `weekend` of it. */
function cycle(load: Load, tMs: number): Cycle {
  const hour = (tMs / HOUR_MS) % 24;
  const d = ((hour - load.peakHour + 36) % 24) - 12;
  // 1970-01-01 was a Thursday (4).
  const weekday = (Math.floor(tMs / DAY_MS) + 4) % 7;
  const nightHour = (hour - load.nightStart + 24) % 24;
  return { day: Math.exp(-(d * d) / (2 * load.width * load.width)), weekend: weekday === 0 || weekday === 6, night: nightHour < 3 };
}

/** CPU demand in % of the VM's vCPUs at a time (mid-interval), with the noise of its slot. */
function cpuAt(load: Load, c: Cycle, slot: number, salt: number): number {
  const factor = c.weekend ? load.weekend : 1;
  let v = load.base * (c.weekend ? (1 + load.weekend) / 2 : 1) + load.swing * c.day * factor + (c.night ? load.night : 0);
  v *= 1 + load.noise * noise(load.key, slot, salt);
  v += 0.15 * noise(load.key, slot, salt + 1);
  return clamp(v, 0, 100);
}

function activeAt(load: Load, memoryMiB: number, c: Cycle, slot: number, salt: number): number {
  const busy = (c.weekend ? load.weekend : 1) * c.day + (c.night && load.night > 0 ? 1 : 0);
  const share = load.active * (1 + load.activeSwing * (busy - 0.5)) * (1 + 0.04 * noise(load.key, slot, salt + 2));
  return clamp(share, 0.01, 1) * memoryMiB;
}

/** Consumed memory: what the VM touched since boot, rising to its level over the first two days. */
function consumedAt(load: Load, memoryMiB: number, active: number, tMs: number, bootMs: number, slot: number, salt: number): number {
  const level = load.consumed * memoryMiB * (1 + 0.01 * noise(load.key, slot, salt + 3));
  // Before its last boot the VM had run for long (a reboot within the week): at its level then too.
  const since = tMs < bootMs ? 1 : (tMs - bootMs) / (2 * DAY_MS);
  const v = since >= 1 ? level : active + (level - active) * since;
  return clamp(Math.max(v, active), 0, memoryMiB);
}

function vmUse(vm: VmInput, load: Load, bootMs: number, coreMhz: number, firstSlot: number, measuredMs: number, quickSlot: number): VmUse {
  const n = HISTORY_VALUES + 1;
  const use: VmUse = {
    vm,
    load,
    bootMs,
    cpuPct: new Float64Array(n),
    ready: new Float64Array(n),
    active: new Float64Array(n),
    consumed: new Float64Array(n),
    mhz: new Float64Array(n),
  };
  const capacity = vm.vcpus * coreMhz;
  for (let i = 0; i < n; i++) {
    const quick = i === HISTORY_VALUES;
    const slot = quick ? quickSlot : firstSlot + i;
    const salt = quick ? 101 : 11;
    // A history value covers the half hour before its time: the model is read at its middle.
    const tMs = quick ? measuredMs : slot * SLOT_MS - SLOT_MS / 2;
    const c = cycle(load, tMs);
    let cpu = cpuAt(load, c, slot, salt);
    // The first half hour after a boot is busy (services starting, caches warming).
    if (!quick && tMs - bootMs >= 0 && tMs - bootMs < SLOT_MS * 1.5) cpu = clamp(cpu + 25, 0, 100);
    use.cpuPct[i] = cpu;
    use.mhz[i] = (cpu / 100) * capacity;
    use.ready[i] = Math.max(0, load.ready * (0.6 + cpu / 100) * (1 + 0.3 * noise(load.key, slot, salt + 4)));
    const active = activeAt(load, vm.memoryMiB, c, slot, salt);
    use.active[i] = active;
    use.consumed[i] = consumedAt(load, vm.memoryMiB, active, tMs, bootMs, slot, salt);
  }
  return use;
}

/** Hypervisor hosts: their VMs' sum plus overhead, within capacity (contended VMs get a share and wait). */
function hypervisorUse(input: MeasureInput, uses: readonly VmUse[], firstSlot: number, historyStart: string, measuredMs: number): UtilisationSeriesInput[] {
  const byHost = new Map<string, VmUse[]>();
  for (const u of uses) {
    const id = u.vm.hostExternalId;
    if (!id) continue;
    const list = byHost.get(id) ?? [];
    list.push(u);
    byHost.set(id, list);
  }
  const series: UtilisationSeriesInput[] = [];
  const quickSlot = Math.floor(measuredMs / (QUICK_INTERVAL_S * 1000));
  for (const host of input.hosts) {
    if (host.role !== "hypervisor") continue;
    const r = new Rng(`${input.seedText}|use|${host.externalId}`);
    const key = r.u32();
    host.bootedAt = new Date(input.baseMs - r.range(8, 240) * DAY_MS).toISOString();
    const vms = byHost.get(host.externalId) ?? [];
    const capacity = host.cpuCores * (host.cpuMhz ?? 2400);
    const memory = host.memoryMiB;
    const idleShare = r.range(0.01, 0.025);
    const memOverhead = memory * r.range(0.02, 0.035) + 80 * vms.length;
    const shared = host.memorySharedMiB ?? 0;
    const n = HISTORY_VALUES + 1;
    const mhz = new Float64Array(n);
    const consumed = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const quick = i === HISTORY_VALUES;
      const slot = quick ? quickSlot : firstSlot + i;
      const overheadNoise = 1 + 0.2 * noise(key, slot, quick ? 201 : 21);
      let demand = 0;
      for (const u of vms) demand += u.mhz[i]!;
      let overhead = (capacity * idleShare + 0.04 * demand) * overheadNoise;
      const room = capacity * 0.97;
      if (demand + overhead > room) {
        // Contention: the VMs get a share of what is left, and their vCPUs wait (ready) for the rest.
        const factor = (room - capacity * idleShare * overheadNoise) / (demand * (1 + 0.04 * overheadNoise));
        for (const u of vms) {
          u.cpuPct[i]! *= factor;
          u.mhz[i]! *= factor;
          u.ready[i]! += (1 - factor) * 20;
        }
        demand *= factor;
        overhead = (capacity * idleShare + 0.04 * demand) * overheadNoise;
      }
      mhz[i] = Math.min(capacity, demand + overhead);
      let vmMemory = 0;
      for (const u of vms) vmMemory += u.consumed[i]!;
      const memRoom = memory * 0.97 - memOverhead + shared;
      if (vmMemory > memRoom && vmMemory > 0) {
        // Overcommitted memory: ballooning and compression take back a share of what the VMs hold.
        const factor = Math.max(0, memRoom) / vmMemory;
        for (const u of vms) {
          u.consumed[i]! *= factor;
          u.active[i] = Math.min(u.active[i]!, u.consumed[i]!);
        }
        vmMemory *= factor;
      }
      consumed[i] = clamp(vmMemory + memOverhead - shared, 0, memory);
    }
    const id = host.externalId;
    const push = (metric: MetricName, values: Float64Array, round: (v: number) => number) => {
      series.push({ object: "host", externalId: id, metric, intervalSeconds: HISTORY_INTERVAL_S, start: historyStart, values: Array.from(values.subarray(0, HISTORY_VALUES), round) });
      series.push({ object: "host", externalId: id, metric, intervalSeconds: QUICK_INTERVAL_S, start: input.measuredAt, values: [round(values[HISTORY_VALUES]!)] });
    };
    push("cpu.usage.mhz", mhz, Math.round);
    push("cpu.usage.pct", mhz.map((v) => (v / capacity) * 100), r2);
    push("mem.consumed.mib", consumed, Math.round);
  }
  return series;
}

/** Running containers: shares of their engine VM's CPU and memory at the measuring time. */
function containerUse(input: MeasureInput, uses: readonly VmUse[]): UtilisationSeriesInput[] {
  const useByUuid = new Map(uses.filter((u) => u.vm.uuid).map((u) => [u.vm.uuid!, u]));
  const series: UtilisationSeriesInput[] = [];
  const byHost = new Map<string, ContainerInput[]>();
  for (const c of input.containers) {
    if (c.state !== "running") continue;
    const list = byHost.get(c.hostExternalId) ?? [];
    list.push(c);
    byHost.set(c.hostExternalId, list);
  }
  for (const host of input.hosts) {
    if (host.role !== "container-engine") continue;
    const use = host.hardwareUuid ? useByUuid.get(host.hardwareUuid) : undefined;
    if (!use) continue;
    host.bootedAt = use.vm.bootedAt ?? null;
    const list = byHost.get(host.externalId) ?? [];
    if (list.length === 0) continue;
    const r = new Rng(`${input.seedText}|use|${host.externalId}`);
    // 85% of the VM's CPU is its containers' (the rest: the guest OS and the engine); a few containers do most.
    const cores = (use.cpuPct[HISTORY_VALUES]! / 100) * use.vm.vcpus * 0.85;
    const cpuWeights = list.map(() => r.next() ** 3);
    const cpuTotal = cpuWeights.reduce((a, b) => a + b, 0) || 1;
    const memWanted = list.map((c) => {
      const limit = (c.memoryLimitBytes ?? 0) / 1_048_576;
      return limit > 0 ? limit * r.range(0.15, 0.85) : r.range(30, 600);
    });
    const memBudget = use.consumed[HISTORY_VALUES]! * 0.8;
    const memTotal = memWanted.reduce((a, b) => a + b, 0);
    const memScale = memTotal > memBudget ? memBudget / memTotal : 1;
    list.forEach((c, i) => {
      const limitCores = cpuLimitCores(c) ?? host.cpuCores;
      const pct = limitCores > 0 ? clamp(((cores * cpuWeights[i]!) / cpuTotal / limitCores) * 100, 0, 100) : 0;
      const base = { object: "container" as const, externalId: c.externalId, intervalSeconds: CONTAINER_INTERVAL_S, start: input.measuredAt };
      series.push({ ...base, metric: "cpu.usage.pct", values: [r2(pct)] });
      series.push({ ...base, metric: "mem.consumed.mib", values: [r2(memWanted[i]! * memScale)] });
    });
  }
  return series;
}

/** The container's CPU limit in cores (NanoCpus, else quota over period); null when it has none. */
function cpuLimitCores(c: ContainerInput): number | null {
  if ((c.nanoCpus ?? 0) > 0) return c.nanoCpus! / 1e9;
  if ((c.cpuQuota ?? 0) > 0 && (c.cpuPeriod ?? 0) > 0) return c.cpuQuota! / c.cpuPeriod!;
  return null;
}

/** When a powered-on VM booted: from its guest's uptime where it was read, else days to months ago. */
function bootOf(seedText: string, baseMs: number, vm: VmInput, guest: GuestFacts | undefined): number {
  if (guest?.uptimeSeconds !== null && guest?.uptimeSeconds !== undefined) {
    return Date.parse(guest.collectedAt) - guest.uptimeSeconds * 1000;
  }
  const r = new Rng(`${seedText}|use|${vm.externalId}|boot`);
  const roll = r.next();
  // A monthly patch window reboots some within the week; most run for weeks or months.
  const days = roll < 0.12 ? r.range(1, 6.5) : roll < 0.6 ? r.range(7, 90) : r.range(90, 400);
  return Math.round(baseMs - days * DAY_MS);
}

/**
 * What a VM's snapshots hold: the blocks written since the oldest was taken (a share of its used disk
 * per day, so the old ones are large), plus the memory file of snapshots taken with memory.
 */
function snapshotSize(seedText: string, baseMs: number, vm: VmInput) {
  const count = vm.snapshotCount ?? 0;
  if (count === 0 || !vm.snapshotOldestAt) return;
  const r = new Rng(`${seedText}|use|${vm.externalId}|snapshots`);
  const days = Math.max(0, (baseMs - Date.parse(vm.snapshotOldestAt)) / DAY_MS);
  const provisioned = vm.provisionedMiB ?? 0;
  const used = vm.usedMiB ?? provisioned * 0.5;
  const written = Math.min(1, r.range(0.003, 0.015) * days ** 0.9) * used;
  const perSnapshot = Math.max(16, written * (1 + 0.1 * (count - 1)));
  const memory = r.chance(0.3) ? vm.memoryMiB * count : 0;
  vm.snapshotSizeMiB = Math.round(Math.min(perSnapshot, provisioned > 0 ? provisioned * count : perSnapshot) + memory);
}

/** A deterministic value in [-1, 1] (triangular) for an object, a time slot and a stream. */
function noise(key: number, slot: number, salt: number): number {
  return unit(key, slot, salt) + unit(key, slot, salt + 0x3c6ef372) - 1;
}

function unit(key: number, slot: number, salt: number): number {
  let h = (key ^ Math.imul(slot | 0, 0x9e3779b1) ^ Math.imul(salt, 0x85ebca77)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

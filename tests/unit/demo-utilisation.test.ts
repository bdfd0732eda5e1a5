/**
 * The demo fleet's measured use (server/collectors/demo/utilisation.ts): every figure here is computed
 * from the series and the inventory the snapshot carries, never from the generator's own labels.
 */
import { describe, expect, it } from "vitest";
import { collectDemo } from "@/server/collectors/demo/collector";
import { DEMO_CUSTOMERS, generateCustomerSnapshot, generateFleetSnapshot } from "@/server/collectors/demo/fleet";
import { HISTORY_INTERVAL_S, HISTORY_VALUES, MIX_FROM, POWER_HISTORY_DAYS, QUICK_INTERVAL_S } from "@/server/collectors/demo/utilisation";
import { inventoryFromSnapshots } from "@/server/analysis/inventory";
import { DEFAULT_PARAMETERS } from "@/server/analysis/parameters";
import { analyseUtilisation } from "@/server/analysis/utilisation";
import { parseSnapshot, type Snapshot, SnapshotValidationError, type UtilisationSeries } from "@/server/inventory/snapshot";

const customers = DEMO_CUSTOMERS.map((c) => ({ key: c.key, snapshot: parseSnapshot(generateCustomerSnapshot(c.key)) }));

const VM_METRICS = ["cpu.ready.pct", "cpu.usage.mhz", "cpu.usage.pct", "mem.active.mib", "mem.consumed.mib"];
const HOST_METRICS = ["cpu.usage.mhz", "cpu.usage.pct", "mem.consumed.mib"];
const HALF_HOUR = HISTORY_INTERVAL_S * 1000;

/** The p-th percentile (nearest rank) of the values that are there; null when none are. */
function percentile(values: readonly (number | null)[], p: number): number | null {
  const present = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (present.length === 0) return null;
  return present[Math.max(0, Math.ceil((p / 100) * present.length) - 1)]!;
}
function mean(values: readonly (number | null)[]): number {
  const present = values.filter((v): v is number => v !== null);
  return present.reduce((a, b) => a + b, 0) / present.length;
}

/** The rules' reading of a VM's week (as the brief defines them). */
type Verdict = "idle" | "oversized" | "undersized" | "other";
function classify(cpu: readonly (number | null)[], ready: readonly (number | null)[], active: readonly (number | null)[], memoryMiB: number): Verdict {
  const cpu95 = percentile(cpu, 95);
  const active95 = percentile(active, 95);
  if (cpu95 === null) return "other";
  if (cpu95 < 2) return "idle";
  if (cpu95 > 85 && mean(ready) > 5) return "undersized";
  if (cpu95 < 25 && active95 !== null && active95 < 0.3 * memoryMiB) return "oversized";
  return "other";
}

/** Series by object and metric: the history (30 min) and the quick stat (20 s). */
function index(s: Snapshot) {
  const history = new Map<string, UtilisationSeries>();
  const quick = new Map<string, UtilisationSeries>();
  const other: UtilisationSeries[] = [];
  for (const u of s.utilisation) {
    const key = `${u.object}|${u.externalId}|${u.metric}`;
    const into = u.intervalSeconds === HISTORY_INTERVAL_S ? history : u.intervalSeconds === QUICK_INTERVAL_S ? quick : null;
    if (!into) {
      other.push(u);
      continue;
    }
    expect(into.has(key), `one series per object, metric and interval: ${key}`).toBe(false);
    into.set(key, u);
  }
  const h = (object: string, id: string, metric: string) => history.get(`${object}|${id}|${metric}`);
  const q = (object: string, id: string, metric: string) => quick.get(`${object}|${id}|${metric}`);
  return { history, quick, other, h, q };
}

const running = (s: Snapshot) => s.virtualMachines.filter((v) => v.powerState === "poweredOn" && !v.template);

function verdicts(s: Snapshot) {
  const { h } = index(s);
  return running(s).map((vm) => {
    const of = (metric: string) => h("virtualMachine", vm.externalId, metric)!.values;
    return { vm, verdict: classify(of("cpu.usage.pct"), of("cpu.ready.pct"), of("mem.active.mib"), vm.memoryMiB) };
  });
}

describe("demo measured use: the contract", () => {
  it("passes parseSnapshot for every customer, and every series is about an object of its snapshot", () => {
    for (const { key, snapshot } of customers) {
      const raw = generateCustomerSnapshot(key);
      expect(snapshot.utilisation).toHaveLength(raw.utilisation!.length);
      const ids = {
        virtualMachine: new Set(snapshot.virtualMachines.map((v) => v.externalId)),
        host: new Set(snapshot.hosts.map((h) => h.externalId)),
        container: new Set(snapshot.containers.map((c) => c.externalId)),
      };
      for (const u of snapshot.utilisation) expect(ids[u.object].has(u.externalId), `${key}: ${u.object} ${u.externalId}`).toBe(true);
    }
  });

  it("is refused by the schema when one value is out of range (the check above is not vacuous)", () => {
    for (const bad of [-1, Number.NaN, 2e12]) {
      const raw = generateCustomerSnapshot("acme");
      const series = raw.utilisation![3]!;
      raw.utilisation![3] = { ...series, values: [...series.values.slice(0, -1), bad] };
      expect(() => parseSnapshot(raw)).toThrow(SnapshotValidationError);
    }
  });

  it("gives every running VM five metrics over 7 days of half hours ending at collectedAt, plus their quick stats", () => {
    for (const { key, snapshot } of customers) {
      const { h, q } = index(snapshot);
      const end = Date.parse(snapshot.collectedAt);
      const start = new Date(end - (HISTORY_VALUES - 1) * HALF_HOUR).toISOString();
      for (const vm of running(snapshot)) {
        for (const metric of VM_METRICS) {
          const history = h("virtualMachine", vm.externalId, metric);
          expect(history, `${key} ${vm.name} ${metric}`).toBeDefined();
          expect(history!.values).toHaveLength(HISTORY_VALUES);
          expect(history!.start).toBe(start);
          const quick = q("virtualMachine", vm.externalId, metric);
          expect(quick?.start).toBe(snapshot.collectedAt);
          expect(quick?.values).toHaveLength(1);
          expect(quick!.values[0]).not.toBeNull();
        }
      }
    }
  });

  it("gives no measured value, boot time or quick stat for VMs that are off, suspended or templates", () => {
    let checked = 0;
    for (const { snapshot } of customers) {
      const measured = new Set(snapshot.utilisation.filter((u) => u.object === "virtualMachine" && u.metric !== "power.on").map((u) => u.externalId));
      for (const vm of snapshot.virtualMachines) {
        const on = vm.powerState === "poweredOn" && !vm.template;
        expect(measured.has(vm.externalId), vm.name).toBe(on);
        if (!on) {
          expect(vm.bootedAt).toBeNull();
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("gives every hypervisor host three metrics and its quick stats, and engine hosts and stopped containers nothing", () => {
    for (const { snapshot } of customers) {
      const { h, q } = index(snapshot);
      for (const host of snapshot.hosts) {
        for (const metric of HOST_METRICS) {
          expect(h("host", host.externalId, metric) !== undefined, `${host.name} ${metric}`).toBe(host.role === "hypervisor");
          expect(q("host", host.externalId, metric) !== undefined).toBe(host.role === "hypervisor");
        }
      }
      const measured = new Set(snapshot.utilisation.filter((u) => u.object === "container").map((u) => u.externalId));
      for (const c of snapshot.containers) expect(measured.has(c.externalId), c.name).toBe(c.state === "running");
    }
  });

  it("keeps the benchmark fleet without measured use", () => {
    expect(generateFleetSnapshot({ vms: 50, containers: 20 }).utilisation ?? []).toEqual([]);
  });
});

describe("demo measured use: determinism", () => {
  it("gives the same series for the same seed, other series for another seed", () => {
    const a = generateCustomerSnapshot("globex", { seed: 5 });
    expect(generateCustomerSnapshot("globex", { seed: 5 }).utilisation).toEqual(a.utilisation);
    const b = generateCustomerSnapshot("globex", { seed: 6 });
    const cpu = (s: typeof a) => s.utilisation!.filter((u) => u.metric === "cpu.usage.pct" && u.intervalSeconds === HISTORY_INTERVAL_S);
    expect(cpu(b).map((u) => u.values)).not.toEqual(cpu(a).map((u) => u.values));
  });

  it("agrees with itself where two measuring times' weeks overlap, and ends at the last half hour before the measurement", () => {
    const collectedAt = "2026-03-10T00:00:00.000Z";
    const early = generateCustomerSnapshot("northwind", { collectedAt, measuredAt: "2026-03-10T06:00:00.000Z" });
    const late = generateCustomerSnapshot("northwind", { collectedAt, measuredAt: "2026-03-10T09:47:13.000Z" });
    const lateByKey = new Map(late.utilisation!.map((u) => [`${u.externalId}|${u.metric}|${u.intervalSeconds}`, u]));
    let compared = 0;
    for (const u of early.utilisation!) {
      if (u.intervalSeconds !== HISTORY_INTERVAL_S) continue;
      const other = lateByKey.get(`${u.externalId}|${u.metric}|${u.intervalSeconds}`)!;
      // 09:47:13 ends at 09:30: 7 half hours later than 06:00.
      expect(Date.parse(other.start) - Date.parse(u.start)).toBe(7 * HALF_HOUR);
      expect(other.values.slice(0, HISTORY_VALUES - 7)).toEqual(u.values.slice(7));
      compared++;
    }
    expect(compared).toBeGreaterThan(500);
    const quick = late.utilisation!.filter((u) => u.intervalSeconds === QUICK_INTERVAL_S);
    expect(quick.every((u) => u.start === "2026-03-10T09:47:13.000Z")).toBe(true);
  });

  it("refuses a measuring time before collectedAt", () => {
    expect(() => generateCustomerSnapshot("acme", { collectedAt: "2026-03-10T00:00:00.000Z", measuredAt: "2026-03-09T23:59:59.000Z" })).toThrow(RangeError);
    expect(() => generateCustomerSnapshot("acme", { measuredAt: "soon" })).toThrow(RangeError);
  });

  it("is what the demo collector brings back: the week up to now and this moment's quick stats", async () => {
    const before = Date.now();
    const raw = await collectDemo(
      { kind: "demo", name: "demo:acme", endpoint: "demo:acme", username: null, secret: null, options: {} },
      { signal: new AbortController().signal },
    );
    const s = parseSnapshot(raw);
    const at = Date.parse(s.collectedAt);
    expect(at).toBeGreaterThanOrEqual(before);
    const history = s.utilisation.filter((u) => u.intervalSeconds === HISTORY_INTERVAL_S);
    expect(history.length).toBeGreaterThan(0);
    for (const u of history) {
      const end = Date.parse(u.start) + (HISTORY_VALUES - 1) * HALF_HOUR;
      expect(end).toBeLessThanOrEqual(at);
      expect(end).toBeGreaterThan(at - HALF_HOUR);
    }
    expect(s.utilisation.filter((u) => u.intervalSeconds === QUICK_INTERVAL_S).every((u) => u.start === s.collectedAt)).toBe(true);
  });
});

describe("demo measured use: the profile mix, as the rules will read it", () => {
  it("classifies near misses as the thresholds say", () => {
    const flat = (v: number) => new Array<number>(100).fill(v);
    expect(classify(flat(1.99), flat(0.1), flat(100), 1024)).toBe("idle");
    expect(classify(flat(2), flat(0.1), flat(100), 1024)).toBe("oversized");
    expect(classify(flat(10), flat(0.1), flat(299.9), 1000)).toBe("oversized");
    expect(classify(flat(10), flat(0.1), flat(300), 1000)).toBe("other");
    expect(classify(flat(24.99), flat(0.1), flat(100), 1000)).toBe("oversized");
    expect(classify(flat(25), flat(0.1), flat(100), 1000)).toBe("other");
    expect(classify(flat(86), flat(5.1), flat(900), 1024)).toBe("undersized");
    expect(classify(flat(86), flat(5), flat(900), 1024)).toBe("other");
    expect(classify(flat(85), flat(9), flat(900), 1024)).toBe("other");
    // 6 of 100 values high: the p95 is high; 5 of 100: it is not.
    expect(percentile([...flat(1).slice(0, 94), ...flat(50).slice(0, 6)], 95)).toBe(50);
    expect(percentile([...flat(1).slice(0, 95), ...flat(50).slice(0, 5)], 95)).toBe(1);
    expect(percentile([null, null], 95)).toBeNull();
  });

  it("has idle, oversized and undersized VMs, and VMs with gaps, in every customer with enough running VMs", () => {
    const totals = { idle: 0, oversized: 0, undersized: 0, other: 0 };
    for (const { key, snapshot } of customers) {
      const found = verdicts(snapshot);
      const count = (v: Verdict) => found.filter((f) => f.verdict === v).length;
      for (const v of ["idle", "oversized", "undersized", "other"] as const) totals[v] += count(v);
      const { h } = index(snapshot);
      const gapped = running(snapshot).filter((vm) => h("virtualMachine", vm.externalId, "cpu.usage.pct")!.values.filter((x) => x === null).length >= 4);
      if (found.length >= MIX_FROM) {
        expect(count("idle"), `${key} idle`).toBeGreaterThanOrEqual(1);
        expect(count("oversized"), `${key} oversized`).toBeGreaterThanOrEqual(1);
        expect(count("undersized"), `${key} undersized`).toBeGreaterThanOrEqual(1);
        expect(gapped.length, `${key} gaps`).toBeGreaterThanOrEqual(1);
        // A few undersized, some idle: never most of the estate.
        expect(count("undersized")).toBeLessThanOrEqual(Math.max(2, found.length * 0.05));
        expect(count("idle")).toBeLessThan(found.length * 0.2);
        expect(gapped.length).toBeLessThan(found.length * 0.1);
      }
    }
    const all = totals.idle + totals.oversized + totals.undersized + totals.other;
    expect(all).toBeGreaterThan(350);
    // Varied: neither all fine nor all oversized.
    expect(totals.oversized / all).toBeGreaterThan(0.15);
    expect(totals.oversized / all).toBeLessThan(0.6);
    expect(totals.other / all).toBeGreaterThan(0.3);
  });

  it("keeps the mix with other seeds", () => {
    for (const seed of [4, 8]) {
      for (const c of DEMO_CUSTOMERS) {
        const snapshot = parseSnapshot(generateCustomerSnapshot(c.key, { seed }));
        const found = verdicts(snapshot);
        if (found.length < MIX_FROM) continue;
        for (const v of ["idle", "oversized", "undersized"] as const) {
          expect(found.filter((f) => f.verdict === v).length, `seed ${seed} ${c.key} ${v}`).toBeGreaterThanOrEqual(1);
        }
      }
    }
  });

  it("makes databases busier than general VMs, with steadier memory", () => {
    const db: { cpu: number; memSpread: number }[] = [];
    const general: { cpu: number; memSpread: number }[] = [];
    for (const { snapshot } of customers) {
      const { h } = index(snapshot);
      for (const vm of running(snapshot)) {
        // Databases as the inventory shows them: their folder, or their annotation naming the engine.
        const isDb = vm.folder?.endsWith("/Databases") || /PostgreSQL|MySQL|MariaDB|MongoDB|SQL Server/.test(vm.annotation ?? "");
        const isGeneral = /Production\/(Web|Applications)$/.test(vm.folder ?? "") && !/cache|mq/.test(vm.name);
        const cpu = percentile(h("virtualMachine", vm.externalId, "cpu.usage.pct")!.values, 95)!;
        const active = h("virtualMachine", vm.externalId, "mem.active.mib")!.values;
        const spread = (percentile(active, 95)! - percentile(active, 5)!) / mean(active);
        if (isDb) db.push({ cpu, memSpread: spread });
        else if (isGeneral) general.push({ cpu, memSpread: spread });
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    expect(db.length).toBeGreaterThan(30);
    expect(general.length).toBeGreaterThan(100);
    expect(median(db.map((d) => d.cpu))).toBeGreaterThan(median(general.map((g) => g.cpu)));
    expect(median(db.map((d) => d.memSpread))).toBeLessThan(median(general.map((g) => g.memSpread)) / 2);
  });

  it("follows a daily cycle with a weekend dip", () => {
    const { snapshot } = customers.find((c) => c.key === "blueharbor")!;
    const { h } = index(snapshot);
    const byHour = new Array<number>(24).fill(0);
    let weekday = 0;
    let weekend = 0;
    let weekdays = 0;
    let weekends = 0;
    for (const vm of running(snapshot)) {
      const u = h("virtualMachine", vm.externalId, "cpu.usage.mhz")!;
      u.values.forEach((v, i) => {
        if (v === null) return;
        const t = new Date(Date.parse(u.start) + i * HALF_HOUR - HALF_HOUR / 2);
        const day = t.getUTCDay();
        if (day === 0 || day === 6) {
          weekend += v;
          weekends++;
        } else {
          weekday += v;
          weekdays++;
          byHour[t.getUTCHours()]! += v;
        }
      });
    }
    expect(weekdays).toBeGreaterThan(0);
    expect(weekends).toBeGreaterThan(0);
    expect(weekend / weekends).toBeLessThan((weekday / weekdays) * 0.85);
    // Busiest in the working day (UTC), quietest at night.
    const busiest = byHour.indexOf(Math.max(...byHour));
    expect(busiest).toBeGreaterThanOrEqual(9);
    expect(busiest).toBeLessThanOrEqual(16);
    expect(byHour[busiest]!).toBeGreaterThan(1.5 * Math.min(...byHour));
  });
});

describe("demo measured use: hosts, containers and values in range", () => {
  it("gives each hypervisor at least the sum of its VMs' MHz, never more than its capacity", () => {
    let compared = 0;
    for (const { snapshot } of customers) {
      const { h, q } = index(snapshot);
      for (const host of snapshot.hosts.filter((x) => x.role === "hypervisor")) {
        const capacity = host.cpuCores * host.cpuMhz!;
        const vms = running(snapshot).filter((v) => v.hostExternalId === host.externalId);
        const mhz = h("host", host.externalId, "cpu.usage.mhz")!;
        const pct = h("host", host.externalId, "cpu.usage.pct")!;
        const memory = h("host", host.externalId, "mem.consumed.mib")!;
        const vmMhz = vms.map((v) => h("virtualMachine", v.externalId, "cpu.usage.mhz")!);
        expect(vmMhz.every((u) => u.start === mhz.start)).toBe(true);
        for (let i = 0; i < HISTORY_VALUES; i++) {
          const sum = vmMhz.reduce((a, u) => a + (u.values[i] ?? 0), 0);
          const value = mhz.values[i]!;
          // Each value is rounded to the MHz: the sum may be off by half a MHz per VM.
          expect(value).toBeGreaterThanOrEqual(sum - 0.5 * (vms.length + 1));
          expect(value).toBeLessThanOrEqual(capacity);
          expect(pct.values[i]!).toBeCloseTo((value / capacity) * 100, 0);
          expect(memory.values[i]!).toBeLessThanOrEqual(host.memoryMiB);
          compared++;
        }
        const quickSum = vms.reduce((a, v) => a + q("virtualMachine", v.externalId, "cpu.usage.mhz")!.values[0]!, 0);
        const quick = q("host", host.externalId, "cpu.usage.mhz")!.values[0]!;
        expect(quick).toBeGreaterThanOrEqual(quickSum - 0.5 * (vms.length + 1));
        expect(quick).toBeLessThanOrEqual(capacity);
        expect(host.bootedAt).not.toBeNull();
      }
    }
    expect(compared).toBeGreaterThan(5000);
  });

  it("keeps VM values within the VM: CPU within 0-100 %, MHz within its vCPUs, active within consumed within memory", () => {
    const problems: string[] = [];
    let checked = 0;
    for (const { snapshot } of customers) {
      const { h, q } = index(snapshot);
      const coreMhz = new Map(snapshot.hosts.map((x) => [x.externalId, x.cpuMhz ?? 0]));
      for (const vm of running(snapshot)) {
        const capacity = vm.vcpus * coreMhz.get(vm.hostExternalId!)!;
        for (const get of [h, q]) {
          const of = (metric: string) => get("virtualMachine", vm.externalId, metric)!.values;
          const [cpu, mhz, ready, active, consumed] = ["cpu.usage.pct", "cpu.usage.mhz", "cpu.ready.pct", "mem.active.mib", "mem.consumed.mib"].map(of);
          cpu!.forEach((v, i) => {
            checked++;
            const at = `${vm.name}[${i}]`;
            if (v === null) {
              if ([mhz, ready, active, consumed].some((m) => m![i] !== null)) problems.push(`${at}: a gap in one metric only`);
              return;
            }
            if (v > 100) problems.push(`${at}: ${v} % CPU`);
            if (mhz![i]! > capacity + 0.5) problems.push(`${at}: ${mhz![i]} MHz above ${capacity}`);
            // Both are rounded: the % to 0.01, the MHz to 1.
            if (Math.abs(mhz![i]! - (v / 100) * capacity) > (0.005 / 100) * capacity + 0.5) problems.push(`${at}: ${mhz![i]} MHz is not ${v} %`);
            if (active![i]! > consumed![i]!) problems.push(`${at}: active ${active![i]} above consumed ${consumed![i]}`);
            if (consumed![i]! > vm.memoryMiB) problems.push(`${at}: consumed ${consumed![i]} above ${vm.memoryMiB}`);
          });
        }
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(100_000);
  });

  it("gives running containers shares of their engine VM's use, within their limits", () => {
    let checked = 0;
    for (const { snapshot } of customers) {
      const { other, q } = index(snapshot);
      const value = new Map(other.map((u) => [`${u.externalId}|${u.metric}`, u]));
      for (const engine of snapshot.hosts.filter((x) => x.role === "container-engine")) {
        const vm = snapshot.virtualMachines.find((v) => v.uuid === engine.hardwareUuid)!;
        expect(engine.bootedAt).toBe(vm.bootedAt);
        const vmCores = (q("virtualMachine", vm.externalId, "cpu.usage.pct")!.values[0]! / 100) * vm.vcpus;
        let cores = 0;
        let memory = 0;
        for (const c of snapshot.containers.filter((x) => x.hostExternalId === engine.externalId && x.state === "running")) {
          const cpu = value.get(`${c.externalId}|cpu.usage.pct`)!;
          const mem = value.get(`${c.externalId}|mem.consumed.mib`)!;
          expect(cpu.start).toBe(snapshot.collectedAt);
          expect(cpu.values).toHaveLength(1);
          expect(cpu.values[0]!).toBeLessThanOrEqual(100);
          const limit = c.nanoCpus > 0 ? c.nanoCpus / 1e9 : c.cpuQuota > 0 && c.cpuPeriod > 0 ? c.cpuQuota / c.cpuPeriod : engine.cpuCores;
          cores += (cpu.values[0]! / 100) * limit;
          memory += mem.values[0]!;
          if (c.memoryLimitBytes > 0) expect(mem.values[0]!).toBeLessThanOrEqual(c.memoryLimitBytes / 1_048_576);
          checked++;
        }
        expect(cores).toBeLessThanOrEqual(vmCores + 0.01);
        expect(memory).toBeLessThanOrEqual(q("virtualMachine", vm.externalId, "mem.consumed.mib")!.values[0]! + 1);
      }
    }
    expect(checked).toBeGreaterThan(500);
  });
});

describe("demo measured use: boot times and snapshot sizes", () => {
  it("boots every running VM days to months before collectedAt, and agrees with the guest's uptime where one was read", () => {
    let fromGuests = 0;
    const ages: number[] = [];
    for (const { snapshot } of customers) {
      const at = Date.parse(snapshot.collectedAt);
      for (const vm of running(snapshot)) {
        expect(vm.bootedAt, vm.name).not.toBeNull();
        const age = (at - Date.parse(vm.bootedAt!)) / 86_400_000;
        expect(age).toBeGreaterThan(0);
        expect(age).toBeLessThan(420);
        ages.push(age);
        const guest = snapshot.guests.find((g) => g.productUuid !== null && g.productUuid === vm.uuid);
        if (guest?.uptimeSeconds) {
          expect(Math.abs(Date.parse(vm.bootedAt!) - (Date.parse(guest.collectedAt) - guest.uptimeSeconds * 1000))).toBeLessThan(1000);
          fromGuests++;
        }
      }
    }
    expect(fromGuests).toBeGreaterThan(50);
    expect(ages.some((a) => a < 7)).toBe(true);
    expect(ages.some((a) => a > 90)).toBe(true);
  });

  it("misses the half hour a VM rebooted in, then shows its consumed memory growing back", () => {
    let rebooted = 0;
    for (const { snapshot } of customers) {
      const { h } = index(snapshot);
      for (const vm of running(snapshot)) {
        const consumed = h("virtualMachine", vm.externalId, "mem.consumed.mib")!;
        const boot = Date.parse(vm.bootedAt!);
        // The value whose half hour holds the boot.
        const i = Math.ceil((boot - Date.parse(consumed.start)) / HALF_HOUR);
        if (i < 8 || i > HISTORY_VALUES - 4) continue;
        const values = consumed.values;
        if ([i - 6, i - 1, i + 1].some((j) => values[j] === null)) continue;
        rebooted++;
        expect(values[i], vm.name).toBeNull();
        // Before: at its level after a long run; just after: little more than its active memory.
        expect(values[i + 1]!, vm.name).toBeLessThan(values[i - 1]!);
      }
    }
    expect(rebooted).toBeGreaterThanOrEqual(5);
  });

  it("sizes snapshots where there are some, the old ones large", () => {
    const sized: { days: number; mib: number }[] = [];
    for (const { snapshot } of customers) {
      for (const vm of snapshot.virtualMachines) {
        expect(vm.snapshotSizeMiB !== null, vm.name).toBe(vm.snapshotCount > 0);
        if (vm.snapshotCount === 0) continue;
        expect(vm.snapshotSizeMiB!).toBeGreaterThan(0);
        sized.push({ days: (Date.parse(snapshot.collectedAt) - Date.parse(vm.snapshotOldestAt!)) / 86_400_000, mib: vm.snapshotSizeMiB! });
      }
    }
    const old = sized.filter((s) => s.days > 30);
    const recent = sized.filter((s) => s.days < 14);
    expect(old.length).toBeGreaterThanOrEqual(3);
    expect(recent.length).toBeGreaterThanOrEqual(10);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    expect(median(old.map((s) => s.mib))).toBeGreaterThan(4 * median(recent.map((s) => s.mib)));
    expect(old.filter((s) => s.mib > 20 * 1024).length).toBeGreaterThanOrEqual(2);
  });
});

describe("demo measured use: power history, and what the utilisation analysis finds in it", () => {
  it("observes every VM but templates once a day before the fleet's day: on VMs always on, off VMs off at the end", () => {
    const offDays: number[] = [];
    for (const { snapshot } of customers) {
      const power = new Map(snapshot.utilisation.filter((u) => u.metric === "power.on").map((u) => [u.externalId, u]));
      for (const vm of snapshot.virtualMachines) {
        const u = power.get(vm.externalId);
        if (vm.template) {
          expect(u).toBeUndefined();
          continue;
        }
        expect(u!.intervalSeconds).toBe(86_400);
        expect(u!.values).toHaveLength(POWER_HISTORY_DAYS);
        expect(Date.parse(u!.start) + (POWER_HISTORY_DAYS - 1) * 86_400_000).toBeLessThan(Date.parse(snapshot.collectedAt));
        if (vm.powerState === "poweredOn") {
          expect(u!.values.every((v) => v === 1), vm.name).toBe(true);
        } else {
          // Off from some day on, never back on: the days off count from the last day seen on.
          const firstOff = u!.values.indexOf(0);
          expect(firstOff).toBeGreaterThanOrEqual(0);
          expect(u!.values.slice(firstOff).every((v) => v === 0)).toBe(true);
          offDays.push(POWER_HISTORY_DAYS - firstOff);
        }
      }
    }
    // Off for longer than the 30-day threshold, and near misses below it.
    expect(offDays.filter((d) => d > 30).length).toBeGreaterThanOrEqual(5);
    expect(offDays.filter((d) => d < 30).length).toBeGreaterThanOrEqual(3);
  });

  it("gives the utilisation analysis idle, oversized, undersized, powered-off VMs, old snapshots and a host to empty", () => {
    const fired = new Map<string, number>();
    let freed = 0;
    for (const { key, snapshot } of customers) {
      const result = analyseUtilisation(inventoryFromSnapshots([{ snapshot, customer: key, prefix: key }]), DEFAULT_PARAMETERS);
      const rules = new Set(result.findings.map((f) => f.ruleId));
      for (const f of result.findings) fired.set(f.ruleId, (fired.get(f.ruleId) ?? 0) + 1);
      expect(result.totals.insufficientData, key).toBe(0);
      if (running(snapshot).length >= MIX_FROM) {
        for (const rule of ["util-idle-vm", "util-oversized-vm", "util-undersized-vm"]) expect(rules.has(rule), `${key} ${rule}`).toBe(true);
      }
      freed += result.clusters.reduce((a, c) => a + (c.hostsFreed ?? 0), 0);
    }
    expect(fired.get("util-powered-off-vm") ?? 0).toBeGreaterThanOrEqual(5);
    expect(fired.get("util-old-snapshot") ?? 0).toBeGreaterThanOrEqual(5);
    expect(freed).toBeGreaterThanOrEqual(1);
  });
});

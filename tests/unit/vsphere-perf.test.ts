/**
 * vSphere PerformanceManager answers → utilisation series (server/collectors/vsphere/performance.ts):
 * the CSV a vCenter sends (format "csv"), the int series vcsim sends, -1, gaps, value counts that
 * disagree with the samples, garbage; the counters and intervals read; the conversions.
 */
import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "@/server/cli/args";
import type { CollectableSource } from "@/server/collectors";
import { vsphereCliParser } from "@/server/collectors/vsphere/cli";
import { collectInventory, collectVsphere, connectSource, performanceEntities, vsphereOptions } from "@/server/collectors/vsphere/collector";
import { parseSnapshot } from "@/server/inventory/snapshot";
import type { Manifest } from "../fixtures/vsphere/manifest";
import { envelope, fixture, PASSWORD, startReplay, TLS, vcenter, type Handler, type ReplayServer } from "../fixtures/vsphere/replay";
import {
  batches,
  chooseInterval,
  defaultMaxQueryMetrics,
  countersFor,
  parseCsvValues,
  parseSampleInfoCsv,
  querySpecXml,
  readEntityMetrics,
  readIntervals,
  readPerfCounters,
  readPerformance,
  toGrid,
  toSeries,
  VCENTER_DEFAULT_INTERVALS,
  type CounterName,
  type QueryEntity,
} from "../../server/collectors/vsphere/performance";
import { parseXml, child } from "../../server/collectors/vsphere/xml";
import { utilisationSeries } from "../../server/utilisation/series";

const T0 = Date.parse("2026-11-30T10:00:00Z");
const at = (i: number, step = 300) => new Date(T0 + i * step * 1000).toISOString();

/** A QueryPerf answer's body as a vCenter sends it for format "csv" (vim25 PerfEntityMetricCSV). */
function csvAnswer(entity: string, type: string, sampleInfo: string, series: [number, string, string?][]) {
  const values = series
    .map(([id, csv, instance = ""]) => `<value><id><counterId>${id}</counterId><instance>${instance}</instance></id><value>${csv}</value></value>`)
    .join("");
  return parseXml(
    `<returnval xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="PerfEntityMetricCSV">` +
      `<entity type="${type}">${entity}</entity><sampleInfoCSV>${sampleInfo}</sampleInfoCSV>${values}</returnval>`,
  );
}

const sampleInfo = (n: number, step = 300, from = 1) =>
  Array.from({ length: n }, (_, i) => `${step},${at(from + i, step)}`).join(",");

const vm: QueryEntity = { ref: { type: "VirtualMachine", value: "vm-7" }, object: "virtualMachine", vcpus: 4 };
const host: QueryEntity = { ref: { type: "HostSystem", value: "host-9" }, object: "host", vcpus: null };
const ids: [CounterName, number][] = [
  ["cpu.usage.average", 2],
  ["cpu.usagemhz.average", 6],
  ["cpu.ready.summation", 12],
  ["mem.active.average", 33],
  ["mem.consumed.average", 98],
  ["mem.vmmemctl.average", 90],
  ["mem.swapped.average", 70],
  ["disk.read.average", 130],
  ["disk.write.average", 131],
  ["net.received.average", 148],
  ["net.transmitted.average", 149],
];
const names = new Map(ids.map(([n, id]) => [id, n]));

describe("parseCsvValues", () => {
  it("reads integers, -1 and an empty item as null", () => {
    expect(parseCsvValues("12,-1,30,,0")).toEqual({ values: [12, null, 30, null, 0], negatives: 0 });
  });
  it("an empty list is no values", () => {
    expect(parseCsvValues("")).toEqual({ values: [], negatives: 0 });
    expect(parseCsvValues("  ")).toEqual({ values: [], negatives: 0 });
  });
  it("other negative numbers are null and counted (a counter never goes below 0)", () => {
    expect(parseCsvValues("5,-2,-1")).toEqual({ values: [5, null, null], negatives: 1 });
  });
  it("refuses the whole list for one item that is not a number", () => {
    expect(parseCsvValues("1,2,abc")).toBeNull();
    expect(parseCsvValues("1,NaN")).toBeNull();
    expect(parseCsvValues("1,Infinity")).toBeNull();
    expect(parseCsvValues("1,1e400")).toBeNull();
    expect(parseCsvValues("0x10")).toBeNull();
  });
});

describe("parseSampleInfoCsv", () => {
  it("reads interval,timestamp pairs", () => {
    expect(parseSampleInfoCsv(`300,${at(1)},300,${at(2)}`)).toEqual({ intervals: [300, 300], timestamps: [T0 + 300_000, T0 + 600_000] });
  });
  it("refuses an odd item count, a bad time or a bad interval", () => {
    expect(parseSampleInfoCsv(`300,${at(1)},300`)).toBeNull();
    expect(parseSampleInfoCsv(`300,yesterday`)).toBeNull();
    expect(parseSampleInfoCsv(`0,${at(1)}`)).toBeNull();
    expect(parseSampleInfoCsv(`-300,${at(1)}`)).toBeNull();
    expect(parseSampleInfoCsv(`30.5,${at(1)}`)).toBeNull();
  });
  it("an empty list is no samples", () => {
    expect(parseSampleInfoCsv("")).toEqual({ intervals: [], timestamps: [] });
  });
});

describe("readEntityMetrics", () => {
  it("reads a vCenter's CSV answer: aggregate instance only", () => {
    const m = readEntityMetrics(
      csvAnswer("vm-7", "VirtualMachine", sampleInfo(3), [
        [2, "100,250,-1"],
        [2, "1,1,1", "0"], // a per-vCPU instance: not the aggregate
        [98, "1048576,2097152,1024"],
      ]),
    );
    expect(m.entity).toEqual({ type: "VirtualMachine", value: "vm-7" });
    expect(m.timestamps).toHaveLength(3);
    expect([...m.series.keys()]).toEqual([2, 98]);
    expect(m.series.get(2)).toEqual([100, 250, null]);
    expect(m.problems).toEqual([]);
  });

  it("drops a series whose value count disagrees with the samples, and says so", () => {
    const m = readEntityMetrics(csvAnswer("vm-7", "VirtualMachine", sampleInfo(3), [[2, "1,2"], [6, "1,2,3,4"], [33, "1,2,3"]]));
    expect([...m.series.keys()]).toEqual([33]);
    expect(m.problems).toEqual(["counter 2: 2 values for 3 samples", "counter 6: 4 values for 3 samples"]);
  });

  it("drops a series with garbage, keeps the others", () => {
    const m = readEntityMetrics(csvAnswer("vm-7", "VirtualMachine", sampleInfo(2), [[2, "1,zz"], [6, "5,6"]]));
    expect([...m.series.keys()]).toEqual([6]);
    expect(m.problems).toEqual(["counter 2: values that are not numbers"]);
  });

  it("an empty CSV answer (no samples in the period) gives no values and no problem", () => {
    const m = readEntityMetrics(csvAnswer("vm-7", "VirtualMachine", "", [[2, ""]]));
    expect(m.timestamps).toEqual([]);
    expect(m.series.get(2)).toEqual([]);
    expect(m.problems).toEqual([]);
    expect(toSeries(m, vm, names, 300)).toEqual([]);
  });

  it("an unreadable sampleInfoCSV drops the entity's values", () => {
    const m = readEntityMetrics(csvAnswer("vm-7", "VirtualMachine", "300,not-a-time", [[2, "1"]]));
    expect(m.series.size).toBe(0);
    expect(m.problems).toEqual(["unreadable sampleInfoCSV"]);
  });

  it("reads vcsim's normal answer (PerfEntityMetric, newest first, PerfMetricIntSeries)", () => {
    const e = parseXml(
      `<returnval xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="PerfEntityMetric"><entity type="HostSystem">host-9</entity>` +
        `<sampleInfo><timestamp>${at(2, 1800)}</timestamp><interval>1800</interval></sampleInfo>` +
        `<sampleInfo><timestamp>${at(1, 1800)}</timestamp><interval>1800</interval></sampleInfo>` +
        `<value xsi:type="PerfMetricIntSeries"><id><counterId>2</counterId><instance></instance></id><value>722</value><value>-1</value></value>` +
        `<value xsi:type="PerfMetricIntSeries"><id><counterId>6</counterId><instance></instance></id><value>5</value></value></returnval>`,
    );
    const m = readEntityMetrics(e);
    expect(m.series.get(2)).toEqual([722, null]);
    expect(m.problems).toEqual(["counter 6: 1 values for 2 samples"]);
    const [series] = toSeries(m, host, names, 1800);
    // Sorted by time: the older sample (-1, no value) first.
    expect(series).toEqual({
      object: "host",
      externalId: "host-9",
      metric: "cpu.usage.pct",
      intervalSeconds: 1800,
      start: at(1, 1800),
      values: [null, 7.22],
    });
  });
});

describe("toGrid", () => {
  it("lays samples on a regular grid from the first, with gaps as null", () => {
    const times = [T0, T0 + 300_000, T0 + 900_000];
    expect(toGrid(times, [300, 300, 300], [1, 2, 4], 300)).toEqual({ start: T0, values: [1, 2, null, 4] });
  });
  it("sorts samples given newest first", () => {
    expect(toGrid([T0 + 600_000, T0 + 300_000, T0], [300, 300, 300], [3, 2, 1], 300)).toEqual({ start: T0, values: [1, 2, 3] });
  });
  it("leaves out samples of another interval", () => {
    expect(toGrid([T0, T0 + 300_000], [20, 300], [9, 5], 300)).toEqual({ start: T0 + 300_000, values: [5] });
    expect(toGrid([T0], [20], [9], 300)).toBeNull();
  });
  it("keeps the newest 10,000 values of a longer span", () => {
    const grid = toGrid([T0, T0 + 20_000 * 300_000], [300, 300], [1, 2], 300)!;
    expect(grid.values).toHaveLength(10_000);
    expect(grid.values.at(-1)).toBe(2);
    expect(grid.start).toBe(T0 + 10_001 * 300_000);
  });
});

describe("toSeries: conversions to the product's units", () => {
  const n = 2;
  const answer = csvAnswer("vm-7", "VirtualMachine", sampleInfo(n), [
    [2, "2550,10000"], // hundredths of a percent
    [6, "1200,0"], // MHz
    [12, "6000,1200"], // ms ready in a 300 s interval over 4 vCPUs
    [33, "524288,-1"], // KB
    [98, "1048576,2048"],
    [90, "0,1024"],
    [70, "-1,-1"], // never a value: no series
    [130, "15,0"], // KBps
    [131, "7,8"],
    [148, "100,200"],
    [149, "1,2"],
  ]);
  const series = toSeries(readEntityMetrics(answer), vm, names, 300);
  const byMetric = new Map(series.map((s) => [s.metric, s]));

  it("gives one valid series per counter with a value", () => {
    expect(series.map((s) => s.metric).sort()).toEqual(
      ["cpu.ready.pct", "cpu.usage.mhz", "cpu.usage.pct", "disk.read.kibps", "disk.write.kibps", "mem.active.mib", "mem.ballooned.mib", "mem.consumed.mib", "net.rx.kibps", "net.tx.kibps"].sort(),
    );
    for (const s of series) {
      expect(utilisationSeries.safeParse(s).success, s.metric).toBe(true);
      expect(s).toMatchObject({ object: "virtualMachine", externalId: "vm-7", intervalSeconds: 300, start: at(1) });
    }
  });

  it("converts each counter", () => {
    expect(byMetric.get("cpu.usage.pct")!.values).toEqual([25.5, 100]);
    expect(byMetric.get("cpu.usage.mhz")!.values).toEqual([1200, 0]);
    // 6000 ms ÷ (300 s × 1000 × 4 vCPUs) = 0.5 %
    expect(byMetric.get("cpu.ready.pct")!.values).toEqual([0.5, 0.1]);
    expect(byMetric.get("mem.active.mib")!.values).toEqual([512, null]);
    expect(byMetric.get("mem.consumed.mib")!.values).toEqual([1024, 2]);
    expect(byMetric.get("mem.ballooned.mib")!.values).toEqual([0, 1]);
    expect(byMetric.get("disk.read.kibps")!.values).toEqual([15, 0]);
    expect(byMetric.get("net.tx.kibps")!.values).toEqual([1, 2]);
  });

  it("cpu.ready needs the vCPUs: none without them", () => {
    const noVcpus = toSeries(readEntityMetrics(answer), { ...vm, vcpus: 0 }, names, 300);
    expect(noVcpus.some((s) => s.metric === "cpu.ready.pct")).toBe(false);
  });

  it("a host gets only the host metrics (no ready, balloon or swap)", () => {
    const hostAnswer = csvAnswer("host-9", "HostSystem", sampleInfo(1), [[2, "100"], [12, "5"], [90, "7"], [70, "8"], [98, "1024"]]);
    expect(toSeries(readEntityMetrics(hostAnswer), host, names, 300).map((s) => s.metric)).toEqual(["cpu.usage.pct", "mem.consumed.mib"]);
  });

  it("a value past what a series may hold is null, not an error", () => {
    const huge = csvAnswer("vm-7", "VirtualMachine", sampleInfo(2), [[130, "5,99999999999999999"]]);
    expect(toSeries(readEntityMetrics(huge), vm, names, 300)[0]!.values).toEqual([5, null]);
  });
});

describe("the PerformanceManager's properties", () => {
  const counters = parseXml(
    `<val><PerfCounterInfo><key>2</key><nameInfo><key>usage</key></nameInfo><groupInfo><key>cpu</key></groupInfo><rollupType>average</rollupType></PerfCounterInfo>` +
      `<PerfCounterInfo><key>1</key><nameInfo><key>usage</key></nameInfo><groupInfo><key>cpu</key></groupInfo><rollupType>none</rollupType></PerfCounterInfo>` +
      `<PerfCounterInfo><key>x</key><nameInfo><key>ready</key></nameInfo><groupInfo><key>cpu</key></groupInfo><rollupType>summation</rollupType></PerfCounterInfo>` +
      `<PerfCounterInfo><key>98</key><nameInfo><key>consumed</key></nameInfo><groupInfo><key>mem</key></groupInfo><rollupType>average</rollupType></PerfCounterInfo></val>`,
  );

  it("reads counter ids by group.name.rollupType; a malformed key is skipped", () => {
    const ids = readPerfCounters(counters);
    expect([...ids.entries()]).toEqual([
      ["cpu.usage.average", 2],
      ["cpu.usage.none", 1],
      ["mem.consumed.average", 98],
    ]);
    expect(countersFor("host", ids)).toEqual([
      ["cpu.usage.average", 2],
      ["mem.consumed.average", 98],
    ]);
  });

  it("reads intervals, skipping those without a period or length", () => {
    const val = parseXml(
      `<val><PerfInterval><key>1</key><samplingPeriod>300</samplingPeriod><name>Past day</name><length>86400</length><level>1</level><enabled>true</enabled></PerfInterval>` +
        `<PerfInterval><key>2</key><samplingPeriod>1800</samplingPeriod><name>Past week</name><length>604800</length><level>1</level><enabled>false</enabled></PerfInterval>` +
        `<PerfInterval><key>9</key><samplingPeriod>0</samplingPeriod><name>broken</name><length>86400</length></PerfInterval></val>`,
    );
    expect(readIntervals(val).map((i) => [i.samplingPeriod, i.length, i.enabled])).toEqual([
      [300, 86400, true],
      [1800, 604800, false],
    ]);
  });
});

describe("chooseInterval", () => {
  const pick = (days: number, intervals = VCENTER_DEFAULT_INTERVALS) => {
    const c = chooseInterval(intervals, days);
    return c && [c.interval.samplingPeriod, c.covers];
  };
  it("takes the finest interval that keeps the days asked for (vCenter defaults)", () => {
    expect(pick(1)).toEqual([300, true]);
    expect(pick(2)).toEqual([1800, true]);
    expect(pick(7)).toEqual([1800, true]);
    expect(pick(8)).toEqual([7200, true]);
    expect(pick(30)).toEqual([7200, true]);
  });
  it("skips disabled intervals, and takes the longest when none keeps enough", () => {
    const noWeek = VCENTER_DEFAULT_INTERVALS.map((i) => (i.samplingPeriod === 1800 ? { ...i, enabled: false } : i));
    expect(pick(7, noWeek)).toEqual([7200, true]);
    expect(pick(7, VCENTER_DEFAULT_INTERVALS.slice(0, 1))).toEqual([300, false]);
    expect(pick(7, [])).toBeNull();
  });
});

describe("querySpecXml", () => {
  it("asks for CSV, the interval, the start, the aggregate instance of each counter the object has", () => {
    const ids = new Map<string, number>([
      ["cpu.usage.average", 2],
      ["cpu.ready.summation", 12],
    ]);
    const xml = querySpecXml([vm, host], (o) => countersFor(o, ids), 1800, new Date(T0), 337);
    const specs = parseXml(`<r>${xml}</r>`).children;
    expect(specs).toHaveLength(2);
    const [vmSpec, hostSpec] = specs;
    expect(vmSpec!.children.map((c) => c.name)).toEqual(["entity", "startTime", "maxSample", "metricId", "metricId", "intervalId", "format"]);
    expect(child(vmSpec, "format")!.text).toBe("csv");
    expect(child(vmSpec, "intervalId")!.text).toBe("1800");
    expect(child(vmSpec, "startTime")!.text).toBe(new Date(T0).toISOString());
    expect(hostSpec!.children.filter((c) => c.name === "metricId").map((c) => child(c, "counterId")!.text)).toEqual(["2"]);
  });
});

describe("measured use over SOAP (recorded vcsim answers; QueryPerf as a vCenter writes csv)", () => {
  const servers: ReplayServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const replay = async (handler: Handler = vcenter) => {
    const server = await startReplay(handler);
    servers.push(server);
    return server;
  };
  const source = (server: ReplayServer, options: Record<string, unknown> = {}) =>
    ({ kind: "vsphere", name: "vc", endpoint: server.url.toString(), username: "fleetlens", secret: PASSWORD, options: { fingerprint: TLS.fingerprint, ...options } }) satisfies CollectableSource;
  const collect = (s: CollectableSource) => collectVsphere(s, { signal: AbortSignal.timeout(20_000) });
  const manifest = JSON.parse(fixture("manifest.json")) as Manifest;
  const powered = manifest.virtualMachines.filter((v) => v.powerState === "poweredOn" && !v.template);

  it("reads a week (1800 s) for every host and powered-on VM in one QueryPerf, csv, from the counters and intervals read once", async () => {
    const server = await replay();
    const snapshot = parseSnapshot(await collect(source(server)));
    expect(snapshot.warnings).toEqual([]);
    const queries = server.requests.filter((r) => r.method === "QueryPerf");
    expect(queries).toHaveLength(1);
    const specs = queries[0]!.call.children.filter((c) => c.name === "querySpec");
    expect(specs.map((s) => child(s, "entity")!.text).sort()).toEqual([...manifest.hosts, ...powered].map((o) => o.moref).sort());
    for (const s of specs) {
      expect(child(s, "format")!.text).toBe("csv");
      expect(child(s, "intervalId")!.text).toBe("1800");
      expect(child(s, "maxSample")!.text).toBe("337");
      const start = Date.parse(child(s, "startTime")!.text);
      expect(Date.parse(snapshot.collectedAt) - start).toBe(7 * 86_400_000);
      const asked = s.children.filter((c) => c.name === "metricId").map((m) => Number(child(m, "counterId")!.text));
      const expected = child(s, "entity")!.type === "HostSystem" ? 8 : 11;
      expect(asked.sort()).toEqual(
        Object.entries(manifest.perf.counters)
          .filter(([n]) => expected === 11 || !["cpu.ready.summation", "mem.vmmemctl.average", "mem.swapped.average"].includes(n))
          .map(([, id]) => id)
          .sort(),
      );
    }
    // The CSV path gives what the recorded normal answer (vcsim's own shape) gives.
    const normal = parseXml(fixture("query-perf-vcsim.xml"));
    const returnvals = child(child(normal, "Body"), "QueryPerfResponse")!.children;
    const counterNames = new Map(Object.entries(manifest.perf.counters).map(([n, id]) => [id, n as CounterName]));
    const history = snapshot.utilisation.filter((u) => u.intervalSeconds === 1800);
    for (const r of returnvals) {
      const m = readEntityMetrics(r);
      const entity: QueryEntity =
        m.entity!.type === "HostSystem"
          ? { ref: m.entity!, object: "host", vcpus: null }
          : { ref: m.entity!, object: "virtualMachine", vcpus: manifest.virtualMachines.find((v) => v.moref === m.entity!.value)!.cpus };
      const expected = toSeries(m, entity, counterNames, 1800).map((x) => utilisationSeries.parse(x));
      expect(history.filter((u) => u.externalId === m.entity!.value).sort((a, b) => a.metric.localeCompare(b.metric))).toEqual(
        expected.sort((a, b) => a.metric.localeCompare(b.metric)),
      );
      expect(expected.length).toBeGreaterThan(5);
    }
  });

  it("batches QueryPerf by entities", async () => {
    const server = await replay();
    const client = await connectSource(source(server), AbortSignal.timeout(20_000));
    try {
      await client.login();
      const inventory = await collectInventory(client);
      const entities = performanceEntities(inventory);
      expect(entities).toHaveLength(manifest.hosts.length + powered.length);
      await readPerformance(client, entities, 7, new Date(), { batchSize: 2 });
      const batches = server.requests.filter((r) => r.method === "QueryPerf").map((r) => r.call.children.filter((c) => c.name === "querySpec").length);
      expect(batches).toEqual([...Array<number>(Math.floor(entities.length / 2)).fill(2), ...(entities.length % 2 ? [1] : [])]);
    } finally {
      await client.logout();
      client.close();
    }
  });

  it("skips counters the server lacks, with one warning naming them", async () => {
    const withoutNet = fixture("retrieve-perf-manager.xml").replace(
      /<PerfCounterInfo>(?:(?!<\/PerfCounterInfo>)[\s\S])*?<key>(received|transmitted)<\/key>[\s\S]*?<\/PerfCounterInfo>/g,
      "",
    );
    expect(withoutNet.length).toBeLessThan(fixture("retrieve-perf-manager.xml").length);
    const server = await replay((r) =>
      r.method === "RetrievePropertiesEx" && child(child(child(r.call, "specSet"), "propSet"), "type")?.text === "PerformanceManager"
        ? { text: withoutNet }
        : vcenter(r),
    );
    const snapshot = parseSnapshot(await collect(source(server)));
    expect(snapshot.warnings).toEqual(["performance counters the server does not offer, not read: net.received.average, net.transmitted.average"]);
    expect(snapshot.utilisation.some((u) => u.metric === "net.rx.kibps" || u.metric === "net.tx.kibps")).toBe(false);
    expect(snapshot.utilisation.some((u) => u.metric === "disk.read.kibps" && u.intervalSeconds === 1800)).toBe(true);
  });

  it("a failed QueryPerf is a warning; the inventory and quick stats are still collected", async () => {
    const server = await replay((r) => (r.method === "QueryPerf" ? { status: 500, text: fixture("fault-managed-object-not-found.xml") } : vcenter(r)));
    const snapshot = parseSnapshot(await collect(source(server)));
    expect(snapshot.virtualMachines).toHaveLength(manifest.virtualMachines.length);
    expect(snapshot.warnings).toHaveLength(1);
    expect(snapshot.warnings[0]).toMatch(/^measured use not read: 1 of 1 QueryPerf calls failed \(QueryPerf failed: /);
    expect(snapshot.utilisation.length).toBeGreaterThan(0);
    expect(snapshot.utilisation.every((u) => u.intervalSeconds === 20)).toBe(true);
    expect(server.methods().at(-1)).toBe("Logout");
  });

  it("garbage in QueryPerf's answer drops that series with a warning, never the collection", async () => {
    const broken = fixture("query-perf-csv.xml").replace(/(<counterId>2<\/counterId><instance><\/instance><\/id><value>)[^<]*/, "$1lots,of,garbage,x");
    const server = await replay((r) => (r.method === "QueryPerf" ? { text: broken } : vcenter(r)));
    const snapshot = parseSnapshot(await collect(source(server)));
    expect(snapshot.warnings).toEqual(["performance values dropped: cpu.usage.average: values that are not numbers (1 objects)"]);
    expect(snapshot.utilisation.filter((u) => u.metric === "cpu.usage.pct" && u.intervalSeconds === 1800)).toHaveLength(manifest.hosts.length + powered.length - 1);
  });

  it("a session that expires during QueryPerf is renewed once and the history read again", async () => {
    let expired = false;
    const server = await replay((r) => {
      if (r.method === "QueryPerf" && !expired) {
        expired = true;
        return { status: 500, text: fixture("fault-not-authenticated.xml") };
      }
      return vcenter(r);
    });
    const snapshot = parseSnapshot(await collect(source(server)));
    expect(snapshot.warnings).toEqual([]);
    expect(server.methods().filter((m) => m === "Login")).toHaveLength(2);
    expect(server.methods().filter((m) => m === "QueryPerf")).toHaveLength(2);
    expect(snapshot.utilisation.some((u) => u.intervalSeconds === 1800)).toBe(true);
  });

  it("performanceDays 0 reads quick stats only; the option takes the form's text, refuses 31 and fractions", async () => {
    const server = await replay();
    const snapshot = parseSnapshot(await collect(source(server, { performanceDays: "0" })));
    expect(server.methods()).not.toContain("QueryPerf");
    expect(snapshot.utilisation.every((u) => u.intervalSeconds === 20)).toBe(true);
    expect(vsphereOptions.parse({ performanceDays: " 30 " }).performanceDays).toBe(30);
    expect(vsphereOptions.parse({}).performanceDays).toBe(7);
    for (const bad of [31, -1, 1.5, "7 days", "", true]) expect(vsphereOptions.safeParse({ performanceDays: bad }).success, String(bad)).toBe(false);
  });
});

describe("collect CLI: --performance-days", () => {
  const env = { VC_PASSWORD: "p" } as unknown as NodeJS.ProcessEnv;
  const args = ["vc", "--user", "u", "--password-env", "VC_PASSWORD", "--insecure"];
  it("sets performanceDays, 0 to 30", () => {
    expect(vsphereCliParser([...args, "--performance-days", "0"], env).options).toEqual({ insecure: true, performanceDays: 0 });
    expect(vsphereCliParser([...args, "--performance-days", "30"], env).options).toEqual({ insecure: true, performanceDays: 30 });
    expect(vsphereCliParser(args, env).options).toEqual({ insecure: true });
  });
  it("refuses 31, negative, fractional or wordy values", () => {
    for (const bad of ["31", "-1", "1.5", "week"]) expect(() => vsphereCliParser([...args, "--performance-days", bad], env), bad).toThrow(UsageError);
  });
});

describe("QueryPerf batches within vpxd.stats.maxQueryMetrics", () => {
  it("batches: at most maxMetrics metrics and maxSpecs entities a call; a larger entity alone", () => {
    const sizes = (list: number[], max: number, specs?: number) => batches(list, (n) => n, max, specs).map((b) => b.join("+"));
    expect(sizes([11, 11, 11], 22)).toEqual(["11+11", "11"]);
    expect(sizes([11, 11, 11], 21)).toEqual(["11", "11", "11"]);
    expect(sizes([8, 11, 30, 1], 20)).toEqual(["8+11", "30", "1"]);
    expect(sizes([1, 1, 1, 1, 1], Number.POSITIVE_INFINITY, 2)).toEqual(["1+1", "1+1", "1"]);
    expect(sizes([], 10)).toEqual([]);
  });

  it("a vCenter's default by version: 64 up to 6.0, 256 since", () => {
    expect(["5.5.0", "6.0.0", "6.0", "6.5.0", "6.7.0", "7.0.3", "8.0.2", ""].map(defaultMaxQueryMetrics)).toEqual([64, 64, 64, 256, 256, 256, 256, 256]);
  });

  const servers: ReplayServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const source = (server: ReplayServer) =>
    ({ kind: "vsphere", name: "vc", endpoint: server.url.toString(), username: "fleetlens", secret: PASSWORD, options: { fingerprint: TLS.fingerprint } }) satisfies CollectableSource;
  const metricsPerCall = (server: ReplayServer) =>
    server.requests.filter((r) => r.method === "QueryPerf").map((r) => r.call.children.filter((c) => c.name === "querySpec").reduce((n, q) => n + q.children.filter((c) => c.name === "metricId").length, 0));
  const option = (value: string) =>
    envelope("QueryOptions", `<returnval xsi:type="OptionValue"><key>config.vpxd.stats.maxQueryMetrics</key><value xsi:type="xsd:int">${value}</value></returnval>`);
  const entitiesAsked = (server: ReplayServer) =>
    server.requests.filter((r) => r.method === "QueryPerf").flatMap((r) => r.call.children.filter((c) => c.name === "querySpec").map((q) => child(q, "entity")!.text)).sort();
  const manifest = JSON.parse(fixture("manifest.json")) as Manifest;
  const all = [...manifest.hosts, ...manifest.virtualMachines.filter((v) => v.powerState === "poweredOn" && !v.template)].map((o) => o.moref).sort();

  it("reads the vCenter's setting and keeps every call within it", async () => {
    const server = await startReplay((r) => (r.method === "QueryOptions" ? { text: option("30") } : vcenter(r)));
    servers.push(server);
    const snapshot = parseSnapshot(await collectVsphere(source(server), { signal: AbortSignal.timeout(20_000) }));
    expect(snapshot.warnings).toEqual([]);
    const calls = metricsPerCall(server);
    expect(calls.length).toBeGreaterThan(3);
    expect(Math.max(...calls)).toBeLessThanOrEqual(30);
    expect(entitiesAsked(server)).toEqual(all);
  });

  it("no limit (-1): one call", async () => {
    const server = await startReplay((r) => (r.method === "QueryOptions" ? { text: option("-1") } : vcenter(r)));
    servers.push(server);
    await collectVsphere(source(server), { signal: AbortSignal.timeout(20_000) });
    expect(metricsPerCall(server)).toHaveLength(1);
  });

  it("refused for its size by a lower limit than it knew: the batch is read again in halves", async () => {
    const restricted = fixture("fault-managed-object-not-found.xml")
      .replace(/<faultstring>[^<]*<\/faultstring>/, "<faultstring>This operation is restricted by the administrator - 'vpxd.stats.maxQueryMetrics'. Contact your system administrator.</faultstring>")
      .replace(/<detail>[\s\S]*<\/detail>/, `<detail><RestrictedByAdministratorFault xmlns="urn:vim25" xsi:type="RestrictedByAdministrator"><details>vpxd.stats.maxQueryMetrics</details></RestrictedByAdministratorFault></detail>`);
    const server = await startReplay((r) => {
      const metrics = r.call?.children.filter((c) => c.name === "querySpec").reduce((n, q) => n + q.children.filter((c) => c.name === "metricId").length, 0) ?? 0;
      return r.method === "QueryPerf" && metrics > 25 ? { status: 500, text: restricted } : vcenter(r);
    });
    servers.push(server);
    const snapshot = parseSnapshot(await collectVsphere(source(server), { signal: AbortSignal.timeout(20_000) }));
    expect(snapshot.warnings).toEqual([]);
    const answered = metricsPerCall(server).filter((n) => n <= 25);
    expect(answered.length).toBeGreaterThan(2);
    expect(metricsPerCall(server).some((n) => n > 25)).toBe(true);
    expect(new Set(snapshot.utilisation.filter((u) => u.intervalSeconds === 1800).map((u) => u.externalId))).toEqual(new Set(all));
  });
});

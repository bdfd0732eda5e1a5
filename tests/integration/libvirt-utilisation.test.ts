/**
 * libvirt's measured use against a real libvirtd (tests/peers/libvirtd.sh): the test driver's
 * fixed node CPU counters and state-only domain stats decoded exactly, the calls it lacks reported
 * as one warning; and a real QEMU domain under qemu:///session (software emulation, sitting in its
 * firmware) whose series are checked against `virsh domstats` / `nodememstats` read independently.
 * The collected snapshot is then stored: utilisation_sample holds its rows.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CollectableSource } from "../../server/collectors";
import { collectLibvirt, connectLibvirt, USAGE_STATS } from "../../server/collectors/libvirt/collector";
import { LibvirtRemoteError } from "../../server/collectors/libvirt/errors";
import { STATS_RUNNING, type RemoteConnection } from "../../server/collectors/libvirt/remote";
import { parseLibvirtUri } from "../../server/collectors/libvirt/uri";
import { applySnapshot } from "../../server/inventory/ingest";
import { parseSnapshot, type Snapshot } from "../../server/inventory/snapshot";
import { createTestDatabase, type TestDatabase } from "./db";
import { SAMPLES } from "../../server/utilisation/store";

const run = promisify(execFile);
const root = path.join(import.meta.dirname, "../..");
const script = path.join(root, "tests/peers/libvirtd.sh");

let dir: string;
let testUri: string;
let sessionUri: string;
let t: TestDatabase;

beforeAll(async () => {
  const { stdout } = await run("bash", [script, "start"], { timeout: 900_000, env: { ...process.env, LIBVIRTD_SESSION_DOMAIN: "1" } });
  dir = stdout.trim();
  testUri = fs.readFileSync(path.join(dir, "unix-uri"), "utf8").trim();
  sessionUri = fs.readFileSync(path.join(dir, "session-uri"), "utf8").trim();
  t = await createTestDatabase();
}, 900_000);

afterAll(async () => {
  await Promise.all([dir ? run("bash", [script, "stop", dir]) : undefined, t?.drop()]);
});

const source = (endpoint: string, options: Record<string, unknown> = {}): CollectableSource => ({
  kind: "libvirt",
  name: endpoint,
  endpoint,
  username: null,
  secret: null,
  options,
});

async function collect(endpoint: string, options: Record<string, unknown> = {}): Promise<{ snapshot: Snapshot; ms: number; started: number; ended: number }> {
  const started = Date.now();
  const t0 = performance.now();
  const snapshot = parseSnapshot(await collectLibvirt(source(endpoint, options), { signal: new AbortController().signal }));
  return { snapshot, ms: performance.now() - t0, started, ended: Date.now() };
}

async function withConnection<T>(uri: string, body: (conn: RemoteConnection) => Promise<T>): Promise<T> {
  const conn = await connectLibvirt(parseLibvirtUri(uri), { timeoutMs: 30_000 });
  try {
    return await body(conn);
  } finally {
    conn.rpc.destroy();
  }
}

/** `virsh domstats` (or another key=value command) of one domain: field → text. */
async function virsh(uri: string, ...args: string[]): Promise<string> {
  return (await run("virsh", ["-q", "-c", uri, ...args], { timeout: 60_000 })).stdout;
}
const keyValues = (text: string) =>
  new Map(
    text
      .split("\n")
      .map((line) => /^\s*([\w.\-]+)=(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
const domstats = async (...groups: string[]) => keyValues(await virsh(sessionUri, "domstats", ...groups, "session-alpine"));

const series = (snapshot: Snapshot, externalId: string) =>
  Object.fromEntries(snapshot.utilisation.filter((s) => s.externalId === externalId).map((s) => [s.metric, s]));

const UNSUPPORTED = "measured use: the libvirt driver does not support NODE_GET_MEMORY_PARAMETERS, NODE_GET_MEMORY_STATS: what those calls give is left out of this collection";
const SESSION_VM = "7a2e9c41-5b3d-4f6e-8a1b-2c3d4e5f6a71";
const timings: Record<string, number> = {};

describe("libvirt measured use: the test driver", () => {
  it("decodes the node's fixed CPU counters exactly, and refuses node memory stats and parameters as unsupported", async () => {
    await withConnection(testUri, async (conn) => {
      const cpu = await conn.nodeCpuStats();
      expect(cpu.count).toBe(4);
      expect(Object.fromEntries(cpu.params)).toEqual({
        kernel: 34678723400000n,
        user: 9797400000n,
        idle: 87264900000n,
        iowait: 763600000n,
      });
      // Asked again with the known count: the same fixed figures (no rate can come of them).
      expect((await conn.nodeCpuStats(-1, 4)).params).toEqual(cpu.params);
      for (const call of [conn.nodeMemoryStats(), conn.nodeMemoryParameters()]) {
        const error = await call.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(LibvirtRemoteError);
        expect((error as LibvirtRemoteError).unsupported).toBe(true);
      }
    });
  });

  it("gives the state group only for every domain, and only the running ones when asked", async () => {
    await withConnection(testUri, async (conn) => {
      const all = await conn.allDomainStats(USAGE_STATS);
      expect(Object.fromEntries(all.map((r) => [r.domain.name, Object.fromEntries(r.params)]))).toEqual({
        "legacy-appliance": { "state.state": 5, "state.reason": 0 },
        "gpu-cluster-node": { "state.state": 1, "state.reason": 0 },
        "ubuntu-web": { "state.state": 1, "state.reason": 0 },
        "rhel-db": { "state.state": 1, "state.reason": 0 },
        "win-ad": { "state.state": 5, "state.reason": 0 },
        "debian-paused": { "state.state": 3, "state.reason": 0 },
      });
      const running = await conn.allDomainStats(USAGE_STATS, STATS_RUNNING);
      expect(running.map((r) => r.domain.name).sort()).toEqual(["gpu-cluster-node", "rhel-db", "ubuntu-web"]);
      expect(running.every((r) => r.domain.id > 0)).toBe(true);
    });
  });

  it("collects: no series (nothing moves, nothing measured), KSM unknown, one warning naming the calls the driver lacks", async () => {
    const two = await collect(testUri);
    const one = await collect(testUri, { statsSampleSeconds: 0 });
    timings["test driver, two reads"] = two.ms;
    timings["test driver, one read"] = one.ms;
    for (const { snapshot } of [two, one]) {
      expect(snapshot.utilisation).toEqual([]);
      expect(snapshot.hosts[0]).toMatchObject({ memorySharing: "unknown", memorySharedMiB: null });
      expect(snapshot.virtualMachines).toHaveLength(6);
    }
    expect(two.snapshot.warnings).toEqual([UNSUPPORTED]);
    // One read asks nothing of the node's CPU: only memory stats and parameters are missing.
    expect(one.snapshot.warnings).toEqual([UNSUPPORTED]);
    expect(two.ms).toBeGreaterThanOrEqual(2000);
    expect(one.ms).toBeLessThan(2000);
  });
});

describe("libvirt measured use: a real QEMU domain under qemu:///session", () => {
  let collected: Awaited<ReturnType<typeof collect>>;
  let before: Map<string, string>;
  let after: Map<string, string>;

  beforeAll(async () => {
    before = await domstats("--cpu-total");
    collected = await collect(sessionUri);
    after = await domstats("--cpu-total", "--balloon", "--block", "--interface", "--vcpu");
    timings["session, two reads"] = collected.ms;
  }, 120_000);

  it("decodes the domain stats as virsh prints them", async () => {
    const [record] = await withConnection(sessionUri, (conn) => conn.allDomainStats(USAGE_STATS, STATS_RUNNING));
    expect(record!.domain.name).toBe("session-alpine");
    const fromVirsh = await domstats("--state", "--balloon", "--block", "--interface", "--vcpu");
    for (const key of ["state.state", "balloon.current", "balloon.maximum", "vcpu.current", "vcpu.maximum", "net.count", "block.count", "block.0.name", "block.0.path", "block.0.capacity"]) {
      expect(String(record!.params.get(key)), key).toBe(fromVirsh.get(key));
    }
  });

  it("measures the VM: CPU from cpu.time over the interval, RSS and balloon from the second read; no guest figures, no network counters", () => {
    const { snapshot, started, ended } = collected;
    const vm = series(snapshot, SESSION_VM);
    expect(Object.keys(vm).sort()).toEqual(["cpu.usage.pct", "disk.read.kibps", "disk.write.kibps", "mem.ballooned.mib", "mem.consumed.mib"]);
    for (const s of Object.values(vm)) {
      expect(s).toMatchObject({ object: "virtualMachine", intervalSeconds: 2 });
      expect(s.values).toHaveLength(1);
      const at = Date.parse(s.start);
      expect(at).toBeGreaterThan(started + 1900);
      expect(at).toBeLessThanOrEqual(ended);
    }
    // cpu.time grew across the collection (the firmware runs), and the collector's rate agrees with
    // virsh's over the whole window within a few points (cpu.time ticks in 10 ms).
    const grown = Number(after.get("cpu.time")) - Number(before.get("cpu.time"));
    expect(grown).toBeGreaterThan(0);
    const virshPct = (grown / ((collected.ended - collected.started) * 1e6 * Number(after.get("vcpu.current")))) * 100;
    const pct = vm["cpu.usage.pct"]!.values[0]!;
    expect(pct).toBeGreaterThan(0);
    expect(Math.abs(pct - virshPct)).toBeLessThan(5);
    // RSS in MiB within 10% of what virsh reads just after; the balloon is not inflated.
    const rssMiB = Number(after.get("balloon.rss")) / 1024;
    expect(Math.abs(vm["mem.consumed.mib"]!.values[0]! - rssMiB)).toBeLessThan(rssMiB * 0.1);
    expect(vm["mem.ballooned.mib"]!.values[0]).toBe((Number(after.get("balloon.maximum")) - Number(after.get("balloon.current"))) / 1024);
    // The guest has no balloon driver (no available/usable) and user networking has no counters.
    expect(after.has("balloon.usable")).toBe(false);
    expect(after.get("net.count")).toBe("1");
    expect(after.has("net.0.rx.bytes")).toBe(false);
    for (const k of ["disk.read.kibps", "disk.write.kibps"]) expect(vm[k]!.values[0]).toBeGreaterThanOrEqual(0);
  });

  it("measures the host: CPU between 0 and 100 %, memory in use as nodememstats has it, KSM as node-memory-tune and /sys say", async () => {
    const { snapshot } = collected;
    const hostId = snapshot.hosts[0]!.externalId;
    const host = series(snapshot, hostId);
    expect(Object.keys(host).sort()).toEqual(["cpu.usage.pct", "mem.consumed.mib"]);
    const cpu = host["cpu.usage.pct"]!.values[0]!;
    expect(cpu).toBeGreaterThan(0);
    expect(cpu).toBeLessThanOrEqual(100);
    const mem = new Map(
      [...(await virsh(sessionUri, "nodememstats")).matchAll(/^(\w+)\s*:\s*(\d+) KiB/gm)].map((m) => [m[1]!, Number(m[2])]),
    );
    const usedMiB = (mem.get("total")! - mem.get("free")! - mem.get("buffers")! - mem.get("cached")!) / 1024;
    expect(Math.abs(host["mem.consumed.mib"]!.values[0]! - usedMiB)).toBeLessThan(Math.max(256, usedMiB * 0.15));
    const tune = new Map([...(await virsh(sessionUri, "node-memory-tune")).matchAll(/(shm_\w+)\s+(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
    const sys = (name: string) => Number(fs.readFileSync(`/sys/kernel/mm/ksm/${name}`, "utf8"));
    if (fs.existsSync("/sys/kernel/mm/ksm/pages_sharing")) expect(tune.get("shm_pages_sharing")).toBe(sys("pages_sharing"));
    const active = tune.get("shm_pages_sharing")! > 0 || tune.get("shm_pages_shared")! > 0 || tune.get("shm_full_scans")! > 0;
    expect(snapshot.hosts[0]).toMatchObject(
      active
        ? { memorySharing: "ksm", memorySharedMiB: expect.any(Number) }
        : { memorySharing: "none", memorySharedMiB: null },
    );
    expect(snapshot.warnings).toEqual([]);
  });

  it("with statsSampleSeconds 0: one read, memory only, observed over 1 s, and no waiting", async () => {
    const one = await collect(sessionUri, { statsSampleSeconds: 0 });
    timings["session, one read"] = one.ms;
    expect(one.ms).toBeLessThan(collected.ms - 1000);
    const vm = series(one.snapshot, SESSION_VM);
    expect(Object.keys(vm).sort()).toEqual(["mem.ballooned.mib", "mem.consumed.mib"]);
    expect(vm["mem.consumed.mib"]!.intervalSeconds).toBe(1);
    expect(Object.keys(series(one.snapshot, one.snapshot.hosts[0]!.externalId))).toEqual(["mem.consumed.mib"]);
  });

  it("stores the collected series in utilisation_sample, one row per value, next to the power observation", async () => {
    const customer = await t.prisma.customer.create({ data: { name: `libvirt-use-${Date.now()}` } });
    const src = await t.prisma.source.create({ data: { customerId: customer.id, kind: "libvirt", name: "session", endpoint: sessionUri } });
    const { snapshot } = collected;
    const result = await applySnapshot(src.id, snapshot, { database: t });
    expect(result.samples).toBe(snapshot.utilisation.length + snapshot.virtualMachines.length);
    const { rows } = await t.pool.query<{ object_kind: string; external_id: string; metric: string; interval_s: number; at: Date; value: number }>(
      `SELECT object_kind, external_id, metric, interval_s, at, value FROM ${SAMPLES} WHERE source_id = $1 ORDER BY object_kind, metric`,
      [src.id],
    );
    // `at` is stored to the second (TIMESTAMPTZ(0)): the series' start, rounded.
    const second = (iso: string) => Math.round(Date.parse(iso) / 1000) * 1000;
    const expected = [
      ...snapshot.utilisation.map((s) => [s.object, s.externalId, s.metric, s.intervalSeconds, second(s.start), s.values[0]]),
      ["virtualMachine", SESSION_VM, "power.on", 1, second(snapshot.collectedAt), 1],
    ];
    const stored = rows.map((r) => [r.object_kind, r.external_id, r.metric, r.interval_s, r.at.getTime(), r.value]);
    const key = (r: unknown[]) => `${r[0]} ${r[2]}`;
    const sorted = (list: unknown[][]) => list.sort((a, b) => key(a).localeCompare(key(b)));
    expect(sorted(stored).map((r) => [...r.slice(0, 4), r[5]])).toEqual(sorted(expected).map((r) => [...r.slice(0, 4), r[5]]));
    sorted(stored).forEach((r, i) => expect(Math.abs((r[4] as number) - (sorted(expected)[i]![4] as number))).toBeLessThanOrEqual(1000));
  });

  it("stops waiting between the reads when the collection is cancelled", async () => {
    const controller = new AbortController();
    const started = performance.now();
    const pending = collectLibvirt(source(sessionUri, { statsSampleSeconds: 60 }), { signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    await expect(pending).rejects.toThrow("the collection was cancelled");
    expect(performance.now() - started).toBeLessThan(5000);
  });

  // Last: it restarts the domain.
  it("gives no rates for a domain restarted between the two reads (a new domain id, cpu.time from 0), says so, and keeps its memory", async () => {
    const pending = collect(sessionUri, { statsSampleSeconds: 6 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await virsh(sessionUri, "destroy", "session-alpine");
    await virsh(sessionUri, "start", "session-alpine");
    const { snapshot } = await pending;
    const vm = series(snapshot, SESSION_VM);
    expect(Object.keys(vm).sort()).toEqual(["mem.ballooned.mib", "mem.consumed.mib"]);
    expect(snapshot.warnings).toEqual(["domain session-alpine: measured use: restarted between the two reads: no rates"]);
    expect(Object.keys(series(snapshot, snapshot.hosts[0]!.externalId)).sort()).toEqual(["cpu.usage.pct", "mem.consumed.mib"]);
  }, 60_000);

  afterAll(() => {
    console.log(
      "libvirt collection times (ms): " +
        Object.entries(timings)
          .map(([k, v]) => `${k} ${v.toFixed(0)}`)
          .join("; "),
    );
  });
});

/**
 * The demo fleet on first start: with an empty database, each demo customer is created (marked
 * as demo) with a demo source, and collected once, so the dashboard shows something. Removing
 * the demo data deletes those customers; the demo is not loaded again after that. Here, not in
 * collectors/demo/, because it writes to the database and runs collections (a collector does neither).
 */
import { ratio } from "../analysis/density";
import { round1 } from "../analysis/isolation";
import { writeTrend, type TrendFigures } from "../analysis/trends";
import { demoEndpoint } from "../collectors/demo/collector";
import { DEMO_CUSTOMERS } from "../collectors/demo/fleet";
import type { Database } from "../db/client";
import { collectSource } from "../jobs/collect";

const SEEDED_KEY = "demo.seeded";

export async function seedDemoFleet(
  database: Database,
  options: { log?: (line: string) => void } = {},
): Promise<boolean> {
  const { prisma } = database;
  if (await prisma.appSetting.findUnique({ where: { key: SEEDED_KEY } })) return false;
  if ((await prisma.customer.count()) > 0) return false;
  // The setting is the claim: of two processes starting at once, only one inserts it.
  const claimed = await prisma.appSetting.createMany({
    data: [{ key: SEEDED_KEY, value: { at: new Date().toISOString() } }],
    skipDuplicates: true,
  });
  if (claimed.count === 0) return false;

  for (const demo of DEMO_CUSTOMERS) {
    const customer = await prisma.customer.create({ data: { name: demo.name, isDemo: true } });
    const source = await prisma.source.create({
      data: {
        customerId: customer.id,
        kind: "demo",
        name: "Demo fleet",
        endpoint: demoEndpoint(demo.key),
        intervalSeconds: 24 * 3600,
      },
    });
    const result = await collectSource(source.id, { database, trigger: "startup" });
    const history = await backfillDemoHistory(database, customer.id, demo.key);
    options.log?.(`demo customer ${demo.name}: ${result.added} objects, ${history} weeks of demo trend history`);
  }
  return true;
}

/** Weeks of made-up trend history a demo customer gets before its first collection. */
export const DEMO_HISTORY_WEEKS = 7;

/**
 * DEMO HISTORY, NOT COLLECTED: so the demo's sparklines show something on first start, each demo
 * customer gets DEMO_HISTORY_WEEKS weekly points before its first collection's trend, derived from
 * that collection's figures with a small deterministic drift (a fleet that grew a little each week,
 * with a little more waste and findings and a slightly lower posture in the past). The rows are
 * marked `demo` in customer_trend. Only the demo seed calls this: real customers' trends are
 * only ever what their collections recorded. Returns the weeks written (0 when the first
 * collection recorded no trend).
 */
export async function backfillDemoHistory(database: Database, customerId: string, key: string): Promise<number> {
  const current = await database.prisma.customerTrend.findFirst({ where: { customerId }, orderBy: { at: "desc" } });
  if (!current) return 0;
  for (let week = 1; week <= DEMO_HISTORY_WEEKS; week++) {
    const at = new Date(current.at.getTime() - week * 7 * 86_400_000);
    await writeTrend(database, customerId, at, demoDrift(current, key, week), { demo: true });
  }
  return DEMO_HISTORY_WEEKS;
}

/** The figures `week` weeks before `current`: pure and deterministic (the customer key and week seed the wobble). */
export function demoDrift(current: TrendFigures, key: string, week: number): TrendFigures {
  // FNV-1a of "key:week" → a wobble in [-1, 1].
  let hash = 0x811c9dc5;
  for (const ch of `${key}:${week}`) hash = Math.imul(hash ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  const wobble = (hash % 2001) / 1000 - 1;
  const grow = 1 - 0.03 * week + 0.01 * wobble; // the fleet was smaller
  const worse = 1 + 0.04 * week + 0.01 * wobble; // waste, findings, reclaimable were higher
  const count = (n: number, factor: number) => Math.max(0, Math.round(n * factor));
  const hostsFactor = current.physicalHosts > 0 ? count(current.physicalHosts, 1 - 0.01 * week) / current.physicalHosts : 1;
  const physicalCores = count(current.physicalCores, hostsFactor);
  const physicalMemoryMiB = current.physicalMemoryMiB * hostsFactor;
  const vcpusPoweredOn = count(current.vcpusPoweredOn, grow);
  const vmMemoryMiBPoweredOn = current.vmMemoryMiBPoweredOn * grow;
  const physicalHosts = count(current.physicalHosts, hostsFactor);
  return {
    physicalHosts,
    virtualMachines: count(current.virtualMachines, grow),
    vmsPoweredOn: count(current.vmsPoweredOn, grow),
    containers: count(current.containers, grow),
    physicalCores,
    physicalMemoryMiB,
    vcpusPoweredOn,
    vmMemoryMiBPoweredOn,
    vcpuPerCore: ratio(vcpusPoweredOn, physicalCores),
    vramPerPram: ratio(vmMemoryMiBPoweredOn, physicalMemoryMiB),
    ramUsedMiB: current.ramUsedMiB === null ? null : Math.min(current.ramUsedMiB * grow, physicalMemoryMiB),
    hostsMeasured: Math.min(current.hostsMeasured, physicalHosts),
    ramWasteMiB: current.ramWasteMiB * worse,
    criticalFindings: count(current.criticalFindings, worse),
    warningFindings: count(current.warningFindings, worse),
    postureScore: current.postureScore === null ? null : Math.max(0, round1(current.postureScore - 0.8 * week + wobble)),
    scoredContainers: count(current.scoredContainers, grow),
    candidates: count(current.candidates, grow),
    reclaimMemoryMiB: current.reclaimMemoryMiB === null ? null : current.reclaimMemoryMiB * worse,
  };
}

export async function removeDemoData(database: Database): Promise<number> {
  const { count } = await database.prisma.customer.deleteMany({ where: { isDemo: true } });
  return count;
}

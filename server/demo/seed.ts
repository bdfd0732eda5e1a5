/**
 * The demo fleet on first start: with an empty database, each demo customer is created (marked
 * as demo) with a demo source, and collected once, so the dashboard shows something. Removing
 * the demo data deletes those customers; the demo is not loaded again after that. Here, not in
 * collectors/demo/, because it writes to the database and runs collections (a collector does neither).
 */
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
    options.log?.(`demo customer ${demo.name}: ${result.added} objects`);
  }
  return true;
}

export async function removeDemoData(database: Database): Promise<number> {
  const { count } = await database.prisma.customer.deleteMany({ where: { isDemo: true } });
  return count;
}

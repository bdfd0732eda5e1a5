/**
 * The demo source: a seeded, generated fleet for one demo customer. Endpoint `demo:<customer key>`;
 * options `seed` and `vms` change the generated fleet.
 */
import { z } from "zod";
import type { Collector } from "../types";
import { DEMO_CUSTOMERS, generateCustomerSnapshot } from "./fleet";

/**
 * The demo is for looking around, not for load: at most DEMO_MAX_VMS VMs (with their containers,
 * about 30 objects per VM), which a collection process handles in well under its memory limit.
 * Load tests use the generator directly (bench/).
 */
export const DEMO_MAX_VMS = 2_000;

export const demoOptions = z.object({
  seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  vms: z.number().int().min(1).max(DEMO_MAX_VMS).optional(),
});

export function demoEndpoint(customerKey: string) {
  return `demo:${customerKey}`;
}

export const collectDemo: Collector = async (source, { signal }) => {
  signal.throwIfAborted();
  const key = source.endpoint.replace(/^demo:/, "");
  if (!DEMO_CUSTOMERS.some((c) => c.key === key)) {
    throw new Error(
      `unknown demo fleet "${key}": use one of ${DEMO_CUSTOMERS.map((c) => `demo:${c.key}`).join(", ")}`,
    );
  }
  const options = demoOptions.parse(source.options);
  // Object times (creation, snapshots, boots) are relative to the start of the UTC day: collecting
  // again the same day finds nothing changed, as on a quiet real estate. Measured use is read now: the
  // past week's half-hourly values up to now, and the quick stats of this moment.
  const now = new Date();
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const snapshot = generateCustomerSnapshot(key, { ...options, collectedAt: day.toISOString(), measuredAt: now.toISOString() });
  return { ...snapshot, collectedAt: now.toISOString() };
};

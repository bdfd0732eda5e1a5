/**
 * Measured use in a snapshot: series of values at a fixed interval, as vSphere's performance
 * manager returns them (its CSV format: a start and one value per interval), and as a single value
 * for what is read once per collection (quick stats, libvirt's two reads, Docker's one-shot stats).
 *
 * A series is evidence about an object of the same snapshot (host, VM or container, by externalId).
 * It never decides the inventory: an invalid series is dropped with a warning (salvage), and ingest
 * writes the series after the inventory has been committed.
 */
import { z } from "zod";
import { METRIC_NAMES, UTILISATION_OBJECTS } from "./metrics";

/** Values one series may hold: 31 days of vSphere's 5-minute rollup is 8,928. */
export const MAX_SERIES_VALUES = 10_000;
/** Series one snapshot may hold (e.g. 50,000 VMs × 12 metrics, plus hosts). */
export const MAX_SERIES = 1_000_000;

export const utilisationSeries = z.object({
  object: z.enum(UTILISATION_OBJECTS),
  externalId: z.string().min(1).max(512).refine((v) => !v.includes("\0"), "must not contain NUL (U+0000) characters"),
  metric: z.enum(METRIC_NAMES),
  /**
   * Seconds each value covers: vSphere's 20 (real time), 300, 1800, 7200 or 86400; libvirt's time
   * between its two reads; 1 for an observation (power.on).
   */
  intervalSeconds: z.number().int().min(1).max(86_400),
  /** The end of the first value's interval (vSphere's sample timestamps mark the end). */
  start: z.iso.datetime({ offset: true }),
  /** One value per interval from `start` on; null where the endpoint had none (vSphere's -1). */
  values: z.array(z.number().min(0).max(1e12).nullable()).min(1).max(MAX_SERIES_VALUES),
});

export type UtilisationSeries = z.output<typeof utilisationSeries>;
export type UtilisationSeriesInput = z.input<typeof utilisationSeries>;

/** The time of a series' i-th value (ms since the epoch). */
export function pointTime(series: Pick<UtilisationSeries, "start" | "intervalSeconds">, index: number): number {
  return Date.parse(series.start) + index * series.intervalSeconds * 1000;
}

/**
 * One power.on observation per VM (templates left out) at the snapshot's time: what ingest stores
 * for every snapshot, and what the analyse CLI adds to a snapshot file's series.
 */
export function observedPower(snapshot: {
  collectedAt: string;
  virtualMachines: readonly { externalId: string; powerState: string; template: boolean }[];
}): UtilisationSeries[] {
  return snapshot.virtualMachines
    .filter((vm) => !vm.template)
    .map((vm) => ({
      object: "virtualMachine" as const,
      externalId: vm.externalId,
      metric: "power.on" as const,
      intervalSeconds: 1,
      start: snapshot.collectedAt,
      values: [vm.powerState === "poweredOn" ? 1 : 0],
    }));
}

/**
 * The analyses over one inventory: density, duplication waste, isolation posture, migration
 * verdicts, and measured use. Pure: the same inventory and parameters give the same answer, whether the
 * inventory came from snapshot files (the analyse CLI) or from Postgres (the dashboard).
 */
import { analyseDensity, type DensityResult } from "./density";
import { analyseDependencies, type DependencyResult } from "./dependencies";
import { analyseGuests, type GuestDiscoveryResult } from "./guests";
import type { Inventory } from "./inventory";
import { analyseIsolation, type IsolationResult } from "./isolation";
import { analyseMigration, type MigrationResult } from "./migration";
import type { Parameters } from "./parameters";
import type { Finding } from "./rules";
import { analyseUtilisation, type UtilisationResult } from "./utilisation";
import { analyseWaste, type WasteResult } from "./waste";

export interface Analysis {
  density: DensityResult;
  waste: WasteResult;
  isolation: IsolationResult;
  migration: MigrationResult;
  /** Who talks to whom (guest discovery's connections), and the groups that move together. */
  dependencies: DependencyResult;
  /** What guest discovery saw in each guest, and how many Linux VMs it has looked inside. */
  guests: GuestDiscoveryResult;
  /** Measured use: idle, oversized and undersized VMs, reclaimable resources, hosts' use and N+1. */
  utilisation: UtilisationResult;
  /** Every finding: isolation findings on containers, migration findings on VMs and containers, and measured use's on VMs. */
  findings: Finding[];
}

export function analyse(inventory: Inventory, parameters: Parameters): Analysis {
  const density = analyseDensity(inventory, parameters);
  const waste = analyseWaste(inventory, parameters);
  const isolation = analyseIsolation(inventory, parameters);
  const migration = analyseMigration(inventory, parameters, isolation.containers);
  // Each verdict carries its workload's findings (isolation and migration rules): together, all of them.
  const utilisation = analyseUtilisation(inventory, parameters);
  const findings: Finding[] = [...migration.verdicts.flatMap((v) => v.findings), ...utilisation.findings];
  const dependencies = analyseDependencies(inventory);
  const guests = analyseGuests(inventory);
  return { density, waste, isolation, migration, dependencies, guests, utilisation, findings };
}

/** Every rule the analyses apply, for the dashboard's rule table. */
export { ALL_RULES } from "./rules";

/**
 * The four analyses over one inventory: density, duplication waste, isolation posture and
 * migration verdicts. Pure: the same inventory and parameters give the same answer, whether the
 * inventory came from snapshot files (the analyse CLI) or from Postgres (the dashboard).
 */
import { analyseDensity, type DensityResult } from "./density";
import type { Inventory } from "./inventory";
import { analyseIsolation, CONTAINER_RULES, type IsolationResult } from "./isolation";
import { analyseMigration, KATA_RULES, VM_RULES, type MigrationResult } from "./migration";
import type { Parameters } from "./parameters";
import { describeRule, type Finding, type RuleSummary } from "./rules";
import { analyseWaste, type WasteResult } from "./waste";

export interface Analysis {
  density: DensityResult;
  waste: WasteResult;
  isolation: IsolationResult;
  migration: MigrationResult;
  /** Every finding: isolation findings on containers and migration findings on VMs and containers. */
  findings: Finding[];
}

export function analyse(inventory: Inventory, parameters: Parameters): Analysis {
  const density = analyseDensity(inventory, parameters);
  const waste = analyseWaste(inventory, parameters);
  const isolation = analyseIsolation(inventory, parameters);
  const migration = analyseMigration(inventory, parameters, isolation.containers);
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const f of migration.verdicts.flatMap((v) => v.findings)) {
    const id = `${f.objectKey}\u0000${f.ruleId}`;
    if (seen.has(id)) continue;
    seen.add(id);
    findings.push(f);
  }
  return { density, waste, isolation, migration, findings };
}

/** Every rule the analyses apply, for the dashboard's rule table and the CSV. */
export const ALL_RULES: RuleSummary[] = [...CONTAINER_RULES, ...VM_RULES, ...KATA_RULES].map(describeRule);

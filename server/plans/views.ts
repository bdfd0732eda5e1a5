/**
 * A customer's migration plans as the pages, the exports and the summaries read them: waves in
 * order, each workload with its verdict, target, reason and figures (and where they come from), the
 * totals per wave and per plan, the hosts freed per cluster, and the dependencies the plan splits.
 */
import type { Database } from "../db/client";
import { CONTAINER, HOST, VIRTUAL_MACHINE } from "../inventory/tables";
import { customerAnalysis } from "../analysis/load";
import type { InventoryContainer, InventoryHost, InventoryVirtualMachine } from "../analysis/inventory";
import { verdictLabelOf, type VerdictValue } from "../analysis/labels";
import { compileFootprints } from "../analysis/parameters";
import { clusterLoads, hostsFreedBy, totalsOf, workloadFigures, type PlanInventory } from "./figures";
import { splitDependencies, type SplitDependency } from "./dependencies";
import { TARGET_LABEL, targetOfVerdict, WAVE_STATUS_LABEL, type MigrationTarget, type PlanTotals, type WaveStatus } from "./labels";

export interface WorkloadView {
  id: string;
  kind: "vm" | "container";
  objectId: string;
  name: string;
  /** Still in the inventory (else shown by the name it had, nothing counted). */
  present: boolean;
  /** The VM's id at its source (vSphere moref "vm-42"), for Forklift; null for a container. */
  externalId: string | null;
  host: string | null;
  cluster: string | null;
  verdict: VerdictValue | null;
  verdictLabel: string | null;
  /** The target the verdict stands for, and the one chosen (they differ only with a reason). */
  verdictTarget: MigrationTarget | null;
  target: MigrationTarget;
  targetLabel: string;
  reason: string | null;
  addedBy: string | null;
  addedAt: string;
  figures: { vcpus: number; ramMiB: number; diskMiB: number; kataOverheadMiB: number; basis: string };
}

export interface HostsFreedCluster {
  cluster: string;
  hosts: number;
  neededNow: number;
  neededAfter: number;
  hostsFreed: number;
  leavingVcpus: number;
  leavingMemoryMiB: number;
}

export interface WaveView {
  id: string;
  position: number;
  name: string;
  owner: string;
  targetDate: string | null;
  status: WaveStatus;
  statusLabel: string;
  notes: string;
  workloads: WorkloadView[];
  totals: PlanTotals;
  clusters: HostsFreedCluster[];
}

export interface PlanView {
  id: string;
  customerId: string;
  name: string;
  notes: string;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
  /** In progress when any wave is. */
  inProgress: boolean;
  waves: WaveView[];
  totals: PlanTotals;
  clusters: HostsFreedCluster[];
  dependencies: SplitDependency[];
}

interface PlanRow { id: string; name: string; notes: string; created_by: string | null; created_at: Date; updated_at: Date }
interface WaveRow { id: string; plan_id: string; position: number; name: string; owner: string; target_date: string | null; status: WaveStatus; notes: string }
interface WorkloadRow {
  id: string; wave_id: string; kind: "vm" | "container"; object_id: string; object_name: string; target: MigrationTarget; reason: string | null; added_by: string | null; added_at: Date;
}

type Row = Record<string, unknown>;

/** The customer's hosts and VMs (all: the packing needs every cluster's load) and the given containers. */
export async function loadPlanInventory(database: Database, customerId: string, containerIds: string[]): Promise<PlanInventory> {
  const hosts = await database.pool.query<Row>(
    `SELECT h.id AS key, s.customer_id AS customer, h.external_id AS "externalId", ${HOST.select("h")}
       FROM host h JOIN source s ON s.id = h.source_id WHERE s.customer_id = $1 ORDER BY h.id`,
    [customerId],
  );
  const vms = await database.pool.query<Row>(
    `SELECT v.id AS key, s.customer_id AS customer, v.external_id AS "externalId", ${VIRTUAL_MACHINE.select("v")}
       FROM virtual_machine v JOIN source s ON s.id = v.source_id WHERE s.customer_id = $1 ORDER BY v.id`,
    [customerId],
  );
  const containers = containerIds.length
    ? await database.pool.query<Row>(
        `SELECT c.id AS key, s.customer_id AS customer, c.external_id AS "externalId", ${CONTAINER.select("c")}
           FROM container c JOIN source s ON s.id = c.source_id WHERE s.customer_id = $1 AND c.id = ANY($2::uuid[])`,
        [customerId, containerIds],
      )
    : { rows: [] };
  for (const r of hosts.rows) HOST.read(r);
  for (const r of vms.rows) {
    VIRTUAL_MACHINE.read(r);
    r.disks = [];
  }
  for (const r of containers.rows) {
    CONTAINER.read(r);
    r.mounts = [];
    r.ports = [];
  }
  return {
    hosts: hosts.rows as unknown as InventoryHost[],
    vms: new Map((vms.rows as unknown as InventoryVirtualMachine[]).map((v) => [v.key, v])),
    containers: new Map((containers.rows as unknown as InventoryContainer[]).map((c) => [c.key, c])),
  };
}

const iso = (d: Date) => d.toISOString();

/** The customer's plans (or the one named), newest first, with everything computed. Empty when none. */
export async function planViews(database: Database, customerId: string, planId?: string): Promise<PlanView[]> {
  const plans = await database.pool.query<PlanRow>(
    `SELECT id, name, notes, created_by, created_at, updated_at FROM migration_plan
      WHERE customer_id = $1 AND ($2::uuid IS NULL OR id = $2::uuid) ORDER BY created_at DESC, id`,
    [customerId, planId ?? null],
  );
  if (plans.rows.length === 0) return [];
  const ids = plans.rows.map((p) => p.id);
  const waves = await database.pool.query<WaveRow>(
    `SELECT id, plan_id, position, name, owner, to_char(target_date, 'YYYY-MM-DD') AS target_date, status, notes
       FROM migration_wave WHERE plan_id = ANY($1::uuid[]) ORDER BY plan_id, position, id`,
    [ids],
  );
  const workloads = await database.pool.query<WorkloadRow>(
    `SELECT id, wave_id, kind, object_id, object_name, target, reason, added_by, added_at
       FROM migration_wave_workload WHERE plan_id = ANY($1::uuid[]) ORDER BY added_at, object_name, id`,
    [ids],
  );
  const { analysis, parameters } = await customerAnalysis(database, customerId);
  const inventory = await loadPlanInventory(database, customerId, [...new Set(workloads.rows.filter((w) => w.kind === "container").map((w) => w.object_id))]);
  const footprints = compileFootprints(parameters.osFootprints);
  const loads = clusterLoads(inventory);
  const verdictOf = new Map(analysis.migration.verdicts.map((v) => [v.key, v]));
  const hostName = new Map(inventory.hosts.map((h) => [h.key, h.name]));

  const workloadsOf = new Map<string, WorkloadRow[]>();
  for (const w of workloads.rows) {
    const list = workloadsOf.get(w.wave_id);
    if (list) list.push(w);
    else workloadsOf.set(w.wave_id, [w]);
  }

  return plans.rows.map((p) => {
    const planWaves = waves.rows.filter((w) => w.plan_id === p.id);
    const waveOf = new Map<string, { waveId: string; waveName: string }>();
    const allFigures: ReturnType<typeof workloadFigures>[] = [];
    const waveViews: WaveView[] = planWaves.map((w) => {
      const figures: ReturnType<typeof workloadFigures>[] = [];
      const views = (workloadsOf.get(w.id) ?? []).map((row): WorkloadView => {
        const verdict = verdictOf.get(row.object_id);
        const f = workloadFigures({ kind: row.kind, objectId: row.object_id, target: row.target }, inventory, verdict, parameters, footprints);
        figures.push(f);
        if (row.kind === "vm") waveOf.set(row.object_id, { waveId: w.id, waveName: w.name });
        const vm = row.kind === "vm" ? inventory.vms.get(row.object_id) : undefined;
        const container = row.kind === "container" ? inventory.containers.get(row.object_id) : undefined;
        const hostKey = vm?.hostKey ?? container?.hostKey ?? null;
        return {
          id: row.id,
          kind: row.kind,
          objectId: row.object_id,
          name: vm?.name ?? container?.name ?? row.object_name,
          present: !f.gone,
          externalId: vm?.externalId ?? null,
          host: hostKey ? (hostName.get(hostKey) ?? null) : null,
          cluster: f.cluster,
          verdict: verdict?.verdict ?? null,
          verdictLabel: verdict ? verdictLabelOf(verdict.verdict, verdict.fit) : null,
          verdictTarget: verdict ? targetOfVerdict(verdict.verdict) : null,
          target: row.target,
          targetLabel: TARGET_LABEL[row.target],
          reason: row.reason,
          addedBy: row.added_by,
          addedAt: iso(row.added_at),
          figures: { vcpus: f.vcpus, ramMiB: f.ramMiB, diskMiB: f.diskMiB, kataOverheadMiB: f.kataOverheadMiB, basis: f.basis },
        };
      });
      allFigures.push(...figures);
      const freed = hostsFreedBy(figures, loads, parameters);
      return {
        id: w.id,
        position: w.position,
        name: w.name,
        owner: w.owner,
        targetDate: w.target_date,
        status: w.status,
        statusLabel: WAVE_STATUS_LABEL[w.status],
        notes: w.notes,
        workloads: views,
        totals: totalsOf(figures, freed.hostsFreed),
        clusters: freed.clusters,
      };
    });
    const freed = hostsFreedBy(allFigures, loads, parameters);
    return {
      id: p.id,
      customerId,
      name: p.name,
      notes: p.notes,
      createdBy: p.created_by,
      createdAt: iso(p.created_at),
      updatedAt: iso(p.updated_at),
      inProgress: planWaves.some((w) => w.status === "in_progress"),
      waves: waveViews,
      totals: totalsOf(allFigures, freed.hostsFreed),
      clusters: freed.clusters,
      dependencies: splitDependencies(analysis.dependencies, waveOf),
    };
  });
}

/**
 * Changes to migration plans, always within one customer: every plan, wave and workload is found
 * through its plan's customer, so an id of another customer's (or a stale one) is NOT_FOUND, never
 * someone else's row. Each change is one transaction; concurrent edits: the last write wins, and a
 * row removed meanwhile is NOT_FOUND. A workload is in at most one wave of a plan (the database's
 * unique key says so too); its target defaults from its verdict and differs from it only with a reason.
 */
import { TRPCError } from "@trpc/server";
import type pg from "pg";
import type { Database } from "../db/client";
import { customerAnalysis } from "../analysis/load";
import { TARGET_LABEL, TARGETS_OF, targetOfVerdict, type MigrationTarget, type WaveStatus } from "./labels";

const notFound = (what: string) => new TRPCError({ code: "NOT_FOUND", message: `no such ${what}` });
const bad = (message: string) => new TRPCError({ code: "BAD_REQUEST", message });

async function inTransaction<T>(database: Database, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await database.pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    // Two engineers naming two plans alike, or adding the same workload at once.
    if ((error as { code?: string }).code === "23505") {
      const constraint = (error as { constraint?: string }).constraint ?? "";
      throw bad(constraint.includes("object_id") ? "a workload is already in this plan" : "a plan of this customer has that name already");
    }
    // Two changes that waited on each other: nothing of this one was stored.
    if ((error as { code?: string }).code === "40P01" || (error as { code?: string }).code === "40001") {
      throw new TRPCError({ code: "CONFLICT", message: "the plan was being changed at the same time: nothing was changed, try again" });
    }
    throw error;
  } finally {
    client.release();
  }
}

interface PlanRef {
  id: string;
  name: string;
}
interface WaveRef {
  id: string;
  name: string;
  planId: string;
  planName: string;
  position: number;
}

/** The plan, locked for the change, or NOT_FOUND. */
async function planOf(client: pg.PoolClient, customerId: string, planId: string): Promise<PlanRef> {
  const { rows } = await client.query<PlanRef>(`SELECT id, name FROM migration_plan WHERE id = $1 AND customer_id = $2 FOR UPDATE`, [planId, customerId]);
  if (!rows[0]) throw notFound("plan");
  return rows[0];
}

/** The wave and its plan (locked), or NOT_FOUND. */
async function waveOf(client: pg.PoolClient, customerId: string, waveId: string): Promise<WaveRef> {
  const { rows } = await client.query<WaveRef>(
    `SELECT w.id, w.name, w.position, p.id AS "planId", p.name AS "planName"
       FROM migration_wave w JOIN migration_plan p ON p.id = w.plan_id
      WHERE w.id = $1 AND p.customer_id = $2 FOR UPDATE OF p`,
    [waveId, customerId],
  );
  if (!rows[0]) throw notFound("wave");
  return rows[0];
}

const touch = (client: pg.PoolClient, planId: string) => client.query(`UPDATE migration_plan SET updated_at = now() WHERE id = $1`, [planId]);

export async function createPlan(database: Database, customerId: string, input: { name: string; notes: string }, by: string | null) {
  return inTransaction(database, async (client) => {
    const { rows } = await client.query<PlanRef>(
      `INSERT INTO migration_plan (customer_id, name, notes, created_by) VALUES ($1, $2, $3, $4) RETURNING id, name`,
      [customerId, input.name, input.notes, by],
    );
    return rows[0]!;
  });
}

export async function updatePlan(database: Database, customerId: string, planId: string, input: { name?: string; notes?: string }) {
  return inTransaction(database, async (client) => {
    const before = await planOf(client, customerId, planId);
    await client.query(
      `UPDATE migration_plan SET name = coalesce($2, name), notes = coalesce($3, notes), updated_at = now() WHERE id = $1`,
      [planId, input.name ?? null, input.notes ?? null],
    );
    return { id: planId, before: before.name, name: input.name ?? before.name };
  });
}

export async function deletePlan(database: Database, customerId: string, planId: string) {
  return inTransaction(database, async (client) => {
    const plan = await planOf(client, customerId, planId);
    await client.query(`DELETE FROM migration_plan WHERE id = $1`, [planId]);
    return plan;
  });
}

export interface WaveInput {
  name: string;
  owner: string;
  targetDate: string | null;
  status: WaveStatus;
  notes: string;
}

export async function addWave(database: Database, customerId: string, planId: string, input: WaveInput) {
  return inTransaction(database, async (client) => {
    const plan = await planOf(client, customerId, planId);
    const { rows } = await client.query<{ id: string; position: number }>(
      `INSERT INTO migration_wave (plan_id, position, name, owner, target_date, status, notes)
       VALUES ($1, (SELECT coalesce(max(position) + 1, 0) FROM migration_wave WHERE plan_id = $1), $2, $3, $4::date, $5::wave_status, $6)
       RETURNING id, position`,
      [planId, input.name, input.owner, input.targetDate, input.status, input.notes],
    );
    await touch(client, planId);
    return { ...rows[0]!, plan };
  });
}

export async function updateWave(database: Database, customerId: string, waveId: string, input: Partial<WaveInput>) {
  return inTransaction(database, async (client) => {
    const wave = await waveOf(client, customerId, waveId);
    await client.query(
      `UPDATE migration_wave SET name = coalesce($2, name), owner = coalesce($3, owner),
              target_date = CASE WHEN $4::boolean THEN $5::date ELSE target_date END,
              status = coalesce($6::wave_status, status), notes = coalesce($7, notes)
        WHERE id = $1`,
      [waveId, input.name ?? null, input.owner ?? null, input.targetDate !== undefined, input.targetDate ?? null, input.status ?? null, input.notes ?? null],
    );
    await touch(client, wave.planId);
    return wave;
  });
}

/** Moves a wave to a position (0 first; past the end: last); the others keep their order. */
export async function moveWave(database: Database, customerId: string, waveId: string, position: number) {
  return inTransaction(database, async (client) => {
    const wave = await waveOf(client, customerId, waveId);
    const { rows } = await client.query<{ id: string }>(`SELECT id FROM migration_wave WHERE plan_id = $1 ORDER BY position, id`, [wave.planId]);
    const order = rows.map((r) => r.id).filter((id) => id !== waveId);
    const at = Math.min(position, order.length);
    order.splice(at, 0, waveId);
    await client.query(
      `UPDATE migration_wave w SET position = o.n - 1 FROM unnest($1::uuid[]) WITH ORDINALITY AS o(id, n) WHERE w.id = o.id`,
      [order],
    );
    await touch(client, wave.planId);
    return { ...wave, from: wave.position, to: at };
  });
}

export async function deleteWave(database: Database, customerId: string, waveId: string) {
  return inTransaction(database, async (client) => {
    const wave = await waveOf(client, customerId, waveId);
    const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM migration_wave_workload WHERE wave_id = $1`, [waveId]);
    await client.query(`DELETE FROM migration_wave WHERE id = $1`, [waveId]);
    // Positions stay 0, 1, 2, ... in order.
    await client.query(
      `UPDATE migration_wave w SET position = o.n - 1
         FROM (SELECT id, row_number() OVER (ORDER BY position, id) AS n FROM migration_wave WHERE plan_id = $1) o WHERE w.id = o.id`,
      [wave.planId],
    );
    await touch(client, wave.planId);
    return { ...wave, workloads: rows[0]!.n };
  });
}

export interface WorkloadInput {
  kind: "vm" | "container";
  objectId: string;
  /** Absent: the verdict's. */
  target?: MigrationTarget;
  reason?: string | null;
}

/** The target and reason to store, or why not: a target other than the verdict's needs a reason. */
function targetAndReason(kind: "vm" | "container", name: string, verdictTarget: MigrationTarget | null, target: MigrationTarget | undefined, reason: string | null | undefined) {
  const chosen = target ?? verdictTarget ?? "stay";
  if (!TARGETS_OF[kind].includes(chosen)) throw bad(`${name}: a ${kind === "vm" ? "VM" : "container"} cannot have the target ${TARGET_LABEL[chosen]}`);
  const why = reason?.trim() || null;
  if (chosen !== verdictTarget && !why) {
    throw bad(`${name}: the target ${TARGET_LABEL[chosen]} differs from the verdict's (${verdictTarget ? TARGET_LABEL[verdictTarget] : "no verdict"}): say why`);
  }
  return { target: chosen, reason: chosen === verdictTarget ? null : why };
}

/**
 * Adds workloads to a wave, all or none: each must be a workload (VM that is no template, or
 * container) of the customer with a verdict, and in no wave of the plan yet.
 */
export async function addWorkloads(database: Database, customerId: string, waveId: string, items: WorkloadInput[], by: string | null) {
  const { analysis } = await customerAnalysis(database, customerId);
  const verdicts = new Map(analysis.migration.verdicts.map((v) => [v.key, v]));
  const seen = new Set<string>();
  const rows = items.map((item) => {
    const verdict = verdicts.get(item.objectId);
    if (!verdict || verdict.kind !== item.kind) throw bad(`no ${item.kind === "vm" ? "VM" : "container"} ${item.objectId} among this customer's workloads`);
    if (seen.has(item.objectId)) throw bad(`${verdict.name} is listed twice`);
    seen.add(item.objectId);
    return { ...item, name: verdict.name, ...targetAndReason(item.kind, verdict.name, targetOfVerdict(verdict.verdict), item.target, item.reason) };
  });
  return inTransaction(database, async (client) => {
    const wave = await waveOf(client, customerId, waveId);
    const { rows: present } = await client.query<{ object_name: string; wave: string }>(
      `SELECT x.object_name, w.name AS wave FROM migration_wave_workload x JOIN migration_wave w ON w.id = x.wave_id
        WHERE x.plan_id = $1 AND x.object_id = ANY($2::uuid[]) ORDER BY x.object_name`,
      [wave.planId, rows.map((r) => r.objectId)],
    );
    if (present.length > 0) {
      throw bad(`already in this plan: ${present.slice(0, 5).map((p) => `${p.object_name} (wave ${p.wave})`).join(", ")}${present.length > 5 ? ` and ${present.length - 5} more` : ""}; move them instead`);
    }
    await client.query(
      `INSERT INTO migration_wave_workload (wave_id, plan_id, kind, object_id, object_name, target, reason, added_by)
       SELECT $1, $2, t.kind, t.object_id, t.name, t.target::migration_target, t.reason, $3
         FROM unnest($4::text[], $5::uuid[], $6::text[], $7::text[], $8::text[]) AS t(kind, object_id, name, target, reason)`,
      [waveId, wave.planId, by, rows.map((r) => r.kind), rows.map((r) => r.objectId), rows.map((r) => r.name), rows.map((r) => r.target), rows.map((r) => r.reason)],
    );
    await touch(client, wave.planId);
    return { wave, added: rows.map((r) => ({ kind: r.kind, objectId: r.objectId, name: r.name, target: r.target, reason: r.reason })) };
  });
}

interface WorkloadRef {
  id: string;
  kind: "vm" | "container";
  objectId: string;
  name: string;
  planId: string;
  planName: string;
  waveId: string;
  waveName: string;
}

/** The workloads (all of them, in this customer's plans, in one plan), or NOT_FOUND. */
async function workloadsOf(client: pg.PoolClient, customerId: string, ids: string[]): Promise<WorkloadRef[]> {
  const { rows } = await client.query<WorkloadRef>(
    `SELECT x.id, x.kind, x.object_id AS "objectId", x.object_name AS name, p.id AS "planId", p.name AS "planName", w.id AS "waveId", w.name AS "waveName"
       FROM migration_wave_workload x JOIN migration_wave w ON w.id = x.wave_id JOIN migration_plan p ON p.id = x.plan_id
      WHERE x.id = ANY($1::uuid[]) AND p.customer_id = $2 ORDER BY x.object_name
      FOR UPDATE OF p`,
    [ids, customerId],
  );
  if (rows.length !== new Set(ids).size) throw notFound(ids.length === 1 ? "workload in a plan" : "workload in a plan among them");
  if (new Set(rows.map((r) => r.planId)).size > 1) throw bad("the workloads are in different plans");
  return rows;
}

export async function updateWorkload(database: Database, customerId: string, workloadId: string, input: { target: MigrationTarget; reason?: string | null }) {
  const { analysis } = await customerAnalysis(database, customerId);
  return inTransaction(database, async (client) => {
    const [row] = await workloadsOf(client, customerId, [workloadId]);
    const verdict = analysis.migration.verdicts.find((v) => v.key === row!.objectId);
    const chosen = targetAndReason(row!.kind, row!.name, verdict ? targetOfVerdict(verdict.verdict) : null, input.target, input.reason);
    await client.query(`UPDATE migration_wave_workload SET target = $2::migration_target, reason = $3 WHERE id = $1`, [workloadId, chosen.target, chosen.reason]);
    await touch(client, row!.planId);
    return { ...row!, ...chosen };
  });
}

export async function moveWorkloads(database: Database, customerId: string, workloadIds: string[], waveId: string) {
  return inTransaction(database, async (client) => {
    const rows = await workloadsOf(client, customerId, workloadIds);
    const wave = await waveOf(client, customerId, waveId);
    if (rows[0] && rows[0].planId !== wave.planId) throw bad(`wave ${wave.name} is in another plan (${wave.planName})`);
    await client.query(`UPDATE migration_wave_workload SET wave_id = $2 WHERE id = ANY($1::uuid[])`, [workloadIds, waveId]);
    await touch(client, wave.planId);
    return { wave, moved: rows };
  });
}

export async function removeWorkloads(database: Database, customerId: string, workloadIds: string[]) {
  return inTransaction(database, async (client) => {
    const rows = await workloadsOf(client, customerId, workloadIds);
    await client.query(`DELETE FROM migration_wave_workload WHERE id = ANY($1::uuid[])`, [workloadIds]);
    if (rows[0]) await touch(client, rows[0].planId);
    return rows;
  });
}

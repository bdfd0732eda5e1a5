/**
 * Migration plans (issue 18): per customer, plans with ordered waves of workloads, each with a
 * target that defaults from its verdict. Everyone in scope reads them (customerProcedure); engineers
 * and administrators change them, within their scope (an out-of-scope customer looks missing), and
 * every change is audited. Figures: server/plans/figures.ts.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { MIGRATION_TARGETS, WAVE_STATUSES } from "../../plans/labels";
import * as store from "../../plans/store";
import { planSummaries } from "../../plans/summary";
import { planViews } from "../../plans/views";
import { createTRPCRouter, customerProcedure, engineerProcedure, inScope } from "../trpc";

/** Engineers and administrators, on a customer in their scope (else NOT_FOUND, as for reads). */
const engineerCustomerProcedure = engineerProcedure.input(z.object({ customerId: z.uuid() })).use(({ ctx, input, next }) => {
  if (!inScope(ctx.viewer.scope, input.customerId)) throw new TRPCError({ code: "NOT_FOUND", message: "no such customer" });
  return next();
});

const name = z.string().trim().min(1, "a name is needed").max(200);
const notes = z.string().max(5000);
const owner = z.string().trim().max(200);
const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a date such as 2027-01-31")
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), "not a date in the calendar");
const reason = z.string().trim().max(1000).nullable().optional();
const ids = z.array(z.uuid()).min(1).max(1000);

const waveFields = {
  name,
  owner: owner.default(""),
  targetDate: date.nullable().default(null),
  status: z.enum(WAVE_STATUSES).default("planned"),
  notes: notes.default(""),
};

export const plansRouter = createTRPCRouter({
  /** The customer's plans, newest first: waves in brief, totals, dependencies split. */
  list: customerProcedure.query(({ ctx, input }) => planSummaries(ctx.database, input.customerId)),

  /** One plan whole: waves, workloads with their figures and where they come from, totals, flags. */
  get: customerProcedure.input(z.object({ planId: z.uuid() })).query(async ({ ctx, input }) => {
    const [plan] = await planViews(ctx.database, input.customerId, input.planId);
    if (!plan) throw new TRPCError({ code: "NOT_FOUND", message: "no such plan" });
    return plan;
  }),

  create: engineerCustomerProcedure.input(z.object({ name, notes: notes.default("") })).mutation(async ({ ctx, input }) => {
    const plan = await store.createPlan(ctx.database, input.customerId, input, ctx.viewer.email ?? ctx.viewer.id);
    await ctx.audit("plan-created", { target: plan.name, detail: { customerId: input.customerId, planId: plan.id } });
    return plan;
  }),

  update: engineerCustomerProcedure.input(z.object({ planId: z.uuid(), name: name.optional(), notes: notes.optional() })).mutation(async ({ ctx, input }) => {
    const result = await store.updatePlan(ctx.database, input.customerId, input.planId, input);
    await ctx.audit("plan-changed", { target: result.name, detail: { customerId: input.customerId, planId: input.planId, before: result.before, notesChanged: input.notes !== undefined } });
    return { id: result.id, name: result.name };
  }),

  delete: engineerCustomerProcedure.input(z.object({ planId: z.uuid() })).mutation(async ({ ctx, input }) => {
    const plan = await store.deletePlan(ctx.database, input.customerId, input.planId);
    await ctx.audit("plan-deleted", { target: plan.name, detail: { customerId: input.customerId, planId: plan.id } });
    return { id: plan.id };
  }),

  addWave: engineerCustomerProcedure.input(z.object({ planId: z.uuid(), ...waveFields })).mutation(async ({ ctx, input }) => {
    const wave = await store.addWave(ctx.database, input.customerId, input.planId, input);
    await ctx.audit("plan-wave-added", { target: `${wave.plan.name} / ${input.name}`, detail: { customerId: input.customerId, planId: input.planId, waveId: wave.id } });
    return { id: wave.id, position: wave.position };
  }),

  updateWave: engineerCustomerProcedure
    .input(
      z.object({
        waveId: z.uuid(),
        name: name.optional(),
        owner: owner.optional(),
        targetDate: date.nullable().optional(),
        status: z.enum(WAVE_STATUSES).optional(),
        notes: notes.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { customerId, waveId, ...changes } = input;
      const wave = await store.updateWave(ctx.database, customerId, waveId, changes);
      await ctx.audit("plan-wave-changed", { target: `${wave.planName} / ${wave.name}`, detail: { customerId, planId: wave.planId, waveId, changes } });
      return { id: waveId };
    }),

  moveWave: engineerCustomerProcedure.input(z.object({ waveId: z.uuid(), position: z.number().int().min(0).max(10_000) })).mutation(async ({ ctx, input }) => {
    const wave = await store.moveWave(ctx.database, input.customerId, input.waveId, input.position);
    await ctx.audit("plan-wave-moved", { target: `${wave.planName} / ${wave.name}`, detail: { customerId: input.customerId, planId: wave.planId, waveId: wave.id, from: wave.from, to: wave.to } });
    return { id: wave.id, position: wave.to };
  }),

  deleteWave: engineerCustomerProcedure.input(z.object({ waveId: z.uuid() })).mutation(async ({ ctx, input }) => {
    const wave = await store.deleteWave(ctx.database, input.customerId, input.waveId);
    await ctx.audit("plan-wave-deleted", { target: `${wave.planName} / ${wave.name}`, detail: { customerId: input.customerId, planId: wave.planId, waveId: wave.id, workloads: wave.workloads } });
    return { id: wave.id };
  }),

  /** Adds workloads (by id) to a wave; each target defaults from its verdict, another needs a reason. */
  addWorkloads: engineerCustomerProcedure
    .input(
      z.object({
        waveId: z.uuid(),
        workloads: z.array(z.object({ kind: z.enum(["vm", "container"]), objectId: z.uuid(), target: z.enum(MIGRATION_TARGETS).optional(), reason })).min(1).max(1000),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const result = await store.addWorkloads(ctx.database, input.customerId, input.waveId, input.workloads, ctx.viewer.email ?? ctx.viewer.id);
      await ctx.audit("plan-workloads-added", {
        target: `${result.wave.planName} / ${result.wave.name}`,
        detail: { customerId: input.customerId, planId: result.wave.planId, waveId: input.waveId, workloads: result.added },
      });
      return { added: result.added.length };
    }),

  updateWorkload: engineerCustomerProcedure
    .input(z.object({ workloadId: z.uuid(), target: z.enum(MIGRATION_TARGETS), reason }))
    .mutation(async ({ ctx, input }) => {
      const row = await store.updateWorkload(ctx.database, input.customerId, input.workloadId, input);
      await ctx.audit("plan-workload-changed", {
        target: `${row.planName} / ${row.waveName} / ${row.name}`,
        detail: { customerId: input.customerId, planId: row.planId, workloadId: row.id, target: row.target, reason: row.reason },
      });
      return { id: row.id, target: row.target };
    }),

  moveWorkloads: engineerCustomerProcedure.input(z.object({ workloadIds: ids, waveId: z.uuid() })).mutation(async ({ ctx, input }) => {
    const result = await store.moveWorkloads(ctx.database, input.customerId, input.workloadIds, input.waveId);
    await ctx.audit("plan-workloads-moved", {
      target: `${result.wave.planName} / ${result.wave.name}`,
      detail: { customerId: input.customerId, planId: result.wave.planId, waveId: input.waveId, workloads: result.moved.map((m) => ({ id: m.id, name: m.name, from: m.waveName })) },
    });
    return { moved: result.moved.length };
  }),

  removeWorkloads: engineerCustomerProcedure.input(z.object({ workloadIds: ids })).mutation(async ({ ctx, input }) => {
    const rows = await store.removeWorkloads(ctx.database, input.customerId, input.workloadIds);
    await ctx.audit("plan-workloads-removed", {
      target: rows[0]?.planName ?? null,
      detail: { customerId: input.customerId, planId: rows[0]?.planId ?? null, workloads: rows.map((r) => ({ id: r.id, name: r.name, wave: r.waveName })) },
    });
    return { removed: rows.length };
  }),
});

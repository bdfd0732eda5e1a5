/**
 * Sources: add, edit, disable, delete, collect now, run history. Secrets are write-only: they are
 * accepted, encrypted and stored, and never returned (only `hasSecret`). Credentials go into the
 * secret and the username only: an endpoint with a password and an option holding a private key
 * are refused (server/auth/credentials.ts). How a source is reached (endpoint, username, options)
 * is listed to administrators only, who manage sources; others see its name, kind, status and runs.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { endpointCredentialsProblem, keyMaterialProblem } from "../../auth/credentials";
import { encryptSecret } from "../../auth/secret-box";
import { collectorDefinition, COLLECTORS, optionsProblem, SOURCE_KINDS, type SourceKind } from "../../collectors";
import { Prisma } from "../../db/generated/client";
import { listSources } from "../../inventory/overview";
import { startCollection } from "../../jobs/collect";
import { cancelRun } from "../../jobs/queue";
import { removeUploads } from "../../jobs/uploads";
import { adminProcedure, createTRPCRouter, engineerProcedure, inScope, viewerProcedure, type Context, type Viewer } from "../trpc";
import { scopeIds } from "./scope";

/** Editable fields, without defaults: an update changes only what it names. */
const editableFields = {
  name: z.string().trim().min(1, "a name is required").max(200),
  endpoint: z.string().trim().min(1, "an endpoint is required").max(2048),
  username: z.string().trim().max(512).nullable(),
  enabled: z.boolean(),
  intervalSeconds: z.number().int().min(60).max(30 * 24 * 3600),
  // Bounded: a handful of settings per source, the longest a CA certificate chain in PEM. Each
  // kind's own schema (collectors/<kind>/index.ts) is checked too, by checkOptions.
  options: z
    .record(z.string().min(1).max(64), z.union([z.string().max(16_384), z.number().finite(), z.boolean()]))
    .refine((options) => Object.keys(options).length <= 32, "at most 32 options per source")
    .superRefine((options, check) => {
      const problem = keyMaterialProblem(options);
      if (problem) check.addIssue({ code: "custom", message: problem });
    }),
};

const createFields = z.object({
  ...editableFields,
  username: editableFields.username.default(null),
  enabled: editableFields.enabled.default(true),
  intervalSeconds: editableFields.intervalSeconds.default(3600),
  options: editableFields.options.default({}),
});

function checkEndpoint(kind: SourceKind, endpoint: string) {
  // First, so that no message repeats a password.
  const credentials = endpointCredentialsProblem(kind, endpoint);
  if (credentials) throw new TRPCError({ code: "BAD_REQUEST", message: credentials });
  const rule = collectorDefinition(kind).endpoint;
  if (!rule.pattern.test(endpoint)) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `"${endpoint}" is not a ${kind} endpoint; expected something like ${rule.example}`,
    });
  }
  const problem = rule.check?.(endpoint);
  if (problem) throw new TRPCError({ code: "BAD_REQUEST", message: `invalid ${kind} endpoint: ${problem}` });
}

/** The options against the kind's own schema: a bad one is refused when saved, not at the first collection. */
function checkOptions(kind: SourceKind, options: Record<string, unknown>) {
  const problem = optionsProblem(kind, options);
  if (problem) throw new TRPCError({ code: "BAD_REQUEST", message: problem });
}

async function sourceInScope(ctx: Context & { viewer: Viewer }, id: string) {
  const source = await ctx.database.prisma.source.findUnique({ where: { id }, select: { id: true, customerId: true, kind: true } });
  if (!source || !inScope(ctx.viewer.scope, source.customerId)) {
    throw new TRPCError({ code: "NOT_FOUND", message: "no such source" });
  }
  return source;
}

function conflict(error: unknown, name: string): never {
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
    throw new TRPCError({ code: "CONFLICT", message: `this customer has a source named "${name}" already` });
  }
  throw error;
}

export const sourcesRouter = createTRPCRouter({
  list: viewerProcedure
    .input(z.object({ customerId: z.uuid().optional() }).default({}))
    .query(({ ctx, input }) => {
      const scoped = scopeIds(ctx.viewer.scope);
      if (input.customerId && !inScope(ctx.viewer.scope, input.customerId)) return [];
      return listSources(ctx.database, {
        customerIds: input.customerId ? [input.customerId] : scoped,
        connection: ctx.viewer.role === "admin",
      });
    }),

  /** What the Sources form needs of each kind: label, endpoint example, option fields, secret, upload. */
  kinds: viewerProcedure.query(() =>
    COLLECTORS.map((definition) => {
      const { kind, label, endpoint, fields, secret } = definition;
      const upload = "upload" in definition ? definition.upload : undefined;
      return { kind, label, example: endpoint.example, fields, secret, upload: upload ?? null };
    }),
  ),

  create: adminProcedure
    .input(
      createFields.extend({
        customerId: z.uuid(),
        kind: z.enum(SOURCE_KINDS),
        secret: z.string().max(8192).nullable().default(null),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (!inScope(ctx.viewer.scope, input.customerId)) {
        throw new TRPCError({ code: "NOT_FOUND", message: "no such customer" });
      }
      checkEndpoint(input.kind, input.endpoint);
      checkOptions(input.kind, input.options);
      try {
        const created = await ctx.database.prisma.source.create({
          data: {
            customerId: input.customerId,
            kind: input.kind,
            name: input.name,
            endpoint: input.endpoint,
            username: input.username,
            secret: input.secret ? new Uint8Array(encryptSecret(input.secret)) : null,
            enabled: input.enabled,
            intervalSeconds: input.intervalSeconds,
            options: input.options,
          },
          select: { id: true },
        });
        await ctx.audit("source-created", {
          target: input.name,
          detail: { sourceId: created.id, kind: input.kind, endpoint: input.endpoint, secret: input.secret ? "set" : "none" },
        });
        return created;
      } catch (error) {
        conflict(error, input.name);
      }
    }),

  /** `secret`: a string replaces it, null clears it, absent keeps it. */
  update: adminProcedure
    .input(
      z.object(editableFields).partial().extend({
        id: z.uuid(),
        secret: z.string().max(8192).nullable().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const source = await sourceInScope(ctx, input.id);
      if (input.endpoint !== undefined) checkEndpoint(source.kind as SourceKind, input.endpoint);
      if (input.options !== undefined) checkOptions(source.kind as SourceKind, input.options);
      const { id, secret, ...fields } = input;
      try {
        await ctx.database.prisma.source.update({
          where: { id },
          data: {
            ...fields,
            ...(secret === undefined ? {} : { secret: secret === null ? null : new Uint8Array(encryptSecret(secret)) }),
          },
        });
      } catch (error) {
        conflict(error, input.name ?? "");
      }
      await ctx.audit("source-changed", {
        target: id,
        detail: { fields: Object.keys(fields), secret: secret === undefined ? "kept" : secret === null ? "cleared" : "replaced" },
      });
      return { id };
    }),

  /** Deletes the source and the inventory it collected. */
  delete: adminProcedure.input(z.object({ id: z.uuid() })).mutation(async ({ ctx, input }) => {
    await sourceInScope(ctx, input.id);
    const deleted = await ctx.database.prisma.source.delete({ where: { id: input.id }, select: { name: true, endpoint: true } });
    await removeUploads(input.id);
    await ctx.audit("source-deleted", { target: deleted.name, detail: { sourceId: input.id, endpoint: deleted.endpoint } });
    return { id: input.id };
  }),

  collectNow: adminProcedure.input(z.object({ id: z.uuid() })).mutation(async ({ ctx, input }) => {
    await sourceInScope(ctx, input.id);
    const { runId } = await startCollection(input.id, { database: ctx.database, trigger: "manual" });
    return { runId };
  }),

  /**
   * Cancels a queued or running run of a source: it ends failed with "cancelled by <who>", and the
   * worker running it kills its collection process (server/jobs/queue.ts cancelRun). Audited.
   */
  cancelRun: engineerProcedure.input(z.object({ sourceId: z.uuid(), runId: z.uuid() })).mutation(async ({ ctx, input }) => {
    await sourceInScope(ctx, input.sourceId);
    const run = await ctx.database.prisma.collectionRun.findFirst({
      where: { id: input.runId, sourceId: input.sourceId },
      select: { id: true, source: { select: { name: true } } },
    });
    const by = ctx.viewer.email ?? ctx.viewer.id;
    if (!run || !(await cancelRun(ctx.database, run.id, by))) {
      throw new TRPCError({ code: "CONFLICT", message: "this source has no such run queued or running: nothing to cancel" });
    }
    await ctx.audit("collection-cancelled", { target: run.source.name, detail: { sourceId: input.sourceId, runId: run.id } });
    return { runId: run.id };
  }),

  runs: viewerProcedure
    .input(z.object({ sourceId: z.uuid(), limit: z.number().int().min(1).max(200).default(20) }))
    .query(async ({ ctx, input }) => {
      await sourceInScope(ctx, input.sourceId);
      const runs = await ctx.database.prisma.collectionRun.findMany({
        where: { sourceId: input.sourceId },
        orderBy: { startedAt: "desc" },
        take: input.limit,
        select: {
          id: true, status: true, trigger: true, startedAt: true, finishedAt: true, durationMs: true,
          added: true, changed: true, removed: true, error: true, warnings: true, uploadName: true, uploadBytes: true,
          // Guest discovery stores guests with the run (evidence, not inventory: never added/changed/removed).
          _count: { select: { guests: true } },
        },
      });
      return runs.map(({ _count, ...run }) => ({
        ...run,
        uploadBytes: run.uploadBytes === null ? null : Number(run.uploadBytes),
        guests: _count.guests,
      }));
    }),
});

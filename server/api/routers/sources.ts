/**
 * Sources: add, edit, disable, delete, collect now, run history. Secrets are write-only: they are
 * accepted, encrypted and stored, and never returned (only `hasSecret`). Credentials go into the
 * secret and the username only: an endpoint with a password and an option holding a private key
 * are refused (server/auth/credentials.ts). How a source is reached (endpoint, username, options)
 * is listed to administrators only, who manage sources; others see its name, kind, status and runs.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { audit } from "../../auth/audit";
import { endpointCredentialsProblem, keyMaterialProblem } from "../../auth/credentials";
import { encryptSecret } from "../../auth/secret-box";
import { SOURCE_KINDS, type SourceKind } from "../../collectors";
import { Prisma } from "../../db/generated/client";
import { listSources } from "../../inventory/overview";
import { startCollection } from "../../jobs/collect";
import { adminProcedure, createTRPCRouter, inScope, viewerProcedure, type Context, type Viewer } from "../trpc";
import { scopeIds } from "./scope";

/** What an endpoint looks like per kind, with an example for the error message. */
const ENDPOINTS: Record<SourceKind, { pattern: RegExp; example: string }> = {
  vsphere: { pattern: /^https?:\/\/[^\s/]+(\/\S*)?$/i, example: "https://vcenter.example.com/sdk" },
  libvirt: { pattern: /^[a-z][a-z0-9+]*:\/\/\S*$/i, example: "qemu+tls://kvm01.example.com/system" },
  docker: { pattern: /^(unix|tcp|ssh|https?|npipe):\/\/\S+$/i, example: "unix:///var/run/docker.sock or tcp://10.0.0.5:2376" },
  demo: { pattern: /^demo:[a-z0-9-]+$/, example: "demo:northwind" },
  rvtools: { pattern: /^\S.*$/, example: "RVTools export file name" },
};

/** Editable fields, without defaults: an update changes only what it names. */
const editableFields = {
  name: z.string().trim().min(1, "a name is required").max(200),
  endpoint: z.string().trim().min(1, "an endpoint is required").max(2048),
  username: z.string().trim().max(512).nullable(),
  enabled: z.boolean(),
  intervalSeconds: z.number().int().min(60).max(30 * 24 * 3600),
  // Bounded: a handful of settings per source, the longest a CA certificate chain in PEM (each
  // collector checks its own when it runs).
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
  const rule = ENDPOINTS[kind];
  if (!rule.pattern.test(endpoint)) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `"${endpoint}" is not a ${kind} endpoint; expected something like ${rule.example}`,
    });
  }
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

  kinds: viewerProcedure.query(() =>
    SOURCE_KINDS.map((kind) => ({ kind, example: ENDPOINTS[kind].example })),
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
        await audit(ctx.database, {
          actorId: ctx.viewer.id, actorEmail: ctx.viewer.email, action: "source-created", target: input.name,
          detail: { sourceId: created.id, kind: input.kind, endpoint: input.endpoint, secret: input.secret ? "set" : "none" }, ip: ctx.ip,
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
      await audit(ctx.database, {
        actorId: ctx.viewer.id, actorEmail: ctx.viewer.email, action: "source-changed", target: id,
        detail: { fields: Object.keys(fields), secret: secret === undefined ? "kept" : secret === null ? "cleared" : "replaced" }, ip: ctx.ip,
      });
      return { id };
    }),

  /** Deletes the source and the inventory it collected. */
  delete: adminProcedure.input(z.object({ id: z.uuid() })).mutation(async ({ ctx, input }) => {
    await sourceInScope(ctx, input.id);
    const deleted = await ctx.database.prisma.source.delete({ where: { id: input.id }, select: { name: true, endpoint: true } });
    await audit(ctx.database, {
      actorId: ctx.viewer.id, actorEmail: ctx.viewer.email, action: "source-deleted", target: deleted.name,
      detail: { sourceId: input.id, endpoint: deleted.endpoint }, ip: ctx.ip,
    });
    return { id: input.id };
  }),

  collectNow: adminProcedure.input(z.object({ id: z.uuid() })).mutation(async ({ ctx, input }) => {
    await sourceInScope(ctx, input.id);
    const { runId } = await startCollection(input.id, { database: ctx.database, trigger: "manual" });
    return { runId };
  }),

  runs: viewerProcedure
    .input(z.object({ sourceId: z.uuid(), limit: z.number().int().min(1).max(200).default(20) }))
    .query(async ({ ctx, input }) => {
      await sourceInScope(ctx, input.sourceId);
      return ctx.database.prisma.collectionRun.findMany({
        where: { sourceId: input.sourceId },
        orderBy: { startedAt: "desc" },
        take: input.limit,
        select: {
          id: true, status: true, trigger: true, startedAt: true, finishedAt: true, durationMs: true,
          added: true, changed: true, removed: true, error: true, warnings: true,
        },
      });
    }),
});

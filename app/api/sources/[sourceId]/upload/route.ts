/**
 * Uploading a file to a source collected from uploads (an RVTools export):
 * POST /api/sources/<sourceId>/upload?name=<file name> with the file as the raw body
 * (Content-Type application/octet-stream, or the .xlsx / .zip type). Answers 202 with the run it
 * queued; the worker imports the file in a process of its own, like any collection (the Sources
 * page follows the run). `curl --data-binary @RVTools_export.xlsx -H "Authorization: Bearer flk_…"
 * -H "Content-Type: application/octet-stream" ".../api/sources/<id>/upload?name=RVTools_export.xlsx"`.
 *
 * Who: engineers and administrators, in the source's customer scope (a source out of scope looks
 * missing); session cookie (same-origin only) or API token. A form post cannot send these content
 * types without a preflight, so a cross-site page cannot upload with a user's cookie. Every upload
 * and every refusal of a signed-in caller is audited. The HTTP server lets this path's bodies reach
 * MAX_UPLOAD_BYTES (server/http/gate.ts); the limit is enforced again on the bytes as they stream.
 */
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { z } from "zod";
import { collectorDefinition, type SourceKind } from "@/server/collectors";
import { internalErrorResponse } from "@/server/api/errors";
import { engineerOf, plainText } from "@/server/api/route-guard";
import { inScope } from "@/server/api/trpc";
import { audit, clientIp } from "@/server/auth/audit";
import { crossSiteRefusal } from "@/server/auth/origin";
import { db } from "@/server/db/client";
import { receiveUpload, UploadRefused } from "@/server/jobs/uploads";

export const dynamic = "force-dynamic";

const ACCEPTED_TYPES = new Set([
  "application/octet-stream",
  "application/zip",
  "application/x-zip-compressed",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
]);

const sourceIdSchema = z.uuid();

export async function POST(request: Request, context: { params: Promise<{ sourceId: string }> }) {
  try {
    return await upload(request, context);
  } catch (error) {
    return internalErrorResponse("upload", error);
  }
}

async function upload(request: Request, context: { params: Promise<{ sourceId: string }> }) {
  const crossSite = crossSiteRefusal(request);
  if (crossSite) return crossSite;
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (!ACCEPTED_TYPES.has(type)) {
    return plainText(415, `send the file as the request body with Content-Type application/octet-stream, not ${type || "no content type"}`);
  }

  const database = db();
  const viewer = await engineerOf(database, request, "uploads are for engineers and administrators: ask an administrator for the engineer role");
  if (viewer instanceof Response) return viewer;

  const { sourceId } = await context.params;
  const source = sourceIdSchema.safeParse(sourceId).success
    ? await database.prisma.source.findUnique({ where: { id: sourceId }, select: { id: true, name: true, kind: true, enabled: true, customerId: true } })
    : null;
  // Out of scope looks the same as missing.
  if (!source || !inScope(viewer.scope, source.customerId)) return plainText(404, "no such source");

  const rawName = new URL(request.url).searchParams.get("name");
  const audited = (outcome: string, detail: Record<string, unknown>) =>
    audit(database, {
      actorId: viewer.id,
      actorEmail: viewer.email,
      action: "source-upload",
      target: source.name,
      detail: { sourceId: source.id, outcome, name: rawName?.slice(0, 200) ?? null, ...detail },
      ip: clientIp(request.headers),
    });

  const definition = collectorDefinition(source.kind as SourceKind);
  if (!definition.upload) {
    return plainText(400, `“${source.name}” is a ${definition.label} source: it is collected from its endpoint, not from an uploaded file`);
  }
  if (!source.enabled) return plainText(409, `“${source.name}” is disabled: enable it on the Sources page, then upload`);
  if (!request.body) return plainText(400, "the request has no body: send the file as the request body");

  try {
    const received = await receiveUpload(
      database,
      source.id,
      Readable.fromWeb(request.body as WebReadableStream<Uint8Array>),
      rawName,
    );
    await audited("queued", { runId: received.runId, bytes: received.bytes, sha256: received.sha256 });
    return Response.json(
      { runId: received.runId, name: received.name, bytes: received.bytes, sha256: received.sha256 },
      { status: 202, headers: { "Cache-Control": "no-store" } },
    );
  } catch (error) {
    if (error instanceof UploadRefused) {
      await audited("refused", { status: error.status, reason: error.message });
      return plainText(error.status, error.message);
    }
    throw error;
  }
}

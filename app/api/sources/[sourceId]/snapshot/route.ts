/**
 * Remote collectors push here: POST /api/sources/<sourceId>/snapshot with the JSON that
 * `npm run --silent collect -- <kind> <endpoint> --json` prints (Content-Type application/json),
 * or let the CLI do it: `collect <kind> <endpoint> --push <url> --source <id> --token-env VAR`.
 *
 * The body is streamed into the server's own folder up to FLEETLENS_MAX_SNAPSHOT_MB (256 MiB; 413
 * past it, nothing stored), then checked at once: JSON, its "kind" equal to the source's kind, the
 * snapshot schema after the salvage rules any collection gets (400 naming the bad paths). A good
 * one is queued as a collection run (trigger "push") and ingested by a worker like any collection,
 * so the answer is always 202 with the run's id and `poll`, a URL whose GET tells the run's status
 * (queued, running, succeeded with counts, failed with its error). Never 200: ingest takes a
 * worker's process whatever the snapshot's size, and the Sources page shows the run the same way.
 *
 * Who: engineers and administrators, in the source's customer scope (a source out of scope looks
 * missing: 404); API token (Authorization: Bearer flk_…) or session cookie from Fleetlens' own
 * pages (same-origin checks as every mutation). Every push and every refusal of a known caller is
 * audited. GET ?run=<run id>: any signed-in user who can see the source.
 */
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { z } from "zod";
import { internalErrorResponse } from "@/server/api/errors";
import { engineerOf, plainText } from "@/server/api/route-guard";
import { inScope } from "@/server/api/trpc";
import { audit, clientIp } from "@/server/auth/audit";
import { crossSiteRefusal } from "@/server/auth/origin";
import { InvalidTokenError, resolveViewer } from "@/server/auth/viewer";
import { db } from "@/server/db/client";
import { keepLabelsFor } from "@/server/inventory/salvage";
import { receiveSnapshot } from "@/server/jobs/pushes";
import { UploadRefused } from "@/server/jobs/uploads";

export const dynamic = "force-dynamic";

const uuid = z.uuid();
type Params = { params: Promise<{ sourceId: string }> };

const pollUrl = (sourceId: string, runId: string) => `/api/sources/${sourceId}/snapshot?run=${runId}`;

export async function POST(request: Request, context: Params) {
  try {
    return await push(request, context);
  } catch (error) {
    return internalErrorResponse("snapshot push", error);
  }
}

export async function GET(request: Request, context: Params) {
  try {
    return await poll(request, context);
  } catch (error) {
    return internalErrorResponse("snapshot poll", error);
  }
}

async function push(request: Request, context: Params) {
  const crossSite = crossSiteRefusal(request);
  if (crossSite) return crossSite;
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") {
    return plainText(415, `send the snapshot as JSON with Content-Type application/json, not ${type || "no content type"}`);
  }

  const database = db();
  const viewer = await engineerOf(database, request, "pushing snapshots is for engineers and administrators: ask an administrator for the engineer role");
  if (viewer instanceof Response) return viewer;

  const { sourceId } = await context.params;
  const source = uuid.safeParse(sourceId).success
    ? await database.prisma.source.findUnique({
        where: { id: sourceId },
        select: { id: true, name: true, kind: true, enabled: true, customerId: true, options: true },
      })
    : null;
  // Out of scope looks the same as missing.
  if (!source || !inScope(viewer.scope, source.customerId)) return plainText(404, "no such source");

  const audited = (outcome: string, detail: Record<string, unknown>) =>
    audit(database, {
      actorId: viewer.id,
      actorEmail: viewer.email,
      action: "source-push",
      target: source.name,
      detail: { sourceId: source.id, outcome, via: viewer.via ?? "session", ...detail },
      ip: clientIp(request.headers),
    });

  if (!source.enabled) {
    await audited("refused", { status: 409, reason: "source disabled" });
    return plainText(409, `“${source.name}” is disabled: enable it on the Sources page, then push again`);
  }
  if (!request.body) return plainText(400, "the request has no body: send the snapshot as JSON");

  try {
    const received = await receiveSnapshot(
      database,
      source,
      Readable.fromWeb(request.body as WebReadableStream<Uint8Array>),
      { keepLabels: keepLabelsFor(source.options as Record<string, unknown> | null) },
    );
    await audited("queued", { runId: received.runId, bytes: received.bytes, sha256: received.sha256, collectedAt: received.collectedAt });
    return Response.json(
      { runId: received.runId, status: "queued", poll: pollUrl(source.id, received.runId), bytes: received.bytes, sha256: received.sha256, collectedAt: received.collectedAt, counts: received.counts },
      { status: 202, headers: { "Cache-Control": "no-store", Location: pollUrl(source.id, received.runId) } },
    );
  } catch (error) {
    if (error instanceof UploadRefused) {
      await audited("refused", { status: error.status, reason: error.message.slice(0, 2000) });
      return plainText(error.status, error.message);
    }
    throw error;
  }
}

async function poll(request: Request, context: Params) {
  const database = db();
  let viewer;
  try {
    viewer = await resolveViewer(database, request.headers);
  } catch (error) {
    if (error instanceof InvalidTokenError) return plainText(401, "invalid API token");
    throw error;
  }
  if (!viewer) return plainText(401, "sign in first");
  const { sourceId } = await context.params;
  const runId = new URL(request.url).searchParams.get("run") ?? "";
  if (!uuid.safeParse(sourceId).success || !uuid.safeParse(runId).success) return plainText(404, "no such run");
  const run = await database.prisma.collectionRun.findFirst({
    where: { id: runId, sourceId },
    select: {
      id: true, status: true, trigger: true, startedAt: true, finishedAt: true, durationMs: true,
      added: true, changed: true, removed: true, error: true, warnings: true,
      source: { select: { customerId: true } },
    },
  });
  if (!run || !inScope(viewer.scope, run.source.customerId)) return plainText(404, "no such run");
  const { source: _source, warnings, ...shown } = run;
  return Response.json({ ...shown, warnings: warnings.slice(0, 100) }, { headers: { "Cache-Control": "no-store" } });
}

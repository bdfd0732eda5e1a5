/**
 * RVTools-shaped workbook of a customer's stored inventory: GET /api/export/<customerId>/rvtools.
 * (A static segment: Next.js matches it before the sibling [table] route, which serves the CSV
 * exports.)
 *
 * Same authorization as the CSV export route: session cookie or API token, engineers and
 * administrators only (a viewer gets 403), a customer out of scope looks missing (404). Every source
 * of the customer (vSphere, RVTools imports, libvirt, container hosts, demo) is written under its
 * own vCenter (server/export/rvtools/load.ts); containers and images have no RVTools tab and are
 * left out, counted in the audit entry. The workbook is written to a temporary file, the export
 * audited, then the file streamed back and removed (server/export/rvtools/download.ts). An
 * unexpected error answers 500 with a reference, never its own words.
 *
 * Cells are never formulas: the writer writes text as inline strings (t="inlineStr"), which Excel
 * and LibreOffice show as written, so a VM named `=HYPERLINK(...)` stays text.
 */
import { internalErrorResponse } from "@/server/api/errors";
import { customerOf, engineerOf, EXPORT_FORBIDDEN } from "@/server/api/route-guard";
import { audit, clientIp } from "@/server/auth/audit";
import { db } from "@/server/db/client";
import { rvtoolsFilename, rvtoolsWorkbookResponse } from "@/server/export/rvtools/download";
import { loadRvtoolsExport } from "@/server/export/rvtools/load";

export const dynamic = "force-dynamic";

export async function GET(request: Request, context: { params: Promise<{ customerId: string }> }) {
  try {
    return await exportRvtools(request, context);
  } catch (error) {
    return internalErrorResponse("RVTools export", error);
  }
}

async function exportRvtools(request: Request, context: { params: Promise<{ customerId: string }> }) {
  const database = db();
  const viewer = await engineerOf(database, request, EXPORT_FORBIDDEN);
  if (viewer instanceof Response) return viewer;

  const customer = await customerOf(database, viewer, (await context.params).customerId);
  if (customer instanceof Response) return customer;

  const now = new Date();
  const { sources, leftOut } = await loadRvtoolsExport(database, customer.id, now);
  return rvtoolsWorkbookResponse(sources, {
    createdAt: now,
    filename: rvtoolsFilename(customer.name, now),
    // Audited before the first byte: the entry is written even if the download is later cancelled.
    beforeSending: (result) =>
      audit(database, {
        actorId: viewer.id,
        actorEmail: viewer.email,
        action: "export",
        target: customer.id,
        detail: {
          table: "rvtools",
          sources: sources.map((s) => ({ source: s.sourceName, server: s.server, virtualMachines: s.snapshot.virtualMachines.length, hosts: s.snapshot.hosts.length })),
          rows: result.rows,
          bytes: result.bytes,
          containersLeftOut: leftOut.reduce((n, s) => n + s.containers, 0),
          imagesLeftOut: leftOut.reduce((n, s) => n + s.images, 0),
        },
        ip: clientIp(request.headers),
      }),
  });
}

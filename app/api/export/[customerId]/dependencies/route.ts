/**
 * CSV export of a customer's dependency table: GET /api/export/<customerId>/dependencies. (A static
 * segment: Next.js matches it before the sibling [table] route.)
 *
 * Same authorization as the other exports (server/api/route-guard.ts): session cookie or API token,
 * engineers and administrators only (a viewer gets 403), a customer out of scope looks missing
 * (404). Same rows as analysis.dependencies, streamed with formula-neutralised cells (a process or
 * a hostname a guest reported is the guest's word), audited before the first byte. An unexpected
 * error answers 500 with a reference, never its own words.
 */
import { customerAnalysis } from "@/server/analysis/load";
import { internalErrorResponse } from "@/server/api/errors";
import { customerOf, engineerOf, EXPORT_FORBIDDEN } from "@/server/api/route-guard";
import { audit, clientIp } from "@/server/auth/audit";
import { db } from "@/server/db/client";
import { csvResponse, exportFilename } from "@/server/export/csv";
import { DEPENDENCY_CSV_COLUMNS, dependencyCsvRows } from "@/server/export/dependencies";

export const dynamic = "force-dynamic";

export async function GET(request: Request, context: { params: Promise<{ customerId: string }> }) {
  try {
    return await exportDependencies(request, context);
  } catch (error) {
    return internalErrorResponse("CSV export", error);
  }
}

async function exportDependencies(request: Request, context: { params: Promise<{ customerId: string }> }) {
  const database = db();
  const viewer = await engineerOf(database, request, EXPORT_FORBIDDEN);
  if (viewer instanceof Response) return viewer;
  const customer = await customerOf(database, viewer, (await context.params).customerId);
  if (customer instanceof Response) return customer;

  const { analysis } = await customerAnalysis(database, customer.id);
  const rows = dependencyCsvRows(analysis.dependencies);
  await audit(database, {
    actorId: viewer.id,
    actorEmail: viewer.email,
    action: "export",
    target: customer.id,
    detail: { table: "dependencies", rows: rows.length },
    ip: clientIp(request.headers),
  });
  return csvResponse(rows, DEPENDENCY_CSV_COLUMNS, exportFilename(customer.name, "dependencies"));
}

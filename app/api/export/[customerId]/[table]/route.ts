/**
 * CSV export of a customer's verdict or finding table: GET /api/export/<customerId>/<verdicts|findings>
 * with the page's filters in the query string (kind, verdict, role | severity, ruleId, search, sort, dir).
 *
 * Exports are for engineers and administrators (README "Accounts, roles and access"): a viewer gets
 * 403. Otherwise the same authorization as tRPC's customerProcedure (session cookie or API token; a
 * customer out of scope looks missing), same rows as analysis.verdicts / analysis.findings,
 * streamed in constant memory with formula-neutralised cells. Every export is audited before the
 * first byte is sent. An unexpected error answers 500 with a reference, never its own words.
 */
import { customerAnalysis } from "@/server/analysis/load";
import { findingRows, verdictRows } from "@/server/analysis/views";
import { internalErrorResponse } from "@/server/api/errors";
import { customerOf, engineerOf, EXPORT_FORBIDDEN, plainText } from "@/server/api/route-guard";
import { audit, clientIp } from "@/server/auth/audit";
import { db } from "@/server/db/client";
import type { Analysis } from "@/server/analysis";
import { csvResponse, exportFilename, type CsvColumn } from "@/server/export/csv";
import { FINDING_CSV_COLUMNS, VERDICT_CSV_COLUMNS, isExportTable, parseExportFilter } from "@/server/export/tables";

export const dynamic = "force-dynamic";

export async function GET(request: Request, context: { params: Promise<{ customerId: string; table: string }> }) {
  try {
    return await exportTable(request, context);
  } catch (error) {
    return internalErrorResponse("CSV export", error);
  }
}

async function exportTable(request: Request, context: { params: Promise<{ customerId: string; table: string }> }) {
  const database = db();
  const viewer = await engineerOf(database, request, EXPORT_FORBIDDEN);
  if (viewer instanceof Response) return viewer;

  const { customerId, table } = await context.params;
  if (!isExportTable(table)) return plainText(404, "no such table: verdicts or findings");
  const customer = await customerOf(database, viewer, customerId);
  if (customer instanceof Response) return customer;

  const params = new URL(request.url).searchParams;
  const filename = exportFilename(customer.name, table);
  const audited = (filters: unknown, rows: number) =>
    audit(database, {
      actorId: viewer.id,
      actorEmail: viewer.email,
      action: "export",
      target: customer.id,
      detail: { table, filters, rows },
      ip: clientIp(request.headers),
    });

  // The rows are counted before the first byte is streamed, and the export audited then: the
  // entry is written even if the download is later cancelled.
  const download = async <F, R>(
    parsed: { ok: true; filter: F } | { ok: false; error: string },
    rowsOf: (analysis: Analysis, filter: F) => R[],
    columns: readonly CsvColumn<R>[],
  ) => {
    if (!parsed.ok) return plainText(400, parsed.error);
    const { analysis } = await customerAnalysis(database, customer.id);
    const rows = rowsOf(analysis, parsed.filter);
    await audited(parsed.filter, rows.length);
    return csvResponse(rows, columns, filename);
  };
  return table === "verdicts"
    ? download(parseExportFilter("verdicts", params), verdictRows, VERDICT_CSV_COLUMNS)
    : download(parseExportFilter("findings", params), findingRows, FINDING_CSV_COLUMNS);
}

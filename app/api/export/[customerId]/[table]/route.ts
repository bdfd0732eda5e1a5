/**
 * A customer page table as a download: GET /api/export/<customerId>/<table> where table is one of
 * server/export/registry.ts's (verdicts, findings, hosts, vms, containers, utilisation), with
 *   format=csv|xlsx    (csv by default),
 *   columns=a,b,...    the screen's visible columns in the screen's order (every column by default),
 *   and the page's filters: search, sort, dir and the table's own (kind, verdict, role, severity,
 *   ruleId, powerState, osFamily, template, state, privileged ...).
 *
 * Exports are for engineers and administrators (README "Accounts, roles and access"): a viewer gets
 * 403. Otherwise the same authorization as tRPC's customerProcedure (session cookie or API token; a
 * customer out of scope looks missing), the same rows as the table's procedure (same schema, same
 * query builders), streamed in constant memory; CSV cells formula-neutralised, xlsx cells never
 * formulas (server/export/xlsx.ts). A bad format, filter or column answers 400 naming it. Every
 * export is audited before the first byte is sent. An unexpected error answers 500 with a reference,
 * never its own words.
 */
import { internalErrorResponse } from "@/server/api/errors";
import { customerOf, engineerOf, EXPORT_FORBIDDEN, plainText } from "@/server/api/route-guard";
import { audit, clientIp } from "@/server/auth/audit";
import { db } from "@/server/db/client";
import { tableCsvStream, tableXlsxStream } from "@/server/export/copy";
import { csvBodyResponse, exportFilename } from "@/server/export/csv";
import { EXPORT_TABLE_NAMES, isExportTableName, parseColumns, parseFormat, parseTableFilter, TABLE_EXPORTS } from "@/server/export/registry";
import { xlsxBodyResponse } from "@/server/export/xlsx";

export const dynamic = "force-dynamic";

export async function GET(request: Request, context: { params: Promise<{ customerId: string; table: string }> }) {
  try {
    return await exportTable(request, context);
  } catch (error) {
    return internalErrorResponse("table export", error);
  }
}

async function exportTable(request: Request, context: { params: Promise<{ customerId: string; table: string }> }) {
  const database = db();
  const viewer = await engineerOf(database, request, EXPORT_FORBIDDEN);
  if (viewer instanceof Response) return viewer;

  const { customerId, table: name } = await context.params;
  if (!isExportTableName(name)) return plainText(404, `no such table: ${EXPORT_TABLE_NAMES.join(", ")}`);
  const customer = await customerOf(database, viewer, customerId);
  if (customer instanceof Response) return customer;

  const table = TABLE_EXPORTS[name];
  const params = new URL(request.url).searchParams;
  const format = parseFormat(params);
  if (!format.ok) return plainText(400, format.error);
  const filter = parseTableFilter(table, params);
  if (!filter.ok) return plainText(400, filter.error);
  const columns = parseColumns(table, params);
  if (!columns.ok) return plainText(400, columns.error);

  // The rows are counted before the first byte is streamed, and the export audited then: the
  // entry is written even if the download is later cancelled.
  const source = await table.rows(database, customer.id, filter.value);
  const total = source.total;
  await audit(database, {
    actorId: viewer.id,
    actorEmail: viewer.email,
    action: "export",
    target: customer.id,
    detail: { table: name, format: format.value, filters: filter.value, columns: columns.value.ids, rows: total },
    ip: clientIp(request.headers),
  });
  const filename = exportFilename(customer.name, table.label, new Date(), format.value);
  // The inventory tables are written by Postgres through COPY (server/export/copy.ts), the others row by row.
  return format.value === "xlsx"
    ? xlsxBodyResponse(tableXlsxStream(source, columns.value.columns, { sheet: table.label[0]!.toUpperCase() + table.label.slice(1) }), filename)
    : csvBodyResponse(tableCsvStream(source, columns.value.columns), filename);
}

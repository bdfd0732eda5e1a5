/**
 * The anonymised report's mapping as CSV, for administrators only: GET
 * /api/report/<customerId>/aliases → kind, alias, original, one line per alias the customer's
 * anonymised reports have used (so that a question about "vm-0142" can be answered). No procedure
 * returns the mapping; everyone else gets 403, a customer out of scope 404. Cells are
 * formula-neutralised; each download is audited.
 */
import { internalErrorResponse } from "@/server/api/errors";
import { customerOf, plainText, viewerOf } from "@/server/api/route-guard";
import { audit, clientIp } from "@/server/auth/audit";
import { db } from "@/server/db/client";
import { csvResponse, exportFilename, type CsvColumn } from "@/server/export/csv";

export const dynamic = "force-dynamic";

interface AliasRow {
  kind: string;
  alias: string;
  original: string;
}

const COLUMNS: readonly CsvColumn<AliasRow>[] = [
  { header: "Kind", cell: (r) => r.kind },
  { header: "Alias", cell: (r) => r.alias },
  { header: "Original", cell: (r) => r.original },
];

export async function GET(request: Request, context: { params: Promise<{ customerId: string }> }) {
  try {
    const database = db();
    const viewer = await viewerOf(database, request);
    if (viewer instanceof Response) return viewer;
    if (viewer.role !== "admin") return plainText(403, "the anonymised report's mapping is for administrators only");
    const { customerId } = await context.params;
    const customer = await customerOf(database, viewer, customerId);
    if (customer instanceof Response) return customer;
    const { rows } = await database.pool.query<AliasRow>(
      "SELECT kind, alias, original FROM anonymised_name WHERE customer_id = $1 ORDER BY kind, alias",
      [customer.id],
    );
    await audit(database, {
      actorId: viewer.id,
      actorEmail: viewer.email,
      action: "report-aliases-export",
      target: customer.id,
      detail: { rows: rows.length },
      ip: clientIp(request.headers),
    });
    return csvResponse(rows, COLUMNS, exportFilename(customer.name, "report-aliases"));
  } catch (error) {
    return internalErrorResponse("report aliases", error);
  }
}

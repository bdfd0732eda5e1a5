/**
 * The customer report as a PDF: GET /api/report/<customerId> (`?anonymised=1` for the variant for
 * third parties). The report page, printed by Chromium on this server with the caller's own
 * session (server/report/pdf.ts), so it shows what the page shows them.
 *
 * Everyone signed in whose scope holds the customer may have it (as report.get); a customer out of
 * scope looks missing (404). The PDF needs a browser session (the page does): an API token alone
 * gets 401. No Chromium on the server: 503 saying what to install. Other PDFs being made: 503,
 * try again; a PDF not made within the time limit: 504. Each PDF made is audited ("report-pdf"). An unexpected error answers 500 with a
 * reference, never its own words.
 */
import { internalErrorResponse } from "@/server/api/errors";
import { customerOf, plainText, viewerOf } from "@/server/api/route-guard";
import { audit, clientIp } from "@/server/auth/audit";
import { db } from "@/server/db/client";
import { attachment } from "@/server/export/csv";
import { NoChromiumError, PdfBusyError, PdfTimeoutError, renderReportPdf, ReportPageError } from "@/server/report/pdf";
import { reportHref } from "@/components/links";

export const dynamic = "force-dynamic";

export async function GET(request: Request, context: { params: Promise<{ customerId: string }> }) {
  try {
    return await reportPdf(request, context);
  } catch (error) {
    return internalErrorResponse("report PDF", error);
  }
}

const fileSlug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "customer";

async function reportPdf(request: Request, context: { params: Promise<{ customerId: string }> }) {
  const database = db();
  const viewer = await viewerOf(database, request);
  if (viewer instanceof Response) return viewer;
  const { customerId } = await context.params;
  const customer = await customerOf(database, viewer, customerId);
  if (customer instanceof Response) return customer;
  const cookie = request.headers.get("cookie");
  if (!cookie) return plainText(401, "the PDF is made with your browser session: sign in to the dashboard and download it from the report page");

  const anonymised = new URL(request.url).searchParams.get("anonymised") === "1";
  let pdf: Buffer;
  try {
    pdf = await renderReportPdf(reportHref(customer.id, { anonymised }), { cookie });
  } catch (error) {
    if (error instanceof NoChromiumError || error instanceof PdfBusyError) return plainText(503, error.message);
    if (error instanceof PdfTimeoutError) return plainText(504, error.message);
    if (error instanceof ReportPageError) return plainText(error.state === "signed-out" ? 401 : error.state === "missing" ? 404 : 502, error.message);
    throw error;
  }
  await audit(database, {
    actorId: viewer.id,
    actorEmail: viewer.email,
    action: "report-pdf",
    target: customer.id,
    detail: { anonymised, bytes: pdf.length },
    ip: clientIp(request.headers),
  });
  const name = `${anonymised ? "customer-a" : fileSlug(customer.name)}-report-${new Date().toISOString().slice(0, 10)}.pdf`;
  return new Response(new Uint8Array(pdf), {
    status: 200,
    headers: { "Content-Type": "application/pdf", "Content-Disposition": attachment(name), "Cache-Control": "no-store" },
  });
}

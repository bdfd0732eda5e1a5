/**
 * Errors the server did not expect (a failed query, a bug): the caller gets a generic message with
 * a short reference, never the error's own words (which can name tables, columns, queries, file
 * paths); the server log gets the reference with the real error, so the two can be matched.
 */
import { randomBytes } from "node:crypto";

/** Logs the error under a new reference and returns the message for the caller. */
export function reportInternalError(where: string, error: unknown): string {
  const reference = randomBytes(4).toString("hex");
  console.error(`[fleetlens] internal error ${reference} in ${where}:`, error);
  return internalErrorMessage(reference);
}

export function internalErrorMessage(reference: string): string {
  return `internal server error (reference ${reference}): the details are in the server log`;
}

/** A plain-text 500 for route handlers, with the reference. */
export function internalErrorResponse(where: string, error: unknown): Response {
  return new Response(reportInternalError(where, error), {
    status: 500,
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
  });
}

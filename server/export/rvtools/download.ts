/**
 * The RVTools workbook as an HTTP download (app/api/export/[customerId]/rvtools/route.ts).
 *
 * The workbook is written to a private temporary directory first (an xlsx is a zip whose central
 * directory comes last: a write that fails half-way must answer 500, not a truncated file), then
 * streamed back from there. The file is unlinked as soon as it is open (on POSIX its data lives
 * until the handle closes), so nothing is left behind after a download, a cancelled one or a crash;
 * where unlinking an open file fails (Windows), it is removed when the handle closes. The handle
 * closes at the end of the file, on a read error, or when the download is cancelled.
 */
import { mkdtemp, open, rm, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileSlug } from "../csv";
import { rvtoolsTabs, type ExportSource } from "./tabs";
import { writeXlsxFile, type XlsxResult } from "./xlsx-writer";

import { XLSX_CONTENT_TYPE } from "../xlsx";

export { XLSX_CONTENT_TYPE };
/** Every export writes into its own directory under the system's temporary directory, named so. */
export const TEMP_PREFIX = "fleetlens-rvtools-";

/** `<customer-slug>-rvtools-YYYY-MM-DD.xlsx`, the date in UTC (as the CSV exports' names). */
export function rvtoolsFilename(customerName: string, at: Date = new Date()): string {
  return `${fileSlug(customerName)}-rvtools-${at.toISOString().slice(0, 10)}.xlsx`;
}

/**
 * Writes these sources' workbook, calls `beforeSending` with what was written (the route audits
 * there: before the first byte), and answers the file as an attachment. Nothing is left on disk
 * when writing or `beforeSending` fails (the error is thrown).
 */
export async function rvtoolsWorkbookResponse(
  sources: ExportSource[],
  options: { createdAt: Date; filename: string; beforeSending: (result: XlsxResult) => Promise<void> },
): Promise<Response> {
  const dir = await mkdtemp(join(tmpdir(), TEMP_PREFIX));
  let handle: FileHandle | null = null;
  try {
    const file = join(dir, "export.xlsx");
    const result = await writeXlsxFile(rvtoolsTabs(sources, { createdAt: options.createdAt.toISOString() }), file);
    handle = await open(file, "r");
    await options.beforeSending(result);
    // Unlinked now: the open handle keeps the data readable (POSIX), and nothing is left behind
    // whatever becomes of the download. Where that fails (Windows), it is removed at close.
    const removed = await rm(dir, { recursive: true, force: true }).then(
      () => true,
      () => false,
    );
    const body = fileStream(handle, removed ? null : dir);
    handle = null;
    return new Response(body, {
      status: 200,
      headers: {
        "Content-Type": XLSX_CONTENT_TYPE,
        "Content-Length": String(result.bytes),
        "Content-Disposition": `attachment; filename="${options.filename.replace(/[^A-Za-z0-9._-]/g, "_")}"`,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
      },
    });
  } catch (error) {
    await handle?.close().catch(() => {});
    await rm(dir, { recursive: true, force: true }).catch(() => {});
    throw error;
  }
}

/**
 * The open file as a response body, 64 KiB a pull. The handle closes (and `dir`, when given, is
 * removed) at the end of the file, on a read error, or when the download is cancelled.
 */
function fileStream(handle: FileHandle, dir: string | null): ReadableStream<Uint8Array> {
  let closed = false;
  const finish = async () => {
    if (closed) return;
    closed = true;
    await handle.close().catch(() => {});
    if (dir !== null) await rm(dir, { recursive: true, force: true }).catch(() => {});
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const chunk = new Uint8Array(65_536);
          const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
          if (bytesRead === 0) {
            await finish();
            controller.close();
          } else {
            controller.enqueue(chunk.subarray(0, bytesRead));
          }
        } catch (error) {
          await finish();
          controller.error(error);
        }
      },
      cancel: finish,
    },
    { highWaterMark: 0 },
  );
}

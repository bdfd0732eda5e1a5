/**
 * The report's PDF maker (server/report/pdf.ts) with the real Chromium, against a small HTTP
 * server standing in for the dashboard on PORT: it prints a ready page to an A4 PDF with the
 * caller's cookie, runs one Chromium at a time (the stand-in sees no two page loads overlap),
 * refuses more than MAX_WAITING waiting, gives up on a page that never becomes ready within the
 * time limit, and tells a page that went to sign-in or found no customer from a report.
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { chromiumPath, MAX_WAITING, PdfBusyError, PdfTimeoutError, renderReportPdf, ReportPageError } from "../../server/report/pdf";

const run = promisify(execFile);
let server: http.Server;
let inFlight = 0;
let mostInFlight = 0;
const cookies: string[] = [];

const html = (body: string) => `<!doctype html><html><head><title>t</title></head><body>${body}</body></html>`;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://x");
    if (url.pathname === "/favicon.ico") return response.writeHead(404).end();
    inFlight++;
    mostInFlight = Math.max(mostInFlight, inFlight);
    const done = (status: number, body: string, headers: Record<string, string> = {}) =>
      setTimeout(() => {
        inFlight--;
        response.writeHead(status, { "Content-Type": "text/html; charset=utf-8", ...headers }).end(body);
      }, 300);
    if (url.pathname === "/ready") {
      cookies.push(request.headers.cookie ?? "");
      return done(200, html(`<article data-report-state="ready"><h1>Report of ${url.searchParams.get("n") ?? "?"}</h1></article>`));
    }
    if (url.pathname === "/never") return done(200, html("<p>Preparing the report…</p>"));
    if (url.pathname === "/private") return done(302, "", { Location: "/login?next=/private" });
    if (url.pathname === "/login") return done(200, html("<form>Sign in</form>"));
    if (url.pathname === "/gone") return done(200, html('<div data-report-state="missing">Customer not found</div>'));
    return done(404, html("no"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  vi.stubEnv("PORT", String((server.address() as AddressInfo).port));
  vi.stubEnv("HOST", "127.0.0.1");
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await new Promise((resolve) => server.close(resolve));
});

describe.skipIf(!chromiumPath())("report PDF with Chromium", () => {
  it("prints a ready page to an A4 PDF with the caller's cookie, one Chromium at a time", async () => {
    mostInFlight = 0;
    const pdfs = await Promise.all([1, 2, 3].map((n) => renderReportPdf(`/ready?n=${n}`, { cookie: `fleetlens.session_token=s${n}` })));
    expect(mostInFlight).toBe(1);
    expect(cookies.sort()).toEqual(["fleetlens.session_token=s1", "fleetlens.session_token=s2", "fleetlens.session_token=s3"]);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "fleetlens-pdf-"));
    try {
      for (const [i, pdf] of pdfs.entries()) {
        expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
        const file = path.join(dir, `${i}.pdf`);
        await fs.writeFile(file, pdf);
        expect((await run("pdftotext", [file, "-"])).stdout).toContain(`Report of ${i + 1}`);
        expect((await run("pdfinfo", [file])).stdout).toMatch(/Page size:\s+595(\.\d+)? x 842(\.\d+)? pts \(A4\)|Page size:\s+594\.96 x 841\.92 pts \(A4\)/);
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses more than MAX_WAITING at once, and the others are made", async () => {
    const calls = Array.from({ length: MAX_WAITING + 2 }, (_, n) => renderReportPdf(`/ready?n=${n}`, {}).then(() => "made", (error: unknown) => error));
    const results = await Promise.all(calls);
    expect(results.filter((r) => r === "made")).toHaveLength(MAX_WAITING);
    expect(results.filter((r) => r instanceof PdfBusyError)).toHaveLength(2);
  });

  it("gives up on a page that never becomes a report, within the time limit, and the next one is made", async () => {
    const started = Date.now();
    const error = await renderReportPdf("/never", {}, { timeLimitMs: 4_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PdfTimeoutError);
    expect((error as Error).message).toMatch(/longer than 4 s/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await renderReportPdf("/ready?n=after", {})).subarray(0, 5).toString()).toBe("%PDF-");
  });

  it("tells a page sent to sign-in, or a missing customer, from a report", async () => {
    await expect(renderReportPdf("/private", {})).rejects.toMatchObject({ state: "signed-out" });
    const missing = await renderReportPdf("/gone", {}).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(ReportPageError);
    expect(missing).toMatchObject({ state: "missing" });
  });
});

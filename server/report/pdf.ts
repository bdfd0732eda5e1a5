/**
 * The report's PDF: the report page itself (app/customers/[customerId]/report), opened by a headless
 * Chromium on this server with the requesting user's own session, and printed to A4 with its print
 * CSS. So the PDF shows exactly what the page shows that user, and no second layout exists.
 *
 * - Chromium: FLEETLENS_CHROMIUM, else the Debian or Ubuntu package's binary; none → NoChromiumError
 *   (the route answers 503 saying what to install; the page's Print button still works).
 * - One Chromium at a time (a queue of at most MAX_WAITING), each with a time limit, closed after.
 */
import fs from "node:fs";
import { chromium } from "playwright-core";
import { setting } from "../config";

/** Where the distributions put Chromium (Debian's chromium package: /usr/bin/chromium, as the e2e tests use). */
export const CHROMIUM_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome-stable", "/usr/bin/google-chrome"];
export const PDF_TIME_LIMIT_MS = 60_000;
export const MAX_WAITING = 4;

export const NO_CHROMIUM =
  "The PDF needs Chromium on the server: install it (Debian/Ubuntu: apt-get install chromium) or set FLEETLENS_CHROMIUM to its path. The report page's Print button works without it.";

export class NoChromiumError extends Error {
  constructor() {
    super(NO_CHROMIUM);
  }
}
export class PdfBusyError extends Error {
  constructor() {
    super("Other PDFs are being made: try again in a minute.");
  }
}
export class PdfTimeoutError extends Error {
  constructor(limitMs: number) {
    super(`The PDF took longer than ${Math.round(limitMs / 1000)} s and was stopped: try again, or use the report page's Print button.`);
  }
}
/** The page did not become a report: not signed in (a session is needed), or the customer is missing. */
export class ReportPageError extends Error {
  constructor(
    readonly state: "signed-out" | "missing" | "error",
    message: string,
  ) {
    super(message);
  }
}

/** The Chromium binary to use, or null when there is none. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string | null {
  const configured = env.FLEETLENS_CHROMIUM?.trim();
  const candidates = configured ? [configured] : CHROMIUM_PATHS;
  return candidates.find((p) => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }) ?? null;
}

/** This server's own address, for Chromium on the same machine (HOST when it names one interface). */
export function internalBaseUrl(): string {
  const host = setting("HOST");
  const port = setting("PORT");
  const name = !host || host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return `http://${name}:${port}`;
}

let queue: Promise<unknown> = Promise.resolve();
let waiting = 0;

/**
 * The PDF of the page at `path` (on this server), seen with these request headers (the user's
 * Cookie). Queued behind any PDF being made; PdfBusyError when the queue is full.
 */
export function renderReportPdf(path: string, headers: Record<string, string>, options: { timeLimitMs?: number } = {}): Promise<Buffer> {
  const executablePath = chromiumPath();
  if (!executablePath) return Promise.reject(new NoChromiumError());
  if (waiting >= MAX_WAITING) return Promise.reject(new PdfBusyError());
  waiting++;
  const run = queue.then(() => render(executablePath, `${internalBaseUrl()}${path}`, headers, options.timeLimitMs ?? PDF_TIME_LIMIT_MS));
  const settled = run.finally(() => {
    waiting--;
  });
  queue = settled.catch(() => {});
  return settled;
}

async function render(executablePath: string, url: string, headers: Record<string, string>, timeLimitMs: number): Promise<Buffer> {
  const started = Date.now();
  const left = () => Math.max(1_000, timeLimitMs - (Date.now() - started));
  const browser = await chromium.launch({
    executablePath,
    timeout: left(),
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
  // Whatever happens inside, the browser is gone by the time limit.
  const killer = setTimeout(() => void browser.close().catch(() => {}), timeLimitMs);
  try {
    const context = await browser.newContext({ extraHTTPHeaders: headers, colorScheme: "light", locale: "en-GB", timezoneId: "UTC" });
    const page = await context.newPage();
    page.setDefaultTimeout(left());
    await page.goto(url, { waitUntil: "load", timeout: left() });
    if (new URL(page.url()).pathname.startsWith("/login")) throw new ReportPageError("signed-out", "sign in first: the PDF is made with your browser session");
    const marker = page.locator("[data-report-state]").first();
    await marker.waitFor({ timeout: left() });
    const state = await marker.getAttribute("data-report-state");
    if (state === "missing") throw new ReportPageError("missing", "no such customer");
    if (state !== "ready") throw new ReportPageError("error", "the report page could not load the report");
    await page.evaluate(() => document.fonts.ready.then(() => undefined));
    return await page.pdf({
      format: "A4",
      printBackground: true,
      preferCSSPageSize: true,
      // Page numbers in the bottom margin (the @page margins of the report's print CSS leave room).
      displayHeaderFooter: true,
      headerTemplate: "<span></span>",
      footerTemplate: '<div style="width:100%;font-size:8px;color:#64748b;text-align:center"><span class="pageNumber"></span> / <span class="totalPages"></span></div>',
    });
  } catch (error) {
    // The time limit closed the browser under whatever was waiting: say so, not what it broke.
    if (!(error instanceof ReportPageError) && Date.now() - started >= timeLimitMs - 1_000) throw new PdfTimeoutError(timeLimitMs);
    throw error;
  } finally {
    clearTimeout(killer);
    await browser.close().catch(() => {});
  }
}

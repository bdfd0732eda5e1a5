/**
 * First-load JavaScript of each page, measured from the production build in `.next` (run
 * `npm run build` first): the chunks the browser loads before the page can run, gzip-compressed as
 * the server sends them. A page's first load is Next's runtime (build-manifest.json's rootMainFiles)
 * plus every chunk its route's client reference manifest lists for its segments (root layout,
 * error and not-found boundaries, loading states, the page). Code behind next/dynamic or
 * React.lazy is left out: it loads when it is shown, which is the point of splitting it.
 *
 *   npm run bench:bundle            prints each page's first-load kB
 *   npm run bench:bundle -- --json  the same as JSON
 *
 * The e2e test tests/e2e/bundle.test.ts holds the fleet overview and the customer page to the
 * budget below, from the build it makes.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { runInNewContext } from "node:vm";
import { gzipSync } from "node:zlib";

/** First-load budget of the fleet overview and the customer page, in kB (1000 bytes) gzipped. */
export const FIRST_LOAD_BUDGET_KB = 200;
/** The pages the budget holds for. */
export const BUDGETED_ROUTES = ["/", "/customers/[customerId]"] as const;

export interface RouteBundle {
  route: string;
  /** Chunks loaded first, each with its gzip size in bytes. */
  chunks: { file: string; gzipBytes: number; bytes: number }[];
  gzipBytes: number;
  bytes: number;
}

type ClientManifest = { entryJSFiles?: Record<string, string[]> };

const gzipCache = new Map<string, { gzipBytes: number; bytes: number }>();

function sizeOf(nextDir: string, file: string): { gzipBytes: number; bytes: number } {
  const full = path.join(nextDir, file);
  let size = gzipCache.get(full);
  if (!size) {
    const content = readFileSync(full);
    size = { gzipBytes: gzipSync(content, { level: 9 }).length, bytes: content.length };
    gzipCache.set(full, size);
  }
  return size;
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

/** The page routes of the build ("/" → "/page"), API routes and metadata routes left out. */
export function pageRoutes(nextDir: string): Map<string, string> {
  const manifest = readJson<Record<string, string>>(path.join(nextDir, "app-path-routes-manifest.json"));
  const routes = new Map<string, string>();
  for (const [entry, route] of Object.entries(manifest)) {
    if (entry.endsWith("/page") && !route.startsWith("/_")) routes.set(route, entry);
  }
  return routes;
}

/** The route's client reference manifest, as the server reads it (a script assigning a global). */
function clientManifest(nextDir: string, entry: string): ClientManifest {
  const file = path.join(nextDir, "server", "app", `${entry}_client-reference-manifest.js`);
  if (!existsSync(file)) throw new Error(`no client reference manifest for ${entry} in ${nextDir}: is it a production build?`);
  const sandbox: { globalThis?: unknown; __RSC_MANIFEST?: Record<string, ClientManifest> } = {};
  sandbox.globalThis = sandbox;
  runInNewContext(readFileSync(file, "utf8"), sandbox, { filename: file });
  const manifest = sandbox.__RSC_MANIFEST?.[entry];
  if (!manifest) throw new Error(`${file} does not describe ${entry}`);
  return manifest;
}

/** The JavaScript a route loads first, with sizes. */
export function firstLoad(nextDir: string, route: string): RouteBundle {
  const entry = pageRoutes(nextDir).get(route);
  if (!entry) throw new Error(`no page ${route} in the build at ${nextDir}`);
  const build = readJson<{ rootMainFiles?: string[] }>(path.join(nextDir, "build-manifest.json"));
  const files = new Set<string>(build.rootMainFiles ?? []);
  for (const chunks of Object.values(clientManifest(nextDir, entry).entryJSFiles ?? {})) {
    for (const chunk of chunks) files.add(chunk);
  }
  const chunks = [...files].filter((file) => file.endsWith(".js")).map((file) => ({ file, ...sizeOf(nextDir, file) }));
  return {
    route,
    chunks,
    gzipBytes: chunks.reduce((sum, chunk) => sum + chunk.gzipBytes, 0),
    bytes: chunks.reduce((sum, chunk) => sum + chunk.bytes, 0),
  };
}

export function kB(bytes: number): string {
  return (bytes / 1000).toFixed(1);
}

function main(): void {
  const nextDir = path.resolve(process.argv.find((arg) => arg.startsWith("--dir="))?.slice(6) ?? ".next");
  if (!existsSync(path.join(nextDir, "BUILD_ID"))) {
    console.error(`no production build in ${nextDir}: run npm run build first`);
    process.exit(2);
  }
  const bundles = [...pageRoutes(nextDir).keys()].sort().map((route) => firstLoad(nextDir, route));
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(bundles.map(({ route, gzipBytes, bytes, chunks }) => ({ route, gzipBytes, bytes, chunks: chunks.length })), null, 2));
    return;
  }
  const width = Math.max(...bundles.map((bundle) => bundle.route.length), 5);
  console.log(`${"route".padEnd(width)}  first-load kB (gzip)  raw kB  chunks  budget`);
  let over = 0;
  for (const bundle of bundles) {
    const budgeted = (BUDGETED_ROUTES as readonly string[]).includes(bundle.route);
    const verdict = budgeted ? (bundle.gzipBytes <= FIRST_LOAD_BUDGET_KB * 1000 ? `≤ ${FIRST_LOAD_BUDGET_KB}: ok` : `> ${FIRST_LOAD_BUDGET_KB}: OVER`) : "";
    if (budgeted && bundle.gzipBytes > FIRST_LOAD_BUDGET_KB * 1000) over++;
    console.log(
      `${bundle.route.padEnd(width)}  ${kB(bundle.gzipBytes).padStart(20)}  ${kB(bundle.bytes).padStart(6)}  ${String(bundle.chunks.length).padStart(6)}  ${verdict}`,
    );
  }
  if (over) process.exitCode = 1;
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) main();

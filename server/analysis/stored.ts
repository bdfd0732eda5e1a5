/**
 * Stored analyses: each customer's analysis is computed once after its ingest (a job: analyseCustomer)
 * and kept in Postgres (the customer_analysis table), so a page view reads it instead of computing it,
 * and every web process and worker reads the same one.
 *
 * A stored analysis serves only while it matches: its inventory version (the customer's sources and
 * their last successful runs) and its parameters hash (the parameters in force, defaults included, and
 * ANALYSIS_FORMAT) are the current ones. When one differs (a collection landed, an admin changed a
 * parameter, nothing computed yet) or the row cannot be decoded, the reader computes as before and
 * stores the result: never wrong, only slower. Each process also keeps the analyses it read in memory
 * while the version holds (customerAnalysis), as it did before analyses were stored.
 *
 * The encoding is node:v8's structured serialisation, gzipped (level 1): for a customer of 2k VMs and
 * 20k containers the analysis is 114 MB as JSON, 47 MB serialised (shared objects such as a verdict's
 * findings, listed again in `findings`, are written once) and 4.9 MB gzipped; decoding it takes about
 * a quarter of computing it (README, "Stored analyses").
 *
 * A web process (server/http/serve.ts calls keepAnalysesFresh; in Next.js' bundle NEXT_RUNTIME is
 * set) listens for stored analyses (NOTIFY customer_analysis) and decodes the new one of each
 * customer it holds in memory at once, in the background: a customer being looked at is ready in
 * memory by the next page view after a collection.
 *
 * What pages read of it is kept apart in the same row (`summary`: analysis.customer's summary and the
 * fleet table's and KPI tiles' figures, node:v8 serialised, not gzipped): for the largest customer
 * (550,000 workloads) the whole analysis is 126 MB gzipped and takes 32 s to decode, its summary
 * 3.9 MB and 60 ms. customerAnalysisSummary reads it (and keeps it in memory while the version
 * holds); a row stored before summaries were kept gets its summary from the whole analysis once.
 *
 * The analysis of a moment: measured use is read up to the time it was computed (asOf), as the
 * in-memory cache always did; the next collection computes it again.
 */
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import v8 from "node:v8";
import zlib from "node:zlib";
import pg from "pg";
import type { Database } from "../db/client";
import { analyse, type Analysis } from "./index";
import { loadInventory, PARAMETERS_SETTING } from "./load";
import { resolveParameters, type Parameters } from "./parameters";
import { trendFigures, writeTrend, type TrendFigures } from "./trends";
import { customerSummary, fleetFigures, keptTableRows, utilisationSummary, type CustomerSummary, type FleetFigures, type UtilisationSummary } from "./views";

/** Bump when the analysis's shape or rules change in a way stored rows must not survive: each is then recomputed once. */
export const ANALYSIS_FORMAT = "2";
const ENCODING = "v8+gzip";

export interface AnalysisVersion {
  /** The customer's sources and the end of each one's last successful run. */
  inventory: string;
  /** The parameters in force (defaults with the stored overrides) and ANALYSIS_FORMAT, hashed. */
  parameters: string;
  /** The parameters in force as read with the version. */
  resolved: Parameters;
}

export interface CustomerAnalysis {
  analysis: Analysis;
  parameters: Parameters;
}

/** The last overrides read (their text), resolved and hashed: once per change of them, not on every read. */
let lastParameters: { text: string | null; resolved: Parameters; hash: string } | null = null;
function parametersInForce(text: string | null): { resolved: Parameters; hash: string } {
  if (!lastParameters || lastParameters.text !== text) {
    const resolved = resolveParameters(text === null ? null : JSON.parse(text));
    const hash = createHash("sha256").update(`${ANALYSIS_FORMAT}\n${JSON.stringify(resolved)}`).digest("hex");
    lastParameters = { text, resolved, hash };
  }
  return lastParameters;
}

/** The current version of a customer's analysis: one query. */
export async function analysisVersion(database: Database, customerId: string): Promise<AnalysisVersion> {
  const { rows } = await database.pool.query<{ inventory: string; overrides: string | null }>(
    `SELECT coalesce((SELECT string_agg(s.id::text || '@' || coalesce((SELECT max(r.finished_at)::text FROM collection_run r
                                                                       WHERE r.source_id = s.id AND r.status = 'succeeded'), '-'), ','
                                        ORDER BY s.id)
                        FROM source s WHERE s.customer_id = $1), '') AS inventory,
            (SELECT value::text FROM app_setting WHERE key = $2) AS overrides`,
    [customerId, PARAMETERS_SETTING],
  );
  const { inventory, overrides } = rows[0]!;
  const { resolved, hash } = parametersInForce(overrides);
  return { inventory, parameters: hash, resolved };
}

export function encodeAnalysis(analysis: Analysis): Buffer {
  return zlib.gzipSync(v8.serialize(analysis), { level: 1 });
}

const gunzip = promisify(zlib.gunzip);

/**
 * The analysis a stored row holds; rejects when it is not one (corrupt, truncated, another format).
 * The gunzip runs on zlib's thread pool: for the largest customer it is 9 s of the decode's 29 s
 * (126 MB to 1.1 GB), which no longer stop the web process's other answers; v8.deserialize (the
 * other 20 s) has no asynchronous form.
 */
export async function decodeAnalysis(format: string, bytes: Buffer): Promise<Analysis> {
  if (format !== ENCODING) throw new Error(`stored analysis in an unknown format ${JSON.stringify(format)}`);
  const value = v8.deserialize(await gunzip(bytes)) as Partial<Analysis> | null;
  const parts = ["density", "waste", "isolation", "migration", "dependencies", "guests", "utilisation"] as const;
  if (
    !value ||
    typeof value !== "object" ||
    !parts.every((p) => value[p] && typeof value[p] === "object") ||
    !Array.isArray(value.findings) ||
    !Array.isArray(value.migration?.verdicts)
  ) {
    throw new Error("stored analysis is not an analysis");
  }
  return value as Analysis;
}

/** The stored analysis when it matches the version, else null (none, outdated, or undecodable: then recomputed). */
export async function readStoredAnalysis(database: Database, customerId: string, version: AnalysisVersion): Promise<Analysis | null> {
  const { rows } = await database.pool.query<{ format: string; result: Buffer }>(
    `SELECT format, result FROM customer_analysis WHERE customer_id = $1 AND inventory_version = $2 AND parameters_hash = $3`,
    [customerId, version.inventory, version.parameters],
  );
  if (!rows[0]) return null;
  try {
    const analysis = await decodeAnalysis(rows[0].format, rows[0].result);
    decodings++;
    return analysis;
  } catch (error) {
    console.warn(`stored analysis of customer ${customerId} not read, computing it again: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

/**
 * Bump when the summary's shape changes: a stored summary of another format is made again from its
 * whole analysis once (and written back), without computing the analysis again.
 * 2: the long lists are first pages with their lengths (views.ts SUMMARY_LISTS); the Utilisation
 *    tab's figures kept too.
 * 3: the verdicts' and findings' first rows in the tables' default order (views.ts keptTableRows).
 * 4: the Utilisation tab's VMs' first rows, the guests and the dependencies.
 */
export const SUMMARY_FORMAT = 4;

/**
 * What pages read of an analysis, kept with it: the customer page's summary, its Utilisation tab's
 * figures, the first rows of the Verdicts and Findings tabs and of the Utilisation tab's VMs, the
 * Guests and Dependencies tabs (sent whole to the browser, so no larger kept than sent), and the
 * fleet's figures. Opening any tab of the customer page reads no whole analysis.
 */
export interface AnalysisSummary {
  format: typeof SUMMARY_FORMAT;
  customer: CustomerSummary;
  utilisation: UtilisationSummary;
  tables: ReturnType<typeof keptTableRows>;
  guests: Analysis["guests"];
  dependencies: Analysis["dependencies"];
  fleet: FleetFigures;
}

export function summariseAnalysis(analysis: Analysis): AnalysisSummary {
  return {
    format: SUMMARY_FORMAT,
    customer: customerSummary(analysis),
    utilisation: utilisationSummary(analysis),
    tables: keptTableRows(analysis),
    guests: analysis.guests,
    dependencies: analysis.dependencies,
    fleet: fleetFigures(analysis),
  };
}

export function encodeSummary(summary: AnalysisSummary): Buffer {
  return v8.serialize(summary);
}

/** The summary a stored row holds; throws when it is not one. */
export function decodeSummary(bytes: Buffer): AnalysisSummary {
  const value = v8.deserialize(bytes) as Partial<AnalysisSummary> | null;
  const customer = value?.customer as Partial<CustomerSummary> | undefined;
  if (value && typeof value === "object" && value.format !== SUMMARY_FORMAT) {
    throw new Error(`stored summary of format ${JSON.stringify(value.format ?? 1)}, not ${SUMMARY_FORMAT}`);
  }
  if (!value || typeof value !== "object" || !customer || !customer.density || !customer.migration || !value.fleet || !value.fleet.verdicts || !value.utilisation?.totals || !Array.isArray(value.tables?.verdicts?.rows) || !Array.isArray(value.tables?.findings?.rows)) {
    throw new Error("stored summary is not an analysis summary");
  }
  return value as AnalysisSummary;
}

let computations = 0;
let decodings = 0;
/** How many analyses this process has computed (tests and the bench count them). */
export const analysesComputed = () => computations;
/** How many stored analyses this process has read and decoded. */
export const analysesDecoded = () => decodings;
const CHANNEL = "customer_analysis";

/** Computes the customer's analysis for this version and stores it (a failed write is a warning: the analysis is still right). */
export async function computeAndStoreAnalysis(database: Database, customerId: string, version: AnalysisVersion): Promise<CustomerAnalysis> {
  const started = performance.now();
  const parameters = version.resolved;
  const inventory = await loadInventory(database, [customerId], { periodDays: parameters.utilisationPeriodDays });
  const analysis = analyse(inventory, parameters);
  computations++;
  const computeMs = Math.round(performance.now() - started);
  try {
    const result = encodeAnalysis(analysis);
    const summary = encodeSummary(summariseAnalysis(analysis));
    await database.pool.query(
      `INSERT INTO customer_analysis (customer_id, inventory_version, parameters_hash, format, computed_at, compute_ms, bytes, result, summary)
       SELECT $1, $2, $3, $4, now(), $5, $6, $7, $8 WHERE EXISTS (SELECT 1 FROM customer WHERE id = $1)
       ON CONFLICT (customer_id) DO UPDATE
         SET inventory_version = excluded.inventory_version, parameters_hash = excluded.parameters_hash, format = excluded.format,
             computed_at = excluded.computed_at, compute_ms = excluded.compute_ms, bytes = excluded.bytes, result = excluded.result,
             summary = excluded.summary`,
      [customerId, version.inventory, version.parameters, ENCODING, computeMs, result.length, result, summary],
    );
    await database.pool.query(`SELECT pg_notify('${CHANNEL}', $1)`, [customerId]);
  } catch (error) {
    console.warn(`analysis of customer ${customerId} not stored: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { analysis, parameters };
}

interface Cached {
  key: string;
  analysis: Promise<CustomerAnalysis>;
}
/** Per database (a process normally has one), per customer. */
let caches = new WeakMap<Database, Map<string, Cached>>();
let summaryCaches = new WeakMap<Database, Map<string, { key: string; summary: Promise<AnalysisSummary> }>>();
const CACHE_LIMIT = 64;
function cacheOf(database: Database): Map<string, Cached> {
  let cache = caches.get(database);
  if (!cache) caches.set(database, (cache = new Map()));
  return cache;
}

/** Forgets the analyses this process keeps in memory (as a new process starts: tests, the bench). */
export function forgetCachedAnalyses(): void {
  caches = new WeakMap();
  summaryCaches = new WeakMap();
}

/**
 * What pages read of one customer's analysis (its summary and fleet figures), for the current
 * inventory and parameters: from this process's memory, else the stored row's summary, else made
 * from the whole analysis (read or computed as customerAnalysis does) and kept in the row.
 */
export async function customerAnalysisSummary(database: Database, customerId: string): Promise<AnalysisSummary> {
  const version = await analysisVersion(database, customerId);
  const key = `${version.inventory}|${version.parameters}`;
  let cache = summaryCaches.get(database);
  if (!cache) summaryCaches.set(database, (cache = new Map()));
  const hit = cache.get(customerId);
  if (hit && hit.key === key) return hit.summary;
  const summary = (async (): Promise<AnalysisSummary> => {
    const { rows } = await database.pool.query<{ summary: Buffer | null }>(
      `SELECT summary FROM customer_analysis WHERE customer_id = $1 AND inventory_version = $2 AND parameters_hash = $3`,
      [customerId, version.inventory, version.parameters],
    );
    if (rows[0]?.summary) {
      try {
        return decodeSummary(rows[0].summary);
      } catch (error) {
        console.warn(`stored summary of customer ${customerId} not read, making it again: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    const made = summariseAnalysis((await currentAnalysis(database, customerId)).analysis);
    if (rows[0]) {
      // A row stored without its summary (before summaries were kept): keep it there now.
      await database.pool
        .query(`UPDATE customer_analysis SET summary = $4 WHERE customer_id = $1 AND inventory_version = $2 AND parameters_hash = $3`, [
          customerId,
          version.inventory,
          version.parameters,
          encodeSummary(made),
        ])
        .catch((error: unknown) => console.warn(`summary of customer ${customerId} not stored: ${error instanceof Error ? error.message : String(error)}`));
    }
    return made;
  })();
  cache.delete(customerId);
  cache.set(customerId, { key, summary });
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  summary.catch(() => {
    if (cache.get(customerId)?.summary === summary) cache.delete(customerId);
  });
  return summary;
}

let keepFresh = false;
/**
 * The web server's call (server/http/serve.ts, which answers the API outside Next.js' bundle): the
 * analyses this process reads into memory are read again when a new one is stored (refreshOnStore).
 */
export function keepAnalysesFresh(on = true): void {
  keepFresh = on;
}

/**
 * The analysis of one customer's stored inventory: from this process's memory, else the stored one,
 * else computed (and stored) now; only ever for the current inventory and parameters.
 */
export async function customerAnalysis(database: Database, customerId: string): Promise<CustomerAnalysis> {
  if (keepFresh || process.env.NEXT_RUNTIME === "nodejs") refreshOnStore(database);
  return currentAnalysis(database, customerId);
}

async function currentAnalysis(database: Database, customerId: string): Promise<CustomerAnalysis> {
  const version = await analysisVersion(database, customerId);
  const key = `${version.inventory}|${version.parameters}`;
  const cache = cacheOf(database);
  const hit = cache.get(customerId);
  if (hit && hit.key === key) return hit.analysis;
  const analysis = (async (): Promise<CustomerAnalysis> => {
    const stored = await readStoredAnalysis(database, customerId, version);
    if (stored) return { analysis: stored, parameters: version.resolved };
    return computeAndStoreAnalysis(database, customerId, version);
  })();
  cache.delete(customerId);
  cache.set(customerId, { key, analysis });
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  analysis.catch(() => {
    if (cache.get(customerId)?.analysis === analysis) cache.delete(customerId);
  });
  return analysis;
}

/**
 * The job after a customer's ingest (pg-boss `analyse-customer`): its analysis computed for the
 * inventory as it now is and stored (unless a matching one is stored already; `force` recomputes
 * anyway), and its trend point recorded at `at` (the run's end).
 */
export async function analyseCustomer(
  database: Database,
  customerId: string,
  options: { at?: Date; force?: boolean } = {},
): Promise<{ figures: TrendFigures; computed: boolean }> {
  const before = computations;
  let result: CustomerAnalysis;
  if (options.force) {
    result = await computeAndStoreAnalysis(database, customerId, await analysisVersion(database, customerId));
    cacheOf(database).delete(customerId);
  } else {
    result = await currentAnalysis(database, customerId);
  }
  const figures = trendFigures(result.analysis);
  await writeTrend(database, customerId, options.at ?? new Date(), figures);
  return { figures, computed: computations > before };
}

/**
 * The stored analysis of a customer this process holds in memory, read into memory when it is newer
 * than the one held. Never computes: a row this process does not take as current (another version of
 * the parameters or of ANALYSIS_FORMAT, as while a new release rolls out) is left alone, so two
 * processes can never make each other recompute in turn.
 */
async function refreshFromStore(database: Database, customerId: string): Promise<void> {
  const cache = cacheOf(database);
  const held = cache.get(customerId);
  if (!held) return;
  const version = await analysisVersion(database, customerId);
  const key = `${version.inventory}|${version.parameters}`;
  if (held.key === key) return;
  const stored = await readStoredAnalysis(database, customerId, version);
  if (!stored || cache.get(customerId) !== held) return;
  cache.set(customerId, { key, analysis: Promise.resolve({ analysis: stored, parameters: version.resolved }) });
}

const listeners = new WeakMap<Database, { client: pg.Client | null; stopped: boolean }>();

/**
 * Listens for analyses stored by any process (the collection's job) and reads the new one of each
 * customer this process holds in memory, in the background, so its next page view does not wait.
 * Started by the first read in a web process; one listening connection per database, reconnected
 * after an error.
 */
export function refreshOnStore(database: Database): void {
  if (listeners.has(database)) return;
  const state: { client: pg.Client | null; stopped: boolean } = { client: null, stopped: false };
  listeners.set(database, state);
  const connectionString = (database.pool as unknown as { options: { connectionString?: string } }).options.connectionString;
  if (!connectionString) return;
  const retry = () => {
    state.client = null;
    if (!state.stopped) setTimeout(() => void listen(), 5_000).unref();
  };
  const listen = async () => {
    const client = new pg.Client({ connectionString });
    state.client = client;
    client.on("notification", (message) => {
      const customerId = message.payload;
      if (customerId) refreshFromStore(database, customerId).catch(() => undefined);
    });
    client.on("error", () => {
      client.end().catch(() => undefined);
      retry();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch {
      client.end().catch(() => undefined);
      retry();
    }
  };
  void listen();
}

/** Stops listening (tests; a process that closes its database). */
export async function stopRefreshing(database: Database): Promise<void> {
  const state = listeners.get(database);
  if (!state) return;
  state.stopped = true;
  listeners.delete(database);
  await state.client?.end().catch(() => undefined);
}

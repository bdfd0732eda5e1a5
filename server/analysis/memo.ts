/**
 * A table's rows of one analysis, kept while that analysis is the one in memory: paging, the object
 * pages and every viewer of the same customer ask for the same filtered, sorted rows again and again,
 * and building them means visiting every finding or verdict (about 1 s per 100k findings: bench/api).
 * Keyed by the analysis object (a new analysis, after a collection or a change of parameters, starts
 * afresh; the old one's rows go with it) and by the filter without its page. The rows are shared:
 * frozen, so that no caller sorts or changes another's.
 */
import type { Analysis } from "./index";

const PER_ANALYSIS = 6;
const kept = new WeakMap<Analysis, Map<string, readonly unknown[]>>();

export function memoisedRows<F extends object, R>(build: (analysis: Analysis, filter: F) => R[], analysis: Analysis, filter: F): readonly R[] {
  const { page: _page, pageSize: _pageSize, customerId: _customerId, ...rest } = filter as Record<string, unknown>;
  const key = `${build.name}|${JSON.stringify(rest)}`;
  let entries = kept.get(analysis);
  if (!entries) kept.set(analysis, (entries = new Map()));
  const hit = entries.get(key);
  if (hit) {
    // The most recently used last: the first is the one dropped.
    entries.delete(key);
    entries.set(key, hit);
    return hit as readonly R[];
  }
  const rows = Object.freeze(build(analysis, filter));
  entries.set(key, rows);
  if (entries.size > PER_ANALYSIS) entries.delete(entries.keys().next().value!);
  return rows;
}

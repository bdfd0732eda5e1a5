/**
 * A table's rows of one analysis, kept while that analysis is the one in memory: paging, the object
 * pages and every viewer of the same customer ask for the same filtered, sorted rows again and again,
 * and sorting them means visiting every finding or verdict (2.5 million findings for the largest
 * customer: bench/api). Keyed by the analysis object (a new analysis, after a collection or a change
 * of parameters, starts afresh; the old one's rows go with it) and by the filter without its page.
 * What is kept is shared: rows are frozen, so that no caller sorts or changes another's.
 */
import type { Analysis } from "./index";
import type { RowList } from "./views";

const PER_ANALYSIS = 6;
const kept = new WeakMap<Analysis, Map<string, unknown>>();

function memoised<F extends object, T>(name: string, build: (analysis: Analysis, filter: F) => T, analysis: Analysis, filter: F): T {
  const { page: _page, pageSize: _pageSize, customerId: _customerId, ...rest } = filter as Record<string, unknown>;
  const key = `${name}|${JSON.stringify(rest)}`;
  let entries = kept.get(analysis);
  if (!entries) kept.set(analysis, (entries = new Map()));
  if (entries.has(key)) {
    const hit = entries.get(key) as T;
    // The most recently used last: the first is the one dropped.
    entries.delete(key);
    entries.set(key, hit);
    return hit;
  }
  const made = build(analysis, filter);
  entries.set(key, made);
  if (entries.size > PER_ANALYSIS) entries.delete(entries.keys().next().value!);
  return made;
}

/** All the rows, built once per analysis and filter. */
export function memoisedRows<F extends object, R>(build: (analysis: Analysis, filter: F) => R[], analysis: Analysis, filter: F): readonly R[] {
  return memoised(`rows:${build.name}`, (a: Analysis, f: F) => Object.freeze(build(a, f)), analysis, filter);
}

/** The rows filtered and sorted once per analysis and filter, each page's made when asked for. */
export function memoisedList<F extends object, R>(build: (analysis: Analysis, filter: F) => RowList<R>, analysis: Analysis, filter: F): RowList<R> {
  return memoised(`list:${build.name}`, build, analysis, filter);
}

import { describe, expect, it } from "vitest";
import type { Analysis } from "../../server/analysis";
import { memoisedList, memoisedRows } from "../../server/analysis/memo";
import type { z } from "zod";
import {
  findingFilterSchema,
  findingList,
  findingRows,
  isDefaultFilter,
  keptSlice,
  type KeptRows,
  verdictFilterSchema,
  verdictList,
  verdictRowOf,
  verdictRows,
} from "../../server/analysis/views";

describe("memoisedRows", () => {
  const counting = () => {
    const calls: unknown[] = [];
    function rowsOf(_analysis: Analysis, filter: { sort: string; search: string }) {
      calls.push(filter);
      return [`${filter.sort}:${filter.search}:1`, `${filter.sort}:${filter.search}:2`];
    }
    return { calls, rowsOf };
  };

  it("builds a filter's rows once per analysis, whatever the page and customer id", () => {
    const { calls, rowsOf } = counting();
    const analysis = {} as Analysis;
    const first = memoisedRows(rowsOf, analysis, { sort: "name", search: "", page: 0, pageSize: 25, customerId: "a" });
    const again = memoisedRows(rowsOf, analysis, { sort: "name", search: "", page: 3, pageSize: 50, customerId: "a" });
    expect(again).toBe(first);
    expect(calls).toHaveLength(1);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => (first as string[]).sort()).toThrow();
  });

  it("builds again for another sort, another search, or another analysis of the same customer", () => {
    const { calls, rowsOf } = counting();
    const analysis = {} as Analysis;
    memoisedRows(rowsOf, analysis, { sort: "name", search: "" });
    expect(memoisedRows(rowsOf, analysis, { sort: "ram", search: "" })).toEqual(["ram::1", "ram::2"]);
    expect(memoisedRows(rowsOf, analysis, { sort: "name", search: "web" })).toEqual(["name:web:1", "name:web:2"]);
    const newer = {} as Analysis;
    memoisedRows(rowsOf, newer, { sort: "name", search: "" });
    expect(calls).toHaveLength(4);
  });

  it("keeps the six most recently used filters of an analysis", () => {
    const { calls, rowsOf } = counting();
    const analysis = {} as Analysis;
    for (const search of ["a", "b", "c", "d", "e", "f"]) memoisedRows(rowsOf, analysis, { sort: "name", search });
    memoisedRows(rowsOf, analysis, { sort: "name", search: "a" }); // used again: now the newest
    memoisedRows(rowsOf, analysis, { sort: "name", search: "g" }); // drops "b", the oldest
    expect(calls).toHaveLength(7);
    memoisedRows(rowsOf, analysis, { sort: "name", search: "a" });
    expect(calls).toHaveLength(7);
    memoisedRows(rowsOf, analysis, { sort: "name", search: "b" });
    expect(calls).toHaveLength(8);
  });
});

describe("memoisedList and the tables' row lists", () => {
  it("keeps a list apart from the rows of the same build and filter", () => {
    const analysis = {} as Analysis;
    function table(_analysis: Analysis, _filter: { sort: string }) {
      return { total: 1, slice: () => ["row"] };
    }
    const list = memoisedList(table, analysis, { sort: "name" });
    expect(memoisedList(table, analysis, { sort: "name", page: 4 })).toBe(list);
    expect(memoisedRows((a: Analysis, f: { sort: string }) => table(a, f).slice(), analysis, { sort: "name" })).toEqual(["row"]);
  });

  it("makes a page's rows only: the verdicts' and findings' other rows are sorted, not built", () => {
    let built = 0;
    const verdict = (i: number) => {
      const v = {
        key: `k${i}`, name: `vm-${i}`, kind: "vm", verdict: "stay", fit: null, fitLabel: null, reason: "r", hostName: `h${i % 3}`, hostKey: null,
        cluster: null, tenant: null, os: null, role: null, roleLabel: null, roleEvidence: [], saving: { ramMiB: i, diskMiB: 0, cpuMillis: 0 }, findings: [],
      };
      // Reading a verdict's evidence is what building its row does.
      Object.defineProperty(v, "evidence", { get: () => (built++, []) });
      return v;
    };
    const findings = Array.from({ length: 500 }, (_, i) => ({ ruleId: "container-host", severity: "high", objectKind: "vm", objectKey: `k${i}`, objectName: `vm-${i}`, detail: null }));
    const analysis = { migration: { verdicts: Array.from({ length: 500 }, (_, i) => verdict(i)) }, isolation: { containers: [] }, findings } as unknown as Analysis;
    const list = verdictList(analysis, verdictFilterSchema.parse({}));
    expect(list.total).toBe(500);
    const page = list.slice(25, 50);
    expect(built).toBe(25);
    // ramMiB descending by default: vm-474 … vm-450 on the second page.
    expect(page.map((r) => r.name)).toEqual(Array.from({ length: 25 }, (_, i) => `vm-${474 - i}`));
    expect(verdictRows(analysis, verdictFilterSchema.parse({})).slice(25, 50)).toEqual(page);

    const findingPage = findingList(analysis, findingFilterSchema.parse({ sort: { column: "name", direction: "asc" } })).slice(0, 3);
    expect(findingPage.map((r) => [r.name, r.host])).toEqual([["vm-0", "h0"], ["vm-1", "h1"], ["vm-10", "h1"]]);
    expect(findingRows(analysis, findingFilterSchema.parse({ sort: { column: "name", direction: "asc" } })).slice(0, 3)).toEqual(findingPage);

    // An object's page: its verdict's row and its findings' rows, no other object's.
    built = 0;
    const one = verdictRowOf(analysis, "k7");
    expect(built).toBe(1);
    expect(one).toEqual(verdictRows(analysis, verdictFilterSchema.parse({})).find((r) => r.key === "k7"));
    expect(verdictRowOf(analysis, "nope")).toBeNull();
    const own = findingList(analysis, findingFilterSchema.parse({}), "k7");
    expect(own.total).toBe(1);
    expect(own.slice(0, 1)).toEqual(findingRows(analysis, findingFilterSchema.parse({})).filter((r) => r.key.startsWith("k7:")));
    expect(findingList(analysis, findingFilterSchema.parse({}), "k").total).toBe(0);
  });
});

/** A page from the kept rows as analysis.verdicts/findings take it (routers/analysis.ts keptPageOf): a default filter's, else none. */
const keptPage = <R>(kept: KeptRows<R>, schema: z.ZodObject, filter: Record<string, unknown>, start: number, end: number) =>
  isDefaultFilter(schema, filter) ? keptSlice(kept, start, end) : null;

describe("keptPage: a table's first rows kept with the summary", () => {
  const kept = { rows: Array.from({ length: 100 }, (_, i) => `r${i}`), total: 1000 };
  it("gives a page of the default filter, however the defaults are spelled", () => {
    expect(keptPage(kept, verdictFilterSchema, {}, 25, 50)).toEqual({ rows: kept.rows.slice(25, 50), total: 1000 });
    expect(keptPage(kept, verdictFilterSchema, { search: "", sort: { column: "ramMiB", direction: "desc" }, page: 3, customerId: "c" }, 75, 100)?.rows).toHaveLength(25);
  });
  it("gives nothing for another sort, a filter, a search, or rows past the kept ones", () => {
    expect(keptPage(kept, verdictFilterSchema, { sort: { column: "ramMiB", direction: "asc" } }, 0, 25)).toBeNull();
    expect(keptPage(kept, verdictFilterSchema, { kind: "vm" }, 0, 25)).toBeNull();
    expect(keptPage(kept, findingFilterSchema, { search: "x" }, 0, 25)).toBeNull();
    expect(keptPage(kept, findingFilterSchema, {}, 90, 110)).toBeNull();
  });
  it("gives the last short page when every row is kept", () => {
    const all = { rows: ["a", "b", "c"], total: 3 };
    expect(keptPage(all, findingFilterSchema, {}, 0, 25)).toEqual({ rows: ["a", "b", "c"], total: 3 });
    expect(keptPage(all, findingFilterSchema, {}, 25, 50)).toEqual({ rows: [], total: 3 });
  });
});

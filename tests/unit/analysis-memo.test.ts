import { describe, expect, it } from "vitest";
import type { Analysis } from "../../server/analysis";
import { memoisedRows } from "../../server/analysis/memo";

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

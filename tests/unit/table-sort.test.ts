import { describe, expect, it } from "vitest";
import { sortTableRows, type SortValue } from "../../server/analysis/table-sort";

interface Row {
  id: number;
  name: string;
  tie: string;
  value: SortValue;
}

// The comparators the tables sorted with before (server/analysis/views.ts), as the oracle.
const compare = (a: SortValue, b: SortValue) => {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b));
};
const tableOrder = (sign: 1 | -1) => (a: Row, b: Row) => sign * compare(a.value, b.value) || a.name.localeCompare(b.name) || a.tie.localeCompare(b.tie);
const vmUseOrder = (sign: 1 | -1) => (a: Row, b: Row) => {
  const x = a.value;
  const y = b.value;
  if (x === null || y === null) return x === y ? a.name.localeCompare(b.name) : x === null ? 1 : -1;
  const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
  return sign * order || a.name.localeCompare(b.name);
};

// Text that collation orders unlike code points: case, accents (composed and not: equal to
// localeCompare though different strings), hyphens, digits, other scripts, empty.
const WORDS = ["vm-10", "vm-9", "VM-9", "vm9", "Vm-9", "étable", "e\u0301table", "etable", "Zeta", "zeta", "ß", "ss", "", "-", "a b", "a-b", "ab", "Ω", "日本", "10", "9", "crm-cache-1", "crm_cache_1"];

function random(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

function rows(count: number, kind: "number" | "text", seed: number): Row[] {
  const next = random(seed);
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)]!;
  return Array.from({ length: count }, (_, id) => {
    const roll = next();
    const number = pick([0, -0, 1, 2, 2.5, -1, 1e9, -1e-9, 4096]);
    const value: SortValue = roll < 0.15 ? null : kind === "number" ? number : pick(WORDS);
    return { id, name: pick(WORDS), tie: pick(WORDS), value };
  });
}

describe("the tables' order by ranks", () => {
  for (const kind of ["number", "text"] as const) {
    for (const sign of [1, -1] as const) {
      it(`is the comparator's order: ${kind} column, ${sign === 1 ? "ascending" : "descending"}, nulls by direction and nulls last`, () => {
        for (const seed of [1, 2, 3]) {
          const input = rows(800, kind, seed * 7 + sign);
          const expected = [...input].sort(tableOrder(sign)).map((r) => r.id);
          expect(sortTableRows([...input], (r) => r.value, sign, (r) => r.name, (r) => r.tie).map((r) => r.id)).toEqual(expected);
          const expectedVmUse = [...input].sort(vmUseOrder(sign)).map((r) => r.id);
          expect(sortTableRows([...input], (r) => r.value, sign, (r) => r.name, () => "", { nullsLast: true }).map((r) => r.id)).toEqual(expectedVmUse);
        }
      });
    }
  }

  it("sorts NaN as null (the comparator had no order for it)", () => {
    for (const sign of [1, -1] as const) {
      const input = rows(300, "number", 5).map((r, i) => (i % 7 === 0 ? { ...r, value: Number.NaN } : r));
      const asNull = input.map((r) => ({ ...r, value: Number.isNaN(r.value) ? null : r.value }));
      const expected = asNull.sort(tableOrder(sign)).map((r) => r.id);
      expect(sortTableRows([...input], (r) => r.value, sign, (r) => r.name, (r) => r.tie).map((r) => r.id)).toEqual(expected);
    }
  });

  it("sorts in place and returns the array; an empty table stays empty", () => {
    const input = rows(50, "text", 9);
    expect(sortTableRows(input, (r) => r.value, 1, (r) => r.name, (r) => r.tie)).toBe(input);
    expect(sortTableRows([] as Row[], (r) => r.value, 1, (r) => r.name, (r) => r.tie)).toEqual([]);
  });

  it("keeps equal rows in their order (stable), strings localeCompare calls equal included", () => {
    const input: Row[] = [
      { id: 0, name: "e\u0301table", tie: "x", value: 1 },
      { id: 1, name: "étable", tie: "x", value: 1 },
      { id: 2, name: "e\u0301table", tie: "x", value: 1 },
    ];
    expect("e\u0301table".localeCompare("étable")).toBe(0);
    expect(sortTableRows([...input], (r) => r.value, 1, (r) => r.name, (r) => r.tie).map((r) => r.id)).toEqual([0, 1, 2]);
    expect(sortTableRows([...input].reverse(), (r) => r.value, 1, (r) => r.name, (r) => r.tie).map((r) => r.id)).toEqual([2, 1, 0]);
  });
});

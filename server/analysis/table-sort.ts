/**
 * The verdict, finding and VM-use tables' order, computed without a comparator. Their order is a
 * column (numbers by value, text by String.prototype.localeCompare, nulls after, the direction
 * applied to both) then the name, then a tie-break text. Sorting the largest customer's 2.5 million
 * findings with localeCompare in a comparator took 6–9 s of the web process (most rows tie on
 * severity, so nearly every comparison reached the names), and even a comparator of integers
 * takes 3.6 s there. Here each distinct value is ranked once (text sorted by the same
 * localeCompare, strings it calls equal given equal ranks), and the rows are ordered by three
 * stable passes of a native numeric sort (least significant key first): the same order, as the
 * test checks against the comparator itself.
 *
 * NaN sorts as null; a number in a column that also holds text is compared as its text.
 */

export type SortValue = string | number | null;

/** `order` (row indexes) stably reordered by `key(row)` (integers from 0 up to at most rows). */
function stablePass(order: Uint32Array, key: (row: number) => number): Uint32Array {
  const n = order.length;
  const keys = new Float64Array(n);
  // key * n + position: integers below 2^53 while n is below 94 million; ties keep their position.
  for (let k = 0; k < n; k++) keys[k] = key(order[k]!) * n + k;
  keys.sort();
  const next = new Uint32Array(n);
  for (let k = 0; k < n; k++) next[k] = order[keys[k]! % n]!;
  return next;
}

/**
 * `rows` sorted in place as by
 * `sign * compare(value(a), value(b)) || a.name.localeCompare(b.name) || tie(a).localeCompare(tie(b))`,
 * where compare puts null after any value (before them when sign is -1). `nullsLast` keeps nulls
 * after whatever the direction, the VM-use table's way (whose ties go to the name alone: give
 * `tie` as () => "").
 */
export function sortTableRows<R>(
  rows: R[],
  value: (row: R) => SortValue,
  sign: 1 | -1,
  name: (row: R) => string,
  tie: (row: R) => string,
  options: { nullsLast?: boolean } = {},
): R[] {
  const n = rows.length;
  if (n < 2) return rows;
  if (n >= 94_000_000) throw new Error(`too many rows to sort: ${n}`);
  // One pass over the rows (each is a cache miss in a large analysis: ~100 ns): every string is
  // given an id on first sight, and the rest works on typed arrays of ids.
  const ids = new Map<string, number>();
  const strings: string[] = [];
  const idOf = (text: string) => {
    let id = ids.get(text);
    if (id === undefined) {
      id = strings.length;
      ids.set(text, id);
      strings.push(text);
    }
    return id;
  };
  const nameIds = new Uint32Array(n);
  const tieIds = new Uint32Array(n);
  const numbers = new Float64Array(n);
  const textIds = new Int32Array(n).fill(-1);
  const isNull = new Uint8Array(n);
  let isText = false;
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    nameIds[i] = idOf(name(row));
    tieIds[i] = idOf(tie(row));
    const v = value(row);
    if (v === null || (typeof v === "number" && Number.isNaN(v))) isNull[i] = 1;
    else if (typeof v === "number") numbers[i] = v;
    else {
      isText = true;
      textIds[i] = idOf(v);
    }
  }
  // A number in a text column is compared as its text.
  if (isText) for (let i = 0; i < n; i++) if (!isNull[i] && textIds[i]! < 0) textIds[i] = idOf(String(numbers[i]));
  // Collation ranks of the distinct strings: sorted by localeCompare, equal by it sharing a rank.
  const byCollation = Array.from(strings.keys()).sort((a, b) => strings[a]!.localeCompare(strings[b]!));
  const rankOf = new Uint32Array(strings.length);
  for (let k = 0, rank = 0; k < byCollation.length; k++) {
    if (k > 0 && strings[byCollation[k - 1]!]!.localeCompare(strings[byCollation[k]!]!) !== 0) rank++;
    rankOf[byCollation[k]!] = rank;
  }
  // The column's ranks: text by collation (a number in a text column as its text), numbers by value.
  const valueRanks = new Uint32Array(n);
  let top: number;
  if (isText) {
    for (let i = 0; i < n; i++) if (!isNull[i]) valueRanks[i] = rankOf[textIds[i]!]!;
    const used = new Set<number>();
    for (let i = 0; i < n; i++) if (!isNull[i]) used.add(valueRanks[i]!);
    const dense = new Map(Array.from(Uint32Array.from(used).sort(), (r, k) => [r, k]));
    for (let i = 0; i < n; i++) if (!isNull[i]) valueRanks[i] = dense.get(valueRanks[i]!)!;
    top = dense.size;
  } else {
    const present = new Set<number>();
    for (let i = 0; i < n; i++) if (!isNull[i]) present.add(numbers[i]!);
    const distinct = Float64Array.from(present).sort();
    const rank = new Map(Array.from(distinct, (x, k) => [x, k]));
    for (let i = 0; i < n; i++) if (!isNull[i]) valueRanks[i] = rank.get(numbers[i]!)!;
    top = distinct.length;
  }
  // In the sorted direction: nulls after (asc), before (desc) or always after (nullsLast).
  const primary = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    if (isNull[i]) primary[i] = sign === 1 || options.nullsLast ? top : 0;
    else primary[i] = sign === 1 ? valueRanks[i]! : options.nullsLast ? top - 1 - valueRanks[i]! : top - valueRanks[i]!;
  }
  let order: Uint32Array = Uint32Array.from({ length: n }, (_, i) => i);
  order = stablePass(order, (i) => rankOf[tieIds[i]!]!);
  order = stablePass(order, (i) => rankOf[nameIds[i]!]!);
  order = stablePass(order, (i) => primary[i]!);
  const sorted = Array.from(order, (i) => rows[i]!);
  for (let i = 0; i < n; i++) rows[i] = sorted[i]!;
  return rows;
}

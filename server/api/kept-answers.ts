/**
 * Answers served many times unchanged: a stored summary (analysis.customer, analysis.utilisation,
 * the Verdicts and Findings tabs' first pages) is the same object until its customer's analysis
 * changes, and walking it with superjson on every call was a third of the web process's time for
 * analysis.customer (a profile of 20 clients: 4.3 s of 12 s in superjson, more in the collections
 * of what it allocated). An answer made by keptAnswer is serialised once, on its first call, and
 * that result is sent again while the object lives; it must not be changed after it is made
 * (nothing here does: the summaries are only read).
 */
import superjson from "superjson";

type Serialised = ReturnType<typeof superjson.serialize>;

/** Kept answers: null until first serialised. */
const serialised = new WeakMap<object, Serialised | null>();
/** The answers made of each source object, by key (so the same source and key give the same answer object). */
const made = new WeakMap<object, Map<string, object>>();

/**
 * The answer `make` gives of `source`, made once per source object (and `key`: e.g. which page of
 * it) and serialised once.
 */
export function keptAnswer<S extends object, T extends object>(source: S, make: (source: S) => T, key = ""): T {
  let answers = made.get(source);
  if (!answers) made.set(source, (answers = new Map()));
  let answer = answers.get(key) as T | undefined;
  if (!answer) {
    answer = make(source);
    answers.set(key, answer);
    serialised.set(answer, null);
  }
  return answer;
}

/** superjson, but a kept answer's serialisation is made once and reused. */
export const transformer = {
  serialize(value: unknown): Serialised {
    if (typeof value !== "object" || value === null || !serialised.has(value)) return superjson.serialize(value);
    let result = serialised.get(value);
    if (!result) {
      result = superjson.serialize(value);
      serialised.set(value, result);
    }
    return result;
  },
  deserialize: superjson.deserialize.bind(superjson),
};

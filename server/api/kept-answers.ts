/**
 * Answers served many times unchanged: a stored summary (analysis.customer, analysis.utilisation,
 * the Verdicts and Findings tabs' first pages) is the same object until its customer's analysis
 * changes, and walking it with superjson on every call was a third of the web process's time for
 * analysis.customer (a profile of 20 clients: 4.3 s of 12 s in superjson, more in the collections
 * of what it allocated). An answer made by keptAnswer is serialised once, on its first call, and
 * that result is sent again while the object lives; it must not be changed after it is made
 * (nothing here does: the summaries are only read).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
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

/** An object sent as it is, kept (a part of a stored summary). */
export const keptAsIs = <T extends object>(answer: T): T => keptAnswer(answer, (same) => same);

function serialisedOnce(value: object): Serialised {
  let result = serialised.get(value);
  if (!result) {
    result = superjson.serialize(value);
    serialised.set(value, result);
  }
  return result;
}

/**
 * A kept answer's JSON text, made once: tRPC writes the answer with JSON.stringify on every call
 * (analysis.customer: 149 kB each time). Where the endpoint splices answers in itself
 * (spliceKeptAnswers, server/http/trpc.ts), the answer goes through tRPC as a mark and its text is
 * put in the body's place of the mark.
 */
const jsonText = new WeakMap<object, Buffer>();
let jsonTextsMade = 0;
/** How many kept answers' JSON texts this process has made (tests). */
export const keptJsonTextsMade = () => jsonTextsMade;

function jsonTextOnce(value: object): Buffer {
  let text = jsonText.get(value);
  if (!text) {
    text = Buffer.from(JSON.stringify(serialisedOnce(value)));
    jsonText.set(value, text);
    jsonTextsMade++;
  }
  return text;
}

/** A request's marks: each mark (as JSON.stringify writes it, quotes included) and the answer it stands for. */
export type KeptMarks = Map<string, object>;
const requestMarks = new AsyncLocalStorage<KeptMarks>();

/**
 * Runs `handle` (a tRPC request) so that the kept answers it gives are marks, to be replaced by
 * their JSON text with spliceKeptAnswers. A mark is random per answer and request ("\u0000kept-"
 * and a UUID): no value from the inventory can be one, and only this request's marks are replaced.
 */
export function withKeptMarks<T>(handle: () => Promise<T>): Promise<{ result: T; marks: KeptMarks }> {
  const marks: KeptMarks = new Map();
  return requestMarks.run(marks, async () => ({ result: await handle(), marks }));
}

const SINGLE_OPEN = Buffer.from('{"result":{"data":');
const SINGLE_CLOSE = Buffer.from("}}");

/**
 * The body with each mark replaced by its answer's JSON text; `single` is the answer when the body
 * is exactly one call's result (`{"result":{"data":…}}`), so that its compressed form can be kept too.
 */
export function spliceKeptAnswers(body: Buffer, marks: KeptMarks): { body: Buffer; single: object | null } {
  if (marks.size === 0) return { body, single: null };
  const places = [...marks].map(([mark, answer]) => {
    const at = body.indexOf(mark, 0, "latin1");
    if (at < 0) throw new Error("a kept answer's mark is missing from the tRPC body");
    return { at, end: at + Buffer.byteLength(mark, "latin1"), answer };
  });
  places.sort((a, b) => a.at - b.at);
  const parts: Buffer[] = [];
  let from = 0;
  for (const { at, end, answer } of places) {
    parts.push(body.subarray(from, at), jsonTextOnce(answer));
    from = end;
  }
  parts.push(body.subarray(from));
  const single = places.length === 1 && parts[0]!.equals(SINGLE_OPEN) && parts[2]!.equals(SINGLE_CLOSE) ? places[0]!.answer : null;
  return { body: Buffer.concat(parts), single };
}

/**
 * superjson, but a kept answer's serialisation is made once and reused; inside withKeptMarks a kept
 * answer is a mark instead (its JSON text made once, spliced in by the endpoint).
 */
export const transformer = {
  serialize(value: unknown): Serialised {
    if (typeof value !== "object" || value === null || !serialised.has(value)) return superjson.serialize(value);
    const marks = requestMarks.getStore();
    if (!marks) return serialisedOnce(value);
    const mark = `\u0000kept-${randomUUID()}`;
    marks.set(JSON.stringify(mark), value);
    return mark as unknown as Serialised;
  },
  deserialize: superjson.deserialize.bind(superjson),
};

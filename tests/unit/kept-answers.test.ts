import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { keptAnswer, spliceKeptAnswers, transformer, withKeptMarks } from "../../server/api/kept-answers";

const summary = () => ({ name: "Acme", at: new Date("2026-12-07T10:00:00Z"), hosts: new Map([["h1", 4]]), note: undefined, rows: [{ id: 1n }] });

describe("kept answers", () => {
  it("serialises a kept answer once and sends that again, as superjson would have", () => {
    const source = summary();
    const answer = keptAnswer(source, (s) => ({ ...s, formula: "x" }));
    expect(keptAnswer(source, () => ({ other: true }))).toBe(answer);
    const first = transformer.serialize(answer);
    expect(transformer.serialize(answer)).toBe(first);
    expect(first).toEqual(superjson.serialize({ ...source, formula: "x" }));
    const back = transformer.deserialize(JSON.parse(JSON.stringify(first))) as ReturnType<typeof summary>;
    expect(back.at).toEqual(source.at);
    expect(back.hosts.get("h1")).toBe(4);
    expect(back.rows[0]!.id).toBe(1n);
  });

  it("a new source object (a new analysis) gets a new answer; other values are serialised every time", () => {
    const one = keptAnswer(summary(), (s) => s);
    const two = keptAnswer(summary(), (s) => s);
    expect(two).not.toBe(one);
    expect(transformer.serialize(two)).not.toBe(transformer.serialize(one));
    const plain = summary();
    expect(transformer.serialize(plain)).not.toBe(transformer.serialize(plain));
    expect(transformer.serialize(plain)).toEqual(superjson.serialize(plain));
    for (const value of [null, undefined, 3, "text"]) expect(transformer.serialize(value)).toEqual(superjson.serialize(value));
  });

  it("keeps one answer per key of the same source (pages of the same kept rows)", () => {
    const rows = { rows: ["a", "b", "c", "d"], total: 4 };
    const first = keptAnswer(rows, (r) => ({ rows: r.rows.slice(0, 2), total: r.total }), "0-2");
    const second = keptAnswer(rows, (r) => ({ rows: r.rows.slice(2, 4), total: r.total }), "2-4");
    expect(second).not.toBe(first);
    expect(second.rows).toEqual(["c", "d"]);
    expect(keptAnswer(rows, () => ({ rows: [], total: 0 }), "0-2")).toBe(first);
    expect(transformer.serialize(first)).toBe(transformer.serialize(first));
  });

  it("inside a request, gives marks that the body's splice replaces by each answer's JSON, wherever tRPC put them", async () => {
    const a = keptAnswer({ n: 1 }, (s) => ({ ...s, at: new Date("2026-12-07T00:00:00Z") }));
    const b = keptAnswer({ n: 2 }, (s) => s);
    const { result, marks } = await withKeptMarks(async () => [transformer.serialize(a), transformer.serialize(b), transformer.serialize({ plain: true })]);
    const [markA, markB, plain] = result;
    expect(typeof markA).toBe("string");
    expect(markA).not.toBe(markB);
    expect(plain).toEqual(superjson.serialize({ plain: true }));
    // B's result first, as a batch may order them.
    const body = Buffer.from(JSON.stringify([{ result: { data: markB } }, { result: { data: markA } }, { result: { data: plain } }]));
    const spliced = spliceKeptAnswers(body, marks);
    const expected = JSON.stringify([{ result: { data: superjson.serialize(b) } }, { result: { data: superjson.serialize(a) } }, { result: { data: plain } }]);
    expect(spliced.body.toString()).toBe(expected);
    expect(spliced.single).toBeNull();

    const { result: mark, marks: alone } = await withKeptMarks(async () => transformer.serialize(a));
    const single = spliceKeptAnswers(Buffer.from(JSON.stringify({ result: { data: mark } })), alone);
    expect(single.single).toBe(a);
    expect(single.body.toString()).toBe(JSON.stringify({ result: { data: superjson.serialize(a) } }));
    // Outside a request (the Next.js route, a caller): superjson's serialisation, as before.
    expect(transformer.serialize(a)).toEqual(superjson.serialize(a));
    // A mark the body lacks is an error, not a body without its answer.
    expect(() => spliceKeptAnswers(Buffer.from("{}"), alone)).toThrow(/missing/);
  });
});

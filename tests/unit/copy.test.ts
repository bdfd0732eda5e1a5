import { describe, expect, it } from "vitest";
import { arrayLiteral, encodeRow, encodeValue } from "@/server/inventory/copy";

describe("COPY text encoding", () => {
  it("writes NULL as \\N and booleans as t/f", () => {
    expect(encodeValue(null)).toBe("\\N");
    expect(encodeValue(undefined)).toBe("\\N");
    expect(encodeValue(true)).toBe("t");
    expect(encodeValue(false)).toBe("f");
  });

  it("escapes the characters COPY treats specially", () => {
    expect(encodeValue("a\tb\nc\rd\\e")).toBe("a\\tb\\nc\\rd\\\\e");
    expect(encodeValue("plain")).toBe("plain");
    // A literal "\N" string must not read back as NULL.
    expect(encodeValue("\\N")).toBe("\\\\N");
  });

  it("encodes arrays as quoted array literals, then escapes them for COPY", () => {
    expect(arrayLiteral([])).toBe("{}");
    expect(arrayLiteral(["a", 'b"c', "d\\e", "NULL", "x,y"])).toBe('{"a","b\\"c","d\\\\e","NULL","x,y"}');
    expect(encodeValue(["d\\e"])).toBe('{"d\\\\\\\\e"}');
  });

  it("encodes numbers, bigints, dates and JSON", () => {
    expect(encodeValue(1.5)).toBe("1.5");
    expect(encodeValue(12345678901234567890n)).toBe("12345678901234567890");
    expect(encodeValue(new Date("2026-01-02T03:04:05.000Z"))).toBe("2026-01-02T03:04:05.000Z");
    expect(encodeValue({ tenant: "a\tb" })).toBe('{"tenant":"a\\\\tb"}');
    expect(() => encodeValue(Number.NaN)).toThrow(/cannot store NaN/);
  });

  it("rejects NUL characters, which Postgres text cannot hold", () => {
    expect(() => encodeValue("a\0b")).toThrow(/NUL/);
  });

  it("joins a row with tabs and ends it with a newline", () => {
    expect(encodeRow(["a", null, 3, false])).toBe("a\t\\N\t3\tf\n");
  });
});

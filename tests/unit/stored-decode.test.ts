import v8 from "node:v8";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeAnalysis, encodeAnalysis } from "../../server/analysis/stored";
import type { Analysis } from "../../server/analysis";

/** Something shaped like an analysis, large enough that its gunzip takes a while (about 10 MB). */
function largeAnalysis(): Analysis {
  const findings = Array.from({ length: 150_000 }, (_, i) => ({ ruleId: `rule-${i % 40}`, objectKey: `vm:${i}`, objectName: `vm-${i}`, severity: "medium", detail: `detail ${i * 7919}` }));
  return {
    density: {},
    waste: {},
    isolation: {},
    migration: { verdicts: findings.slice(0, 1000) },
    dependencies: {},
    guests: {},
    utilisation: {},
    findings,
  } as unknown as Analysis;
}

describe("decoding a stored analysis", () => {
  it("gives back what was encoded, and lets the event loop turn while it gunzips", async () => {
    const analysis = largeAnalysis();
    const bytes = encodeAnalysis(analysis);
    let turns = 0;
    let done = false;
    const spin = () => {
      turns++;
      if (!done) setImmediate(spin);
    };
    setImmediate(spin);
    const decoded = await decodeAnalysis("v8+gzip", bytes);
    done = true;
    // Gunzipped synchronously, the whole decode would run before any other callback (0 turns).
    expect(turns).toBeGreaterThan(0);
    expect(decoded).toEqual(analysis);
  });

  it("rejects a corrupt, truncated, foreign or non-analysis row", async () => {
    const bytes = encodeAnalysis(largeAnalysis());
    await expect(decodeAnalysis("json", bytes)).rejects.toThrow(/unknown format "json"/);
    await expect(decodeAnalysis("v8+gzip", bytes.subarray(0, bytes.length >> 1))).rejects.toThrow();
    await expect(decodeAnalysis("v8+gzip", Buffer.from("not gzip"))).rejects.toThrow();
    await expect(decodeAnalysis("v8+gzip", zlib.gzipSync(v8.serialize({ findings: [] })))).rejects.toThrow(/not an analysis/);
  });
});

/** Collection health's states (server/inventory/health.ts): the boundaries of "stale" and the order of the worst. */
import { describe, expect, it } from "vitest";
import { UPLOAD_KINDS } from "../../server/collectors";
import { sourceHealth, worstHealth, type SourceHealthFacts } from "../../server/inventory/health";

const now = new Date("2026-12-06T12:00:00Z");
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);
const facts = (over: Partial<SourceHealthFacts> = {}): SourceHealthFacts => ({
  enabled: true,
  kind: "docker",
  intervalSeconds: 600,
  lastFinishedStatus: "succeeded",
  lastSuccessAt: ago(60),
  ...over,
});

describe("sourceHealth", () => {
  it("is ok up to twice the interval and stale a second after", () => {
    expect(sourceHealth(facts({ lastSuccessAt: ago(900) }), now)).toBe("ok"); // 1.5 intervals
    expect(sourceHealth(facts({ lastSuccessAt: ago(1200) }), now)).toBe("ok"); // exactly two
    expect(sourceHealth(facts({ lastSuccessAt: ago(1201) }), now)).toBe("stale");
  });

  it("says failed when the newest finished run failed, whatever succeeded before", () => {
    expect(sourceHealth(facts({ lastFinishedStatus: "failed", lastSuccessAt: ago(10) }), now)).toBe("failed");
    expect(sourceHealth(facts({ lastFinishedStatus: "failed", lastSuccessAt: null }), now)).toBe("failed");
  });

  it("says never without a finished run, and disabled before anything else", () => {
    expect(sourceHealth(facts({ lastFinishedStatus: null, lastSuccessAt: null }), now)).toBe("never");
    expect(sourceHealth(facts({ enabled: false, lastFinishedStatus: "failed" }), now)).toBe("disabled");
  });

  it("never calls an uploaded source stale by the clock", () => {
    const kind = UPLOAD_KINDS[0]!;
    expect(kind).toBeDefined();
    expect(sourceHealth(facts({ kind, lastSuccessAt: ago(365 * 86_400) }), now)).toBe("ok");
  });
});

describe("worstHealth", () => {
  it("orders failed, stale, never, ok and ignores disabled", () => {
    expect(worstHealth(["ok", "stale", "never", "failed"])).toBe("failed");
    expect(worstHealth(["ok", "never", "stale"])).toBe("stale");
    expect(worstHealth(["ok", "never"])).toBe("never");
    expect(worstHealth(["ok", "disabled"])).toBe("ok");
    expect(worstHealth(["disabled"])).toBeNull();
    expect(worstHealth([])).toBeNull();
  });
});

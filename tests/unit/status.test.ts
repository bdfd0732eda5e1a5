import { describe, expect, it } from "vitest";
import { sourceHealth } from "@/server/inventory/health";
import { customerStatus, isStale, sourceStatus } from "@/server/inventory/status";

const now = new Date("2026-11-01T12:00:00Z");
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);
const base = { enabled: true, intervalSeconds: 3600, lastRunStatus: "succeeded" as const, lastSuccessAt: ago(60) };

describe("source status", () => {
  it("is ok up to twice the interval (one missed cycle) and stale just after", () => {
    expect(sourceStatus(base, now)).toBe("ok");
    expect(sourceStatus({ ...base, lastSuccessAt: ago(3601) }, now)).toBe("ok");
    expect(sourceStatus({ ...base, lastSuccessAt: ago(7200) }, now)).toBe("ok"); // exactly twice
    expect(sourceStatus({ ...base, lastSuccessAt: new Date(now.getTime() - 7_200_001) }, now)).toBe("stale"); // a millisecond over
    expect(sourceStatus({ ...base, lastSuccessAt: ago(7201) }, now)).toBe("stale");
  });

  it("says stale exactly where the fleet overview's health does (one rule)", () => {
    for (const age of [0, 3600, 7199, 7200, 7200.001, 7201, 86_400]) {
      const lastSuccessAt = new Date(now.getTime() - age * 1000);
      const health = sourceHealth({ enabled: true, kind: "docker", intervalSeconds: 3600, lastFinishedStatus: "succeeded", lastSuccessAt }, now);
      expect([age, sourceStatus({ ...base, lastSuccessAt }, now)]).toEqual([age, health]);
      expect([age, isStale(lastSuccessAt, 3600, now)]).toEqual([age, health === "stale"]);
    }
  });

  it("is never stale by the clock when collected from uploads (as new as its file), but still fails and runs", () => {
    expect(sourceStatus({ ...base, uploaded: true, lastSuccessAt: ago(90 * 86_400) }, now)).toBe("ok");
    expect(sourceStatus({ ...base, uploaded: true, lastRunStatus: "failed" }, now)).toBe("failed");
    expect(sourceStatus({ ...base, uploaded: true, lastRunStatus: "queued" }, now)).toBe("running");
    expect(sourceStatus({ ...base, uploaded: true, enabled: false }, now)).toBe("disabled");
  });

  it("says failed, running, never and disabled", () => {
    expect(sourceStatus({ ...base, lastRunStatus: "failed" }, now)).toBe("failed");
    expect(sourceStatus({ ...base, lastRunStatus: "running" }, now)).toBe("running");
    expect(sourceStatus({ ...base, lastRunStatus: null, lastSuccessAt: null }, now)).toBe("never");
    expect(sourceStatus({ ...base, enabled: false, lastRunStatus: "failed" }, now)).toBe("disabled");
  });
});

describe("customer status", () => {
  it("is the least healthy of its enabled sources", () => {
    expect(customerStatus(["ok", "stale", "disabled"])).toBe("stale");
    expect(customerStatus(["ok", "failed", "stale"])).toBe("failed");
    expect(customerStatus(["ok", "ok"])).toBe("ok");
    expect(customerStatus(["disabled"])).toBe("disabled");
    expect(customerStatus([])).toBe("never");
  });
});

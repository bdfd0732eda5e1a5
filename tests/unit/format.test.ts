import { describe, expect, it } from "vitest";
import {
  formatBytes,
  formatCount,
  formatDateTime,
  formatDuration,
  formatInterval,
  formatMemoryLimit,
  formatMiB,
  formatNanoCpus,
  formatPowerState,
  formatRelativeTime,
  formatRowRange,
  formatWord,
  pluralize,
} from "@/components/format";
import { describeError, errorCode } from "@/components/errors";

describe("formatCount", () => {
  it("adds thousands separators", () => {
    expect(formatCount(0)).toBe("0");
    expect(formatCount(999)).toBe("999");
    expect(formatCount(1234)).toBe("1,234");
    expect(formatCount(1_234_567)).toBe("1,234,567");
  });

  it("accepts bigint and shows a dash for missing values", () => {
    expect(formatCount(12_345_678_901n)).toBe("12,345,678,901");
    expect(formatCount(null)).toBe("—");
    expect(formatCount(undefined)).toBe("—");
    expect(formatCount(Number.NaN)).toBe("—");
  });
});

describe("formatMiB", () => {
  it("keeps MiB below a GiB", () => {
    expect(formatMiB(0)).toBe("0 MiB");
    expect(formatMiB(512)).toBe("512 MiB");
    expect(formatMiB(1000)).toBe("1,000 MiB");
  });

  it("scales to GiB and TiB with at most one decimal", () => {
    expect(formatMiB(1024)).toBe("1 GiB");
    expect(formatMiB(8192)).toBe("8 GiB");
    expect(formatMiB(1536)).toBe("1.5 GiB");
    expect(formatMiB(262_144)).toBe("256 GiB");
    expect(formatMiB(1_048_576)).toBe("1 TiB");
    expect(formatMiB(3.5 * 1_048_576)).toBe("3.5 TiB");
  });

  it("rounds up to the next unit instead of showing 1,024", () => {
    expect(formatMiB(1023.97)).toBe("1 GiB");
    expect(formatMiB(1_048_570)).toBe("1 TiB");
  });

  it("shows a dash when unknown", () => {
    expect(formatMiB(null)).toBe("—");
    expect(formatMiB(undefined)).toBe("—");
  });
});

describe("formatBytes", () => {
  it("scales bytes to binary units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(536_870_912)).toBe("512 MiB");
    expect(formatBytes(8 * 1024 ** 3)).toBe("8 GiB");
  });

  it("accepts bigint from superjson", () => {
    expect(formatBytes(536_870_912n)).toBe("512 MiB");
    expect(formatBytes(2n * 1024n ** 4n)).toBe("2 TiB");
  });
});

describe("formatMemoryLimit", () => {
  it("says unbounded for a zero limit, never 0", () => {
    expect(formatMemoryLimit(0n)).toBe("unbounded");
    expect(formatMemoryLimit(0)).toBe("unbounded");
  });

  it("formats a real limit as bytes", () => {
    expect(formatMemoryLimit(536_870_912n)).toBe("512 MiB");
  });
});

describe("formatNanoCpus", () => {
  it("says unbounded for zero and counts CPUs otherwise", () => {
    expect(formatNanoCpus(0n)).toBe("unbounded");
    expect(formatNanoCpus(1_000_000_000n)).toBe("1 CPU");
    expect(formatNanoCpus(1_500_000_000n)).toBe("1.5 CPUs");
  });
});

describe("formatRelativeTime", () => {
  const now = new Date("2026-11-01T12:00:00Z");
  const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);

  it("says just now for the last few seconds", () => {
    expect(formatRelativeTime(ago(0), now)).toBe("just now");
    expect(formatRelativeTime(ago(30), now)).toBe("just now");
  });

  it("uses minutes, hours, days, months and years", () => {
    expect(formatRelativeTime(ago(50), now)).toBe("1 min ago");
    expect(formatRelativeTime(ago(5 * 60), now)).toBe("5 min ago");
    expect(formatRelativeTime(ago(3 * 3600), now)).toBe("3 h ago");
    expect(formatRelativeTime(ago(86_400), now)).toBe("1 day ago");
    expect(formatRelativeTime(ago(2 * 86_400), now)).toBe("2 days ago");
    expect(formatRelativeTime(ago(90 * 86_400), now)).toBe("3 months ago");
    expect(formatRelativeTime(ago(2 * 365 * 86_400), now)).toBe("2 years ago");
  });

  it("handles future times, numbers and missing values", () => {
    expect(formatRelativeTime(ago(-10 * 60), now)).toBe("in 10 min");
    expect(formatRelativeTime(ago(5 * 60).getTime(), now.getTime())).toBe("5 min ago");
    expect(formatRelativeTime(null, now)).toBe("never");
    expect(formatRelativeTime("not a date", now)).toBe("—");
  });
});

describe("formatDateTime", () => {
  it("gives the exact local time", () => {
    const date = new Date(2026, 10, 1, 9, 5, 7);
    expect(formatDateTime(date)).toBe("2026-11-01 09:05:07");
    expect(formatDateTime(null)).toBe("—");
  });
});

describe("formatDuration", () => {
  it("uses ms, s and minutes", () => {
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(12_300)).toBe("12.3 s");
    expect(formatDuration(60_000)).toBe("1 min");
    expect(formatDuration(125_000)).toBe("2 min 5 s");
    expect(formatDuration(3_900_000)).toBe("1 h 5 min");
    expect(formatDuration(null)).toBe("—");
  });
});

describe("formatInterval", () => {
  it("uses minutes, hours and days", () => {
    expect(formatInterval(900)).toBe("15 min");
    expect(formatInterval(3600)).toBe("1 h");
    expect(formatInterval(5400)).toBe("1 h 30 min");
    expect(formatInterval(86_400)).toBe("1 day");
    expect(formatInterval(7 * 86_400)).toBe("7 days");
  });
});

describe("words", () => {
  it("spells power states in words", () => {
    expect(formatPowerState("poweredOn")).toBe("Powered on");
    expect(formatPowerState("poweredOff")).toBe("Powered off");
    expect(formatPowerState("suspended")).toBe("Suspended");
    expect(formatPowerState("paused")).toBe("Paused");
    expect(formatPowerState(null)).toBe("—");
  });

  it("capitalises identifiers", () => {
    expect(formatWord("container_engine")).toBe("Container engine");
    expect(formatWord("running")).toBe("Running");
  });

  it("pluralizes with separators", () => {
    expect(pluralize(1, "host")).toBe("1 host");
    expect(pluralize(1234, "host")).toBe("1,234 hosts");
    expect(pluralize(2, "virtual machine")).toBe("2 virtual machines");
  });
});

describe("formatRowRange", () => {
  it("describes the visible rows", () => {
    expect(formatRowRange(0, 25, 1234)).toBe("Rows 1–25 of 1,234");
    expect(formatRowRange(49, 25, 1234)).toBe("Rows 1,226–1,234 of 1,234");
    expect(formatRowRange(0, 25, 3)).toBe("Rows 1–3 of 3");
    expect(formatRowRange(0, 25, 0)).toBe("No rows");
  });
});

describe("describeError", () => {
  it("lists input validation errors by field in plain words", () => {
    const error = {
      message: "[{...}]",
      data: { code: "BAD_REQUEST", zodError: { formErrors: [], fieldErrors: { name: ["a name is required"] } } },
    };
    expect(describeError(error)).toBe("Name: A name is required");
    expect(errorCode(error)).toBe("BAD_REQUEST");
  });

  it("capitalises server messages and explains network failures", () => {
    expect(describeError({ message: "no such source", data: { code: "NOT_FOUND" } })).toBe("No such source");
    expect(describeError(new TypeError("Failed to fetch"))).toMatch(/Could not reach the Fleetlens server/);
    expect(describeError("plain text")).toBe("Plain text");
    expect(describeError(null)).toBe("An unexpected error occurred.");
    expect(errorCode(new Error("x"))).toBeNull();
  });
});

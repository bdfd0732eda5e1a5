import { describe, expect, it } from "vitest";
import { escapeLike, formatMac, ipPrefix, likePatterns, macDigits, matchRank } from "../../server/search/normalise";

describe("LIKE escaping", () => {
  it("makes %, _ and the escape character literal, and leaves the rest", () => {
    expect(escapeLike("100%_done")).toBe("100\\%\\_done");
    expect(escapeLike("a\\b")).toBe("a\\\\b");
    expect(escapeLike("web-01.lab")).toBe("web-01.lab");
    expect(escapeLike("\\%")).toBe("\\\\\\%");
  });

  it("builds the equal, prefix and contains patterns from the escaped text", () => {
    expect(likePatterns("50%")).toEqual({ exact: "50\\%", prefix: "50\\%%", contains: "%50\\%%" });
  });
});

describe("MAC addresses in any common spelling", () => {
  it.each([
    ["00:50:56:AB:CD:EF", "005056abcdef"],
    ["00-50-56-ab-cd-ef", "005056abcdef"],
    ["0050.56ab.cdef", "005056abcdef"],
    ["005056ABCDEF", "005056abcdef"],
    ["00:50:56", "005056"],
    ["00-50-56-", "005056"],
    ["0050.56", "005056"],
    ["00:50", "0050"],
    ["  00:50:56:ab  ", "005056ab"],
  ])("%s → %s", (text, digits) => {
    expect(macDigits(text)).toBe(digits);
  });

  it.each([
    ["cafe", "a short hex word is a name"],
    ["00", "two digits say nothing"],
    ["web01", "not hex"],
    ["00:50:56:ab:cd:ef:01", "too long"],
    ["0:50:56", "a one-digit group"],
    ["00:50-5", "a dangling digit"],
    ["10.0.0.1", "an IPv4 address"],
    ["00:50::56", "an empty group"],
    ["0050.56ab.cdef.0000", "four Cisco groups"],
  ])("%s is not a MAC (%s)", (text) => {
    expect(macDigits(text)).toBeNull();
  });

  it("shows digits as colon pairs", () => {
    expect(formatMac("005056abcdef")).toBe("00:50:56:ab:cd:ef");
    expect(formatMac("00505")).toBe("00:50:5");
  });
});

describe("IP addresses and their prefixes", () => {
  it.each([
    ["10.0.0.12", "10.0.0.12"],
    ["10.0.", "10.0."],
    ["192.168", "192.168"],
    ["FE80::1", "fe80::1"],
    ["2001:db8:0:1", "2001:db8:0:1"],
  ])("%s is an address or the start of one", (text, ip) => {
    expect(ipPrefix(text)).toBe(ip);
  });

  it.each([["10"], ["10.0.0.256"], ["10.0.0.1.5"], ["web01"], ["fe80:1"], ["10.0.0.1/24"]])("%s is not", (text) => {
    expect(ipPrefix(text)).toBeNull();
  });
});

describe("ranking", () => {
  it("puts equal before starting with before containing, case-insensitively", () => {
    expect(matchRank("Web01", "web01")).toBe(0);
    expect(matchRank("web010", "WEB01")).toBe(1);
    expect(matchRank("prod-web01", "web01")).toBe(2);
    expect(matchRank("web-01", "web01")).toBeNull();
  });
});

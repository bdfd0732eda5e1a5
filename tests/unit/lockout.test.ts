import { describe, expect, it } from "vitest";
import { accountDelaySeconds, clientNetwork, SIGN_IN_LOCKOUT } from "../../server/auth/lockout";

describe("the address a sign-in lock applies to", () => {
  it("is an IPv4 address as is, also when mapped into IPv6", () => {
    expect(clientNetwork("192.0.2.7")).toBe("192.0.2.7");
    expect(clientNetwork(" 192.0.2.7 ")).toBe("192.0.2.7");
    expect(clientNetwork("::ffff:192.0.2.7")).toBe("192.0.2.7");
    expect(clientNetwork("::ffff:c000:207")).toBe("192.0.2.7");
  });

  it("is the /64 of an IPv6 address, however it is written", () => {
    const network = "2001:0db8:0001:0002::/64";
    for (const ip of ["2001:db8:1:2::1", "2001:DB8:1:2:ffff:ffff:ffff:ffff", "2001:0db8:0001:0002:0000:0000:0000:0009", "[2001:db8:1:2::5]", "2001:db8:1:2::5%eth0"]) {
      expect(clientNetwork(ip), ip).toBe(network);
    }
    expect(clientNetwork("2001:db8:1:3::1")).toBe("2001:0db8:0001:0003::/64");
    expect(clientNetwork("::1")).toBe("0000:0000:0000:0000::/64");
    expect(clientNetwork("64:ff9b::192.0.2.7")).toBe("0064:ff9b:0000:0000::/64");
  });

  it("is one shared 'unknown' for anything that is not an address", () => {
    for (const ip of [null, undefined, "", "not-an-ip", "10.0.0.1, 10.0.0.2", "999.1.1.1"]) expect(clientNetwork(ip), String(ip)).toBe("unknown");
  });
});

describe("the account-wide wait", () => {
  it("starts after the free failures, doubles from one second, and stops at a minute", () => {
    const free = SIGN_IN_LOCKOUT.accountFree;
    expect(accountDelaySeconds(0)).toBe(0);
    expect(accountDelaySeconds(free - 1)).toBe(0);
    expect([free, free + 1, free + 2, free + 3, free + 4, free + 5].map(accountDelaySeconds)).toEqual([1, 2, 4, 8, 16, 32]);
    expect(accountDelaySeconds(free + 6)).toBe(60);
    expect(accountDelaySeconds(10_000)).toBe(60);
  });
});

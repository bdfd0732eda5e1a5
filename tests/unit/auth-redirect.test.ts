import { describe, expect, it } from "vitest";
import { isOpenPath, loginPath, safeNext } from "@/components/auth/redirect";

describe("safeNext", () => {
  it("follows same-site paths with their query and fragment", () => {
    expect(safeNext("/sources")).toBe("/sources");
    expect(safeNext("/customers/abc?tab=vms&q=web%201#top")).toBe("/customers/abc?tab=vms&q=web%201#top");
    expect(safeNext("/admin/users")).toBe("/admin/users");
  });

  it("falls back to / without a usable value", () => {
    expect(safeNext(undefined)).toBe("/");
    expect(safeNext(null)).toBe("/");
    expect(safeNext("")).toBe("/");
    expect(safeNext("sources")).toBe("/");
    expect(safeNext("/" + "a".repeat(3000))).toBe("/");
  });

  it("takes the first of repeated parameters", () => {
    expect(safeNext(["/sources", "https://evil.example"])).toBe("/sources");
    expect(safeNext(["https://evil.example", "/sources"])).toBe("/");
  });

  it("never leaves the site", () => {
    for (const next of [
      "//evil.example",
      "//evil.example/path",
      "/\\evil.example",
      "/\\/evil.example",
      "\\\\evil.example",
      "https://evil.example",
      "http:evil.example",
      "javascript:alert(1)",
      "/\t/evil.example",
      "/\n/evil.example",
      "/\r\n/evil.example",
      " //evil.example",
      "/%0a/evil.example".replace("%0a", "\n"),
    ]) {
      expect(safeNext(next), JSON.stringify(next)).toBe("/");
    }
  });

  it("keeps encoded slashes as a path, not a host", () => {
    expect(safeNext("/%2F%2Fevil.example")).toBe("/%2F%2Fevil.example");
  });

  it("does not come back to the sign-in or setup page", () => {
    expect(safeNext("/login")).toBe("/");
    expect(safeNext("/login?next=/sources")).toBe("/");
    expect(safeNext("/setup")).toBe("/");
    expect(safeNext("/loginx")).toBe("/loginx");
  });
});

describe("isOpenPath", () => {
  it("knows the pages open without a session", () => {
    expect(isOpenPath("/login")).toBe(true);
    expect(isOpenPath("/setup")).toBe(true);
    expect(isOpenPath("/login/sso")).toBe(true);
    expect(isOpenPath("/")).toBe(false);
    expect(isOpenPath("/loginx")).toBe(false);
  });
});

describe("loginPath", () => {
  it("comes back to the current page after signing in", () => {
    expect(loginPath("/sources")).toBe("/login?next=%2Fsources");
    expect(loginPath("/customers/x?tab=vms")).toBe("/login?next=%2Fcustomers%2Fx%3Ftab%3Dvms");
  });

  it("needs no next for the home page or an unsafe path", () => {
    expect(loginPath("/")).toBe("/login");
    expect(loginPath("//evil.example")).toBe("/login");
  });
});

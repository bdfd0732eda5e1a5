import { describe, expect, it } from "vitest";
import { clientAddress, gate, gateSettings, parseTrustedProxies, type GateRequest } from "../../server/http/gate";
import { crossSiteRefusal, mutationRefusal, trustedOrigins } from "../../server/auth/origin";

const none = parseTrustedProxies(undefined);
const proxies = parseTrustedProxies("10.0.0.0/8, 192.168.1.10, fd00::/8");

describe("client address", () => {
  it("is the socket's peer when no proxy is trusted, whatever X-Forwarded-For says", () => {
    expect(clientAddress("203.0.113.7", "1.2.3.4", none)).toBe("203.0.113.7");
    expect(clientAddress("::ffff:203.0.113.7", "1.2.3.4, 5.6.7.8", none)).toBe("203.0.113.7");
  });

  it("behind trusted proxies, is the right-most address that is not a trusted proxy", () => {
    // client → (forged 1.2.3.4 in its own header) → proxy 10.0.0.5 → Fleetlens
    expect(clientAddress("10.0.0.5", "1.2.3.4, 198.51.100.23", proxies)).toBe("198.51.100.23");
    expect(clientAddress("10.0.0.5", "198.51.100.23, 192.168.1.10", proxies)).toBe("198.51.100.23");
    expect(clientAddress("fd00::1", "2001:db8::9", proxies)).toBe("2001:db8::9");
    // A request straight from a trusted proxy, no header: the proxy itself.
    expect(clientAddress("10.0.0.5", undefined, proxies)).toBe("10.0.0.5");
    // Garbage in the chain: only the proxy is believed.
    expect(clientAddress("10.0.0.5", "not-an-ip", proxies)).toBe("10.0.0.5");
    // An untrusted peer's header is never read.
    expect(clientAddress("198.51.100.1", "10.0.0.9", proxies)).toBe("198.51.100.1");
  });

  it("refuses a malformed FLEETLENS_TRUSTED_PROXIES entry by name", () => {
    expect(() => parseTrustedProxies("10.0.0.0/33")).toThrow(/"10.0.0.0\/33" is not an IP address or CIDR range/);
    expect(() => parseTrustedProxies("proxy.local")).toThrow(/"proxy.local"/);
    expect(() => parseTrustedProxies("10.0.0.0/")).toThrow(/"10.0.0.0\/"/);
  });
});

describe("gate", () => {
  const settings = gateSettings({});
  const request = (over: Partial<GateRequest> & { headers?: GateRequest["headers"] }): GateRequest => ({
    method: "POST",
    url: "/api/trpc/x",
    socketAddress: "127.0.0.1",
    ...over,
    headers: { ...over.headers },
  });

  it("replaces forwarding headers a client sent", () => {
    const r = request({ headers: { "x-forwarded-for": "1.2.3.4", "x-real-ip": "1.2.3.4", "x-forwarded-host": "evil.example", "content-length": "2" } });
    expect(gate(r, settings)).toBeNull();
    expect(r.headers).toMatchObject({ "x-forwarded-for": "127.0.0.1" });
    expect(r.headers["x-real-ip"]).toBeUndefined();
    expect(r.headers["x-forwarded-host"]).toBeUndefined();
  });

  it("keeps a trusted proxy's host and protocol", () => {
    const trusted = gateSettings({ FLEETLENS_TRUSTED_PROXIES: "127.0.0.1" });
    const r = request({ method: "GET", headers: { "x-forwarded-for": "198.51.100.4", "x-forwarded-proto": "https", "x-forwarded-host": "fleet.example" } });
    expect(gate(r, trusted)).toBeNull();
    expect(r.headers).toMatchObject({ "x-forwarded-for": "198.51.100.4", "x-forwarded-proto": "https", "x-forwarded-host": "fleet.example" });
  });

  it("limits bodies: 64 KiB for sign-in and the other auth calls, 1 MiB elsewhere; unknown length refused", () => {
    expect(gate(request({ url: "/api/auth/sign-in/email", headers: { "content-length": String(64 * 1024) } }), settings)).toBeNull();
    expect(gate(request({ url: "/api/auth/sign-in/email", headers: { "content-length": String(64 * 1024 + 1) } }), settings)).toMatchObject({ status: 413 });
    expect(gate(request({ headers: { "content-length": String(1024 * 1024) } }), settings)).toBeNull();
    expect(gate(request({ headers: { "content-length": String(128 * 1024 * 1024) } }), settings)).toMatchObject({ status: 413 });
    expect(gate(request({ headers: { "transfer-encoding": "chunked" } }), settings)).toMatchObject({ status: 411 });
    expect(gate(request({ headers: { "content-length": "-5" } }), settings)).toMatchObject({ status: 400 });
    expect(gate(request({ method: "GET", headers: {} }), settings)).toBeNull();
  });

  it("lets an upload to a source reach 256 MiB, and only that path", () => {
    const upload = "/api/sources/0b7f6c1e-2d3a-4c5b-8e9f-0a1b2c3d4e5f/upload?name=RVTools.xlsx";
    const length = (n: number) => ({ "content-length": String(n) });
    expect(gate(request({ url: upload, headers: length(200 * 1024 * 1024) }), settings)).toBeNull();
    expect(gate(request({ url: upload, headers: length(256 * 1024 * 1024 + 1) }), settings)).toMatchObject({ status: 413 });
    // Near misses: not a source id, another route under the source, a path that merely starts alike.
    for (const url of ["/api/sources/not-an-id/upload", "/api/sources/0b7f6c1e-2d3a-4c5b-8e9f-0a1b2c3d4e5f/uploads", "/api/trpc/sources.upload"]) {
      expect(gate(request({ url, headers: length(2 * 1024 * 1024) }), settings), url).toMatchObject({ status: 413 });
    }
  });

  it("lets a pushed snapshot reach FLEETLENS_MAX_SNAPSHOT_MB (256 MiB unless set), and only that path", () => {
    const push = "/api/sources/0b7f6c1e-2d3a-4c5b-8e9f-0a1b2c3d4e5f/snapshot";
    const length = (n: number) => ({ "content-length": String(n) });
    expect(gate(request({ url: push, headers: length(256 * 1024 * 1024) }), gateSettings({}))).toBeNull();
    expect(gate(request({ url: push, headers: length(256 * 1024 * 1024 + 1) }), gateSettings({}))).toMatchObject({ status: 413 });
    const small = gateSettings({ FLEETLENS_MAX_SNAPSHOT_MB: "8" });
    expect(gate(request({ url: push, headers: length(8 * 1024 * 1024) }), small)).toBeNull();
    expect(gate(request({ url: push, headers: length(8 * 1024 * 1024 + 1) }), small)).toMatchObject({ status: 413 });
    for (const url of ["/api/sources/not-an-id/snapshot", `${push}s`, "/api/trpc/sources.snapshot"]) {
      expect(gate(request({ url, headers: length(2 * 1024 * 1024) }), small), url).toMatchObject({ status: 413 });
    }
    expect(() => gateSettings({ FLEETLENS_MAX_SNAPSHOT_MB: "lots" })).toThrow(/FLEETLENS_MAX_SNAPSHOT_MB: must be a positive whole number/);
  });
});

describe("origin", () => {
  const env = { FLEETLENS_URL: "https://fleet.example.com", FLEETLENS_TRUSTED_ORIGINS: "https://fleet-alt.example.com/" };
  const post = (headers: Record<string, string>) => new Request("https://fleet.example.com/api/trpc/x", { method: "POST", headers });

  it("accepts only the configured origins, whatever Host or X-Forwarded-Host claim", () => {
    expect(trustedOrigins(env)).toEqual(["https://fleet.example.com", "https://fleet-alt.example.com"]);
    expect(crossSiteRefusal(post({ origin: "https://fleet.example.com" }), env)).toBeNull();
    expect(crossSiteRefusal(post({ origin: "https://fleet-alt.example.com" }), env)).toBeNull();
    expect(crossSiteRefusal(post({ origin: "http://evil.example", host: "evil.example", "x-forwarded-host": "evil.example" }), env)?.status).toBe(403);
    expect(crossSiteRefusal(post({ referer: "https://evil.example/page" }), env)?.status).toBe(403);
    expect(crossSiteRefusal(post({ origin: "null" }), env)?.status).toBe(403);
    // Scripts send no Origin.
    expect(crossSiteRefusal(post({}), env)).toBeNull();
    expect(trustedOrigins({ PORT: "4000" })).toEqual(["http://localhost:4000", "http://127.0.0.1:4000"]);
    expect(() => trustedOrigins({ FLEETLENS_TRUSTED_ORIGINS: "fleet" })).toThrow(/"fleet" is not a URL/);
  });

  it("takes mutations as JSON only", () => {
    expect(mutationRefusal(post({ "content-type": "application/json; charset=utf-8" }))).toBeNull();
    expect(mutationRefusal(post({ "content-type": "multipart/form-data; boundary=x" }))?.status).toBe(415);
    expect(mutationRefusal(post({ "content-type": "text/plain" }))?.status).toBe(415);
    expect(mutationRefusal(post({}))?.status).toBe(415);
    expect(mutationRefusal(new Request("https://fleet.example.com/api/trpc/x"))).toBeNull();
  });
});

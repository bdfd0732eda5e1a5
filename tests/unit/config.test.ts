import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, configProblems, loadConfig, oidcSettings, setting, variables } from "../../server/config";

/** The variable names in the first column of README.md's "Configuration" table. */
function readmeVariables(): string[] {
  const readme = readFileSync(path.join(import.meta.dirname, "..", "..", "README.md"), "utf8");
  const section = readme.split(/^## Configuration\s*$/m)[1]?.split(/^## /m)[0] ?? "";
  const rows = section.split("\n").filter((line) => line.startsWith("|")).slice(2); // header and --- row
  return rows.flatMap((row) => [...(row.split("|")[1] ?? "").matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!));
}

describe("configuration", () => {
  it("README's Configuration table lists exactly the variables of server/config.ts", () => {
    const documented = readmeVariables();
    expect(documented.length).toBeGreaterThan(10);
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.keys(variables).sort());
  });

  it("gives the defaults when nothing is set, and treats empty as unset", () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.FLEETLENS_DEMO).toBe("on");
    expect(config.FLEETLENS_COLLECT_CONCURRENCY).toBe(2);
    expect(config.FLEETLENS_COLLECT_MEMORY_MB).toBe(2048);
    expect(config.FLEETLENS_OIDC_DEFAULT_ROLE).toBe("viewer");
    expect(config.FLEETLENS_TRUSTED_PROXIES).toEqual([]);
    expect(setting("HOST", { HOST: "" })).toBeUndefined();
    expect(setting("PORT", { PORT: "" })).toBe(3000);
  });

  it("parses good values", () => {
    expect(setting("PORT", { PORT: "4000" })).toBe(4000);
    expect(setting("FLEETLENS_TRUSTED_ORIGINS", { FLEETLENS_TRUSTED_ORIGINS: " https://a.example.com, ,https://b.example.com" })).toEqual([
      "https://a.example.com",
      "https://b.example.com",
    ]);
    expect(setting("DATABASE_URL", { DATABASE_URL: "postgresql://fleetlens:pw@db:5432/fleetlens" })).toBe(
      "postgresql://fleetlens:pw@db:5432/fleetlens",
    );
    expect(configProblems({ FLEETLENS_SECRET_KEY: "ab".repeat(32), FLEETLENS_TRUSTED_PROXIES: "10.0.0.0/8, ::1" })).toEqual([]);
  });

  it("says which variable is bad and why, for each bad one", () => {
    const problems = configProblems({
      PORT: "http",
      DATABASE_URL: "mysql://db/fleetlens",
      FLEETLENS_COLLECT_CONCURRENCY: "0",
      FLEETLENS_COLLECT_MEMORY_MB: "lots",
      FLEETLENS_TRUSTED_PROXIES: "10.0.0.0/33",
      FLEETLENS_TRUSTED_ORIGINS: "fleet",
      FLEETLENS_DEMO: "false",
      FLEETLENS_SECRET_KEY: "short",
      FLEETLENS_OIDC_DEFAULT_ROLE: "root",
      NODE_ENV: "staging",
    });
    expect(problems.every((problem) => problem instanceof ConfigError)).toBe(true);
    expect(problems.map((problem) => problem.message)).toEqual([
      'DATABASE_URL: is not a PostgreSQL URL such as postgresql://fleetlens:pw@db:5432/fleetlens',
      'PORT: must be a port number (1 to 65535), not "http"',
      "NODE_ENV: must be development, production or test",
      "FLEETLENS_SECRET_KEY: must be 32 bytes, as 64 hex digits or base64 (openssl rand -hex 32)",
      'FLEETLENS_DEMO: must be "on" or "off"',
      'FLEETLENS_TRUSTED_ORIGINS: "fleet" is not a URL such as https://fleetlens.example.com',
      'FLEETLENS_TRUSTED_PROXIES: "10.0.0.0/33" is not an IP address or CIDR range',
      'FLEETLENS_COLLECT_CONCURRENCY: must be a positive whole number, not "0"',
      'FLEETLENS_COLLECT_MEMORY_MB: must be a positive whole number, not "lots"',
      "FLEETLENS_OIDC_DEFAULT_ROLE: must be admin, engineer or viewer",
    ]);
    expect(() => setting("PORT", { PORT: "70000" })).toThrow(/^PORT: must be a port number/);
  });

  it("checks single sign-on as a whole", () => {
    expect(oidcSettings({})).toBeNull();
    const env = { FLEETLENS_OIDC_ISSUER: "https://id.example.com/realms/main/" };
    expect(configProblems(env).map((problem) => problem.message)).toEqual([
      "FLEETLENS_OIDC_ISSUER: is set, so FLEETLENS_OIDC_CLIENT_ID and FLEETLENS_OIDC_CLIENT_SECRET are needed too",
    ]);
    expect(oidcSettings({ ...env, FLEETLENS_OIDC_CLIENT_ID: "fleetlens", FLEETLENS_OIDC_CLIENT_SECRET: "s" })).toEqual({
      issuer: "https://id.example.com/realms/main",
      clientId: "fleetlens",
      clientSecret: "s",
      name: "single sign-on",
    });
    expect(configProblems({ FLEETLENS_OIDC_ISSUER: "id.example.com" })[0]?.message).toMatch(
      /^FLEETLENS_OIDC_ISSUER: "id.example.com" is not a URL/,
    );
  });
});

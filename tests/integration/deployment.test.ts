import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const compose = (env: Record<string, string>) =>
  run("docker-compose", ["-f", "docker-compose.yml", "config"], {
    // Only what the test gives: nothing from the caller's environment leaks into the check.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NODE_ENV: "test", ...env },
  });

describe("docker-compose.yml", () => {
  it("is a valid compose file: Postgres with a volume, the app built from the Dockerfile", async () => {
    const { stdout } = await compose({ FLEETLENS_DB_PASSWORD: "pw-123", FLEETLENS_SECRET_KEY: "ab".repeat(32) });
    expect(stdout).toMatch(/postgres-data:\/var\/lib\/postgresql\/data/);
    expect(stdout).toMatch(/DATABASE_URL: postgresql:\/\/fleetlens:pw-123@db:5432\/fleetlens/);
    expect(stdout).toMatch(/dockerfile: Dockerfile/);
    expect(stdout).toMatch(/condition: service_healthy/);
  });

  it("refuses to start without the secrets it needs, saying which", async () => {
    await expect(compose({ FLEETLENS_DB_PASSWORD: "pw" })).rejects.toMatchObject({
      stderr: expect.stringMatching(/set FLEETLENS_SECRET_KEY/),
    });
    await expect(compose({ FLEETLENS_SECRET_KEY: "ab".repeat(32) })).rejects.toMatchObject({
      stderr: expect.stringMatching(/set FLEETLENS_DB_PASSWORD/),
    });
  });
});

import { existsSync, statSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres } from "../../server/db/embedded";

const dir = await fs.mkdtemp(path.join(os.tmpdir(), "fleetlens-embedded-"));
await fs.chmod(dir, 0o755);
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function query(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("embedded PostgreSQL", () => {
  it("creates credentials once, keeps them private, and reuses the data on the next start", async () => {
    const first = await startEmbeddedPostgres({ dir });
    await query(first.url, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')");
    const credentials = JSON.parse(await fs.readFile(path.join(dir, "postgres.json"), "utf8"));
    expect(statSync(path.join(dir, "postgres.json")).mode & 0o777).toBe(0o600);
    expect(credentials.password.length).toBeGreaterThanOrEqual(24);
    expect(first.url).toContain("127.0.0.1");
    await first.stop();
    // A clean stop leaves no running server behind.
    expect(existsSync(path.join(dir, "postgres", "postmaster.pid"))).toBe(false);

    const second = await startEmbeddedPostgres({ dir });
    try {
      const again = JSON.parse(await fs.readFile(path.join(dir, "postgres.json"), "utf8"));
      expect(again.password).toBe(credentials.password);
      expect(await query(second.url, "SELECT v FROM kept")).toEqual([{ v: "still here" }]);
    } finally {
      await second.stop();
    }
  });

  it("refuses a wrong password", async () => {
    const running = await startEmbeddedPostgres({ dir });
    try {
      const wrong = new URL(running.url);
      wrong.password = "wrong";
      await expect(query(wrong.toString(), "SELECT 1")).rejects.toThrow(/password authentication failed/);
    } finally {
      await running.stop();
    }
  });

  it("says what is wrong when the data exists but its credentials are gone", async () => {
    await fs.rename(path.join(dir, "postgres.json"), path.join(dir, "postgres.json.bak"));
    try {
      await expect(startEmbeddedPostgres({ dir })).rejects.toThrow(/postgres\.json is missing/);
    } finally {
      await fs.rename(path.join(dir, "postgres.json.bak"), path.join(dir, "postgres.json"));
    }
  });
});

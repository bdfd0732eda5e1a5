import { mkdirSync, mkdtempSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { letPostgresUserThrough } from "@/server/db/embedded";

const mode = (p: string) => statSync(p).mode & 0o777;

describe("letting the postgres user reach its binaries and data", () => {
  it("adds only the execute bit for others, only where it is missing, up to the root", async () => {
    const top = mkdtempSync(path.join(os.tmpdir(), "fleetlens-perm-")); // 0700, as mktemp -d makes
    const inner = path.join(top, "private");
    const leaf = path.join(inner, "open");
    mkdirSync(inner, { mode: 0o700 });
    mkdirSync(leaf, { mode: 0o755 });
    expect(mode(top)).toBe(0o700);

    const changed = await letPostgresUserThrough(leaf);
    expect(changed).toEqual([inner, top]);
    expect(mode(top)).toBe(0o701); // pass through, not list
    expect(mode(inner)).toBe(0o701);
    expect(mode(leaf)).toBe(0o755);
    expect(await letPostgresUserThrough(leaf)).toEqual([]);
  });
});

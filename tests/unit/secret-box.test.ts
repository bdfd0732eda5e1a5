import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { decryptSecret, encryptSecret, parseKey, SecretKeyError } from "@/server/auth/secret-box";

const key = randomBytes(32);

describe("secret box (AES-256-GCM)", () => {
  it("round-trips a secret and never stores the plaintext", () => {
    const sealed = encryptSecret("s3cr3t-p@ss", key);
    expect(sealed.includes(Buffer.from("s3cr3t-p@ss"))).toBe(false);
    expect(decryptSecret(sealed, key)).toBe("s3cr3t-p@ss");
  });

  it("uses a fresh nonce each time", () => {
    expect(encryptSecret("same", key).equals(encryptSecret("same", key))).toBe(false);
  });

  it("refuses a tampered ciphertext or another key with a clear error", () => {
    const sealed = encryptSecret("secret", key);
    sealed[sealed.length - 1]! ^= 1;
    expect(() => decryptSecret(sealed, key)).toThrow(SecretKeyError);
    expect(() => decryptSecret(encryptSecret("secret", key), randomBytes(32))).toThrow(/cannot be decrypted/);
    expect(() => decryptSecret(Buffer.from([9, 1, 2]), key)).toThrow(/format/);
  });

  it("accepts a key as 64 hex digits or base64 of 32 bytes, and nothing else", () => {
    expect(parseKey(key.toString("hex")).equals(key)).toBe(true);
    expect(parseKey(key.toString("base64")).equals(key)).toBe(true);
    expect(() => parseKey("too-short")).toThrow(/32 bytes/);
  });
});

describe("the generated key", () => {
  it("is created once in the data dir with mode 0600 and reused after a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fleetlens-key-"));
    vi.stubEnv("FLEETLENS_DATA_DIR", dir);
    vi.stubEnv("FLEETLENS_SECRET_KEY", "");
    try {
      vi.resetModules();
      const first = await import("@/server/auth/secret-box");
      const sealed = first.encryptSecret("kept across restarts");
      const file = join(dir, "secret.key");
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, "utf8")).toMatch(/^[0-9a-f]{64}$/);

      vi.resetModules(); // a new process: no cached key
      const second = await import("@/server/auth/secret-box");
      expect(second.decryptSecret(sealed)).toBe("kept across restarts");
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});

/**
 * Source secrets (passwords, tokens) at rest: AES-256-GCM with a 96-bit random nonce.
 * Stored as: version byte (1) | nonce (12) | auth tag (16) | ciphertext.
 *
 * The key is FLEETLENS_SECRET_KEY (32 bytes, as 64 hex digits or base64), or else a key generated
 * once into <data dir>/secret.key with mode 0600. Losing the key makes stored secrets unreadable
 * (sources then need their secret entered again); it never exposes them.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setting } from "../config";
import { dataDir } from "../db/paths";

const VERSION = 1;
const AAD = Buffer.from("fleetlens:source-secret:v1");

export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretKeyError";
  }
}

export function parseKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, "hex")
    : Buffer.from(trimmed, "base64");
  if (key.length !== 32) {
    throw new SecretKeyError(
      "FLEETLENS_SECRET_KEY must be 32 bytes, as 64 hex digits or base64 (openssl rand -hex 32)",
    );
  }
  return key;
}

/**
 * A 32-byte key from an environment variable, or else generated once into <data dir>/<file> with
 * mode 0600 and read from there ever after.
 */
export function persistentKey(envValue: string | undefined, file: string): Buffer {
  if (envValue) return parseKey(envValue);
  const location = path.join(dataDir(), file);
  try {
    return parseKey(readFileSync(location, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  mkdirSync(path.dirname(location), { recursive: true });
  const key = randomBytes(32);
  // "wx": never overwrite a key another process wrote first.
  try {
    writeFileSync(location, key.toString("hex"), { mode: 0o600, flag: "wx" });
    return key;
  } catch (raced) {
    if ((raced as NodeJS.ErrnoException).code !== "EEXIST") throw raced;
    return parseKey(readFileSync(location, "utf8"));
  }
}

let cachedKey: Buffer | undefined;

export function secretKey(): Buffer {
  cachedKey ??= persistentKey(setting("FLEETLENS_SECRET_KEY"), "secret.key");
  return cachedKey;
}

export function encryptSecret(plaintext: string, key: Buffer = secretKey()): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(AAD);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), nonce, cipher.getAuthTag(), body]);
}

export function decryptSecret(sealed: Uint8Array, key: Buffer = secretKey()): string {
  const data = Buffer.from(sealed);
  if (data.length < 29 || data[0] !== VERSION) {
    throw new SecretKeyError("stored secret is not in a format this version can read");
  }
  const decipher = createDecipheriv("aes-256-gcm", key, data.subarray(1, 13));
  decipher.setAAD(AAD);
  decipher.setAuthTag(data.subarray(13, 29));
  try {
    return Buffer.concat([decipher.update(data.subarray(29)), decipher.final()]).toString("utf8");
  } catch {
    throw new SecretKeyError(
      "stored secret cannot be decrypted with the current key (was FLEETLENS_SECRET_KEY or .data/secret.key changed?): enter the source's secret again",
    );
  }
}

/**
 * What every ssh transport of the collectors shares (libvirt's qemu+ssh, guest discovery): host key
 * fingerprints in the form `ssh-keygen -lf` prints them, the armour a private key must have, and
 * quoting a word for the remote shell. Each kind keeps its own connection and errors.
 */
import { createHash } from "node:crypto";

/**
 * The SHA-256 fingerprint in the form `ssh-keygen -lf` prints ("SHA256:" and unpadded base64);
 * accepts a whole `ssh-keygen -lf` line. Null when there is none.
 */
export function normaliseHostKeyFingerprint(text: string): string | null {
  const match = /(?:^|\s)SHA256:([A-Za-z0-9+/]{43})=?(?:\s|$)/.exec(` ${text.trim()} `);
  return match ? `SHA256:${match[1]}` : null;
}

/** The fingerprint of a raw ssh host key (the key blob). */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** Whether text is a private key in PEM / OpenSSH armour (-----BEGIN ... PRIVATE KEY-----). */
export function isPrivateKeyArmour(text: string): boolean {
  return /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text);
}

/** A word for the remote shell: single-quoted. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * API tokens for scripts: `flk_` and 32 random bytes (base64url). Shown once at creation; only the
 * SHA-256 is stored. A token acts as its user, with the user's role and customer scope, until it
 * is revoked, the user's password changes (by themselves or by an administrator), or the user is
 * deleted.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Database } from "../db/client";
import type { Prisma } from "../db/generated/client";

export const TOKEN_PREFIX = "flk_";

export const tokenHash = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");

export async function createApiToken(database: Database, userId: string, name: string) {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const row = await database.prisma.apiToken.create({
    data: { userId, name, prefix: token.slice(0, 12), hash: tokenHash(token) },
    select: { id: true, name: true, prefix: true, createdAt: true },
  });
  return { ...row, token };
}

/**
 * A token's last use, kept to the minute (server/auth/viewer.ts' viewerForToken checks tokens): a
 * write and its commit on every call cost more than most calls (bench/api: 12 ms of a call's 13
 * with nothing else running).
 */
export async function recordTokenUse(database: Database, tokenId: string): Promise<void> {
  await database.pool.query("UPDATE api_token SET last_used_at = now() WHERE id = $1", [tokenId]);
}

export async function revokeApiToken(database: Database, userId: string, tokenId: string) {
  const { count } = await database.prisma.apiToken.updateMany({
    where: { id: tokenId, userId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  return count > 0;
}

/** Revokes every live token of a user (their password changed); returns how many. */
export async function revokeAllApiTokens(client: Pick<Prisma.TransactionClient, "apiToken">, userId: string): Promise<number> {
  const { count } = await client.apiToken.updateMany({
    where: { userId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  return count;
}

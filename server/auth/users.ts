/**
 * Users with an email and password, created by the first-run setup, by an administrator, or from
 * FLEETLENS_ADMIN_EMAIL / FLEETLENS_ADMIN_PASSWORD. They are stored as better-auth stores them (a
 * user row and a "credential" account holding the password hash), so better-auth signs them in.
 */
import { randomUUID } from "node:crypto";
import { hashPassword } from "better-auth/crypto";
import { z } from "zod";
import type { Database } from "../db/client";
import type { Role } from "../db/generated/client";
import { revokeAllApiTokens } from "./tokens";

export const MIN_PASSWORD_LENGTH = 10;
export const password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `a password needs at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(256);
export const email = z.email("not an email address").max(320).transform((e) => e.toLowerCase());

export interface NewUser {
  email: string;
  name: string;
  password: string;
  role: Role;
  allCustomers: boolean;
  customerIds?: string[];
}

export class UserExistsError extends Error {
  constructor(email: string) {
    super(`a user with the email ${email} exists already`);
    this.name = "UserExistsError";
  }
}

export async function createUser(database: Database, user: NewUser): Promise<{ id: string }> {
  const id = randomUUID();
  const hash = await hashPassword(user.password);
  const address = user.email.toLowerCase();
  try {
    await database.prisma.$transaction([
      database.prisma.user.create({
        data: { id, email: address, name: user.name, role: user.role, allCustomers: user.allCustomers },
      }),
      database.prisma.account.create({
        data: { id: randomUUID(), accountId: id, providerId: "credential", userId: id, password: hash },
      }),
      database.prisma.customerAccess.createMany({
        data: (user.customerIds ?? []).map((customerId) => ({ userId: id, customerId })),
      }),
    ]);
  } catch (error) {
    if ((error as { code?: string }).code === "P2002") throw new UserExistsError(address);
    throw error;
  }
  return { id };
}

/**
 * Sets a user's password (by an administrator, or `npm run admin -- reset-password`) and, in the
 * same transaction, ends every session of theirs and revokes their API tokens: whoever knew the
 * old password may have signed in or made a token with it.
 */
export async function resetPassword(
  database: Database,
  userId: string,
  newPassword: string,
): Promise<{ sessionsEnded: number; tokensRevoked: number }> {
  const hash = await hashPassword(newPassword);
  return database.prisma.$transaction(async (tx) => {
    const updated = await tx.account.updateMany({
      where: { userId, providerId: "credential" },
      data: { password: hash },
    });
    if (updated.count === 0) {
      await tx.account.create({
        data: { id: randomUUID(), accountId: userId, providerId: "credential", userId, password: hash },
      });
    }
    const sessions = await tx.session.deleteMany({ where: { userId } });
    return { sessionsEnded: sessions.count, tokensRevoked: await revokeAllApiTokens(tx, userId) };
  });
}

/**
 * The first administrator, if there is no user yet; under a lock so two starts (or a start and the
 * setup page) cannot both create one. Returns null when users exist already.
 */
export async function createFirstAdmin(
  database: Database,
  admin: { email: string; name: string; password: string },
): Promise<{ id: string } | null> {
  return database.prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${0x464c}, 1)`;
    if ((await tx.user.count()) > 0) return null;
    const id = randomUUID();
    await tx.user.create({
      data: { id, email: admin.email.toLowerCase(), name: admin.name, role: "admin", allCustomers: true },
    });
    await tx.account.create({
      data: { id: randomUUID(), accountId: id, providerId: "credential", userId: id, password: await hashPassword(admin.password) },
    });
    return { id };
  });
}

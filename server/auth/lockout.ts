/**
 * The sign-in lockout: failed password sign-ins slow an attacker down without handing them a way
 * to keep the owner out (security review M2: five wrong passwords from five addresses used to lock
 * the administrator out for 15 minutes, and 20 requests an hour kept them out).
 *
 * 1. Per account and client address (an IPv4 address, or the /64 of an IPv6 one): 5 failures, each
 *    within 15 minutes of the one before, lock that account from that address only, until 15
 *    minutes after the last of them.
 * 2. Per account over every address: after 10 failures, each further attempt must wait since the
 *    last one, 1 second after the 10th failure and twice as long after each next one, at most 60
 *    seconds; sooner is refused with "try again in N seconds". A spread-out password spray gets
 *    about one guess a minute per account; the count is forgotten 15 minutes after the last failure.
 * 3. An address the user signed in from with their password in the last 90 days skips rule 2, so
 *    failures from elsewhere never delay the owner at their usual address; rule 1 still applies.
 *
 * An attempt is counted when it starts (atomically, so parallel guesses cannot all pass the check)
 * and given back when it turns out not to be a wrong password. A success forgets that address's
 * failures. An administrator (`users.unlock`) or `npm run admin -- unlock <email>` forgets all of
 * an account's failures. Failures are kept for any email typed, known or not, so a refusal tells
 * nothing about which accounts exist.
 */
import net from "node:net";
import type pg from "pg";
import type { Database } from "../db/client";

export const SIGN_IN_LOCKOUT = {
  /** Failures from one address before that address is locked out of the account. */
  perAddress: 5,
  /** Failures of one account, from every address, before each attempt must wait. */
  accountFree: 10,
  /** The longest wait between attempts on one account. */
  accountMaxDelaySeconds: 60,
  /** Counts are forgotten this long after the last failure; an address's lock lasts as long. */
  windowMinutes: 15,
  /** How long an address the user signed in from skips the account-wide wait. */
  knownAddressDays: 90,
} as const;

/** The row that counts an account's failures over every address. */
const EVERY_ADDRESS = "*";
const UNKNOWN_ADDRESS = "unknown";

/** IPv6 groups, eight of four hex digits each (a dotted IPv4 tail becomes the last two). */
function ipv6Groups(address: string): string[] {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  return groups.map((group) => group.padStart(4, "0"));
}

/**
 * The address a lock applies to: an IPv4 address as is (also when mapped into IPv6), an IPv6
 * address as its /64 (one subscriber's network, which hands out addresses freely), and anything
 * else, or nothing, as one shared "unknown" address.
 */
export function clientNetwork(ip: string | null | undefined): string {
  const address = ip?.trim().replace(/^\[(.*)\]$/, "$1").split("%")[0] ?? "";
  if (net.isIPv4(address)) return address;
  if (!net.isIPv6(address)) return UNKNOWN_ADDRESS;
  const groups = ipv6Groups(address);
  if (groups.slice(0, 5).every((g) => g === "0000") && groups[5] === "ffff") {
    const [high, low] = [parseInt(groups[6]!, 16), parseInt(groups[7]!, 16)];
    return [high >> 8, high & 255, low >> 8, low & 255].join(".");
  }
  return `${groups.slice(0, 4).join(":")}::/64`;
}

/** How long after an account's last failure its next attempt may start, with `failures` counted. */
export function accountDelaySeconds(failures: number): number {
  if (failures < SIGN_IN_LOCKOUT.accountFree) return 0;
  return Math.min(2 ** (failures - SIGN_IN_LOCKOUT.accountFree), SIGN_IN_LOCKOUT.accountMaxDelaySeconds);
}

const normalEmail = (email: string) => email.trim().toLowerCase();
const WINDOW = `${SIGN_IN_LOCKOUT.windowMinutes} minutes`;

export type SignInClaim =
  | { allowed: true }
  | { allowed: false; scope: "address" | "account"; retryAfterSeconds: number; message: string };

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
const WINDOW_MS = SIGN_IN_LOCKOUT.windowMinutes * 60_000;

/** A failure counter, locked until the transaction ends: failures still counted, and how long ago the last one was. */
async function lockCounter(client: pg.PoolClient, email: string, address: string): Promise<{ count: number; sinceMs: number }> {
  await client.query(
    `INSERT INTO sign_in_failure (email, address, count, last_at) VALUES ($1, $2, 0, now()) ON CONFLICT (email, address) DO NOTHING`,
    [email, address],
  );
  const { rows } = await client.query<{ count: number; since_ms: number }>(
    `SELECT count, (extract(epoch FROM now() - last_at) * 1000)::float8 AS since_ms
       FROM sign_in_failure WHERE email = $1 AND address = $2 FOR UPDATE`,
    [email, address],
  );
  const row = rows[0]!;
  // last_at keeps milliseconds, rounded: a moment ago may read as a fraction of one in the future.
  const sinceMs = Math.max(0, row.since_ms);
  // Forgotten once the window has passed since the last failure.
  return { count: sinceMs >= WINDOW_MS ? 0 : row.count, sinceMs };
}

async function countAttempt(client: pg.PoolClient, email: string, address: string, count: number) {
  await client.query(`UPDATE sign_in_failure SET count = $3, last_at = now() WHERE email = $1 AND address = $2`, [email, address, count + 1]);
}

/**
 * Counts a sign-in attempt before the password is checked, or refuses it. Both counters change in
 * one transaction, under their rows' locks, so concurrent attempts see each other.
 */
export async function claimSignInAttempt(database: Database, email: string, address: string): Promise<SignInClaim> {
  const account = normalEmail(email);
  const client = await database.pool.connect();
  try {
    await client.query("BEGIN");
    const fromHere = await lockCounter(client, account, address);
    if (fromHere.count >= SIGN_IN_LOCKOUT.perAddress) {
      await client.query("ROLLBACK");
      const wait = Math.max(1, Math.ceil((WINDOW_MS - fromHere.sinceMs) / 1000));
      const minutes = Math.ceil(wait / 60);
      return {
        allowed: false,
        scope: "address",
        retryAfterSeconds: wait,
        message:
          `Too many failed sign-ins for this account from your address. Try again in ${plural(minutes, "minute")}, ` +
          `or ask an administrator to unlock the account.`,
      };
    }
    const everywhere = await lockCounter(client, account, EVERY_ADDRESS);
    const delayMs = accountDelaySeconds(everywhere.count) * 1000;
    const waitMs = delayMs - everywhere.sinceMs;
    if (delayMs > 0 && waitMs > 0) {
      const known = await client.query(
        `SELECT 1 FROM sign_in_address a JOIN "user" u ON u.id = a.user_id
          WHERE u.email = $1 AND a.address = $2 AND a.last_at > now() - make_interval(days => $3)`,
        [account, address, SIGN_IN_LOCKOUT.knownAddressDays],
      );
      if (known.rowCount === 0) {
        await client.query("ROLLBACK");
        const wait = Math.max(1, Math.ceil(waitMs / 1000));
        return {
          allowed: false,
          scope: "account",
          retryAfterSeconds: wait,
          message: `Too many failed sign-ins for this account. Try again in ${plural(wait, "second")}.`,
        };
      }
    }
    await countAttempt(client, account, address, fromHere.count);
    await countAttempt(client, account, EVERY_ADDRESS, everywhere.count);
    await client.query("COMMIT");
    return { allowed: true };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/**
 * After the password was checked: a wrong one stays counted; a success forgets this address's
 * failures, gives back the account-wide count and remembers the address; anything else (a
 * malformed request) gives the attempt back.
 */
export async function settleSignInAttempt(
  database: Database,
  email: string,
  address: string,
  outcome: { kind: "wrong-password" } | { kind: "success"; userId: string } | { kind: "not-an-attempt" },
): Promise<void> {
  const account = normalEmail(email);
  if (outcome.kind === "wrong-password") {
    // Forgotten counters go, so the table holds only recent failures; rows a sign-in holds are
    // skipped (next time), never waited for.
    await database.pool
      .query(
        `DELETE FROM sign_in_failure WHERE (email, address) IN (
           SELECT email, address FROM sign_in_failure WHERE last_at < now() - $1::interval FOR UPDATE SKIP LOCKED)`,
        [WINDOW],
      )
      .catch(() => {});
    return;
  }
  await database.pool.query(
    `UPDATE sign_in_failure SET count = count - 1 WHERE email = $1 AND address = $2 AND count > 0`,
    [account, EVERY_ADDRESS],
  );
  if (outcome.kind === "success") {
    await database.pool.query(`DELETE FROM sign_in_failure WHERE email = $1 AND address = $2`, [account, address]);
    await database.pool.query(
      `INSERT INTO sign_in_address (user_id, address, last_at) VALUES ($1, $2, now())
       ON CONFLICT (user_id, address) DO UPDATE SET last_at = now()`,
      [outcome.userId, address],
    );
  } else {
    await database.pool.query(
      `UPDATE sign_in_failure SET count = count - 1 WHERE email = $1 AND address = $2 AND count > 0`,
      [account, address],
    );
  }
}

/** Forgets every failed sign-in of an account; returns how many there were (over every address). */
export async function clearSignInFailures(database: Database, email: string): Promise<number> {
  // Rows are locked in the order a sign-in locks them (its address, then "*"), so the two never deadlock.
  const { rows } = await database.pool.query<{ address: string; count: number; recent: boolean }>(
    `WITH doomed AS (
       SELECT email, address FROM sign_in_failure WHERE email = $1 ORDER BY address = $3, address FOR UPDATE)
     DELETE FROM sign_in_failure f USING doomed d WHERE f.email = d.email AND f.address = d.address
     RETURNING f.address, f.count, f.last_at > now() - $2::interval AS recent`,
    [normalEmail(email), WINDOW, EVERY_ADDRESS],
  );
  return rows.find((r) => r.address === EVERY_ADDRESS && r.recent)?.count ?? 0;
}

export interface SignInLockState {
  /** Failed sign-ins of the account in the current window, over every address. */
  failures: number;
  /** Some address is locked out of the account, or every attempt must wait. */
  locked: boolean;
}

/** The lock state of every account with recent failures, by lower-case email. */
export async function signInLockStates(database: Database): Promise<Map<string, SignInLockState>> {
  const { rows } = await database.pool.query<{ email: string; failures: number | null; address_locked: boolean }>(
    `SELECT email,
            max(count) FILTER (WHERE address = $1) AS failures,
            bool_or(address <> $1 AND count >= $2) AS address_locked
       FROM sign_in_failure WHERE last_at > now() - $3::interval GROUP BY email`,
    [EVERY_ADDRESS, SIGN_IN_LOCKOUT.perAddress, WINDOW],
  );
  return new Map(
    rows.map((r) => {
      const failures = r.failures ?? 0;
      return [r.email, { failures, locked: r.address_locked || failures >= SIGN_IN_LOCKOUT.accountFree }];
    }),
  );
}

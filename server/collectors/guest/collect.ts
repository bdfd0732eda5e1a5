/**
 * Guest discovery over many guests: each guest gets its own ssh connection (ssh.ts), at most
 * `concurrency` at a time (default 8), and its command results become its facts (parse.ts). A guest
 * that cannot be reached or read is a warning naming it; the others go on.
 */
import { mapLimit } from "../concurrency";
import { GUEST_COMMANDS } from "./commands";
import type { GuestCommand, GuestFacts } from "./facts";
import { factsFromResults } from "./parse";
import {
  guestTargetLabel,
  runGuestCommands,
  type GuestAuth,
  type GuestHostKeyPolicy,
  type GuestJump,
  type GuestTarget,
} from "./ssh";

export const DEFAULT_GUEST_CONCURRENCY = 8;

export interface GuestCollectOptions {
  auth: GuestAuth;
  /** One policy for every guest, or one per guest (pinned per host, recorded on first use). */
  hostKey: GuestHostKeyPolicy | ((target: GuestTarget) => GuestHostKeyPolicy);
  jump?: GuestJump | null;
  sudo?: boolean;
  /** Guests read at once (default 8). */
  concurrency?: number;
  connectTimeoutMs?: number;
  /** Commands at once on one guest's connection (ssh.ts; default 4). */
  channels?: number;
  /** The command set (default GUEST_COMMANDS; tests give their own). */
  commands?: readonly GuestCommand[];
  signal?: AbortSignal;
}

/** A guest that could not be read: its label ("user@host:port"), the error, and the warning that says it. */
export interface GuestFailure {
  target: string;
  error: unknown;
  warning: string;
}

export interface GuestCollection {
  collectedAt: string;
  guests: GuestFacts[];
  /** Every warning, the failures' included. */
  warnings: string[];
  failures: GuestFailure[];
}

export async function collectGuests(targets: readonly GuestTarget[], options: GuestCollectOptions): Promise<GuestCollection> {
  const collectedAt = new Date().toISOString();
  const warnings: string[] = [];
  // The same guest listed twice is read once.
  const seen = new Set<string>();
  const unique = targets.filter((target) => {
    const label = guestTargetLabel(target);
    if (seen.has(label)) {
      warnings.push(`${label}: listed more than once, read once`);
      return false;
    }
    seen.add(label);
    return true;
  });
  const limit = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_GUEST_CONCURRENCY));
  const commands = options.commands ?? GUEST_COMMANDS;
  type Outcome = { facts: GuestFacts } | GuestFailure;
  const outcomes = await mapLimit(unique, limit, options.signal, async (target): Promise<Outcome> => {
    const label = guestTargetLabel(target);
    const startedAt = new Date().toISOString();
    try {
      const hostKey = typeof options.hostKey === "function" ? options.hostKey(target) : options.hostKey;
      const results = await runGuestCommands(target, commands, {
        auth: options.auth,
        hostKey,
        jump: options.jump ?? null,
        sudo: options.sudo ?? false,
        connectTimeoutMs: options.connectTimeoutMs,
        channels: options.channels,
        signal: options.signal,
      });
      return { facts: factsFromResults(label, results, startedAt) };
    } catch (error) {
      // An abort stops the whole collection; anything else costs this guest only.
      if (options.signal?.aborted) throw error;
      return { target: label, error, warning: `${label}: ${error instanceof Error ? error.message : String(error)}` };
    }
  });
  const guests: GuestFacts[] = [];
  const failures: GuestFailure[] = [];
  for (const outcome of outcomes) {
    if ("facts" in outcome) guests.push(outcome.facts);
    else {
      failures.push(outcome);
      warnings.push(outcome.warning);
    }
  }
  return { collectedAt, guests, warnings, failures };
}

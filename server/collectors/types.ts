/**
 * What a collector kind is: the contract every folder under collectors/ fulfils with one
 * `defineCollector({...})` in its index.ts, and that collectors/index.ts lists. Types only (and the
 * identity function that checks a definition), so a kind's files import from here, never from the
 * registry that imports them.
 */
import type { z } from "zod";
import type { SourceKind } from "../db/generated/enums";
import type { SnapshotInput } from "../inventory/snapshot";

export interface CollectableSource {
  /** The database's kinds, which are the registry's (collectors/index.ts checks that they agree). */
  kind: SourceKind;
  name: string;
  endpoint: string;
  username: string | null;
  /** Decrypted secret, only for the duration of the collection. */
  secret: string | null;
  options: Record<string, unknown>;
}

/** A file uploaded to the source for this run, kept in the server's own folder (jobs/uploads.ts). */
export interface UploadedFile {
  /** Where the server stored it: made from ids, never from what the client sent. */
  path: string;
  /** The name it was uploaded as, for messages (the path must not appear in them). */
  name: string;
  bytes: number;
}

/** An inventoried VM of the source's customer, as a kind that reaches inside VMs (guest) needs it. */
export interface KnownVm {
  name: string;
  /** The addresses its platform reports (guest tools, DHCP leases, RVTools vNetwork). */
  ipAddresses: string[];
}

/**
 * What the server already knows that a kind may need to collect, read by the job before the
 * collector runs (the collector itself never reads the database). A kind says which it needs
 * (`needs`); the command line gives what it can.
 */
export interface CollectorKnowledge {
  /** The customer's powered-on Linux VMs (not templates) from its other sources. */
  vms?: KnownVm[];
  /** The ssh host keys this source trusted on first use, "host:port" → SHA256:... */
  hostKeys?: Record<string, string>;
  /**
   * Measured use already stored for this source: per object ("virtualMachine:vm-12", "host:host-21"),
   * the newest time of its historical values (intervals of 300 s to a day), so that a collection
   * reads only what is new.
   */
  utilisationSince?: Record<string, string>;
}

export type Knowledge = keyof CollectorKnowledge;

/** Fetches and normalises; never touches the database (shared/architecture.md). */
export type Collector = (
  source: CollectableSource,
  context: { signal: AbortSignal; upload?: UploadedFile | null; known?: CollectorKnowledge },
) => Promise<SnapshotInput>;

/** Turns the command-line arguments after `collect <kind>` into a source to collect. */
export type CliSourceParser = (args: string[], env: NodeJS.ProcessEnv) => CollectableSource;

/** A setting of the kind that the Sources form offers (an option key; never secret). */
export interface OptionField {
  key: string;
  label: string;
  type: "text" | "checkbox";
  hint: string;
}

/**
 * What the source's secret field holds for this kind. A private key is several lines of PEM, so the
 * form offers a text area for it; the others are one line.
 */
export type SecretKind = "none" | "password" | "token" | "private-key";

export interface CollectorDefinition<K extends string = string> {
  kind: K;
  /** The kind's name for people. */
  label: string;
  /**
   * What an endpoint looks like, with an example for the form and for the error message; `check`,
   * when the pattern cannot say all (a list of targets): why this endpoint cannot work, or null.
   */
  endpoint: { pattern: RegExp; example: string; check?: (endpoint: string) => string | null };
  /**
   * The source's options: checked when a source is saved (an invalid one is refused, naming the
   * option) and read again by the collector when it runs.
   */
  options: z.ZodType;
  /** The options the Sources form shows, in order. */
  fields: readonly OptionField[];
  secret: { kind: SecretKind; hint?: string };
  /** Absent: sources of this kind can be saved but not collected yet. */
  collect?: Collector;
  /**
   * Present: a source of this kind is collected from a file uploaded on the Sources page (each upload
   * is a run, which gets it as `upload`), not on a schedule; `accept` is what the file picker offers.
   */
  upload?: { accept: string; hint: string };
  /** What the job reads for the collector before it runs (CollectorKnowledge); none when absent. */
  needs?: readonly Knowledge[];
  /** Absent: the kind cannot be collected from the command line. */
  cli?: CliSourceParser;
  /**
   * What the command line collects with, when it differs from `collect`: a kind that reads a local
   * file (rvtools) reads any path the person at the terminal names, which a source saved on the
   * server must never do.
   */
  collectCli?: Collector;
}

/** Checks a definition's shape and keeps its kind's literal type. */
export function defineCollector<const K extends string>(definition: CollectorDefinition<K>): CollectorDefinition<K> {
  return definition;
}

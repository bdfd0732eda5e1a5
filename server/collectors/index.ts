/**
 * The collector kinds, one line each. A kind defines itself in its folder (`<kind>/index.ts`:
 * label, endpoint pattern, options schema, form fields, secret, collect, CLI); everything else (the
 * Sources router and form, the collect CLI, jobs) reads it from this list. Adding a kind:
 * docs/extending.md. A collector only fetches and normalises: it returns a snapshot and never
 * touches the database (shared/architecture.md), so it can run alone from a CLI.
 */
import type { SourceKind as StoredSourceKind } from "../db/generated/enums";
import { demo } from "./demo";
import { docker } from "./docker";
import { guest } from "./guest";
import { libvirt } from "./libvirt";
import { lxd } from "./lxd";
import { rvtools } from "./rvtools";
import type { Collector, CollectorDefinition } from "./types";
import { vsphere } from "./vsphere";

export type { CliSourceParser, CollectableSource, Collector, CollectorDefinition, CollectorKnowledge, KnownVm, OptionField, SecretKind } from "./types";

/** In the order the Sources form offers them (the database enum `SourceKind` holds the same names). */
export const COLLECTORS = [vsphere, libvirt, docker, lxd, guest, demo, rvtools] as const;

export type SourceKind = (typeof COLLECTORS)[number]["kind"];
export const SOURCE_KINDS = COLLECTORS.map((c) => c.kind) as [SourceKind, ...SourceKind[]];

// A kind in the list needs its value in the database enum (a Prisma migration), and every value of
// the enum needs a definition: this line stops compiling until both agree.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _kindsMatchTheDatabase: Same<SourceKind, StoredSourceKind> = true;

/** Kinds collected from an uploaded file (never on a schedule: a new file comes with each upload). */
export const UPLOAD_KINDS: SourceKind[] = COLLECTORS.filter((c) => "upload" in c && c.upload).map((c) => c.kind);

export class CollectorUnavailableError extends Error {
  constructor(kind: string) {
    super(`no ${kind} collector in this version of Fleetlens yet: the source is saved, but cannot be collected`);
    this.name = "CollectorUnavailableError";
  }
}

export function collectorDefinition(kind: SourceKind): CollectorDefinition<SourceKind> {
  const definition = COLLECTORS.find((c) => c.kind === kind);
  if (!definition) throw new RangeError(`unknown source kind "${kind}"`);
  return definition;
}

export function collectorFor(kind: SourceKind): Collector {
  const { collect } = collectorDefinition(kind);
  if (!collect) throw new CollectorUnavailableError(kind);
  return collect;
}

/** Why a source's options are not valid for its kind, naming the first bad option; null when they are. */
export function optionsProblem(kind: SourceKind, options: Record<string, unknown>): string | null {
  const parsed = collectorDefinition(kind).options.safeParse(options);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0];
  const path = issue?.path.join(".");
  return path ? `invalid ${kind} option ${path}: ${issue?.message}` : `invalid ${kind} options: ${issue?.message}`;
}

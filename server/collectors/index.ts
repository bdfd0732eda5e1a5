/**
 * Collectors by source kind. A collector only fetches and normalises: it returns a snapshot and
 * never touches the database (shared/architecture.md), so it can run alone from a CLI.
 */
import type { SnapshotInput } from "../inventory/snapshot";
import { collectDemo } from "./demo/collector";
import { collectDocker } from "./docker/collector";
import { collectLibvirt } from "./libvirt/collector";
import { collectVsphere } from "./vsphere/collector";

export const SOURCE_KINDS = ["vsphere", "libvirt", "docker", "demo", "rvtools"] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export interface CollectableSource {
  kind: SourceKind;
  name: string;
  endpoint: string;
  username: string | null;
  /** Decrypted secret, only for the duration of the collection. */
  secret: string | null;
  options: Record<string, unknown>;
}

export type Collector = (
  source: CollectableSource,
  context: { signal: AbortSignal },
) => Promise<SnapshotInput>;

export class CollectorUnavailableError extends Error {
  constructor(kind: string) {
    super(`no ${kind} collector in this version of Fleetlens yet: the source is saved, but cannot be collected`);
    this.name = "CollectorUnavailableError";
  }
}

const collectors: Partial<Record<SourceKind, Collector>> = {
  demo: collectDemo,
  docker: collectDocker,
  libvirt: collectLibvirt,
  vsphere: collectVsphere,
};

export function collectorFor(kind: SourceKind): Collector {
  const collector = collectors[kind];
  if (!collector) throw new CollectorUnavailableError(kind);
  return collector;
}

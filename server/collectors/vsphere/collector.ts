/**
 * The vsphere source: a vCenter's (or a standalone ESXi's) inventory over the SOAP API.
 *
 * Endpoint: https://vcenter.example/sdk (a bare host name means https://host/sdk). The user name
 * is the source's username, the password its secret. Options:
 *   insecure        true: do not verify the TLS certificate (explicitly; never process-wide)
 *   fingerprint     SHA-256 fingerprint of the certificate to trust ("AB:CD:..."), for self-signed
 *                   certificates; the first failed connection's error shows the server's
 *   timeoutSeconds  limit for one request (default 300)
 *   pageSize        objects per RetrievePropertiesEx page (default 1000; the server may send fewer)
 *   performanceDays days of PerformanceManager history to read for hosts and powered-on VMs
 *                   (default 7, 0 = none: quick stats only; at most 30); performance.ts
 *   templateEventDays days of deploy and clone events read to say when each template was last used
 *                   (default 30, vCenter's default event.maxAge; 0 = none); events.ts
 */
import { z } from "zod";
import type { CollectableSource, Collector } from "../types";
import { VsphereClient } from "./client";
import { isNotAuthenticated, VsphereError } from "./errors";
import {
  emptyInventory,
  readComputeResource,
  readDatacenter,
  readDatastore,
  readFolder,
  readHost,
  readResourcePool,
  readCustomFieldNames,
  readVirtualMachine,
  toSnapshot,
  type VsphereInventory,
} from "./normalise";
import {
  COMPUTE_RESOURCE,
  DATACENTER,
  DATASTORE,
  FOLDER,
  HOST,
  RESOURCE_POOL,
  VIEW_TYPES,
  VIRTUAL_MACHINE,
} from "./properties";
import { MAX_PERFORMANCE_DAYS, readPerformance, type QueryEntity } from "./performance";
import { normaliseFingerprint } from "../tls";
import type { TlsPolicy } from "./soap";
import { MAX_TEMPLATE_EVENT_DAYS, readTemplateUse, type TemplateUse } from "./events";
import type { SnapshotInput } from "../../inventory/snapshot";

export const vsphereOptions = z.object({
  insecure: z.boolean().default(false),
  fingerprint: z.string().optional(),
  timeoutSeconds: z.number().int().min(1).max(3600).default(300),
  pageSize: z.number().int().min(1).max(100_000).default(1000),
  // The Sources form's text field sends "7": a whole number as text is taken too.
  performanceDays: z
    .union([z.number(), z.string().trim().regex(/^\d+$/, "a whole number of days").transform(Number)])
    .pipe(z.number().int().min(0).max(MAX_PERFORMANCE_DAYS))
    .default(7),
  templateEventDays: z
    .union([z.number(), z.string().trim().regex(/^\d+$/, "a whole number of days").transform(Number)])
    .pipe(z.number().int().min(0).max(MAX_TEMPLATE_EVENT_DAYS))
    .default(30),
});

export class VsphereConfigurationError extends VsphereError {
  constructor(message: string) {
    super(message);
    this.name = "VsphereConfigurationError";
  }
}

/** "vc.example", "vc.example:8443", "https://vc.example" → "https://vc.example[:port]/sdk". */
export function sdkUrl(endpoint: string): URL {
  const text = endpoint.trim();
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    throw new VsphereConfigurationError(`not a vSphere endpoint: "${endpoint}" (expected https://host/sdk)`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new VsphereConfigurationError(`not a vSphere endpoint: "${endpoint}" (expected https://host/sdk)`);
  }
  if (url.pathname === "" || url.pathname === "/") url.pathname = "/sdk";
  url.username = "";
  url.password = "";
  return url;
}

export function tlsPolicy(options: { insecure: boolean; fingerprint?: string | undefined }): TlsPolicy {
  if (options.insecure && options.fingerprint) {
    throw new VsphereConfigurationError(`choose one: "insecure" or a pinned "fingerprint", not both`);
  }
  if (options.fingerprint) {
    const sha256 = normaliseFingerprint(options.fingerprint);
    if (!sha256) {
      throw new VsphereConfigurationError(
        "the fingerprint must be a SHA-256 digest: 64 hex digits, colons allowed (AB:CD:...)",
      );
    }
    return { mode: "fingerprint", sha256 };
  }
  return options.insecure ? { mode: "insecure" } : { mode: "verify" };
}

export function sourceOptions(source: CollectableSource): z.output<typeof vsphereOptions> {
  const parsed = vsphereOptions.safeParse(source.options ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new VsphereConfigurationError(`invalid vsphere option ${issue?.path.join(".")}: ${issue?.message}`);
  }
  return parsed.data;
}

/** A client for the source, connected (service content read) but not logged in. */
export async function connectSource(source: CollectableSource, signal: AbortSignal): Promise<VsphereClient> {
  const options = sourceOptions(source);
  if (!source.username) throw new VsphereConfigurationError("a vsphere source needs a user name");
  if (!source.secret) throw new VsphereConfigurationError("a vsphere source needs a password (its secret)");
  return VsphereClient.connect({
    url: sdkUrl(source.endpoint),
    tls: tlsPolicy(options),
    requestTimeoutMs: options.timeoutSeconds * 1000,
    signal,
    username: source.username,
    password: source.secret,
    pageSize: options.pageSize,
  });
}

/**
 * Reads the whole inventory in the client's session: one ContainerView of the root folder, one
 * property collection per object type (all at once), the view destroyed at the end. Each run
 * starts from empty records, so it can be run again after a renewed session.
 */
export async function collectInventory(client: VsphereClient): Promise<VsphereInventory> {
  const inventory = emptyInventory(client.content.about);
  const view = await client.createContainerView(VIEW_TYPES);
  try {
    // The VMs first: the largest answer; the small ones are read while the server prepares it.
    const collections = [
      [VIRTUAL_MACHINE, readVirtualMachine],
      [HOST, readHost],
      [COMPUTE_RESOURCE, readComputeResource],
      [DATACENTER, readDatacenter],
      [FOLDER, readFolder],
      [RESOURCE_POOL, readResourcePool],
      [DATASTORE, readDatastore],
    ] as const;
    // The first failure stops the others, and all have ended before the view goes and the
    // session is logged out.
    const stop = new AbortController();
    const signal = AbortSignal.any([client.signal, stop.signal]);
    await Promise.allSettled(
      collections.map(([request, read]) =>
        client
          .retrieveProperties(view, request, (object) => read(inventory, object), signal)
          .catch((error: unknown) => {
            if (!stop.signal.aborted) stop.abort(error);
            throw error;
          }),
      ),
    );
    if (stop.signal.aborted) throw stop.signal.reason;
    await readCustomFields(client, inventory);
    return inventory;
  } finally {
    await client.destroyView(view).catch(() => undefined);
  }
}

/**
 * The custom attributes' names (CustomFieldsManager.field). Without them the values stay, named
 * "custom field <key>", and the run says why; a session that expired is renewed by the caller.
 */
async function readCustomFields(client: VsphereClient, inventory: VsphereInventory) {
  const manager = client.content.customFieldsManager;
  if (!manager || !inventory.virtualMachines.some((v) => v.customValues.length > 0)) return;
  try {
    const object = await client.retrieveObject(manager, ["field"], client.signal);
    inventory.customFieldNames = readCustomFieldNames(object?.props.get("field"));
  } catch (error) {
    if (isNotAuthenticated(error) || client.signal.aborted) throw error;
    inventory.warnings.push(`custom attribute names not readable (${(error as Error).message}): values named by their key`);
  }
}

/** What QueryPerf is asked about: every host, and the powered-on VMs (not templates). */
export function performanceEntities(inventory: VsphereInventory): QueryEntity[] {
  return [
    ...inventory.hosts.map((h): QueryEntity => ({ ref: h.ref, object: "host", vcpus: null })),
    ...inventory.virtualMachines
      .filter((v) => v.vm.powerState === "poweredOn" && !v.vm.template)
      .map((v): QueryEntity => ({ ref: v.ref, object: "virtualMachine", vcpus: v.vm.vcpus ?? null })),
  ];
}

/**
 * The PerformanceManager's history for the inventory's hosts and powered-on VMs. It never fails
 * the collection: what could not be read is a warning ("measured use not read: …").
 */
export async function collectPerformance(
  client: VsphereClient,
  inventory: VsphereInventory,
  days: number,
  now: Date,
  since: Record<string, string> = {},
) {
  const entities = performanceEntities(inventory).map((e) => {
    const newest = since[`${e.object}:${e.ref.value}`];
    return newest ? { ...e, since: new Date(newest) } : e;
  });
  try {
    return await client.withSession(() => readPerformance(client, entities, days, now));
  } catch (error) {
    if (client.signal.aborted) throw error;
    return { series: [], warnings: [`measured use not read: ${(error as Error).message}`] };
  }
}

/**
 * When each template was last deployed or cloned from (vCenter's events). Never fails the
 * collection: what could not be read is a warning ("template use not read: …").
 */
export async function collectTemplateUse(client: VsphereClient, inventory: VsphereInventory, days: number, now: Date): Promise<TemplateUse> {
  const none: TemplateUse = { readSince: null, lastUsed: new Map(), unknown: new Set(), events: 0, warnings: [] };
  if (days <= 0 || !inventory.virtualMachines.some((v) => v.vm.template)) return none;
  try {
    return await client.withSession(() => readTemplateUse(client, days, now));
  } catch (error) {
    if (client.signal.aborted) throw error;
    return { ...none, warnings: [`template use not read: ${(error as Error).message}`] };
  }
}

/** Sets templateLastUsedAt and templateUseReadSince on the snapshot's templates. */
export function applyTemplateUse(snapshot: SnapshotInput, use: TemplateUse) {
  for (const vm of snapshot.virtualMachines ?? []) {
    const known = vm.template === true && use.readSince !== null && !use.unknown.has(vm.externalId);
    vm.templateUseReadSince = known ? use.readSince : null;
    vm.templateLastUsedAt = known ? (use.lastUsed.get(vm.externalId) ?? null) : null;
  }
  if (use.warnings.length > 0) snapshot.warnings = [...(snapshot.warnings ?? []), ...use.warnings];
}

export const collectVsphere: Collector = async (source, { signal, known }) => {
  const { performanceDays, templateEventDays } = sourceOptions(source);
  const client = await connectSource(source, signal);
  try {
    await client.login();
    const inventory = await client.withSession(() => collectInventory(client));
    const collectedAt = new Date();
    const snapshot = toSnapshot(inventory, collectedAt.toISOString());
    if (performanceDays > 0) {
      const history = await collectPerformance(client, inventory, performanceDays, collectedAt, known?.utilisationSince);
      snapshot.utilisation = [...(snapshot.utilisation ?? []), ...history.series];
      snapshot.warnings = [...(snapshot.warnings ?? []), ...history.warnings];
    }
    applyTemplateUse(snapshot, await collectTemplateUse(client, inventory, templateEventDays, collectedAt));
    return snapshot;
  } finally {
    await client.logout();
    client.close();
  }
};

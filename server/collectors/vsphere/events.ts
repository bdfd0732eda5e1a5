/**
 * When each template was last used, from vCenter's events (issue 17, "templates not used").
 *
 * vSphere keeps no "last deployed" property: it says so only in its events. A vCenter posts
 * `VmDeployedEvent` when a VM is deployed from a template (`srcTemplate` names the template) and
 * `VmClonedEvent` when a VM or template is cloned (`sourceVm` names the source). It keeps events for
 * `event.maxAge` days (30 by default, when `event.maxAgeEnabled`).
 *
 * One EventHistoryCollector (EventManager.CreateCollectorForEvents) filtered on those two event
 * types since the collection time minus `days`, read oldest to newest (its default position) with
 * ReadNextEvents in pages of at most 1000 (the API's limit), at most MAX_EVENT_PAGES pages, then
 * DestroyCollector. The time the events cover starts at the later of the days asked for and the
 * vCenter's own retention (OptionManager "event.maxAge"), so an absent event means "not in that
 * time", never "never".
 *
 * Where govmomi's simulator (vcsim 0.24.2, the test peer) differs from a vCenter, the code follows
 * the vCenter (vSphere Web Services API reference: EventManager, EventHistoryCollector,
 * EventFilterSpec):
 * - vcsim ignores the filter's `time` (its source says "TODO: spec.Time"): events older than the
 *   start are dropped here too.
 * - vcsim's collector reads only its "latest page", 10 events unless the page is sized: the page is
 *   set to the read size with SetCollectorPageSize (on a vCenter that only sizes `latestPage`).
 * - vcsim keeps its last 1000 events in all; a vCenter keeps them in its database for event.maxAge.
 * - vcsim never posts VmDeployedEvent (its CloneVM_Task posts VmClonedEvent even from a template,
 *   where a vCenter posts VmDeployedEvent); both are read.
 * - A standalone ESXi neither deploys nor clones (vCenter operations): nothing is read there, and
 *   nothing is said of its templates.
 */
import type { MoRef, ServiceContent } from "./client";
import { readMoRef } from "./client";
import { isNotAuthenticated, VsphereProtocolError } from "./errors";
import { escapeXml, type SoapCallOptions } from "./soap";
import { child, type XmlElement } from "./xml";

/** The event types that say a template (or VM) was used as a source, and the argument naming it. */
export const TEMPLATE_USE_EVENTS = { VmDeployedEvent: "srcTemplate", VmClonedEvent: "sourceVm" } as const;
export type TemplateUseEventType = keyof typeof TEMPLATE_USE_EVENTS;

/** ReadNextEvents' maxCount: the API refuses more than 1000. */
export const EVENT_PAGE_SIZE = 1000;
/** Pages read at most (100,000 events); more and nothing is said. */
export const MAX_EVENT_PAGES = 100;
/** Days at most (the option's bound). */
export const MAX_TEMPLATE_EVENT_DAYS = 366;
/** The OptionManager subtree holding event.maxAge and event.maxAgeEnabled. */
export const EVENT_SETTINGS = "event.";

const DAY = 86_400_000;

/** What the read needs of the client (a VsphereClient; a scripted one in unit tests). */
export interface EventsClient {
  readonly content: Pick<ServiceContent, "eventManager" | "setting" | "about">;
  readonly signal: AbortSignal;
  call(method: string, self: MoRef, body?: string, options?: SoapCallOptions): Promise<XmlElement>;
}

export interface TemplateUse {
  /** The start of the time the events covered (ISO); null when they were not read. */
  readSince: string | null;
  /** Source VM or template moref value → the newest deploy or clone from it (ISO). */
  lastUsed: Map<string, string>;
  /** Sources named by an event whose time could not be read: nothing is said of them. */
  unknown: Set<string>;
  /** Events read (of the two types, in the time covered). */
  events: number;
  warnings: string[];
}

export interface TemplateUseOptions {
  pageSize?: number;
  maxPages?: number;
}

/** One event of the two types: the source it names and when (ms); null fields when unreadable. */
export interface TemplateUseEvent {
  type: TemplateUseEventType;
  source: string | null;
  createdAt: number | null;
}

/** Reads one event of a ReadNextEvents answer; null for another type (a server may send any). */
export function readTemplateUseEvent(e: XmlElement): TemplateUseEvent | null {
  const type = e.xsiType as TemplateUseEventType;
  if (!Object.hasOwn(TEMPLATE_USE_EVENTS, type)) return null;
  const argument = child(e, TEMPLATE_USE_EVENTS[type]);
  const ref = readMoRef(child(argument, "vm"));
  const text = child(e, "createdTime")?.text.trim() ?? "";
  // xsd:dateTime with a zone (vCenter: "…Z"; vcsim: nanoseconds and "Z").
  const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(text) ? Date.parse(text) : Number.NaN;
  return {
    type,
    source: ref && ref.type === "VirtualMachine" && ref.value.trim() !== "" ? ref.value : null,
    createdAt: Number.isFinite(ms) ? ms : null,
  };
}

/** The EventFilterSpec: the two types since `since` (elements in the WSDL's order). */
export function eventFilterXml(since: Date): string {
  return (
    `<filter><time><beginTime>${since.toISOString()}</beginTime></time>` +
    `<disableFullMessage>true</disableFullMessage>` +
    Object.keys(TEMPLATE_USE_EVENTS)
      .map((t) => `<eventTypeId>${escapeXml(t)}</eventTypeId>`)
      .join("") +
    `</filter>`
  );
}

/**
 * Days the vCenter keeps its events (event.maxAge when event.maxAgeEnabled), null when it keeps
 * them without limit or does not say.
 */
export async function eventMaxAgeDays(client: EventsClient): Promise<number | null> {
  const { setting } = client.content;
  if (!setting) return null;
  try {
    const response = await client.call("QueryOptions", setting, `<name>${EVENT_SETTINGS}</name>`, { signal: client.signal });
    const options = new Map<string, string>();
    for (const o of response.children) {
      if (o.name === "returnval") options.set(child(o, "key")?.text.trim() ?? "", child(o, "value")?.text.trim() ?? "");
    }
    if (options.get("event.maxAgeEnabled") === "false") return null;
    const days = Number(options.get("event.maxAge"));
    return Number.isInteger(days) && days > 0 ? days : null;
  } catch (error) {
    // InvalidName (not set) or no permission: the days asked for are the bound.
    if (isNotAuthenticated(error) || client.signal.aborted) throw error;
    return null;
  }
}

const empty = (warnings: string[] = []): TemplateUse => ({ readSince: null, lastUsed: new Map(), unknown: new Set(), events: 0, warnings });

/**
 * Reads `days` of deploy and clone events before `now`. Throws only what should end or redo the
 * reading (NotAuthenticated, cancellation) and what the caller turns into a warning.
 */
export async function readTemplateUse(client: EventsClient, days: number, now: Date, options: TemplateUseOptions = {}): Promise<TemplateUse> {
  const pageSize = options.pageSize ?? EVENT_PAGE_SIZE;
  const maxPages = options.maxPages ?? MAX_EVENT_PAGES;
  const { eventManager, about } = client.content;
  if (days <= 0 || about.apiType === "HostAgent") return empty();
  if (!eventManager) return empty(["template use not read: the server has no EventManager"]);

  let sinceMs = now.getTime() - days * DAY;
  const maxAge = await eventMaxAgeDays(client);
  if (maxAge !== null) sinceMs = Math.max(sinceMs, now.getTime() - maxAge * DAY);
  const since = new Date(sinceMs);

  const created = await client.call("CreateCollectorForEvents", eventManager, eventFilterXml(since), { signal: client.signal });
  const collector = readMoRef(child(created, "returnval"));
  if (!collector) throw new VsphereProtocolError("CreateCollectorForEvents: no collector in the answer");
  try {
    // vcsim reads only the collector's latest page (see above); a vCenter that refuses is read anyway.
    await client
      .call("SetCollectorPageSize", collector, `<maxCount>${pageSize}</maxCount>`, { signal: client.signal })
      .catch((error: unknown) => {
        if (isNotAuthenticated(error) || client.signal.aborted) throw error;
      });
    const lastUsed = new Map<string, number>();
    const unknown = new Set<string>();
    let unattributed = 0;
    let events = 0;
    let complete = false;
    for (let page = 0; page < maxPages; page++) {
      const answer = await client.call("ReadNextEvents", collector, `<maxCount>${pageSize}</maxCount>`, { signal: client.signal });
      const returned = answer.children.filter((c) => c.name === "returnval");
      if (returned.length === 0) {
        complete = true;
        break;
      }
      for (const e of returned) {
        const event = readTemplateUseEvent(e);
        if (!event) continue;
        if (event.createdAt !== null && event.createdAt < sinceMs) continue; // vcsim ignores the filter's time
        events++;
        // A time more than a day ahead of the collection is no clock skew: not a time to go by.
        const plausible = event.createdAt !== null && event.createdAt <= now.getTime() + DAY;
        if (event.source === null) unattributed++;
        else if (!plausible) unknown.add(event.source);
        else if (event.createdAt! > (lastUsed.get(event.source) ?? Number.NEGATIVE_INFINITY)) lastUsed.set(event.source, event.createdAt!);
      }
    }
    if (!complete) {
      return empty([`template use not read: more than ${maxPages} pages of ${pageSize} deploy and clone events since ${since.toISOString().slice(0, 10)}`]);
    }
    if (unattributed > 0) {
      return empty([`template use not read: ${unattributed} of ${events} deploy and clone events name no source VM or template`]);
    }
    const warnings =
      unknown.size > 0 ? [`template use: ${unknown.size} source${unknown.size > 1 ? "s" : ""} named by events without a readable or plausible time; nothing said of them`] : [];
    return {
      readSince: since.toISOString(),
      lastUsed: new Map([...lastUsed].map(([k, ms]) => [k, new Date(ms).toISOString()])),
      unknown,
      events,
      warnings,
    };
  } finally {
    await client.call("DestroyCollector", collector, "", { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  }
}


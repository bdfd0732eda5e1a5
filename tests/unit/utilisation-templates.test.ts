/**
 * Templates not used (issue 17): the rule util-unused-template, fire and near miss, through the
 * analyse door (snapshot → inventory → analyseUtilisation), templates kept out of the VM rows; and
 * the reading of vCenter's deploy and clone events (server/collectors/vsphere/events.ts) over
 * scripted SOAP answers: pages, the vCenter's event.maxAge, answers that never end, garbage, faults.
 */
import { afterEach, describe, expect, it } from "vitest";
import { inventoryFromSnapshots } from "@/server/analysis/inventory";
import { DEFAULT_PARAMETERS, type Parameters } from "@/server/analysis/parameters";
import { analyseUtilisation } from "@/server/analysis/utilisation";
import type { CollectableSource } from "@/server/collectors";
import type { MoRef } from "@/server/collectors/vsphere/client";
import { UsageError } from "@/server/cli/args";
import { vsphereCliParser } from "@/server/collectors/vsphere/cli";
import { collectVsphere, vsphereOptions } from "@/server/collectors/vsphere/collector";
import { VsphereFaultError } from "@/server/collectors/vsphere/errors";
import { eventFilterXml, readTemplateUse, readTemplateUseEvent, type EventsClient } from "@/server/collectors/vsphere/events";
import { child, parseXml, type XmlElement } from "@/server/collectors/vsphere/xml";
import { parseSnapshot, type SnapshotInput } from "@/server/inventory/snapshot";
import { fixture, PASSWORD, startReplay, TLS, vcenter, type Handler, type ReplayServer } from "../fixtures/vsphere/replay";

const DAY = 86_400_000;
const AS_OF = "2026-12-01T00:00:00.000Z";
const daysBefore = (days: number) => new Date(Date.parse(AS_OF) - days * DAY).toISOString();

// --- the rule -----------------------------------------------------------------------------------

function snapshot(template: Record<string, unknown>): SnapshotInput {
  return {
    collectedAt: AS_OF,
    hosts: [{ externalId: "esx-1", name: "esx01", role: "hypervisor", platform: "esxi", cpuCores: 16, cpuMhz: 2000, memoryMiB: 262_144, cluster: "prod" }],
    virtualMachines: [
      { externalId: "vm-1", name: "app01", hostExternalId: "esx-1", powerState: "poweredOn", vcpus: 4, memoryMiB: 16_384, guestOsFamily: "linux" },
      { externalId: "vm-9", name: "tpl-rhel9", hostExternalId: "esx-1", powerState: "poweredOff", template: true, vcpus: 2, memoryMiB: 4096, guestOsFamily: "linux", ...template },
    ],
  };
}

function analyse(input: SnapshotInput, parameters: Partial<Parameters> = {}) {
  const p = { ...DEFAULT_PARAMETERS, ...parameters };
  const inventory = inventoryFromSnapshots([{ snapshot: parseSnapshot(input), customer: "acme", prefix: "s" }], { periodDays: p.utilisationPeriodDays });
  return analyseUtilisation(inventory, p);
}
const unused = (input: SnapshotInput, parameters: Partial<Parameters> = {}) => analyse(input, parameters).findings.filter((f) => f.ruleId === "util-unused-template");

describe("util-unused-template (fire, and the near miss)", () => {
  const cases: { fires: boolean; input: string; template: Record<string, unknown>; parameters?: Partial<Parameters>; detail?: string }[] = [
    {
      fires: true,
      input: "events read 30 days, none naming it",
      template: { templateUseReadSince: daysBefore(30), templateLastUsedAt: null },
      detail: "no deploy or clone from it since 2026-11-01 (events read since 2026-11-01, 30 days)",
    },
    { fires: false, input: "events read 29 days only, none naming it (cannot say 30)", template: { templateUseReadSince: daysBefore(29), templateLastUsedAt: null } },
    { fires: true, input: "events read 29 days, threshold 29", template: { templateUseReadSince: daysBefore(29), templateLastUsedAt: null }, parameters: { templateUnusedDays: 29 } },
    { fires: false, input: "events not read (templateUseReadSince null)", template: { templateUseReadSince: null, templateLastUsedAt: null } },
    {
      fires: true,
      input: "last deployed 30 days ago",
      template: { templateUseReadSince: daysBefore(40), templateLastUsedAt: daysBefore(30) },
      detail: "last deployed 2026-11-01 (30 days)",
    },
    { fires: false, input: "last deployed 29 days 23 hours ago", template: { templateUseReadSince: daysBefore(40), templateLastUsedAt: daysBefore(29.96) } },
    { fires: false, input: "deployed yesterday", template: { templateUseReadSince: daysBefore(30), templateLastUsedAt: daysBefore(1) } },
    { fires: false, input: "a VM (not a template) with the same fields", template: { template: false, templateUseReadSince: daysBefore(30), templateLastUsedAt: null } },
  ];
  for (const c of cases) {
    it(`${c.fires ? "fires" : "silent"}: ${c.input}`, () => {
      const found = unused(snapshot(c.template), c.parameters);
      expect(found).toHaveLength(c.fires ? 1 : 0);
      if (c.detail) expect(found[0]!.detail).toBe(c.detail);
      if (c.fires) expect(found[0]).toMatchObject({ severity: "info" });
    });
  }

  it("keeps templates out of the VM rows and totals, counts them in unusedTemplates, and gives only their template finding", () => {
    // An old snapshot on the template: util-old-snapshot would fire on it, but templates give only their own rule's findings.
    const result = analyse(snapshot({ templateUseReadSince: daysBefore(30), snapshotCount: 1, snapshotOldestAt: daysBefore(90) }));
    expect(result.vms.map((v) => v.name)).toEqual(["app01"]);
    expect(result.totals.unusedTemplates).toBe(1);
    expect(result.totals.oldSnapshots).toBe(0);
    expect(result.totals.insufficientData).toBe(1);
    expect(result.findings.map((f) => f.ruleId)).toEqual(["util-unused-template"]);
    expect(analyse(snapshot({ templateUseReadSince: null })).totals.unusedTemplates).toBe(0);
  });

  it("the snapshot refuses a time that is not one", () => {
    expect(() => parseSnapshot(snapshot({ templateLastUsedAt: "last week" }))).toThrow();
    expect(parseSnapshot(snapshot({})).virtualMachines[1]).toMatchObject({ templateLastUsedAt: null, templateUseReadSince: null });
  });
});

// --- reading the events -------------------------------------------------------------------------

const NOW = new Date("2026-12-06T12:00:00.000Z");
const XSI = `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`;

function event(type: string, key: number, createdTime: string, source: string | null, argument = type === "VmDeployedEvent" ? "srcTemplate" : "sourceVm") {
  const src = source === null ? "" : `<${argument}><name>tpl</name><vm type="VirtualMachine">${source}</vm></${argument}>`;
  return (
    `<returnval xsi:type="${type}"><key>${key}</key><chainId>${key}</chainId><createdTime>${createdTime}</createdTime><userName>admin</userName>` +
    `<vm><name>clone-${key}</name><vm type="VirtualMachine">vm-${1000 + key}</vm></vm><template>false</template>${src}</returnval>`
  );
}

interface Call {
  method: string;
  self: MoRef;
  body: string;
}

/** A scripted EventsClient: `answer` gives each call's answer body (or throws a fault). */
function scripted(answer: (call: Call, index: number) => string, apiType = "VirtualCenter") {
  const calls: Call[] = [];
  const client: EventsClient = {
    content: {
      eventManager: { type: "EventManager", value: "EventManager" },
      setting: { type: "OptionManager", value: "VpxSettings" },
      about: { name: "", fullName: "", version: "8.0.2", build: "", apiType, apiVersion: "8.0.2.0", instanceUuid: null },
    },
    signal: AbortSignal.timeout(10_000),
    call: (method: string, self: MoRef, body = ""): Promise<XmlElement> => {
      const c = { method, self, body };
      calls.push(c);
      try {
        return Promise.resolve(parseXml(`<${method}Response ${XSI}>${answer(c, calls.length - 1)}</${method}Response>`));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
  };
  return { client, calls };
}

const option = (key: string, type: string, value: string) => `<returnval><key>${key}</key><value xsi:type="xsd:${type}">${value}</value></returnval>`;
const fault = (type: string) => new VsphereFaultError(type, `${type} fault`, "ReadNextEvents");

/** A vCenter: settings, a collector, then the pages given, then empty pages. */
function vcenterEvents(pages: string[][], settings = option("event.maxAge", "int", "30") + option("event.maxAgeEnabled", "boolean", "true")) {
  let read = 0;
  return (c: Call) => {
    switch (c.method) {
      case "QueryOptions":
        return settings;
      case "CreateCollectorForEvents":
        return `<returnval type="EventHistoryCollector">session[1]events-1</returnval>`;
      case "ReadNextEvents":
        return (pages[read++] ?? []).join("");
      default:
        return "";
    }
  };
}

describe("template use from vCenter's events", () => {
  it("reads the pages to the end: the newest deploy or clone per source, older events dropped, the collector destroyed", async () => {
    const { client, calls } = scripted(
      vcenterEvents([
        [
          event("VmClonedEvent", 1, "2026-10-01T00:00:00Z", "vm-7"), // before the 30 days: vcsim ignores the filter's time
          event("VmClonedEvent", 2, "2026-11-20T10:00:00.123456789Z", "vm-7"),
          event("VmDeployedEvent", 3, "2026-11-25T08:30:00Z", "vm-8"),
        ],
        [event("VmClonedEvent", 4, "2026-12-01T09:15:00.5Z", "vm-7"), event("VmBeingClonedEvent", 5, "2026-12-02T00:00:00Z", "vm-8", "sourceVm")],
      ]),
    );
    const use = await readTemplateUse(client, 30, NOW);
    expect(use.warnings).toEqual([]);
    expect(use.readSince).toBe("2026-11-06T12:00:00.000Z");
    expect(Object.fromEntries(use.lastUsed)).toEqual({ "vm-7": "2026-12-01T09:15:00.500Z", "vm-8": "2026-11-25T08:30:00.000Z" });
    expect(use.events).toBe(3);
    expect(calls.map((c) => c.method)).toEqual([
      "QueryOptions", "CreateCollectorForEvents", "SetCollectorPageSize", "ReadNextEvents", "ReadNextEvents", "ReadNextEvents", "DestroyCollector",
    ]);
    const filter = parseXml(calls[1]!.body);
    expect(child(child(filter, "time"), "beginTime")!.text).toBe("2026-11-06T12:00:00.000Z");
    expect(filter.children.filter((c) => c.name === "eventTypeId").map((c) => c.text)).toEqual(["VmDeployedEvent", "VmClonedEvent"]);
    expect(calls[6]!.self).toEqual({ type: "EventHistoryCollector", value: "session[1]events-1" });
    expect(calls[3]!.body).toBe("<maxCount>1000</maxCount>");
  });

  it("covers no more than the vCenter keeps (event.maxAge), and the days asked for when it keeps more or does not say", async () => {
    const seven = scripted(vcenterEvents([], option("event.maxAge", "int", "7") + option("event.maxAgeEnabled", "boolean", "true")));
    expect((await readTemplateUse(seven.client, 30, NOW)).readSince).toBe("2026-11-29T12:00:00.000Z");
    const disabled = scripted(vcenterEvents([], option("event.maxAge", "int", "7") + option("event.maxAgeEnabled", "boolean", "false")));
    expect((await readTemplateUse(disabled.client, 30, NOW)).readSince).toBe("2026-11-06T12:00:00.000Z");
    const garbage = scripted(vcenterEvents([], option("event.maxAge", "string", "NaN") + option("event.maxAge", "int", "-3")));
    expect((await readTemplateUse(garbage.client, 10, NOW)).readSince).toBe("2026-11-26T12:00:00.000Z");
    const refused = scripted((c) => {
      if (c.method === "QueryOptions") throw new VsphereFaultError("InvalidName", "no such option", "QueryOptions");
      return vcenterEvents([])(c);
    });
    expect((await readTemplateUse(refused.client, 30, NOW)).readSince).toBe("2026-11-06T12:00:00.000Z");
  });

  it("a server whose pages never end is read to the bound, then nothing is said, and the collector is destroyed", async () => {
    const full = Array.from({ length: 4 }, (_, i) => event("VmClonedEvent", i, "2026-12-01T00:00:00Z", "vm-7"));
    const { client, calls } = scripted((c) => (c.method === "ReadNextEvents" ? full.join("") : vcenterEvents([])(c)));
    const use = await readTemplateUse(client, 30, NOW, { pageSize: 4, maxPages: 5 });
    expect(use.readSince).toBeNull();
    expect(use.lastUsed.size).toBe(0);
    expect(use.warnings).toEqual(["template use not read: more than 5 pages of 4 deploy and clone events since 2026-11-06"]);
    expect(calls.filter((c) => c.method === "ReadNextEvents")).toHaveLength(5);
    expect(calls.at(-1)!.method).toBe("DestroyCollector");
  });

  it("garbage: an unreadable or far-future time makes its source unknown; an event without a source makes nothing sayable", async () => {
    const bad = await readTemplateUse(
      scripted(
        vcenterEvents([
          [
            event("VmClonedEvent", 1, "yesterday", "vm-7"),
            event("VmClonedEvent", 2, "9999-12-31T23:59:59Z", "vm-8"),
            event("VmClonedEvent", 3, "2026-12-01T00:00:00Z", "vm-9"),
            event("VmClonedEvent", 4, "2026-12-01T00:00:00Z", "vm-10").replace(`<vm type="VirtualMachine">vm-10</vm>`, `<vm type="HostSystem">vm-10</vm>`),
          ],
        ]),
      ).client,
      30,
      NOW,
    );
    // vm-10's source names a host: no source, so nothing can be said of any template.
    expect(bad.readSince).toBeNull();
    expect(bad.warnings).toEqual(["template use not read: 1 of 4 deploy and clone events name no source VM or template"]);

    const unknown = await readTemplateUse(
      scripted(vcenterEvents([[event("VmClonedEvent", 1, "yesterday", "vm-7"), event("VmClonedEvent", 2, "9999-12-31T23:59:59Z", "vm-8"), event("VmClonedEvent", 3, "2026-12-01T00:00:00Z", "vm-9")]])).client,
      30,
      NOW,
    );
    expect(unknown.readSince).toBe("2026-11-06T12:00:00.000Z");
    expect([...unknown.unknown].sort()).toEqual(["vm-7", "vm-8"]);
    expect(Object.fromEntries(unknown.lastUsed)).toEqual({ "vm-9": "2026-12-01T00:00:00.000Z" });
    expect(unknown.warnings).toEqual(["template use: 2 sources named by events without a readable or plausible time; nothing said of them"]);

    expect(readTemplateUseEvent(parseXml(`<returnval ${XSI} xsi:type="VmRemovedEvent"><createdTime>2026-12-01T00:00:00Z</createdTime></returnval>`))).toBeNull();
    expect(readTemplateUseEvent(parseXml(`<returnval ${XSI} xsi:type="VmClonedEvent"></returnval>`))).toEqual({ type: "VmClonedEvent", source: null, createdAt: null });
  });

  it("a fault while reading ends the reading (the caller warns), and the collector is still destroyed", async () => {
    const { client, calls } = scripted((c) => {
      if (c.method === "ReadNextEvents") throw fault("SystemError");
      return vcenterEvents([])(c);
    });
    await expect(readTemplateUse(client, 30, NOW)).rejects.toThrow(/SystemError/);
    expect(calls.at(-1)!.method).toBe("DestroyCollector");
    const noCollector = scripted((c) => (c.method === "CreateCollectorForEvents" ? "" : ""));
    await expect(readTemplateUse(noCollector.client, 30, NOW)).rejects.toThrow(/no collector/);
  });

  it("reads nothing on a standalone ESXi or with 0 days", async () => {
    const esx = scripted(vcenterEvents([]), "HostAgent");
    expect(await readTemplateUse(esx.client, 30, NOW)).toMatchObject({ readSince: null, warnings: [] });
    const zero = scripted(vcenterEvents([]));
    expect(await readTemplateUse(zero.client, 0, NOW)).toMatchObject({ readSince: null, warnings: [] });
    expect([...esx.calls, ...zero.calls]).toEqual([]);
  });

  it("the filter is the two types since the start, in the WSDL's element order", () => {
    expect(eventFilterXml(new Date("2026-11-06T12:00:00Z"))).toBe(
      "<filter><time><beginTime>2026-11-06T12:00:00.000Z</beginTime></time><disableFullMessage>true</disableFullMessage>" +
        "<eventTypeId>VmDeployedEvent</eventTypeId><eventTypeId>VmClonedEvent</eventTypeId></filter>",
    );
  });

  it("the option: a whole number of days from 0 to 366, 30 by default, text taken", () => {
    expect(vsphereOptions.parse({}).templateEventDays).toBe(30);
    expect(vsphereOptions.parse({ templateEventDays: "7" }).templateEventDays).toBe(7);
    for (const bad of [-1, 367, 1.5, "ten", Number.NaN]) expect(vsphereOptions.safeParse({ templateEventDays: bad }).success, String(bad)).toBe(false);
  });

  it("collect CLI: --template-event-days 0 to 366, refused otherwise", () => {
    const env = { VC_PASSWORD: "p" } as unknown as NodeJS.ProcessEnv;
    const args = ["vc", "--user", "u", "--password-env", "VC_PASSWORD", "--insecure"];
    expect(vsphereCliParser([...args, "--template-event-days", "0"], env).options).toEqual({ insecure: true, templateEventDays: 0 });
    expect(vsphereCliParser([...args, "--template-event-days", "366"], env).options).toEqual({ insecure: true, templateEventDays: 366 });
    for (const bad of ["367", "-1", "1.5", "month"]) expect(() => vsphereCliParser([...args, "--template-event-days", bad], env), bad).toThrow(UsageError);
  });
});

describe("template use in a collection (recorded vCenter answers)", () => {
  const servers: ReplayServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const collect = async (handler: Handler, options: Record<string, unknown> = {}) => {
    const server = await startReplay(handler);
    servers.push(server);
    const source = { kind: "vsphere", name: "vc", endpoint: server.url.toString(), username: "fleetlens", secret: PASSWORD, options: { fingerprint: TLS.fingerprint, performanceDays: 0, ...options } } satisfies CollectableSource;
    return { server, snapshot: parseSnapshot(await collectVsphere(source, { signal: AbortSignal.timeout(20_000) })) };
  };

  it("a refused event collector is a warning: the inventory is collected, its templates say nothing", async () => {
    const { snapshot, server } = await collect((r) => (r.method === "CreateCollectorForEvents" ? { status: 500, text: fixture("fault-managed-object-not-found.xml") } : vcenter(r)));
    expect(snapshot.virtualMachines.length).toBeGreaterThan(0);
    const templates = snapshot.virtualMachines.filter((v) => v.template);
    expect(templates.length).toBeGreaterThan(0);
    for (const t of templates) expect(t).toMatchObject({ templateLastUsedAt: null, templateUseReadSince: null });
    expect(snapshot.warnings).toHaveLength(1);
    expect(snapshot.warnings[0]).toMatch(/^template use not read: /);
    expect(server.methods().at(-1)).toBe("Logout");
  });

  it("no events: every template read since the start, none used; VMs say nothing; 0 days reads none", async () => {
    const { snapshot } = await collect(vcenter);
    expect(snapshot.warnings).toEqual([]);
    const start = new Date(Date.parse(snapshot.collectedAt) - 30 * DAY).toISOString();
    for (const v of snapshot.virtualMachines) {
      expect(v, v.name).toMatchObject(v.template ? { templateUseReadSince: start, templateLastUsedAt: null } : { templateUseReadSince: null, templateLastUsedAt: null });
    }
    const off = await collect(vcenter, { templateEventDays: 0 });
    expect(off.server.methods()).not.toContain("CreateCollectorForEvents");
    expect(off.snapshot.virtualMachines.every((v) => v.templateUseReadSince === null)).toBe(true);
  });
});

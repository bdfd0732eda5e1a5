/**
 * Templates not used, against vcsim (tests/peers/vcsim: the launcher marks every eighth VM as a
 * template): VMs are cloned here from one template (CloneVM_Task through the project's client; vcsim
 * posts VmClonedEvent), the collection says when that template was last used (the newest event's
 * createdTime, as vcsim's own QueryEvents gives it) and that the other was not used since the events
 * read; templateEventDays 0 reads none; ingest stores both and the analysis finds the unused template.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadInventory } from "../../server/analysis/load";
import { DEFAULT_PARAMETERS } from "../../server/analysis/parameters";
import { analyseUtilisation } from "../../server/analysis/utilisation";
import type { CollectableSource } from "../../server/collectors";
import { moRefXml, readMoRef, type MoRef, type VsphereClient } from "../../server/collectors/vsphere/client";
import { collectVsphere, connectSource } from "../../server/collectors/vsphere/collector";
import { child } from "../../server/collectors/vsphere/xml";
import { applySnapshot } from "../../server/inventory/ingest";
import { parseSnapshot, type Snapshot } from "../../server/inventory/snapshot";
import { createTestDatabase, type TestDatabase } from "./db";
import { buildVcsim, startVcsim, stopVcsim, type Peer } from "./vcsim";

const PASSWORD = "vcsim-Tpl-Pa55";
const DAY = 86_400_000;

let peer: Peer | undefined;

const source = (options: Record<string, unknown> = {}) =>
  ({
    kind: "vsphere",
    name: "vcsim",
    endpoint: `https://127.0.0.1:${peer!.port}/sdk`,
    username: peer!.manifest.username,
    secret: PASSWORD,
    options: { fingerprint: peer!.manifest.fingerprint, performanceDays: 0, ...options },
  }) satisfies CollectableSource;

const collect = async (options?: Record<string, unknown>) =>
  parseSnapshot(await collectVsphere(source(options), { signal: AbortSignal.timeout(120_000) }));

async function withClient<T>(work: (client: VsphereClient) => Promise<T>): Promise<T> {
  const client = await connectSource(source(), AbortSignal.timeout(60_000));
  try {
    await client.login();
    return await work(client);
  } finally {
    await client.logout();
    client.close();
  }
}

const vmRef = (moref: string): MoRef => ({ type: "VirtualMachine", value: moref });

/** CloneVM_Task from `from` into its own folder, on `pool`; waits for the task to end. Returns the clone. */
async function clone(client: VsphereClient, from: string, name: string, pool: MoRef): Promise<string> {
  const folder = readMoRef((await client.retrieveObject(vmRef(from), ["parent"]))!.props.get("parent"));
  const response = await client.call(
    "CloneVM_Task",
    vmRef(from),
    `${moRefXml("folder", folder!)}<name>${name}</name><spec><location>${moRefXml("pool", pool)}</location>` +
      `<template>false</template><powerOn>false</powerOn></spec>`,
  );
  const task = readMoRef(child(response, "returnval"))!;
  for (let i = 0; i < 200; i++) {
    const info = (await client.retrieveObject(task, ["info.state", "info.result", "info.error"]))!;
    const state = info.props.get("info.state")?.text;
    if (state === "success") return info.props.get("info.result")!.text;
    if (state === "error") throw new Error(`CloneVM_Task of ${from} failed`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("CloneVM_Task did not end");
}

/** vcsim's own answer: every VmClonedEvent (QueryEvents), as source → createdTime texts. */
async function clonedEvents(client: VsphereClient): Promise<{ source: string; createdTime: string }[]> {
  const response = await client.call(
    "QueryEvents",
    client.content.eventManager!,
    `<filter><eventTypeId>VmClonedEvent</eventTypeId><maxCount>1000</maxCount></filter>`,
  );
  return response.children
    .filter((e) => e.name === "returnval" && e.xsiType === "VmClonedEvent")
    .map((e) => ({ source: child(child(e, "sourceVm"), "vm")!.text, createdTime: child(e, "createdTime")!.text }));
}

beforeAll(async () => {
  await buildVcsim();
  // A cluster of 2 hosts and a standalone host, 8 VMs each: 16 VMs, every eighth a template.
  peer = await startVcsim(PASSWORD, ["-dc", "1", "-cluster", "1", "-host", "2", "-standalone-host", "1", "-vm", "8"]);
}, 900_000);

afterAll(async () => {
  if (peer) await stopVcsim(peer);
});

describe("template use from vcsim's events", () => {
  let used: string;
  let untouched: string;
  let plain: string;
  let lastClone: string;
  let snapshot: Snapshot;
  let events: { source: string; createdTime: string }[];

  beforeAll(async () => {
    const templates = peer!.manifest.virtualMachines.filter((v) => v.template);
    expect(templates.length).toBeGreaterThanOrEqual(2);
    used = templates[0]!.moref;
    untouched = templates[1]!.moref;
    plain = peer!.manifest.virtualMachines.find((v) => !v.template)!.moref;
    await withClient(async (client) => {
      const pool = readMoRef((await client.retrieveObject(vmRef(plain), ["resourcePool"]))!.props.get("resourcePool"))!;
      await clone(client, used, "from-tpl-1", pool);
      await new Promise((r) => setTimeout(r, 20));
      lastClone = await clone(client, used, "from-tpl-2", pool);
      await clone(client, plain, "from-vm-1", pool);
      events = await clonedEvents(client);
    });
    snapshot = await collect();
  }, 120_000);

  it("vcsim posted one VmClonedEvent per clone, naming its source", () => {
    expect(events.filter((e) => e.source === used)).toHaveLength(2);
    expect(events.filter((e) => e.source === plain)).toHaveLength(1);
    expect(events.filter((e) => e.source === untouched)).toHaveLength(0);
  });

  it("says when the cloned template was last used (the newest event's time) and that the other was not, since the events read", () => {
    expect(snapshot.warnings).toEqual([]);
    const byId = new Map(snapshot.virtualMachines.map((v) => [v.externalId, v]));
    const newest = events
      .filter((e) => e.source === used)
      .map((e) => new Date(e.createdTime).toISOString())
      .sort()
      .at(-1)!;
    const readSince = new Date(Date.parse(snapshot.collectedAt) - 30 * DAY).toISOString();
    expect(byId.get(used)).toMatchObject({ template: true, templateLastUsedAt: newest, templateUseReadSince: readSince });
    expect(byId.get(untouched)).toMatchObject({ template: true, templateLastUsedAt: null, templateUseReadSince: readSince });
    // The plain VM was cloned too, but it is no template: nothing said of it, nor of the clones.
    expect(byId.get(plain)).toMatchObject({ template: false, templateLastUsedAt: null, templateUseReadSince: null });
    expect(byId.get(lastClone)).toMatchObject({ template: false, templateLastUsedAt: null, templateUseReadSince: null });
    // Every template of the snapshot has the start of the events; none but the cloned one a last use.
    const templates = snapshot.virtualMachines.filter((v) => v.template);
    expect(templates.every((t) => t.templateUseReadSince === readSince)).toBe(true);
    expect(templates.filter((t) => t.templateLastUsedAt !== null).map((t) => t.externalId)).toEqual([used]);
  });

  it("templateEventDays 0 reads no events: both fields null, no warning", async () => {
    const off = await collect({ templateEventDays: 0 });
    expect(off.warnings).toEqual([]);
    for (const v of off.virtualMachines) expect(v, v.name).toMatchObject({ templateLastUsedAt: null, templateUseReadSince: null });
  });

  it("templateEventDays 7: vcsim's events are read since 7 days before the collection", async () => {
    const week = await collect({ templateEventDays: 7 });
    const t = week.virtualMachines.find((v) => v.externalId === used)!;
    expect(t.templateUseReadSince).toBe(new Date(Date.parse(week.collectedAt) - 7 * DAY).toISOString());
    expect(t.templateLastUsedAt).toBe(snapshot.virtualMachines.find((v) => v.externalId === used)!.templateLastUsedAt);
  });

  it("ingest stores both; the analysis finds the untouched templates unused and not the cloned one, templates outside the VM rows", async () => {
    let t: TestDatabase | undefined;
    try {
      t = await createTestDatabase();
      const customer = await t.prisma.customer.create({ data: { name: "vSphere templates" } });
      const src = await t.prisma.source.create({ data: { customerId: customer.id, kind: "vsphere", name: "vcsim", endpoint: `https://127.0.0.1:${peer!.port}/sdk` } });
      await applySnapshot(src.id, snapshot, { database: t });
      const rows = await t.pool.query<{ external_id: string; last: Date | null; since: Date | null }>(
        `SELECT external_id, template_last_used_at AS last, template_use_read_since AS since FROM virtual_machine WHERE source_id = $1 AND template`,
        [src.id],
      );
      const stored = new Map(rows.rows.map((r) => [r.external_id, r]));
      const collected = snapshot.virtualMachines.find((v) => v.externalId === used)!;
      expect(stored.get(used)!.last!.toISOString()).toBe(collected.templateLastUsedAt);
      expect(stored.get(untouched)!.last).toBeNull();
      expect(stored.get(untouched)!.since!.toISOString()).toBe(collected.templateUseReadSince);

      const inventory = await loadInventory(t, [customer.id]);
      const result = analyseUtilisation(inventory, DEFAULT_PARAMETERS);
      const templates = snapshot.virtualMachines.filter((v) => v.template);
      const flagged = result.findings.filter((f) => f.ruleId === "util-unused-template");
      expect(flagged).toHaveLength(templates.length - 1);
      expect(result.totals.unusedTemplates).toBe(templates.length - 1);
      const names = new Map(snapshot.virtualMachines.map((v) => [v.externalId, v.name]));
      for (const f of flagged) expect(f.detail).toMatch(/^no deploy or clone from it since \d{4}-\d\d-\d\d \(events read since \d{4}-\d\d-\d\d, 30 days\)$/);
      expect(flagged.map((f) => f.objectName)).toContain(names.get(untouched));
      expect(flagged.map((f) => f.objectName)).not.toContain(names.get(used));
      expect(result.vms.some((v) => v.name === names.get(untouched) || v.name === names.get(used))).toBe(false);
      expect(result.vms).toHaveLength(snapshot.virtualMachines.length - templates.length);
      // Near miss: with a threshold of 31 days the 30 days of events cannot say it.
      expect(analyseUtilisation(inventory, { ...DEFAULT_PARAMETERS, templateUnusedDays: 31 }).totals.unusedTemplates).toBe(0);
    } finally {
      await t?.drop();
    }
  });
});

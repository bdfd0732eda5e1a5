/**
 * An engineer uploads a customer's RVTools export on the Sources page of Fleetlens started as
 * `npm start` starts it, in Chromium: the worker imports it, the source shows the run and the file,
 * and the customer's VMs are those of the workbook. A file that is not an export is refused in
 * words. The customer page's RVTools workbook reads back into the same VMs. Through the real HTTP server: a 20 MiB body reaches the route whole (nothing in front of
 * it buffers or cuts it), and a body declared over the limit is refused before it is read.
 */
import http from "node:http";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "../../server/auth/tokens";
import { createUser } from "../../server/auth/users";
import { generateCustomerSnapshot } from "../../server/collectors/demo/fleet";
import { createRvtoolsBuilder } from "../../server/collectors/rvtools/normalise";
import { openRvtoolsExport } from "../../server/collectors/rvtools/read";
import { connect } from "../../server/db/client";
import { rvtoolsTabs } from "../../server/export/rvtools/tabs";
import { writeXlsxFile } from "../../server/export/rvtools/xlsx-writer";
import { parseSnapshot } from "../../server/inventory/snapshot";
import { launchBrowser, signIn, startApp, type RunningApp } from "./harness";

const ENGINEER = { email: "erin@example.com", password: "engineer-password-1" };
let app: RunningApp;
let browser: Browser;
let page: Page;
let work: string;
let sourceId: string;
let token: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  app = await startApp();
  work = await fs.mkdtemp(path.join(os.tmpdir(), "fleetlens-e2e-upload-"));
  const [customer] = await app.query<{ id: string }>(`INSERT INTO customer (name) VALUES ('Contoso Ltd') RETURNING id`);
  const [source] = await app.query<{ id: string }>(
    `INSERT INTO source (customer_id, kind, name, endpoint) VALUES ($1, 'rvtools', 'contoso-rvtools', 'vc01.contoso.example') RETURNING id`,
    [customer!.id],
  );
  sourceId = source!.id;
  const database = connect(app.databaseUrl, { max: 1 });
  try {
    const user = await createUser(database, {
      email: ENGINEER.email, name: "Erin Engineer", password: ENGINEER.password,
      role: "engineer", allCustomers: false, customerIds: [customer!.id],
    });
    token = (await createApiToken(database, user.id, "e2e upload")).token;
  } finally {
    await database.close();
  }
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("console", (message) => {
    // The refused upload's 415 is an expected failed request; anything else is a fault.
    if (message.type() === "error" && !/status of 415/.test(message.text())) pageErrors.push(message.text());
  });
  await signIn(page, app.baseUrl, ENGINEER.email, ENGINEER.password);
});

afterAll(async () => {
  await browser?.close();
  if (app) await app.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

describe("uploading an RVTools export in a browser", () => {
  it("imports the engineer's upload as a collection run of the customer's source", async () => {
    const snapshot = parseSnapshot(generateCustomerSnapshot("globex", { vms: 40, collectedAt: "2026-12-01T08:00:00.000Z" }));
    const file = path.join(work, "RVTools_export_contoso.xlsx");
    await writeXlsxFile(rvtoolsTabs([{ snapshot, server: "vc01.contoso.example" }]), file);

    await page.goto(`${app.baseUrl}/sources`);
    await page.getByRole("heading", { name: "Sources", level: 1 }).waitFor();
    const row = page.getByRole("row").filter({ hasText: "contoso-rvtools" }).filter({ has: page.getByRole("button", { name: "Upload export" }) });
    await row.waitFor();
    // An engineer uploads; collecting on demand and editing sources are for administrators.
    expect(await row.getByRole("button", { name: "Import again" }).count()).toBe(0);
    expect(await row.innerText()).toContain("On upload");

    const chooser = page.waitForEvent("filechooser");
    await row.getByRole("button", { name: "Upload export" }).click();
    await (await chooser).setFiles(file);
    await page.getByText("Uploaded “RVTools_export_contoso.xlsx” to “contoso-rvtools”").waitFor();
    await expect.poll(() => row.innerText(), { timeout: 90_000 }).toContain("Collected");
    // The run history names the file the run read.
    await expect.poll(() => page.getByRole("table", { name: /collections of contoso-rvtools/ }).innerText()).toContain("RVTools_export_contoso.xlsx");

    const [stored] = await app.query<{ vms: number; status: string; added: number }>(
      `SELECT (SELECT count(*) FROM virtual_machine WHERE source_id = $1)::int AS vms, r.status, r.added
         FROM collection_run r WHERE r.source_id = $1 ORDER BY r.started_at DESC LIMIT 1`,
      [sourceId],
    );
    expect(stored).toMatchObject({ vms: snapshot.virtualMachines.length, status: "succeeded" });
    expect(stored!.added).toBe(snapshot.virtualMachines.length + snapshot.hosts.length);
  });

  it("downloads the customer's inventory as an RVTools workbook that reads back into the same VMs", async () => {
    const [customer] = await app.query<{ id: string }>(`SELECT id FROM customer WHERE name = 'Contoso Ltd'`);
    await page.goto(`${app.baseUrl}/customers/${customer!.id}`);
    const download = page.waitForEvent("download", { timeout: 60_000 });
    await page.getByRole("link", { name: "RVTools workbook" }).click();
    const file = path.join(work, "downloaded.xlsx");
    await (await download).saveAs(file);
    const opened = await openRvtoolsExport(file);
    const builder = createRvtoolsBuilder();
    try {
      for (const tab of opened.tabs) await builder.addTab(tab);
    } finally {
      await opened.close();
    }
    const { snapshot } = builder.finish();
    const stored = await app.query<{ name: string; vcpus: number; memory_mib: number }>(
      `SELECT name, vcpus, memory_mib FROM virtual_machine WHERE source_id = $1 ORDER BY name`,
      [sourceId],
    );
    const read = (snapshot.virtualMachines ?? []).map((vm) => ({ name: vm.name, vcpus: vm.vcpus, memory_mib: vm.memoryMiB }));
    expect(read.sort((a, b) => a.name.localeCompare(b.name))).toEqual(stored);
  });

  it("says why a file that is not an export is refused, and queues nothing", async () => {
    const notes = path.join(work, "meeting-notes.xlsx");
    await fs.writeFile(notes, "these are notes, not a workbook\n");
    const before = await app.query<{ n: number }>(`SELECT count(*)::int AS n FROM collection_run WHERE source_id = $1`, [sourceId]);
    await page.goto(`${app.baseUrl}/sources`);
    const row = page.getByRole("row").filter({ hasText: "contoso-rvtools" }).filter({ has: page.getByRole("button", { name: "Upload export" }) });
    await row.waitFor();
    const chooser = page.waitForEvent("filechooser");
    await row.getByRole("button", { name: "Upload export" }).click();
    await (await chooser).setFiles(notes);
    const alert = page.getByRole("alert").filter({ hasText: "The upload was refused" });
    await alert.waitFor();
    expect(await alert.innerText()).toContain("“meeting-notes.xlsx” is not an RVTools export");
    const after = await app.query<{ n: number }>(`SELECT count(*)::int AS n FROM collection_run WHERE source_id = $1`, [sourceId]);
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it("takes a 20 MiB body whole through the HTTP server, and refuses one declared over 256 MiB before reading it", async () => {
    const body = Buffer.alloc(20 * 1024 * 1024, 7);
    body.writeUInt32LE(0x04034b50, 0);
    const response = await fetch(`${app.baseUrl}/api/sources/${sourceId}/upload?name=big.zip`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
      body,
    });
    expect(response.status).toBe(202);
    const answer = (await response.json()) as { runId: string; bytes: number };
    expect(answer.bytes).toBe(body.length);
    const stored = await fs.stat(path.join(app.dataDir, "uploads", sourceId, `${answer.runId}.zip`));
    expect(stored.size).toBe(body.length);

    const refused = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const url = new URL(`${app.baseUrl}/api/sources/${sourceId}/upload?name=huge.xlsx`);
      const request = http.request(url, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream", "content-length": String(300 * 1024 * 1024) },
      });
      request.on("response", (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      });
      request.on("error", reject);
      request.write(Buffer.alloc(64 * 1024));
    });
    expect(refused.status).toBe(413);
    expect(refused.text).toMatch(/the limit here is 268435456/);
  });

  it("showed no errors in the browser", () => {
    expect(pageErrors).toEqual([]);
  });
});

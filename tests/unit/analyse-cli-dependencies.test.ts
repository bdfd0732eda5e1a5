/**
 * The analyse CLI over a site visit's snapshots (a vCenter's four VMs and guest discovery of them,
 * tests/fixtures/dependencies.ts): its summary says what guest discovery covered and who talks
 * to whom; its --json carries the guests' rows and the dependency edges by name, and the groups that
 * move together. Without the guest snapshot it says the evidence is missing.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAnalyseCli } from "@/server/analysis/cli";
import { DEPENDENCY_ROWS, dependencyGuestSnapshot, dependencyVmSnapshot } from "../fixtures/dependencies";

let dir: string;
const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "analyse-deps-"));
  await writeFile(file("vc.json"), JSON.stringify(dependencyVmSnapshot()));
  await writeFile(file("guests.json"), JSON.stringify(dependencyGuestSnapshot()));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("analyse with guest discovery", () => {
  it("--json: the guests with their VMs, the edges by name with ports and counts, the groups", async () => {
    const report = JSON.parse(await runAnalyseCli([file("vc.json"), file("guests.json"), "--json"]));
    const read = dependencyGuestSnapshot().guests!.length;
    expect(report.guests.totals).toEqual({ guests: read, matched: read, linuxVms: 4, linuxVmsDiscovered: read });
    // Each guest is the VM of its DMI UUID (the fixture's guests report it upper case).
    for (const g of report.guests.guests) expect(g).toMatchObject({ match: "uuid", vmName: expect.stringMatching(/^(web|app|db|batch)01$/) });
    const edges = report.dependencies.edges.map((e: { from: string; to: string; port: number; connections: number }) => ({
      from: e.from,
      to: e.to.replace(/ \(outside, (public|private)\)$/, ""),
      port: e.port,
      connections: e.connections,
    }));
    expect(edges.sort((a: { from: string; port: number }, b: { from: string; port: number }) => a.from.localeCompare(b.from) || a.port - b.port)).toEqual(
      DEPENDENCY_ROWS.map((r) => ({ ...r })),
    );
    // web01, app01 and db01 talk to each other: one group that moves together.
    expect(report.dependencies.groups.find((g: { members: string[] }) => g.members.includes("app01")).members.sort()).toEqual(["app01", "db01", "web01"]);
  });

  it("the summary: coverage, graded candidates and the links", async () => {
    const text = await runAnalyseCli([file("vc.json"), file("guests.json")]);
    const read = dependencyGuestSnapshot().guests!.length;
    expect(text).toMatch(new RegExp(`^Guest discovery\\n {2}${read} guests read, ${read} matched to a VM; ${read} of 4 powered-on Linux VMs looked inside; candidates graded: \\d+ of 4$`, "m"));
    expect(text).toContain("    app01 → db01 tcp/5432 (2 connections)");
    const alone = await runAnalyseCli([file("vc.json")]);
    expect(alone).toContain("  no guest read: 4 powered-on Linux VMs graded from their configuration alone (insufficient data: run guest discovery)");
    expect(alone).not.toContain("dependencies:");
  });
});

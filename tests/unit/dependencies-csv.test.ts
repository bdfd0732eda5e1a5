/**
 * The dependency table's CSV (server/export/dependencies.ts): endpoints by name, outside ones by
 * address and scope, and a guest's own words (hostname, process names) never read as formulas.
 */
import { describe, expect, it } from "vitest";
import type { DependencyResult } from "../../server/analysis/dependencies";
import { csvStream } from "../../server/export/csv";
import { DEPENDENCY_CSV_COLUMNS, dependencyCsvRows } from "../../server/export/dependencies";

async function read(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new TextDecoder("utf-8", { ignoreBOM: true }).decode(await new Response(stream).arrayBuffer());
}

const result: DependencyResult = {
  guests: 1,
  nodes: [
    { key: "g1", kind: "guest", customer: "c", name: "=HYPERLINK(\"http://x\")", address: null, scope: null, shared: false, discovered: true, group: 1 },
    { key: "v1", kind: "vm", customer: "c", name: "db01", address: null, scope: null, shared: false, discovered: false, group: 1 },
    { key: "outside:10.0.0.9", kind: "outside", customer: "c", name: "10.0.0.9", address: "10.0.0.9", scope: "private", shared: true, discovered: false, group: null },
  ],
  edges: [
    { customer: "c", from: "g1", to: "v1", port: 5432, protocol: "tcp", clientProcesses: ["@evil", "java"], serverProcesses: [], connections: 2, group: 1 },
    { customer: "c", from: "g1", to: "outside:10.0.0.9", port: 53, protocol: "udp", clientProcesses: [], serverProcesses: [], connections: 1, group: 1 },
  ],
  groups: [{ id: 1, customer: "c", members: ["g1", "v1"] }],
  notes: [],
};

describe("dependency CSV", () => {
  it("one line per edge, endpoints by name and kind, formulas neutralised", async () => {
    const text = await read(csvStream(dependencyCsvRows(result), DEPENDENCY_CSV_COLUMNS));
    const lines = text.replace(/^\uFEFF/, "").trim().split("\n");
    expect(lines).toEqual([
      "From,From kind,To,To kind,Port,Protocol,Client processes,Server processes,Connections,Group",
      `"'=HYPERLINK(""http://x"")",guest,db01,virtual machine,5432,tcp,"'@evil, java",,2,1`,
      `"'=HYPERLINK(""http://x"")",guest,10.0.0.9,"outside (private, several VMs)",53,udp,,,1,1`,
    ]);
  });
});

import { describe, expect, it } from "vitest";
import { mergeOptions } from "@/components/sources/kinds";
import { collectorDefinition } from "@/server/collectors";

const fieldsOf = (kind: Parameters<typeof collectorDefinition>[0]) => collectorDefinition(kind).fields;

describe("source options from the form", () => {
  const vsphere = fieldsOf("vsphere");

  it("keeps stored options the form does not show, and applies the ones it does", () => {
    const merged = mergeOptions({ seed: 7, fingerprint: "AA:BB" }, vsphere, { fingerprint: " CC:DD ", insecure: false });
    expect(merged).toEqual({ seed: 7, fingerprint: "CC:DD" });
  });

  it("drops a cleared text field and an unticked box, keeps a ticked one", () => {
    expect(mergeOptions({ fingerprint: "AA", insecure: true }, vsphere, { fingerprint: "", insecure: false })).toEqual({});
    expect(mergeOptions({}, vsphere, { insecure: true })).toEqual({ insecure: true });
  });

  it("ignores stored values that are not plain options", () => {
    expect(mergeOptions({ nested: { a: 1 }, list: [1] }, vsphere, {})).toEqual({});
  });

  it("offers each collector's settings, and none for the demo", () => {
    expect(fieldsOf("docker").map((f) => f.key)).toEqual(["tlsCa", "tlsCert", "tlsKey", "tenantLabel", "daemonNoNewPrivileges"]);
    expect(fieldsOf("libvirt").map((f) => f.key)).toContain("hostKey");
    expect(fieldsOf("demo")).toEqual([]);
  });
});

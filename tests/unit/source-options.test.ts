import { describe, expect, it } from "vitest";
import { mergeOptions, OPTION_FIELDS } from "@/components/sources/kinds";

describe("source options from the form", () => {
  const vsphere = OPTION_FIELDS.vsphere!;

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
    expect(OPTION_FIELDS.docker!.map((f) => f.key)).toEqual(["tlsCa", "tlsCert", "tlsKey", "tenantLabel"]);
    expect(OPTION_FIELDS.libvirt!.map((f) => f.key)).toContain("hostKey");
    expect(OPTION_FIELDS.demo).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import { COLLECTORS, collectorDefinition, collectorFor, CollectorUnavailableError, optionsProblem, SOURCE_KINDS } from "@/server/collectors";

describe("the collector registry", () => {
  it("lists each kind once, in the form's order, and derives SOURCE_KINDS from the list", () => {
    expect(SOURCE_KINDS).toEqual(["vsphere", "libvirt", "docker", "demo", "rvtools"]);
    expect(new Set(COLLECTORS.map((c) => c.kind)).size).toBe(COLLECTORS.length);
  });

  it("gives each kind a label, an example its own endpoint pattern accepts, and fields its options schema reads", () => {
    for (const c of COLLECTORS) {
      expect(c.label, c.kind).not.toBe("");
      for (const example of c.endpoint.example.split(" or ")) expect(c.endpoint.pattern.test(example), example).toBe(true);
      expect(optionsProblem(c.kind, {}), c.kind).toBeNull();
      // A field's value round-trips through the schema (a key the schema ignored would be stripped).
      for (const field of c.fields) {
        const value = field.type === "checkbox" ? true : "/etc/fleetlens/value";
        const parsed = c.options.safeParse({ [field.key]: value });
        if (parsed.success) expect(parsed.data, `${c.kind}.${field.key}`).toHaveProperty(field.key);
      }
    }
  });

  it("names the bad option in the problem", () => {
    expect(optionsProblem("demo", { vms: 5000 })).toMatch(/^invalid demo option vms: /);
    expect(optionsProblem("vsphere", { fingerprint: "AB:CD" })).toMatch(/^invalid vsphere option fingerprint: the fingerprint must be a SHA-256 digest/);
    expect(optionsProblem("vsphere", { fingerprint: "AA".repeat(32) })).toBeNull();
    expect(optionsProblem("docker", { tenantLabel: "" })).toMatch(/^invalid docker option tenantLabel: /);
    expect(optionsProblem("libvirt", { hostKey: "SHA256:short" })).toMatch(/^invalid libvirt option hostKey: /);
    expect(optionsProblem("rvtools", { anything: 1 })).toBeNull();
  });

  it("has no rvtools collector on the server yet (a saved endpoint is never read as a path): saved, not collected; the CLI reads local exports", () => {
    expect(collectorDefinition("rvtools").collect).toBeUndefined();
    expect(collectorDefinition("rvtools").collectCli).toBeTypeOf("function");
    expect(() => collectorFor("rvtools")).toThrow(CollectorUnavailableError);
    expect(() => collectorFor("rvtools")).toThrow(/no rvtools collector in this version/);
    expect(collectorFor("demo")).toBe(collectorDefinition("demo").collect);
  });

  it("offers the collect CLI for every kind that can be collected", () => {
    expect(COLLECTORS.filter((c) => c.cli).map((c) => c.kind)).toEqual(["vsphere", "libvirt", "docker", "demo", "rvtools"]);
  });
});

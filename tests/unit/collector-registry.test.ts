import { describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COLLECTORS, collectorDefinition, collectorFor, CollectorUnavailableError, optionsProblem, SOURCE_KINDS, UPLOAD_KINDS } from "@/server/collectors";
import { generateCustomerSnapshot } from "@/server/collectors/demo/fleet";
import { NO_UPLOAD } from "@/server/collectors/rvtools";
import { rvtoolsTabs } from "@/server/export/rvtools/tabs";
import { writeXlsxFile } from "@/server/export/rvtools/xlsx-writer";
import { parseSnapshot } from "@/server/inventory/snapshot";

describe("the collector registry", () => {
  it("lists each kind once, in the form's order, and derives SOURCE_KINDS from the list", () => {
    expect(SOURCE_KINDS).toEqual(["vsphere", "libvirt", "docker", "lxd", "guest", "demo", "rvtools"]);
    expect(new Set(COLLECTORS.map((c) => c.kind)).size).toBe(COLLECTORS.length);
  });

  it("gives each kind a label, an example its own endpoint pattern accepts, and fields its options schema reads", () => {
    // A guest source must say how host keys are checked: it has no valid empty options.
    const minimal = (kind: string): Record<string, unknown> => (kind === "guest" ? { trustOnFirstUse: true } : {});
    for (const c of COLLECTORS) {
      expect(c.label, c.kind).not.toBe("");
      for (const example of c.endpoint.example.split(" or ")) expect(c.endpoint.pattern.test(example), example).toBe(true);
      expect(optionsProblem(c.kind, minimal(c.kind)), c.kind).toBeNull();
      // A field's value round-trips through the schema (a key the schema ignored would be stripped).
      for (const field of c.fields) {
        const value = field.type === "checkbox" ? true : "/etc/fleetlens/value";
        const parsed = c.options.safeParse({ ...minimal(c.kind), [field.key]: value });
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
    expect(optionsProblem("guest", {})).toMatch(/^invalid guest option hostKeys: choose how guests' ssh host keys are checked/);
    expect(optionsProblem("guest", { insecureHostKey: true, trustOnFirstUse: true })).toMatch(/^invalid guest option hostKeys: .*excludes/);
    expect(optionsProblem("guest", { hostKeys: "SHA256:nope" })).toMatch(/^invalid guest option hostKeys: "SHA256:nope" is not a host key/);
    expect(optionsProblem("guest", { trustOnFirstUse: true, jump: "ssh://j@bastion" })).toMatch(/^invalid guest option jump: the jump host needs its host key pinned/);
    expect(optionsProblem("guest", { trustOnFirstUse: true, concurrency: "0" })).toMatch(/^invalid guest option concurrency: /);
    expect(optionsProblem("guest", { trustOnFirstUse: true, concurrency: "12", port: "" })).toBeNull();
  });

  it("collects rvtools on the server from the uploaded file only: a saved endpoint naming a real export is never read", async () => {
    const folder = await mkdtemp(join(tmpdir(), "registry-rvtools-"));
    try {
      const file = join(folder, "RVTools_export.xlsx");
      const snapshot = parseSnapshot(generateCustomerSnapshot("acme", { vms: 2 }));
      await writeXlsxFile(rvtoolsTabs([{ snapshot, server: "vc01" }]), file);
      const source = { kind: "rvtools" as const, name: "r", endpoint: file, username: null, secret: null, options: {} };
      const signal = new AbortController().signal;
      // The server's collector: no upload, no collection, whatever the endpoint says.
      await expect(collectorFor("rvtools")(source, { signal, upload: null })).rejects.toThrow(NO_UPLOAD);
      const uploaded = await collectorFor("rvtools")(source, { signal, upload: { path: file, name: "mine.xlsx", bytes: 1 } });
      expect(uploaded.virtualMachines).toHaveLength(2);
      // The command line reads the path it is given.
      expect((await collectorDefinition("rvtools").collectCli!(source, { signal })).virtualMachines).toHaveLength(2);
      expect(collectorDefinition("rvtools").upload).toMatchObject({ accept: ".xlsx,.zip" });
      expect(UPLOAD_KINDS).toEqual(["rvtools"]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
    expect(collectorFor("demo")).toBe(collectorDefinition("demo").collect);
    expect(new CollectorUnavailableError("lxd").message).toMatch(/no lxd collector in this version/);
  });

  it("offers the collect CLI for every kind that can be collected", () => {
    expect(COLLECTORS.filter((c) => c.cli).map((c) => c.kind)).toEqual(["vsphere", "libvirt", "docker", "lxd", "guest", "demo", "rvtools"]);
  });
});

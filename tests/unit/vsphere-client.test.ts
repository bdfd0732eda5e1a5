/**
 * The vsphere client, transport and collector against recorded answers (tests/fixtures/vsphere):
 * what vcsim cannot show (paging with a token, a session expiring mid-run, malformed answers) and
 * the TLS policies against a known self-signed certificate.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { CollectableSource } from "@/server/collectors";
import { UsageError } from "@/server/cli/args";
import { vsphereCliParser } from "@/server/collectors/vsphere/cli";
import { collectVsphere, sdkUrl, tlsPolicy, VsphereConfigurationError } from "@/server/collectors/vsphere/collector";
import {
  VsphereConnectionError,
  VsphereFaultError,
  VsphereLoginError,
  VsphereProtocolError,
  VsphereTlsError,
} from "@/server/collectors/vsphere/errors";
import { normaliseFingerprint } from "@/server/collectors/tls";
import { child } from "@/server/collectors/vsphere/xml";
import { parseSnapshot } from "@/server/inventory/snapshot";
import {
  envelope,
  fixture,
  PASSWORD,
  startReplay,
  TLS,
  vcenter,
  type Handler,
  type ReplayServer,
} from "../fixtures/vsphere/replay";

const servers: ReplayServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function replay(handler: Handler = vcenter, options: { tls?: boolean } = {}) {
  const server = await startReplay(handler, options);
  servers.push(server);
  return server;
}

function source(server: ReplayServer, options: Record<string, unknown> = { fingerprint: TLS.fingerprint }, secret = PASSWORD) {
  return { kind: "vsphere", name: "vc", endpoint: server.url.toString(), username: "fleetlens", secret, options } satisfies CollectableSource;
}

const collect = (s: CollectableSource, signal = AbortSignal.timeout(20_000)) => collectVsphere(s, { signal });

const propSetType = (server: ReplayServer, index: number) =>
  child(child(child(server.requests[index]!.call, "specSet"), "propSet"), "type")?.text;

describe("vsphere collector over SOAP (recorded answers)", () => {
  it("collects every object type once, follows the VMs' page token, destroys its view and logs out", async () => {
    const server = await replay();
    const snapshot = parseSnapshot(await collect(source(server)));
    expect(snapshot.virtualMachines).toHaveLength(12);
    expect(snapshot.hosts).toHaveLength(3);

    const methods = server.methods();
    expect(methods.slice(0, 3)).toEqual(["RetrieveServiceContent", "Login", "CreateContainerView"]);
    // The view goes before the measured use is read (the PerformanceManager's properties, the
    // vCenter's maxQueryMetrics, one QueryPerf), then the templates' deploy and clone events (the
    // vCenter's event.maxAge, one event collector read to its end and destroyed).
    expect(methods.slice(-10)).toEqual([
      "DestroyView", "RetrievePropertiesEx", "QueryOptions", "QueryPerf",
      "QueryOptions", "CreateCollectorForEvents", "SetCollectorPageSize", "ReadNextEvents", "DestroyCollector", "Logout",
    ]);
    const retrievals = methods.flatMap((m, i) => (m === "RetrievePropertiesEx" ? [propSetType(server, i)] : []));
    expect(retrievals.sort()).toEqual(
      ["ComputeResource", "Datacenter", "Datastore", "Folder", "HostSystem", "ResourcePool", "VirtualMachine", "PerformanceManager"].sort(),
    );
    const continuation = server.requests.filter((r) => r.method === "ContinueRetrievePropertiesEx");
    expect(continuation.map((r) => child(r.call, "token")?.text)).toEqual(["1"]);

    // One container view over the root folder; pages of at most 1,000 objects; the server's API version.
    const view = server.requests[2]!.call;
    expect(child(view, "container")).toMatchObject({ type: "Folder", text: "group-d1" });
    expect(child(view, "recursive")?.text).toBe("true");
    const first = server.requests.find((r) => r.method === "RetrievePropertiesEx")!;
    expect(child(child(first.call, "options"), "maxObjects")?.text).toBe("1000");
    expect(server.requests[0]!.soapAction).toBe('"urn:vim25/6.0"');
    expect(server.requests[1]!.soapAction).toBe('"urn:vim25/6.5"');
    expect(server.requests.slice(2).every((r) => r.cookie?.startsWith("vmware_soap_session="))).toBe(true);
  });

  it("logs in again once when the session expires mid-run, and collects everything once", async () => {
    let expired = false;
    const server = await replay((request) => {
      if (request.method === "ContinueRetrievePropertiesEx" && !expired) {
        expired = true;
        return { status: 500, text: fixture("fault-not-authenticated.xml") };
      }
      return vcenter(request);
    });
    const snapshot = parseSnapshot(await collect(source(server)));
    expect(snapshot.virtualMachines.map((v) => v.externalId)).toHaveLength(12);
    expect(server.methods().filter((m) => m === "Login")).toHaveLength(2);
    expect(server.methods().filter((m) => m === "CreateContainerView")).toHaveLength(2);
    expect(server.methods().at(-1)).toBe("Logout");
  });

  it("fails clearly when the renewed session is refused too, and still logs out", async () => {
    const server = await replay((request) =>
      request.method === "ContinueRetrievePropertiesEx"
        ? { status: 500, text: fixture("fault-not-authenticated.xml") }
        : vcenter(request),
    );
    const error = await collect(source(server)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VsphereFaultError);
    expect(error).toMatchObject({ faultType: "NotAuthenticated", message: "ContinueRetrievePropertiesEx failed: NotAuthenticated" });
    expect(server.methods().filter((m) => m === "Login")).toHaveLength(2);
    expect(server.methods().at(-1)).toBe("Logout");
  });

  it("reports a wrong password as InvalidLogin, without the password, and goes no further", async () => {
    const server = await replay();
    const error = await collect(source(server, undefined, "Wr0ng-Secret!")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VsphereLoginError);
    expect((error as Error).message).toBe('login as "fleetlens" refused: wrong user name or password (InvalidLogin)');
    expect(JSON.stringify(error) + String((error as Error).stack)).not.toContain("Wr0ng-Secret!");
    expect(server.methods()).toEqual(["RetrieveServiceContent", "Login"]);
  });

  it("turns a SOAP fault into a typed error naming the method, fault type and text", async () => {
    const server = await replay((request) =>
      request.method === "RetrievePropertiesEx" && propSetType(server, server.requests.length - 1) === "HostSystem"
        ? { status: 500, text: fixture("fault-managed-object-not-found.xml") }
        : vcenter(request),
    );
    await expect(collect(source(server))).rejects.toThrow(
      "RetrievePropertiesEx failed: ManagedObjectNotFound: managed object not found: ContainerView:no-such-view",
    );
    expect(server.methods().at(-1)).toBe("Logout");
  });

  it("refuses a malformed answer, cancels the paged result it interrupted, and logs out", async () => {
    const page2 = fixture("retrieve-vms-page2.xml");
    const server = await replay((request) =>
      request.method === "ContinueRetrievePropertiesEx" ? { text: page2.slice(0, 20_000) } : vcenter(request),
    );
    const error = await collect(source(server)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VsphereProtocolError);
    expect((error as Error).message).toMatch(/^ContinueRetrievePropertiesEx: the answer from 127\.0\.0\.1:\d+ is not valid XML: malformed XML at offset \d+/);
    expect(server.methods()).toContain("CancelRetrievePropertiesEx");
    expect(server.methods().at(-1)).toBe("Logout");
  });

  it("refuses an answer that is not a SOAP envelope", async () => {
    const server = await replay(() => ({ status: 404, text: "<html><body>Not found</body></html>" }));
    await expect(collect(source(server))).rejects.toThrow(/RetrieveServiceContent: the answer from .* is not a SOAP envelope \(HTTP 404\)/);
  });

  it("reads gzip-compressed answers", async () => {
    const server = await replay(async (request) => {
      const reply = await vcenter(request);
      return typeof reply === "string" ? reply : { ...reply, gzip: true };
    });
    expect(parseSnapshot(await collect(source(server))).virtualMachines).toHaveLength(12);
    expect(server.requests.length).toBeGreaterThan(10);
  });

  it("keeps the password out of a login error even if the server echoes it", async () => {
    const server = await replay((request) =>
      request.method === "Login"
        ? { status: 500, text: fixture("fault-managed-object-not-found.xml").replace("no-such-view", `login ${PASSWORD}`) }
        : vcenter(request),
    );
    const error = (await collect(source(server)).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain("login ***");
    expect(error.message).not.toContain(PASSWORD);
  });

  it("works over plain http too", async () => {
    const server = await replay(vcenter, { tls: false });
    expect((await collect(source(server, {}))).virtualMachines).toHaveLength(12);
  });
});

describe("vsphere TLS trust, per source", () => {
  it("refuses an untrusted certificate before sending anything, and shows its fingerprint", async () => {
    const server = await replay();
    const error = await collect(source(server, {})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VsphereTlsError);
    expect(error).toMatchObject({ fingerprint: TLS.fingerprint });
    expect((error as Error).message).toContain(`Its SHA-256 fingerprint is ${TLS.fingerprint}`);
    expect((error as Error).message).toMatch(/self-signed|SELF_SIGNED/i);
    expect(server.requests).toEqual([]);
    expect(process.env.NODE_TLS_REJECT_UNAUTHORIZED).toBeUndefined();
  });

  it("refuses a certificate that is not the pinned one", async () => {
    const server = await replay();
    const other = "AA:".repeat(31) + "AA";
    await expect(collect(source(server, { fingerprint: other }))).rejects.toThrow(
      `does not match the pinned fingerprint: expected ${other}, the server presented ${TLS.fingerprint}`,
    );
    expect(server.requests).toEqual([]);
  });

  it("trusts the pinned certificate in any spelling, or any certificate when told to be insecure", async () => {
    const server = await replay();
    const lower = TLS.fingerprint.replaceAll(":", "").toLowerCase();
    expect((await collect(source(server, { fingerprint: `sha256:${lower}` }))).virtualMachines).toHaveLength(12);
    expect((await collect(source(server, { insecure: true }))).virtualMachines).toHaveLength(12);
  });

  it("reads fingerprints and refuses both policies at once", () => {
    expect(normaliseFingerprint(TLS.fingerprint.toLowerCase())).toBe(TLS.fingerprint);
    expect(normaliseFingerprint("AB:CD")).toBeNull();
    expect(tlsPolicy({ insecure: false })).toEqual({ mode: "verify" });
    expect(() => tlsPolicy({ insecure: true, fingerprint: TLS.fingerprint })).toThrow(VsphereConfigurationError);
    expect(() => tlsPolicy({ insecure: false, fingerprint: "nope" })).toThrow(/SHA-256/);
  });
});

describe("vsphere connection failures and cancellation", () => {
  it("says when nothing listens", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const s = { kind: "vsphere", name: "x", endpoint: `127.0.0.1:${port}`, username: "u", secret: "p", options: {} } as const;
    const error = await collect(s).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VsphereConnectionError);
    expect((error as Error).message).toBe(`cannot reach 127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
  });

  it("gives up on a server that does not answer within the time limit", async () => {
    const server = await replay(() => "hang");
    const started = Date.now();
    await expect(collect(source(server, { fingerprint: TLS.fingerprint, timeoutSeconds: 1 }))).rejects.toThrow(
      /RetrieveServiceContent: no answer from 127\.0\.0\.1:\d+ within 1 s/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("stops when cancelled, and still logs out", async () => {
    const controller = new AbortController();
    const server = await replay((request) => {
      if (request.method === "RetrievePropertiesEx") {
        controller.abort(new Error("cancelled by the user"));
        return "hang";
      }
      return vcenter(request);
    });
    await expect(collect(source(server), controller.signal)).rejects.toThrow("cancelled by the user");
    await expect.poll(() => server.methods().at(-1)).toBe("Logout");
  });

  it("drops a connection that closes mid-answer with a clear error", async () => {
    const server = await replay((request) => (request.method === "Login" ? "close" : vcenter(request)));
    await expect(collect(source(server))).rejects.toThrow(/Login: request to 127\.0\.0\.1:\d+ failed|connection reset|socket hang up/);
  });
});

describe("vsphere source settings", () => {
  const env = { VC_PASSWORD: "s3cret" } as unknown as NodeJS.ProcessEnv;

  it("turns the command line into a source, the password from the named variable", () => {
    expect(vsphereCliParser(["https://vc/sdk", "--user", "admin@vsphere.local", "--password-env", "VC_PASSWORD", "--insecure"], env)).toEqual({
      kind: "vsphere",
      name: "https://vc/sdk",
      endpoint: "https://vc/sdk",
      username: "admin@vsphere.local",
      secret: "s3cret",
      options: { insecure: true },
    });
    expect(
      vsphereCliParser(["vc", "--user", "u", "--password-env", "VC_PASSWORD", "--fingerprint", TLS.fingerprint], env).options,
    ).toEqual({ fingerprint: TLS.fingerprint });
  });

  it.each([
    [["vc", "--password-env", "VC_PASSWORD"], /usage: collect vsphere/],
    [["vc", "--user", "u"], /usage: collect vsphere/],
    [["vc", "--user", "u", "--password-env", "NOT_SET"], /NOT_SET \(--password-env\) is not set/],
    [["vc", "--user", "u", "--password-env", "VC_PASSWORD", "--insecure", "--fingerprint", TLS.fingerprint], /exclude each other/],
    [["vc", "--user", "u", "--password-env", "VC_PASSWORD", "--fingerprint", "12:34"], /SHA-256/],
    [["vc", "--user", "u", "--password-env", "VC_PASSWORD", "--bogus"], /Unknown option/],
  ])("refuses %j", (args, message) => {
    expect(() => vsphereCliParser(args, env)).toThrow(UsageError);
    expect(() => vsphereCliParser(args, env)).toThrow(message);
  });

  it("completes endpoints to the SDK URL", () => {
    expect(sdkUrl("vc.example").toString()).toBe("https://vc.example/sdk");
    expect(sdkUrl("vc.example:8443").toString()).toBe("https://vc.example:8443/sdk");
    expect(sdkUrl("https://user:pw@vc.example/").toString()).toBe("https://vc.example/sdk");
    expect(sdkUrl("https://vc.example/custom/sdk").toString()).toBe("https://vc.example/custom/sdk");
    expect(() => sdkUrl("ftp://vc")).toThrow(VsphereConfigurationError);
  });

  it("needs a user name and a password, and valid options", async () => {
    const base = { kind: "vsphere", name: "x", endpoint: "vc", username: "u", secret: "p", options: {} } as const;
    await expect(collect({ ...base, username: null })).rejects.toThrow("a vsphere source needs a user name");
    await expect(collect({ ...base, secret: null })).rejects.toThrow("a vsphere source needs a password (its secret)");
    await expect(collect({ ...base, options: { timeoutSeconds: "soon" } })).rejects.toThrow(/invalid vsphere option timeoutSeconds/);
  });

  it("builds a SOAP envelope the recorded server reads", () => {
    expect(envelope("Logout", "")).toContain("<LogoutResponse");
  });
});

/**
 * Spotting credentials where they do not belong (server/auth/credentials.ts) and text the database
 * cannot hold (server/api/text.ts): security report H3, M3, L5.
 */
import { describe, expect, it } from "vitest";
import { inputTextProblem, searchText } from "../../server/api/text";
import {
  endpointCredentials,
  endpointCredentialsProblem,
  endpointUserInfo,
  keyMaterialOptions,
  keyMaterialProblem,
  looksLikePrivateKey,
  withoutCredentials,
} from "../../server/auth/credentials";

describe("private key material", () => {
  it.each([
    "-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEow",
    "-----BEGIN EC PRIVATE KEY-----",
    "-----BEGIN ENCRYPTED PRIVATE KEY-----",
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE",
    "-----BEGIN PGP PRIVATE KEY BLOCK-----",
    "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----",
    "PuTTY-User-Key-File-3: ssh-ed25519",
    "  pasted with spaces first -----BEGIN PRIVATE KEY-----",
  ])("is found in %j", (value) => {
    expect(looksLikePrivateKey(value)).toBe(true);
  });

  it.each([
    "/etc/docker/key.pem",
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
    "-----BEGIN PUBLIC KEY-----",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI user@host",
    "SHA256:abcdef",
  ])("is not found in %j", (value) => {
    expect(looksLikePrivateKey(value)).toBe(false);
  });

  it("names the options that hold a key, and says where it goes instead", () => {
    const options = { tlsCa: "-----BEGIN CERTIFICATE-----", tlsKey: "-----BEGIN PRIVATE KEY-----\nX", tenantLabel: "customer", concurrency: 4 };
    expect(keyMaterialOptions(options)).toEqual(["tlsKey"]);
    expect(keyMaterialProblem(options)).toMatch(/^"tlsKey" holds a private key.*“Password or token” field.*file path/);
    expect(keyMaterialProblem({ tlsKey: "/etc/docker/key.pem" })).toBeNull();
  });
});

describe("credentials in an endpoint", () => {
  it("reads the user info as a URL parser does, and gives the endpoint without it", () => {
    for (const endpoint of [
      "https://svc:pw@vc.example/sdk",
      "https://svc%40corp:p%2Fw@vc.example:443/sdk",
      "https://svc:p@ss@vc.example/sdk",
      "tcp://admin:secret@10.0.0.5:2376",
      "qemu+ssh://root:pw@kvm01/system?keyfile=/k",
      "qemu+ssh://root@kvm01/system",
      "https://:onlypw@vc.example/sdk",
    ]) {
      const url = new URL(endpoint);
      const info = endpointUserInfo(endpoint)!;
      expect(info, endpoint).not.toBeNull();
      expect(info.user ?? "", endpoint).toBe(decodeURIComponent(url.username));
      expect(info.password ?? "", endpoint).toBe(decodeURIComponent(url.password));
      const stripped = new URL(info.endpoint);
      expect([stripped.username, stripped.password, stripped.host, stripped.pathname], endpoint).toEqual(["", "", url.host, url.pathname]);
    }
    expect(endpointUserInfo("https://svc:p@ss@vc.example/sdk")).toEqual({ user: "svc", password: "p@ss", endpoint: "https://vc.example/sdk" });
  });

  it("finds none where there is none", () => {
    for (const endpoint of ["unix:///var/run/docker.sock", "/var/run/docker.sock", "https://vc.example/sdk?x=a@b", "qemu:///system", "demo:acme", "tcp://h:2376/p@th", "export@2026.xlsx"]) {
      expect(endpointUserInfo(endpoint), endpoint).toBeNull();
    }
  });

  it("refuses any password, and a user name where the kind takes it from the Username field", () => {
    expect(endpointCredentials("libvirt", "qemu+ssh://root@kvm01/system")).toBeNull();
    expect(endpointCredentials("docker", "ssh://admin@docker01")).toBeNull();
    expect(endpointCredentials("vsphere", "https://admin@vc/sdk")).toEqual({ user: "admin", password: null, endpoint: "https://vc/sdk" });
    expect(endpointCredentials("libvirt", "qemu+ssh://root:pw@kvm01/system")).toMatchObject({ user: "root", password: "pw" });
    const message = endpointCredentialsProblem("vsphere", "https://svc:S3cret-Canary@vc.example/sdk")!;
    expect(message).toContain("give the endpoint without it (https://vc.example/sdk)");
    expect(message).not.toContain("S3cret-Canary");
    expect(endpointCredentialsProblem("vsphere", "https://vc.example/sdk")).toBeNull();
  });

  it("finds a password in any target of a guest source's list, with or without a scheme, and never repeats it", () => {
    expect(endpointCredentials("guest", "inventory, ops@db01:2222 [fd00::7]:22 ops@[fd00::8]:2200 10.0.0.0/28")).toBeNull();
    expect(endpointCredentials("guest", "inventory, ops:Canary-1@db01:2222, 10.0.0.5")).toEqual({
      user: null,
      password: "Canary-1",
      endpoint: "inventory, ops@db01:2222, 10.0.0.5",
    });
    const message = endpointCredentialsProblem("guest", "db02 ssh://root:Canary-2@db01")!;
    expect(message).toContain("give the endpoint without it (db02 ssh://root@db01)");
    expect(message).not.toContain("Canary-2");
    expect(endpointCredentials("guest", "root:Canary-3@[fd00::9]:22")?.endpoint).toBe("root@[fd00::9]:22");
  });

  it("takes passwords, keys and NUL characters out of text for the audit log", () => {
    expect(withoutCredentials("https://svc:pw@vc.example/sdk")).toBe("https://vc.example/sdk");
    expect(withoutCredentials("from tcp://a:b@h:1 and qemu+ssh://root@kvm/system")).toBe("from tcp://h:1 and qemu+ssh://root@kvm/system");
    expect(withoutCredentials("k=-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY----- end")).toBe("k=[private key removed] end");
    expect(withoutCredentials("a\u0000b")).toBe("a\uFFFDb");
    expect(withoutCredentials("plain text, user@example.com")).toBe("plain text, user@example.com");
  });
});

describe("text the database cannot hold", () => {
  it("names the field of a NUL anywhere, and of a control character in a search", () => {
    expect(inputTextProblem({ customerId: "x", search: "a\u0000b" })).toBe("search: text cannot contain NUL characters");
    expect(inputTextProblem({ search: "line\nbreak" })).toBe("search: control characters (such as NUL or a line break) cannot be searched for");
    expect(inputTextProblem({ filter: { search: "\u0085" } })).toMatch(/^filter\.search: control characters/);
    // Trimmed first, as the schemas do.
    expect(inputTextProblem({ search: " app\n" })).toBeNull();
    expect(inputTextProblem({ names: ["ok", "n\u0000"] })).toBe("names.1: text cannot contain NUL characters");
    expect(inputTextProblem({ options: { "a\u0000": 1 } })).toBe("options: a field name cannot contain NUL characters");
    expect(inputTextProblem("\u0000")).toBe("input: text cannot contain NUL characters");
    // Line breaks elsewhere are text (a PEM secret has them); dates and numbers are not text.
    expect(inputTextProblem({ secret: "-----BEGIN\nX", at: new Date(), n: 1, none: null })).toBeNull();
  });

  it("has one search schema: trimmed, bounded, no control characters", () => {
    expect(searchText.parse("  app ")).toBe("app");
    expect(searchText.parse(undefined)).toBe("");
    expect(searchText.safeParse("a\u0000b").success).toBe(false);
    expect(searchText.safeParse("a\tb").success).toBe(false);
    expect(searchText.safeParse("x".repeat(201)).success).toBe(false);
  });
});

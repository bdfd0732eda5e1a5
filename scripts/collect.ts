/**
 * npm run --silent collect -- <kind> <endpoint> [options] [--json]
 *
 * Runs one collector alone, without a database, and prints the snapshot: as JSON with --json (the
 * arrays hosts, virtualMachines, containers, images, guests, as `npm run analyse` reads them), else
 * a short summary. Exit codes: 0 collected, 1 collection failed, 2 wrong usage.
 */
import { UsageError } from "../server/cli/args";
import { COLLECTORS, collectorFor } from "../server/collectors";
import { keepLabelsFor, salvageSnapshot } from "../server/inventory/salvage";
import { parseSnapshot } from "../server/inventory/snapshot";

async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  const [kind, ...rest] = argv.filter((a) => a !== "--json");
  const definition = COLLECTORS.find((c) => c.kind === kind);
  const parser = definition?.cli;
  if (!parser) {
    const kinds = COLLECTORS.filter((c) => c.cli).map((c) => c.kind).join(" | ");
    throw new UsageError(`usage: collect <${kinds}> <endpoint> [options] [--json]`);
  }
  const source = parser(rest, process.env);
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort(new Error("interrupted")));
  // Salvaged as a collection job does: a bad object is repaired or dropped with a warning.
  const collect = definition?.collectCli ?? collectorFor(source.kind);
  const collected = await collect(source, { signal: controller.signal });
  const snapshot = parseSnapshot(salvageSnapshot(collected, { keepLabels: keepLabelsFor(source.options) }));
  if (json) {
    // Flushed before returning: the caller's process.exit would cut a large answer written to a pipe.
    await new Promise<void>((resolve, reject) =>
      process.stdout.write(`${JSON.stringify(snapshot, null, 2)}\n`, (error) => (error ? reject(error) : resolve())),
    );
    return 0;
  }
  const running = snapshot.containers.filter((c) => c.state === "running").length;
  const on = snapshot.virtualMachines.filter((v) => v.powerState === "poweredOn").length;
  const rows = [
    ["hosts", snapshot.hosts.length, `${snapshot.hosts.filter((h) => h.role === "hypervisor").length} hypervisors`],
    ["virtual machines", snapshot.virtualMachines.length, `${on} powered on`],
    ["containers", snapshot.containers.length, `${running} running`],
    ["images", snapshot.images.length, `${new Set(snapshot.images.flatMap((i) => i.layers.map((l) => l.digest))).size} distinct layers`],
    ["guests", snapshot.guests.length, `${snapshot.guests.reduce((n, g) => n + g.software.length, 0)} runtimes and servers recognised`],
  ] as const;
  console.log(`${source.kind} ${source.endpoint} at ${snapshot.collectedAt}`);
  for (const [what, n, detail] of rows) console.log(`  ${what.padEnd(17)} ${String(n).padStart(7)}  ${detail}`);
  for (const g of snapshot.guests) {
    const software = g.software.map((s) => s.name).join(", ") || "none recognised";
    console.log(`  guest ${g.target}  ${g.hostname ?? "?"}  ${g.os.prettyName ?? g.os.id ?? "unknown OS"}  ${g.processes.length} processes, ${g.listeners.length} listeners; ${software}`);
  }
  for (const warning of snapshot.warnings) console.log(`  warning: ${warning}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`collect: ${error.message}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);

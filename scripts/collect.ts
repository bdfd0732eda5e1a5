/**
 * npm run --silent collect -- <kind> <endpoint> [options] [--json]
 *
 * Runs one collector alone, without a database, and prints the snapshot: as JSON with --json (the
 * collector's kind, then the arrays hosts, virtualMachines, containers, images, guests, as
 * `npm run analyse` reads them), else a short summary. Exit codes: 0 collected, 1 collection
 * failed, 2 wrong usage.
 *
 * npm run --silent collect -- <kind> <endpoint> [options] --push <url> --source <id> --token-env VAR [--every 1h]
 *
 * A remote collector (server/cli/push.ts): pushes the snapshot to Fleetlens and prints the run it
 * queued; with --every, forever at that interval until SIGTERM or SIGINT.
 */
import { UsageError } from "../server/cli/args";
import { pushLoop, pushSnapshot, splitPushArgs, tokenFrom } from "../server/cli/push";
import { COLLECTORS, collectorFor } from "../server/collectors";
import { keepLabelsFor, salvageSnapshot } from "../server/inventory/salvage";
import { parseSnapshot } from "../server/inventory/snapshot";

async function main(argv: string[]): Promise<number> {
  const { push, rest: args } = splitPushArgs(argv);
  const json = args.includes("--json");
  const [kind, ...rest] = args.filter((a) => a !== "--json");
  const definition = COLLECTORS.find((c) => c.kind === kind);
  const parser = definition?.cli;
  if (!parser) {
    const kinds = COLLECTORS.filter((c) => c.cli).map((c) => c.kind).join(" | ");
    throw new UsageError(`usage: collect <${kinds}> <endpoint> [options] [--json | --push <url> --source <id> --token-env VAR [--every 1h]]`);
  }
  const source = parser(rest, process.env);
  const token = push ? tokenFrom(process.env, push.tokenEnv) : null;
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort(new Error("interrupted")));
  if (push) process.once("SIGTERM", () => controller.abort(new Error("terminated")));
  // Salvaged as a collection job does: a bad object is repaired or dropped with a warning.
  const collect = definition?.collectCli ?? collectorFor(source.kind);
  const collectOnce = async (signal: AbortSignal) =>
    parseSnapshot(salvageSnapshot(await collect(source, { signal }), { keepLabels: keepLabelsFor(source.options) }));
  // The kind first: a push is checked against its source's kind (app/api/sources/[sourceId]/snapshot).
  const printable = (snapshot: Awaited<ReturnType<typeof collectOnce>>) => ({ kind: source.kind, ...snapshot });

  if (push && token) {
    const log = (line: string) => console.error(`${new Date().toISOString()} collect: ${line}`);
    const send = (body: string, signal: AbortSignal) => pushSnapshot(push, token, body, { signal });
    if (push.everyMs === undefined) {
      const answer = await send(JSON.stringify(printable(await collectOnce(controller.signal))), controller.signal);
      console.log(`run ${answer.runId} queued: ${answer.poll}`);
      return 0;
    }
    log(`pushing ${source.kind} ${source.endpoint} to ${push.url} every ${Math.round(push.everyMs / 60_000)} min (stop with SIGTERM)`);
    await pushLoop({
      collect: async (signal) => JSON.stringify(printable(await collectOnce(signal))),
      push: send,
      log,
      signal: controller.signal,
      everyMs: push.everyMs,
    });
    log("stopped");
    return 0;
  }

  const snapshot = await collectOnce(controller.signal);
  if (json) {
    // Flushed before returning: the caller's process.exit would cut a large answer written to a pipe.
    await new Promise<void>((resolve, reject) =>
      process.stdout.write(`${JSON.stringify(printable(snapshot), null, 2)}\n`, (error) => (error ? reject(error) : resolve())),
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

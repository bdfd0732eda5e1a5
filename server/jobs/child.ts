/**
 * One collection in a process of its own, started by the worker (worker.ts) with a heap limit:
 * `node --import tsx server/jobs/child.ts <run id> <source id>`, DATABASE_URL in the environment.
 * The worker holds the run's lease; this process records the run's outcome (succeeded or failed
 * with its error) and exits 0 once it is recorded. Any other exit leaves the run to the worker.
 */
import { setting } from "../config";
import { connect } from "../db/client";
import { runCollection } from "./collect";

// Started with an IPC channel (the worker, worker.ts): when that worker dies (kill -9,
// out of memory), so does its collection, before it stores anything; its run is then failed by
// another worker and retried.
if (process.send) {
  process.on("disconnect", () => {
    console.error("[fleetlens] collection: its worker stopped; stopping too");
    process.exit(3);
  });
}

async function main() {
  const [runId, sourceId] = process.argv.slice(2);
  const url = setting("DATABASE_URL");
  if (!runId || !sourceId || !url) {
    console.error("usage: DATABASE_URL=… node --import tsx server/jobs/child.ts <run id> <source id>");
    process.exit(2);
  }
  const database = connect(url, { max: 2 });
  try {
    await runCollection(sourceId, runId, { database });
  } catch {
    // The run holds the error; nothing else to say here.
  } finally {
    await database.close();
  }
}

void main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`[fleetlens] collection: ${error.message}`);
    process.exit(1);
  },
);

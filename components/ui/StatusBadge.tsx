import type { SourceStatus } from "@/server/inventory/status";
import { Badge, type BadgeTone } from "./Badge";

const SOURCE_STATUS: Record<SourceStatus, { label: string; tone: BadgeTone; hint: string }> = {
  ok: { label: "Collected", tone: "green", hint: "The last collection succeeded within the interval" },
  stale: { label: "Stale", tone: "amber", hint: "The last good collection is older than twice the interval" },
  failed: { label: "Failed", tone: "red", hint: "The last collection failed; the previous inventory is kept" },
  running: { label: "Collecting", tone: "blue", hint: "A collection is queued or running now" },
  never: { label: "Never collected", tone: "neutral", hint: "Nothing has been collected yet" },
  disabled: { label: "Disabled", tone: "neutral", hint: "Collection is turned off" },
};

export function sourceStatusLabel(status: SourceStatus): string {
  return SOURCE_STATUS[status]?.label ?? status;
}

/** Collection status of a source or customer, in words with a coloured dot. */
export function StatusBadge({ status }: { status: SourceStatus }) {
  const entry = SOURCE_STATUS[status] ?? { label: status, tone: "neutral" as const, hint: status };
  return (
    <Badge tone={entry.tone} dot pulse={status === "running"} title={entry.hint}>
      {entry.label}
    </Badge>
  );
}

const RUN_STATUS: Record<string, { label: string; tone: BadgeTone }> = {
  queued: { label: "Queued", tone: "neutral" },
  running: { label: "Running", tone: "blue" },
  succeeded: { label: "Succeeded", tone: "green" },
  failed: { label: "Failed", tone: "red" },
};

/** Status of one collection run. */
export function RunStatusBadge({ status }: { status: string }) {
  const entry = RUN_STATUS[status] ?? { label: status, tone: "neutral" as const };
  return (
    <Badge tone={entry.tone} dot pulse={status === "running"}>
      {entry.label}
    </Badge>
  );
}

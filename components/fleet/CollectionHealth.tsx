"use client";
/**
 * Collection health on the fleet overview (fleet.health): a source is ok, stale (its last success
 * is older than twice its interval), failed (its last collection failed) or never collected.
 */
import Link from "next/link";
import type { RouterOutputs } from "../api-types";
import { formatCount, formatInterval } from "../format";
import { Badge, type BadgeTone } from "../ui/Badge";
import { cx, focusRing } from "../ui/cx";
import { RelativeTime } from "../ui/RelativeTime";

type Health = RouterOutputs["fleet"]["health"];
export type CustomerHealth = Health["customers"][number];
type SourceState = CustomerHealth["sources"][number]["state"];

const STATE: Record<SourceState, { label: string; tone: BadgeTone; hint: string }> = {
  ok: { label: "Collected", tone: "green", hint: "The last collection succeeded within twice the interval" },
  stale: { label: "Stale", tone: "amber", hint: "The last success is older than twice the interval" },
  failed: { label: "Failed", tone: "red", hint: "The last collection failed; the previous inventory is kept" },
  never: { label: "Never collected", tone: "neutral", hint: "No collection has finished yet" },
  disabled: { label: "Disabled", tone: "neutral", hint: "Collection is turned off" },
};

export function HealthBadge({ state }: { state: SourceState | null }) {
  if (state === null) return <Badge tone="neutral">No sources</Badge>;
  const entry = STATE[state];
  return (
    <Badge tone={entry.tone} dot title={entry.hint}>
      {entry.label}
    </Badge>
  );
}

/** "3 ok · 1 stale · 1 failing · 2 never", the states that have sources, each linking to /sources. */
export function HealthSummary({ counts }: { counts: Health["fleet"] }) {
  const parts = (["ok", "stale", "failed", "never", "disabled"] as const).filter((s) => counts[s] > 0 || s === "ok");
  if (counts.sources === 0) {
    return (
      <span>
        No sources yet:{" "}
        <Link href="/sources" className={cx("rounded font-medium text-brand-700 underline dark:text-brand-300", focusRing)}>
          add one
        </Link>
      </span>
    );
  }
  return (
    <ul aria-label="Sources by collection health" className="flex flex-wrap gap-1">
      {parts.map((s) => (
        <li key={s} data-health={s}>
          <Badge tone={counts[s] > 0 ? STATE[s].tone : "neutral"} title={STATE[s].hint}>
            {formatCount(counts[s])} {s === "failed" ? "failing" : s === "never" ? "never collected" : s}
          </Badge>
        </li>
      ))}
    </ul>
  );
}

/** A customer row's health: its state, last collection, and each source with its own. */
export function CustomerHealthCell({ health }: { health: CustomerHealth | undefined }) {
  if (!health) return <span className="text-xs text-slate-500 dark:text-slate-400">Unknown</span>;
  const shown = health.sources.slice(0, 3);
  return (
    <div className="min-w-52 space-y-1" data-customer-health={health.state ?? "none"}>
      <div className="flex flex-wrap items-center gap-2">
        <HealthBadge state={health.state} />
        <span className="text-xs text-slate-600 dark:text-slate-300">
          {health.sources.length > 0 && (
            <>
              last <RelativeTime date={health.lastSuccessAt} never="never" className="text-slate-700 dark:text-slate-200" />
            </>
          )}
        </span>
      </div>
      {health.sources.length > 0 && (
        <ul aria-label={`Sources of ${health.name}`} className="space-y-0.5 text-xs text-slate-600 dark:text-slate-300">
          {shown.map((s) => (
            <li key={s.id} className="flex flex-wrap items-center gap-x-1.5" title={s.lastError ?? STATE[s.state].hint}>
              <span aria-hidden="true" className={cx("size-1.5 rounded-full", DOT[s.state])} />
              <span className="max-w-40 truncate font-medium text-slate-700 dark:text-slate-200">{s.name}</span>
              <span>
                {STATE[s.state].label.toLowerCase()}
                {s.collecting && ", collecting now"}
                {s.lastSuccessAt && (
                  <>
                    , <RelativeTime date={s.lastSuccessAt} />
                  </>
                )}
                <span className="text-slate-400 dark:text-slate-500"> · every {formatInterval(s.intervalSeconds)}</span>
              </span>
            </li>
          ))}
          {health.sources.length > shown.length && (
            <li>
              <Link href="/sources" className={cx("rounded text-brand-700 hover:underline dark:text-brand-300", focusRing)}>
                {formatCount(health.sources.length - shown.length)} more on Sources
              </Link>
            </li>
          )}
        </ul>
      )}
    </div>
  );
}

const DOT: Record<SourceState, string> = {
  ok: "bg-emerald-500",
  stale: "bg-amber-500",
  failed: "bg-red-500",
  never: "bg-slate-400",
  disabled: "bg-slate-300 dark:bg-slate-600",
};

"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";
import { formatBytes, formatCount, formatDuration, formatWord } from "../format";
import { Button } from "../ui/Button";
import { ConfirmDialog } from "../ui/ConfirmDialog";
import { QueryError } from "../ui/ErrorMessage";
import { LoadingBlock } from "../ui/Spinner";
import { RelativeTime } from "../ui/RelativeTime";
import { RunStatusBadge } from "../ui/StatusBadge";
import { cx } from "../ui/cx";

const th = "px-3 py-1.5 font-semibold whitespace-nowrap";

/**
 * The last collection runs of one source, newest first. Engineers and administrators (`canCancel`)
 * can cancel a queued or running one, after confirming: it ends failed, "cancelled by" them.
 */
export function RunHistory({ sourceId, sourceName, canCancel = false }: { sourceId: string; sourceName: string; canCancel?: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const runs = useQuery({
    ...trpc.sources.runs.queryOptions({ sourceId, limit: 20 }),
    refetchInterval: (query) => (query.state.data?.some((r) => r.status === "running" || r.status === "queued") ? 2000 : false),
  });
  const [cancelling, setCancelling] = useState<string | null>(null);
  const cancel = useMutation(
    trpc.sources.cancelRun.mutationOptions({
      onSuccess: async () => {
        setCancelling(null);
        await queryClient.invalidateQueries(trpc.sources.pathFilter());
      },
      // The run may have ended meanwhile: the history shows how.
      onSettled: () => void queryClient.invalidateQueries(trpc.sources.runs.pathFilter()),
    }),
  );
  const closeDialog = () => {
    setCancelling(null);
    cancel.reset();
  };

  if (runs.isPending) return <LoadingBlock label="Loading run history…" className="py-4" />;
  if (runs.error) {
    return (
      <QueryError title="Could not load the run history" query={runs} />
    );
  }
  if (runs.data.length === 0) {
    return <p className="py-2 text-sm text-slate-600 dark:text-slate-400">No collections yet. Use &ldquo;Collect now&rdquo; to run one.</p>;
  }

  const cancellingRun = runs.data.find((r) => r.id === cancelling);
  return (
    <>
      <ConfirmDialog
        open={cancelling !== null}
        title={`Cancel the collection of ${sourceName}?`}
        confirmLabel="Cancel collection"
        cancelLabel="Keep it"
        destructive
        busy={cancel.isPending}
        error={cancel.error}
        onConfirm={() => cancelling && cancel.mutate({ sourceId, runId: cancelling })}
        onCancel={closeDialog}
      >
        {cancellingRun?.status === "queued" ? "The run will not start" : "Its collection process is stopped"}; the run ends as failed,
        cancelled by you, and is not retried. The inventory collected before stays.
      </ConfirmDialog>
      <div className="overflow-x-auto rounded-md border border-slate-200 dark:border-slate-700 bg-white dark:bg-slate-900">
        <table className="w-full border-collapse text-xs">
          <caption className="px-3 py-2 text-left text-xs font-semibold text-slate-700 dark:text-slate-300">
            Last {formatCount(runs.data.length)} collections of {sourceName}
          </caption>
          <thead className="bg-slate-50 dark:bg-slate-800 text-slate-600 dark:text-slate-400">
            <tr className="border-y border-slate-200 dark:border-slate-700">
              <th scope="col" className={cx(th, "text-left")}>Started</th>
              <th scope="col" className={cx(th, "text-left")}>Trigger</th>
              <th scope="col" className={cx(th, "text-left")}>Status</th>
              <th scope="col" className={cx(th, "text-right")}>Duration</th>
              <th scope="col" className={cx(th, "text-right")}>Added</th>
              <th scope="col" className={cx(th, "text-right")}>Changed</th>
              <th scope="col" className={cx(th, "text-right")}>Removed</th>
              <th scope="col" className={cx(th, "text-left")}>Error and warnings</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {runs.data.map((run) => (
              <tr key={run.id} className="align-top">
                <td className="px-3 py-1.5 whitespace-nowrap">
                  <RelativeTime date={run.startedAt} />
                </td>
                <td className="px-3 py-1.5">
                  {formatWord(run.trigger)}
                  {run.uploadName && (
                    <span className="block max-w-48 truncate text-slate-500 dark:text-slate-400" title={run.uploadName}>
                      {run.uploadName}
                      {run.uploadBytes !== null && ` · ${formatBytes(run.uploadBytes)}`}
                    </span>
                  )}
                </td>
                <td className="px-3 py-1.5 whitespace-nowrap">
                  <RunStatusBadge status={run.status} />
                  {canCancel && (run.status === "queued" || run.status === "running") && (
                    <Button
                      size="sm"
                      variant="danger"
                      className="ml-2"
                      aria-label={`Cancel the ${run.status} run`}
                      onClick={() => {
                        cancel.reset();
                        setCancelling(run.id);
                      }}
                    >
                      Cancel
                    </Button>
                  )}
                </td>
                <td className="px-3 py-1.5 text-right tabular-nums whitespace-nowrap">
                  {run.status === "running" ? "running…" : run.status === "queued" ? "waiting for a worker…" : formatDuration(run.durationMs)}
                </td>
                <td className="px-3 py-1.5 text-right tabular-nums">
                  {formatCount(run.added)}
                  {run.guests > 0 && (
                    <span className="block whitespace-nowrap text-slate-500 dark:text-slate-400">
                      {formatCount(run.guests)} {run.guests === 1 ? "guest" : "guests"} read
                    </span>
                  )}
                </td>
                <td className="px-3 py-1.5 text-right tabular-nums">{formatCount(run.changed)}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{formatCount(run.removed)}</td>
                <td className="max-w-xl px-3 py-1.5">
                  {run.error && <p className="break-words whitespace-pre-wrap text-red-700 dark:text-red-300">{run.error}</p>}
                  {run.warnings.length > 0 && (
                    <ul className="list-disc space-y-0.5 pl-4 text-amber-800 dark:text-amber-200">
                      {run.warnings.map((warning, i) => (
                        <li key={i} className="break-words">
                          {warning}
                        </li>
                      ))}
                    </ul>
                  )}
                  {!run.error && run.warnings.length === 0 && <span className="text-slate-400 dark:text-slate-500">None</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

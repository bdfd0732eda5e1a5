"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";
import type { RouterOutputs } from "../api-types";
import { formatInterval } from "../format";
import { Button } from "../ui/Button";
import { cx } from "../ui/cx";
import { RelativeTime } from "../ui/RelativeTime";
import { StatusBadge } from "../ui/StatusBadge";
import { kindLabel } from "./kinds";
import { RemotePush } from "./RemotePush";
import { RunHistory } from "./RunHistory";
import { SourceForm } from "./SourceForm";
import { UploadButton, type UploadResult } from "./UploadButton";

type Source = RouterOutputs["sources"]["list"][number];

/**
 * One source: its row, the last error in full, and when opened its edit form and run history. The
 * endpoint column is there for those the server tells how a source is reached (administrators).
 */
export function SourceRows({
  source,
  open,
  editing,
  collecting,
  toggling,
  onCollect,
  onToggleRuns,
  onEdit,
  canManage,
  canUpload,
  onUploaded,
  onUploadError,
  showConnection,
  onToggleEnabled,
  onDelete,
  onSaved,
  onCancelEdit,
}: {
  source: Source;
  open: boolean;
  editing: boolean;
  collecting: boolean;
  toggling: boolean;
  onCollect: () => void;
  onToggleRuns: () => void;
  onEdit: () => void;
  /** Administrators change sources; others only read them and their runs. */
  canManage: boolean;
  /** Engineers and administrators upload files to the kinds collected from uploads (RVTools exports). */
  canUpload: boolean;
  onUploaded: (result: UploadResult) => void;
  onUploadError: (message: string) => void;
  /** Whether the table has the endpoint column. */
  showConnection: boolean;
  onToggleEnabled: () => void;
  onDelete: () => void;
  onSaved: (name: string) => void;
  onCancelEdit: () => void;
}) {
  const trpc = useTRPC();
  const kinds = useQuery(trpc.sources.kinds.queryOptions());
  const running = source.status === "running";
  const upload = kinds.data?.find((k) => k.kind === source.kind)?.upload ?? null;
  const lastRun = source.lastRun;
  const failedError = lastRun?.status === "failed" ? lastRun.error : null;
  const historyId = `runs-${source.id}`;
  const editId = `edit-${source.id}`;
  const highlight = open || editing ? "bg-slate-50/60 dark:bg-slate-800/40" : undefined;
  const connection = source.connection;
  const columns = showConnection ? 7 : 6;
  const credentials =
    [connection?.username ? `user ${connection.username}` : null, source.hasSecret ? "secret stored" : null]
      .filter(Boolean)
      .join(" · ") || "no credentials";

  return (
    <>
      <tr className={cx("border-t border-slate-100 dark:border-slate-800 align-top", highlight)}>
        <th scope="row" className="px-3 py-2.5 text-left font-normal">
          <span className="block font-medium text-slate-900 dark:text-slate-100">{source.name}</span>
          <span className="block text-xs text-slate-500 dark:text-slate-400">{kindLabel(kinds.data, source.kind)}</span>
        </th>
        {showConnection && (
          <td className="max-w-60 px-3 py-2.5">
            {connection && (
              <>
                <span className="block truncate font-mono text-xs text-slate-800 dark:text-slate-200" title={connection.endpoint}>
                  {connection.endpoint}
                </span>
                <span className="mt-0.5 block truncate text-xs text-slate-500 dark:text-slate-400" title={credentials}>
                  {credentials}
                </span>
              </>
            )}
          </td>
        )}
        <td className="px-3 py-2.5">{source.enabled ? "Yes" : <span className="text-slate-500 dark:text-slate-400">No</span>}</td>
        <td className="px-3 py-2.5 text-right whitespace-nowrap tabular-nums">
          {upload ? <span className="text-slate-500 dark:text-slate-400">On upload</span> : formatInterval(source.intervalSeconds)}
        </td>
        <td className="px-3 py-2.5">
          <StatusBadge status={source.status} />
        </td>
        <td className="px-3 py-2.5 whitespace-nowrap">
          <RelativeTime date={lastRun?.startedAt} never="Never run" />
          {lastRun?.status === "failed" && source.lastSuccessAt && (
            <span className="block text-xs text-slate-500 dark:text-slate-400">
              last good <RelativeTime date={source.lastSuccessAt} />
            </span>
          )}
        </td>
        <td className="px-3 py-2">
          <div className="flex justify-end gap-1.5">
            {canUpload && upload && (
              <UploadButton
                sourceId={source.id}
                sourceName={source.name}
                accept={upload.accept}
                hint={upload.hint}
                disabled={!source.enabled}
                onUploaded={onUploaded}
                onError={onUploadError}
              />
            )}
            {canManage && (
              <Button
                size="sm"
                busy={collecting}
                disabled={running || !source.enabled}
                title={
                  !source.enabled
                    ? "Enable the source to collect it"
                    : running
                      ? "A collection is running"
                      : upload
                        ? "Import the newest uploaded export again"
                        : undefined
                }
                onClick={onCollect}
              >
                {running ? "Collecting…" : upload ? "Import again" : "Collect now"}
              </Button>
            )}
            <Button size="sm" aria-expanded={open} aria-controls={open ? historyId : undefined} onClick={onToggleRuns}>
              {open ? "Hide runs" : "Runs"}
            </Button>
            {canManage && (
              <>
                {connection && (
                  <Button size="sm" aria-expanded={editing} aria-controls={editing ? editId : undefined} onClick={onEdit}>
                    Edit
                  </Button>
                )}
                <Button size="sm" busy={toggling} onClick={onToggleEnabled}>
                  {source.enabled ? "Disable" : "Enable"}
                </Button>
                <Button size="sm" variant="danger" onClick={onDelete}>
                  Delete
                </Button>
              </>
            )}
          </div>
        </td>
      </tr>
      {failedError && (
        <tr className={highlight}>
          <td colSpan={columns} className="px-3 pb-2.5">
            <p className="rounded-md border border-red-200 dark:border-red-900 bg-red-50 dark:bg-red-950/50 px-3 py-2 text-xs break-words whitespace-pre-wrap text-red-800 dark:text-red-200">
              <span className="font-semibold">Last run failed: </span>
              {failedError}
            </p>
          </td>
        </tr>
      )}
      {editing && connection && (
        <tr id={editId} className="bg-slate-50/60 dark:bg-slate-800/40">
          <td colSpan={columns} className="px-3 pb-4">
            <div className="rounded-md border border-slate-200 dark:border-slate-700 bg-white dark:bg-slate-900 p-4">
              <h3 className="mb-3 text-sm font-semibold">Edit {source.name}</h3>
              <SourceForm source={{ ...source, connection }} onDone={({ name }) => onSaved(name)} onCancel={onCancelEdit} />
            </div>
          </td>
        </tr>
      )}
      {open && (
        <tr id={historyId} className="bg-slate-50/60 dark:bg-slate-800/40">
          <td colSpan={columns} className="px-3 pb-4">
            <RunHistory sourceId={source.id} sourceName={source.name} canCancel={canUpload} />
            {canUpload && !upload && (
              <RemotePush sourceId={source.id} kind={source.kind} endpoint={connection?.endpoint ?? null} />
            )}
          </td>
        </tr>
      )}
    </>
  );
}

"use client";
import { useSyncExternalStore } from "react";

const noSubscription = () => () => {};

/**
 * How a collector at a site behind a firewall feeds this source (README "Remote sites"): the
 * `collect … --push` command with this source's id and this server's address, the token in an
 * environment variable. Shown to engineers and administrators in the source's run history.
 */
export function RemotePush({ sourceId, kind, endpoint }: { sourceId: string; kind: string; endpoint: string | null }) {
  // The address people reach Fleetlens at, as the browser sees it (none while rendering on the server).
  const origin = useSyncExternalStore(noSubscription, () => window.location.origin, () => "https://fleetlens.example.com");
  const command =
    `export FLEETLENS_TOKEN=flk_…   # an API token of yours (Account page)\n` +
    `npm run --silent collect -- ${kind} ${endpoint ?? "<endpoint>"} \\\n` +
    `  --push ${origin} --source ${sourceId} --token-env FLEETLENS_TOKEN --every 1h`;
  return (
    <details className="mt-3 rounded-md border border-slate-200 bg-white text-sm dark:border-slate-700 dark:bg-slate-900">
      <summary className="cursor-pointer px-3 py-2 font-medium text-slate-800 focus-visible:outline-2 focus-visible:outline-sky-600 dark:text-slate-200">
        Push from a remote site
      </summary>
      <div className="space-y-2 px-3 pb-3 text-slate-600 dark:text-slate-400">
        <p>
          A site that lets nothing in runs the collector itself and pushes over outbound HTTPS: each push is a run here
          (trigger “Push”), and the server stops collecting this source on its schedule. Source id:{" "}
          <code className="font-mono text-xs text-slate-800 dark:text-slate-200">{sourceId}</code>
        </p>
        <pre className="overflow-x-auto rounded bg-slate-100 p-2 font-mono text-xs text-slate-800 dark:bg-slate-800 dark:text-slate-200">
          {command}
        </pre>
      </div>
    </details>
  );
}

"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc";
import type { ListPage, SummaryList, SummaryListRow } from "@/server/analysis/views";
import { formatCount } from "../format";
import { Button } from "../ui/Button";

/**
 * One of the summary's long lists, a page at a time: the first page comes with the summary (no
 * request), the others from analysis.list in the same order and page size. Shown by ListPager.
 */
export function useListPage<K extends SummaryList>(customerId: string, list: K, first: ListPage<SummaryListRow<K>>) {
  const trpc = useTRPC();
  const [page, setPage] = useState(0);
  const pageSize = Math.max(first.rows.length, 1);
  const query = useQuery({
    ...trpc.analysis.list.queryOptions({ customerId, list, page, pageSize }),
    enabled: page > 0,
    placeholderData: keepPreviousData,
  });
  const current = page === 0 ? first : ((query.data as ListPage<SummaryListRow<K>> | undefined) ?? first);
  return {
    rows: current.rows,
    total: first.total,
    page,
    pageSize,
    pageCount: Math.max(1, Math.ceil(first.total / pageSize)),
    setPage,
    loading: page > 0 && (query.isPending || query.isPlaceholderData),
    error: page > 0 ? query.error : null,
  };
}

/** "Hosts 51–100 of 12,500" with Previous and Next; nothing when the list fits on one page. */
export function ListPager({ label, pager }: { label: string; pager: ReturnType<typeof useListPage> }) {
  if (pager.pageCount <= 1) return null;
  const from = pager.page * pager.pageSize + 1;
  const to = Math.min(pager.total, from + pager.pageSize - 1);
  return (
    <div className="flex flex-wrap items-center justify-between gap-3 border-t border-slate-200 px-4 py-2 text-xs text-slate-600 dark:border-slate-700 dark:text-slate-400">
      <span className="tabular-nums" aria-live="polite">
        {label} {formatCount(from)}–{formatCount(to)} of {formatCount(pager.total)}
        {pager.loading && " (loading…)"}
        {pager.error && <span className="text-red-700 dark:text-red-300"> — could not load this page: {pager.error.message}</span>}
      </span>
      <div className="flex gap-1.5">
        <Button size="sm" onClick={() => pager.setPage(pager.page - 1)} disabled={pager.page === 0 || pager.loading}>
          <span aria-hidden="true">‹</span> Previous
        </Button>
        <Button size="sm" onClick={() => pager.setPage(pager.page + 1)} disabled={pager.page + 1 >= pager.pageCount || pager.loading}>
          Next <span aria-hidden="true">›</span>
        </Button>
      </div>
    </div>
  );
}

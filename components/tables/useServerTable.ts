"use client";
import type { PaginationState, SortingState, Updater } from "@tanstack/react-table";
import { useCallback, useState } from "react";

export type SortDirection = "asc" | "desc";

function apply<T>(updater: Updater<T>, old: T): T {
  return typeof updater === "function" ? (updater as (old: T) => T)(old) : updater;
}

/**
 * Page, page size, sort and search of a server-side table, in TanStack Table's shapes, plus the
 * `{ page, pageSize, sort, search }` input the inventory procedures take. Changing the sort, the
 * search or a filter goes back to the first page.
 */
export function useServerTableState<C extends string>(options: {
  defaultSort: { column: C; direction: SortDirection };
  initialSearch?: string;
  pageSize?: number;
}) {
  const { defaultSort } = options;
  const [pagination, setPaginationState] = useState<PaginationState>({
    pageIndex: 0,
    pageSize: options.pageSize ?? 25,
  });
  const [sorting, setSortingState] = useState<SortingState>([
    { id: defaultSort.column, desc: defaultSort.direction === "desc" },
  ]);
  const [search, setSearchState] = useState(options.initialSearch ?? "");

  const firstPage = useCallback(() => setPaginationState((p) => (p.pageIndex === 0 ? p : { ...p, pageIndex: 0 })), []);

  const setPagination = useCallback((updater: Updater<PaginationState>) => {
    setPaginationState((old) => {
      const next = apply(updater, old);
      // A new page size starts again at the first page.
      return next.pageSize !== old.pageSize ? { ...next, pageIndex: 0 } : next;
    });
  }, []);

  const setSorting = useCallback(
    (updater: Updater<SortingState>) => {
      setSortingState((old) => apply(updater, old));
      firstPage();
    },
    [firstPage],
  );

  const setSearch = useCallback(
    (value: string) => {
      setSearchState(value);
      firstPage();
    },
    [firstPage],
  );

  const first = sorting[0];
  const sort = first
    ? { column: first.id as C, direction: (first.desc ? "desc" : "asc") as SortDirection }
    : defaultSort;

  return {
    /** Spread on DataTable: its page and sort, and their setters. */
    bind: { pagination, onPaginationChange: setPagination, sorting, onSortingChange: setSorting },
    pagination,
    setPagination,
    sorting,
    setSorting,
    search,
    setSearch,
    /** Call when a filter changes. */
    firstPage,
    /** A filter's setter that also goes back to the first page. */
    filter:
      <T,>(set: (value: T) => void) =>
      (value: T) => {
        set(value);
        firstPage();
      },
    input: { page: pagination.pageIndex, pageSize: pagination.pageSize, sort, search },
  };
}

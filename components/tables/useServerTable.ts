"use client";
import type { PaginationState, SortingState, Updater } from "@tanstack/react-table";
import { useCallback, useState } from "react";
import { useColumnVisibility } from "./useColumnVisibility";

export type SortDirection = "asc" | "desc";

/**
 * A table's filter as data (dub's use-…-filters): the hook holds its value, the toolbar draws it
 * (TableFilters), and "" is "all". Declare a table's filters once, outside the component.
 */
export interface FilterSpec<K extends string = string, V extends string = string> {
  key: K;
  label: string;
  options: ReadonlyArray<{ value: V; label: string }>;
  /** The "all" option's words; "All" by default. */
  allLabel?: string;
}

/** Each filter's value by key: one of its options' values, or "" for all. */
export type FilterValues<F extends readonly FilterSpec[]> = {
  [S in F[number] as S["key"]]: S["options"][number]["value"] | "";
};

/** A filter with its value and setter, for TableFilters. */
export interface BoundFilter extends FilterSpec {
  value: string;
  onChange: (value: string) => void;
}

function apply<T>(updater: Updater<T>, old: T): T {
  return typeof updater === "function" ? (updater as (old: T) => T)(old) : updater;
}

/**
 * Page, page size, sort and search of a server-side table, in TanStack Table's shapes, plus the
 * `{ page, pageSize, sort, search }` input the inventory procedures take. Changing the sort, the
 * search or a filter goes back to the first page.
 */
export function useServerTableState<C extends string, const F extends readonly FilterSpec[] = readonly []>(options: {
  defaultSort: { column: C; direction: SortDirection };
  initialSearch?: string;
  pageSize?: number;
  filters?: F;
  /** Lets a person choose the shown columns, kept per table under this key (useColumnVisibility). */
  columnsKey?: string;
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
  const [columnVisibility, setColumnVisibility] = useColumnVisibility(options.columnsKey);
  const [values, setValues] = useState<Record<string, string>>({});
  // Bumped by clear(): key the search box with it so that it forgets what was typed.
  const [resetKey, setResetKey] = useState(0);

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

  const specs: readonly FilterSpec[] = options.filters ?? [];
  const filters: BoundFilter[] = specs.map((spec) => ({
    ...spec,
    value: values[spec.key] ?? "",
    onChange: (value: string) => {
      setValues((old) => ({ ...old, [spec.key]: value }));
      firstPage();
    },
  }));
  const isFiltered = search !== "" || filters.some((filter) => filter.value !== "");
  const clear = () => {
    setSearch("");
    setValues({});
    setResetKey((key) => key + 1);
  };

  const first = sorting[0];
  const sort = first
    ? { column: first.id as C, direction: (first.desc ? "desc" : "asc") as SortDirection }
    : defaultSort;

  return {
    /** Spread on DataTable: its page and sort, and their setters. */
    bind: {
      pagination,
      onPaginationChange: setPagination,
      sorting,
      onSortingChange: setSorting,
      ...(options.columnsKey ? { columnVisibility, onColumnVisibilityChange: setColumnVisibility } : {}),
    },
    /** Which columns are shown (every one unless `columnsKey` is given and a person hid some). */
    columnVisibility,
    pagination,
    setPagination,
    sorting,
    setSorting,
    search,
    setSearch,
    /** The declared filters with their values and setters: `<TableFilters filters={table.filters} />`. */
    filters,
    /** Each declared filter's value ("" for all). */
    values: Object.fromEntries(filters.map((filter) => [filter.key, filter.value])) as FilterValues<F>,
    /** A search or a filter is set. */
    isFiltered,
    /** Forget the search and every filter. */
    clear,
    /** Key for the SearchInput, so that clear() empties it. */
    resetKey,
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

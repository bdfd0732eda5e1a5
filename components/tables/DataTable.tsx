"use client";
/**
 * One table for every server-paginated list: TanStack Table in manual mode (the server pages,
 * sorts and filters), sortable headers with aria-sort, loading / empty / error states, and
 * pagination with a page-size select. Sorting is offered only on columns with `enableSorting`.
 */
import {
  flexRender,
  getCoreRowModel,
  useReactTable,
  type ColumnDef,
  type OnChangeFn,
  type PaginationState,
  type RowData,
  type SortingState,
  type VisibilityState,
} from "@tanstack/react-table";
import { useId, type ReactNode } from "react";
import { formatCount, formatRowRange } from "../format";
import { Button } from "../ui/Button";
import { ColumnChooser } from "./ColumnChooser";
import { cx, focusRing } from "../ui/cx";
import { EmptyState } from "../ui/EmptyState";
import { QueryError } from "../ui/ErrorMessage";
import { Skeleton, Spinner } from "../ui/Spinner";

declare module "@tanstack/react-table" {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface ColumnMeta<TData extends RowData, TValue> {
    /** Numbers are right-aligned with tabular figures. */
    align?: "left" | "right";
    /** Extra classes for the body cells (widths, wrapping). */
    className?: string;
    /** false: a column with nothing to export (a button), left out of an export's `columns=`. */
    export?: false;
  }
}

/** The parts of a TanStack Query result the table needs. */
export interface ServerTableQuery<T> {
  data: { rows: T[]; total: number } | undefined;
  isPending: boolean;
  isFetching: boolean;
  isPlaceholderData: boolean;
  error: unknown;
  refetch: () => unknown;
}

export const PAGE_SIZES = [10, 25, 50, 100] as const;

export function DataTable<T>({
  label,
  columns,
  query,
  getRowId,
  pagination,
  onPaginationChange,
  sorting,
  onSortingChange,
  toolbar,
  empty,
  columnVisibility,
  onColumnVisibilityChange,
}: {
  /** What the table lists, for screen readers ("Hosts of Northwind"). */
  label: string;
  // Column definitions mix value types; TanStack's own docs type the array this way.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  columns: ColumnDef<T, any>[];
  query: ServerTableQuery<T>;
  getRowId: (row: T) => string;
  pagination: PaginationState;
  onPaginationChange: OnChangeFn<PaginationState>;
  sorting: SortingState;
  onSortingChange: OnChangeFn<SortingState>;
  /** Search box and filters above the table. */
  toolbar?: ReactNode;
  /** Shown when there are no rows (say whether filters are the reason). */
  empty: ReactNode;
  /** Which columns are shown (useServerTableState's, kept per table); with the setter, a "Columns" chooser in the toolbar. */
  columnVisibility?: VisibilityState;
  onColumnVisibilityChange?: OnChangeFn<VisibilityState>;
}) {
  const pageSizeId = useId();
  const total = query.data?.total ?? 0;
  const pageCount = Math.max(1, Math.ceil(total / pagination.pageSize));

  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Table returns fresh functions each render
  const table = useReactTable<T>({
    data: query.data?.rows ?? [],
    columns,
    getRowId,
    getCoreRowModel: getCoreRowModel(),
    manualPagination: true,
    manualSorting: true,
    manualFiltering: true,
    rowCount: total,
    state: { pagination, sorting, ...(columnVisibility ? { columnVisibility } : {}) },
    onPaginationChange,
    onSortingChange,
    ...(onColumnVisibilityChange ? { onColumnVisibilityChange } : {}),
    enableMultiSort: false,
    enableSortingRemoval: false,
    sortDescFirst: false,
    defaultColumn: { enableSorting: false },
  });

  const rows = table.getRowModel().rows;
  const columnCount = table.getVisibleLeafColumns().length;
  const updating = query.isFetching && !query.isPending;

  let body: ReactNode;
  if (query.isPending) {
    body = Array.from({ length: Math.min(pagination.pageSize, 8) }, (_, i) => (
      <tr key={`skeleton-${i}`}>
        {table.getVisibleLeafColumns().map((column) => (
          <td key={column.id} className="px-3 py-2.5">
            <Skeleton className={cx("h-4", column.columnDef.meta?.align === "right" ? "ml-auto w-10" : "w-24")} />
          </td>
        ))}
      </tr>
    ));
  } else if (query.error && !query.data) {
    body = (
      <tr>
        <td colSpan={columnCount} className="p-4">
          <QueryError title={`Could not load ${label.toLowerCase()}`} query={query} />
        </td>
      </tr>
    );
  } else if (rows.length === 0) {
    body = (
      <tr>
        <td colSpan={columnCount}>
          {total > 0 ? (
            <EmptyState
              title="This page is empty"
              action={
                <Button size="sm" onClick={() => table.firstPage()}>
                  Go to the first page
                </Button>
              }
            >
              The list changed since this page was loaded.
            </EmptyState>
          ) : (
            empty
          )}
        </td>
      </tr>
    );
  } else {
    body = rows.map((row) => (
      <tr key={row.id} className="hover:bg-slate-50/80 dark:hover:bg-slate-800/40">
        {row.getVisibleCells().map((cell) => {
          const meta = cell.column.columnDef.meta;
          return (
            <td
              key={cell.id}
              className={cx(
                "px-3 py-2 align-top",
                meta?.align === "right" && "text-right tabular-nums",
                meta?.className,
              )}
            >
              {flexRender(cell.column.columnDef.cell, cell.getContext())}
            </td>
          );
        })}
      </tr>
    ));
  }

  return (
    <div className="rounded-lg border border-slate-200 dark:border-slate-700 bg-white dark:bg-slate-900 shadow-xs">
      {(toolbar || onColumnVisibilityChange) && (
        <div className="flex flex-wrap items-center gap-x-4 gap-y-2 border-b border-slate-200 dark:border-slate-700 px-3 py-2.5">
          {toolbar}
          {onColumnVisibilityChange && (
            <div className="ml-auto">
              <ColumnChooser columns={table.getAllLeafColumns()} />
            </div>
          )}
        </div>
      )}
      {query.error && query.data ? (
        <div className="border-b border-slate-200 dark:border-slate-700 p-3">
          <QueryError title="Could not refresh the list; showing the previous result" query={query} />
        </div>
      ) : null}
      <div className="overflow-x-auto">
        <table
          aria-label={label}
          aria-busy={query.isFetching || undefined}
          className={cx(
            "w-full border-collapse text-sm transition-opacity",
            updating && query.isPlaceholderData && "opacity-60",
          )}
        >
          <thead className="bg-slate-50 dark:bg-slate-800 text-xs text-slate-600 dark:text-slate-400">
            {table.getHeaderGroups().map((group) => (
              <tr key={group.id} className="border-b border-slate-200 dark:border-slate-700">
                {group.headers.map((header) => {
                  const column = header.column;
                  const canSort = column.getCanSort();
                  const sorted = column.getIsSorted();
                  const right = column.columnDef.meta?.align === "right";
                  const content = header.isPlaceholder ? null : flexRender(column.columnDef.header, header.getContext());
                  return (
                    <th
                      key={header.id}
                      scope="col"
                      colSpan={header.colSpan}
                      aria-sort={
                        canSort ? (sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : "none") : undefined
                      }
                      className={cx(
                        "px-3 py-2 font-semibold whitespace-nowrap",
                        right ? "text-right" : "text-left",
                      )}
                    >
                      {canSort ? (
                        <button
                          type="button"
                          onClick={column.getToggleSortingHandler()}
                          title={`Sort by ${typeof column.columnDef.header === "string" ? column.columnDef.header : column.id}`}
                          className={cx(
                            "-mx-1 inline-flex items-center gap-1 rounded px-1 py-0.5 hover:bg-slate-200/70 dark:hover:bg-slate-700/70 hover:text-slate-900 dark:hover:text-slate-100",
                            right && "flex-row-reverse",
                            sorted && "text-slate-900 dark:text-slate-100",
                            focusRing,
                          )}
                        >
                          <span>{content}</span>
                          <SortIcon direction={sorted} />
                        </button>
                      ) : (
                        content
                      )}
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">{body}</tbody>
        </table>
      </div>
      <div className="flex flex-wrap items-center justify-between gap-x-6 gap-y-2 border-t border-slate-200 dark:border-slate-700 px-3 py-2 text-xs text-slate-600 dark:text-slate-400">
        <div className="flex items-center gap-3">
          <p aria-live="polite" className="tabular-nums">
            {query.isPending ? "Loading…" : formatRowRange(pagination.pageIndex, pagination.pageSize, total)}
          </p>
          {updating && (
            <span className="inline-flex items-center gap-1.5 text-slate-500 dark:text-slate-400">
              <Spinner className="size-3" />
              Updating…
            </span>
          )}
        </div>
        <div className="flex flex-wrap items-center gap-3">
          <div className="flex items-center gap-2">
            <label htmlFor={pageSizeId}>Rows per page</label>
            <select
              id={pageSizeId}
              value={pagination.pageSize}
              onChange={(event) => table.setPageSize(Number(event.target.value))}
              className={cx(
                "rounded-md border-0 bg-white dark:bg-slate-800 dark:text-slate-100 py-1 pr-7 pl-2 text-xs ring-1 ring-inset ring-slate-300 dark:ring-slate-600",
                focusRing,
              )}
            >
              {PAGE_SIZES.map((size) => (
                <option key={size} value={size}>
                  {size}
                </option>
              ))}
            </select>
          </div>
          <span className="tabular-nums">
            Page {formatCount(pagination.pageIndex + 1)} of {formatCount(pageCount)}
          </span>
          <div className="flex gap-1.5">
            <Button
              size="sm"
              onClick={() => table.previousPage()}
              disabled={pagination.pageIndex === 0 || query.isPending}
            >
              <span aria-hidden="true">‹</span> Previous
            </Button>
            <Button
              size="sm"
              onClick={() => table.nextPage()}
              disabled={pagination.pageIndex + 1 >= pageCount || query.isPending || query.isPlaceholderData}
            >
              Next <span aria-hidden="true">›</span>
            </Button>
          </div>
        </div>
      </div>
    </div>
  );
}

function SortIcon({ direction }: { direction: false | "asc" | "desc" }) {
  return (
    <svg aria-hidden="true" viewBox="0 0 12 12" className={cx("size-3", direction ? "text-brand-600" : "text-slate-400 dark:text-slate-500")}>
      <path d="M6 2 9 5H3z" fill="currentColor" opacity={direction === "desc" ? 0.25 : 1} />
      <path d="M6 10 3 7h6z" fill="currentColor" opacity={direction === "asc" ? 0.25 : 1} />
    </svg>
  );
}

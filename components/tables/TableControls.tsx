"use client";
import type { ReactNode } from "react";
import { TableFilters } from "./FilterSelect";
import { SearchInput } from "./SearchInput";
import type { BoundFilter } from "./useServerTable";

/**
 * A server table's toolbar: its search box and its declared filters (useServerTableState), then
 * whatever else the table adds (a rule badge, an export link).
 */
export function TableControls({
  table,
  searchLabel,
  searchPlaceholder,
  children,
}: {
  table: { search: string; setSearch: (value: string) => void; resetKey: number; filters: readonly BoundFilter[] };
  searchLabel: string;
  searchPlaceholder: string;
  children?: ReactNode;
}) {
  return (
    <>
      <SearchInput
        key={table.resetKey}
        label={searchLabel}
        placeholder={searchPlaceholder}
        value={table.search}
        onSearch={table.setSearch}
        className="w-full sm:w-72"
      />
      <TableFilters filters={table.filters} />
      {children}
    </>
  );
}

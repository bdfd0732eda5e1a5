"use client";
import { useId } from "react";
import { compactSelectClasses } from "../ui/Field";
import type { BoundFilter } from "./useServerTable";

/** A labelled select for a table filter; "" is the "all" option. */
export function FilterSelect<V extends string>({
  label,
  value,
  options,
  allLabel = "All",
  onChange,
}: {
  label: string;
  value: V | "";
  options: ReadonlyArray<{ value: V; label: string }>;
  allLabel?: string;
  onChange: (value: V | "") => void;
}) {
  const id = useId();
  return (
    <div className="flex items-center gap-2">
      <label htmlFor={id} className="text-xs font-medium whitespace-nowrap text-slate-600 dark:text-slate-400">
        {label}
      </label>
      <select
        id={id}
        value={value}
        onChange={(event) => onChange(event.target.value as V | "")}
        className={compactSelectClasses}
      >
        <option value="">{allLabel}</option>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A table's declared filters (useServerTableState's `filters`), one select each, in order. */
export function TableFilters({ filters }: { filters: readonly BoundFilter[] }) {
  return filters.map((filter) => (
    <FilterSelect
      key={filter.key}
      label={filter.label}
      value={filter.value}
      allLabel={filter.allLabel}
      options={filter.options}
      onChange={filter.onChange}
    />
  ));
}

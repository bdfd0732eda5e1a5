"use client";
import type { Column } from "@tanstack/react-table";
import { useState } from "react";
import { buttonClasses } from "../ui/Button";
import { cx, focusRing } from "../ui/cx";
import { useDisclosure } from "./useDisclosure";

/**
 * "Columns ▾": a checkbox per column to show or hide it (kept per table, useColumnVisibility). The
 * last shown column cannot be hidden; only columns with a name (a string header) are offered. A
 * disclosure (<details>): keyboard reachable, closed by Escape or a click outside. Its checkboxes
 * exist only while it is open, so a closed chooser adds no "Status" or "Verdict" control beside the
 * table's own filters of that name.
 */
export function ColumnChooser<T>({ columns: all }: { columns: Column<T, unknown>[] }) {
  const { ref, onKeyDown } = useDisclosure();
  const [open, setOpen] = useState(false);
  // Columns with a name: a selection column (a checkbox for a header) is not offered.
  const columns = all.filter((c) => c.getCanHide() && typeof c.columnDef.header === "string");
  const shown = columns.filter((c) => c.getIsVisible()).length;
  const hidden = columns.length - shown;
  return (
    <details ref={ref} className="relative" data-column-chooser onKeyDown={onKeyDown} onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary className={cx(buttonClasses("secondary", "sm"), "cursor-pointer list-none [&::-webkit-details-marker]:hidden")}>
        Columns
        {hidden > 0 && <span className="text-slate-500 dark:text-slate-400">({hidden} hidden)</span>}
        <span aria-hidden="true">▾</span>
      </summary>
      {open && (
        <fieldset className="absolute right-0 z-20 mt-1 w-52 rounded-md bg-white p-1.5 text-sm shadow-lg ring-1 ring-slate-200 dark:bg-slate-800 dark:ring-slate-600">
          <legend className="sr-only">Columns shown</legend>
          {columns.map((column) => {
            const name = String(column.columnDef.header);
            const visible = column.getIsVisible();
            return (
              <label key={column.id} className="flex cursor-pointer items-center gap-2 rounded px-1.5 py-1 text-slate-800 hover:bg-slate-100 dark:text-slate-100 dark:hover:bg-slate-700">
                <input
                  type="checkbox"
                  checked={visible}
                  disabled={visible && shown === 1}
                  onChange={(event) => column.toggleVisibility(event.target.checked)}
                  className={cx("size-4 rounded border-slate-300 text-brand-600 dark:border-slate-600", focusRing)}
                />
                {name}
              </label>
            );
          })}
        </fieldset>
      )}
    </details>
  );
}

"use client";
import type { ColumnDef, Updater, VisibilityState } from "@tanstack/react-table";
import { useCallback, useMemo, useSyncExternalStore } from "react";

/**
 * Which columns of a table are shown, kept per table in localStorage ("fleetlens.columns.<key>",
 * the hidden ids as JSON) so a person's choice survives a reload and applies to every customer;
 * read through useSyncExternalStore, so the server render (every column) and other tabs agree.
 * Where localStorage is refused (private modes), the choice lives in memory for the session.
 */
const EVENT = "fleetlens:columns";
const memory = new Map<string, string>();

function read(key: string): string {
  try {
    return window.localStorage.getItem(key) ?? memory.get(key) ?? "";
  } catch {
    return memory.get(key) ?? "";
  }
}

function write(key: string, value: string) {
  memory.set(key, value);
  try {
    if (value === "[]") window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, value);
  } catch {
    // Kept in memory only.
  }
  window.dispatchEvent(new Event(EVENT));
}

function subscribe(onChange: () => void) {
  window.addEventListener("storage", onChange);
  window.addEventListener(EVENT, onChange);
  return () => {
    window.removeEventListener("storage", onChange);
    window.removeEventListener(EVENT, onChange);
  };
}

function hiddenIds(raw: string): string[] {
  try {
    const value: unknown = JSON.parse(raw || "[]");
    return Array.isArray(value) ? value.filter((id): id is string => typeof id === "string") : [];
  } catch {
    return [];
  }
}

/** TanStack's column visibility for the table stored under `key`, and its setter; every column shown without a key. */
export function useColumnVisibility(key: string | undefined): [VisibilityState, (updater: Updater<VisibilityState>) => void] {
  const storageKey = key ? `fleetlens.columns.${key}` : null;
  const raw = useSyncExternalStore(
    subscribe,
    () => (storageKey ? read(storageKey) : ""),
    () => "",
  );
  const visibility = useMemo<VisibilityState>(() => Object.fromEntries(hiddenIds(raw).map((id) => [id, false])), [raw]);
  const setVisibility = useCallback(
    (updater: Updater<VisibilityState>) => {
      if (!storageKey) return;
      const next = typeof updater === "function" ? updater(visibility) : updater;
      write(storageKey, JSON.stringify(Object.keys(next).filter((id) => next[id] === false)));
    },
    [storageKey, visibility],
  );
  return [visibility, setVisibility];
}

/** A column definition's id: its `id`, else its accessor key. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- column definitions mix value types
export function columnIdOf(column: ColumnDef<any, any>): string {
  return column.id ?? ("accessorKey" in column && typeof column.accessorKey === "string" ? column.accessorKey : "");
}

/**
 * The ids of the shown columns in the screen's order, comma-separated, for an export's `columns=`;
 * undefined when every column is shown (the export then has every column, those only the file has too).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- column definitions mix value types
export function exportColumns(columns: readonly ColumnDef<any, any>[], visibility: VisibilityState): string | undefined {
  const ids = columns.filter((c) => c.meta?.export !== false).map(columnIdOf).filter((id) => id !== "");
  const shown = ids.filter((id) => visibility[id] !== false);
  return shown.length === ids.length ? undefined : shown.join(",");
}

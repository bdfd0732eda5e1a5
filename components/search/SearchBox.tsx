"use client";
/**
 * The header's search across the fleet: an ARIA combobox (input + listbox popup) whose options are
 * grouped by kind. "/" anywhere focuses it; arrows move through the options, Enter opens the one
 * chosen (or the full results page when none is), Escape closes the popup (and clears the text
 * when it is already closed). Queries wait for typing to pause.
 */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { useTRPC } from "@/lib/trpc";
import { describeError } from "../errors";
import { cx, focusRing } from "../ui/cx";
import { Spinner } from "../ui/Spinner";
import { MIN_CONTAINS, searchPageHref, useDebounced } from "./shared";

/** Objects per kind in the popup; the results page shows more. */
const POPUP_LIMIT = 5;

/** Typing into a field elsewhere ("/" is a character there), or a modifier held: not the shortcut. */
function typingElsewhere(event: globalThis.KeyboardEvent): boolean {
  if (event.ctrlKey || event.metaKey || event.altKey) return true;
  const target = event.target as HTMLElement | null;
  if (!target) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

interface Option {
  id: string;
  href: string;
  kind: string;
}

export function SearchBox() {
  const trpc = useTRPC();
  const router = useRouter();
  const base = useId().replace(/:/g, "");
  const listboxId = `${base}-listbox`;
  const inputRef = useRef<HTMLInputElement>(null);
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const q = useDebounced(text.trim(), 200);
  const pending = q !== text.trim();
  const search = useQuery({
    ...trpc.search.query.queryOptions({ q, limit: POPUP_LIMIT }),
    // One or two characters find only equal fields, reading every row of the largest tables: the
    // popup waits for a third (Enter still opens the results page for them).
    enabled: open && q.length >= MIN_CONTAINS && q.length <= 200,
    placeholderData: keepPreviousData,
    staleTime: 30_000,
    retry: false,
  });

  useEffect(() => {
    function onKey(event: globalThis.KeyboardEvent) {
      if (event.key !== "/" || typingElsewhere(event)) return;
      event.preventDefault();
      inputRef.current?.focus();
      inputRef.current?.select();
    }
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  const tooShort = text.trim().length < MIN_CONTAINS;
  const groups = useMemo(() => (tooShort ? [] : (search.data?.groups ?? []).filter((g) => g.hits.length > 0)), [search.data, tooShort]);
  const fresh = search.data !== undefined && !search.isPlaceholderData;
  const options: Option[] = useMemo(() => {
    const list: Option[] = groups.flatMap((g) => g.hits.map((h) => ({ id: `${base}-${h.kind}-${h.id}`, href: h.href, kind: h.kind })));
    if (q) list.push({ id: `${base}-all`, href: searchPageHref(q), kind: "all" });
    return list;
  }, [groups, q, base]);

  const showPopup = open && text.trim().length > 0;
  const activeOption = active >= 0 ? options[active] : undefined;

  function go(href: string) {
    setOpen(false);
    setActive(-1);
    inputRef.current?.blur();
    router.push(href);
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    switch (event.key) {
      case "ArrowDown":
      case "ArrowUp": {
        event.preventDefault();
        if (!open) setOpen(true);
        if (options.length === 0) return;
        const step = event.key === "ArrowDown" ? 1 : -1;
        setActive((i) => (i < 0 ? (step > 0 ? 0 : options.length - 1) : (i + step + options.length) % options.length));
        return;
      }
      case "Enter": {
        const q = text.trim();
        if (!q) return;
        event.preventDefault();
        go(activeOption ? activeOption.href : searchPageHref(q));
        return;
      }
      case "Escape":
        event.preventDefault();
        if (open && text) {
          setOpen(false);
          setActive(-1);
        } else {
          setText("");
        }
        return;
    }
  }

  let status: ReactNode = null;
  if (tooShort) {
    status = (
      <p role="status" className="px-3 py-3 text-sm text-slate-600 dark:text-slate-300">
        Type {MIN_CONTAINS} or more characters to search, or press Enter to look for an exact match.
      </p>
    );
  } else if (search.isError && !pending) {
    status = (
      <p role="alert" className="px-3 py-3 text-sm text-red-700 dark:text-red-300">
        Search failed: {describeError(search.error)}
      </p>
    );
  } else if (!fresh || pending || search.isFetching) {
    if (groups.length === 0) {
      status = (
        <p role="status" className="flex items-center gap-2 px-3 py-3 text-sm text-slate-500 dark:text-slate-400">
          <Spinner /> Searching…
        </p>
      );
    }
  } else if (groups.length === 0) {
    status = (
      <p role="status" className="px-3 py-3 text-sm text-slate-600 dark:text-slate-300">
        No results for “{q}”
      </p>
    );
  }

  return (
    <div className="relative w-full sm:w-72 lg:w-96" role="search">
      <label htmlFor={`${base}-input`} className="sr-only">
        Search the fleet
      </label>
      <div className="relative">
        <svg aria-hidden="true" viewBox="0 0 20 20" fill="none" className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-slate-400">
          <circle cx="9" cy="9" r="5.5" stroke="currentColor" strokeWidth="1.6" />
          <path d="m13 13 4 4" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
        </svg>
        <input
          ref={inputRef}
          id={`${base}-input`}
          type="text"
          role="combobox"
          aria-expanded={showPopup}
          aria-controls={listboxId}
          aria-autocomplete="list"
          aria-activedescendant={showPopup && activeOption ? activeOption.id : undefined}
          aria-keyshortcuts="/"
          autoComplete="off"
          spellCheck={false}
          maxLength={200}
          placeholder="Search names, IPs, MACs, UUIDs…"
          value={text}
          onChange={(event) => {
            setText(event.target.value);
            setOpen(true);
            setActive(-1);
          }}
          onFocus={() => setOpen(true)}
          onBlur={() => setOpen(false)}
          onKeyDown={onKeyDown}
          className={cx(
            "w-full rounded-md border border-slate-300 bg-white py-1.5 pr-8 pl-8 text-sm text-slate-900 placeholder:text-slate-400",
            "dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100 dark:placeholder:text-slate-500",
            focusRing,
          )}
        />
        <kbd aria-hidden="true" className="pointer-events-none absolute top-1/2 right-2 -translate-y-1/2 rounded border border-slate-300 px-1.5 text-xs text-slate-500 dark:border-slate-600 dark:text-slate-400">
          /
        </kbd>
      </div>
      <div
        className={cx(
          "absolute right-0 left-0 z-50 mt-1 max-h-[70vh] overflow-y-auto rounded-md border border-slate-200 bg-white shadow-lg sm:left-auto sm:w-[32rem]",
          "dark:border-slate-700 dark:bg-slate-900",
          !showPopup && "hidden",
        )}
      >
        {status}
        <div id={listboxId} role="listbox" aria-label={q ? `Results for ${q}` : "Results"}>
          {showPopup &&
            groups.map((group) => (
              <div key={group.kind} role="group" aria-labelledby={`${base}-${group.kind}-heading`} className="py-1">
                <div id={`${base}-${group.kind}-heading`} role="presentation" className="flex items-baseline justify-between px-3 pt-1.5 pb-1 text-xs font-semibold tracking-wide text-slate-500 uppercase dark:text-slate-400">
                  <span>{group.label}</span>
                  <span className="font-normal normal-case">{group.total > group.hits.length ? `${group.hits.length} of ${group.total.toLocaleString("en")}` : group.total}</span>
                </div>
                {group.hits.map((hit) => {
                  const id = `${base}-${hit.kind}-${hit.id}`;
                  const selected = activeOption?.id === id;
                  return (
                    <div
                      key={id}
                      id={id}
                      role="option"
                      aria-selected={selected}
                      onMouseDown={(event) => event.preventDefault()}
                      onClick={() => go(hit.href)}
                      onMouseMove={() => setActive(options.findIndex((o) => o.id === id))}
                      className={cx(
                        "cursor-pointer px-3 py-1.5 text-sm",
                        selected ? "bg-brand-50 dark:bg-brand-900/40" : "hover:bg-slate-50 dark:hover:bg-slate-800",
                      )}
                    >
                      <span className="block truncate font-medium text-slate-900 dark:text-slate-100">{hit.name}</span>
                      <span className="block truncate text-xs text-slate-500 dark:text-slate-400">
                        {hit.field === "Name" ? "" : `${hit.field} ${hit.value} · `}
                        {hit.kind === "customer" ? "Customer" : hit.customerName}
                      </span>
                    </div>
                  );
                })}
              </div>
            ))}
          {showPopup && q && (
            <div
              id={`${base}-all`}
              role="option"
              aria-selected={activeOption?.kind === "all"}
              onMouseDown={(event) => event.preventDefault()}
              onClick={() => go(searchPageHref(q))}
              className={cx(
                "cursor-pointer border-t border-slate-200 px-3 py-2 text-sm text-brand-700 dark:border-slate-700 dark:text-brand-300",
                activeOption?.kind === "all" ? "bg-brand-50 dark:bg-brand-900/40" : "hover:bg-slate-50 dark:hover:bg-slate-800",
              )}
            >
              All results for “{q}”
            </div>
          )}
        </div>
      </div>
    </div>
  );
}

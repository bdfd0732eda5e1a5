"use client";
import { useEffect, useId, useRef, useState } from "react";
import { inputClasses } from "../ui/Field";
import { cx } from "../ui/cx";

/**
 * A search box that reports its value `delay` ms after the last keystroke (Enter reports at
 * once). The label is visible to screen readers; the placeholder says what is searched.
 */
export function SearchInput({
  label,
  placeholder,
  value,
  onSearch,
  delay = 300,
  className,
}: {
  label: string;
  placeholder?: string;
  /** The value last reported (the draft starts from it). */
  value: string;
  onSearch: (value: string) => void;
  delay?: number;
  className?: string;
}) {
  const id = useId();
  const [draft, setDraft] = useState(value);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => () => clearTimeout(timer.current), []);

  const report = (next: string, wait: number) => {
    clearTimeout(timer.current);
    if (wait === 0) onSearch(next.trim());
    else timer.current = setTimeout(() => onSearch(next.trim()), wait);
  };

  return (
    <div className={cx("relative", className)}>
      <label htmlFor={id} className="sr-only">
        {label}
      </label>
      <svg
        aria-hidden="true"
        viewBox="0 0 20 20"
        fill="currentColor"
        className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-slate-400 dark:text-slate-500"
      >
        <path
          fillRule="evenodd"
          d="M9 3.5a5.5 5.5 0 1 0 0 11 5.5 5.5 0 0 0 0-11ZM2 9a7 7 0 1 1 12.45 4.39l3.58 3.58a.75.75 0 1 1-1.06 1.06l-3.58-3.58A7 7 0 0 1 2 9Z"
          clipRule="evenodd"
        />
      </svg>
      <input
        id={id}
        type="search"
        value={draft}
        placeholder={placeholder}
        autoComplete="off"
        spellCheck={false}
        onChange={(event) => {
          setDraft(event.target.value);
          report(event.target.value, delay);
        }}
        onKeyDown={(event) => {
          if (event.key === "Enter") {
            event.preventDefault();
            report(draft, 0);
          }
        }}
        className={cx(inputClasses, "pl-8")}
      />
    </div>
  );
}

"use client";
import { buttonClasses } from "../ui/Button";
import { cx, focusRing } from "../ui/cx";
import { useDisclosure } from "./useDisclosure";

export type ExportFormat = "csv" | "xlsx";

const FORMATS: ReadonlyArray<{ format: ExportFormat; label: string; hint: string }> = [
  { format: "csv", label: "CSV", hint: "comma-separated text, UTF-8" },
  { format: "xlsx", label: "Excel (.xlsx)", hint: "a workbook with one sheet" },
];

/**
 * "Export ▾": the table as CSV or as an Excel workbook, each link carrying the table's current
 * filters, sort and shown columns (`href(format)`). A disclosure (<details>): reachable and opened
 * with the keyboard, closed with Escape, a click outside, or a choice.
 */
export function ExportMenu({ href, label = "Export" }: { href: (format: ExportFormat) => string; label?: string }) {
  const { ref, close, onKeyDown } = useDisclosure();
  return (
    <details ref={ref} className="relative" data-export-menu onKeyDown={onKeyDown}>
      <summary className={cx(buttonClasses("secondary", "sm"), "cursor-pointer list-none [&::-webkit-details-marker]:hidden")}>
        <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="size-3.5">
          <path d="M10.75 2.75a.75.75 0 0 0-1.5 0v8.614L6.295 8.235a.75.75 0 1 0-1.09 1.03l4.25 4.5a.75.75 0 0 0 1.09 0l4.25-4.5a.75.75 0 0 0-1.09-1.03l-2.955 3.129V2.75Z" />
          <path d="M3.5 12.75a.75.75 0 0 0-1.5 0v2.5A2.75 2.75 0 0 0 4.75 18h10.5A2.75 2.75 0 0 0 18 15.25v-2.5a.75.75 0 0 0-1.5 0v2.5c0 .69-.56 1.25-1.25 1.25H4.75c-.69 0-1.25-.56-1.25-1.25v-2.5Z" />
        </svg>
        {label}
        <span aria-hidden="true">▾</span>
      </summary>
      <ul className="absolute right-0 z-20 mt-1 w-56 rounded-md bg-white p-1 text-sm shadow-lg ring-1 ring-slate-200 dark:bg-slate-800 dark:ring-slate-600">
        {FORMATS.map(({ format, label: name, hint }) => (
          <li key={format}>
            <a
              href={href(format)}
              download
              onClick={close}
              className={cx("block rounded px-2.5 py-1.5 text-slate-800 hover:bg-slate-100 dark:text-slate-100 dark:hover:bg-slate-700", focusRing)}
            >
              <span className="font-medium">{name}</span>
              <span className="block text-xs text-slate-500 dark:text-slate-400">{hint}</span>
            </a>
          </li>
        ))}
        <li className="px-2.5 pt-1 pb-1.5 text-xs text-slate-500 dark:text-slate-400">With the filters, sort and columns shown.</li>
      </ul>
    </details>
  );
}

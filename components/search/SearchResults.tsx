"use client";
/**
 * The full results of a search across the fleet (/search?q=): every kind with its count, up to
 * RESULTS_LIMIT objects each, best matches first, and a box to search again.
 */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc";
import { customerHref } from "../links";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { cx, focusRing } from "../ui/cx";
import { EmptyState } from "../ui/EmptyState";
import { QueryError } from "../ui/ErrorMessage";
import { LoadingBlock } from "../ui/Spinner";
import { MIN_CONTAINS, searchPageHref } from "./shared";

const RESULTS_LIMIT = 50;
const RANK = ["equal", "starts with", "contains"] as const;

export function SearchResults({ q }: { q: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const text = q.trim();
  const [draft, setDraft] = useState(text);
  const search = useQuery({
    ...trpc.search.query.queryOptions({ q: text, limit: RESULTS_LIMIT }),
    enabled: text.length > 0 && text.length <= 200,
    retry: false,
  });
  const groups = search.data?.groups ?? [];

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight text-slate-900 dark:text-slate-100">Search</h1>
          <p className="mt-1 text-sm text-slate-600 dark:text-slate-300">
            Names, hostnames, IP and MAC addresses, UUIDs, container ids and image tags, in every customer you can see.
          </p>
        </div>
        <form
          role="search"
          className="flex gap-2"
          onSubmit={(event) => {
            event.preventDefault();
            if (draft.trim()) router.push(searchPageHref(draft.trim()));
          }}
        >
          <label htmlFor="search-page-input" className="sr-only">
            Search the fleet
          </label>
          <input
            id="search-page-input"
            type="search"
            name="q"
            value={draft}
            maxLength={200}
            onChange={(event) => setDraft(event.target.value)}
            className={cx(
              "w-72 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm text-slate-900 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100",
              focusRing,
            )}
          />
          <Button type="submit">Search</Button>
        </form>
      </div>

      {text.length === 0 ? (
        <Card>
          <EmptyState title="Type something to search for">Press / anywhere to search from the header.</EmptyState>
        </Card>
      ) : text.length > 200 ? (
        <Card>
          <EmptyState title="That search is too long">A search is at most 200 characters.</EmptyState>
        </Card>
      ) : search.isPending ? (
        <LoadingBlock label={`Searching for “${text}”…`} />
      ) : search.isError ? (
        <QueryError query={search} title="The search failed" />
      ) : search.data.total === 0 ? (
        <Card>
          <EmptyState title={`No results for “${text}”`}>
            {text.length < MIN_CONTAINS
              ? `A text of one or two characters finds only exact matches: type ${MIN_CONTAINS} or more to find names that contain it.`
              : "Nothing in the customers you can see has a name, address, UUID, id or tag that contains it."}
          </EmptyState>
        </Card>
      ) : (
        <>
          <p role="status" className="text-sm text-slate-600 dark:text-slate-300">
            {search.data.total.toLocaleString("en")} {search.data.total === 1 ? "result" : "results"} for “{text}”:{" "}
            {groups
              .filter((g) => g.total > 0)
              .map((g) => `${g.total.toLocaleString("en")} ${g.label.toLowerCase()}`)
              .join(", ")}
          </p>
          {groups
            .filter((g) => g.total > 0)
            .map((group) => (
              <Card as="section" key={group.kind} className="overflow-hidden">
                <h2 id={`results-${group.kind}`} className="flex items-baseline justify-between border-b border-slate-200 px-4 py-2.5 text-sm font-semibold text-slate-900 dark:border-slate-800 dark:text-slate-100">
                  <span>{group.label}</span>
                  <span className="text-xs font-normal text-slate-500 dark:text-slate-400">
                    {group.total > group.hits.length ? `best ${group.hits.length} of ${group.total.toLocaleString("en")}` : group.total.toLocaleString("en")}
                  </span>
                </h2>
                <table className="w-full text-left text-sm" aria-labelledby={`results-${group.kind}`}>
                  <thead className="text-xs text-slate-500 dark:text-slate-400">
                    <tr>
                      <th scope="col" className="px-4 py-2 font-medium">Name</th>
                      <th scope="col" className="px-4 py-2 font-medium">Matched</th>
                      <th scope="col" className="px-4 py-2 font-medium">Customer</th>
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
                    {group.hits.map((hit) => (
                      <tr key={hit.id}>
                        <td className="px-4 py-2">
                          <Link href={hit.href} className={cx("font-medium text-brand-700 hover:underline dark:text-brand-300", focusRing)}>
                            {hit.name}
                          </Link>
                        </td>
                        <td className="px-4 py-2 text-slate-700 dark:text-slate-300">
                          <span className="text-slate-500 dark:text-slate-400">{hit.field}</span> <span className="font-mono text-xs break-all">{hit.value}</span>{" "}
                          <span className="text-xs text-slate-400 dark:text-slate-500">({RANK[hit.rank]})</span>
                        </td>
                        <td className="px-4 py-2">
                          <Link href={customerHref(hit.customerId)} className={cx("text-slate-700 hover:underline dark:text-slate-300", focusRing)}>
                            {hit.customerName}
                          </Link>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {group.total > group.hits.length && (
                  <p className="border-t border-slate-200 px-4 py-2 text-xs text-slate-500 dark:border-slate-800 dark:text-slate-400">
                    {(group.total - group.hits.length).toLocaleString("en")} more: type more of the name, address or id to narrow them down.
                  </p>
                )}
              </Card>
            ))}
        </>
      )}
    </div>
  );
}

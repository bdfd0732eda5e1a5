"use client";
/**
 * The Guests tab: what guest discovery read inside each guest (its newest run), the VM it is and
 * the key that matched, use against size, the runtimes and servers recognised, and what could not
 * be read; above it, the coverage that turns "insufficient data" into graded verdicts.
 */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo, useState } from "react";
import { useTRPC } from "@/lib/trpc";
import type { RouterOutputs } from "../api-types";
import { formatCount, formatMiB, formatRelativeTime, MISSING, pluralize } from "../format";
import { SearchInput } from "../tables/SearchInput";
import { Badge } from "../ui/Badge";
import { buttonClasses } from "../ui/Button";
import { Card, StatCard } from "../ui/Card";
import { EmptyState } from "../ui/EmptyState";
import { QueryError } from "../ui/ErrorMessage";
import { LoadingBlock } from "../ui/Spinner";
import { cx } from "../ui/cx";
import { FigureTable, numClass, RowHeader, Section, tdClass, Th } from "./parts";
import { ObjectNameLink } from "../objects/ObjectNameLink";

type GuestDiscovery = RouterOutputs["analysis"]["guests"];
type GuestRow = GuestDiscovery["guests"][number];

const MATCH_LABEL: Record<NonNullable<GuestRow["match"]>, string> = {
  uuid: "by DMI UUID",
  mac: "by MAC address",
  ip: "by IP address",
};

const percent = (part: number, whole: number) => (whole === 0 ? MISSING : `${Math.round((part / whole) * 100)}%`);

function UseOf({ used, total }: { used: number | null; total: number | null }) {
  if (used === null || total === null) return <span className="text-slate-400 dark:text-slate-500">{MISSING}</span>;
  return (
    <span>
      {formatMiB(used)} <span className="text-slate-500 dark:text-slate-400">of {formatMiB(total)}</span>
    </span>
  );
}

export function GuestsPanel({ customerId, customerName }: { customerId: string; customerName: string }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.analysis.guests.queryOptions({ customerId }));
  const [search, setSearch] = useState("");
  const needle = search.trim().toLowerCase();
  const rows = useMemo(() => {
    const guests = query.data?.guests ?? [];
    if (!needle) return guests;
    return guests.filter((g) =>
      [g.target, g.hostname, g.vmName, g.os, ...g.software].some((text) => text?.toLowerCase().includes(needle)),
    );
  }, [query.data, needle]);

  if (query.isPending) return <LoadingBlock label="Reading guest discovery…" />;
  if (query.error && !query.data) return <QueryError title="Could not load guest discovery" query={query} />;
  const { totals } = query.data!;
  if (totals.guests === 0) {
    return (
      <Card>
        <EmptyState
          title="No guest discovery yet"
          action={
            <Link href="/sources" className={buttonClasses("primary")}>
              Add a source
            </Link>
          }
        >
          {totals.linuxVms > 0
            ? `Insufficient data for ${pluralize(totals.linuxVms, "powered-on Linux VM")}: add a Linux guests (ssh) source to read what runs inside them.`
            : "Add a Linux guests (ssh) source to read what runs inside the customer's Linux VMs."}
        </EmptyState>
      </Card>
    );
  }
  return (
    <div className="space-y-4">
      <dl className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <StatCard label="Guests read" value={formatCount(totals.guests)} />
        <StatCard label="Matched to a VM" value={formatCount(totals.matched)} />
        <StatCard label="Powered-on Linux VMs" value={formatCount(totals.linuxVms)} />
        <StatCard
          label="Linux VMs looked inside"
          value={`${formatCount(totals.linuxVmsDiscovered)} (${percent(totals.linuxVmsDiscovered, totals.linuxVms)})`}
        />
      </dl>
      <Section
        id="guests-heading"
        title="Guests"
        description="Each guest's newest facts. A guest matched to no VM is listed too: its VM is not in any source of this customer, or reports neither its UUID, a MAC nor a unique IP address. Memory used is MemTotal − MemAvailable; disk sums the guest's own filesystems."
      >
        <div className="flex flex-wrap items-center justify-between gap-3 px-3 py-2">
          <SearchInput
            label="Search guests"
            placeholder="Search guest, VM, OS, software"
            value={search}
            onSearch={setSearch}
            className="w-80"
          />
          <p className="text-xs text-slate-600 dark:text-slate-400" aria-live="polite">
            {pluralize(rows.length, "guest")}
          </p>
        </div>
        {rows.length === 0 ? (
          <EmptyState title="No guests match the search" />
        ) : (
          <FigureTable
            caption={`Guests of ${customerName}`}
            captionHidden
            head={
              <>
                <Th>Guest</Th>
                <Th>VM</Th>
                <Th>OS</Th>
                <Th right>CPU busy</Th>
                <Th right>Memory used</Th>
                <Th right>Disk used</Th>
                <Th>Runtimes and servers</Th>
                <Th right>Listeners</Th>
                <Th>Not read</Th>
                <Th>Read</Th>
              </>
            }
          >
            {rows.map((g) => (
              <GuestTableRow key={g.key} guest={g} />
            ))}
          </FigureTable>
        )}
      </Section>
    </div>
  );
}

function GuestTableRow({ guest: g }: { guest: GuestRow }) {
  return (
    <tr data-guest={g.target}>
      <RowHeader>
        <span className="font-mono text-xs">{g.target}</span>
        {g.hostname && <span className="block text-xs font-normal text-slate-500 dark:text-slate-400">{g.hostname}</span>}
      </RowHeader>
      <td className={tdClass}>
        {g.vmName ? (
          <span>
            <ObjectNameLink kind="vm" id={g.vmKey}>{g.vmName}</ObjectNameLink>
            {g.match && <span className="block text-xs text-slate-500 dark:text-slate-400">{MATCH_LABEL[g.match]}</span>}
          </span>
        ) : (
          <Badge tone="amber">Not matched</Badge>
        )}
      </td>
      <td className={cx(tdClass, "text-xs")}>
        {g.os ?? <span className="text-slate-400 dark:text-slate-500">{MISSING}</span>}
        {g.kernel && <span className="block text-slate-500 dark:text-slate-400">{g.kernel}</span>}
      </td>
      <td className={numClass}>{g.cpuBusyPercent === null ? MISSING : `${g.cpuBusyPercent.toFixed(0)}%`}</td>
      <td className={numClass}>
        <UseOf used={g.memoryUsedMiB} total={g.memoryTotalMiB} />
      </td>
      <td className={numClass}>
        <UseOf used={g.diskUsedMiB} total={g.diskTotalMiB} />
      </td>
      <td className={cx(tdClass, "text-xs")}>
        {g.software.length === 0 ? <span className="text-slate-500 dark:text-slate-400">none recognised</span> : g.software.join(", ")}
        {g.extraModules.length > 0 && (
          <span className="mt-0.5 block text-amber-800 dark:text-amber-200">
            {pluralize(g.extraModules.length, "extra kernel module")}: {g.extraModules.slice(0, 5).join(", ")}
            {g.extraModules.length > 5 && ", …"}
          </span>
        )}
      </td>
      <td className={numClass}>{formatCount(g.listeners)}</td>
      <td className={cx(tdClass, "max-w-xs text-xs")}>
        {g.unread.length === 0 ? (
          <span className="text-slate-500 dark:text-slate-400">Nothing</span>
        ) : (
          <details>
            <summary className="cursor-pointer text-amber-800 dark:text-amber-200">{pluralize(g.unread.length, "fact")} not read</summary>
            <ul className="mt-1 list-disc space-y-0.5 pl-4 text-slate-700 dark:text-slate-300">
              {g.unread.map((u, i) => (
                <li key={i} className="break-words">
                  {u}
                </li>
              ))}
            </ul>
          </details>
        )}
      </td>
      <td className={cx(tdClass, "text-xs whitespace-nowrap")} title={g.collectedAt}>
        {formatRelativeTime(g.collectedAt)}
      </td>
    </tr>
  );
}

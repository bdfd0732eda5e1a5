"use client";
import type { PlanTotals } from "@/server/plans/labels";
import { formatMiB } from "../format";
import { StatCard } from "../ui/Card";

/** vCPUs to two decimals at most; a cost (negative) says so. */
export function formatVcpus(n: number): string {
  return `${Math.round(n * 100) / 100}`;
}

/** The five figures of a plan or a wave, as tiles: what the targets free, net of Kata's cost. */
export function TotalsTiles({ totals, label }: { totals: PlanTotals; label: string }) {
  return (
    <dl aria-label={label} className="grid grid-cols-2 gap-3 sm:grid-cols-5">
      <StatCard label="vCPUs freed" value={<span data-total="vcpus" data-value={totals.vcpus}>{formatVcpus(totals.vcpus)}</span>} />
      <StatCard label="RAM freed" value={<span data-total="ramMiB" data-value={totals.ramMiB}>{formatMiB(totals.ramMiB)}</span>} />
      <StatCard label="Disk freed" value={<span data-total="diskMiB" data-value={totals.diskMiB}>{formatMiB(totals.diskMiB)}</span>} />
      <StatCard label="Hosts freed" value={<span data-total="hostsFreed" data-value={totals.hostsFreed}>{totals.hostsFreed}</span>} detail="in the clusters left" />
      <StatCard label="Kata overhead" value={<span data-total="kataOverheadMiB" data-value={totals.kataOverheadMiB}>{formatMiB(totals.kataOverheadMiB)}</span>} detail="included, as a cost" />
    </dl>
  );
}

/** One line of figures for a wave's header. */
export function TotalsLine({ totals }: { totals: PlanTotals }) {
  return (
    <span className="tabular-nums">
      {formatVcpus(totals.vcpus)} vCPU · {formatMiB(totals.ramMiB)} RAM · {formatMiB(totals.diskMiB)} disk · {totals.hostsFreed} host{totals.hostsFreed === 1 ? "" : "s"} freed
      {totals.kataOverheadMiB > 0 && ` · Kata overhead ${formatMiB(totals.kataOverheadMiB)}`}
    </span>
  );
}

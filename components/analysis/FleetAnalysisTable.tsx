"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/lib/trpc";
import { formatCount } from "../format";
import { cx } from "../ui/cx";
import { QueryError } from "../ui/ErrorMessage";
import { Skeleton } from "../ui/Spinner";
import { formatGiB, formatRatio, formatScore, VERDICT_LABEL, VERDICT_SHORT, VERDICT_VALUES } from "./format";
import { linkClass, numClass, Th } from "./parts";

/** Density, waste, posture and migration of every customer in scope, one row each (the body of a card). */
export function FleetAnalysisTable() {
  const trpc = useTRPC();
  const fleet = useQuery(trpc.analysis.fleet.queryOptions());
  const rows = fleet.data?.customers;
  const totals = fleet.data?.fleet;

  return (
    <>
      <p id="fleet-analysis-description" className="border-b border-slate-200 px-4 py-2 text-xs text-slate-600 dark:border-slate-800 dark:text-slate-300">
        Density of powered-on VMs, duplication waste, isolation posture and migration verdicts per customer. Open a
        customer for the charts and the reasons.
      </p>
      {fleet.error && !rows ? (
        <div className="p-3">
          <QueryError title="Could not load the fleet analysis" query={fleet} />
        </div>
      ) : !rows ? (
        <div role="status" className="space-y-3 px-4 py-4">
          <span className="sr-only">Analysing the fleet…</span>
          {Array.from({ length: 3 }, (_, i) => (
            <Skeleton key={i} className="h-4 w-full" />
          ))}
        </div>
      ) : rows.length === 0 ? (
        <p className="px-4 py-6 text-sm text-slate-600 dark:text-slate-300">No customers to analyse yet: add a source first.</p>
      ) : (
        <div className="overflow-x-auto">
          <table aria-label="Analysis per customer" aria-describedby="fleet-analysis-description" className="w-full border-collapse text-sm">
            <thead className="bg-slate-50 dark:bg-slate-800/60">
              <tr className="border-b border-slate-200 dark:border-slate-800">
                <Th>Customer</Th>
                <Th right>vCPU:pCore</Th>
                <Th right>vRAM:pRAM</Th>
                <Th right>RAM waste</Th>
                <Th right>Posture score</Th>
                <Th right>Critical findings</Th>
                <Th right>
                  Verdicts
                  <span className="block font-normal text-slate-500 dark:text-slate-400">
                    {VERDICT_VALUES.map((v) => VERDICT_SHORT[v]).join(" / ")}
                  </span>
                </Th>
                <Th right>RAM saved</Th>
                <Th right>Hosts freed</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {rows.map((r) => (
                <tr key={r.customerId} className="hover:bg-slate-50/80 dark:hover:bg-slate-800/40">
                  <th scope="row" className="min-w-44 px-3 py-2 text-left font-normal">
                    <Link href={`/customers/${r.customerId}?tab=density`} className={linkClass}>
                      {r.name}
                    </Link>
                  </th>
                  <td className={cx(numClass, r.hostsOverTarget > 0 && "text-red-700 dark:text-red-300")}>{formatRatio(r.vcpuPerCore)}</td>
                  <td className={numClass}>{formatRatio(r.vramPerPram)}</td>
                  <td className={numClass}>{formatGiB(r.ramWasteMiB)}</td>
                  <td className={numClass}>{formatScore(r.postureScore)}</td>
                  <td className={cx(numClass, r.critical > 0 && "font-semibold text-red-700 dark:text-red-300")}>{formatCount(r.critical)}</td>
                  <td
                    className={numClass}
                    title={VERDICT_VALUES.map((v) => `${VERDICT_LABEL[v]}: ${formatCount(r.verdicts[v])}`).join("\n")}
                  >
                    {VERDICT_VALUES.map((v) => formatCount(r.verdicts[v])).join(" / ")}
                  </td>
                  <td className={numClass}>{formatGiB(r.ramSavedMiB)}</td>
                  <td className={numClass}>{formatCount(r.hostsFreed)}</td>
                </tr>
              ))}
            </tbody>
            {totals && rows.length > 1 && (
              <tfoot className="border-t-2 border-slate-200 bg-slate-50 font-medium dark:border-slate-700 dark:bg-slate-800/60">
                <tr>
                  <th scope="row" className="px-3 py-2 text-left">
                    Fleet
                  </th>
                  <td className={cx(numClass, totals.hostsOverTarget > 0 && "text-red-700 dark:text-red-300")}>{formatRatio(totals.vcpuPerCore)}</td>
                  <td className={numClass}>{formatRatio(totals.vramPerPram)}</td>
                  <td className={numClass}>{formatGiB(totals.ramWasteMiB)}</td>
                  <td className={numClass}>{formatScore(totals.postureScore)}</td>
                  <td className={numClass}>{formatCount(totals.critical)}</td>
                  <td className={numClass}>{VERDICT_VALUES.map((v) => formatCount(totals.verdicts[v])).join(" / ")}</td>
                  <td className={numClass}>{formatGiB(totals.ramSavedMiB)}</td>
                  <td className={numClass}>{formatCount(totals.hostsFreed)}</td>
                </tr>
              </tfoot>
            )}
          </table>
        </div>
      )}
    </>
  );
}

"use client";
/**
 * The Utilisation tab: what was measured, and what it asks for. Reclaimable resources (idle and
 * oversized VMs, VMs powered off for long, old snapshots, hosts packing would free), kept apart from
 * the OS-duplication savings of the Waste tab; each cluster's use against capacity and N+1; each
 * host's use and headroom; and every VM with its status, the figures it rests on, and its history.
 * Where nothing was measured it says so, and how to measure.
 */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { createColumnHelper } from "@tanstack/react-table";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc";
import type { RouterInputs, RouterOutputs } from "../api-types";
import { formatCount, formatDateTime, formatMiB, MISSING, pluralize } from "../format";
import { DataTable } from "../tables/DataTable";
import { ExportMenu } from "../tables/ExportMenu";
import { TableControls } from "../tables/TableControls";
import { exportColumns } from "../tables/useColumnVisibility";
import { useServerTableState } from "../tables/useServerTable";
import { Badge, type BadgeTone } from "../ui/Badge";
import { Button } from "../ui/Button";
import { StatCard } from "../ui/Card";
import { EmptyState } from "../ui/EmptyState";
import { QueryError } from "../ui/ErrorMessage";
import { LoadingBlock } from "../ui/Spinner";
import { formatGiB } from "./format";
import { UtilisationHistoryCharts } from "./UtilisationHistoryCharts";
import { AnalysisTableEmpty, exportHref, FigureTable, numClass, RowHeader, Section, SeverityBadge, tdClass, Th, useCanExport } from "./parts";
import { ListPager, useListPage } from "./ListPager";
import { ObjectNameLink } from "../objects/ObjectNameLink";

type Summary = RouterOutputs["analysis"]["utilisation"];
type VmRow = RouterOutputs["analysis"]["utilisationVms"]["rows"][number];
type VmSort = NonNullable<RouterInputs["analysis"]["utilisationVms"]["sort"]>["column"];
type Status = VmRow["status"];
type HistoryTarget = { objectKind: "host" | "virtualMachine"; objectKey: string; name: string };

const STATUS_LABEL: Record<Status, string> = {
  idle: "Idle",
  oversized: "Oversized",
  undersized: "Undersized",
  "right-sized": "Right-sized",
  "powered-off": "Powered off",
  "insufficient-data": "Insufficient data",
};
const STATUS_TONE: Record<Status, BadgeTone> = {
  idle: "amber",
  oversized: "blue",
  undersized: "red",
  "right-sized": "green",
  "powered-off": "neutral",
  "insufficient-data": "neutral",
};
const STATUS_OPTIONS = (Object.keys(STATUS_LABEL) as Status[]).map((value) => ({ value, label: STATUS_LABEL[value] }));
const FILTERS = [{ key: "status", label: "Status", options: STATUS_OPTIONS, allLabel: "All statuses" }] as const;

const muted = <span className="text-slate-400 dark:text-slate-500">{MISSING}</span>;
const pct = (v: number | null) => (v === null ? muted : `${v < 10 ? v.toFixed(1) : Math.round(v)} %`);
const ghz = (mhz: number | null) => (mhz === null ? MISSING : `${(mhz / 1000).toFixed(1)} GHz`);

export function UtilisationPanel({ customerId, customerName }: { customerId: string; customerName: string }) {
  const trpc = useTRPC();
  const summary = useQuery(trpc.analysis.utilisation.queryOptions({ customerId }));
  const [history, setHistory] = useState<HistoryTarget | null>(null);
  if (summary.isPending) return <LoadingBlock label="Reading measured use…" />;
  if (summary.error && !summary.data) return <QueryError title="Could not load measured use" query={summary} />;
  const data = summary.data!;
  const { totals } = data;
  const nothing = totals.vmsMeasured === 0 && data.hostsMeasured === 0;
  return (
    <div className="space-y-4">
      <p className="text-xs text-slate-600 dark:text-slate-400">
        Measured over the {data.periodDays} days before {data.asOf ? formatDateTime(data.asOf) : "now"}; sizes from the
        percentile and comfort factor set on the Parameters page. These savings come from measured use and are apart from
        the OS-duplication savings of the Waste tab.
      </p>
      {nothing && (
        <EmptyState title="No measured use yet">
          Insufficient data for {pluralize(totals.vmsPoweredOn, "powered-on VM")}: measured use comes from vCenter (quick stats
          and performance history) and libvirt (domain stats) sources; an RVTools export carries none. Collect such a source
          and the figures appear here.
        </EmptyState>
      )}
      <dl className="grid grid-cols-2 gap-3 md:grid-cols-4 xl:grid-cols-6">
        <StatCard label="VMs measured" value={`${formatCount(totals.vmsMeasured)} of ${formatCount(totals.vmsPoweredOn)}`} detail="powered-on VMs with measured CPU" />
        <StatCard label="Idle VMs" value={formatCount(totals.idle)} />
        <StatCard label="Oversized VMs" value={formatCount(totals.oversized)} />
        <StatCard label="Undersized VMs" value={formatCount(totals.undersized)} />
        <StatCard label="Off for long" value={formatCount(totals.poweredOffLong)} />
        <StatCard label="Old snapshots" value={formatCount(totals.oldSnapshots)} detail={totals.snapshotMiB > 0 ? `${formatMiB(totals.snapshotMiB)} held` : undefined} />
        <StatCard label="Unused templates" value={formatCount(totals.unusedTemplates)} detail="no deploy or clone in vCenter's events" />
        <StatCard label="vCPUs reclaimable" value={formatCount(totals.reclaimVcpus)} detail="idle VMs whole, oversized to size" />
        <StatCard label="RAM reclaimable" value={formatGiB(totals.reclaimMemoryMiB)} />
        <StatCard label="Disk reclaimable" value={formatGiB(totals.reclaimDiskMiB)} detail="VMs off for long, old snapshots" />
        <StatCard label="Hosts freed" value={formatCount(totals.hostsFreed)} detail="packing measured use at the targets" />
        <StatCard label="Clusters failing N+1" value={formatCount(totals.clustersFailingNPlusOne)} />
      </dl>
      <ClustersSection data={data} customerId={customerId} customerName={customerName} />
      <HostsSection data={data} customerId={customerId} customerName={customerName} onHistory={setHistory} />
      {history && <HistorySection customerId={customerId} target={history} onClose={() => setHistory(null)} />}
      <Section id="utilisation-vms-heading" title="Virtual machines" description="Every VM with what was measured at the sizing percentile, its status, and the size measured use asks for.">
        <VmUseTable customerId={customerId} customerName={customerName} onHistory={setHistory} />
      </Section>
    </div>
  );
}

function ClustersSection({ data, customerId, customerName }: { data: Summary; customerId: string; customerName: string }) {
  const pages = useListPage(customerId, "utilisationClusters", data.clusters);
  if (pages.total === 0) return null;
  return (
    <Section id="utilisation-clusters-heading" title="Clusters" description="Measured use at the sizing percentile against capacity; N+1: what is used still fits without the cluster's largest host.">
      <FigureTable
        caption={`Clusters of ${customerName}`}
        captionHidden
        head={
          <>
            <Th>Cluster</Th>
            <Th right>Hosts</Th>
            <Th right>CPU used</Th>
            <Th right>Memory used</Th>
            <Th>N+1</Th>
            <Th right>Hosts needed</Th>
            <Th right>Hosts freed</Th>
            <Th>Why</Th>
          </>
        }
      >
        {pages.rows.map((c) => (
          <tr key={`${c.customer}:${c.cluster}`} data-cluster={c.cluster}>
            <RowHeader>{c.cluster}</RowHeader>
            <td className={numClass}>{formatCount(c.hosts)}</td>
            <td className={numClass}>{c.cpuUsedMhz === null ? muted : `${ghz(c.cpuUsedMhz)} of ${ghz(c.cpuCapacityMhz)}`}</td>
            <td className={numClass}>{c.memoryUsedMiB === null ? muted : `${formatGiB(c.memoryUsedMiB)} of ${formatGiB(c.memoryMiB)}`}</td>
            <td className={tdClass}>
              {c.survivesLargestHost === null ? muted : <Badge tone={c.survivesLargestHost ? "green" : "red"}>{c.survivesLargestHost ? "Survives" : "Fails"}</Badge>}
            </td>
            <td className={numClass}>{c.hostsNeeded ?? muted}</td>
            <td className={numClass}>{c.hostsFreed ?? muted}</td>
            <td className={`${tdClass} text-xs text-slate-600 dark:text-slate-400`}>{c.reason}</td>
          </tr>
        ))}
      </FigureTable>
      <ListPager label="Clusters" pager={pages} />
    </Section>
  );
}

function HostsSection({
  data,
  customerId,
  customerName,
  onHistory,
}: {
  data: Summary;
  customerId: string;
  customerName: string;
  onHistory: (target: HistoryTarget) => void;
}) {
  const pages = useListPage(customerId, "utilisationHosts", data.hosts);
  if (pages.total === 0) return null;
  return (
    <Section
      id="utilisation-hosts-heading"
      title="Hosts"
      description="The host's own measure where the hypervisor gives one, else the sum of its VMs' (basis). Headroom is what is left under the packing targets; negative is over them."
    >
      <FigureTable
        caption={`Hosts of ${customerName} by measured use`}
        captionHidden
        head={
          <>
            <Th>Host</Th>
            <Th right>CPU used</Th>
            <Th right>Memory used</Th>
            <Th right>CPU headroom</Th>
            <Th right>Memory headroom</Th>
            <Th>Basis</Th>
            <Th>History</Th>
          </>
        }
      >
        {pages.rows.map((h) => (
          <tr key={h.hostKey} data-host={h.name}>
            <RowHeader>
              <ObjectNameLink kind="host" id={h.hostKey}>{h.name}</ObjectNameLink>
              <div className="text-xs font-normal text-slate-500 dark:text-slate-400">{h.cluster}</div>
            </RowHeader>
            <td className={numClass}>
              {h.cpuUsedMhz === null ? muted : <>{ghz(h.cpuUsedMhz)} <span className="text-slate-500 dark:text-slate-400">({pct(h.cpuUsedPercent)})</span></>}
            </td>
            <td className={numClass}>
              {h.memoryUsedMiB === null ? muted : <>{formatGiB(h.memoryUsedMiB)} <span className="text-slate-500 dark:text-slate-400">({pct(h.memoryUsedPercent)})</span></>}
            </td>
            <td className={numClass}>{h.cpuHeadroomMhz === null ? muted : ghz(h.cpuHeadroomMhz)}</td>
            <td className={numClass}>{h.memoryHeadroomMiB === null ? muted : formatGiB(h.memoryHeadroomMiB)}</td>
            <td className={tdClass}>{h.basis === "host" ? "host" : h.basis === "vms" ? "its VMs" : <span className="text-slate-500 dark:text-slate-400">not measured</span>}</td>
            <td className={tdClass}>
              {h.basis === "host" && (
                <Button variant="secondary" size="sm" onClick={() => onHistory({ objectKind: "host", objectKey: h.hostKey, name: h.name })}>
                  History<span className="sr-only"> of {h.name}</span>
                </Button>
              )}
            </td>
          </tr>
        ))}
      </FigureTable>
      <ListPager label="Hosts" pager={pages} />
    </Section>
  );
}

const col = createColumnHelper<VmRow>();

function vmColumns(onHistory: (target: HistoryTarget) => void) {
  return [
    col.accessor("name", {
      header: "Name",
      enableSorting: true,
      meta: { className: "min-w-44" },
      cell: ({ row }) => (
        <div>
          <div className="font-medium text-slate-900 dark:text-slate-100">
            <ObjectNameLink kind="vm" id={row.original.vmKey}>{row.original.name}</ObjectNameLink>
          </div>
          <div className="mt-0.5 text-xs text-slate-500 dark:text-slate-400">{[row.original.hostName, row.original.cluster].filter(Boolean).join(" · ")}</div>
        </div>
      ),
    }),
    col.accessor("status", {
      header: "Status",
      enableSorting: true,
      meta: { className: "min-w-72" },
      cell: ({ row }) => (
        <div>
          <Badge tone={STATUS_TONE[row.original.status]}>{STATUS_LABEL[row.original.status]}</Badge>
          <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">{row.original.reason}</p>
        </div>
      ),
    }),
    col.accessor("vcpus", {
      header: "vCPUs",
      enableSorting: true,
      meta: { align: "right", className: "whitespace-nowrap" },
      cell: ({ row }) => {
        const { vcpus, suggestedVcpus } = row.original;
        return suggestedVcpus !== null && suggestedVcpus !== vcpus ? (
          <span>
            {vcpus} → <strong>{suggestedVcpus}</strong>
          </span>
        ) : (
          vcpus
        );
      },
    }),
    col.accessor("memoryMiB", {
      header: "Memory",
      enableSorting: true,
      meta: { align: "right", className: "whitespace-nowrap" },
      cell: ({ row }) => {
        const { memoryMiB, suggestedMemoryMiB } = row.original;
        return suggestedMemoryMiB !== null && suggestedMemoryMiB !== memoryMiB ? (
          <span>
            {formatGiB(memoryMiB)} → <strong>{formatGiB(suggestedMemoryMiB)}</strong>
          </span>
        ) : (
          formatGiB(memoryMiB)
        );
      },
    }),
    col.accessor("cpuPercent", {
      header: "CPU (percentile)",
      enableSorting: true,
      sortDescFirst: true,
      meta: { align: "right", className: "whitespace-nowrap" },
      cell: ({ row }) => (
        <span title={row.original.cpuPercentPeak !== null ? `peak ${row.original.cpuPercentPeak.toFixed(1)} %` : undefined}>{pct(row.original.cpuPercent)}</span>
      ),
    }),
    col.accessor("memoryDemandMiB", {
      header: "Memory used",
      enableSorting: true,
      sortDescFirst: true,
      meta: { align: "right", className: "whitespace-nowrap" },
      cell: ({ row }) =>
        row.original.memoryDemandMiB === null ? (
          muted
        ) : (
          <span title={row.original.memoryMetric === "mem.active.mib" ? "active memory (vSphere)" : "used, as the guest reports it"}>{formatGiB(row.original.memoryDemandMiB)}</span>
        ),
    }),
    col.accessor("readyPercent", {
      header: "CPU ready",
      enableSorting: true,
      sortDescFirst: true,
      meta: { align: "right", className: "whitespace-nowrap" },
      cell: ({ getValue }) => pct(getValue()),
    }),
    col.accessor("reclaimMemoryMiB", {
      header: "Reclaim",
      enableSorting: true,
      sortDescFirst: true,
      meta: { align: "right", className: "whitespace-nowrap" },
      cell: ({ row }) => {
        const { reclaimVcpus, reclaimMemoryMiB, reclaimDiskMiB } = row.original;
        const parts = [
          reclaimVcpus > 0 ? pluralize(reclaimVcpus, "vCPU") : null,
          reclaimMemoryMiB > 0 ? `${formatGiB(reclaimMemoryMiB)} RAM` : null,
          reclaimDiskMiB > 0 ? `${formatGiB(reclaimDiskMiB)} disk` : null,
        ].filter(Boolean);
        return parts.length === 0 ? <span className="text-slate-400 dark:text-slate-500">0</span> : parts.join(", ");
      },
    }),
    col.accessor((v) => v.findings.length, {
      id: "findings",
      header: "Findings",
      meta: { className: "min-w-40" },
      cell: ({ row }) =>
        row.original.findings.length === 0 ? (
          <span className="text-slate-400 dark:text-slate-500">None</span>
        ) : (
          <ul className="space-y-1">
            {row.original.findings.map((f) => (
              <li key={f.ruleId} title={f.detail ?? undefined}>
                <SeverityBadge severity={f.severity} /> <span className="text-xs">{f.title}</span>
              </li>
            ))}
          </ul>
        ),
    }),
    col.display({
      id: "history",
      header: "History",
      meta: { export: false },
      cell: ({ row }) =>
        row.original.measuredHours > 0 ? (
          <Button variant="secondary" size="sm" onClick={() => onHistory({ objectKind: "virtualMachine", objectKey: row.original.vmKey, name: row.original.name })}>
            History<span className="sr-only"> of {row.original.name}</span>
          </Button>
        ) : null,
    }),
  ];
}

function VmUseTable({ customerId, customerName, onHistory }: { customerId: string; customerName: string; onHistory: (target: HistoryTarget) => void }) {
  const trpc = useTRPC();
  const table = useServerTableState<VmSort, typeof FILTERS>({ defaultSort: { column: "reclaimMemoryMiB", direction: "desc" }, filters: FILTERS, columnsKey: "utilisation" });
  const { status } = table.values;
  const canExport = useCanExport();
  const query = useQuery({
    ...trpc.analysis.utilisationVms.queryOptions({ customerId, ...table.input, status: status || undefined }),
    placeholderData: keepPreviousData,
  });
  const [columns] = useState(() => vmColumns(onHistory));
  return (
    <DataTable
      label={`Measured use of the VMs of ${customerName}`}
      columns={columns}
      query={query}
      getRowId={(v) => v.vmKey}
      {...table.bind}
      toolbar={
        <TableControls table={table} searchLabel="Search VMs" searchPlaceholder="Search name, host, cluster or reason">
          {canExport && (
            <div className="ml-auto">
              <ExportMenu
                href={(format) =>
                  exportHref(customerId, "utilisation", {
                    status: status || undefined,
                    search: table.search || undefined,
                    sort: table.input.sort.column,
                    dir: table.input.sort.direction,
                    columns: exportColumns(columns, table.columnVisibility),
                    format,
                  })
                }
              />
            </div>
          )}
        </TableControls>
      }
      empty={
        <AnalysisTableEmpty what="VMs" filtered={table.isFiltered} onClear={table.clear}>
          This customer has no virtual machines yet.
        </AnalysisTableEmpty>
      }
    />
  );
}

function HistorySection({ customerId, target, onClose }: { customerId: string; target: HistoryTarget; onClose: () => void }) {
  return (
    <Section
      id="utilisation-history-heading"
      title={`History of ${target.name}`}
      description="Each metric as collected, at the interval that covers most of the period."
      actions={
        <Button variant="secondary" size="sm" onClick={onClose}>
          Close<span className="sr-only"> the history of {target.name}</span>
        </Button>
      }
    >
      <UtilisationHistoryCharts customerId={customerId} objectKind={target.objectKind} objectKey={target.objectKey} />
    </Section>
  );
}

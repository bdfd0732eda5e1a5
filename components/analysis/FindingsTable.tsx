"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { createColumnHelper } from "@tanstack/react-table";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc";
import type { RouterInputs, RouterOutputs } from "../api-types";
import { MISSING } from "../format";
import { DataTable } from "../tables/DataTable";
import { ExportMenu } from "../tables/ExportMenu";
import { TableControls } from "../tables/TableControls";
import { exportColumns } from "../tables/useColumnVisibility";
import { useServerTableState } from "../tables/useServerTable";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { ObjectNameLink } from "../objects/ObjectNameLink";
import { SEVERITY_LABEL } from "./format";
import { AnalysisTableEmpty, exportHref, linkClass, SeverityBadge, useCanExport } from "./parts";

type FindingRow = RouterOutputs["analysis"]["findings"]["rows"][number];
type FindingInput = RouterInputs["analysis"]["findings"];
type FindingSort = NonNullable<FindingInput["sort"]>["column"];
type Kind = NonNullable<FindingInput["kind"]>;

const KIND_OPTIONS = [
  { value: "vm", label: "Virtual machines" },
  { value: "container", label: "Containers" },
] as const satisfies ReadonlyArray<{ value: Kind; label: string }>;

const SEVERITY_OPTIONS = (["critical", "warning", "info"] as const).map((value) => ({
  value,
  label: SEVERITY_LABEL[value],
}));

const FILTERS = [
  { key: "severity", label: "Severity", options: SEVERITY_OPTIONS, allLabel: "All severities" },
  { key: "kind", label: "Kind", options: KIND_OPTIONS, allLabel: "VMs and containers" },
] as const;

const KIND_LABEL: Record<FindingRow["kind"], string> = { vm: "VM", container: "Container", host: "Host" };

const col = createColumnHelper<FindingRow>();
const muted = <span className="text-slate-400 dark:text-slate-500">{MISSING}</span>;

/** The upstream rule the finding mirrors, linked to its source (at the version cited); our own rules say so. */
function Upstream({ f }: { f: FindingRow }) {
  if (f.upstreamId === null && f.sourceUrl === null) return <div className="mt-0.5 text-xs text-slate-500 dark:text-slate-400">Fleetlens rule (no upstream)</div>;
  const label = f.upstreamId ?? "source";
  return (
    <div className="mt-0.5 text-xs text-slate-500 dark:text-slate-400">
      Upstream{" "}
      {f.sourceUrl ? (
        <a href={f.sourceUrl} target="_blank" rel="noreferrer noopener" className={`font-mono ${linkClass}`} data-upstream-id={f.upstreamId ?? undefined}>
          {label}
        </a>
      ) : (
        <span className="font-mono">{label}</span>
      )}
    </div>
  );
}

const columns = [
  col.accessor("severity", {
    header: "Severity",
    enableSorting: true,
    meta: { className: "whitespace-nowrap" },
    cell: ({ getValue }) => <SeverityBadge severity={getValue()} />,
  }),
  col.accessor("ruleId", {
    header: "Rule",
    enableSorting: true,
    meta: { className: "min-w-64" },
    cell: ({ row }) => {
      const f = row.original;
      return (
        <div title={f.source || undefined}>
          <div className="font-medium text-slate-900 dark:text-slate-100">{f.title}</div>
          <div className="mt-0.5 font-mono text-xs text-slate-500 dark:text-slate-400">{f.ruleId}</div>
          <Upstream f={f} />
          {f.text && <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">{f.text}</p>}
          {f.deviation && (
            <p className="mt-1 rounded bg-amber-50 dark:bg-amber-950/40 px-2 py-1 text-xs text-amber-900 dark:text-amber-200 ring-1 ring-amber-600/20">
              <span className="font-medium">Differs from upstream: </span>
              {f.deviation}
            </p>
          )}
        </div>
      );
    },
  }),
  col.accessor("name", {
    header: "Workload",
    enableSorting: true,
    meta: { className: "min-w-40" },
    cell: ({ row }) => (
      <div>
        <div>
          <ObjectNameLink kind={row.original.kind} id={row.original.objectKey}>{row.original.name}</ObjectNameLink>
        </div>
        {row.original.detail && (
          <div className="mt-0.5 text-xs break-all text-slate-500 dark:text-slate-400">{row.original.detail}</div>
        )}
      </div>
    ),
  }),
  col.accessor("kind", {
    header: "Kind",
    enableSorting: true,
    cell: ({ getValue }) => KIND_LABEL[getValue()] ?? getValue(),
  }),
  col.accessor("host", {
    header: "Host",
    enableSorting: true,
    meta: { className: "whitespace-nowrap" },
    cell: ({ row, getValue }) => (row.original.hostKey ? <ObjectNameLink kind="host" id={row.original.hostKey}>{getValue()}</ObjectNameLink> : (getValue() ?? muted)),
  }),
];

/**
 * Every finding of the customer, paged, sorted and filtered on the server. `ruleId` comes from the
 * rule summary above the table (a row there filters this table).
 */
export function FindingsTable({
  customerId,
  customerName,
  ruleId,
  ruleTitle,
  onClearRule,
}: {
  customerId: string;
  customerName: string;
  ruleId: string | null;
  ruleTitle?: string;
  onClearRule: () => void;
}) {
  const trpc = useTRPC();
  const canExport = useCanExport();
  const table = useServerTableState<FindingSort, typeof FILTERS>({
    defaultSort: { column: "severity", direction: "asc" },
    filters: FILTERS,
    columnsKey: "findings",
  });
  const { kind, severity } = table.values;
  // A new rule from the summary goes back to the first page (state adjusted during render).
  const [shownRule, setShownRule] = useState(ruleId);
  if (shownRule !== ruleId) {
    setShownRule(ruleId);
    table.firstPage();
  }

  const query = useQuery({
    ...trpc.analysis.findings.queryOptions({
      customerId,
      ...table.input,
      kind: kind || undefined,
      severity: severity || undefined,
      ruleId: ruleId ?? undefined,
    }),
    placeholderData: keepPreviousData,
  });

  const filtered = table.isFiltered || ruleId !== null;
  const clear = () => {
    table.clear();
    onClearRule();
  };

  const href = (format: "csv" | "xlsx") => exportHref(customerId, "findings", {
    format,
    columns: exportColumns(columns, table.columnVisibility),
    kind: kind || undefined,
    severity: severity || undefined,
    ruleId: ruleId ?? undefined,
    search: table.search || undefined,
    sort: table.input.sort.column,
    dir: table.input.sort.direction,
  });

  return (
    <DataTable
      label={`Findings of ${customerName}`}
      columns={columns}
      query={query}
      getRowId={(f) => f.key}
      {...table.bind}
      toolbar={
        <TableControls table={table} searchLabel="Search findings" searchPlaceholder="Search workload, host, rule or detail">
          {ruleId && (
            <div className="flex items-center gap-1.5 text-xs text-slate-600 dark:text-slate-400">
              Rule
              <Badge tone="brand" title={ruleTitle}>
                {ruleId}
              </Badge>
              <Button size="sm" variant="ghost" onClick={onClearRule} aria-label={`Show findings of every rule, not only ${ruleId}`}>
                Clear
              </Button>
            </div>
          )}
          {canExport && (
            <div className="ml-auto">
              <ExportMenu href={href} />
            </div>
          )}
        </TableControls>
      }
      empty={
        <AnalysisTableEmpty what="findings" filtered={filtered} onClear={clear}>
          No rule found anything to report on this customer&rsquo;s virtual machines and containers.
        </AnalysisTableEmpty>
      }
    />
  );
}

"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { createColumnHelper } from "@tanstack/react-table";
import { useMemo, useState } from "react";
import { useTRPC } from "@/lib/trpc";
import type { RouterInputs, RouterOutputs } from "../api-types";
import { formatMiB, MISSING } from "../format";
import { DataTable } from "../tables/DataTable";
import { ExportMenu } from "../tables/ExportMenu";
import { TableControls } from "../tables/TableControls";
import { exportColumns } from "../tables/useColumnVisibility";
import { useServerTableState } from "../tables/useServerTable";
import { Badge } from "../ui/Badge";
import { FIT_TONE, ROLE_LABEL, ROLE_VALUES, SEVERITY_LABEL, SEVERITY_TONE, STRENGTH_TONE, VERDICT_LABEL, VERDICT_VALUES } from "./format";
import { ObjectNameLink } from "../objects/ObjectNameLink";
import { AnalysisTableEmpty, exportHref, useCanExport, VerdictBadge } from "./parts";
import { AddedNotice, AddToPlanDialog, type SelectedWorkload } from "../plans/AddToPlanDialog";
import { Button } from "../ui/Button";
import { checkboxClasses } from "../ui/Field";

type VerdictRow = RouterOutputs["analysis"]["verdicts"]["rows"][number];
type VerdictInput = RouterInputs["analysis"]["verdicts"];
type VerdictSort = NonNullable<VerdictInput["sort"]>["column"];
type Kind = NonNullable<VerdictInput["kind"]>;
type EvidenceItem = VerdictRow["evidence"][number];

const KIND_OPTIONS = [
  { value: "vm", label: "Virtual machines" },
  { value: "container", label: "Containers" },
] as const satisfies ReadonlyArray<{ value: Kind; label: string }>;

const VERDICT_OPTIONS = VERDICT_VALUES.map((value) => ({ value, label: VERDICT_LABEL[value] }));

// Templates are listed apart (the Migration tab's summary), never among the verdicts.
const ROLE_OPTIONS = ROLE_VALUES.filter((value) => value !== "template").map((value) => ({ value, label: ROLE_LABEL[value] }));

const FILTERS = [
  { key: "kind", label: "Kind", options: KIND_OPTIONS, allLabel: "VMs and containers" },
  { key: "role", label: "Role", options: ROLE_OPTIONS, allLabel: "All roles" },
  { key: "verdict", label: "Verdict", options: VERDICT_OPTIONS, allLabel: "All verdicts" },
] as const;

const col = createColumnHelper<VerdictRow>();
const muted = <span className="text-slate-400 dark:text-slate-500">{MISSING}</span>;

/** A saving in MiB; zero is shown muted, a cost (negative) in amber. */
function Saving({ mib }: { mib: number }) {
  if (mib === 0) return <span className="text-slate-400 dark:text-slate-500">0</span>;
  return <span className={mib < 0 ? "text-amber-700 dark:text-amber-300" : undefined}>{formatMiB(mib)}</span>;
}

/** Evidence that points to another role than the VM's was read and set aside: say so. */
const setAside = (e: EvidenceItem, role: VerdictRow["role"]) => role !== null && e.supports !== null && e.supports !== role;

/** One piece of evidence: the field read, its value, its strength, and what it says. */
function EvidenceLine({ e, role }: { e: EvidenceItem; role: VerdictRow["role"] }) {
  const aside = setAside(e, role);
  return (
    <li className={aside ? "text-slate-500 dark:text-slate-400" : undefined}>
      <span className="text-slate-500 dark:text-slate-400">{e.source}: </span>
      <span className="font-mono">{e.field}</span> = <span className="break-words">{e.value}</span>{" "}
      <Badge tone={STRENGTH_TONE[e.strength]}>{e.strength}</Badge>
      {aside && e.supports && <span> points to {ROLE_LABEL[e.supports]}, set aside</span>}
      {e.note && <div className="text-slate-500 dark:text-slate-400">{e.note}</div>}
    </li>
  );
}

/**
 * The verdict's evidence, expanded on demand: what the role rests on (and what was set aside), then
 * what else the verdict rests on or still misses ("guest discovery: not collected").
 */
function EvidenceDetails({ row }: { row: VerdictRow }) {
  const same = (a: EvidenceItem, b: EvidenceItem) => a.source === b.source && a.field === b.field && a.value === b.value;
  const more = row.evidence.filter((e) => !row.roleEvidence.some((r) => same(r, e)));
  const count = row.roleEvidence.length + more.length;
  if (count === 0) return null;
  return (
    <details className="mt-1 text-xs" data-evidence>
      <summary className="cursor-pointer text-brand-700 dark:text-brand-300 hover:text-brand-900 dark:hover:text-brand-200">Evidence ({count})</summary>
      {row.roleEvidence.length > 0 && (
        <>
          <div className="mt-1 font-medium text-slate-700 dark:text-slate-300">What it is: {row.roleLabel}</div>
          <ul className="mt-0.5 space-y-1" aria-label="Role evidence">
            {row.roleEvidence.map((e, i) => (
              <EvidenceLine key={`r${i}`} e={e} role={row.role} />
            ))}
          </ul>
        </>
      )}
      {more.length > 0 && (
        <>
          <div className="mt-1 font-medium text-slate-700 dark:text-slate-300">What the verdict rests on</div>
          <ul className="mt-0.5 space-y-1" aria-label="Verdict evidence">
            {more.map((e, i) => (
              <EvidenceLine key={`v${i}`} e={e} role={row.role} />
            ))}
          </ul>
        </>
      )}
    </details>
  );
}

const columns = [
  col.accessor("name", {
    header: "Name",
    enableSorting: true,
    meta: { className: "min-w-44" },
    cell: ({ row }) => {
      const v = row.original;
      const detail = [v.os, v.tenant && `tenant ${v.tenant}`, v.isolation].filter(Boolean).join(" · ");
      return (
        <div>
          <div className="font-medium text-slate-900 dark:text-slate-100">
            <ObjectNameLink kind={v.kind} id={v.key}>{v.name}</ObjectNameLink>
          </div>
          {detail && <div className="mt-0.5 text-xs text-slate-500 dark:text-slate-400">{detail}</div>}
        </div>
      );
    },
  }),
  col.accessor("kind", {
    header: "Kind",
    enableSorting: true,
    meta: { className: "whitespace-nowrap" },
    cell: ({ getValue }) => (getValue() === "vm" ? "VM" : "Container"),
  }),
  col.accessor("role", {
    header: "Role",
    enableSorting: true,
    meta: { className: "min-w-40" },
    cell: ({ row }) => {
      const { role, roleLabel, roleEvidence } = row.original;
      if (role === null) return muted;
      // The strongest evidence first (server/analysis/roles/classify.ts orders it).
      const first = roleEvidence[0];
      return (
        <div title={first?.note ?? undefined}>
          <div className="font-medium text-slate-900 dark:text-slate-100">{roleLabel}</div>
          {first && (
            <div className="mt-0.5 text-xs break-words text-slate-500 dark:text-slate-400">
              {first.field} = {first.value} ({first.strength})
            </div>
          )}
        </div>
      );
    },
  }),
  col.accessor("verdict", {
    header: "Verdict",
    enableSorting: true,
    meta: { className: "min-w-64" },
    cell: ({ row }) => (
      <div>
        <VerdictBadge verdict={row.original.verdict} label={row.original.verdictLabel} />
        <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">{row.original.reason}</p>
        <EvidenceDetails row={row.original} />
      </div>
    ),
  }),
  col.accessor("fit", {
    header: "Fit",
    meta: { className: "min-w-32" },
    cell: ({ row }) => {
      const { fit, fitLabel, evidence } = row.original;
      if (fit === null || fitLabel === null) return muted;
      const missing = evidence.filter((e) => e.strength === "missing");
      return (
        <div>
          <Badge tone={FIT_TONE[fit]}>{fitLabel}</Badge>
          {missing.map((e) => (
            <div key={`${e.source}:${e.field}`} className="mt-0.5 text-xs text-slate-500 dark:text-slate-400" title={e.note ?? undefined}>
              {e.source}: {e.value}
            </div>
          ))}
        </div>
      );
    },
  }),
  col.accessor("host", {
    header: "Host",
    enableSorting: true,
    meta: { className: "whitespace-nowrap" },
    cell: ({ row }) => {
      const { host, cluster } = row.original;
      if (!host) return muted;
      return (
        <div>
          <div>
            <ObjectNameLink kind="host" id={row.original.hostKey}>{host}</ObjectNameLink>
          </div>
          {cluster && <div className="mt-0.5 text-xs text-slate-500 dark:text-slate-400">{cluster}</div>}
        </div>
      );
    },
  }),
  col.accessor("ramMiB", {
    header: "RAM saved",
    enableSorting: true,
    sortDescFirst: true,
    meta: { align: "right", className: "whitespace-nowrap" },
    cell: ({ getValue }) => <Saving mib={getValue()} />,
  }),
  col.accessor("diskMiB", {
    header: "Disk saved",
    enableSorting: true,
    sortDescFirst: true,
    meta: { align: "right", className: "whitespace-nowrap" },
    cell: ({ getValue }) => <Saving mib={getValue()} />,
  }),
  col.accessor((v) => v.findings.length, {
    id: "findings",
    header: "Findings",
    enableSorting: true,
    sortDescFirst: true,
    meta: { className: "min-w-56" },
    cell: ({ row }) => {
      const findings = row.original.findings;
      if (findings.length === 0) return <span className="text-slate-400 dark:text-slate-500">None</span>;
      return (
        <ul className="flex flex-wrap gap-1" aria-label={`${findings.length} findings`}>
          {findings.map((f) => (
            <li key={f.ruleId}>
              <Badge tone={SEVERITY_TONE[f.severity]} title={f.detail ? `${f.title}: ${f.detail}` : f.title}>
                <span className="sr-only">{SEVERITY_LABEL[f.severity]}: </span>
                {f.ruleId}
              </Badge>
            </li>
          ))}
        </ul>
      );
    },
  }),
];

/** Every VM and container of the customer with its verdict: paged, sorted and filtered on the server. */
export function VerdictsTable({ customerId, customerName }: { customerId: string; customerName: string }) {
  const trpc = useTRPC();
  const canExport = useCanExport();
  const table = useServerTableState<VerdictSort, typeof FILTERS>({
    defaultSort: { column: "ramMiB", direction: "desc" },
    filters: FILTERS,
    columnsKey: "verdicts",
  });
  const { kind, verdict, role } = table.values;

  const query = useQuery({
    ...trpc.analysis.verdicts.queryOptions({
      customerId,
      ...table.input,
      kind: kind || undefined,
      verdict: verdict || undefined,
      role: role || undefined,
    }),
    placeholderData: keepPreviousData,
  });

  // Engineers select rows (across pages) and add them to a migration plan's wave.
  const [selected, setSelected] = useState<Map<string, SelectedWorkload>>(new Map());
  const [adding, setAdding] = useState(false);
  const [added, setAdded] = useState<{ planId: string; planName: string; waveName: string; added: number } | null>(null);
  const pageRows = query.data?.rows;
  const shownColumns = useMemo(() => {
    if (!canExport) return columns;
    const pick = (v: VerdictRow): SelectedWorkload => ({ key: v.key, kind: v.kind, name: v.name, verdict: v.verdict });
    const rows = pageRows ?? [];
    const allOnPage = rows.length > 0 && rows.every((v) => selected.has(v.key));
    const toggle = (list: VerdictRow[], on: boolean) =>
      setSelected((before) => {
        const next = new Map(before);
        for (const v of list) {
          if (on) next.set(v.key, pick(v));
          else next.delete(v.key);
        }
        return next;
      });
    const select = col.display({
      id: "select",
      header: () => (
        <input type="checkbox" className={checkboxClasses} aria-label="Select every row on this page" checked={allOnPage} disabled={rows.length === 0} onChange={(e) => toggle(rows, e.target.checked)} />
      ),
      cell: ({ row }) => (
        <input type="checkbox" className={checkboxClasses} aria-label={`Select ${row.original.name}`} checked={selected.has(row.original.key)} onChange={(e) => toggle([row.original], e.target.checked)} />
      ),
    });
    return [select, ...columns];
  }, [canExport, pageRows, selected]);

  const href = (format: "csv" | "xlsx") => exportHref(customerId, "verdicts", {
    format,
    columns: exportColumns(columns, table.columnVisibility),
    kind: kind || undefined,
    verdict: verdict || undefined,
    role: role || undefined,
    search: table.search || undefined,
    sort: table.input.sort.column,
    dir: table.input.sort.direction,
  });

  return (
    <DataTable
      label={`Migration verdicts of ${customerName}`}
      columns={shownColumns}
      query={query}
      getRowId={(v) => v.key}
      {...table.bind}
      toolbar={
        <TableControls table={table} searchLabel="Search verdicts" searchPlaceholder="Search name, host, OS, tenant or role">
          {canExport && (
            <div className="ml-auto flex flex-wrap items-center gap-2">
              {selected.size > 0 && (
                <Button size="sm" variant="ghost" onClick={() => setSelected(new Map())}>
                  Clear selection
                </Button>
              )}
              <Button size="sm" variant="primary" disabled={selected.size === 0} onClick={() => setAdding(true)}>
                Add to plan…{selected.size > 0 && ` (${selected.size})`}
              </Button>
              <ExportMenu href={href} />
            </div>
          )}
          {canExport && (
            <AddToPlanDialog
              open={adding}
              customerId={customerId}
              workloads={[...selected.values()]}
              onClose={() => setAdding(false)}
              onAdded={(result) => {
                setAdding(false);
                setSelected(new Map());
                setAdded(result);
              }}
            />
          )}
          {added && (
            <div className="w-full">
              <AddedNotice customerId={customerId} result={added} onDismiss={() => setAdded(null)} />
            </div>
          )}
        </TableControls>
      }
      empty={
        <AnalysisTableEmpty what="verdicts" filtered={table.isFiltered} onClear={table.clear}>
          This customer has no virtual machines or containers to judge yet.
        </AnalysisTableEmpty>
      }
    />
  );
}

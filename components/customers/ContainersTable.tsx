"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { createColumnHelper } from "@tanstack/react-table";
import { useTRPC } from "@/lib/trpc";
import type { RouterInputs, RouterOutputs } from "../api-types";
import { formatMemoryLimit, formatNanoCpus, formatWord, MISSING } from "../format";
import { DataTable } from "../tables/DataTable";
import { ExportMenu } from "../tables/ExportMenu";
import { TableControls } from "../tables/TableControls";
import { exportColumns } from "../tables/useColumnVisibility";
import { useServerTableState } from "../tables/useServerTable";
import { exportHref, useCanExport } from "../analysis/parts";
import { Badge, type BadgeTone } from "../ui/Badge";
import { ObjectNameLink } from "../objects/ObjectNameLink";
import { TableEmpty } from "./TableEmpty";

type ContainerRow = RouterOutputs["inventory"]["containers"]["rows"][number];
type ContainerInput = RouterInputs["inventory"]["containers"];
type ContainerSort = NonNullable<ContainerInput["sort"]>["column"];
type State = NonNullable<ContainerInput["state"]>;

const STATES: ReadonlyArray<State> = ["running", "paused", "restarting", "created", "exited", "dead", "removing", "unknown"];
const STATE_OPTIONS = STATES.map((value) => ({ value, label: formatWord(value) }));
const STATE_TONES: Record<string, BadgeTone> = {
  running: "green",
  paused: "amber",
  restarting: "amber",
  created: "neutral",
  exited: "neutral",
  dead: "red",
  removing: "neutral",
  unknown: "neutral",
};

const PRIVILEGED_OPTIONS = [
  { value: "yes", label: "Privileged only" },
  { value: "no", label: "Not privileged" },
] as const;

const FILTERS = [
  { key: "state", label: "State", options: STATE_OPTIONS },
  { key: "privileged", label: "Privileged", options: PRIVILEGED_OPTIONS },
] as const;

const col = createColumnHelper<ContainerRow>();
const muted = <span className="text-slate-400 dark:text-slate-500">{MISSING}</span>;

const columns = [
  col.accessor("name", {
    header: "Name",
    enableSorting: true,
    meta: { className: "min-w-44" },
    cell: ({ row }) => {
      const c = row.original;
      const notes = [c.user ? `user ${c.user}` : null, c.networkMode ? `network ${c.networkMode}` : null]
        .filter(Boolean)
        .join(" · ");
      return (
        <div>
          <div className="font-medium text-slate-900 dark:text-slate-100">
            <ObjectNameLink kind="container" id={c.id}>{c.name}</ObjectNameLink>
          </div>
          {notes && <div className="mt-0.5 text-xs text-slate-500 dark:text-slate-400">{notes}</div>}
        </div>
      );
    },
  }),
  col.accessor("image", {
    header: "Image",
    enableSorting: true,
    meta: { className: "max-w-72" },
    cell: ({ row, getValue }) => (
      <span className="block truncate font-mono text-xs" title={getValue()}>
        <ObjectNameLink kind="image" id={row.original.imageId}>{getValue()}</ObjectNameLink>
      </span>
    ),
  }),
  col.accessor("state", {
    header: "State",
    enableSorting: true,
    cell: ({ row }) => (
      <Badge tone={STATE_TONES[row.original.state] ?? "neutral"} dot title={row.original.status ?? undefined}>
        {formatWord(row.original.state)}
      </Badge>
    ),
  }),
  col.accessor((c) => c.host.name, {
    id: "host",
    header: "Host",
    enableSorting: true,
    cell: ({ row, getValue }) => <ObjectNameLink kind="host" id={row.original.host.id}>{getValue()}</ObjectNameLink>,
  }),
  col.accessor("runtime", {
    header: "Runtime",
    enableSorting: true,
    cell: ({ getValue }) => getValue() ?? muted,
  }),
  col.accessor("memoryLimitBytes", {
    header: "Memory limit",
    enableSorting: true,
    sortDescFirst: true,
    meta: { align: "right", className: "whitespace-nowrap" },
    cell: ({ getValue }) => {
      const text = formatMemoryLimit(getValue());
      return text === "unbounded" ? <span className="text-slate-500 dark:text-slate-400 italic">unbounded</span> : text;
    },
  }),
  col.accessor("nanoCpus", {
    header: "CPU limit",
    meta: { align: "right", className: "whitespace-nowrap" },
    cell: ({ getValue }) => {
      const text = formatNanoCpus(getValue());
      return text === "unbounded" ? <span className="text-slate-500 dark:text-slate-400 italic">unbounded</span> : text;
    },
  }),
  col.accessor("privileged", {
    header: "Privileged",
    enableSorting: true,
    sortDescFirst: true,
    cell: ({ row }) => (
      <div className="flex flex-wrap gap-1">
        {row.original.privileged ? <Badge tone="red">Privileged</Badge> : <span className="text-slate-500 dark:text-slate-400">No</span>}
        {row.original.pidMode === "host" && <Badge tone="amber">Host PID</Badge>}
        {row.original.networkMode === "host" && <Badge tone="amber">Host network</Badge>}
      </div>
    ),
  }),
];

export function ContainersTable({ customerId, customerName }: { customerId: string; customerName: string }) {
  const trpc = useTRPC();
  const table = useServerTableState<ContainerSort, typeof FILTERS>({
    defaultSort: { column: "name", direction: "asc" },
    filters: FILTERS,
    columnsKey: "containers",
  });
  const canExport = useCanExport();
  const { state, privileged } = table.values;

  const query = useQuery({
    ...trpc.inventory.containers.queryOptions({
      customerId,
      ...table.input,
      state: state || undefined,
      privileged: privileged === "" ? undefined : privileged === "yes",
    }),
    placeholderData: keepPreviousData,
  });

  return (
    <DataTable
      label={`Containers of ${customerName}`}
      columns={columns}
      query={query}
      getRowId={(c) => c.id}
      {...table.bind}
      toolbar={
        <TableControls table={table} searchLabel="Search containers" searchPlaceholder="Search name, image, host">
          {canExport && (
            <div className="ml-auto">
              <ExportMenu
                href={(format) =>
                  exportHref(customerId, "containers", {
                    state: state || undefined,
                    privileged: privileged === "" ? undefined : String(privileged === "yes"),
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
      empty={<TableEmpty what="containers" filtered={table.isFiltered} onClear={table.clear} />}
    />
  );
}

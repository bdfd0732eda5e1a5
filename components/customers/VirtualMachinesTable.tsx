"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { createColumnHelper } from "@tanstack/react-table";
import { useTRPC } from "@/lib/trpc";
import type { RouterInputs, RouterOutputs } from "../api-types";
import { formatCount, formatMiB, formatPowerState, MISSING } from "../format";
import { DataTable } from "../tables/DataTable";
import { ExportMenu } from "../tables/ExportMenu";
import { TableControls } from "../tables/TableControls";
import { exportColumns } from "../tables/useColumnVisibility";
import { useServerTableState } from "../tables/useServerTable";
import { exportHref, useCanExport } from "../analysis/parts";
import { Badge, type BadgeTone } from "../ui/Badge";
import { ObjectNameLink } from "../objects/ObjectNameLink";
import { TableEmpty } from "./TableEmpty";

type VmRow = RouterOutputs["inventory"]["virtualMachines"]["rows"][number];
type VmInput = RouterInputs["inventory"]["virtualMachines"];
type VmSort = NonNullable<VmInput["sort"]>["column"];
type PowerState = NonNullable<VmInput["powerState"]>;
type OsFamily = NonNullable<VmInput["osFamily"]>;

const POWER_OPTIONS = [
  { value: "poweredOn", label: "Powered on" },
  { value: "poweredOff", label: "Powered off" },
  { value: "suspended", label: "Suspended" },
  { value: "paused", label: "Paused" },
] as const satisfies ReadonlyArray<{ value: PowerState; label: string }>;

const OS_OPTIONS = [
  { value: "linux", label: "Linux" },
  { value: "windows", label: "Windows" },
  { value: "other", label: "Other" },
  { value: "unknown", label: "Unknown" },
] as const satisfies ReadonlyArray<{ value: OsFamily; label: string }>;

const TEMPLATE_OPTIONS = [
  { value: "exclude", label: "Virtual machines only" },
  { value: "only", label: "Templates only" },
] as const;

const FILTERS = [
  { key: "powerState", label: "Power", options: POWER_OPTIONS },
  { key: "osFamily", label: "Guest OS", options: OS_OPTIONS },
  { key: "template", label: "Templates", options: TEMPLATE_OPTIONS, allLabel: "VMs and templates" },
] as const;

const POWER_TONES: Record<string, BadgeTone> = { poweredOn: "green", poweredOff: "neutral", suspended: "amber", paused: "amber" };

const col = createColumnHelper<VmRow>();
const muted = <span className="text-slate-400 dark:text-slate-500">{MISSING}</span>;

const columns = [
  col.accessor("name", {
    header: "Name",
    enableSorting: true,
    meta: { className: "min-w-44" },
    cell: ({ row }) => {
      const vm = row.original;
      const address = [vm.hostname, ...vm.ipAddresses.slice(0, 2)].filter(Boolean).join(" · ");
      return (
        <div>
          <div className="flex flex-wrap items-center gap-1.5">
            <span className="font-medium text-slate-900 dark:text-slate-100">
              <ObjectNameLink kind="vm" id={vm.id}>{vm.name}</ObjectNameLink>
            </span>
            {vm.template && <Badge tone="violet">Template</Badge>}
          </div>
          {address && (
            <div className="mt-0.5 text-xs text-slate-500 dark:text-slate-400" title={vm.ipAddresses.join(", ") || undefined}>
              {address}
              {vm.ipAddresses.length > 2 && ` +${vm.ipAddresses.length - 2}`}
            </div>
          )}
        </div>
      );
    },
  }),
  col.accessor("powerState", {
    header: "Power",
    enableSorting: true,
    cell: ({ getValue }) => (
      <Badge tone={POWER_TONES[getValue()] ?? "neutral"} dot>
        {formatPowerState(getValue())}
      </Badge>
    ),
  }),
  col.accessor("vcpus", {
    header: "vCPUs",
    enableSorting: true,
    sortDescFirst: true,
    meta: { align: "right" },
    cell: ({ getValue }) => formatCount(getValue()),
  }),
  col.accessor("memoryMiB", {
    header: "Memory",
    enableSorting: true,
    sortDescFirst: true,
    meta: { align: "right", className: "whitespace-nowrap" },
    cell: ({ getValue }) => formatMiB(getValue()),
  }),
  col.accessor("provisionedMiB", {
    header: "Provisioned",
    enableSorting: true,
    sortDescFirst: true,
    meta: { align: "right", className: "whitespace-nowrap" },
    cell: ({ row }) => {
      const { provisionedMiB, usedMiB } = row.original;
      if (provisionedMiB === null) return muted;
      return (
        <span title={usedMiB !== null ? `${formatMiB(usedMiB)} used` : undefined}>{formatMiB(provisionedMiB)}</span>
      );
    },
  }),
  col.accessor("guestOsConfigured", {
    header: "Guest OS",
    enableSorting: true,
    meta: { className: "min-w-48" },
    cell: ({ row }) => {
      const { guestOsConfigured, guestOsReported } = row.original;
      if (!guestOsConfigured && !guestOsReported) return muted;
      return (
        <div>
          <div>{guestOsConfigured ?? guestOsReported}</div>
          {guestOsReported && guestOsConfigured && guestOsReported !== guestOsConfigured && (
            <div className="mt-0.5 text-xs text-slate-500 dark:text-slate-400">reports {guestOsReported}</div>
          )}
        </div>
      );
    },
  }),
  col.accessor((vm) => vm.host?.name ?? null, {
    id: "host",
    header: "Host",
    enableSorting: true,
    meta: { className: "whitespace-nowrap" },
    cell: ({ row, getValue }) => (row.original.host ? <ObjectNameLink kind="host" id={row.original.host.id}>{row.original.host.name}</ObjectNameLink> : (getValue() ?? muted)),
  }),
  col.accessor("cluster", {
    header: "Cluster",
    enableSorting: true,
    meta: { className: "whitespace-nowrap" },
    cell: ({ getValue }) => getValue() ?? muted,
  }),
  col.accessor("snapshotCount", {
    header: "Snapshots",
    enableSorting: true,
    sortDescFirst: true,
    meta: { align: "right" },
    cell: ({ getValue }) => formatCount(getValue()),
  }),
];

export function VirtualMachinesTable({
  customerId,
  customerName,
  initialSearch = "",
}: {
  customerId: string;
  customerName: string;
  initialSearch?: string;
}) {
  const trpc = useTRPC();
  const table = useServerTableState<VmSort, typeof FILTERS>({
    defaultSort: { column: "name", direction: "asc" },
    initialSearch,
    filters: FILTERS,
    columnsKey: "vms",
  });
  const canExport = useCanExport();
  const { powerState, osFamily, template } = table.values;

  const query = useQuery({
    ...trpc.inventory.virtualMachines.queryOptions({
      customerId,
      ...table.input,
      powerState: powerState || undefined,
      osFamily: osFamily || undefined,
      template: template === "" ? undefined : template === "only",
    }),
    placeholderData: keepPreviousData,
  });

  return (
    <DataTable
      label={`Virtual machines of ${customerName}`}
      columns={columns}
      query={query}
      getRowId={(vm) => vm.id}
      {...table.bind}
      toolbar={
        <TableControls table={table} searchLabel="Search virtual machines" searchPlaceholder="Search name, hostname, OS or IP">
          {canExport && (
            <div className="ml-auto">
              <ExportMenu
                href={(format) =>
                  exportHref(customerId, "vms", {
                    powerState: powerState || undefined,
                    osFamily: osFamily || undefined,
                    template: template === "" ? undefined : String(template === "only"),
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
      empty={<TableEmpty what="virtual machines" filtered={table.isFiltered} onClear={table.clear} />}
    />
  );
}

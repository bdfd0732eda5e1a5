"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { createColumnHelper } from "@tanstack/react-table";
import { useMemo } from "react";
import { useTRPC } from "@/lib/trpc";
import type { RouterInputs, RouterOutputs } from "../api-types";
import { formatCount, formatMiB, MISSING } from "../format";
import { DataTable } from "../tables/DataTable";
import { ExportMenu } from "../tables/ExportMenu";
import { TableControls } from "../tables/TableControls";
import { exportColumns } from "../tables/useColumnVisibility";
import { useServerTableState } from "../tables/useServerTable";
import { exportHref, useCanExport } from "../analysis/parts";
import { Badge } from "../ui/Badge";
import { ObjectNameLink } from "../objects/ObjectNameLink";
import { TableEmpty } from "./TableEmpty";

type HostRow = RouterOutputs["inventory"]["hosts"]["rows"][number];
type HostInput = RouterInputs["inventory"]["hosts"];
type HostSort = NonNullable<HostInput["sort"]>["column"];
type Role = NonNullable<HostInput["role"]>;

const ROLE_LABELS: Record<Role, string> = { hypervisor: "Hypervisor", "container-engine": "Container engine" };
const ROLE_OPTIONS = [
  { value: "hypervisor", label: "Hypervisors" },
  { value: "container-engine", label: "Container engines" },
] as const;

const FILTERS = [{ key: "role", label: "Role", options: ROLE_OPTIONS }] as const;

const LINK_KEYS: Record<string, string> = { uuid: "uuid", mac: "MAC address", hostname: "hostname" };

const col = createColumnHelper<HostRow>();

function columns() {
  return [
    col.accessor("name", {
      header: "Name",
      enableSorting: true,
      meta: { className: "min-w-48" },
      cell: ({ row }) => {
        const host = row.original;
        return (
          <div>
            <div className="font-medium text-slate-900 dark:text-slate-100">
              <ObjectNameLink kind="host" id={host.id}>{host.name}</ObjectNameLink>
            </div>
            {host.vm && (
              <div className="mt-0.5 text-xs text-slate-500 dark:text-slate-400">
                runs in VM{" "}
                <ObjectNameLink kind="vm" id={host.vm.id}>
                  {host.vm.name}
                </ObjectNameLink>
                {host.vmLinkKey && <> (matched by {LINK_KEYS[host.vmLinkKey] ?? host.vmLinkKey})</>}
              </div>
            )}
          </div>
        );
      },
    }),
    col.accessor("role", {
      header: "Role",
      enableSorting: true,
      cell: ({ getValue }) => {
        const role = getValue();
        return (
          <Badge tone={role === "hypervisor" ? "brand" : "violet"}>{ROLE_LABELS[role as Role] ?? role}</Badge>
        );
      },
    }),
    col.accessor("platform", {
      header: "Platform",
      enableSorting: true,
      cell: ({ getValue }) => getValue() ?? <span className="text-slate-400 dark:text-slate-500">{MISSING}</span>,
    }),
    col.accessor("productVersion", {
      id: "productVersion",
      header: "Product",
      enableSorting: true,
      cell: ({ row }) => {
        const { productName, productVersion } = row.original;
        if (!productName && !productVersion) return <span className="text-slate-400 dark:text-slate-500">{MISSING}</span>;
        return (
          <span className="whitespace-nowrap">
            {productName}
            {productVersion && <span className="text-slate-500 dark:text-slate-400"> {productVersion}</span>}
          </span>
        );
      },
    }),
    col.accessor("cpuCores", {
      header: "Cores",
      enableSorting: true,
      sortDescFirst: true,
      meta: { align: "right" },
      cell: ({ row }) => {
        const h = row.original;
        const detail = [
          h.cpuModel,
          h.cpuSockets ? `${h.cpuSockets} sockets` : null,
          h.cpuThreads ? `${h.cpuThreads} threads` : null,
        ]
          .filter(Boolean)
          .join(", ");
        return <span title={detail || undefined}>{formatCount(h.cpuCores)}</span>;
      },
    }),
    col.accessor("memoryMiB", {
      header: "Memory",
      enableSorting: true,
      sortDescFirst: true,
      meta: { align: "right", className: "whitespace-nowrap" },
      cell: ({ getValue }) => formatMiB(getValue()),
    }),
    col.accessor("cluster", {
      header: "Cluster",
      enableSorting: true,
      meta: { className: "whitespace-nowrap" },
      cell: ({ row }) => {
        const { cluster, datacenter } = row.original;
        if (!cluster) return <span className="text-slate-400 dark:text-slate-500">{MISSING}</span>;
        return <span title={datacenter ? `Datacenter ${datacenter}` : undefined}>{cluster}</span>;
      },
    }),
    col.accessor((h) => h._count.virtualMachines, {
      id: "virtualMachines",
      header: "VMs",
      enableSorting: true,
      sortDescFirst: true,
      meta: { align: "right" },
      cell: ({ getValue }) => formatCount(getValue()),
    }),
    col.accessor((h) => h._count.containers, {
      id: "containers",
      header: "Containers",
      enableSorting: true,
      sortDescFirst: true,
      meta: { align: "right" },
      cell: ({ getValue }) => formatCount(getValue()),
    }),
  ];
}

export function HostsTable({
  customerId,
  customerName,
}: {
  customerId: string;
  customerName: string;
}) {
  const trpc = useTRPC();
  const table = useServerTableState<HostSort, typeof FILTERS>({
    defaultSort: { column: "name", direction: "asc" },
    filters: FILTERS,
    columnsKey: "hosts",
  });
  const canExport = useCanExport();
  const { role } = table.values;
  const cols = useMemo(() => columns(), []);

  const query = useQuery({
    ...trpc.inventory.hosts.queryOptions({ customerId, ...table.input, role: role || undefined }),
    placeholderData: keepPreviousData,
  });

  return (
    <DataTable
      label={`Hosts of ${customerName}`}
      columns={cols}
      query={query}
      getRowId={(h) => h.id}
      {...table.bind}
      toolbar={
        <TableControls table={table} searchLabel="Search hosts" searchPlaceholder="Search name, CPU model, cluster">
          {canExport && (
            <div className="ml-auto">
              <ExportMenu
                href={(format) =>
                  exportHref(customerId, "hosts", {
                    role: role || undefined,
                    search: table.search || undefined,
                    sort: table.input.sort.column,
                    dir: table.input.sort.direction,
                    columns: exportColumns(cols, table.columnVisibility),
                    format,
                  })
                }
              />
            </div>
          )}
        </TableControls>
      }
      empty={<TableEmpty what="hosts" filtered={table.isFiltered} onClear={table.clear} />}
    />
  );
}

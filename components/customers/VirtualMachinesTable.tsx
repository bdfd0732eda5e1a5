"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { createColumnHelper } from "@tanstack/react-table";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc";
import type { RouterInputs, RouterOutputs } from "../api-types";
import { formatCount, formatMiB, formatPowerState, MISSING } from "../format";
import { DataTable } from "../tables/DataTable";
import { FilterSelect } from "../tables/FilterSelect";
import { SearchInput } from "../tables/SearchInput";
import { useServerTableState } from "../tables/useServerTable";
import { Badge, type BadgeTone } from "../ui/Badge";
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

const POWER_TONES: Record<string, BadgeTone> = { poweredOn: "green", poweredOff: "neutral", suspended: "amber", paused: "amber" };

const col = createColumnHelper<VmRow>();
const muted = <span className="text-slate-400">{MISSING}</span>;

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
            <span className="font-medium text-slate-900">{vm.name}</span>
            {vm.template && <Badge tone="violet">Template</Badge>}
          </div>
          {address && (
            <div className="mt-0.5 text-xs text-slate-500" title={vm.ipAddresses.join(", ") || undefined}>
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
            <div className="mt-0.5 text-xs text-slate-500">reports {guestOsReported}</div>
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
    cell: ({ getValue }) => getValue() ?? muted,
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
  const table = useServerTableState<VmSort>({ defaultSort: { column: "name", direction: "asc" }, initialSearch });
  const [powerState, setPowerState] = useState<PowerState | "">("");
  const [osFamily, setOsFamily] = useState<OsFamily | "">("");
  const [template, setTemplate] = useState<"" | "exclude" | "only">("");
  const [resetKey, setResetKey] = useState(0);

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

  const filtered = table.search !== "" || powerState !== "" || osFamily !== "" || template !== "";
  const clear = () => {
    table.setSearch("");
    setPowerState("");
    setOsFamily("");
    setTemplate("");
    setResetKey((k) => k + 1);
  };

  return (
    <DataTable
      label={`Virtual machines of ${customerName}`}
      columns={columns}
      query={query}
      getRowId={(vm) => vm.id}
      {...table.bind}
      toolbar={
        <>
          <SearchInput
            key={resetKey}
            label="Search virtual machines"
            placeholder="Search name, hostname, OS or IP"
            value={table.search}
            onSearch={table.setSearch}
            className="w-full sm:w-72"
          />
          <FilterSelect
            label="Power"
            value={powerState}
            options={POWER_OPTIONS}
            onChange={table.filter(setPowerState)}
          />
          <FilterSelect
            label="Guest OS"
            value={osFamily}
            options={OS_OPTIONS}
            onChange={table.filter(setOsFamily)}
          />
          <FilterSelect
            label="Templates"
            value={template}
            allLabel="VMs and templates"
            options={TEMPLATE_OPTIONS}
            onChange={table.filter(setTemplate)}
          />
        </>
      }
      empty={<TableEmpty what="virtual machines" filtered={filtered} onClear={clear} />}
    />
  );
}

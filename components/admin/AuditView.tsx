"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { createColumnHelper, type PaginationState } from "@tanstack/react-table";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc";
import type { RouterOutputs } from "../api-types";
import { formatDateTime, MISSING } from "../format";
import { DataTable } from "../tables/DataTable";
import { FilterSelect } from "../tables/FilterSelect";
import { Badge, type BadgeTone } from "../ui/Badge";
import { EmptyState } from "../ui/EmptyState";
import { AdminOnly } from "./AdminOnly";

type AuditRow = RouterOutputs["audit"]["list"]["rows"][number];

export const AUDIT_ACTIONS = [
  "sign-in",
  "sign-in-failed",
  "sign-out",
  "password-changed",
  "setup",
  "user-created",
  "user-changed",
  "user-password-set",
  "user-unlocked",
  "user-deleted",
  "api-token-created",
  "api-token-revoked",
  "source-created",
  "source-changed",
  "source-deleted",
  "customer-created",
  "customer-deleted",
  "demo-data-removed",
  "export",
  "analysis-parameters-changed",
  "analysis-parameters-reset",
] as const;
type AuditAction = (typeof AUDIT_ACTIONS)[number];

const ACTION_OPTIONS = AUDIT_ACTIONS.map((value) => ({ value, label: value }));

function actionTone(action: string): BadgeTone {
  if (action === "sign-in-failed") return "red";
  if (/deleted|revoked|removed/.test(action)) return "amber";
  if (/created|setup/.test(action)) return "green";
  if (action.startsWith("sign-")) return "neutral";
  return "blue";
}

/** `{ "role": "viewer", "customers": 2 }` on one line; nothing for an empty detail. */
function compactDetail(detail: unknown): string {
  if (detail === null || detail === undefined) return "";
  if (typeof detail === "object" && !Array.isArray(detail) && Object.keys(detail).length === 0) return "";
  // Indented JSON has line breaks only between tokens (those in strings are escaped): join them
  // with spaces so long details wrap between fields.
  return JSON.stringify(detail, null, 1).replace(/\n\s*/g, " ");
}

const col = createColumnHelper<AuditRow>();

const columns = [
  col.accessor("at", {
    header: "Time",
    meta: { className: "whitespace-nowrap tabular-nums" },
    cell: ({ getValue }) => <time dateTime={new Date(getValue()).toISOString()}>{formatDateTime(getValue())}</time>,
  }),
  col.accessor("actorEmail", {
    header: "Who",
    cell: ({ getValue }) => getValue() ?? <span className="text-slate-500 dark:text-slate-400">{MISSING}</span>,
  }),
  col.accessor("action", {
    header: "Action",
    cell: ({ getValue }) => <Badge tone={actionTone(getValue())}>{getValue()}</Badge>,
  }),
  col.accessor("target", {
    header: "Target",
    meta: { className: "max-w-72 break-words" },
    cell: ({ getValue }) => getValue() ?? <span className="text-slate-500 dark:text-slate-400">{MISSING}</span>,
  }),
  col.accessor("ip", {
    header: "IP",
    meta: { className: "whitespace-nowrap font-mono text-xs" },
    cell: ({ getValue }) => getValue() ?? <span className="text-slate-500 dark:text-slate-400">{MISSING}</span>,
  }),
  col.accessor("detail", {
    header: "Detail",
    meta: { className: "max-w-96" },
    cell: ({ getValue }) => {
      const text = compactDetail(getValue());
      return text ? (
        <code className="font-mono text-xs break-words text-slate-700 dark:text-slate-300">{text}</code>
      ) : (
        <span className="text-slate-500 dark:text-slate-400">{MISSING}</span>
      );
    },
  }),
];

function AuditLog() {
  const trpc = useTRPC();
  const [action, setAction] = useState<AuditAction | "">("");
  const [pagination, setPagination] = useState<PaginationState>({ pageIndex: 0, pageSize: 50 });
  const query = useQuery({
    ...trpc.audit.list.queryOptions({
      page: pagination.pageIndex,
      pageSize: pagination.pageSize,
      action: action || undefined,
    }),
    placeholderData: keepPreviousData,
  });

  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Audit log</h1>
        <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
          Sign-ins, failed sign-ins and every change to users, tokens, sources and customers, newest first.
        </p>
      </div>
      <DataTable
        label="Audit events"
        columns={columns}
        query={query}
        getRowId={(row) => row.id}
        pagination={pagination}
        onPaginationChange={setPagination}
        sorting={[]}
        onSortingChange={() => {}}
        toolbar={
          <FilterSelect
            label="Action"
            value={action}
            options={ACTION_OPTIONS}
            allLabel="All actions"
            onChange={(value) => {
              setAction(value);
              setPagination((old) => ({ ...old, pageIndex: 0 }));
            }}
          />
        }
        empty={
          <EmptyState title={action ? `No “${action}” events` : "No events yet"}>
            {action ? "Choose another action, or all actions." : "Sign-ins and changes appear here as they happen."}
          </EmptyState>
        }
      />
    </div>
  );
}

export function AuditView() {
  return <AdminOnly>{() => <AuditLog />}</AdminOnly>;
}

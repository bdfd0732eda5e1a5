"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { useTRPC } from "@/lib/trpc";
import { buttonClasses } from "../ui/Button";
import { Card } from "../ui/Card";
import { EmptyState } from "../ui/EmptyState";
import { QueryError } from "../ui/ErrorMessage";
import { LoadingBlock } from "../ui/Spinner";

/**
 * Renders its children for administrators only; others learn why they see nothing. The server
 * refuses the procedures anyway: this only spares them a FORBIDDEN error.
 */
export function AdminOnly({ children }: { children: (me: { id: string }) => ReactNode }) {
  const trpc = useTRPC();
  const me = useQuery(trpc.account.me.queryOptions());
  if (me.isPending) return <LoadingBlock />;
  if (me.error) {
    return (
      <QueryError title="Could not check who you are" query={me} />
    );
  }
  if (me.data.role !== "admin") {
    return (
      <Card className="mx-auto max-w-lg">
        <EmptyState
          titleAs="h1"
          title="Administrators only"
          action={
            <Link href="/" className={buttonClasses("secondary")}>
              Go to the fleet overview
            </Link>
          }
        >
          This page is for Fleetlens administrators. Ask one if you need a change to users or want to read the audit
          log.
        </EmptyState>
      </Card>
    );
  }
  return <>{children(me.data)}</>;
}

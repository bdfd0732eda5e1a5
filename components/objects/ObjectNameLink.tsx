"use client";
/**
 * A name in a table, linked to its object's page (components/links.ts decides the address). The
 * customer comes from the prop, else from the page's address (every table sits under
 * /customers/<id>); without an id or a customer, the name stays plain text.
 */
import Link from "next/link";
import { useParams } from "next/navigation";
import type { ReactNode } from "react";
import { objectHref, type ObjectKind } from "../links";
import { cx, focusRing } from "../ui/cx";

export const nameLinkClass = cx(
  "rounded font-medium text-brand-700 hover:text-brand-900 hover:underline dark:text-brand-300 dark:hover:text-brand-200",
  focusRing,
);

export function ObjectNameLink({
  kind,
  id,
  customerId,
  children,
  className,
}: {
  kind: ObjectKind;
  id: string | null | undefined;
  customerId?: string;
  children: ReactNode;
  className?: string;
}) {
  const params = useParams<{ customerId?: string }>();
  const customer = customerId ?? params?.customerId;
  if (!id || !customer) return <>{children}</>;
  return (
    <Link href={objectHref(customer, kind, id)} className={cx(nameLinkClass, className)} data-object-link={kind}>
      {children}
    </Link>
  );
}

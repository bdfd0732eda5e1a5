/**
 * Where each object of a customer's inventory has its page. Every name in every table links here,
 * and search results, breadcrumbs and reports use the same addresses, so one place decides them.
 */
export type ObjectKind = "host" | "vm" | "container" | "image";

const SEGMENT: Record<ObjectKind, string> = { host: "hosts", vm: "vms", container: "containers", image: "images" };

/** `/customers/<customer id>`, optionally on one of its tabs. */
export function customerHref(customerId: string, tab?: string): string {
  const base = `/customers/${encodeURIComponent(customerId)}`;
  return tab ? `${base}?tab=${encodeURIComponent(tab)}` : base;
}

/** `/customers/<customer id>/<hosts|vms|containers|images>/<object id>`: the object's page. */
export function objectHref(customerId: string, kind: ObjectKind, id: string): string {
  return `${customerHref(customerId)}/${SEGMENT[kind]}/${encodeURIComponent(id)}`;
}

/** `/customers/<customer id>/plans/<plan id>`: a migration plan's page. */
export function planHref(customerId: string, planId: string): string {
  return `${customerHref(customerId)}/plans/${encodeURIComponent(planId)}`;
}

/** `/customers/<customer id>/report` (`?anonymised=1` for the variant shared with third parties). */
export function reportHref(customerId: string, options: { anonymised?: boolean } = {}): string {
  return `${customerHref(customerId)}/report${options.anonymised ? "?anonymised=1" : ""}`;
}

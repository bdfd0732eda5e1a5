import type { BadgeTone } from "../ui/Badge";

export type Role = "admin" | "engineer" | "viewer";

export const ROLES: ReadonlyArray<{ value: Role; label: string; tone: BadgeTone; description: string }> = [
  { value: "viewer", label: "Viewer", tone: "neutral", description: "Reads the inventory of their customers" },
  { value: "engineer", label: "Engineer", tone: "blue", description: "Viewer, plus migration plans and exports" },
  { value: "admin", label: "Administrator", tone: "violet", description: "Everything: users, sources, all customers" },
];

export function roleLabel(role: string): string {
  return ROLES.find((r) => r.value === role)?.label ?? role;
}

export function roleTone(role: string): BadgeTone {
  return ROLES.find((r) => r.value === role)?.tone ?? "neutral";
}

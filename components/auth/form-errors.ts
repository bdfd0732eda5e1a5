/**
 * tRPC errors from the account, setup and user forms in plain words, with this form's field
 * names (components/errors.ts knows the source form's).
 */
import { describeError } from "../errors";

const NAMES: Record<string, string> = {
  name: "Name",
  email: "Email",
  password: "Password",
  role: "Role",
  allCustomers: "Customers",
  customerIds: "Customers",
};

function sentence(text: string): string {
  const trimmed = text.trim();
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
}

export function describeFormError(error: unknown): string {
  const zod = (error as { data?: { zodError?: { formErrors?: string[]; fieldErrors?: Record<string, string[] | undefined> } | null } } | null)
    ?.data?.zodError;
  if (zod) {
    const lines = [...(zod.formErrors ?? []).map(sentence)];
    for (const [field, messages] of Object.entries(zod.fieldErrors ?? {})) {
      for (const message of messages ?? []) lines.push(`${NAMES[field] ?? field}: ${sentence(message)}`);
    }
    if (lines.length > 0) return lines.join("\n");
  }
  return describeError(error);
}

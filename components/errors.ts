/**
 * Errors from tRPC calls in plain words. Input validation errors carry zod's flattened issues in
 * `data.zodError` (server/api/trpc.ts); other errors carry a readable message.
 */

const FIELD_NAMES: Record<string, string> = {
  name: "Name",
  endpoint: "Endpoint",
  username: "Username",
  secret: "Secret",
  intervalSeconds: "Interval",
  enabled: "Enabled",
  customerId: "Customer",
  kind: "Kind",
  search: "Search",
  options: "Settings",
  // The account, setup and user forms.
  email: "Email",
  password: "Password",
  role: "Role",
  allCustomers: "Customers",
  customerIds: "Customers",
};

interface ErrorShape {
  message?: unknown;
  data?: {
    code?: unknown;
    httpStatus?: unknown;
    zodError?: { formErrors?: string[]; fieldErrors?: Record<string, string[] | undefined> } | null;
  } | null;
}

function shape(error: unknown): ErrorShape | null {
  return typeof error === "object" && error !== null ? (error as ErrorShape) : null;
}

/** Server messages are lower-case clauses ("a name is required"): start them with a capital. */
function sentence(text: string): string {
  const trimmed = text.trim();
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
}

/** The tRPC error code ("NOT_FOUND", "BAD_REQUEST", …), if any. */
export function errorCode(error: unknown): string | null {
  const code = shape(error)?.data?.code;
  return typeof code === "string" ? code : null;
}

/** One readable message for any error a page may meet. */
export function describeError(error: unknown): string {
  const e = shape(error);
  const zod = e?.data?.zodError;
  if (zod) {
    const lines: string[] = [];
    for (const message of zod.formErrors ?? []) lines.push(sentence(message));
    for (const [field, messages] of Object.entries(zod.fieldErrors ?? {})) {
      for (const message of messages ?? []) lines.push(`${FIELD_NAMES[field] ?? field}: ${sentence(message)}`);
    }
    if (lines.length > 0) return lines.join("\n");
  }
  const message = typeof e?.message === "string" ? e.message : typeof error === "string" ? error : "";
  if (/failed to fetch|networkerror|load failed|fetch failed/i.test(message)) {
    return "Could not reach the Fleetlens server. Check that it is running, then try again.";
  }
  if (/unexpected token|is not valid json/i.test(message)) {
    return "The server sent an unexpected answer. Try again in a moment.";
  }
  if (!message) return "An unexpected error occurred.";
  return sentence(message);
}

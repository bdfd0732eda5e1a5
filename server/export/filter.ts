/**
 * A table's filter from an export's query string: `search`, `sort` and `dir`, and the table's own
 * fields (text as given, booleans written true / false), checked by the zod schema of the table's
 * tRPC procedure. An error names the query parameter and the problem ("sort: Invalid option ...").
 */
import type { z } from "zod";

/** A filter field in the query string: text as given, or a boolean written true / false. */
export type ParamKind = "text" | "boolean";

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** Query-string names of the filter fields, for error messages the caller can act on. */
const PARAM_OF: Record<string, string> = { "sort.column": "sort", "sort.direction": "dir" };

export function parseQueryFilter<F>(schema: z.ZodType<F>, fields: Record<string, ParamKind>, params: URLSearchParams): Parsed<F> {
  const get = (name: string) => params.get(name) ?? undefined;
  const raw: Record<string, unknown> = { search: get("search") };
  if (params.has("sort") || params.has("dir")) {
    const defaults = (schema.parse({}) as { sort: { column: string; direction: string } }).sort;
    raw.sort = { column: get("sort") ?? defaults.column, direction: get("dir") ?? defaults.direction };
  }
  for (const [name, kind] of Object.entries(fields)) {
    const value = get(name);
    if (value === undefined || value === "") continue;
    raw[name] = kind === "boolean" ? (value === "true" ? true : value === "false" ? false : value) : value;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const problems = parsed.error.issues.map((issue) => {
    const field = issue.path.map(String).join(".");
    return `${PARAM_OF[field] ?? field}: ${issue.message}`;
  });
  return { ok: false, error: `invalid filter: ${problems.join("; ")}` };
}

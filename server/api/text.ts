/**
 * Text from callers that the database cannot hold or a search has no use for. Postgres text and
 * jsonb cannot store a NUL character, so a NUL anywhere in an input would fail deep in a query (a
 * 500 with the database's words); a search box has no use for control characters at all. Both are
 * refused up front with a 400 that names the field.
 */
import { z } from "zod";

/** C0 controls (NUL, tab, CR, LF, ...), DEL and C1 controls. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

export const SEARCH_CONTROL_MESSAGE = "control characters (such as NUL or a line break) cannot be searched for";

/** A table's search box: trimmed, at most 200 characters, no control characters. */
export const searchText = z
  .string()
  .trim()
  .max(200)
  .refine((text) => !CONTROL_CHARACTERS.test(text), SEARCH_CONTROL_MESSAGE)
  .default("");

const isPlainObject = (value: object): value is Record<string, unknown> => {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
};

/**
 * The first problem with the text in an input, as "<field>: <problem>", or null: a NUL character in
 * any string or key, and a control character in any field named `search`.
 */
export function inputTextProblem(value: unknown, path: readonly (string | number)[] = []): string | null {
  const field = path.length > 0 ? path.join(".") : "input";
  if (typeof value === "string") {
    if (value.includes("\u0000")) return `${field}: text cannot contain NUL characters`;
    // Trimmed first, as the search schemas do: a trailing line break is only whitespace.
    if (path[path.length - 1] === "search" && CONTROL_CHARACTERS.test(value.trim())) return `${field}: ${SEARCH_CONTROL_MESSAGE}`;
    return null;
  }
  if (typeof value !== "object" || value === null || path.length > 32) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = inputTextProblem(value[i], [...path, i]);
      if (problem) return problem;
    }
    return null;
  }
  if (!isPlainObject(value)) return null;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes("\u0000")) return `${field}: a field name cannot contain NUL characters`;
    const problem = inputTextProblem(item, [...path, key]);
    if (problem) return problem;
  }
  return null;
}

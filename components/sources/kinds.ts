/**
 * The Sources form's helpers. What each kind is (label, endpoint example, option fields, secret)
 * comes from the server's registry (server/collectors/<kind>/index.ts) through `sources.kinds`, so
 * no collector code reaches the browser.
 */
import type { OptionField } from "@/server/collectors/types";
import type { RouterOutputs } from "../api-types";

/** A kind as `sources.kinds` describes it. */
export type SourceKindInfo = RouterOutputs["sources"]["kinds"][number];

/** A kind's name for people; its key until `sources.kinds` has answered. */
export function kindLabel(kinds: readonly SourceKindInfo[] | undefined, kind: string): string {
  return kinds?.find((k) => k.kind === kind)?.label ?? kind;
}

type OptionValue = string | number | boolean;

/** A source's stored options with the form's values applied: empty text and unticked boxes drop a key. */
export function mergeOptions(
  stored: Record<string, unknown>,
  fields: readonly OptionField[],
  values: Record<string, string | boolean>,
): Record<string, OptionValue> {
  const merged: Record<string, OptionValue> = {};
  for (const [key, value] of Object.entries(stored)) {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") merged[key] = value;
  }
  for (const field of fields) {
    const value = values[field.key];
    if (value === undefined) continue;
    const kept = typeof value === "string" ? value.trim() : value;
    if (kept === "" || kept === false) delete merged[field.key];
    else merged[field.key] = kept;
  }
  return merged;
}

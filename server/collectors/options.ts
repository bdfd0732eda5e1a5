/** Helpers for a kind's options schema (the `options` of its defineCollector). */
import type { z } from "zod";

/**
 * `schema` with the check the kind's collector makes when it connects: `check` throws an instance
 * of `ConfigurationError` for options that cannot work (a malformed pin, two settings that exclude
 * each other), and saving such a source is refused with its message, on the option `path`. Other
 * errors propagate.
 */
export function withConnectCheck<S extends z.ZodType>(
  schema: S,
  path: string,
  check: (options: z.output<S>) => unknown,
  ConfigurationError: abstract new (...args: never[]) => Error,
): S {
  return schema.superRefine((options, context) => {
    try {
      check(options);
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      context.addIssue({ code: "custom", path: [path], message: error.message });
    }
  });
}

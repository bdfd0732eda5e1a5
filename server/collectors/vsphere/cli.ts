/**
 * `npm run --silent collect -- vsphere <https://host/sdk> --user U --password-env VAR
 *  [--insecure | --fingerprint F] [--performance-days N] [--template-event-days N] [--json]`
 *
 * The password is read from the environment variable named by --password-env, never from the
 * command line (where `ps` and shell history would show it).
 */
import { parseCliArgs, UsageError } from "../../cli/args";
import type { CliSourceParser } from "../types";
import { MAX_TEMPLATE_EVENT_DAYS } from "./events";
import { normaliseFingerprint } from "../tls";

const USAGE =
  "usage: collect vsphere <https://host/sdk> --user U --password-env VAR [--insecure | --fingerprint F] [--performance-days N] [--template-event-days N] [--json]";

export const vsphereCliParser: CliSourceParser = (args, env) => {
  const parsed = parseCliArgs(
    args,
    {
      user: { type: "string" },
      "password-env": { type: "string" },
      insecure: { type: "boolean" },
      fingerprint: { type: "string" },
      "performance-days": { type: "string" },
      "template-event-days": { type: "string" },
    },
    USAGE,
  );
  const { positionals, values } = parsed;
  const endpoint = positionals[0];
  if (!endpoint || positionals.length > 1 || !values.user || !values["password-env"]) throw new UsageError(USAGE);
  const password = env[values["password-env"]];
  if (!password) {
    throw new UsageError(`the environment variable ${values["password-env"]} (--password-env) is not set or empty`);
  }
  if (values.insecure && values.fingerprint !== undefined) {
    throw new UsageError(`--insecure and --fingerprint exclude each other\n${USAGE}`);
  }
  const options: Record<string, unknown> = {};
  if (values.insecure) options.insecure = true;
  if (values.fingerprint !== undefined) {
    if (!normaliseFingerprint(values.fingerprint)) {
      throw new UsageError("--fingerprint takes a SHA-256 fingerprint: 64 hex digits, colons allowed (AB:CD:...)");
    }
    options.fingerprint = values.fingerprint;
  }
  const days = values["performance-days"];
  if (days !== undefined) {
    // Days of PerformanceManager history (0 = quick stats only); checked by the options schema.
    if (!/^\d+$/.test(days) || Number(days) > 30) throw new UsageError(`--performance-days takes 0 to 30 (days of history)\n${USAGE}`);
    options.performanceDays = Number(days);
  }
  const eventDays = values["template-event-days"];
  if (eventDays !== undefined) {
    // Days of deploy and clone events read for the templates' last use (0 = none).
    if (!/^\d+$/.test(eventDays) || Number(eventDays) > MAX_TEMPLATE_EVENT_DAYS) {
      throw new UsageError(`--template-event-days takes 0 to ${MAX_TEMPLATE_EVENT_DAYS} (days of events)\n${USAGE}`);
    }
    options.templateEventDays = Number(eventDays);
  }
  return { kind: "vsphere", name: endpoint, endpoint, username: values.user, secret: password, options };
};

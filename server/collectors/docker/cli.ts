/**
 * `npm run --silent collect -- docker <endpoint> [--tls-ca F --tls-cert F --tls-key F]
 * [--tenant-label L] [--daemon-no-new-privileges] [--no-stats] [--json]`: a Docker source from the command line. The endpoint defaults to
 * DOCKER_HOST. TLS files are read by the collector (paths are kept in the source's options, as a
 * saved source keeps them).
 */
import { parseCliArgs, UsageError } from "../../cli/args";
import type { CliSourceParser } from "../types";

export const DOCKER_USAGE =
  "usage: collect docker <unix:///path/docker.sock | tcp://host:port | https://host:port> " +
  "[--tls-ca FILE --tls-cert FILE --tls-key FILE] [--tenant-label LABEL] [--daemon-no-new-privileges] [--concurrency N] [--no-stats] [--json]";

export const dockerCliParser: CliSourceParser = (args, env) => {
  const parsed = parseCliArgs(
    args,
    {
      "tls-ca": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "tenant-label": { type: "string" },
      concurrency: { type: "string" },
      "daemon-no-new-privileges": { type: "boolean" },
      "no-stats": { type: "boolean" },
    },
    DOCKER_USAGE,
  );
  const { positionals, values } = parsed;
  const endpoint = positionals[0] ?? env.DOCKER_HOST;
  if (!endpoint || positionals.length > 1) throw new UsageError(DOCKER_USAGE);
  const options: Record<string, unknown> = {};
  if (values["tls-ca"] !== undefined) options.tlsCa = values["tls-ca"];
  if (values["tls-cert"] !== undefined) options.tlsCert = values["tls-cert"];
  if (values["tls-key"] !== undefined) options.tlsKey = values["tls-key"];
  if (values["tenant-label"] !== undefined) options.tenantLabel = values["tenant-label"];
  // The daemon's own setting, which the Engine API does not tell (CIS Docker 5.26).
  if (values["daemon-no-new-privileges"] === true) options.daemonNoNewPrivileges = true;
  // Measured use (one stats call per running container) is read unless told not to.
  if (values["no-stats"] === true) options.stats = false;
  if (values.concurrency !== undefined) {
    const n = Number(values.concurrency);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--concurrency must be a positive integer\n${DOCKER_USAGE}`);
    options.concurrency = n;
  }
  return { kind: "docker", name: endpoint, endpoint, username: null, secret: null, options };
};

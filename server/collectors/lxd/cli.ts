/**
 * `npm run --silent collect -- lxd <unix:///path/unix.socket | https://host:8443>
 *  [--tls-cert FILE --tls-key FILE] [--fingerprint F] [--tenant-label L] [--json]`
 *
 * The client certificate and key are read from the files named here (the person at the terminal may
 * name any path; a saved source holds the certificate as PEM text and the key as its secret).
 */
import fs from "node:fs";
import { parseCliArgs, UsageError } from "../../cli/args";
import type { CliSourceParser } from "../types";
import { normaliseFingerprint } from "../tls";

export const LXD_USAGE =
  "usage: collect lxd <unix:///path/unix.socket | https://host:8443> [--tls-cert FILE --tls-key FILE] [--fingerprint F] [--tenant-label LABEL] [--json]";

function readPem(path: string, flag: string): string {
  try {
    return fs.readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`${flag}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export const lxdCliParser: CliSourceParser = (args) => {
  const { positionals, values } = parseCliArgs(
    args,
    {
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      fingerprint: { type: "string" },
      "tenant-label": { type: "string" },
    },
    LXD_USAGE,
  );
  const endpoint = positionals[0];
  if (!endpoint || positionals.length > 1) throw new UsageError(LXD_USAGE);
  const https = /^https:\/\//i.test(endpoint);
  if (!https && !/^unix:\/\/\//i.test(endpoint)) {
    throw new UsageError(`the endpoint is unix:///path/unix.socket or https://host:8443, not "${endpoint}"\n${LXD_USAGE}`);
  }
  const cert = values["tls-cert"];
  const key = values["tls-key"];
  if (!https && (cert !== undefined || key !== undefined || values.fingerprint !== undefined)) {
    throw new UsageError(`--tls-cert, --tls-key and --fingerprint are for https:// endpoints\n${LXD_USAGE}`);
  }
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError(`--tls-cert and --tls-key go together\n${LXD_USAGE}`);
  }
  const options: Record<string, unknown> = {};
  if (values.fingerprint !== undefined) {
    if (!normaliseFingerprint(values.fingerprint)) {
      throw new UsageError("--fingerprint takes a SHA-256 fingerprint: 64 hex digits, colons allowed (AB:CD:...)");
    }
    options.fingerprint = values.fingerprint;
  }
  if (values["tenant-label"] !== undefined) options.tenantLabel = values["tenant-label"];
  let secret: string | null = null;
  if (cert !== undefined && key !== undefined) {
    options.clientCert = readPem(cert, "--tls-cert");
    secret = readPem(key, "--tls-key");
  }
  return { kind: "lxd", name: endpoint, endpoint, username: null, secret, options };
};

/** The docker kind: a Docker (or Podman) engine's containers and images over its API. */
import { defineCollector } from "../types";
import { dockerCliParser } from "./cli";
import { collectDocker } from "./collector";
import { dockerSourceOptions } from "./endpoint";

export const docker = defineCollector({
  kind: "docker",
  label: "Docker",
  endpoint: { pattern: /^(unix|tcp|ssh|https?|npipe):\/\/\S+$/i, example: "unix:///var/run/docker.sock or tcp://10.0.0.5:2376" },
  options: dockerSourceOptions,
  fields: [
    { key: "tlsCa", label: "TLS CA certificate", type: "text", hint: "File path on the Fleetlens server, or PEM text." },
    { key: "tlsCert", label: "TLS client certificate", type: "text", hint: "File path or PEM text." },
    { key: "tlsKey", label: "TLS client key file", type: "text", hint: "File path on the Fleetlens server; or leave empty and paste the key into “Password or token”." },
    { key: "tenantLabel", label: "Tenant label", type: "text", hint: "The container label naming its tenant (default: tenant)." },
    {
      key: "daemonNoNewPrivileges",
      label: "Daemon runs with no-new-privileges",
      type: "checkbox",
      hint: "dockerd --no-new-privileges or daemon.json \"no-new-privileges\": true (the API does not tell it; CIS Docker 5.26).",
    },
  ],
  secret: { kind: "private-key", hint: "For a TLS client certificate (tlsCert): its private key, pasted as PEM, unless tlsKey names its file." },
  collect: collectDocker,
  cli: dockerCliParser,
});

/** The lxd kind: an LXD server's (or cluster's) system containers, VMs and images over its REST API. */
import { withConnectCheck } from "../options";
import { defineCollector } from "../types";
import { lxdCliParser } from "./cli";
import { LxdConfigurationError } from "./client";
import { collectLxd, lxdOptions, lxdTlsPolicy } from "./collector";

export const lxd = defineCollector({
  kind: "lxd",
  label: "LXD",
  endpoint: {
    pattern: /^(unix:\/\/\/\S+|https:\/\/[^\s/]+\/?)$/i,
    example: "unix:///var/snap/lxd/common/lxd/unix.socket or https://lxd.example.com:8443",
  },
  // With what the collector checks when it connects: a pinned fingerprint of the right shape.
  options: withConnectCheck(lxdOptions, "fingerprint", lxdTlsPolicy, LxdConfigurationError),
  fields: [
    {
      key: "fingerprint",
      label: "Trusted certificate fingerprint",
      type: "text",
      hint: "SHA-256 of the LXD server's self-signed certificate (AB:CD:…; `lxc info` shows certificate_fingerprint). https only.",
    },
    {
      key: "clientCert",
      label: "TLS client certificate",
      type: "text",
      hint: "PEM text of a certificate the server trusts (lxc config trust add); its private key goes into “Password or token”. https only.",
    },
    { key: "tenantLabel", label: "Tenant label", type: "text", hint: "The user.* config key naming an instance's tenant, without “user.” (default: tenant)." },
  ],
  secret: { kind: "private-key", hint: "For https: the private key of the client certificate (clientCert), as PEM." },
  collect: collectLxd,
  cli: lxdCliParser,
});

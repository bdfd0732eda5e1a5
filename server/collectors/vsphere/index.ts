/** The vsphere kind: a vCenter's (or a standalone ESXi's) inventory over the SOAP API. */
import { defineCollector } from "../types";
import { withConnectCheck } from "../options";
import { vsphereCliParser } from "./cli";
import { collectVsphere, tlsPolicy, VsphereConfigurationError, vsphereOptions } from "./collector";

export const vsphere = defineCollector({
  kind: "vsphere",
  label: "VMware vSphere",
  endpoint: { pattern: /^https?:\/\/[^\s/]+(\/\S*)?$/i, example: "https://vcenter.example.com/sdk" },
  // With what the collector checks when it connects: a pinned fingerprint of the right shape, and
  // not together with "insecure".
  options: withConnectCheck(vsphereOptions, "fingerprint", tlsPolicy, VsphereConfigurationError),
  fields: [
    { key: "fingerprint", label: "Trusted certificate fingerprint", type: "text", hint: "SHA-256 of a self-signed vCenter certificate (AB:CD:…); the first failed collection shows it." },
    { key: "insecure", label: "Skip TLS certificate verification", type: "checkbox", hint: "Only where a fingerprint cannot be pinned." },
    {
      key: "performanceDays",
      label: "Days of performance history",
      type: "text",
      hint: "Measured use read from vCenter's statistics at each collection: 0 to 30 days (default 7; 0 reads quick stats only).",
    },
    {
      key: "templateEventDays",
      label: "Days of deploy and clone events",
      type: "text",
      hint: "When each template was last used, from vCenter's events: 0 to 366 days (default 30, vCenter's event.maxAge; 0 reads none).",
    },
  ],
  secret: { kind: "password" },
  // What is already stored of each object's history: a collection reads only what is newer.
  needs: ["utilisationSince"],
  collect: collectVsphere,
  cli: vsphereCliParser,
});

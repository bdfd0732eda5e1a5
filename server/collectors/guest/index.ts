/**
 * The guest kind: guest discovery inside the customer's Linux VMs over ssh, read-only (issue 16).
 * Its snapshot holds no inventory of its own, only `guests` (what runs inside each guest) and the
 * host keys it trusted on first use: evidence for the verdicts of VMs the other sources inventory.
 */
import { defineCollector } from "../types";
import { guestCliParser } from "./cli";
import { GuestConfigurationError } from "./errors";
import { collectGuestSource, guestOptions, parseGuestEndpoint } from "./source";

export const guest = defineCollector({
  kind: "guest",
  label: "Linux guests (ssh)",
  endpoint: {
    // `inventory`, hosts, host:port, user@host, IPv4 ranges: separated by commas, spaces or new lines.
    pattern: /^[\w\s.,:@[\]/-]+$/,
    example: "inventory, 10.20.30.0/28, db01.example.com:2222",
    // Every entry read as the collector will read it: a range too wide or a bad host is refused when saved.
    check: (endpoint) => {
      try {
        parseGuestEndpoint(endpoint, "user");
        return null;
      } catch (error) {
        if (error instanceof GuestConfigurationError) return error.message;
        throw error;
      }
    },
  },
  options: guestOptions,
  fields: [
    { key: "hostKeys", label: "Pinned ssh host keys", type: "text", hint: "SHA256:… for every guest, or host=SHA256:… pairs separated by commas." },
    { key: "trustOnFirstUse", label: "Trust host keys on first use", type: "checkbox", hint: "Records each guest's key at its first run, then refuses a changed one." },
    { key: "insecureHostKey", label: "Accept any ssh host key", type: "checkbox", hint: "Only where host keys can be neither pinned nor recorded." },
    { key: "sudo", label: "Use sudo -n", type: "checkbox", hint: "For the few reads that need root (DMI UUID, other users' sockets and crontabs); the findings say what was not read without it." },
    { key: "jump", label: "Jump host", type: "text", hint: "ssh://user@bastion[:port], reached with the same key or password." },
    { key: "jumpHostKey", label: "Jump host key", type: "text", hint: "SHA256:… of the jump host." },
    { key: "port", label: "ssh port", type: "text", hint: "For targets that name none (22)." },
    { key: "concurrency", label: "Guests at once", type: "text", hint: "8 by default." },
    { key: "commandTimeoutSeconds", label: "Command time limit (s)", type: "text", hint: "Every command's; by default each its own (5–20 s)." },
    { key: "maxOutputKiB", label: "Command output limit (KiB)", type: "text", hint: "Every command's; by default each its own (1–8 MiB)." },
  ],
  secret: { kind: "private-key", hint: "The ssh private key (PEM or OpenSSH), or the user's password; the user goes in Username." },
  collect: collectGuestSource,
  needs: ["vms", "hostKeys"],
  cli: guestCliParser,
});

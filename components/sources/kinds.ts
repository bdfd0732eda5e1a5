/** Names of source kinds for people. */
const KIND_LABELS: Record<string, string> = {
  vsphere: "VMware vSphere",
  libvirt: "KVM / libvirt",
  docker: "Docker",
  demo: "Demo",
  rvtools: "RVTools export",
};

export function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind;
}

export interface OptionField {
  key: string;
  label: string;
  type: "text" | "checkbox";
  hint: string;
}

/**
 * The settings each kind of collector reads from a source's options (none of them secret: the
 * server refuses a private key in an option). Key fields take a file path on the Fleetlens server;
 * the key itself goes into the secret field.
 */
export const OPTION_FIELDS: Record<string, OptionField[]> = {
  vsphere: [
    { key: "fingerprint", label: "Trusted certificate fingerprint", type: "text", hint: "SHA-256 of a self-signed vCenter certificate (AB:CD:…); the first failed collection shows it." },
    { key: "insecure", label: "Skip TLS certificate verification", type: "checkbox", hint: "Only where a fingerprint cannot be pinned." },
  ],
  docker: [
    { key: "tlsCa", label: "TLS CA certificate", type: "text", hint: "File path on the Fleetlens server, or PEM text." },
    { key: "tlsCert", label: "TLS client certificate", type: "text", hint: "File path or PEM text." },
    { key: "tlsKey", label: "TLS client key file", type: "text", hint: "File path on the Fleetlens server; or leave empty and paste the key into “Password or token”." },
    { key: "tenantLabel", label: "Tenant label", type: "text", hint: "The container label naming its tenant (default: tenant)." },
  ],
  libvirt: [
    { key: "hostKey", label: "Trusted ssh host key", type: "text", hint: "For qemu+ssh: SHA256:… as ssh-keygen -lf prints it." },
    { key: "insecureHostKey", label: "Accept any ssh host key", type: "checkbox", hint: "Only where the host key cannot be pinned." },
    { key: "keyFile", label: "ssh private key file", type: "text", hint: "File path on the Fleetlens server, when the key is not pasted into “Password or token”." },
  ],
};

/** Kinds whose secret is a private key (several lines of PEM), with what the secret field says. */
export const SECRET_KEY_HINTS: Record<string, string> = {
  docker: "For a TLS client certificate (tlsCert): its private key, pasted as PEM, unless tlsKey names its file.",
  libvirt: "For qemu+ssh: the ssh private key, pasted as PEM or OpenSSH, unless a key file is named.",
};

type OptionValue = string | number | boolean;

/** A source's stored options with the form's values applied: empty text and unticked boxes drop a key. */
export function mergeOptions(
  stored: Record<string, unknown>,
  fields: OptionField[],
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

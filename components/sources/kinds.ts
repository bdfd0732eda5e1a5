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

/** The settings each kind of collector reads from a source's options (none of them secret). */
export const OPTION_FIELDS: Record<string, OptionField[]> = {
  vsphere: [
    { key: "fingerprint", label: "Trusted certificate fingerprint", type: "text", hint: "SHA-256 of a self-signed vCenter certificate (AB:CD:…); the first failed collection shows it." },
    { key: "insecure", label: "Skip TLS certificate verification", type: "checkbox", hint: "Only where a fingerprint cannot be pinned." },
  ],
  docker: [
    { key: "tlsCa", label: "TLS CA certificate", type: "text", hint: "File path on the Fleetlens server, or PEM text." },
    { key: "tlsCert", label: "TLS client certificate", type: "text", hint: "File path or PEM text." },
    { key: "tlsKey", label: "TLS client key file", type: "text", hint: "File path; or paste the PEM key into the secret field instead." },
    { key: "tenantLabel", label: "Tenant label", type: "text", hint: "The container label naming its tenant (default: tenant)." },
  ],
  libvirt: [
    { key: "hostKey", label: "Trusted ssh host key", type: "text", hint: "For qemu+ssh: SHA256:… as ssh-keygen -lf prints it." },
    { key: "insecureHostKey", label: "Accept any ssh host key", type: "checkbox", hint: "Only where the host key cannot be pinned." },
    { key: "keyFile", label: "ssh private key file", type: "text", hint: "When the key is not pasted into the secret field." },
  ],
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

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

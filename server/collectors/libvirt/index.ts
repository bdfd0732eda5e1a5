/** The libvirt kind: a KVM/QEMU host's inventory over libvirt's own RPC protocol, read-only. */
import { defineCollector } from "../types";
import { withConnectCheck } from "../options";
import { libvirtCliParser } from "./cli";
import { collectLibvirt, libvirtOptions } from "./collector";
import { LibvirtConfigurationError } from "./errors";
import { hostKeyPolicy } from "./ssh";

export const libvirt = defineCollector({
  kind: "libvirt",
  label: "KVM / libvirt",
  endpoint: { pattern: /^[a-z][a-z0-9+]*:\/\/\S*$/i, example: "qemu+tls://kvm01.example.com/system" },
  // With what the ssh transport checks when it connects: a pinned host key of the right shape, and
  // not together with "insecureHostKey".
  options: withConnectCheck(
    libvirtOptions,
    "hostKey",
    (options) =>
      hostKeyPolicy({ privateKey: null, keyFile: null, username: null, hostKey: options.hostKey ?? null, insecureHostKey: options.insecureHostKey }),
    LibvirtConfigurationError,
  ),
  fields: [
    { key: "hostKey", label: "Trusted ssh host key", type: "text", hint: "For qemu+ssh: SHA256:… as ssh-keygen -lf prints it." },
    { key: "insecureHostKey", label: "Accept any ssh host key", type: "checkbox", hint: "Only where the host key cannot be pinned." },
    { key: "keyFile", label: "ssh private key file", type: "text", hint: "File path on the Fleetlens server, when the key is not pasted into “Password or token”." },
  ],
  secret: { kind: "private-key", hint: "For qemu+ssh: the ssh private key, pasted as PEM or OpenSSH, unless a key file is named." },
  collect: collectLibvirt,
  cli: libvirtCliParser,
});

#!/usr/bin/env bash
# Debian packages the tests need: Chromium (browser tests), PostgreSQL 15 (the external database
# the integration suite also runs against), docker-compose (checks docker-compose.yml).
# golang-go and golang-github-vmware-govmomi-dev build vcsim (tests/peers/vcsim) for the vsphere tests.
# podman, runc, catatonit, busybox-static and netavark: the Docker Engine API peer (Podman's
# compatible API) of the docker collector's tests and bench (tests/peers/podman.sh).
# openssh-server and netcat-openbsd: the sshd peer of the libvirt collector's ssh transport (tests/peers/sshd.sh).
# qemu-system-x86 and qemu-utils: a real QEMU domain under qemu:///session (software emulation) for the
# libvirt collector's disk sizes and measured use (tests/peers/libvirtd.sh with LIBVIRTD_SESSION_DOMAIN=1).
# poppler-utils: pdftotext, to read the text of the customer report's PDF (tests/e2e/report.test.ts).
# nginx: a real web server for guest discovery to find (tests/integration/guest-workloads.test.ts runs its
# own nginx with its own config on a free port, not the package's service).
# lxd and lxd-client: the LXD REST API peer of the lxd collector's tests (tests/peers/lxd.sh: its own LXD_DIR).
# Installs only what is missing; apt may be locked by a boot-time job, so it retries.
# With arguments, installs those packages instead (the peer scripts under tests/peers use that).
# Reports on stderr: callers' stdout stays theirs.
set -euo pipefail
packages=(chromium postgresql-15 docker-compose fonts-dejavu-core golang-go golang-github-vmware-govmomi-dev
  podman runc catatonit busybox-static netavark libvirt-daemon libvirt-clients qemu-system-x86 qemu-utils openssh-server netcat-openbsd nginx poppler-utils lxd lxd-client)
[ $# -gt 0 ] && packages=("$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${missing[*]} (run as root, or apt-get install them)" >&2
  exit 1
fi
echo "installing ${missing[*]}" >&2
for attempt in 1 2 3 4 5 6; do
  if apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    exit 0
  fi
  [ "$attempt" = 6 ] && break
  echo "apt is busy or failed (attempt $attempt), retrying" >&2
  sleep 10
done
echo "apt-get install ${missing[*]} failed" >&2
exit 1

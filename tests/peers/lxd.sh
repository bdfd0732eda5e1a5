#!/usr/bin/env bash
# LXD's REST API as a peer for the lxd collector's tests (shared/peers.md, "LXD"): Debian's lxd 5.0.2
# run by us, as root, with its state in a temp dir (LXD_DIR), a `dir` storage pool and no network; it
# never touches a system LXD.
#   start: installs what is missing, starts `lxd` on DIR/var/unix.socket and https on a free loopback
#          port, makes and trusts a client certificate, imports a busybox image (alias busybox) and
#          creates instances with varied config (below), then prints KEY=VALUE lines:
#            DIR, SOCKET (unix:///...), HTTPS (https://127.0.0.1:PORT), FINGERPRINT (the server
#            certificate's SHA-256, AB:CD:...), CLIENT_CERT, CLIENT_KEY (files), IMAGE (fingerprint),
#            VM_REFUSED (what LXD answered when asked to create a VM here);
#   stop DIR: `lxd shutdown`, then the daemon by its recorded PID, then the mounts and the temp dir.
# `lxc` works on the peer with LXD_DIR=DIR/var LXD_CONF=DIR/client.
#
# Instances (project default unless said):
#   c-web       running; limits.cpu=2, limits.memory=256MiB, user.tenant=acme, a proxy device
#               (tcp 127.0.0.1:PROXY_PORT -> 80), snapshots snap0 and snap1
#   c-priv      security.privileged, security.nesting, raw.lxc, a read-only disk device of a host path,
#               a unix-char device (/dev/zero), limits.cpu=0-1 (a CPU set), user.tenant=acme
#   c-isolated  security.idmap.isolated, raw.idmap, limits.cpu.allowance=25ms/100ms, limits.processes=200,
#               profiles default + tools (a disk device of a host path, user.role=tools)
#   c-spare     plain, stopped (the tests delete it)
#   cb          project tenant-b (features.images/profiles off: the default project's), user.tenant=beta
#   v1          a virtual machine definition (limits.cpu=2, limits.memory=1GiB, volatile.uuid): LXD
#               refuses to create VMs on a machine without KVM or vhost_vsock (VM_REFUSED), so there it is
#               written with LXD's own `lxd sql global`, as a server that can run VMs stores one; the
#               API then reports it like any stopped VM.
set -euo pipefail

packages=(lxd lxd-client busybox-static openssl)

install_missing() {
  bash "$(cd "$(dirname "$0")/../.." && pwd)/scripts/install-test-deps.sh" "${packages[@]}"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A busybox root filesystem with /sbin/init (busybox's own init), as an LXD unified image tarball.
build_image() {
  local dir=$1 image=$1/image applet
  mkdir -p "$image"/rootfs/{bin,sbin,etc,tmp,proc,sys,dev,root,run,var/log}
  cp /bin/busybox "$image/rootfs/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$image/rootfs/bin/$applet"
  done
  ln -sf ../bin/busybox "$image/rootfs/sbin/init"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$image/rootfs/etc/passwd"
  printf 'root:x:0:\n' >"$image/rootfs/etc/group"
  chmod 1777 "$image/rootfs/tmp"
  cat >"$image/metadata.yaml" <<EOF
architecture: x86_64
creation_date: $(date +%s)
properties:
  description: busybox test image
  os: busybox
  release: "1.35"
EOF
  tar -C "$image" -czf "$dir/busybox.tar.gz" metadata.yaml rootfs
  rm -rf "$image"
  lxc image import "$dir/busybox.tar.gz" --alias busybox >/dev/null
  rm -f "$dir/busybox.tar.gz"
}

make_instances() {
  local dir=$1 proxy_port=$2
  mkdir -p "$dir/share" "$dir/tools"
  echo shared >"$dir/share/README"

  lxc init busybox c-web -c limits.cpu=2 -c limits.memory=256MiB -c user.tenant=acme >/dev/null
  lxc config device add c-web web proxy "listen=tcp:127.0.0.1:$proxy_port" connect=tcp:127.0.0.1:80 >/dev/null
  lxc start c-web
  lxc snapshot c-web snap0
  lxc snapshot c-web snap1

  lxc init busybox c-priv -c security.privileged=true -c security.nesting=true \
    -c raw.lxc="lxc.mount.auto = proc:rw sys:rw" -c limits.cpu=0-1 -c user.tenant=acme >/dev/null
  lxc config device add c-priv share disk "source=$dir/share" path=/mnt/share readonly=true >/dev/null
  lxc config device add c-priv zero unix-char source=/dev/zero path=/dev/myzero >/dev/null

  lxc profile create tools >/dev/null
  lxc profile set tools user.role tools
  lxc profile device add tools tools disk "source=$dir/tools" path=/opt/tools >/dev/null
  lxc init busybox c-isolated -p default -p tools -c security.idmap.isolated=true -c raw.idmap="both 1000 1000" \
    -c limits.cpu.allowance=25ms/100ms -c limits.processes=200 >/dev/null

  lxc init busybox c-spare >/dev/null

  lxc project create tenant-b -c features.images=false -c features.profiles=false >/dev/null
  lxc init busybox cb --project tenant-b -c user.tenant=beta >/dev/null

  # What LXD says when asked for a VM here, then the definition as LXD stores one.
  if lxc init --empty --vm v1 -c limits.cpu=2 -c limits.memory=1GiB -c user.tenant=acme >/dev/null 2>"$dir/vm-refused"; then
    return 0
  fi
  lxd sql global "INSERT INTO instances (node_id, name, architecture, type, ephemeral, creation_date, stateful,
      last_use_date, description, project_id, expiry_date)
    VALUES (1, 'v1', 2, 1, 0, '2026-12-01T10:00:00Z', 0, '1970-01-01T00:00:00Z', 'a VM definition', 1, '0001-01-01T00:00:00Z')" >/dev/null
  lxd sql global "INSERT INTO instances_profiles (instance_id, profile_id, apply_order)
    SELECT i.id, p.id, 1 FROM instances i, profiles p WHERE i.name = 'v1' AND p.name = 'default' AND p.project_id = 1" >/dev/null
  lxd sql global "INSERT INTO instances_config (instance_id, key, value)
    SELECT id, 'limits.cpu', '2' FROM instances WHERE name = 'v1'
    UNION ALL SELECT id, 'limits.memory', '1GiB' FROM instances WHERE name = 'v1'
    UNION ALL SELECT id, 'volatile.uuid', 'a5b3a0c2-1111-4222-8333-944455556666' FROM instances WHERE name = 'v1'
    UNION ALL SELECT id, 'volatile.eth0.hwaddr', '00:16:3e:aa:bb:cc' FROM instances WHERE name = 'v1'
    UNION ALL SELECT id, 'user.tenant', 'acme' FROM instances WHERE name = 'v1'" >/dev/null
}

case "${1:-}" in
  start)
    # lxc init, profile create and project create read YAML from stdin when it is not a terminal:
    # under a test runner's pipe they would wait for it.
    exec </dev/null
    install_missing
    dir=$(mktemp -d /tmp/fleetlens-lxd-XXXXXX)
    # Container roots live under it: LXC needs to traverse it.
    chmod 755 "$dir"
    export LXD_DIR="$dir/var" LXD_CONF="$dir/client"
    mkdir -p "$LXD_DIR" "$LXD_CONF" "$dir/pool"
    setsid lxd --group root --logfile "$dir/lxd.log" </dev/null >"$dir/lxd.out" 2>&1 &
    echo $! >"$dir/lxd.pid"
    if ! lxd waitready --timeout 60; then
      echo "lxd did not become ready:" >&2
      tail -20 "$dir/lxd.log" "$dir/lxd.out" >&2 || true
      kill "$(cat "$dir/lxd.pid")" 2>/dev/null || true
      exit 1
    fi
    port=$(free_port)
    proxy_port=$(free_port)
    {
      # LXD_PEER_CLUSTER=1: a one-member cluster (member "node1"): the clustered API, members and ?target=.
      cluster=
      [ "${LXD_PEER_CLUSTER:-}" = 1 ] && cluster=$'cluster:\n  server_name: node1\n  enabled: true'
      lxd init --preseed <<EOF
config:
  core.https_address: 127.0.0.1:$port
$cluster
storage_pools:
- name: default
  driver: dir
  config:
    source: $dir/pool
profiles:
- name: default
  devices:
    root:
      path: /
      pool: default
      type: disk
EOF
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -keyout "$dir/client.key" \
        -out "$dir/client.crt" -days 30 -subj "/CN=fleetlens-test" 2>/dev/null
      lxc config trust add "$dir/client.crt" >/dev/null
      build_image "$dir"
      make_instances "$dir" "$proxy_port"
    } >"$dir/setup.log" 2>&1 || {
      echo "setting up the LXD peer failed:" >&2
      tail -30 "$dir/setup.log" >&2
      LXD_DIR="$dir/var" lxd shutdown --timeout 20 >/dev/null 2>&1 || kill "$(cat "$dir/lxd.pid")" 2>/dev/null || true
      exit 1
    }
    fingerprint=$(openssl x509 -in "$LXD_DIR/server.crt" -noout -fingerprint -sha256 | sed 's/^.*=//')
    echo "DIR=$dir"
    echo "SOCKET=unix://$LXD_DIR/unix.socket"
    echo "HTTPS=https://127.0.0.1:$port"
    echo "FINGERPRINT=$fingerprint"
    echo "CLIENT_CERT=$dir/client.crt"
    echo "CLIENT_KEY=$dir/client.key"
    echo "PROXY_PORT=$proxy_port"
    echo "IMAGE=$(lxc image list busybox --format csv -c F)"
    echo "VM_REFUSED=$(tr '\n' ' ' <"$dir/vm-refused")"
    ;;
  stop)
    dir="${2:?usage: lxd.sh stop DIR}"
    case "$dir" in
      /tmp/fleetlens-lxd-*) ;;
      *) echo "not a fleetlens lxd peer: $dir" >&2; exit 2 ;;
    esac
    [ -d "$dir" ] || exit 0
    export LXD_DIR="$dir/var"
    if [ -f "$dir/lxd.pid" ]; then
      pid=$(cat "$dir/lxd.pid")
      if kill -0 "$pid" 2>/dev/null; then
        # Stops the instances, then the daemon; by PID if it does not.
        timeout 60 lxd shutdown --timeout 30 >/dev/null 2>&1 || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
      fi
    fi
    { grep -o " $dir/[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac

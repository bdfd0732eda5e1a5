#!/usr/bin/env bash
# Podman's Docker-compatible Engine API as a peer for the Docker collector's tests and bench
# (shared/peers.md, "Docker Engine API"): a `podman system service` of our own on a unix socket
# under a temp dir, with its own storage, settings and locks; it never touches a system Podman.
#   start: installs what is missing (apt, retrying while dpkg is locked), imports a busybox image
#          (localhost/busybox:latest) and builds two images on it with extra layers
#          (localhost/fleetlens-app:1, localhost/fleetlens-tools:1), starts the service on
#          DIR/podman.sock and a second one on a free 127.0.0.1 port (its tcp:// URL in DIR/tcp-url),
#          waits until both answer /_ping, and prints the socket path (DIR is its parent);
#   stop SOCKET|DIR: stops the services by their recorded PIDs, then removes the temp dir.
# `podman` itself works on the same storage with CONTAINERS_CONF=DIR/containers.conf and
# CONTAINERS_STORAGE_CONF=DIR/storage.conf (e.g. `podman --runtime kata create ...`).
set -euo pipefail

packages=(podman runc catatonit busybox-static netavark)

install_missing() {
  # One apt routine for the project: install only what is missing, retrying while apt is locked.
  bash "$(cd "$(dirname "$0")/../.." && pwd)/scripts/install-test-deps.sh" "${packages[@]}"
}

write_config() {
  local dir=$1
  mkdir -p "$dir"/{storage,runroot,tmp,volumes,networks,rootfs}
  # runc, not crun (crun 1.8 fails on hybrid cgroups); no systemd; root here lacks
  # CAP_SYS_RESOURCE (ulimits); no bridges or iptables (netns none); file locks under our tmp dir,
  # so that several services on one machine do not share Podman's SHM lock segment.
  cat >"$dir/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "none"
pids_limit = 0

[network]
network_backend = "netavark"
network_config_dir = "$dir/networks"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/tmp/events.log"
lock_type = "file"
tmp_dir = "$dir/tmp"
volume_path = "$dir/volumes"
static_dir = "$dir/storage/libpod"

[engine.runtimes]
runc = ["/usr/bin/runc", "/usr/sbin/runc"]
# A runtime named kata that is really runc: lets a container be created with --runtime kata.
kata = ["/usr/bin/runc", "/usr/sbin/runc"]
EOF
  cat >"$dir/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$dir/storage"
runroot = "$dir/runroot"
EOF
}

# A busybox root filesystem (no registry is reachable): the static binary, its applets as
# symlinks, and users root, nobody and app (1000).
build_images() {
  local dir=$1 rootfs=$1/rootfs applet
  mkdir -p "$rootfs"/{bin,etc,tmp,proc,sys,dev,root,home/app,var/log}
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\napp:x:1000:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  chmod 1777 "$rootfs/tmp"
  tar -C "$rootfs" -cf "$dir/rootfs.tar" .
  podman import --quiet "$dir/rootfs.tar" localhost/busybox:latest >/dev/null

  mkdir -p "$dir/build"
  cat >"$dir/build/Containerfile.app" <<'EOF'
FROM localhost/busybox:latest
RUN mkdir -p /srv/app && echo 'fleetlens test app' >/srv/app/index.html
RUN dd if=/dev/zero of=/srv/app/blob bs=1024 count=64 2>/dev/null
LABEL org.opencontainers.image.title="fleetlens-app"
CMD ["sleep", "3600"]
EOF
  cat >"$dir/build/Containerfile.tools" <<'EOF'
FROM localhost/busybox:latest
RUN mkdir -p /opt/tools && echo 'tools' >/opt/tools/README
CMD ["sleep", "3600"]
EOF
  podman build --quiet --network=none -f "$dir/build/Containerfile.app" -t localhost/fleetlens-app:1 "$dir/build" >/dev/null
  podman build --quiet --network=none -f "$dir/build/Containerfile.tools" -t localhost/fleetlens-tools:1 "$dir/build" >/dev/null
  rm -rf "$rootfs" "$dir/rootfs.tar"
}

case "${1:-}" in
  start)
    install_missing
    dir=$(mktemp -d /tmp/fleetlens-podman-XXXXXX)
    chmod 755 "$dir"
    write_config "$dir"
    export CONTAINERS_CONF="$dir/containers.conf" CONTAINERS_STORAGE_CONF="$dir/storage.conf"
    if ! build_images "$dir" 2>"$dir/build.log"; then
      echo "building the test images failed:" >&2
      cat "$dir/build.log" >&2
      rm -rf "$dir"
      exit 1
    fi
    socket="$dir/podman.sock"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    setsid podman system service --time=0 "unix://$socket" >"$dir/service.log" 2>&1 </dev/null &
    echo $! >"$dir/podman.pid"
    setsid podman system service --time=0 "tcp://127.0.0.1:$port" >"$dir/service-tcp.log" 2>&1 </dev/null &
    echo $! >"$dir/podman-tcp.pid"
    echo "tcp://127.0.0.1:$port" >"$dir/tcp-url"
    for _ in $(seq 1 200); do
      if [ -S "$socket" ] && curl -sf --unix-socket "$socket" http://d/_ping >/dev/null 2>&1 &&
        curl -sf "http://127.0.0.1:$port/_ping" >/dev/null 2>&1; then
        echo "$socket"
        exit 0
      fi
      kill -0 "$(cat "$dir/podman.pid")" 2>/dev/null && kill -0 "$(cat "$dir/podman-tcp.pid")" 2>/dev/null || break
      sleep 0.05
    done
    echo "podman system service did not answer on $socket and 127.0.0.1:$port:" >&2
    cat "$dir/service.log" "$dir/service-tcp.log" >&2
    kill "$(cat "$dir/podman.pid")" "$(cat "$dir/podman-tcp.pid")" 2>/dev/null || true
    exit 1
    ;;
  stop)
    target="${2:?usage: podman.sh stop SOCKET|DIR}"
    [ -d "$target" ] && dir=$target || dir=$(dirname "$target")
    case "$dir" in
      /tmp/fleetlens-podman-*) ;;
      *) echo "not a fleetlens podman peer: $dir" >&2; exit 2 ;;
    esac
    for pidfile in "$dir/podman.pid" "$dir/podman-tcp.pid"; do
      [ -f "$pidfile" ] || continue
      pid=$(cat "$pidfile")
      if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        kill -9 "$pid" 2>/dev/null || true
      fi
    done
    # Containers the tests left running (conmon and their processes), then the storage mounts.
    export CONTAINERS_CONF="$dir/containers.conf" CONTAINERS_STORAGE_CONF="$dir/storage.conf"
    podman rm --all --force --time 0 >/dev/null 2>&1 || true
    podman system reset --force >/dev/null 2>&1 || true
    { grep -o " $dir/[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start | stop SOCKET|DIR" >&2
    exit 2
    ;;
esac

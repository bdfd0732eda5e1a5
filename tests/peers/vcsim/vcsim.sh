#!/usr/bin/env bash
# vcsim (govmomi's vSphere simulator) for the vsphere collector's tests and bench, built from
# Debian's golang-github-vmware-govmomi-dev in GOPATH mode (offline) with the launcher beside this
# script (main.go, manifest.go). Listens on 127.0.0.1 only.
#
#   vcsim.sh build                               prints the launcher binary (builds it once, cached)
#   vcsim.sh start PORT PASSWORD [FLAGS...]      starts it; prints its DIR (DIR/manifest.json: what
#                                                it created; DIR/pid; DIR/log). FLAGS: see main.go
#                                                (-username U -esx -dc N -cluster N -host N -vm N ...)
#   vcsim.sh stop DIR                            stops it by its PID file and removes DIR
#
# The binary is cached outside the repo, in ${FLEETLENS_CACHE_DIR:-~/.cache/fleetlens}/vcsim,
# keyed by the launcher's sources (every .go file here), so a changed launcher is rebuilt (cold build ~15 s).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
packages=(golang-go golang-github-vmware-govmomi-dev)

install_packages() {
  # One apt routine for the project: install only what is missing, retrying while apt is locked.
  bash "$here/../../../scripts/install-test-deps.sh" "${packages[@]}"
}

build() {
  install_packages
  local cache hash bin
  cache=${FLEETLENS_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/fleetlens}/vcsim
  hash=$(cat "$here"/*.go | sha256sum | cut -c1-16)
  bin="$cache/vcsim-$hash"
  mkdir -p "$cache"
  (
    flock 9
    if [ ! -x "$bin" ]; then
      (cd "$here" && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$cache/go-build" GOFLAGS= \
        go build -o "$bin.tmp" .) >&2
      mv "$bin.tmp" "$bin"
    fi
  ) 9>"$cache/lock"
  echo "$bin"
}

answers() {
  local port=$1
  if command -v curl >/dev/null; then
    # /sdk takes POSTs only: any HTTP status (405 to a GET) means it answers.
    [ "$(curl -sk -o /dev/null -m 2 -w '%{http_code}' "https://127.0.0.1:$port/sdk")" != 000 ]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

case "${1:-}" in
  build)
    build
    ;;
  start)
    port="${2:?usage: vcsim.sh start PORT PASSWORD [FLAGS...]}"
    password="${3:?usage: vcsim.sh start PORT PASSWORD [FLAGS...]}"
    shift 3
    bin=$(build)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/fleetlens-vcsim-XXXXXX")
    # vcsim keeps its datastores in temp dirs: inside DIR, so stop removes them too.
    TMPDIR="$dir" "$bin" -port "$port" -password "$password" -manifest "$dir/manifest.json" "$@" \
      >"$dir/log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/pid"
    for _ in $(seq 1 1200); do
      if [ -f "$dir/manifest.json" ] && answers "$port"; then
        echo "$dir"
        exit 0
      fi
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "vcsim exited before answering on 127.0.0.1:$port:" >&2
        grep -v '^\s' "$dir/log" | tail -5 >&2 || true
        rm -rf "$dir"
        exit 1
      fi
      sleep 0.1
    done
    echo "vcsim did not answer on 127.0.0.1:$port within 120 s" >&2
    kill "$pid" 2>/dev/null || true
    rm -rf "$dir"
    exit 1
    ;;
  stop)
    dir="${2:?usage: vcsim.sh stop DIR}"
    if [ -f "$dir/pid" ]; then
      pid=$(cat "$dir/pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 build | start PORT PASSWORD [FLAGS...] | stop DIR" >&2
    exit 2
    ;;
esac

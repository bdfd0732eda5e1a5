#!/usr/bin/env bash
# libvirtd as a peer for the libvirt collector's tests and bench (shared/peers.md, "libvirt"): a
# daemon of our own, run unprivileged (uid/gid 65534) with its own config, sockets and state under a
# temp dir, serving libvirt's test driver from a node XML file; it never touches a system libvirt.
#   start [NODE_XML]: installs what is missing, copies the node XML (default
#          tests/fixtures/libvirt/node.xml) into DIR, starts libvirtd on DIR/run/libvirt/libvirt-sock
#          (auth none) and a free 127.0.0.1 port (tcp; auth none, or LIBVIRTD_AUTH_TCP=sasl for a
#          daemon that requires authentication), waits until it answers, writes the URIs to
#          DIR/unix-uri and DIR/tcp-uri, and prints DIR (an unprivileged libvirtd has no -ro socket);
#          also TLS on another free port with certificates made here (a CA, a server certificate for
#          127.0.0.1, a client certificate the daemon requires): DIR/tls-uri (pkipath=DIR/pki, the
#          layout libvirt's clients read: cacert.pem, clientcert.pem, clientkey.pem);
#          with LIBVIRTD_SESSION_DOMAIN=1, also installs QEMU and defines and starts one real domain
#          (tests/fixtures/libvirt/session-domain.xml, software emulation) under qemu:///session of
#          the same daemon: DIR/session-uri. With no OS on its empty disk it sits in its firmware
#          (SeaBIOS retrying the boot), ~1% of a CPU and ~42 MiB RSS: real, moving counters for the
#          measured-use tests (tests/integration/libvirt-utilisation.test.ts);
#   stop DIR: stops the QEMU processes, the daemon and the virtlogd it spawned, by their recorded
#          PIDs, then removes the temp dir.
set -euo pipefail

packages=(libvirt-daemon libvirt-clients)
root=$(cd "$(dirname "$0")/../.." && pwd)

# A CA, a server certificate for 127.0.0.1 (DIR/server-pki, read by the daemon) and a client
# certificate (DIR/pki); the key usages and extended key usages libvirt's GnuTLS checks insist on.
make_pki() {
  local dir=$1 pki=$1/pki server=$1/server-pki
  mkdir -p "$pki" "$server"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout cakey.pem -out cacert.pem -days 2 -subj "/CN=Fleetlens test CA" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    for who in server client; do
      openssl req -newkey rsa:2048 -nodes -keyout "${who}key.pem" -out "$who.csr" -subj "/O=Fleetlens/CN=$who"
      if [ "$who" = server ]; then usage="serverAuth"; san="subjectAltName=IP:127.0.0.1,DNS:localhost"; else usage="clientAuth"; san="subjectAltName=DNS:client"; fi
      printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n%s\n' "$usage" "$san" >"$who.ext"
      openssl x509 -req -in "$who.csr" -CA cacert.pem -CAkey cakey.pem -CAcreateserial -days 2 -out "${who}cert.pem" -extfile "$who.ext"
    done
  ) >"$dir/pki.log" 2>&1
  mv "$pki/serverkey.pem" "$pki/servercert.pem" "$server/"
  cp "$pki/cacert.pem" "$server/cacert.pem"
  rm -f "$pki"/cakey.pem "$pki"/*.csr "$pki"/*.ext "$pki"/*.srl
}

start_session_domain() {
  local dir=$1 socket=$2 uri
  uri="qemu+unix:///session?socket=$socket"
  mkdir -p "$dir/images"
  qemu-img create -q -f qcow2 "$dir/images/session-alpine.qcow2" 1G
  chown -R 65534:65534 "$dir/images"
  sed "s|@DIR@|$dir|g" "$root/tests/fixtures/libvirt/session-domain.xml" >"$dir/session-domain.xml"
  if ! { virsh -q -c "$uri" define "$dir/session-domain.xml" && virsh -q -c "$uri" start session-alpine; } >"$dir/session.log" 2>&1; then
    echo "defining or starting the qemu:///session domain failed:" >&2
    cat "$dir/session.log" >&2
    stop_peer "$dir"
    exit 1
  fi
  echo "$uri" >"$dir/session-uri"
}

stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
  kill -9 "$pid" 2>/dev/null || true
}

stop_peer() {
  local dir=$1 pidfile
  # QEMU processes outlive the daemon: stop them first (their PID files; driver.pid is libvirtd's).
  for pidfile in "$dir"/run/libvirt/qemu/run/*.pid; do
    [ -f "$pidfile" ] && [ "$(basename "$pidfile")" != driver.pid ] && stop_pid "$(cat "$pidfile")"
  done
  [ -f "$dir/libvirtd.pid" ] && stop_pid "$(cat "$dir/libvirtd.pid")"
  # Helpers the daemon spawned for itself (virtlogd for QEMU's logs).
  for pidfile in "$dir"/run/libvirt/virtlogd.pid "$dir"/run/libvirt/virtlockd.pid; do
    [ -f "$pidfile" ] && stop_pid "$(cat "$pidfile")"
  done
  rm -rf "$dir"
}

case "${1:-}" in
  start)
    [ "${LIBVIRTD_SESSION_DOMAIN:-0}" = 1 ] && packages+=(qemu-system-x86 qemu-utils)
    bash "$root/scripts/install-test-deps.sh" "${packages[@]}"
    node_xml=${2:-$root/tests/fixtures/libvirt/node.xml}
    dir=$(mktemp -d /tmp/fleetlens-libvirtd-XXXXXX)
    chmod 755 "$dir"
    mkdir -p "$dir"/{home,config/libvirt,run,cache}
    cp "$node_xml" "$dir/node.xml"
    make_pki "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    tls_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cat >"$dir/config/libvirt/libvirtd.conf" <<CONF
listen_tls = 1
tls_port = "$tls_port"
auth_tls = "none"
ca_file = "$dir/server-pki/cacert.pem"
cert_file = "$dir/server-pki/servercert.pem"
key_file = "$dir/server-pki/serverkey.pem"
listen_tcp = 1
listen_addr = "127.0.0.1"
tcp_port = "$port"
auth_tcp = "${LIBVIRTD_AUTH_TCP:-none}"
auth_unix_rw = "none"
unix_sock_rw_perms = "0777"
log_outputs = "3:file:$dir/cache/libvirtd-log.txt"
CONF
    chown -R 65534:65534 "$dir"/{home,config,run,cache,server-pki}
    chmod 644 "$dir/node.xml"
    setsid setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=/usr/sbin:/usr/bin \
      HOME="$dir/home" XDG_CONFIG_HOME="$dir/config" XDG_RUNTIME_DIR="$dir/run" XDG_CACHE_HOME="$dir/cache" \
      /usr/sbin/libvirtd --listen >"$dir/libvirtd.out" 2>&1 </dev/null &
    echo $! >"$dir/libvirtd.pid"
    socket="$dir/run/libvirt/libvirt-sock"
    echo "test+unix://$dir/node.xml?socket=$socket" >"$dir/unix-uri"
    echo "test+tcp://127.0.0.1:$port$dir/node.xml" >"$dir/tcp-uri"
    echo "test+tls://127.0.0.1:$tls_port$dir/node.xml?pkipath=$dir/pki" >"$dir/tls-uri"
    for _ in $(seq 1 200); do
      if [ -S "$socket" ] && virsh -q -c "$(cat "$dir/unix-uri")" hostname >/dev/null 2>&1 &&
        python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1); socket.create_connection(('127.0.0.1',$tls_port),1)" 2>/dev/null; then
        [ "${LIBVIRTD_SESSION_DOMAIN:-0}" = 1 ] && start_session_domain "$dir" "$socket"
        echo "$dir"
        exit 0
      fi
      kill -0 "$(cat "$dir/libvirtd.pid")" 2>/dev/null || break
      sleep 0.05
    done
    echo "libvirtd did not answer on $socket and 127.0.0.1:$port:" >&2
    cat "$dir/libvirtd.out" "$dir/cache/libvirtd-log.txt" >&2 2>/dev/null || true
    stop_peer "$dir"
    exit 1
    ;;
  stop)
    dir="${2:?usage: libvirtd.sh stop DIR}"
    case "$dir" in
      /tmp/fleetlens-libvirtd-*) ;;
      *) echo "not a fleetlens libvirtd peer: $dir" >&2; exit 2 ;;
    esac
    stop_peer "$dir"
    ;;
  *)
    echo "usage: $0 start [NODE_XML] | stop DIR" >&2
    exit 2
    ;;
esac

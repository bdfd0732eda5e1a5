#!/usr/bin/env bash
# Debian's PostgreSQL 15 as an external server for the integration suite (DATABASE_URL), in a
# cluster of our own under a temp dir, on 127.0.0.1 only. Never touches the system's cluster.
#   start: prints the DATABASE_URL to use;  stop DIR: stops it by its PID file and removes DIR.
set -euo pipefail
BIN=/usr/lib/postgresql/15/bin

case "${1:-}" in
  start)
    if [ ! -x "$BIN/postgres" ]; then
      echo "PostgreSQL 15 is not installed (apt-get install postgresql-15)" >&2
      exit 1
    fi
    dir=$(mktemp -d /tmp/fleetlens-pg15-XXXXXX)
    chmod 755 "$dir"
    mkdir "$dir/data" && chown postgres:postgres "$dir" "$dir/data"
    password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    printf '%s\n' "$password" > "$dir/pw" && chown postgres "$dir/pw" && chmod 600 "$dir/pw"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    runuser -u postgres -- "$BIN/initdb" -D "$dir/data" -U fleetlens --pwfile="$dir/pw" \
      --auth=scram-sha-256 >"$dir/initdb.log" 2>&1
    rm -f "$dir/pw"
    runuser -u postgres -- "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=''" start >/dev/null
    echo "$dir" > "$dir/dir"
    echo "postgresql://fleetlens:$password@127.0.0.1:$port/postgres $dir"
    ;;
  stop)
    dir="${2:?usage: postgres15.sh stop DIR}"
    if [ -f "$dir/data/postmaster.pid" ]; then
      runuser -u postgres -- "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# OpenSSH's sshd as a peer for the libvirt collector's ssh transport (qemu+ssh://): a daemon of our
# own on 127.0.0.1 and a free port, with its own config, host key, client key and authorized_keys
# under a temp dir; it never reads or changes the system's sshd configuration.
#   start: installs openssh-server if missing, generates an ed25519 host key and an ed25519 client
#          key, starts `sshd -D` (root, key only: PermitRootLogin prohibit-password), waits until it
#          answers, and prints DIR; DIR/port, DIR/host-fingerprint (SHA256:..., as `ssh-keygen -lf`
#          prints it), DIR/client_key (the private key, OpenSSH PEM armour) and DIR/other_key (a key
#          the daemon does not accept);
#   start --password: also a user of its own for password authentication (the guest collector's
#          tests): `useradd` of fleetlens-<random> (home under DIR, /bin/sh, not in any group of
#          note), a random password; DIR/password-user and DIR/password. Password authentication
#          is allowed for that user only (root stays key only). Every user takes DIR/client_key;
#   start --keyboard-interactive: the password user logs in through keyboard-interactive (PAM
#          asks for the password) and not with plain password authentication;
#   start --password --sudo: also installs sudo, gives the password user sudo only with its
#          password (so `sudo -n` refuses: "a password is required"), and makes a second user,
#          DIR/sudo-user, who may run anything with `sudo -n` (NOPASSWD), in
#          /etc/sudoers.d/fleetlens-<random> (DIR/sudoers-file);
#   stop DIR: stops the daemon by its recorded PID, removes the users it made (`userdel` of the
#          names in DIR/password-user and DIR/sudo-user), its sudoers file, and the temp dir.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

stop_peer() {
  local dir=$1 pid
  if [ -f "$dir/sshd.pid" ]; then
    pid=$(cat "$dir/sshd.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  if [ -f "$dir/sudoers-file" ]; then
    local file
    file=$(cat "$dir/sudoers-file")
    case "$file" in
      /etc/sudoers.d/fleetlens-*) rm -f "$file" ;;
    esac
  fi
  local name user
  for name in password-user sudo-user; do
    [ -f "$dir/$name" ] || continue
    user=$(cat "$dir/$name")
    case "$user" in
      fleetlens-*) userdel "$user" 2>/dev/null || true ;;
    esac
  done
  rm -rf "$dir"
}

case "${1:-}" in
  start)
    bash "$root/scripts/install-test-deps.sh" openssh-server netcat-openbsd
    if [ "$(id -u)" != 0 ]; then echo "sshd.sh needs root (sshd switches to the logged-in user)" >&2; exit 1; fi
    dir=$(mktemp -d /tmp/fleetlens-sshd-XXXXXX)
    chmod 755 "$dir"
    # sshd's privilege separation directory (normally made by the service unit).
    mkdir -p /run/sshd && chmod 755 /run/sshd
    ssh-keygen -q -t ed25519 -N '' -C fleetlens-test-host -f "$dir/host_ed25519_key"
    ssh-keygen -q -t ed25519 -N '' -C fleetlens-test-client -f "$dir/client_key"
    ssh-keygen -q -t ed25519 -N '' -C fleetlens-test-other -f "$dir/other_key"
    cp "$dir/client_key.pub" "$dir/authorized_keys"
    ssh-keygen -lf "$dir/host_ed25519_key.pub" | awk '{print $2}' >"$dir/host-fingerprint"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    echo "$port" >"$dir/port"
    cat >"$dir/sshd_config" <<CONF
HostKey $dir/host_ed25519_key
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
LogLevel VERBOSE
CONF
    with_password=no
    with_sudo=no
    with_kbd=no
    for option in "${@:2}"; do
      case "$option" in
        --password) with_password=yes ;;
        --sudo) with_password=yes; with_sudo=yes ;;
        --keyboard-interactive) with_password=yes; with_kbd=yes ;;
        *) echo "sshd.sh start: unknown option $option" >&2; stop_peer "$dir"; exit 2 ;;
      esac
    done
    # A user of the peer's own: fleetlens-<random>, home under DIR, /bin/sh.
    make_user() {
      local user
      user="fleetlens-$(od -An -N4 -tx1 /dev/urandom | tr -d " \n")"
      echo "$user" >"$dir/$1"
      mkdir -p "$dir/home-$1"
      useradd --no-create-home --home-dir "$dir/home-$1" --shell /bin/sh --user-group "$user"
      chown "$user:" "$dir/home-$1"
      # A random password: sshd (without PAM) refuses even keys for a locked account (no password).
      echo "$user:$(od -An -N12 -tx1 /dev/urandom | tr -d " \n")" | chpasswd
    }
    if [ "$with_password" = yes ]; then
      make_user password-user
      user=$(cat "$dir/password-user")
      password=$(od -An -N12 -tx1 /dev/urandom | tr -d " \n")
      echo "$user:$password" | chpasswd
      echo "$password" >"$dir/password"
      if [ "$with_kbd" = yes ]; then
        # The password asked through PAM's conversation (keyboard-interactive), as RHEL-style
        # servers do; plain "password" authentication stays off.
        sed -i 's/^KbdInteractiveAuthentication no$/KbdInteractiveAuthentication yes/; s/^UsePAM no$/UsePAM yes/' "$dir/sshd_config"
      else
        cat >>"$dir/sshd_config" <<CONF
Match User $user
  PasswordAuthentication yes
CONF
      fi
    fi
    if [ "$with_sudo" = yes ]; then
      bash "$root/scripts/install-test-deps.sh" sudo
      make_user sudo-user
      sudoers="/etc/sudoers.d/fleetlens-$(basename "$dir" | sed 's/^fleetlens-sshd-//' | tr -cd 'A-Za-z0-9')"
      echo "$sudoers" >"$dir/sudoers-file"
      printf '%s ALL=(ALL) ALL\n%s ALL=(ALL) NOPASSWD: ALL\n' "$(cat "$dir/password-user")" "$(cat "$dir/sudo-user")" >"$sudoers.tmp"
      chmod 440 "$sudoers.tmp"
      visudo -cq -f "$sudoers.tmp"
      mv "$sudoers.tmp" "$sudoers"
    fi
    /usr/sbin/sshd -t -f "$dir/sshd_config"
    setsid /usr/sbin/sshd -D -e -f "$dir/sshd_config" -p "$port" -o ListenAddress=127.0.0.1 \
      >"$dir/sshd.log" 2>&1 </dev/null &
    echo $! >"$dir/sshd.pid"
    for _ in $(seq 1 200); do
      if python3 -c "import socket; s=socket.create_connection(('127.0.0.1',$port),1); assert s.recv(4)==b'SSH-'" 2>/dev/null; then
        echo "$dir"
        exit 0
      fi
      kill -0 "$(cat "$dir/sshd.pid")" 2>/dev/null || break
      sleep 0.05
    done
    echo "sshd did not answer on 127.0.0.1:$port:" >&2
    cat "$dir/sshd.log" >&2 || true
    stop_peer "$dir"
    exit 1
    ;;
  stop)
    dir="${2:?usage: sshd.sh stop DIR}"
    case "$dir" in
      /tmp/fleetlens-sshd-*) ;;
      *) echo "not a fleetlens sshd peer: $dir" >&2; exit 2 ;;
    esac
    stop_peer "$dir"
    ;;
  *)
    echo "usage: $0 start [--password] [--sudo] | stop DIR" >&2
    exit 2
    ;;
esac
